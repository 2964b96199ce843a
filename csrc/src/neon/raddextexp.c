/* raddextexp: sum(exp(x)) as mantissa * 2^exponent, no max pass (two-pass
 * pass 1, Dukhan & Ablavatski). Each exp(x_i) = p_i * 2^n_i; two per-lane
 * (P, N) accumulators each take 2 of the 4 vectors of an iteration: N
 * becomes max(N, n_a, n_b) and P is rescaled exactly by powers of two. The
 * loop-carried chain per accumulator (FMAXNM, FSUB, FSUB, FCVTZU, FMUL,
 * 2 FMA: ~20 cycles) is well under the ~50 cycles of work an iteration
 * issues (106 instructions on 2 pipes), so 2 accumulators suffice. Every
 * FSM_NEON_SUM_BLOCK (64) elements both merge exactly into the double
 * extended sum (8 partial sums of <= 8 terms each).
 * Tail: whole vectors, then a partial vector whose missing lanes are given
 * p = 0 and n = -inf (they change neither P nor N). */
#include "vec.h"

fsm_extsum FSM_KERNEL_NAME(FSM_DT, raddextexp, FSM_KERNEL_ISA)(size_t n, const S *x) {
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  while (n >= FSM_NEON_UNROLL) {
    const size_t block = fsm_neon_block_length(n);
    fsm_neon_extacc acc0 = fsm_neon_extacc_empty(), acc1 = fsm_neon_extacc_empty();
    for (size_t i = 0; i < block; i += FSM_NEON_UNROLL) {
      float32x4_t n0_f32x4, n1_f32x4, n2_f32x4, n3_f32x4;
      const float32x4_t p0_f32x4 = fsm_neon_extexp(fsm_vload(x + i + 0), &n0_f32x4);
      const float32x4_t p1_f32x4 = fsm_neon_extexp(fsm_vload(x + i + 4), &n1_f32x4);
      const float32x4_t p2_f32x4 = fsm_neon_extexp(fsm_vload(x + i + 8), &n2_f32x4);
      const float32x4_t p3_f32x4 = fsm_neon_extexp(fsm_vload(x + i + 12), &n3_f32x4);
      acc0 = fsm_neon_extacc_add2(acc0, p0_f32x4, n0_f32x4, p1_f32x4, n1_f32x4);
      acc1 = fsm_neon_extacc_add2(acc1, p2_f32x4, n2_f32x4, p3_f32x4, n3_f32x4);
    }
    fsm_neon_extacc_fold(&sum, acc0, acc1);
    x += block;
    n -= block;
  }
  if (n != 0) {
    fsm_neon_extacc acc0 = fsm_neon_extacc_empty(), acc1 = fsm_neon_extacc_empty();
    for (; n >= 4; n -= 4, x += 4) {
      float32x4_t n_f32x4;
      const float32x4_t p_f32x4 = fsm_neon_extexp(fsm_vload(x), &n_f32x4);
      acc0 = fsm_neon_extacc_add1(acc0, p_f32x4, n_f32x4);
    }
    if (n != 0) {
      const uint32x4_t mask_u32x4 = fsm_neon_tail_mask(n);
      float32x4_t n_f32x4;
      float32x4_t p_f32x4 = fsm_neon_extexp(fsm_vload_tail(x, n), &n_f32x4);
      p_f32x4 = fsm_neon_zero_unmasked(p_f32x4, mask_u32x4);
      n_f32x4 = vbslq_f32(mask_u32x4, n_f32x4, vdupq_n_f32(-INFINITY));
      acc1 = fsm_neon_extacc_add1(acc1, p_f32x4, n_f32x4);
    }
    fsm_neon_extacc_fold(&sum, acc0, acc1);
  }
  return sum;
}

/* raddstoreexp: y = exp(x - c), returns sum(y) (three-pass reload, pass 2).
 * 4 vectors per iteration, one float accumulator each, folded into a double
 * every FSM_NEON_SUM_BLOCK elements (16 partial sums of <= 4 terms each).
 * Tail: whole vectors, then one partial vector whose missing lanes are
 * neither read, written nor summed. */
#include "common.h"

double fsm_f32_raddstoreexp__neon(size_t n, const float *x, float c, float *y) {
  const float32x4_t c_f32x4 = vdupq_n_f32(c);
  double sum = 0.0;
  while (n >= FSM_NEON_UNROLL) {
    const size_t block = fsm_neon_block_length(n);
    float32x4_t acc0_f32x4 = vdupq_n_f32(0.0f);
    float32x4_t acc1_f32x4 = acc0_f32x4, acc2_f32x4 = acc0_f32x4, acc3_f32x4 = acc0_f32x4;
    for (size_t i = 0; i < block; i += FSM_NEON_UNROLL) {
      const float32x4_t e0_f32x4 = fsm_neon_exp_minus(x + i, c_f32x4);
      const float32x4_t e1_f32x4 = fsm_neon_exp_minus(x + i + 4, c_f32x4);
      const float32x4_t e2_f32x4 = fsm_neon_exp_minus(x + i + 8, c_f32x4);
      const float32x4_t e3_f32x4 = fsm_neon_exp_minus(x + i + 12, c_f32x4);
      vst1q_f32(y + i, e0_f32x4);
      vst1q_f32(y + i + 4, e1_f32x4);
      vst1q_f32(y + i + 8, e2_f32x4);
      vst1q_f32(y + i + 12, e3_f32x4);
      acc0_f32x4 = vaddq_f32(acc0_f32x4, e0_f32x4);
      acc1_f32x4 = vaddq_f32(acc1_f32x4, e1_f32x4);
      acc2_f32x4 = vaddq_f32(acc2_f32x4, e2_f32x4);
      acc3_f32x4 = vaddq_f32(acc3_f32x4, e3_f32x4);
    }
    sum += fsm_neon_fold_f64(acc0_f32x4, acc1_f32x4, acc2_f32x4, acc3_f32x4);
    x += block;
    y += block;
    n -= block;
  }
  if (n != 0) {
    float32x4_t acc_f32x4 = vdupq_n_f32(0.0f);
    for (; n >= 4; n -= 4, x += 4, y += 4) {
      const float32x4_t e_f32x4 = fsm_neon_exp_minus(x, c_f32x4);
      vst1q_f32(y, e_f32x4);
      acc_f32x4 = vaddq_f32(acc_f32x4, e_f32x4);
    }
    float32x4_t tail_f32x4 = vdupq_n_f32(0.0f);
    if (n != 0) {
      const float32x4_t e_f32x4 =
          fsm_neon_exp_nonpositive(vsubq_f32(fsm_neon_load_partial(x, n, 0.0f), c_f32x4));
      fsm_neon_store_partial(y, n, e_f32x4);
      tail_f32x4 = fsm_neon_zero_unmasked(e_f32x4, fsm_neon_tail_mask(n));
    }
    sum += fsm_neon_fold_f64(acc_f32x4, tail_f32x4, vdupq_n_f32(0.0f), vdupq_n_f32(0.0f));
  }
  return sum;
}

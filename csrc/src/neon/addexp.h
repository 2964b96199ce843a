/*
 * The loop of raddexp and raddstoreexp (neon), over vec.h's loads: compiled
 * per dtype with them. x is read in the storage type, the exps stored in
 * float (for half-precision storage y is the drivers' float scratch).
 */
#ifndef FSM_NEON_ADDEXP_H
#define FSM_NEON_ADDEXP_H

#include "vec.h"

/* sum_i exp(x[i] - c), storing each exp in y unless y is NULL: the one loop
 * of raddexp and raddstoreexp (inlined; the NULL tests fold away). 4
 * vectors per iteration, one float accumulator each, folded into a double
 * every FSM_NEON_SUM_BLOCK elements (16 partial sums of <= 4 terms each).
 * Tail: whole vectors, then one partial vector whose missing lanes are
 * neither read, written nor summed. */
static inline double fsm_neon_addstoreexp(size_t n, const S *x, C c, C *y) {
  const uint8x16x2_t table_u8x16x2 = fsm_neon_expt_table_load();
  const float32x4_t k_f32x4 = fsm_neon_expt_k_load();
  const float32x4_t c_f32x4 = vdupq_n_f32(c);
  double sum = 0.0;
  while (n >= FSM_NEON_UNROLL) {
    const size_t block = fsm_neon_block_length(n);
    float32x4_t acc0_f32x4 = vdupq_n_f32(0.0f);
    float32x4_t acc1_f32x4 = acc0_f32x4, acc2_f32x4 = acc0_f32x4, acc3_f32x4 = acc0_f32x4;
    for (size_t i = 0; i < block; i += FSM_NEON_UNROLL) {
      float32x4_t e0_f32x4 = vsubq_f32(fsm_vload(x + i), c_f32x4);
      float32x4_t e1_f32x4 = vsubq_f32(fsm_vload(x + i + 4), c_f32x4);
      float32x4_t e2_f32x4 = vsubq_f32(fsm_vload(x + i + 8), c_f32x4);
      float32x4_t e3_f32x4 = vsubq_f32(fsm_vload(x + i + 12), c_f32x4);
      fsm_neon_exp4_nonpositive(&e0_f32x4, &e1_f32x4, &e2_f32x4, &e3_f32x4, table_u8x16x2,
                                k_f32x4);
      if (y != NULL) {
        fsm_vstore_c(y + i, e0_f32x4);
        fsm_vstore_c(y + i + 4, e1_f32x4);
        fsm_vstore_c(y + i + 8, e2_f32x4);
        fsm_vstore_c(y + i + 12, e3_f32x4);
      }
      acc0_f32x4 = vaddq_f32(acc0_f32x4, e0_f32x4);
      acc1_f32x4 = vaddq_f32(acc1_f32x4, e1_f32x4);
      acc2_f32x4 = vaddq_f32(acc2_f32x4, e2_f32x4);
      acc3_f32x4 = vaddq_f32(acc3_f32x4, e3_f32x4);
    }
    sum += fsm_neon_fold_f64(acc0_f32x4, acc1_f32x4, acc2_f32x4, acc3_f32x4);
    x += block;
    if (y != NULL) y += block;
    n -= block;
  }
  if (n != 0) {
    float32x4_t acc_f32x4 = vdupq_n_f32(0.0f);
    for (; n >= 4; n -= 4, x += 4) {
      const float32x4_t e_f32x4 = fsm_neon_exp_nonpositive(vsubq_f32(fsm_vload(x), c_f32x4), table_u8x16x2, k_f32x4);
      if (y != NULL) {
        fsm_vstore_c(y, e_f32x4);
        y += 4;
      }
      acc_f32x4 = vaddq_f32(acc_f32x4, e_f32x4);
    }
    float32x4_t tail_f32x4 = vdupq_n_f32(0.0f);
    if (n != 0) {
      const float32x4_t e_f32x4 =
          fsm_neon_exp_nonpositive(vsubq_f32(fsm_vload_tail(x, n), c_f32x4),
                                   table_u8x16x2, k_f32x4);
      if (y != NULL) fsm_vstore_tail_c(y, n, e_f32x4);
      tail_f32x4 = fsm_neon_zero_unmasked(e_f32x4, fsm_neon_tail_mask(n));
    }
    sum += fsm_neon_fold_f64(acc_f32x4, tail_f32x4, vdupq_n_f32(0.0f), vdupq_n_f32(0.0f));
  }
  return sum;
}

#endif /* FSM_NEON_ADDEXP_H */

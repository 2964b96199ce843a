/* rsumsq: shifted sums sum (x - c) and sum (x - c)^2 in double lanes; the
 * difference of two floats is exact in double, its square is fused into the
 * accumulator. The partial tail vector is filled with c (a zero term). */
#include "common.h"

static inline fsm_neon_acc rsumsq_op(fsm_neon_acc acc, float32x4_t x_f32x4, float32x4_t z_f32x4,
                                     fsm_neon_args p) {
  (void)z_f32x4;
  const float64x2_t c_f64x2 = vdupq_n_f64((double)p.a);
  const float64x2_t d0_f64x2 = vsubq_f64(fsm_neon_lo_f64(x_f32x4), c_f64x2);
  const float64x2_t d1_f64x2 = vsubq_f64(fsm_neon_hi_f64(x_f32x4), c_f64x2);
  acc.s0_f64x2 = vaddq_f64(acc.s0_f64x2, d0_f64x2);
  acc.s1_f64x2 = vaddq_f64(acc.s1_f64x2, d1_f64x2);
  acc.q0_f64x2 = vfmaq_f64(acc.q0_f64x2, d0_f64x2, d0_f64x2);
  acc.q1_f64x2 = vfmaq_f64(acc.q1_f64x2, d1_f64x2, d1_f64x2);
  return acc;
}

void fsm_f32_rsumsq__neon(size_t n, const float *x, float c, double *s) {
  const fsm_neon_args p = {c, 0.0f, 0.0f, 0.0f};
  const fsm_neon_acc acc = fsm_neon_sum2(n, x, x, c, c, p, rsumsq_op);
  s[0] = vaddvq_f64(acc.s0_f64x2);
  s[1] = vaddvq_f64(acc.q0_f64x2);
}

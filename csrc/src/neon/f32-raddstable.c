/* raddstable: sum of StableMax's s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0)
 * (NaN takes the second branch and stays NaN). Each term in float (<= 2
 * roundings: 1 - x and the division), summed in double lanes. The partial
 * tail vector is filled with -inf: s(-inf) = 1 / inf = 0. */
#include "common.h"

static inline fsm_neon_acc raddstable_op(fsm_neon_acc acc, float32x4_t x_f32x4,
                                         float32x4_t z_f32x4, fsm_neon_args p) {
  (void)z_f32x4;
  (void)p;
  const float32x4_t s_f32x4 = fsm_neon_scalestable(x_f32x4, vdupq_n_f32(1.0f));
  acc.s0_f64x2 = vaddq_f64(acc.s0_f64x2, fsm_neon_lo_f64(s_f32x4));
  acc.s1_f64x2 = vaddq_f64(acc.s1_f64x2, fsm_neon_hi_f64(s_f32x4));
  return acc;
}

double fsm_f32_raddstable__neon(size_t n, const float *x) {
  const fsm_neon_args p = {0.0f, 0.0f, 0.0f, 0.0f};
  return fsm_neon_acc_sum(fsm_neon_sum2(n, x, x, -INFINITY, -INFINITY, p, raddstable_op));
}

/* rsum: sum of a row in double lanes (each vector widened by FCVTL/FCVTL2,
 * 8 double accumulators), as exact as the scalar kernel's double lanes. */
#include "common.h"

static inline fsm_neon_acc rsum_op(fsm_neon_acc acc, float32x4_t x_f32x4, float32x4_t z_f32x4,
                                   fsm_neon_args p) {
  (void)z_f32x4;
  (void)p;
  acc.s0_f64x2 = vaddq_f64(acc.s0_f64x2, fsm_neon_lo_f64(x_f32x4));
  acc.s1_f64x2 = vaddq_f64(acc.s1_f64x2, fsm_neon_hi_f64(x_f32x4));
  return acc;
}

double fsm_f32_rsum__neon(size_t n, const float *x) {
  const fsm_neon_args p = {0.0f, 0.0f, 0.0f, 0.0f};
  return fsm_neon_acc_sum(fsm_neon_sum2(n, x, x, 0.0f, 0.0f, p, rsum_op));
}

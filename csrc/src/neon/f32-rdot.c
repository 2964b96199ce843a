/* rdot: sum a[i] * b[i]: the products of two floats are exact in double, so
 * each half vector is widened and fused into a double accumulator (FMLA
 * .2D); 8 double accumulators. */
#include "common.h"

static inline fsm_neon_acc rdot_op(fsm_neon_acc acc, float32x4_t a_f32x4, float32x4_t b_f32x4,
                                   fsm_neon_args p) {
  (void)p;
  acc.s0_f64x2 = vfmaq_f64(acc.s0_f64x2, fsm_neon_lo_f64(a_f32x4), fsm_neon_lo_f64(b_f32x4));
  acc.s1_f64x2 = vfmaq_f64(acc.s1_f64x2, fsm_neon_hi_f64(a_f32x4), fsm_neon_hi_f64(b_f32x4));
  return acc;
}

double fsm_f32_rdot__neon(size_t n, const float *a, const float *b) {
  const fsm_neon_args p = {0.0f, 0.0f, 0.0f, 0.0f};
  return fsm_neon_acc_sum(fsm_neon_sum2(n, a, b, 0.0f, 0.0f, p, rdot_op));
}

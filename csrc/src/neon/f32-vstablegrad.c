/* vstablegrad: y = k * s'(x) = k (x >= 0), k / (1 - x)^2 (x < 0, NaN). The
 * x < 0 branch in double lanes: 1 - x is exact there, (1 - x)^2 cannot
 * overflow, one division, one rounding to float (in float it would be four
 * roundings, up to 4 u). */
#include "common.h"

static inline float64x2_t vstablegrad_half(float64x2_t x_f64x2, float64x2_t k_f64x2) {
  const float64x2_t d_f64x2 = vsubq_f64(vdupq_n_f64(1.0), x_f64x2);
  return vdivq_f64(k_f64x2, vmulq_f64(d_f64x2, d_f64x2));
}

static inline float32x4_t vstablegrad_op(float32x4_t x_f32x4, fsm_neon_args p) {
  const float64x2_t k_f64x2 = vdupq_n_f64((double)p.a);
  const float32x4_t neg_f32x4 = fsm_neon_narrow_f64(vstablegrad_half(fsm_neon_lo_f64(x_f32x4), k_f64x2),
                                                    vstablegrad_half(fsm_neon_hi_f64(x_f32x4), k_f64x2));
  return vbslq_f32(vcgeq_f32(x_f32x4, vdupq_n_f32(0.0f)), vdupq_n_f32(p.a), neg_f32x4);
}

void fsm_f32_vstablegrad__neon(size_t n, const float *x, float k, float *y) {
  const fsm_neon_args p = {k, 0.0f, 0.0f, 0.0f};
  fsm_neon_map1(n, x, y, p, vstablegrad_op);
}

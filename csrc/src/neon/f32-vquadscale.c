/* vquadscale: y = s * ((a x + b) x + c), in double lanes like the scalar
 * kernel (x^2 cannot overflow, the quadratic is fused twice, one final
 * rounding to float that matters). */
#include "common.h"

static inline float64x2_t vquadscale_half(float64x2_t x_f64x2, fsm_neon_args p) {
  const float64x2_t t_f64x2 = vfmaq_f64(vdupq_n_f64((double)p.b), vdupq_n_f64((double)p.a), x_f64x2);
  const float64x2_t q_f64x2 = vfmaq_f64(vdupq_n_f64((double)p.c), t_f64x2, x_f64x2);
  return vmulq_f64(vdupq_n_f64((double)p.d), q_f64x2);
}

static inline float32x4_t vquadscale_op(float32x4_t x_f32x4, fsm_neon_args p) {
  return fsm_neon_narrow_f64(vquadscale_half(fsm_neon_lo_f64(x_f32x4), p),
                             vquadscale_half(fsm_neon_hi_f64(x_f32x4), p));
}

void fsm_f32_vquadscale__neon(size_t n, const float *x, float a, float b, float c, float s,
                              float *y) {
  const fsm_neon_args p = {a, b, c, s};
  fsm_neon_map1(n, x, y, p, vquadscale_op);
}

/* vlogquad: y = log((a x + b) x + c) - k. The quadratic in double lanes
 * (as vquadscale: it may leave the float range, e.g. x = 1e30), its log by
 * fsm_neon_log_f64 (exponent from the double's bits, float polynomial),
 * then - k in float. The quadratic of floats is never a double subnormal
 * (|q| >= 2^-499 or 0) and never -0: c + 0 is +0 for c = -0, and a fused
 * sum that is exactly zero is +0 (round to nearest), as log_f64 needs. */
#include "common.h"

static inline float64x2_t vlogquad_half(float64x2_t x_f64x2, fsm_neon_args p) {
  const float64x2_t t_f64x2 = vfmaq_f64(vdupq_n_f64((double)p.b), vdupq_n_f64((double)p.a), x_f64x2);
  return vfmaq_f64(vdupq_n_f64((double)p.c), t_f64x2, x_f64x2);
}

static inline float32x4_t vlogquad_op(float32x4_t x_f32x4, fsm_neon_args p) {
  const float32x4_t log_f32x4 = fsm_neon_log_f64(vlogquad_half(fsm_neon_lo_f64(x_f32x4), p),
                                                 vlogquad_half(fsm_neon_hi_f64(x_f32x4), p));
  return vsubq_f32(log_f32x4, vdupq_n_f32(p.d));
}

void fsm_f32_vlogquad__neon(size_t n, const float *x, float a, float b, float c, float k,
                            float *y) {
  const fsm_neon_args p = {a, b, c + 0.0f, k};
  fsm_neon_map1(n, x, y, p, vlogquad_op);
}

/* vsubscaleexp: y = b - s * exp(a) for a <= 0 (log-softmax VJP), with the
 * three-pass kernels' table exp (0 for -inf and below about -87.3) and one
 * FMLS. */
#include "common.h"

static inline float32x4_t vsubscaleexp_op(float32x4_t a_f32x4, float32x4_t b_f32x4,
                                          fsm_neon_args p) {
  return vfmsq_f32(b_f32x4, vdupq_n_f32(p.a), fsm_neon_exp_nonpositive(a_f32x4));
}

void fsm_f32_vsubscaleexp__neon(size_t n, const float *a, const float *b, float s, float *y) {
  const fsm_neon_args p = {s, 0.0f, 0.0f, 0.0f};
  fsm_neon_map2(n, a, b, y, p, vsubscaleexp_op);
}

/* vaxpbyc: y = (a * x + b * z) + c: b z, then a x fused into it, then + c. */
#include "common.h"

static inline float32x4_t vaxpbyc_op(float32x4_t x_f32x4, float32x4_t z_f32x4, fsm_neon_args p) {
  const float32x4_t t_f32x4 =
      vfmaq_f32(vmulq_f32(vdupq_n_f32(p.b), z_f32x4), vdupq_n_f32(p.a), x_f32x4);
  return vaddq_f32(t_f32x4, vdupq_n_f32(p.c));
}

void fsm_f32_vaxpbyc__neon(size_t n, const float *x, const float *z, float a, float b, float c,
                           float *y) {
  const fsm_neon_args p = {a, b, c, 0.0f};
  fsm_neon_map2(n, x, z, y, p, vaxpbyc_op);
}

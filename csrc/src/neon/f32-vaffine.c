/* vaffine: y = a * (x - c) + b, the multiply-add fused. */
#include "common.h"

static inline float32x4_t vaffine_op(float32x4_t x_f32x4, fsm_neon_args p) {
  return vfmaq_f32(vdupq_n_f32(p.b), vdupq_n_f32(p.a), vsubq_f32(x_f32x4, vdupq_n_f32(p.c)));
}

void fsm_f32_vaffine__neon(size_t n, const float *x, float a, float c, float b, float *y) {
  const fsm_neon_args p = {a, b, c, 0.0f};
  fsm_neon_map1(n, x, y, p, vaffine_op);
}

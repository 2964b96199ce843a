/* vsubmul: y = a * (b - s) (softmax VJP; y == a or y == b allowed), the
 * same two roundings as the scalar kernel. */
#include "common.h"

static inline float32x4_t vsubmul_op(float32x4_t a_f32x4, float32x4_t b_f32x4, fsm_neon_args p) {
  return vmulq_f32(a_f32x4, vsubq_f32(b_f32x4, vdupq_n_f32(p.a)));
}

void fsm_f32_vsubmul__neon(size_t n, const float *a, const float *b, float s, float *y) {
  const fsm_neon_args p = {s, 0.0f, 0.0f, 0.0f};
  fsm_neon_map2(n, a, b, y, p, vsubmul_op);
}

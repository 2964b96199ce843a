/* vscale: y = s * x (three-pass reload, pass 3; y == x allowed), on the
 * elementwise loop of common.h (4 vectors per iteration, all loaded before
 * any store, so in place is safe; partial tail vector). */
#include "common.h"

static inline float32x4_t vscale_op(float32x4_t x_f32x4, fsm_neon_args p) {
  return vmulq_f32(x_f32x4, vdupq_n_f32(p.a));
}

void fsm_f32_vscale__neon(size_t n, const float *x, float s, float *y) {
  const fsm_neon_args p = {s, 0.0f, 0.0f, 0.0f};
  fsm_neon_map1(n, x, y, p, vscale_op);
}

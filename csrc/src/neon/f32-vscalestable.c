/* vscalestable: y = k * s(x) (StableMax): k x + k fused for x >= 0,
 * k / (1 - x) for x < 0 and NaN (<= 2 roundings). */
#include "common.h"

static inline float32x4_t vscalestable_op(float32x4_t x_f32x4, fsm_neon_args p) {
  return fsm_neon_scalestable(x_f32x4, vdupq_n_f32(p.a));
}

void fsm_f32_vscalestable__neon(size_t n, const float *x, float k, float *y) {
  const fsm_neon_args p = {k, 0.0f, 0.0f, 0.0f};
  fsm_neon_map1(n, x, y, p, vscalestable_op);
}

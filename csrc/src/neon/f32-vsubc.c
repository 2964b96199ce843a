/* vsubc: y = (x - c_hi) - c_lo (log-softmax, last pass; y == x allowed).
 * Two separate FSUBs, never fused, so the result is exactly the scalar
 * one; on the elementwise loop of common.h (4 vectors per iteration,
 * partial tail vector). */
#include "common.h"

static inline float32x4_t vsubc_op(float32x4_t x_f32x4, fsm_neon_args p) {
  return vsubq_f32(vsubq_f32(x_f32x4, vdupq_n_f32(p.a)), vdupq_n_f32(p.b));
}

void fsm_f32_vsubc__neon(size_t n, const float *x, float c_hi, float c_lo, float *y) {
  const fsm_neon_args p = {c_hi, c_lo, 0.0f, 0.0f};
  fsm_neon_map1(n, x, y, p, vsubc_op);
}

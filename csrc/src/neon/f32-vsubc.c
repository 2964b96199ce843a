/* vsubc: y = (x - c_hi) - c_lo (log-softmax, last pass; y == x allowed).
 * Two separate FSUBs, never fused, so the result is exactly the scalar
 * one. 4 vectors per iteration; partial tail vector. */
#include "common.h"

void fsm_f32_vsubc__neon(size_t n, const float *x, float c_hi, float c_lo, float *y) {
  const float32x4_t hi_f32x4 = vdupq_n_f32(c_hi);
  const float32x4_t lo_f32x4 = vdupq_n_f32(c_lo);
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    const float32x4_t x0_f32x4 = vld1q_f32(x + 0);
    const float32x4_t x1_f32x4 = vld1q_f32(x + 4);
    const float32x4_t x2_f32x4 = vld1q_f32(x + 8);
    const float32x4_t x3_f32x4 = vld1q_f32(x + 12);
    vst1q_f32(y + 0, vsubq_f32(vsubq_f32(x0_f32x4, hi_f32x4), lo_f32x4));
    vst1q_f32(y + 4, vsubq_f32(vsubq_f32(x1_f32x4, hi_f32x4), lo_f32x4));
    vst1q_f32(y + 8, vsubq_f32(vsubq_f32(x2_f32x4, hi_f32x4), lo_f32x4));
    vst1q_f32(y + 12, vsubq_f32(vsubq_f32(x3_f32x4, hi_f32x4), lo_f32x4));
  }
  for (; n >= 4; n -= 4, x += 4, y += 4)
    vst1q_f32(y, vsubq_f32(vsubq_f32(vld1q_f32(x), hi_f32x4), lo_f32x4));
  if (n != 0) {
    const float32x4_t x_f32x4 = fsm_neon_load_partial(x, n, 0.0f);
    fsm_neon_store_partial(y, n, vsubq_f32(vsubq_f32(x_f32x4, hi_f32x4), lo_f32x4));
  }
}

/* vscale: y = s * x (three-pass reload, pass 3; y == x allowed). Pure
 * streaming: 4 vectors per iteration so loads, multiplies and stores of
 * consecutive vectors overlap; partial tail vector. Each vector is loaded
 * before its store, so in place is safe. */
#include "common.h"

void fsm_f32_vscale__neon(size_t n, const float *x, float s, float *y) {
  const float32x4_t s_f32x4 = vdupq_n_f32(s);
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    const float32x4_t x0_f32x4 = vld1q_f32(x + 0);
    const float32x4_t x1_f32x4 = vld1q_f32(x + 4);
    const float32x4_t x2_f32x4 = vld1q_f32(x + 8);
    const float32x4_t x3_f32x4 = vld1q_f32(x + 12);
    vst1q_f32(y + 0, vmulq_f32(x0_f32x4, s_f32x4));
    vst1q_f32(y + 4, vmulq_f32(x1_f32x4, s_f32x4));
    vst1q_f32(y + 8, vmulq_f32(x2_f32x4, s_f32x4));
    vst1q_f32(y + 12, vmulq_f32(x3_f32x4, s_f32x4));
  }
  for (; n >= 4; n -= 4, x += 4, y += 4) vst1q_f32(y, vmulq_f32(vld1q_f32(x), s_f32x4));
  if (n != 0) fsm_neon_store_partial(y, n, vmulq_f32(fsm_neon_load_partial(x, n, 0.0f), s_f32x4));
}

/* vsubscaleexp: y = b - s * exp(a) for a <= 0 (log-softmax VJP), with the
 * three-pass kernels' table exp (0 for -inf and below about -87.3) and one
 * FMLS. The loop of common.h's fsm_neon_map2 (4 vectors per iteration, all
 * loaded before any store, so y == a or y == b is fine; whole vectors, then
 * a partial vector whose lanes past n are neither read nor written),
 * written out to load the exp's table and constants once, before the loops,
 * and to take the 4 exps in pairs (fsm_neon_exp4_nonpositive). */
#include "common.h"

void fsm_f32_vsubscaleexp__neon(size_t n, const float *a, const float *b, float s, float *y) {
  const uint8x16x2_t table_u8x16x2 = fsm_neon_expt_table_load();
  const float32x4_t k_f32x4 = fsm_neon_expt_k_load();
  const float32x4_t s_f32x4 = vdupq_n_f32(s);
  for (; n >= FSM_NEON_UNROLL;
       n -= FSM_NEON_UNROLL, a += FSM_NEON_UNROLL, b += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    float32x4_t e0_f32x4 = vld1q_f32(a + 0), e1_f32x4 = vld1q_f32(a + 4);
    float32x4_t e2_f32x4 = vld1q_f32(a + 8), e3_f32x4 = vld1q_f32(a + 12);
    const float32x4_t b0_f32x4 = vld1q_f32(b + 0), b1_f32x4 = vld1q_f32(b + 4);
    const float32x4_t b2_f32x4 = vld1q_f32(b + 8), b3_f32x4 = vld1q_f32(b + 12);
    fsm_neon_exp4_nonpositive(&e0_f32x4, &e1_f32x4, &e2_f32x4, &e3_f32x4, table_u8x16x2,
                              k_f32x4);
    vst1q_f32(y + 0, vfmsq_f32(b0_f32x4, s_f32x4, e0_f32x4));
    vst1q_f32(y + 4, vfmsq_f32(b1_f32x4, s_f32x4, e1_f32x4));
    vst1q_f32(y + 8, vfmsq_f32(b2_f32x4, s_f32x4, e2_f32x4));
    vst1q_f32(y + 12, vfmsq_f32(b3_f32x4, s_f32x4, e3_f32x4));
  }
  for (; n >= 4; n -= 4, a += 4, b += 4, y += 4) {
    const float32x4_t e_f32x4 = fsm_neon_exp_nonpositive(vld1q_f32(a), table_u8x16x2, k_f32x4);
    vst1q_f32(y, vfmsq_f32(vld1q_f32(b), s_f32x4, e_f32x4));
  }
  if (n != 0) {
    const float32x4_t e_f32x4 =
        fsm_neon_exp_nonpositive(fsm_neon_load_partial(a, n, 0.0f), table_u8x16x2, k_f32x4);
    fsm_neon_store_partial(y, n, vfmsq_f32(fsm_neon_load_partial(b, n, 0.0f), s_f32x4, e_f32x4));
  }
}

/* vlogstable: y = log s(x) - k = log1p(|x|) with x's sign, - k (log-
 * StableMax): fsm_neon_log1p_nonnegative, the sign copied by BSL (log1p of
 * -inf gives -inf, of NaN NaN). */
#include "common.h"

static inline float32x4_t vlogstable_op(float32x4_t x_f32x4, fsm_neon_args p) {
  const float32x4_t l_f32x4 = fsm_neon_log1p_nonnegative(vabsq_f32(x_f32x4));
  const float32x4_t signed_f32x4 = vbslq_f32(vdupq_n_u32(0x80000000u), x_f32x4, l_f32x4);
  return vsubq_f32(signed_f32x4, vdupq_n_f32(p.a));
}

void fsm_f32_vlogstable__neon(size_t n, const float *x, float k, float *y) {
  const fsm_neon_args p = {k, 0.0f, 0.0f, 0.0f};
  fsm_neon_map1(n, x, y, p, vlogstable_op);
}

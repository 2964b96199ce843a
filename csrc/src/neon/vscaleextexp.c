/* vscaleextexp: y = exp(x) * s * 2^e = (p * s) * 2^(n + e) (two-pass pass
 * 2), recomputing raddextexp's (p, n) with the same helper; n + e <= 0,
 * and scales 2^k with k <= -127 are 0 (built by FCVTZU from k + 127). 4 vectors per iteration
 * (independent chains); whole vectors, then a partial tail vector. */
#include "vec.h"

static inline float32x4_t vscaleextexp_f32x4(float32x4_t x_f32x4, float32x4_t s_f32x4,
                                             float32x4_t e127_f32x4) {
  float32x4_t n_f32x4;
  const float32x4_t p_f32x4 = fsm_neon_extexp(x_f32x4, &n_f32x4);
  return vmulq_f32(vmulq_f32(p_f32x4, s_f32x4),
                   fsm_neon_exp2_biased127(vaddq_f32(n_f32x4, e127_f32x4)));
}

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  const float32x4_t s_f32x4 = vdupq_n_f32(s);
  /* e + 127, exact: e is an integer of magnitude below 2^16 */
  const float32x4_t e_f32x4 = vdupq_n_f32(e + 127.0f);
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    const float32x4_t y0_f32x4 = vscaleextexp_f32x4(fsm_vload(x + 0), s_f32x4, e_f32x4);
    const float32x4_t y1_f32x4 = vscaleextexp_f32x4(fsm_vload(x + 4), s_f32x4, e_f32x4);
    const float32x4_t y2_f32x4 = vscaleextexp_f32x4(fsm_vload(x + 8), s_f32x4, e_f32x4);
    const float32x4_t y3_f32x4 = vscaleextexp_f32x4(fsm_vload(x + 12), s_f32x4, e_f32x4);
    fsm_vstore(y + 0, y0_f32x4);
    fsm_vstore(y + 4, y1_f32x4);
    fsm_vstore(y + 8, y2_f32x4);
    fsm_vstore(y + 12, y3_f32x4);
  }
  for (; n >= 4; n -= 4, x += 4, y += 4)
    fsm_vstore(y, vscaleextexp_f32x4(fsm_vload(x), s_f32x4, e_f32x4));
  if (n != 0) {
    const float32x4_t x_f32x4 = fsm_vload_tail(x, n);
    fsm_vstore_tail(y, n, vscaleextexp_f32x4(x_f32x4, s_f32x4, e_f32x4));
  }
}

#if !defined(FSM_DTYPE_HALF)
/* stores as vscaleextexp: no non-temporal hint is used on NEON */
void FSM_KERNEL_NAME(FSM_DT, vscaleextexp_nt, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  FSM_KERNEL_NAME(FSM_DT, vscaleextexp, FSM_KERNEL_ISA)(n, x, s, e, y);
}
#endif

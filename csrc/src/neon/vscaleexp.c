/* vscaleexp: y = s * exp(x - c) (three-pass recompute, pass 3). 4 vectors
 * per iteration (independent exp chains, nothing loop-carried); whole
 * vectors, then a partial vector for the tail. */
#include "vec.h"

void FSM_KERNEL_NAME(FSM_DT, vscaleexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  const uint8x16x2_t table_u8x16x2 = fsm_neon_expt_table_load();
  const float32x4_t k_f32x4 = fsm_neon_expt_k_load();
  const float32x4_t c_f32x4 = vdupq_n_f32(c);
  const float32x4_t s_f32x4 = vdupq_n_f32(s);
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    float32x4_t e0_f32x4 = vsubq_f32(fsm_vload(x + 0), c_f32x4);
    float32x4_t e1_f32x4 = vsubq_f32(fsm_vload(x + 4), c_f32x4);
    float32x4_t e2_f32x4 = vsubq_f32(fsm_vload(x + 8), c_f32x4);
    float32x4_t e3_f32x4 = vsubq_f32(fsm_vload(x + 12), c_f32x4);
    fsm_neon_exp4_nonpositive(&e0_f32x4, &e1_f32x4, &e2_f32x4, &e3_f32x4, table_u8x16x2,
                              k_f32x4);
    fsm_vstore(y + 0, vmulq_f32(s_f32x4, e0_f32x4));
    fsm_vstore(y + 4, vmulq_f32(s_f32x4, e1_f32x4));
    fsm_vstore(y + 8, vmulq_f32(s_f32x4, e2_f32x4));
    fsm_vstore(y + 12, vmulq_f32(s_f32x4, e3_f32x4));
  }
  for (; n >= 4; n -= 4, x += 4, y += 4)
    fsm_vstore(y, vmulq_f32(s_f32x4, fsm_neon_exp_nonpositive(vsubq_f32(fsm_vload(x), c_f32x4), table_u8x16x2, k_f32x4)));
  if (n != 0) {
    const float32x4_t e_f32x4 =
        fsm_neon_exp_nonpositive(vsubq_f32(fsm_vload_tail(x, n), c_f32x4),
                                 table_u8x16x2, k_f32x4);
    fsm_vstore_tail(y, n, vmulq_f32(s_f32x4, e_f32x4));
  }
}

#if !defined(FSM_DTYPE_HALF)
/* stores as vscaleexp: no non-temporal hint is used on NEON */
void FSM_KERNEL_NAME(FSM_DT, vscaleexp_nt, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  FSM_KERNEL_NAME(FSM_DT, vscaleexp, FSM_KERNEL_ISA)(n, x, c, s, y);
}
#endif

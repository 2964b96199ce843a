/* vcapgrad: y = g * s * (1 - tanh(s x / c)^2), the soft cap's chain rule
 * (d/dx of c tanh(s x / c)) applied to the gradient g with respect to the
 * capped logits; tanh as in the forward pass (generic.h). y == g allowed. */
#include "generic.h"

#if !defined(FSM_DTYPE_HALF) /* a fused-options kernel: float32 and float64 only */

static inline fsm_vf cap_slope(fsm_vf x, fsm_vf g, fsm_vf s, fsm_vf inv_c) {
  const fsm_vf t = fsm_vtanh(fsm_vmul(fsm_vmul(x, s), inv_c));
  return fsm_vmul(fsm_vmul(g, s), fsm_vsub(fsm_vset1((C)1), fsm_vmul(t, t)));
}

void FSM_GENERIC_KERNEL(vcapgrad)(size_t n, const S *x, const S *g, C s, C c, S *y) {
  const fsm_vf s_v = fsm_vset1(s), inv_c = fsm_vset1((C)1 / c);
#define OP(x_v, g_v) cap_slope(x_v, g_v, s_v, inv_c)
  FSM_VEC_MAP2(n, x, g, y, 2, OP);
#undef OP
}

#endif

/* vaffine: y = a * (x - c) + b (the spherical-family gradients, label
 * smoothing offsets): a subtract and a multiply-add (fused where the ISA
 * has FMA); y == x allowed. Memory bound: 4 vectors per iteration. */
#include "generic.h"

#if !defined(FSM_DTYPE_HALF) /* a training kernel: float32 and float64 only */

void FSM_GENERIC_KERNEL(vaffine)(size_t n, const S *x, C a, C c, C b, S *y) {
  const fsm_vf a_v = fsm_vset1(a), c_v = fsm_vset1(c), b_v = fsm_vset1(b);
#define OP(x_v) fsm_vfma(a_v, fsm_vsub(x_v, c_v), b_v)
  FSM_VEC_MAP1(n, x, y, 4, OP);
#undef OP
}

#endif

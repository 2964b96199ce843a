/* vaxpbyc: y = (a * x + b * z) + c (the soft-target cross-entropy
 * gradient); y == x or y == z allowed. Memory bound: 4 vectors per
 * iteration. */
#include "generic.h"

#if !defined(FSM_DTYPE_HALF) /* a training kernel: float32 and float64 only */

void FSM_GENERIC_KERNEL(vaxpbyc)(size_t n, const S *x, const S *z, C a, C b, C c, S *y) {
  const fsm_vf a_v = fsm_vset1(a), b_v = fsm_vset1(b), c_v = fsm_vset1(c);
#define OP(x_v, z_v) fsm_vadd(fsm_vfma(a_v, x_v, fsm_vmul(b_v, z_v)), c_v)
  FSM_VEC_MAP2(n, x, z, y, 4, OP);
#undef OP
}

#endif

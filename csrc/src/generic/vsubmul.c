/* vsubmul: y = a * (b - s) (the softmax VJP's pass); y == a or y == b
 * allowed. Memory bound: 4 vectors per iteration. */
#include "generic.h"

#if !defined(FSM_DTYPE_HALF) /* a training kernel: float32 and float64 only */

void FSM_GENERIC_KERNEL(vsubmul)(size_t n, const S *a, const S *b, C s, S *y) {
  const fsm_vf s_v = fsm_vset1(s);
#define OP(a_v, b_v) fsm_vmul(a_v, fsm_vsub(b_v, s_v))
  FSM_VEC_MAP2(n, a, b, y, 4, OP);
#undef OP
}

#endif

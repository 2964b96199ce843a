/* vsubc: y = (x - c_hi) - c_lo (log-softmax's last pass, the constant as
 * a hi + lo pair; y == x allowed). Memory bound: 2 vectors per iteration
 * (avx2 sweep on Zen 3, bench/c/README.md). */
#include "generic.h"

void FSM_GENERIC_KERNEL(vsubc)(size_t n, const S *x, C c_hi, C c_lo, S *y) {
  const fsm_vf hi_v = fsm_vset1(c_hi), lo_v = fsm_vset1(c_lo);
#define OP(x_v) fsm_vsub(fsm_vsub(x_v, hi_v), lo_v)
  FSM_VEC_MAP1(n, x, y, 2, OP);
#undef OP
}

/* vscale: y = s * x (the reload's last pass; y == x allowed). Memory
 * bound: 4 vectors per iteration (avx2 sweep on Zen 3, bench/c/README.md). */
#include "generic.h"

void FSM_GENERIC_KERNEL(vscale)(size_t n, const S *x, C s, S *y) {
  const fsm_vf s_v = fsm_vset1(s);
#define OP(x_v) fsm_vmul(s_v, x_v)
  FSM_VEC_MAP1(n, x, y, 4, OP);
#undef OP
}

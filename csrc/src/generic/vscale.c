/* vscale: y = s * x (the reload's last pass; y == x allowed), x in the
 * computing type (the reload's exps: a float scratch for half storage). Memory
 * bound: 4 vectors per iteration (avx2 sweep on Zen 3, bench/c/README.md). */
#include "generic.h"

void FSM_GENERIC_KERNEL(vscale)(size_t n, const C *x, C s, S *y) {
  const fsm_vf s_v = fsm_vset1(s);
  const size_t w = FSM_VEC_LANES;
  size_t j = 0;
  for (; j + 4 * w <= n; j += 4 * w)
    for (size_t v = 0; v < 4; v += 2)
      fsm_vstore2(y + j + w * v, fsm_vmul(s_v, fsm_vload_c(x + j + w * v)),
                  fsm_vmul(s_v, fsm_vload_c(x + j + w * (v + 1))));
  for (; j + w <= n; j += w) fsm_vstore(y + j, fsm_vmul(s_v, fsm_vload_c(x + j)));
  if (j < n) fsm_vstore_tail(y + j, n - j, fsm_vmul(s_v, fsm_vload_tail_c(x + j, n - j)));
}

/* rmax: the max of a row in FSM_VEC_ACCS independent running maxima (one
 * chain would wait on the max's latency), one vector per accumulator per
 * iteration; the tail is one load filled with -inf (nothing read past the
 * row). Whether a NaN wins depends on the ISA's max, which the contract
 * allows: the exp pass turns a NaN row into NaN anyway (docs/math.md).
 * avx2 on Zen 4: 4 accumulators 29 elements/ns, one 15 (bench/results). */
#include "generic.h"

C FSM_GENERIC_KERNEL(rmax)(size_t n, const S *x) {
  const size_t w = FSM_VEC_LANES;
  fsm_vf max_v[FSM_VEC_ACCS];
  for (int a = 0; a < FSM_VEC_ACCS; a++) max_v[a] = fsm_vset1(-(C)INFINITY);
  size_t i = 0;
  for (; i + FSM_VEC_ACCS * w <= n; i += FSM_VEC_ACCS * w)
    for (int a = 0; a < FSM_VEC_ACCS; a++) max_v[a] = fsm_vmax(max_v[a], fsm_vload(x + i + w * a));
  for (; i + w <= n; i += w) max_v[0] = fsm_vmax(max_v[0], fsm_vload(x + i));
  if (i < n) {
    const int a = 1 % FSM_VEC_ACCS;
    max_v[a] = fsm_vmax(max_v[a], fsm_vload_tail_fill(x + i, n - i, -(C)INFINITY));
  }
  for (int a = 1; a < FSM_VEC_ACCS; a++) max_v[0] = fsm_vmax(max_v[0], max_v[a]);
  return fsm_vreduce_max(max_v[0]);
}

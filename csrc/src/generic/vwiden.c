/* vwiden: y = x converted from the half-precision storage type to float
 * (exact), the training drivers' widening of a block of a row into a float
 * scratch (typed/half_training.c). Half storage only; narrowing back is
 * vscale with s = 1 (exact before its one rounding). */
#include "generic.h"

#if defined(FSM_DTYPE_HALF)

void FSM_GENERIC_KERNEL(vwiden)(size_t n, const S *x, C *y) {
  const size_t w = FSM_VEC_LANES;
  size_t j = 0;
  for (; j + 4 * w <= n; j += 4 * w)
    for (size_t v = 0; v < 4; v++) fsm_vstore_c(y + j + w * v, fsm_vload(x + j + w * v));
  for (; j + w <= n; j += w) fsm_vstore_c(y + j, fsm_vload(x + j));
  if (j < n) fsm_vstore_tail_c(y + j, n - j, fsm_vload_tail(x + j, n - j));
}

#endif

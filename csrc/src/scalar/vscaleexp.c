/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass). */
#include "exp.h"
#include "vec.h"

void FSM_KERNEL_NAME(FSM_DT, vscaleexp, scalar)(size_t n, const S *x, C c, C s, S *y) {
  for (size_t i = 0; i < n; i++) fsm_vstore(y + i, s * fsm_scalar_exp_nonpositive(fsm_vload(x + i) - c));
}

#if !defined(FSM_DTYPE_HALF)
/* scalar code stores as vscaleexp (no non-temporal store) */
void FSM_KERNEL_NAME(FSM_DT, vscaleexp_nt, scalar)(size_t n, const S *x, C c, C s, S *y) {
  FSM_KERNEL_NAME(FSM_DT, vscaleexp, scalar)(n, x, c, s, y);
}
#endif

/* vscaleextexp: y = exp(x) * s * 2^e = (p * s) * 2^(n + e), recomputing
 * raddextexp's (p, n); n + e <= 0, and scales below 2^-126 flush to 0. */
#include "exp.h"
#include "vec.h"

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, scalar)(size_t n, const S *x, C s, C e, S *y) {
  for (size_t i = 0; i < n; i++) {
    float k;
    const float p = fsm_scalar_extexp(fsm_vload(x + i), &k);
    fsm_vstore(y + i, (p * s) * fsm_scalar_exp2_nonpositive(k + e));
  }
}

#if !defined(FSM_DTYPE_HALF)
/* scalar code stores as vscaleextexp (no non-temporal store) */
void FSM_KERNEL_NAME(FSM_DT, vscaleextexp_nt, scalar)(size_t n, const S *x, C s, C e, S *y) {
  FSM_KERNEL_NAME(FSM_DT, vscaleextexp, scalar)(n, x, s, e, y);
}
#endif

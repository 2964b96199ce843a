/* raddexp: sum(exp(x - c)), nothing stored (three-pass recompute, pass 2):
 * the loop of addexp.h's fsm_neon_addstoreexp without the stores. */
#include "addexp.h"

double FSM_KERNEL_NAME(FSM_DT, raddexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c) {
  return fsm_neon_addstoreexp(n, x, c, NULL);
}

/* raddstoreexp: y = exp(x - c), returns sum(y) (three-pass reload, pass 2):
 * the loop of addexp.h's fsm_neon_addstoreexp. */
#include "addexp.h"

double FSM_KERNEL_NAME(FSM_DT, raddstoreexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C *y) {
  return fsm_neon_addstoreexp(n, x, c, y);
}

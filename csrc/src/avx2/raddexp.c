/* raddexp: sum of exp(x - c) (fsm_math.h exp, 8 lanes), nothing stored:
 * the loop of addexp.h's fsm_avx2_addstoreexp (float adds of 4 vectors in
 * two chains, then double lanes). Measured best (bench/c/README.md, Zen 3):
 * unroll 2, which the two chains keep. */
#include "addexp.h"

double FSM_KERNEL_NAME(FSM_DT, raddexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c) {
  return fsm_avx2_addstoreexp(n, x, c, NULL);
}

/* raddstoreexp: y = exp(x - c) (fsm_math.h exp, 16 lanes), returns sum(y):
 * the loop of addexp.h's fsm_avx512_addstoreexp (float adds of 4 vectors
 * in two chains, then double lanes). NOT measured: no AVX-512 CPU was
 * available (bench/c/README.md). */
#include "addexp.h"

double FSM_KERNEL_NAME(FSM_DT, raddstoreexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C *y) {
  return fsm_avx512_addstoreexp(n, x, c, y);
}

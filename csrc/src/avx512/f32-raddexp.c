/* raddexp: sum of exp(x - c) (fsm_math.h exp, 16 lanes), nothing stored:
 * the loop of common.h's fsm_avx512_addstoreexp (float adds of 4 vectors in
 * two chains, then double lanes). NOT measured: no AVX-512 CPU was
 * available (bench/c/README.md). */
#include "common.h"

double fsm_f32_raddexp__avx512(size_t n, const float *x, float c) {
  return fsm_avx512_addstoreexp(n, x, c, NULL);
}

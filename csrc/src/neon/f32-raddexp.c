/* raddexp: sum(exp(x - c)), nothing stored (three-pass recompute, pass 2):
 * the loop of common.h's fsm_neon_addstoreexp without the stores. */
#include "common.h"

double fsm_f32_raddexp__neon(size_t n, const float *x, float c) {
  return fsm_neon_addstoreexp(n, x, c, NULL);
}

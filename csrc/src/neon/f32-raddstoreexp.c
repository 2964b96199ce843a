/* raddstoreexp: y = exp(x - c), returns sum(y) (three-pass reload, pass 2):
 * the loop of common.h's fsm_neon_addstoreexp. */
#include "common.h"

double fsm_f32_raddstoreexp__neon(size_t n, const float *x, float c, float *y) {
  return fsm_neon_addstoreexp(n, x, c, y);
}

/* rmax: max of a row in FSM_SCALAR_ACCS independent running maxima (one
 * chain would be latency-bound; eight let the compiler use vectors).
 * x > m keeps m on NaN; docs/math.md#nan-and-infinity: the exp pass still turns a NaN row
 * into NaN. */
#include "exp.h"

float fsm_f32_rmax__scalar(size_t n, const float *x) {
  float m[FSM_SCALAR_ACCS];
  for (size_t k = 0; k < FSM_SCALAR_ACCS; k++) m[k] = -INFINITY;
  size_t i = 0;
  for (; i + FSM_SCALAR_ACCS <= n; i += FSM_SCALAR_ACCS)
    for (size_t k = 0; k < FSM_SCALAR_ACCS; k++) m[k] = x[i + k] > m[k] ? x[i + k] : m[k];
  for (; i < n; i++) m[0] = x[i] > m[0] ? x[i] : m[0];
  for (size_t k = 1; k < FSM_SCALAR_ACCS; k++) m[0] = m[k] > m[0] ? m[k] : m[0];
  return m[0];
}

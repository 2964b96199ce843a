/* rdot: sum a[i] * b[i]; the products of two floats are exact in double,
 * accumulated in double lanes. */
#include "exp.h"

double fsm_f32_rdot__scalar(size_t n, const float *a, const float *b) {
  double acc[FSM_SCALAR_ACCS] = {0.0};
  size_t i = 0;
  for (; i + FSM_SCALAR_ACCS <= n; i += FSM_SCALAR_ACCS)
    for (size_t k = 0; k < FSM_SCALAR_ACCS; k++) acc[k] += (double)a[i + k] * (double)b[i + k];
  for (; i < n; i++) acc[0] += (double)a[i] * (double)b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

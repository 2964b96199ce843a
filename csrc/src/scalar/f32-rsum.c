/* rsum: sum of a row in double lanes (a float accumulator would lose half an
 * ulp of a dominant term per add). */
#include "exp.h"

double fsm_f32_rsum__scalar(size_t n, const float *x) {
  double acc[FSM_SCALAR_ACCS] = {0.0};
  size_t i = 0;
  for (; i + FSM_SCALAR_ACCS <= n; i += FSM_SCALAR_ACCS)
    for (size_t k = 0; k < FSM_SCALAR_ACCS; k++) acc[k] += (double)x[i + k];
  for (; i < n; i++) acc[0] += (double)x[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* raddstable: sum of StableMax's s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0), in double
 * (NaN stays NaN: it takes the second branch). */
#include "exp.h"

double fsm_f32_raddstable__scalar(size_t n, const float *x) {
  double acc[4] = {0.0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t k = 0; k < 4; k++) acc[k] += fsm_scalar_stable((double)x[i + k]);
  for (; i < n; i++) acc[0] += fsm_scalar_stable((double)x[i]);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

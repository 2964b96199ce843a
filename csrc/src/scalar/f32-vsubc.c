/* vsubc: y = (x - c_hi) - c_lo (log-softmax, last pass; in place allowed). */
#include "exp.h"

void fsm_f32_vsubc__scalar(size_t n, const float *x, float c_hi, float c_lo, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = (x[i] - c_hi) - c_lo;
}

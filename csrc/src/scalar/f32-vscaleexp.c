/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass). */
#include "exp.h"

void fsm_f32_vscaleexp__scalar(size_t n, const float *x, float c, float s, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * fsm_scalar_exp_nonpositive(x[i] - c);
}

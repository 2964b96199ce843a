/* vsubscaleexp: y = b - s * exp(a) for a <= 0 (the log-softmax VJP: a = z, b = dz),
 * with the three-pass kernels' exp (0 below about -87.7 and for -inf). */
#include "exp.h"

void fsm_f32_vsubscaleexp__scalar(size_t n, const float *a, const float *b, float s, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = b[i] - s * fsm_scalar_exp_nonpositive(a[i]);
}

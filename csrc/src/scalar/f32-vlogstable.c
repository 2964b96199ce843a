/* vlogstable: y = log s(x) - k = log1p(x) - k (x >= 0), -log1p(-x) - k (x < 0):
 * log-StableMax; libm log1p in double, one rounding. */
#include "exp.h"

void fsm_f32_vlogstable__scalar(size_t n, const float *x, float k, float *y) {
  for (size_t i = 0; i < n; i++) {
    const double v = (double)x[i];
    y[i] = (float)((v >= 0.0 ? log1p(v) : -log1p(-v)) - (double)k);
  }
}

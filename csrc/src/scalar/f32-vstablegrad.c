/* vstablegrad: y = k * s'(x) = k * min(1, s(x))^2 (StableMax gradients), in double. */
#include "exp.h"

void fsm_f32_vstablegrad__scalar(size_t n, const float *x, float k, float *y) {
  for (size_t i = 0; i < n; i++) {
    const double v = (double)x[i];
    const double d = v >= 0.0 ? 1.0 : fsm_scalar_stable(v) * fsm_scalar_stable(v);
    y[i] = (float)((double)k * d);
  }
}

/* vaxpbyc: y = a * x + b * z + c (soft-target gradient: a = sum(t) g, x = p, z = t). */
#include "exp.h"

void fsm_f32_vaxpbyc__scalar(size_t n, const float *x, const float *z, float a, float b, float c,
                             float *y) {
  for (size_t i = 0; i < n; i++) y[i] = (a * x[i] + b * z[i]) + c;
}

/* vquadscale: y = s * ((a x + b) x + c): spherical (1, 0, eps) and Taylor (1/2, 1, 1)
 * softmax. Evaluated in double, so x^2 cannot overflow; one rounding to float. */
#include "exp.h"

void fsm_f32_vquadscale__scalar(size_t n, const float *x, float a, float b, float c, float s,
                                float *y) {
  for (size_t i = 0; i < n; i++) {
    const double v = (double)x[i];
    y[i] = (float)((double)s * (((double)a * v + (double)b) * v + (double)c));
  }
}

/* vlogquad: y = log((a x + b) x + c) - k: log-spherical and log-Taylor softmax.
 * Portable code: the quadratic and libm's log in double, rounded once to
 * float (error <= 0.5 ulp + the log's ~1 ulp of double). */
#include "exp.h"

void fsm_f32_vlogquad__scalar(size_t n, const float *x, float a, float b, float c, float k,
                              float *y) {
  for (size_t i = 0; i < n; i++) {
    const double v = (double)x[i];
    y[i] = (float)(log(((double)a * v + (double)b) * v + (double)c) - (double)k);
  }
}

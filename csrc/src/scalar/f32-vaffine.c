/* vaffine: y = a * (x - c) + b: every spherical-family gradient (2 f_q (x - c) + f_s
 * with the statistics' shift c), label-smoothing offsets. */
#include "exp.h"

void fsm_f32_vaffine__scalar(size_t n, const float *x, float a, float c, float b, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = a * (x[i] - c) + b;
}

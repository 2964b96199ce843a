/* vscale: y = s * x (three-pass reload, last pass; in place allowed). */
#include "exp.h"

void fsm_f32_vscale__scalar(size_t n, const float *x, float s, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * x[i];
}

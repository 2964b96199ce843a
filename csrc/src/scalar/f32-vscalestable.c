/* vscalestable: y = k * s(x) (StableMax), in double, one rounding. */
#include "exp.h"

void fsm_f32_vscalestable__scalar(size_t n, const float *x, float k, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = (float)((double)k * fsm_scalar_stable((double)x[i]));
}

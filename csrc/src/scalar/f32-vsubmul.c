/* vsubmul: y = a * (b - s): the softmax VJP's second pass (a = y, b = dy). */
#include "exp.h"

void fsm_f32_vsubmul__scalar(size_t n, const float *a, const float *b, float s, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = a[i] * (b[i] - s);
}

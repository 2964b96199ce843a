/* vscaleextexp: y = exp(x) * s * 2^e = (p * s) * 2^(n + e), recomputing
 * raddextexp's (p, n); n + e <= 0, and scales below 2^-126 flush to 0. */
#include "exp.h"

void fsm_f32_vscaleextexp__scalar(size_t n, const float *x, float s, float e, float *y) {
  for (size_t i = 0; i < n; i++) {
    float k;
    const float p = fsm_scalar_extexp(x[i], &k);
    y[i] = (p * s) * fsm_scalar_exp2_nonpositive(k + e);
  }
}

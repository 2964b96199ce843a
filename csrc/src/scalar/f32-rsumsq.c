/* rsumsq: shifted sums (sum (x - c), sum (x - c)^2), the differences formed in
 * double (exact for float inputs of similar magnitude), four double lanes. */
#include "exp.h"

void fsm_f32_rsumsq__scalar(size_t n, const float *x, float c, double *s) {
  double s1[4] = {0.0}, s2[4] = {0.0};
  const double cd = (double)c;
  size_t i = 0;
  for (; i + 4 <= n; i += 4)
    for (size_t k = 0; k < 4; k++) {
      const double d = (double)x[i + k] - cd;
      s1[k] += d;
      s2[k] += d * d;
    }
  for (; i < n; i++) {
    const double d = (double)x[i] - cd;
    s1[0] += d;
    s2[0] += d * d;
  }
  s[0] = (s1[0] + s1[1]) + (s1[2] + s1[3]);
  s[1] = (s2[0] + s2[1]) + (s2[2] + s2[3]);
}

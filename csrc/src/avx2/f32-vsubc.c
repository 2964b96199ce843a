/* vsubc: y = (x - c_hi) - c_lo (log-softmax, last pass; y == x allowed);
 * tail through a stack copy. Memory bound. Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m256 subc(__m256 x, __m256 hi, __m256 lo) {
  return _mm256_sub_ps(_mm256_sub_ps(x, hi), lo);
}

void fsm_f32_vsubc__avx2(size_t n, const float *x, float c_hi, float c_lo, float *y) {
  const __m256 hi = _mm256_set1_ps(c_hi), lo = _mm256_set1_ps(c_lo);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++)
      _mm256_storeu_ps(y + i + 8 * u, subc(_mm256_loadu_ps(x + i + 8 * u), hi, lo));
  }
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, subc(_mm256_loadu_ps(x + i), hi, lo));
  if (i < n) {
    fsm_avx2_store_tail(y + i, n - i, subc(fsm_avx2_load_tail(x + i, n - i), hi, lo));
  }
}

/* vscale: y = s * x (three-pass reload, last pass; y == x allowed); tail
 * through a stack copy. Memory bound. Measured best (bench/c/README.md, Zen 3): unroll 4. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vscale__avx2(size_t n, const float *x, float s, float *y) {
  const __m256 s_f32x8 = _mm256_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++)
      _mm256_storeu_ps(y + i + 8 * u, _mm256_mul_ps(s_f32x8, _mm256_loadu_ps(x + i + 8 * u)));
  }
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_mul_ps(s_f32x8, _mm256_loadu_ps(x + i)));
  if (i < n) {
    fsm_avx2_store_tail(y + i, n - i, _mm256_mul_ps(s_f32x8, fsm_avx2_load_tail(x + i, n - i)));
  }
}

/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass); tail
 * through a stack copy. Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

void fsm_f32_vscaleexp__avx2(size_t n, const float *x, float c, float s, float *y) {
  const __m256 c_f32x8 = _mm256_set1_ps(c), s_f32x8 = _mm256_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++) {
      const __m256 e =
          fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8 * u), c_f32x8));
      _mm256_storeu_ps(y + i + 8 * u, _mm256_mul_ps(s_f32x8, e));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), c_f32x8));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(s_f32x8, e));
  }
  if (i < n) {
    const __m256 e =
        fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_avx2_load_tail(x + i, n - i), c_f32x8));
    fsm_avx2_store_tail(y + i, n - i, _mm256_mul_ps(s_f32x8, e));
  }
}

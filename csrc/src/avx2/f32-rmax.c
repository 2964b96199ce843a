/* rmax: running maxima in ACCS vector accumulators, UNROLL vectors per
 * iteration; the tail is copied to the stack and filled with -inf.
 * Measured best (bench/c/README.md, Zen 3): unroll 2 x 1 accumulator. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)
#define ACCS FSM_TUNED_ACCS(1)

float fsm_f32_rmax__avx2(size_t n, const float *x) {
  __m256 max_f32x8[ACCS];
  for (int a = 0; a < ACCS; a++) max_f32x8[a] = _mm256_set1_ps(-INFINITY);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++)
      max_f32x8[u % ACCS] = _mm256_max_ps(max_f32x8[u % ACCS], _mm256_loadu_ps(x + i + 8 * u));
  }
  for (; i + 8 <= n; i += 8) max_f32x8[0] = _mm256_max_ps(max_f32x8[0], _mm256_loadu_ps(x + i));
  if (i < n) {
    const __m256i mask = fsm_avx2_tail_mask(n - i);
    const __m256 v = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), fsm_avx2_load_tail(x + i, n - i),
                                      _mm256_castsi256_ps(mask));
    max_f32x8[0] = _mm256_max_ps(max_f32x8[0], v);
  }
  for (int a = 1; a < ACCS; a++) max_f32x8[0] = _mm256_max_ps(max_f32x8[0], max_f32x8[a]);
  return fsm_avx2_hmax(max_f32x8[0]);
}

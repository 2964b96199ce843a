/* rmax: running maxima in ACCS vector accumulators, UNROLL vectors per
 * iteration; the tail is one masked load filled with -inf (never reads past n).
 * Unroll 4 x 4 accumulators: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)
#define ACCS FSM_TUNED_ACCS(4)

float fsm_f32_rmax__avx512(size_t n, const float *x) {
  __m512 max_f32x16[ACCS];
  for (int a = 0; a < ACCS; a++) max_f32x16[a] = _mm512_set1_ps(-INFINITY);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++)
      max_f32x16[u % ACCS] = _mm512_max_ps(max_f32x16[u % ACCS], _mm512_loadu_ps(x + i + 16 * u));
  }
  for (; i + 16 <= n; i += 16) max_f32x16[0] = _mm512_max_ps(max_f32x16[0], _mm512_loadu_ps(x + i));
  if (i < n) {
    const __m512 v =
        _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), fsm_avx512_tail_mask(n - i), x + i);
    max_f32x16[0] = _mm512_max_ps(max_f32x16[0], v);
  }
  for (int a = 1; a < ACCS; a++) max_f32x16[0] = _mm512_max_ps(max_f32x16[0], max_f32x16[a]);
  return _mm512_reduce_max_ps(max_f32x16[0]);
}

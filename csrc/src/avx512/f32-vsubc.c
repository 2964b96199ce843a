/* vsubc: y = (x - c_hi) - c_lo (log-softmax, last pass; y == x allowed);
 * masked tail. Memory bound. Unroll 4: NOT measured (no AVX-512 CPU was available;
 * bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m512 subc(__m512 x, __m512 hi, __m512 lo) {
  return _mm512_sub_ps(_mm512_sub_ps(x, hi), lo);
}

void fsm_f32_vsubc__avx512(size_t n, const float *x, float c_hi, float c_lo, float *y) {
  const __m512 hi = _mm512_set1_ps(c_hi), lo = _mm512_set1_ps(c_lo);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++)
      _mm512_storeu_ps(y + i + 16 * u, subc(_mm512_loadu_ps(x + i + 16 * u), hi, lo));
  }
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, subc(_mm512_loadu_ps(x + i), hi, lo));
  if (i < n) {
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, mask, subc(_mm512_maskz_loadu_ps(mask, x + i), hi, lo));
  }
}

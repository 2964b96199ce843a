/* vscale: y = s * x (three-pass reload, last pass; y == x allowed); masked
 * tail. Memory bound. Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vscale__avx512(size_t n, const float *x, float s, float *y) {
  const __m512 s_f32x16 = _mm512_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++)
      _mm512_storeu_ps(y + i + 16 * u, _mm512_mul_ps(s_f32x16, _mm512_loadu_ps(x + i + 16 * u)));
  }
  for (; i + 16 <= n; i += 16)
    _mm512_storeu_ps(y + i, _mm512_mul_ps(s_f32x16, _mm512_loadu_ps(x + i)));
  if (i < n) {
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    _mm512_mask_storeu_ps(y + i, mask, _mm512_mul_ps(s_f32x16, _mm512_maskz_loadu_ps(mask, x + i)));
  }
}

/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass); masked
 * tail. Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vscaleexp__avx512(size_t n, const float *x, float c, float s, float *y) {
  const __m512 c_f32x16 = _mm512_set1_ps(c), s_f32x16 = _mm512_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++) {
      const __m512 e =
          fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * u), c_f32x16));
      _mm512_storeu_ps(y + i + 16 * u, _mm512_mul_ps(s_f32x16, e));
    }
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i), c_f32x16));
    _mm512_storeu_ps(y + i, _mm512_mul_ps(s_f32x16, e));
  }
  if (i < n) {
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    const __m512 e =
        fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), c_f32x16));
    _mm512_mask_storeu_ps(y + i, mask, _mm512_mul_ps(s_f32x16, e));
  }
}

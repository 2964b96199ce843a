/* raddstoreexp: y = exp(x - c) (fsm_math.h exp, 16 lanes), returns sum(y).
 * FSM_AVX512_FOLD vectors are added in float (two chains), then
 * accumulated in double lanes (common.h: no precision lost to a dominant
 * term). NOT measured: no AVX-512 CPU was available (bench/c/README.md). */
#include "common.h"

double fsm_f32_raddstoreexp__avx512(size_t n, const float *x, float c, float *y) {
  const __m512 c_f32x16 = _mm512_set1_ps(c);
  fsm_avx512_sum_f64 sum = fsm_avx512_sum_zero();
  size_t i = 0;
  for (; i + FSM_AVX512_FOLD * 16 <= n;) {
    __m512 acc_f32x16[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int v = 0; v < FSM_AVX512_FOLD; v++, i += 16) {
      const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i), c_f32x16));
      _mm512_storeu_ps(y + i, e);
      acc_f32x16[v & 1] = _mm512_add_ps(acc_f32x16[v & 1], e);
    }
    fsm_avx512_sum_add(&sum, _mm512_add_ps(acc_f32x16[0], acc_f32x16[1]));
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i), c_f32x16));
    _mm512_storeu_ps(y + i, e);
    fsm_avx512_sum_add(&sum, e);
  }
  if (i < n) {
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    const __m512 e =
        fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), c_f32x16));
    _mm512_mask_storeu_ps(y + i, mask, e);
    fsm_avx512_sum_add(&sum, _mm512_maskz_mov_ps(mask, e));
  }
  return fsm_avx512_sum_total(sum);
}

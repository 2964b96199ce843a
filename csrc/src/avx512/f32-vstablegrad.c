/* vstablegrad: y = k (x >= 0), k / (1 - x)^2 (x < 0): (1 - x)^2 in double
 * (no overflow), rounded once to float, then one float division (two
 * roundings). NaN stays NaN; -inf gives 0. Unroll 4: NOT measured (no
 * AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m512d square_1mx(__m512d x) {
  const __m512d d = _mm512_sub_pd(_mm512_set1_pd(1.0), x);
  return _mm512_mul_pd(d, d);
}

void fsm_f32_vstablegrad__avx512(size_t n, const float *x, float k, float *y) {
  const __m512 k_f32x16 = _mm512_set1_ps(k);
#define OP(x_f32x16)                                                                       \
  _mm512_mask_blend_ps(                                                                    \
      _mm512_cmp_ps_mask(x_f32x16, _mm512_setzero_ps(), _CMP_GE_OQ),                       \
      _mm512_div_ps(k_f32x16, fsm_avx512_pack_pd(square_1mx(fsm_avx512_cvt_lo(x_f32x16)),  \
                                                 square_1mx(fsm_avx512_cvt_hi(x_f32x16)))), \
      k_f32x16)
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

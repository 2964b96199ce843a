/* vscalestable: y = k * (x + 1) (x >= 0), k / (1 - x) (x < 0) (StableMax),
 * in float: two roundings either way. NaN takes the second branch and
 * stays NaN; -inf gives 0. Unroll 4: NOT measured (no AVX-512 CPU was
 * available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vscalestable__avx512(size_t n, const float *x, float k, float *y) {
  const __m512 k_f32x16 = _mm512_set1_ps(k), one = _mm512_set1_ps(1.0f);
#define OP(x_f32x16)                                                                 \
  _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x_f32x16, _mm512_setzero_ps(), _CMP_GE_OQ), \
                       _mm512_div_ps(k_f32x16, _mm512_sub_ps(one, x_f32x16)),         \
                       _mm512_mul_ps(k_f32x16, _mm512_add_ps(x_f32x16, one)))
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

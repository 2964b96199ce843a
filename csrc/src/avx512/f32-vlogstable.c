/* vlogstable: y = sign(x) log1p(|x|) - k (log-StableMax): common.h's float
 * log1p, the sign of x put back, minus k in float. +-inf give +-inf, NaN
 * stays. Unroll 2: NOT measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m512 log_stable(__m512 x, __m512 k) {
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  const __m512i x_bits = _mm512_castps_si512(x);
  const __m512 ax = _mm512_castsi512_ps(_mm512_andnot_si512(sign, x_bits));
  const __m512 l = fsm_avx512_log1p_ps(ax);
  const __m512i signed_l = _mm512_xor_si512(_mm512_castps_si512(l), _mm512_and_si512(sign, x_bits));
  return _mm512_sub_ps(_mm512_castsi512_ps(signed_l), k);
}

void fsm_f32_vlogstable__avx512(size_t n, const float *x, float k, float *y) {
  const __m512 k_f32x16 = _mm512_set1_ps(k);
#define OP(x_f32x16) log_stable(x_f32x16, k_f32x16)
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

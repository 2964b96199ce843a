/* vlogstable: y = log s(x) - k = sign(x) log1p(|x|) - k (log-StableMax):
 * common.h's float log1p (1 + |x| reduced in float, its rounding error added
 * back; |x| itself where the exponent is 0), the sign of x put back, minus k
 * in float. +-inf give +-inf, NaN stays. Unroll 2 (fsm_training_bench sweep
 * of 1, 2, 4, 8 on a shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m256 log_stable(__m256 x, __m256 k) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_andnot_ps(sign, x);
  const __m256 l = fsm_avx2_log1p_ps(ax);
  return _mm256_sub_ps(_mm256_xor_ps(l, _mm256_and_ps(sign, x)), k);
}

void fsm_f32_vlogstable__avx2(size_t n, const float *x, float k, float *y) {
  const __m256 k_f32x8 = _mm256_set1_ps(k);
#define OP(x_f32x8) log_stable(x_f32x8, k_f32x8)
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

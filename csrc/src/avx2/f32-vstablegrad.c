/* vstablegrad: y = k * s'(x) = k (x >= 0), k / (1 - x)^2 (x < 0). (1 - x)^2
 * is formed in double (exact enough, and no overflow) and rounded once to
 * float, then one float division: two roundings of 2^-24 against four in
 * float. NaN stays NaN (second branch); -inf gives 0. Unroll 4
 * (fsm_training_bench sweep of 1, 2, 4, 8 on a shared Zen 3: 1 slower, 2-8
 * within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m256d square_1mx(__m256d x) {
  const __m256d d = _mm256_sub_pd(_mm256_set1_pd(1.0), x);
  return _mm256_mul_pd(d, d);
}

void fsm_f32_vstablegrad__avx2(size_t n, const float *x, float k, float *y) {
  const __m256 k_f32x8 = _mm256_set1_ps(k);
#define OP(x_f32x8)                                                                           \
  _mm256_blendv_ps(_mm256_div_ps(k_f32x8, fsm_avx2_pack_pd(square_1mx(fsm_avx2_lo_pd(x_f32x8)),   \
                                                           square_1mx(fsm_avx2_hi_pd(x_f32x8)))), \
                   k_f32x8, _mm256_cmp_ps(x_f32x8, _mm256_setzero_ps(), _CMP_GE_OQ))
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

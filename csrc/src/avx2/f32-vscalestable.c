/* vscalestable: y = k * s(x) = k * (x + 1) (x >= 0), k / (1 - x) (x < 0)
 * (StableMax), in float: two roundings either way, within the kernel's 4 *
 * 2^-24 bound. NaN takes the second branch and stays NaN; -inf gives 0.
 * Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a shared Zen 3: 1
 * slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vscalestable__avx2(size_t n, const float *x, float k, float *y) {
  const __m256 k_f32x8 = _mm256_set1_ps(k), one = _mm256_set1_ps(1.0f);
#define OP(x_f32x8)                                                              \
  _mm256_blendv_ps(_mm256_div_ps(k_f32x8, _mm256_sub_ps(one, x_f32x8)),          \
                   _mm256_mul_ps(k_f32x8, _mm256_add_ps(x_f32x8, one)),          \
                   _mm256_cmp_ps(x_f32x8, _mm256_setzero_ps(), _CMP_GE_OQ))
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

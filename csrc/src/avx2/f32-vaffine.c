/* vaffine: y = a * (x - c) + b (the spherical-family gradients, label
 * smoothing offsets): a subtract and an FMA; y == x allowed. Memory bound.
 * Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a shared Zen 3: 1
 * slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vaffine__avx2(size_t n, const float *x, float a, float c, float b, float *y) {
  const __m256 a_f32x8 = _mm256_set1_ps(a), c_f32x8 = _mm256_set1_ps(c), b_f32x8 = _mm256_set1_ps(b);
#define OP(x_f32x8) _mm256_fmadd_ps(a_f32x8, _mm256_sub_ps(x_f32x8, c_f32x8), b_f32x8)
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

/* vaxpbyc: y = (a * x + b * z) + c (the soft-target gradient); y may be x or
 * z. Memory bound. Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a
 * shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vaxpbyc__avx2(size_t n, const float *x, const float *z, float a, float b, float c,
                           float *y) {
  const __m256 a_f32x8 = _mm256_set1_ps(a), b_f32x8 = _mm256_set1_ps(b), c_f32x8 = _mm256_set1_ps(c);
#define OP(x_f32x8, z_f32x8) \
  _mm256_add_ps(_mm256_fmadd_ps(a_f32x8, x_f32x8, _mm256_mul_ps(b_f32x8, z_f32x8)), c_f32x8)
  FSM_AVX2_MAP2(n, x, z, y, UNROLL, OP);
}

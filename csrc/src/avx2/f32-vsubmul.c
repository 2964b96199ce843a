/* vsubmul: y = a * (b - s) (the softmax VJP's second pass: a = y, b = dy); y
 * may be a or b. Memory bound. Unroll 4 (fsm_training_bench sweep of 1, 2,
 * 4, 8 on a shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vsubmul__avx2(size_t n, const float *a, const float *b, float s, float *y) {
  const __m256 s_f32x8 = _mm256_set1_ps(s);
#define OP(a_f32x8, b_f32x8) _mm256_mul_ps(a_f32x8, _mm256_sub_ps(b_f32x8, s_f32x8))
  FSM_AVX2_MAP2(n, a, b, y, UNROLL, OP);
}

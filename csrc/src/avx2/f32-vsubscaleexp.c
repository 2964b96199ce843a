/* vsubscaleexp: y = b - s * exp(a) for a <= 0 (the log-softmax VJP: a = z, b
 * = dz), with the three-pass kernels' exp (common.h: 0 below about -87.3 and
 * for -inf, NaN stays) and one FMA. Unroll 4 (fsm_training_bench sweep of 1,
 * 2, 4, 8 on a shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vsubscaleexp__avx2(size_t n, const float *a, const float *b, float s, float *y) {
  const __m256 s_f32x8 = _mm256_set1_ps(s);
#define OP(a_f32x8, b_f32x8) \
  _mm256_fnmadd_ps(s_f32x8, fsm_avx2_exp_nonpositive(a_f32x8), b_f32x8)
  FSM_AVX2_MAP2(n, a, b, y, UNROLL, OP);
}

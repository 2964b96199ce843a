/* raddexp: sum of exp(x - c) (fsm_math.h exp, 8 lanes), nothing stored.
 * FSM_AVX2_FOLD vectors are added in float, then accumulated in double
 * lanes (common.h: no precision lost to a dominant term).
 * Measured best (bench/c/README.md, Zen 3): unroll 2 (the sweep's winner
 * with float accumulators; folding 4 vectors keeps two independent chains). */
#include "common.h"

double fsm_f32_raddexp__avx2(size_t n, const float *x, float c) {
  const __m256 c_f32x8 = _mm256_set1_ps(c);
  fsm_avx2_sum_f64 sum = fsm_avx2_sum_zero();
  size_t i = 0;
  for (; i + FSM_AVX2_FOLD * 8 <= n;) {
    __m256 acc_f32x8[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int v = 0; v < FSM_AVX2_FOLD; v++, i += 8) {
      const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), c_f32x8));
      acc_f32x8[v & 1] = _mm256_add_ps(acc_f32x8[v & 1], e);
    }
    fsm_avx2_sum_add(&sum, _mm256_add_ps(acc_f32x8[0], acc_f32x8[1]));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), c_f32x8));
    fsm_avx2_sum_add(&sum, e);
  }
  if (i < n) {
    const __m256i mask = fsm_avx2_tail_mask(n - i);
    const __m256 e =
        fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_avx2_load_tail(x + i, n - i), c_f32x8));
    fsm_avx2_sum_add(&sum, _mm256_and_ps(e, _mm256_castsi256_ps(mask)));
  }
  return fsm_avx2_sum_total(sum);
}

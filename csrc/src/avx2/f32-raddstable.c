/* raddstable: sum of StableMax's s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0):
 * s in float (at most two roundings, 2^-23 relative; the double sum bound is
 * 4 * 2^-24), widened to double lanes. NaN takes the second branch (ordered
 * compare) and stays NaN; the tail is filled with -inf, whose s is 0. Unroll
 * 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a shared Zen 3: 1 slower, 2-8
 * within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m256 stable(__m256 x) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 pos = _mm256_add_ps(x, one), neg = _mm256_div_ps(one, _mm256_sub_ps(one, x));
  return _mm256_blendv_ps(neg, pos, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ));
}

double fsm_f32_raddstable__avx2(size_t n, const float *x) {
  fsm_avx2_sum_f64 acc[UNROLL];
  for (int a = 0; a < UNROLL; a++) acc[a] = fsm_avx2_sum_zero();
#define STEP(u, i) fsm_avx2_sum_add(&acc[u], stable(_mm256_loadu_ps(x + (i))))
#define TAIL(i, rem) \
  fsm_avx2_sum_add(&acc[0], stable(fsm_avx2_load_tail_fill(x + (i), rem, -INFINITY)))
  FSM_AVX2_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx2_sums_total(acc, UNROLL);
}

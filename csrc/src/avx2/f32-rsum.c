/* rsum: sum of a row, every vector widened to double lanes (exact terms, as
 * the scalar kernel), UNROLL independent double-lane accumulators. Memory
 * bound out of cache. Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a
 * shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

double fsm_f32_rsum__avx2(size_t n, const float *x) {
  fsm_avx2_sum_f64 acc[UNROLL];
  for (int a = 0; a < UNROLL; a++) acc[a] = fsm_avx2_sum_zero();
#define STEP(u, i) fsm_avx2_sum_add(&acc[u], _mm256_loadu_ps(x + (i)))
#define TAIL(i, rem) fsm_avx2_sum_add(&acc[0], fsm_avx2_load_tail(x + (i), rem))
  FSM_AVX2_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx2_sums_total(acc, UNROLL);
}

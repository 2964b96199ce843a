/* rsum: sum of a row, every vector widened to double lanes (exact terms, as
 * the scalar kernel), UNROLL independent double-lane accumulators; masked
 * tail. Unroll 4: NOT measured (no AVX-512 CPU was available;
 * bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

double fsm_f32_rsum__avx512(size_t n, const float *x) {
  fsm_avx512_sum_f64 acc[UNROLL];
  for (int a = 0; a < UNROLL; a++) acc[a] = fsm_avx512_sum_zero();
#define STEP(u, i) fsm_avx512_sum_add(&acc[u], _mm512_loadu_ps(x + (i)))
#define TAIL(i, mask) fsm_avx512_sum_add(&acc[0], _mm512_maskz_loadu_ps(mask, x + (i)))
  FSM_AVX512_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx512_sums_total(acc, UNROLL);
}

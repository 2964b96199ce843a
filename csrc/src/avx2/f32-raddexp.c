/* raddexp: sum of exp(x - c) (fsm_math.h exp, 8 lanes), nothing stored; ACCS
 * vector accumulators, folded into a double every FSM_AVX2_SUM_BLOCK elements.
 * Measured best (bench/README.md, Zen 3): unroll 2 x 2 accumulators
 * (1 accumulator is as fast but less accurate). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)
#define ACCS FSM_TUNED_ACCS(2)

double fsm_f32_raddexp__avx2(size_t n, const float *x, float c) {
  const __m256 c_f32x8 = _mm256_set1_ps(c);
  double sum = 0.0;
  size_t i = 0;
  while (i < n) {
    const size_t block_end = n - i > FSM_AVX2_SUM_BLOCK ? i + FSM_AVX2_SUM_BLOCK : n;
    __m256 acc_f32x8[ACCS];
    for (int a = 0; a < ACCS; a++) acc_f32x8[a] = _mm256_setzero_ps();
    for (; i + UNROLL * 8 <= block_end; i += UNROLL * 8) {
      for (int u = 0; u < UNROLL; u++) {
        const __m256 e =
            fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i + 8 * u), c_f32x8));
        acc_f32x8[u % ACCS] = _mm256_add_ps(acc_f32x8[u % ACCS], e);
      }
    }
    for (; i + 8 <= block_end; i += 8) {
      const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(x + i), c_f32x8));
      acc_f32x8[0] = _mm256_add_ps(acc_f32x8[0], e);
    }
    if (i < block_end) { /* last block only: the block is a multiple of 8 */
      const __m256i mask = fsm_avx2_tail_mask(block_end - i);
      const __m256 e = fsm_avx2_exp_nonpositive(
          _mm256_sub_ps(fsm_avx2_load_tail(x + i, block_end - i), c_f32x8));
      acc_f32x8[0] = _mm256_add_ps(acc_f32x8[0], _mm256_and_ps(e, _mm256_castsi256_ps(mask)));
      i = block_end;
    }
    for (int a = 1; a < ACCS; a++) acc_f32x8[0] = _mm256_add_ps(acc_f32x8[0], acc_f32x8[a]);
    sum += fsm_avx2_hsum_f64(acc_f32x8[0]);
  }
  return sum;
}

/* raddexp: sum of exp(x - c) (fsm_math.h exp, 16 lanes), nothing stored; ACCS
 * vector accumulators, folded into a double every FSM_SUM_BLOCK elements.
 * Unroll 4 x 2 accumulators: NOT measured (no AVX-512 CPU was available; bench/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)
#define ACCS FSM_TUNED_ACCS(2)

double fsm_f32_raddexp__avx512(size_t n, const float *x, float c) {
  const __m512 c_f32x16 = _mm512_set1_ps(c);
  double sum = 0.0;
  size_t i = 0;
  while (i < n) {
    const size_t block_end = n - i > FSM_SUM_BLOCK ? i + FSM_SUM_BLOCK : n;
    __m512 acc_f32x16[ACCS];
    for (int a = 0; a < ACCS; a++) acc_f32x16[a] = _mm512_setzero_ps();
    for (; i + UNROLL * 16 <= block_end; i += UNROLL * 16) {
      for (int u = 0; u < UNROLL; u++) {
        const __m512 e =
            fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i + 16 * u), c_f32x16));
        acc_f32x16[u % ACCS] = _mm512_add_ps(acc_f32x16[u % ACCS], e);
      }
    }
    for (; i + 16 <= block_end; i += 16) {
      const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(x + i), c_f32x16));
      acc_f32x16[0] = _mm512_add_ps(acc_f32x16[0], e);
    }
    if (i < block_end) { /* last block only: FSM_SUM_BLOCK is a multiple of 16 */
      const __mmask16 mask = fsm_avx512_tail_mask(block_end - i);
      const __m512 e =
          fsm_avx512_exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, x + i), c_f32x16));
      acc_f32x16[0] = _mm512_mask_add_ps(acc_f32x16[0], mask, acc_f32x16[0], e);
      i = block_end;
    }
    for (int a = 1; a < ACCS; a++) acc_f32x16[0] = _mm512_add_ps(acc_f32x16[0], acc_f32x16[a]);
    sum += fsm_avx512_hsum_f64(acc_f32x16[0]);
  }
  return sum;
}

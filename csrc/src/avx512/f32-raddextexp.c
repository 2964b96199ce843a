/* raddextexp: sum exp(x) as (P, N) per lane, Dukhan & Ablavatski: per vector
 * N' = max(n, N), P = P * 2^(N - N') + p * 2^(n - N') with vscalefps (2^-inf
 * = 0); lanes merge exactly into the double fsm_extsum every FSM_SUM_BLOCK
 * elements. Unroll 4 x 4 accumulators: NOT measured (no AVX-512 CPU was available;
 * bench/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)
#define ACCS FSM_TUNED_ACCS(4)

/* One vector into one (P, N) accumulator. n first in the max: a NaN n
 * (NaN input) leaves N alone and poisons P through p. */
#define ACCUMULATE(P, N, x_f32x16)                                              \
  do {                                                                          \
    __m512 n_;                                                                  \
    const __m512 p_ = fsm_avx512_extexp((x_f32x16), &n_);                       \
    const __m512 n_max_ = _mm512_max_ps(n_, (N));                               \
    const __m512 old_ = _mm512_scalef_ps((P), _mm512_sub_ps((N), n_max_));      \
    (P) = _mm512_add_ps(old_, _mm512_scalef_ps(p_, _mm512_sub_ps(n_, n_max_))); \
    (N) = n_max_;                                                               \
  } while (0)

fsm_extsum fsm_f32_raddextexp__avx512(size_t n, const float *x) {
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  size_t i = 0;
  while (i < n) {
    const size_t block_end = n - i > FSM_SUM_BLOCK ? i + FSM_SUM_BLOCK : n;
    __m512 p_f32x16[ACCS], n_f32x16[ACCS];
    for (int a = 0; a < ACCS; a++) {
      p_f32x16[a] = _mm512_setzero_ps();
      n_f32x16[a] = _mm512_set1_ps(-INFINITY);
    }
    for (; i + UNROLL * 16 <= block_end; i += UNROLL * 16) {
      for (int u = 0; u < UNROLL; u++)
        ACCUMULATE(p_f32x16[u % ACCS], n_f32x16[u % ACCS], _mm512_loadu_ps(x + i + 16 * u));
    }
    for (; i + 16 <= block_end; i += 16)
      ACCUMULATE(p_f32x16[0], n_f32x16[0], _mm512_loadu_ps(x + i));
    if (i < block_end) { /* masked-off lanes keep their (P, N) */
      const __mmask16 mask = fsm_avx512_tail_mask(block_end - i);
      __m512 p_tail = p_f32x16[0], n_tail = n_f32x16[0];
      ACCUMULATE(p_tail, n_tail, _mm512_maskz_loadu_ps(mask, x + i));
      p_f32x16[0] = _mm512_mask_mov_ps(p_f32x16[0], mask, p_tail);
      n_f32x16[0] = _mm512_mask_mov_ps(n_f32x16[0], mask, n_tail);
      i = block_end;
    }
    for (int a = 1; a < ACCS; a++)
      fsm_avx512_extsum_merge(&p_f32x16[0], &n_f32x16[0], p_f32x16[a], n_f32x16[a]);
    fsm_avx512_extsum_fold(&sum, p_f32x16[0], n_f32x16[0]);
  }
  return sum;
}

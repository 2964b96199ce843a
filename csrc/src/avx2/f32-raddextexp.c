/* raddextexp: sum exp(x) as (P, N) per lane, Dukhan & Ablavatski: per vector
 * N' = max(n, N), P = P * 2^(N - N') + p * 2^(n - N') (2^k built from bits,
 * 0 for k <= -127); lanes merge exactly into the double fsm_extsum every
 * FSM_SUM_BLOCK elements (accumulators merged in vector first).
 * Measured best (bench/README.md, Zen 3): unroll 2 x 2 accumulators. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)
#define ACCS FSM_TUNED_ACCS(2)

/* One vector into one (P, N) accumulator. n first in the max: a NaN n
 * (NaN input) leaves N alone and poisons P through p. */
#define ACCUMULATE(P, N, x_f32x8)                                                                  \
  do {                                                                                             \
    __m256 n_;                                                                                     \
    const __m256 p_ = fsm_avx2_extexp((x_f32x8), &n_);                                             \
    const __m256 n_max_ = _mm256_max_ps(n_, (N));                                                  \
    const __m256 old_ = _mm256_mul_ps((P), fsm_avx2_exp2_nonpositive(_mm256_sub_ps((N), n_max_))); \
    (P) = _mm256_fmadd_ps(p_, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(n_, n_max_)), old_);         \
    (N) = n_max_;                                                                                  \
  } while (0)

fsm_extsum fsm_f32_raddextexp__avx2(size_t n, const float *x) {
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  size_t i = 0;
  while (i < n) {
    const size_t block_end = n - i > FSM_SUM_BLOCK ? i + FSM_SUM_BLOCK : n;
    __m256 p_f32x8[ACCS], n_f32x8[ACCS];
    for (int a = 0; a < ACCS; a++) {
      p_f32x8[a] = _mm256_setzero_ps();
      n_f32x8[a] = _mm256_set1_ps(-INFINITY);
    }
    for (; i + UNROLL * 8 <= block_end; i += UNROLL * 8) {
      for (int u = 0; u < UNROLL; u++)
        ACCUMULATE(p_f32x8[u % ACCS], n_f32x8[u % ACCS], _mm256_loadu_ps(x + i + 8 * u));
    }
    for (; i + 8 <= block_end; i += 8) ACCUMULATE(p_f32x8[0], n_f32x8[0], _mm256_loadu_ps(x + i));
    if (i < block_end) { /* lanes past the row keep their (P, N) */
      const __m256i mask = fsm_avx2_tail_mask(block_end - i);
      __m256 p_tail = p_f32x8[0], n_tail = n_f32x8[0];
      ACCUMULATE(p_tail, n_tail, fsm_avx2_load_tail(x + i, block_end - i));
      p_f32x8[0] = _mm256_blendv_ps(p_f32x8[0], p_tail, _mm256_castsi256_ps(mask));
      n_f32x8[0] = _mm256_blendv_ps(n_f32x8[0], n_tail, _mm256_castsi256_ps(mask));
      i = block_end;
    }
    for (int a = 1; a < ACCS; a++)
      fsm_avx2_extsum_merge(&p_f32x8[0], &n_f32x8[0], p_f32x8[a], n_f32x8[a]);
    fsm_avx2_extsum_fold(&sum, p_f32x8[0], n_f32x8[0]);
  }
  return sum;
}

/* raddextexp: sum exp(x) as per-lane (P, N), Dukhan & Ablavatski: the
 * UNROLL vectors of an iteration are merged in float (exact rescaling by
 * powers of two, one rounding of the add), then added to the double-lane
 * accumulator (common.h); lanes merge exactly into the fsm_extsum at the end.
 * Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

fsm_extsum fsm_f32_raddextexp__avx2(size_t n, const float *x) {
  fsm_avx2_extsum_f64 sum = fsm_avx2_extsum_zero();
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    __m256 e;
    __m256 p = fsm_avx2_extexp(_mm256_loadu_ps(x + i), &e);
    for (int u = 1; u < UNROLL; u++) {
      __m256 e1;
      const __m256 p1 = fsm_avx2_extexp(_mm256_loadu_ps(x + i + 8 * u), &e1);
      fsm_avx2_extsum_merge(&p, &e, p1, e1);
    }
    fsm_avx2_extsum_add(&sum, p, e);
  }
  for (; i + 8 <= n; i += 8) {
    __m256 e;
    const __m256 p = fsm_avx2_extexp(_mm256_loadu_ps(x + i), &e);
    fsm_avx2_extsum_add(&sum, p, e);
  }
  if (i < n) { /* lanes past the row add nothing: p = 0 at n = -inf */
    const __m256 mask = _mm256_castsi256_ps(fsm_avx2_tail_mask(n - i));
    __m256 e;
    const __m256 p = fsm_avx2_extexp(fsm_avx2_load_tail(x + i, n - i), &e);
    fsm_avx2_extsum_add(&sum, _mm256_and_ps(p, mask),
                        _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), e, mask));
  }
  return fsm_avx2_extsum_total(sum);
}

/* raddextexp: sum exp(x) as per-lane (P, N), Dukhan & Ablavatski: the
 * UNROLL vectors of an iteration are merged in float (exact vscalef
 * rescaling, one rounding of the add), then added to the double-lane
 * accumulator (common.h); lanes merge exactly into the fsm_extsum at the
 * end. Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

fsm_extsum fsm_f32_raddextexp__avx512(size_t n, const float *x) {
  fsm_avx512_extsum_f64 sum = fsm_avx512_extsum_zero();
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    __m512 e;
    __m512 p = fsm_avx512_extexp(_mm512_loadu_ps(x + i), &e);
    for (int u = 1; u < UNROLL; u++) {
      __m512 e1;
      const __m512 p1 = fsm_avx512_extexp(_mm512_loadu_ps(x + i + 16 * u), &e1);
      fsm_avx512_extsum_merge(&p, &e, p1, e1);
    }
    fsm_avx512_extsum_add(&sum, 0xFFFF, p, e);
  }
  for (; i + 16 <= n; i += 16) {
    __m512 e;
    const __m512 p = fsm_avx512_extexp(_mm512_loadu_ps(x + i), &e);
    fsm_avx512_extsum_add(&sum, 0xFFFF, p, e);
  }
  if (i < n) { /* masked-off lanes keep their (P, N) */
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    __m512 e;
    const __m512 p = fsm_avx512_extexp(_mm512_maskz_loadu_ps(mask, x + i), &e);
    fsm_avx512_extsum_add(&sum, mask, p, e);
  }
  return fsm_avx512_extsum_total(sum);
}

/* rdot: sum a[i] * b[i]; both widened to double, where the product of two
 * floats is exact, and accumulated with FMA in UNROLL double-lane sums.
 * Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline void dot_add(fsm_avx512_sum_f64 *s, __m512 a, __m512 b) {
  s->lo = _mm512_fmadd_pd(fsm_avx512_cvt_lo(a), fsm_avx512_cvt_lo(b), s->lo);
  s->hi = _mm512_fmadd_pd(fsm_avx512_cvt_hi(a), fsm_avx512_cvt_hi(b), s->hi);
}

double fsm_f32_rdot__avx512(size_t n, const float *a, const float *b) {
  fsm_avx512_sum_f64 acc[UNROLL];
  for (int k = 0; k < UNROLL; k++) acc[k] = fsm_avx512_sum_zero();
#define STEP(u, i) dot_add(&acc[u], _mm512_loadu_ps(a + (i)), _mm512_loadu_ps(b + (i)))
#define TAIL(i, mask) \
  dot_add(&acc[0], _mm512_maskz_loadu_ps(mask, a + (i)), _mm512_maskz_loadu_ps(mask, b + (i)))
  FSM_AVX512_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx512_sums_total(acc, UNROLL);
}

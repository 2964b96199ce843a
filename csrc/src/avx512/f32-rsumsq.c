/* rsumsq: shifted sums s[0] = sum (x - c), s[1] = sum (x - c)^2, the
 * differences formed in double (as the scalar kernel), UNROLL pairs of
 * double-lane sums. The masked tail loads c into the lanes past n, which
 * add 0 to both. Unroll 4: NOT measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline void sumsq_add(fsm_avx512_sum_f64 *s1, fsm_avx512_sum_f64 *s2, __m512 x, __m512d c) {
  const __m512d d_lo = _mm512_sub_pd(fsm_avx512_cvt_lo(x), c);
  const __m512d d_hi = _mm512_sub_pd(fsm_avx512_cvt_hi(x), c);
  s1->lo = _mm512_add_pd(s1->lo, d_lo);
  s1->hi = _mm512_add_pd(s1->hi, d_hi);
  s2->lo = _mm512_fmadd_pd(d_lo, d_lo, s2->lo);
  s2->hi = _mm512_fmadd_pd(d_hi, d_hi, s2->hi);
}

void fsm_f32_rsumsq__avx512(size_t n, const float *x, float c, double *s) {
  const __m512d c_f64x8 = _mm512_set1_pd((double)c);
  const __m512 c_f32x16 = _mm512_set1_ps(c);
  fsm_avx512_sum_f64 s1[UNROLL], s2[UNROLL];
  for (int a = 0; a < UNROLL; a++) s1[a] = s2[a] = fsm_avx512_sum_zero();
#define STEP(u, i) sumsq_add(&s1[u], &s2[u], _mm512_loadu_ps(x + (i)), c_f64x8)
#define TAIL(i, mask) \
  sumsq_add(&s1[0], &s2[0], _mm512_mask_loadu_ps(c_f32x16, mask, x + (i)), c_f64x8)
  FSM_AVX512_LOOP(n, UNROLL, STEP, TAIL);
  s[0] = fsm_avx512_sums_total(s1, UNROLL);
  s[1] = fsm_avx512_sums_total(s2, UNROLL);
}

/* rsumsq: shifted sums s[0] = sum (x - c), s[1] = sum (x - c)^2, the
 * differences formed in double (exact for floats of similar magnitude, as
 * the scalar kernel), UNROLL pairs of double-lane sums. The tail is filled
 * with c, which adds 0 to both. Unroll 2: 4 pairs of sums spill (16 ymm).
 * (FSM_SWEEP_UNROLL sweep of fsm_training_bench, Zen 3: 2.7 vs 2.5 el/ns in
 * cache.) */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline void sumsq_add_pd(fsm_avx2_sum_f64 *s1, fsm_avx2_sum_f64 *s2, __m256d x_lo,
                                __m256d x_hi, __m256d c) {
  const __m256d d_lo = _mm256_sub_pd(x_lo, c), d_hi = _mm256_sub_pd(x_hi, c);
  s1->lo = _mm256_add_pd(s1->lo, d_lo);
  s1->hi = _mm256_add_pd(s1->hi, d_hi);
  s2->lo = _mm256_fmadd_pd(d_lo, d_lo, s2->lo);
  s2->hi = _mm256_fmadd_pd(d_hi, d_hi, s2->hi);
}

static inline void sumsq_add(fsm_avx2_sum_f64 *s1, fsm_avx2_sum_f64 *s2, __m256 x, __m256d c) {
  sumsq_add_pd(s1, s2, fsm_avx2_lo_pd(x), fsm_avx2_hi_pd(x), c);
}

void fsm_f32_rsumsq__avx2(size_t n, const float *x, float c, double *s) {
  const __m256d c_f64x4 = _mm256_set1_pd((double)c);
  fsm_avx2_sum_f64 s1[UNROLL], s2[UNROLL];
  for (int a = 0; a < UNROLL; a++) s1[a] = s2[a] = fsm_avx2_sum_zero();
#define STEP(u, i) \
  sumsq_add_pd(&s1[u], &s2[u], fsm_avx2_load_pd(x + (i)), fsm_avx2_load_pd(x + (i) + 4), c_f64x4)
#define TAIL(i, rem) sumsq_add(&s1[0], &s2[0], fsm_avx2_load_tail_fill(x + (i), rem, c), c_f64x4)
  FSM_AVX2_LOOP(n, UNROLL, STEP, TAIL);
  s[0] = fsm_avx2_sums_total(s1, UNROLL);
  s[1] = fsm_avx2_sums_total(s2, UNROLL);
}

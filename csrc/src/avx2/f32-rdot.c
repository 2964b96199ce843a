/* rdot: sum a[i] * b[i]; both widened to double (straight from memory, 4
 * floats per conversion), where the product of two floats is exact, and
 * accumulated with FMA in UNROLL double-lane sums.
 * Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a shared Zen 3: 1
 * slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline void dot_add(fsm_avx2_sum_f64 *s, __m256 a, __m256 b) {
  s->lo = _mm256_fmadd_pd(fsm_avx2_lo_pd(a), fsm_avx2_lo_pd(b), s->lo);
  s->hi = _mm256_fmadd_pd(fsm_avx2_hi_pd(a), fsm_avx2_hi_pd(b), s->hi);
}

static inline void dot_add_at(fsm_avx2_sum_f64 *s, const float *a, const float *b) {
  s->lo = _mm256_fmadd_pd(fsm_avx2_load_pd(a), fsm_avx2_load_pd(b), s->lo);
  s->hi = _mm256_fmadd_pd(fsm_avx2_load_pd(a + 4), fsm_avx2_load_pd(b + 4), s->hi);
}

double fsm_f32_rdot__avx2(size_t n, const float *a, const float *b) {
  fsm_avx2_sum_f64 acc[UNROLL];
  for (int k = 0; k < UNROLL; k++) acc[k] = fsm_avx2_sum_zero();
#define STEP(u, i) dot_add_at(&acc[u], a + (i), b + (i))
#define TAIL(i, rem) \
  dot_add(&acc[0], fsm_avx2_load_tail(a + (i), rem), fsm_avx2_load_tail(b + (i), rem))
  FSM_AVX2_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx2_sums_total(acc, UNROLL);
}

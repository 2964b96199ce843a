/* vlogquad: y = log((a x + b) x + c) - k (log-spherical, log-Taylor): the
 * quadratic in double lanes (no overflow, no cancellation beyond double's),
 * then common.h's log (reduction in double, polynomial on 8 float lanes),
 * minus k in float. Unroll 2 (fsm_training_bench sweep of 1, 2, 4, 8 on a
 * shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m256d quad(__m256d x, __m256d a, __m256d b, __m256d c) {
  return _mm256_fmadd_pd(_mm256_fmadd_pd(a, x, b), x, c);
}

void fsm_f32_vlogquad__avx2(size_t n, const float *x, float a, float b, float c, float k,
                            float *y) {
  const __m256d a_f64x4 = _mm256_set1_pd(a), b_f64x4 = _mm256_set1_pd(b), c_f64x4 = _mm256_set1_pd(c);
  const __m256 k_f32x8 = _mm256_set1_ps(k);
#define OP(x_f32x8)                                                                  \
  _mm256_sub_ps(fsm_avx2_log_pd(quad(fsm_avx2_lo_pd(x_f32x8), a_f64x4, b_f64x4, c_f64x4), \
                                quad(fsm_avx2_hi_pd(x_f32x8), a_f64x4, b_f64x4, c_f64x4)), \
                k_f32x8)
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

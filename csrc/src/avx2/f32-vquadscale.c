/* vquadscale: y = s * ((a x + b) x + c) (spherical and Taylor softmax), in
 * double lanes as the scalar kernel (x^2 cannot overflow, one rounding to
 * float at the end). Unroll 4 (fsm_training_bench sweep of 1, 2, 4, 8 on a
 * shared Zen 3: 1 slower, 2-8 within noise). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m256d quad(__m256d x, __m256d a, __m256d b, __m256d c, __m256d s) {
  return _mm256_mul_pd(s, _mm256_fmadd_pd(_mm256_fmadd_pd(a, x, b), x, c));
}

void fsm_f32_vquadscale__avx2(size_t n, const float *x, float a, float b, float c, float s,
                              float *y) {
  const __m256d a_f64x4 = _mm256_set1_pd(a), b_f64x4 = _mm256_set1_pd(b),
                c_f64x4 = _mm256_set1_pd(c), s_f64x4 = _mm256_set1_pd(s);
#define OP(x_f32x8)                                                                 \
  fsm_avx2_pack_pd(quad(fsm_avx2_lo_pd(x_f32x8), a_f64x4, b_f64x4, c_f64x4, s_f64x4), \
                   quad(fsm_avx2_hi_pd(x_f32x8), a_f64x4, b_f64x4, c_f64x4, s_f64x4))
  FSM_AVX2_MAP1(n, x, y, UNROLL, OP);
}

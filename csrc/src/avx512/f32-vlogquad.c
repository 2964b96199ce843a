/* vlogquad: y = log((a x + b) x + c) - k (log-spherical, log-Taylor): the
 * quadratic in double lanes, then common.h's log (reduction in double,
 * polynomial on 16 float lanes), minus k in float. Unroll 2: NOT measured
 * (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m512d quad(__m512d x, __m512d a, __m512d b, __m512d c) {
  return _mm512_fmadd_pd(_mm512_fmadd_pd(a, x, b), x, c);
}

void fsm_f32_vlogquad__avx512(size_t n, const float *x, float a, float b, float c, float k,
                              float *y) {
  const __m512d a_f64x8 = _mm512_set1_pd(a), b_f64x8 = _mm512_set1_pd(b), c_f64x8 = _mm512_set1_pd(c);
  const __m512 k_f32x16 = _mm512_set1_ps(k);
#define OP(x_f32x16)                                                                        \
  _mm512_sub_ps(fsm_avx512_log_pd(quad(fsm_avx512_cvt_lo(x_f32x16), a_f64x8, b_f64x8, c_f64x8), \
                                  quad(fsm_avx512_cvt_hi(x_f32x16), a_f64x8, b_f64x8, c_f64x8)), \
                k_f32x16)
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

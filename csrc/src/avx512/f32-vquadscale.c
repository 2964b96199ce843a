/* vquadscale: y = s * ((a x + b) x + c) (spherical and Taylor softmax), in
 * double lanes as the scalar kernel (x^2 cannot overflow, one rounding to
 * float). Unroll 4: NOT measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m512d quad(__m512d x, __m512d a, __m512d b, __m512d c, __m512d s) {
  return _mm512_mul_pd(s, _mm512_fmadd_pd(_mm512_fmadd_pd(a, x, b), x, c));
}

void fsm_f32_vquadscale__avx512(size_t n, const float *x, float a, float b, float c, float s,
                                float *y) {
  const __m512d a_f64x8 = _mm512_set1_pd(a), b_f64x8 = _mm512_set1_pd(b),
                c_f64x8 = _mm512_set1_pd(c), s_f64x8 = _mm512_set1_pd(s);
#define OP(x_f32x16)                                                                      \
  fsm_avx512_pack_pd(quad(fsm_avx512_cvt_lo(x_f32x16), a_f64x8, b_f64x8, c_f64x8, s_f64x8), \
                     quad(fsm_avx512_cvt_hi(x_f32x16), a_f64x8, b_f64x8, c_f64x8, s_f64x8))
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

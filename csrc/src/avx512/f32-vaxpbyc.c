/* vaxpbyc: y = (a * x + b * z) + c (the soft-target gradient); y may be x
 * or z. Memory bound. Unroll 4: NOT measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vaxpbyc__avx512(size_t n, const float *x, const float *z, float a, float b, float c,
                             float *y) {
  const __m512 a_f32x16 = _mm512_set1_ps(a), b_f32x16 = _mm512_set1_ps(b), c_f32x16 = _mm512_set1_ps(c);
#define OP(x_f32x16, z_f32x16) \
  _mm512_add_ps(_mm512_fmadd_ps(a_f32x16, x_f32x16, _mm512_mul_ps(b_f32x16, z_f32x16)), c_f32x16)
  FSM_AVX512_MAP2(n, x, z, y, UNROLL, OP);
}

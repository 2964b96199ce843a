/* vaffine: y = a * (x - c) + b (the spherical-family gradients): a
 * subtract and an FMA; y == x allowed. Memory bound. Unroll 4: NOT
 * measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vaffine__avx512(size_t n, const float *x, float a, float c, float b, float *y) {
  const __m512 a_f32x16 = _mm512_set1_ps(a), c_f32x16 = _mm512_set1_ps(c), b_f32x16 = _mm512_set1_ps(b);
#define OP(x_f32x16) _mm512_fmadd_ps(a_f32x16, _mm512_sub_ps(x_f32x16, c_f32x16), b_f32x16)
  FSM_AVX512_MAP1(n, x, y, UNROLL, OP);
}

/* vsubmul: y = a * (b - s) (the softmax VJP's second pass); y may be a or
 * b. Memory bound. Unroll 4: NOT measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vsubmul__avx512(size_t n, const float *a, const float *b, float s, float *y) {
  const __m512 s_f32x16 = _mm512_set1_ps(s);
#define OP(a_f32x16, b_f32x16) _mm512_mul_ps(a_f32x16, _mm512_sub_ps(b_f32x16, s_f32x16))
  FSM_AVX512_MAP2(n, a, b, y, UNROLL, OP);
}

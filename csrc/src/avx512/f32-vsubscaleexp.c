/* vsubscaleexp: y = b - s * exp(a) for a <= 0 (the log-softmax VJP), with
 * the three-pass kernels' exp (common.h) and one FMA. Unroll 4: NOT
 * measured (no AVX-512 CPU was available). */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void fsm_f32_vsubscaleexp__avx512(size_t n, const float *a, const float *b, float s, float *y) {
  const __m512 s_f32x16 = _mm512_set1_ps(s);
#define OP(a_f32x16, b_f32x16) \
  _mm512_fnmadd_ps(s_f32x16, fsm_avx512_exp_nonpositive(a_f32x16), b_f32x16)
  FSM_AVX512_MAP2(n, a, b, y, UNROLL, OP);
}

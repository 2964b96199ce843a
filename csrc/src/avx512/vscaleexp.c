/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass); masked
 * tail. Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(4)

void FSM_KERNEL_NAME(FSM_DT, vscaleexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  const __m512 c_f32x16 = _mm512_set1_ps(c), s_f32x16 = _mm512_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++) {
      const __m512 e =
          fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i + 16 * u), c_f32x16));
      fsm_vstore(y + i + 16 * u, _mm512_mul_ps(s_f32x16, e));
    }
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i), c_f32x16));
    fsm_vstore(y + i, _mm512_mul_ps(s_f32x16, e));
  }
  if (i < n) {
    const __m512 e =
        fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x16));
    fsm_vstore_tail(y + i, n - i, _mm512_mul_ps(s_f32x16, e));
  }
}

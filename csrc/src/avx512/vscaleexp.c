/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass; the
 * online form's and the states' output pass); masked tail. vscaleexp_nt:
 * the same values, whole lines of y stored non-temporally (x86_stream.h).
 * Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline void scaleexp_row(size_t n, const S *x, S *y, int stream, C c, C s) {
  const __m512 c_f32x16 = _mm512_set1_ps(c), s_f32x16 = _mm512_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    /* all loads before the stores, the stores in pairs (fsm_vstore2:
     * bfloat16 pairs in one vcvtne2ps2bf16 on the avx512_bf16 level) */
    __m512 v[UNROLL];
    for (int u = 0; u < UNROLL; u++)
      v[u] = _mm512_mul_ps(
          s_f32x16, fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i + 16 * u), c_f32x16)));
    int u = 0;
    for (; u + 1 < UNROLL; u += 2) fsm_vstore2_stream(y + i + 16 * u, v[u], v[u + 1], stream);
    if (u < UNROLL) fsm_vstore_stream(y + i + 16 * u, v[u], stream); /* odd sweep unrolls */
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i), c_f32x16));
    fsm_vstore_stream(y + i, _mm512_mul_ps(s_f32x16, e), stream);
  }
  if (i < n) {
    const __m512 e =
        fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x16));
    fsm_vstore_tail(y + i, n - i, _mm512_mul_ps(s_f32x16, e));
  }
}

void FSM_KERNEL_NAME(FSM_DT, vscaleexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  scaleexp_row(n, x, y, 0, c, s);
}

#if !defined(FSM_DTYPE_HALF)
void FSM_KERNEL_NAME(FSM_DT, vscaleexp_nt, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  FSM_X86_NT_ROW(scaleexp_row, n, x, y, c, s);
}
#endif

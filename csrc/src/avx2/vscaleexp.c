/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass; the
 * online form's and the states' output pass); tail in 4/2/1-float pieces.
 * vscaleexp_nt: the same values, whole lines of y stored non-temporally
 * (x86_stream.h). Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline void scaleexp_row(size_t n, const S *x, S *y, int stream, C c, C s) {
  const __m256 c_f32x8 = _mm256_set1_ps(c), s_f32x8 = _mm256_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    /* all loads before the stores, the stores in pairs (fsm_vstore2:
     * bfloat16 pairs share one rounding and one pack) */
    __m256 v[UNROLL];
    for (int u = 0; u < UNROLL; u++)
      v[u] = _mm256_mul_ps(
          s_f32x8, fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i + 8 * u), c_f32x8)));
    int u = 0;
    for (; u + 1 < UNROLL; u += 2) fsm_vstore2_stream(y + i + 8 * u, v[u], v[u + 1], stream);
    if (u < UNROLL) fsm_vstore_stream(y + i + 8 * u, v[u], stream); /* odd sweep unrolls */
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i), c_f32x8));
    fsm_vstore_stream(y + i, _mm256_mul_ps(s_f32x8, e), stream);
  }
  if (i < n) {
    const __m256 e =
        fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x8));
    fsm_vstore_tail(y + i, n - i, _mm256_mul_ps(s_f32x8, e));
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

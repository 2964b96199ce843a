/* vscaleexp: y = s * exp(x - c) (three-pass recompute, last pass); tail
 * through a stack copy. Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(2)

void FSM_KERNEL_NAME(FSM_DT, vscaleexp, FSM_KERNEL_ISA)(size_t n, const S *x, C c, C s, S *y) {
  const __m256 c_f32x8 = _mm256_set1_ps(c), s_f32x8 = _mm256_set1_ps(s);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++) {
      const __m256 e =
          fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i + 8 * u), c_f32x8));
      fsm_vstore(y + i + 8 * u, _mm256_mul_ps(s_f32x8, e));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i), c_f32x8));
    fsm_vstore(y + i, _mm256_mul_ps(s_f32x8, e));
  }
  if (i < n) {
    const __m256 e =
        fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x8));
    fsm_vstore_tail(y + i, n - i, _mm256_mul_ps(s_f32x8, e));
  }
}

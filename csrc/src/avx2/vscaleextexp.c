/* vscaleextexp: y = (p * s) * 2^(n + e), recomputing raddextexp's (p, n)
 * with the same fsm_avx2_extexp (p times s, one rounding: folding s into
 * the polynomial's coefficients put softmax([x]) one ulp above 1); 2^k from bits, outputs that would be
 * subnormal flushed to 0 (no subnormal is produced).
 * Measured best (bench/c/README.md, Zen 3): unroll 2. */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(2)

static inline __m256 scaleextexp(__m256 x, __m256 s, __m256 e) {
  __m256 k;
  const __m256 p = fsm_avx2_extexp(x, &k);
  return fsm_avx2_scale_normal(_mm256_mul_ps(p, s), _mm256_add_ps(k, e));
}

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, avx2)(size_t n, const S *x, C s, C e, S *y) {
  const __m256 s_f32x8 = _mm256_set1_ps(s), e_f32x8 = _mm256_set1_ps(e);
  size_t i = 0;
  for (; i + UNROLL * 8 <= n; i += UNROLL * 8) {
    for (int u = 0; u < UNROLL; u++)
      fsm_vstore(y + i + 8 * u,
                       scaleextexp(fsm_vload(x + i + 8 * u), s_f32x8, e_f32x8));
  }
  for (; i + 8 <= n; i += 8)
    fsm_vstore(y + i, scaleextexp(fsm_vload(x + i), s_f32x8, e_f32x8));
  if (i < n) {
    fsm_vstore_tail(y + i, n - i,
                        scaleextexp(fsm_vload_tail(x + i, n - i), s_f32x8, e_f32x8));
  }
}

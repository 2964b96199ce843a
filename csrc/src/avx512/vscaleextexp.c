/* vscaleextexp: y = (p * s) * 2^(n + e), recomputing raddextexp's (p, n)
 * with the same fsm_avx512_extexp (p times s, one rounding); the scale is one vscalefps, masked to 0
 * where the output would be subnormal (no subnormal is produced).
 * Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m512 scaleextexp(__m512 x, __m512 s, __m512 e) {
  __m512 k;
  const __m512 p = fsm_avx512_extexp(x, &k);
  const __m512 ps = _mm512_mul_ps(p, s), ke = _mm512_add_ps(k, e);
  /* normal iff |ps| >= 2^(-126 - ke): flush would-be subnormals (NaN kept;
   * s, a gradient in the training passes, may be negative) */
  const __m512 threshold =
      _mm512_scalef_ps(_mm512_set1_ps(0x1p-126f), _mm512_sub_ps(_mm512_setzero_ps(), ke));
  return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(ps), threshold, _CMP_NLT_UQ),
                                ps, ke);
}

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, avx512)(size_t n, const S *x, C s, C e, S *y) {
  const __m512 s_f32x16 = _mm512_set1_ps(s), e_f32x16 = _mm512_set1_ps(e);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    for (int u = 0; u < UNROLL; u++)
      fsm_vstore(y + i + 16 * u,
                       scaleextexp(fsm_vload(x + i + 16 * u), s_f32x16, e_f32x16));
  }
  for (; i + 16 <= n; i += 16)
    fsm_vstore(y + i, scaleextexp(fsm_vload(x + i), s_f32x16, e_f32x16));
  if (i < n) {
    fsm_vstore_tail(y + i, n - i,
                          scaleextexp(fsm_vload_tail(x + i, n - i), s_f32x16, e_f32x16));
  }
}

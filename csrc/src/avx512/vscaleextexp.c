/* vscaleextexp: y = (p * s) * 2^(n + e), recomputing raddextexp's (p, n)
 * with the same fsm_avx512_extexp (p times s, one rounding); the scale is
 * one vscalefps, masked to 0 where the output would be subnormal (no
 * subnormal is produced).
 *
 * The mask (a second vscalefps for the threshold, an abs and a compare) is
 * needed only where n + e is so low that |p s| 2^(n + e) may fall below
 * FLT_MIN: with |p| >= 0.70 and |s| >= 2^(E - 1) (frexp's E), lanes with
 * n + e >= max(-126, -124 - E) are normal. A group of vectors whose lanes
 * all pass (the common case) takes the one vscalefps; any other group the
 * exact path (as the avx2 kernel, where this measured +20% on Zen 3).
 * Unroll 4: NOT measured (no AVX-512 CPU was available; bench/c/README.md). */
#include <math.h>
#include <stdint.h>

#include "vec.h"

#define UNROLL FSM_TUNED_UNROLL(4) /* stored in pairs */

/* ps * 2^ke, 0 where that would be subnormal (NaN kept; s, a gradient in
 * the training passes, may be negative) */
static inline __m512 scale_exact(__m512 ps, __m512 ke) {
  /* normal iff |ps| >= 2^(-126 - ke) */
  const __m512 threshold =
      _mm512_scalef_ps(_mm512_set1_ps(0x1p-126f), _mm512_sub_ps(_mm512_setzero_ps(), ke));
  return _mm512_maskz_scalef_ps(_mm512_cmp_ps_mask(_mm512_abs_ps(ps), threshold, _CMP_NLT_UQ),
                                ps, ke);
}

static inline __m512 scaleextexp(__m512 x, __m512 s, __m512 e) {
  __m512 k;
  const __m512 p = fsm_avx512_extexp(x, &k);
  return scale_exact(_mm512_mul_ps(p, s), _mm512_add_ps(k, e));
}

static inline void scaleextexp_row(size_t n, const S *x, S *y, int stream, C s, C e) {
  const __m512 s_f32x16 = _mm512_set1_ps(s), e_f32x16 = _mm512_set1_ps(e);
  /* lanes with n + e below ke_min may be subnormal; s zero, subnormal or
   * not finite: every lane (the exact path only) */
  int s_exp = 0;
  (void)frexpf(s, &s_exp);
  const float ke_min = isfinite(s) && fabsf(s) >= 0x1p-126f
                           ? (float)(s_exp >= 2 ? -126 : -124 - s_exp)
                           : INFINITY;
  const __m512 ke_min_f32x16 = _mm512_set1_ps(ke_min);
  size_t i = 0;
  for (; i + UNROLL * 16 <= n; i += UNROLL * 16) {
    __m512 ps[UNROLL], ke[UNROLL];
    __mmask16 low = 0;
    for (int u = 0; u < UNROLL; u++) {
      __m512 k;
      const __m512 p = fsm_avx512_extexp(fsm_vload(x + i + 16 * u), &k);
      ps[u] = _mm512_mul_ps(p, s_f32x16);
      ke[u] = _mm512_add_ps(k, e_f32x16);
      low |= _mm512_cmp_ps_mask(ke[u], ke_min_f32x16, _CMP_LT_OQ);
    }
    if (low == 0) {
      int u = 0;
      for (; u + 1 < UNROLL; u += 2)
        fsm_vstore2_stream(y + i + 16 * u, _mm512_scalef_ps(ps[u], ke[u]), _mm512_scalef_ps(ps[u + 1], ke[u + 1]),
                   stream);
      if (u < UNROLL) fsm_vstore_stream(y + i + 16 * u, _mm512_scalef_ps(ps[u], ke[u]), stream); /* odd sweep unrolls */
    } else {
      for (int u = 0; u < UNROLL; u++) fsm_vstore_stream(y + i + 16 * u, scale_exact(ps[u], ke[u]), stream);
    }
  }
  for (; i + 16 <= n; i += 16)
    fsm_vstore_stream(y + i, scaleextexp(fsm_vload(x + i), s_f32x16, e_f32x16), stream);
  if (i < n)
    fsm_vstore_tail(y + i, n - i, scaleextexp(fsm_vload_tail(x + i, n - i), s_f32x16, e_f32x16));
}

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  scaleextexp_row(n, x, y, 0, s, e);
}

#if !defined(FSM_DTYPE_HALF)
/* The same values, the whole 64-byte lines of y stored non-temporally
 * (x86_stream.h). */
void FSM_KERNEL_NAME(FSM_DT, vscaleextexp_nt, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  FSM_X86_NT_ROW(scaleextexp_row, n, x, y, s, e);
}
#endif

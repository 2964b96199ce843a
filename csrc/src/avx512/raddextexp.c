/* raddextexp: sum exp(x) as per-lane (P, N), Dukhan & Ablavatski, with the
 * exponent rescale once per block (as avx2/f32-raddextexp.c): the block's
 * lane maximum N' of n = rint(x log2 e) and the running N first, the
 * double lanes rescaled by 2^(N - N') with vscalefpd once, then each
 * vector adds vscalefps(p, n - N') into a float block sum, folded into the
 * double lanes at the block's end. The empty-lane exponent stays finite
 * (common.h), so a NaN survives the rescale on hardware. Zen 4, the kernel
 * alone: see the commit measuring it (bench/results/xnnpack-zen4.md). */
#include "vec.h"

#define BLOCK 8

static inline __m512 ext_n(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(FSM_EXT_XMIN_F32), x);
  const __m512 biased =
      _mm512_fmadd_ps(x, _mm512_set1_ps(FSM_LOG2E_F32), _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  return _mm512_sub_ps(biased, _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
}

fsm_extsum FSM_KERNEL_NAME(FSM_DT, raddextexp, FSM_KERNEL_ISA)(size_t n, const S *x) {
  fsm_avx512_extsum_f64 sum = fsm_avx512_extsum_zero();
  size_t i = 0;
  for (; i + BLOCK * 16 <= n; i += BLOCK * 16) {
    /* the running N second in the max: a NaN n leaves it alone, and the
     * NaN reaches P through p */
    __m512 n_max = sum.n;
    for (int v = 0; v < BLOCK; v++) n_max = _mm512_max_ps(ext_n(fsm_vload(x + i + 16 * v)), n_max);
    const __m512 k_old = _mm512_sub_ps(sum.n, n_max);
    sum.lo = _mm512_scalef_pd(sum.lo, fsm_avx512_cvt_lo(k_old));
    sum.hi = _mm512_scalef_pd(sum.hi, fsm_avx512_cvt_hi(k_old));
    sum.n = n_max;
    __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
    for (int v = 0; v < BLOCK; v += 2) {
      __m512 e0, e1;
      const __m512 p0 = fsm_avx512_extexp(fsm_vload(x + i + 16 * v), &e0);
      const __m512 p1 = fsm_avx512_extexp(fsm_vload(x + i + 16 * v + 16), &e1);
      acc0 = _mm512_add_ps(acc0, _mm512_scalef_ps(p0, _mm512_sub_ps(e0, n_max)));
      acc1 = _mm512_add_ps(acc1, _mm512_scalef_ps(p1, _mm512_sub_ps(e1, n_max)));
    }
    const __m512 block_sum = _mm512_add_ps(acc0, acc1);
    sum.lo = _mm512_add_pd(sum.lo, fsm_avx512_cvt_lo(block_sum));
    sum.hi = _mm512_add_pd(sum.hi, fsm_avx512_cvt_hi(block_sum));
  }
  for (; i + 16 <= n; i += 16) {
    __m512 e;
    const __m512 p = fsm_avx512_extexp(fsm_vload(x + i), &e);
    fsm_avx512_extsum_add(&sum, 0xFFFF, p, e);
  }
  if (i < n) { /* masked-off lanes keep their (P, N) */
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    __m512 e;
    const __m512 p = fsm_avx512_extexp(fsm_vload_tail(x + i, n - i), &e);
    fsm_avx512_extsum_add(&sum, mask, p, e);
  }
  return fsm_avx512_extsum_total(sum);
}

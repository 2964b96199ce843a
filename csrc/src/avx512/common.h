/*
 * AVX-512F helpers shared by the avx512 kernels: the exp of fsm_math.h on
 * 16 lanes (same constants, reduction and polynomial as scalar/exp.h, with
 * FMA), tail masks, and folds of float accumulators into double. Only
 * AVX512F instructions are used (cpu_x86.c checks exactly that).
 */
#ifndef FSM_AVX512_COMMON_H
#define FSM_AVX512_COMMON_H

#if defined(FSM_AVX512_EMULATED)
/* Test builds only (fastsoftmax_avx512_emulated, CMakeLists.txt): the kernels on
 * SIMDe's portable AVX-512, to check their logic on CPUs without AVX-512. */
#include "emulation.h"
#elif !defined(__AVX512F__) || !defined(__FMA__)
#error "avx512/ needs -mavx512f -mavx2 -mfma (set per folder by CMakeLists.txt)"
#else
#include <immintrin.h>
#endif

#include "../kernels.h"

/* Unroll (vectors per iteration) and accumulators: each kernel names its
 * measured best; bench/sweep.sh overrides both to re-measure. */
#if defined(FSM_SWEEP_UNROLL) && defined(FSM_SWEEP_ACCS)
#define FSM_TUNED_UNROLL(u) FSM_SWEEP_UNROLL
#define FSM_TUNED_ACCS(a) FSM_SWEEP_ACCS
#else
#define FSM_TUNED_UNROLL(u) (u)
#define FSM_TUNED_ACCS(a) (a)
#endif

/* Lanes [0, rem) set, 0 <= rem <= 16. */
static inline __mmask16 fsm_avx512_tail_mask(size_t rem) { return (__mmask16)((1u << rem) - 1u); }

/* 2^n for n = biased - MAGIC, n in [-127, 127]: (n + 127) << 23 mod 2^32,
 * so n == -127 gives +0.0 exactly as the scalar reference does. */
static inline __m512 fsm_avx512_exp2_biased(__m512 biased_f32x16) {
  const __m512i bits = _mm512_slli_epi32(_mm512_castps_si512(biased_f32x16), 23);
  return _mm512_castsi512_ps(_mm512_add_epi32(bits, _mm512_set1_epi32(127 << 23)));
}

/* exp(t) for |t| <= 0.3475: the degree-6 minimax of fsm_math.h, Horner/FMA. */
static inline __m512 fsm_avx512_exp_poly(__m512 t) {
  __m512 p = _mm512_set1_ps(FSM_EXP_C6_F32);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C5_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C4_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C3_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C2_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
  return _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
}

/* Cody-Waite x - n * ln2 with the two-constant split (FMA). */
static inline __m512 fsm_avx512_reduce(__m512 x, __m512 n) {
  const __m512 t = _mm512_fnmadd_ps(n, _mm512_set1_ps(FSM_LN2_HI_F32), x);
  return _mm512_fnmadd_ps(n, _mm512_set1_ps(FSM_LN2_LO_F32), t);
}

/* The smallest float x with exp(x) >= FLT_MIN (ln 2^-126 rounded up). */
#define FSM_AVX512_EXP_XNORMAL -0x1.5d589ep+6f

/* exp(x) for x <= 0: clamped at FSM_EXP_XMIN_F32 (x second: NaN stays), so
 * -inf and everything under about -87.7 give exactly +0. The scale is built
 * from bits rather than with vscalefps so that n == -127 is exactly 0.
 * Lanes whose result would be subnormal (x < XNORMAL) are masked out of the
 * multiply (zero), so no subnormal is produced (an assist on many cores; the
 * contract allows flushing below FLT_MIN); NLT_UQ keeps NaN lanes. */
static inline __m512 fsm_avx512_exp_nonpositive(__m512 x) {
  x = _mm512_max_ps(_mm512_set1_ps(FSM_EXP_XMIN_F32), x);
  const __m512 biased =
      _mm512_fmadd_ps(x, _mm512_set1_ps(FSM_LOG2E_F32), _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  const __m512 n = _mm512_sub_ps(biased, _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  const __mmask16 normal =
      _mm512_cmp_ps_mask(x, _mm512_set1_ps(FSM_AVX512_EXP_XNORMAL), _CMP_NLT_UQ);
  return _mm512_maskz_mul_ps(normal, fsm_avx512_exp_poly(fsm_avx512_reduce(x, n)),
                             fsm_avx512_exp2_biased(biased));
}

/* exp(x) = p * 2^n, p in [0.70, 1.42], x clamped below at FSM_EXT_XMIN_F32.
 * raddextexp and vscaleextexp both call this, so they see the same n. */
static inline __m512 fsm_avx512_extexp(__m512 x, __m512 *n) {
  x = _mm512_max_ps(_mm512_set1_ps(FSM_EXT_XMIN_F32), x);
  const __m512 biased =
      _mm512_fmadd_ps(x, _mm512_set1_ps(FSM_LOG2E_F32), _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  *n = _mm512_sub_ps(biased, _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  return fsm_avx512_exp_poly(fsm_avx512_reduce(x, *n));
}

/* Sum of the 16 lanes, each converted to double first. */
static inline double fsm_avx512_hsum_f64(__m512 v) {
  const __m256 lo = _mm512_castps512_ps256(v);
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
  return _mm512_reduce_add_pd(_mm512_add_pd(_mm512_cvtps_pd(lo), _mm512_cvtps_pd(hi)));
}

/* (P, N) += (P1, N1) lane by lane, exactly rescaled to the larger N (n1
 * first in the max: N never becomes NaN; vscalefps by -inf gives 0, by
 * NaN (both lanes empty or NaN) gives NaN only where P already is 0 or NaN
 * -- so guard the both-empty case). */
static inline void fsm_avx512_extsum_merge(__m512 *p, __m512 *n, __m512 p1, __m512 n1) {
  const __m512 n_max = _mm512_max_ps(n1, *n);
  const __mmask16 live = _mm512_cmp_ps_mask(n_max, _mm512_set1_ps(-INFINITY), _CMP_NEQ_OQ);
  const __m512 merged = _mm512_add_ps(_mm512_scalef_ps(*p, _mm512_sub_ps(*n, n_max)),
                                      _mm512_scalef_ps(p1, _mm512_sub_ps(n1, n_max)));
  /* both lanes empty (N = -inf): P stays 0, or NaN if either saw a NaN */
  *p = _mm512_mask_mov_ps(_mm512_add_ps(*p, p1), live, merged);
  *n = n_max;
}

/* Adds the per-lane extended sums P * 2^N (N = -inf for an empty lane) into
 * *sum: lanes are rescaled exactly to the largest N with vscalefps
 * (2^-inf = 0, no flush at 2^-127), then merged in double. */
static inline void fsm_avx512_extsum_fold(fsm_extsum *sum, __m512 p_f32x16, __m512 n_f32x16) {
  const float n_max = _mm512_reduce_max_ps(n_f32x16);
  if (n_max == -INFINITY) { /* no element (or only NaNs): P is 0 (or NaN) */
    fsm_extsum_add(sum, fsm_avx512_hsum_f64(p_f32x16), -INFINITY);
    return;
  }
  const __m512 scaled = _mm512_scalef_ps(p_f32x16, _mm512_sub_ps(n_f32x16, _mm512_set1_ps(n_max)));
  fsm_extsum_add(sum, fsm_avx512_hsum_f64(scaled), (double)n_max);
}

#endif /* FSM_AVX512_COMMON_H */

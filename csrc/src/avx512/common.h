/*
 * AVX-512F helpers shared by the avx512 kernels: the table exp of
 * fsm_math.h on 16 lanes (same constants, table, reduction and polynomial
 * as scalar/exp.h, with FMA), tail masks, and folds of float accumulators into double. Only
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

/* The table exp of fsm_math.h on 16 lanes: T[n mod 8] is one vpermd of
 * the 8-entry table stored twice (vpermd reads the low 4 bits of each
 * index lane; n mod 16 mod 8 = n mod 8). q(t) = t + t^2 (C2 + C3 t). */
static inline __m512 fsm_avx512_expt_q(__m512 t) {
  const __m512 t2 = _mm512_mul_ps(t, t);
  const __m512 w =
      _mm512_fmadd_ps(_mm512_set1_ps(FSM_EXPT_C3_F32), t, _mm512_set1_ps(FSM_EXPT_C2_F32));
  return _mm512_fmadd_ps(w, t2, t);
}

static inline __m512i fsm_avx512_table(const unsigned int bits[8]) {
  unsigned int twice[16];
  for (int j = 0; j < 16; j++) twice[j] = bits[j & 7];
  return _mm512_loadu_si512(twice);
}

/* exp(x) for x <= 0. Lanes whose result would be subnormal (x < XNORMAL,
 * -inf included) are masked out of the final FMA (zero), so no subnormal
 * is produced (an assist on many cores; the contract allows flushing below
 * FLT_MIN; T[j] * 2^m cannot be built for m = -127 anyway) and whatever
 * the reduction made of them (garbage, inf, NaN) is dropped: no clamp of x
 * is needed, unlike avx2, which has no masked FMA. NLT_UQ keeps NaN
 * lanes. */
static inline __m512 fsm_avx512_exp_nonpositive(__m512 x) {
  static const unsigned int table_bits[8] = FSM_EXPT_TABLE_ADJ_BITS;
  const __m512 biased =
      _mm512_fmadd_ps(x, _mm512_set1_ps(FSM_LOG2E_X8_F32), _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  const __m512 n = _mm512_sub_ps(biased, _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  const __m512i bits = _mm512_castps_si512(biased);
  /* bits(T[j]) - (j << 20) + (m << 23) + (j << 20) = bits(T[j] * 2^m) */
  const __m512i tj = _mm512_permutexvar_epi32(bits, fsm_avx512_table(table_bits));
  const __m512 s = _mm512_castsi512_ps(_mm512_add_epi32(tj, _mm512_slli_epi32(bits, 20)));
  const __mmask16 normal =
      _mm512_cmp_ps_mask(x, _mm512_set1_ps(FSM_EXP_XNORMAL_F32), _CMP_NLT_UQ);
  __m512 t = _mm512_fnmadd_ps(n, _mm512_set1_ps(FSM_LN2O8_HI_F32), x);
  t = _mm512_fnmadd_ps(n, _mm512_set1_ps(FSM_LN2O8_LO_F32), t);
  return _mm512_maskz_fmadd_ps(normal, s, fsm_avx512_expt_q(t), s);
}

/* extexp: the former polynomial exp (fsm_math.h), not the table: exp(x)
 * = p * 2^n, p in [0.70, 1.42], x clamped below at FSM_EXT_XMIN_F32.
 * raddextexp and vscaleextexp both call this, so they see the same n. */
static inline __m512 fsm_avx512_extexp(__m512 x, __m512 *n) {
  x = _mm512_max_ps(_mm512_set1_ps(FSM_EXT_XMIN_F32), x);
  const __m512 biased =
      _mm512_fmadd_ps(x, _mm512_set1_ps(FSM_LOG2E_F32), _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  *n = _mm512_sub_ps(biased, _mm512_set1_ps(FSM_MAGIC_BIAS_F32));
  __m512 t = _mm512_fnmadd_ps(*n, _mm512_set1_ps(FSM_LN2_HI_F32), x);
  t = _mm512_fnmadd_ps(*n, _mm512_set1_ps(FSM_LN2_LO_F32), t);
  __m512 p = _mm512_set1_ps(FSM_EXP_C6_F32);
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C5_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C4_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C3_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(FSM_EXP_C2_F32));
  p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
  return _mm512_fmadd_ps(p, t, _mm512_set1_ps(1.0f));
}

/* Sums are accumulated in double lanes: a float accumulator that holds a
 * dominant term (the max's exp is 1) loses up to half an ulp of it at every
 * further add. The exp kernels add FSM_AVX512_FOLD vectors in float first,
 * in two chains (a dominant term sees at most FSM_AVX512_FOLD / 2
 * roundings), then convert (as avx2/common.h, where converting every
 * vector cost 11-16%). 8 rather than 4: the reload +9-12% with the
 * clampless exp above (Zen 5, 64x4096 and 64K rows, 9 interleaved runs),
 * the fold alone +3-6%; 16 in four chains gained nothing more. */
#define FSM_AVX512_FOLD 8

typedef struct fsm_avx512_sum_f64 {
  __m512d lo, hi;
} fsm_avx512_sum_f64;

static inline __m512d fsm_avx512_cvt_lo(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }

static inline __m512d fsm_avx512_cvt_hi(__m512 v) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

static inline fsm_avx512_sum_f64 fsm_avx512_sum_zero(void) {
  fsm_avx512_sum_f64 s = {_mm512_setzero_pd(), _mm512_setzero_pd()};
  return s;
}

static inline void fsm_avx512_sum_add(fsm_avx512_sum_f64 *s, __m512 v) {
  s->lo = _mm512_add_pd(s->lo, fsm_avx512_cvt_lo(v));
  s->hi = _mm512_add_pd(s->hi, fsm_avx512_cvt_hi(v));
}

static inline double fsm_avx512_sum_total(fsm_avx512_sum_f64 s) {
  return _mm512_reduce_add_pd(_mm512_add_pd(s.lo, s.hi));
}

/* (P, N) += (P1, N1) lane by lane, exactly rescaled to the larger N (n1
 * first in the max: a NaN n1 leaves N alone and poisons P through p1; a
 * NaN N, from an earlier NaN, stays NaN with P; vscalefps by -inf gives 0,
 * by NaN (both lanes empty or NaN) gives NaN only where P already is 0 or
 * NaN -- so guard the both-empty case). */
static inline void fsm_avx512_extsum_merge(__m512 *p, __m512 *n, __m512 p1, __m512 n1) {
  const __m512 n_max = _mm512_max_ps(n1, *n);
  const __mmask16 live = _mm512_cmp_ps_mask(n_max, _mm512_set1_ps(-INFINITY), _CMP_NEQ_OQ);
  const __m512 merged = _mm512_add_ps(_mm512_scalef_ps(*p, _mm512_sub_ps(*n, n_max)),
                                      _mm512_scalef_ps(p1, _mm512_sub_ps(n1, n_max)));
  /* both lanes empty (N = -inf): P stays 0, or NaN if either saw a NaN */
  *p = _mm512_mask_mov_ps(_mm512_add_ps(*p, p1), live, merged);
  *n = n_max;
}

/* Per-lane extended sums P * 2^N with P in double lanes and N (integral)
 * in float lanes. An empty lane has N = FSM_AVX512_EXT_EMPTY_N, not -inf:
 * finite, so N - N' stays finite and a NaN P survives the rescaling
 * (vscalefpd(NaN, -inf) is +0 on the hardware, Intel SDM's VSCALEF table,
 * while SIMDe gives NaN); far below any n of fsm_avx512_extexp (>= -23637)
 * and small enough that N - N' cannot overflow for a finite N'.
 * fsm_avx512_extsum_total turns it back into -inf. */
#define FSM_AVX512_EXT_EMPTY_N (-0x1p64f)

typedef struct fsm_avx512_extsum_f64 {
  __m512d lo, hi;
  __m512 n;
} fsm_avx512_extsum_f64;

static inline fsm_avx512_extsum_f64 fsm_avx512_extsum_zero(void) {
  fsm_avx512_extsum_f64 s = {_mm512_setzero_pd(), _mm512_setzero_pd(),
                             _mm512_set1_ps(FSM_AVX512_EXT_EMPTY_N)};
  return s;
}

/* (P, N) += p * 2^n in the lanes of `live`: N' = max(N, n) (n first: a NaN
 * n leaves N alone and poisons P through p; P then stays NaN, as every
 * later N - N' is finite), P = P * 2^(N - N') + p * 2^(n - N') with
 * vscalef. Lanes outside `live` are untouched (the masked-off lanes of a
 * tail hold exp(0)). */
static inline void fsm_avx512_extsum_add(fsm_avx512_extsum_f64 *s, __mmask16 live, __m512 p, __m512 n) {
  const __m512 n_max = _mm512_max_ps(n, s->n);
  const __m512 k_old = _mm512_sub_ps(s->n, n_max);
  const __m512 term = _mm512_scalef_ps(p, _mm512_sub_ps(n, n_max));
  const __m512d lo = _mm512_add_pd(_mm512_scalef_pd(s->lo, fsm_avx512_cvt_lo(k_old)), fsm_avx512_cvt_lo(term));
  const __m512d hi = _mm512_add_pd(_mm512_scalef_pd(s->hi, fsm_avx512_cvt_hi(k_old)), fsm_avx512_cvt_hi(term));
  s->lo = _mm512_mask_mov_pd(s->lo, (__mmask8)(live & 0xFF), lo);
  s->hi = _mm512_mask_mov_pd(s->hi, (__mmask8)(live >> 8), hi);
  s->n = _mm512_mask_mov_ps(s->n, live, n_max);
}

/* The lanes merged into one fsm_extsum. The common case (every exponent
 * finite, some lane not empty) in the vector unit: each lane's P scaled
 * to the largest N (exact, or below double's range where the scalar merge
 * drops it too) and the 16 added in double; 16 scalar fsm_extsum_add
 * steps cost about as much as the exps of a 1K-element row. The others
 * (an infinite N, every lane empty) take the scalar steps. */
static inline fsm_extsum fsm_avx512_extsum_total(fsm_avx512_extsum_f64 s) {
  const float n_max = _mm512_reduce_max_ps(s.n);
  if (n_max > FSM_AVX512_EXT_EMPTY_N && n_max < INFINITY) {
    const __m512 k = _mm512_sub_ps(s.n, _mm512_set1_ps(n_max));
    const __m512d lo = _mm512_scalef_pd(s.lo, fsm_avx512_cvt_lo(k));
    const __m512d hi = _mm512_scalef_pd(s.hi, fsm_avx512_cvt_hi(k));
    const fsm_extsum total = {_mm512_reduce_add_pd(_mm512_add_pd(lo, hi)), (double)n_max};
    return total;
  }
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  double lo[8], hi[8];
  float n[16];
  _mm512_storeu_pd(lo, s.lo);
  _mm512_storeu_pd(hi, s.hi);
  const __mmask16 empty = _mm512_cmp_ps_mask(s.n, _mm512_set1_ps(FSM_AVX512_EXT_EMPTY_N), _CMP_EQ_OQ);
  _mm512_storeu_ps(n, _mm512_mask_mov_ps(s.n, empty, _mm512_set1_ps(-INFINITY)));
  for (int l = 0; l < 8; l++) {
    fsm_extsum_add(&sum, lo[l], (double)n[l]);
    fsm_extsum_add(&sum, hi[l], (double)n[l + 8]);
  }
  return sum;
}

/* ------------------------------------------------ training kernels */

/* 16 floats as two 8-double halves (exact), and back (rounded). */
static inline __m512 fsm_avx512_pack_pd(__m512d lo, __m512d hi) {
  return _mm512_castpd_ps(_mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(_mm512_cvtpd_ps(lo))),
                                             _mm256_castps_pd(_mm512_cvtpd_ps(hi)), 1));
}

/* The loop of every training kernel: STEP(u, i) handles the 16 elements at
 * i (u: which of the UNROLL vectors of an iteration, to pick an
 * accumulator), TAIL(i, mask) the last 0 < rem < 16 with masked loads and
 * stores. STEP and TAIL are the kernel's own function-like macros. */
#define FSM_AVX512_LOOP(n, unroll, STEP, TAIL)                                \
  do {                                                                        \
    size_t i_ = 0;                                                            \
    for (; i_ + (size_t)(unroll) * 16 <= (n); i_ += (size_t)(unroll) * 16)    \
      for (int u_ = 0; u_ < (unroll); u_++) STEP(u_, i_ + 16 * (size_t)u_);   \
    for (; i_ + 16 <= (n); i_ += 16) STEP(0, i_);                             \
    if (i_ < (n)) TAIL(i_, fsm_avx512_tail_mask((n) - i_));                   \
  } while (0)

/* Elementwise kernels: y = OP(x) (MAP1) or y = OP(a, b) (MAP2) on 16
 * lanes, OP a function-like macro of the kernel; masked tail (lanes past n
 * load as 0 and are not stored). y may alias an input exactly. */
#define FSM_AVX512_MAP1(n, x, y, unroll, OP)                                           \
  do {                                                                                 \
    size_t j_ = 0;                                                                     \
    for (; j_ + (size_t)(unroll) * 16 <= (n); j_ += (size_t)(unroll) * 16)             \
      for (int v_ = 0; v_ < (unroll); v_++)                                            \
        _mm512_storeu_ps((y) + j_ + 16 * v_, OP(_mm512_loadu_ps((x) + j_ + 16 * v_))); \
    for (; j_ + 16 <= (n); j_ += 16) _mm512_storeu_ps((y) + j_, OP(_mm512_loadu_ps((x) + j_))); \
    if (j_ < (n)) {                                                                    \
      const __mmask16 m_ = fsm_avx512_tail_mask((n) - j_);                             \
      _mm512_mask_storeu_ps((y) + j_, m_, OP(_mm512_maskz_loadu_ps(m_, (x) + j_)));    \
    }                                                                                  \
  } while (0)

#define FSM_AVX512_MAP2(n, a, b, y, unroll, OP)                                        \
  do {                                                                                 \
    size_t j_ = 0;                                                                     \
    for (; j_ + (size_t)(unroll) * 16 <= (n); j_ += (size_t)(unroll) * 16)             \
      for (int v_ = 0; v_ < (unroll); v_++)                                            \
        _mm512_storeu_ps((y) + j_ + 16 * v_, OP(_mm512_loadu_ps((a) + j_ + 16 * v_),    \
                                                _mm512_loadu_ps((b) + j_ + 16 * v_)));  \
    for (; j_ + 16 <= (n); j_ += 16)                                                   \
      _mm512_storeu_ps((y) + j_, OP(_mm512_loadu_ps((a) + j_), _mm512_loadu_ps((b) + j_))); \
    if (j_ < (n)) {                                                                    \
      const __mmask16 m_ = fsm_avx512_tail_mask((n) - j_);                             \
      _mm512_mask_storeu_ps((y) + j_, m_,                                              \
                            OP(_mm512_maskz_loadu_ps(m_, (a) + j_),                    \
                               _mm512_maskz_loadu_ps(m_, (b) + j_)));                  \
    }                                                                                  \
  } while (0)

/* The total of `count` double-lane sums. */
static inline double fsm_avx512_sums_total(const fsm_avx512_sum_f64 *s, int count) {
  __m512d t = _mm512_add_pd(s[0].lo, s[0].hi);
  for (int a = 1; a < count; a++) t = _mm512_add_pd(t, _mm512_add_pd(s[a].lo, s[a].hi));
  return _mm512_reduce_add_pd(t);
}

/* The vector log (fsm_math.h; the same steps as avx2/common.h), first
 * step on 8 double lanes: w = 2^k (1 + f); returns f (exact), sets *k.
 * Lanes with w outside (0, +inf) get f = 0 and k = log w itself (-inf for
 * +-0, +inf for +inf, NaN for w < 0 and NaN). Subnormal w are not reduced
 * correctly: no caller produces them. */
static inline __m512d fsm_avx512_log_reduce_pd(__m512d w, __m512d *k) {
  const __m512i t = _mm512_add_epi64(
      _mm512_castpd_si512(w),
      _mm512_set1_epi64((long long)(FSM_LOG_ONE_BITS_F64 - FSM_LOG_SQRT_HALF_BITS_F64)));
  const __m512i m_bits = _mm512_add_epi64(
      _mm512_and_si512(t, _mm512_set1_epi64(0x000FFFFFFFFFFFFFll)),
      _mm512_set1_epi64((long long)FSM_LOG_SQRT_HALF_BITS_F64));
  /* k + 1023 = t >> 52 in [0, 2047], as a double: or it into 2^52's mantissa */
  const __m512d two52 = _mm512_set1_pd(0x1p52);
  *k = _mm512_sub_pd(
      _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64(t, 52), _mm512_castpd_si512(two52))),
      _mm512_set1_pd(0x1p52 + 1023.0));
  __m512d f = _mm512_sub_pd(_mm512_castsi512_pd(m_bits), _mm512_set1_pd(1.0));
  const __m512d inf = _mm512_set1_pd(INFINITY);
  const __mmask8 ok = _mm512_cmp_pd_mask(w, _mm512_setzero_pd(), _CMP_GT_OQ) &
                      _mm512_cmp_pd_mask(w, inf, _CMP_LT_OQ);
  if (ok != 0xFF) {
    __m512d special = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(w, _mm512_setzero_pd(), _CMP_EQ_OQ),
                                           _mm512_set1_pd(NAN), _mm512_set1_pd(-INFINITY));
    special = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(w, inf, _CMP_EQ_OQ), special, inf);
    *k = _mm512_mask_blend_pd(ok, special, *k);
    f = _mm512_maskz_mov_pd(ok, f);
  }
  return f;
}

/* Second step, on 16 float lanes: k ln2 + log(1 + f) for |f| <= sqrt(2) - 1. */
static inline __m512 fsm_avx512_log_finish(__m512 f, __m512 k, __m512 c) {
  /* -1/2 + f P(f) by Estrin's scheme: half the dependent FMAs of Horner's */
#define C_(name) _mm512_set1_ps(FSM_LOG_##name##_F32)
  const __m512 f2 = _mm512_mul_ps(f, f), f4 = _mm512_mul_ps(f2, f2);
  const __m512 a01 = _mm512_fmadd_ps(C_(P0), f, _mm512_set1_ps(-0.5f));
  const __m512 a23 = _mm512_fmadd_ps(C_(P2), f, C_(P1));
  const __m512 a45 = _mm512_fmadd_ps(C_(P4), f, C_(P3));
  const __m512 a67 = _mm512_fmadd_ps(C_(P6), f, C_(P5));
  const __m512 b0 = _mm512_fmadd_ps(a23, f2, a01);
  const __m512 b1 = _mm512_fmadd_ps(_mm512_fmadd_ps(C_(P7), f2, a67), f2, a45);
#undef C_
  const __m512 q = _mm512_fmadd_ps(b1, f4, b0);
  const __m512 p = _mm512_fmadd_ps(q, f2, f);
  return _mm512_fmadd_ps(k, _mm512_set1_ps(FSM_LOG_LN2_HI_F32),
                         _mm512_add_ps(p, _mm512_fmadd_ps(k, _mm512_set1_ps(FSM_LOG_LN2_LO_F32), c)));
}

/* log w for 16 doubles w (lanes 0-7 in lo), rounded to float lanes: 0 ->
 * -inf, < 0 -> NaN, +inf -> +inf, NaN -> NaN. */
static inline __m512 fsm_avx512_log_pd(__m512d w_lo, __m512d w_hi) {
  __m512d k_lo, k_hi;
  const __m512d f_lo = fsm_avx512_log_reduce_pd(w_lo, &k_lo);
  const __m512d f_hi = fsm_avx512_log_reduce_pd(w_hi, &k_hi);
  return fsm_avx512_log_finish(fsm_avx512_pack_pd(f_lo, f_hi), fsm_avx512_pack_pd(k_lo, k_hi),
                              _mm512_setzero_ps());
}

/* log(1 + v) for 16 floats v >= 0, in float (fsm_math.h; as avx2/common.h):
 * u = 1 + v reduced from its bits, the rounding error of 1 + v added back
 * as err / u (vrcp14ps), f = v itself where k = 0. +inf and NaN come back
 * unchanged. */
static inline __m512 fsm_avx512_log1p_ps(__m512 v) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __m512 u = _mm512_add_ps(one, v);
  const __m512i t = _mm512_add_epi32(
      _mm512_castps_si512(u), _mm512_set1_epi32((int)(FSM_LOG_ONE_BITS_F32 - FSM_LOG_SQRT_HALF_BITS_F32)));
  const __m512i k_i32 = _mm512_sub_epi32(_mm512_srli_epi32(t, 23), _mm512_set1_epi32(127));
  const __m512 m = _mm512_castsi512_ps(_mm512_add_epi32(
      _mm512_and_si512(t, _mm512_set1_epi32(0x007FFFFF)), _mm512_set1_epi32((int)FSM_LOG_SQRT_HALF_BITS_F32)));
  const __mmask16 k0 = _mm512_cmpeq_epi32_mask(k_i32, _mm512_setzero_si512());
  /* Fast2Sum: err = lo - (u - hi) exactly, hi = max(1, v), lo = min(1, v) */
  const __m512 err = _mm512_sub_ps(_mm512_min_ps(one, v), _mm512_sub_ps(u, _mm512_max_ps(one, v)));
  const __m512 c = _mm512_maskz_mul_ps((__mmask16)~k0, err, _mm512_rcp14_ps(u));
  const __m512 f = _mm512_mask_blend_ps(k0, _mm512_sub_ps(m, one), v);
  const __m512 r = fsm_avx512_log_finish(f, _mm512_cvtepi32_ps(k_i32), c);
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(v, _mm512_set1_ps(INFINITY), _CMP_LT_OQ), v, r);
}

#endif /* FSM_AVX512_COMMON_H */

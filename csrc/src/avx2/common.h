/*
 * AVX2+FMA helpers shared by the avx2 kernels: the table exp of fsm_math.h
 * on 8 lanes (same constants, table, reduction and polynomial as
 * scalar/exp.h, with FMA), masks for tails and the fold of float
 * accumulators into double. Everything is static inline: nothing here leaks into the
 * baseline objects.
 */
#ifndef FSM_AVX2_COMMON_H
#define FSM_AVX2_COMMON_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "avx2/ needs -mavx2 -mfma (set per folder by CMakeLists.txt)"
#endif

#include <immintrin.h>
#include <string.h>

#include "../kernels.h"

/* Unroll (vectors per iteration) and number of accumulators: each kernel
 * names its measured best; bench/sweep.sh overrides both to re-measure. */
#if defined(FSM_SWEEP_UNROLL) && defined(FSM_SWEEP_ACCS)
#define FSM_TUNED_UNROLL(u) FSM_SWEEP_UNROLL
#define FSM_TUNED_ACCS(a) FSM_SWEEP_ACCS
#else
#define FSM_TUNED_UNROLL(u) (u)
#define FSM_TUNED_ACCS(a) (a)
#endif

/* Sums are accumulated in double lanes: a float accumulator that holds a
 * dominant term (the max's exp is 1) loses up to half an ulp of it at every
 * further add, which made a float32 softmax of a constant row of 1000
 * elements 10 ulp off. The exp kernels add FSM_AVX2_FOLD vectors in float
 * first, pairwise into one chain (so a dominant term sees at most
 * FSM_AVX2_FOLD / 2 + 1 roundings; see addexp.h), then convert:
 * converting every vector cost 11-16% in cache
 * (Zen 3), every 4th ~4%; every 8th instead of every 4th gained 6-7% on
 * Zen 1 (bench/c/ab.sh, 4 rounds: best raddstoreexp 1.08 -> 1.16,
 * raddexp 1.17 -> 1.25, softmax/reload 0.93 -> 0.98 elements/ns). */
#define FSM_AVX2_FOLD 8

typedef struct fsm_avx2_sum_f64 {
  __m256d lo, hi;
} fsm_avx2_sum_f64;

static inline fsm_avx2_sum_f64 fsm_avx2_sum_zero(void) {
  fsm_avx2_sum_f64 s = {_mm256_setzero_pd(), _mm256_setzero_pd()};
  return s;
}

/* Lanes 0-3 and 4-7 of 8 floats as doubles (exact), and back (rounded). */
static inline __m256d fsm_avx2_lo_pd(__m256 v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }
static inline __m256d fsm_avx2_hi_pd(__m256 v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }
/* The same, widened straight from memory: 4 floats at p as doubles. The
 * load-and-convert form ran rdot at 9.4 el/ns against 5.3 for a 256-bit
 * load and the two conversions above (Zen 3, 4096 floats in L1). */
static inline __m256d fsm_avx2_load_pd(const float *p) { return _mm256_cvtps_pd(_mm_loadu_ps(p)); }
static inline __m256 fsm_avx2_pack_pd(__m256d lo, __m256d hi) {
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm256_cvtpd_ps(lo)), _mm256_cvtpd_ps(hi), 1);
}

static inline void fsm_avx2_sum_add(fsm_avx2_sum_f64 *s, __m256 v) {
  s->lo = _mm256_add_pd(s->lo, fsm_avx2_lo_pd(v));
  s->hi = _mm256_add_pd(s->hi, fsm_avx2_hi_pd(v));
}

static inline double fsm_avx2_sum_total(fsm_avx2_sum_f64 s) {
  const __m256d d = _mm256_add_pd(s.lo, s.hi);
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

/* Lanes [0, rem) set, for 0 <= rem <= 8: which lanes of a tail are real. */
static inline __m256i fsm_avx2_tail_mask(size_t rem) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Tails (0 < rem < 8 floats) move in pieces of 4, 2 and 1 floats, so they
 * never touch x[rem..] or y[rem..]. Not vmaskmovps: qemu 7.2 faults on its
 * masked-off lanes past a page end (the qemu tests would fail), and its
 * store form is microcoded on AMD Zen. Not a stack copy either (the
 * former form): its memcpy and the store-forwarding stall of reloading
 * the copy as one vector cost 20+ ns a row, which rows of a few elements
 * pay at every row (Zen 5, softmax of 16384 rows of 7: 29 ns a row against
 * 6 for rows of 8). Lanes [rem, 8) of the load are 0. */
static inline __m256 fsm_avx2_load_tail(const float *x, size_t rem) {
  const __m128 zero = _mm_setzero_ps();
  const float *p = rem & 4 ? x + 4 : x;
  __m128 part = zero; /* the last rem % 4 floats */
  if (rem & 2) {
    part = _mm_loadl_pi(zero, (const __m64 *)(const void *)p);
    if (rem & 1) part = _mm_movelh_ps(part, _mm_load_ss(p + 2));
  } else if (rem & 1) {
    part = _mm_load_ss(p);
  }
  return rem & 4 ? _mm256_set_m128(part, _mm_loadu_ps(x)) : _mm256_set_m128(zero, part);
}

/* The same with lanes [rem, 8) set to `fill` (a value the kernel's sum
 * ignores: c for rsumsq, -inf for raddstable). */
static inline __m256 fsm_avx2_load_tail_fill(const float *x, size_t rem, float fill) {
  return _mm256_blendv_ps(_mm256_set1_ps(fill), fsm_avx2_load_tail(x, rem),
                          _mm256_castsi256_ps(fsm_avx2_tail_mask(rem)));
}

static inline void fsm_avx2_store_tail(float *y, size_t rem, __m256 v) {
  __m128 part = _mm256_castps256_ps128(v);
  if (rem & 4) {
    _mm_storeu_ps(y, part);
    part = _mm256_extractf128_ps(v, 1);
    y += 4;
  }
  if (rem & 2) {
    _mm_storel_pi((__m64 *)(void *)y, part);
    part = _mm_movehl_ps(part, part);
    y += 2;
  }
  if (rem & 1) _mm_store_ss(y, part);
}

/* The magic-bias rint with the exponent bias folded in: k +
 * FSM_AVX2_EXP2_BIAS leaves k + 127 in the low bits, and shifting those
 * into the exponent field is 2^k (k = -127 gives +0). */
#define FSM_AVX2_EXP2_BIAS (FSM_MAGIC_BIAS_F32 + 127.0f)

/* The table exp of fsm_math.h on 8 lanes: T[n mod 8] is one vpermps of a
 * register-resident table (it reads the low 3 bits of each index lane).
 * q(t) = t + t^2 (C2 + C3 t), with FMA. */
static inline __m256 fsm_avx2_expt_q(__m256 t) {
  const __m256 t2 = _mm256_mul_ps(t, t);
  const __m256 w =
      _mm256_fmadd_ps(_mm256_set1_ps(FSM_EXPT_C3_F32), t, _mm256_set1_ps(FSM_EXPT_C2_F32));
  return _mm256_fmadd_ps(w, t2, t);
}

static inline __m256i fsm_avx2_table(const unsigned int bits[8]) {
  return _mm256_setr_epi32((int)bits[0], (int)bits[1], (int)bits[2], (int)bits[3],
                           (int)bits[4], (int)bits[5], (int)bits[6], (int)bits[7]);
}

/* exp(x) for x <= 0: clamped at FSM_EXP_XMIN_F32 (x second: NaN stays), so
 * -inf gives exactly +0. Lanes whose result would be subnormal (x <
 * XNORMAL) get a zero scale, so the FMA never produces a subnormal: on
 * Zen 3 that costs an assist, 2.4x slower when every output is subnormal
 * (and the table's 2^m * T[j] cannot be built for m = -127 anyway). The
 * contract allows it (fastsoftmax.h: outputs below FLT_MIN may be
 * flushed); NLT_UQ keeps NaN lanes. */
static inline __m256 fsm_avx2_exp_nonpositive(__m256 x) {
  static const unsigned int table_bits[8] = FSM_EXPT_TABLE_ADJ_BITS;
  x = _mm256_max_ps(_mm256_set1_ps(FSM_EXP_XMIN_F32), x);
  const __m256 biased =
      _mm256_fmadd_ps(x, _mm256_set1_ps(FSM_LOG2E_X8_F32), _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
  const __m256 n = _mm256_sub_ps(biased, _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
  const __m256i bits = _mm256_castps_si256(biased);
  /* bits(T[j]) - (j << 20) + (m << 23) + (j << 20) = bits(T[j] * 2^m) */
  const __m256i tj = _mm256_permutevar8x32_epi32(fsm_avx2_table(table_bits), bits);
  const __m256 s = _mm256_castsi256_ps(_mm256_add_epi32(tj, _mm256_slli_epi32(bits, 20)));
  const __m256 normal = _mm256_cmp_ps(x, _mm256_set1_ps(FSM_EXP_XNORMAL_F32), _CMP_NLT_UQ);
  const __m256 scale = _mm256_and_ps(s, normal);
  __m256 t = _mm256_fnmadd_ps(n, _mm256_set1_ps(FSM_LN2O8_HI_F32), x);
  t = _mm256_fnmadd_ps(n, _mm256_set1_ps(FSM_LN2O8_LO_F32), t);
  return _mm256_fmadd_ps(scale, fsm_avx2_expt_q(t), scale);
}

/* extexp: the former polynomial exp (fsm_math.h), not the table: exp(x)
 * = p * 2^n, p in [0.70, 1.42], x clamped below at FSM_EXT_XMIN_F32.
 * raddextexp and vscaleextexp both call this, so they see the same n. */
static inline __m256 fsm_avx2_extexp_biased(__m256 x, __m256 *n, __m256i *n_biased) {
  x = _mm256_max_ps(_mm256_set1_ps(FSM_EXT_XMIN_F32), x);
  const __m256 biased =
      _mm256_fmadd_ps(x, _mm256_set1_ps(FSM_LOG2E_F32), _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
  *n_biased = _mm256_castps_si256(biased); /* FSM_MAGIC_BITS_F32 + n as integers */
  *n = _mm256_sub_ps(biased, _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
  __m256 t = _mm256_fnmadd_ps(*n, _mm256_set1_ps(FSM_LN2_HI_F32), x);
  t = _mm256_fnmadd_ps(*n, _mm256_set1_ps(FSM_LN2_LO_F32), t);
  __m256 p = _mm256_set1_ps(FSM_EXP_C6_F32);
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(FSM_EXP_C5_F32));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(FSM_EXP_C4_F32));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(FSM_EXP_C3_F32));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(FSM_EXP_C2_F32));
  p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
  return _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.0f));
}

static inline __m256 fsm_avx2_extexp(__m256 x, __m256 *n) {
  __m256i unused;
  return fsm_avx2_extexp_biased(x, n, &unused);
}

/* Bits of 2^k for integral k <= 0 held in floats; +0 for k <= -127, k =
 * -inf and NaN. The clamp at -127 is an integer max on k's biased bits
 * (k + 127 below 0, k far below, -inf: all at or below the magic bias's
 * bits as integers), which keeps it off the FMA ports the exp saturates. */
static inline __m256i fsm_avx2_exp2_biased_bits(__m256i biased) {
  return _mm256_slli_epi32(_mm256_max_epi32(biased, _mm256_set1_epi32((int)FSM_MAGIC_BITS_F32)), 23);
}

static inline __m256i fsm_avx2_exp2_nonpositive_bits(__m256 k) {
  return fsm_avx2_exp2_biased_bits(_mm256_castps_si256(_mm256_add_ps(k, _mm256_set1_ps(FSM_AVX2_EXP2_BIAS))));
}

static inline __m256 fsm_avx2_exp2_nonpositive(__m256 k) {
  return _mm256_castsi256_ps(fsm_avx2_exp2_nonpositive_bits(k));
}

/* ps * 2^k for integral k <= 0, and +-0 wherever that would be subnormal
 * (or k <= -127): the multiply never produces a subnormal (see
 * fsm_avx2_exp_nonpositive). The result is normal iff |ps| >= 2^(-126 -
 * k), a threshold built from the same bits as 2^k and compared as
 * integers (|ps| as bits: a NaN passes; the integer compare also keeps
 * the work off the FMA ports). */
static inline __m256 fsm_avx2_scale_normal_bits(__m256 ps, __m256i bits) {
  /* bits(2^(-126 - k)) - 1 = ((1 - k) << 23) - 1 = ((128 << 23) - 1) - ((k + 127) << 23) */
  const __m256i below = _mm256_sub_epi32(_mm256_set1_epi32((128 << 23) - 1), bits);
  const __m256i abs_ps = _mm256_and_si256(_mm256_castps_si256(ps), _mm256_set1_epi32(0x7fffffff));
  const __m256i normal = _mm256_cmpgt_epi32(abs_ps, below);
  return _mm256_mul_ps(ps, _mm256_castsi256_ps(_mm256_and_si256(bits, normal)));
}

static inline float fsm_avx2_hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

/* (P, N) += (P1, N1) lane by lane, exactly rescaled to the larger N. */
static inline void fsm_avx2_extsum_merge(__m256 *p, __m256 *n, __m256 p1, __m256 n1) {
  const __m256 n_max = _mm256_max_ps(n1, *n);
  *p = _mm256_fmadd_ps(p1, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(n1, n_max)),
                       _mm256_mul_ps(*p, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(*n, n_max))));
  *n = n_max;
}

/* Per-lane extended sums P * 2^N with P in double lanes (see the sums
 * above) and N (integral) in float lanes; N = -inf for an empty lane. */
typedef struct fsm_avx2_extsum_f64 {
  __m256d lo, hi;
  __m256 n;
} fsm_avx2_extsum_f64;

static inline fsm_avx2_extsum_f64 fsm_avx2_extsum_zero(void) {
  fsm_avx2_extsum_f64 s = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_set1_ps(-INFINITY)};
  return s;
}

/* (P, N) += p * 2^n lane by lane: rescale exactly to N' = max(N, n), then
 * P = P * 2^(N - N') + p * 2^(n - N') in double. n first in the max: a NaN
 * n (NaN input) leaves N alone and poisons P through p. */
static inline void fsm_avx2_extsum_add(fsm_avx2_extsum_f64 *s, __m256 p, __m256 n) {
  const __m256 n_max = _mm256_max_ps(n, s->n);
  const __m256 old_scale = fsm_avx2_exp2_nonpositive(_mm256_sub_ps(s->n, n_max));
  const __m256 term = _mm256_mul_ps(p, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(n, n_max)));
  s->lo = _mm256_fmadd_pd(s->lo, _mm256_cvtps_pd(_mm256_castps256_ps128(old_scale)),
                          _mm256_cvtps_pd(_mm256_castps256_ps128(term)));
  s->hi = _mm256_fmadd_pd(s->hi, _mm256_cvtps_pd(_mm256_extractf128_ps(old_scale, 1)),
                          _mm256_cvtps_pd(_mm256_extractf128_ps(term, 1)));
  s->n = n_max;
}

/* The lanes merged into one exact fsm_extsum. */
static inline fsm_extsum fsm_avx2_extsum_total(fsm_avx2_extsum_f64 s) {
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  double lo[4], hi[4];
  float n[8];
  _mm256_storeu_pd(lo, s.lo);
  _mm256_storeu_pd(hi, s.hi);
  _mm256_storeu_ps(n, s.n);
  for (int l = 0; l < 4; l++) {
    fsm_extsum_add(&sum, lo[l], (double)n[l]);
    fsm_extsum_add(&sum, hi[l], (double)n[l + 4]);
  }
  return sum;
}

/* ------------------------------------------------ training kernels */

/* The loop of every training kernel: STEP(u, i) handles the 8 elements at
 * i (u: which of the UNROLL vectors of an iteration, to pick an
 * accumulator), TAIL(i, rem) the last 0 < rem < 8 through the stack copies
 * above. STEP and TAIL are the kernel's own function-like macros. */
#define FSM_AVX2_LOOP(n, unroll, STEP, TAIL)                              \
  do {                                                                    \
    size_t i_ = 0;                                                        \
    for (; i_ + (size_t)(unroll) * 8 <= (n); i_ += (size_t)(unroll) * 8) \
      for (int u_ = 0; u_ < (unroll); u_++) STEP(u_, i_ + 8 * (size_t)u_); \
    for (; i_ + 8 <= (n); i_ += 8) STEP(0, i_);                           \
    if (i_ < (n)) TAIL(i_, (n) - i_);                                     \
  } while (0)

/* Elementwise kernels: y = OP(x) (MAP1) or y = OP(a, b) (MAP2) on 8 lanes,
 * OP a function-like macro of the kernel. Each vector is loaded before it
 * is stored, so y may alias an input exactly. */
#define FSM_AVX2_MAP1(n, x, y, unroll, OP)                                            \
  do {                                                                                \
    size_t j_ = 0;                                                                    \
    for (; j_ + (size_t)(unroll) * 8 <= (n); j_ += (size_t)(unroll) * 8)             \
      for (int v_ = 0; v_ < (unroll); v_++)                                           \
        _mm256_storeu_ps((y) + j_ + 8 * v_, OP(_mm256_loadu_ps((x) + j_ + 8 * v_)));  \
    for (; j_ + 8 <= (n); j_ += 8) _mm256_storeu_ps((y) + j_, OP(_mm256_loadu_ps((x) + j_))); \
    if (j_ < (n))                                                                     \
      fsm_avx2_store_tail((y) + j_, (n) - j_, OP(fsm_avx2_load_tail((x) + j_, (n) - j_))); \
  } while (0)

#define FSM_AVX2_MAP2(n, a, b, y, unroll, OP)                                        \
  do {                                                                               \
    size_t j_ = 0;                                                                   \
    for (; j_ + (size_t)(unroll) * 8 <= (n); j_ += (size_t)(unroll) * 8)            \
      for (int v_ = 0; v_ < (unroll); v_++)                                          \
        _mm256_storeu_ps((y) + j_ + 8 * v_, OP(_mm256_loadu_ps((a) + j_ + 8 * v_),    \
                                               _mm256_loadu_ps((b) + j_ + 8 * v_)));  \
    for (; j_ + 8 <= (n); j_ += 8)                                                   \
      _mm256_storeu_ps((y) + j_, OP(_mm256_loadu_ps((a) + j_), _mm256_loadu_ps((b) + j_))); \
    if (j_ < (n))                                                                    \
      fsm_avx2_store_tail((y) + j_, (n) - j_,                                        \
                          OP(fsm_avx2_load_tail((a) + j_, (n) - j_),                 \
                             fsm_avx2_load_tail((b) + j_, (n) - j_)));               \
  } while (0)

/* The total of `count` double-lane sums. */
static inline double fsm_avx2_sums_total(const fsm_avx2_sum_f64 *s, int count) {
  fsm_avx2_sum_f64 t = s[0];
  for (int a = 1; a < count; a++) {
    t.lo = _mm256_add_pd(t.lo, s[a].lo);
    t.hi = _mm256_add_pd(t.hi, s[a].hi);
  }
  return fsm_avx2_sum_total(t);
}

/* The vector log (fsm_math.h), first step, on 4 double lanes: w = 2^k (1 +
 * f); returns f (exact) and sets *k. Lanes with w outside (0, +inf) get f =
 * 0 and k = log w itself (-inf for +-0, +inf for +inf, NaN for w < 0 and
 * NaN), which the float step then returns unchanged; that fix-up is a
 * branch, never taken on ordinary rows. Subnormal w (< 2^-1022) are not
 * reduced correctly: no caller produces them. */
static inline __m256d fsm_avx2_log_reduce_pd(__m256d w, __m256d *k) {
  const __m256i t = _mm256_add_epi64(
      _mm256_castpd_si256(w),
      _mm256_set1_epi64x((long long)(FSM_LOG_ONE_BITS_F64 - FSM_LOG_SQRT_HALF_BITS_F64)));
  const __m256i m_bits = _mm256_add_epi64(
      _mm256_and_si256(t, _mm256_set1_epi64x(0x000FFFFFFFFFFFFFll)),
      _mm256_set1_epi64x((long long)FSM_LOG_SQRT_HALF_BITS_F64));
  /* k + 1023 = t >> 52 in [0, 2047], as a double: or it into 2^52's mantissa */
  const __m256d two52 = _mm256_set1_pd(0x1p52);
  *k = _mm256_sub_pd(
      _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(t, 52), _mm256_castpd_si256(two52))),
      _mm256_set1_pd(0x1p52 + 1023.0));
  __m256d f = _mm256_sub_pd(_mm256_castsi256_pd(m_bits), _mm256_set1_pd(1.0));
  const __m256d inf = _mm256_set1_pd(INFINITY);
  const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(w, _mm256_setzero_pd(), _CMP_GT_OQ),
                                   _mm256_cmp_pd(w, inf, _CMP_LT_OQ));
  if (_mm256_movemask_pd(ok) != 0xF) {
    __m256d special = _mm256_blendv_pd(_mm256_set1_pd(NAN), _mm256_set1_pd(-INFINITY),
                                       _mm256_cmp_pd(w, _mm256_setzero_pd(), _CMP_EQ_OQ));
    special = _mm256_blendv_pd(special, inf, _mm256_cmp_pd(w, inf, _CMP_EQ_OQ));
    *k = _mm256_blendv_pd(special, *k, ok);
    f = _mm256_and_pd(f, ok);
  }
  return f;
}

/* Second step, on 8 float lanes: k ln2 + log(1 + f) for |f| <= sqrt(2) - 1
 * (fsm_math.h: p(f) = f + f^2 (-1/2 + f P(f)), P of degree 7). */
static inline __m256 fsm_avx2_log_finish(__m256 f, __m256 k, __m256 c) {
  /* -1/2 + f P(f) by Estrin's scheme: half the dependent FMAs of Horner's */
#define C_(name) _mm256_set1_ps(FSM_LOG_##name##_F32)
  const __m256 f2 = _mm256_mul_ps(f, f), f4 = _mm256_mul_ps(f2, f2);
  const __m256 a01 = _mm256_fmadd_ps(C_(P0), f, _mm256_set1_ps(-0.5f));
  const __m256 a23 = _mm256_fmadd_ps(C_(P2), f, C_(P1));
  const __m256 a45 = _mm256_fmadd_ps(C_(P4), f, C_(P3));
  const __m256 a67 = _mm256_fmadd_ps(C_(P6), f, C_(P5));
  const __m256 b0 = _mm256_fmadd_ps(a23, f2, a01);
  const __m256 b1 = _mm256_fmadd_ps(_mm256_fmadd_ps(C_(P7), f2, a67), f2, a45);
#undef C_
  const __m256 q = _mm256_fmadd_ps(b1, f4, b0);
  const __m256 p = _mm256_fmadd_ps(q, f2, f);
  return _mm256_fmadd_ps(k, _mm256_set1_ps(FSM_LOG_LN2_HI_F32),
                         _mm256_add_ps(p, _mm256_fmadd_ps(k, _mm256_set1_ps(FSM_LOG_LN2_LO_F32), c)));
}

/* log w for 8 doubles w (lanes 0-3 in lo), rounded to float lanes: 0 ->
 * -inf, < 0 -> NaN, +inf -> +inf, NaN -> NaN. */
static inline __m256 fsm_avx2_log_pd(__m256d w_lo, __m256d w_hi) {
  __m256d k_lo, k_hi;
  const __m256d f_lo = fsm_avx2_log_reduce_pd(w_lo, &k_lo);
  const __m256d f_hi = fsm_avx2_log_reduce_pd(w_hi, &k_hi);
  return fsm_avx2_log_finish(fsm_avx2_pack_pd(f_lo, f_hi), fsm_avx2_pack_pd(k_lo, k_hi),
                              _mm256_setzero_ps());
}

/* log(1 + v) for 8 floats v >= 0, in float (fsm_math.h): u = 1 + v
 * reduced from its bits, the rounding error of 1 + v added back as err / u
 * (rcp: err / u is below 2^-24 of the result where it is used), and f = v
 * itself where k = 0. +inf and NaN come back unchanged. */
static inline __m256 fsm_avx2_log1p_ps(__m256 v) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 u = _mm256_add_ps(one, v);
  const __m256i t = _mm256_add_epi32(
      _mm256_castps_si256(u), _mm256_set1_epi32((int)(FSM_LOG_ONE_BITS_F32 - FSM_LOG_SQRT_HALF_BITS_F32)));
  const __m256i k_i32 = _mm256_sub_epi32(_mm256_srli_epi32(t, 23), _mm256_set1_epi32(127));
  const __m256 m = _mm256_castsi256_ps(_mm256_add_epi32(
      _mm256_and_si256(t, _mm256_set1_epi32(0x007FFFFF)), _mm256_set1_epi32((int)FSM_LOG_SQRT_HALF_BITS_F32)));
  const __m256 k0 = _mm256_castsi256_ps(_mm256_cmpeq_epi32(k_i32, _mm256_setzero_si256()));
  /* Fast2Sum: err = lo - (u - hi) exactly, hi = max(1, v), lo = min(1, v) */
  const __m256 err = _mm256_sub_ps(_mm256_min_ps(one, v), _mm256_sub_ps(u, _mm256_max_ps(one, v)));
  const __m256 c = _mm256_andnot_ps(k0, _mm256_mul_ps(err, _mm256_rcp_ps(u)));
  const __m256 f = _mm256_blendv_ps(_mm256_sub_ps(m, one), v, k0);
  const __m256 r = fsm_avx2_log_finish(f, _mm256_cvtepi32_ps(k_i32), c);
  return _mm256_blendv_ps(v, r, _mm256_cmp_ps(v, _mm256_set1_ps(INFINITY), _CMP_LT_OQ));
}

#endif /* FSM_AVX2_COMMON_H */

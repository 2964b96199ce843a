/*
 * Constants shared by every ISA's exp, so that all tables compute the same
 * numerics as the scalar reference. Internal; not installed.
 *
 * Table-driven exp (8 entries, "lut8") of the three-pass kernels (exp of
 * x - max <= 0); extexp, the two-pass (p, n), keeps the polynomial below:
 *   n = rint(x * 8 log2(e)), j = n mod 8, m = n >> 3, t = x - n * ln2/8,
 *   exp(x) = 2^m * T[j] * (1 + q(t)),   T[j] = 2^(j/8),   |t| <= ln2/16.
 *   - n by the magic-bias trick: (x * 8log2e + 0x1.8p23) - 0x1.8p23; the low
 *     bits of the biased float are n in two's complement. Its low 3 bits
 *     are j: the table lookup is one permute (AVX2 vpermd, AVX-512
 *     vpermd with the table twice, NEON tbl; in scalar a select tree on
 *     the 3 index bits, which the compiler vectorises).
 *   - exp_nonpositive builds T[j] * 2^m with one integer add: the table
 *     holds bits(T[j]) - (j << 20) (FSM_EXPT_TABLE_ADJ_BITS) and the biased
 *     float's bits << 20 are (m << 23) + (j << 20) mod 2^32. For m = -127
 *     only j = 0 gives +0 (x = -88, the clamp), so results below FLT_MIN
 *     (x < XNORMAL, about -87.34) are flushed to 0 on every ISA.
 *   - q(t) = t + t^2 (C2 + C3 t): degree-3 minimax fit of exp(t) - 1 on
 *     relative error over [-0.04395, 0.04395] (ln2/16 plus the rounding of
 *     x * 8log2e), scipy linprog on 6001 Chebyshev nodes,
 *     coefficients rounded to float32: 0.46 * 2^-24 in exact arithmetic
 *     (degree 4 would give 0.003 * 2^-24; degree 2, 237). The result is
 *     s + s * q (one FMA on the SIMD ISAs), so the rounding of q (|q| <=
 *     0.045) costs little; T[j] rounded to float adds <= 0.54 * 2^-24.
 *     Measured max error over every float in [-87.3, 0] (tests/c with
 *     FSM_TEST_ULP_STEP=1): avx2 1.151 ulp, avx512 (SIMDe) 1.151, scalar
 *     (no FMA) 1.384, neon 1.151 (qemu, every 7th float); the former
 *     degree-6 exp: avx2 0.880, scalar 1.166. <= 2 ulp documented.
 *   - Cody-Waite, exp_nonpositive: ln2/8 = LN2O8_HI + LN2O8_LO, HI with 14
 *     significant bits: n * HI is exact for |n| < 2^10 (x >= -88 gives
 *     n >= -1016), with or without FMA; ln2/8 - HI - LO is 2.2e-14, at most
 *     2.2e-11 absolute in t.
 * FMA-pipe work per vector, exp_nonpositive: 1 (rint) + 2 (reduction) + 4
 * (t^2, C2 + C3 t, q, s + s q) = 7, against 10 for the former degree-6
 * polynomial (bench/c/README.md).
 */
#ifndef FSM_MATH_H
#define FSM_MATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define FSM_MAGIC_BIAS_F32 0x1.8p23f           /* 1.5 * 2^23: rounds to an integer */
#define FSM_MAGIC_BITS_F32 0x4B400000u         /* bits of FSM_MAGIC_BIAS_F32 */
#define FSM_LOG2E_X8_F32   0x1.715476p+3f      /* 8 * log2(e) */
#define FSM_LN2O8_HI_F32   0x1.62e8p-4f        /* ln2/8, 14 significant bits */
#define FSM_LN2O8_LO_F32   -0x1.e8082ep-19f    /* ln2/8 - HI */
#define FSM_EXPT_C2_F32    0x1.0008b2p-1f
#define FSM_EXPT_C3_F32    0x1.55565ep-3f
/* bits(2^(j/8)) - (j << 20), at index j = 0..7 */
#define FSM_EXPT_TABLE_ADJ_BITS \
  {0x3F800000u, 0x3F7B95C2u, 0x3F7837F0u, 0x3F75FED7u, \
   0x3F7504F3u, 0x3F75672Au, 0x3F7744FDu, 0x3F7AC0C7u}
/* extexp (the two-pass (p, n)): NOT the table. exp(x) = p(t) * 2^n,
 * n = rint(x * log2(e)), t = x - n * ln2 (LN2_HI has 9 significant bits:
 * n * LN2_HI exact for |n| < 2^15, i.e. |x| <= 2^14; the log-softmax
 * driver relies on it too), p(t) = 1 + t + C2 t^2 + ... + C6 t^6, a
 * minimax fit of exp on [-0.3475, 0.3475] (ln2/2 plus the rounding of
 * x * log2e at |x| <= 2^14); relative error 3e-9 in exact arithmetic.
 * A table extexp (m = floor((n8 + 4) / 8), three-constant reduction for
 * |n8| < 2^18, p in [0.677, 1.355]) was measured slower on Zen 3 (same 9
 * FMA-pipe ops plus 3 others; raddextexp -18%, vscaleextexp -9%, best of
 * 12 interleaved runs): see bench/c/README.md. */
#define FSM_LOG2E_F32      0x1.715476p+0f
#define FSM_LN2_HI_F32     0x1.63p-1f          /* 0.693359375, 9 bits */
#define FSM_LN2_LO_F32     -0x1.bd0106p-13f    /* ln2 - LN2_HI */
#define FSM_EXP_C2_F32     0x1.fffffcp-2f
#define FSM_EXP_C3_F32     0x1.555452p-3f
#define FSM_EXP_C4_F32     0x1.555786p-5f
#define FSM_EXP_C5_F32     0x1.1260f0p-7f
#define FSM_EXP_C6_F32     0x1.6bdd86p-10f
/* The smallest float x with exp(x) >= FLT_MIN (ln 2^-126 rounded up). */
#define FSM_EXP_XNORMAL_F32 -0x1.5d589ep+6f

/* exp of a non-positive argument (three-pass kernels: x - max <= 0):
 * clamp below at -88 so that n >= -1016 (m = -127, j = 0: the built scale
 * has all bits zero, i.e. +0.0) and n * LN2O8_HI stays exact; -inf gives
 * exactly 0. Clamp as max(XMIN, x) so NaN stays. */
#define FSM_EXP_XMIN_F32   -88.0f

/* The two-pass (mantissa, exponent) domain. Inputs are clamped below at
 * EXT_XMIN (so -inf contributes 0 instead of NaN). The (P, N) sum is exact
 * only while N = max_i n_i lies in [EXT_NMIN, EXT_NMAX]: |x| <= 2^14 keeps
 * the reduction exact and N >= EXT_NMIN keeps the clamped elements 2^-185
 * or more below the largest, i.e. exactly 0 after scaling. Rows outside
 * (max x > 16384, max x < -16256, +inf, all -inf) take the three-pass
 * recompute path instead: the drivers check N. */
#define FSM_EXT_XMIN_F32   -16384.0f
#define FSM_EXT_NMIN_F32   -23452.0
#define FSM_EXT_NMAX_F32   23637.0

/* float64: libm exp for p, a 32-bit LN2_HI (n * LN2_HI exact for |n| < 2^21). */
#define FSM_LOG2E_F64      0x1.71547652b82fep+0
#define FSM_LN2_HI_F64     0x1.62e42feep-1
#define FSM_LN2_LO_F64     0x1.a39ef35793c76p-33
#define FSM_EXT_XMIN_F64   -1048576.0                /* -2^20 */
#define FSM_EXT_NMIN_F64   -1511188.0                /* (-2^20 + 1100) * log2e */
#define FSM_EXT_NMAX_F64   1512775.0                 /* 2^20 * log2e */

/* The vector log of the training kernels (vlogquad, vlogstable), avx2 and
 * avx512 alike: the argument w > 0 arrives in double lanes and is reduced
 * there, w = 2^k (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), from the bits:
 * t = bits(w) + (bits(1.0) - bits(sqrt(1/2))), k = (t >> 52) - 1023,
 * bits(1 + f) = (t & mantissa) + bits(sqrt(1/2)); f = (1 + f) - 1 is exact.
 * f and k are rounded to float (f loses <= 2^-24 relative, k is exact) and
 *   log w = k LN2_HI + (k LN2_LO + p(f)),  p(f) = f + f^2 (-1/2 + f P(f)),
 * P of degree 7: a Lawson-iterated weighted least-squares fit (numpy,
 * 4001 Chebyshev nodes) minimising the relative error of p as log1p on
 * [sqrt(1/2) - 1, sqrt(2) - 1]; with the coefficients rounded to float32
 * 0.13 * 2^-24 in exact arithmetic (degree 6: 0.58). LN2_HI has 8
 * significant bits (k LN2_HI exact for |k| < 2^16, every double exponent)
 * and is below ln2, so LN2_LO > 0: k = +-inf (w = +inf, 0) gives +-inf
 * without an inf - inf. Measured error: tests/c/test_training_kernels.c. */
#define FSM_LOG_SQRT_HALF_BITS_F64 0x3FE6A09E667F3BCDull  /* bits(sqrt(1/2)) */
#define FSM_LOG_ONE_BITS_F64       0x3FF0000000000000ull  /* bits(1.0) */
/* log1p of a float v >= 0 (vlogstable) reduces u = 1 + v in float the same
 * way (t = bits(u) + bits(1.0f) - bits(sqrt(1/2)), k = (t >> 23) - 127),
 * adds back the rounding error of 1 + v (Fast2Sum) as err / u, and takes f
 * = v itself where k = 0 (v < sqrt(2) - 1), so tiny v stay exact. */
#define FSM_LOG_SQRT_HALF_BITS_F32 0x3F3504F3u   /* bits(sqrt(1/2)) rounded down */
#define FSM_LOG_ONE_BITS_F32       0x3F800000u
#define FSM_LOG_LN2_HI_F32 0x1.62p-1f        /* 0.69140625, 8 significant bits */
#define FSM_LOG_LN2_LO_F32 0x1.c85fep-10f    /* ln2 - LN2_HI (4e-11 off) */
#define FSM_LOG_P0_F32 0x1.555554p-2f
#define FSM_LOG_P1_F32 -0x1.000228p-2f
#define FSM_LOG_P2_F32 0x1.99a008p-3f
#define FSM_LOG_P3_F32 -0x1.547244p-3f
#define FSM_LOG_P4_F32 0x1.22da22p-3f
#define FSM_LOG_P5_F32 -0x1.0d8552p-3f
#define FSM_LOG_P6_F32 0x1.055b46p-3f
#define FSM_LOG_P7_F32 -0x1.38b4ccp-4f

/* log w of a float32 row's sum of exps (w >= 1 there: the max's own term
 * is exp(0) = 1) without calling libm, whose call clobbers every vector
 * register of a kernel that holds rows in them (generic/softmax_short.c).
 * The vector log's reduction and polynomial above, in double: w = 2^k (1 +
 * f), log w = k ln2 + f + f^2 (-1/2 + f P(f)), P by Estrin's scheme; the
 * polynomial's 0.13 * 2^-24 relative error is all the error before the
 * caller rounds to float (not for float64 results). Any positive normal w;
 * NaN, 0, negative, subnormal and infinite w go to libm. */
static inline double fsm_mad_f64(double a, double b, double c) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
  return __builtin_fma(a, b, c); /* ISO C builds do not contract a * b + c */
#else
  return a * b + c;
#endif
}
static inline double fsm_log_sum_f64(double w) {
  if (!(w >= DBL_MIN && w <= DBL_MAX)) return log(w);
  uint64_t b;
  memcpy(&b, &w, sizeof b);
  const uint64_t t = b + (FSM_LOG_ONE_BITS_F64 - FSM_LOG_SQRT_HALF_BITS_F64);
  const double k = (double)((int)(t >> 52) - 1023);
  const uint64_t mb = (t & 0x000FFFFFFFFFFFFFull) + FSM_LOG_SQRT_HALF_BITS_F64;
  double m;
  memcpy(&m, &mb, sizeof m);
  const double f = m - 1.0, f2 = f * f, f4 = f2 * f2;
  const double q = fsm_mad_f64(
      f4, fsm_mad_f64(f2, fsm_mad_f64(f, FSM_LOG_P7_F32, FSM_LOG_P6_F32),
                      fsm_mad_f64(f, FSM_LOG_P5_F32, FSM_LOG_P4_F32)),
      fsm_mad_f64(f2, fsm_mad_f64(f, FSM_LOG_P3_F32, FSM_LOG_P2_F32),
                  fsm_mad_f64(f, FSM_LOG_P1_F32, FSM_LOG_P0_F32)));
  return fsm_mad_f64(k, FSM_LN2_HI_F64,
                     fsm_mad_f64(k, FSM_LN2_LO_F64, fsm_mad_f64(f2, fsm_mad_f64(f, q, -0.5), f)));
}

/* Most elements a kernel sums in vector (or float) accumulators before it
 * folds them into its double total. */
#define FSM_SUM_BLOCK 1024

#endif /* FSM_MATH_H */

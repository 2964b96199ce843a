/*
 * Constants shared by every ISA's exp, so that all tables compute the same
 * numerics as the scalar reference. Internal; not installed.
 *
 * exp(x) = p(t) * 2^n, n = rint(x * log2(e)), t = x - n * ln2 (Cody-Waite):
 *   - n by the magic-bias trick: (x * log2e + 0x1.8p23) - 0x1.8p23; the low
 *     bits of the biased float are n in two's complement, so 2^n is built
 *     with integer ops: bits = (bits(biased) - bits(0x1.8p23) + 127) << 23.
 *   - ln2 = LN2_HI + LN2_LO. LN2_HI has 9 significant bits, so n * LN2_HI is
 *     exact in float32 for |n| < 2^15 with or without FMA, and
 *     t = (x - n * LN2_HI) - n * LN2_LO loses nothing in the first step.
 *   - p(t) = 1 + t + C2 t^2 + ... + C6 t^6, a minimax fit of exp on
 *     [-0.3475, 0.3475] (ln2/2 plus the rounding of x * log2e at |x| <=
 *     2^14); relative error 3e-9 in exact arithmetic, <= 1 ulp evaluated in
 *     float32 Horner form with FMA (tests/c measure the whole exp).
 */
#ifndef FSM_MATH_H
#define FSM_MATH_H

#define FSM_LOG2E_F32      0x1.715476p+0f
#define FSM_LN2_HI_F32     0x1.63p-1f          /* 0.693359375, 9 bits */
#define FSM_LN2_LO_F32     -0x1.bd0106p-13f    /* ln2 - LN2_HI */
#define FSM_MAGIC_BIAS_F32 0x1.8p23f           /* 1.5 * 2^23: rounds to an integer */
#define FSM_MAGIC_BITS_F32 0x4B400000u         /* bits of FSM_MAGIC_BIAS_F32 */
#define FSM_EXP_C2_F32     0x1.fffffcp-2f
#define FSM_EXP_C3_F32     0x1.555452p-3f
#define FSM_EXP_C4_F32     0x1.555786p-5f
#define FSM_EXP_C5_F32     0x1.1260f0p-7f
#define FSM_EXP_C6_F32     0x1.6bdd86p-10f

/* exp of a non-positive argument (three-pass kernels: x - max <= 0):
 * clamp below at -88 so that n >= -127, where the built scale 2^n has all
 * bits zero, i.e. +0.0: everything under about -87.7 (results below
 * FLT_MIN, and -inf) gives exactly 0. Clamp as max(XMIN, x) so NaN stays. */
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

/* Most elements a kernel sums in vector (or float) accumulators before it
 * folds them into its double total. */
#define FSM_SUM_BLOCK 1024

#endif /* FSM_MATH_H */

/*
 * Scalar float32 exp building blocks: the reference numerics every SIMD
 * table reproduces (same constants, table, reduction and polynomial; see
 * fsm_math.h). Plain C99 with no libm calls and no branches, so that the
 * compiler may vectorise the block loops of the kernels that use them.
 */
#ifndef FSM_SCALAR_EXP_H
#define FSM_SCALAR_EXP_H

#include <stdint.h>
#include <string.h>

#include "../half.h" /* fsm_f32_to_bits, fsm_f32_from_bits */
#include "../kernels.h"

/* The scalar kernels fold their float accumulators into double this often. */
#define FSM_SCALAR_BLOCK 256
#define FSM_SCALAR_ACCS 8

/* rint(v) for |v| < 2^22, as the biased float 1.5 * 2^23 + rint(v): its
 * low mantissa bits hold the integer in two's complement. */
static inline float fsm_scalar_biased_rint(float v) { return v + FSM_MAGIC_BIAS_F32; }

/* 2^n from a biased n (see above), for -127 <= n <= 127; n == -127 gives +0. */
static inline float fsm_scalar_exp2_biased(float biased) {
  return fsm_f32_from_bits((fsm_f32_to_bits(biased) - FSM_MAGIC_BITS_F32 + 127u) << 23);
}

/* q(t) = t + t^2 (C2 + C3 t) ~ exp(t) - 1 for |t| <= 0.04395 (fsm_math.h). */
static inline float fsm_scalar_expt_q(float t) {
  return t + (t * t) * (FSM_EXPT_C3_F32 * t + FSM_EXPT_C2_F32);
}

/* FSM_EXPT_TABLE_ADJ_BITS[bits & 7] as a select tree on the three index
 * bits rather than an array load: the compiler vectorises the block loops
 * of the kernels with it (blends), which it does not with a load (no
 * gather in the baseline ISA): the array form ran the scalar raddstoreexp
 * at 0.21 instead of 0.7 elements/ns (x86-64 baseline, Zen 3). */
static inline uint32_t fsm_scalar_expt_adj(uint32_t bits) {
  const uint32_t b0 = 0u - (bits & 1u), b1 = 0u - ((bits >> 1) & 1u), b2 = 0u - ((bits >> 2) & 1u);
  const uint32_t t01 = (0x3F800000u & ~b0) | (0x3F7B95C2u & b0);
  const uint32_t t23 = (0x3F7837F0u & ~b0) | (0x3F75FED7u & b0);
  const uint32_t t45 = (0x3F7504F3u & ~b0) | (0x3F75672Au & b0);
  const uint32_t t67 = (0x3F7744FDu & ~b0) | (0x3F7AC0C7u & b0);
  const uint32_t t03 = (t01 & ~b1) | (t23 & b1);
  const uint32_t t47 = (t45 & ~b1) | (t67 & b1);
  return (t03 & ~b2) | (t47 & b2);
}

/* exp(x) for x <= 0, the table exp of fsm_math.h: 0 for -inf and below
 * XNORMAL (about -87.34: results below FLT_MIN are flushed, as on every
 * ISA, since T[j] * 2^m cannot be built from bits for m = -127), NaN for
 * NaN. */
static inline float fsm_scalar_exp_nonpositive(float x) {
  x = x < FSM_EXP_XMIN_F32 ? FSM_EXP_XMIN_F32 : x;  /* NaN compares false: kept */
  const float biased = fsm_scalar_biased_rint(x * FSM_LOG2E_X8_F32);
  const float n = biased - FSM_MAGIC_BIAS_F32;
  const uint32_t bits = fsm_f32_to_bits(biased);
  /* bits(T[j]) - (j << 20) + (m << 23) + (j << 20) = bits(T[j] * 2^m) */
  float s = fsm_f32_from_bits(fsm_scalar_expt_adj(bits) + (bits << 20));
  s = x < FSM_EXP_XNORMAL_F32 ? 0.0f : s;
  float t = x - n * FSM_LN2O8_HI_F32;  /* exact: |n| <= 1016 */
  t = t - n * FSM_LN2O8_LO_F32;
  return s + s * fsm_scalar_expt_q(t);
}

/* extexp: the former polynomial exp (fsm_math.h), not the table. */
static inline float fsm_scalar_exp_poly(float t) {
  float p = FSM_EXP_C6_F32;
  p = p * t + FSM_EXP_C5_F32;
  p = p * t + FSM_EXP_C4_F32;
  p = p * t + FSM_EXP_C3_F32;
  p = p * t + FSM_EXP_C2_F32;
  p = p * t + 1.0f;
  return p * t + 1.0f;
}

/* ln2 - FSM_LN2_HI_F32 in two parts for extexp's reduction: 9 bits (n * MID
 * exact for |n| < 2^15), and the rest. */
#define FSM_SCALAR_LN2_MID_F32 -0x1.bdp-13f
#define FSM_SCALAR_LN2_LO2_F32 -0x1.05c61p-29f

/* exp(x) = p * 2^n with p in [0.70, 1.42], for x clamped at FSM_EXT_XMIN_F32.
 * Exact reduction while |x| <= 2^14; beyond, n is still returned (possibly
 * huge or infinite) so that the caller can tell the row left the domain. */
static inline float fsm_scalar_extexp(float x, float *n) {
  x = x < FSM_EXT_XMIN_F32 ? FSM_EXT_XMIN_F32 : x;
  *n = (x * FSM_LOG2E_F32 + FSM_MAGIC_BIAS_F32) - FSM_MAGIC_BIAS_F32;
  float t = x - *n * FSM_LN2_HI_F32;  /* exact: |n| < 2^15 */
  /* n * LN2_LO reaches 5 at |x| = 2^14: rounded to float it cost up to
   * 2^-22 in t, 4 ulp of p, which the two-pass log-softmax passes on
   * (found by the fuzzer, tests/fuzz; the SIMD kernels fuse it with an
   * FMA). So a third Cody-Waite term: n * MID is exact, t - n * MID exact
   * where n is large (both near n (ln2 - LN2_HI)), and n * LO2 tiny. */
  t = t - *n * FSM_SCALAR_LN2_MID_F32;
  t = t - *n * FSM_SCALAR_LN2_LO2_F32;
  return fsm_scalar_exp_poly(t);
}

/* 2^k for an integral k <= 0 held in a float; 0 for k <= -127. */
static inline float fsm_scalar_exp2_nonpositive(float k) {
  k = k < -127.0f ? -127.0f : k;
  return fsm_scalar_exp2_biased(k + FSM_MAGIC_BIAS_F32);
}

/* Sum of a block of n <= FSM_SCALAR_BLOCK floats, accumulated in double
 * lanes: a float accumulator holding one dominant term (the max's exp is
 * 1) would lose up to half an ulp of it at every further add. */
static inline double fsm_scalar_block_sum(size_t n, const float *y) {
  double acc[FSM_SCALAR_ACCS] = {0.0};
  size_t i = 0;
  for (; i + FSM_SCALAR_ACCS <= n; i += FSM_SCALAR_ACCS)
    for (size_t k = 0; k < FSM_SCALAR_ACCS; k++) acc[k] += (double)y[i + k];
  for (; i < n; i++) acc[0] += (double)y[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

/* StableMax's s(x) = x + 1 for x >= 0, 1 / (1 - x) for x < 0 (docs/math.md#stablemax);
 * NaN takes the second branch and stays NaN. Used by the training kernels. */
static inline double fsm_scalar_stable(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

#endif /* FSM_SCALAR_EXP_H */

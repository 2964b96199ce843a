/*
 * AArch64 Advanced SIMD (NEON) building blocks shared by the neon kernels:
 * the vector form of the scalar exp (scalar/exp.h, constants in
 * fsm_math.h), 2^k from integral floats, partial loads/stores for tails and
 * the fold of float accumulators into double. All static inline, so nothing
 * here leaks into another ISA's objects.
 *
 * Numerics: the same table, reduction and polynomial as scalar/exp.h
 * (fsm_math.h), with every multiply-add fused (vfmaq_f32/vfmsq_f32): rint
 * of x * 8log2e by the magic bias, T[n mod 8] by TBL, Cody-Waite
 * t = x - n*HI - n*LO, q = t + t^2 (C2 + C3 t), s + s*q. Results may differ from the scalar table (which does not
 * fuse) in the last bit; both are tested against float64.
 *
 * NaN: vmaxq_f32 (FMAX) returns NaN when either operand is NaN, so the
 * clamps max(XMIN, x) keep NaN; vmaxnmq_f32 (FMAXNM) drops a quiet NaN and
 * is used where a NaN must not become an exponent (raddextexp).
 */
#ifndef FSM_NEON_COMMON_H
#define FSM_NEON_COMMON_H

#if !defined(__ARM_NEON) || !defined(__aarch64__)
#error "neon/ needs AArch64 Advanced SIMD (__aarch64__ and __ARM_NEON); build it only for aarch64"
#endif

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>

#include "../kernels.h"

/* Main loops: 4 vectors (16 floats) per iteration. (Reasoned for the
 * former degree-6 exp; the table exp is ~18 instructions and a shorter
 * chain, so 4 is if anything more than needed; not re-tuned, no AArch64
 * hardware here.) One vector's exp was
 * ~23 instructions (register copies for the destructive FMLA included) on
 * a dependency chain of ~45 cycles (FMA 4, FADD/FMAX 2 cycles on Cortex-
 * A76/Neoverse-N1), and issues in ~11.5 cycles on their 2 FP/ASIMD pipes:
 * 45 / 11.5 ~ 4 independent vectors keep both pipes busy even before
 * out-of-order overlap of iterations, and give in-order cores (Cortex-
 * A53/A55) 4 chains to interleave. 4 chains x 3 live registers + 4
 * accumulators + 10 constants fit the 32 vector registers (raddextexp,
 * with 2 more live values per vector, reloads a few constants; the table
 * exp, with 13 constants and a 2-register table, is taken in two pairs of
 * vectors, fsm_neon_exp4_nonpositive). The only
 * loop-carried dependency is one FADD/FMAX per accumulator per ~45-cycle
 * iteration, so one accumulator per unrolled vector is plenty; more would
 * only cost registers. */
#define FSM_NEON_UNROLL 16

/* The sum kernels fold their float accumulators into double every 64
 * elements (FSM_SUM_BLOCK, 1024, is the upper bound), so a float lane adds
 * at most 4 terms: a lane holding a dominant term (the max's exp is 1)
 * loses up to half an ulp of it at every add, which at 256 (16 adds) made
 * the softmax of a constant row several ulp off. Measured under qemu at 4M
 * elements, 1024 -> 256 had already taken raddextexp's relative error from
 * 9e-8 to 2e-8 and raddexp's from 4.3e-8 to 8e-9. A fold costs ~20
 * instructions (~0.3 per element at 64) plus, for raddextexp, one
 * fsm_extsum_add (no libm call on its common path). */
#define FSM_NEON_SUM_BLOCK 64

/* Elements of the next sum block: whole iterations, at most a block. */
static inline size_t fsm_neon_block_length(size_t n) {
  return (n < FSM_NEON_SUM_BLOCK ? n : FSM_NEON_SUM_BLOCK) & ~(size_t)(FSM_NEON_UNROLL - 1);
}

/* The table exp of fsm_math.h (see there): T[n mod 8] by TBL from the
 * 32-byte table in two registers. The byte indexes of lane j are 4j + 0..3:
 * (bits & 7) * 0x04040404 + 0x03020100, one AND and one MLA. */
static inline float32x4_t fsm_neon_expt_lookup(uint8x16x2_t table_u8x16x2, uint32x4_t bits_u32x4) {
  const uint32x4_t idx_u32x4 = vmlaq_u32(vdupq_n_u32(0x03020100u),
                                         vandq_u32(bits_u32x4, vdupq_n_u32(7u)),
                                         vdupq_n_u32(0x04040404u));
  return vreinterpretq_f32_u8(vqtbl2q_u8(table_u8x16x2, vreinterpretq_u8_u32(idx_u32x4)));
}

/* The table exp's loaded operands, which each kernel loads once, before
 * its loops, and passes into fsm_neon_exp_nonpositive: the 32-byte TBL
 * table (one LD1 of two registers) and the constants that only multiply,
 * packed in one register for by-element FMLA/FMLS (8 log2e, LN2/8 HI,
 * LN2/8 LO, C3; gcc 12 hoists the four DUPs out of the loops anyway). When
 * the exp built the table itself from two vld1q_u32, gcc 12 (-O3) rebuilt
 * it on the stack every iteration (2 adrp + 2 ldr, 4 stp, 4 ld1, 4 add per
 * 16 elements) and kept the sums' accumulators on the stack. It keeps the
 * table in two registers only as a uint8x16x2_t from vld1q_u8_x2 held in a
 * variable of its own: built from two vectors, or as a member of a struct,
 * it still goes through the stack (bench/README-neon.md). The bytes are
 * those of table_bits in memory, as TBL indexes them on little-endian
 * AArch64 (the only one CMake builds the neon folder for). */
static inline uint8x16x2_t fsm_neon_expt_table_load(void) {
  static const uint32_t table_bits[8] = FSM_EXPT_TABLE_ADJ_BITS;
  return vld1q_u8_x2((const uint8_t *)table_bits);
}

static inline float32x4_t fsm_neon_expt_k_load(void) {
  static const float lanes[4] = {FSM_LOG2E_X8_F32, FSM_LN2O8_HI_F32, FSM_LN2O8_LO_F32,
                                 FSM_EXPT_C3_F32};
  return vld1q_f32(lanes);
}

/* q(t) = t + t^2 (C2 + C3 t), C3 in lane 3 of k (by-element FMLA). */
static inline float32x4_t fsm_neon_expt_q(float32x4_t t_f32x4, float32x4_t k_f32x4) {
  const float32x4_t t2_f32x4 = vmulq_f32(t_f32x4, t_f32x4);
  const float32x4_t w_f32x4 = vfmaq_laneq_f32(vdupq_n_f32(FSM_EXPT_C2_F32), t_f32x4, k_f32x4, 3);
  return vfmaq_f32(t_f32x4, w_f32x4, t2_f32x4);
}

/* exp(x) for x <= 0 (x - c in the three-pass kernels): clamp at -88 (n >=
 * -1016), NaN stays NaN; -inf and results below FLT_MIN (x < XNORMAL)
 * give exactly 0: T[j] * 2^m is built from bits (one integer add, see
 * fsm_math.h), which cannot represent m = -127. table and k: from
 * fsm_neon_expt_table_load and fsm_neon_expt_k_load. */
static inline float32x4_t fsm_neon_exp_nonpositive(float32x4_t x_f32x4,
                                                   uint8x16x2_t table_u8x16x2,
                                                   float32x4_t k_f32x4) {
  x_f32x4 = vmaxq_f32(vdupq_n_f32(FSM_EXP_XMIN_F32), x_f32x4);
  /* biased = 1.5*2^23 + rint(x*8log2e): the low mantissa bits hold n */
  const float32x4_t biased_f32x4 =
      vfmaq_laneq_f32(vdupq_n_f32(FSM_MAGIC_BIAS_F32), x_f32x4, k_f32x4, 0);
  const float32x4_t n_f32x4 = vsubq_f32(biased_f32x4, vdupq_n_f32(FSM_MAGIC_BIAS_F32));
  const uint32x4_t bits_u32x4 = vreinterpretq_u32_f32(biased_f32x4);
  /* bits(T[j]) - (j << 20) + (m << 23) + (j << 20) = bits(T[j] * 2^m) */
  const uint32x4_t s_u32x4 =
      vaddq_u32(vreinterpretq_u32_f32(fsm_neon_expt_lookup(table_u8x16x2, bits_u32x4)),
                vshlq_n_u32(bits_u32x4, 20));
  const uint32x4_t normal_u32x4 = vcgeq_f32(x_f32x4, vdupq_n_f32(FSM_EXP_XNORMAL_F32));
  const float32x4_t s_f32x4 = vreinterpretq_f32_u32(vandq_u32(s_u32x4, normal_u32x4));
  float32x4_t t_f32x4 = vfmsq_laneq_f32(x_f32x4, n_f32x4, k_f32x4, 1);
  t_f32x4 = vfmsq_laneq_f32(t_f32x4, n_f32x4, k_f32x4, 2);
  /* s + s q; a NaN x has s = 0 but q = NaN: NaN */
  return vfmaq_f32(s_f32x4, s_f32x4, fsm_neon_expt_q(t_f32x4, k_f32x4));
}

/* An ordering point for the compiler, no instruction: the vector lvalues a
 * and b are taken as changed here, after c and d are computed, so nothing
 * computed from a or b can be scheduled before c and d exist. Without GNU
 * inline assembly, nothing. */
#if defined(__GNUC__)
#define FSM_NEON_AFTER(a, b, c, d) __asm__("" : "+w"(a), "+w"(b) : "w"(c), "w"(d))
#else
#define FSM_NEON_AFTER(a, b, c, d) ((void)0)
#endif

/* v0..v3 = exp(v0..v3), each v <= 0 (fsm_neon_exp_nonpositive): the main
 * loops' 4 vectors, as two pairs, the second started once the first is
 * done (FSM_NEON_AFTER). Interleaving all 4 chains, gcc 12's pre-allocation
 * scheduler needs more than the 32 registers (13 constants, the table's 2,
 * the sums' 4 accumulators): it kept 2-3 accumulators and the table on
 * the stack, and vscaleexp reloaded constants (per 16 elements raddexp 101
 * instructions, vscaleexp 118); in pairs nothing is spilled (90, 97). The exps and their rounding are unchanged; in-order cores get 2
 * chains to interleave at a time (plus the tail of one pair overlapping
 * the next), not 4: to check on hardware (bench/README-neon.md). */
static inline void fsm_neon_exp4_nonpositive(float32x4_t *v0_f32x4, float32x4_t *v1_f32x4,
                                             float32x4_t *v2_f32x4, float32x4_t *v3_f32x4,
                                             uint8x16x2_t table_u8x16x2, float32x4_t k_f32x4) {
  *v0_f32x4 = fsm_neon_exp_nonpositive(*v0_f32x4, table_u8x16x2, k_f32x4);
  *v1_f32x4 = fsm_neon_exp_nonpositive(*v1_f32x4, table_u8x16x2, k_f32x4);
  FSM_NEON_AFTER(*v2_f32x4, *v3_f32x4, *v0_f32x4, *v1_f32x4);
  *v2_f32x4 = fsm_neon_exp_nonpositive(*v2_f32x4, table_u8x16x2, k_f32x4);
  *v3_f32x4 = fsm_neon_exp_nonpositive(*v3_f32x4, table_u8x16x2, k_f32x4);
}

/* extexp: the former polynomial exp (fsm_math.h), not the table:
 * exp(x) = p * 2^n with p in [0.70, 1.42] (Dukhan & Ablavatski), x clamped
 * below at FSM_EXT_XMIN_F32 (so -inf gives a finite n and p). Exact
 * reduction for |x| <= 2^14; beyond, n is still returned (huge, +inf or
 * NaN) so that the row can be seen to leave the two-pass domain. The
 * constants that only multiply are used by element from one register. */
static inline float32x4_t fsm_neon_extexp(float32x4_t x_f32x4, float32x4_t *n_f32x4) {
  static const float lanes[4] = {FSM_LOG2E_F32, FSM_LN2_HI_F32, FSM_LN2_LO_F32, FSM_EXP_C6_F32};
  const float32x4_t k_f32x4 = vld1q_f32(lanes);
  x_f32x4 = vmaxq_f32(vdupq_n_f32(FSM_EXT_XMIN_F32), x_f32x4);
  const float32x4_t n = vsubq_f32(
      vfmaq_laneq_f32(vdupq_n_f32(FSM_MAGIC_BIAS_F32), x_f32x4, k_f32x4, 0),
      vdupq_n_f32(FSM_MAGIC_BIAS_F32));
  float32x4_t t_f32x4 = vfmsq_laneq_f32(x_f32x4, n, k_f32x4, 1);
  t_f32x4 = vfmsq_laneq_f32(t_f32x4, n, k_f32x4, 2);
  float32x4_t p_f32x4 = vfmaq_laneq_f32(vdupq_n_f32(FSM_EXP_C5_F32), t_f32x4, k_f32x4, 3);
  p_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_EXP_C4_F32), p_f32x4, t_f32x4);
  p_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_EXP_C3_F32), p_f32x4, t_f32x4);
  p_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_EXP_C2_F32), p_f32x4, t_f32x4);
  p_f32x4 = vfmaq_f32(vdupq_n_f32(1.0f), p_f32x4, t_f32x4);
  p_f32x4 = vfmaq_f32(vdupq_n_f32(1.0f), p_f32x4, t_f32x4);
  *n_f32x4 = n;
  return p_f32x4;
}

/* 2^k for integral k <= 0 held in floats, given k + 127: 0 for k <= -127,
 * -inf and NaN. (k + 127) * 2^23 is the bit pattern of 2^k; FCVTZU with 23
 * fraction bits does the multiply and the conversion in one instruction and
 * saturates negatives (and maps NaN) to 0, i.e. +0.0, so no clamp is needed.
 * Exact: k + 127 is an integer below 2^24. */
static inline float32x4_t fsm_neon_exp2_biased127(float32x4_t k127_f32x4) {
  return vreinterpretq_f32_u32(vcvtq_n_u32_f32(k127_f32x4, 23));
}

/* One (mantissa, exponent) accumulator per lane: sum = P * 2^N. */
typedef struct fsm_neon_extacc {
  float32x4_t p_f32x4;
  float32x4_t n_f32x4;
} fsm_neon_extacc;

static inline fsm_neon_extacc fsm_neon_extacc_empty(void) {
  fsm_neon_extacc acc = {vdupq_n_f32(0.0f), vdupq_n_f32(-INFINITY)};
  return acc;
}

/* acc += p0 * 2^n0 + p1 * 2^n1, rescaled to the new per-lane maximum
 * exponent. FMAXNM drops NaN exponents (a NaN x): the NaN then reaches P
 * through p * 2^NaN = NaN * 0, so NaN poisons the mantissa and the exponent
 * stays the largest finite one, as in the scalar kernel. */
static inline fsm_neon_extacc fsm_neon_extacc_add2(fsm_neon_extacc acc, float32x4_t p0_f32x4,
                                                   float32x4_t n0_f32x4, float32x4_t p1_f32x4,
                                                   float32x4_t n1_f32x4) {
  const float32x4_t max_f32x4 = vmaxnmq_f32(acc.n_f32x4, vmaxnmq_f32(n0_f32x4, n1_f32x4));
  const float32x4_t max127_f32x4 = vsubq_f32(max_f32x4, vdupq_n_f32(127.0f));
  const float32x4_t s_f32x4 = fsm_neon_exp2_biased127(vsubq_f32(acc.n_f32x4, max127_f32x4));
  const float32x4_t s0_f32x4 = fsm_neon_exp2_biased127(vsubq_f32(n0_f32x4, max127_f32x4));
  const float32x4_t s1_f32x4 = fsm_neon_exp2_biased127(vsubq_f32(n1_f32x4, max127_f32x4));
  float32x4_t p_f32x4 = vmulq_f32(acc.p_f32x4, s_f32x4);
  p_f32x4 = vfmaq_f32(p_f32x4, p0_f32x4, s0_f32x4);
  p_f32x4 = vfmaq_f32(p_f32x4, p1_f32x4, s1_f32x4);
  acc.p_f32x4 = p_f32x4;
  acc.n_f32x4 = max_f32x4;
  return acc;
}

/* acc += p * 2^n (tails). */
static inline fsm_neon_extacc fsm_neon_extacc_add1(fsm_neon_extacc acc, float32x4_t p_f32x4,
                                                   float32x4_t n_f32x4) {
  const float32x4_t max_f32x4 = vmaxnmq_f32(acc.n_f32x4, n_f32x4);
  const float32x4_t max127_f32x4 = vsubq_f32(max_f32x4, vdupq_n_f32(127.0f));
  const float32x4_t s_f32x4 = fsm_neon_exp2_biased127(vsubq_f32(acc.n_f32x4, max127_f32x4));
  const float32x4_t s0_f32x4 = fsm_neon_exp2_biased127(vsubq_f32(n_f32x4, max127_f32x4));
  acc.p_f32x4 = vfmaq_f32(vmulq_f32(acc.p_f32x4, s_f32x4), p_f32x4, s0_f32x4);
  acc.n_f32x4 = max_f32x4;
  return acc;
}

/* Merges two per-lane accumulators into the double extended sum: common
 * exponent N_b = max over the 8 lanes (exact power-of-two rescaling in
 * float; lanes more than 2^127 below contribute 0), the mantissas summed in
 * double, one fsm_extsum_add. A lane with N = +inf makes N_b infinite
 * (out of the domain); an all-NaN lane keeps N = -inf and a NaN P, which
 * still poisons the mantissa. */
static inline void fsm_neon_extacc_fold(fsm_extsum *sum, fsm_neon_extacc a, fsm_neon_extacc b) {
  const float block_max = vmaxnmvq_f32(vmaxnmq_f32(a.n_f32x4, b.n_f32x4));
  const float32x4_t max127_f32x4 = vdupq_n_f32(block_max - 127.0f);
  const float32x4_t pa_f32x4 =
      vmulq_f32(a.p_f32x4, fsm_neon_exp2_biased127(vsubq_f32(a.n_f32x4, max127_f32x4)));
  const float32x4_t pb_f32x4 =
      vmulq_f32(b.p_f32x4, fsm_neon_exp2_biased127(vsubq_f32(b.n_f32x4, max127_f32x4)));
  const float64x2_t lo_f64x2 =
      vaddq_f64(vcvt_f64_f32(vget_low_f32(pa_f32x4)), vcvt_f64_f32(vget_low_f32(pb_f32x4)));
  const float64x2_t hi_f64x2 = vaddq_f64(vcvt_high_f64_f32(pa_f32x4), vcvt_high_f64_f32(pb_f32x4));
  fsm_extsum_add(sum, vaddvq_f64(vaddq_f64(lo_f64x2, hi_f64x2)), (double)block_max);
}

/* Sum of four float accumulators, each lane widened to double first. */
static inline double fsm_neon_fold_f64(float32x4_t a, float32x4_t b, float32x4_t c,
                                       float32x4_t d) {
  float64x2_t s_f64x2 = vaddq_f64(vcvt_f64_f32(vget_low_f32(a)), vcvt_high_f64_f32(a));
  s_f64x2 = vaddq_f64(s_f64x2, vaddq_f64(vcvt_f64_f32(vget_low_f32(b)), vcvt_high_f64_f32(b)));
  s_f64x2 = vaddq_f64(s_f64x2, vaddq_f64(vcvt_f64_f32(vget_low_f32(c)), vcvt_high_f64_f32(c)));
  s_f64x2 = vaddq_f64(s_f64x2, vaddq_f64(vcvt_f64_f32(vget_low_f32(d)), vcvt_high_f64_f32(d)));
  return vaddvq_f64(s_f64x2);
}

/* Lanes [0, rem) all ones, the others zero; rem in 1..3. */
static inline uint32x4_t fsm_neon_tail_mask(size_t rem) {
  static const uint32_t lane_index[4] = {0, 1, 2, 3};
  return vcltq_u32(vld1q_u32(lane_index), vdupq_n_u32((uint32_t)rem));
}

/* x[0 .. rem) into the low lanes, `fill` in the others; reads nothing past
 * x[rem - 1]. rem in 1..3. */
static inline float32x4_t fsm_neon_load_partial(const float *x, size_t rem, float fill) {
  float32x4_t v_f32x4 = vdupq_n_f32(fill);
  v_f32x4 = vld1q_lane_f32(x, v_f32x4, 0);
  if (rem >= 2) v_f32x4 = vld1q_lane_f32(x + 1, v_f32x4, 1);
  if (rem >= 3) v_f32x4 = vld1q_lane_f32(x + 2, v_f32x4, 2);
  return v_f32x4;
}

/* The low `rem` lanes of v to y[0 .. rem); rem in 1..3. */
static inline void fsm_neon_store_partial(float *y, size_t rem, float32x4_t v_f32x4) {
  vst1q_lane_f32(y, v_f32x4, 0);
  if (rem >= 2) vst1q_lane_f32(y + 1, v_f32x4, 1);
  if (rem >= 3) vst1q_lane_f32(y + 2, v_f32x4, 2);
}

/* v with the lanes outside `mask` set to +0 (so they add nothing). */
static inline float32x4_t fsm_neon_zero_unmasked(float32x4_t v_f32x4, uint32x4_t mask_u32x4) {
  return vreinterpretq_f32_u32(vandq_u32(vreinterpretq_u32_f32(v_f32x4), mask_u32x4));
}

/* ---------------------------------------------------------------- training
 * Building blocks of the training kernels (FSM_TRAINING_KERNEL_LIST): float
 * vectors widened to double lanes, the vector log, and the two loops every
 * training kernel is one of (an elementwise map, a sum in double lanes),
 * written once and given the per-vector operation as a static inline
 * function: each kernel inlines its operation into its own copy of the loop
 * (gcc -O2 resolves the constant function pointer; no call is left in the
 * loops, see bench/README-neon.md). */

static inline float64x2_t fsm_neon_lo_f64(float32x4_t v_f32x4) {
  return vcvt_f64_f32(vget_low_f32(v_f32x4));
}

static inline float64x2_t fsm_neon_hi_f64(float32x4_t v_f32x4) { return vcvt_high_f64_f32(v_f32x4); }

/* Two double vectors rounded (to nearest) into one float vector. */
static inline float32x4_t fsm_neon_narrow_f64(float64x2_t lo_f64x2, float64x2_t hi_f64x2) {
  return vcvt_high_f32_f64(vcvt_f32_f64(lo_f64x2), hi_f64x2);
}

/* log(1 + f) + e * ln2 + corr for f in [sqrt(1/2) - 1, sqrt(2) - 1] (a
 * few ulp beyond is harmless), integral e, |e| < 2^16, and a correction
 * |corr| <= ~2^-24, with the log constants every ISA shares (fsm_math.h:
 * Q(f) = -1/2 + f P(f)): Horner for Q(f), then
 *   s   = e * LN2_HI + f, err its rounding error (Fast2Sum: e * LN2_HI is
 *         exact and, unless 0, larger than |f|)
 *   lo  = f^2 Q + (e * LN2_LO + (err + corr))     (fused)
 *   y   = s + lo.
 * One rounding that matters, the last: measured below 1 ulp. Adding
 * e * LN2_HI last instead (one op fewer) rounds log1p(f) first, which costs
 * up to 0.5 ulp more where ln2 + log1p(f) cancels (e = 1, f near sqrt(1/2)
 * - 1); adding f to e * LN2_HI without err rounds s to its binade, above
 * y's when |e| >= 2 (up to 1.5 ulp, e.g. log 54). An infinite or NaN e
 * gives that e's sign of infinity or NaN (the polynomial part is finite). */
static inline float32x4_t fsm_neon_log_reduced(float32x4_t f_f32x4, float32x4_t e_f32x4,
                                               float32x4_t corr_f32x4) {
  float32x4_t q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P6_F32), vdupq_n_f32(FSM_LOG_P7_F32), f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P5_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P4_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P3_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P2_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P1_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(FSM_LOG_P0_F32), q_f32x4, f_f32x4);
  q_f32x4 = vfmaq_f32(vdupq_n_f32(-0.5f), q_f32x4, f_f32x4);
  const float32x4_t eh_f32x4 = vmulq_f32(e_f32x4, vdupq_n_f32(FSM_LOG_LN2_HI_F32));
  const float32x4_t s_f32x4 = vaddq_f32(eh_f32x4, f_f32x4);
  const float32x4_t err_f32x4 = vsubq_f32(f_f32x4, vsubq_f32(s_f32x4, eh_f32x4));
  const float32x4_t t_f32x4 = vfmaq_f32(vaddq_f32(err_f32x4, corr_f32x4), e_f32x4,
                                        vdupq_n_f32(FSM_LOG_LN2_LO_F32));
  const float32x4_t lo_f32x4 = vfmaq_f32(t_f32x4, vmulq_f32(f_f32x4, f_f32x4), q_f32x4);
  return vaddq_f32(s_f32x4, lo_f32x4);
}

/* log1p(z) for z >= 0 (also +inf -> +inf, NaN -> NaN): w = 1 + z =
 * 2^e * m (integer ops on w's bits, w >= 1 so e >= 0), and the rounding
 * error of 1 + z, c = z - (w - 1) (exact: both subtractions are, by
 * Sterbenz, while z < 2^24; beyond, c is off by ~1 next to w >= 2^24, i.e.
 * nothing), scaled by 2^-e (exact). f = (m - 1) + c 2^-e is z itself for
 * e = 0 (so log1p(z) ~ z for tiny z) and rounded for e >= 1; what that
 * rounding lost, r (exact: Fast2Sum), enters as corr = r / m (log(m + r) -
 * log(m) to first order; 1/m by FRECPE, 8 bits are plenty for a term below
 * 2^-25). 2^-e by a saturating integer subtract: 0 for e >= 127, where
 * c 2^-e < 2^-100 does not matter either. */
static inline float32x4_t fsm_neon_log1p_nonnegative(float32x4_t z_f32x4) {
  const float32x4_t one_f32x4 = vdupq_n_f32(1.0f);
  const float32x4_t w_f32x4 = vaddq_f32(z_f32x4, one_f32x4);
  const uint32x4_t w_u32x4 = vreinterpretq_u32_f32(w_f32x4);
  const uint32x4_t ebits_u32x4 = vandq_u32(vsubq_u32(w_u32x4, vdupq_n_u32(FSM_LOG_SQRT_HALF_BITS_F32)),
                                           vdupq_n_u32(0xFF800000u)); /* e << 23 */
  const float32x4_t e_f32x4 = vcvtq_n_f32_s32(vreinterpretq_s32_u32(ebits_u32x4), 23);
  const float32x4_t m_f32x4 = vreinterpretq_f32_u32(vsubq_u32(w_u32x4, ebits_u32x4));
  const float32x4_t scale_f32x4 =
      vreinterpretq_f32_u32(vqsubq_u32(vdupq_n_u32(0x3F800000u), ebits_u32x4));
  const float32x4_t cs_f32x4 =
      vmulq_f32(vsubq_f32(z_f32x4, vsubq_f32(w_f32x4, one_f32x4)), scale_f32x4);
  const float32x4_t m1_f32x4 = vsubq_f32(m_f32x4, one_f32x4);
  const float32x4_t f_f32x4 = vaddq_f32(m1_f32x4, cs_f32x4);
  const float32x4_t r_f32x4 = vsubq_f32(cs_f32x4, vsubq_f32(f_f32x4, m1_f32x4));
  const float32x4_t y_f32x4 =
      fsm_neon_log_reduced(f_f32x4, e_f32x4, vmulq_f32(r_f32x4, vrecpeq_f32(m_f32x4)));
  /* z = +inf: e = 128, c = NaN above; the answer is z itself */
  return vbslq_f32(vceqq_f32(z_f32x4, vdupq_n_f32(INFINITY)), z_f32x4, y_f32x4);
}

/* log of four doubles, rounded to float: the same reduction on the double
 * bits (e and m = 2^-e x exact, f = m - 1 exact in double, then rounded to
 * float), so arguments beyond the float range (vlogquad's quadratic in
 * double) keep their exact log. Special arguments (not positive finite):
 * +0 -> -inf, +inf -> +inf, negative or NaN -> NaN, all given by
 * q - FRSQRTE(q) (FRSQRTE: 0 -> +inf, +inf -> 0, negative -> NaN). Not for
 * -0 (-0 - (-inf) would be +inf) nor double subnormals (treated as
 * normal): vlogquad's quadratic of floats is neither (see there). */
static inline float32x4_t fsm_neon_log_f64(float64x2_t q0_f64x2, float64x2_t q1_f64x2) {
  const uint64x2_t sqrt1_2_u64x2 = vdupq_n_u64(FSM_LOG_SQRT_HALF_BITS_F64);
  const uint64x2_t exp_mask_u64x2 = vdupq_n_u64(0xFFF0000000000000ull);
  const uint64x2_t b0_u64x2 = vreinterpretq_u64_f64(q0_f64x2);
  const uint64x2_t b1_u64x2 = vreinterpretq_u64_f64(q1_f64x2);
  const uint64x2_t e0_u64x2 = vandq_u64(vsubq_u64(b0_u64x2, sqrt1_2_u64x2), exp_mask_u64x2);
  const uint64x2_t e1_u64x2 = vandq_u64(vsubq_u64(b1_u64x2, sqrt1_2_u64x2), exp_mask_u64x2);
  const float64x2_t one_f64x2 = vdupq_n_f64(1.0);
  const float32x4_t f_f32x4 = fsm_neon_narrow_f64(
      vsubq_f64(vreinterpretq_f64_u64(vsubq_u64(b0_u64x2, e0_u64x2)), one_f64x2),
      vsubq_f64(vreinterpretq_f64_u64(vsubq_u64(b1_u64x2, e1_u64x2)), one_f64x2));
  /* (e << 52) >> 32 = e << 20 in each 32-bit lane, then e exactly */
  const int32x4_t e20_s32x4 = vshrn_high_n_s64(vshrn_n_s64(vreinterpretq_s64_u64(e0_u64x2), 32),
                                               vreinterpretq_s64_u64(e1_u64x2), 32);
  const float32x4_t y_f32x4 =
      fsm_neon_log_reduced(f_f32x4, vcvtq_n_f32_s32(e20_s32x4, 20), vdupq_n_f32(0.0f));
  /* positive finite: bits - 1 below 0x7FEFFFFFFFFFFFFF (unsigned) */
  const uint64x2_t limit_u64x2 = vdupq_n_u64(0x7FEFFFFFFFFFFFFFull);
  const uint64x2_t one_u64x2 = vdupq_n_u64(1u);
  const uint32x4_t ok_u32x4 =
      vmovn_high_u64(vmovn_u64(vcltq_u64(vsubq_u64(b0_u64x2, one_u64x2), limit_u64x2)),
                     vcltq_u64(vsubq_u64(b1_u64x2, one_u64x2), limit_u64x2));
  const float32x4_t special_f32x4 = fsm_neon_narrow_f64(vsubq_f64(q0_f64x2, vrsqrteq_f64(q0_f64x2)),
                                                        vsubq_f64(q1_f64x2, vrsqrteq_f64(q1_f64x2)));
  return vbslq_f32(ok_u32x4, y_f32x4, special_f32x4);
}

/* The scalar arguments of a training kernel's per-vector operation. */
typedef struct fsm_neon_args {
  float a, b, c, d;
} fsm_neon_args;

typedef float32x4_t (*fsm_neon_map1_op)(float32x4_t x_f32x4, fsm_neon_args p);
typedef float32x4_t (*fsm_neon_map2_op)(float32x4_t x_f32x4, float32x4_t z_f32x4, fsm_neon_args p);

/* y[i] = op(x[i]): 4 vectors per iteration (all loaded before any store,
 * so y == x is fine), whole vectors, then a partial vector (lanes past n
 * neither read nor written; they hold 0 inside op). */
static inline void fsm_neon_map1(size_t n, const float *x, float *y, fsm_neon_args p,
                                 fsm_neon_map1_op op) {
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    const float32x4_t x0_f32x4 = vld1q_f32(x + 0);
    const float32x4_t x1_f32x4 = vld1q_f32(x + 4);
    const float32x4_t x2_f32x4 = vld1q_f32(x + 8);
    const float32x4_t x3_f32x4 = vld1q_f32(x + 12);
    vst1q_f32(y + 0, op(x0_f32x4, p));
    vst1q_f32(y + 4, op(x1_f32x4, p));
    vst1q_f32(y + 8, op(x2_f32x4, p));
    vst1q_f32(y + 12, op(x3_f32x4, p));
  }
  for (; n >= 4; n -= 4, x += 4, y += 4) vst1q_f32(y, op(vld1q_f32(x), p));
  if (n != 0) fsm_neon_store_partial(y, n, op(fsm_neon_load_partial(x, n, 0.0f), p));
}

/* y[i] = op(x[i], z[i]); as fsm_neon_map1 (y == x or y == z is fine). */
static inline void fsm_neon_map2(size_t n, const float *x, const float *z, float *y,
                                 fsm_neon_args p, fsm_neon_map2_op op) {
  for (; n >= FSM_NEON_UNROLL;
       n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, z += FSM_NEON_UNROLL, y += FSM_NEON_UNROLL) {
    const float32x4_t x0_f32x4 = vld1q_f32(x + 0), z0_f32x4 = vld1q_f32(z + 0);
    const float32x4_t x1_f32x4 = vld1q_f32(x + 4), z1_f32x4 = vld1q_f32(z + 4);
    const float32x4_t x2_f32x4 = vld1q_f32(x + 8), z2_f32x4 = vld1q_f32(z + 8);
    const float32x4_t x3_f32x4 = vld1q_f32(x + 12), z3_f32x4 = vld1q_f32(z + 12);
    vst1q_f32(y + 0, op(x0_f32x4, z0_f32x4, p));
    vst1q_f32(y + 4, op(x1_f32x4, z1_f32x4, p));
    vst1q_f32(y + 8, op(x2_f32x4, z2_f32x4, p));
    vst1q_f32(y + 12, op(x3_f32x4, z3_f32x4, p));
  }
  for (; n >= 4; n -= 4, x += 4, z += 4, y += 4) vst1q_f32(y, op(vld1q_f32(x), vld1q_f32(z), p));
  if (n != 0) {
    const float32x4_t x_f32x4 = fsm_neon_load_partial(x, n, 0.0f);
    fsm_neon_store_partial(y, n, op(x_f32x4, fsm_neon_load_partial(z, n, 0.0f), p));
  }
}

/* Double-lane accumulators of the sum kernels: s (and q, for rsumsq's
 * second sum), each as the low and high halves of a float vector. */
typedef struct fsm_neon_acc {
  float64x2_t s0_f64x2, s1_f64x2, q0_f64x2, q1_f64x2;
} fsm_neon_acc;

typedef fsm_neon_acc (*fsm_neon_sum_op)(fsm_neon_acc acc, float32x4_t x_f32x4, float32x4_t z_f32x4,
                                        fsm_neon_args p);

/* Sums op's terms over x[i] (and z[i]) in double lanes: 4 vectors per
 * iteration into two accumulator sets (8 double vectors, each one add or
 * FMA per 8 elements: latency never binds), whole vectors, then a partial
 * vector filled with x_fill / z_fill, which op must map to a zero term.
 * Double lanes rather than float blocks: a float lane loses half an ulp of
 * a dominant term per add (the scalar kernels also sum in double), and
 * widening costs 2 FCVTL per vector. Returns s0 + s1 (and q0 + q1). */
static inline fsm_neon_acc fsm_neon_sum2(size_t n, const float *x, const float *z, float x_fill,
                                         float z_fill, fsm_neon_args p, fsm_neon_sum_op op) {
  const float64x2_t zero_f64x2 = vdupq_n_f64(0.0);
  fsm_neon_acc acc0 = {zero_f64x2, zero_f64x2, zero_f64x2, zero_f64x2};
  fsm_neon_acc acc1 = acc0;
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL, z += FSM_NEON_UNROLL) {
    acc0 = op(acc0, vld1q_f32(x + 0), vld1q_f32(z + 0), p);
    acc1 = op(acc1, vld1q_f32(x + 4), vld1q_f32(z + 4), p);
    acc0 = op(acc0, vld1q_f32(x + 8), vld1q_f32(z + 8), p);
    acc1 = op(acc1, vld1q_f32(x + 12), vld1q_f32(z + 12), p);
  }
  for (; n >= 4; n -= 4, x += 4, z += 4) acc0 = op(acc0, vld1q_f32(x), vld1q_f32(z), p);
  if (n != 0)
    acc1 = op(acc1, fsm_neon_load_partial(x, n, x_fill), fsm_neon_load_partial(z, n, z_fill), p);
  acc0.s0_f64x2 = vaddq_f64(vaddq_f64(acc0.s0_f64x2, acc0.s1_f64x2),
                            vaddq_f64(acc1.s0_f64x2, acc1.s1_f64x2));
  acc0.q0_f64x2 = vaddq_f64(vaddq_f64(acc0.q0_f64x2, acc0.q1_f64x2),
                            vaddq_f64(acc1.q0_f64x2, acc1.q1_f64x2));
  return acc0;
}

/* Sum of the two lanes of s0 (after fsm_neon_sum2). */
static inline double fsm_neon_acc_sum(fsm_neon_acc acc) { return vaddvq_f64(acc.s0_f64x2); }

/* StableMax's s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0; NaN too, so NaN
 * stays), times k: k x + k fused (one rounding), k / (1 - x) (two). */
static inline float32x4_t fsm_neon_scalestable(float32x4_t x_f32x4, float32x4_t k_f32x4) {
  const float32x4_t pos_f32x4 = vfmaq_f32(k_f32x4, k_f32x4, x_f32x4);
  const float32x4_t neg_f32x4 = vdivq_f32(k_f32x4, vsubq_f32(vdupq_n_f32(1.0f), x_f32x4));
  return vbslq_f32(vcgeq_f32(x_f32x4, vdupq_n_f32(0.0f)), pos_f32x4, neg_f32x4);
}

#endif /* FSM_NEON_COMMON_H */

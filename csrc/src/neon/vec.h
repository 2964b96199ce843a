/*
 * The NEON vector vocabulary of the generic kernels (generic/): 4 float
 * lanes over float32 storage; tails go through a 4-lane stack copy.
 */
#ifndef FSM_NEON_VEC_H
#define FSM_NEON_VEC_H

#include "common.h"

#include "../dtypes.h"

#if !defined(FSM_DTYPE_F32) && !defined(FSM_DTYPE_HALF)
#error "neon/vec.h: float32, float16 and bfloat16 storage are built for neon"
#endif

typedef float32x4_t fsm_vf;
#define FSM_VEC_LANES 4
#define FSM_VEC_ACCS 4

/* The computing type in memory (float): the reload's intermediate exps. */
static inline fsm_vf fsm_vload_c(const float *p) { return vld1q_f32(p); }
static inline void fsm_vstore_c(float *p, fsm_vf v) { vst1q_f32(p, v); }
static inline fsm_vf fsm_vload_tail_c(const float *p, size_t rem) {
  float buf[4] = {0.0f, 0.0f, 0.0f, 0.0f};
  memcpy(buf, p, rem * sizeof(float));
  return vld1q_f32(buf);
}
static inline void fsm_vstore_tail_c(float *p, size_t rem, fsm_vf v) {
  float buf[4];
  vst1q_f32(buf, v);
  memcpy(p, buf, rem * sizeof(float));
}

#if defined(FSM_DTYPE_F32)
static inline fsm_vf fsm_vload(const float *p) { return vld1q_f32(p); }
static inline void fsm_vstore(float *p, fsm_vf v) { vst1q_f32(p, v); }
static inline fsm_vf fsm_vload_tail(const float *p, size_t rem) { return fsm_vload_tail_c(p, rem); }
static inline void fsm_vstore_tail(float *p, size_t rem, fsm_vf v) { fsm_vstore_tail_c(p, rem, v); }
static inline fsm_vf fsm_vload_tail_fill(const float *p, size_t rem, float fill) {
  return fsm_neon_load_partial(p, rem, fill);
}
#else
/* Half-precision storage: 4 halves (8 bytes) widen to 4 floats in the
 * register and narrow back rounding to nearest even (FPCR's default
 * mode). float16: FCVTL / FCVTN (AArch64 base; subnormals kept unless
 * FPCR.FZ is set, NaN made quiet). bfloat16: the bits shifted into the
 * float's top half, and back with half.h's integer round-to-nearest-even
 * (the BFCVTN instruction of ARMv8.6 is not used). */
#if defined(FSM_DTYPE_F16)
static inline fsm_vf fsm_vload(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
static inline uint16x4_t fsm_neon_narrow(fsm_vf v) { return vreinterpret_u16_f16(vcvt_f16_f32(v)); }
#else
static inline fsm_vf fsm_vload(const uint16_t *p) { return vreinterpretq_f32_u32(vshll_n_u16(vld1_u16(p), 16)); }
static inline uint16x4_t fsm_neon_narrow(fsm_vf v) {
  const uint32x4_t b = vreinterpretq_u32_f32(v);
  const uint32x4_t top = vshrq_n_u32(b, 16);
  const uint32x4_t odd = vandq_u32(top, vdupq_n_u32(1));
  uint32x4_t r = vshrq_n_u32(vaddq_u32(b, vaddq_u32(vdupq_n_u32(0x7FFF), odd)), 16);
  r = vbslq_u32(vceqq_f32(v, v), r, vorrq_u32(top, vdupq_n_u32(0x40)));
  return vmovn_u32(r);
}
#endif
static inline void fsm_vstore(uint16_t *p, fsm_vf v) { vst1_u16(p, fsm_neon_narrow(v)); }
static inline fsm_vf fsm_vload_tail(const uint16_t *p, size_t rem) {
  uint16_t buf[4] = {0, 0, 0, 0};
  memcpy(buf, p, rem * sizeof(uint16_t));
  return fsm_vload(buf);
}
static inline void fsm_vstore_tail(uint16_t *p, size_t rem, fsm_vf v) {
  uint16_t buf[4];
  fsm_vstore(buf, v);
  memcpy(p, buf, rem * sizeof(uint16_t));
}
static inline fsm_vf fsm_vload_tail_fill(const uint16_t *p, size_t rem, float fill) {
  return vbslq_f32(fsm_neon_tail_mask(rem), fsm_vload_tail(p, rem), vdupq_n_f32(fill));
}
#endif

static inline fsm_vf fsm_vset1(float c) { return vdupq_n_f32(c); }
static inline fsm_vf fsm_vadd(fsm_vf a, fsm_vf b) { return vaddq_f32(a, b); }
static inline fsm_vf fsm_vsub(fsm_vf a, fsm_vf b) { return vsubq_f32(a, b); }
static inline fsm_vf fsm_vmul(fsm_vf a, fsm_vf b) { return vmulq_f32(a, b); }
static inline fsm_vf fsm_vmax(fsm_vf a, fsm_vf b) { return vmaxq_f32(a, b); }
static inline float fsm_vreduce_max(fsm_vf v) { return vmaxvq_f32(v); }
static inline fsm_vf fsm_vfma(fsm_vf a, fsm_vf b, fsm_vf c) { return vfmaq_f32(c, a, b); }

/* ---- fused softmax options (generic/rfusemax.c, generic/vcapgrad.c) */
static inline fsm_vf fsm_vmin(fsm_vf a, fsm_vf b) { return vminq_f32(a, b); }
static inline fsm_vf fsm_vdiv(fsm_vf a, fsm_vf b) { return vdivq_f32(a, b); }
static inline fsm_vf fsm_vcopysign(fsm_vf m, fsm_vf s) {
  return vbslq_f32(vdupq_n_u32(0x80000000u), s, m);
}
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) {
  return fsm_neon_exp_nonpositive(v, fsm_neon_expt_table_load(), fsm_neon_expt_k_load());
}
static inline fsm_vf fsm_vkeep(fsm_vf v, const unsigned char *keep) {
  uint32_t bytes;
  memcpy(&bytes, keep, sizeof bytes);
  const uint32x4_t k = vmovl_u16(vget_low_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(bytes)))));
  return vbslq_f32(vceqq_u32(k, vdupq_n_u32(0)), vdupq_n_f32(-INFINITY), v);
}

/* ---- the axis kernels (generic/axis.c): exp and double sums ---------- */

/* columns of the axis kernels: vectors per block (registers across rows) */
#define FSM_AXIS_VECS 4

/* The axis kernels' exp: fsm_vexp_nonpositive's, with the table and
 * constants loaded by FSM_VEXP_SETUP into locals of the kernel, which stay
 * in registers (as a struct member gcc 12 keeps them on the stack:
 * common.h); the other ISAs take generic/axis.c's default. */
#define FSM_VEXP_SETUP                                                     \
  const uint8x16x2_t fsm_vexp_table_ = fsm_neon_expt_table_load();         \
  const float32x4_t fsm_vexp_k_ = fsm_neon_expt_k_load()
#define FSM_VEXP(x) fsm_neon_exp_nonpositive((x), fsm_vexp_table_, fsm_vexp_k_)

typedef struct fsm_vsumd {
  float64x2_t lo, hi;
} fsm_vsumd;
static inline fsm_vsumd fsm_vsumd_zero(void) {
  fsm_vsumd s = {vdupq_n_f64(0.0), vdupq_n_f64(0.0)};
  return s;
}
static inline void fsm_vsumd_add(fsm_vsumd *s, fsm_vf v) {
  s->lo = vaddq_f64(s->lo, vcvt_f64_f32(vget_low_f32(v)));
  s->hi = vaddq_f64(s->hi, vcvt_high_f64_f32(v));
}
static inline void fsm_vsumd_store(double *p, fsm_vsumd s) {
  vst1q_f64(p, s.lo);
  vst1q_f64(p + 2, s.hi);
}

#endif /* FSM_NEON_VEC_H */

/*
 * The portable "vector" vocabulary of the generic kernels (generic/): one
 * lane of the computing type, for float32, float64, float16 and bfloat16
 * storage. No fused
 * multiply-add (the baseline has none): fsm_vfma rounds twice, as the
 * portable kernels always have. The compiler vectorises these loops for
 * the baseline (SSE2, NEON) where it can.
 */
#ifndef FSM_SCALAR_VEC_H
#define FSM_SCALAR_VEC_H

#include "../kernels.h"
#include "exp.h"
#include "../dtypes.h"
#include "../half.h"

typedef C fsm_vf;
#define FSM_VEC_LANES 1
/* eight independent scalar chains, which the compiler turns into vectors */
#define FSM_VEC_ACCS 8

/* The computing type in memory: the reload's intermediate exps. */
static inline fsm_vf fsm_vload_c(const C *p) { return *p; }
static inline void fsm_vstore_c(C *p, fsm_vf v) { *p = v; }
static inline fsm_vf fsm_vload_tail_c(const C *p, size_t rem) { return rem ? *p : 0; }
static inline void fsm_vstore_tail_c(C *p, size_t rem, fsm_vf v) {
  if (rem) *p = v;
}

/* The storage type: float16 and bfloat16 widen and narrow through half.h
 * (round to nearest even, subnormals, infinities and NaN kept). */
#if defined(FSM_DTYPE_F16)
static inline fsm_vf fsm_vload(const S *p) { return fsm_f16_to_f32(*p); }
static inline void fsm_vstore(S *p, fsm_vf v) { *p = fsm_f32_to_f16(v); }
#elif defined(FSM_DTYPE_BF16)
static inline fsm_vf fsm_vload(const S *p) { return fsm_bf16_to_f32(*p); }
static inline void fsm_vstore(S *p, fsm_vf v) { *p = fsm_f32_to_bf16(v); }
#else
static inline fsm_vf fsm_vload(const S *p) { return *p; }
static inline void fsm_vstore(S *p, fsm_vf v) { *p = v; }
#endif
static inline fsm_vf fsm_vload_tail(const S *p, size_t rem) { return rem ? fsm_vload(p) : 0; }
static inline void fsm_vstore_tail(S *p, size_t rem, fsm_vf v) {
  if (rem) fsm_vstore(p, v);
}
static inline fsm_vf fsm_vset1(fsm_vf c) { return c; }
static inline fsm_vf fsm_vadd(fsm_vf a, fsm_vf b) { return a + b; }
static inline fsm_vf fsm_vsub(fsm_vf a, fsm_vf b) { return a - b; }
static inline fsm_vf fsm_vmul(fsm_vf a, fsm_vf b) { return a * b; }
/* b if it is larger, else a (a NaN b never wins) */
static inline fsm_vf fsm_vmax(fsm_vf a, fsm_vf b) { return b > a ? b : a; }
static inline fsm_vf fsm_vreduce_max(fsm_vf v) { return v; }
static inline fsm_vf fsm_vload_tail_fill(const S *p, size_t rem, fsm_vf fill) {
  return rem ? fsm_vload(p) : fill;
}
static inline fsm_vf fsm_vfma(fsm_vf a, fsm_vf b, fsm_vf c) { return a * b + c; }

/* ---- fused softmax options (generic/rfusemax.c, generic/vcapgrad.c) */
static inline fsm_vf fsm_vmin(fsm_vf a, fsm_vf b) { return b < a ? b : a; }
static inline fsm_vf fsm_vdiv(fsm_vf a, fsm_vf b) { return a / b; }
#if defined(FSM_DTYPE_F32) || defined(FSM_DTYPE_HALF) /* C is float */
static inline fsm_vf fsm_vcopysign(fsm_vf m, fsm_vf s) { return copysignf(m, s); }
/* the table exp every SIMD table reproduces (exp.h), flushing as they do */
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) { return fsm_scalar_exp_nonpositive(v); }
#else
static inline fsm_vf fsm_vcopysign(fsm_vf m, fsm_vf s) { return copysign(m, s); }
/* libm's exp, as the float64 row kernels */
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) { return exp(v); }
#endif
static inline fsm_vf fsm_vkeep(fsm_vf v, const unsigned char *keep) {
  return *keep ? v : -(fsm_vf)INFINITY;
}
/* ---- the axis kernels (generic/axis.c): blocks and double sums ------- */

/* eight independent columns per block, which the compiler may vectorise */
#define FSM_AXIS_VECS 8

#if defined(FSM_DTYPE_F32) || defined(FSM_DTYPE_HALF)
/* float lanes: summed in double */
typedef double fsm_vsumd;
static inline fsm_vsumd fsm_vsumd_zero(void) { return 0.0; }
static inline void fsm_vsumd_add(fsm_vsumd *s, fsm_vf v) { *s += (double)v; }
static inline void fsm_vsumd_store(double *p, fsm_vsumd s) { *p = s; }
#else
/* double lanes: Neumaier's compensated sum (kernels.h), so that a
 * column's error does not grow with its length */
typedef fsm_compensated fsm_vsumd;
static inline fsm_vsumd fsm_vsumd_zero(void) {
  fsm_vsumd s = {0.0, 0.0};
  return s;
}
static inline void fsm_vsumd_add(fsm_vsumd *s, fsm_vf v) { fsm_compensated_add(s, v); }
static inline void fsm_vsumd_store(double *p, fsm_vsumd s) { *p = fsm_compensated_total(s); }
#endif

#endif /* FSM_SCALAR_VEC_H */

/*
 * The AVX2 vector vocabulary of the generic kernels (generic/): 8 float
 * lanes of computation over float32 storage. A half-precision storage
 * type adds its widening load and narrowing store here; the kernels do
 * not change.
 */
#ifndef FSM_AVX2_VEC_H
#define FSM_AVX2_VEC_H

#include "common.h"

#if !defined(FSM_DTYPE_F32)
#error "avx2/vec.h: only float32 storage is built for avx2"
#endif

typedef __m256 fsm_vf;
#define FSM_VEC_LANES 8
/* independent accumulators of the reductions: vmaxps has a latency of 3-4
 * cycles and two ports, so 4 chains keep it busy */
#define FSM_VEC_ACCS 4

static inline fsm_vf fsm_vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void fsm_vstore(float *p, fsm_vf v) { _mm256_storeu_ps(p, v); }
/* rem < FSM_VEC_LANES elements; the other lanes are 0, nothing past p[rem - 1] is touched */
static inline fsm_vf fsm_vload_tail(const float *p, size_t rem) { return fsm_avx2_load_tail(p, rem); }
static inline void fsm_vstore_tail(float *p, size_t rem, fsm_vf v) { fsm_avx2_store_tail(p, rem, v); }
static inline fsm_vf fsm_vset1(float c) { return _mm256_set1_ps(c); }
static inline fsm_vf fsm_vadd(fsm_vf a, fsm_vf b) { return _mm256_add_ps(a, b); }
static inline fsm_vf fsm_vsub(fsm_vf a, fsm_vf b) { return _mm256_sub_ps(a, b); }
static inline fsm_vf fsm_vmul(fsm_vf a, fsm_vf b) { return _mm256_mul_ps(a, b); }
/* the larger of a and b; b when either is NaN (x86 max) */
static inline fsm_vf fsm_vmax(fsm_vf a, fsm_vf b) { return _mm256_max_ps(a, b); }
static inline float fsm_vreduce_max(fsm_vf v) { return fsm_avx2_hmax(v); }
/* rem < FSM_VEC_LANES elements, the other lanes `fill` */
static inline fsm_vf fsm_vload_tail_fill(const float *p, size_t rem, float fill) {
  return fsm_avx2_load_tail_fill(p, rem, fill);
}
/* a * b + c, one rounding */
static inline fsm_vf fsm_vfma(fsm_vf a, fsm_vf b, fsm_vf c) { return _mm256_fmadd_ps(a, b, c); }

/* ---- fused softmax options (generic/rfusemax.c, generic/vcapgrad.c) */
static inline fsm_vf fsm_vmin(fsm_vf a, fsm_vf b) { return _mm256_min_ps(a, b); }
static inline fsm_vf fsm_vdiv(fsm_vf a, fsm_vf b) { return _mm256_div_ps(a, b); }
/* the magnitude of m with the sign of s */
static inline fsm_vf fsm_vcopysign(fsm_vf m, fsm_vf s) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(sign, m), _mm256_and_ps(sign, s));
}
/* exp(v) for v <= 0: the three-pass kernels' exp */
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) { return fsm_avx2_exp_nonpositive(v); }
/* v where keep[lane] != 0, -inf where it is 0 (FSM_VEC_LANES bytes read) */
static inline fsm_vf fsm_vkeep(fsm_vf v, const unsigned char *keep) {
  const __m256i k = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)keep));
  const __m256 drop = _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_setzero_si256()));
  return _mm256_blendv_ps(v, _mm256_set1_ps(-INFINITY), drop);
}

/* ---- the axis kernels (generic/c*.c): exp and double sums ------------ */

/* exp(x) for x <= 0, the table exp of common.h: 0 for -inf and below
 * FLT_MIN, NaN for NaN. FSM_VEXP_SETUP; once per function before the
 * first FSM_VEXP (NEON loads its table there). */
/* columns of the axis kernels: vectors per block (registers across rows) */
#define FSM_AXIS_VECS 4

#define FSM_VEXP_SETUP ((void)0)
#define FSM_VEXP(x) fsm_avx2_exp_nonpositive(x)

/* Double accumulators for the lanes of one fsm_vf (a float accumulator
 * holding a dominant term loses half an ulp of it at every add). */
typedef fsm_avx2_sum_f64 fsm_vsumd;
static inline fsm_vsumd fsm_vsumd_zero(void) { return fsm_avx2_sum_zero(); }
static inline void fsm_vsumd_add(fsm_vsumd *s, fsm_vf v) { fsm_avx2_sum_add(s, v); }
/* the FSM_VEC_LANES sums to p[0 .. FSM_VEC_LANES) */
static inline void fsm_vsumd_store(double *p, fsm_vsumd s) {
  _mm256_storeu_pd(p, s.lo);
  _mm256_storeu_pd(p + 4, s.hi);
}

#endif /* FSM_AVX2_VEC_H */

/*
 * The AVX2 vector vocabulary of the generic kernels (generic/) and of the
 * avx2 kernels compiled per dtype: 8 float lanes of computation over
 * float32, float16 or bfloat16 storage. fsm_vload / fsm_vstore and their
 * tails read and write the storage type S, widening to float in the
 * register and narrowing back; the _c forms read and write float.
 */
#ifndef FSM_AVX2_VEC_H
#define FSM_AVX2_VEC_H

#include "common.h"

#include "../dtypes.h"
#include "../x86_half_tail.h"

#if !defined(FSM_DTYPE_F32) && !defined(FSM_DTYPE_HALF)
#error "avx2/vec.h: float32, float16 and bfloat16 storage are built for avx2"
#endif

typedef __m256 fsm_vf;
#define FSM_VEC_LANES 8
/* independent accumulators of the reductions: vmaxps has a latency of 3-4
 * cycles and two ports, so 4 chains keep it busy */
#define FSM_VEC_ACCS 4

/* The computing type in memory (float): the reload's intermediate exps. */
static inline fsm_vf fsm_vload_c(const float *p) { return _mm256_loadu_ps(p); }
static inline void fsm_vstore_c(float *p, fsm_vf v) { _mm256_storeu_ps(p, v); }
/* rem < FSM_VEC_LANES elements; the other lanes are 0, nothing past p[rem - 1] is touched */
static inline fsm_vf fsm_vload_tail_c(const float *p, size_t rem) { return fsm_avx2_load_tail(p, rem); }
static inline void fsm_vstore_tail_c(float *p, size_t rem, fsm_vf v) { fsm_avx2_store_tail(p, rem, v); }

#if defined(FSM_DTYPE_F32)
static inline fsm_vf fsm_vload(const float *p) { return _mm256_loadu_ps(p); }
static inline void fsm_vstore(float *p, fsm_vf v) { _mm256_storeu_ps(p, v); }
static inline fsm_vf fsm_vload_tail(const float *p, size_t rem) { return fsm_avx2_load_tail(p, rem); }
static inline void fsm_vstore_tail(float *p, size_t rem, fsm_vf v) { fsm_avx2_store_tail(p, rem, v); }
/* rem < FSM_VEC_LANES elements, the other lanes `fill` */
static inline fsm_vf fsm_vload_tail_fill(const float *p, size_t rem, float fill) {
  return fsm_avx2_load_tail_fill(p, rem, fill);
}
#else
/* Half-precision storage: 8 halves (16 bytes) widen to 8 floats in the
 * register, and narrow back rounding to nearest even. float16: F16C
 * (vcvtph2ps / vcvtps2ph, exact widening, IEEE narrowing: subnormals kept,
 * NaN made quiet). bfloat16: the bits shifted into the float's top half,
 * and back with the integer round-to-nearest-even (half.h's steps). */
#if !defined(__F16C__)
#error "avx2/vec.h: half-precision storage needs -mf16c"
#endif
#if defined(FSM_DTYPE_F16)
static inline fsm_vf fsm_avx2_widen(__m128i h) { return _mm256_cvtph_ps(h); }
static inline __m128i fsm_avx2_narrow(fsm_vf v) { return _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT); }
#else
static inline fsm_vf fsm_avx2_widen(__m128i h) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
}
/* the bfloat16 bits of non-NaN lanes, rounded to nearest even, in the low
 * halves of the 32-bit lanes */
static inline __m256i fsm_avx2_bf16_round(fsm_vf v) {
  const __m256i b = _mm256_castps_si256(v);
  const __m256i odd = _mm256_and_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(1));
  return _mm256_srli_epi32(_mm256_add_epi32(b, _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), odd)), 16);
}
static inline __m128i fsm_avx2_narrow(fsm_vf v) {
  const __m256i b = _mm256_castps_si256(v);
  __m256i r = fsm_avx2_bf16_round(v);
  const __m256i quiet = _mm256_or_si256(_mm256_srli_epi32(b, 16), _mm256_set1_epi32(0x40));
  r = _mm256_blendv_epi8(r, quiet, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
  /* 32-bit lanes (< 2^16) to 16: packus works per 128-bit half, so the
   * halves' results sit in quadwords 0 and 2 */
  const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
  return _mm256_castsi256_si128(packed);
}
#endif
static inline fsm_vf fsm_vload(const uint16_t *p) {
  return fsm_avx2_widen(_mm_loadu_si128((const __m128i *)(const void *)p));
}
static inline void fsm_vstore(uint16_t *p, fsm_vf v) {
  _mm_storeu_si128((__m128i *)(void *)p, fsm_avx2_narrow(v));
}
#if defined(FSM_DTYPE_BF16)
/* 2 FSM_VEC_LANES outputs: bfloat16's rounding costs about as much as the
 * pass that feeds it, so the pair shares one pack, one permute, one store
 * and one NaN test (a pair holding a NaN takes fsm_vstore, which keeps it
 * a quiet NaN). The generic kernels' stores of vector pairs take it. */
static inline void fsm_vstore2(uint16_t *p, fsm_vf a, fsm_vf b) {
  if (_mm256_movemask_ps(_mm256_cmp_ps(a, b, _CMP_UNORD_Q)) != 0) {
    fsm_vstore(p, a);
    fsm_vstore(p + FSM_VEC_LANES, b);
    return;
  }
  /* packus works per 128-bit half: quadwords a0-3, b0-3, a4-7, b4-7 */
  const __m256i packed = _mm256_packus_epi32(fsm_avx2_bf16_round(a), fsm_avx2_bf16_round(b));
  _mm256_storeu_si256((__m256i *)(void *)p, _mm256_permute4x64_epi64(packed, 0xD8));
}
#define FSM_HAVE_VSTORE2 1 /* the others: generic.h's two stores */
#endif
/* tails: exactly rem halves (x86_half_tail.h) */
static inline fsm_vf fsm_vload_tail(const uint16_t *p, size_t rem) {
  return fsm_avx2_widen(fsm_x86_load_u16_tail(p, rem));
}
static inline void fsm_vstore_tail(uint16_t *p, size_t rem, fsm_vf v) {
  fsm_x86_store_u16_tail(p, rem, fsm_avx2_narrow(v));
}
static inline fsm_vf fsm_vload_tail_fill(const uint16_t *p, size_t rem, float fill) {
  const __m256 mask = _mm256_castsi256_ps(fsm_avx2_tail_mask(rem));
  return _mm256_blendv_ps(_mm256_set1_ps(fill), fsm_vload_tail(p, rem), mask);
}
#endif

static inline fsm_vf fsm_vset1(float c) { return _mm256_set1_ps(c); }
static inline fsm_vf fsm_vadd(fsm_vf a, fsm_vf b) { return _mm256_add_ps(a, b); }
static inline fsm_vf fsm_vsub(fsm_vf a, fsm_vf b) { return _mm256_sub_ps(a, b); }
static inline fsm_vf fsm_vmul(fsm_vf a, fsm_vf b) { return _mm256_mul_ps(a, b); }
/* the larger of a and b; b when either is NaN (x86 max) */
static inline fsm_vf fsm_vmax(fsm_vf a, fsm_vf b) { return _mm256_max_ps(a, b); }
static inline float fsm_vreduce_max(fsm_vf v) { return fsm_avx2_hmax(v); }
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
/* exp(v) for v <= 0, the table exp of common.h (the three-pass kernels'):
 * 0 for -inf and below FLT_MIN, NaN for NaN. Also the axis kernels' exp. */
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) { return fsm_avx2_exp_nonpositive(v); }
/* v where keep[lane] != 0, -inf where it is 0 (FSM_VEC_LANES bytes read) */
static inline fsm_vf fsm_vkeep(fsm_vf v, const unsigned char *keep) {
  const __m256i k = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(const void *)keep));
  const __m256 drop = _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_setzero_si256()));
  return _mm256_blendv_ps(v, _mm256_set1_ps(-INFINITY), drop);
}

/* ---- the axis kernels (generic/axis.c): blocks and double sums ------- */

/* columns of the axis kernels: vectors per block (registers across rows) */
#define FSM_AXIS_VECS 4

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

/* ---- non-temporal stores of the _nt kernels (x86_stream.h) */
#define FSM_X86_VSTREAM _mm256_stream_ps
#include "../x86_stream.h"

#endif /* FSM_AVX2_VEC_H */

/*
 * The AVX-512 vector vocabulary of the generic kernels (generic/): 16
 * float lanes over float32 storage; tails are masked loads and stores.
 */
#ifndef FSM_AVX512_VEC_H
#define FSM_AVX512_VEC_H

#include "common.h"

#include "../dtypes.h"
#include "../x86_half_tail.h"

#if !defined(FSM_DTYPE_F32) && !defined(FSM_DTYPE_HALF)
#error "avx512/vec.h: float32, float16 and bfloat16 storage are built for avx512"
#endif

typedef __m512 fsm_vf;
#define FSM_VEC_LANES 16
#define FSM_VEC_ACCS 4

/* The computing type in memory (float): the reload's intermediate exps. */
static inline fsm_vf fsm_vload_c(const float *p) { return _mm512_loadu_ps(p); }
static inline void fsm_vstore_c(float *p, fsm_vf v) { _mm512_storeu_ps(p, v); }
static inline fsm_vf fsm_vload_tail_c(const float *p, size_t rem) {
  return _mm512_maskz_loadu_ps(fsm_avx512_tail_mask(rem), p);
}
static inline void fsm_vstore_tail_c(float *p, size_t rem, fsm_vf v) {
  _mm512_mask_storeu_ps(p, fsm_avx512_tail_mask(rem), v);
}

#if defined(FSM_DTYPE_F32)
static inline fsm_vf fsm_vload(const float *p) { return _mm512_loadu_ps(p); }
static inline void fsm_vstore(float *p, fsm_vf v) { _mm512_storeu_ps(p, v); }
static inline fsm_vf fsm_vload_tail(const float *p, size_t rem) { return fsm_vload_tail_c(p, rem); }
static inline void fsm_vstore_tail(float *p, size_t rem, fsm_vf v) { fsm_vstore_tail_c(p, rem, v); }
static inline fsm_vf fsm_vload_tail_fill(const float *p, size_t rem, float fill) {
  return _mm512_mask_loadu_ps(_mm512_set1_ps(fill), fsm_avx512_tail_mask(rem), p);
}
#else
/* Half-precision storage: 16 halves (32 bytes) widen to 16 floats in the
 * register and narrow back rounding to nearest even. float16: vcvtph2ps /
 * vcvtps2ph (AVX512F); bfloat16: the bits shifted into the float's top
 * half, and back with the integer round-to-nearest-even of half.h, NaN
 * made quiet (AVX512F integer operations and vpmovdw), or, built for the
 * avx512_bf16 level, vcvtneps2bf16. Tails move exactly rem halves: 16-bit
 * masked moves where AVX512BW+VL are built, else x86_half_tail.h. */
#if defined(FSM_DTYPE_F16)
static inline fsm_vf fsm_avx512_widen(__m256i h) { return _mm512_cvtph_ps(h); }
static inline __m256i fsm_avx512_narrow(fsm_vf v) { return _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT); }
#else
/* built for the avx512_bf16 level: vcvtneps2bf16, and vfpclassps to find
 * the float32 subnormals it flushes */
#if defined(__AVX512BF16__) && defined(__AVX512DQ__)
#define FSM_AVX512_BF16_INSN 1
#define FSM_AVX512_CLASS_SUBNORMAL 0x20 /* vfpclassps: denormal, either sign */
#endif
static inline fsm_vf fsm_avx512_widen(__m256i h) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}
#if defined(FSM_AVX512_BF16_INSN)
/* only the rare vectors that hold a float32 subnormal take it (below) */
__attribute__((noinline, cold)) static __m256i fsm_avx512_narrow_int(fsm_vf v) {
#else
static inline __m256i fsm_avx512_narrow_int(fsm_vf v) {
#endif
  const __m512i b = _mm512_castps_si512(v);
  const __m512i top = _mm512_srli_epi32(b, 16);
  const __m512i odd = _mm512_and_si512(top, _mm512_set1_epi32(1));
  const __m512i r =
      _mm512_srli_epi32(_mm512_add_epi32(b, _mm512_add_epi32(_mm512_set1_epi32(0x7FFF), odd)), 16);
  const __mmask16 nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
  return _mm512_cvtepi32_epi16(_mm512_mask_mov_epi32(r, nan, _mm512_or_si512(top, _mm512_set1_epi32(0x40))));
}
#if defined(FSM_AVX512_BF16_INSN)
/* vcvtneps2bf16 rounds to nearest even and quiets NaN as above, but reads
 * float32 subnormals as zero: a vector holding one takes the integer
 * rounding, so both levels give the same bits. */
static inline __m256i fsm_avx512_narrow(fsm_vf v) {
  if (__builtin_expect(_mm512_fpclass_ps_mask(v, FSM_AVX512_CLASS_SUBNORMAL) != 0, 0))
    return fsm_avx512_narrow_int(v);
  return (__m256i)_mm512_cvtneps_pbh(v);
}
#else
static inline __m256i fsm_avx512_narrow(fsm_vf v) { return fsm_avx512_narrow_int(v); }
#endif
#endif
static inline fsm_vf fsm_vload(const uint16_t *p) {
  return fsm_avx512_widen(_mm256_loadu_si256((const __m256i *)(const void *)p));
}
static inline void fsm_vstore(uint16_t *p, fsm_vf v) {
  _mm256_storeu_si256((__m256i *)(void *)p, fsm_avx512_narrow(v));
}
#if defined(FSM_AVX512_BF16_INSN)
/* two vectors in one vcvtne2ps2bf16 and one 64-byte store; one test of
 * both for subnormals */
static inline void fsm_vstore2(uint16_t *p, fsm_vf a, fsm_vf b) {
  if (__builtin_expect((_mm512_fpclass_ps_mask(a, FSM_AVX512_CLASS_SUBNORMAL) |
                        _mm512_fpclass_ps_mask(b, FSM_AVX512_CLASS_SUBNORMAL)) != 0, 0)) {
    _mm256_storeu_si256((__m256i *)(void *)p, fsm_avx512_narrow_int(a));
    _mm256_storeu_si256((__m256i *)(void *)(p + FSM_VEC_LANES), fsm_avx512_narrow_int(b));
    return;
  }
  _mm512_storeu_si512((void *)p, (__m512i)_mm512_cvtne2ps_pbh(b, a));
}
#define FSM_HAVE_VSTORE2 1
#endif
#if defined(__AVX512BW__) && defined(__AVX512VL__)
static inline fsm_vf fsm_vload_tail(const uint16_t *p, size_t rem) {
  return fsm_avx512_widen(_mm256_maskz_loadu_epi16(fsm_avx512_tail_mask(rem), p));
}
static inline void fsm_vstore_tail(uint16_t *p, size_t rem, fsm_vf v) {
  _mm256_mask_storeu_epi16(p, fsm_avx512_tail_mask(rem), fsm_avx512_narrow(v));
}
#else /* exactly rem halves: 8 in one access, the rest by x86_half_tail.h */
static inline fsm_vf fsm_vload_tail(const uint16_t *p, size_t rem) {
  const __m128i lo = rem >= 8 ? _mm_loadu_si128((const __m128i *)(const void *)p)
                              : fsm_x86_load_u16_tail(p, rem);
  const __m128i hi = rem > 8 ? fsm_x86_load_u16_tail(p + 8, rem - 8) : _mm_setzero_si128();
  return fsm_avx512_widen(_mm256_set_m128i(hi, lo));
}
static inline void fsm_vstore_tail(uint16_t *p, size_t rem, fsm_vf v) {
  const __m256i h = fsm_avx512_narrow(v);
  if (rem >= 8) {
    _mm_storeu_si128((__m128i *)(void *)p, _mm256_castsi256_si128(h));
    fsm_x86_store_u16_tail(p + 8, rem - 8, _mm256_extracti128_si256(h, 1));
  } else {
    fsm_x86_store_u16_tail(p, rem, _mm256_castsi256_si128(h));
  }
}
#endif
static inline fsm_vf fsm_vload_tail_fill(const uint16_t *p, size_t rem, float fill) {
  return _mm512_mask_mov_ps(_mm512_set1_ps(fill), fsm_avx512_tail_mask(rem), fsm_vload_tail(p, rem));
}
#endif

static inline fsm_vf fsm_vset1(float c) { return _mm512_set1_ps(c); }
static inline fsm_vf fsm_vadd(fsm_vf a, fsm_vf b) { return _mm512_add_ps(a, b); }
static inline fsm_vf fsm_vsub(fsm_vf a, fsm_vf b) { return _mm512_sub_ps(a, b); }
static inline fsm_vf fsm_vmul(fsm_vf a, fsm_vf b) { return _mm512_mul_ps(a, b); }
static inline fsm_vf fsm_vmax(fsm_vf a, fsm_vf b) { return _mm512_max_ps(a, b); }
static inline float fsm_vreduce_max(fsm_vf v) { return _mm512_reduce_max_ps(v); }
static inline fsm_vf fsm_vfma(fsm_vf a, fsm_vf b, fsm_vf c) { return _mm512_fmadd_ps(a, b, c); }

/* ---- fused softmax options (generic/rfusemax.c, generic/vcapgrad.c) */
static inline fsm_vf fsm_vmin(fsm_vf a, fsm_vf b) { return _mm512_min_ps(a, b); }
static inline fsm_vf fsm_vdiv(fsm_vf a, fsm_vf b) { return _mm512_div_ps(a, b); }
/* the magnitude of m with the sign of s (AVX-512F: integer logic) */
static inline fsm_vf fsm_vcopysign(fsm_vf m, fsm_vf s) {
  const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
  return _mm512_castsi512_ps(_mm512_or_si512(_mm512_andnot_si512(sign, _mm512_castps_si512(m)),
                                             _mm512_and_si512(sign, _mm512_castps_si512(s))));
}
static inline fsm_vf fsm_vexp_nonpositive(fsm_vf v) { return fsm_avx512_exp_nonpositive(v); }
static inline fsm_vf fsm_vkeep(fsm_vf v, const unsigned char *keep) {
  const __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)keep);
  const __mmask16 k = (__mmask16)~_mm_movemask_epi8(_mm_cmpeq_epi8(bytes, _mm_setzero_si128()));
  return _mm512_mask_blend_ps(k, _mm512_set1_ps(-INFINITY), v);
}

/* ---- short rows (generic/softmax_short.c): rows of at most 8 elements
 * run avx2's kernel, whose 8-lane vectors they fill (every AVX-512 CPU has
 * AVX2; the x86 builds compile both). Zen 5, 16384 rows, elements/ns avx2
 * vs avx512: float32 rows of 2 / 4 / 8: 0.34 / 0.67 / 1.49 vs 0.26 / 0.52 /
 * 1.02; float16 8: 1.34 vs 0.92; bfloat16 8: 1.02 vs 0.78 (0.86 on
 * avx512_bf16); from 10 elements avx512's is ahead (1.24 vs 1.10). */
#define FSM_SHORT_NARROW_COLS 8
#define FSM_SHORT_NARROW_KERNEL FSM_KERNEL_NAME(FSM_DT, softmax_short, avx2)

/* ---- the axis kernels (generic/axis.c): blocks and double sums ------- */

/* columns of the axis kernels: vectors per block (registers across rows) */
#define FSM_AXIS_VECS 2

typedef fsm_avx512_sum_f64 fsm_vsumd;
static inline fsm_vsumd fsm_vsumd_zero(void) { return fsm_avx512_sum_zero(); }
static inline void fsm_vsumd_add(fsm_vsumd *s, fsm_vf v) { fsm_avx512_sum_add(s, v); }
static inline void fsm_vsumd_store(double *p, fsm_vsumd s) {
  _mm512_storeu_pd(p, s.lo);
  _mm512_storeu_pd(p + 8, s.hi);
}

/* ---- non-temporal stores of the _nt kernels (x86_stream.h) */
#define FSM_X86_VSTREAM _mm512_stream_ps
#include "../x86_stream.h"

#endif /* FSM_AVX512_VEC_H */

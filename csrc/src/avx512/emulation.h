/*
 * Test builds only (the fastsoftmax_avx512_emulated test library, never a
 * release): the AVX-512F intrinsics the avx512 kernels use, on SIMDe's
 * portable implementation (Debian: libsimde-dev) plus lane-by-lane versions
 * of the few SIMDe 0.7 lacks. Masked loads and stores touch only the
 * selected lanes, like the hardware, so the guard-page tests stay
 * meaningful. Lets CPUs without AVX-512 check the kernels' logic (tails,
 * masks, special values, sums); it says nothing about their speed.
 */
#ifndef FSM_AVX512_EMULATION_H
#define FSM_AVX512_EMULATION_H

#include <math.h>
#include <stddef.h>

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

static inline __m512 fsm_emu_mask_loadu_ps(__m512 src, __mmask16 k, const float *p) {
  simde__m512_private r = simde__m512_to_private(src);
  for (int l = 0; l < 16; l++)
    if ((k >> l) & 1) r.f32[l] = p[l];
  return simde__m512_from_private(r);
}

static inline void fsm_emu_mask_storeu_ps(float *p, __mmask16 k, __m512 v) {
  const simde__m512_private r = simde__m512_to_private(v);
  for (int l = 0; l < 16; l++)
    if ((k >> l) & 1) p[l] = r.f32[l];
}

/* vscalefps/pd: x * 2^floor(e), one rounding (exact in double, then one
 * rounding to float for ps), with the hardware's special cases (Intel SDM,
 * VSCALEFPD table; checked on Zen 4): a NaN e gives NaN; a NaN x gives NaN
 * except x * 2^-inf = +0 and x * 2^+inf = +inf (SIMDe 0.7 gives NaN:
 * the kernels' NaN handling must not rely on it); 0 * 2^+inf and inf *
 * 2^-inf give NaN. Subnormals are kept (no DAZ). */
static inline double fsm_emu_scalef(double x, double e) {
  if (isnan(e)) return NAN;
  if (isnan(x)) return isinf(e) ? (e > 0.0 ? INFINITY : 0.0) : x;
  if (e == -INFINITY) return isinf(x) ? NAN : 0.0 * x;
  if (e == INFINITY) return x == 0.0 ? NAN : x * INFINITY;
  return ldexp(x, (int)fmax(fmin(floor(e), 5000.0), -5000.0));
}

static inline __m512 fsm_emu_scalef_ps(__m512 a, __m512 b) {
  simde__m512_private ra = simde__m512_to_private(a);
  const simde__m512_private rb = simde__m512_to_private(b);
  for (int l = 0; l < 16; l++) ra.f32[l] = (float)fsm_emu_scalef(ra.f32[l], rb.f32[l]);
  return simde__m512_from_private(ra);
}

static inline __m512d fsm_emu_scalef_pd(__m512d a, __m512d b) {
  simde__m512d_private ra = simde__m512d_to_private(a);
  const simde__m512d_private rb = simde__m512d_to_private(b);
  for (int l = 0; l < 8; l++) ra.f64[l] = fsm_emu_scalef(ra.f64[l], rb.f64[l]);
  return simde__m512d_from_private(ra);
}

static inline float fsm_emu_reduce_max_ps(__m512 v) {
  const simde__m512_private r = simde__m512_to_private(v);
  float m = r.f32[0];
  for (int l = 1; l < 16; l++) m = r.f32[l] > m ? r.f32[l] : m;
  return m;
}

static inline __m512d fsm_emu_cvtps_pd(__m256 v) {
  const simde__m256_private r = simde__m256_to_private(v);
  simde__m512d_private d;
  for (int l = 0; l < 8; l++) d.f64[l] = (double)r.f32[l];
  return simde__m512d_from_private(d);
}

/* vcvtpd2ps: 8 doubles to 8 floats, one rounding each (the current mode). */
static inline __m256 fsm_emu_cvtpd_ps(__m512d v) {
  const simde__m512d_private d = simde__m512d_to_private(v);
  simde__m256_private r;
  for (int l = 0; l < 8; l++) r.f32[l] = (float)d.f64[l];
  return simde__m256_from_private(r);
}

/* vcvtdq2ps: exact for the small integers the kernels convert. */
static inline __m512 fsm_emu_cvtepi32_ps(__m512i v) {
  const simde__m512i_private i = simde__m512i_to_private(v);
  simde__m512_private r;
  for (int l = 0; l < 16; l++) r.f32[l] = (float)i.i32[l];
  return simde__m512_from_private(r);
}

/* vrcp14ps: 1/x, here exact (the hardware's is within 2^-14 relative; the
 * kernels use it only where that is enough). */
static inline __m512 fsm_emu_rcp14_ps(__m512 v) {
  simde__m512_private r = simde__m512_to_private(v);
  for (int l = 0; l < 16; l++) r.f32[l] = 1.0f / r.f32[l];
  return simde__m512_from_private(r);
}

static inline double fsm_emu_reduce_add_pd(__m512d v) {
  const simde__m512d_private r = simde__m512d_to_private(v);
  return ((r.f64[0] + r.f64[1]) + (r.f64[2] + r.f64[3])) +
         ((r.f64[4] + r.f64[5]) + (r.f64[6] + r.f64[7]));
}

#undef _mm512_scalef_ps
#define _mm512_mask_loadu_ps(src, k, p) fsm_emu_mask_loadu_ps((src), (k), (p))
#define _mm512_maskz_loadu_ps(k, p) fsm_emu_mask_loadu_ps(_mm512_setzero_ps(), (k), (p))
#define _mm512_mask_storeu_ps(p, k, v) fsm_emu_mask_storeu_ps((p), (k), (v))
#define _mm512_scalef_ps(a, b) fsm_emu_scalef_ps((a), (b))
#undef _mm512_scalef_pd
#define _mm512_scalef_pd(a, b) fsm_emu_scalef_pd((a), (b))
#undef _mm512_maskz_scalef_ps
#define _mm512_maskz_scalef_ps(k, a, b) _mm512_maskz_mov_ps((k), fsm_emu_scalef_ps((a), (b)))
#define _mm512_reduce_max_ps(v) fsm_emu_reduce_max_ps(v)
/* a non-temporal store is an ordinary one here (the values are the same) */
#undef _mm512_stream_ps
#define _mm512_stream_ps(p, v) _mm512_storeu_ps((p), (v))
#define _mm512_cvtps_pd(v) fsm_emu_cvtps_pd(v)
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps(v) fsm_emu_cvtepi32_ps(v)
#undef _mm512_rcp14_ps
#define _mm512_rcp14_ps(v) fsm_emu_rcp14_ps(v)
#undef _mm512_cvtpd_ps
#define _mm512_cvtpd_ps(v) fsm_emu_cvtpd_ps(v)
#define _mm512_reduce_add_pd(v) fsm_emu_reduce_add_pd(v)

/* The half-precision conversions (SIMDe 0.7 has none at 512 bits), lane
 * by lane with half.h's round-to-nearest-even. */
#include "../half.h"
static inline __m512 fsm_emu_cvtph_ps(__m256i h) {
  uint16_t in[16];
  float out[16];
  memcpy(in, &h, sizeof in);
  for (int l = 0; l < 16; l++) out[l] = fsm_f16_to_f32(in[l]);
  return _mm512_loadu_ps(out);
}
static inline __m256i fsm_emu_cvtps_ph(__m512 v) {
  float in[16];
  uint16_t out[16];
  __m256i r;
  _mm512_storeu_ps(in, v);
  for (int l = 0; l < 16; l++) out[l] = fsm_f32_to_f16(in[l]);
  memcpy(&r, out, sizeof r);
  return r;
}
static inline __m512i fsm_emu_cvtepu16_epi32(__m256i h) {
  uint16_t in[16];
  uint32_t out[16];
  memcpy(in, &h, sizeof in);
  for (int l = 0; l < 16; l++) out[l] = in[l];
  return _mm512_loadu_si512(out);
}
static inline __m256i fsm_emu_cvtepi32_epi16(__m512i v) {
  uint32_t in[16];
  uint16_t out[16];
  __m256i r;
  _mm512_storeu_si512(in, v);
  for (int l = 0; l < 16; l++) out[l] = (uint16_t)in[l];
  memcpy(&r, out, sizeof r);
  return r;
}
#define _mm512_cvtph_ps(h) fsm_emu_cvtph_ps(h)
#define _mm512_cvtps_ph(v, rounding) fsm_emu_cvtps_ph(v)
#define _mm512_cvtepu16_epi32(h) fsm_emu_cvtepu16_epi32(h)
#define _mm512_cvtepi32_epi16(v) fsm_emu_cvtepi32_epi16(v)

#endif /* FSM_AVX512_EMULATION_H */

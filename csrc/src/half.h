/*
 * Scalar conversions between float32 and the half-precision storage types
 * (IEEE binary16 "float16" and bfloat16, both held as uint16_t bits). Every
 * narrowing rounds to nearest, ties to even; subnormals are kept (not
 * flushed), infinities stay infinities, a finite value beyond the largest
 * half rounds to infinity as IEEE rounding does, and a NaN stays a NaN (made
 * quiet, its sign and leading payload bits kept). The SIMD vec.h layers
 * convert with their instructions (F16C, AVX-512, NEON) or with the same
 * integer steps; the scalar kernels, the vector tails of some ISAs and the
 * tests use these. Internal.
 */
#ifndef FSM_HALF_H
#define FSM_HALF_H

#include <stdint.h>
#include <string.h>

/* A float's bits and back (also scalar/exp.h's). */
static inline uint32_t fsm_f32_to_bits(float x) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  return u;
}

static inline float fsm_f32_from_bits(uint32_t u) {
  float x;
  memcpy(&x, &u, sizeof x);
  return x;
}

/* float16 -> float32: exact. */
static inline float fsm_f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
  if (e == 0x1Fu) return fsm_f32_from_bits(sign | 0x7F800000u | (m << 13)); /* inf, NaN */
  if (e == 0) {                                                              /* 0, subnormal */
    const float v = (float)m * 0x1p-24f;                                     /* exact */
    return fsm_f32_from_bits(sign | fsm_f32_to_bits(v));
  }
  return fsm_f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

/* float32 -> float16, rounded to nearest even. */
static inline uint16_t fsm_f32_to_f16(float x) {
  const uint32_t u = fsm_f32_to_bits(x);
  const uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  const uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((a >> 13) & 0x3FFu)); /* NaN, quiet */
  if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);            /* >= 65520: inf */
  if (a < 0x38800000u) {
    /* below 2^-14: a multiple of 2^-24 (subnormal half). 0.5 + |x| rounds
     * |x| to that multiple, ties to even, since 0.5's ulp is 2^-24; the
     * difference of the bits is the count (0x400 when it rounds up to the
     * smallest normal, whose encoding that is). */
    const float t = fsm_f32_from_bits(a) + 0.5f;
    return (uint16_t)(sign | (fsm_f32_to_bits(t) - 0x3F000000u));
  }
  /* normal: rebias the exponent, round the 13 dropped bits to even (a
   * carry into the exponent is the right result) */
  uint32_t r = a - ((uint32_t)(127 - 15) << 23);
  r += 0xFFFu + ((r >> 13) & 1u);
  return (uint16_t)(sign | (r >> 13));
}

/* bfloat16 -> float32: exact (the top 16 bits). */
static inline float fsm_bf16_to_f32(uint16_t h) { return fsm_f32_from_bits((uint32_t)h << 16); }

/* float32 -> bfloat16, rounded to nearest even (a carry past the largest
 * finite value gives infinity). */
static inline uint16_t fsm_f32_to_bf16(float x) {
  const uint32_t u = fsm_f32_to_bits(x);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x0040u); /* NaN, quiet */
  return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

#endif /* FSM_HALF_H */

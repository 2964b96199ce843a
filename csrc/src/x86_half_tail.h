/*
 * Row tails of half-precision storage on x86 (avx2/vec.h, and avx512/vec.h
 * where AVX512BW's 16-bit masks are not built): fewer than 8 uint16_t
 * moved as at most one 8-, one 4- and one 2-byte access through general
 * registers, so nothing past the row is touched and no vector is reloaded
 * from a partial stack copy (that form's memcpy and store-forwarding stall
 * cost 20-70 ns per tail: rows of 7 bfloat16 ran at 0.22 elements/ns on
 * avx2, Zen 5). Needs SSE4.1 (pinsrq / pextrq), which every AVX CPU has.
 */
#ifndef FSM_X86_HALF_TAIL_H
#define FSM_X86_HALF_TAIL_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

/* halves [0, rem) of p, rem < 8, in the low lanes (the others 0) */
static inline __m128i fsm_x86_load_u16_tail(const uint16_t *p, size_t rem) {
  uint64_t four = 0, part = 0; /* halves 0-3; the last rem % 4 */
  const uint16_t *q = p;
  if (rem & 4) {
    memcpy(&four, p, 8);
    q += 4;
  }
  if (rem & 2) {
    uint32_t two;
    memcpy(&two, q, 4);
    part = two;
  }
  if (rem & 1) {
    uint16_t one;
    memcpy(&one, q + (rem & 2), 2);
    part |= (uint64_t)one << (16 * (rem & 2));
  }
  return rem & 4 ? _mm_set_epi64x((long long)part, (long long)four) : _mm_cvtsi64_si128((long long)part);
}

/* the low rem halves of v to p, rem < 8 */
static inline void fsm_x86_store_u16_tail(uint16_t *p, size_t rem, __m128i v) {
  uint64_t part = (uint64_t)_mm_cvtsi128_si64(v);
  if (rem & 4) {
    memcpy(p, &part, 8);
    part = (uint64_t)_mm_extract_epi64(v, 1);
    p += 4;
  }
  if (rem & 2) {
    const uint32_t two = (uint32_t)part;
    memcpy(p, &two, 4);
    part >>= 32;
    p += 2;
  }
  if (rem & 1) {
    const uint16_t one = (uint16_t)part;
    memcpy(p, &one, 2);
  }
}

#endif /* FSM_X86_HALF_TAIL_H */

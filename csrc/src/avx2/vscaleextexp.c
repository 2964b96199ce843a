/* vscaleextexp: y = (p * s) * 2^(n + e), recomputing raddextexp's (p, n)
 * with the same extexp as raddextexp (p times s, one rounding: folding s
 * into the polynomial's coefficients put softmax([x]) one ulp above 1);
 * 2^(n + e) from bits, outputs that would be subnormal flushed to 0 (no
 * subnormal is produced).
 *
 * The exponent: n's magic-biased bits plus the integer e + 127, one
 * integer add (e integral and, by the contract, <= -max n; clamped here
 * only so that the conversion is defined).
 *
 * The flush is exact but costs five integer operations per vector, and it
 * is needed only where n + e is so low that |p s| 2^(n + e) may fall below
 * FLT_MIN. With |p| >= 0.70 and |s| >= 2^(E - 1) (frexp's E), every lane
 * with n + e >= -124 - E (and >= -126, so 2^(n + e) is itself normal) is
 * normal: a pair of vectors whose lanes all pass that test (the common
 * case: a softmax row spans less than 87 in x) takes p s 2^(n + e) with no
 * flush; any other takes the exact path. Zen 3, the kernel alone on a 4K
 * row: 2.56 -> 3.08 elements/ns (XNNPACK's kernel, which flushes only at
 * n + e <= -127 and lets subnormals through, 3.3).
 * Unroll 2 (bench/c/README.md, Zen 3). */
#include <math.h>
#include <stdint.h>

#include "vec.h"

static inline __m256 exponent_bits(__m256i n_biased, __m256i e_biased) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(n_biased, e_biased), 23));
}

/* The exact path: flushes what would be subnormal. */
static inline __m256 scale_exact(__m256 p, __m256 s, __m256i n_biased, __m256i e_biased) {
  return fsm_avx2_scale_normal_bits(_mm256_mul_ps(p, s),
                                    fsm_avx2_exp2_biased_bits(_mm256_add_epi32(n_biased, e_biased)));
}

static inline __m256 scaleextexp(__m256 x, __m256 s, __m256i e_biased) {
  __m256 n;
  __m256i n_biased;
  const __m256 p = fsm_avx2_extexp_biased(x, &n, &n_biased);
  return scale_exact(p, s, n_biased, e_biased);
}

static inline void scaleextexp_row(size_t n, const S *x, S *y, int stream, C s, C e) {
  const __m256 s_f32x8 = _mm256_set1_ps(s);
  const int e_int = (int)fmaxf(fminf(e, 0x1p24f), -0x1p24f);
  const __m256i e_biased = _mm256_set1_epi32(e_int + 127);
  /* n_biased >= n_biased_min: n + e >= max(-126, -124 - E) in every lane;
   * s zero, subnormal or not finite: never (INT32_MAX), the exact path only */
  int s_exp = 0;
  (void)frexpf(s, &s_exp);
  const int64_t min_nb = (int64_t)FSM_MAGIC_BITS_F32 + (s_exp >= 2 ? -126 : -124 - s_exp) - e_int;
  const int usable = isfinite(s) && fabsf(s) >= 0x1p-126f && min_nb < INT32_MAX;
  const __m256i n_biased_min = _mm256_set1_epi32(usable ? (int32_t)min_nb : INT32_MAX);
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    __m256 n0, n1;
    __m256i b0, b1;
    const __m256 p0 = fsm_avx2_extexp_biased(fsm_vload(x + i), &n0, &b0);
    const __m256 p1 = fsm_avx2_extexp_biased(fsm_vload(x + i + 8), &n1, &b1);
    const __m256i low = _mm256_or_si256(_mm256_cmpgt_epi32(n_biased_min, b0),
                                        _mm256_cmpgt_epi32(n_biased_min, b1));
    if (_mm256_testz_si256(low, low)) {
      fsm_vstore_stream(y + i, _mm256_mul_ps(_mm256_mul_ps(p0, s_f32x8), exponent_bits(b0, e_biased)), stream);
      fsm_vstore_stream(y + i + 8, _mm256_mul_ps(_mm256_mul_ps(p1, s_f32x8), exponent_bits(b1, e_biased)), stream);
    } else {
      fsm_vstore_stream(y + i, scale_exact(p0, s_f32x8, b0, e_biased), stream);
      fsm_vstore_stream(y + i + 8, scale_exact(p1, s_f32x8, b1, e_biased), stream);
    }
  }
  for (; i + 8 <= n; i += 8)
    fsm_vstore_stream(y + i, scaleextexp(fsm_vload(x + i), s_f32x8, e_biased), stream);
  if (i < n)
    fsm_vstore_tail(y + i, n - i, scaleextexp(fsm_vload_tail(x + i, n - i), s_f32x8, e_biased));
}

void FSM_KERNEL_NAME(FSM_DT, vscaleextexp, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  scaleextexp_row(n, x, y, 0, s, e);
}

#if !defined(FSM_DTYPE_HALF)
/* The same values, the whole 64-byte lines of y stored non-temporally
 * (x86_stream.h). */
void FSM_KERNEL_NAME(FSM_DT, vscaleextexp_nt, FSM_KERNEL_ISA)(size_t n, const S *x, C s, C e, S *y) {
  FSM_X86_NT_ROW(scaleextexp_row, n, x, y, s, e);
}
#endif

/* raddstable: sum of StableMax's s(x) = x + 1 (x >= 0), 1 / (1 - x) (x <
 * 0): s in float (at most two roundings; the bound is 4 * 2^-24), widened
 * to double lanes. NaN takes the second branch and stays NaN; the masked
 * tail loads -inf past n, whose s is 0. Unroll 4: NOT measured. */
#include "common.h"

#define UNROLL FSM_TUNED_UNROLL(4)

static inline __m512 stable(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  const __mmask16 pos = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
  return _mm512_mask_blend_ps(pos, _mm512_div_ps(one, _mm512_sub_ps(one, x)), _mm512_add_ps(x, one));
}

double fsm_f32_raddstable__avx512(size_t n, const float *x) {
  const __m512 fill = _mm512_set1_ps(-INFINITY);
  fsm_avx512_sum_f64 acc[UNROLL];
  for (int a = 0; a < UNROLL; a++) acc[a] = fsm_avx512_sum_zero();
#define STEP(u, i) fsm_avx512_sum_add(&acc[u], stable(_mm512_loadu_ps(x + (i))))
#define TAIL(i, mask) fsm_avx512_sum_add(&acc[0], stable(_mm512_mask_loadu_ps(fill, mask, x + (i))))
  FSM_AVX512_LOOP(n, UNROLL, STEP, TAIL);
  return fsm_avx512_sums_total(acc, UNROLL);
}

/*
 * The loop of raddexp and raddstoreexp (avx512), over vec.h's loads:
 * compiled per dtype with them. x is read in the storage type, the exps
 * stored in float (for half-precision storage y is the drivers' float
 * scratch).
 */
#ifndef FSM_AVX512_ADDEXP_H
#define FSM_AVX512_ADDEXP_H

#include "vec.h"

/* sum_i exp(x[i] - c), storing each exp in y unless y is NULL: the one
 * loop of raddexp and raddstoreexp (inlined; the NULL test folds away).
 * FSM_AVX512_FOLD vectors are added in float (two chains), then
 * accumulated in double lanes. Tails: masked load/store. */
static inline double fsm_avx512_addstoreexp(size_t n, const S *x, C c, C *y) {
  const __m512 c_f32x16 = _mm512_set1_ps(c);
  fsm_avx512_sum_f64 sum = fsm_avx512_sum_zero();
  size_t i = 0;
  for (; i + FSM_AVX512_FOLD * 16 <= n;) {
    __m512 acc_f32x16[2] = {_mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int v = 0; v < FSM_AVX512_FOLD; v++, i += 16) {
      const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i), c_f32x16));
      if (y != NULL) fsm_vstore_c(y + i, e);
      acc_f32x16[v & 1] = _mm512_add_ps(acc_f32x16[v & 1], e);
    }
    fsm_avx512_sum_add(&sum, _mm512_add_ps(acc_f32x16[0], acc_f32x16[1]));
  }
  for (; i + 16 <= n; i += 16) {
    const __m512 e = fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload(x + i), c_f32x16));
    if (y != NULL) fsm_vstore_c(y + i, e);
    fsm_avx512_sum_add(&sum, e);
  }
  if (i < n) {
    const __mmask16 mask = fsm_avx512_tail_mask(n - i);
    const __m512 e =
        fsm_avx512_exp_nonpositive(_mm512_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x16));
    if (y != NULL) fsm_vstore_tail_c(y + i, n - i, e);
    fsm_avx512_sum_add(&sum, _mm512_maskz_mov_ps(mask, e));
  }
  return fsm_avx512_sum_total(sum);
}

#endif /* FSM_AVX512_ADDEXP_H */

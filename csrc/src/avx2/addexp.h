/*
 * The loop of raddexp and raddstoreexp (avx2), over vec.h's loads: compiled
 * per dtype with them.
 */
#ifndef FSM_AVX2_ADDEXP_H
#define FSM_AVX2_ADDEXP_H

#include "vec.h"

/* sum_i exp(x[i] - c), storing each exp in y unless y is NULL: the one
 * loop of raddexp and raddstoreexp (inlined; the NULL test folds away).
 * FSM_AVX2_FOLD vectors are added in float, as pairs into one chain (a
 * dominant term sees at most FSM_AVX2_FOLD / 2 + 1 roundings, as with two
 * chains, whose second register made the loop spill an accumulator to the
 * stack: 2.86 -> 3.45 elements/ns, Zen 3, 4K row), then accumulated in
 * double lanes. x is read in the storage type, the exps stored in
 * float (for half-precision storage y is the drivers' float scratch). */
static inline double fsm_avx2_addstoreexp(size_t n, const S *x, C c, C *y) {
  const __m256 c_f32x8 = _mm256_set1_ps(c);
  fsm_avx2_sum_f64 sum = fsm_avx2_sum_zero();
  size_t i = 0;
  for (; i + FSM_AVX2_FOLD * 8 <= n;) {
    __m256 acc_f32x8 = _mm256_setzero_ps();
    for (int v = 0; v < FSM_AVX2_FOLD; v += 2, i += 16) {
      const __m256 e0 = fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i), c_f32x8));
      const __m256 e1 = fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i + 8), c_f32x8));
      if (y != NULL) {
        fsm_vstore_c(y + i, e0);
        fsm_vstore_c(y + i + 8, e1);
      }
      acc_f32x8 = _mm256_add_ps(acc_f32x8, _mm256_add_ps(e0, e1));
    }
    fsm_avx2_sum_add(&sum, acc_f32x8);
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 e = fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload(x + i), c_f32x8));
    if (y != NULL) fsm_vstore_c(y + i, e);
    fsm_avx2_sum_add(&sum, e);
  }
  if (i < n) {
    const __m256i mask = fsm_avx2_tail_mask(n - i);
    const __m256 e =
        fsm_avx2_exp_nonpositive(_mm256_sub_ps(fsm_vload_tail(x + i, n - i), c_f32x8));
    if (y != NULL) fsm_vstore_tail_c(y + i, n - i, e);
    fsm_avx2_sum_add(&sum, _mm256_and_ps(e, _mm256_castsi256_ps(mask)));
  }
  return fsm_avx2_sum_total(sum);
}

#endif /* FSM_AVX2_ADDEXP_H */

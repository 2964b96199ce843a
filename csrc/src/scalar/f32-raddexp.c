/* raddexp: sum(exp(x - c)) without storing; the exps go through a small
 * stack buffer so that the block code is the one raddstoreexp runs. */
#include "exp.h"

double fsm_f32_raddexp__scalar(size_t n, const float *x, float c) {
  float scratch[FSM_SCALAR_BLOCK];
  double sum = 0.0;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    sum += fsm_scalar_addstoreexp_block(block, x + i, c, scratch);
  }
  return sum;
}

/* raddexp: sum(exp(x - c)) without storing; the exps go through a small
 * stack buffer so that the block code is the one raddstoreexp runs. */
#include "exp.h"
#include "vec.h"

double FSM_KERNEL_NAME(FSM_DT, raddexp, scalar)(size_t n, const S *x, C c) {
  float scratch[FSM_SCALAR_BLOCK];
  double sum = 0.0;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    for (size_t j = 0; j < block; j++) scratch[j] = fsm_scalar_exp_nonpositive(fsm_vload(x + i + j) - c);
    sum += fsm_scalar_block_sum(block, scratch);
  }
  return sum;
}

/* raddstoreexp: y = exp(x - c), returns sum(y). Blocks of FSM_SCALAR_BLOCK
 * summed in double lanes (fsm_scalar_block_sum). */
#include "exp.h"

double fsm_f32_raddstoreexp__scalar(size_t n, const float *x, float c, float *y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    sum += fsm_scalar_addstoreexp_block(block, x + i, c, y + i);
  }
  return sum;
}

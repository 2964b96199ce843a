/* raddstoreexp: y = exp(x - c), returns sum(y). Blocks of FSM_SCALAR_BLOCK
 * summed in 8 float accumulators, folded into a double total. */
#include "exp.h"

double fsm_f32_raddstoreexp__scalar(size_t n, const float *x, float c, float *y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    sum += (double)fsm_scalar_addstoreexp_block(block, x + i, c, y + i);
  }
  return sum;
}

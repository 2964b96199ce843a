/* raddstoreexp: y = exp(x - c) (in the computing type), returns sum(y).
 * Blocks of FSM_SCALAR_BLOCK summed in double lanes (fsm_scalar_block_sum). */
#include "exp.h"
#include "vec.h"

double FSM_KERNEL_NAME(FSM_DT, raddstoreexp, scalar)(size_t n, const S *x, C c, C *y) {
  double sum = 0.0;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    for (size_t j = 0; j < block; j++) y[i + j] = fsm_scalar_exp_nonpositive(fsm_vload(x + i + j) - c);
    sum += fsm_scalar_block_sum(block, y + i);
  }
  return sum;
}

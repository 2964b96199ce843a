/* raddextexp: sum(exp(x)) as (mantissa, exponent), Dukhan & Ablavatski.
 * Per block: (p_i, n_i) into scratch, the block's max exponent N_b, then
 * sum p_i * 2^(n_i - N_b) in double lanes; blocks merge exactly in
 * double (fsm_extsum_add). */
#include "exp.h"
#include "vec.h"

fsm_extsum FSM_KERNEL_NAME(FSM_DT, raddextexp, scalar)(size_t n, const S *x) {
  float p[FSM_SCALAR_BLOCK], e[FSM_SCALAR_BLOCK];
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  for (size_t i = 0; i < n; i += FSM_SCALAR_BLOCK) {
    const size_t block = n - i < FSM_SCALAR_BLOCK ? n - i : FSM_SCALAR_BLOCK;
    float block_max = -INFINITY;
    for (size_t j = 0; j < block; j++) {
      p[j] = fsm_scalar_extexp(fsm_vload(x + i + j), &e[j]);
      block_max = e[j] > block_max ? e[j] : block_max;
    }
    for (size_t j = 0; j < block; j++) p[j] *= fsm_scalar_exp2_nonpositive(e[j] - block_max);
    fsm_extsum_add(&sum, fsm_scalar_block_sum(block, p), (double)block_max);
  }
  return sum;
}

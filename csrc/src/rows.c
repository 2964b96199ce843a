/*
 * The row executor (rows.h) and the argument checks of its operands.
 */
#include "rows.h"

fsm_status fsm_run_plan(const fsm_plan *plan) {
  void *ptr[FSM_PLAN_MAX_OPERANDS] = {NULL};
  for (size_t r = 0; r < plan->rows; r++) {
    for (size_t i = 0; i < plan->n_operands; i++)
      ptr[i] = plan->base[i] == NULL
                   ? NULL
                   : (char *)plan->base[i] + r * plan->stride[i] * plan->elem_size;
    const fsm_status status = plan->row(plan->ctx, r, plan->cols, ptr);
    if (status != FSM_OK) return status;
  }
  return FSM_OK;
}

fsm_status fsm_check_matrix(size_t rows, size_t cols, const void *p, size_t stride,
                            size_t elem_size) {
  if (rows == 0 || cols == 0) return FSM_OK;
  if (p == NULL) return FSM_NULL_POINTER;
  if (rows > 1 && stride < cols) return FSM_INVALID_STRIDE;
  const size_t max_elems = SIZE_MAX / elem_size;
  if (rows > 1 && (rows - 1) > (max_elems - cols) / (stride ? stride : 1)) return FSM_SIZE_OVERFLOW;
  if (cols > max_elems) return FSM_SIZE_OVERFLOW;
  return FSM_OK;
}

fsm_status fsm_check_algorithm(fsm_algorithm algorithm) {
  return fsm_algorithm_name(algorithm) != NULL ? FSM_OK : FSM_UNKNOWN_ALGORITHM;
}

fsm_status fsm_check_targets(size_t rows, size_t cols, const int64_t *targets,
                             int64_t ignore_index, int allow_ignore) {
  if (rows == 0) return FSM_OK;
  if (targets == NULL) return FSM_NULL_POINTER;
  for (size_t r = 0; r < rows; r++) {
    const int64_t t = targets[r];
    if (allow_ignore && t == ignore_index) continue;
    if (t < 0 || (uint64_t)t >= (uint64_t)cols) return FSM_TARGET_OUT_OF_RANGE;
  }
  return FSM_OK;
}

/*
 * The row executor (rows.h) and the argument checks of its operands.
 */
#include "rows.h"
#include "threads.h"

/* Rows [begin, end) in order; returns the first failure's row (or end). */
static size_t run_rows(const fsm_plan *plan, size_t begin, size_t end, fsm_status *status) {
  void *ptr[FSM_PLAN_MAX_OPERANDS] = {NULL};
  for (size_t r = begin; r < end; r++) {
    for (size_t i = 0; i < plan->n_operands; i++)
      ptr[i] = plan->base[i] == NULL
                   ? NULL
                   : (char *)plan->base[i] + r * plan->stride[i] * plan->elem_size;
    *status = plan->row(plan->ctx, r, plan->cols, ptr);
    if (*status != FSM_OK) return r;
  }
  *status = FSM_OK;
  return end;
}

/* Rows split into at most this many tasks, claimed by the threads in
 * turn (a few per thread balance uneven rows). */
#define FSM_ROW_TASKS_MAX 64

typedef struct row_tasks {
  const fsm_plan *plan;
  size_t n_tasks;
  size_t fail_row[FSM_ROW_TASKS_MAX];
  fsm_status fail_status[FSM_ROW_TASKS_MAX];
} row_tasks;

static void row_task(void *ctx, size_t t) {
  row_tasks *w = ctx;
  const size_t rows = w->plan->rows;
  const size_t begin = rows * t / w->n_tasks, end = rows * (t + 1) / w->n_tasks;
  w->fail_row[t] = run_rows(w->plan, begin, end, &w->fail_status[t]);
}

fsm_status fsm_run_plan(const fsm_plan *plan) {
  const size_t threads = fsm_threads_wanted();
  fsm_status status;
  if (threads < 2 || plan->rows < 2 || plan->rows * plan->cols < FSM_PARALLEL_MIN_ELEMENTS) {
    run_rows(plan, 0, plan->rows, &status);
    return status;
  }
  /* Each row is computed the same way whichever thread runs it (a long
   * row's chunks then run on that thread, in order): the results do not
   * depend on the thread count. */
  row_tasks w;
  w.plan = plan;
  w.n_tasks = plan->rows < 4 * threads ? plan->rows : 4 * threads;
  if (w.n_tasks > FSM_ROW_TASKS_MAX) w.n_tasks = FSM_ROW_TASKS_MAX;
  fsm_parallel_for(w.n_tasks, row_task, &w);
  /* the failure of the lowest row, as the sequential loop would report */
  size_t first = SIZE_MAX;
  status = FSM_OK;
  for (size_t t = 0; t < w.n_tasks; t++) {
    if (w.fail_status[t] != FSM_OK && w.fail_row[t] < first) {
      first = w.fail_row[t];
      status = w.fail_status[t];
    }
  }
  return status;
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

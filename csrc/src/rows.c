/*
 * The row executor (rows.h) and the argument checks of its operands.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* posix_memalign, madvise (fsm_scratch_alloc) */
#endif
#include "rows.h"

#include <stdlib.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "threads.h"

/* Column blocks per row (1 for whole rows). */
static size_t blocks_per_row(const fsm_plan *plan, size_t col_block) {
  if (col_block == 0) return 1;
  return (plan->cols + col_block - 1) / col_block;
}

/* Units (rows, or column blocks of rows) [begin, end) in order; returns
 * the first failure's unit (or end). */
static size_t run_rows(const fsm_plan *plan, size_t col_block, size_t begin, size_t end,
                       fsm_status *status) {
  void *ptr[FSM_PLAN_MAX_OPERANDS] = {NULL};
  const size_t blocks = blocks_per_row(plan, col_block);
  for (size_t u = begin; u < end; u++) {
    /* whole rows (every plan but the axis drivers'): no division */
    const size_t r = col_block == 0 ? u : u / blocks;
    const size_t col = col_block == 0 ? 0 : (u % blocks) * col_block;
    const size_t cols = col_block == 0 ? plan->cols
                        : plan->cols - col < col_block ? plan->cols - col : col_block;
    for (size_t i = 0; i < plan->n_operands; i++)
      ptr[i] = plan->base[i] == NULL
                   ? NULL
                   : (char *)plan->base[i] +
                         ((ptrdiff_t)r * plan->stride[i] + (ptrdiff_t)col) * (ptrdiff_t)plan->elem_size;
    *status = plan->row(plan->ctx, r, cols, ptr);
    if (*status != FSM_OK) return u;
  }
  *status = FSM_OK;
  return end;
}

/* Rows split into at most this many tasks, claimed by the threads in
 * turn (a few per thread balance uneven rows). */
#define FSM_ROW_TASKS_MAX 64

typedef struct row_tasks {
  const fsm_plan *plan;
  size_t col_block;
  size_t n_tasks;
  size_t fail_row[FSM_ROW_TASKS_MAX];
  fsm_status fail_status[FSM_ROW_TASKS_MAX];
} row_tasks;

static void row_task(void *ctx, size_t t) {
  row_tasks *w = ctx;
  const size_t units = w->plan->rows * blocks_per_row(w->plan, w->col_block);
  const size_t begin = units * t / w->n_tasks, end = units * (t + 1) / w->n_tasks;
  w->fail_row[t] = run_rows(w->plan, w->col_block, begin, end, &w->fail_status[t]);
}

fsm_status fsm_run_plan(const fsm_plan *plan) { return fsm_run_plan_blocks(plan, 0, 1); }

fsm_status fsm_run_plan_blocks(const fsm_plan *plan, size_t col_block, size_t axis_len) {
  const size_t threads = fsm_threads_wanted();
  const size_t units = plan->rows * blocks_per_row(plan, col_block);
  const size_t depth = axis_len > 1 ? axis_len : 1;
  fsm_status status;
  if (threads < 2 || units < 2 || plan->rows * plan->cols * depth < FSM_PARALLEL_MIN_ELEMENTS) {
    run_rows(plan, col_block, 0, units, &status);
    return status;
  }
  /* Each row is computed the same way whichever thread runs it (a long
   * row's chunks then run on that thread, in order): the results do not
   * depend on the thread count. */
  row_tasks w;
  w.plan = plan;
  w.col_block = col_block;
  w.n_tasks = units < 4 * threads ? units : 4 * threads;
  if (w.n_tasks > FSM_ROW_TASKS_MAX) w.n_tasks = FSM_ROW_TASKS_MAX;
  fsm_parallel_for(w.n_tasks, row_task, &w);
  /* the failure of the lowest unit, as the sequential loop would report */
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
  /* offsets are formed in ptrdiff_t (fsm_run_plan) */
  const size_t max_elems = (size_t)PTRDIFF_MAX / elem_size;
  if (rows > 1 && (rows - 1) > (max_elems - cols) / (stride ? stride : 1)) return FSM_SIZE_OVERFLOW;
  if (cols > max_elems) return FSM_SIZE_OVERFLOW;
  return FSM_OK;
}

/* |s| as a size_t (PTRDIFF_MIN included). */
static size_t abs_stride(ptrdiff_t s) { return s < 0 ? (size_t)0 - (size_t)s : (size_t)s; }

fsm_status fsm_check_axis(size_t outer, size_t n, size_t inner, const void *p,
                          ptrdiff_t outer_stride, ptrdiff_t axis_stride, size_t elem_size) {
  if (outer == 0 || n == 0 || inner == 0) return FSM_OK;
  if (p == NULL) return FSM_NULL_POINTER;
  const size_t os = abs_stride(outer_stride), as = abs_stride(axis_stride);
  if ((n > 1 && as < inner) || (outer > 1 && os < inner)) return FSM_INVALID_STRIDE;
  size_t room = (size_t)PTRDIFF_MAX / elem_size;
  if (inner > room) return FSM_SIZE_OVERFLOW;
  room -= inner;
  if (n > 1) {
    if (n - 1 > room / as) return FSM_SIZE_OVERFLOW;
    room -= (n - 1) * as;
  }
  if (outer > 1 && outer - 1 > room / os) return FSM_SIZE_OVERFLOW;
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

/* ---------------------------------------------------------------- scratch */

#define FSM_HUGE_PAGE ((size_t)2 << 20)
/* glibc maps allocations of 32 MiB and more afresh (its mmap threshold
 * grows to at most that): below it the advice could land on its heap */
#define FSM_SCRATCH_HUGE_MIN ((size_t)32 << 20)

void *fsm_scratch_alloc(size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= FSM_SCRATCH_HUGE_MIN && bytes <= SIZE_MAX - FSM_HUGE_PAGE) {
    const size_t size = (bytes + FSM_HUGE_PAGE - 1) & ~(FSM_HUGE_PAGE - 1);
    void *p = NULL;
    if (posix_memalign(&p, FSM_HUGE_PAGE, size) != 0) return NULL;
    (void)madvise(p, size, MADV_HUGEPAGE); /* advice only: 4 KiB pages if refused */
    return p;
  }
#endif
  return malloc(bytes);
}

/*
 * The row executor: every public entry point describes its work as a plan
 * (rows x cols, the row operands with their strides, the function that
 * does one row, its per-call context) and hands it to fsm_run_plan, the
 * one loop over rows in the library. Threads, when they come, live there
 * only. Also the argument checks every plan's operands share. Internal.
 */
#ifndef FSM_ROWS_H
#define FSM_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "fastsoftmax.h"

#define FSM_PLAN_MAX_OPERANDS 3

/* Long rows: a row of FSM_CHUNK_MIN_COLS elements or more is cut into
 * chunks of fsm_chunk_len(cols) elements (32K, or longer so that there are
 * at most FSM_MAX_CHUNKS), whose partial states are computed in parallel
 * and merged in chunk order. The cut depends on the row length alone, so
 * the result is the same at every thread count. A chunk (128 KiB of
 * float32) stays in L2 between a driver's passes over it. */
#define FSM_CHUNK_MIN_COLS ((size_t)1 << 17)
#define FSM_CHUNK_ELEMS ((size_t)1 << 15)
#define FSM_MAX_CHUNKS 1024

static inline size_t fsm_chunk_len(size_t cols) {
  size_t c = FSM_CHUNK_ELEMS;
  if ((cols + c - 1) / c > FSM_MAX_CHUNKS) c = ((cols + FSM_MAX_CHUNKS - 1) / FSM_MAX_CHUNKS + 63) & ~(size_t)63;
  return c;
}

/* One row: `ptr[i]` points at row `row` of operand i (NULL for an absent
 * optional operand). Returns FSM_OK, or a status that stops the loop. */
typedef fsm_status (*fsm_row_fn)(const void *ctx, size_t row, size_t cols, void *const *ptr);

typedef struct fsm_plan {
  size_t rows, cols;
  size_t elem_size;                        /* bytes per element of every operand */
  size_t n_operands;
  void *base[FSM_PLAN_MAX_OPERANDS];       /* row 0 of each operand (NULL: absent) */
  ptrdiff_t stride[FSM_PLAN_MAX_OPERANDS]; /* in elements; any sign */
  fsm_row_fn row;
  const void *ctx;
} fsm_plan;

/* Runs plan->row on every row, in order; the first status other than
 * FSM_OK stops it and is returned. Rows of zero columns are still visited
 * (losses write a loss per row). */
fsm_status fsm_run_plan(const fsm_plan *plan);

/* The same with each row cut into blocks of col_block columns (the last
 * one shorter), each a unit of its own that the threads share: the axis
 * drivers' tiles (typed/axis.c), where the row function's "row" is one
 * index of the dimensions before the axis, its columns the independent
 * columns of a tile, and it walks the axis itself (axis_len strided steps:
 * only the estimate of the work reads it). col_block == 0: whole rows. */
fsm_status fsm_run_plan_blocks(const fsm_plan *plan, size_t col_block, size_t axis_len);

/* rows x cols with a row stride: pointer non-NULL unless empty, stride >=
 * cols, and the last element's offset representable. */
fsm_status fsm_check_matrix(size_t rows, size_t cols, const void *p, size_t stride,
                            size_t elem_size);

/* outer x n x inner at p[o * outer_stride + i * axis_stride + j]
 * (fsm_softmax_axis_f32): pointer non-NULL unless empty, |stride| >=
 * inner along each dimension of more than one index, and the span
 * representable in ptrdiff_t bytes. */
fsm_status fsm_check_axis(size_t outer, size_t n, size_t inner, const void *p,
                          ptrdiff_t outer_stride, ptrdiff_t axis_stride, size_t elem_size);

fsm_status fsm_check_algorithm(fsm_algorithm algorithm);

/* Every target is ignore_index (when allowed) or in [0, cols). */
fsm_status fsm_check_targets(size_t rows, size_t cols, const int64_t *targets,
                             int64_t ignore_index, int allow_ignore);

/* Per-row scratch of `bytes` (the half-precision rows widened to float32),
 * freed with free(). From 32 MiB, aligned to 2 MiB and advised as
 * transparent huge pages on Linux: glibc maps such allocations afresh at
 * every call, and faulting them in 4 KiB pages cost more than the row's
 * work (a bfloat16 softmax with a scale on one 16M-element row: 35 ms
 * against 4 ms without the option). */
void *fsm_scratch_alloc(size_t bytes);

#endif /* FSM_ROWS_H */

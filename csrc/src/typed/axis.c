/*
 * Softmax and log-softmax along an axis that is not the contiguous one
 * (fsm_softmax_axis_f32 ...): the drivers of the axis kernels
 * (kernels.def, FSM_AXIS_KERNEL_LIST). The array is outer x n x inner; the
 * plan's units are tiles of one outer index and up to AXIS_TILE_MAX
 * contiguous columns, which the threads share; the kernels sweep a tile
 * in strips of whole row segments (generic/axis.c), the per-column maxima
 * and sums on the stack. A column's result does not depend on the tile it
 * falls in (its sum runs over its rows in order), so the tiles may follow
 * the thread count: the bits stay the same. Compiled once per dtype
 * (dtype.h).
 */
#include "dtype.h"
#include "../threads.h"

/* Columns per tile: at most (the per-column arrays live on the stack; the
 * kernels' FSM_AXIS_CHUNK), and, when the call is shared by threads, at
 * least AXIS_TILE_SPLIT_MIN (row segments of 1 KiB or more keep the
 * prefetchers streaming). */
#define AXIS_TILE_MAX 1024
#define AXIS_TILE_SPLIT_MIN 256

typedef struct DRIVER(axis_call) {
  const KERNELS *k;
  int log_out, recompute;
  size_t n;
  ptrdiff_t xs, ys; /* axis strides */
} DRIVER(axis_call);

/* The columns per tile: whole rows up to AXIS_TILE_MAX; fewer when a
 * tile's n rows would not stay in an eighth of the last-level cache
 * between the passes (then only the first pass reads x from memory; the
 * cache is shared with the other cores), but at least AXIS_TILE_SPLIT_MIN;
 * a call the threads share is cut so that each has about two tiles or
 * more. */
static size_t DRIVER(axis_tile)(size_t outer, size_t n, size_t inner) {
  const size_t threads = fsm_threads_wanted();
  size_t tile = inner < AXIS_TILE_MAX ? inner : AXIS_TILE_MAX;
  const size_t budget = fsm_llc_bytes() / 8 / sizeof(S) / n;  /* columns */
  if (tile > budget) tile = budget < AXIS_TILE_SPLIT_MIN ? AXIS_TILE_SPLIT_MIN : budget & ~(size_t)63;
  if (threads > 1 && outer * n * inner >= FSM_PARALLEL_MIN_ELEMENTS && outer < 2 * threads) {
    const size_t want = 2 * threads / outer;  /* tiles per outer index */
    size_t split = (inner + want - 1) / want;
    split = (split + 63) & ~(size_t)63;
    if (split < AXIS_TILE_SPLIT_MIN) split = AXIS_TILE_SPLIT_MIN;
    if (split < tile) tile = split;
  }
  return tile;
}

/* One tile: w <= AXIS_TILE_MAX columns of n elements each. */
static fsm_status DRIVER(axis_tile_row)(const void *ctx, size_t r, size_t w, void *const *ptr) {
  const DRIVER(axis_call) *c = ctx;
  const KERNELS *k = c->k;
  const S *x = ptr[0];
  S *y = ptr[1];
  C m[AXIS_TILE_MAX], a[AXIS_TILE_MAX];
  double s[AXIS_TILE_MAX];
  (void)r;
  k->cmax(c->n, w, x, c->xs, m);
  if (c->log_out) {
    k->caddstoreexp(c->n, w, x, c->xs, m, NULL, 0, s);
    for (size_t j = 0; j < w; j++) a[j] = (C)log(s[j]);
    k->csubc(c->n, w, x, c->xs, m, a, y, c->ys);
  } else if (c->recompute) {
    k->caddstoreexp(c->n, w, x, c->xs, m, NULL, 0, s);
    for (size_t j = 0; j < w; j++) a[j] = (C)(1.0 / s[j]);
    k->cscaleexp(c->n, w, x, c->xs, m, a, y, c->ys);
  } else {
    k->caddstoreexp(c->n, w, x, c->xs, m, y, c->ys, s);
    for (size_t j = 0; j < w; j++) a[j] = (C)(1.0 / s[j]);
    k->cscale(c->n, w, y, c->ys, a, y, c->ys);
  }
  return FSM_OK;
}

static fsm_status DRIVER(axis_run)(int log_out, size_t outer, size_t n, size_t inner,
                                   const S *x, ptrdiff_t xo, ptrdiff_t xa, S *y, ptrdiff_t yo,
                                   ptrdiff_t ya, fsm_algorithm algorithm) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_axis(outer, n, inner, x, xo, xa, sizeof(S));
  if (status == FSM_OK) status = fsm_check_axis(outer, n, inner, y, yo, ya, sizeof(S));
  if (status == FSM_OK) status = fsm_check_algorithm(algorithm);
  if (status != FSM_OK || outer == 0 || n == 0 || inner == 0) return status;
  const DRIVER(axis_call) call = {k, log_out, algorithm == FSM_ALGORITHM_THREE_PASS_RECOMPUTE,
                                  n, xa, ya};
  const fsm_plan plan = {outer, inner, sizeof(S), 2, {(void *)x, y}, {xo, yo},
                         DRIVER(axis_tile_row), &call};
  return fsm_run_plan_blocks(&plan, DRIVER(axis_tile)(outer, n, inner), n);
}

fsm_status PUBLIC(softmax_axis)(size_t outer, size_t n, size_t inner, const S *x,
                                ptrdiff_t x_outer_stride, ptrdiff_t x_axis_stride, S *y,
                                ptrdiff_t y_outer_stride, ptrdiff_t y_axis_stride,
                                fsm_algorithm algorithm) {
  return DRIVER(axis_run)(0, outer, n, inner, x, x_outer_stride, x_axis_stride, y,
                          y_outer_stride, y_axis_stride, algorithm);
}

fsm_status PUBLIC(log_softmax_axis)(size_t outer, size_t n, size_t inner, const S *x,
                                    ptrdiff_t x_outer_stride, ptrdiff_t x_axis_stride, S *y,
                                    ptrdiff_t y_outer_stride, ptrdiff_t y_axis_stride,
                                    fsm_algorithm algorithm) {
  return DRIVER(axis_run)(1, outer, n, inner, x, x_outer_stride, x_axis_stride, y,
                          y_outer_stride, y_axis_stride, algorithm);
}

/* ---- the VJPs along the axis: the column sums, then one elementwise pass */

typedef struct DRIVER(axis_vjp_call) {
  const KERNELS *k;
  int log_in;
  size_t n;
  ptrdiff_t as, bs, ys; /* axis strides of a (y or z), b (dy or dz), dx */
} DRIVER(axis_vjp_call);

/* softmax: dx = y (dy - sum dy y); log-softmax: dx = dz - exp(z) sum dz */
static fsm_status DRIVER(axis_vjp_tile)(const void *ctx, size_t r, size_t w, void *const *ptr) {
  const DRIVER(axis_vjp_call) *c = ctx;
  const KERNELS *k = c->k;
  const S *a = ptr[0], *b = ptr[1];
  S *dx = ptr[2];
  double s[AXIS_TILE_MAX];
  C sv[AXIS_TILE_MAX];
  (void)r;
  if (c->log_in)
    k->csum(c->n, w, b, c->bs, s);
  else
    k->cdot(c->n, w, a, c->as, b, c->bs, s);
  for (size_t j = 0; j < w; j++) sv[j] = (C)s[j];
  if (c->log_in)
    k->csubscaleexp(c->n, w, a, c->as, b, c->bs, sv, dx, c->ys);
  else
    k->csubmul(c->n, w, a, c->as, b, c->bs, sv, dx, c->ys);
  return FSM_OK;
}

static fsm_status DRIVER(axis_vjp_run)(int log_in, size_t outer, size_t n, size_t inner,
                                       const S *a, ptrdiff_t ao, ptrdiff_t aa, const S *b,
                                       ptrdiff_t bo, ptrdiff_t ba, S *dx, ptrdiff_t dxo,
                                       ptrdiff_t dxa) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_axis(outer, n, inner, a, ao, aa, sizeof(S));
  if (status == FSM_OK) status = fsm_check_axis(outer, n, inner, b, bo, ba, sizeof(S));
  if (status == FSM_OK) status = fsm_check_axis(outer, n, inner, dx, dxo, dxa, sizeof(S));
  if (status != FSM_OK || outer == 0 || n == 0 || inner == 0) return status;
  const DRIVER(axis_vjp_call) call = {k, log_in, n, aa, ba, dxa};
  const fsm_plan plan = {outer, inner, sizeof(S), 3, {(void *)a, (void *)b, dx}, {ao, bo, dxo},
                         DRIVER(axis_vjp_tile), &call};
  return fsm_run_plan_blocks(&plan, DRIVER(axis_tile)(outer, n, inner), n);
}

fsm_status PUBLIC(softmax_backward_axis)(size_t outer, size_t n, size_t inner, const S *y,
                                         ptrdiff_t y_outer_stride, ptrdiff_t y_axis_stride,
                                         const S *dy, ptrdiff_t dy_outer_stride,
                                         ptrdiff_t dy_axis_stride, S *dx,
                                         ptrdiff_t dx_outer_stride, ptrdiff_t dx_axis_stride) {
  return DRIVER(axis_vjp_run)(0, outer, n, inner, y, y_outer_stride, y_axis_stride, dy,
                              dy_outer_stride, dy_axis_stride, dx, dx_outer_stride,
                              dx_axis_stride);
}

fsm_status PUBLIC(log_softmax_backward_axis)(size_t outer, size_t n, size_t inner, const S *z,
                                             ptrdiff_t z_outer_stride, ptrdiff_t z_axis_stride,
                                             const S *dz, ptrdiff_t dz_outer_stride,
                                             ptrdiff_t dz_axis_stride, S *dx,
                                             ptrdiff_t dx_outer_stride, ptrdiff_t dx_axis_stride) {
  return DRIVER(axis_vjp_run)(1, outer, n, inner, z, z_outer_stride, z_axis_stride, dz,
                              dz_outer_stride, dz_axis_stride, dx, dx_outer_stride,
                              dx_axis_stride);
}

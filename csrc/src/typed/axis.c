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
 * (dtype.h); float16 and bfloat16 run the half tables' axis kernels on the
 * half rows themselves (widened in the loads, each output narrowed once);
 * their reload keeps the exps in a float scratch tile, not in y.
 */
#include <stdlib.h>

#include "dtype.h"
#include "../threads.h"

/* Columns per tile: at most (the per-column arrays live on the stack; the
 * kernels' FSM_AXIS_CHUNK), and, when the call is shared by threads, at
 * least AXIS_TILE_SPLIT_MIN (row segments of 1 KiB or more keep the
 * prefetchers streaming). */
#define AXIS_TILE_MAX 1024
#define AXIS_TILE_SPLIT_MIN 256
/* The online form's blocks of rows: at most this many bytes of a tile of
 * AXIS_TILE_MAX columns (float32: 64 rows, which stay in L2 between the
 * block's two reads), and at most a 32nd of the LLC (FASTSOFTMAX_LLC_BYTES
 * makes the blocks small in tests); whole strips of AXIS_ONLINE_FOLD rows. */
#define AXIS_ONLINE_BLOCK_BYTES (256 * 1024)
#define AXIS_ONLINE_FOLD 4

typedef struct DRIVER(axis_call) {
  const KERNELS *k;
  int log_out, recompute, online;
  int streaming; /* x and y fill the LLC: cmax prefetches */
  size_t n;
  ptrdiff_t xs, ys; /* axis strides */
} DRIVER(axis_call);

/* The columns per tile: whole rows up to AXIS_TILE_MAX; for the three-pass
 * forms fewer when a tile's n rows would not stay in an eighth of the
 * last-level cache between the passes (then only the first pass reads x
 * from memory; the cache is shared with the other cores), but at least
 * AXIS_TILE_SPLIT_MIN. `wide` tiles (the online form, and the VJPs beyond
 * that budget) keep whole rows up to AXIS_TILE_MAX: their second sweep may
 * read memory again, in segments long enough for the prefetchers. A call
 * the threads share is cut so that each has about two tiles or more. */
static size_t DRIVER(axis_tile)(size_t outer, size_t n, size_t inner, int wide) {
  const size_t threads = fsm_threads_wanted();
  size_t tile = inner < AXIS_TILE_MAX ? inner : AXIS_TILE_MAX;
  const size_t budget = fsm_llc_bytes() / 8 / sizeof(S) / n;  /* columns */
  if (!wide && tile > budget) tile = budget < AXIS_TILE_SPLIT_MIN ? AXIS_TILE_SPLIT_MIN : budget & ~(size_t)63;
  if (threads > 1 && outer * n * inner >= FSM_PARALLEL_MIN_ELEMENTS && outer < 2 * threads) {
    const size_t want = 2 * threads / outer;  /* tiles per outer index */
    size_t split = (inner + want - 1) / want;
    split = (split + 63) & ~(size_t)63;
    if (split < AXIS_TILE_SPLIT_MIN) split = AXIS_TILE_SPLIT_MIN;
    if (split < tile) tile = split;
  }
  return tile;
}

/* The column form of the online normaliser: one sweep of x for each
 * column's max m and sum s of exp(x - m), in blocks of rows that stay in
 * L1/L2 between their two reads (cmax, then caddstoreexp against the
 * running max), each block merged into the columns' (m, s) in double.
 * Out of cache, x is then read twice and y written once (the output pass,
 * cscaleexp / csubc) instead of x three times. The exps of a block are
 * taken against the running max c = max(m, block max) >= every x of the
 * block, so each |x - c| <= |x - final max| (no rounding beyond the
 * three-pass form's); when the max grows, the sum so far is rescaled by
 * exp(m - c) in double (one libm exp per column and growth; no float
 * rounding accumulates however often it grows). A column whose running max
 * is still -inf sums against 0 (its terms are 0, or NaN where a NaN hides:
 * the three-pass form's results), so an all -inf prefix does not poison
 * it. */
static void DRIVER(axis_online_sums)(const KERNELS *k, size_t n, size_t w, const S *x,
                                     ptrdiff_t xs, int streaming, C *m, double *s) {
  C bm[AXIS_TILE_MAX], cz[AXIS_TILE_MAX];
  double bs[AXIS_TILE_MAX];
  /* rows per block from the widest tile, not this one's w: the blocks,
   * hence the bits, do not depend on the tiling (the thread count) */
  const size_t llc_part = fsm_llc_bytes() / 32;
  size_t rows = (llc_part < AXIS_ONLINE_BLOCK_BYTES ? llc_part : AXIS_ONLINE_BLOCK_BYTES) / sizeof(S) /
                AXIS_TILE_MAX;
  rows = rows < AXIS_ONLINE_FOLD ? AXIS_ONLINE_FOLD : rows / AXIS_ONLINE_FOLD * AXIS_ONLINE_FOLD;
  for (size_t j = 0; j < w; j++) {
    m[j] = -(C)INFINITY;
    s[j] = 0.0;
  }
  for (size_t i = 0; i < n; i += rows) {
    const size_t g = n - i < rows ? n - i : rows;
    const S *xb = x + (ptrdiff_t)i * xs;
    k->cmax(g, w, xb, xs, bm, streaming);
    for (size_t j = 0; j < w; j++) {
      const C cj = bm[j] > m[j] ? bm[j] : m[j];
      bm[j] = cj;
      cz[j] = cj == -(C)INFINITY ? (C)0 : cj;
    }
    k->caddstoreexp(g, w, xb, xs, cz, NULL, 0, bs);
    for (size_t j = 0; j < w; j++) {
      if (bm[j] > m[j]) {
        /* from -inf: the terms so far were 0 (or NaN, kept) */
        const double f = m[j] == -(C)INFINITY ? 0.0 : exp((double)m[j] - (double)bm[j]);
        s[j] = s[j] * f + bs[j];
        m[j] = bm[j];
      } else {
        s[j] += bs[j];
      }
    }
  }
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
  /* the reload's exps, e (stride es): y itself where S = C; for half
   * storage a float scratch tile, so that each output is rounded to S once.
   * The tile recomputes them instead when the scratch would pass a quarter
   * of the LLC (AUTO's tiles stay within an eighth in S, i.e. a quarter in
   * float: only an explicit THREE_PASS_RELOAD of a long axis gets there,
   * which would otherwise allocate twice its input) or is not there. */
  int recompute = c->recompute;
  C *e = NULL;
  ptrdiff_t es = c->ys;
  if (!c->online && !c->log_out && !recompute) {
#if defined(FSM_DTYPE_HALF)
    if (c->n * w * sizeof(C) <= fsm_llc_bytes() / 4) e = malloc(c->n * w * sizeof(C));
    es = (ptrdiff_t)w;
    if (e == NULL) recompute = 1;
#else
    e = y;
#endif
  }
  if (c->online) {
    DRIVER(axis_online_sums)(k, c->n, w, x, c->xs, c->streaming, m, s);
  } else {
    k->cmax(c->n, w, x, c->xs, m, c->streaming);
    if (c->log_out || recompute) k->caddstoreexp(c->n, w, x, c->xs, m, NULL, 0, s);
  }
  if (c->log_out) {
    for (size_t j = 0; j < w; j++) a[j] = (C)log(s[j]);
    k->csubc(c->n, w, x, c->xs, m, a, y, c->ys, c->streaming);
  } else if (recompute || c->online) {
    for (size_t j = 0; j < w; j++) a[j] = (C)(1.0 / s[j]);
    k->cscaleexp(c->n, w, x, c->xs, m, a, y, c->ys, c->streaming);
  } else {
    k->caddstoreexp(c->n, w, x, c->xs, m, e, es, s);
    for (size_t j = 0; j < w; j++) a[j] = (C)(1.0 / s[j]);
    k->cscale(c->n, w, e, es, a, y, c->ys, c->streaming);
  }
#if defined(FSM_DTYPE_HALF)
  free(e);
#endif
  return FSM_OK;
}

/* A whole-width tile of x up to this size stays in L2 between the passes. */
#define AXIS_L2_TILE_BYTES (512 * 1024)

/* Does AUTO take the three-pass recompute instead of the reload? For a
 * call that fills the LLC, on a table whose elementwise axis passes
 * stream their output from memory (generic/axis.c, FSM_AXIS_STREAM: the
 * x86 SIMD tables, float32), when a whole-width tile would not stay in
 * L2: the recompute then writes y once, around the caches, and reads its
 * tile of x again from the LLC, where the reload writes its exps to y and
 * reads them back. A tile in L2 keeps the reload ((64, 1024, 128) axis 1
 * into fresh output pages, Zen 4: 0.94 vs 0.79-0.87 elements/ns for the
 * recompute). Depends on the shape only (not on the tiling), and both
 * forms give the same bits. */
static int DRIVER(axis_auto_recompute)(const KERNELS *k, int streaming, size_t n, size_t inner) {
#if defined(FSM_DTYPE_HALF)
  (void)k, (void)streaming, (void)n, (void)inner;
  return 0;
#else
  const size_t tile = inner < AXIS_TILE_MAX ? inner : AXIS_TILE_MAX;
  return streaming && n * tile * sizeof(S) > AXIS_L2_TILE_BYTES &&
         (k->isa == FSM_ISA_AVX2 || k->isa == FSM_ISA_AVX512 || k->isa == FSM_ISA_AVX512_BF16);
#endif
}

/* Would a whole-width tile's n rows take over `ratio` times the LLC
 * budget of axis_tile? */
static int DRIVER(axis_beyond_llc)(size_t n, size_t inner, size_t ratio) {
  const size_t tile = inner < AXIS_TILE_MAX ? inner : AXIS_TILE_MAX;
  return fsm_llc_bytes() / 8 / sizeof(S) / n * ratio < tile;
}

/* The online form for FSM_ALGORITHM_ONLINE, and for AUTO and TWO_PASS
 * when a whole-width tile's n rows would take over twice the LLC budget
 * (the three-pass forms would then cut the tile to under half, and read
 * row segments of a KiB or two at a long pitch; around the crossover,
 * (1536..2048, 4096) float32, the two forms measured alike): (4096, 4096)
 * float32 axis 0, Zen 3, 1 thread, 0.35-0.56 -> 0.62-0.77 elements/ns
 * (README "Softmax along any axis" has the bench's numbers). Tiles that
 * stay keep the three-pass reload: in cache it is faster (one exp per
 * element, no merges). Where AUTO takes the streaming recompute
 * (axis_auto_recompute) its tiles may hold up to four times the budget.
 * Zen 4, float32, one thread, elements/ns, recompute / online / reload:
 * (4096, 4096) axis 0 (tiles of 256 columns) 1.18-1.34 / 1.08-1.14 /
 * 0.79-0.86; as NumPy allocates (x and y 16 bytes past a line) into fresh
 * output pages 0.84-0.87 / 0.67-0.73 / 0.66-0.67, into the same output
 * again 0.75-0.83 / 0.86-0.97 / 0.69-0.92; (8192, 2048) (128 columns)
 * 0.61 vs 0.97 online. */
static int DRIVER(axis_online)(fsm_algorithm algorithm, size_t n, size_t inner,
                               int auto_recompute) {
  if (algorithm == FSM_ALGORITHM_ONLINE) return 1;
  if (algorithm != FSM_ALGORITHM_AUTO && algorithm != FSM_ALGORITHM_TWO_PASS) return 0;
  return DRIVER(axis_beyond_llc)(n, inner, auto_recompute ? 4 : 2);
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
  const int streaming = DRIVER(fills_llc)(outer * inner, n);
  /* TWO_PASS has no column form: AUTO's choice */
  const int auto_recompute =
      (algorithm == FSM_ALGORITHM_AUTO || algorithm == FSM_ALGORITHM_TWO_PASS) &&
      DRIVER(axis_auto_recompute)(k, streaming, n, inner);
  const int online = DRIVER(axis_online)(algorithm, n, inner, auto_recompute);
  const int recompute = algorithm == FSM_ALGORITHM_THREE_PASS_RECOMPUTE || auto_recompute;
  const DRIVER(axis_call) call = {k, log_out, recompute, online, streaming, n, xa, ya};
  const fsm_plan plan = {outer, inner, sizeof(S), 2, {(void *)x, y}, {xo, yo},
                         DRIVER(axis_tile_row), &call};
  return fsm_run_plan_blocks(&plan, DRIVER(axis_tile)(outer, n, inner, online), n);
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
  int streaming; /* a, b and dx fill the LLC: the elementwise pass prefetches */
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
    k->csubscaleexp(c->n, w, a, c->as, b, c->bs, sv, dx, c->ys, c->streaming);
  else
    k->csubmul(c->n, w, a, c->as, b, c->bs, sv, dx, c->ys, c->streaming);
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
  const DRIVER(axis_vjp_call) call = {k, log_in, DRIVER(fills_llc)(outer * inner, n), n, aa, ba, dxa};
  const fsm_plan plan = {outer, inner, sizeof(S), 3, {(void *)a, (void *)b, dx}, {ao, bo, dxo},
                         DRIVER(axis_vjp_tile), &call};
  /* beyond the LLC budget, whole-width tiles too: the second sweep then
   * reads a and b from memory again, but as row segments of 4 KiB (float32)
   * instead of 1 KiB or less, which the prefetchers follow: (4096, 4096)
   * float32 axis 0, Zen 3, 1 thread, 0.56-0.89 -> 0.96-0.98 elements/ns;
   * (8192, 1024) 0.55-0.66 -> 1.40 */
  return fsm_run_plan_blocks(&plan, DRIVER(axis_tile)(outer, n, inner, DRIVER(axis_beyond_llc)(n, inner, 1)), n);
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

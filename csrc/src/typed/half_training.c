/*
 * The training functions on half-precision storage (float16, bfloat16):
 * compiled for those dtypes only (dtype.h, FSM_DTYPE_HALF). The VJPs read
 * their two operands a block at a time, widen the block into a float
 * scratch that stays in L1 (vwiden, exact), run the float32 table's
 * kernels on it (rdot, rsum, vsubmul, vsubscaleexp) and narrow the result
 * (vscale with s = 1): the float32 computation on the widened inputs,
 * rounded once to S. The losses and the maps widen whole rows (their
 * passes revisit them) and run the float32 drivers' rows on them. Why a
 * scratch rather than half versions of the float32 kernels:
 * docs/architecture.md ("Half-precision training").
 */
#include "dtype.h"
#include "../threads.h"

#include <stdlib.h>

#if !defined(FSM_DTYPE_HALF)
#error "typed/half_training.c is built for float16 and bfloat16 only"
#endif

/* Elements per block: two float scratches of 8 KiB plus the 4 KiB of each
 * half operand's block stay in a 32 KiB L1 data cache. */
#define HALF_BLOCK 2048

/* ---- the VJPs: softmax dx = y * (dy - <y, dy>), log-softmax dx = dz -
   exp(z) * sum(dz). a = y or z, b = dy or dz. Rows of FSM_CHUNK_MIN_COLS
   or more are cut into chunks (rows.h) whose sums are added in chunk
   order, as the float32 drivers do: the same bits at any thread count. */

typedef struct DRIVER(hvjp) {
  const KERNELS *kh;
  const fsm_f32_kernels *kf;
  int log;
  size_t n, chunk;
  const S *a, *b;
  S *y;
  float s;
  double part[FSM_MAX_CHUNKS];
} DRIVER(hvjp);

static size_t DRIVER(hvjp_len)(const DRIVER(hvjp) *w, size_t off) {
  return w->n - off < w->chunk ? w->n - off : w->chunk;
}

/* sum over [off, off + len) of a * b (softmax) or of b (log-softmax); the
 * last block stays widened in sa, sb (sa only for softmax) */
static double DRIVER(hvjp_sum)(const DRIVER(hvjp) *w, size_t off, size_t len, float *sa,
                               float *sb) {
  double s = 0.0;
  for (size_t j = 0; j < len; j += HALF_BLOCK) {
    const size_t m = len - j < HALF_BLOCK ? len - j : HALF_BLOCK;
    w->kh->vwiden(m, w->b + off + j, sb);
    if (w->log) {
      s += w->kf->rsum(m, sb);
    } else {
      w->kh->vwiden(m, w->a + off + j, sa);
      s += w->kf->rdot(m, sa, sb);
    }
  }
  return s;
}

/* dx over [off, off + len); `widened`: sa, sb already hold this (single
 * block) range, as hvjp_sum left them */
static void DRIVER(hvjp_map)(const DRIVER(hvjp) *w, size_t off, size_t len, float *sa,
                             float *sb, int widened) {
  for (size_t j = 0; j < len; j += HALF_BLOCK) {
    const size_t m = len - j < HALF_BLOCK ? len - j : HALF_BLOCK;
    if (!widened) w->kh->vwiden(m, w->b + off + j, sb);
    if (!widened || w->log) w->kh->vwiden(m, w->a + off + j, sa);
    if (w->log)
      w->kf->vsubscaleexp(m, sa, sb, w->s, sa);
    else
      w->kf->vsubmul(m, sa, sb, w->s, sa);
    w->kh->vscale(m, sa, 1.0f, w->y + off + j);
  }
}

static void DRIVER(hvjp_sum_task)(void *ctx, size_t c) {
  DRIVER(hvjp) *w = ctx;
  float sa[HALF_BLOCK], sb[HALF_BLOCK];
  w->part[c] = DRIVER(hvjp_sum)(w, c * w->chunk, DRIVER(hvjp_len)(w, c * w->chunk), sa, sb);
}

static void DRIVER(hvjp_map_task)(void *ctx, size_t c) {
  const DRIVER(hvjp) *w = ctx;
  float sa[HALF_BLOCK], sb[HALF_BLOCK];
  DRIVER(hvjp_map)(w, c * w->chunk, DRIVER(hvjp_len)(w, c * w->chunk), sa, sb, 0);
}

typedef struct DRIVER(hvjp_call) {
  const KERNELS *kh;
  const fsm_f32_kernels *kf;
  int log;
} DRIVER(hvjp_call);

static fsm_status DRIVER(hvjp_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hvjp_call) *call = ctx;
  (void)r;
  DRIVER(hvjp) w; /* fields set one by one: part[] is only written per chunk */
  w.kh = call->kh;
  w.kf = call->kf;
  w.log = call->log;
  w.n = n;
  w.a = ptr[0];
  w.b = ptr[1];
  w.y = ptr[2];
  if (n <= HALF_BLOCK) { /* one block: widened once */
    float sa[HALF_BLOCK], sb[HALF_BLOCK];
    w.chunk = n;
    w.s = (float)DRIVER(hvjp_sum)(&w, 0, n, sa, sb);
    DRIVER(hvjp_map)(&w, 0, n, sa, sb, 1);
    return FSM_OK;
  }
  w.chunk = n >= FSM_CHUNK_MIN_COLS ? fsm_chunk_len(n) : n;
  const size_t chunks = (n + w.chunk - 1) / w.chunk;
  fsm_parallel_for(chunks, DRIVER(hvjp_sum_task), &w);
  double total = 0.0;
  for (size_t c = 0; c < chunks; c++) total += w.part[c];
  w.s = (float)total;
  fsm_parallel_for(chunks, DRIVER(hvjp_map_task), &w);
  return FSM_OK;
}

static fsm_status DRIVER(run_hvjp)(int log, size_t rows, size_t cols, const S *a, size_t as,
                                   const S *b, size_t bs, S *dx, size_t dxs) {
  fsm_status status;
  const KERNELS *kh = ACTIVE_KERNELS(&status);
  if (kh == NULL) return status;
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  status = fsm_check_matrix(rows, cols, a, as, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, b, bs, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, dx, dxs, sizeof(S));
  if (status != FSM_OK) return status;
  if (cols == 0) return FSM_OK;
  const DRIVER(hvjp_call) call = {kh, kf, log};
  const fsm_plan plan = {rows, cols, sizeof(S), 3, {(void *)a, (void *)b, dx}, {as, bs, dxs},
                         DRIVER(hvjp_plan_row), &call};
  return fsm_run_plan(&plan);
}

fsm_status PUBLIC(softmax_backward)(size_t rows, size_t cols, const S *y, size_t y_stride,
                                    const S *dy, size_t dy_stride, S *dx, size_t dx_stride) {
  return DRIVER(run_hvjp)(0, rows, cols, y, y_stride, dy, dy_stride, dx, dx_stride);
}

fsm_status PUBLIC(log_softmax_backward)(size_t rows, size_t cols, const S *z, size_t z_stride,
                                        const S *dz, size_t dz_stride, S *dx, size_t dx_stride) {
  return DRIVER(run_hvjp)(1, rows, cols, z, z_stride, dz, dz_stride, dx, dx_stride);
}

/* ---- the losses and the normalised maps: each row's operands (the
   logits; soft targets) widened whole into float32 scratches (their passes
   revisit the row), the float32 driver's row run on them with the gradient
   or map written in place in the scratch, and the result narrowed once
   (vscale with s = 1). Losses are float32. A row's scratch is on the stack
   up to HALF_ROW_STACK elements, else allocated per row (FSM_OUT_OF_MEMORY
   when that fails). */

/* (HALF_ROW_STACK, widen_row: dtype.h; also the drivers of fused.c,
 * states.c and sampling.c on half storage) */
float *DRIVER(widen_row)(const KERNELS *kh, size_t n, size_t count, const S *const *src,
                         float *stack) {
  float *w = stack;
  if (n > HALF_ROW_STACK) {
    if (n > SIZE_MAX / sizeof *w / count) return NULL;
    w = fsm_scratch_alloc(count * n * sizeof *w);
    if (w == NULL) return NULL;
  }
  for (size_t i = 0; i < count; i++) kh->vwiden(n, src[i], w + i * n);
  return w;
}

void DRIVER(row_scratch_free)(float *w, float *stack) {
  if (w != stack) free(w);
}

typedef struct DRIVER(hrow_call) {
  const KERNELS *kh;
  const fsm_f32_kernels *kf;
  fsm_int_loss which;       /* integer-target losses */
  fsm_loss_params p;        /* their parameters; soft targets: p1 = alpha */
  int int_targets;          /* the integer-target losses */
  const int64_t *targets;
  int64_t ignore_index;
  double g;
  float *loss;
  int map_kind, log_out;    /* the maps */
  double *stats;            /* spherical_stats */
} DRIVER(hrow_call);

/* Integer targets: ptr = {x, dx}. */
static fsm_status DRIVER(hloss_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hrow_call) *call = ctx;
  const int64_t t = call->targets[r];
  const S *x = ptr[0];
  S *dx = ptr[1];
  double loss = 0.0;
  if (t == call->ignore_index) {
    for (size_t i = 0; dx != NULL && i < n; i++) dx[i] = 0;
  } else if (t < 0 || (uint64_t)t >= (uint64_t)n) {
    return FSM_TARGET_OUT_OF_RANGE; /* only with overlapping outputs (see training.c) */
  } else {
    float stack[HALF_ROW_STACK];
    float *xs = DRIVER(widen_row)(call->kh, n, 1, &x, stack);
    if (xs == NULL) return FSM_OUT_OF_MEMORY;
    loss = fsm_f32_row_int_loss(call->which, call->kf, n, xs, (size_t)t, &call->p, call->g,
                                dx != NULL ? xs : NULL);
    if (dx != NULL) call->kh->vscale(n, xs, 1.0f, dx);
    DRIVER(row_scratch_free)(xs, stack);
  }
  if (call->loss != NULL) call->loss[r] = (float)loss;
  return FSM_OK;
}

/* Soft targets: ptr = {x, t, dx}. */
static fsm_status DRIVER(hsoft_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hrow_call) *call = ctx;
  S *dx = ptr[2];
  double loss = 0.0;  /* an empty row: sum(t) = 0, no loss */
  if (n > 0) {
    const S *src[2] = {ptr[0], ptr[1]};
    float stack[2 * HALF_ROW_STACK];
    float *xs = DRIVER(widen_row)(call->kh, n, 2, src, stack);
    if (xs == NULL) return FSM_OUT_OF_MEMORY;
    loss = fsm_f32_row_soft_ce(call->kf, n, xs, xs + n, call->p.p1, call->g,
                                          dx != NULL ? xs : NULL);
    if (dx != NULL) call->kh->vscale(n, xs, 1.0f, dx);
    DRIVER(row_scratch_free)(xs, stack);
  }
  if (call->loss != NULL) call->loss[r] = (float)loss;
  return FSM_OK;
}

/* The maps: ptr = {x, y}. */
static fsm_status DRIVER(hmap_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hrow_call) *call = ctx;
  (void)r;
  const S *x = ptr[0];
  float stack[HALF_ROW_STACK];
  float *xs = DRIVER(widen_row)(call->kh, n, 1, &x, stack);
  if (xs == NULL) return FSM_OUT_OF_MEMORY;
  fsm_f32_row_map(call->kf, call->map_kind, call->log_out, call->p.p1, n, xs, xs);
  call->kh->vscale(n, xs, 1.0f, ptr[1]);
  DRIVER(row_scratch_free)(xs, stack);
  return FSM_OK;
}

/* spherical_stats: ptr = {x}; the sums of the widened row. */
static fsm_status DRIVER(hstats_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hrow_call) *call = ctx;
  const S *x = ptr[0];
  float stack[HALF_ROW_STACK];
  float *xs = DRIVER(widen_row)(call->kh, n, 1, &x, stack);
  if (xs == NULL) return FSM_OUT_OF_MEMORY;
  double s[2];
  call->kf->rsumsq(n, xs, 0.0f, s);
  call->stats[3 * r] = s[0];
  call->stats[3 * r + 1] = s[1];
  call->stats[3 * r + 2] = call->targets != NULL ? (double)xs[(size_t)call->targets[r]] : NAN;
  DRIVER(row_scratch_free)(xs, stack);
  return FSM_OK;
}

/* Checks in the float32 functions' order (the ISA; the matrices x, t when
 * `soft` (soft targets), dx (the gradient, or the maps' y when
 * `dx_required`); the integer targets; the parameters' verdict `params`),
 * then runs `row` over the rows. */
static fsm_status DRIVER(run_hrows)(DRIVER(hrow_call) *call, fsm_row_fn row,
                                    fsm_status params, size_t rows, size_t cols, const S *x,
                                    size_t xs, int soft, const S *t, size_t ts, S *dx, size_t dxs,
                                    int dx_required) {
  fsm_status status;
  call->kh = ACTIVE_KERNELS(&status);
  if (call->kh == NULL) return status;
  call->kf = fsm_f32_active_kernels(&status);
  if (call->kf == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, xs, sizeof(S));
  if (status == FSM_OK && soft) status = fsm_check_matrix(rows, cols, t, ts, sizeof(S));
  if (status == FSM_OK && (dx != NULL || dx_required))
    status = fsm_check_matrix(rows, cols, dx, dxs, sizeof(S));
  if (status == FSM_OK && call->int_targets)
    status = fsm_check_targets(rows, cols, call->targets, call->ignore_index, 1);
  if (status == FSM_OK) status = params;
  if (status != FSM_OK) return status;
  const fsm_plan plan = soft
      ? (fsm_plan){rows, cols, sizeof(S), 3, {(void *)x, (void *)t, dx}, {xs, ts, dxs}, row, call}
      : (fsm_plan){rows, cols, sizeof(S), 2, {(void *)x, dx}, {xs, dxs}, row, call};
  return fsm_run_plan(&plan);
}

/* An integer-target loss: the loss_call of typed/training.c's entry points. */
static fsm_status DRIVER(run_hloss)(fsm_int_loss which, fsm_loss_params p, fsm_status params,
                                    size_t rows, size_t cols, const S *x, size_t xs,
                                    const int64_t *targets, int64_t ignore_index, double g,
                                    float *loss, S *dx, size_t dxs) {
  DRIVER(hrow_call) call = {NULL, NULL, which, p, 1, targets, ignore_index, g, loss, 0, 0, NULL};
  return DRIVER(run_hrows)(&call, DRIVER(hloss_plan_row), params, rows, cols, x, xs, 0, NULL, 0,
                           dx, dxs, 0);
}

fsm_status PUBLIC(cross_entropy)(size_t rows, size_t cols, const S *logits, size_t logits_stride,
                                 const int64_t *targets, int64_t ignore_index,
                                 double label_smoothing, double grad_scale, float *loss,
                                 S *dlogits, size_t dlogits_stride) {
  const fsm_loss_params p = {(fsm_spherical_loss)0, label_smoothing, 0.0, 0.0};
  return DRIVER(run_hloss)(FSM_INT_LOSS_CE, p, fsm_check_label_smoothing(label_smoothing), rows,
                           cols, logits, logits_stride, targets, ignore_index, grad_scale, loss,
                           dlogits, dlogits_stride);
}

fsm_status PUBLIC(log_spherical_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                      const int64_t *targets, int64_t ignore_index, double eps,
                                      double grad_scale, float *loss, S *dx, size_t dx_stride) {
  const fsm_loss_params p = {FSM_LOSS_LOG_SPHERICAL, eps, 0.0, 0.0};
  return DRIVER(run_hloss)(FSM_INT_LOSS_SPHERICAL, p, fsm_check_eps(eps), rows, cols, x, x_stride,
                           targets, ignore_index, grad_scale, loss, dx, dx_stride);
}

fsm_status PUBLIC(log_taylor_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                   const int64_t *targets, int64_t ignore_index,
                                   double grad_scale, float *loss, S *dx, size_t dx_stride) {
  const fsm_loss_params p = {FSM_LOSS_LOG_TAYLOR, 0.0, 0.0, 0.0};
  return DRIVER(run_hloss)(FSM_INT_LOSS_SPHERICAL, p, FSM_OK, rows, cols, x, x_stride, targets,
                           ignore_index, grad_scale, loss, dx, dx_stride);
}

fsm_status PUBLIC(z_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                          const int64_t *targets, int64_t ignore_index, double a, double b,
                          double eps_z, double grad_scale, float *loss, S *dx, size_t dx_stride) {
  const fsm_loss_params p = {FSM_LOSS_Z, a, b, eps_z};
  return DRIVER(run_hloss)(FSM_INT_LOSS_SPHERICAL, p, fsm_check_z_params(a, b, eps_z, rows, cols),
                           rows, cols, x, x_stride, targets, ignore_index, grad_scale, loss, dx,
                           dx_stride);
}

fsm_status PUBLIC(stablemax_cross_entropy)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                           const int64_t *targets, int64_t ignore_index,
                                           double grad_scale, float *loss, S *dx,
                                           size_t dx_stride) {
  const fsm_loss_params p = {(fsm_spherical_loss)0, 0.0, 0.0, 0.0};
  return DRIVER(run_hloss)(FSM_INT_LOSS_STABLEMAX, p, FSM_OK, rows, cols, x, x_stride, targets,
                           ignore_index, grad_scale, loss, dx, dx_stride);
}

fsm_status PUBLIC(cross_entropy_soft)(size_t rows, size_t cols, const S *logits,
                                      size_t logits_stride, const S *targets,
                                      size_t targets_stride, double label_smoothing,
                                      double grad_scale, float *loss, S *dlogits,
                                      size_t dlogits_stride) {
  DRIVER(hrow_call) call = {NULL, NULL, FSM_INT_LOSS_CE,
                            {(fsm_spherical_loss)0, label_smoothing, 0.0, 0.0},
                            0, NULL, 0, grad_scale, loss, 0, 0, NULL};
  return DRIVER(run_hrows)(&call, DRIVER(hsoft_plan_row),
                           fsm_check_label_smoothing(label_smoothing), rows, cols, logits,
                           logits_stride, 1, targets, targets_stride, dlogits, dlogits_stride, 0);
}

/* The normalised maps: y in the storage type (eps: the spherical ones). */
static fsm_status DRIVER(run_hmap)(int kind, int log_out, double eps, size_t rows, size_t cols,
                                   const S *x, size_t xs, S *y, size_t ys) {
  DRIVER(hrow_call) call = {NULL, NULL, FSM_INT_LOSS_CE, {(fsm_spherical_loss)0, eps, 0.0, 0.0},
                            0, NULL, 0, 0.0, NULL, kind, log_out, NULL};
  return DRIVER(run_hrows)(&call, DRIVER(hmap_plan_row), fsm_check_eps(eps), rows, cols, x, xs, 0,
                           NULL, 0, y, ys, 1);
}

fsm_status PUBLIC(spherical_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                                     size_t y_stride, double eps) {
  return DRIVER(run_hmap)(MAP_SPHERICAL, 0, eps, rows, cols, x, x_stride, y, y_stride);
}

fsm_status PUBLIC(log_spherical_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                         S *y, size_t y_stride, double eps) {
  return DRIVER(run_hmap)(MAP_SPHERICAL, 1, eps, rows, cols, x, x_stride, y, y_stride);
}

#define FSM_HALF_MAP_FUNCTION(name, kind, log_out)                                          \
  fsm_status PUBLIC(name)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,      \
                          size_t y_stride) {                                                \
    return DRIVER(run_hmap)(kind, log_out, 0.0, rows, cols, x, x_stride, y, y_stride);      \
  }
FSM_HALF_MAP_FUNCTION(taylor_softmax, MAP_TAYLOR, 0)
FSM_HALF_MAP_FUNCTION(log_taylor_softmax, MAP_TAYLOR, 1)
FSM_HALF_MAP_FUNCTION(stablemax, MAP_STABLE, 0)
FSM_HALF_MAP_FUNCTION(log_stablemax, MAP_STABLE, 1)
#undef FSM_HALF_MAP_FUNCTION

fsm_status PUBLIC(spherical_stats)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                   const int64_t *targets, double *stats) {
  DRIVER(hrow_call) call = {NULL, NULL, FSM_INT_LOSS_CE, {(fsm_spherical_loss)0, 0.0, 0.0, 0.0},
                            0, targets, 0, 0.0, NULL, 0, 0, stats};
  /* run_hrows checks x before this verdict on the targets and stats */
  fsm_status status = targets != NULL ? fsm_check_targets(rows, cols, targets, 0, 0) : FSM_OK;
  if (status == FSM_OK && rows > 0 && stats == NULL) status = FSM_NULL_POINTER;
  return DRIVER(run_hrows)(&call, DRIVER(hstats_plan_row), status, rows, cols, x, x_stride, 0,
                           NULL, 0, NULL, 0, 0);
}

/* logsumexp: ptr = {x}; out (the float32 results) in call->loss. */
static fsm_status DRIVER(hlse_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hrow_call) *call = ctx;
  const S *x = ptr[0];
  if (n == 0) {
    call->loss[r] = -INFINITY;
    return FSM_OK;
  }
  float stack[HALF_ROW_STACK];
  float *xs = DRIVER(widen_row)(call->kh, n, 1, &x, stack);
  if (xs == NULL) return FSM_OUT_OF_MEMORY;
  call->loss[r] = (float)fsm_f32_row_logsumexp(call->kf, n, xs, call->map_kind);
  DRIVER(row_scratch_free)(xs, stack);
  return FSM_OK;
}

fsm_status PUBLIC(logsumexp)(size_t rows, size_t cols, const S *x, size_t x_stride, float *out) {
  /* map_kind carries the streaming flag of the float32 rule */
  DRIVER(hrow_call) call = {NULL, NULL, FSM_INT_LOSS_CE, {(fsm_spherical_loss)0, 0.0, 0.0, 0.0},
                            0, NULL, 0, 0.0, out, DRIVER(fills_llc)(rows, cols), 0, NULL};
  const fsm_status params = rows > 0 && out == NULL ? FSM_NULL_POINTER : FSM_OK;
  return DRIVER(run_hrows)(&call, DRIVER(hlse_plan_row), params, rows, cols, x, x_stride, 0, NULL,
                           0, NULL, 0, 0);
}

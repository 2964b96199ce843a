/*
 * The training functions on half-precision storage (float16, bfloat16):
 * compiled for those dtypes only (dtype.h, FSM_DTYPE_HALF). The VJPs read
 * their two operands a block at a time, widen the block into a float
 * scratch that stays in L1 (vwiden, exact), run the float32 table's
 * kernels on it (rdot, rsum, vsubmul, vsubscaleexp) and narrow the result
 * (vscale with s = 1): the float32 computation on the widened inputs,
 * rounded once to S. Cross-entropy widens the whole row (its passes
 * revisit it) and runs the float32 driver's row on it. Why a scratch rather than half versions of the
 * float32 kernels: docs/architecture.md ("Half-precision training").
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

/* ---- cross-entropy, integer targets: the row widened into a float32
   scratch (on the stack up to HALF_CE_STACK elements, else malloc'd per
   row: FSM_OUT_OF_MEMORY when that fails), the float32 row (its passes,
   reload or two-pass, on the widened values; the gradient in place in the
   scratch), the gradient narrowed once. The loss is float32. */

#define HALF_CE_STACK 4096

typedef struct DRIVER(hce_call) {
  const KERNELS *kh;
  const fsm_f32_kernels *kf;
  const int64_t *targets;
  int64_t ignore_index;
  double label_smoothing, g;
  float *loss;
} DRIVER(hce_call);

static fsm_status DRIVER(hce_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(hce_call) *call = ctx;
  const int64_t t = call->targets[r];
  const S *x = ptr[0];
  S *dx = ptr[1];
  double loss = 0.0;
  if (t == call->ignore_index) {
    for (size_t i = 0; dx != NULL && i < n; i++) dx[i] = 0;
  } else if (t < 0 || (uint64_t)t >= (uint64_t)n) {
    return FSM_TARGET_OUT_OF_RANGE; /* only with overlapping outputs (see training.c) */
  } else {
    float stack_x[HALF_CE_STACK];
    float *heap_x = NULL, *xs = stack_x;
    if (n > HALF_CE_STACK) {
      xs = heap_x = malloc(n * sizeof *xs);
      if (xs == NULL) return FSM_OUT_OF_MEMORY;
    }
    call->kh->vwiden(n, x, xs);
    loss = fsm_f32_cross_entropy_row(call->kf, n, xs, (size_t)t, call->label_smoothing, call->g,
                                     dx != NULL ? xs : NULL);
    if (dx != NULL) call->kh->vscale(n, xs, 1.0f, dx);
    free(heap_x);
  }
  if (call->loss != NULL) call->loss[r] = (float)loss;
  return FSM_OK;
}

fsm_status PUBLIC(cross_entropy)(size_t rows, size_t cols, const S *logits, size_t logits_stride,
                                 const int64_t *targets, int64_t ignore_index,
                                 double label_smoothing, double grad_scale, float *loss,
                                 S *dlogits, size_t dlogits_stride) {
  fsm_status status;
  const KERNELS *kh = ACTIVE_KERNELS(&status);
  if (kh == NULL) return status;
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  status = fsm_check_matrix(rows, cols, logits, logits_stride, sizeof(S));
  if (status == FSM_OK && dlogits != NULL)
    status = fsm_check_matrix(rows, cols, dlogits, dlogits_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_targets(rows, cols, targets, ignore_index, 1);
  if (status == FSM_OK && !(label_smoothing >= 0.0 && label_smoothing <= 1.0))
    status = FSM_INVALID_ARGUMENT;
  if (status != FSM_OK) return status;
  const DRIVER(hce_call) call = {kh, kf, targets, ignore_index, label_smoothing, grad_scale, loss};
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)logits, dlogits},
                         {logits_stride, dlogits_stride}, DRIVER(hce_plan_row), &call};
  return fsm_run_plan(&plan);
}

/*
 * Softmax and log-softmax with fused options (fsm_softmax_options:
 * scale, soft cap, masks, causal, ALiBi, sinks, the saved log-sum-exp) and
 * their VJPs. Compiled once per dtype (dtype.h). The mathematics:
 * docs/fused.md.
 *
 * One row: rfusemax writes z (the transformed logits) into y and returns
 * its max in the same pass; the softmax passes then read z from y, which
 * the first pass has just brought into cache. Columns a causal mask
 * removes are never computed: the row is shortened to its causal length
 * and the rest written as 0 (softmax) or -inf (log-softmax).
 *
 * On half storage (float16, bfloat16: FSM_DTYPE_HALF) each row's x (and
 * an additive mask's row; the VJPs' operands) is widened to float32 in a
 * scratch (typed/half_training.c's widen_row), the float32 build's row
 * (fsm_f32_fused_row_core, fsm_f32_vjp_ex_core) runs on it in place, and
 * the result is rounded to S once; the slopes, sinks and the saved lse
 * are of the storage type too.
 */
#include "dtype.h"

/* Row r's offset into a per-row operand with the given strides. */
static ptrdiff_t DRIVER(fused_offset)(const fsm_softmax_options *o, const size_t *idx,
                                      const ptrdiff_t *strides) {
  ptrdiff_t off = 0;
  for (size_t d = 0; d < o->ndim; d++) off += (ptrdiff_t)idx[d] * strides[d];
  return off;
}

typedef struct DRIVER(fused_call) {
  const KERNELS *k;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf; /* the rows run widened, on float32's kernels */
#endif
  fsm_algorithm algorithm;
  int log_out;
  const fsm_softmax_options *o;
} DRIVER(fused_call);

#if !defined(FSM_DTYPE_HALF)
/* sum += exp(s - max) as an extended sum (two-pass): s = k ln2 + f */
static void DRIVER(ext_add_exp)(fsm_extsum *sum, double s) {
  if (s == -INFINITY) return;
  const double k = floor(s * 1.4426950408889634);
  fsm_extsum_add(sum, exp(s - k * 0.6931471805599453), k);
}

static void DRIVER(fill)(S *y, size_t n, C v) {
  for (size_t j = 0; j < n; j++) y[j] = v;
}

/* One row on resolved operands: p (mask and slope of this row), the sink
 * logit, m of the n columns kept by the causal mask. y is written whole
 * (y == x allowed); returns the row's log-sum-exp. */
static double DRIVER(fused_core)(const KERNELS *k, fsm_algorithm algorithm, int log_out,
                                 int masked_zero, size_t n, size_t m, const S *x,
                                 const fsm_fuse_params *p, double sink, S *y) {
  const C zmax = k->rfusemax(m, x, p, y);
  const C outside = log_out ? -(C)INFINITY : (C)0;
  DRIVER(fill)(y + m, n - m, outside);
  /* the max over z and the sink (NaN propagates from either) */
  double max = (double)zmax;
  if (isnan(sink) || sink > max) max = sink; /* a NaN zmax stays */
  if (max == -INFINITY) {
    /* every z is -inf and there is no sink (or it is -inf too) */
    DRIVER(fill)(y, n, masked_zero ? outside : (C)NAN);
    return -INFINITY;
  }
  const C c0 = (C)max;
  const double sink_term = exp(sink - (double)c0);
  if (log_out) {
    const double sum = k->raddexp(m, y, c0) + sink_term;
    const C log_sum = (C)log(sum);
    k->vsubc(m, y, c0, log_sum, y);
    return (double)c0 + log(sum);
  }
  fsm_algorithm a = algorithm;
  if (a == FSM_ALGORITHM_TWO_PASS) {
    fsm_extsum sum = k->raddextexp(m, y);
    DRIVER(ext_add_exp)(&sum, sink);
    if (DRIVER(in_two_pass_domain)(sum)) {
      k->vscaleextexp(m, y, (C)(1.0 / sum.mantissa), (C)(-sum.exponent), y);
      return sum.exponent * 0.6931471805599453 + log(sum.mantissa);
    }
    a = FSM_ALGORITHM_THREE_PASS_RELOAD;
  }
  double sum;
  if (a == FSM_ALGORITHM_THREE_PASS_RECOMPUTE) {
    sum = k->raddexp(m, y, c0) + sink_term;
    k->vscaleexp(m, y, c0, (C)(1.0 / sum), y);
  } else {
    sum = k->raddstoreexp(m, y, c0, y) + sink_term;
    k->vscale(m, y, (C)(1.0 / sum), y);
  }
  return (double)c0 + log(sum);
}
#endif

#if defined(FSM_DTYPE_F32)
double fsm_f32_fused_row_core(const fsm_f32_kernels *k, fsm_algorithm algorithm, int log_out,
                              int masked_zero, size_t n, size_t m, const float *x,
                              const fsm_fuse_params *p, double sink, float *y) {
  return DRIVER(fused_core)(k, algorithm, log_out, masked_zero, n, m, x, p, sink, y);
}
#endif

static fsm_status DRIVER(fused_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(fused_call) *c = ctx;
  const fsm_softmax_options *o = c->o;
  const S *x = ptr[0];
  S *y = ptr[1];
  /* row r's index along each row dimension (C order) */
  size_t idx[FSM_OPTIONS_MAX_DIMS] = {0};
  size_t q = r;
  if (o->ndim > 0) {
    size_t rest = r;
    for (size_t d = o->ndim; d-- > 0;) {
      idx[d] = rest % o->shape[d];
      rest /= o->shape[d];
    }
    q = idx[o->ndim - 1];
  }
  fsm_fuse_params p = {o->scale, o->softcap, NULL, NULL, 0.0, 0.0};
  if (o->mask_kind == FSM_MASK_ADDITIVE)
    p.mask = (const S *)o->mask + DRIVER(fused_offset)(o, idx, o->mask_strides);
  else if (o->mask_kind == FSM_MASK_KEEP)
    p.keep = (const unsigned char *)o->mask + DRIVER(fused_offset)(o, idx, o->mask_strides);
  const double pos = (double)q + (double)o->causal_offset; /* the query's position */
  if (o->alibi_slopes != NULL) {
    p.slope = (double)S_TO_C(
        ((const S *)o->alibi_slopes)[DRIVER(fused_offset)(o, idx, o->alibi_strides)]);
    p.bias = -p.slope * pos;
  }
  size_t m = n; /* the columns the causal mask keeps */
  if (o->causal) m = pos < 0.0 ? 0 : pos + 1.0 < (double)n ? (size_t)pos + 1 : n;
  const double sink = o->sink != NULL
      ? (double)S_TO_C(((const S *)o->sink)[DRIVER(fused_offset)(o, idx, o->sink_strides)])
      : -INFINITY;
  const int masked_zero = o->masked_rows == FSM_MASKED_ROWS_ZERO;
#if defined(FSM_DTYPE_HALF)
  /* x (and an additive mask's row) widened to float32, the float32 row
   * run in place there, the result rounded to S once */
  const S *src[2] = {x, p.mask};
  float stack[2 * HALF_ROW_STACK];
  float *w = DRIVER(widen_row)(c->k, n, p.mask != NULL ? 2 : 1, src, stack);
  if (w == NULL) return FSM_OUT_OF_MEMORY;
  if (p.mask != NULL) p.mask = w + n;
  const double lse =
      fsm_f32_fused_row_core(c->kf, c->algorithm, c->log_out, masked_zero, n, m, w, &p, sink, w);
  c->k->vscale(n, w, 1.0f, y);
  DRIVER(row_scratch_free)(w, stack);
#else
  const double lse =
      DRIVER(fused_core)(c->k, c->algorithm, c->log_out, masked_zero, n, m, x, &p, sink, y);
#endif
  if (o->lse != NULL) ((S *)o->lse)[r] = C_TO_S((C)lse);
  return FSM_OK;
}

/* The options' own checks (FSM_INVALID_ARGUMENT). */
static fsm_status DRIVER(check_options)(const fsm_softmax_options *o, size_t rows) {
  if (!(o->scale > 0.0 && o->scale < INFINITY)) return FSM_INVALID_ARGUMENT;
  if (!(o->softcap == 0.0 || (o->softcap > 0.0 && o->softcap < INFINITY)))
    return FSM_INVALID_ARGUMENT;
  if (o->ndim > FSM_OPTIONS_MAX_DIMS) return FSM_INVALID_ARGUMENT;
  if (o->ndim > 0) {
    size_t prod = 1;
    for (size_t d = 0; d < o->ndim; d++) {
      if (o->shape[d] == 0) return rows == 0 ? FSM_OK : FSM_INVALID_ARGUMENT;
      if (prod > SIZE_MAX / o->shape[d]) return FSM_INVALID_ARGUMENT;
      prod *= o->shape[d];
    }
    if (prod != rows) return FSM_INVALID_ARGUMENT;
  }
  if (o->mask_kind != FSM_MASK_NONE && o->mask_kind != FSM_MASK_ADDITIVE &&
      o->mask_kind != FSM_MASK_KEEP)
    return FSM_INVALID_ARGUMENT;
  if (o->mask_kind != FSM_MASK_NONE && o->mask == NULL && rows > 0) return FSM_NULL_POINTER;
  if (o->masked_rows != FSM_MASKED_ROWS_NAN && o->masked_rows != FSM_MASKED_ROWS_ZERO)
    return FSM_INVALID_ARGUMENT;
  return FSM_OK;
}

static fsm_status DRIVER(fused_run)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                                    size_t y_stride, fsm_algorithm algorithm,
                                    const fsm_softmax_options *o, int log_out) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, y, y_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_algorithm(algorithm);
  if (status == FSM_OK) status = DRIVER(check_options)(o, rows);
  if (status != FSM_OK) return status;
  if (rows == 0) return FSM_OK;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  const DRIVER(fused_call) call = {k, kf, algorithm, log_out, o};
#else
  const DRIVER(fused_call) call = {k, algorithm, log_out, o};
#endif
  /* rows of zero columns are visited too: their lse is written */
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)x, y}, {x_stride, y_stride},
                         DRIVER(fused_row), &call};
  return fsm_run_plan(&plan);
}

fsm_status PUBLIC(softmax_ex)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                              size_t y_stride, fsm_algorithm algorithm,
                              const fsm_softmax_options *options) {
  if (options == NULL) return PUBLIC(softmax)(rows, cols, x, x_stride, y, y_stride, algorithm);
  return DRIVER(fused_run)(rows, cols, x, x_stride, y, y_stride, algorithm, options, 0);
}

fsm_status PUBLIC(log_softmax_ex)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                                  size_t y_stride, fsm_algorithm algorithm,
                                  const fsm_softmax_options *options) {
  if (options == NULL) return PUBLIC(log_softmax)(rows, cols, x, x_stride, y, y_stride, algorithm);
  return DRIVER(fused_run)(rows, cols, x, x_stride, y, y_stride, algorithm, options, 1);
}

/* ---- the VJPs: the plain VJP's passes, then the transform's chain rule,
 * per row (in cache) */

typedef struct DRIVER(vjp_ex_call) {
  const KERNELS *k;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf; /* the rows run widened, on float32's kernels */
#endif
  const fsm_softmax_options *o;
  const S *x; /* the forward input (soft cap only) */
  size_t x_stride;
  int log_out, masked;
} DRIVER(vjp_ex_call);

#if !defined(FSM_DTYPE_HALF)
/* One row of the VJPs (dx == dout allowed; x read with a soft cap only). */
static void DRIVER(vjp_core)(const KERNELS *k, double scale, double softcap, int log_out,
                             int masked, size_t n, const S *out, const S *dout, const S *x,
                             S *dx) {
  if (!log_out) {
    /* dz = y (dy - <dy, y>): masked entries have y = 0, so dz = 0 there */
    k->vsubmul(n, out, dout, (C)k->rdot(n, out, dout), dx);
  } else if (!masked) {
    k->vsubscaleexp(n, out, dout, (C)k->rsum(n, dout), dx);
  } else {
    /* masked entries (z = -inf) are constants: their dz leaves the sum,
     * and their dx is 0 */
    double sum = 0.0;
    for (size_t j = 0; j < n; j++)
      if (out[j] != -(C)INFINITY) sum += (double)dout[j];
    k->vsubscaleexp(n, out, dout, (C)sum, dx);
    for (size_t j = 0; j < n; j++)
      if (out[j] == -(C)INFINITY) dx[j] = 0;
  }
  if (softcap > 0.0)
    k->vcapgrad(n, x, dx, (C)scale, (C)softcap, dx);
  else if (scale != 1.0)
    k->vscale(n, dx, (C)scale, dx);
}
#endif

#if defined(FSM_DTYPE_F32)
void fsm_f32_vjp_ex_core(const fsm_f32_kernels *k, double scale, double softcap, int log_out,
                         int masked, size_t n, const float *out, const float *dout,
                         const float *x, float *dx) {
  DRIVER(vjp_core)(k, scale, softcap, log_out, masked, n, out, dout, x, dx);
}
#endif

static fsm_status DRIVER(vjp_ex_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(vjp_ex_call) *c = ctx;
  const double scale = c->o->scale, softcap = c->o->softcap;
  const S *x = softcap > 0.0 ? c->x + r * c->x_stride : NULL;
#if defined(FSM_DTYPE_HALF)
  /* out, dout (and x) widened to float32; dx computed over dout's copy
   * (out's stays intact for the masked loop), rounded to S once */
  const S *src[3] = {ptr[0], ptr[1], x};
  float stack[3 * HALF_ROW_STACK];
  float *w = DRIVER(widen_row)(c->k, n, x != NULL ? 3 : 2, src, stack);
  if (w == NULL) return FSM_OUT_OF_MEMORY;
  fsm_f32_vjp_ex_core(c->kf, scale, softcap, c->log_out, c->masked, n, w, w + n,
                      x != NULL ? w + 2 * n : NULL, w + n);
  c->k->vscale(n, w + n, 1.0f, ptr[2]);
  DRIVER(row_scratch_free)(w, stack);
#else
  DRIVER(vjp_core)(c->k, scale, softcap, c->log_out, c->masked, n, ptr[0], ptr[1], x, ptr[2]);
#endif
  return FSM_OK;
}

static fsm_status DRIVER(backward_ex)(size_t rows, size_t cols, const S *out, size_t out_stride,
                                      const S *dout, size_t dout_stride, const S *x,
                                      size_t x_stride, S *dx, size_t dx_stride,
                                      const fsm_softmax_options *o, int log_out) {
  if (o == NULL)
    return log_out ? PUBLIC(log_softmax_backward)(rows, cols, out, out_stride, dout, dout_stride,
                                                  dx, dx_stride)
                   : PUBLIC(softmax_backward)(rows, cols, out, out_stride, dout, dout_stride, dx,
                                              dx_stride);
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, out, out_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, dout, dout_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, dx, dx_stride, sizeof(S));
  if (status == FSM_OK && o->softcap > 0.0)
    status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status == FSM_OK) status = DRIVER(check_options)(o, rows);
  if (status != FSM_OK) return status;
  if (rows == 0 || cols == 0) return FSM_OK;
  const int masked = o->causal || o->mask_kind != FSM_MASK_NONE;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  const DRIVER(vjp_ex_call) call = {k, kf, o, x, x_stride, log_out, masked};
#else
  const DRIVER(vjp_ex_call) call = {k, o, x, x_stride, log_out, masked};
#endif
  const fsm_plan plan = {rows, cols, sizeof(S), 3, {(void *)out, (void *)dout, dx},
                         {out_stride, dout_stride, dx_stride}, DRIVER(vjp_ex_row), &call};
  return fsm_run_plan(&plan);
}

fsm_status PUBLIC(softmax_backward_ex)(size_t rows, size_t cols, const S *y, size_t y_stride,
                                       const S *dy, size_t dy_stride, const S *x, size_t x_stride,
                                       S *dx, size_t dx_stride,
                                       const fsm_softmax_options *options) {
  return DRIVER(backward_ex)(rows, cols, y, y_stride, dy, dy_stride, x, x_stride, dx, dx_stride,
                             options, 0);
}

fsm_status PUBLIC(log_softmax_backward_ex)(size_t rows, size_t cols, const S *z, size_t z_stride,
                                           const S *dz, size_t dz_stride, const S *x,
                                           size_t x_stride, S *dx, size_t dx_stride,
                                           const fsm_softmax_options *options) {
  return DRIVER(backward_ex)(rows, cols, z, z_stride, dz, dz_stride, x, x_stride, dx, dx_stride,
                             options, 1);
}

#if defined(FSM_DTYPE_F32)
void fsm_softmax_options_init(fsm_softmax_options *options) {
  if (options == NULL) return;
  memset(options, 0, sizeof *options);
  options->scale = 1.0;
  options->mask_kind = FSM_MASK_NONE;
  options->masked_rows = FSM_MASKED_ROWS_NAN;
}
#endif

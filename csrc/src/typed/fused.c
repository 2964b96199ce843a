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
  fsm_algorithm algorithm;
  int log_out;
  const fsm_softmax_options *o;
} DRIVER(fused_call);

/* sum += exp(s - max) as an extended sum (two-pass): s = k ln2 + f */
static void DRIVER(ext_add_exp)(fsm_extsum *sum, double s) {
  if (s == -INFINITY) return;
  const double k = floor(s * 1.4426950408889634);
  fsm_extsum_add(sum, exp(s - k * 0.6931471805599453), k);
}

static void DRIVER(fill)(S *y, size_t n, C v) {
  for (size_t j = 0; j < n; j++) y[j] = v;
}

static fsm_status DRIVER(fused_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(fused_call) *c = ctx;
  const fsm_softmax_options *o = c->o;
  const KERNELS *k = c->k;
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
    p.slope = (double)((const S *)o->alibi_slopes)[DRIVER(fused_offset)(o, idx, o->alibi_strides)];
    p.bias = -p.slope * pos;
  }
  size_t m = n; /* the columns the causal mask keeps */
  if (o->causal) m = pos < 0.0 ? 0 : pos + 1.0 < (double)n ? (size_t)pos + 1 : n;
  const double sink = o->sink != NULL
      ? (double)((const S *)o->sink)[DRIVER(fused_offset)(o, idx, o->sink_strides)]
      : -INFINITY;
  S *lse = o->lse != NULL ? (S *)o->lse + r : NULL;

  const C zmax = k->rfusemax(m, x, &p, y);
  const C outside = c->log_out ? -(C)INFINITY : (C)0;
  DRIVER(fill)(y + m, n - m, outside);
  /* the max over z and the sink (NaN propagates from either) */
  double max = (double)zmax;
  if (isnan(sink) || sink > max) max = sink; /* a NaN zmax stays */
  if (max == -INFINITY) {
    /* every z is -inf and there is no sink (or it is -inf too) */
    DRIVER(fill)(y, n, o->masked_rows == FSM_MASKED_ROWS_ZERO ? outside : (C)NAN);
    if (lse != NULL) *lse = -(S)INFINITY;
    return FSM_OK;
  }
  const C c0 = (C)max;
  const double sink_term = exp(sink - (double)c0);
  if (c->log_out) {
    const double sum = k->raddexp(m, y, c0) + sink_term;
    const C log_sum = (C)log(sum);
    k->vsubc(m, y, c0, log_sum, y);
    if (lse != NULL) *lse = (S)((double)c0 + log(sum));
    return FSM_OK;
  }
  fsm_algorithm a = c->algorithm;
  if (a == FSM_ALGORITHM_TWO_PASS) {
    fsm_extsum sum = k->raddextexp(m, y);
    DRIVER(ext_add_exp)(&sum, sink);
    if (DRIVER(in_two_pass_domain)(sum)) {
      k->vscaleextexp(m, y, (C)(1.0 / sum.mantissa), (C)(-sum.exponent), y);
      if (lse != NULL) *lse = (S)(sum.exponent * 0.6931471805599453 + log(sum.mantissa));
      return FSM_OK;
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
  if (lse != NULL) *lse = (S)((double)c0 + log(sum));
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
  const DRIVER(fused_call) call = {k, algorithm, log_out, o};
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
  const fsm_softmax_options *o;
  const S *x; /* the forward input (soft cap only) */
  size_t x_stride;
  int log_out, masked;
} DRIVER(vjp_ex_call);

static fsm_status DRIVER(vjp_ex_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(vjp_ex_call) *c = ctx;
  const KERNELS *k = c->k;
  const S *out = ptr[0], *dout = ptr[1];
  S *dx = ptr[2];
  if (!c->log_out) {
    /* dz = y (dy - <dy, y>): masked entries have y = 0, so dz = 0 there */
    k->vsubmul(n, out, dout, (C)k->rdot(n, out, dout), dx);
  } else if (!c->masked) {
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
  if (c->o->softcap > 0.0)
    k->vcapgrad(n, c->x + r * c->x_stride, dx, (C)c->o->scale, (C)c->o->softcap, dx);
  else if (c->o->scale != 1.0)
    k->vscale(n, dx, (C)c->o->scale, dx);
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
  const DRIVER(vjp_ex_call) call = {k, o, x, x_stride, log_out,
                                    o->causal || o->mask_kind != FSM_MASK_NONE};
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

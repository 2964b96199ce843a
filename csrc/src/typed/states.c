/*
 * Mergeable softmax states (docs/math.md, "Exact states"): one row's
 * (max, sum of exp) as a value whose merge is exact, so that any tree of
 * merges over the same chunks gives the same bits. The state of a row,
 * its merge, and softmax / log-softmax / logsumexp from a merged state.
 * Compiled once per dtype (dtype.h); the dtype-independent functions (the
 * merge, logsumexp) are compiled with the float32 unit only. On half
 * storage (float16, bfloat16) the half tables' rmax, raddexp, vscaleexp and
 * vsubc widen in their loads and narrow in their stores: the state of a
 * half row is the state of its float32 widening, and its outputs are
 * rounded once.
 *
 * A state is (max, top, sum[4]): sum exp(x) = sum_i sum[i] 2^(32 (top - i)).
 * Every leaf (a row, or a chunk of a long row) contributes one term
 * t 2^k, t a double and k an integer, cut into 32-bit pieces at absolute
 * bit positions (bins of 32 bits: bin j holds bits 32j .. 32j + 31); each
 * sum[i] adds the pieces of bin top - i of every leaf (64-bit integers:
 * exact for up to 2^32 leaves), and a merge keeps the four bins below the
 * highest bin of any leaf, dropping whole bins. Integer additions and
 * whole-bin drops do not depend on the order, so neither does the result.
 */
#include <math.h>
#include <string.h>

#include "dtype.h"
#include "../threads.h"

#define STATE_BINS 4
#define STATE_BIN_BITS 32
/* |max| >= 2^60: distinct float32 or float64 values there differ by 256
 * or more, so exp(x - max) < e^-256 for every entry below the max: the sum
 * is the count of entries equal to the max (sum[0]; top unused). */
#define STATE_HUGE 0x1p60
#define STATE_TOP_NONE INT64_MIN
#define STATE_LOG2E 1.4426950408889634

/* ---- dtype-independent helpers (static: one copy per unit) */

static fsm_softmax_state fsm_state_special(double max) {
  fsm_softmax_state s;
  memset(&s, 0, sizeof s);
  s.max = max;
  s.top = STATE_TOP_NONE;
  return s;
}

/* Canonical bits for the max: one NaN, +0 for a zero. */
static double fsm_state_canonical_max(double m) {
  if (m != m) return (double)NAN;
  return m == 0.0 ? 0.0 : m;
}

static int fsm_state_is_binned(const fsm_softmax_state *s) {
  return s->max > -STATE_HUGE && s->max < STATE_HUGE && s->top != STATE_TOP_NONE;
}

static int64_t fsm_floor_div32(int64_t v) {
  return v >= 0 ? v / STATE_BIN_BITS : -((-v + STATE_BIN_BITS - 1) / STATE_BIN_BITS);
}

/* Adds t 2^k (t >= 1 finite, k integral) to an empty binned state. */
static void fsm_state_set_term(fsm_softmax_state *s, double t, int64_t k) {
  int e;
  const double f = frexp(t, &e);                      /* t = f 2^e, f in [0.5, 1) */
  const uint64_t mant = (uint64_t)ldexp(f, 53);       /* exact, < 2^53 */
  const int64_t lsb = k + e - 53;                     /* bit position of mant's bit 0 */
  s->top = fsm_floor_div32(lsb + 52);
  for (int i = 0; i < STATE_BINS; i++) {
    const int64_t shift = lsb - STATE_BIN_BITS * (s->top - i);
    uint64_t piece = 0;
    if (shift >= 0 && shift < STATE_BIN_BITS) piece = mant << shift;
    else if (shift < 0 && shift > -64) piece = mant >> -shift;
    s->sum[i] = piece & 0xffffffffu;
  }
}

/* The merge of two states (see the top of this file). */
static fsm_softmax_state fsm_state_merge(const fsm_softmax_state *a, const fsm_softmax_state *b) {
  if (a->max != a->max || b->max != b->max) return fsm_state_special((double)NAN);
  const double m = a->max > b->max ? a->max : b->max;
  if (m == (double)INFINITY || m == -(double)INFINITY) return fsm_state_special(m);
  fsm_softmax_state s = fsm_state_special(fsm_state_canonical_max(m));
  if (m >= STATE_HUGE || m <= -STATE_HUGE) {
    s.top = 0;
    s.sum[0] = (a->max == m ? a->sum[0] : 0) + (b->max == m ? b->sum[0] : 0);
    return s;
  }
  const int ina = fsm_state_is_binned(a), inb = fsm_state_is_binned(b);
  if (!ina && !inb) return s;
  s.top = !ina ? b->top : !inb ? a->top : a->top > b->top ? a->top : b->top;
  const fsm_softmax_state *side[2] = {ina ? a : NULL, inb ? b : NULL};
  for (int j = 0; j < 2; j++) {
    if (side[j] == NULL) continue;
    const int64_t d = s.top - side[j]->top;           /* >= 0 */
    for (int i = 0; i < STATE_BINS; i++)
      if (d <= i) s.sum[i] += side[j]->sum[i - d];
  }
  return s;
}

/* log(sum exp(x - max)) of a finite binned or counting state; -inf if empty. */
static double fsm_state_log_sum(const fsm_softmax_state *s) {
  if (s->max >= STATE_HUGE || s->max <= -STATE_HUGE) return log((double)s->sum[0]);
  if (s->top == STATE_TOP_NONE) return -(double)INFINITY;
  double f = 0.0;
  for (int i = STATE_BINS - 1; i >= 0; i--) f = f * 0x1p-32 + (double)s->sum[i];
  /* log V = log f + 32 top ln2; minus max, Cody-Waite: E * LN2_HI exact */
  const double e = (double)(s->top * STATE_BIN_BITS);
  double d = fma(e, FSM_LN2_HI_F64, -s->max);
  d = fma(e, FSM_LN2_LO_F64, d);
  return d + log(f);
}

#if !defined(FSM_DTYPE_HALF) /* (logsumexp on half storage: typed/half_training.c) */
/* log sum exp of the entries a state describes (NaN, +inf, -inf for the
 * special states). */
static double fsm_state_lse(const fsm_softmax_state *s) {
  const double m = s->max;
  return m != m || m == (double)INFINITY || m == -(double)INFINITY ? m : m + fsm_state_log_sum(s);
}
#endif

#if defined(FSM_DTYPE_F32)

fsm_status fsm_merge_softmax_states(size_t n, const fsm_softmax_state *a,
                                    const fsm_softmax_state *b, fsm_softmax_state *out) {
  if (n == 0) return FSM_OK;
  if (a == NULL || b == NULL || out == NULL) return FSM_NULL_POINTER;
  for (size_t i = 0; i < n; i++) out[i] = fsm_state_merge(&a[i], &b[i]);
  return FSM_OK;
}

fsm_status fsm_logsumexp_from_states(size_t n, const fsm_softmax_state *states, double *out) {
  if (n == 0) return FSM_OK;
  if (states == NULL || out == NULL) return FSM_NULL_POINTER;
  for (size_t i = 0; i < n; i++) out[i] = fsm_state_lse(&states[i]);
  return FSM_OK;
}

#endif

/* ---- per dtype */

/* The state of one leaf: n contiguous elements. */
static fsm_softmax_state DRIVER(state_leaf)(const KERNELS *k, size_t n, const S *x) {
  if (n == 0) return fsm_state_special(-(double)INFINITY);
  const C m = k->rmax(n, x);
  if (m == -(C)INFINITY) {
    /* all -inf, unless a NaN hides there (the max may drop it) */
    const double s = k->raddexp(n, x, 0);
    return fsm_state_special(s != s ? (double)NAN : -(double)INFINITY);
  }
  if (m != m) return fsm_state_special((double)NAN);
  if (m == (C)INFINITY) {
    for (size_t i = 0; i < n; i++)
      if (S_TO_C(x[i]) != S_TO_C(x[i])) return fsm_state_special((double)NAN);
    return fsm_state_special((double)INFINITY);
  }
  const double s = k->raddexp(n, x, m);   /* in [1, n] */
  if (s != s) return fsm_state_special((double)NAN);
  const double md = (double)m;
  fsm_softmax_state st = fsm_state_special(fsm_state_canonical_max(md));
  if (md >= STATE_HUGE || md <= -STATE_HUGE) {
    st.top = 0;
    st.sum[0] = (uint64_t)nearbyint(s);
    return st;
  }
  /* sum exp(x) = s exp(m) = s exp(r) 2^kk, r = m - kk ln2 in [0, ln2) */
  const double kk = floor(md * STATE_LOG2E);
  double r = fma(-kk, FSM_LN2_HI_F64, md);
  r = fma(-kk, FSM_LN2_LO_F64, r);
  fsm_state_set_term(&st, s * exp(r), (int64_t)kk);
  return st;
}

typedef struct DRIVER(state_call) {
  const KERNELS *k;
  fsm_softmax_state *states;           /* one per row (softmax_state) */
  const fsm_softmax_state *in_states;  /* one per row (from_state) */
  int log_out;
  int streaming; /* from_state: the call's x and y fill the LLC (fills_llc) */
} DRIVER(state_call);

/* One long row (n >= FSM_CHUNK_MIN_COLS) cut as rows.h cuts it. */
typedef struct DRIVER(state_long) {
  const KERNELS *k;
  size_t n, chunk;
  const S *x;
  S *y;
  int log_out, nan_out, streaming;
  C c, s;                              /* from_state: the kernels' constants */
  fsm_softmax_state st[FSM_MAX_CHUNKS];
} DRIVER(state_long);

static void DRIVER(state_chunk_task)(void *ctx, size_t c) {
  DRIVER(state_long) *w = ctx;
  const size_t off = c * w->chunk, len = w->n - off < w->chunk ? w->n - off : w->chunk;
  w->st[c] = DRIVER(state_leaf)(w->k, len, w->x + off);
}

/* The state of one row: a leaf, or for a long row its chunks' leaves in
 * parallel, merged (exactly). */
static fsm_softmax_state DRIVER(row_state)(const KERNELS *k, size_t n, const S *x) {
  if (n < FSM_CHUNK_MIN_COLS) return DRIVER(state_leaf)(k, n, x);
  DRIVER(state_long) w;
  w.k = k;
  w.n = n;
  w.chunk = fsm_chunk_len(n);
  w.x = x;
  const size_t chunks = (n + w.chunk - 1) / w.chunk;
  fsm_parallel_for(chunks, DRIVER(state_chunk_task), &w);
  fsm_softmax_state acc = w.st[0];
  for (size_t c = 1; c < chunks; c++) acc = fsm_state_merge(&acc, &w.st[c]);
  return acc;
}

static fsm_status DRIVER(state_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(state_call) *call = ctx;
  call->states[r] = DRIVER(row_state)(call->k, n, ptr[0]);
  return FSM_OK;
}

/* The constants of softmax (vscaleexp: y = s exp(x - c)) or log-softmax
 * (vsubc: y = (x - c) - s) from a state; *nan_out for states whose rows
 * give NaN (a NaN, +inf, empty or all -inf). */
static void DRIVER(state_constants)(const fsm_softmax_state *st, int log_out, C *c, C *s,
                                    int *nan_out) {
  const double m = st->max;
  *nan_out = m != m || m == (double)INFINITY || m == -(double)INFINITY;
  if (*nan_out) return;
  const double ls = fsm_state_log_sum(st);
  *c = (C)m;
  *s = log_out ? (C)ls : (C)exp(-ls);
}

static void DRIVER(from_state_span)(const KERNELS *k, int log_out, int streaming, size_t n,
                                    const S *x, S *y, C c, C s, int nan_out) {
  if (nan_out) {
#if defined(FSM_DTYPE_HALF)
    for (size_t i = 0; i < n; i++) y[i] = C_TO_S((C)NAN);
#else
    k->vscale(n, x, (C)NAN, y);
#endif
  } else if (log_out) k->vsubc(n, x, c, s, y);
  else DRIVER(vscaleexp_out)(k, streaming, n, x, c, s, y);
}

static void DRIVER(from_state_chunk_task)(void *ctx, size_t c) {
  DRIVER(state_long) *w = ctx;
  const size_t off = c * w->chunk, len = w->n - off < w->chunk ? w->n - off : w->chunk;
  DRIVER(from_state_span)(w->k, w->log_out, w->streaming, len, w->x + off, w->y + off, w->c, w->s, w->nan_out);
}

static fsm_status DRIVER(from_state_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(state_call) *call = ctx;
  C c = 0, s = 0;
  int nan_out;
  DRIVER(state_constants)(&call->in_states[r], call->log_out, &c, &s, &nan_out);
  if (n < FSM_CHUNK_MIN_COLS) {
    DRIVER(from_state_span)(call->k, call->log_out, call->streaming, n, ptr[0], ptr[1], c, s, nan_out);
    return FSM_OK;
  }
  DRIVER(state_long) w;
  w.k = call->k;
  w.log_out = call->log_out;
  w.n = n;
  w.chunk = fsm_chunk_len(n);
  w.x = ptr[0];
  w.y = ptr[1];
  w.c = c;
  w.s = s;
  w.nan_out = nan_out;
  w.streaming = call->streaming;
  fsm_parallel_for((n + w.chunk - 1) / w.chunk, DRIVER(from_state_chunk_task), &w);
  return FSM_OK;
}

fsm_status PUBLIC(softmax_state)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                 fsm_softmax_state *states) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status != FSM_OK) return status;
  if (rows == 0) return FSM_OK;
  if (states == NULL) return FSM_NULL_POINTER;
  if (cols == 0) {
    for (size_t r = 0; r < rows; r++) states[r] = fsm_state_special(-(double)INFINITY);
    return FSM_OK;
  }
  const DRIVER(state_call) call = {k, states, NULL, 0, 0};
  const fsm_plan plan = {rows, cols, sizeof(S), 1, {(void *)x}, {x_stride},
                         DRIVER(state_row), &call};
  return fsm_run_plan(&plan);
}

static fsm_status DRIVER(from_state)(int log_out, size_t rows, size_t cols, const S *x,
                                     size_t x_stride, const fsm_softmax_state *states, S *y,
                                     size_t y_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, y, y_stride, sizeof(S));
  if (status != FSM_OK) return status;
  if (rows == 0 || cols == 0) return FSM_OK;
  if (states == NULL) return FSM_NULL_POINTER;
  const DRIVER(state_call) call = {k, NULL, states, log_out, DRIVER(fills_llc)(rows, cols)};
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)x, y}, {x_stride, y_stride},
                         DRIVER(from_state_row), &call};
  return fsm_run_plan(&plan);
}

fsm_status PUBLIC(softmax_from_state)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                      const fsm_softmax_state *states, S *y, size_t y_stride) {
  return DRIVER(from_state)(0, rows, cols, x, x_stride, states, y, y_stride);
}

fsm_status PUBLIC(log_softmax_from_state)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                          const fsm_softmax_state *states, S *y,
                                          size_t y_stride) {
  return DRIVER(from_state)(1, rows, cols, x, x_stride, states, y, y_stride);
}

#if !defined(FSM_DTYPE_HALF) /* (logsumexp on half storage: typed/half_training.c) */
/* ---- logsumexp of rows (issue 16): the row's state, or for rows in the
 * table's two-pass range one raddextexp pass, log sum exp = N ln2 + log P */

typedef struct DRIVER(lse_call) {
  const KERNELS *k;
  int streaming;
  S *out;
} DRIVER(lse_call);

static double DRIVER(lse_value)(const KERNELS *k, size_t n, const S *x, int streaming) {
  if (n > 0 && n < FSM_CHUNK_MIN_COLS &&
      DRIVER(auto_algorithm)(FSM_ALGORITHM_AUTO, k->log_softmax_auto, n, streaming) ==
          FSM_ALGORITHM_TWO_PASS) {
    const fsm_extsum sum = k->raddextexp(n, x);
    if (DRIVER(in_two_pass_domain)(sum)) {
      /* N ln2 in two parts (N LN2_HI exact), then log P in [0, log n] */
      const double lo = fma(sum.exponent, FSM_LN2_LO_F64, log(sum.mantissa));
      return fma(sum.exponent, FSM_LN2_HI_F64, lo);
    }
  }
  const fsm_softmax_state st = DRIVER(row_state)(k, n, x);
  return fsm_state_lse(&st);
}

#if defined(FSM_DTYPE_F32)
/* For the half-precision logsumexp (typed/half_training.c), on a row it
 * widened to float32. */
double fsm_f32_row_logsumexp(const fsm_f32_kernels *k, size_t n, const float *x, int streaming) {
  return DRIVER(lse_value)(k, n, x, streaming);
}
#endif

static fsm_status DRIVER(lse_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(lse_call) *call = ctx;
  call->out[r] = (S)DRIVER(lse_value)(call->k, n, ptr[0], call->streaming);
  return FSM_OK;
}

fsm_status PUBLIC(logsumexp)(size_t rows, size_t cols, const S *x, size_t x_stride, S *out) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status != FSM_OK) return status;
  if (rows == 0) return FSM_OK;
  if (out == NULL) return FSM_NULL_POINTER;
  if (cols == 0) {
    for (size_t r = 0; r < rows; r++) out[r] = -(S)INFINITY;
    return FSM_OK;
  }
  const DRIVER(lse_call) call = {k, DRIVER(fills_llc)(rows, cols), out};
  const fsm_plan plan = {rows, cols, sizeof(S), 1, {(void *)x}, {x_stride}, DRIVER(lse_row), &call};
  return fsm_run_plan(&plan);
}
#endif /* !FSM_DTYPE_HALF */

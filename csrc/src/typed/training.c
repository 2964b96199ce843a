/*
 * Training: the VJPs, cross-entropy (integer and soft targets), the
 * spherical family, StableMax, and their public entry points, composed
 * from kernel-table entries like softmax.c. Compiled once per dtype
 * (dtype.h). Scalar parts (losses, target-entry gradients) are formed in
 * double. Formulas and numerics: docs/math.md.
 */
#include <string.h>

#include "dtype.h"
#include "../threads.h"

/* ---- VJPs */

/* ---- rows that reduce, then map: the VJPs and the normalised maps

   One pass sums (up to two totals), a second writes each element from the
   totals. Rows of FSM_CHUNK_MIN_COLS or more are cut into chunks (rows.h)
   whose partial sums are computed in parallel and added in chunk order,
   then written in parallel: the same bits at any thread count. */

typedef struct DRIVER(split) DRIVER(split);
struct DRIVER(split) {
  const KERNELS *k;
  size_t n, chunk;
  const S *x, *z;   /* the inputs: (y, dy), (z, dz) or (x, unused) */
  S *y;             /* the output */
  void (*reduce)(const DRIVER(split) *w, size_t off, size_t len, double *part);
  void (*map)(const DRIVER(split) *w, size_t off, size_t len);
  int kind, log_out;   /* the maps' parameters */
  double eps;
  double total[2];     /* the merged sums, then what map needs */
  double qa, qb, qc, G;
  double part[FSM_MAX_CHUNKS][2];
};

/* (Fields set one by one: an initializer would zero the 16 KiB of
 * partial sums on every row.) */
static void DRIVER(split_init)(DRIVER(split) *w, const KERNELS *k, size_t n, const S *x, const S *z,
                               S *y,
                               void (*reduce)(const DRIVER(split) *, size_t, size_t, double *),
                               void (*map)(const DRIVER(split) *, size_t, size_t)) {
  w->reduce = reduce;
  w->map = map;
  w->k = k;
  w->n = n;
  w->x = x;
  w->z = z;
  w->y = y;
  w->kind = w->log_out = 0;
  w->eps = 0.0;
  w->qa = w->qb = w->qc = w->G = 0.0;
}

static size_t DRIVER(split_len)(const DRIVER(split) *w, size_t c) {
  const size_t off = c * w->chunk;
  return w->n - off < w->chunk ? w->n - off : w->chunk;
}

static void DRIVER(split_reduce_task)(void *ctx, size_t c) {
  DRIVER(split) *w = ctx;
  w->part[c][1] = 0.0;
  w->reduce(w, c * w->chunk, DRIVER(split_len)(w, c), w->part[c]);
}

static void DRIVER(split_map_task)(void *ctx, size_t c) {
  const DRIVER(split) *w = ctx;
  w->map(w, c * w->chunk, DRIVER(split_len)(w, c));
}

/* Reduce every chunk, add the partial sums in order into w->total, then
 * `finish` (the row's scalars from the totals), then map every chunk. */
static void DRIVER(split_row)(DRIVER(split) *w, void (*finish)(DRIVER(split) *w)) {
  w->chunk = w->n >= FSM_CHUNK_MIN_COLS ? fsm_chunk_len(w->n) : (w->n ? w->n : 1);
  const size_t chunks = (w->n + w->chunk - 1) / w->chunk;
  fsm_parallel_for(chunks, DRIVER(split_reduce_task), w);
  w->total[0] = w->total[1] = 0.0;
  for (size_t c = 0; c < chunks; c++) {
    w->total[0] += w->part[c][0];
    w->total[1] += w->part[c][1];
  }
  if (finish != NULL) finish(w);
  fsm_parallel_for(chunks, DRIVER(split_map_task), w);
}

/* softmax VJP: dx = y * (dy - <y, dy>) */
static void DRIVER(dot_reduce)(const DRIVER(split) *w, size_t off, size_t len, double *part) {
  part[0] = w->k->rdot(len, w->x + off, w->z + off);
}
static void DRIVER(vsubmul_map)(const DRIVER(split) *w, size_t off, size_t len) {
  w->k->vsubmul(len, w->x + off, w->z + off, (C)w->total[0], w->y + off);
}
static void DRIVER(softmax_backward_row)(const KERNELS *k, size_t n, const S *y, const S *dy,
                                         S *dx) {
  if (n < FSM_CHUNK_MIN_COLS) {  /* one chunk: the kernels straight away */
    k->vsubmul(n, y, dy, (C)k->rdot(n, y, dy), dx);
    return;
  }
  DRIVER(split) w;
  DRIVER(split_init)(&w, k, n, y, dy, dx, DRIVER(dot_reduce), DRIVER(vsubmul_map));
  DRIVER(split_row)(&w, NULL);
}

/* log-softmax VJP: dx = dz - exp(z) * sum(dz) */
static void DRIVER(sum_reduce)(const DRIVER(split) *w, size_t off, size_t len, double *part) {
  part[0] = w->k->rsum(len, w->z + off);
}
static void DRIVER(vsubscaleexp_map)(const DRIVER(split) *w, size_t off, size_t len) {
  w->k->vsubscaleexp(len, w->x + off, w->z + off, (C)w->total[0], w->y + off);
}
static void DRIVER(log_softmax_backward_row)(const KERNELS *k, size_t n, const S *z, const S *dz,
                                             S *dx) {
  if (n < FSM_CHUNK_MIN_COLS) {
    k->vsubscaleexp(n, z, dz, (C)k->rsum(n, dz), dx);
    return;
  }
  DRIVER(split) w;
  DRIVER(split_init)(&w, k, n, z, dz, dx, DRIVER(sum_reduce), DRIVER(vsubscaleexp_map));
  DRIVER(split_row)(&w, NULL);
}

typedef void (*DRIVER(vjp_fn))(const KERNELS *, size_t, const S *, const S *, S *);

typedef struct DRIVER(vjp_call) {
  const KERNELS *k;
  DRIVER(vjp_fn) row;
} DRIVER(vjp_call);

static fsm_status DRIVER(vjp_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(vjp_call) *c = ctx;
  (void)r;
  c->row(c->k, n, ptr[0], ptr[1], ptr[2]);
  return FSM_OK;
}

static fsm_status DRIVER(run_vjp)(DRIVER(vjp_fn) row, const KERNELS *k, size_t rows, size_t cols,
                                  const S *a, size_t as, const S *b, size_t bs, S *dx,
                                  size_t dxs) {
  fsm_status status = fsm_check_matrix(rows, cols, a, as, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, b, bs, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, dx, dxs, sizeof(S));
  if (status != FSM_OK) return status;
  if (cols == 0) return FSM_OK;
  const DRIVER(vjp_call) call = {k, row};
  const fsm_plan plan = {rows, cols, sizeof(S), 3, {(void *)a, (void *)b, dx}, {as, bs, dxs},
                         DRIVER(vjp_plan_row), &call};
  return fsm_run_plan(&plan);
}

/* ---- the loss rows' passes on long slices

   The losses make several passes over slices of a row (the target entry
   excluded). On a slice of FSM_CHUNK_MIN_COLS elements or more, each pass
   runs on chunks (rows.h) in parallel; reductions merge the chunks' results
   in chunk order. The cut follows the slice's length alone, so the results
   do not depend on the thread count. Shorter slices call the kernel. */

enum { P_RMAX, P_RADDEXP, P_RADDSTOREEXP, P_RADDEXTEXP, P_RSUM, P_RDOT, P_RSUMSQ, P_RADDSTABLE,
       P_VAFFINE, P_VSCALE, P_VSCALEEXP, P_VSCALEEXTEXP, P_VSTABLEGRAD, P_VAXPBYC };

typedef struct DRIVER(par) {
  const KERNELS *k;
  int op;
  size_t n, chunk;
  const S *x, *z;
  S *y;
  C a, b, c;
  double part[FSM_MAX_CHUNKS][2];
  C max[FSM_MAX_CHUNKS];
  fsm_extsum ext[FSM_MAX_CHUNKS];
} DRIVER(par);

static void DRIVER(par_task)(void *ctx, size_t i) {
  DRIVER(par) *w = ctx;
  const KERNELS *k = w->k;
  const size_t off = i * w->chunk, len = w->n - off < w->chunk ? w->n - off : w->chunk;
  const S *x = w->x + off, *z = w->z != NULL ? w->z + off : NULL;
  S *y = w->y != NULL ? w->y + off : NULL;
  switch (w->op) {
    case P_RMAX: w->max[i] = k->rmax(len, x); break;
    case P_RADDEXP: w->part[i][0] = k->raddexp(len, x, w->c); break;
    case P_RADDSTOREEXP: w->part[i][0] = k->raddstoreexp(len, x, w->c, y); break;
    case P_RADDEXTEXP: w->ext[i] = k->raddextexp(len, x); break;
    case P_RSUM: w->part[i][0] = k->rsum(len, x); break;
    case P_RDOT: w->part[i][0] = k->rdot(len, x, z); break;
    case P_RSUMSQ: k->rsumsq(len, x, w->c, w->part[i]); break;
    case P_RADDSTABLE: w->part[i][0] = k->raddstable(len, x); break;
    case P_VAFFINE: k->vaffine(len, x, w->a, w->c, w->b, y); break;
    case P_VSCALE: k->vscale(len, x, w->a, y); break;
    case P_VSCALEEXP: k->vscaleexp(len, x, w->c, w->a, y); break;
    case P_VSCALEEXTEXP: k->vscaleextexp(len, x, w->a, w->b, y); break;
    case P_VSTABLEGRAD: k->vstablegrad(len, x, w->a, y); break;
    case P_VAXPBYC: k->vaxpbyc(len, x, z, w->a, w->b, w->c, y); break;
  }
}

/* Runs one pass over chunks; returns the number of chunks. */
static size_t DRIVER(par_run)(DRIVER(par) *w, const KERNELS *k, int op, size_t n, const S *x,
                              const S *z, S *y, C a, C b, C c) {
  w->k = k;
  w->op = op;
  w->n = n;
  w->chunk = fsm_chunk_len(n);
  w->x = x;
  w->z = z;
  w->y = y;
  w->a = a;
  w->b = b;
  w->c = c;
  const size_t chunks = (n + w->chunk - 1) / w->chunk;
  fsm_parallel_for(chunks, DRIVER(par_task), w);
  return chunks;
}

#define LONG_SLICE(n) ((n) >= FSM_CHUNK_MIN_COLS)

static C DRIVER(p_rmax)(const KERNELS *k, size_t n, const S *x) {
  if (!LONG_SLICE(n)) return k->rmax(n, x);
  DRIVER(par) w;
  const size_t chunks = DRIVER(par_run)(&w, k, P_RMAX, n, x, NULL, NULL, 0, 0, 0);
  C m = -(C)INFINITY;
  for (size_t i = 0; i < chunks; i++) m = w.max[i] > m ? w.max[i] : m;
  return m;
}

/* raddexp, raddstoreexp (y != NULL), rsum, rdot, raddstable: one sum */
static double DRIVER(p_sum)(const KERNELS *k, int op, size_t n, const S *x, const S *z, S *y,
                            C c) {
  if (!LONG_SLICE(n)) {
    switch (op) {
      case P_RADDEXP: return k->raddexp(n, x, c);
      case P_RADDSTOREEXP: return k->raddstoreexp(n, x, c, y);
      case P_RSUM: return k->rsum(n, x);
      case P_RDOT: return k->rdot(n, x, z);
      default: return k->raddstable(n, x);
    }
  }
  DRIVER(par) w;
  const size_t chunks = DRIVER(par_run)(&w, k, op, n, x, z, y, 0, 0, c);
  double s = 0.0;
  for (size_t i = 0; i < chunks; i++) s += w.part[i][0];
  return s;
}

static void DRIVER(p_rsumsq)(const KERNELS *k, size_t n, const S *x, C c, double *s) {
  if (!LONG_SLICE(n)) {
    k->rsumsq(n, x, c, s);
    return;
  }
  DRIVER(par) w;
  const size_t chunks = DRIVER(par_run)(&w, k, P_RSUMSQ, n, x, NULL, NULL, 0, 0, c);
  s[0] = s[1] = 0.0;
  for (size_t i = 0; i < chunks; i++) {
    s[0] += w.part[i][0];
    s[1] += w.part[i][1];
  }
}

static fsm_extsum DRIVER(p_raddextexp)(const KERNELS *k, size_t n, const S *x) {
  if (!LONG_SLICE(n)) return k->raddextexp(n, x);
  DRIVER(par) w;
  const size_t chunks = DRIVER(par_run)(&w, k, P_RADDEXTEXP, n, x, NULL, NULL, 0, 0, 0);
  fsm_extsum e = FSM_EXTSUM_EMPTY;
  for (size_t i = 0; i < chunks; i++) fsm_extsum_add(&e, w.ext[i].mantissa, w.ext[i].exponent);
  return e;
}

/* The elementwise passes: vaffine(a, c, b), vscale(a), vscaleexp(c, a),
 * vscaleextexp(a, b), vstablegrad(a), vaxpbyc(a, b, c). */
static void DRIVER(p_map)(const KERNELS *k, int op, size_t n, const S *x, const S *z, S *y, C a,
                          C b, C c) {
  if (!LONG_SLICE(n)) {
    switch (op) {
      case P_VAFFINE: k->vaffine(n, x, a, c, b, y); return;
      case P_VSCALE: k->vscale(n, x, a, y); return;
      case P_VSCALEEXP: k->vscaleexp(n, x, c, a, y); return;
      case P_VSCALEEXTEXP: k->vscaleextexp(n, x, a, b, y); return;
      case P_VSTABLEGRAD: k->vstablegrad(n, x, a, y); return;
      default: k->vaxpbyc(n, x, z, a, b, c, y); return;
    }
  }
  DRIVER(par) w;
  DRIVER(par_run)(&w, k, op, n, x, z, y, a, b, c);
}

/* ---- log-sum-exp pieces */

/* log of an extended sum P * 2^N. */
static double DRIVER(ext_log)(fsm_extsum e) { return log(e.mantissa) + e.exponent * FSM_LN2_D; }

/* The scale (s, e) such that vscaleextexp(x, s * g, e) writes
 * g * exp(x - lse) with lse = log(P 2^N) + extra, extra >= 0:
 * exp(-lse) = exp(F) 2^-N, F = -log P - extra <= 0.35, split as
 * exp(F - kf ln2) 2^kf with kf = floor(F / ln2) <= 0, so e = kf - N <= -N. */
static void DRIVER(ext_scale)(fsm_extsum e, double extra, double g, C *s, C *ex) {
  const double F = -log(e.mantissa) - extra;
  double kf = floor(F / FSM_LN2_D);
  if (kf < -1e6) kf = -1e6;  /* a huge extra: every output underflows to 0 (NaN stays) */
  *s = (C)(g * exp(F - kf * FSM_LN2_D));
  *ex = (C)(kf - e.exponent);
}

/* The max of two slices and one value; a NaN value is ignored (the sums
 * still turn the row NaN). */
static C DRIVER(max3)(const KERNELS *k, size_t n1, const S *x1, size_t n2, const S *x2, C v) {
  C m = DRIVER(p_rmax)(k, n1, x1);
  const C m2 = DRIVER(p_rmax)(k, n2, x2);
  m = m2 > m ? m2 : m;
  return v > m ? v : m;
}

/* ---- cross-entropy, integer target */

/* Cross-entropy (integer and soft targets) takes the three-pass reload
 * form wherever the table's softmax AUTO picks it for rows of this length
 * (its table exp is cheaper than the extended exp), else the two-pass
 * (extended sums). */
static int DRIVER(ce_reload_form)(const KERNELS *k, size_t n) {
  return DRIVER(auto_algorithm)(FSM_ALGORITHM_AUTO, k->softmax_auto, n, DRIVER(fills_llc)(1, n)) ==
         FSM_ALGORITHM_THREE_PASS_RELOAD;
}

/* The reload form of a CE row: m = max, the exps of the non-target
 * entries summed (and stored in dx when asked). Returns 0, having read x
 * only, when the rest may consist of terms that underflow (softmax
 * collapse: every non-target logit far below the target): its largest
 * term exp(max_rest - m) is below n C_MIN 2^30, so the flushed terms could
 * move the sum by more than 2^-30 of itself; the row then takes the
 * extended sums. Deciding before anything is stored keeps dx == x (in
 * place) valid. NaN rows stay here (their sums are NaN).
 * Rows of up to FSM_CE_SHORT are copied to the stack with the target set
 * to -inf, so that each pass is one kernel call over the row instead of
 * one per side of the target (whose exp, 0, then adds nothing). float32
 * loss and gradient, one thread, Zen 3: 16 columns 230 -> 119 ns a row, 64
 * columns 249 -> 194, 256 columns 380 -> 272; no gain measured at 1000. */
#define FSM_CE_SHORT 256

static int DRIVER(ce_rest_reload)(const KERNELS *k, size_t n, const S *x, size_t c, S *dx,
                                  C *m, double *sum_rest) {
  const C xc = x[c];
  S row[FSM_CE_SHORT];
  if (n <= FSM_CE_SHORT) {
    memcpy(row, x, n * sizeof(S));
    row[c] = (S)-INFINITY;
    x = row;
  }
  const S *lo = x, *hi = x + c + 1;
  const size_t nlo = c, nhi = n - c - 1;
  const C m_rest = x == row ? k->rmax(n, row) : DRIVER(max3)(k, nlo, lo, nhi, hi, (C)-INFINITY);
  *m = xc > m_rest ? xc : m_rest;
  /* (n C_MIN 2^30 < e^-23 for any n below 2^62: the exp only for a gap beyond) */
  const double gap = (double)m_rest - (double)*m;
  if (!(gap > -23.0) && exp(gap) < (double)n * (double)C_MIN * 0x1p30) return 0;
  if (x == row)  /* (dx[c] gets exp(-inf) = 0, overwritten by the caller) */
    *sum_rest = dx != NULL ? k->raddstoreexp(n, row, *m, dx) : k->raddexp(n, row, *m);
  else if (dx != NULL)
    *sum_rest = DRIVER(p_sum)(k, P_RADDSTOREEXP, nlo, lo, NULL, dx, *m) +
                DRIVER(p_sum)(k, P_RADDSTOREEXP, nhi, hi, NULL, dx + c + 1, *m);
  else
    *sum_rest = DRIVER(p_sum)(k, P_RADDEXP, nlo, lo, NULL, NULL, *m) +
                DRIVER(p_sum)(k, P_RADDEXP, nhi, hi, NULL, NULL, *m);
  return 1;
}

static double DRIVER(ce_row)(const KERNELS *k, size_t n, const S *x, size_t c,
                             const fsm_loss_params *p, double g, S *dx) {
  const double alpha = p->p1;
  const S *lo = x, *hi = x + c + 1;
  const size_t nlo = c, nhi = n - c - 1;
  const double xc = (double)x[c];
  double lr = 0.0;  /* log S' - x_c (S' = sum_{k != c} exp x_k) */
  fsm_extsum rest = FSM_EXTSUM_EMPTY;
  /* How the rest was summed: RELOAD (dx holds exp(x - m) off the target
   * when asked), EXT (extended two-pass sums) or MAX (max-shifted sums,
   * nothing stored). Where the table's AUTO picks three-pass for softmax
   * rows of this length, so does CE (+inf and NaN targets take MAX). */
  enum { CE_RELOAD, CE_EXT, CE_MAX } form = CE_MAX;
  C m = 0;
  double sum_rest = 0.0;
  /* Label smoothing's sum first: dx may be x itself (in place), and the
   * passes below write dx. The mean is taken of x_i - x_c (a shifted sum):
   * (1 - a) L_c + a (lse - mean) = L_c + a (x_c - mean), where lse - mean
   * would cancel for rows far from 0. */
  double smooth_sum = 0.0;
  const int shifted = xc > -INFINITY && xc < INFINITY;
  if (alpha > 0.0) {
    if (shifted) {
      double sums[2];
      DRIVER(p_rsumsq)(k, n, x, x[c], sums);
      smooth_sum = sums[0];
    } else {
      smooth_sum = DRIVER(p_sum)(k, P_RSUM, n, x, NULL, NULL, 0);
    }
  }
  if (xc < INFINITY) {
    if (DRIVER(ce_reload_form)(k, n) && DRIVER(ce_rest_reload)(k, n, x, c, dx, &m, &sum_rest)) {
      form = CE_RELOAD;
    } else {
      rest = DRIVER(p_raddextexp)(k, nlo, lo);
      const fsm_extsum rest_hi = DRIVER(p_raddextexp)(k, nhi, hi);
      fsm_extsum_add(&rest, rest_hi.mantissa, rest_hi.exponent);
      if (DRIVER(in_two_pass_domain)(rest)) form = CE_EXT;
    }
  }
  /* L_c = softplus(lr) is the loss without smoothing, p_rest = sigmoid(lr)
   * = S' / S the probability off the target, lse = log S. */
  double L_c, p_rest, lse = (double)NAN, e_c = 0.0;
  const int want_lse = alpha > 0.0 && !shifted;
  if (form == CE_EXT) {
    const double lse_rest = DRIVER(ext_log)(rest);  /* log S' */
    /* log P + N ln2 - x_c with N * LN2_HI exact (Cody-Waite): x_c cancels
     * against the exact part, so lr keeps double precision for large |x| */
    lr = ((rest.exponent * FSM_LN2_HI_F64 - xc) + rest.exponent * FSM_LN2_LO_F64) +
         log(rest.mantissa);
    L_c = fsm_softplus(lr);
    p_rest = fsm_sigmoid(lr);
    /* LSE = x_c + softplus(lr) = lse_rest + softplus(-lr), whichever side is finite */
    lse = lr <= 0.0 ? xc + L_c : lse_rest + fsm_softplus(-lr);
  } else {
    if (form == CE_MAX) {  /* outside the domain, an empty rest (cols == 1), +inf, NaN target */
      m = DRIVER(max3)(k, nlo, lo, nhi, hi, x[c]);
      sum_rest = DRIVER(p_sum)(k, P_RADDEXP, nlo, lo, NULL, NULL, m) +
                 DRIVER(p_sum)(k, P_RADDEXP, nhi, hi, NULL, NULL, m);
    }
    /* With the target's term e_c = exp(x_c - m): L_c = log1p(S' / e_c) and
     * p_rest = S' / (S' + e_c), one exp and one log1p a row (on short rows
     * the former softplus/sigmoid/log calls took about half the time). */
    e_c = exp(xc - (double)m);
    const double ratio = sum_rest / e_c;
    if (ratio < INFINITY || ratio != ratio) {
      L_c = log1p(ratio);  /* NaN rows, and all -inf (0 / 0), give NaN as the reference */
    } else {  /* e_c underflowed (x_c far below the max) or x_c = -inf */
      lr = log(sum_rest) + ((double)m - xc);
      L_c = fsm_softplus(lr);
    }
    p_rest = sum_rest / (sum_rest + e_c);
    if (want_lse) lse = (double)m + log(sum_rest + e_c);
  }
  double loss = L_c;
  if (alpha > 0.0) {
    if (shifted)
      loss = L_c - alpha * (smooth_sum / (double)n);
    else  /* x_c = -inf: inf - inf above; NaN and +inf stay NaN */
      loss = (1.0 - alpha) * L_c + alpha * (lse - smooth_sum / (double)n);
  }
  if (dx != NULL) {
    const double gc = g * (alpha * (1.0 - 1.0 / (double)n) - p_rest);
    const C off = (C)(-g * alpha / (double)n);
    if (form == CE_RELOAD) {  /* dx = g exp(x - m) / S + off, one pass */
      /* over the whole row, target included (dx[c] is set below): one
       * call, not one per side of the target (short rows pay per call) */
      const C s = (C)(g / (sum_rest + e_c));
      if (alpha > 0.0)
        DRIVER(p_map)(k, P_VAFFINE, n, dx, NULL, dx, s, off, (C)0);
      else
        DRIVER(p_map)(k, P_VSCALE, n, dx, NULL, dx, s, 0, 0);
    } else {
      if (form == CE_EXT) {
        C s, e;
        DRIVER(ext_scale)(rest, fsm_softplus(-lr), g, &s, &e);
        DRIVER(p_map)(k, P_VSCALEEXTEXP, nlo, lo, NULL, dx, s, e, 0);
        DRIVER(p_map)(k, P_VSCALEEXTEXP, nhi, hi, NULL, dx + c + 1, s, e, 0);
      } else {
        const double total = sum_rest + e_c;
        const C s = (C)(g / total);
        DRIVER(p_map)(k, P_VSCALEEXP, nlo, lo, NULL, dx, s, 0, m);
        DRIVER(p_map)(k, P_VSCALEEXP, nhi, hi, NULL, dx + c + 1, s, 0, m);
      }
      if (alpha > 0.0) {
        DRIVER(p_map)(k, P_VAFFINE, nlo, dx, NULL, dx, (C)1, off, (C)0);
        DRIVER(p_map)(k, P_VAFFINE, nhi, dx + c + 1, NULL, dx + c + 1, (C)1, off, (C)0);
      }
    }
    dx[c] = (C)gc;
  }
  return loss;
}

/* ---- cross-entropy, soft targets */

static double DRIVER(ce_soft_row)(const KERNELS *k, size_t n, const S *x, const S *t, double alpha,
                                  double g, S *dx) {
  const double sum_t = DRIVER(p_sum)(k, P_RSUM, n, t, NULL, NULL, 0);
  const double dot = DRIVER(p_sum)(k, P_RDOT, n, t, x, NULL, 0);
  const double mean = alpha > 0.0 ? DRIVER(p_sum)(k, P_RSUM, n, x, NULL, NULL, 0) / (double)n : 0.0;
  const double A = (1.0 - alpha) * sum_t + alpha;
  /* the sum over the whole row includes its max's exp (1): no collapse, so
   * the reload form serves wherever the table's AUTO picks it */
  const int reload = DRIVER(ce_reload_form)(k, n);
  fsm_extsum e = FSM_EXTSUM_EMPTY;
  int two_pass = 0, stored = 0;
  if (!reload) {
    e = DRIVER(p_raddextexp)(k, n, x);
    two_pass = DRIVER(in_two_pass_domain)(e);
  }
  C m = 0;
  double lse, sum = 0.0;
  if (two_pass) {
    lse = DRIVER(ext_log)(e);
  } else {
    m = DRIVER(p_rmax)(k, n, x);
    stored = reload && dx != NULL;
    sum = DRIVER(p_sum)(k, stored ? P_RADDSTOREEXP : P_RADDEXP, n, x, NULL, stored ? dx : NULL, m);
    lse = (double)m + log(sum);
  }
  const double loss = A * lse - ((1.0 - alpha) * dot + alpha * mean);
  if (dx != NULL) {
    double p_scale = 1.0;  /* dx holds softmax(x) / p_scale */
    if (stored) {
      p_scale = sum;  /* dx holds exp(x - m) */
    } else if (two_pass) {
      C s, ex;
      DRIVER(ext_scale)(e, 0.0, 1.0, &s, &ex);
      DRIVER(p_map)(k, P_VSCALEEXTEXP, n, x, NULL, dx, s, ex, 0);
    } else {
      DRIVER(p_map)(k, P_VSCALEEXP, n, x, NULL, dx, (C)(1.0 / sum), 0, m);
    }
    DRIVER(p_map)(k, P_VAXPBYC, n, dx, t, dx, (C)(A * g / p_scale), (C)(-(1.0 - alpha) * g),
                  (C)(-alpha * g / (double)n));
  }
  return loss;
}

/* ---- spherical family (log-spherical, log-Taylor, Z-loss) */

static double DRIVER(spherical_loss_row)(const KERNELS *k, size_t n, const S *x, size_t c,
                                         const fsm_loss_params *p, double g, S *dx) {
  /* Z-loss needs the variance q/D - (s/D)^2 of sums shifted by K: in one
   * read pass, K = x_c (the row's own scale). The shifted form cancels by
   * the ratio R = (q/D) / var = 1 + ((mean - K)^2 / var), which multiplies
   * the sums' own rounding (up to ~D 2^-53 relative); past R D =
   * SHIFT_RATIO_MAX (x_c an outlier of its row, more so for long rows) the
   * sums are taken again about the mean, where R = 1. The other losses
   * need no shift. */
  C K = (C)0;
  double lo[2], hi[2], out[5];
  const int z = p->kind == FSM_LOSS_Z;
  if (z && isfinite((double)x[c])) K = x[c];
  DRIVER(p_rsumsq)(k, c, x, K, lo);
  DRIVER(p_rsumsq)(k, n - c - 1, x + c + 1, K, hi);
  int centred = !z;  /* K is the row's (rounded) mean, or no shift is needed */
  if (z) {
    const double d = (double)n, s = (lo[0] + hi[0]) / d, q = (lo[1] + hi[1]) / d;
    if (!(q * d <= SHIFT_RATIO_MAX * (q - s * s)) && isfinite(s)) {  /* also x_c not finite */
      K = (C)((double)K + s);
      DRIVER(p_rsumsq)(k, c, x, K, lo);
      DRIVER(p_rsumsq)(k, n - c - 1, x + c + 1, K, hi);
      centred = 1;
    }
  }
  fsm_spherical_loss_partials(p->kind, n, lo[1] + hi[1], lo[0] + hi[0],
                              (double)x[c] - (double)K, p->p1, p->p2, p->p3, out);
  if (dx != NULL) {
    /* dx_i = 2 f_q (x_i - K) + f_s, re-centred on the (rounded) mean M:
     * a (x_i - M) + (b + a (M - K)), so that each entry rounds relative to
     * its own size, not to |x_i - x_c| */
    const double a = 2.0 * out[1] * g;
    const C M = centred ? K : (C)((double)K + (lo[0] + hi[0]) / (double)n);
    const C b = (C)(out[2] * g + a * ((double)M - (double)K));
    DRIVER(p_map)(k, P_VAFFINE, c, x, NULL, dx, (C)a, b, M);
    DRIVER(p_map)(k, P_VAFFINE, n - c - 1, x + c + 1, NULL, dx + c + 1, (C)a, b, M);
    dx[c] = (C)(out[4] * g);
  }
  return out[0];
}

/* ---- StableMax cross-entropy */

static double DRIVER(stablemax_ce_row)(const KERNELS *k, size_t n, const S *x, size_t c,
                                       const fsm_loss_params *p, double g, S *dx) {
  (void)p;
  const double xc = (double)x[c];
  const double rest = DRIVER(p_sum)(k, P_RADDSTABLE, c, x, NULL, NULL, 0) +
                      DRIVER(p_sum)(k, P_RADDSTABLE, n - c - 1, x + c + 1, NULL, NULL, 0);
  const double s_c = xc >= 0.0 ? xc + 1.0 : 1.0 / (1.0 - xc);
  const double total = rest + s_c;
  if (dx != NULL) {
    const C scale = (C)(g / total);
    DRIVER(p_map)(k, P_VSTABLEGRAD, c, x, NULL, dx, scale, 0, 0);
    DRIVER(p_map)(k, P_VSTABLEGRAD, n - c - 1, x + c + 1, NULL, dx + c + 1, scale, 0, 0);
    dx[c] = (C)(-g * (rest / total) / (1.0 + fabs(xc)));
  }
  return xc == INFINITY ? NAN : log1p(rest / s_c);  /* inf - inf, as the reference */
}

typedef double (*DRIVER(loss_fn))(const KERNELS *, size_t, const S *, size_t,
                                  const fsm_loss_params *, double, S *);

#if defined(FSM_DTYPE_F32)
/* The float32 rows the half-precision drivers (typed/half_training.c) run
 * on rows they widened to float32, with the float32 table their caller
 * resolved (dtype.h). */
double fsm_f32_row_int_loss(fsm_int_loss which, const fsm_f32_kernels *k, size_t n,
                            const float *x, size_t c, const fsm_loss_params *p, double g,
                            float *dx) {
  const DRIVER(loss_fn) row = which == FSM_INT_LOSS_CE          ? DRIVER(ce_row)
                              : which == FSM_INT_LOSS_SPHERICAL ? DRIVER(spherical_loss_row)
                                                                : DRIVER(stablemax_ce_row);
  return row(k, n, x, c, p, g, dx);
}

double fsm_f32_row_soft_ce(const fsm_f32_kernels *k, size_t n, const float *x,
                                      const float *t, double alpha, double g, float *dx) {
  return DRIVER(ce_soft_row)(k, n, x, t, alpha, g, dx);
}
#endif

typedef struct DRIVER(loss_call) {
  const KERNELS *k;
  DRIVER(loss_fn) row;
  const int64_t *targets;
  int64_t ignore_index;
  const fsm_loss_params *p;
  double g;
  S *loss;
} DRIVER(loss_call);

static fsm_status DRIVER(loss_plan_row)(const void *ctx, size_t r, size_t cols, void *const *ptr) {
  const DRIVER(loss_call) *c = ctx;
  const int64_t t = c->targets[r];
  S *dx = ptr[1];
  double L = 0.0;
  if (t == c->ignore_index) {
    if (dx != NULL)
      for (size_t i = 0; i < cols; i++) dx[i] = (C)0;
  } else if (t < 0 || (uint64_t)t >= (uint64_t)cols) {
    /* validated before the plan: only targets overwritten by an earlier
     * row's gradient (overlapping dx, which the header forbids) get here */
    return FSM_TARGET_OUT_OF_RANGE;
  } else {
    L = c->row(c->k, cols, ptr[0], (size_t)t, c->p, c->g, dx);
  }
  if (c->loss != NULL) c->loss[r] = (C)L;
  return FSM_OK;
}

static fsm_status DRIVER(run_loss)(DRIVER(loss_fn) row, const KERNELS *k, size_t rows, size_t cols,
                                   const S *x, size_t xs, const int64_t *targets,
                                   int64_t ignore_index, const fsm_loss_params *p,
                                   fsm_status params, double g, S *loss, S *dx, size_t dxs) {
  /* the header's order: the matrices, then the targets, then the loss
   * parameters (`params`: the caller's verdict on them) */
  fsm_status status = fsm_check_matrix(rows, cols, x, xs, sizeof(S));
  if (status == FSM_OK && dx != NULL) status = fsm_check_matrix(rows, cols, dx, dxs, sizeof(S));
  if (status == FSM_OK) status = fsm_check_targets(rows, cols, targets, ignore_index, 1);
  if (status == FSM_OK) status = params;
  if (status != FSM_OK) return status;
  const DRIVER(loss_call) call = {k, row, targets, ignore_index, p, g, loss};
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)x, dx}, {xs, dxs},
                         DRIVER(loss_plan_row), &call};
  return fsm_run_plan(&plan);
}

typedef struct DRIVER(soft_call) {
  const KERNELS *k;
  double alpha, g;
  S *loss;
} DRIVER(soft_call);

static fsm_status DRIVER(soft_plan_row)(const void *ctx, size_t r, size_t cols, void *const *ptr) {
  const DRIVER(soft_call) *c = ctx;
  /* an empty row: sum(t) = 0, no loss */
  const double L = cols == 0 ? 0.0 : DRIVER(ce_soft_row)(c->k, cols, ptr[0], ptr[1], c->alpha,
                                                          c->g, ptr[2]);
  if (c->loss != NULL) c->loss[r] = (C)L;
  return FSM_OK;
}

static fsm_status DRIVER(run_soft)(const KERNELS *k, size_t rows, size_t cols, const S *x,
                                   size_t xs, const S *t, size_t ts, double alpha, double g,
                                   S *loss, S *dx, size_t dxs) {
  fsm_status status = fsm_check_matrix(rows, cols, x, xs, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, t, ts, sizeof(S));
  if (status == FSM_OK && dx != NULL) status = fsm_check_matrix(rows, cols, dx, dxs, sizeof(S));
  if (status != FSM_OK) return status;
  status = fsm_check_label_smoothing(alpha);
  if (status != FSM_OK) return status;
  const DRIVER(soft_call) call = {k, alpha, g, loss};
  const fsm_plan plan = {rows, cols, sizeof(S), 3, {(void *)x, (void *)t, dx}, {xs, ts, dxs},
                         DRIVER(soft_plan_row), &call};
  return fsm_run_plan(&plan);
}

/* ---- normalised maps: spherical, Taylor, StableMax and their logs */

static void DRIVER(map_reduce)(const DRIVER(split) *w, size_t off, size_t len, double *part) {
  if (w->kind == MAP_STABLE)
    part[0] = w->k->raddstable(len, w->x + off);
  else
    w->k->rsumsq(len, w->x + off, (C)0, part);
}

/* G and the quadratic's coefficients from the row's sums. */
static void DRIVER(map_finish)(DRIVER(split) *w) {
  if (w->kind == MAP_STABLE) {
    w->G = w->total[0];
  } else if (w->kind == MAP_SPHERICAL) {
    w->G = w->total[1] + (double)w->n * w->eps;
    w->qa = 1.0, w->qb = 0.0, w->qc = w->eps;
  } else {
    w->G = (double)w->n + w->total[0] + 0.5 * w->total[1];
    w->qa = 0.5, w->qb = 1.0, w->qc = 1.0;
  }
}

static void DRIVER(map_output)(const DRIVER(split) *w, size_t off, size_t len) {
  const KERNELS *k = w->k;
  const S *x = w->x + off;
  S *y = w->y + off;
  const double G = w->G, qa = w->qa, qb = w->qb, qc = w->qc;
  /* 1 / G is no normal C (rows of huge values): divide in double */
  const int divide = !((double)(C)(1.0 / G) >= (double)C_MIN || !(G < INFINITY));
  if (w->kind == MAP_STABLE) {
    if (w->log_out) {
      k->vlogstable(len, x, (C)log(G), y);
    } else if (!divide) {
      k->vscalestable(len, x, (C)(1.0 / G), y);
    } else {
      for (size_t i = 0; i < len; i++) {
        const double v = (double)x[i];
        y[i] = (C)((v >= 0.0 ? v + 1.0 : 1.0 / (1.0 - v)) / G);
      }
    }
  } else if (w->log_out) {
    k->vlogquad(len, x, (C)qa, (C)qb, (C)qc, (C)log(G), y);
  } else if (!divide) {
    k->vquadscale(len, x, (C)qa, (C)qb, (C)qc, (C)(1.0 / G), y);
  } else {
    for (size_t i = 0; i < len; i++) {
      const double v = (double)x[i];
      y[i] = (C)(((qa * v + qb) * v + qc) / G);
    }
  }
}

static void DRIVER(map_row)(const KERNELS *k, int kind, int log_out, double eps, size_t n,
                            const S *x, S *y) {
  DRIVER(split) w;
  DRIVER(split_init)(&w, k, n, x, NULL, y, DRIVER(map_reduce), DRIVER(map_output));
  w.kind = kind;
  w.log_out = log_out;
  w.eps = eps;
  DRIVER(split_row)(&w, DRIVER(map_finish));
}

#if defined(FSM_DTYPE_F32)
/* For the half-precision drivers, as fsm_f32_row_int_loss (y may be x). */
void fsm_f32_row_map(const fsm_f32_kernels *k, int kind, int log_out, double eps, size_t n,
                     const float *x, float *y) {
  DRIVER(map_row)(k, kind, log_out, eps, n, x, y);
}
#endif

typedef struct DRIVER(map_call) {
  const KERNELS *k;
  int kind, log_out;
  double eps;
} DRIVER(map_call);

static fsm_status DRIVER(map_plan_row)(const void *ctx, size_t r, size_t cols, void *const *ptr) {
  const DRIVER(map_call) *c = ctx;
  (void)r;
  DRIVER(map_row)(c->k, c->kind, c->log_out, c->eps, cols, ptr[0], ptr[1]);
  return FSM_OK;
}

static fsm_status DRIVER(run_map)(const KERNELS *k, int kind, int log_out, double eps, size_t rows,
                                  size_t cols, const S *x, size_t xs, S *y, size_t ys) {
  fsm_status status = fsm_check_matrix(rows, cols, x, xs, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, y, ys, sizeof(S));
  if (status != FSM_OK) return status;
  status = fsm_check_eps(eps);
  if (status != FSM_OK) return status;
  if (cols == 0) return FSM_OK;
  const DRIVER(map_call) call = {k, kind, log_out, eps};
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)x, y}, {xs, ys},
                         DRIVER(map_plan_row), &call};
  return fsm_run_plan(&plan);
}

typedef struct DRIVER(stats_call) {
  const KERNELS *k;
  const int64_t *targets;
  double *stats;
} DRIVER(stats_call);

static fsm_status DRIVER(stats_plan_row)(const void *ctx, size_t r, size_t cols, void *const *ptr) {
  const DRIVER(stats_call) *c = ctx;
  const S *x = ptr[0];
  double s[2];
  c->k->rsumsq(cols, x, (C)0, s);
  c->stats[3 * r] = s[0];
  c->stats[3 * r + 1] = s[1];
  c->stats[3 * r + 2] = c->targets != NULL ? (double)x[(size_t)c->targets[r]] : NAN;
  return FSM_OK;
}

static fsm_status DRIVER(run_stats)(const KERNELS *k, size_t rows, size_t cols, const S *x,
                                    size_t xs, const int64_t *targets, double *stats) {
  fsm_status status = fsm_check_matrix(rows, cols, x, xs, sizeof(S));
  if (status == FSM_OK && targets != NULL)
    status = fsm_check_targets(rows, cols, targets, 0, 0);
  if (status == FSM_OK && rows > 0 && stats == NULL) status = FSM_NULL_POINTER;
  if (status != FSM_OK) return status;
  const DRIVER(stats_call) call = {k, targets, stats};
  const fsm_plan plan = {rows, cols, sizeof(S), 1, {(void *)x}, {xs}, DRIVER(stats_plan_row), &call};
  return fsm_run_plan(&plan);
}

/* ---- public entry points */

fsm_status PUBLIC(softmax_backward)(size_t rows, size_t cols, const S *y, size_t y_stride,
                                    const S *dy, size_t dy_stride, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_vjp)(DRIVER(softmax_backward_row), k, rows, cols, y, y_stride, dy, dy_stride,
                         dx, dx_stride);
}

fsm_status PUBLIC(log_softmax_backward)(size_t rows, size_t cols, const S *z, size_t z_stride,
                                        const S *dz, size_t dz_stride, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_vjp)(DRIVER(log_softmax_backward_row), k, rows, cols, z, z_stride, dz,
                         dz_stride, dx, dx_stride);
}

fsm_status PUBLIC(cross_entropy)(size_t rows, size_t cols, const S *logits, size_t logits_stride,
                                 const int64_t *targets, int64_t ignore_index,
                                 double label_smoothing, double grad_scale, S *loss, S *dlogits,
                                 size_t dlogits_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const fsm_loss_params p = {(fsm_spherical_loss)0, label_smoothing, 0.0, 0.0};
  return DRIVER(run_loss)(DRIVER(ce_row), k, rows, cols, logits, logits_stride, targets,
                          ignore_index, &p, fsm_check_label_smoothing(label_smoothing), grad_scale,
                          loss, dlogits, dlogits_stride);
}

fsm_status PUBLIC(cross_entropy_soft)(size_t rows, size_t cols, const S *logits,
                                      size_t logits_stride, const S *targets,
                                      size_t targets_stride, double label_smoothing,
                                      double grad_scale, S *loss, S *dlogits,
                                      size_t dlogits_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_soft)(k, rows, cols, logits, logits_stride, targets, targets_stride,
                          label_smoothing, grad_scale, loss, dlogits, dlogits_stride);
}

fsm_status PUBLIC(spherical_stats)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                   const int64_t *targets, double *stats) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_stats)(k, rows, cols, x, x_stride, targets, stats);
}

#define FSM_MAP_FUNCTION(name, kind, log_out)                                                 \
  fsm_status PUBLIC(name)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,        \
                          size_t y_stride) {                                                  \
    fsm_status status;                                                                        \
    const KERNELS *k = ACTIVE_KERNELS(&status);                                                   \
    if (k == NULL) return status;                                                             \
    return DRIVER(run_map)(k, kind, log_out, 0.0, rows, cols, x, x_stride, y, y_stride);      \
  }
FSM_MAP_FUNCTION(taylor_softmax, MAP_TAYLOR, 0)
FSM_MAP_FUNCTION(log_taylor_softmax, MAP_TAYLOR, 1)
FSM_MAP_FUNCTION(stablemax, MAP_STABLE, 0)
FSM_MAP_FUNCTION(log_stablemax, MAP_STABLE, 1)
#undef FSM_MAP_FUNCTION

fsm_status PUBLIC(spherical_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                                     size_t y_stride, double eps) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_map)(k, MAP_SPHERICAL, 0, eps, rows, cols, x, x_stride, y, y_stride);
}

fsm_status PUBLIC(log_spherical_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                         S *y, size_t y_stride, double eps) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  return DRIVER(run_map)(k, MAP_SPHERICAL, 1, eps, rows, cols, x, x_stride, y, y_stride);
}

fsm_status PUBLIC(log_spherical_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                      const int64_t *targets, int64_t ignore_index, double eps,
                                      double grad_scale, S *loss, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const fsm_loss_params p = {FSM_LOSS_LOG_SPHERICAL, eps, 0.0, 0.0};
  return DRIVER(run_loss)(DRIVER(spherical_loss_row), k, rows, cols, x, x_stride, targets,
                          ignore_index, &p, fsm_check_eps(eps), grad_scale, loss, dx, dx_stride);
}

fsm_status PUBLIC(log_taylor_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                   const int64_t *targets, int64_t ignore_index,
                                   double grad_scale, S *loss, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const fsm_loss_params p = {FSM_LOSS_LOG_TAYLOR, 0.0, 0.0, 0.0};
  return DRIVER(run_loss)(DRIVER(spherical_loss_row), k, rows, cols, x, x_stride, targets,
                          ignore_index, &p, FSM_OK, grad_scale, loss, dx, dx_stride);
}

fsm_status PUBLIC(z_loss)(size_t rows, size_t cols, const S *x, size_t x_stride,
                          const int64_t *targets, int64_t ignore_index, double a, double b,
                          double eps_z, double grad_scale, S *loss, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const fsm_loss_params p = {FSM_LOSS_Z, a, b, eps_z};
  return DRIVER(run_loss)(DRIVER(spherical_loss_row), k, rows, cols, x, x_stride, targets,
                          ignore_index, &p, fsm_check_z_params(a, b, eps_z, rows, cols), grad_scale,
                          loss, dx, dx_stride);
}

fsm_status PUBLIC(stablemax_cross_entropy)(size_t rows, size_t cols, const S *x, size_t x_stride,
                                           const int64_t *targets, int64_t ignore_index,
                                           double grad_scale, S *loss, S *dx, size_t dx_stride) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const fsm_loss_params p = {(fsm_spherical_loss)0, 0.0, 0.0, 0.0};
  return DRIVER(run_loss)(DRIVER(stablemax_ce_row), k, rows, cols, x, x_stride, targets,
                          ignore_index, &p, FSM_OK, grad_scale, loss, dx, dx_stride);
}

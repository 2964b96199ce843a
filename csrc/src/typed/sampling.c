/*
 * Decoding helpers (issue 16): top-k softmax and sampling with temperature,
 * top-k, top-p and min-p, on rows of logits. Compiled once per dtype
 * (dtype.h). The exps and the max run as kernel-table entries; selection
 * never sorts the row:
 *
 *   topk_softmax  rmax, raddexp (the row's normaliser), then the k largest
 *                 logits in one pass through a min-heap of k (its root
 *                 rejects almost every entry with one comparison).
 *   sample        rmax, then e = exp((x - max) / C) stored in a scratch row
 *                 (raddstoreexp, after vaffine when C != 1); every filter
 *                 is a threshold on e: top-k the k-th largest e (the heap),
 *                 top-p the smallest e of the shortest prefix (in
 *                 decreasing order) whose mass reaches p of the top-k mass
 *                 (a histogram of e's mass by its float bits, then only the
 *                 boundary bucket's entries sorted), min-p the value min_p
 *                 (e's max is exp(0) = 1). The draw inverts the CDF of the
 *                 kept entries in index order: block sums of e >= the
 *                 threshold, then one block scanned.
 *
 * On half storage (float16, bfloat16) each row is widened to float32
 * (typed/half_training.c's widen_row) and the float32 build's row runs on
 * it (fsm_f32_sample_row_core, fsm_f32_topk_row_core): the same tokens as
 * the float32 function on the widened logits; top-k probabilities are
 * rounded to S once.
 *
 * docs/decoding.md describes the semantics; python/fastsoftmax/_decoding.py
 * the Python API.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtype.h"

#if !defined(FSM_DTYPE_HALF) /* half storage: the float32 rows below, on widened rows */

#define HIST_BUCKETS 1024u       /* probabilities in [0, 1]: float32 bits >> 20 */
#define HIST_LANES 4              /* interleaved histograms: no store-forwarding chain */
#define DRAW_BLOCK 1024           /* entries per block sum of the draw */
#define TOPK_STACK 16             /* k up to this: the selection on the stack */
#define SELECT_BLOCK 256          /* the heap pass skips blocks by their max */

/* The histogram bucket of a probability e in [0, 1]: the top bits of its
 * float32 representation (8 exponent bits and 3 mantissa bits: buckets an
 * eighth of an octave wide), in [0, 1016]; float64 rows are rounded to
 * float32 first, which keeps the order. */
static unsigned DRIVER(bucket)(C e) {
  const float f = (float)e;
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  u >>= 20;
  return u < HIST_BUCKETS ? u : HIST_BUCKETS - 1;
}

/* A candidate: value and index; sorted by value decreasing, index increasing. */
typedef struct DRIVER(cand) {
  C v;
  int64_t i;
} DRIVER(cand);

static int DRIVER(cand_cmp)(const void *pa, const void *pb) {
  const DRIVER(cand) *a = pa, *b = pb;
  if (a->v > b->v) return -1;
  if (a->v < b->v) return 1;
  return (a->i > b->i) - (a->i < b->i);
}

/* Is a ranked below b (smaller value, or equal and a later index)? */
static int DRIVER(below)(const DRIVER(cand) *a, const DRIVER(cand) *b) {
  return a->v < b->v || (a->v == b->v && a->i > b->i);
}

static void DRIVER(sift_down)(DRIVER(cand) *h, size_t k, size_t j) {
  for (;;) {
    size_t c = 2 * j + 1;
    if (c >= k) return;
    if (c + 1 < k && DRIVER(below)(&h[c + 1], &h[c])) c++;
    if (!DRIVER(below)(&h[c], &h[j])) return;
    const DRIVER(cand) t = h[c];
    h[c] = h[j];
    h[j] = t;
    j = c;
  }
}

/* The k largest entries of x (1 <= k <= n, no NaN), sorted (value
 * decreasing, index increasing), into out[0..k): one pass keeping the k
 * best in a min-heap whose root, the k-th best so far, rejects almost every
 * entry with one comparison; then the k sorted. */
static void DRIVER(select_topk)(const KERNELS *kt, size_t n, const S *x, size_t k,
                                DRIVER(cand) *out) {
  for (size_t i = 0; i < k; i++) out[i] = (DRIVER(cand)){x[i], (int64_t)i};
  for (size_t j = k / 2; j-- > 0;) DRIVER(sift_down)(out, k, j);
  for (size_t i0 = k; i0 < n; i0 += SELECT_BLOCK) {
    const size_t end = n - i0 < SELECT_BLOCK ? n : i0 + SELECT_BLOCK;
    /* a block whose max (the rmax kernel) cannot enter is skipped whole */
    if (!(kt->rmax(end - i0, x + i0) > out[0].v)) continue;
    for (size_t i = i0; i < end; i++) {
      if (!(x[i] > out[0].v)) continue;  /* an equal later entry ranks below */
      out[0] = (DRIVER(cand)){x[i], (int64_t)i};
      DRIVER(sift_down)(out, k, 0);
    }
  }
  qsort(out, k, sizeof *out, DRIVER(cand_cmp));
}

/* Per bucket: how many probabilities e (all >= 0) and their sum. */
static void DRIVER(histogram)(size_t n, const S *e, uint32_t *count, double *mass) {
  uint32_t c[HIST_LANES][HIST_BUCKETS];
  double s[HIST_LANES][HIST_BUCKETS];
  memset(c, 0, sizeof c);
  memset(s, 0, sizeof s);
  size_t i = 0;
  for (; i + HIST_LANES <= n; i += HIST_LANES)
    for (unsigned l = 0; l < HIST_LANES; l++) {
      const unsigned b = DRIVER(bucket)(e[i + l]);
      c[l][b]++;
      s[l][b] += (double)e[i + l];
    }
  for (; i < n; i++) {
    c[0][DRIVER(bucket)(e[i])]++;
    s[0][DRIVER(bucket)(e[i])] += (double)e[i];
  }
  for (unsigned b = 0; b < HIST_BUCKETS; b++) {
    count[b] = (c[0][b] + c[1][b]) + (c[2][b] + c[3][b]);
    mass[b] = (s[0][b] + s[1][b]) + (s[2][b] + s[3][b]);
  }
}

/* The entries of e in bucket b and >= floor, sorted; *len their number
 * (at most `cap`, the histogram's count). NULL if out of memory. */
static DRIVER(cand) *DRIVER(collect)(size_t n, const S *e, unsigned b, C floor, size_t cap,
                                     size_t *len) {
  DRIVER(cand) *c = malloc((cap ? cap : 1) * sizeof *c);
  if (c == NULL) return NULL;
  size_t m = 0;
  for (size_t i = 0; i < n && m < cap; i++)
    if (DRIVER(bucket)(e[i]) == b && e[i] >= floor) c[m++] = (DRIVER(cand)){e[i], (int64_t)i};
  qsort(c, m, sizeof *c, DRIVER(cand_cmp));
  *len = m;
  return c;
}

/* ---- topk_softmax */

/* One row: the k = top largest entries' probabilities and indices (probs
 * may be x: written after the selection). */
static fsm_status DRIVER(topk_core)(const KERNELS *kt, size_t n, const S *x, size_t top,
                                    int renormalize, S *probs, int64_t *indices) {
  const C m = kt->rmax(n, x);
  if (!(m > -(C)INFINITY && m < (C)INFINITY)) return FSM_INVALID_ARGUMENT;
  const double sum = kt->raddexp(n, x, m);
  if (sum != sum) return FSM_INVALID_ARGUMENT;   /* a NaN the max dropped */
  DRIVER(cand) small[TOPK_STACK];
  DRIVER(cand) *sel = top <= TOPK_STACK ? small : malloc(top * sizeof *sel);
  if (sel == NULL) return FSM_OUT_OF_MEMORY;
  DRIVER(select_topk)(kt, n, x, top, sel);
  double norm = sum;
  if (renormalize) {
    norm = 0.0;
    for (size_t j = 0; j < top; j++) norm += exp((double)sel[j].v - (double)m);
  }
  for (size_t j = 0; j < top; j++) {
    probs[j] = (C)(exp((double)sel[j].v - (double)m) / norm);
    indices[j] = sel[j].i;
  }
  if (sel != small) free(sel);
  return FSM_OK;
}

#endif /* !FSM_DTYPE_HALF */

#if defined(FSM_DTYPE_F32)
fsm_status fsm_f32_topk_row_core(const fsm_f32_kernels *k, size_t n, const float *x,
                                 size_t top, int renormalize, float *probs, int64_t *indices) {
  return DRIVER(topk_core)(k, n, x, top, renormalize, probs, indices);
}
#endif

typedef struct DRIVER(topk_call) {
  const KERNELS *k;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf; /* the rows run widened, on float32's kernels */
#endif
  size_t top;
  int renormalize;
  S *probs;
  size_t probs_stride;
  int64_t *indices;
  size_t indices_stride;
} DRIVER(topk_call);

static fsm_status DRIVER(topk_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(topk_call) *call = ctx;
  S *probs = call->probs + r * call->probs_stride;
  int64_t *indices = call->indices + r * call->indices_stride;
#if defined(FSM_DTYPE_HALF)
  /* the row widened to float32; the probabilities written over the
   * widened row (after the selection), rounded to S once */
  const S *x = ptr[0];
  float stack[HALF_ROW_STACK];
  float *w = DRIVER(widen_row)(call->k, n, 1, &x, stack);
  if (w == NULL) return FSM_OUT_OF_MEMORY;
  const fsm_status status =
      fsm_f32_topk_row_core(call->kf, n, w, call->top, call->renormalize, w, indices);
  if (status == FSM_OK) call->k->vscale(call->top, w, 1.0f, probs);
  DRIVER(row_scratch_free)(w, stack);
  return status;
#else
  return DRIVER(topk_core)(call->k, n, ptr[0], call->top, call->renormalize, probs, indices);
#endif
}

fsm_status PUBLIC(topk_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride, size_t k,
                                int renormalize, S *probs, size_t probs_stride, int64_t *indices,
                                size_t indices_stride) {
  fsm_status status;
  const KERNELS *kt = ACTIVE_KERNELS(&status);
  if (kt == NULL) return status;
  status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, k, probs, probs_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, k, indices, indices_stride, sizeof(int64_t));
  if (status != FSM_OK) return status;
  if (rows == 0) return FSM_OK;
  if (k == 0 || k > cols) return FSM_INVALID_ARGUMENT;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  const DRIVER(topk_call) call = {kt, kf, k, renormalize != 0, probs, probs_stride, indices,
                                  indices_stride};
#else
  const DRIVER(topk_call) call = {kt, k, renormalize != 0, probs, probs_stride, indices,
                                  indices_stride};
#endif
  const fsm_plan plan = {rows, cols, sizeof(S), 1, {(void *)x}, {x_stride}, DRIVER(topk_row), &call};
  return fsm_run_plan(&plan);
}

/* ---- sample */

#if !defined(FSM_DTYPE_HALF)

/* The smallest e of the shortest decreasing prefix of {e >= floor} whose
 * mass reaches `target` (floor if none does: rounding). floor's own
 * bucket counts only its entries >= floor (collected). */
static fsm_status DRIVER(mass_threshold)(size_t n, const S *e, const uint32_t *count,
                                         const double *mass, C floor, double target, C *tau) {
  double acc = 0.0;
  const unsigned lo = DRIVER(bucket)(floor);
  for (unsigned b = HIST_BUCKETS; b-- > lo;) {
    if (count[b] == 0 || (b > lo && acc + mass[b] < target)) {
      acc += mass[b];
      continue;
    }
    size_t len;
    DRIVER(cand) *c = DRIVER(collect)(n, e, b, floor, count[b], &len);
    if (c == NULL) return FSM_OUT_OF_MEMORY;
    *tau = floor;
    for (size_t j = 0; j < len; j++) {
      acc += (double)c[j].v;
      if (acc >= target) {
        *tau = c[j].v;
        break;
      }
    }
    free(c);
    if (acc >= target || b == lo) return FSM_OK;
    /* rounding left the target beyond this bucket: keep going */
  }
  *tau = floor;
  return FSM_OK;
}

/* The k-th largest e (every entry equal to it stays). */
static fsm_status DRIVER(rank_threshold)(const KERNELS *kt, size_t n, const S *e, size_t k,
                                         C *tau) {
  DRIVER(cand) small[TOPK_STACK];
  DRIVER(cand) *sel = k <= TOPK_STACK ? small : malloc(k * sizeof *sel);
  if (sel == NULL) return FSM_OUT_OF_MEMORY;
  DRIVER(select_topk)(kt, n, e, k, sel);
  *tau = sel[k - 1].v;
  if (sel != small) free(sel);
  return FSM_OK;
}

/* The mass of the entries e >= tau (block sums in index order). */
static double DRIVER(kept_mass)(size_t n, const S *e, C tau, double *block_sum);

static double DRIVER(kept_mass)(size_t n, const S *e, C tau, double *block_sum) {
  const size_t blocks = (n + DRAW_BLOCK - 1) / DRAW_BLOCK;
  double total = 0.0;
  for (size_t b = 0; b < blocks; b++) {
    const size_t lo = b * DRAW_BLOCK, hi = lo + DRAW_BLOCK < n ? lo + DRAW_BLOCK : n;
    C acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = lo;
    for (; i + 8 <= hi; i += 8)
      for (int l = 0; l < 8; l++) acc[l] += e[i + l] >= tau ? e[i + l] : (C)0;
    double s = 0.0;
    for (; i < hi; i++) s += e[i] >= tau ? (double)e[i] : 0.0;
    for (int l = 0; l < 8; l++) s += (double)acc[l];
    block_sum[b] = s;
    total += s;
  }
  return total;
}

/* Inverse CDF over the entries e >= tau in index order, at u in [0, 1). */
static int64_t DRIVER(draw)(size_t n, const S *e, C tau, double u, double *block_sum) {
  const size_t blocks = (n + DRAW_BLOCK - 1) / DRAW_BLOCK;
  double rest = u * DRIVER(kept_mass)(n, e, tau, block_sum);
  int64_t last = -1;
  for (size_t b = 0; b < blocks; b++) {
    if (block_sum[b] > 0.0) last = (int64_t)b;
    if (rest >= block_sum[b]) {
      rest -= block_sum[b];
      continue;
    }
    const size_t lo = b * DRAW_BLOCK, hi = lo + DRAW_BLOCK < n ? lo + DRAW_BLOCK : n;
    int64_t pick = -1;
    for (size_t i = lo; i < hi; i++) {
      if (!(e[i] >= tau) || e[i] == 0) continue;
      pick = (int64_t)i;
      rest -= (double)e[i];
      if (rest < 0.0) return pick;
    }
    return pick;                      /* rounding: the block's last kept entry */
  }
  /* rounding past the total: the last kept entry */
  if (last < 0) return 0;
  const size_t lo = (size_t)last * DRAW_BLOCK, hi = lo + DRAW_BLOCK < n ? lo + DRAW_BLOCK : n;
  for (size_t i = hi; i-- > lo;)
    if (e[i] >= tau && e[i] > 0) return (int64_t)i;
  return (int64_t)lo;
}

/* One row: the token drawn at u into *token. */
static fsm_status DRIVER(sample_core)(const KERNELS *k, const fsm_sampling_params *p, size_t n,
                                      const S *x, double u, int64_t *token) {
  const C m = k->rmax(n, x);
  if (!(m > -(C)INFINITY && m < (C)INFINITY)) return FSM_INVALID_ARGUMENT;
  const size_t blocks = (n + DRAW_BLOCK - 1) / DRAW_BLOCK;
  S *e = malloc(n * sizeof *e + (blocks + 1) * sizeof(double));
  if (e == NULL) return FSM_OUT_OF_MEMORY;
  double *block_sum = (double *)(void *)((char *)e + ((n * sizeof *e + 7) & ~(size_t)7));
  /* (the block sums start 8-aligned inside the same allocation) */
  double sum;
  if (p->temperature == 1.0) {
    sum = k->raddstoreexp(n, x, m, e);
  } else {
    k->vaffine(n, x, (C)(1.0 / p->temperature), m, 0, e);
    sum = k->raddstoreexp(n, e, 0, e);
  }
  fsm_status status = sum == sum ? FSM_OK : FSM_INVALID_ARGUMENT;
  C tau = 0;
  const int by_rank = p->top_k != 0 && p->top_k < n, by_mass = p->top_p < 1.0;
  if (status == FSM_OK && by_rank) status = DRIVER(rank_threshold)(k, n, e, p->top_k, &tau);
  if (status == FSM_OK && by_mass) {
    uint32_t *count = malloc(HIST_BUCKETS * (sizeof *count + sizeof(double)));
    if (count == NULL) status = FSM_OUT_OF_MEMORY;
    double *mass = (double *)(void *)(count + HIST_BUCKETS);  /* 4096 bytes in: aligned */
    if (status == FSM_OK) {
      DRIVER(histogram)(n, e, count, mass);
      /* the mass top-k kept: every bucket above tau's, and tau's entries >= tau */
      double kept = by_rank ? DRIVER(kept_mass)(n, e, tau, block_sum) : sum;
      status = DRIVER(mass_threshold)(n, e, count, mass, tau, p->top_p * kept, &tau);
    }
    free(count);
  }
  if (status == FSM_OK) {
    if ((C)p->min_p > tau) tau = (C)p->min_p;
    *token = DRIVER(draw)(n, e, tau, u, block_sum);
  }
  free(e);
  return status;
}
#endif /* !FSM_DTYPE_HALF */

#if defined(FSM_DTYPE_F32)
fsm_status fsm_f32_sample_row_core(const fsm_f32_kernels *k, const fsm_sampling_params *p,
                                   size_t n, const float *x, double u, int64_t *token) {
  return DRIVER(sample_core)(k, p, n, x, u, token);
}
#endif

typedef struct DRIVER(sample_call) {
  const KERNELS *k;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf; /* the rows run widened, on float32's kernels */
#endif
  fsm_sampling_params p;
  const double *uniforms;
  int64_t *tokens;
} DRIVER(sample_call);

static fsm_status DRIVER(sample_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(sample_call) *call = ctx;
#if defined(FSM_DTYPE_HALF)
  const S *x = ptr[0];
  float stack[HALF_ROW_STACK];
  float *w = DRIVER(widen_row)(call->k, n, 1, &x, stack);
  if (w == NULL) return FSM_OUT_OF_MEMORY;
  const fsm_status status =
      fsm_f32_sample_row_core(call->kf, &call->p, n, w, call->uniforms[r], &call->tokens[r]);
  DRIVER(row_scratch_free)(w, stack);
  return status;
#else
  return DRIVER(sample_core)(call->k, &call->p, n, ptr[0], call->uniforms[r], &call->tokens[r]);
#endif
}

fsm_status PUBLIC(sample)(size_t rows, size_t cols, const S *logits, size_t stride,
                          const fsm_sampling_params *params, const double *uniforms,
                          int64_t *tokens) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  status = fsm_check_matrix(rows, cols, logits, stride, sizeof(S));
  if (status != FSM_OK) return status;
  if (rows == 0) return FSM_OK;
  if (params == NULL || uniforms == NULL || tokens == NULL) return FSM_NULL_POINTER;
  const fsm_sampling_params p = *params;
  if (cols == 0 || !(p.temperature > 0 && p.temperature < INFINITY) ||
      !(p.top_p > 0 && p.top_p <= 1) || !(p.min_p >= 0 && p.min_p <= 1) || p.top_k > cols)
    return FSM_INVALID_ARGUMENT;
  for (size_t r = 0; r < rows; r++)
    if (!(uniforms[r] >= 0 && uniforms[r] < 1)) return FSM_INVALID_ARGUMENT;
#if defined(FSM_DTYPE_HALF)
  const fsm_f32_kernels *kf = fsm_f32_active_kernels(&status);
  if (kf == NULL) return status;
  const DRIVER(sample_call) call = {k, kf, p, uniforms, tokens};
#else
  const DRIVER(sample_call) call = {k, p, uniforms, tokens};
#endif
  const fsm_plan plan = {rows, cols, sizeof(S), 1, {(void *)logits}, {stride}, DRIVER(sample_row),
                         &call};
  return fsm_run_plan(&plan);
}

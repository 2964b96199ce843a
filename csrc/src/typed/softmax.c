/*
 * Softmax and log-softmax: the algorithm drivers, composed only from
 * kernel-table entries (no intrinsics, no ISA knowledge), and their public
 * entry points. Compiled once per dtype (dtype.h). The algorithms and
 * their accuracy: docs/math.md.
 */
#include "dtype.h"
#include "../threads.h"

#include <stdlib.h>

/* Did raddextexp stay in the domain where its (P, N) is exact? False for
 * rows with +inf, |x| beyond the domain, or all entries -inf (NaN-safe). */
int DRIVER(in_two_pass_domain)(fsm_extsum sum) {
  return sum.exponent >= EXT_NMIN && sum.exponent <= EXT_NMAX;
}

/* log sum exp(x) = N ln2 + log P (two-pass) as hi + lo for vsubc: hi the C
 * nearest to it, lo the rest, so that x - hi is exact wherever z = x - hi -
 * lo is small and lo is tiny. (hi = N LN2_HI, lo = N (ln2 - LN2_HI) + log P
 * rounded lo, about 5 for |x| near 16384, to C: 2^-22 in float, 8 u in z;
 * found by the fuzzer, tests/fuzz.) N FSM_LN2_HI_F64 is exact (|N| < 2^21). */
static void DRIVER(ext_log_split)(fsm_extsum sum, C *hi, C *lo) {
  const double hi_d = sum.exponent * FSM_LN2_HI_F64;
  const double lo_d = sum.exponent * FSM_LN2_LO_F64 + log(sum.mantissa);
  *hi = (C)(hi_d + lo_d);
  *lo = (C)((hi_d - (double)*hi) + lo_d); /* hi_d - hi: exact (Sterbenz) */
}

/* Do x and y of a call on rows x n elements fill the last-level cache?
 * Then its rows stream from memory: a row's first pass reads it from DRAM
 * even when the row alone would fit (the rows of a 32 x 128256 logits
 * matrix), and only a fused first pass overlaps that read with exps. */
int DRIVER(fills_llc)(size_t rows, size_t n) {
  return rows * n >= fsm_llc_bytes() / (2 * sizeof(S));
}

/* AUTO: the rule's algorithm from its min_cols elements (or when the call
 * streams, for a beyond_llc rule), three-pass reload below. */
fsm_algorithm DRIVER(auto_algorithm)(fsm_algorithm algorithm, fsm_auto_rule rule, size_t n,
                                     int streaming) {
  if (algorithm != FSM_ALGORITHM_AUTO) return algorithm;
  const int large = rule.beyond_llc ? streaming : n >= rule.min_cols;
  return large ? rule.algorithm : FSM_ALGORITHM_THREE_PASS_RELOAD;
}

#define FSM_ONLINE_BLOCK_BYTES 8192
#define FSM_ONLINE_CHUNKS 8
/* The blocked reload keeps each block's max for its scaling pass: at most
 * this many blocks (longer rows take longer blocks, in L2). */
#define FSM_RELOAD_MAX_BLOCKS 1024
#if defined(__GNUC__) || defined(__clang__)
#define FSM_PREFETCH(p) __builtin_prefetch((p), 0, 3)
#else
#define FSM_PREFETCH(p) ((void)(p))
#endif
#define ONLINE_BLOCK (FSM_ONLINE_BLOCK_BYTES / sizeof(S))

/* Online normaliser (docs/math.md) over blocks that stay in L1 or L2
 * between their two reads: the block's max, then its sum of exp(x - block
 * max) (stored in y too when y is not NULL), merged into the row's (max,
 * sum) by rescaling the smaller side with one exp per block. Memory sees x
 * once for both; the exps are the three-pass kernels'. A block whose max
 * is -inf is summed against 0 and not merged: its terms are 0 (an all -inf
 * prefix must not turn the sum into NaN through -inf - -inf), unless it
 * hides a NaN that the max dropped (x86 max returns its second operand on
 * NaN), which then poisons the sum as NaN and +inf do in the three-pass
 * form. The block's exps run in FSM_ONLINE_CHUNKS calls, each after
 * prefetching the matching part of the next block, so that memory streams
 * while the exps run: without it the next block's max pass waits for
 * memory alone (avx2, Zen 1, 16M floats: log-softmax 0.49 -> 0.55
 * elements/ns; 4 to 16 chunks, and prefetching into L2 instead of L1,
 * measured alike; bench/c/README.md). y (the exps, in the computing
 * type), if not NULL, receives exp(x - block max). block_max, if not NULL, receives
 * each block's max. Returns the row's max; *sum_out its sum of exp(x - max). */
static C DRIVER(online_pass)(const KERNELS *k, size_t n, const S *x, C *y, size_t block,
                             C *block_max, double *sum_out) {
  const size_t chunk_len = block / FSM_ONLINE_CHUNKS;
  C max = -(C)INFINITY;
  double sum = 0.0;
  for (size_t i = 0; i < n; i += block) {
    const size_t len = n - i < block ? n - i : block;
    const C m = k->rmax(len, x + i);
    if (block_max != NULL) *block_max++ = m;
    if (m == -(C)INFINITY) {
      sum += y != NULL ? k->raddstoreexp(len, x + i, 0, y + i) : k->raddexp(len, x + i, 0);
      continue;
    }
    const char *next = (const char *)(x + i + len);
    const size_t rest = n - i - len;
    const size_t next_bytes = (rest < block ? rest : block) * sizeof(S);
    double block_sum = 0.0;
    for (size_t j = 0; j < len; j += chunk_len) {
      const size_t c = len - j < chunk_len ? len - j : chunk_len;
      for (size_t b = j * sizeof(S); b < (j + c) * sizeof(S) && b < next_bytes; b += 64)
        FSM_PREFETCH(next + b);
      block_sum += y != NULL ? k->raddstoreexp(c, x + i + j, m, y + i + j)
                             : k->raddexp(c, x + i + j, m);
    }
    if (m > max) {
      sum = sum * exp((double)max - (double)m) + block_sum;
      max = m;
    } else {
      sum += block_sum * exp((double)m - (double)max);
    }
  }
  *sum_out = sum;
  return max;
}

/* The three-pass reload for streaming calls (fills_llc) on rows of two
 * blocks or more: the max pass
 * fused into the exp pass block by block (online_pass storing y = exp(x -
 * block max)), then each block scaled by exp(block max - max) / sum: 16
 * bytes per element instead of 20, one exp per element. avx2, Zen 1 (8 MiB
 * LLC), fsm_kernel_bench -a, two rounds, reload elements/ns plain ->
 * blocked: 1M 0.36-0.62 -> 0.62-0.68, 4M 0.38-0.44 -> 0.49-0.51, 16M
 * 0.40-0.42 -> 0.47-0.48, 64M 0.46 -> 0.46-0.47; in cache (64K) it lost
 * 6%, so shorter rows keep the three passes. A block's scale below 1 can
 * make outputs subnormal (not flushed, unlike the exp's). The exps go to
 * e (y itself where S = C; a float scratch for half storage). */
static void DRIVER(reload_blocked)(const KERNELS *k, size_t n, const S *x, C *e, S *y) {
  size_t block = ONLINE_BLOCK;
  if (n / block >= FSM_RELOAD_MAX_BLOCKS) block = (n / FSM_RELOAD_MAX_BLOCKS + 64) & ~(size_t)63;
  C block_max[FSM_RELOAD_MAX_BLOCKS];
  double sum;
  const C max = DRIVER(online_pass)(k, n, x, e, block, block_max, &sum);
  for (size_t i = 0, b = 0; i < n; i += block, b++) {
    const size_t len = n - i < block ? n - i : block;
    k->vscale(len, e + i, (C)(exp((double)block_max[b] - (double)max) / sum), y + i);
  }
}

/* ---- long rows in chunks (rows.h): states in parallel, merged in order */

/* A chunk's state: (max, sum exp(x - max)) or the two-pass (P, N). */
typedef struct DRIVER(chunk_state) {
  C max;
  double sum;
  fsm_extsum ext;
} DRIVER(chunk_state);

typedef struct DRIVER(chunked) {
  const KERNELS *k;
  fsm_algorithm algorithm; /* resolved; two-pass falls back to online */
  int log_out;
  int streaming; /* the call's x and y fill the LLC */
  size_t n, chunk;
  const S *x;
  S *y;
  C *e;        /* the reload's exps: y itself (S = C); NULL for half storage */
  DRIVER(chunk_state) st[FSM_MAX_CHUNKS];
  C max;       /* the merged state */
  double sum;
  fsm_extsum ext;
} DRIVER(chunked);

static void DRIVER(chunk_state_task)(void *ctx, size_t c) {
  DRIVER(chunked) *w = ctx;
  const KERNELS *k = w->k;
  const size_t off = c * w->chunk, len = w->n - off < w->chunk ? w->n - off : w->chunk;
  const S *x = w->x + off;
  DRIVER(chunk_state) *st = &w->st[c];
  if (w->algorithm == FSM_ALGORITHM_TWO_PASS) {
    st->ext = k->raddextexp(len, x);
  } else if (w->algorithm == FSM_ALGORITHM_ONLINE) {
    st->max = DRIVER(online_pass)(k, len, x, NULL, ONLINE_BLOCK, NULL, &st->sum);
  } else {
    /* a chunk of -inf only is summed against 0: its terms are 0 unless a
     * NaN hides there (online_pass's rule) */
    st->max = k->rmax(len, x);
    const C c0 = st->max == -(C)INFINITY ? (C)0 : st->max;
    st->sum = w->algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD && !w->log_out
                  ? k->raddstoreexp(len, x, c0, w->e + off)
                  : k->raddexp(len, x, c0);
  }
}

/* The chunks' states merged in chunk order (the same bits whichever
 * threads computed them). Returns 0 if a two-pass sum left its domain. */
static int DRIVER(chunks_merge)(DRIVER(chunked) *w, size_t chunks) {
  if (w->algorithm == FSM_ALGORITHM_TWO_PASS) {
    w->ext = FSM_EXTSUM_EMPTY;
    for (size_t c = 0; c < chunks; c++) fsm_extsum_add(&w->ext, w->st[c].ext.mantissa, w->st[c].ext.exponent);
    return DRIVER(in_two_pass_domain)(w->ext);
  }
  C max = -(C)INFINITY;
  double sum = 0.0;
  for (size_t c = 0; c < chunks; c++) {
    const C m = w->st[c].max;
    const double s = w->st[c].sum;
    if (m == -(C)INFINITY) {
      sum += s;
    } else if (m > max) {
      sum = sum * exp((double)max - (double)m) + s;
      max = m;
    } else {
      sum += s * exp((double)m - (double)max);  /* NaN max: NaN */
    }
  }
  w->max = max;
  w->sum = sum;
  return 1;
}

static void DRIVER(chunk_output_task)(void *ctx, size_t c) {
  DRIVER(chunked) *w = ctx;
  const KERNELS *k = w->k;
  const size_t off = c * w->chunk, len = w->n - off < w->chunk ? w->n - off : w->chunk;
  const S *x = w->x + off;
  S *y = w->y + off;
  if (w->algorithm == FSM_ALGORITHM_TWO_PASS) {
    if (w->log_out) {
      C hi, lo;
      DRIVER(ext_log_split)(w->ext, &hi, &lo);
      k->vsubc(len, x, hi, lo, y);
    } else {
      DRIVER(vscaleextexp_out)(k, w->streaming, len, x, (C)(1.0 / w->ext.mantissa),
                            (C)(-w->ext.exponent), y);
    }
  } else if (w->log_out) {
    k->vsubc(len, x, w->max, (C)log(w->sum), y);
  } else if (w->algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD) {
    /* y holds exp(x - chunk max): scale by exp(chunk max - max) / sum */
    k->vscale(len, w->e + off, (C)(exp((double)w->st[c].max - (double)w->max) / w->sum), y);
  } else {
    DRIVER(vscaleexp_out)(k, w->streaming, len, x, w->max, (C)(1.0 / w->sum), y);
  }
}

/* Softmax or log-softmax of one long row (n >= FSM_CHUNK_MIN_COLS) with a
 * resolved algorithm. */
static void DRIVER(chunked_row)(const KERNELS *k, fsm_algorithm algorithm, int log_out, size_t n,
                                const S *x, S *y, int streaming) {
  DRIVER(chunked) w;
  w.k = k;
  w.streaming = streaming;
  w.algorithm = algorithm == FSM_ALGORITHM_THREE_PASS_RECOMPUTE && log_out
                    ? FSM_ALGORITHM_THREE_PASS_RELOAD : algorithm;
  w.log_out = log_out;
  w.n = n;
  w.chunk = fsm_chunk_len(n);
  w.x = x;
  w.y = y;
#if defined(FSM_DTYPE_HALF)
  /* no scratch for a whole long row: its reload becomes online (x read
   * twice, nothing stored between the passes) */
  w.e = NULL;
  if (w.algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD) w.algorithm = FSM_ALGORITHM_ONLINE;
#else
  w.e = y;
#endif
  const size_t chunks = (n + w.chunk - 1) / w.chunk;
  fsm_parallel_for(chunks, DRIVER(chunk_state_task), &w);
  if (!DRIVER(chunks_merge)(&w, chunks)) {
    /* outside the two-pass domain (|x| huge, +inf, all -inf): online */
    w.algorithm = FSM_ALGORITHM_ONLINE;
    fsm_parallel_for(chunks, DRIVER(chunk_state_task), &w);
    DRIVER(chunks_merge)(&w, chunks);
  }
  fsm_parallel_for(chunks, DRIVER(chunk_output_task), &w);
}

/* One row of fewer than FSM_CHUNK_MIN_COLS with a resolved algorithm;
 * `streaming`: the call's x and y fill the LLC (fills_llc). The reload
 * keeps its exps in e (computing type). */
static void DRIVER(softmax_short_row)(const KERNELS *k, fsm_algorithm algorithm, size_t n,
                                      const S *x, C *e, S *y, int streaming) {
  if (algorithm == FSM_ALGORITHM_TWO_PASS) {
    /* pass 1: sum exp(x) = P * 2^N; pass 2: y = exp(x) * (1/P) * 2^-N */
    const fsm_extsum sum = k->raddextexp(n, x);
    if (DRIVER(in_two_pass_domain)(sum)) {
      DRIVER(vscaleextexp_out)(k, streaming, n, x, (C)(1.0 / sum.mantissa), (C)(-sum.exponent), y);
      return;
    }
    /* Rare rows (|x| > domain, +inf, all -inf): online keeps the
     * two-pass properties of writing y once and reading x twice. */
    algorithm = FSM_ALGORITHM_ONLINE;
  }
  if (algorithm == FSM_ALGORITHM_ONLINE) {
    double sum;
    const C max = DRIVER(online_pass)(k, n, x, NULL, ONLINE_BLOCK, NULL, &sum);
    DRIVER(vscaleexp_out)(k, streaming, n, x, max, (C)(1.0 / sum), y);
    return;
  }
  if (algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD && streaming && n >= 2 * ONLINE_BLOCK) {
    DRIVER(reload_blocked)(k, n, x, e, y);
    return;
  }
  const C max = k->rmax(n, x);
  if (algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD) {
    const double sum = k->raddstoreexp(n, x, max, e);
    k->vscale(n, e, (C)(1.0 / sum), y);
  } else {
    const double sum = k->raddexp(n, x, max);
    DRIVER(vscaleexp_out)(k, streaming, n, x, max, (C)(1.0 / sum), y);
  }
}

#if defined(FSM_DTYPE_HALF)
/* Half storage: the reload's exps stay in float, in a scratch (on the
 * stack up to HALF_STACK_EXPS elements, else malloc'd per row), so an
 * output is rounded to S once; without memory the row takes the
 * recompute, which stores nothing between passes. */
#define HALF_STACK_EXPS 4096
#endif

/* One row; `streaming`: the call's x and y fill the LLC (fills_llc). */
static void DRIVER(softmax_row)(const KERNELS *k, fsm_algorithm algorithm, size_t n,
                                const S *x, S *y, int streaming) {
  if (n == 0) return;
  algorithm = DRIVER(auto_algorithm)(algorithm, k->softmax_auto, n, streaming);
  if (n >= FSM_CHUNK_MIN_COLS) {
    DRIVER(chunked_row)(k, algorithm, 0, n, x, y, streaming);
    return;
  }
#if defined(FSM_DTYPE_HALF)
  C stack_e[HALF_STACK_EXPS];
  C *e = NULL, *heap_e = NULL;
  if (algorithm == FSM_ALGORITHM_THREE_PASS_RELOAD) {
    e = n <= HALF_STACK_EXPS ? stack_e : (heap_e = malloc(n * sizeof(C)));
    if (e == NULL) algorithm = FSM_ALGORITHM_THREE_PASS_RECOMPUTE;
  }
  DRIVER(softmax_short_row)(k, algorithm, n, x, e, y, streaming);
  free(heap_e);
#else
  DRIVER(softmax_short_row)(k, algorithm, n, x, y, y, streaming);
#endif
}

static void DRIVER(log_softmax_row)(const KERNELS *k, fsm_algorithm algorithm, size_t n,
                                    const S *x, S *y, int streaming) {
  if (n == 0) return;
  algorithm = DRIVER(auto_algorithm)(algorithm, k->log_softmax_auto, n, streaming);
  if (n >= FSM_CHUNK_MIN_COLS) {
    DRIVER(chunked_row)(k, algorithm, 1, n, x, y, streaming);
    return;
  }
  if (algorithm == FSM_ALGORITHM_TWO_PASS) {
    const fsm_extsum sum = k->raddextexp(n, x);
    if (DRIVER(in_two_pass_domain)(sum)) {
      /* z keeps C's precision even when |x| is large and z small */
      C hi, lo;
      DRIVER(ext_log_split)(sum, &hi, &lo);
      k->vsubc(n, x, hi, lo, y);
      return;
    }
  }
  /* The three-pass variants and online: (x - max) - log(sum exp(x - max)). */
  double sum;
  C max;
  if (algorithm == FSM_ALGORITHM_ONLINE) {
    max = DRIVER(online_pass)(k, n, x, NULL, ONLINE_BLOCK, NULL, &sum);
  } else {
    max = k->rmax(n, x);
    sum = k->raddexp(n, x, max);
  }
  k->vsubc(n, x, max, (C)log(sum), y);
}

/* One call: the table, the algorithm, and the row function. */
typedef struct DRIVER(softmax_call) {
  const KERNELS *k;
  fsm_algorithm algorithm;
  int streaming;
  void (*row)(const KERNELS *, fsm_algorithm, size_t, const S *, S *, int);
  int log_out; /* row is log_softmax_row */
} DRIVER(softmax_call);

static fsm_status DRIVER(softmax_plan_row)(const void *ctx, size_t r, size_t n, void *const *ptr) {
  const DRIVER(softmax_call) *c = ctx;
  (void)r;
  c->row(c->k, c->algorithm, n, ptr[0], ptr[1], c->streaming);
  return FSM_OK;
}

/* AUTO on rows of at most k->short_cols elements: k->softmax_short over
 * groups of rows, one call per SHORT_GROUP_ELEMS elements or so; the plan's
 * rows are the groups (its cols their elements, which only the executor's
 * work estimate reads). A row's values do not depend on its group. */
#define SHORT_GROUP_ELEMS 4096
typedef struct DRIVER(short_call) {
  const KERNELS *k;
  size_t rows, cols, group, x_stride, y_stride;
  int log_out;
} DRIVER(short_call);

static fsm_status DRIVER(short_plan_row)(const void *ctx, size_t g, size_t n, void *const *ptr) {
  const DRIVER(short_call) *c = ctx;
  const size_t left = c->rows - g * c->group;
  (void)n;
  c->k->softmax_short(left < c->group ? left : c->group, c->cols, ptr[0], c->x_stride, ptr[1],
                      c->y_stride, c->log_out);
  return FSM_OK;
}

static fsm_status DRIVER(run_short)(const KERNELS *k, int log_out, size_t rows, size_t cols,
                                    const S *x, size_t x_stride, S *y, size_t y_stride) {
  size_t group = SHORT_GROUP_ELEMS / cols;
  /* group <= rows - 1 or one group: group * stride stays within the
   * checked span (a single row's stride is not checked) */
  if (group >= rows) group = rows;
  const DRIVER(short_call) c = {k, rows, cols, group, x_stride, y_stride, log_out};
  const fsm_plan plan = {(rows + group - 1) / group, cols * group, sizeof(S), 2, {(void *)x, y},
                         {(ptrdiff_t)(x_stride * group), (ptrdiff_t)(y_stride * group)},
                         DRIVER(short_plan_row), &c};
  return fsm_run_plan(&plan);
}

/* The shared argument checks, then the plan. */
static fsm_status DRIVER(run)(DRIVER(softmax_call) call, size_t rows, size_t cols, const S *x,
                              size_t x_stride, S *y, size_t y_stride) {
  fsm_status status = fsm_check_matrix(rows, cols, x, x_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_matrix(rows, cols, y, y_stride, sizeof(S));
  if (status == FSM_OK) status = fsm_check_algorithm(call.algorithm);
  if (status != FSM_OK) return status;
  if (cols == 0 || rows == 0) return FSM_OK;
  if (call.algorithm == FSM_ALGORITHM_AUTO && cols <= call.k->short_cols)
    return DRIVER(run_short)(call.k, call.log_out, rows, cols, x, x_stride, y, y_stride);
  call.streaming = DRIVER(fills_llc)(rows, cols);
  const fsm_plan plan = {rows, cols, sizeof(S), 2, {(void *)x, y}, {x_stride, y_stride},
                         DRIVER(softmax_plan_row), &call};
  return fsm_run_plan(&plan);
}

fsm_status PUBLIC(softmax)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                           size_t y_stride, fsm_algorithm algorithm) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const DRIVER(softmax_call) call = {k, algorithm, 0, DRIVER(softmax_row), 0};
  return DRIVER(run)(call, rows, cols, x, x_stride, y, y_stride);
}

fsm_status PUBLIC(log_softmax)(size_t rows, size_t cols, const S *x, size_t x_stride, S *y,
                               size_t y_stride, fsm_algorithm algorithm) {
  fsm_status status;
  const KERNELS *k = ACTIVE_KERNELS(&status);
  if (k == NULL) return status;
  const DRIVER(softmax_call) call = {k, algorithm, 0, DRIVER(log_softmax_row), 1};
  return DRIVER(run)(call, rows, cols, x, x_stride, y, y_stride);
}

/* softmax_short: softmax or log-softmax of many short rows in one call,
 * each row held in vector registers from its one read to its one write.
 *
 * Below FSM_SHORT_COLS elements a row's three kernel calls, the driver's
 * per-row steps and two horizontal reductions cost more than its
 * arithmetic (a 16-float row took 33 ns through them on Zen 3, its exps
 * about 3): here the row is loaded once, its max reduced, the exps summed
 * in double lanes (the three-pass kernels' accumulation, so the sum's
 * accuracy is theirs) and the outputs stored from the same registers. The
 * formulas are the three-pass reload's, exp(x - max) by the three-pass exp
 * times (C)(1 / sum), log-softmax (x - max) - log(sum); the values may
 * differ from the reload's in the last bits (the sum's order of additions,
 * fsm_log_sum_f64 for libm's log), within the same bounds. */
#include "generic.h"

#include <math.h>

#include "../fsm_math.h"

/* a row's log(sum): libm's for float64, whose precision the polynomial lacks */
#if defined(FSM_DTYPE_F64)
#define LOG_SUM log
#else
#define LOG_SUM fsm_log_sum_f64
#endif

#define SHORT_VECS ((FSM_SHORT_COLS + FSM_VEC_LANES - 1) / FSM_VEC_LANES)
#define SUM_CHAINS (FSM_VEC_LANES == 1 ? FSM_VEC_ACCS : 1)

/* R rows of n elements (n in (nv - 1) * lanes + 1 .. nv * lanes), each
 * step for all R rows before the next: a row alone is one long chain of
 * latencies (max across lanes, exp, sum across lanes, a division), and R
 * independent chains side by side keep the pipes busy. With nv and R
 * constants at the call site, v[][] lives in registers. */
static inline __attribute__((always_inline)) void short_block(size_t R, size_t nv, size_t last,
                                                               const S *x, size_t xs, S *y,
                                                               size_t ys, int log_out) {
  const size_t w = FSM_VEC_LANES;
  fsm_vf v[4][SHORT_VECS];
  C k[4];
#pragma GCC unroll 4
  for (size_t r = 0; r < R; r++) {
    const S *xr = x + r * xs;
    /* FSM_VEC_ACCS chains for the max, SUM_CHAINS for the sum (the scalar
     * build's 64 one-lane vectors would otherwise be one long chain) */
    fsm_vf m[FSM_VEC_ACCS];
#pragma GCC unroll 16
    for (size_t a = 0; a < FSM_VEC_ACCS; a++) m[a] = fsm_vset1(-(C)INFINITY);
#pragma GCC unroll 16
    for (size_t j = 0; j + 1 < nv; j++) {
      v[r][j] = fsm_vload(xr + j * w);
      m[j % FSM_VEC_ACCS] = fsm_vmax(m[j % FSM_VEC_ACCS], v[r][j]);
    }
    /* the tail's other lanes -inf: their exps are 0 */
    v[r][nv - 1] = last == w ? fsm_vload(xr + (nv - 1) * w)
                             : fsm_vload_tail_fill(xr + (nv - 1) * w, last, -(C)INFINITY);
    m[(nv - 1) % FSM_VEC_ACCS] = fsm_vmax(m[(nv - 1) % FSM_VEC_ACCS], v[r][nv - 1]);
#pragma GCC unroll 16
    for (size_t a = 1; a < FSM_VEC_ACCS && a < nv; a++) m[0] = fsm_vmax(m[0], m[a]);
    const fsm_vf max = fsm_vset1(fsm_vreduce_max(m[0]));
    fsm_vsumd acc[SUM_CHAINS];
#pragma GCC unroll 16
    for (size_t a = 0; a < SUM_CHAINS && a < nv; a++) acc[a] = fsm_vsumd_zero();
#pragma GCC unroll 16
    for (size_t j = 0; j < nv; j++) {
      const fsm_vf d = fsm_vsub(v[r][j], max), e = fsm_vexp_nonpositive(d);
      v[r][j] = log_out ? d : e;
      fsm_vsumd_add(&acc[j % SUM_CHAINS], e);
    }
    double lanes[SUM_CHAINS][FSM_VEC_LANES];
#pragma GCC unroll 16
    for (size_t a = 0; a < SUM_CHAINS && a < nv; a++) fsm_vsumd_store(lanes[a], acc[a]);
#pragma GCC unroll 16
    for (size_t a = 1; a < SUM_CHAINS && a < nv; a++)
      for (size_t l = 0; l < w; l++) lanes[0][l] += lanes[a][l];
    for (size_t h = w / 2; h >= 1; h /= 2) /* pairwise: a short chain */
      for (size_t l = 0; l < h; l++) lanes[0][l] += lanes[0][l + h];
    const double sum = lanes[0][0];
    /* log-softmax: (x - max) - log(sum); softmax: exp(x - max) / sum */
    k[r] = log_out ? (C)LOG_SUM(sum) : (C)(1.0 / sum);
  }
#pragma GCC unroll 4
  for (size_t r = 0; r < R; r++) {
    S *yr = y + r * ys;
    const fsm_vf kv = fsm_vset1(k[r]);
#pragma GCC unroll 16
    for (size_t j = 0; j + 1 < nv; j++)
      fsm_vstore(yr + j * w, log_out ? fsm_vsub(v[r][j], kv) : fsm_vmul(v[r][j], kv));
    const fsm_vf t = log_out ? fsm_vsub(v[r][nv - 1], kv) : fsm_vmul(v[r][nv - 1], kv);
    if (last == w)
      fsm_vstore(yr + (nv - 1) * w, t);
    else
      fsm_vstore_tail(yr + (nv - 1) * w, last, t);
  }
}

/* every row, in blocks of R (4 rows of up to 2 vectors, 2 of 3-4, else 1:
 * at most 8 vectors of rows held) */
static inline __attribute__((always_inline)) void short_rows(size_t nv, size_t rows, size_t n,
                                                              const S *x, size_t xs, S *y,
                                                              size_t ys, int log_out) {
  const size_t last = n - (nv - 1) * FSM_VEC_LANES; /* elements in the last vector: 1 .. lanes */
  const size_t R = nv <= 2 ? 4 : nv <= 4 ? 2 : 1;
  size_t r = 0;
  for (; r + R <= rows; r += R) short_block(R, nv, last, x + r * xs, xs, y + r * ys, ys, log_out);
  for (; r < rows; r++) short_block(1, nv, last, x + r * xs, xs, y + r * ys, ys, log_out);
}

void FSM_GENERIC_KERNEL(softmax_short)(size_t rows, size_t n, const S *x, size_t xs, S *y,
                                       size_t ys, int log_out) {
  const size_t nv = (n + FSM_VEC_LANES - 1) / FSM_VEC_LANES;
  if (nv == 0 || nv > SHORT_VECS) return; /* n == 0, or beyond the contract */
#if defined(FSM_SHORT_NARROW_COLS)
  /* rows that fill at most half a vector: a narrower ISA's kernel, whose
   * vectors they fill (vec.h) */
  if (n <= FSM_SHORT_NARROW_COLS) {
    FSM_SHORT_NARROW_KERNEL(rows, n, x, xs, y, ys, log_out);
    return;
  }
#endif
  /* one specialisation per vector count up to 8 (constant loops, registers) */
  switch (nv) {
#define FSM_SHORT_CASE(c) \
  case c: short_rows(c, rows, n, x, xs, y, ys, log_out); return;
    FSM_SHORT_CASE(1)
#if SHORT_VECS >= 4
    FSM_SHORT_CASE(2) FSM_SHORT_CASE(3) FSM_SHORT_CASE(4)
#endif
#if SHORT_VECS >= 8
    FSM_SHORT_CASE(5) FSM_SHORT_CASE(6) FSM_SHORT_CASE(7) FSM_SHORT_CASE(8)
#endif
#undef FSM_SHORT_CASE
    default: short_rows(nv, rows, n, x, xs, y, ys, log_out); return;
  }
}

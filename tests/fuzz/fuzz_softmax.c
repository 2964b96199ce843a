/*
 * Differential fuzz target (issue 19): every algorithm x every ISA this
 * machine runs x softmax / log-softmax x float32 / float64, on rows the
 * fuzzer makes, against a float64 (float32 input) or long double (float64
 * input) reference and the README's documented bounds. Also: in place
 * gives the out-of-place bits, and the gap between strided rows is never
 * written. Any violation aborts (libFuzzer saves the input).
 *
 * Built two ways (tests/fuzz/CMakeLists.txt): as a libFuzzer target with
 * clang (FASTSOFTMAX_FUZZ=ON; .ci/robustness.sh runs it for 60 s), and,
 * with any compiler, linked with replay.c, which runs the seed corpus and
 * a fixed set of pseudo-random inputs under ctest. tests/fuzz/README.md.
 *
 * Input: a 6-byte header, then the element stream.
 *   h0  bits 0-1: rows - 1; bits 2-3: the mode (0, 3: scaled bytes, 1:
 *       scaled bytes with special values, 2: raw float32 bit patterns);
 *       bits 4-7: the gap between rows (stride = cols + gap)
 *   h1 h2  cols = (h1 | h2 << 8) % 5000 (several 8 KiB online blocks)
 *   h3  scale = 2^((h3 % 72) - 24)
 *   h4  offset: one of OFFSETS
 *   h5  a special value placed in the first row (mode 1), the seed that
 *       continues the element stream once the input is used up, and the
 *       ISA: h5 % (the number of ISAs here), all of them under replay.c
 *       (fsm_fuzz_exhaustive), so that libFuzzer runs several times more
 *       inputs per second. float64 runs once per input (its kernels are
 *       portable C on every ISA).
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fastsoftmax.h"

#define MAX_COLS 5000
#define MAX_ROWS 4
#define MAX_GAP 15

static const double OFFSETS[] = {0.0,     1.0,     -1.0,     88.0,    -88.0,  103.0,   -104.0,
                                 16384.0, -16384.0, 16256.0, -16256.0, 1e4,   -1e4,    1e7,
                                 -1e7,    1e30,    -1e30,   3e38,    -3e38,  0.5,     -87.3};
#define N_OFFSETS (sizeof OFFSETS / sizeof OFFSETS[0])

static const float SPECIALS[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, FLT_MAX, -FLT_MAX,
                                 FLT_MIN, 1e-45f, -1e-45f, 16384.0f, 16384.5f, -16384.5f,
                                 88.7f, -87.4f, -103.9f, 3e38f, -3e38f};
#define N_SPECIALS (sizeof SPECIALS / sizeof SPECIALS[0])

static const fsm_algorithm ALGORITHMS[] = {FSM_ALGORITHM_AUTO, FSM_ALGORITHM_THREE_PASS_RELOAD,
                                           FSM_ALGORITHM_THREE_PASS_RECOMPUTE,
                                           FSM_ALGORITHM_TWO_PASS, FSM_ALGORITHM_ONLINE};
#define N_ALGORITHMS (sizeof ALGORITHMS / sizeof ALGORITHMS[0])

/* The element stream: the input's bytes, then a PRNG seeded from them. */
typedef struct stream {
  const uint8_t *p;
  size_t n, i;
  uint64_t s;
} stream;

static uint8_t next_byte(stream *st) {
  if (st->i < st->n) return st->p[st->i++];
  st->s ^= st->s << 13;
  st->s ^= st->s >> 7;
  st->s ^= st->s << 17;
  return (uint8_t)(st->s >> 32);
}

static float next_value(stream *st, int mode, double scale, double offset) {
  if (mode == 2) {
    uint32_t bits = 0;
    for (int k = 0; k < 4; k++) bits |= (uint32_t)next_byte(st) << (8 * k);
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
  }
  const uint8_t a = next_byte(st), b = next_byte(st);
  if (mode == 1 && a < 24) return SPECIALS[a % N_SPECIALS];
  return (float)(((double)b - 127.5) * scale + offset);
}

/* The input of the failing element, and its row's length and max. */
static double g_x_at = NAN, g_max_at = NAN;
static size_t g_cols = 0;

static void fail(const char *what, const char *isa, fsm_algorithm a, size_t r, size_t i,
                 double got, double ref, double tol) {
  fprintf(stderr, "fuzz_softmax: %s isa=%s algorithm=%s row=%zu col=%zu (of %zu; x %.9g, row max "
          "%.9g): got %.17g ref %.17g tol %.3g\n", what, isa, fsm_algorithm_name(a), r, i, g_cols,
          g_x_at, g_max_at, got, ref, tol);
  abort();
}

/* |got - ref| <= tol, NaN and infinities exact (ref rounded to the output
 * type first: a log-softmax beyond its range is -inf). */
static int close_enough(double got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  if (isinf(ref)) return got == ref;
  return fabs(got - ref) <= tol;
}

/* Row references: p (softmax), z (log-softmax) and the spread |x - max|. */
static void reference_f32(size_t n, const float *x, double *p, double *z) {
  double m = -INFINITY, s = 0.0; /* NaN, +inf, all -inf: x - m or the sum is NaN */
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  for (size_t i = 0; i < n; i++) s += exp((double)x[i] - m);
  for (size_t i = 0; i < n; i++) {
    p[i] = exp((double)x[i] - m) / s;
    z[i] = ((double)x[i] - m) - log(s);
  }
}

static void reference_f64(size_t n, const double *x, double *p, double *z) {
  long double m = -INFINITY, s = 0.0L;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  for (size_t i = 0; i < n; i++) s += expl((long double)x[i] - m);
  for (size_t i = 0; i < n; i++) {
    p[i] = (double)(expl((long double)x[i] - m) / s);
    z[i] = (double)(((long double)x[i] - m) - logl(s));
  }
}

static double spread_of(double x, double max) {
  const double d = fabs(x - max);
  return isfinite(d) ? d : 0.0;
}

static float xf[MAX_ROWS * (MAX_COLS + MAX_GAP)], yf[MAX_ROWS * (MAX_COLS + MAX_GAP)],
    wf[MAX_ROWS * (MAX_COLS + MAX_GAP)];
static double xd[MAX_ROWS * (MAX_COLS + MAX_GAP)], yd[MAX_ROWS * (MAX_COLS + MAX_GAP)],
    wd[MAX_ROWS * (MAX_COLS + MAX_GAP)];
static double pf[MAX_ROWS * MAX_COLS], zf[MAX_ROWS * MAX_COLS], pd[MAX_ROWS * MAX_COLS],
    zd[MAX_ROWS * MAX_COLS], maxf[MAX_ROWS], maxd[MAX_ROWS];

#define SENTINEL_F 1234.5f
#define SENTINEL_D -4321.25

static void check_f32(const char *isa, fsm_algorithm a, int log_out, size_t rows, size_t cols,
                      size_t stride) {
  const double u = 0x1p-24;
  const double logc = log((double)(cols ? cols : 1));
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < stride; i++) {
      const double got = yf[r * stride + i];
      if (i >= cols) {
        if (yf[r * stride + i] != SENTINEL_F) fail("gap written (f32)", isa, a, r, i, got, 0, 0);
        continue;
      }
      const double ref = log_out ? (double)(float)zf[r * cols + i] : pf[r * cols + i];
      const double tol =
          log_out ? 4.0 * u * (fabs(zf[r * cols + i]) + logc + 1.0)
                  : (8.0 + spread_of(xf[r * stride + i], maxf[r])) * u * pf[r * cols + i] + FLT_MIN;
      if (!close_enough(got, ref, tol)) {
        g_x_at = xf[r * stride + i];
        g_max_at = maxf[r];
        g_cols = cols;
        fail(log_out ? "log_softmax f32" : "softmax f32", isa, a, r, i, got, ref, tol);
      }
    }
  }
}

static void check_f64(const char *isa, fsm_algorithm a, int log_out, size_t rows, size_t cols,
                      size_t stride) {
  const double u = 0x1p-53;
  const double logc = log((double)(cols ? cols : 1));
  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < stride; i++) {
      const double got = yd[r * stride + i];
      if (i >= cols) {
        if (yd[r * stride + i] != SENTINEL_D) fail("gap written (f64)", isa, a, r, i, got, 0, 0);
        continue;
      }
      const double ref = log_out ? zd[r * cols + i] : pd[r * cols + i];
      const double tol =
          log_out ? 64.0 * u * (fabs(zd[r * cols + i]) + logc + 1.0)
                  : (64.0 + 2.0 * spread_of(xd[r * stride + i], maxd[r])) * u * pd[r * cols + i] +
                        1e-300;
      if (!close_enough(got, ref, tol)) {
        g_x_at = xd[r * stride + i];
        g_max_at = maxd[r];
        g_cols = cols;
        fail(log_out ? "log_softmax f64" : "softmax f64", isa, a, r, i, got, ref, tol);
      }
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every ISA for every input (replay.c sets it); else the one h5 picks. */
int fsm_fuzz_exhaustive = 0;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 6) return 0;
  const size_t rows = 1 + (data[0] & 3u);
  const int mode = (data[0] >> 2) & 3;
  const size_t gap = (data[0] >> 4) % (MAX_GAP + 1);
  const size_t cols = ((size_t)data[1] | ((size_t)data[2] << 8)) % MAX_COLS;
  const double scale = ldexp(1.0, (int)(data[3] % 72) - 24);
  const double offset = OFFSETS[data[4] % N_OFFSETS];
  const size_t stride = cols + gap;
  stream st = {data + 6, size - 6, 0, 0x9E3779B97F4A7C15ull ^ ((uint64_t)data[5] << 17) ^ size};
  if (st.s == 0) st.s = 1;

  for (size_t r = 0; r < rows; r++) {
    for (size_t i = 0; i < stride; i++) {
      const float v = i < cols ? next_value(&st, mode == 3 ? 0 : mode, scale, offset) : 777.0f;
      xf[r * stride + i] = v;
      xd[r * stride + i] = (double)v;
    }
  }
  if (mode == 1 && cols > 0) xf[data[5] % cols] = xd[data[5] % cols] = SPECIALS[data[5] % N_SPECIALS];
  for (size_t r = 0; r < rows; r++) {
    reference_f32(cols, xf + r * stride, pf + r * cols, zf + r * cols);
    reference_f64(cols, xd + r * stride, pd + r * cols, zd + r * cols);
    float mf = -INFINITY;
    double md = -INFINITY;
    for (size_t i = 0; i < cols; i++) {
      mf = xf[r * stride + i] > mf ? xf[r * stride + i] : mf;
      md = xd[r * stride + i] > md ? xd[r * stride + i] : md;
    }
    maxf[r] = mf;
    maxd[r] = md;
  }

  int isas[FSM_ISA_COUNT], n_isas = 0;
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++)
    if (fsm_isa_supported((fsm_isa)v)) isas[n_isas++] = v;
  if (!fsm_fuzz_exhaustive) {
    isas[0] = isas[data[5] % n_isas];
    n_isas = 1;
  }
  for (int iv = 0; iv < n_isas; iv++) {
    const int v = isas[iv], f64 = iv == 0;
    if (fsm_set_thread_isa((fsm_isa)v) != FSM_OK) abort();
    const char *isa = fsm_isa_name((fsm_isa)v);
    for (size_t k = 0; k < N_ALGORITHMS; k++) {
      const fsm_algorithm a = ALGORITHMS[k];
      for (int log_out = 0; log_out < 2; log_out++) {
        for (size_t j = 0; j < rows * stride; j++) {
          yf[j] = SENTINEL_F;
          yd[j] = SENTINEL_D;
        }
        fsm_status s32 = log_out ? fsm_log_softmax_f32(rows, cols, xf, stride, yf, stride, a)
                                 : fsm_softmax_f32(rows, cols, xf, stride, yf, stride, a);
        fsm_status s64 = !f64 ? FSM_OK
                         : log_out ? fsm_log_softmax_f64(rows, cols, xd, stride, yd, stride, a)
                                   : fsm_softmax_f64(rows, cols, xd, stride, yd, stride, a);
        if (s32 != FSM_OK || s64 != FSM_OK) fail("status", isa, a, 0, 0, s32, s64, 0);
        check_f32(isa, a, log_out, rows, cols, stride);
        if (f64) check_f64(isa, a, log_out, rows, cols, stride);
        /* in place: the same bits as out of place */
        memcpy(wf, xf, rows * stride * sizeof(float));
        s32 = log_out ? fsm_log_softmax_f32(rows, cols, wf, stride, wf, stride, a)
                      : fsm_softmax_f32(rows, cols, wf, stride, wf, stride, a);
        if (f64) {
          memcpy(wd, xd, rows * stride * sizeof(double));
          s64 = log_out ? fsm_log_softmax_f64(rows, cols, wd, stride, wd, stride, a)
                        : fsm_softmax_f64(rows, cols, wd, stride, wd, stride, a);
        }
        if (s32 != FSM_OK || s64 != FSM_OK) fail("status in place", isa, a, 0, 0, s32, s64, 0);
        for (size_t r = 0; r < rows; r++) {
          if (memcmp(wf + r * stride, yf + r * stride, cols * sizeof(float)) != 0)
            fail("in place differs (f32)", isa, a, r, 0, 0, 0, 0);
          if (f64 && memcmp(wd + r * stride, yd + r * stride, cols * sizeof(double)) != 0)
            fail("in place differs (f64)", isa, a, r, 0, 0, 0, 0);
        }
      }
    }
  }
  fsm_set_thread_isa(FSM_ISA_AUTO);
  return 0;
}

/*
 * The public API end to end: every algorithm under every ISA this machine
 * can run (forced with fsm_set_isa), strided rows, in place, special rows,
 * float64, and each error status.
 */
#include "test_util.h" /* first: _DEFAULT_SOURCE, for setenv too */
#include "fastsoftmax.h"
#include "kernels.h" /* internal: which table the API really uses */

static const fsm_algorithm ALGORITHMS[] = {FSM_ALGORITHM_AUTO, FSM_ALGORITHM_THREE_PASS_RELOAD,
                                           FSM_ALGORITHM_THREE_PASS_RECOMPUTE,
                                           FSM_ALGORITHM_TWO_PASS, FSM_ALGORITHM_ONLINE};

/* float64 reference of one row: softmax and log-softmax. */
static void reference(size_t n, const float *x, double *p, double *z) {
  double m = -INFINITY, s = 0.0;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  for (size_t i = 0; i < n; i++) s += exp((double)x[i] - m);
  for (size_t i = 0; i < n; i++) {
    p[i] = exp((double)x[i] - m) / s;
    z[i] = ((double)x[i] - m) - log(s);
  }
}

static int same_or_close(double got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  if (isinf(ref)) return got == ref;
  return fabs(got - ref) <= tol;
}

static void check_rows(const char *isa, fsm_algorithm a, size_t rows, size_t cols, const float *x,
                       size_t stride, double spread) {
  float *y = malloc((rows * stride + 1) * sizeof(float));
  float *z = malloc((rows * stride + 1) * sizeof(float));
  double *p_ref = malloc((cols + 1) * sizeof(double)), *z_ref = malloc((cols + 1) * sizeof(double));
  CHECK(fsm_softmax_f32(rows, cols, x, stride, y, stride, a) == FSM_OK, "softmax status");
  CHECK(fsm_log_softmax_f32(rows, cols, x, stride, z, stride, a) == FSM_OK, "log_softmax status");
  for (size_t r = 0; r < rows; r++) {
    reference(cols, x + r * stride, p_ref, z_ref);
    for (size_t i = 0; i < cols; i++) {
      const double tp = 8e-7 * (1.0 + spread) * fabs(p_ref[i]) + FLT_MIN;
      const double tz = 6e-7 * (1.0 + fabs(z_ref[i]));
      CHECK(same_or_close(y[r * stride + i], p_ref[i], tp), "%s %s softmax r=%zu i=%zu: %.9g vs %.9g",
            isa, fsm_algorithm_name(a), r, i, y[r * stride + i], p_ref[i]);
      CHECK(same_or_close(z[r * stride + i], z_ref[i], tz), "%s %s log_softmax r=%zu i=%zu: %.9g vs %.9g",
            isa, fsm_algorithm_name(a), r, i, z[r * stride + i], z_ref[i]);
    }
  }
  free(y);
  free(z);
  free(p_ref);
  free(z_ref);
}

static void test_algorithms(const char *isa) {
  enum { ROWS = 5, COLS = 77, STRIDE = 80 };
  float x[ROWS * STRIDE];
  for (size_t i = 0; i < ROWS * STRIDE; i++) x[i] = (float)(20.0 * rng_uniform() - 10.0);
  /* special rows: a -inf mask, a NaN, +inf, all -inf, offset 1e30 */
  x[1 * STRIDE + 4] = -INFINITY;
  x[2 * STRIDE + 9] = NAN;
  x[3 * STRIDE + 0] = INFINITY;
  for (size_t i = 0; i < COLS; i++) x[4 * STRIDE + i] = 1e30f + (float)i * 1e24f;
  for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++) {
    check_rows(isa, ALGORITHMS[a], ROWS, COLS, x, STRIDE, 20.0);
    /* in place */
    float w[COLS];
    memcpy(w, x, sizeof w);
    CHECK(fsm_softmax_f32(1, COLS, w, COLS, w, COLS, ALGORITHMS[a]) == FSM_OK, "in place status");
    float o[COLS];
    fsm_softmax_f32(1, COLS, x, COLS, o, COLS, ALGORITHMS[a]);
    CHECK(memcmp(w, o, sizeof o) == 0, "%s in place differs", isa);
  }
  /* all -inf row gives NaN, as the float64 reference does */
  float all_ninf[3] = {-INFINITY, -INFINITY, -INFINITY}, out[3];
  for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++) {
    fsm_softmax_f32(1, 3, all_ninf, 3, out, 3, ALGORITHMS[a]);
    CHECK(isnan(out[0]) && isnan(out[1]) && isnan(out[2]), "%s all -inf row", isa);
  }
}

/* Rows spanning several blocks of the online algorithm (8 KiB = 2048
 * floats): a max that grows block by block, a first block of -inf only, a
 * -inf run across a block boundary, one dominant last element, a NaN
 * among -inf. Every
 * algorithm runs them (AUTO switches algorithm at long rows on some ISAs). */
static void test_long_rows(const char *isa) {
  enum { BLOCK = 2048, ROWS = 5, COLS = 3 * BLOCK + 5 };
  float *x = malloc(ROWS * COLS * sizeof(float));
  for (size_t i = 0; i < COLS; i++) {
    x[i] = (float)(60.0 * i / COLS - 30.0);
    x[COLS + i] = i < BLOCK ? -INFINITY : (float)(20.0 * rng_uniform() - 10.0);
    x[2 * COLS + i] = (i >= BLOCK / 2 && i < 2 * BLOCK + 7) ? -INFINITY : (float)(6.0 * rng_uniform());
    x[3 * COLS + i] = i == COLS - 1 ? 90.0f : (float)(6.0 * rng_uniform() - 60.0);
    /* a NaN hidden in a block of -inf (a max pass may drop it): all NaN */
    x[4 * COLS + i] = (i >= BLOCK && i < 2 * BLOCK) ? (i == BLOCK + 9 ? NAN : -INFINITY)
                                                    : (float)(4.0 * rng_uniform());
  }
  for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++)
    check_rows(isa, ALGORITHMS[a], ROWS, COLS, x, COLS, 60.0);
  free(x);
}

static void test_errors(void) {
  float x[8] = {0}, y[8];
  CHECK(fsm_softmax_f32(2, 4, NULL, 4, y, 4, FSM_ALGORITHM_AUTO) == FSM_NULL_POINTER, "NULL x");
  CHECK(fsm_softmax_f32(2, 4, x, 4, NULL, 4, FSM_ALGORITHM_AUTO) == FSM_NULL_POINTER, "NULL y");
  CHECK(fsm_softmax_f32(0, 4, NULL, 4, NULL, 4, FSM_ALGORITHM_AUTO) == FSM_OK, "empty is fine");
  CHECK(fsm_softmax_f32(2, 4, x, 3, y, 4, FSM_ALGORITHM_AUTO) == FSM_INVALID_STRIDE, "stride");
  CHECK(fsm_log_softmax_f32(2, 4, x, 4, y, 2, FSM_ALGORITHM_AUTO) == FSM_INVALID_STRIDE, "stride y");
  CHECK(fsm_softmax_f32(2, 4, x, 4, y, 4, (fsm_algorithm)17) == FSM_UNKNOWN_ALGORITHM, "algo");
  CHECK(fsm_softmax_f32(SIZE_MAX / 2, 4, x, SIZE_MAX / 4, y, SIZE_MAX / 4, FSM_ALGORITHM_AUTO) ==
            FSM_SIZE_OVERFLOW, "overflow");
  CHECK(fsm_set_isa((fsm_isa)99) == FSM_UNKNOWN_ISA, "unknown isa");
  CHECK(fsm_isa_name((fsm_isa)99) == NULL, "isa name");
  CHECK(strcmp(fsm_status_string(FSM_INVALID_STRIDE), "success") != 0, "status string");
  fsm_isa parsed;
  CHECK(fsm_isa_from_name("avx512", &parsed) == FSM_OK && parsed == FSM_ISA_AVX512, "parse");
  CHECK(fsm_isa_from_name("sse9", &parsed) == FSM_UNKNOWN_ISA, "parse unknown");
  CHECK(strcmp(fsm_version(), FSM_VERSION_STRING) == 0, "version");
}

static void test_f64(void) {
  enum { N = 50 };
  double x[N], y[N], z[N];
  for (int i = 0; i < N; i++) x[i] = 40.0 * rng_uniform() - 20.0;
  x[7] = -INFINITY;
  for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++) {
    CHECK(fsm_softmax_f64(1, N, x, N, y, N, ALGORITHMS[a]) == FSM_OK, "f64 status");
    CHECK(fsm_log_softmax_f64(1, N, x, N, z, N, ALGORITHMS[a]) == FSM_OK, "f64 status");
    double m = -INFINITY, s = 0.0;
    for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m;
    for (int i = 0; i < N; i++) s += exp(x[i] - m);
    for (int i = 0; i < N; i++) {
      const double p = exp(x[i] - m) / s, lz = (x[i] - m) - log(s);
      CHECK(fabs(y[i] - p) <= 1e-14 * p, "f64 softmax %s i=%d", fsm_algorithm_name(ALGORITHMS[a]), i);
      CHECK(same_or_close(z[i], lz, 1e-13 * (1 + fabs(lz))), "f64 log_softmax i=%d", i);
    }
  }
}

/* Rows long enough to be cut into chunks (FSM_CHUNK_MIN_COLS and more):
 * the block patterns of test_long_rows at chunk scale, against float64;
 * and the same bits at 1, 2 and 3 threads for softmax, log-softmax, both
 * VJPs and a normalised map, in every algorithm. */
static void test_chunked_rows(const char *isa) {
  enum { CHUNK = 32768, ROWS = 5, COLS = 4 * CHUNK + 77 };
  const size_t total = (size_t)ROWS * COLS;
  float *x = malloc(total * sizeof(float));
  float *out[3], *dy = malloc(total * sizeof(float));
  for (int t = 0; t < 3; t++) out[t] = malloc(total * sizeof(float));
  for (size_t i = 0; i < COLS; i++) {
    x[i] = (float)(60.0 * i / COLS - 30.0);
    x[COLS + i] = i < CHUNK ? -INFINITY : (float)(20.0 * rng_uniform() - 10.0);
    x[2 * COLS + i] = (i >= CHUNK / 2 && i < 2 * CHUNK + 7) ? -INFINITY : (float)(6.0 * rng_uniform());
    x[3 * COLS + i] = i == COLS - 1 ? 90.0f : (float)(6.0 * rng_uniform() - 60.0);
    x[4 * COLS + i] = (i >= CHUNK && i < 2 * CHUNK) ? (i == CHUNK + 9 ? NAN : -INFINITY)
                                                    : (float)(4.0 * rng_uniform());
  }
  for (size_t i = 0; i < total; i++) dy[i] = (float)(rng_uniform() - 0.5);
  for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++) {
    check_rows(isa, ALGORITHMS[a], ROWS, COLS, x, COLS, 60.0);
    for (int f = 0; f < 2; f++) {
      for (int t = 0; t < 3; t++) {
        CHECK(fsm_set_num_threads((size_t)t + 1) == FSM_OK, "set threads");
        fsm_status s = f == 0 ? fsm_softmax_f32(ROWS, COLS, x, COLS, out[t], COLS, ALGORITHMS[a])
                              : fsm_log_softmax_f32(ROWS, COLS, x, COLS, out[t], COLS, ALGORITHMS[a]);
        CHECK(s == FSM_OK, "status");
        /* one row alone: its chunks, not the rows, go to the threads */
        s = f == 0 ? fsm_softmax_f32(1, COLS, x, COLS, out[t] + COLS, COLS, ALGORITHMS[a])
                   : fsm_log_softmax_f32(1, COLS, x, COLS, out[t] + COLS, COLS, ALGORITHMS[a]);
        CHECK(s == FSM_OK, "status");
      }
      CHECK(memcmp(out[0], out[1], total * sizeof(float)) == 0 &&
                memcmp(out[0], out[2], total * sizeof(float)) == 0,
            "%s %s %s: results depend on the thread count", isa, fsm_algorithm_name(ALGORITHMS[a]),
            f == 0 ? "softmax" : "log_softmax");
    }
  }
  /* the VJPs and a map: reduce then write, chunked */
  for (int f = 0; f < 3; f++) {
    for (int t = 0; t < 3; t++) {
      fsm_set_num_threads((size_t)t + 1);
      fsm_status s;
      if (f == 0) s = fsm_softmax_backward_f32(1, COLS, x + 3 * COLS, COLS, dy, COLS, out[t], COLS);
      else if (f == 1) s = fsm_log_softmax_backward_f32(1, COLS, x + 3 * COLS, COLS, dy, COLS, out[t], COLS);
      else s = fsm_taylor_softmax_f32(1, COLS, x, COLS, out[t], COLS);
      CHECK(s == FSM_OK, "status");
    }
    CHECK(memcmp(out[0], out[1], COLS * sizeof(float)) == 0 &&
              memcmp(out[0], out[2], COLS * sizeof(float)) == 0,
          "%s training function %d: results depend on the thread count", isa, f);
  }
  fsm_set_num_threads(0);
  for (int t = 0; t < 3; t++) free(out[t]);
  free(dy);
  free(x);
}

/* ISAs as data: every compiled ISA's resolved tables are complete, its
 * own kernels are its own, and a partial table (a new ISA that starts with
 * two kernels) takes every other kernel from its parent, one by one. */
#define CHECK_COMPLETE(kernel, ret, params) \
  CHECK(k->kernel != NULL && d->kernel != NULL, "%s: resolved table lacks " #kernel, isa);
#define CHECK_OWN_F32(kernel, ret, params) \
  CHECK(desc->f32->kernel == NULL || k->kernel == desc->f32->kernel, "%s: " #kernel " not its own", isa);

static void test_isa_data(void) {
  int compiled = 0;
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    const fsm_isa_desc *desc = fsm_isa_descriptor((fsm_isa)v);
    if (desc == NULL) continue;
    compiled++;
    CHECK(desc->isa == (fsm_isa)v && strcmp(desc->name, fsm_isa_name((fsm_isa)v)) == 0,
          "descriptor %d names another ISA", v);
    CHECK(fsm_isa_descriptor(desc->parent) != NULL, "%s: parent not compiled", desc->name);
    if (!fsm_isa_supported((fsm_isa)v)) continue;
    const fsm_f32_kernels *k = fsm_f32_kernels_for((fsm_isa)v);
    const fsm_f64_kernels *d = fsm_f64_kernels_for((fsm_isa)v);
    const char *isa = desc->name;
    FSM_KERNEL_LIST(CHECK_COMPLETE, float, float)
    FSM_KERNEL_LIST(CHECK_OWN_F32, float, float)
  }
  CHECK(compiled >= 1 && fsm_isa_descriptor(FSM_ISA_SCALAR) != NULL, "scalar not compiled");
  CHECK(fsm_isa_descriptor(FSM_ISA_AUTO) == NULL && fsm_isa_descriptor(FSM_ISA_COUNT) == NULL,
        "descriptor of a non-ISA");

  const fsm_f32_kernels *parent = fsm_f32_kernels_for(FSM_ISA_SCALAR);
  fsm_f32_kernels partial, resolved;
  memset(&partial, 0, sizeof partial);
  partial.rmax = parent->rmax;         /* stand-ins for a new ISA's two kernels */
  partial.vscale = parent->vscale;
  fsm_f32_resolve(&resolved, &partial, parent);
  CHECK(resolved.rmax == partial.rmax && resolved.vscale == partial.vscale, "own kernels kept");
  CHECK(resolved.raddextexp == parent->raddextexp && resolved.vlogstable == parent->vlogstable,
        "missing kernels from the parent");
  fsm_f32_resolve(&resolved, NULL, parent);
  CHECK(resolved.rsum == parent->rsum, "no own table: all from the parent");
}

/* Softmax along an axis (fsm_softmax_axis_*): outer x n x inner views
 * with padded and negative strides, every algorithm, float32 and float64,
 * each column against the float64 reference; in place; the statuses. */
static void test_axis(const char *isa) {
  static const size_t shapes[][3] = {{1, 1, 2},  {2, 3, 5},   {3, 9, 17},  {2, 70, 33},
                                     {1, 5, 300}, {4, 2, 1100}, {1, 2000, 40}, {3, 1, 7}};
  for (size_t sh = 0; sh < sizeof shapes / sizeof shapes[0]; sh++) {
    const size_t outer = shapes[sh][0], n = shapes[sh][1], inner = shapes[sh][2];
    const size_t pitch = inner + 3, plane = n * pitch + 5, total = outer * plane;
    float *x = malloc(total * sizeof(float)), *y = malloc(total * sizeof(float));
    double *xd = malloc(total * sizeof(double)), *yd = malloc(total * sizeof(double));
    double *col = malloc(n * sizeof(float) * 2 + 16), *p_ref = malloc(n * sizeof(double) + 8),
           *z_ref = malloc(n * sizeof(double) + 8);
    float *colf = malloc(n * sizeof(float) + 4);
    for (size_t i = 0; i < total; i++) xd[i] = x[i] = (float)(30.0 * rng_uniform() - 15.0);
    if (n > 3) x[pitch + 1] = -INFINITY, xd[pitch + 1] = -INFINITY;
    for (int dir = 0; dir < 2; dir++) {
      /* dir 1: both the outer and the axis walked backwards */
      const ptrdiff_t os = dir ? -(ptrdiff_t)plane : (ptrdiff_t)plane;
      const ptrdiff_t as = dir ? -(ptrdiff_t)pitch : (ptrdiff_t)pitch;
      const size_t start = dir ? (outer - 1) * plane + (n - 1) * pitch : 0;
      for (size_t a = 0; a < sizeof ALGORITHMS / sizeof ALGORITHMS[0]; a++) {
        for (int log_out = 0; log_out < 2; log_out++) {
          for (size_t i = 0; i < total; i++) y[i] = NAN, yd[i] = NAN;
          const fsm_status s32 = (log_out ? fsm_log_softmax_axis_f32 : fsm_softmax_axis_f32)(
              outer, n, inner, x + start, os, as, y + start, os, as, ALGORITHMS[a]);
          const fsm_status s64 = (log_out ? fsm_log_softmax_axis_f64 : fsm_softmax_axis_f64)(
              outer, n, inner, xd + start, os, as, yd + start, os, as, ALGORITHMS[a]);
          CHECK(s32 == FSM_OK && s64 == FSM_OK, "%s axis status %d %d", isa, (int)s32, (int)s64);
          for (size_t o = 0; o < outer; o++) {
            for (size_t j = 0; j < inner; j++) {
              for (size_t i = 0; i < n; i++) colf[i] = x[o * plane + i * pitch + j];
              reference(n, colf, p_ref, z_ref);
              for (size_t i = 0; i < n; i++) {
                const size_t e = o * plane + i * pitch + j;
                const double ref = log_out ? z_ref[i] : p_ref[i];
                const double spread = isfinite(colf[i]) ? fabs((double)colf[i]) + 15.0 : 0.0;
                const double t32 = log_out ? 6e-7 * (1.0 + fabs(ref))
                                           : 8e-7 * (1.0 + spread) * fabs(ref) + FLT_MIN;
                const double t64 = log_out ? 1e-14 * (1.0 + fabs(ref))
                                           : 1e-14 * (1.0 + spread) * fabs(ref);
                CHECK(same_or_close(y[e], ref, t32) && same_or_close(yd[e], ref, t64),
                      "%s axis %s %s (%zu, %zu, %zu) dir %d at (%zu, %zu, %zu): %.9g %.17g vs %.17g",
                      isa, log_out ? "log_softmax" : "softmax", fsm_algorithm_name(ALGORITHMS[a]),
                      outer, n, inner, dir, o, i, j, y[e], yd[e], ref);
              }
            }
          }
          /* nothing written between the columns and the planes */
          for (size_t o = 0; o < outer; o++)
            for (size_t i = 0; i < n; i++)
              for (size_t j = inner; j < pitch; j++)
                CHECK(isnan(y[o * plane + i * pitch + j]), "%s axis wrote into the padding", isa);
        }
      }
      /* in place gives the out-of-place bits */
      CHECK(fsm_softmax_axis_f32(outer, n, inner, x + start, os, as, y + start, os, as,
                                 FSM_ALGORITHM_AUTO) == FSM_OK, "axis");
      float *w = malloc(total * sizeof(float));
      memcpy(w, x, total * sizeof(float));
      CHECK(fsm_softmax_axis_f32(outer, n, inner, w + start, os, as, w + start, os, as,
                                 FSM_ALGORITHM_AUTO) == FSM_OK, "axis in place");
      for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < n; i++)
          CHECK(memcmp(w + o * plane + i * pitch, y + o * plane + i * pitch, inner * sizeof(float)) == 0,
                "%s axis in place differs", isa);
      free(w);
    }
    free(x), free(y), free(xd), free(yd), free(col), free(p_ref), free(z_ref), free(colf);
  }
  /* statuses: checked before anything is written */
  float a[64] = {0}, b[64];
  CHECK(fsm_softmax_axis_f32(2, 3, 4, NULL, 12, 4, b, 12, 4, FSM_ALGORITHM_AUTO) == FSM_NULL_POINTER, "null x");
  CHECK(fsm_softmax_axis_f32(2, 3, 4, a, 12, 4, NULL, 12, 4, FSM_ALGORITHM_AUTO) == FSM_NULL_POINTER, "null y");
  CHECK(fsm_softmax_axis_f32(2, 3, 4, a, 12, 3, b, 12, 4, FSM_ALGORITHM_AUTO) == FSM_INVALID_STRIDE, "axis stride");
  CHECK(fsm_softmax_axis_f32(2, 3, 4, a, 12, 4, b, -3, 4, FSM_ALGORITHM_AUTO) == FSM_INVALID_STRIDE, "outer stride");
  CHECK(fsm_softmax_axis_f32(2, 3, 4, a, PTRDIFF_MAX / 2, 4, b, 12, 4, FSM_ALGORITHM_AUTO) == FSM_SIZE_OVERFLOW, "overflow");
  CHECK(fsm_softmax_axis_f32(1, 3, 4, a, 0, PTRDIFF_MIN, b, 0, 4, FSM_ALGORITHM_AUTO) == FSM_SIZE_OVERFLOW, "min stride");
  CHECK(fsm_log_softmax_axis_f64(1, 1, (size_t)-1, (double *)a, 0, 0, (double *)b, 0, 0, FSM_ALGORITHM_AUTO) == FSM_SIZE_OVERFLOW, "inner overflow");
  CHECK(fsm_softmax_axis_f32(2, 3, 4, a, 12, 4, b, 12, 4, (fsm_algorithm)99) == FSM_UNKNOWN_ALGORITHM, "algorithm");
  CHECK(fsm_softmax_axis_f32(0, 3, 4, NULL, 0, 0, NULL, 0, 0, FSM_ALGORITHM_AUTO) == FSM_OK, "empty");
  CHECK(fsm_softmax_axis_f32(2, 0, 4, NULL, 0, 0, NULL, 0, 0, FSM_ALGORITHM_AUTO) == FSM_OK, "empty axis");
}

int main(void) {
  /* A 16 KiB "LLC" (read once, at the first call): rows from 2048 floats
   * take the blocked reload and AUTO's LLC rules, so test_long_rows runs
   * them on every ISA (the detected size is tested from Python). */
  setenv("FASTSOFTMAX_LLC_BYTES", "16384", 1);
  CHECK(fsm_llc_bytes() == 16384 && fsm_llc_bytes() == 16384, "FASTSOFTMAX_LLC_BYTES ignored");
  test_errors();
  test_isa_data();
  const fsm_isa detected = fsm_detected_isa();
  CHECK(fsm_active_isa() == detected, "active isa is the detected one");
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    if (!fsm_isa_supported((fsm_isa)v)) {
      CHECK(fsm_set_isa((fsm_isa)v) == FSM_UNSUPPORTED_ISA, "lacking isa must be refused");
      continue;
    }
    CHECK(fsm_set_isa((fsm_isa)v) == FSM_OK, "set isa %d", v);
    CHECK(fsm_active_isa() == (fsm_isa)v, "forced isa did not take");
    /* Stronger: the table the compute calls fetch is the forced ISA's own
     * (not merely the reported state), and its kernels are that ISA's. */
    fsm_status status;
    const fsm_f32_kernels *k = fsm_f32_active_kernels(&status);
    CHECK(k != NULL && k->isa == (fsm_isa)v && k == fsm_f32_kernels_for((fsm_isa)v),
          "compute calls do not use the forced %s table", fsm_isa_name((fsm_isa)v));
    test_algorithms(fsm_isa_name((fsm_isa)v));
    test_long_rows(fsm_isa_name((fsm_isa)v));
    test_chunked_rows(fsm_isa_name((fsm_isa)v));
    test_axis(fsm_isa_name((fsm_isa)v));
    mark_isa_tested(fsm_isa_name((fsm_isa)v));
  }
  CHECK(fsm_set_isa(FSM_ISA_AUTO) == FSM_OK && fsm_active_isa() == detected, "auto restores");
  test_f64();
  return finish("test_api");
}

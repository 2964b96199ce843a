/*
 * The training microkernels (FSM_TRAINING_KERNEL_LIST) of every ISA table
 * that provides its own (plus the scalar table, always), against float64
 * references: lengths 0..131 (8 vector widths + 3 of every ISA), every end
 * gap 0..15 (rows end right before a PROT_NONE page, and start at every
 * alignment), in-place use, special values in every lane of main loops and
 * tails, the logs' ULP error over (a sample of) every float, long sums.
 *
 * Bounds (u = 2^-24): sums within 4 u * sum|terms| (+ 1e-300); elementwise
 * kernels within 4 u * (sum of the magnitudes of the terms they combine);
 * exp-based ones add the exp's 2 ulp; log-based ones 4 u * (|y| + |k| + 1),
 * and LOG_ULPS for log / log1p themselves.
 *
 * Environment: FSM_TEST_LONG_ROW (the long-sum row, default 2^22),
 * FSM_TEST_ULP_STEP (sample every step-th float in the ULP sweeps, default
 * 61), FSM_TEST_REQUIRE_ISA (fail unless that ISA's own training kernels
 * were tested; test_util.h).
 */
#include "test_util.h"
#include "kernels.h"

#define MAX_SHORT 131
#define U24 0x1p-24
#define LOG_ULPS 2.0 /* log and log1p (vlogquad, vlogstable with k = 0) */

static int close_abs(double got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  if (isinf(ref)) return got == ref;
  return fabs(got - ref) <= tol;
}

static void fill(float *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * rng_uniform());
}

static double stable64(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

static void test_row(const fsm_f32_kernels *k, const char *isa, size_t n, size_t gap) {
  guarded ga = guarded_alloc(n, gap), gb = guarded_alloc(n, gap), gy = guarded_alloc(n, gap);
  float *a = ga.data, *b = gb.data, *y = gy.data;
  fill(a, n, -10.0, 10.0);
  fill(b, n, -3.0, 3.0);

  /* rsum, rdot, rsumsq */
  double ref = 0.0, mag = 0.0, dref = 0.0, dmag = 0.0, s1 = 0.0, s2 = 0.0, m1 = 0.0;
  const float c = 1.25f;
  for (size_t i = 0; i < n; i++) {
    ref += a[i];
    mag += fabs(a[i]);
    dref += (double)a[i] * b[i];
    dmag += fabs((double)a[i] * b[i]);
    s1 += (double)a[i] - c;
    m1 += fabs((double)a[i] - c);
    s2 += ((double)a[i] - c) * ((double)a[i] - c);
  }
  CHECK(close_abs(k->rsum(n, a), ref, 4 * U24 * mag + 1e-300), "%s rsum n=%zu gap=%zu", isa, n, gap);
  CHECK(close_abs(k->rdot(n, a, b), dref, 4 * U24 * dmag + 1e-300), "%s rdot n=%zu gap=%zu", isa,
        n, gap);
  double ss[2] = {-1.0, -1.0};
  k->rsumsq(n, a, c, ss);
  CHECK(close_abs(ss[0], s1, 4 * U24 * m1 + 1e-300) && close_abs(ss[1], s2, 4 * U24 * s2 + 1e-300),
        "%s rsumsq n=%zu gap=%zu: %g %g vs %g %g", isa, n, gap, ss[0], ss[1], s1, s2);
  CHECK(close_abs(k->raddstable(n, a), 0.0, INFINITY), "%s raddstable runs", isa);
  double st = 0.0;
  for (size_t i = 0; i < n; i++) st += stable64(a[i]);
  CHECK(close_abs(k->raddstable(n, a), st, 4 * U24 * st + 1e-300), "%s raddstable n=%zu", isa, n);

  /* elementwise kernels, out of place */
  const float s = 0.625f;
  k->vsubmul(n, a, b, s, y);
  for (size_t i = 0; i < n; i++) {
    const double r = (double)a[i] * ((double)b[i] - s);
    CHECK(close_abs(y[i], r, 4 * U24 * fabs(a[i]) * (fabs(b[i]) + s) + FLT_MIN),
          "%s vsubmul y[%zu] n=%zu", isa, i, n);
  }
  /* vsubscaleexp with a <= 0 (log-probabilities), including -inf */
  for (size_t i = 0; i < n; i++) a[i] = -fabsf(a[i]) * 3.0f;
  if (n > 2) a[n / 2] = -INFINITY;
  k->vsubscaleexp(n, a, b, s, y);
  for (size_t i = 0; i < n; i++) {
    const double e = exp((double)a[i]);
    const double r = (double)b[i] - s * e;
    CHECK(close_abs(y[i], r, 4 * U24 * (fabs(b[i]) + s * e) + FLT_MIN),
          "%s vsubscaleexp y[%zu] n=%zu: %.9g vs %.9g", isa, i, n, y[i], r);
  }
  fill(a, n, -10.0, 10.0);
  k->vaffine(n, a, -0.75f, c, 0.5f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = -0.75 * ((double)a[i] - c) + 0.5;
    CHECK(close_abs(y[i], r, 4 * U24 * (0.75 * (fabs(a[i]) + c) + 0.5)), "%s vaffine y[%zu] n=%zu",
          isa, i, n);
  }
  k->vaxpbyc(n, a, b, 0.3f, -0.7f, 0.01f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = 0.3 * a[i] - 0.7 * b[i] + 0.01;
    CHECK(close_abs(y[i], r, 4 * U24 * (0.3 * fabs(a[i]) + 0.7 * fabs(b[i]) + 0.01)),
          "%s vaxpbyc y[%zu] n=%zu", isa, i, n);
  }
  k->vquadscale(n, a, 0.5f, 1.0f, 1.0f, 0.125f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = 0.125 * ((0.5 * a[i] + 1.0) * a[i] + 1.0);
    CHECK(close_abs(y[i], r, 4 * U24 * fabs(r)), "%s vquadscale y[%zu] n=%zu", isa, i, n);
  }
  k->vlogquad(n, a, 1.0f, 0.0f, 0.01f, 2.5f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = log((double)a[i] * a[i] + 0.01f) - 2.5;
    CHECK(close_abs(y[i], r, 4 * U24 * (fabs(r) + 3.5)), "%s vlogquad y[%zu] n=%zu", isa, i, n);
  }
  k->vscalestable(n, a, 0.1f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = 0.1 * stable64(a[i]);
    CHECK(close_abs(y[i], r, 4 * U24 * fabs(r)), "%s vscalestable y[%zu] n=%zu", isa, i, n);
  }
  k->vstablegrad(n, a, 0.1f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = 0.1 * (a[i] >= 0 ? 1.0 : stable64(a[i]) * stable64(a[i]));
    CHECK(close_abs(y[i], r, 4 * U24 * fabs(r)), "%s vstablegrad y[%zu] n=%zu", isa, i, n);
  }
  k->vlogstable(n, a, 0.5f, y);
  for (size_t i = 0; i < n; i++) {
    const double r = log(stable64(a[i])) - 0.5;
    CHECK(close_abs(y[i], r, 4 * U24 * (fabs(r) + 1.5)), "%s vlogstable y[%zu] n=%zu", isa, i, n);
  }

  /* in place: y == x */
  memcpy(y, a, n * sizeof(float));
  k->vaffine(n, y, 2.0f, 0.0f, 1.0f, y);
  for (size_t i = 0; i < n; i++) CHECK(y[i] == 2.0f * a[i] + 1.0f, "%s vaffine in place", isa);
  memcpy(y, b, n * sizeof(float));
  k->vsubmul(n, a, y, s, y);
  for (size_t i = 0; i < n; i++)
    CHECK(close_abs(y[i], (double)a[i] * ((double)b[i] - s),
                    4 * U24 * fabs(a[i]) * (fabs(b[i]) + s) + FLT_MIN),
          "%s vsubmul in place", isa);
  guarded_free(ga);
  guarded_free(gb);
  guarded_free(gy);
}

static void test_specials(const fsm_f32_kernels *k, const char *isa) {
  float x[9] = {0.0f, -0.0f, 1.0f, -1.0f, INFINITY, -INFINITY, NAN, 1e30f, -3e38f};
  float y[9];
  CHECK(isnan(k->rsum(9, x)), "%s rsum NaN", isa);
  CHECK(isnan(k->raddstable(9, x)), "%s raddstable NaN", isa);
  k->vscalestable(9, x, 1.0f, y);
  CHECK(y[0] == 1.0f && y[3] == 0.5f && y[4] == INFINITY && y[5] == 0.0f && isnan(y[6]),
        "%s vscalestable specials", isa);
  k->vlogstable(9, x, 0.0f, y);
  CHECK(y[0] == 0.0f && y[4] == INFINITY && y[5] == -INFINITY && isnan(y[6]),
        "%s vlogstable specials", isa);
  k->vquadscale(9, x, 1.0f, 0.0f, 0.0f, 1e-30f, y);
  CHECK(isfinite(y[7]) && y[7] > 0.0f, "%s vquadscale: x^2 must not overflow for 1e30^2 * 1e-30", isa);
  k->vlogquad(9, x, 1.0f, 0.0f, 0.0f, 0.0f, y);
  CHECK(y[0] == -INFINITY && isnan(y[6]), "%s vlogquad log(0) = -inf, NaN stays", isa);
}

/* |got - ref| <= tol, where ref is rounded to float first for the infinities
 * (a double result beyond FLT_MAX must give inf) and NaN must give NaN; 2^-149
 * of slack for results in the subnormal range. */
static int close_f(double got, double ref, double tol) {
  const double rf = (double)(float)ref;
  if (isnan(ref) || isinf(rf)) return close_abs(got, rf, 0.0);
  return fabs(got - ref) <= tol + 0x1p-149;
}

/* Every elementwise kernel and sum on rows made of special and extreme
 * values, each value in turn at every position of a 23-element row (16 in
 * the main loop, a whole vector, a 3-lane tail), against float64. */
static void test_special_rows(const fsm_f32_kernels *k, const char *isa) {
  static const float vals[] = {0.0f,     -0.0f,   1.0f,      -1.0f,      INFINITY, -INFINITY,
                               NAN,      1e30f,   -3e38f,    FLT_MAX,    -FLT_MAX, FLT_MIN,
                               -FLT_MIN, 1e-45f,  -1e-40f,   1e-30f,     -1e-7f,   0.41421f,
                               -0.2929f, 88.0f,   -87.5f,    -104.0f,    2.5f};
  enum { NV = sizeof vals / sizeof vals[0] };
  static const float nonpos[] = {0.0f, -0.0f, -1.0f, -INFINITY, NAN, -87.0f, -88.0f, -1e-30f};
  enum { NP = sizeof nonpos / sizeof nonpos[0] };
  guarded gx = guarded_alloc(NV, 0), gz = guarded_alloc(NV, 0), gy = guarded_alloc(NV, 0);
  float *x = gx.data, *z = gz.data, *y = gy.data;
  for (size_t shift = 0; shift < NV; shift++) {
    for (size_t i = 0; i < NV; i++) {
      x[i] = vals[(i + shift) % NV];
      z[i] = vals[(i * 7 + shift + 3) % NV];
    }
    const size_t n = NV;
    k->vsubmul(n, x, z, 0.625f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = (double)x[i] * ((double)z[i] - 0.625);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(x[i]) * (fabs(z[i]) + 0.625) + FLT_MIN),
            "%s vsubmul(%g, %g) = %g, not %g", isa, x[i], z[i], y[i], r);
    }
    k->vaffine(n, x, -0.75f, 1.25f, 0.5f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = -0.75 * ((double)x[i] - 1.25) + 0.5;
      CHECK(close_f(y[i], r, 4 * U24 * (0.75 * (fabs(x[i]) + 1.25) + 0.5)),
            "%s vaffine(%g) = %g, not %g", isa, x[i], y[i], r);
    }
    k->vaxpbyc(n, x, z, 0.3f, -0.7f, 0.01f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = (double)0.3f * x[i] + (double)-0.7f * z[i] + (double)0.01f;
      CHECK(close_f(y[i], r, 4 * U24 * (0.3 * fabs(x[i]) + 0.7 * fabs(z[i]) + 0.01)),
            "%s vaxpbyc(%g, %g) = %g, not %g", isa, x[i], z[i], y[i], r);
    }
    k->vquadscale(n, x, 0.5f, 1.0f, 1.0f, 0.125f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = 0.125 * ((0.5 * x[i] + 1.0) * x[i] + 1.0);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r)), "%s vquadscale(%g) = %g, not %g", isa, x[i], y[i],
            r);
    }
    /* log(x^2 - k), log(1 - x^2) - k: -inf at 0 and +-1, NaN below, far
     * beyond the float range (1e30^2) and below it (1e-45^2) */
    for (int form = 0; form < 2; form++) {
      const float qa = form ? -1.0f : 1.0f, qc = form ? 1.0f : 0.0f, kk = form ? 0.0f : 2.5f;
      k->vlogquad(n, x, qa, 0.0f, qc, kk, y);
      for (size_t i = 0; i < n; i++) {
        const double r = log((double)qa * x[i] * x[i] + qc) - kk;
        CHECK(close_f(y[i], r, 4 * U24 * (fabs(r) + kk + 1)), "%s vlogquad form %d (%g) = %.9g, not %.9g",
              isa, form, x[i], y[i], r);
      }
    }
    k->vscalestable(n, x, 0.1f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = (double)0.1f * stable64(x[i]);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r)), "%s vscalestable(%g) = %g, not %g", isa, x[i],
            y[i], r);
    }
    k->vstablegrad(n, x, 0.1f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = (double)0.1f * (x[i] >= 0 ? 1.0 : stable64(x[i]) * stable64(x[i]));
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r)), "%s vstablegrad(%g) = %g, not %g", isa, x[i],
            y[i], r);
    }
    k->vlogstable(n, x, 0.5f, y);
    for (size_t i = 0; i < n; i++) {
      const double r = (x[i] >= 0 ? log1p((double)x[i]) : -log1p(-(double)x[i])) - 0.5;
      CHECK(close_f(y[i], r, 4 * U24 * (fabs(r) + 1.5)), "%s vlogstable(%g) = %.9g, not %.9g", isa,
            x[i], y[i], r);
    }
    /* the sums, on the finite values only (inf and NaN: test_specials) */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
      if (isfinite(x[i]) && fabsf(x[i]) < 1e30f) x[m++] = x[i];
    double ref = 0.0, mag = 0.0, st = 0.0;
    for (size_t i = 0; i < m; i++) ref += x[i], mag += fabs(x[i]), st += stable64(x[i]);
    CHECK(close_f(k->rsum(m, x), ref, 4 * U24 * mag + 1e-300), "%s rsum of extremes", isa);
    CHECK(close_f(k->raddstable(m, x), st, 4 * U24 * st), "%s raddstable of extremes", isa);
    /* vsubscaleexp: a <= 0 (log-probabilities), b anything */
    for (size_t i = 0; i < n; i++) x[i] = nonpos[(i + shift) % NP];
    k->vsubscaleexp(n, x, z, 0.625f, y);
    for (size_t i = 0; i < n; i++) {
      const double e = exp((double)x[i]), r = (double)z[i] - 0.625 * e;
      CHECK(close_f(y[i], r, 4 * U24 * (fabs(z[i]) + 0.625 * e) + FLT_MIN),
            "%s vsubscaleexp(%g, %g) = %g, not %g", isa, x[i], z[i], y[i], r);
    }
  }
  guarded_free(gx);
  guarded_free(gz);
  guarded_free(gy);
}

static double ulp_of(double ref) {
  const float r = (float)fabs(ref);
  if (r < FLT_MIN) return 0x1p-149;
  return (double)(nextafterf(r, INFINITY) - r);
}

static uint64_t g_ulp_step = 61;

/* Max ULP error of log (vlogquad with (a, b, c, k) = (0, 1, 0, 0): log x
 * itself) over every positive float, subnormals included, and of log1p
 * (vlogstable with k = 0; odd, so over x >= 0) over every non-negative
 * float, sampled every g_ulp_step floats. */
static void measure_log_ulps(const fsm_f32_kernels *k, double *log_ulps, double *log1p_ulps) {
  enum { CHUNK = 4096 };
  static float x[CHUNK], y[CHUNK], y1[CHUNK];
  const uint32_t hi = 0x7F7FFFFFu; /* FLT_MAX */
  double worst = 0.0, worst1 = 0.0;
  size_t fill = 0;
  for (uint64_t b = 1; b <= hi; b += g_ulp_step) {
    const uint32_t u = (uint32_t)b;
    memcpy(&x[fill++], &u, sizeof u);
    if (fill == CHUNK || b + g_ulp_step > hi) {
      k->vlogquad(fill, x, 0.0f, 1.0f, 0.0f, 0.0f, y);
      k->vlogstable(fill, x, 0.0f, y1);
      for (size_t i = 0; i < fill; i++) {
        const double ref = log((double)x[i]), ref1 = log1p((double)x[i]);
        const double err = fabs((double)y[i] - ref) / ulp_of(ref);
        const double err1 = fabs((double)y1[i] - ref1) / ulp_of(ref1);
        if (!(err <= worst)) worst = err; /* a NaN error counts */
        if (!(err1 <= worst1)) worst1 = err1;
      }
      fill = 0;
    }
  }
  *log_ulps = worst;
  *log1p_ulps = worst1;
}

/* A long row: the sums' relative error must not grow with n. */
static void test_long(const fsm_f32_kernels *k, const char *isa, size_t n) {
  float *x = malloc(n * sizeof(float));
  fill(x, n, 0.0, 1.0);
  double ref = 0.0, sq = 0.0;
  for (size_t i = 0; i < n; i++) {
    ref += x[i];
    sq += ((double)x[i] - 0.5) * ((double)x[i] - 0.5);
  }
  const double got = k->rsum(n, x);
  double s[2];
  k->rsumsq(n, x, 0.5f, s);
  CHECK(fabs(got - ref) <= 1e-7 * ref, "%s rsum long rel err %.3g", isa, fabs(got - ref) / ref);
  CHECK(fabs(s[1] - sq) <= 1e-7 * sq, "%s rsumsq long rel err %.3g", isa, fabs(s[1] - sq) / sq);
  CHECK(fabs(k->rdot(n, x, x) - (sq + ref - 0.25 * n)) <= 1e-6 * n, "%s rdot long", isa);
  free(x);
}

int main(void) {
  const char *long_env = getenv("FSM_TEST_LONG_ROW");
  const size_t long_n = long_env ? (size_t)strtoull(long_env, NULL, 10) : ((size_t)1 << 22);
  const char *step_env = getenv("FSM_TEST_ULP_STEP");
  if (step_env && strtoull(step_env, NULL, 10) > 0) g_ulp_step = strtoull(step_env, NULL, 10);
  int tested = 0;
  for (int v = FSM_ISA_SCALAR; v <= FSM_ISA_NEON; v++) {
    const fsm_f32_kernels *k = fsm_f32_kernels_for((fsm_isa)v);
    const char *isa = fsm_isa_name((fsm_isa)v);
    if (k == NULL) {
      printf("%-7s not available here: skipped\n", isa);
      continue;
    }
    if (k->training_isa != (fsm_isa)v) {
      printf("%-7s uses the %s training kernels: covered there\n", isa,
             fsm_isa_name(k->training_isa));
      CHECK(k->training_isa == FSM_ISA_SCALAR && k->rsum == fsm_f32_kernels__scalar.rsum,
            "%s: training kernels from an unexpected table", isa);
      continue;
    }
    tested++;
    mark_isa_tested(fsm_isa_name((fsm_isa)v));
    for (size_t n = 0; n <= MAX_SHORT; n++)
      for (size_t gap = 0; gap < 16; gap++) test_row(k, isa, n, gap);
    const size_t longer[] = {255, 256, 257, 1023, 1024, 1025, 4099};
    for (size_t j = 0; j < sizeof longer / sizeof longer[0]; j++) test_row(k, isa, longer[j], 3);
    test_specials(k, isa);
    test_special_rows(k, isa);
    double log_ulps, log1p_ulps;
    measure_log_ulps(k, &log_ulps, &log1p_ulps);
    printf("%-7s log max error %.3f ulp, log1p %.3f ulp (every %llu-th positive float)\n", isa,
           log_ulps, log1p_ulps, (unsigned long long)g_ulp_step);
    CHECK(log_ulps <= LOG_ULPS && log1p_ulps <= LOG_ULPS, "%s log %.3f / log1p %.3f ulp > %.1f", isa,
          log_ulps, log1p_ulps, LOG_ULPS);
    test_long(k, isa, long_n);
    printf("%-7s training kernels: checked\n", isa);
  }
  CHECK(tested >= 1, "no ISA tested");
  /* the float64 table: a smoke test of each kernel */
  const fsm_f64_kernels *d = &fsm_f64_kernels__scalar;
  double xd[5] = {1.0, -2.0, 3.0, 0.5, -0.25}, yd[5], sd[2];
  CHECK(d->rsum(5, xd) == 2.25 && d->rdot(5, xd, xd) == 14.3125, "f64 rsum/rdot");
  d->rsumsq(5, xd, 1.0, sd);
  CHECK(sd[0] == -2.75 && fabs(sd[1] - (0.0 + 9.0 + 4.0 + 0.25 + 1.5625)) < 1e-15, "f64 rsumsq");
  d->vaffine(5, xd, 2.0, 1.0, 0.5, yd);
  CHECK(yd[1] == -5.5, "f64 vaffine");
  d->vlogstable(5, xd, 0.0, yd);
  CHECK(fabs(yd[1] + log(3.0)) < 1e-15 && fabs(yd[0] - log(2.0)) < 1e-15, "f64 vlogstable");
  return finish("test_training_kernels");
}

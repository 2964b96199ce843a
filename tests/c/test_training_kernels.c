/*
 * The training microkernels (FSM_TRAINING_KERNEL_LIST) of every ISA this
 * machine can run, beyond conformance (every length, end gap, alignment and
 * in-place use against float64 references: test_conformance.c, driven by
 * the kernel list): special values (0, +-inf, NaN, huge, tiny, subnormal)
 * at every lane of a vector and in tails, against float64 formulas (u =
 * 2^-24: sums within 4 u * sum|terms|, elementwise kernels within 4 u *
 * the magnitudes they combine, log-based ones 4 u * (|y| + |k| + 1)); sums
 * of huge values that must not overflow; the log kernels' logarithm
 * measured in ulp over every FSM_TEST_ULP_STEP-th float; long sums.
 * FSM_TEST_REQUIRE_ISA=<name>: fail unless that ISA's table was tested.
 */
#include "test_util.h"
#include "kernels.h"

#define U24 0x1p-24
/* the vector log (fsm_math.h) and libm's in the scalar kernels */
#define LOG_ULPS 2.0

static int close_abs(double got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  if (isinf(ref)) return got == ref;
  return fabs(got - ref) <= tol;
}

static void fill(float *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * rng_uniform());
}

static double stable64(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

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
  /* sums and products of floats in double never overflow (as scalar): no
   * float pre-adds or float products in the SIMD sums */
  float big[40];
  for (int i = 0; i < 40; i++) big[i] = 3e38f;
  const double b2 = 40 * (double)3e38f * 3e38f;
  CHECK(k->rsum(40, big) == 40 * (double)3e38f && fabs(k->rdot(40, big, big) - b2) <= 1e-15 * b2,
        "%s rsum/rdot of 3e38 overflowed", isa);
}

/* got against a float64 reference: NaN for NaN, the same infinity where the
 * reference rounds to one in float, else within tol. */
static int close_f(float got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  if (isinf((float)ref)) return got == (float)ref;
  return fabs((double)got - ref) <= tol;
}

static const float g_specials[] = {
    0.0f,    -0.0f,   1.0f,    -1.0f,    INFINITY, -INFINITY, NAN,     1e30f,   -3e38f, 3e38f,
    FLT_MIN, -FLT_MIN, 1e-40f, -1e-40f,  0.5f,     1e-10f,    -1e-10f, 2.0f,    -2.0f,  1e-20f,
    -1e20f,  0.999f,  -0.999f, 100.0f,   -87.5f,   -200.0f,   1.4142135f, 0.70710677f, -0.29f};
#define N_SPECIALS (sizeof g_specials / sizeof g_specials[0])

/* Every elementwise kernel on rows of special values (each value at every
 * lane position, and in the tail) against the float64 formulas. */
static void test_special_rows(const fsm_f32_kernels *k, const char *isa) {
  enum { N = 3 * N_SPECIALS + 5 };
  float x[N], z[N], e[N], y[N];
  for (size_t shift = 0; shift < N_SPECIALS; shift++) {
    for (size_t i = 0; i < N; i++) {
      x[i] = g_specials[(i + shift) % N_SPECIALS];
      z[i] = g_specials[(i * 7 + shift + 3) % N_SPECIALS];
      e[i] = -fabsf(x[i]); /* vsubscaleexp's a <= 0 */
    }
    k->vsubmul(N, x, z, 0.5f, y);
    for (size_t i = 0; i < N; i++) {
      const double r = (double)x[i] * ((double)z[i] - 0.5);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r) + FLT_MIN), "%s vsubmul special x=%g z=%g: %g vs %g",
            isa, x[i], z[i], y[i], r);
    }
    k->vsubscaleexp(N, e, z, 0.5f, y);
    for (size_t i = 0; i < N; i++) {
      const double ex = exp((double)e[i]), r = (double)z[i] - 0.5 * ex;
      CHECK(close_f(y[i], r, 4 * U24 * (fabs(z[i]) + 0.5 * ex) + FLT_MIN),
            "%s vsubscaleexp special a=%g b=%g: %g vs %g", isa, e[i], z[i], y[i], r);
    }
    k->vaffine(N, x, -2.0f, 0.0f, 0.0f, y);
    for (size_t i = 0; i < N; i++)
      CHECK(close_f(y[i], -2.0 * x[i], 0.0), "%s vaffine special x=%g: %g", isa, x[i], y[i]);
    k->vaxpbyc(N, x, z, 0.5f, 0.25f, 0.0f, y);
    for (size_t i = 0; i < N; i++) {
      const double r = 0.5 * x[i] + 0.25 * z[i];
      CHECK(close_f(y[i], r, 4 * U24 * (0.5 * fabs(x[i]) + 0.25 * fabs(z[i])) + FLT_MIN),
            "%s vaxpbyc special x=%g z=%g: %g vs %g", isa, x[i], z[i], y[i], r);
    }
    k->vquadscale(N, x, 0.5f, 1.0f, 1.0f, 1e-30f, y);
    for (size_t i = 0; i < N; i++) {
      const double r = 1e-30f * ((0.5 * x[i] + 1.0) * x[i] + 1.0);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r) + FLT_MIN), "%s vquadscale special x=%g: %g vs %g",
            isa, x[i], y[i], r);
    }
    /* log x (0 -> -inf, < 0 -> NaN) and log(x^2) (-inf for +-0) */
    for (int form = 0; form < 2; form++) {
      k->vlogquad(N, x, form ? 1.0f : 0.0f, form ? 0.0f : 1.0f, 0.0f, 1.0f, y);
      for (size_t i = 0; i < N; i++) {
        const double qa = form ? 1.0 : 0.0, qb = form ? 0.0 : 1.0;
        const double q = (qa * x[i] + qb) * x[i], r = log(q) - 1.0; /* 0 * inf: NaN */
        CHECK(close_f(y[i], r, 4 * U24 * (fabs(r) + 2.0)), "%s vlogquad special form %d x=%g: %g vs %g",
              isa, form, x[i], y[i], r);
      }
    }
    k->vscalestable(N, x, 0.5f, y);
    for (size_t i = 0; i < N; i++) {
      const double r = 0.5 * stable64(x[i]);
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r) + FLT_MIN), "%s vscalestable special x=%g: %g vs %g",
            isa, x[i], y[i], r);
    }
    k->vstablegrad(N, x, 0.5f, y);
    for (size_t i = 0; i < N; i++) {
      const double r = 0.5 * (x[i] >= 0 ? 1.0 : stable64(x[i]) * stable64(x[i]));
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r) + FLT_MIN), "%s vstablegrad special x=%g: %g vs %g",
            isa, x[i], y[i], r);
    }
    k->vlogstable(N, x, 0.0f, y);
    for (size_t i = 0; i < N; i++) {
      const double v = x[i], r = v >= 0.0 ? log1p(v) : -log1p(-v);
      /* relative here: k = 0, and log1p of tiny x must stay accurate */
      CHECK(close_f(y[i], r, 4 * U24 * fabs(r) + 0x1p-149), "%s vlogstable special x=%g: %g vs %g",
            isa, x[i], y[i], r);
    }
    /* sums: NaN wins; without NaN and +inf, within the usual bound */
    double sum = 0.0, mag = 0.0, st = 0.0, st_mag = 0.0, dot = 0.0, dmag = 0.0;
    float f[N];
    size_t m = 0;
    for (size_t i = 0; i < N; i++)
      if (isfinite(x[i])) f[m++] = x[i];
    for (size_t i = 0; i < m; i++) {
      sum += f[i];
      mag += fabs(f[i]);
      st += stable64(f[i]);
      st_mag += fabs(stable64(f[i]));
      dot += (double)f[i] * f[m - 1 - i];
      dmag += fabs((double)f[i] * f[m - 1 - i]);
    }
    float rev[N];
    for (size_t i = 0; i < m; i++) rev[i] = f[m - 1 - i];
    CHECK(isnan(k->rsum(N, x)) && isnan(k->raddstable(N, x)) && isnan(k->rdot(N, x, z)),
          "%s sums with NaN", isa);
    CHECK(close_abs(k->rsum(m, f), sum, 4 * U24 * mag), "%s rsum specials", isa);
    CHECK(close_abs(k->raddstable(m, f), st, 4 * U24 * st_mag), "%s raddstable specials", isa);
    CHECK(close_abs(k->rdot(m, f, rev), dot, 4 * U24 * dmag), "%s rdot specials", isa);
    double ss[2];
    k->rsumsq(m, f, 0.0f, ss);
    CHECK(close_abs(ss[0], sum, 4 * U24 * mag) && isfinite(ss[1]) && ss[1] > 1e76,
          "%s rsumsq specials: %g %g", isa, ss[0], ss[1]);
    f[m / 2] = INFINITY;
    CHECK(k->raddstable(m, f) == INFINITY, "%s raddstable +inf", isa);
  }
}

/* Max ulp error of the log kernels' logarithm against libm in double, over
 * every `step`-th positive float: vlogquad(0, 1, 0, k = 0) is log x,
 * vlogstable(k = 0) is log1p x (x >= 0). Returns the worst of each. */
static uint64_t g_ulp_step = 61;

static void measure_log_ulps(const fsm_f32_kernels *k, double *log_ulps, double *log1p_ulps) {
  enum { CHUNK = 4096 };
  static float x[CHUNK], y[CHUNK], y1[CHUNK];
  double worst = 0.0, worst1 = 0.0;
  const uint32_t lo = 0x00000001u, hi = 0x7F7FFFFFu; /* 2^-149 .. FLT_MAX */
  size_t fill = 0;
  for (uint64_t b = lo; b <= hi; b += g_ulp_step) {
    const uint32_t u = (uint32_t)b;
    memcpy(&x[fill++], &u, sizeof u);
    if (fill == CHUNK || b + g_ulp_step > hi) {
      k->vlogquad(fill, x, 0.0f, 1.0f, 0.0f, 0.0f, y);
      k->vlogstable(fill, x, 0.0f, y1);
      for (size_t i = 0; i < fill; i++) {
        const double r = log((double)x[i]), r1 = log1p((double)x[i]);
        const double err = fabs((double)y[i] - r) / ulp_of(r), err1 = fabs((double)y1[i] - r1) / ulp_of(r1);
        if (!(err <= worst)) worst = err;
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
  const char *long_env = getenv("FSM_TEST_LONG_ROW"); /* shorter under emulation */
  const size_t long_n = long_env ? (size_t)strtoull(long_env, NULL, 10) : ((size_t)1 << 22);
  const char *step_env = getenv("FSM_TEST_ULP_STEP");
  if (step_env && strtoull(step_env, NULL, 10) > 0) g_ulp_step = strtoull(step_env, NULL, 10);
  int tested = 0;
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    const fsm_f32_kernels *k = fsm_f32_kernels_for((fsm_isa)v);
    const char *isa = fsm_isa_name((fsm_isa)v);
    if (k == NULL) {
      printf("%-7s not available here: skipped\n", isa);
      continue;
    }
    tested++;
    test_specials(k, isa);
    test_special_rows(k, isa);
    test_long(k, isa, long_n);
    double log_ulps, log1p_ulps;
    measure_log_ulps(k, &log_ulps, &log1p_ulps);
    printf("%-7s log max error over [2^-149, FLT_MAX]: %.3f ulp, log1p %.3f ulp (every %llu floats)\n",
           isa, log_ulps, log1p_ulps, (unsigned long long)g_ulp_step);
    CHECK(log_ulps <= LOG_ULPS && log1p_ulps <= LOG_ULPS, "%s log error %.3f / %.3f ulp > %.1f", isa,
          log_ulps, log1p_ulps, LOG_ULPS);
    printf("%-7s training kernels: checked\n", isa);
    mark_isa_tested(isa); /* FSM_TEST_REQUIRE_ISA: test_util.h */
  }
  CHECK(tested >= 1, "no ISA tested");
  return finish("test_training_kernels");
}

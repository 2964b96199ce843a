/*
 * The softmax microkernels (FSM_SOFTMAX_KERNEL_LIST) of every ISA this
 * machine can run, beyond conformance: special values (-inf, NaN, underflow,
 * the x86 tables' flush of subnormal outputs), tail lanes that must not
 * contribute, sums a float accumulator gets wrong, the exp's ULP error over
 * its range and the accuracy of sums over long rows. Every length, end gap,
 * alignment and in-place use against float64 references is
 * test_conformance.c's (driven by the kernel list).
 */
#include "test_util.h"
#include "kernels.h"

#define U24 0x1p-24
#define EXP_ULPS 2.0  /* documented bound of the exp (README) */

/* |got - ref| within `rel` (plus FLT_MIN absolute for flushed outputs) */
static int close_rel(double got, double ref, double rel) {
  if (isnan(ref)) return isnan(got);
  if (isinf(ref)) return got == ref;
  return fabs(got - ref) <= rel * fabs(ref) + FLT_MIN;
}

static void fill_uniform(float *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(lo + (hi - lo) * rng_uniform());
}

static double ref_max(size_t n, const float *x) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

/* Special values through the exp kernels: -inf gives exactly 0, NaN gives
 * NaN, arguments far below the underflow threshold give 0. */
static void test_specials(const fsm_f32_kernels *k, const char *isa) {
  enum { N = 37 };
  float x[N], y[N];
  for (int i = 0; i < N; i++) x[i] = -(float)i;
  x[3] = -INFINITY;
  x[5] = -1e30f;
  x[7] = -150.0f;
  x[11] = NAN;
  k->raddstoreexp(N, x, 0.0f, y);
  CHECK(y[3] == 0.0f && y[5] == 0.0f && y[7] == 0.0f, "%s specials: underflow not 0", isa);
  CHECK(isnan(y[11]), "%s specials: NaN lost", isa);
  CHECK(isnan(k->raddexp(N, x, 0.0f)), "%s specials: NaN lost in raddexp", isa);
  k->vscaleexp(N, x, 0.0f, 2.0f, y);
  CHECK(y[3] == 0.0f && isnan(y[11]) && y[0] == 2.0f, "%s specials: vscaleexp", isa);

  /* two-pass: -inf entries contribute exactly 0 */
  x[11] = 0.0f;
  const fsm_extsum s = k->raddextexp(N, x);
  k->vscaleextexp(N, x, (float)(1.0 / s.mantissa), (float)-s.exponent, y);
  CHECK(y[3] == 0.0f && y[5] == 0.0f && y[7] == 0.0f, "%s specials: two-pass zeros", isa);
  x[13] = NAN;
  CHECK(isnan(k->raddextexp(N, x).mantissa), "%s specials: NaN lost in raddextexp", isa);

  /* Outputs below FLT_MIN: the x86 SIMD tables flush them to 0 instead of
   * producing subnormals (an assist on Zen 3: 2.4x slower); normal outputs
   * stay exact. (NEON and scalar produce the subnormals; both are allowed.) */
  if (k->isa == FSM_ISA_AVX2 || k->isa == FSM_ISA_AVX512) {
    float u[N], v[N];
    for (int i = 0; i < N; i++) u[i] = -87.2f - 0.0125f * (float)i; /* -87.2 .. -87.65 */
    k->raddstoreexp(N, u, 0.0f, v);
    for (int i = 0; i < N; i++) {
      const double ref = exp((double)u[i]);
      CHECK(v[i] == 0.0f ? ref < FLT_MIN : (v[i] >= FLT_MIN && close_rel(v[i], ref, 4 * U24)),
            "%s subnormal flush: exp(%.9g) = %g (ref %g)", isa, u[i], v[i], ref);
    }
    /* two-pass: sum exp(u) = P * 2^N; outputs exp(u) / sum around FLT_MIN */
    for (int i = 0; i < N; i++) u[i] = (i == 0) ? 0.0f : -86.9f - 0.0125f * (float)i;
    const fsm_extsum t = k->raddextexp(N, u);
    k->vscaleextexp(N, u, (float)(1.0 / t.mantissa), (float)-t.exponent, v);
    const double total = ldexp(t.mantissa, (int)t.exponent);
    for (int i = 1; i < N; i++) {
      const double ref = exp((double)u[i]) / total;
      CHECK(v[i] == 0.0f ? ref < FLT_MIN : (v[i] >= FLT_MIN && close_rel(v[i], ref, 8 * U24)),
            "%s two-pass subnormal flush: %g (ref %g)", isa, v[i], ref);
    }
  }
}

/* Tails: lanes past n must not contribute. Rows of equal negative values
 * (a zero-filled lane would win the max, add exp(0 - c) = exp(20) or add
 * exp(0) = 1 to the two-pass sum), then a NaN or a -inf as the last entry. */
static void test_tail_lanes(const fsm_f32_kernels *k, const char *isa) {
  for (size_t n = 1; n <= 40; n++) {
    guarded gx = guarded_alloc(n, 0), gy = guarded_alloc(n, 0);
    float *x = gx.data, *y = gy.data;
    for (size_t i = 0; i < n; i++) x[i] = -20.0f;
    CHECK(k->rmax(n, x) == -20.0f, "%s tail rmax n=%zu", isa, n);
    CHECK(k->raddexp(n, x, -20.0f) == (double)n, "%s tail raddexp n=%zu", isa, n);
    CHECK(k->raddstoreexp(n, x, -20.0f, y) == (double)n, "%s tail raddstoreexp n=%zu", isa, n);
    fsm_extsum e = k->raddextexp(n, x);
    double got = ldexp(e.mantissa, (int)e.exponent);
    CHECK(close_rel(got, (double)n * exp(-20.0), 3e-7), "%s tail raddextexp n=%zu: %g", isa, n, got);
    x[n - 1] = -INFINITY;
    e = k->raddextexp(n, x);
    got = n > 1 ? ldexp(e.mantissa, (int)e.exponent) : 0.0;
    CHECK(close_rel(got, (double)(n - 1) * exp(-20.0), 3e-7), "%s tail -inf raddextexp n=%zu", isa, n);
    x[n - 1] = NAN;
    CHECK(isnan(k->raddexp(n, x, -20.0f)), "%s tail NaN raddexp n=%zu", isa, n);
    CHECK(isnan(k->raddstoreexp(n, x, -20.0f, y)) && isnan(y[n - 1]), "%s tail NaN raddstoreexp n=%zu", isa, n);
    CHECK(isnan(k->raddextexp(n, x).mantissa), "%s tail NaN raddextexp n=%zu", isa, n);
    k->vscaleexp(n, x, -20.0f, 1.0f, y);
    CHECK(isnan(y[n - 1]) && (n == 1 || y[0] == 1.0f), "%s tail NaN vscaleexp n=%zu", isa, n);
    k->vscaleextexp(n, x, 1.0f, 29.0f, y);
    CHECK(isnan(y[n - 1]), "%s tail NaN vscaleextexp n=%zu", isa, n);
    guarded_free(gx);
    guarded_free(gy);
  }
}

/* Sums that float accumulators get wrong: many equal terms (every add
 * rounds the same way) and one dominant term plus many small ones. The
 * reference is built from the kernel's own exps, so the check measures the
 * summation alone: within 2 ulp of the exact sum of those floats. */
static void test_dominant_sums(const fsm_f32_kernels *k, const char *isa) {
  const size_t lengths[] = {37, 1000, 4099};
  for (size_t j = 0; j < sizeof lengths / sizeof lengths[0]; j++) {
    const size_t n = lengths[j];
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = 2.25f;
    double sum = k->raddstoreexp(n, x, 3.0f, y), exact = (double)n * y[0];
    CHECK(fabs(sum - exact) <= 2 * 0x1p-24 * exact, "%s raddstoreexp constant row n=%zu: %.10g vs %.10g",
          isa, n, sum, exact);
    sum = k->raddexp(n, x, 3.0f);
    CHECK(fabs(sum - exact) <= 2 * 0x1p-24 * exact, "%s raddexp constant row n=%zu: %.10g vs %.10g",
          isa, n, sum, exact);
    const fsm_extsum one = k->raddextexp(1, x), all = k->raddextexp(n, x);
    const double ext_exact = (double)n * ldexp(one.mantissa, (int)one.exponent);
    const double ext_sum = ldexp(all.mantissa, (int)all.exponent);
    CHECK(fabs(ext_sum - ext_exact) <= 2 * 0x1p-24 * ext_exact,
          "%s raddextexp constant row n=%zu: %.10g vs %.10g", isa, n, ext_sum, ext_exact);
    for (size_t i = 0; i < n; i++) x[i] = i % 97 == 0 ? 12.0f : 0.0f;
    sum = k->raddstoreexp(n, x, 12.0f, y);
    exact = 0.0;
    for (size_t i = 0; i < n; i++) exact += y[i];
    CHECK(fabs(sum - exact) <= 2 * 0x1p-24 * exact, "%s raddstoreexp dominant terms n=%zu: %.10g vs %.10g",
          isa, n, sum, exact);
    free(x);
    free(y);
  }
}

/* Max ULP error of the exp over [-87.3, 0] (normal outputs), sampled every
 * `step` floats (61 by default; FSM_TEST_ULP_STEP for emulated runs). */
static uint64_t g_ulp_step = 61;

static double measure_exp_ulps(const fsm_f32_kernels *k) {
  enum { CHUNK = 4096 };
  static float x[CHUNK], y[CHUNK];
  double worst = 0.0;
  const uint32_t lo = 0x80000000u, hi = 0xC2AEAC4Fu; /* -0.0 .. -87.336 */
  size_t fill = 0;
  for (uint64_t b = lo; b <= hi; b += g_ulp_step) {
    uint32_t u = (uint32_t)b;
    memcpy(&x[fill++], &u, sizeof u);
    if (fill == CHUNK || b + g_ulp_step > hi) {
      k->raddstoreexp(fill, x, 0.0f, y);
      for (size_t i = 0; i < fill; i++) {
        const double ref = exp((double)x[i]);
        const double err = fabs((double)y[i] - ref) / ulp_of(ref);
        if (err > worst) worst = err;
      }
      fill = 0;
    }
  }
  return worst;
}

/* vscaleextexp never produces a subnormal: outputs that would be below
 * FLT_MIN are flushed to 0, whichever of the kernels' paths a vector takes
 * (the avx2 and avx512 kernels skip the flush for groups of vectors whose
 * n + e proves every lane normal). Rows of two patterns (0: mostly
 * ordinary lanes, a band lower, a few far below, -inf; 1: whole groups
 * near one exponent, x in [-1.75, 0]) for scales s of either sign and of
 * many magnitudes and exponents e, many of them around the threshold;
 * every output is compared with exp(x) s 2^e in double: within 4 ulp where
 * that is at least 2 FLT_MIN; on x86 (whose kernels promise it) exactly 0
 * where it is below FLT_MIN / 2 and never subnormal; elsewhere (scalar,
 * neon flush only a factor 2^k below 2^-126) at most FLT_MIN there. */
static void check_flush_row(const fsm_f32_kernels *k, const char *isa, int pattern, float s, float e) {
  enum { N = 203 }; /* two-vector groups, single vectors and a tail */
  const int x86 = strcmp(isa, "avx2") == 0 || strcmp(isa, "avx512") == 0;
  float x[N], y[N];
  for (size_t i = 0; i < N; i++) {
    const double u = (double)((i * 37) % N) / (double)N;
    x[i] = (float)(pattern == 1   ? -0.25 * (double)(i % 8)
                   : i % 23 == 5 ? -80.0 - 40.0 * u
                   : i % 7 == 3  ? -60.0 - 30.0 * u
                                 : -9.0 * u);
  }
  if (pattern == 0) x[11] = -INFINITY;
  k->vscaleextexp(N, x, s, e, y);
  for (size_t i = 0; i < N; i++) {
    const double ref = ldexp(exp((double)x[i]) * (double)s, (int)e), mag = fabs(ref);
    CHECK(!x86 || fpclassify(y[i]) != FP_SUBNORMAL, "%s vscaleextexp subnormal s=%g e=%g x=%g: %g",
          isa, (double)s, (double)e, (double)x[i], (double)y[i]);
    if (mag >= 2.0 * FLT_MIN)
      CHECK(fabs(y[i] - ref) <= 4 * 0x1p-24 * mag, "%s vscaleextexp s=%g e=%g x=%g: %.9g vs %.9g",
            isa, (double)s, (double)e, (double)x[i], (double)y[i], ref);
    if (mag < FLT_MIN / 2)
      CHECK(x86 ? y[i] == 0.0f : fabsf(y[i]) <= FLT_MIN,
            "%s vscaleextexp not flushed s=%g e=%g x=%g: %g vs %g", isa, (double)s, (double)e,
            (double)x[i], (double)y[i], ref);
  }
}

static void test_vscaleextexp_flush(const fsm_f32_kernels *k, const char *isa) {
  /* |s| <= 2, as the drivers pass (1 / P, or a gradient times it) */
  const float scales[] = {1.0f,  -1.0f,   0.75f,     -0.5f,       1.5f, -2.0f,
                          3e-30f, -7e-20f, 0x1p-126f, 0x1.8p-126f, 0.0f};
  const float exps[] = {0.0f, -3.0f, -60.0f, -100.0f, -140.0f, 20.0f};
  for (size_t a = 0; a < sizeof scales / sizeof scales[0]; a++) {
    for (int pattern = 0; pattern < 2; pattern++) {
      for (size_t b = 0; b < sizeof exps / sizeof exps[0]; b++)
        check_flush_row(k, isa, pattern, scales[a], exps[b]);
      for (int e = -132; e <= -117; e++) check_flush_row(k, isa, pattern, scales[a], (float)e);
    }
  }
  float x = NAN, y = 0.0f;
  k->vscaleextexp(1, &x, 1.0f, 0.0f, &y);
  CHECK(isnan(y), "%s vscaleextexp NaN in: %g", isa, (double)y);
}

/* The normaliser of a long row stays accurate (blocked accumulation). */
static void test_long_sums(const fsm_f32_kernels *k, const char *isa, size_t n) {
  float *x = malloc(n * sizeof(float));
  fill_uniform(x, n, -10.0, 10.0);
  const double m = ref_max(n, x);
  double ref = 0.0, ref_ext = 0.0;
  for (size_t i = 0; i < n; i++) {
    ref += exp((double)x[i] - m);
    ref_ext += exp((double)x[i]);
  }
  const double got = k->raddexp(n, x, (float)m);
  CHECK(fabs(got - ref) <= 5e-7 * ref, "%s raddexp n=%zu rel err %.3g", isa, n,
        fabs(got - ref) / ref);
  const fsm_extsum e = k->raddextexp(n, x);
  const double got_ext = ldexp(e.mantissa, (int)e.exponent);
  CHECK(fabs(got_ext - ref_ext) <= 5e-7 * ref_ext, "%s raddextexp n=%zu rel err %.3g", isa, n,
        fabs(got_ext - ref_ext) / ref_ext);
  printf("  %-7s n=%zu: raddexp rel err %.2e, raddextexp rel err %.2e\n", isa, n,
         fabs(got - ref) / ref, fabs(got_ext - ref_ext) / ref_ext);
  free(x);
}

int main(void) {
  const char *long_env = getenv("FSM_TEST_LONG_ROW");
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
    CHECK(k->isa == (fsm_isa)v, "%s: table reports isa %d", isa, (int)k->isa);
    tested++;
    mark_isa_tested(isa);
    test_specials(k, isa);
    test_tail_lanes(k, isa);
    test_dominant_sums(k, isa);
    test_vscaleextexp_flush(k, isa);
    const double ulps = measure_exp_ulps(k);
    printf("%-7s exp max error over [-87.3, 0]: %.3f ulp\n", isa, ulps);
    CHECK(ulps <= EXP_ULPS, "%s exp error %.3f ulp > %.1f", isa, ulps, EXP_ULPS);
    test_long_sums(k, isa, long_n);
  }
  CHECK(tested >= 1, "no ISA tested");
  return finish("test_kernels");
}

/* logsumexp, topk_softmax and sample (issue 16) on every ISA this build
 * runs (the emulated avx512 and NEON ones too, through their ctest
 * entries): results against float64 references computed here, every row
 * length 1..70 and a long (chunked) row for logsumexp, ties, masked
 * entries, the greedy limits of sample and its inverse CDF at given
 * uniforms without filters. */
#include "test_util.h"

#include "fastsoftmax.h"

static double lse_ref(size_t n, const float *x) {
  double m = -INFINITY, s = 0.0;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  for (size_t i = 0; i < n; i++) s += exp((double)x[i] - m);
  return m + log(s);
}

static void test_logsumexp(const char *isa) {
  static float x[300000];
  for (size_t n = 1; n <= 70; n++) {
    for (size_t i = 0; i < 3 * n; i++) x[i] = (float)(8.0 * rng_uniform() - 4.0 + (i >= 2 * n ? 200.0 : 0.0));
    float out[3];
    CHECK(fsm_logsumexp_f32(3, n, x, n, out) == FSM_OK, "%s lse status", isa);
    for (int r = 0; r < 3; r++) {
      const double ref = lse_ref(n, x + r * n);
      CHECK(fabs(out[r] - ref) <= 2e-6 * fabs(ref) + 2e-7, "%s lse n=%zu row %d: %g vs %g", isa, n,
            r, out[r], ref);
    }
  }
  const size_t n = 300000; /* chunked on the threads */
  for (size_t i = 0; i < n; i++) x[i] = (float)(6.0 * rng_uniform() - 3.0);
  float out;
  CHECK(fsm_logsumexp_f32(1, n, x, n, &out) == FSM_OK, "%s lse long", isa);
  const double ref = lse_ref(n, x);
  CHECK(fabs(out - ref) <= 2e-6 * fabs(ref), "%s lse long: %g vs %g", isa, out, ref);
  /* special rows: NaN, +inf, all -inf */
  float s[6] = {1.0f, NAN, INFINITY, 0.0f, -INFINITY, -INFINITY}, o[3];
  CHECK(fsm_logsumexp_f32(3, 2, s, 2, o) == FSM_OK, "%s lse special", isa);
  CHECK(o[0] != o[0] && o[1] == INFINITY && o[2] == -INFINITY, "%s lse special: %g %g %g", isa,
        o[0], o[1], o[2]);
  double d[4] = {1.0, 2.0, 3.0, -1.0}, od;
  CHECK(fsm_logsumexp_f64(1, 4, d, 4, &od) == FSM_OK, "%s lse f64", isa);
  CHECK(fabs(od - 3.4197166463153397) < 1e-14, "%s lse f64 %.17g", isa, od);
}

/* the k largest of x by a full selection (value decreasing, index increasing) */
static void topk_ref(size_t n, const float *x, size_t k, int64_t *idx) {
  for (size_t j = 0; j < k; j++) {
    int64_t best = -1;
    for (size_t i = 0; i < n; i++) {
      int taken = 0;
      for (size_t q = 0; q < j; q++) taken |= idx[q] == (int64_t)i;
      if (!taken && (best < 0 || x[i] > x[best])) best = (int64_t)i;
    }
    idx[j] = best;
  }
}

static void test_topk(const char *isa) {
  static float x[5000];
  const size_t ks[] = {1, 3, 16, 17, 40};
  for (size_t n = 1; n <= 70; n += 3) {
    for (size_t t = 0; t < 5; t++) {
      const size_t k = ks[t];
      if (k > n) continue;
      for (size_t i = 0; i < n; i++) x[i] = (float)floor(6.0 * rng_uniform()); /* ties */
      if (n > 1) x[n / 2] = -INFINITY;
      float p[40];
      int64_t idx[40], want[40];
      CHECK(fsm_topk_softmax_f32(1, n, x, n, k, 0, p, k, idx, k) == FSM_OK, "%s topk", isa);
      topk_ref(n, x, k, want);
      double m = -INFINITY, s = 0.0;
      for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
      for (size_t i = 0; i < n; i++) s += exp((double)x[i] - m);
      for (size_t j = 0; j < k; j++) {
        CHECK(idx[j] == want[j], "%s topk n=%zu k=%zu j=%zu: %lld vs %lld", isa, n, k, j,
              (long long)idx[j], (long long)want[j]);
        const double pr = exp((double)x[want[j]] - m) / s;
        CHECK(fabs(p[j] - pr) <= 4e-6 * pr + 1e-30, "%s topk p %g vs %g", isa, p[j], pr);
      }
    }
  }
  /* a long row through the histogram path, renormalised */
  const size_t n = 5000, k = 40;
  for (size_t i = 0; i < n; i++) x[i] = (float)(10.0 * rng_uniform());
  float p[40];
  int64_t idx[40], want[40];
  CHECK(fsm_topk_softmax_f32(1, n, x, n, k, 1, p, k, idx, k) == FSM_OK, "%s topk long", isa);
  topk_ref(n, x, k, want);
  double s = 0.0;
  for (size_t j = 0; j < k; j++) s += exp((double)x[want[j]] - x[want[0]]);
  for (size_t j = 0; j < k; j++) {
    CHECK(idx[j] == want[j], "%s topk long j=%zu", isa, j);
    const double pr = exp((double)x[want[j]] - x[want[0]]) / s;
    CHECK(fabs(p[j] - pr) <= 4e-6 * pr, "%s topk renormalised %g vs %g", isa, p[j], pr);
  }
}

static void test_sample(const char *isa) {
  static float x[4000];
  const size_t n = 4000;
  for (size_t i = 0; i < n; i++) x[i] = (float)(6.0 * rng_uniform() - 3.0);
  size_t am = 0;
  for (size_t i = 1; i < n; i++) am = x[i] > x[am] ? i : am;
  const double u[4] = {0.0, 0.25, 0.5, 0.999};
  int64_t tok[4];
  fsm_sampling_params greedy[3] = {{1.0, 1.0, 0.0, 1}, {1.0, 1e-9, 0.0, 0}, {1.0, 1.0, 1.0, 0}};
  for (int g = 0; g < 3; g++)
    for (int r = 0; r < 4; r++) {
      CHECK(fsm_sample_f32(1, n, x, n, &greedy[g], &u[r], &tok[r]) == FSM_OK, "%s greedy", isa);
      CHECK(tok[r] == (int64_t)am, "%s greedy %d: %lld vs %zu", isa, g, (long long)tok[r], am);
    }
  /* no filter, temperature 2: the inverse CDF in index order */
  double m = x[am], s = 0.0, *cdf = malloc(n * sizeof *cdf);
  for (size_t i = 0; i < n; i++) cdf[i] = (s += exp(((double)x[i] - m) / 2.0));
  const fsm_sampling_params plain = {2.0, 1.0, 0.0, 0};
  for (int t = 0; t < 200; t++) {
    const double v = rng_uniform();
    size_t want = 0;
    while (want < n - 1 && cdf[want] <= v * s) want++;
    const double gap = fmin(fabs(cdf[want] - v * s), want ? fabs(cdf[want - 1] - v * s) : 1.0);
    if (gap < 1e-4 * s) continue;
    int64_t got;
    CHECK(fsm_sample_f32(1, n, x, n, &plain, &v, &got) == FSM_OK, "%s plain", isa);
    CHECK(got == (int64_t)want, "%s inverse CDF at %g: %lld vs %zu", isa, v, (long long)got, want);
  }
  free(cdf);
  /* masked entries are never drawn, whatever the filters */
  for (size_t i = 0; i < n; i += 2) x[i] = -INFINITY;
  const fsm_sampling_params mixed = {0.7, 0.9, 0.01, 100};
  for (int t = 0; t < 50; t++) {
    const double v = rng_uniform();
    int64_t got;
    CHECK(fsm_sample_f32(1, n, x, n, &mixed, &v, &got) == FSM_OK, "%s mixed", isa);
    CHECK(got % 2 == 1, "%s drew a masked token %lld", isa, (long long)got);
  }
}

int main(void) {
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    if (!fsm_isa_supported((fsm_isa)v)) continue;
    CHECK(fsm_set_isa((fsm_isa)v) == FSM_OK, "set isa");
    const char *isa = fsm_isa_name((fsm_isa)v);
    test_logsumexp(isa);
    test_topk(isa);
    test_sample(isa);
    mark_isa_tested(isa);
  }
  fsm_set_isa(FSM_ISA_AUTO);
  return finish("test_decoding");
}

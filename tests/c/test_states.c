/* Mergeable softmax states (typed/states.c): a row cut into random pieces,
 * the pieces' states merged along random trees, must give the same bits
 * every time (the merge is exact), and logsumexp / softmax / log-softmax
 * from the merged state must match float64 references and the in-memory
 * functions. Special rows (NaN, +inf, all -inf, empty, |max| >= 2^60),
 * long rows (chunked on the library's threads) and the error paths. On
 * every ISA the machine runs. */
#include "test_util.h"

#include "fastsoftmax.h"

#define MAXN 5000
#define MAXPIECES 64

static size_t rng_below(size_t n) { return (size_t)(rng_uniform() * (double)n); }

/* Merge states s[0..n) along a random binary tree (random pairs of the
 * remaining states, in random argument order, until one is left). */
static fsm_softmax_state merge_random_tree(const fsm_softmax_state *s, size_t n) {
  fsm_softmax_state work[MAXPIECES];
  memcpy(work, s, n * sizeof *s);
  while (n > 1) {
    const size_t i = rng_below(n);
    size_t j = rng_below(n - 1);
    if (j >= i) j++;
    fsm_softmax_state m;
    CHECK(fsm_merge_softmax_states(1, &work[i], &work[j], &m) == FSM_OK, "merge");
    const size_t lo = i < j ? i : j, hi = i < j ? j : i;
    work[lo] = m;
    work[hi] = work[n - 1];
    n--;
  }
  return work[0];
}

static double lse64(const double *x, size_t n) {
  double m = -INFINITY, s = 0;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  for (size_t i = 0; i < n; i++) s += exp(x[i] - m);
  return m + log(s);
}

/* One row of n values, cut at random into pieces; states per piece of
 * float32 (f64 = 0) or float64 values. */
static void test_trees(const char *isa, int f64) {
  static float xf[MAXN], yf[MAXN], ref_f[MAXN];
  static double xd[MAXN], yd[MAXN], ref_d[MAXN], x64[MAXN];
  for (int trial = 0; trial < 60; trial++) {
    const size_t n = 1 + rng_below(MAXN);
    const size_t pieces = 1 + rng_below(n < MAXPIECES ? n : MAXPIECES);
    /* pieces at very different scales: offsets far beyond a bin (32 bits,
     * 22 in the exponent's units) so bins shift and drop */
    const double spread = f64 ? (trial % 3 == 0 ? 700.0 : 60.0) : (trial % 3 == 0 ? 80.0 : 20.0);
    size_t cut[MAXPIECES + 1];
    cut[0] = 0;
    for (size_t p = 1; p < pieces; p++) cut[p] = rng_below(n + 1);
    cut[pieces] = n;
    for (size_t p = 1; p < pieces; p++)  /* sort */
      for (size_t q = p; q > 0 && cut[q] < cut[q - 1]; q--) {
        const size_t t = cut[q]; cut[q] = cut[q - 1]; cut[q - 1] = t;
      }
    for (size_t p = 0; p < pieces; p++) {
      const double offset = (rng_uniform() * 2 - 1) * spread;
      for (size_t i = cut[p]; i < cut[p + 1]; i++) {
        const double v = offset + (rng_uniform() * 2 - 1) * 5;
        xf[i] = (float)v;
        xd[i] = v;
        x64[i] = f64 ? v : (double)xf[i];
      }
    }
    fsm_softmax_state st[MAXPIECES];
    for (size_t p = 0; p < pieces; p++) {
      const size_t len = cut[p + 1] - cut[p];
      const fsm_status s = f64 ? fsm_softmax_state_f64(1, len, xd + cut[p], len, &st[p])
                               : fsm_softmax_state_f32(1, len, xf + cut[p], len, &st[p]);
      CHECK(s == FSM_OK, "%s state status %d", isa, (int)s);
    }
    const fsm_softmax_state first = merge_random_tree(st, pieces);
    for (int t = 0; t < 12; t++) {
      const fsm_softmax_state again = merge_random_tree(st, pieces);
      CHECK(memcmp(&first, &again, sizeof first) == 0, "%s f64=%d n=%zu pieces=%zu: trees differ",
            isa, f64, n, pieces);
    }
    double lse;
    CHECK(fsm_logsumexp_from_states(1, &first, &lse) == FSM_OK, "lse status");
    const double want = lse64(x64, n);
    /* float32 rows: the kernels' exp is float's (sums good to ~2^-24) */
    CHECK(fabs(lse - want) <= (f64 ? 1e-13 : 1e-6) * fmax(1, fabs(want)), "%s f64=%d n=%zu: lse %.17g vs %.17g",
          isa, f64, n, lse, want);
    /* every piece normalised by the merged state = the whole row's softmax */
    for (size_t p = 0; p < pieces; p++) {
      const size_t len = cut[p + 1] - cut[p];
      if (f64) {
        CHECK(fsm_softmax_from_state_f64(1, len, xd + cut[p], len, &first, yd + cut[p], len) == FSM_OK, "sfs");
      } else {
        CHECK(fsm_softmax_from_state_f32(1, len, xf + cut[p], len, &first, yf + cut[p], len) == FSM_OK, "sfs");
      }
    }
    if (f64) CHECK(fsm_softmax_f64(1, n, xd, n, ref_d, n, FSM_ALGORITHM_AUTO) == FSM_OK, "sm");
    else CHECK(fsm_softmax_f32(1, n, xf, n, ref_f, n, FSM_ALGORITHM_AUTO) == FSM_OK, "sm");
    for (size_t i = 0; i < n; i++) {
      const double got = f64 ? yd[i] : yf[i], ref = exp(x64[i] - want);
      /* float32: the argument x - max rounds to float (2^-24 |x - max|) */
      const double tol = f64 ? 1e-12 * ref + 1e-300
                             : (3e-6 + 0x1p-24 * fabs(x64[i] - want)) * ref + FLT_MIN;
      CHECK(fabs(got - ref) <= tol, "%s f64=%d n=%zu i=%zu: softmax %.9g vs %.9g", isa, f64, n, i,
            got, ref);
    }
    /* log-softmax in place */
    for (size_t p = 0; p < pieces; p++) {
      const size_t len = cut[p + 1] - cut[p];
      if (f64) {
        memcpy(yd + cut[p], xd + cut[p], len * sizeof(double));
        CHECK(fsm_log_softmax_from_state_f64(1, len, yd + cut[p], len, &first, yd + cut[p], len) == FSM_OK, "lsfs");
      } else {
        memcpy(yf + cut[p], xf + cut[p], len * sizeof(float));
        CHECK(fsm_log_softmax_from_state_f32(1, len, yf + cut[p], len, &first, yf + cut[p], len) == FSM_OK, "lsfs");
      }
    }
    for (size_t i = 0; i < n; i++) {
      const double got = f64 ? yd[i] : yf[i], ref = x64[i] - want;
      const double tol = (f64 ? 1e-13 : 3e-6) * fmax(1, fabs(ref));
      CHECK(fabs(got - ref) <= tol, "%s f64=%d i=%zu: log-softmax %.9g vs %.9g", isa, f64, i, got, ref);
    }
  }
}

static fsm_softmax_state state_of(const float *x, size_t n) {
  fsm_softmax_state s;
  CHECK(fsm_softmax_state_f32(1, n, x, n, &s) == FSM_OK, "state");
  return s;
}

static void test_specials(const char *isa) {
  const float inf = INFINITY;
  const float nanv = NAN;
  float a[4] = {1, 2, 3, 4}, b[3] = {-inf, -inf, -inf}, c[3] = {0, inf, 1}, d[3] = {0, nanv, 1};
  float e[3] = {0, inf, nanv}, h[3] = {0x1p61f, 0x1p61f, 3}, hn[2] = {-0x1p62f, -0x1p62f};
  const fsm_softmax_state sa = state_of(a, 4), sb = state_of(b, 3), sc = state_of(c, 3),
                          sd = state_of(d, 3), se = state_of(e, 3), sh = state_of(h, 3),
                          shn = state_of(hn, 2), s0 = state_of(a, 0);
  double out[8];
  const fsm_softmax_state all[8] = {sa, sb, sc, sd, se, sh, shn, s0};
  CHECK(fsm_logsumexp_from_states(8, all, out) == FSM_OK, "lse");
  CHECK(fabs(out[0] - (4 + log(1 + exp(-1) + exp(-2) + exp(-3)))) < 1e-6, "%s lse %g", isa, out[0]);
  CHECK(out[1] == -INFINITY && out[2] == INFINITY && isnan(out[3]) && isnan(out[4]), "%s specials", isa);
  CHECK(out[5] == 0x1p61 + log(2.0), "%s huge %.17g", isa, out[5]);
  CHECK(out[6] == -0x1p62 + log(2.0), "%s huge negative %.17g", isa, out[6]);
  CHECK(out[7] == -INFINITY, "%s empty", isa);
  /* merges with specials: -inf and empty are identities; NaN and +inf absorb */
  fsm_softmax_state m;
  fsm_merge_softmax_states(1, &sa, &sb, &m);
  CHECK(memcmp(&m, &sa, sizeof m) == 0, "%s -inf identity", isa);
  fsm_merge_softmax_states(1, &s0, &sa, &m);
  CHECK(memcmp(&m, &sa, sizeof m) == 0, "%s empty identity", isa);
  fsm_merge_softmax_states(1, &sa, &sd, &m);
  CHECK(isnan(m.max), "%s NaN absorbs", isa);
  fsm_merge_softmax_states(1, &sc, &sa, &m);
  CHECK(m.max == INFINITY, "%s +inf absorbs", isa);
  fsm_merge_softmax_states(1, &sc, &sd, &m);
  CHECK(isnan(m.max), "%s NaN beats +inf", isa);
  fsm_merge_softmax_states(1, &sh, &sa, &m);
  CHECK(memcmp(&m, &sh, sizeof m) == 0, "%s huge max: the rest vanishes", isa);
  fsm_merge_softmax_states(1, &shn, &sa, &m);
  CHECK(memcmp(&m, &sa, sizeof m) == 0, "%s huge negative vanishes", isa);
  fsm_merge_softmax_states(1, &sh, &sh, &m);
  CHECK(m.sum[0] == 4 && m.max == 0x1p61, "%s counts add", isa);
  /* outputs: a NaN row for the special states; the huge row is one-hot / 2 */
  float y[4];
  CHECK(fsm_softmax_from_state_f32(1, 3, c, 3, &sc, y, 3) == FSM_OK && isnan(y[0]) && isnan(y[2]),
        "%s +inf row NaN", isa);
  CHECK(fsm_log_softmax_from_state_f32(1, 3, b, 3, &sb, y, 3) == FSM_OK && isnan(y[1]),
        "%s -inf row NaN", isa);
  CHECK(fsm_softmax_from_state_f32(1, 3, h, 3, &sh, y, 3) == FSM_OK && y[0] == 0.5f && y[1] == 0.5f &&
        y[2] == 0, "%s huge row %g %g %g", isa, y[0], y[1], y[2]);
  /* +0 and -0 give the same bits */
  float z1[2] = {0.0f, -1}, z2[2] = {-0.0f, -1};
  const fsm_softmax_state sz1 = state_of(z1, 2), sz2 = state_of(z2, 2);
  CHECK(memcmp(&sz1, &sz2, sizeof sz1) == 0, "%s signed zero", isa);
}

/* A long row: chunked on the library's threads, the same bits at 1 and 2
 * threads, and merged with a short piece in either order. */
static void test_long_row(const char *isa) {
  const size_t n = ((size_t)1 << 18) + 1234;
  float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
  double *x64 = malloc(n * sizeof(double));
  for (size_t i = 0; i < n; i++) {
    x[i] = (float)((rng_uniform() * 2 - 1) * 30);
    x64[i] = x[i];
  }
  fsm_softmax_state s1, s2;
  const size_t threads = fsm_get_num_threads();
  fsm_set_num_threads(1);
  CHECK(fsm_softmax_state_f32(1, n, x, n, &s1) == FSM_OK, "long state");
  fsm_set_num_threads(2);
  CHECK(fsm_softmax_state_f32(1, n, x, n, &s2) == FSM_OK, "long state");
  fsm_set_num_threads(threads);
  CHECK(memcmp(&s1, &s2, sizeof s1) == 0, "%s long row: threads change the bits", isa);
  double lse;
  fsm_logsumexp_from_states(1, &s1, &lse);
  const double want = lse64(x64, n);
  CHECK(fabs(lse - want) < 1e-6 * fabs(want), "%s long lse %.17g %.17g", isa, lse, want);
  CHECK(fsm_log_softmax_from_state_f32(1, n, x, n, &s1, y, n) == FSM_OK, "long lsfs");
  double worst = 0;
  for (size_t i = 0; i < n; i++) worst = fmax(worst, fabs(y[i] - (x64[i] - want)) / fmax(1, fabs(x64[i] - want)));
  CHECK(worst < 3e-6, "%s long log-softmax error %g", isa, worst);
  free(x);
  free(y);
  free(x64);
}

static void test_errors(void) {
  float x[4] = {1, 2, 3, 4}, y[4];
  fsm_softmax_state s[2];
  CHECK(fsm_softmax_state_f32(2, 2, x, 2, NULL) == FSM_NULL_POINTER, "NULL states");
  CHECK(fsm_softmax_state_f32(2, 2, NULL, 2, s) == FSM_NULL_POINTER, "NULL x");
  CHECK(fsm_softmax_state_f32(2, 2, x, 1, s) == FSM_INVALID_STRIDE, "stride");
  CHECK(fsm_softmax_state_f32(0, 2, NULL, 0, NULL) == FSM_OK, "empty");
  CHECK(fsm_softmax_state_f32(2, 2, x, 2, s) == FSM_OK, "ok");
  CHECK(fsm_softmax_from_state_f32(2, 2, x, 2, NULL, y, 2) == FSM_NULL_POINTER, "NULL in states");
  CHECK(fsm_softmax_from_state_f32(2, 2, x, 2, s, NULL, 2) == FSM_NULL_POINTER, "NULL y");
  CHECK(fsm_log_softmax_from_state_f32(2, 2, x, 2, s, y, 1) == FSM_INVALID_STRIDE, "y stride");
  CHECK(fsm_merge_softmax_states(1, s, NULL, s) == FSM_NULL_POINTER, "merge NULL");
  CHECK(fsm_merge_softmax_states(0, NULL, NULL, NULL) == FSM_OK, "merge empty");
  CHECK(fsm_logsumexp_from_states(1, NULL, NULL) == FSM_NULL_POINTER, "lse NULL");
  /* in place merge */
  fsm_softmax_state m = s[0];
  CHECK(fsm_merge_softmax_states(1, &m, &s[1], &m) == FSM_OK, "in place");
}

int main(void) {
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    if (!fsm_isa_supported((fsm_isa)v)) continue;
    CHECK(fsm_set_isa((fsm_isa)v) == FSM_OK, "set isa");
    const char *isa = fsm_isa_name((fsm_isa)v);
    mark_isa_tested(isa);
    test_trees(isa, 0);
    test_trees(isa, 1);
    test_specials(isa);
    test_long_row(isa);
    printf("%-7s states: checked\n", isa);
  }
  fsm_set_isa(FSM_ISA_AUTO);
  test_errors();
  return finish("test_states");
}

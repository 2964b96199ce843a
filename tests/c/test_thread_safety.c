/*
 * Thread safety through the C API (issue 19; .ci/robustness.sh also runs it
 * under ThreadSanitizer): N threads call every public computing function
 * at once, float32 and float64, each thread under its own ISA override
 * (fsm_set_thread_isa) that changes from call to call, while one more
 * thread keeps switching the process-wide ISA (fsm_set_isa) and another
 * calls without an override. Each overridden result must equal, bit for
 * bit, the single-threaded result under that ISA; a result without an
 * override must equal the one of some ISA (one consistent table per call).
 * The single-threaded results of softmax, log-softmax and cross-entropy
 * are checked against float64 references first. Shapes include a batch
 * big enough for the library's worker threads and one long row.
 */
#include "test_util.h" /* first: _DEFAULT_SOURCE */
#include <pthread.h>

#include "fastsoftmax.h"

#define N_THREADS 6
#define ROUNDS 3

typedef struct shape {
  size_t rows, cols;
} shape;

static const shape SHAPES[] = {{64, 1100}, {1, 140000}, {5, 37}};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])

enum {
  F_SOFTMAX, F_LOG_SOFTMAX, F_SOFTMAX_TWO_PASS, F_LOG_SOFTMAX_ONLINE, F_SOFTMAX_BACKWARD,
  F_LOG_SOFTMAX_BACKWARD, F_CROSS_ENTROPY, F_CROSS_ENTROPY_SOFT, F_SPHERICAL_STATS,
  F_SPHERICAL_SOFTMAX, F_LOG_SPHERICAL_SOFTMAX, F_TAYLOR_SOFTMAX, F_LOG_TAYLOR_SOFTMAX,
  F_STABLEMAX, F_LOG_STABLEMAX, F_LOG_SPHERICAL_LOSS, F_LOG_TAYLOR_LOSS, F_Z_LOSS,
  F_STABLEMAX_CROSS_ENTROPY, N_FUNCTIONS
};

/* Inputs per shape, both dtypes. */
typedef struct inputs {
  size_t rows, cols;
  float *x, *dy, *t, *y_in, *z_in;
  double *xd, *dyd, *td, *yd_in, *zd_in;
  int64_t *c;  /* row 2 ignored (-100) */
  int64_t *cs; /* c without ignored rows (spherical_stats takes none) */
} inputs;

/* One result: the output matrix, per-row losses, statistics. */
typedef struct result {
  void *y;
  void *loss;
  double *stats;
  size_t y_bytes, loss_bytes, stats_bytes;
} result;

static inputs g_in[N_SHAPES];
static result g_expected[N_SHAPES][FSM_ISA_COUNT][N_FUNCTIONS][2];
static int g_isas[FSM_ISA_COUNT], g_n_isas;

static void result_alloc(result *r, const inputs *in, int f64) {
  const size_t es = f64 ? sizeof(double) : sizeof(float);
  r->y_bytes = in->rows * in->cols * es;
  r->loss_bytes = in->rows * es;
  r->stats_bytes = 3 * in->rows * sizeof(double);
  r->y = calloc(in->rows * in->cols + 1, es);
  r->loss = calloc(in->rows + 1, es);
  r->stats = calloc(3 * in->rows + 1, sizeof(double));
}

static void result_free(result *r) {
  free(r->y);
  free(r->loss);
  free(r->stats);
}

static fsm_status call(int f, int f64, const inputs *in, result *out) {
  const size_t R = in->rows, C = in->cols;
  /* what this function does not write compares equal */
  memset(out->y, 0, out->y_bytes);
  memset(out->loss, 0, out->loss_bytes);
  memset(out->stats, 0, out->stats_bytes);
  if (!f64) {
    const float *x = in->x;
    float *y = out->y, *loss = out->loss;
    switch (f) {
      case F_SOFTMAX: return fsm_softmax_f32(R, C, x, C, y, C, FSM_ALGORITHM_AUTO);
      case F_LOG_SOFTMAX: return fsm_log_softmax_f32(R, C, x, C, y, C, FSM_ALGORITHM_AUTO);
      case F_SOFTMAX_TWO_PASS: return fsm_softmax_f32(R, C, x, C, y, C, FSM_ALGORITHM_TWO_PASS);
      case F_LOG_SOFTMAX_ONLINE: return fsm_log_softmax_f32(R, C, x, C, y, C, FSM_ALGORITHM_ONLINE);
      case F_SOFTMAX_BACKWARD: return fsm_softmax_backward_f32(R, C, in->y_in, C, in->dy, C, y, C);
      case F_LOG_SOFTMAX_BACKWARD:
        return fsm_log_softmax_backward_f32(R, C, in->z_in, C, in->dy, C, y, C);
      case F_CROSS_ENTROPY:
        return fsm_cross_entropy_f32(R, C, x, C, in->c, -100, 0.1, 0.5, loss, y, C);
      case F_CROSS_ENTROPY_SOFT:
        return fsm_cross_entropy_soft_f32(R, C, x, C, in->t, C, 0.05, 1.0, loss, y, C);
      case F_SPHERICAL_STATS: return fsm_spherical_stats_f32(R, C, x, C, in->cs, out->stats);
      case F_SPHERICAL_SOFTMAX: return fsm_spherical_softmax_f32(R, C, x, C, y, C, 1e-3);
      case F_LOG_SPHERICAL_SOFTMAX: return fsm_log_spherical_softmax_f32(R, C, x, C, y, C, 1e-3);
      case F_TAYLOR_SOFTMAX: return fsm_taylor_softmax_f32(R, C, x, C, y, C);
      case F_LOG_TAYLOR_SOFTMAX: return fsm_log_taylor_softmax_f32(R, C, x, C, y, C);
      case F_STABLEMAX: return fsm_stablemax_f32(R, C, x, C, y, C);
      case F_LOG_STABLEMAX: return fsm_log_stablemax_f32(R, C, x, C, y, C);
      case F_LOG_SPHERICAL_LOSS:
        return fsm_log_spherical_loss_f32(R, C, x, C, in->c, -100, 1e-3, 1.0, loss, y, C);
      case F_LOG_TAYLOR_LOSS: return fsm_log_taylor_loss_f32(R, C, x, C, in->c, -100, 1.0, loss, y, C);
      case F_Z_LOSS: return fsm_z_loss_f32(R, C, x, C, in->c, -100, 2.0, 0.5, 0.0, 1.0, loss, y, C);
      case F_STABLEMAX_CROSS_ENTROPY:
        return fsm_stablemax_cross_entropy_f32(R, C, x, C, in->c, -100, 1.0, loss, y, C);
    }
  } else {
    const double *x = in->xd;
    double *y = out->y, *loss = out->loss;
    switch (f) {
      case F_SOFTMAX: return fsm_softmax_f64(R, C, x, C, y, C, FSM_ALGORITHM_AUTO);
      case F_LOG_SOFTMAX: return fsm_log_softmax_f64(R, C, x, C, y, C, FSM_ALGORITHM_AUTO);
      case F_SOFTMAX_TWO_PASS: return fsm_softmax_f64(R, C, x, C, y, C, FSM_ALGORITHM_TWO_PASS);
      case F_LOG_SOFTMAX_ONLINE: return fsm_log_softmax_f64(R, C, x, C, y, C, FSM_ALGORITHM_ONLINE);
      case F_SOFTMAX_BACKWARD: return fsm_softmax_backward_f64(R, C, in->yd_in, C, in->dyd, C, y, C);
      case F_LOG_SOFTMAX_BACKWARD:
        return fsm_log_softmax_backward_f64(R, C, in->zd_in, C, in->dyd, C, y, C);
      case F_CROSS_ENTROPY:
        return fsm_cross_entropy_f64(R, C, x, C, in->c, -100, 0.1, 0.5, loss, y, C);
      case F_CROSS_ENTROPY_SOFT:
        return fsm_cross_entropy_soft_f64(R, C, x, C, in->td, C, 0.05, 1.0, loss, y, C);
      case F_SPHERICAL_STATS: return fsm_spherical_stats_f64(R, C, x, C, in->cs, out->stats);
      case F_SPHERICAL_SOFTMAX: return fsm_spherical_softmax_f64(R, C, x, C, y, C, 1e-3);
      case F_LOG_SPHERICAL_SOFTMAX: return fsm_log_spherical_softmax_f64(R, C, x, C, y, C, 1e-3);
      case F_TAYLOR_SOFTMAX: return fsm_taylor_softmax_f64(R, C, x, C, y, C);
      case F_LOG_TAYLOR_SOFTMAX: return fsm_log_taylor_softmax_f64(R, C, x, C, y, C);
      case F_STABLEMAX: return fsm_stablemax_f64(R, C, x, C, y, C);
      case F_LOG_STABLEMAX: return fsm_log_stablemax_f64(R, C, x, C, y, C);
      case F_LOG_SPHERICAL_LOSS:
        return fsm_log_spherical_loss_f64(R, C, x, C, in->c, -100, 1e-3, 1.0, loss, y, C);
      case F_LOG_TAYLOR_LOSS: return fsm_log_taylor_loss_f64(R, C, x, C, in->c, -100, 1.0, loss, y, C);
      case F_Z_LOSS: return fsm_z_loss_f64(R, C, x, C, in->c, -100, 2.0, 0.5, 0.0, 1.0, loss, y, C);
      case F_STABLEMAX_CROSS_ENTROPY:
        return fsm_stablemax_cross_entropy_f64(R, C, x, C, in->c, -100, 1.0, loss, y, C);
    }
  }
  return FSM_INVALID_ARGUMENT;
}

static int same(const result *a, const result *b) {
  return memcmp(a->y, b->y, a->y_bytes) == 0 && memcmp(a->loss, b->loss, a->loss_bytes) == 0 &&
         memcmp(a->stats, b->stats, a->stats_bytes) == 0;
}

/* float64 references of softmax, log-softmax and cross-entropy (label
 * smoothing 0.1, gradient scale 0.5) for one row. */
static void check_reference(const inputs *in, int f, int f64, const result *r, const char *isa) {
  const double tol = f64 ? 1e-12 : 4e-6;
  for (size_t row = 0; row < in->rows; row++) {
    const size_t C = in->cols;
    double m = -INFINITY, s = 0.0;
    for (size_t i = 0; i < C; i++) {
      const double v = f64 ? in->xd[row * C + i] : in->x[row * C + i];
      m = v > m ? v : m;
    }
    for (size_t i = 0; i < C; i++) s += exp((f64 ? in->xd[row * C + i] : in->x[row * C + i]) - m);
    double sum_logp = 0.0;
    for (size_t i = 0; i < C; i++) {
      const double v = f64 ? in->xd[row * C + i] : in->x[row * C + i];
      const double p = exp(v - m) / s, logp = (v - m) - log(s);
      const double got = f64 ? ((const double *)r->y)[row * C + i] : ((const float *)r->y)[row * C + i];
      sum_logp += logp;
      double want;
      if (f == F_SOFTMAX || f == F_SOFTMAX_TWO_PASS) {
        want = p;
        CHECK(fabs(got - want) <= tol * want + 1e-30, "%s softmax f64=%d [%zu,%zu] %.9g vs %.9g",
              isa, f64, row, i, got, want);
      } else if (f == F_LOG_SOFTMAX || f == F_LOG_SOFTMAX_ONLINE) {
        want = logp;
        CHECK(fabs(got - want) <= tol * (fabs(want) + 1.0), "%s log_softmax f64=%d [%zu,%zu]", isa,
              f64, row, i);
      } else if (f == F_CROSS_ENTROPY) {
        const double target = (int64_t)i == in->c[row] ? 0.9 + 0.1 / (double)C : 0.1 / (double)C;
        want = in->c[row] == -100 ? 0.0 : 0.5 * (p - target);
        CHECK(fabs(got - want) <= tol * (p + target) + 1e-30, "%s CE grad f64=%d [%zu,%zu] %.9g vs %.9g",
              isa, f64, row, i, got, want);
      }
    }
    if (f == F_CROSS_ENTROPY && in->c[row] != -100) {
      const double xc = f64 ? in->xd[row * C + (size_t)in->c[row]] : in->x[row * C + (size_t)in->c[row]];
      const double L = 0.9 * ((log(s) + m) - xc) - 0.1 * (sum_logp / (double)C);
      const double got = f64 ? ((const double *)r->loss)[row] : ((const float *)r->loss)[row];
      CHECK(fabs(got - L) <= tol * (fabs(L) + 1.0) * 10, "%s CE loss f64=%d row %zu: %.9g vs %.9g",
            isa, f64, row, got, L);
    }
  }
}

/* ---- the threads */

static int g_stop = 0; /* atomic */
static int g_mismatch = 0, g_bad_status = 0, g_isa_leak = 0;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static void count(int *what) {
  pthread_mutex_lock(&g_lock);
  (*what)++;
  pthread_mutex_unlock(&g_lock);
}

static void *worker(void *arg) {
  const int k = (int)(intptr_t)arg;
  result r[N_SHAPES][2];
  for (size_t s = 0; s < N_SHAPES; s++)
    for (int d = 0; d < 2; d++) result_alloc(&r[s][d], &g_in[s], d);
  for (int round = 0; round < ROUNDS; round++) {
    for (int f = 0; f < N_FUNCTIONS; f++) {
      for (size_t s = 0; s < N_SHAPES; s++) {
        const int d = (k + f + (int)s + round) & 1;
        const int isa = g_isas[(k + f + round + (int)s) % g_n_isas];
        if (fsm_set_thread_isa((fsm_isa)isa) != FSM_OK) count(&g_bad_status);
        if (call(f, d, &g_in[s], &r[s][d]) != FSM_OK) count(&g_bad_status);
        if (fsm_active_isa() != (fsm_isa)isa) count(&g_isa_leak);
        if (!same(&r[s][d], &g_expected[s][isa][f][d])) count(&g_mismatch);
      }
    }
  }
  fsm_set_thread_isa(FSM_ISA_AUTO);
  for (size_t s = 0; s < N_SHAPES; s++)
    for (int d = 0; d < 2; d++) result_free(&r[s][d]);
  return NULL;
}

/* Calls without an override while the process-wide ISA changes: each
 * result is that of one of the ISAs. */
static void *no_override(void *arg) {
  (void)arg;
  result r;
  result_alloc(&r, &g_in[0], 0);
  for (int round = 0; round < ROUNDS * 4 && !__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE); round++) {
    for (int f = 0; f < N_FUNCTIONS; f++) {
      if (call(f, 0, &g_in[0], &r) != FSM_OK) count(&g_bad_status);
      int matched = 0;
      for (int i = 0; i < g_n_isas; i++) matched |= same(&r, &g_expected[0][g_isas[i]][f][0]);
      if (!matched) count(&g_mismatch);
    }
  }
  result_free(&r);
  return NULL;
}

static void *toggler(void *arg) {
  (void)arg;
  unsigned i = 0;
  while (!__atomic_load_n(&g_stop, __ATOMIC_ACQUIRE)) {
    if (fsm_set_isa((fsm_isa)g_isas[i++ % (unsigned)g_n_isas]) != FSM_OK) count(&g_bad_status);
  }
  return NULL;
}

static void fill_inputs(inputs *in, size_t rows, size_t cols) {
  const size_t n = rows * cols;
  in->rows = rows;
  in->cols = cols;
  in->x = malloc(n * sizeof(float));
  in->dy = malloc(n * sizeof(float));
  in->t = malloc(n * sizeof(float));
  in->y_in = malloc(n * sizeof(float));
  in->z_in = malloc(n * sizeof(float));
  in->xd = malloc(n * sizeof(double));
  in->dyd = malloc(n * sizeof(double));
  in->td = malloc(n * sizeof(double));
  in->yd_in = malloc(n * sizeof(double));
  in->zd_in = malloc(n * sizeof(double));
  in->c = malloc(rows * sizeof(int64_t));
  in->cs = malloc(rows * sizeof(int64_t));
  for (size_t i = 0; i < n; i++) {
    in->xd[i] = in->x[i] = (float)(8.0 * rng_uniform() - 4.0);
    in->dyd[i] = in->dy[i] = (float)(2.0 * rng_uniform() - 1.0);
    in->td[i] = in->t[i] = (float)rng_uniform() / (float)cols;
  }
  for (size_t r = 0; r < rows; r++) {
    in->cs[r] = (int64_t)((r * 7919u) % cols);
    in->c[r] = r == 2 ? -100 : in->cs[r];
  }
  fsm_set_thread_isa(FSM_ISA_SCALAR);
  fsm_softmax_f32(rows, cols, in->x, cols, in->y_in, cols, FSM_ALGORITHM_AUTO);
  fsm_log_softmax_f32(rows, cols, in->x, cols, in->z_in, cols, FSM_ALGORITHM_AUTO);
  fsm_softmax_f64(rows, cols, in->xd, cols, in->yd_in, cols, FSM_ALGORITHM_AUTO);
  fsm_log_softmax_f64(rows, cols, in->xd, cols, in->zd_in, cols, FSM_ALGORITHM_AUTO);
  fsm_set_thread_isa(FSM_ISA_AUTO);
}

int main(void) {
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++)
    if (fsm_isa_supported((fsm_isa)v)) g_isas[g_n_isas++] = v;
  for (size_t s = 0; s < N_SHAPES; s++) fill_inputs(&g_in[s], SHAPES[s].rows, SHAPES[s].cols);

  /* single-threaded results per ISA (and their references) */
  for (int i = 0; i < g_n_isas; i++) {
    const int isa = g_isas[i];
    CHECK(fsm_set_thread_isa((fsm_isa)isa) == FSM_OK, "set thread isa");
    for (size_t s = 0; s < N_SHAPES; s++) {
      for (int f = 0; f < N_FUNCTIONS; f++) {
        for (int d = 0; d < 2; d++) {
          result *r = &g_expected[s][isa][f][d];
          result_alloc(r, &g_in[s], d);
          CHECK(call(f, d, &g_in[s], r) == FSM_OK, "single-threaded call %d", f);
          check_reference(&g_in[s], f, d, r, fsm_isa_name((fsm_isa)isa));
        }
      }
    }
    mark_isa_tested(fsm_isa_name((fsm_isa)isa));
  }
  CHECK(fsm_set_thread_isa(FSM_ISA_AUTO) == FSM_OK, "clear thread isa");

  pthread_t threads[N_THREADS], extra[2];
  for (int k = 0; k < N_THREADS; k++)
    CHECK(pthread_create(&threads[k], NULL, worker, (void *)(intptr_t)k) == 0, "pthread_create");
  CHECK(pthread_create(&extra[0], NULL, toggler, NULL) == 0, "pthread_create");
  CHECK(pthread_create(&extra[1], NULL, no_override, NULL) == 0, "pthread_create");
  for (int k = 0; k < N_THREADS; k++) pthread_join(threads[k], NULL);
  pthread_join(extra[1], NULL);
  __atomic_store_n(&g_stop, 1, __ATOMIC_RELEASE);
  pthread_join(extra[0], NULL);
  CHECK(g_mismatch == 0, "%d concurrent results differ from the single-threaded ones", g_mismatch);
  CHECK(g_bad_status == 0, "%d calls failed", g_bad_status);
  CHECK(g_isa_leak == 0, "%d calls saw another thread's ISA", g_isa_leak);
  CHECK(fsm_set_isa(FSM_ISA_AUTO) == FSM_OK && fsm_active_isa() == fsm_detected_isa(), "auto");

  for (size_t s = 0; s < N_SHAPES; s++)
    for (int i = 0; i < g_n_isas; i++)
      for (int f = 0; f < N_FUNCTIONS; f++)
        for (int d = 0; d < 2; d++) result_free(&g_expected[s][g_isas[i]][f][d]);
  return finish("test_thread_safety");
}

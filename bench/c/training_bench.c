/*
 * Microbenchmark of the f32 training kernels (FSM_TRAINING_KERNEL_LIST),
 * every table this CPU runs side by side: the scalar table is what every
 * ISA used before it had its own, so "scalar" vs "avx2" is that A/B, timed
 * interleaved (each repetition runs every ISA once, in turn).
 *
 *   fsm_training_bench [-s 65536,16777216] [-r reps] [-l]
 *
 * Each line: kernel, n, then per ISA the median ns per row and elements/ns,
 * and the speed-up over scalar. Pin it: taskset -c 1 ./fsm_training_bench.
 *
 * -l: instead, the loss forward + gradient of the spherical family (public
 * API, ISA forced, gradient buffer allocated and touched once) on 4 rows of
 * n floats each, with the copy-bandwidth ceiling (bandwidth.c) measured
 * before and after; fraction of the ceiling at the bytes the passes move:
 * 12 per element for each (statistics: read; gradient: read + write; the
 * Z-loss takes its statistics shifted by x_c in the same one read, and a
 * second read only for rows where x_c is an outlier).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bandwidth.h"
#include "kernels.h"
#include "bench_util.h"

#define N_KERNELS 13
static const char *const NAMES[N_KERNELS] = {
    "rsum", "rdot", "rsumsq", "vsubmul", "vsubscaleexp", "vaffine", "vaxpbyc",
    "vquadscale", "vlogquad", "raddstable", "vscalestable", "vstablegrad", "vlogstable"};

static void run(const fsm_f32_kernels *k, int what, size_t n, const float *a, const float *b,
                const float *lp, float *y) {
  double s[2];
  switch (what) {
    case 0: g_sink = k->rsum(n, a); break;
    case 1: g_sink = k->rdot(n, a, b); break;
    case 2: k->rsumsq(n, a, 0.25f, s); g_sink = s[1]; break;
    case 3: k->vsubmul(n, a, b, 0.5f, y); break;
    case 4: k->vsubscaleexp(n, lp, b, 0.5f, y); break;
    case 5: k->vaffine(n, a, 0.5f, 0.25f, 0.125f, y); break;
    case 6: k->vaxpbyc(n, a, b, 0.5f, 0.25f, 0.125f, y); break;
    case 7: k->vquadscale(n, a, 0.5f, 1.0f, 1.0f, 1e-3f, y); break;
    case 8: k->vlogquad(n, a, 1.0f, 0.0f, 1e-6f, 3.0f, y); break;
    case 9: g_sink = k->raddstable(n, a); break;
    case 10: k->vscalestable(n, a, 1e-3f, y); break;
    case 11: k->vstablegrad(n, a, 1e-3f, y); break;
    default: k->vlogstable(n, a, 3.0f, y); break;
  }
}

static double time_loss(int which, size_t rows, size_t cols, const float *x, const int64_t *t,
                        float *loss, float *dx) {
  const double t0 = now_ns();
  fsm_status st;
  if (which == 0)
    st = fsm_z_loss_f32(rows, cols, x, cols, t, -100, 1.0, 0.0, 0.0, 1.0, loss, dx, cols);
  else if (which == 1)
    st = fsm_log_spherical_loss_f32(rows, cols, x, cols, t, -100, 1e-6, 1.0, loss, dx, cols);
  else
    st = fsm_log_taylor_loss_f32(rows, cols, x, cols, t, -100, 1.0, loss, dx, cols);
  if (st != FSM_OK) {
    fprintf(stderr, "loss failed: %s\n", fsm_status_string(st));
    exit(1);
  }
  return now_ns() - t0;
}

static int bench_losses(size_t cols, int reps) {
  static const char *const LOSSES[3] = {"z_loss", "log_spherical_loss", "log_taylor_loss"};
  static const double LOSS_BYTES[3] = {12, 12, 12};
  const size_t rows = 4, n = rows * cols;
  float *x = malloc(n * sizeof(float)), *dx = malloc(n * sizeof(float));
  float *y = malloc(n * sizeof(float)), loss[4];
  int64_t t[4] = {0, 1, 2, 3};
  srand(1);
  for (size_t i = 0; i < n; i++) x[i] = dx[i] = (float)(4.0 * rand() / RAND_MAX - 2.0);
  double ceiling = fsm_bench_copy_f32(n, x, 1.0f, y, 7);
  const fsm_isa isas[2] = {FSM_ISA_SCALAR, fsm_active_isa()};
  double *tm = malloc((size_t)reps * 2 * sizeof(double)), med[3][2];
  for (int which = 0; which < 3; which++) {
    for (int r = 0; r < reps; r++)
      for (int v = 0; v < 2; v++) {
        fsm_set_isa(isas[v]);
        tm[v * reps + r] = time_loss(which, rows, cols, x, t, loss, dx);
      }
    for (int v = 0; v < 2; v++) {
      qsort(tm + v * reps, (size_t)reps, sizeof(double), cmp_double);
      med[which][v] = tm[v * reps + reps / 2];
    }
  }
  fsm_set_isa(FSM_ISA_AUTO);
  const double after = fsm_bench_copy_f32(n, x, 1.0f, y, 7);
  printf("copy ceiling %.2f GB/s before, %.2f after (fractions: of the higher)\n", ceiling, after);
  if (after > ceiling) ceiling = after;
  for (int which = 0; which < 3; which++) {
    printf("%-19s 4 x %zu (%g B/el)", LOSSES[which], cols, LOSS_BYTES[which]);
    for (int v = 0; v < 2; v++) {
      const double el = (double)n / med[which][v];
      printf("  %-6s %8.3f ms %6.3f el/ns %5.2f GB/s %4.2f", fsm_isa_name(isas[v]), med[which][v] * 1e-6,
             el, el * LOSS_BYTES[which], el * LOSS_BYTES[which] / ceiling);
    }
    printf("\n");
  }
  free(tm);
  free(x);
  free(dx);
  free(y);
  return ceiling > 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  size_t sizes[8] = {65536, 16777216};
  int n_sizes = 2, reps = 11, losses = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-l") == 0) {
      losses = 1;
    } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
      reps = atoi(argv[++i]);
    } else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
      n_sizes = 0;
      for (char *t = strtok(argv[++i], ","); t && n_sizes < 8; t = strtok(NULL, ","))
        sizes[n_sizes++] = (size_t)strtoull(t, NULL, 10);
    } else {
      fprintf(stderr, "usage: %s [-s n,...] [-r reps] [-l]\n", argv[0]);
      return 2;
    }
  }
  if (losses) return bench_losses(n_sizes == 2 && sizes[1] == 16777216 ? (size_t)1 << 22 : sizes[0], reps);
  const fsm_f32_kernels *tables[4];
  int n_tables = 0;
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    const fsm_f32_kernels *k = fsm_f32_kernels_for((fsm_isa)v);
    if (k != NULL) tables[n_tables++] = k;
  }
  double *t = malloc((size_t)reps * sizeof(double) * 4);
  for (int si = 0; si < n_sizes; si++) {
    const size_t n = sizes[si];
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    float *lp = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float));
    srand(1);
    for (size_t i = 0; i < n; i++) {
      a[i] = (float)(4.0 * rand() / RAND_MAX - 2.0);
      b[i] = (float)(1.0 * rand() / RAND_MAX);
      lp[i] = (float)(-10.0 * rand() / RAND_MAX);
      y[i] = 0.0f;
    }
    for (int what = 0; what < N_KERNELS; what++) {
      for (int ti = 0; ti < n_tables; ti++) run(tables[ti], what, n, a, b, lp, y); /* warm up */
      for (int r = 0; r < reps; r++)
        for (int ti = 0; ti < n_tables; ti++) {
          const int inner = n <= 65536 ? 64 : 1;
          const double t0 = now_ns();
          for (int j = 0; j < inner; j++) run(tables[ti], what, n, a, b, lp, y);
          t[ti * reps + r] = (now_ns() - t0) / inner;
        }
      printf("%-13s n=%-9zu", NAMES[what], n);
      double base = 0.0;
      for (int ti = 0; ti < n_tables; ti++) {
        qsort(t + ti * reps, (size_t)reps, sizeof(double), cmp_double);
        const double med = t[ti * reps + reps / 2];
        if (ti == 0) base = med;
        printf("  %-6s %10.0f ns %6.3f el/ns", fsm_isa_name(tables[ti]->isa), med, (double)n / med);
        if (ti > 0) printf(" (x%.2f)", base / med);
      }
      printf("\n");
      fflush(stdout);
    }
    free(a);
    free(b);
    free(lp);
    free(y);
  }
  free(t);
  return 0;
}

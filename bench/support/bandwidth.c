/*
 * Bandwidth ceilings for the benchmarks (bandwidth.h): read, copy and
 * in-place scale passes over float buffers, timed here with a monotonic
 * clock, median of the passes. The loops are plain C with many independent
 * accumulators so that the baseline (SSE2) build already runs them at memory
 * speed on buffers much larger than the last-level cache.
 */
#if !defined(_WIN32) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 199309L /* clock_gettime */
#endif

#include "bandwidth.h"

#include <stdlib.h>
#include <time.h>

#if defined(_WIN32)
#include <windows.h>
static double fsm_seconds(void) {
  LARGE_INTEGER count, freq;
  QueryPerformanceCounter(&count);
  QueryPerformanceFrequency(&freq);
  return (double)count.QuadPart / (double)freq.QuadPart;
}
#else
static double fsm_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
#endif

static int fsm_compare_doubles(const void *a, const void *b) {
  const double da = *(const double *)a, db = *(const double *)b;
  return (da > db) - (da < db);
}

/* 32 independent sums: eight SSE vectors of adds in flight, enough to hide
 * the add latency so that the loop is bound by memory, not by the adds. */
#define FSM_READ_LANES 32
static float fsm_read_pass(size_t n, const float *x) {
  float acc[FSM_READ_LANES] = {0};
  size_t i = 0;
  for (; i + FSM_READ_LANES <= n; i += FSM_READ_LANES)
    for (int j = 0; j < FSM_READ_LANES; j++) acc[j] += x[i + j];
  for (; i < n; i++) acc[0] += x[i];
  float total = 0.0f;
  for (int j = 0; j < FSM_READ_LANES; j++) total += acc[j];
  return total;
}

static void fsm_copy_pass(size_t n, const float *x, float one, float *y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] * one;
}

static void fsm_scale_pass(size_t n, float *x, float s) {
  for (size_t i = 0; i < n; i++) x[i] *= s;
}

enum fsm_bench_pass { FSM_BENCH_READ, FSM_BENCH_COPY, FSM_BENCH_SCALE };

/* Median GB/s of `reps` passes of kind `pass`, after one warm-up pass. */
static double fsm_bench_run(enum fsm_bench_pass pass, size_t n, float *x, const float *cx,
                            float s, float *y, size_t reps, float *sink, double bytes) {
  if (n == 0 || reps == 0) return -1.0;
  double *times = (double *)malloc(reps * sizeof(double));
  if (times == NULL) return -1.0;
  float total = 0.0f;
  for (size_t r = 0; r <= reps; r++) {
    const double t0 = fsm_seconds();
    switch (pass) {
      case FSM_BENCH_READ: total += fsm_read_pass(n, cx); break;
      case FSM_BENCH_COPY: fsm_copy_pass(n, cx, s, y); break;
      case FSM_BENCH_SCALE: fsm_scale_pass(n, x, s); break;
    }
    const double t1 = fsm_seconds();
    if (r > 0) times[r - 1] = t1 - t0; /* pass 0 is the warm-up */
  }
  if (sink != NULL) *sink = total;
  qsort(times, reps, sizeof(double), fsm_compare_doubles);
  const double median =
      reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
  free(times);
  return median > 0.0 ? bytes / median * 1e-9 : -1.0;
}

double fsm_bench_read_f32(size_t n, const float *x, size_t reps, float *sink) {
  return fsm_bench_run(FSM_BENCH_READ, n, NULL, x, 1.0f, NULL, reps, sink, 4.0 * (double)n);
}

double fsm_bench_copy_f32(size_t n, const float *x, float one, float *y, size_t reps) {
  return fsm_bench_run(FSM_BENCH_COPY, n, NULL, x, one, y, reps, NULL, 8.0 * (double)n);
}

double fsm_bench_scale_f32(size_t n, float *x, float s, size_t reps) {
  return fsm_bench_run(FSM_BENCH_SCALE, n, x, NULL, s, NULL, reps, NULL, 8.0 * (double)n);
}

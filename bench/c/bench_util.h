/* Shared by the C microbenchmarks (kernel_bench.c, training_bench.c): a
 * monotonic clock, a comparator for medians, and a sink that keeps the
 * compiler from dropping the sums being timed. */
#ifndef FSM_BENCH_UTIL_H
#define FSM_BENCH_UTIL_H

#include <time.h>

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static volatile double g_sink;

#endif

/* Shared by the C tests: a tiny check macro, a seeded RNG and guarded
 * buffers that end at an inaccessible page, so that any read or write past
 * the end of a row faults instead of passing silently. */
#ifndef FSM_TEST_UTIL_H
#define FSM_TEST_UTIL_H

#define _DEFAULT_SOURCE 1 /* mmap flags under -std=c99 */

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#define FSM_TEST_GUARD_PAGES 1
#endif

static int g_failures = 0;

#define CHECK(cond, ...)                                             \
  do {                                                               \
    if (!(cond)) {                                                   \
      if (g_failures < 25) {                                         \
        fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);         \
        fprintf(stderr, __VA_ARGS__);                                \
        fprintf(stderr, "\n");                                       \
      }                                                              \
      g_failures++;                                                  \
    }                                                                \
  } while (0)

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

/* softmax_short's test rows in a buffer of n elements: its last rows x
 * cols, cols = n up to FSM_SHORT_COLS (kernels.h), else 1 + n %
 * FSM_SHORT_COLS, so that every column count meets several rows; *skip
 * elements before them */
static inline size_t short_rows_of(size_t n, size_t short_cols, size_t *cols, size_t *skip) {
  *cols = n <= short_cols ? n : 1 + n % short_cols;
  const size_t rows = *cols == 0 ? 0 : n / *cols;
  *skip = n - rows * *cols;
  return rows;
}

static inline double rng_uniform(void) { /* [0, 1) */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (double)(g_rng >> 11) * 0x1p-53;
}

/* A buffer of n floats whose last element sits `gap` floats before an
 * inaccessible page. */
typedef struct guarded {
  void *base;
  size_t length;
  float *data;
} guarded;

static inline guarded guarded_alloc(size_t n, size_t gap) {
  guarded g;
  const size_t bytes = (n + gap) * sizeof(float);
#ifdef FSM_TEST_GUARD_PAGES
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t data_pages = (bytes + page - 1) / page;
  g.length = (data_pages + 1) * page;
  g.base = mmap(NULL, g.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g.base == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  mprotect((char *)g.base + data_pages * page, page, PROT_NONE);
  g.data = (float *)((char *)g.base + data_pages * page - bytes);
#else
  g.length = bytes + sizeof(float);
  g.base = malloc(g.length);
  g.data = (float *)g.base;
#endif
  return g;
}

static inline void guarded_free(guarded g) {
#ifdef FSM_TEST_GUARD_PAGES
  munmap(g.base, g.length);
#else
  free(g.base);
#endif
}

/* The ISAs a test ran its checks on, as " name name ...": finish() fails
 * the test when FSM_TEST_REQUIRE_ISA names one that did not run (so that
 * an emulated or cross run cannot pass by silently testing only scalar). */
static char g_isas_tested[128] = " ";

static inline void mark_isa_tested(const char *isa) {
  if (strlen(g_isas_tested) + strlen(isa) + 2 < sizeof g_isas_tested) {
    strcat(g_isas_tested, isa);
    strcat(g_isas_tested, " ");
  }
}

/* The float ulp at a float64 reference (the subnormal spacing below FLT_MIN). */
static inline double ulp_of(double ref) {
  float r = (float)fabs(ref);
  if (r < FLT_MIN) return 0x1p-149;
  return (double)(nextafterf(r, INFINITY) - r);
}

static inline int finish(const char *name) {
  const char *required = getenv("FSM_TEST_REQUIRE_ISA");
  if (required && *required) {
    char word[40];
    snprintf(word, sizeof word, " %s ", required);
    CHECK(strstr(g_isas_tested, word) != NULL, "FSM_TEST_REQUIRE_ISA=%s did not run (ran:%s)",
          required, g_isas_tested);
  }
  if (g_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, g_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

#endif

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

#include "fastsoftmax.h"

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

/* FSM_TEST_REQUIRE_ISA=<name> (set by the cross-compiled ctest runs): a
 * test fails unless it exercised that ISA, so that a dispatch or build
 * mistake cannot turn it into a test of the scalar code only. `tested` has
 * bit (1 << isa) set for each ISA the test ran. */
static inline void require_isa(unsigned tested, const char *what) {
  const char *want = getenv("FSM_TEST_REQUIRE_ISA");
  if (want == NULL || *want == '\0') return;
  fsm_isa isa = FSM_ISA_AUTO;
  if (fsm_isa_from_name(want, &isa) != FSM_OK || isa == FSM_ISA_AUTO) {
    CHECK(0, "FSM_TEST_REQUIRE_ISA=%s: not an ISA name", want);
    return;
  }
  CHECK(tested & (1u << isa), "FSM_TEST_REQUIRE_ISA=%s but the %s %s were not tested", want, want,
        what);
  if (tested & (1u << isa)) printf("FSM_TEST_REQUIRE_ISA=%s: %s tested\n", want, what);
}

static inline int finish(const char *name) {
  if (g_failures) {
    fprintf(stderr, "%s: %d check(s) failed\n", name, g_failures);
    return 1;
  }
  printf("%s: all checks passed\n", name);
  return 0;
}

#endif

/*
 * The size of the last-level cache one core shares, for the choices that
 * depend on whether a call's data stays in cache (fills_llc in
 * drivers.inc: the blocked reload, fsm_auto_rule.beyond_llc). Read once, from
 * Linux's sysfs description of cpu0's caches (the L3 slice of its core
 * complex: 8 MiB on a Zen 1 EPYC, where glibc's sysconf answers 64 MiB, the
 * whole package), else sysconf, else FSM_LLC_DEFAULT_BYTES (the L3 of the
 * machine the rules were first measured on). FASTSOFTMAX_LLC_BYTES (a
 * positive integer) overrides all three: for tests, and for systems that
 * describe their caches wrongly. Cached in one atomic word;
 * concurrent first calls compute and store the same value.
 */
#define _GNU_SOURCE 1
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "kernels.h"

#define FSM_LLC_DEFAULT_BYTES ((size_t)32 << 20)

static size_t g_llc_bytes; /* 0: not read yet */

/* The largest data/unified cache level of cpu0 in sysfs, in bytes; 0 if none. */
static size_t sysfs_llc_bytes(void) {
  size_t best = 0;
  int best_level = 0;
  for (int index = 0; index < 16; index++) {
    char path[96], type[32] = "";
    int level = 0;
    unsigned long size = 0;
    char unit = 0;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
    FILE *f = fopen(path, "r");
    if (f == NULL) break;
    const int got_type = fscanf(f, "%31s", type) == 1;
    fclose(f);
    if (!got_type || type[0] == 'I') continue; /* Instruction */
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    if ((f = fopen(path, "r")) == NULL) continue;
    const int got_level = fscanf(f, "%d", &level) == 1;
    fclose(f);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    if ((f = fopen(path, "r")) == NULL) continue;
    const int got_size = fscanf(f, "%lu%c", &size, &unit) >= 1;
    fclose(f);
    if (!got_level || !got_size || level <= best_level) continue;
    const size_t scale = unit == 'K' ? (size_t)1 << 10 : unit == 'M' ? (size_t)1 << 20
                       : unit == 'G' ? (size_t)1 << 30 : 1;
    best = (size_t)size * scale;
    best_level = level;
  }
  return best;
}

static size_t read_llc_bytes(void) {
  const char *env = getenv("FASTSOFTMAX_LLC_BYTES");
  if (env != NULL && *env != '\0') {
    char *end;
    const unsigned long long value = strtoull(env, &end, 10);
    if (*end == '\0' && value > 0 && value <= (unsigned long long)(SIZE_MAX / 2)) return (size_t)value;
  }
  size_t bytes = sysfs_llc_bytes();
#if defined(_SC_LEVEL3_CACHE_SIZE)
  if (bytes == 0) {
    long value = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (value <= 0) value = sysconf(_SC_LEVEL2_CACHE_SIZE);
    if (value > 0) bytes = (size_t)value;
  }
#endif
  return bytes > 0 ? bytes : FSM_LLC_DEFAULT_BYTES;
}

size_t fsm_llc_bytes(void) {
  size_t bytes = __atomic_load_n(&g_llc_bytes, __ATOMIC_RELAXED);
  if (bytes == 0) {
    bytes = read_llc_bytes();
    __atomic_store_n(&g_llc_bytes, bytes, __ATOMIC_RELAXED);
  }
  return bytes;
}

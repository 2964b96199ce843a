/*
 * A main() for the fuzz targets without libFuzzer (any compiler): runs
 * every file named on the command line (directories: every file in them,
 * in name order), then `--random N` pseudo-random inputs from a fixed
 * seed, each under every ISA of the machine. ctest runs the seed corpus and
 * 300 random inputs this way on every build (tests/fuzz/CMakeLists.txt); a
 * failing input aborts, as under libFuzzer.
 */
#define _DEFAULT_SOURCE 1
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern int fsm_fuzz_exhaustive; /* every ISA for every input */

static size_t n_inputs = 0;

static void run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  uint8_t *buf = NULL;
  size_t size = 0, cap = 0;
  for (;;) {
    if (size == cap) {
      cap = cap ? 2 * cap : 4096;
      buf = realloc(buf, cap);
      if (buf == NULL) exit(2);
    }
    const size_t got = fread(buf + size, 1, cap - size, f);
    if (got == 0) break;
    size += got;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, size);
  free(buf);
  n_inputs++;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void run_path(const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) {
    perror(path);
    exit(2);
  }
  if (!S_ISDIR(sb.st_mode)) {
    run_file(path);
    return;
  }
  DIR *d = opendir(path);
  if (d == NULL) {
    perror(path);
    exit(2);
  }
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    names = realloc(names, (n + 1) * sizeof *names);
    names[n] = malloc(strlen(path) + strlen(e->d_name) + 2);
    sprintf(names[n], "%s/%s", path, e->d_name);
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  for (size_t i = 0; i < n; i++) {
    run_file(names[i]);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  fsm_fuzz_exhaustive = 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
      const long count = strtol(argv[++i], NULL, 10);
      uint64_t s = 0x2545F4914F6CDD1Dull;
      uint8_t buf[512];
      for (long k = 0; k < count; k++) {
        const size_t size = 6 + (size_t)(k % 500);
        for (size_t j = 0; j < size; j++) {
          s ^= s << 13;
          s ^= s >> 7;
          s ^= s << 17;
          buf[j] = (uint8_t)(s >> 29);
        }
        LLVMFuzzerTestOneInput(buf, size);
        n_inputs++;
      }
    } else {
      run_path(argv[i]);
    }
  }
  printf("replayed %zu inputs: all passed\n", n_inputs);
  return n_inputs > 0 ? 0 : 1;
}

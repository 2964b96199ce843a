/*
 * Microbenchmark of every f32 microkernel (every entry of FSM_KERNEL_LIST,
 * kernels.def: the softmax kernels, then the training kernels) and every
 * softmax / log-softmax algorithm (public API, ISA forced with
 * fsm_set_isa), single thread, with the copy bandwidth measured in the same
 * run as the ceiling.
 *
 *   fsm_kernel_bench [-i avx2,avx512] [-s 1024,65536,...] [-r reps] [-k] [-a]
 *     -i  ISAs (default: every one this CPU runs, scalar only up to 64K)
 *     -s  row lengths in floats (default 1K..64M, powers of 4)
 *     -r  repetitions; the median is reported (default 11)
 *     -k  kernels only     -a  algorithms only
 *
 * Each line: isa, what, n, median ns per row, elements/ns (median; "best":
 * from the fastest sample), GB/s (median) counting
 * the bytes the pass must move (B/elem column) and that GB/s as a fraction
 * of the copy bandwidth (bytes read + written by memcpy: of a 2 x 256 MiB
 * buffer at the start, and of the same n just before each row length of
 * 4M floats or more). Pin it: taskset -c 1 ./fsm_kernel_bench.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"
#include "bench_util.h"

static int g_reps = 11;

typedef struct ctx {
  const fsm_f32_kernels *k;
  size_t n;
  float *x, *y, *z; /* z: the second input of rdot, vsubmul, vsubscaleexp, vaxpbyc */
  float c, s, e;
  int what;
} ctx;

/* The per-kernel section, driven by the kernel list (kernels.def): one call
 * adapter per kernel, BENCH_KERNEL(name, bytes each element must move),
 * with the arguments a softmax row or a training pass gives it. A kernel
 * of FSM_KERNEL_LIST without an adapter here does not compile. */
#define BENCH_KERNEL(name, bytes)              \
  enum { bench_bytes_##name = (bytes) };       \
  static void bench_##name(const ctx *c, const fsm_f32_kernels *k)

BENCH_KERNEL(rmax, 4) { g_sink = k->rmax(c->n, c->x); }
BENCH_KERNEL(raddstoreexp, 8) { g_sink = k->raddstoreexp(c->n, c->x, c->c, c->y); }
BENCH_KERNEL(raddexp, 4) { g_sink = k->raddexp(c->n, c->x, c->c); }
BENCH_KERNEL(vscaleexp, 8) { k->vscaleexp(c->n, c->x, c->c, c->s, c->y); }
BENCH_KERNEL(vscaleexp_nt, 8) { k->vscaleexp_nt(c->n, c->x, c->c, c->s, c->y); }
BENCH_KERNEL(vscale, 8) { k->vscale(c->n, c->y, 0.999f, c->y); }
BENCH_KERNEL(raddextexp, 4) { g_sink = k->raddextexp(c->n, c->x).mantissa; }
BENCH_KERNEL(vscaleextexp, 8) { k->vscaleextexp(c->n, c->x, c->s, c->e, c->y); }
BENCH_KERNEL(vscaleextexp_nt, 8) { k->vscaleextexp_nt(c->n, c->x, c->s, c->e, c->y); }
BENCH_KERNEL(vsubc, 8) { k->vsubc(c->n, c->x, c->c, 1e-8f, c->y); }
/* the row as rows of 16 (a mixture-of-experts router's) */
BENCH_KERNEL(softmax_short, 8) { k->softmax_short(c->n / 16, 16, c->x, 16, c->y, 16, 0); }
BENCH_KERNEL(rsum, 4) { g_sink = k->rsum(c->n, c->x); }
BENCH_KERNEL(rdot, 8) { g_sink = k->rdot(c->n, c->x, c->z); }
BENCH_KERNEL(rsumsq, 4) {
  double s[2];
  k->rsumsq(c->n, c->x, 0.25f, s);
  g_sink = s[1];
}
BENCH_KERNEL(vsubmul, 12) { k->vsubmul(c->n, c->x, c->z, 0.5f, c->y); }
BENCH_KERNEL(vsubscaleexp, 12) { k->vsubscaleexp(c->n, c->x, c->z, 0.5f, c->y); }
BENCH_KERNEL(vaffine, 8) { k->vaffine(c->n, c->x, 0.5f, 0.25f, 0.125f, c->y); }
BENCH_KERNEL(vaxpbyc, 12) { k->vaxpbyc(c->n, c->x, c->z, 0.5f, 0.25f, 0.125f, c->y); }
BENCH_KERNEL(vquadscale, 8) { k->vquadscale(c->n, c->x, 0.5f, 1.0f, 1.0f, 1e-3f, c->y); }
BENCH_KERNEL(vlogquad, 8) { k->vlogquad(c->n, c->x, 1.0f, 0.0f, 1e-6f, 3.0f, c->y); }
BENCH_KERNEL(raddstable, 4) { g_sink = k->raddstable(c->n, c->x); }
BENCH_KERNEL(vscalestable, 8) { k->vscalestable(c->n, c->x, 1e-3f, c->y); }
BENCH_KERNEL(vstablegrad, 8) { k->vstablegrad(c->n, c->x, 1e-3f, c->y); }
BENCH_KERNEL(vlogstable, 8) { k->vlogstable(c->n, c->x, 3.0f, c->y); }
/* the fused options' first pass: scale and an additive mask row (z) */
BENCH_KERNEL(rfusemax, 12) {
  const fsm_fuse_params p = {0.125, 0.0, c->z, NULL, 0.0, 0.0};
  g_sink = k->rfusemax(c->n, c->x, &p, c->y);
}
BENCH_KERNEL(vcapgrad, 12) { k->vcapgrad(c->n, c->x, c->z, 0.5f, 30.0f, c->y); }
/* The axis kernels on the row as 64 rows of n / 64 columns (cmax and the
 * sums: per-column outputs in the first columns of y, as floats or
 * doubles; the per-column arguments: y's first columns, 0.5 after the
 * exp passes wrote them... held constant here by reading x). */
#define AXIS_ROWS 64
static float g_cols[2][1 << 16];
static double g_csum[1 << 16];
static size_t axis_w(const ctx *c) {
  const size_t w = c->n / AXIS_ROWS;
  return w < (1 << 16) ? w : (1 << 16);
}
BENCH_KERNEL(cmax, 4) { k->cmax(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), g_cols[0], 0); }
BENCH_KERNEL(caddstoreexp, 8) {
  k->caddstoreexp(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), g_cols[1], c->y,
                  (ptrdiff_t)axis_w(c), g_csum);
}
BENCH_KERNEL(cscaleexp, 8) {
  k->cscaleexp(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), g_cols[1], g_cols[1], c->y,
               (ptrdiff_t)axis_w(c), 0);
}
BENCH_KERNEL(cscale, 8) {
  k->cscale(AXIS_ROWS, axis_w(c), c->y, (ptrdiff_t)axis_w(c), g_cols[1], c->y, (ptrdiff_t)axis_w(c), 0);
}
BENCH_KERNEL(csum, 4) { k->csum(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), g_csum); }
BENCH_KERNEL(cdot, 8) {
  k->cdot(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), c->z, (ptrdiff_t)axis_w(c), g_csum);
}
BENCH_KERNEL(csubmul, 12) {
  k->csubmul(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), c->z, (ptrdiff_t)axis_w(c),
             g_cols[1], c->y, (ptrdiff_t)axis_w(c), 0);
}
BENCH_KERNEL(csubscaleexp, 12) {
  k->csubscaleexp(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), c->z, (ptrdiff_t)axis_w(c),
                  g_cols[1], c->y, (ptrdiff_t)axis_w(c), 0);
}
BENCH_KERNEL(csubc, 8) {
  k->csubc(AXIS_ROWS, axis_w(c), c->x, (ptrdiff_t)axis_w(c), g_cols[1], g_cols[1], c->y,
           (ptrdiff_t)axis_w(c), 0);
}

typedef struct bench_kernel {
  const char *name;
  void (*run)(const ctx *c, const fsm_f32_kernels *k);
  double bytes;
} bench_kernel;

#define BENCH_INDEX(name, ret, params) K_##name,
#define BENCH_ENTRY(name, ret, params) {#name, bench_##name, bench_bytes_##name},
enum { FSM_KERNEL_LIST(BENCH_INDEX, float, float) N_KERNELS };
static const bench_kernel KERNELS[N_KERNELS] = {FSM_KERNEL_LIST(BENCH_ENTRY, float, float)};

/* After the kernels: the algorithms through the public API, and memcpy. */
enum {
  A_RELOAD = N_KERNELS, A_RECOMPUTE, A_TWO_PASS, A_ONLINE, A_AUTO, L_THREE_PASS, L_TWO_PASS,
  L_ONLINE, L_AUTO, COPY, N_WHAT
};
static const char *const A_NAMES[N_WHAT - N_KERNELS] = {
  "softmax/reload", "softmax/recompute", "softmax/two_pass", "softmax/online", "softmax/auto",
  "log_softmax/3pass", "log_softmax/two_pass", "log_softmax/online", "log_softmax/auto", "memcpy"};
/* bytes each element must move (read + write) */
static const double A_BYTES[N_WHAT - N_KERNELS] = {20, 16, 12, 12, 0, 16, 12, 12, 0, 8};

static const char *name_of(int what) {
  return what < N_KERNELS ? KERNELS[what].name : A_NAMES[what - N_KERNELS];
}

static void run_once(const ctx *c) {
  if (c->what < N_KERNELS) {
    KERNELS[c->what].run(c, c->k);
    return;
  }
  switch (c->what) {
    case A_RELOAD: fsm_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_THREE_PASS_RELOAD); break;
    case A_RECOMPUTE: fsm_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_THREE_PASS_RECOMPUTE); break;
    case A_TWO_PASS: fsm_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_TWO_PASS); break;
    case A_ONLINE: fsm_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_ONLINE); break;
    case A_AUTO: fsm_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_AUTO); break;
    case L_THREE_PASS: fsm_log_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_THREE_PASS_RELOAD); break;
    case L_TWO_PASS: fsm_log_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_TWO_PASS); break;
    case L_ONLINE: fsm_log_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_ONLINE); break;
    case L_AUTO: fsm_log_softmax_f32(1, c->n, c->x, c->n, c->y, c->n, FSM_ALGORITHM_AUTO); break;
    case COPY: memcpy(c->y, c->x, c->n * sizeof(float)); break;
  }
}

/* Median ns per call over g_reps samples of >= ~2 ms each; *best gets the
 * fastest sample (the least disturbed one on a shared machine). */
static double g_best_ns;

static double time_ns(const ctx *c) {
  run_once(c);
  double t0 = now_ns();
  run_once(c);
  const double one = now_ns() - t0;
  size_t inner = one > 2e6 ? 1 : (size_t)(2e6 / (one + 1.0)) + 1;
  double *samples = malloc((size_t)g_reps * sizeof(double));
  for (int r = 0; r < g_reps; r++) {
    t0 = now_ns();
    for (size_t j = 0; j < inner; j++) run_once(c);
    samples[r] = (now_ns() - t0) / (double)inner;
  }
  qsort(samples, (size_t)g_reps, sizeof(double), cmp_double);
  const double med = samples[g_reps / 2];
  g_best_ns = samples[0];
  free(samples);
  return med;
}

static double g_copy_gbs = 0.0;

/* Bytes per element of `what` on one row of n floats: the reload's blocked
 * form (a call whose x and y fill the LLC, rows of 4096+) moves 16. */
static double bytes_per_element(int what, size_t n) {
  if (what == A_RELOAD && n >= 4096 && n >= fsm_llc_bytes() / (2 * sizeof(float))) return 16;
  return what < N_KERNELS ? KERNELS[what].bytes : A_BYTES[what - N_KERNELS];
}

static void report(const char *isa, int what, size_t n, double ns) {
  const double epns = (double)n / ns, best = (double)n / g_best_ns;
  const double bpe = bytes_per_element(what, n), gbs = bpe * epns;
  printf("%-7s %-21s %9zu %13.0f %8.3f %8.3f %8.2f %5.0f", isa, name_of(what), n, ns, epns, best, gbs,
         bpe);
  if (g_copy_gbs > 0 && bpe > 0) printf(" %6.1f%%", 100.0 * gbs / g_copy_gbs);
  printf("\n");
  fflush(stdout);
}

static size_t parse_list(const char *s, size_t *out, size_t max) {
  size_t count = 0;
  while (*s && count < max) {
    char *end;
    out[count++] = (size_t)strtoull(s, &end, 10);
    s = *end ? end + 1 : end;
  }
  return count;
}

int main(int argc, char **argv) {
  size_t sizes[32] = {1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  size_t n_sizes = 9;
  int kernels = 1, algorithms = 1;
  const char *isa_list = NULL;
  for (int a = 1; a < argc; a++) {
    if (!strcmp(argv[a], "-s") && a + 1 < argc) n_sizes = parse_list(argv[++a], sizes, 32);
    else if (!strcmp(argv[a], "-i") && a + 1 < argc) isa_list = argv[++a];
    else if (!strcmp(argv[a], "-r") && a + 1 < argc) g_reps = atoi(argv[++a]);
    else if (!strcmp(argv[a], "-k")) algorithms = 0;
    else if (!strcmp(argv[a], "-a")) kernels = 0;
    else {
      fprintf(stderr, "usage: %s [-i isa,...] [-s n,...] [-r reps] [-k] [-a]\n", argv[0]);
      return 2;
    }
  }
  if (g_reps < 1) g_reps = 1;
  size_t max_n = 0;
  for (size_t j = 0; j < n_sizes; j++) max_n = sizes[j] > max_n ? sizes[j] : max_n;
  const size_t copy_n = (size_t)64 << 20; /* 2 x 256 MiB: far beyond the LLC */
  const size_t alloc_n = max_n > copy_n ? max_n : copy_n;
  void *px = NULL, *py = NULL;
  if (posix_memalign(&px, 64, alloc_n * sizeof(float)) || posix_memalign(&py, 64, alloc_n * sizeof(float)))
    return 1;
  float *x = px, *y = py, *z = NULL;
  uint64_t state = 12345;
  for (size_t i = 0; i < alloc_n; i++) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(state >> 11) * 0x1p-53 * 20.0 - 10.0);
    y[i] = 0.0f;
  }
  if (kernels) { /* the second input of the training kernels: [-6, 0], log-probability-like */
    void *pz = NULL;
    if (posix_memalign(&pz, 64, max_n * sizeof(float))) return 1;
    z = pz;
    for (size_t i = 0; i < max_n; i++) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      z[i] = (float)((double)(state >> 11) * 0x1p-53 * -6.0);
    }
  }
  ctx cc = {NULL, copy_n, x, y, z, 0, 0, 0, COPY};
  const double copy_ns = time_ns(&cc);
  g_copy_gbs = 8.0 * (double)copy_n / copy_ns;
  printf("# copy bandwidth (memcpy, %zu MiB -> %zu MiB, read + write): %.2f GB/s\n",
         copy_n * 4 >> 20, copy_n * 4 >> 20, g_copy_gbs);
  printf("# ceilings at that bandwidth: two-pass (12 B/elem) %.3f elem/ns, recompute (16) %.3f, reload (20) %.3f\n",
         g_copy_gbs / 12, g_copy_gbs / 16, g_copy_gbs / 20);
  printf("%-7s %-21s %9s %13s %8s %8s %8s %5s %7s\n", "isa", "what", "n", "ns/row", "elem/ns",
         "best", "GB/s", "B/el", "of copy");
  for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
    const char *isa = fsm_isa_name((fsm_isa)v);
    if (isa_list ? strstr(isa_list, isa) == NULL : 0) continue;
    const fsm_f32_kernels *k = fsm_f32_kernels_for((fsm_isa)v);
    if (k == NULL) continue;
    if (fsm_set_isa((fsm_isa)v) != FSM_OK) continue;
    for (size_t j = 0; j < n_sizes; j++) {
      const size_t n = sizes[j];
      if (!isa_list && v == FSM_ISA_SCALAR && n > 65536) continue;
      ctx c = {k, n, x, y, z, 0, 0, 0, 0};
      c.c = k->rmax(n, x);
      c.s = (float)(1.0 / k->raddexp(n, x, c.c));
      const fsm_extsum e = k->raddextexp(n, x);
      c.e = (float)-e.exponent;
      const float s_ext = (float)(1.0 / e.mantissa);
      c.k = k;
      if (n >= ((size_t)1 << 22)) { /* out of cache: the ceiling of this size, measured now */
        c.what = COPY;
        const double ns = time_ns(&c);
        g_copy_gbs = 8.0 * (double)n / ns;
        report(isa, COPY, n, ns);
      }
      for (int w = 0; w < COPY; w++) {
        if (w < A_RELOAD ? !kernels : !algorithms) continue;
        c.what = w;
        const float s_keep = c.s;
        if (w == K_vscaleextexp || w == K_vscaleextexp_nt) c.s = s_ext;
        report(isa, w, n, time_ns(&c));
        c.s = s_keep;
      }
    }
  }
  fsm_set_isa(FSM_ISA_AUTO);
  free(x);
  free(y);
  free(z);
  return 0;
}

/*
 * Guard pages (issue 19): every kernel of the kernel list, for every ISA
 * this machine runs (the SIMDe build: avx512 too) and both dtypes, on rows
 * of every length 0..MAX_N that end exactly where an inaccessible page
 * begins, and rows that start exactly where one ends; in place too. A
 * read or write one element out of the row faults. Each placement must
 * also give the bits of the same call on an ordinary buffer (the values
 * themselves are checked against float64 references in
 * test_conformance.c). Then the public softmax, log-softmax and
 * cross-entropy, every algorithm, on such rows.
 *
 * The kernel list drives it: a kernel without a run_<dtype>_<name> adapter
 * below does not compile. The float16 and bfloat16 tables (their own,
 * shorter list, FSM_HALF_KERNEL_LIST) run the same way through
 * run_<f16|bf16>_<name>;
 * the float32 buffers some of their kernels read or write (the reload's
 * exps, vscale's and cscale's input, vwiden's output) sit at a guard too.
 */
#include "test_util.h"
#include "fastsoftmax.h"
#include "half.h"
#include "kernels.h"

#ifndef FSM_TEST_GUARD_PAGES
int main(void) {
  printf("test_guard_pages: no mmap/mprotect here, skipped\n");
  return 0;
}
#else

#define MAX_N 300

/* A page of data between two inaccessible pages. */
typedef struct fenced {
  char *base, *data;
  size_t page;
} fenced;

static fenced fenced_alloc(void) {
  fenced f;
  f.page = (size_t)sysconf(_SC_PAGESIZE);
  f.base = mmap(NULL, 3 * f.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (f.base == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  if (mprotect(f.base, f.page, PROT_NONE) != 0 ||
      mprotect(f.base + 2 * f.page, f.page, PROT_NONE) != 0) {
    perror("mprotect");
    exit(2);
  }
  f.data = f.base + f.page;
  return f;
}

/* n elements of `size` bytes ending at the upper guard (at_end) or
 * starting at the lower one. */
static void *place(const fenced *f, size_t n, size_t size, int at_end) {
  return at_end ? f->data + f->page - n * size : f->data;
}

/* ---- one adapter per kernel and dtype: a fixed, valid call. Inputs x
 * and z hold values in [-6, 0] (so exp's shift c = 0 is >= max); y is the
 * output (may be x). r[0], r[1] receive what the kernel returns. */
#define ADAPTERS(dt, S)                                                                          \
  static void run_##dt##_rmax(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    (void)z, (void)y;                                                                            \
    r[0] = (double)k->rmax(n, x);                                                                \
  }                                                                                              \
  static void run_##dt##_raddstoreexp(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    (void)z;                                                                                     \
    r[0] = k->raddstoreexp(n, x, (S)0, y);                                                       \
  }                                                                                              \
  static void run_##dt##_raddexp(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,  \
                                 S *y, double *r) {                                              \
    (void)z, (void)y;                                                                            \
    r[0] = k->raddexp(n, x, (S)0.5);                                                             \
  }                                                                                              \
  static void run_##dt##_vscaleexp(const fsm_##dt##_kernels *k, size_t n, const S *x,            \
                                   const S *z, S *y, double *r) {                                \
    (void)z, (void)r;                                                                            \
    k->vscaleexp(n, x, (S)0, (S)0.25, y);                                                        \
  }                                                                                              \
  static void run_##dt##_vscale(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,   \
                                S *y, double *r) {                                               \
    (void)z, (void)r;                                                                            \
    k->vscale(n, x, (S)-1.5, y);                                                                 \
  }                                                                                              \
  static void run_##dt##_raddextexp(const fsm_##dt##_kernels *k, size_t n, const S *x,           \
                                    const S *z, S *y, double *r) {                               \
    (void)z, (void)y;                                                                            \
    const fsm_extsum e = k->raddextexp(n, x);                                                    \
    r[0] = e.mantissa;                                                                           \
    r[1] = e.exponent;                                                                           \
  }                                                                                              \
  static void run_##dt##_vscaleextexp(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    (void)z, (void)r;                                                                            \
    k->vscaleextexp(n, x, (S)0.5, (S)-1, y);                                                     \
  }                                                                                              \
  static void run_##dt##_vscaleextexp_nt(const fsm_##dt##_kernels *k, size_t n, const S *x,      \
                                         const S *z, S *y, double *r) {                          \
    (void)z, (void)r;                                                                            \
    k->vscaleextexp_nt(n, x, (S)0.5, (S)-1, y);                                                  \
  }                                                                                              \
  static void run_##dt##_vscaleexp_nt(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    (void)z, (void)r;                                                                            \
    k->vscaleexp_nt(n, x, (S)0, (S)0.25, y);                                                     \
  }                                                                                              \
  static void run_##dt##_vsubc(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,    \
                               S *y, double *r) {                                                \
    (void)z, (void)r;                                                                            \
    k->vsubc(n, x, (S)1.25, (S)1e-9, y);                                                         \
  }                                                                                              \
  /* the last rows x cols elements (short_rows_of); odd n log-softmax */                          \
  static void run_##dt##_softmax_short(const fsm_##dt##_kernels *k, size_t n, const S *x,        \
                                       const S *z, S *y, double *r) {                            \
    size_t cols, skip;                                                                           \
    const size_t rows = short_rows_of(n, FSM_SHORT_COLS, &cols, &skip);                          \
    (void)z, (void)r;                                                                            \
    k->softmax_short(rows, cols, x + skip, cols, y + skip, cols, (int)(n & 1));                  \
  }                                                                                              \
  static void run_##dt##_rsum(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    (void)z, (void)y;                                                                            \
    r[0] = k->rsum(n, x);                                                                        \
  }                                                                                              \
  static void run_##dt##_rdot(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    (void)y;                                                                                     \
    r[0] = k->rdot(n, x, z);                                                                     \
  }                                                                                              \
  static void run_##dt##_rsumsq(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,   \
                                S *y, double *r) {                                               \
    (void)z, (void)y;                                                                            \
    k->rsumsq(n, x, (S)-2, r);                                                                   \
  }                                                                                              \
  static void run_##dt##_vsubmul(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,  \
                                 S *y, double *r) {                                              \
    (void)r;                                                                                     \
    k->vsubmul(n, x, z, (S)0.75, y);                                                             \
  }                                                                                              \
  static void run_##dt##_vsubscaleexp(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    (void)r;                                                                                     \
    k->vsubscaleexp(n, x, z, (S)0.5, y);                                                         \
  }                                                                                              \
  static void run_##dt##_vaffine(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,  \
                                 S *y, double *r) {                                              \
    (void)z, (void)r;                                                                            \
    k->vaffine(n, x, (S)2, (S)-1, (S)0.5, y);                                                    \
  }                                                                                              \
  static void run_##dt##_vaxpbyc(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,  \
                                 S *y, double *r) {                                              \
    (void)r;                                                                                     \
    k->vaxpbyc(n, x, z, (S)2, (S)-3, (S)0.125, y);                                               \
  }                                                                                              \
  static void run_##dt##_vquadscale(const fsm_##dt##_kernels *k, size_t n, const S *x,           \
                                    const S *z, S *y, double *r) {                               \
    (void)z, (void)r;                                                                            \
    k->vquadscale(n, x, (S)0.5, (S)1, (S)1, (S)0.1, y);                                          \
  }                                                                                              \
  static void run_##dt##_vlogquad(const fsm_##dt##_kernels *k, size_t n, const S *x,             \
                                  const S *z, S *y, double *r) {                                 \
    (void)z, (void)r;                                                                            \
    k->vlogquad(n, x, (S)1, (S)0, (S)1e-3, (S)2, y);                                             \
  }                                                                                              \
  static void run_##dt##_raddstable(const fsm_##dt##_kernels *k, size_t n, const S *x,           \
                                    const S *z, S *y, double *r) {                               \
    (void)z, (void)y;                                                                            \
    r[0] = k->raddstable(n, x);                                                                  \
  }                                                                                              \
  static void run_##dt##_vscalestable(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    (void)z, (void)r;                                                                            \
    k->vscalestable(n, x, (S)0.5, y);                                                            \
  }                                                                                              \
  static void run_##dt##_vstablegrad(const fsm_##dt##_kernels *k, size_t n, const S *x,          \
                                     const S *z, S *y, double *r) {                              \
    (void)z, (void)r;                                                                            \
    k->vstablegrad(n, x, (S)0.5, y);                                                             \
  }                                                                                              \
  static void run_##dt##_vlogstable(const fsm_##dt##_kernels *k, size_t n, const S *x,           \
                                    const S *z, S *y, double *r) {                               \
    (void)z, (void)r;                                                                            \
    k->vlogstable(n, x, (S)0.5, y);                                                              \
  }                                                                                              \
  static void run_##dt##_rfusemax(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z, \
                                  S *y, double *r) {                                             \
    const fsm_fuse_params p = {0.5, 3.0, z, NULL, 0.25, -1.0};                                  \
    r[0] = k->rfusemax(n, x, &p, y);                                                             \
  }                                                                                              \
  static void run_##dt##_vcapgrad(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z, \
                                  S *y, double *r) {                                             \
    (void)r;                                                                                     \
    k->vcapgrad(n, x, z, (S)0.5, (S)3, y);                                                       \
  }

ADAPTERS(f32, float)
ADAPTERS(f64, double)
/* The axis kernels: the n elements as 3, 2 or 1 rows of n / rows columns
 * (test_conformance.c's geometry), walked backwards from the last row;
 * r[0] the sum of the per-column results. */
static size_t axis_rows(size_t n) { return n >= 3 && n % 3 == 0 ? 3 : n >= 2 && n % 2 == 0 ? 2 : 1; }

#define AXIS_ADAPTERS(dt, S)                                                                     \
  static void run_##dt##_cmax(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S m[MAX_N + 1];                                                                                  \
    (void)z, (void)y;                                                                            \
    k->cmax(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, m, 1); /* prefetches past the guard */                                      \
    r[0] = 0;                                                                                    \
    for (size_t j = 0; j < w; j++) r[0] += m[j];                                                 \
  }                                                                                              \
  static void run_##dt##_caddstoreexp(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S c[MAX_N + 1] = {0};                                                                            \
    double sums[MAX_N + 1];                                                                          \
    (void)z;                                                                                     \
    for (size_t j = 0; j < w; j++) c[j] = (S)(0.125 * (double)(j % 3));                          \
    k->caddstoreexp(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, c, y + (rows - 1) * w,           \
                    -(ptrdiff_t)w, sums);                                                        \
    r[0] = 0;                                                                                    \
    for (size_t j = 0; j < w; j++) r[0] += sums[j];                                              \
  }                                                                                              \
  static void run_##dt##_cscaleexp(const fsm_##dt##_kernels *k, size_t n, const S *x,            \
                                   const S *z, S *y, double *r) {                                \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S c[MAX_N + 1] = {0}, s[MAX_N + 1] = {0};                                                                        \
    (void)z, (void)r;                                                                            \
    for (size_t j = 0; j < w; j++) c[j] = (S)(0.125 * (double)(j % 3)), s[j] = (S)(j % 5 + 1);   \
    k->cscaleexp(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, c, s, y + (rows - 1) * w,           \
                 -(ptrdiff_t)w, 1);                                                                 \
  }                                                                                              \
  static void run_##dt##_cscale(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,   \
                                S *y, double *r) {                                               \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S s[MAX_N + 1] = {0};                                                                                  \
    (void)z, (void)r;                                                                            \
    for (size_t j = 0; j < w; j++) s[j] = (S)(0.25 * (double)(j % 5 + 1));                       \
    k->cscale(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, s, y + (rows - 1) * w, -(ptrdiff_t)w, 1); \
  }                                                                                              \
  static void run_##dt##_csubc(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,    \
                               S *y, double *r) {                                                \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S hi[MAX_N + 1] = {0}, lo[MAX_N + 1] = {0};                                                                      \
    (void)z, (void)r;                                                                            \
    for (size_t j = 0; j < w; j++) hi[j] = (S)(j % 5), lo[j] = (S)(1e-3 * (double)(j % 3));      \
    k->csubc(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, hi, lo, y + (rows - 1) * w,             \
             -(ptrdiff_t)w, 1);                                                                     \
  }

#define AXIS_VJP_ADAPTERS(dt, S)                                                                 \
  static void run_##dt##_csum(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    double sums[MAX_N + 1];                                                                      \
    (void)z, (void)y;                                                                            \
    k->csum(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, sums);                                   \
    r[0] = 0;                                                                                    \
    for (size_t j = 0; j < w; j++) r[0] += sums[j];                                              \
  }                                                                                              \
  static void run_##dt##_cdot(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,     \
                              S *y, double *r) {                                                 \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    double sums[MAX_N + 1];                                                                      \
    (void)y;                                                                                     \
    k->cdot(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, z, (ptrdiff_t)w, sums);                  \
    r[0] = 0;                                                                                    \
    for (size_t j = 0; j < w; j++) r[0] += sums[j];                                              \
  }                                                                                              \
  static void run_##dt##_csubmul(const fsm_##dt##_kernels *k, size_t n, const S *x, const S *z,  \
                                 S *y, double *r) {                                              \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S s[MAX_N + 1] = {0};                                                                        \
    (void)r;                                                                                     \
    for (size_t j = 0; j < w; j++) s[j] = (S)(0.25 * (double)(j % 5 + 1));                       \
    k->csubmul(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, z, (ptrdiff_t)w, s,                   \
               y + (rows - 1) * w, -(ptrdiff_t)w, 1);                                               \
  }                                                                                              \
  static void run_##dt##_csubscaleexp(const fsm_##dt##_kernels *k, size_t n, const S *x,         \
                                      const S *z, S *y, double *r) {                             \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    S s[MAX_N + 1] = {0};                                                                        \
    (void)r;                                                                                     \
    for (size_t j = 0; j < w; j++) s[j] = (S)(0.25 * (double)(j % 5 + 1));                       \
    k->csubscaleexp(rows, w, x + (rows - 1) * w, -(ptrdiff_t)w, z, (ptrdiff_t)w, s,              \
                    y + (rows - 1) * w, -(ptrdiff_t)w, 1);                                          \
  }

AXIS_ADAPTERS(f32, float)
AXIS_ADAPTERS(f64, double)
AXIS_VJP_ADAPTERS(f32, float)
AXIS_VJP_ADAPTERS(f64, double)


typedef void (*run_f32_fn)(const fsm_f32_kernels *, size_t, const float *, const float *, float *,
                           double *);
typedef void (*run_f64_fn)(const fsm_f64_kernels *, size_t, const double *, const double *,
                           double *, double *);

/* The kernel list: every entry needs its adapter (else: no such function). */
#define ENTRY_F32(name, ret, params) {#name, run_f32_##name},
#define ENTRY_F64(name, ret, params) {#name, run_f64_##name},
static const struct {
  const char *name;
  run_f32_fn run;
} KERNELS_F32[] = {FSM_KERNEL_LIST(ENTRY_F32, float, float)};
static const struct {
  const char *name;
  run_f64_fn run;
} KERNELS_F64[] = {FSM_KERNEL_LIST(ENTRY_F64, double, double)};

static fenced g_x, g_z, g_y, g_f;
static size_t g_calls = 0;

/* ---- the half tables (float16, bfloat16; S = uint16_t, C = float): one
 * adapter per kernel of FSM_HALF_KERNEL_LIST and dtype, written once
 * (HALF_ADAPTER). x and z hold half values
 * in [-6, 0]; y is the half output; f the float32 buffer of the kernels
 * that read (vscale, cscale) or write (raddstoreexp, caddstoreexp, vwiden)
 * the computing type. */
#define HALF_ADAPTER_DT(dt, name, body)                                                           \
  static void run_##dt##_##name(const void *table, size_t n, const uint16_t *x,                  \
                                const uint16_t *z, uint16_t *y, float *f, double *r) {           \
    const fsm_##dt##_kernels *k = table;                                                         \
    const size_t rows = axis_rows(n), w = n / rows;                                              \
    const ptrdiff_t back = -(ptrdiff_t)w; /* the axis kernels walk backwards */                  \
    float c[MAX_N + 1] = {0}, s[MAX_N + 1] = {0};                                                \
    double sums[MAX_N + 1] = {0};                                                                \
    for (size_t j = 0; j < w; j++) c[j] = 0.125f * (float)(j % 3), s[j] = (float)(j % 5 + 1);    \
    (void)k, (void)x, (void)z, (void)y, (void)f, (void)r, (void)rows, (void)back, (void)c,       \
        (void)s, (void)sums;                                                                     \
    body;                                                                                        \
    for (size_t j = 0; j < w; j++) r[1] += sums[j];                                              \
  }
#define HALF_ADAPTER(name, body) HALF_ADAPTER_DT(f16, name, body) HALF_ADAPTER_DT(bf16, name, body)
#define LAST(p) ((p) + (rows - 1) * w)
HALF_ADAPTER(rmax, r[0] = k->rmax(n, x))
HALF_ADAPTER(raddstoreexp, r[0] = k->raddstoreexp(n, x, 0.0f, f))
HALF_ADAPTER(raddexp, r[0] = k->raddexp(n, x, 0.5f))
HALF_ADAPTER(vscaleexp, k->vscaleexp(n, x, 0.0f, 0.25f, y))
HALF_ADAPTER(vscale, k->vscale(n, f, -1.5f, y))
HALF_ADAPTER(raddextexp, do {
  const fsm_extsum e = k->raddextexp(n, x);
  r[0] = e.mantissa;
  r[1] = e.exponent;
} while (0))
HALF_ADAPTER(vscaleextexp, k->vscaleextexp(n, x, 0.5f, -1.0f, y))
HALF_ADAPTER(vsubc, k->vsubc(n, x, 1.25f, 1e-9f, y))
HALF_ADAPTER(softmax_short, do {
  size_t cols;
  size_t skip;
  const size_t srows = short_rows_of(n, FSM_SHORT_COLS, &cols, &skip);
  k->softmax_short(srows, cols, x + skip, cols, y + skip, cols, (int)(n & 1));
} while (0))
HALF_ADAPTER(cmax, do {
  k->cmax(rows, w, LAST(x), back, c, 1); /* prefetches past the guard */
  for (size_t j = 0; j < w; j++) r[0] += c[j];
} while (0))
HALF_ADAPTER(caddstoreexp, k->caddstoreexp(rows, w, LAST(x), back, c, LAST(f), back, sums))
HALF_ADAPTER(cscaleexp, k->cscaleexp(rows, w, LAST(x), back, c, s, LAST(y), back, 1))
HALF_ADAPTER(cscale, k->cscale(rows, w, LAST(f), back, s, LAST(y), back, 1))
HALF_ADAPTER(csubc, k->csubc(rows, w, LAST(x), back, s, c, LAST(y), back, 1))
HALF_ADAPTER(csum, k->csum(rows, w, LAST(x), back, sums))
HALF_ADAPTER(cdot, k->cdot(rows, w, LAST(x), back, z, (ptrdiff_t)w, sums))
HALF_ADAPTER(csubmul, k->csubmul(rows, w, LAST(x), back, z, (ptrdiff_t)w, s, LAST(y), back, 1))
HALF_ADAPTER(csubscaleexp,
             k->csubscaleexp(rows, w, LAST(x), back, z, (ptrdiff_t)w, s, LAST(y), back, 1))
HALF_ADAPTER(vwiden, k->vwiden(n, x, f))
#undef LAST

typedef struct half_entry {
  const char *name;
  void (*run)(const void *, size_t, const uint16_t *, const uint16_t *, uint16_t *, float *,
              double *);
} half_entry;
#define ENTRY_F16(name, ret, params) {#name, run_f16_##name},
#define ENTRY_BF16(name, ret, params) {#name, run_bf16_##name},
static const half_entry KERNELS_F16[] = {FSM_HALF_KERNEL_LIST(ENTRY_F16, uint16_t, float)};
static const half_entry KERNELS_BF16[] = {FSM_HALF_KERNEL_LIST(ENTRY_BF16, uint16_t, float)};
#define N_HALF_KERNELS (sizeof KERNELS_F16 / sizeof KERNELS_F16[0])

/* Every kernel of one half table at the guards: each placement of x, z, y
 * and f gives the bits of an ordinary buffer. */
static void guard_table_half(const void *k, int bf16, const char *isa) {
  const half_entry *list = bf16 ? KERNELS_BF16 : KERNELS_F16;
  static uint16_t xref[MAX_N], zref[MAX_N], yref[MAX_N];
  static float fin[MAX_N], fref[MAX_N];
  const char *dt = bf16 ? "bf16" : "f16";
  for (size_t i = 0; i < MAX_N; i++) {
    const float a = (float)(-6.0 * rng_uniform()), b = (float)(-6.0 * rng_uniform());
    xref[i] = bf16 ? fsm_f32_to_bf16(a) : fsm_f32_to_f16(a);
    zref[i] = bf16 ? fsm_f32_to_bf16(b) : fsm_f32_to_f16(b);
    fin[i] = (float)rng_uniform();
  }
  for (size_t e = 0; e < N_HALF_KERNELS; e++) {
    for (size_t n = 0; n <= MAX_N; n++) {
      double r_ref[2] = {0, 0};
      for (size_t i = 0; i < MAX_N; i++) yref[i] = 7;
      memcpy(fref, fin, sizeof fref);
      list[e].run(k, n, xref, zref, yref, fref, r_ref);
      for (int at_end = 0; at_end < 2; at_end++) {
        uint16_t *x = place(&g_x, n, sizeof(uint16_t), at_end);
        uint16_t *z = place(&g_z, n, sizeof(uint16_t), !at_end);
        uint16_t *y = place(&g_y, n, sizeof(uint16_t), at_end);
        float *f = place(&g_f, n, sizeof(float), at_end);
        memcpy(x, xref, n * sizeof(uint16_t));
        memcpy(z, zref, n * sizeof(uint16_t));
        memcpy(f, fin, n * sizeof(float));
        for (size_t i = 0; i < n; i++) y[i] = 7;
        double r[2] = {0, 0};
        list[e].run(k, n, x, z, y, f, r);
        g_calls++;
        CHECK(memcmp(y, yref, n * sizeof(uint16_t)) == 0 && memcmp(f, fref, n * sizeof(float)) == 0 &&
                  memcmp(r, r_ref, sizeof r) == 0,
              "%s %s %s n=%zu %s: differs from an ordinary buffer", dt, isa, list[e].name,
              n, at_end ? "ending at the guard" : "starting at the guard");
      }
    }
  }
}

/* Every kernel of one table at the guards, for one dtype. */
#define GUARD_TABLE(dt, S, LIST)                                                                   \
  static void guard_table_##dt(const fsm_##dt##_kernels *k, const char *isa) {                    \
    static S xref[MAX_N], zref[MAX_N], yref[MAX_N], wref[MAX_N];                                  \
    for (size_t i = 0; i < MAX_N; i++) {                                                          \
      xref[i] = (S)(-6.0 * rng_uniform());                                                        \
      zref[i] = (S)(-6.0 * rng_uniform());                                                        \
    }                                                                                             \
    for (size_t e = 0; e < sizeof LIST / sizeof LIST[0]; e++) {                                   \
      for (size_t n = 0; n <= MAX_N; n++) {                                                       \
        double r_ref[2] = {0, 0}, w_ref[2] = {0, 0};                                              \
        for (size_t i = 0; i < MAX_N; i++) yref[i] = (S)7;                                        \
        memcpy(wref, xref, sizeof wref);                                                          \
        LIST[e].run(k, n, xref, zref, yref, r_ref);                                               \
        LIST[e].run(k, n, wref, zref, wref, w_ref); /* in place */                                \
        for (int at_end = 0; at_end < 2; at_end++) {                                              \
          S *x = place(&g_x, n, sizeof(S), at_end), *z = place(&g_z, n, sizeof(S), !at_end);      \
          S *y = place(&g_y, n, sizeof(S), at_end);                                               \
          memcpy(x, xref, n * sizeof(S));                                                         \
          memcpy(z, zref, n * sizeof(S));                                                         \
          for (size_t i = 0; i < n; i++) y[i] = (S)7;                                             \
          double r[2] = {0, 0};                                                                   \
          LIST[e].run(k, n, x, z, y, r);                                                          \
          g_calls++;                                                                              \
          CHECK(memcmp(y, yref, n * sizeof(S)) == 0 && memcmp(r, r_ref, sizeof r) == 0,           \
                "%s %s %s n=%zu %s: differs from an ordinary buffer", #dt, isa, LIST[e].name, n,  \
                at_end ? "ending at the guard" : "starting at the guard");                        \
          /* in place, at the guard */                                                            \
          memcpy(y, xref, n * sizeof(S));                                                         \
          LIST[e].run(k, n, y, z, y, r);                                                          \
          g_calls++;                                                                              \
          CHECK(memcmp(y, wref, n * sizeof(S)) == 0 && memcmp(r, w_ref, sizeof r) == 0,           \
                "%s %s %s n=%zu in place: differs", #dt, isa, LIST[e].name, n);                   \
        }                                                                                         \
      }                                                                                           \
    }                                                                                             \
  }
GUARD_TABLE(f32, float, KERNELS_F32)
GUARD_TABLE(f64, double, KERNELS_F64)

/* The public entry points on rows at the guards: every algorithm, every
 * length, softmax and log-softmax (float32 and float64) and cross-entropy
 * with the target at each end. */
static void guard_public(const char *isa) {
  static const fsm_algorithm algorithms[] = {FSM_ALGORITHM_AUTO, FSM_ALGORITHM_THREE_PASS_RELOAD,
                                             FSM_ALGORITHM_THREE_PASS_RECOMPUTE,
                                             FSM_ALGORITHM_TWO_PASS, FSM_ALGORITHM_ONLINE};
  static float ref[MAX_N];
  for (size_t n = 1; n <= MAX_N; n++) {
    for (int at_end = 0; at_end < 2; at_end++) {
      float *x = place(&g_x, n, sizeof(float), at_end), *y = place(&g_y, n, sizeof(float), at_end);
      double *xd = place(&g_z, n, sizeof(double), at_end);
      for (size_t i = 0; i < n; i++) xd[i] = x[i] = (float)(10.0 * rng_uniform() - 5.0);
      for (size_t a = 0; a < sizeof algorithms / sizeof algorithms[0]; a++) {
        for (int log_out = 0; log_out < 2; log_out++) {
          fsm_status s = log_out ? fsm_log_softmax_f32(1, n, x, n, ref, n, algorithms[a])
                                 : fsm_softmax_f32(1, n, x, n, ref, n, algorithms[a]);
          s |= log_out ? fsm_log_softmax_f32(1, n, x, n, y, n, algorithms[a])
                       : fsm_softmax_f32(1, n, x, n, y, n, algorithms[a]);
          CHECK(s == FSM_OK && memcmp(y, ref, n * sizeof(float)) == 0,
                "%s public %s n=%zu algorithm %d at the guard", isa,
                log_out ? "log_softmax" : "softmax", n, (int)algorithms[a]);
          s = log_out ? fsm_log_softmax_f64(1, n, xd, n, xd, n, algorithms[a])
                      : fsm_softmax_f64(1, n, xd, n, xd, n, algorithms[a]);
          CHECK(s == FSM_OK, "%s public f64 n=%zu", isa, n);
          for (size_t i = 0; i < n; i++) xd[i] = x[i];
          g_calls += 3;
        }
      }
      const int64_t targets[2] = {0, (int64_t)n - 1};
      float loss[1];
      for (int t = 0; t < 2; t++) {
        CHECK(fsm_cross_entropy_f32(1, n, x, n, targets + t, -100, 0.1, 1.0, loss, y, n) == FSM_OK,
              "%s cross_entropy n=%zu at the guard", isa, n);
        CHECK(isfinite(loss[0]) && loss[0] >= 0.0f, "%s cross_entropy loss %g", isa, loss[0]);
        g_calls++;
      }
    }
  }
}

int main(void) {
  g_x = fenced_alloc();
  g_z = fenced_alloc();
  g_y = fenced_alloc();
  g_f = fenced_alloc();
  if (MAX_N * sizeof(double) > g_x.page) {
    fprintf(stderr, "page too small\n");
    return 2;
  }
  for (int v = 0; v < FSM_ISA_COUNT; v++) {
    if (v == FSM_ISA_AUTO || !fsm_isa_supported((fsm_isa)v)) continue;
    const char *isa = fsm_isa_name((fsm_isa)v);
    guard_table_f32(fsm_f32_kernels_for((fsm_isa)v), isa);
    guard_table_f64(fsm_f64_kernels_for((fsm_isa)v), isa);
    guard_table_half(fsm_f16_kernels_for((fsm_isa)v), 0, isa);
    guard_table_half(fsm_bf16_kernels_for((fsm_isa)v), 1, isa);
    CHECK(fsm_set_thread_isa((fsm_isa)v) == FSM_OK, "set thread isa");
    guard_public(isa);
    CHECK(fsm_set_thread_isa(FSM_ISA_AUTO) == FSM_OK, "clear thread isa");
    mark_isa_tested(isa);
  }
  printf("test_guard_pages: %zu calls at the guards\n", g_calls);
  return finish("test_guard_pages");
}
#endif

/*
 * The kernel conformance test, driven by the kernel enumerator (kernels.def):
 * every kernel of FSM_KERNEL_LIST in every resolved table this machine runs
 * (float32 and float64, every ISA), against a float64 reference computed
 * here from the same inputs (float32 values, so that both dtypes see the
 * same rows and the same references):
 *
 *   lengths 0 .. 131 (8 AVX-512 vectors + 3), 255..257, 1023..1025, 4099
 *   and 65537;
 *   every end gap 0 .. 15 elements before a PROT_NONE page (an over-read or
 *   over-write faults; 65537: gaps 0, 5, 10, 15);
 *   misaligned starts: inputs and output 1 .. 3 elements past a 64-byte
 *   boundary, misaligned against each other too (their ends still just
 *   before a guard page);
 *   in place (the output aliasing an input exactly) for every kernel whose
 *   comment in kernels.def allows it.
 *
 * Each output starts poisoned (NaN), so an element left unwritten fails;
 * the 64 bytes before each buffer and its end gap hold a canary (a write
 * before or past the row that does not reach the guard page), and the
 * inputs must come back unchanged. A kernel that a table shares with one
 * tested before it (the per-kernel fallback to a parent ISA) is not run
 * twice. Special values, the exp and log ULP sweeps and the accuracy of
 * very long sums are in test_kernels.c and test_training_kernels.c.
 *
 * Adding a kernel to FSM_KERNEL_LIST without its check_<name> below fails
 * to compile (CHECKS[] names one per kernel). FSM_TEST_VERBOSE=1 prints the
 * worst error of every kernel as a fraction of its tolerance.
 *
 * Tolerances, u = the unit roundoff of the storage type (2^-24, 2^-53), "+
 * tiny" = plus the smallest normal (outputs below it may be flushed to 0):
 *   exact         rmax, cmax; vscale, vsubc, cscale, csubc and vaffine(2, 0, 1) equal the one
 *                 float op sequence of their formula
 *   exp-based     relative 2 ulp of the exp (f64: 4, the reference's libm
 *                 included) plus the rounding of x - c, |x - c| u, + tiny
 *   sums of exps  relative 2e-7 (raddextexp 3e-7) + tiny; f64 2^-46
 *   other sums    4 u * sum |terms|; f64 128 u (naive blocks of 64)
 *   elementwise   4 u * (the magnitudes of the terms combined), f64 8 u;
 *                 log-based 4 u * (|y| + |k| + 1)
 *   softmax_short exp-based plus the sum's relative tolerance plus 2 u
 *                 (softmax); log-based plus the sum's (log-softmax)
 */
#include "test_util.h"
#include "kernels.h"

#include <stddef.h>

#define MAX_SHORT 131          /* 8 AVX-512 vectors + 3 */
#define CANARY_BYTES 64        /* checked before each buffer */
#define CANARY 0xA5            /* byte pattern: a normal negative float/double */
#define MAX_N 65537

/* ------------------------------------------------------- the enumerator */

#define CONF_INDEX(name, ret, params) KI_##name,
enum { FSM_KERNEL_LIST(CONF_INDEX, float, float) N_KERNELS };
#undef CONF_INDEX

#define CONF_NAME(name, ret, params) #name,
static const char *const KERNEL_NAMES[N_KERNELS] = {FSM_KERNEL_LIST(CONF_NAME, float, float)};
#undef CONF_NAME

/* ----------------------------------------------------------- precision */

typedef struct prec {
  const char *dtype;
  size_t size;        /* bytes per element */
  double u;           /* unit roundoff */
  double tiny;        /* smallest normal */
  double exp_ulps;    /* the kernels' exp against the float64 reference */
  double exp_sum_rel; /* raddexp, raddstoreexp: relative */
  double ext_sum_rel; /* raddextexp: relative */
  double sum_u;       /* rsum, rdot, rsumsq, raddstable: in u * sum |terms| */
  double ew_u;        /* elementwise: in u * the magnitudes combined */
} prec;

static const prec F32 = {"f32", sizeof(float), 0x1p-24, FLT_MIN, 2.0, 2e-7, 3e-7, 4.0, 4.0};
static const prec F64 = {"f64", sizeof(double), 0x1p-53, DBL_MIN, 4.0, 0x1p-46, 0x1p-46, 128.0, 8.0};

/* One resolved table under test. */
typedef struct table {
  char label[32];           /* "avx2/f32" */
  const char *isa;
  const prec *p;
  const fsm_f32_kernels *k32; /* exactly one of k32, k64 */
  const fsm_f64_kernels *k64;
  unsigned char fresh[N_KERNELS]; /* 0: the same function as an earlier table's */
  int n_fresh;
  double worst[N_KERNELS];  /* largest error / tolerance seen */
} table;

/* ------------------------------------------------------------- buffers */

/* A row of n elements ending `gap` elements before an inaccessible page,
 * with CANARY_BYTES of canary before it and in its gap. */
typedef struct buf {
  void *base;
  size_t length;
  unsigned char *data;
  size_t n, gap, size;
} buf;

static buf buf_alloc(size_t n, size_t gap, size_t size) {
  buf b;
  const size_t bytes = (n + gap) * size;
  b.n = n;
  b.gap = gap;
  b.size = size;
#ifdef FSM_TEST_GUARD_PAGES
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  const size_t data_pages = (bytes + CANARY_BYTES + page - 1) / page;
  b.length = (data_pages + 1) * page;
  b.base = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (b.base == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  if (mprotect((char *)b.base + data_pages * page, page, PROT_NONE) != 0) {
    perror("mprotect");
    exit(2);
  }
  b.data = (unsigned char *)b.base + data_pages * page - bytes;
#else
  b.length = bytes + 2 * CANARY_BYTES;
  b.base = malloc(b.length);
  if (b.base == NULL) exit(2);
  b.data = (unsigned char *)b.base + CANARY_BYTES;
#endif
  memset(b.data - CANARY_BYTES, CANARY, CANARY_BYTES);
  memset(b.data + n * size, CANARY, gap * size);
  return b;
}

static void buf_free(buf b) {
#ifdef FSM_TEST_GUARD_PAGES
  munmap(b.base, b.length);
#else
  free(b.base);
#endif
}

/* The number of damaged canary bytes (restored). */
static size_t canary_damage(buf *b) {
  size_t bad = 0;
  unsigned char *before = b->data - CANARY_BYTES, *after = b->data + b->n * b->size;
  for (size_t i = 0; i < CANARY_BYTES; i++) bad += before[i] != CANARY;
  for (size_t i = 0; i < b->gap * b->size; i++) bad += after[i] != CANARY;
  if (bad) {
    memset(before, CANARY, CANARY_BYTES);
    memset(after, CANARY, b->gap * b->size);
  }
  return bad;
}

/* ------------------------------------------------------------ one case */

enum { BX, BZ, BY, N_BUFS };     /* two inputs, one output */
enum { OUT_OF_PLACE, ALIAS_X, ALIAS_Z }; /* y separate, y == first input, y == second */

typedef struct conf {
  table *tb;
  const char *layout;  /* for messages */
  size_t n;
  buf b[N_BUFS];
  const double *r1, *r2; /* this case's random rows: [-10, 10], [-3, 3] */
  double *in[2];         /* the inputs as stored */
  double *ref, *tol;     /* expected output and tolerance per element */
  int kernel;            /* KI_* of the kernel being checked */
  int n_inputs, alias;   /* of the last setup() */
} conf;

/* A value rounded to the storage type. */
static double rnd(const conf *t, double v) { return t->tb->k64 ? v : (double)(float)v; }

/* The float op sequences the exact kernels must match. */
static double mul_s(const conf *t, double a, double b) {
  return t->tb->k64 ? a * b : (double)((float)a * (float)b);
}
static double sub_s(const conf *t, double a, double b) {
  return t->tb->k64 ? a - b : (double)((float)a - (float)b);
}

static void store(conf *t, int which, const double *v) {
  buf *b = &t->b[which];
  for (size_t i = 0; i < t->n; i++) {
    if (t->tb->k64)
      ((double *)(void *)b->data)[i] = v[i];
    else
      ((float *)(void *)b->data)[i] = (float)v[i];
  }
}

static double load(const conf *t, int which, size_t i) {
  const buf *b = &t->b[which];
  return t->tb->k64 ? ((const double *)(const void *)b->data)[i]
                    : (double)((const float *)(const void *)b->data)[i];
}

/* Stores the n_inputs inputs (t->in) where the kernel will read them: the
 * aliased one into the output buffer. Poisons the output otherwise. */
static void setup(conf *t, int n_inputs, int alias, void **px, void **pz, void **py) {
  t->n_inputs = n_inputs;
  t->alias = alias;
  for (int j = 0; j < n_inputs; j++) store(t, j == 0 ? BX : BZ, t->in[j]);
  if (alias == OUT_OF_PLACE) {
    buf *b = &t->b[BY];
    for (size_t i = 0; i < t->n; i++) {
      if (t->tb->k64)
        ((double *)(void *)b->data)[i] = NAN;
      else
        ((float *)(void *)b->data)[i] = NAN;
    }
  } else {
    store(t, BY, t->in[alias == ALIAS_X ? 0 : 1]);
  }
  if (px) *px = alias == ALIAS_X ? (void *)t->b[BY].data : (void *)t->b[BX].data;
  if (pz) *pz = alias == ALIAS_Z ? (void *)t->b[BY].data : (void *)t->b[BZ].data;
  if (py) *py = t->b[BY].data;
}

static const char *alias_text(int alias) {
  return alias == ALIAS_X ? " in place (y == first input)"
         : alias == ALIAS_Z ? " in place (y == second input)" : "";
}

static void note(conf *t, double err, double tol) {
  if (tol > 0.0 && isfinite(err)) {
    const double ratio = err / tol;
    if (ratio > t->tb->worst[t->kernel]) t->tb->worst[t->kernel] = ratio;
  }
}

/* got within tol of ref; NaN for NaN, and the same infinity where the
 * reference rounds to one in the storage type. */
static int agrees(const conf *t, double got, double ref, double tol) {
  if (isnan(ref)) return isnan(got);
  const double r = rnd(t, ref);
  if (isinf(r)) return got == r;
  return fabs(got - ref) <= tol;
}

/* After a call: canaries intact, inputs unchanged. */
static void check_memory(conf *t, const char *what) {
  const char *name = KERNEL_NAMES[t->kernel];
  for (int j = 0; j < N_BUFS; j++) {
    const size_t bad = canary_damage(&t->b[j]);
    CHECK(bad == 0, "%s %s%s n=%zu %s: %zu byte(s) written outside %s", t->tb->label, name, what,
          t->n, t->layout, bad, j == BY ? "y" : j == BX ? "x" : "z");
  }
  for (int j = 0; j < t->n_inputs; j++) {
    if (t->alias == (j == 0 ? ALIAS_X : ALIAS_Z)) continue;
    for (size_t i = 0; i < t->n; i++) {
      const double v = load(t, j == 0 ? BX : BZ, i);
      if (!(v == t->in[j][i])) {
        CHECK(0, "%s %s%s n=%zu %s: input %d changed at [%zu]", t->tb->label, name, what, t->n,
              t->layout, j, i);
        break;
      }
    }
  }
}

/* The output row against t->ref, t->tol. */
static void expect_row(conf *t) {
  const char *name = KERNEL_NAMES[t->kernel];
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < t->n; i++) {
    const double got = load(t, BY, i);
    if (!agrees(t, got, t->ref[i], t->tol[i])) {
      if (bad++ == 0) first = i;
    } else {
      note(t, fabs(got - t->ref[i]), t->tol[i]);
    }
  }
  CHECK(bad == 0, "%s %s%s n=%zu %s: %zu wrong, first y[%zu] = %.9g, expected %.9g (tol %.3g)",
        t->tb->label, name, alias_text(t->alias), t->n, t->layout, bad, first, load(t, BY, first),
        t->ref[first], t->tol[first]);
  check_memory(t, alias_text(t->alias));
}

/* A returned value against its reference. */
static void expect_value(conf *t, const char *what, double got, double ref, double tol) {
  const int ok = isnan(ref) ? isnan(got) : isinf(ref) ? got == ref : fabs(got - ref) <= tol;
  if (ok) note(t, fabs(got - ref), tol);
  CHECK(ok, "%s %s%s n=%zu %s: %.17g, expected %.17g (tol %.3g)", t->tb->label,
        KERNEL_NAMES[t->kernel], what, t->n, t->layout, got, ref, tol);
}

/* Calls kernel `name` of the table under test (the buffers' void pointers
 * convert to either storage type; scalar arguments are pre-rounded). */
#define KCALL(t, name, ...) \
  ((t)->tb->k32 ? (t)->tb->k32->name(__VA_ARGS__) : (t)->tb->k64->name(__VA_ARGS__))

/* ---------------------------------------------------------- references */

/* Neumaier summation: references accurate to about an ulp of double. */
typedef struct ksum {
  double s, c;
} ksum;
static void ksum_add(ksum *k, double v) {
  const double t = k->s + v;
  k->c += fabs(k->s) >= fabs(v) ? (k->s - t) + v : (v - t) + k->s;
  k->s = t;
}
static double ksum_total(ksum k) { return isfinite(k.s) ? k.s + k.c : k.s; }

static double stable64(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

/* The softmax kernels' row: [-10, 10] with an attention-mask -inf. */
static void softmax_row(conf *t, double *x) {
  for (size_t i = 0; i < t->n; i++) x[i] = t->r1[i];
  if (t->n > 3) x[t->n / 3] = -INFINITY;
}

static double row_max(size_t n, const double *x) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

/* Relative tolerance of exp(x - c) computed as exp(fl(x - c)). */
static double exp_tol(const conf *t, double d) {
  const double u = t->tb->p->u;
  return t->tb->p->exp_ulps * 2 * u + fmin(fabs(d), 200.0) * u;
}

/* ------------------------------------------- the checks, one per kernel */

static void check_rmax(conf *t) {
  double *x = t->in[0];
  void *px;
  softmax_row(t, x);
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  const double got = KCALL(t, rmax, t->n, px);
  expect_value(t, "", got, row_max(t->n, x), 0.0);
  check_memory(t, "");
}

/* sum_i exp(x[i] - c) for the softmax row and c = its max */
static double exp_row_refs(conf *t, double *x, double *c, double scale, double extra_rel) {
  softmax_row(t, x);
  *c = rnd(t, row_max(t->n, x));
  ksum sum = {0.0, 0.0};
  for (size_t i = 0; i < t->n; i++) {
    const double e = exp(x[i] - *c);
    ksum_add(&sum, e);
    t->ref[i] = scale * e;
    t->tol[i] = (exp_tol(t, x[i] - *c) + extra_rel) * t->ref[i] + t->tb->p->tiny;
  }
  return ksum_total(sum);
}

static void check_raddstoreexp(conf *t) {
  double c;
  void *px, *py;
  const double sum = exp_row_refs(t, t->in[0], &c, 1.0, 0.0);
  setup(t, 1, OUT_OF_PLACE, &px, NULL, &py);
  const double got = KCALL(t, raddstoreexp, t->n, px, c, py);
  expect_value(t, " sum", got, sum, t->tb->p->exp_sum_rel * sum + t->tb->p->tiny);
  expect_row(t);
}

static void check_raddexp(conf *t) {
  double c;
  void *px;
  const double sum = exp_row_refs(t, t->in[0], &c, 1.0, 0.0);
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  const double got = KCALL(t, raddexp, t->n, px, c);
  expect_value(t, "", got, sum, t->tb->p->exp_sum_rel * sum + t->tb->p->tiny);
  check_memory(t, "");
}

static void check_scaleexp(conf *t, int nt) {
  double c;
  void *px, *py;
  const double s = rnd(t, 0.375);
  exp_row_refs(t, t->in[0], &c, s, t->tb->p->u);
  setup(t, 1, OUT_OF_PLACE, &px, NULL, &py);
  if (nt) {
    KCALL(t, vscaleexp_nt, t->n, px, c, s, py);
  } else {
    KCALL(t, vscaleexp, t->n, px, c, s, py);
  }
  expect_row(t);
}

static void check_vscaleexp(conf *t) { check_scaleexp(t, 0); }

/* the same values; whole aligned vectors may be stored non-temporally */
static void check_vscaleexp_nt(conf *t) { check_scaleexp(t, 1); }

/* vscale: exactly one multiply; y == x allowed */
static void check_vscale(conf *t) {
  double *x = t->in[0];
  const double s = rnd(t, 0.3);
  softmax_row(t, x);
  for (size_t i = 0; i < t->n; i++) {
    t->ref[i] = mul_s(t, s, x[i]);
    t->tol[i] = 0.0;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vscale, t->n, px, s, py);
    expect_row(t);
  }
}

/* sum_i exp(x[i]) = mantissa * 2^exponent, exponent = max_i n_i */
static void check_raddextexp(conf *t) {
  double *x = t->in[0];
  void *px;
  softmax_row(t, x);
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  const fsm_extsum e = KCALL(t, raddextexp, t->n, px);
  check_memory(t, "");
  if (t->n == 0) {
    CHECK(e.mantissa == 0.0 && e.exponent == -INFINITY, "%s raddextexp n=0 %s: %g * 2^%g",
          t->tb->label, t->layout, e.mantissa, e.exponent);
    return;
  }
  ksum sum = {0.0, 0.0};
  for (size_t i = 0; i < t->n; i++) ksum_add(&sum, exp(x[i]));
  const double ref = ksum_total(sum), m = row_max(t->n, x);
  expect_value(t, "", ldexp(e.mantissa, (int)e.exponent), ref, t->tb->p->ext_sum_rel * ref);
  const double l = m * 0x1.71547652b82fep+0;
  CHECK(e.exponent == nearbyint(l) || fabs(e.exponent - l) <= 0.5 + 1e-3,
        "%s raddextexp n=%zu %s: exponent %g for max %g", t->tb->label, t->n, t->layout,
        e.exponent, m);
  CHECK(e.mantissa >= 0.7 && e.mantissa <= 1.42 * (double)t->n,
        "%s raddextexp n=%zu %s: mantissa %g", t->tb->label, t->n, t->layout, e.mantissa);
}

/* y[i] = exp(x[i]) * s * 2^e with the softmax's s and e, negated for odd
 * n: the training passes scale by a gradient of either sign. */
static void check_scaleextexp(conf *t, int nt) {
  double *x = t->in[0];
  void *px, *py;
  softmax_row(t, x);
  double s = 1.0, e = 0.0;
  if (t->n > 0) {
    ksum sum = {0.0, 0.0};
    for (size_t i = 0; i < t->n; i++) ksum_add(&sum, exp(x[i]));
    const double big_n = nearbyint(row_max(t->n, x) * 0x1.71547652b82fep+0);
    e = -big_n;
    s = rnd(t, (t->n & 1 ? -1.0 : 1.0) / ldexp(ksum_total(sum), (int)e));
  }
  const double rel = (2 * t->tb->p->exp_ulps + 2) * t->tb->p->u;
  for (size_t i = 0; i < t->n; i++) {
    t->ref[i] = ldexp(exp(x[i]) * s, (int)e);
    t->tol[i] = rel * fabs(t->ref[i]) + t->tb->p->tiny;
  }
  setup(t, 1, OUT_OF_PLACE, &px, NULL, &py);
  if (nt) {
    KCALL(t, vscaleextexp_nt, t->n, px, s, e, py);
  } else {
    KCALL(t, vscaleextexp, t->n, px, s, e, py);
  }
  expect_row(t);
}

static void check_vscaleextexp(conf *t) { check_scaleextexp(t, 0); }

/* the same values; whole aligned vectors may be stored non-temporally */
static void check_vscaleextexp_nt(conf *t) { check_scaleextexp(t, 1); }

/* vsubc: exactly (x - hi) - lo; y == x allowed */
static void check_vsubc(conf *t) {
  double *x = t->in[0];
  const double hi = rnd(t, 1.25), lo = rnd(t, -0x1p-20);
  softmax_row(t, x);
  for (size_t i = 0; i < t->n; i++) {
    t->ref[i] = sub_s(t, sub_s(t, x[i], hi), lo);
    t->tol[i] = 0.0;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vsubc, t->n, px, hi, lo, py);
    expect_row(t);
  }
}

/* softmax_short: the row buffer's last rows x cols elements
 * (short_rows_of); both outputs, out of place and in place. Elements
 * before the rows stay as they were. */
static void check_softmax_short(conf *t) {
  double *x = t->in[0];
  softmax_row(t, x);
  size_t cols, skip;
  const size_t rows = short_rows_of(t->n, FSM_SHORT_COLS, &cols, &skip);
  const double u = t->tb->p->u;
  for (int log_out = 0; log_out <= 1; log_out++) {
    for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
      for (size_t i = 0; i < skip; i++) {
        t->ref[i] = alias == ALIAS_X ? x[i] : NAN;
        t->tol[i] = 0.0;
      }
      for (size_t r = 0; r < rows; r++) {
        const double *row = x + skip + r * cols;
        const double m = row_max(cols, row);
        ksum sum = {0.0, 0.0};
        for (size_t i = 0; i < cols; i++) ksum_add(&sum, exp(row[i] - m));
        const double total = ksum_total(sum), lse = log(total);
        for (size_t i = 0; i < cols; i++) {
          const size_t at = skip + r * cols + i;
          const double d = row[i] - m;
          if (log_out) {
            t->ref[at] = d - lse;
            /* log-based, plus the sum's relative error (absolute in its log) */
            t->tol[at] = 4 * u * (fabs(d - lse) + lse + 1) + t->tb->p->exp_sum_rel;
          } else {
            t->ref[at] = exp(d) / total;
            t->tol[at] = (exp_tol(t, d) + t->tb->p->exp_sum_rel + 2 * u) * t->ref[at] + t->tb->p->tiny;
          }
        }
      }
      void *px, *py;
      setup(t, 1, alias, &px, NULL, &py);
      const size_t off = skip * t->tb->p->size;
      KCALL(t, softmax_short, rows, cols, (void *)((char *)px + off), cols, (void *)((char *)py + off), cols,
            log_out);
      expect_row(t);
    }
  }
}

/* ------------------------------------------------------------ training */

static double sum_tol(const conf *t, double magnitude) {
  return t->tb->p->sum_u * t->tb->p->u * magnitude + 1e-300;
}
static double ew_tol(const conf *t, double magnitude) {
  return t->tb->p->ew_u * t->tb->p->u * magnitude;
}

static void check_rsum(conf *t) {
  double *x = t->in[0];
  void *px;
  ksum sum = {0.0, 0.0};
  double mag = 0.0;
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    ksum_add(&sum, x[i]);
    mag += fabs(x[i]);
  }
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  expect_value(t, "", KCALL(t, rsum, t->n, px), ksum_total(sum), sum_tol(t, mag));
  check_memory(t, "");
}

static void check_rdot(conf *t) {
  double *a = t->in[0], *b = t->in[1];
  void *pa, *pb;
  ksum sum = {0.0, 0.0};
  double mag = 0.0;
  for (size_t i = 0; i < t->n; i++) {
    a[i] = t->r1[i];
    b[i] = t->r2[i];
    ksum_add(&sum, a[i] * b[i]); /* exact in double for float inputs */
    mag += fabs(a[i] * b[i]);
  }
  setup(t, 2, OUT_OF_PLACE, &pa, &pb, NULL);
  expect_value(t, "", KCALL(t, rdot, t->n, pa, pb), ksum_total(sum), sum_tol(t, mag));
  check_memory(t, "");
}

static void check_rsumsq(conf *t) {
  double *x = t->in[0];
  void *px;
  const double c = rnd(t, 1.25);
  ksum s1 = {0.0, 0.0}, s2 = {0.0, 0.0};
  double m1 = 0.0;
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    ksum_add(&s1, x[i] - c);
    ksum_add(&s2, (x[i] - c) * (x[i] - c));
    m1 += fabs(x[i] - c);
  }
  double s[3] = {-1.0, -1.0, 12345.0};
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  KCALL(t, rsumsq, t->n, px, c, s);
  const double sq = ksum_total(s2);
  expect_value(t, " s[0]", s[0], ksum_total(s1), sum_tol(t, m1));
  expect_value(t, " s[1]", s[1], sq, sum_tol(t, sq));
  CHECK(s[2] == 12345.0, "%s rsumsq n=%zu %s: wrote s[2]", t->tb->label, t->n, t->layout);
  check_memory(t, "");
}

/* vsubmul: y = a * (b - s); y == a, y == b allowed */
static void check_vsubmul(conf *t) {
  double *a = t->in[0], *b = t->in[1];
  const double s = rnd(t, 0.625);
  for (size_t i = 0; i < t->n; i++) {
    a[i] = t->r1[i];
    b[i] = t->r2[i];
    t->ref[i] = a[i] * (b[i] - s);
    t->tol[i] = ew_tol(t, fabs(a[i]) * (fabs(b[i]) + s)) + t->tb->p->tiny;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_Z; alias++) {
    void *pa, *pb, *py;
    setup(t, 2, alias, &pa, &pb, &py);
    KCALL(t, vsubmul, t->n, pa, pb, s, py);
    expect_row(t);
  }
}

/* vsubscaleexp: y = b - s * exp(a), a <= 0 (log-probabilities, one -inf);
 * y == a, y == b allowed */
static void check_vsubscaleexp(conf *t) {
  double *a = t->in[0], *b = t->in[1];
  const double s = rnd(t, 0.625);
  for (size_t i = 0; i < t->n; i++) {
    a[i] = (double)(-fabsf((float)t->r1[i]) * 3.0f);
    b[i] = t->r2[i];
  }
  if (t->n > 2) a[t->n / 2] = -INFINITY;
  for (size_t i = 0; i < t->n; i++) {
    const double e = exp(a[i]);
    t->ref[i] = b[i] - s * e;
    t->tol[i] = ew_tol(t, fabs(b[i]) + s * e) + t->tb->p->tiny;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_Z; alias++) {
    void *pa, *pb, *py;
    setup(t, 2, alias, &pa, &pb, &py);
    KCALL(t, vsubscaleexp, t->n, pa, pb, s, py);
    expect_row(t);
  }
}

/* vaffine: y = a * (x - c) + b; y == x allowed. (2, 0, 1) is exact: 2x
 * is, so one rounding with or without FMA. */
static void check_vaffine(conf *t) {
  double *x = t->in[0];
  const double a = rnd(t, -0.75), c = rnd(t, 1.25), b = rnd(t, 0.5);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = a * (x[i] - c) + b;
    t->tol[i] = ew_tol(t, fabs(a) * (fabs(x[i]) + c) + b);
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vaffine, t->n, px, a, c, b, py);
    expect_row(t);
  }
  for (size_t i = 0; i < t->n; i++) {
    t->ref[i] = rnd(t, 2.0 * x[i] + 1.0);
    t->tol[i] = 0.0;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vaffine, t->n, px, 2.0, 0.0, 1.0, py);
    expect_row(t);
  }
}

/* vaxpbyc: y = a * x + b * z + c; y == x, y == z allowed */
static void check_vaxpbyc(conf *t) {
  double *x = t->in[0], *z = t->in[1];
  const double a = rnd(t, 0.3), b = rnd(t, -0.7), c = rnd(t, 0.01);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    z[i] = t->r2[i];
    t->ref[i] = a * x[i] + b * z[i] + c;
    t->tol[i] = ew_tol(t, fabs(a * x[i]) + fabs(b * z[i]) + fabs(c));
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_Z; alias++) {
    void *px, *pz, *py;
    setup(t, 2, alias, &px, &pz, &py);
    KCALL(t, vaxpbyc, t->n, px, pz, a, b, c, py);
    expect_row(t);
  }
}

/* vquadscale: y = s * ((a * x + b) * x + c); y == x allowed */
static void check_vquadscale(conf *t) {
  double *x = t->in[0];
  const double a = rnd(t, 0.5), b = 1.0, c = 1.0, s = rnd(t, 0.125);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = s * ((a * x[i] + b) * x[i] + c);
    t->tol[i] = ew_tol(t, fabs(t->ref[i]));
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vquadscale, t->n, px, a, b, c, s, py);
    expect_row(t);
  }
}

/* vlogquad: y = log((a * x + b) * x + c) - k; y == x allowed */
static void check_vlogquad(conf *t) {
  double *x = t->in[0];
  const double a = 1.0, b = 0.0, c = rnd(t, 0.01), k = 2.5;
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = log((a * x[i] + b) * x[i] + c) - k;
    t->tol[i] = ew_tol(t, fabs(t->ref[i]) + k + 1.0);
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vlogquad, t->n, px, a, b, c, k, py);
    expect_row(t);
  }
}

static void check_raddstable(conf *t) {
  double *x = t->in[0];
  void *px;
  ksum sum = {0.0, 0.0};
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    ksum_add(&sum, stable64(x[i]));
  }
  const double ref = ksum_total(sum); /* every term positive */
  setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
  expect_value(t, "", KCALL(t, raddstable, t->n, px), ref, sum_tol(t, ref));
  check_memory(t, "");
}

/* vscalestable: y = k * s(x); y == x allowed */
static void check_vscalestable(conf *t) {
  double *x = t->in[0];
  const double k = rnd(t, 0.1);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = k * stable64(x[i]);
    t->tol[i] = ew_tol(t, fabs(t->ref[i]));
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vscalestable, t->n, px, k, py);
    expect_row(t);
  }
}

/* vstablegrad: y = k * min(1, s(x))^2; y == x allowed */
static void check_vstablegrad(conf *t) {
  double *x = t->in[0];
  const double k = rnd(t, 0.1);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = k * (x[i] >= 0.0 ? 1.0 : stable64(x[i]) * stable64(x[i]));
    t->tol[i] = ew_tol(t, fabs(t->ref[i]));
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vstablegrad, t->n, px, k, py);
    expect_row(t);
  }
}

/* vlogstable: y = log s(x) - k; y == x allowed */
static void check_vlogstable(conf *t) {
  double *x = t->in[0];
  const double k = 0.5;
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    t->ref[i] = log(stable64(x[i])) - k;
    t->tol[i] = ew_tol(t, fabs(t->ref[i]) + k + 1.0);
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    void *px, *py;
    setup(t, 1, alias, &px, NULL, &py);
    KCALL(t, vlogstable, t->n, px, k, py);
    expect_row(t);
  }
}

/* rfusemax: y = z(x) (fsm_fuse_params), returns max z; y == x allowed.
 * Four parameter sets: scale alone; scale, additive mask (second input),
 * ALiBi and keep mask; the soft cap alone; all of them. z's reference is
 * the float64 formula on the stored inputs; the tolerance covers the
 * float roundings of each step (4 u per magnitude) and the soft cap's tanh
 * (absolute 16 u cap). The keep mask drops every 3rd entry (exactly -inf). */
static double tanh_tol(const conf *t, double cap) { return 16.0 * t->tb->p->u * cap; }
static void check_rfusemax(conf *t) {
  double *x = t->in[0], *m = t->in[1];
  unsigned char *keep = malloc(t->n + 1);
  if (keep == NULL) exit(2);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    m[i] = t->r2[i];
    keep[i] = (unsigned char)(i % 3 != 1);
  }
  /* rows beyond MAX_SHORT: the full set only, out of place (qemu time) */
  for (int set = t->n > MAX_SHORT ? 3 : 0; set < 4; set++) {
    const double scale = rnd(t, set == 2 ? 1.0 : 0.37), cap = set >= 2 ? 4.0 : 0.0;
    const int use_mask = set == 1 || set == 3;
    const double slope = use_mask ? 0.0625 : 0.0, bias = use_mask ? -2.5 : 0.0;
    const fsm_fuse_params p = {scale, cap, NULL, use_mask ? keep : NULL, slope, bias};
    double max = -INFINITY;
    for (size_t i = 0; i < t->n; i++) {
      double z = rnd(t, x[i]) * scale, tol = ew_tol(t, fabs(z));
      if (cap > 0.0) {
        z = cap * tanh(z / cap);
        tol += tanh_tol(t, cap) + ew_tol(t, fabs(z));
      }
      if (use_mask) {
        z += m[i] + slope * (double)i + bias;
        tol += ew_tol(t, fabs(z) + fabs(m[i]) + fabs(slope * (double)i) + fabs(bias));
        if (!keep[i]) z = -INFINITY;
      }
      t->ref[i] = z;
      t->tol[i] = tol;
      if (z > max) max = z;
    }
    for (int alias = OUT_OF_PLACE; alias <= (t->n > MAX_SHORT ? OUT_OF_PLACE : ALIAS_X); alias++) {
      void *px, *pm, *py;
      setup(t, 2, alias, &px, &pm, &py);
      fsm_fuse_params q = p;
      q.mask = use_mask ? pm : NULL;
      const double got = KCALL(t, rfusemax, t->n, px, &q, py);
      double max_tol = 0.0;
      for (size_t i = 0; i < t->n; i++)
        if (t->ref[i] == max) max_tol = t->tol[i];
      expect_value(t, " max", got, max, max_tol + fabs(max) * t->tb->p->u * 8.0);
      expect_row(t);
    }
  }
  free(keep);
}

/* vcapgrad: y = g s (1 - tanh(s x / c)^2); y == g allowed */
static void check_vcapgrad(conf *t) {
  double *x = t->in[0], *g = t->in[1];
  const double s = rnd(t, 0.5), c = rnd(t, 3.0);
  for (size_t i = 0; i < t->n; i++) {
    x[i] = t->r1[i];
    g[i] = t->r2[i];
    const double th = tanh(s * x[i] / c);
    t->ref[i] = g[i] * s * (1.0 - th * th);
    t->tol[i] = fabs(g[i] * s) * (ew_tol(t, 1.0) + 2.0 * tanh_tol(t, 1.0)) + t->tb->p->tiny;
  }
  for (int alias = OUT_OF_PLACE; alias <= (t->n > MAX_SHORT ? OUT_OF_PLACE : ALIAS_Z); alias += 2) {
    void *px, *pg, *py;
    setup(t, 2, alias, &px, &pg, &py);
    KCALL(t, vcapgrad, t->n, px, pg, s, c, py);
    expect_row(t);
  }
}

/* ---- the axis kernels (FSM_AXIS_KERNEL_LIST): the buffer of n elements
 * as `rows` rows of w = n / rows columns (3 rows when n is a multiple of
 * 3, else 2 when even, else 1), walked forwards (stride w) and backwards
 * (from the last row, stride -w); the per-column arguments differ from
 * column to column. */

typedef struct axis_geo {
  size_t rows, w;
} axis_geo;

/* Both directions up to 1025 elements, forwards only beyond (the long rows
 * dominate the run time under emulation). */
static int axis_dirs(size_t n) { return n > 1025 ? 1 : 2; }
/* the axis kernels' from_memory flag (prefetches, and on x86 float32 the
 * output's whole lines streamed; the same results),
 * alternating with the length and the direction */
#define PREFETCH(t, dir) ((int)((t)->n & 1) ^ (dir))

static axis_geo axis_geometry(size_t n) {
  axis_geo g;
  g.rows = n >= 3 && n % 3 == 0 ? 3 : n >= 2 && n % 2 == 0 ? 2 : 1;
  g.w = n / g.rows;
  return g;
}

/* The start of the walk and its stride for direction dir (0: forwards). */
static void *axis_start(const conf *t, void *p, axis_geo g, int dir, ptrdiff_t *stride) {
  *stride = dir ? -(ptrdiff_t)g.w : (ptrdiff_t)g.w;
  return dir ? (char *)p + (g.rows - 1) * g.w * t->tb->p->size : p;
}

/* Per-column arguments in the storage type (w <= MAX_N). */
static void *column_args(const conf *t, int which, const double *v, size_t w) {
  static float f[4][MAX_N];
  static double d[4][MAX_N];
  for (size_t j = 0; j < w; j++) {
    f[which][j] = (float)v[j];
    d[which][j] = v[j];
  }
  return t->tb->k64 ? (void *)d[which] : (void *)f[which];
}

static double g_col[4][MAX_N], g_sums[MAX_N];

/* the columns' maxima of the softmax row, rounded to the storage type */
static void column_max(conf *t, const double *x, axis_geo g, double *m) {
  for (size_t j = 0; j < g.w; j++) {
    m[j] = -INFINITY;
    for (size_t i = 0; i < g.rows; i++) m[j] = x[i * g.w + j] > m[j] ? x[i * g.w + j] : m[j];
    m[j] = rnd(t, m[j]);
  }
}

static void check_cmax(conf *t) {
  double *x = t->in[0];
  const axis_geo g = axis_geometry(t->n);
  softmax_row(t, x);
  column_max(t, x, g, g_col[0]);
  for (int dir = 0; dir < axis_dirs(t->n); dir++) {
    void *px;
    ptrdiff_t xs;
    setup(t, 1, OUT_OF_PLACE, &px, NULL, NULL);
    void *m = column_args(t, 0, g_col[1], g.w); /* overwritten */
    void *x0 = axis_start(t, px, g, dir, &xs);
    KCALL(t, cmax, g.rows, g.w, x0, xs, m, PREFETCH(t, dir));
    for (size_t j = 0; j < g.w; j++) {
      const double got = t->tb->k64 ? ((double *)m)[j] : (double)((float *)m)[j];
      expect_value(t, dir ? " backwards" : "", got, g_col[0][j], 0.0);
    }
    check_memory(t, "");
  }
}

/* exp(x - c) references per element, and the column sums in g_sums */
static void column_exp_refs(conf *t, const double *x, axis_geo g, const double *c,
                            const double *s, double extra_rel) {
  for (size_t j = 0; j < g.w; j++) {
    ksum sum = {0.0, 0.0};
    for (size_t i = 0; i < g.rows; i++) {
      const size_t e = i * g.w + j;
      const double v = exp(x[e] - c[j]);
      ksum_add(&sum, v);
      t->ref[e] = s[j] * v;
      t->tol[e] = (exp_tol(t, x[e] - c[j]) + extra_rel) * t->ref[e] + t->tb->p->tiny;
    }
    g_sums[j] = ksum_total(sum);
  }
}

static void check_caddstoreexp(conf *t) {
  double *x = t->in[0];
  const axis_geo g = axis_geometry(t->n);
  softmax_row(t, x);
  column_max(t, x, g, g_col[0]);
  for (size_t j = 0; j < g.w; j++) g_col[1][j] = 1.0;
  column_exp_refs(t, x, g, g_col[0], g_col[1], 0.0);
  static double got[MAX_N];
  for (int dir = 0; dir < 4; dir++) {
    if ((dir & 1) >= axis_dirs(t->n)) continue;
    const int store_y = dir < 2;
    void *px, *py;
    ptrdiff_t xs, ys;
    setup(t, 1, OUT_OF_PLACE, &px, NULL, &py);
    void *c = column_args(t, 0, g_col[0], g.w);
    void *x0 = axis_start(t, px, g, dir & 1, &xs), *y0 = axis_start(t, py, g, dir & 1, &ys);
    KCALL(t, caddstoreexp, g.rows, g.w, x0, xs, c, store_y ? y0 : NULL, ys, got);
    for (size_t j = 0; j < g.w; j++)
      expect_value(t, dir & 1 ? " sum backwards" : " sum", got[j], g_sums[j],
                   t->tb->p->exp_sum_rel * g_sums[j] + t->tb->p->tiny);
    if (store_y)
      expect_row(t);
    else
      check_memory(t, " (y NULL)");
  }
}

static void check_cscaleexp(conf *t) {
  double *x = t->in[0];
  const axis_geo g = axis_geometry(t->n);
  softmax_row(t, x);
  column_max(t, x, g, g_col[0]);
  for (size_t j = 0; j < g.w; j++) g_col[1][j] = rnd(t, 0.375 + 0.0625 * (double)(j % 5));
  column_exp_refs(t, x, g, g_col[0], g_col[1], t->tb->p->u);
  for (int dir = 0; dir < axis_dirs(t->n); dir++) {
    void *px, *py;
    ptrdiff_t xs, ys;
    setup(t, 1, OUT_OF_PLACE, &px, NULL, &py);
    void *c = column_args(t, 0, g_col[0], g.w), *s = column_args(t, 1, g_col[1], g.w);
    void *x0 = axis_start(t, px, g, dir, &xs), *y0 = axis_start(t, py, g, dir, &ys);
    KCALL(t, cscaleexp, g.rows, g.w, x0, xs, c, s, y0, ys, PREFETCH(t, dir));
    expect_row(t);
  }
}

/* cscale: exactly one multiply; y == x allowed */
static void check_cscale(conf *t) {
  double *x = t->in[0];
  const axis_geo g = axis_geometry(t->n);
  softmax_row(t, x);
  for (size_t j = 0; j < g.w; j++) g_col[0][j] = rnd(t, 0.3 + 0.01 * (double)(j % 7));
  for (size_t i = 0; i < t->n; i++) {
    t->ref[i] = mul_s(t, g_col[0][i % (g.w ? g.w : 1)], x[i]);
    t->tol[i] = 0.0;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    for (int dir = 0; dir < axis_dirs(t->n); dir++) {
      void *px, *py;
      ptrdiff_t xs, ys;
      setup(t, 1, alias, &px, NULL, &py);
      void *s = column_args(t, 0, g_col[0], g.w);
      void *x0 = axis_start(t, px, g, dir, &xs), *y0 = axis_start(t, py, g, dir, &ys);
      KCALL(t, cscale, g.rows, g.w, x0, xs, s, y0, ys, PREFETCH(t, dir));
      expect_row(t);
    }
  }
}

/* csubc: exactly (x - hi) - lo; y == x allowed */
static void check_csubc(conf *t) {
  double *x = t->in[0];
  const axis_geo g = axis_geometry(t->n);
  softmax_row(t, x);
  for (size_t j = 0; j < g.w; j++) {
    g_col[0][j] = rnd(t, 1.25 + 0.5 * (double)(j % 5));
    g_col[1][j] = rnd(t, -0x1p-20 * (double)(1 + j % 3));
  }
  for (size_t i = 0; i < t->n; i++) {
    const size_t j = i % (g.w ? g.w : 1);
    t->ref[i] = sub_s(t, sub_s(t, x[i], g_col[0][j]), g_col[1][j]);
    t->tol[i] = 0.0;
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_X; alias++) {
    for (int dir = 0; dir < axis_dirs(t->n); dir++) {
      void *px, *py;
      ptrdiff_t xs, ys;
      setup(t, 1, alias, &px, NULL, &py);
      void *hi = column_args(t, 0, g_col[0], g.w), *lo = column_args(t, 1, g_col[1], g.w);
      void *x0 = axis_start(t, px, g, dir, &xs), *y0 = axis_start(t, py, g, dir, &ys);
      KCALL(t, csubc, g.rows, g.w, x0, xs, hi, lo, y0, ys, PREFETCH(t, dir));
      expect_row(t);
    }
  }
}

/* csum, cdot: the column sums against Neumaier references, 4 u * sum |terms| */
static void check_column_sums(conf *t, int dot) {
  double *a = t->in[0], *b = t->in[1];
  const axis_geo g = axis_geometry(t->n);
  for (size_t i = 0; i < t->n; i++) a[i] = t->r1[i], b[i] = t->r2[i];
  static double ref[MAX_N], mag[MAX_N], got[MAX_N];
  for (size_t j = 0; j < g.w; j++) {
    ksum sum = {0.0, 0.0};
    mag[j] = 0.0;
    for (size_t i = 0; i < g.rows; i++) {
      const double v = dot ? a[i * g.w + j] * b[i * g.w + j] : a[i * g.w + j];
      ksum_add(&sum, v);
      mag[j] += fabs(v);
    }
    ref[j] = ksum_total(sum);
  }
  for (int dir = 0; dir < axis_dirs(t->n); dir++) {
    void *pa, *pb;
    ptrdiff_t as, bs;
    setup(t, 2, OUT_OF_PLACE, &pa, &pb, NULL);
    void *a0 = axis_start(t, pa, g, dir, &as), *b0 = axis_start(t, pb, g, dir, &bs);
    if (dot)
      KCALL(t, cdot, g.rows, g.w, a0, as, b0, bs, got);
    else
      KCALL(t, csum, g.rows, g.w, a0, as, got);
    for (size_t j = 0; j < g.w; j++)
      expect_value(t, dir ? " backwards" : "", got[j], ref[j], sum_tol(t, mag[j]));
    check_memory(t, "");
  }
}

static void check_csum(conf *t) { check_column_sums(t, 0); }
static void check_cdot(conf *t) { check_column_sums(t, 1); }

/* csubmul: y = a * (b - s[j]); csubscaleexp: y = b - s[j] * exp(a), a <= 0
 * with one -inf; y == a and y == b allowed */
static void check_column_map2(conf *t, int expo) {
  double *a = t->in[0], *b = t->in[1];
  const axis_geo g = axis_geometry(t->n);
  for (size_t i = 0; i < t->n; i++) {
    a[i] = expo ? (double)(-fabsf((float)t->r1[i]) * 3.0f) : t->r1[i];
    b[i] = t->r2[i];
  }
  if (expo && t->n > 2) a[t->n / 2] = -INFINITY;
  for (size_t j = 0; j < g.w; j++) g_col[0][j] = rnd(t, 0.625 + 0.125 * (double)(j % 3));
  for (size_t i = 0; i < t->n; i++) {
    const double sj = g_col[0][i % (g.w ? g.w : 1)];
    if (expo) {
      const double e = exp(a[i]);
      t->ref[i] = b[i] - sj * e;
      t->tol[i] = ew_tol(t, fabs(b[i]) + sj * e) + t->tb->p->tiny;
    } else {
      t->ref[i] = a[i] * (b[i] - sj);
      t->tol[i] = ew_tol(t, fabs(a[i]) * (fabs(b[i]) + sj)) + t->tb->p->tiny;
    }
  }
  for (int alias = OUT_OF_PLACE; alias <= ALIAS_Z; alias++) {
    for (int dir = 0; dir < axis_dirs(t->n); dir++) {
      void *pa, *pb, *py;
      ptrdiff_t as, bs, ys;
      setup(t, 2, alias, &pa, &pb, &py);
      void *sv = column_args(t, 0, g_col[0], g.w);
      void *a0 = axis_start(t, pa, g, dir, &as), *b0 = axis_start(t, pb, g, dir, &bs);
      void *y0 = axis_start(t, py, g, dir, &ys);
      if (expo)
        KCALL(t, csubscaleexp, g.rows, g.w, a0, as, b0, bs, sv, y0, ys, PREFETCH(t, dir));
      else
        KCALL(t, csubmul, g.rows, g.w, a0, as, b0, bs, sv, y0, ys, PREFETCH(t, dir));
      expect_row(t);
    }
  }
}

static void check_csubmul(conf *t) { check_column_map2(t, 0); }
static void check_csubscaleexp(conf *t) { check_column_map2(t, 1); }

/* One check per kernel of the list: a kernel without one does not compile. */
#define CONF_CHECK(name, ret, params) check_##name,
static void (*const CHECKS[N_KERNELS])(conf *) = {FSM_KERNEL_LIST(CONF_CHECK, float, float)};
#undef CONF_CHECK

/* --------------------------------------------------------------- tables */

typedef void (*any_fn)(void);

#define CONF_PTR32(name, ret, params) (any_fn)k->name,
static void kernels_of_f32(const fsm_f32_kernels *k, any_fn *out) {
  const any_fn p[N_KERNELS] = {FSM_KERNEL_LIST(CONF_PTR32, float, float)};
  memcpy(out, p, sizeof p);
}
#undef CONF_PTR32
#define CONF_PTR64(name, ret, params) (any_fn)k->name,
static void kernels_of_f64(const fsm_f64_kernels *k, any_fn *out) {
  const any_fn p[N_KERNELS] = {FSM_KERNEL_LIST(CONF_PTR64, double, double)};
  memcpy(out, p, sizeof p);
}
#undef CONF_PTR64

#define MAX_TABLES (2 * FSM_ISA_COUNT)
static table g_tables[MAX_TABLES];
static int g_n_tables = 0;

/* Adds the tables this machine runs: float32 of every ISA, then float64;
 * kernels shared with an earlier table of the same dtype are not fresh. */
static void collect_tables(void) {
  static any_fn seen[MAX_TABLES][N_KERNELS];
  for (int dt = 0; dt < 2; dt++) {
    const int first = g_n_tables;
    for (int v = FSM_ISA_SCALAR; v < FSM_ISA_COUNT; v++) {
      const char *isa = fsm_isa_name((fsm_isa)v);
      table *tb = &g_tables[g_n_tables];
      memset(tb, 0, sizeof *tb);
      tb->isa = isa;
      if (dt == 0) {
        tb->k32 = fsm_f32_kernels_for((fsm_isa)v);
        tb->p = &F32;
      } else {
        tb->k64 = fsm_f64_kernels_for((fsm_isa)v);
        tb->p = &F64;
      }
      if (tb->k32 == NULL && tb->k64 == NULL) {
        if (dt == 0) printf("%-7s not available here: skipped\n", isa);
        continue;
      }
      snprintf(tb->label, sizeof tb->label, "%s/%s", isa, tb->p->dtype);
      CHECK((tb->k32 ? tb->k32->isa : tb->k64->isa) == (fsm_isa)v, "%s: table reports isa %d",
            tb->label, (int)(tb->k32 ? tb->k32->isa : tb->k64->isa));
      any_fn *mine = seen[g_n_tables];
      if (tb->k32)
        kernels_of_f32(tb->k32, mine);
      else
        kernels_of_f64(tb->k64, mine);
      for (int j = 0; j < N_KERNELS; j++) {
        CHECK(mine[j] != NULL, "%s: %s is NULL in the resolved table", tb->label, KERNEL_NAMES[j]);
        tb->fresh[j] = mine[j] != NULL;
        for (int e = first; e < g_n_tables && tb->fresh[j]; e++)
          if (seen[e][j] == mine[j]) tb->fresh[j] = 0;
        tb->n_fresh += tb->fresh[j];
      }
      if (dt == 0) mark_isa_tested(isa); /* FSM_TEST_REQUIRE_ISA: test_util.h */
      g_n_tables++;
    }
  }
}

/* --------------------------------------------------------------- layouts */

/* Layouts 0..15: every buffer ends that many elements before its guard
 * page. 16..18: starts 1..3 elements past a 64-byte boundary (x, z and y
 * each differently), each end as close to the guard page as that allows. */
#define N_GAP_LAYOUTS 16
#define N_LAYOUTS (N_GAP_LAYOUTS + 3)

static size_t gap_for_start(size_t n, size_t off, size_t size) {
  const size_t per_line = 64 / size;
  return (per_line - (n + off) % per_line) % per_line;
}

static void layout_gaps(int layout, size_t n, size_t size, size_t gaps[N_BUFS], char *text,
                        size_t text_size) {
  if (layout < N_GAP_LAYOUTS) {
    for (int j = 0; j < N_BUFS; j++) gaps[j] = (size_t)layout;
    snprintf(text, text_size, "gap=%d", layout);
    return;
  }
  const size_t off = (size_t)(layout - N_GAP_LAYOUTS) + 1; /* 1, 2, 3 */
  const size_t offs[N_BUFS] = {off, 4 - off, off % 3 + 1};
  for (int j = 0; j < N_BUFS; j++) gaps[j] = gap_for_start(n, offs[j], size);
  snprintf(text, text_size, "start x+%zu z+%zu y+%zu", offs[BX], offs[BZ], offs[BY]);
}

static void fill_uniform(double *x, size_t n, double lo, double hi) {
  for (size_t i = 0; i < n; i++) x[i] = (double)(float)(lo + (hi - lo) * rng_uniform());
}

static void run_case(size_t n, int layout, double *scratch[6]) {
  fill_uniform(scratch[0], n, -10.0, 10.0);
  fill_uniform(scratch[1], n, -3.0, 3.0);
  for (int dt = 0; dt < 2; dt++) {
    const size_t size = dt == 0 ? sizeof(float) : sizeof(double);
    conf t;
    size_t gaps[N_BUFS];
    char text[64];
    layout_gaps(layout, n, size, gaps, text, sizeof text);
    int bufs = 0;
    for (int i = 0; i < g_n_tables; i++) {
      table *tb = &g_tables[i];
      if ((dt == 0 ? tb->k32 == NULL : tb->k64 == NULL) || tb->n_fresh == 0) continue;
      if (!bufs) {
        for (int j = 0; j < N_BUFS; j++) t.b[j] = buf_alloc(n, gaps[j], size);
        bufs = 1;
      }
      t.tb = tb;
      t.layout = text;
      t.n = n;
      t.r1 = scratch[0];
      t.r2 = scratch[1];
      t.in[0] = scratch[2];
      t.in[1] = scratch[3];
      t.ref = scratch[4];
      t.tol = scratch[5];
      for (int k = 0; k < N_KERNELS; k++) {
        if (!tb->fresh[k]) continue;
        t.kernel = k;
        CHECKS[k](&t);
      }
    }
    if (bufs)
      for (int j = 0; j < N_BUFS; j++) buf_free(t.b[j]);
  }
}

int main(void) {
  collect_tables();
  CHECK(g_n_tables >= 2, "no tables to test");
  double *scratch[6];
  for (int j = 0; j < 6; j++) scratch[j] = calloc(MAX_N, sizeof(double));
  static const size_t longer[] = {255, 256, 257, 1023, 1024, 1025, 4099, 65537};
  const size_t n_longer = sizeof longer / sizeof longer[0];
  for (size_t j = 0; j <= MAX_SHORT + n_longer; j++) {
    const size_t n = j <= MAX_SHORT ? j : longer[j - MAX_SHORT - 1];
    for (int layout = 0; layout < N_LAYOUTS; layout++) {
      if (n > 8192 && layout < N_GAP_LAYOUTS && layout % 5 != 0) continue;
      run_case(n, layout, scratch);
    }
  }
  for (int i = 0; i < g_n_tables; i++) {
    const table *tb = &g_tables[i];
    if (tb->n_fresh == 0) {
      printf("%-11s every kernel shared with a table above: covered there\n", tb->label);
      continue;
    }
    int worst = -1;
    for (int k = 0; k < N_KERNELS; k++)
      if (tb->fresh[k] && (worst < 0 || tb->worst[k] > tb->worst[worst])) worst = k;
    printf("%-11s %2d of %d kernels checked here", tb->label, tb->n_fresh, N_KERNELS);
    if (tb->n_fresh < N_KERNELS) printf(" (the others: shared with a table above)");
    printf("; worst error %.2f of the tolerance (%s)\n", tb->worst[worst], KERNEL_NAMES[worst]);
    if (getenv("FSM_TEST_VERBOSE"))
      for (int k = 0; k < N_KERNELS; k++)
        if (tb->fresh[k]) printf("  %-13s worst error %.3f of the tolerance\n", KERNEL_NAMES[k], tb->worst[k]);
  }
  for (int j = 0; j < 6; j++) free(scratch[j]);
  return finish("test_conformance");
}

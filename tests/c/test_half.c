/*
 * float16 / bfloat16 storage (issue 17), on every ISA this build runs (the
 * SIMDe avx512 library and qemu's NEON included, through the same source):
 *   - the scalar conversions (half.h) against an independent reference:
 *     every one of the 2^16 half values widens exactly (checked against
 *     the value the bits encode, computed with ldexp), and a sweep of
 *     float32 values narrows to the nearest half, ties to even (checked by
 *     comparing distances in double);
 *   - each ISA's loads and stores (vec.h) through its kernels: vsubc(x, 0,
 *     0) round-trips all 2^16 values (NaN made quiet), at every tail
 *     length; vscale(float x, 1) narrows the float32 sweep as half.h does;
 *   - fsm_softmax_{f16,bf16} and fsm_log_softmax_{f16,bf16}, every
 *     algorithm and row length 1..70 and some long rows: every output
 *     within 1 ulp of the storage type of the float32 function's result
 *     (rounded by half.h), nothing written past a row;
 *   - each ISA's vwiden: all 2^16 values widen exactly, every tail length;
 *   - fsm_softmax_backward_{f16,bf16} and fsm_log_softmax_backward_{f16,
 *     bf16}, row lengths 1..70 and some long rows (across the 2048-element
 *     blocks and the chunked rows), also in place (dx == dy): within 1 ulp
 *     of the storage type of the float32 function's result on the widened
 *     inputs, or within the float32 bound where the difference cancels;
 *     nothing written past a row; a NULL pointer is a status;
 *   - fsm_cross_entropy_{f16,bf16}: the loss bit for bit the float32
 *     function's on the widened logits, the gradient that one rounded
 *     (the same float32 row runs), also in place and without a gradient,
 *     ignored rows, statuses;
 *   - the other half-precision losses (soft-target cross-entropy, the
 *     spherical family, Z-loss, StableMax), fsm_spherical_stats and the
 *     normalised maps: losses and statistics bit for bit the float32
 *     functions' on the widened inputs, gradients and maps those rounded,
 *     across the 4096-element stack scratch boundary; nothing written past
 *     a row;
 *   - the fused options (fsm_*softmax_ex_*, their VJPs), the states
 *     (fsm_softmax_state_*, fsm_*softmax_from_state_*) and the decoding
 *     helpers (fsm_topk_softmax_*, fsm_sample_*): bit for bit the float32
 *     functions on the widened inputs rounded once (the same float32 rows
 *     run), the same states, the same tokens and indices; from_state
 *     within 1 ulp of the float32 result rounded; nothing written past a
 *     row;
 *   - the axis functions (fsm_*softmax_axis_{f16,bf16}, their backward
 *     passes), every algorithm, every column tail 1..17 and tiles past
 *     1024 columns, rows padded and walked both ways (negative strides):
 *     within 1 ulp of the float32 axis function's result on the widened
 *     inputs, rounded (the VJPs: or the float32 bound where they cancel);
 *     the padding between and after the rows untouched.
 */
#include "test_util.h"

#include "fastsoftmax.h"
#include "half.h"
#include "kernels.h"

typedef float (*widen_fn)(uint16_t);
typedef uint16_t (*narrow_fn)(float);

/* The value of a half pattern, from its fields (not from half.h). */
static double half_value(uint16_t h, int bf16) {
  const int mant_bits = bf16 ? 7 : 10, exp_bits = bf16 ? 8 : 5;
  const int bias = (1 << (exp_bits - 1)) - 1;
  const int e = (h >> mant_bits) & ((1 << exp_bits) - 1);
  const int m = h & ((1 << mant_bits) - 1);
  const double sign = (h & 0x8000) ? -1.0 : 1.0;
  if (e == (1 << exp_bits) - 1) return m ? NAN : sign * INFINITY;
  if (e == 0) return sign * ldexp((double)m, 1 - bias - mant_bits);
  return sign * ldexp((double)(m + (1 << mant_bits)), e - bias - mant_bits);
}

static int is_nan_half(uint16_t h, int bf16) {
  return bf16 ? (h & 0x7F80) == 0x7F80 && (h & 0x7F) : (h & 0x7C00) == 0x7C00 && (h & 0x3FF);
}

/* Is `h` the half nearest to f (ties to the even pattern)? Checked on the
 * neighbours' distances in double (exact for these magnitudes). */
static int is_nearest(float f, uint16_t h, int bf16) {
  if (f != f) return is_nan_half(h, bf16);
  const double v = half_value(h, bf16), d = fabs((double)f - v);
  if (v != v) return 0;
  const uint16_t max_finite = bf16 ? 0x7F7F : 0x7BFF;
  const double top = half_value(max_finite, bf16);
  /* beyond the largest finite half by half an ulp or more: infinity */
  const double half_ulp_top = (top - half_value((uint16_t)(max_finite - 1), bf16)) / 2;
  if (fabs((double)f) >= top + half_ulp_top) return isinf(v) && (v > 0) == (f > 0);
  if (isinf(v)) return 0;
  if (((h & 0x8000) != 0) != (signbit(f) != 0)) return 0;
  for (int step = -1; step <= 1; step += 2) {
    const uint16_t mag = h & 0x7FFF;
    if ((mag == 0 && step < 0) || mag == max_finite) continue;
    const uint16_t other = (uint16_t)((h & 0x8000) | (mag + step));
    const double dn = fabs((double)f - half_value(other, bf16));
    if (dn < d) return 0;
    if (dn == d && (h & 1)) return 0; /* a tie goes to the even pattern */
  }
  return 1;
}

/* float32 values to narrow: a stride through all patterns and the edges. */
static size_t sweep(float *out, size_t cap) {
  size_t n = 0;
  for (uint64_t u = 0; u < (1ull << 32) && n < cap; u += 65521) {
    out[n++] = fsm_f32_from_bits((uint32_t)u);
  }
  static const float edges[] = {65504.0f, 65519.0f, 65519.996f, 65520.0f, 65536.0f, 0x1p-14f,
                                0x1p-24f, 0x1p-25f, 0x1.8p-25f, 0x1p-26f, 0x1.7fep-14f,
                                3.3895314e38f, 3.3961776e38f, 1.0f + 0x1p-11f, 1.0f + 0x1p-8f,
                                1.0f + 0x1.8p-8f, INFINITY, 0.0f};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0] && n + 2 <= cap; i++) {
    out[n++] = edges[i];
    out[n++] = -edges[i];
  }
  return n;
}

#define SWEEP_CAP 70000

static void test_scalar_conversions(int bf16) {
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  for (uint32_t b = 0; b < 65536; b++) {
    const uint16_t h = (uint16_t)b;
    const float f = widen(h);
    const double v = half_value(h, bf16);
    if (v != v) {
      CHECK(f != f, "%s widen %04x: expected NaN", bf16 ? "bf16" : "f16", b);
      const uint16_t quiet = bf16 ? 0x0040 : 0x0200;
      CHECK(narrow(f) == (h | quiet), "%s NaN %04x -> %04x", bf16 ? "bf16" : "f16", b, narrow(f));
      continue;
    }
    CHECK((double)f == v && !signbit(f) == !signbit(v), "%s widen %04x: %g != %g",
          bf16 ? "bf16" : "f16", b, (double)f, v);
    CHECK(narrow(f) == h, "%s round trip %04x -> %04x", bf16 ? "bf16" : "f16", b, narrow(f));
  }
  static float values[SWEEP_CAP];
  const size_t n = sweep(values, SWEEP_CAP);
  for (size_t i = 0; i < n; i++)
    CHECK(is_nearest(values[i], narrow(values[i]), bf16), "%s narrow %a -> %04x",
          bf16 ? "bf16" : "f16", (double)values[i], narrow(values[i]));
}

/* One ISA's loads and stores, through its half-precision kernels. */
typedef struct half_table {
  void (*vsubc)(size_t, const uint16_t *, float, float, uint16_t *);
  void (*vscale)(size_t, const float *, float, uint16_t *);
  void (*vwiden)(size_t, const uint16_t *, float *);
} half_table;

static void test_isa_conversions(const char *isa, int bf16, half_table t) {
  static uint16_t x[65536 + 64], y[65536 + 64];
  const uint16_t quiet = bf16 ? 0x0040 : 0x0200;
  for (uint32_t b = 0; b < 65536; b++) x[b] = (uint16_t)b;
  t.vsubc(65536, x, 0.0f, 0.0f, y);
  for (uint32_t b = 0; b < 65536; b++) {
    const uint16_t want = is_nan_half((uint16_t)b, bf16) ? (uint16_t)(b | quiet) : (uint16_t)b;
    CHECK(y[b] == want, "%s %s load/store %04x -> %04x", isa, bf16 ? "bf16" : "f16", b, y[b]);
  }
  /* every tail length and start: nothing past the row is written */
  for (size_t start = 0; start < 3; start++)
    for (size_t n = 0; n <= 40; n++) {
      for (size_t i = 0; i < 64; i++) y[i] = 0x5555;
      t.vsubc(n, x + 0x3C00 + start, 0.0f, 0.0f, y + start);
      for (size_t i = 0; i < 64; i++) {
        const int inside = i >= start && i < start + n;
        const uint16_t want = inside ? x[0x3C00 + i] : 0x5555;
        CHECK(y[i] == want, "%s %s tail n=%zu start=%zu at %zu: %04x", isa, bf16 ? "bf16" : "f16", n,
              start, i, y[i]);
      }
    }
  /* vwiden: every pattern exactly (a NaN stays a NaN), every tail */
  static float wide[65536 + 64];
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  t.vwiden(65536, x, wide);
  for (uint32_t b = 0; b < 65536; b++) {
    const float want = widen((uint16_t)b);
    const int same = want != want ? wide[b] != wide[b]
                                  : memcmp(&want, &wide[b], sizeof want) == 0;
    CHECK(same, "%s %s vwiden %04x -> %a", isa, bf16 ? "bf16" : "f16", b, (double)wide[b]);
  }
  for (size_t start = 0; start < 3; start++)
    for (size_t n = 0; n <= 40; n++) {
      for (size_t i = 0; i < 64; i++) wide[i] = -7.0f;
      t.vwiden(n, x + 0x3C00 + start, wide + start);
      for (size_t i = 0; i < 64; i++) {
        const int inside = i >= start && i < start + n;
        const float want = inside ? widen(x[0x3C00 + i]) : -7.0f;
        CHECK(wide[i] == want, "%s %s vwiden tail n=%zu start=%zu at %zu", isa,
              bf16 ? "bf16" : "f16", n, start, i);
      }
    }
  static float values[SWEEP_CAP];
  static uint16_t out[SWEEP_CAP];
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  const size_t n = sweep(values, SWEEP_CAP);
  t.vscale(n, values, 1.0f, out);
  for (size_t i = 0; i < n; i++) {
    const uint16_t want = narrow(values[i]);
    const int same = is_nan_half(want, bf16) ? is_nan_half(out[i], bf16) : out[i] == want;
    CHECK(same, "%s %s narrow %a -> %04x, expected %04x", isa, bf16 ? "bf16" : "f16",
          (double)values[i], out[i], want);
  }
}

typedef fsm_status (*half_fn)(size_t, size_t, const uint16_t *, size_t, uint16_t *, size_t,
                              fsm_algorithm);
typedef fsm_status (*f32_fn)(size_t, size_t, const float *, size_t, float *, size_t, fsm_algorithm);

/* ulps between two half patterns on the ordered line (NaN: both or none) */
static long half_ulps(uint16_t a, uint16_t b, int bf16) {
  if (is_nan_half(a, bf16) || is_nan_half(b, bf16))
    return is_nan_half(a, bf16) && is_nan_half(b, bf16) ? 0 : 1L << 20;
  const long oa = (a & 0x8000) ? -(long)(a & 0x7FFF) : (long)(a & 0x7FFF);
  const long ob = (b & 0x8000) ? -(long)(b & 0x7FFF) : (long)(b & 0x7FFF);
  return labs(oa - ob);
}

static void test_softmax(const char *isa, int bf16) {
  const half_fn fns[2] = {bf16 ? fsm_softmax_bf16 : fsm_softmax_f16,
                          bf16 ? fsm_log_softmax_bf16 : fsm_log_softmax_f16};
  const f32_fn refs[2] = {fsm_softmax_f32, fsm_log_softmax_f32};
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  static const size_t long_rows[] = {4095, 4096, 4097, 9000, 140000};
  const size_t max_n = 140000;
  uint16_t *x = malloc((max_n + 8) * sizeof *x), *y = malloc((max_n + 8) * sizeof *y);
  float *xf = malloc(max_n * sizeof *xf), *yf = malloc(max_n * sizeof *yf);
  for (size_t k = 0; k < 70 + sizeof long_rows / sizeof long_rows[0]; k++) {
    const size_t n = k < 70 ? k + 1 : long_rows[k - 70];
    for (size_t i = 0; i < n; i++) {
      x[i] = narrow((float)((rng_uniform() - 0.5) * 24.0));
      xf[i] = widen(x[i]);
    }
    for (int log = 0; log < 2; log++)
      for (int a = 0; a <= FSM_ALGORITHM_ONLINE; a++) {
        for (size_t i = 0; i < n + 8; i++) y[i] = 0x7777;
        CHECK(fns[log](1, n, x, n, y, n, (fsm_algorithm)a) == FSM_OK, "status");
        CHECK(refs[log](1, n, xf, n, yf, n, (fsm_algorithm)a) == FSM_OK, "status");
        long worst = 0;
        for (size_t i = 0; i < n; i++) {
          const long d = half_ulps(y[i], narrow(yf[i]), bf16);
          if (d > worst) worst = d;
        }
        CHECK(worst <= 1, "%s %s %s n=%zu algorithm %d: %ld ulp", isa, bf16 ? "bf16" : "f16",
              log ? "log_softmax" : "softmax", n, a, worst);
        for (size_t i = n; i < n + 8; i++) CHECK(y[i] == 0x7777, "wrote past the row");
      }
  }
  free(x);
  free(y);
  free(xf);
  free(yf);
}

typedef fsm_status (*half_vjp_fn)(size_t, size_t, const uint16_t *, size_t, const uint16_t *,
                                  size_t, uint16_t *, size_t);
typedef fsm_status (*f32_vjp_fn)(size_t, size_t, const float *, size_t, const float *, size_t,
                                 float *, size_t);

static void test_vjps(const char *isa, int bf16) {
  const half_vjp_fn fns[2] = {bf16 ? fsm_softmax_backward_bf16 : fsm_softmax_backward_f16,
                              bf16 ? fsm_log_softmax_backward_bf16 : fsm_log_softmax_backward_f16};
  const f32_vjp_fn refs[2] = {fsm_softmax_backward_f32, fsm_log_softmax_backward_f32};
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  static const size_t long_rows[] = {2047, 2048, 2049, 4097, 140000};
  const size_t max_n = 140000;
  uint16_t *a = malloc(max_n * sizeof *a), *b = malloc(max_n * sizeof *b);
  uint16_t *dx = malloc((max_n + 8) * sizeof *dx);
  float *af = malloc(max_n * sizeof *af), *bf = malloc(max_n * sizeof *bf);
  float *dxf = malloc(max_n * sizeof *dxf);
  for (size_t k = 0; k < 70 + sizeof long_rows / sizeof long_rows[0]; k++) {
    const size_t n = k < 70 ? k + 1 : long_rows[k - 70];
    for (int log = 0; log < 2; log++) {
      /* a: a softmax row (y in [0, 1], summing to 1) or a log-softmax-like
       * row (z <= 0, exp(z) about 1/n); b: an upstream gradient in [-1, 1] */
      double total = 0.0;
      for (size_t i = 0; i < n; i++) total += (af[i] = (float)exp(-6.0 * rng_uniform()));
      double sum_b = 0.0;
      const double log_total = logf((float)n);
      for (size_t i = 0; i < n; i++) {
        const float v = log ? (float)(-6.0 * rng_uniform() - log_total)
                            : (float)(af[i] / total);
        a[i] = narrow(v);
        af[i] = widen(a[i]);
        b[i] = narrow((float)(2.0 * rng_uniform() - 1.0));
        bf[i] = widen(b[i]);
        sum_b += fabs(bf[i]);
      }
      CHECK(refs[log](1, n, af, n, bf, n, dxf, n) == FSM_OK, "status");
      double s = 0.0; /* |<a, b>| or sum |b|: the cancelling term's size */
      for (size_t i = 0; i < n; i++) s += log ? 0.0 : fabs((double)af[i] * bf[i]);
      if (log) s = sum_b;
      for (int in_place = 0; in_place < 2; in_place++) {
        uint16_t *out = dx;
        for (size_t i = 0; i < n + 8; i++) dx[i] = 0x7777;
        if (in_place) {
          memcpy(dx, b, n * sizeof *b);
          CHECK(fns[log](1, n, a, n, dx, n, dx, n) == FSM_OK, "status");
        } else {
          CHECK(fns[log](1, n, a, n, b, n, out, n) == FSM_OK, "status");
        }
        long worst = 0;
        for (size_t i = 0; i < n; i++) {
          long d = half_ulps(dx[i], narrow(dxf[i]), bf16);
          /* where dy - <dy, y> (dz - e^z sum dz) cancels: the float32 bound */
          const double scale = log ? fabs(bf[i]) + 2.0 * exp(af[i]) * s
                                   : fabs(af[i]) * (fabs(bf[i]) + s);
          if (d > 1 && fabs(half_value(dx[i], bf16) - dxf[i]) <= 8 * 0x1p-24 * scale + 0x1p-126)
            d = 1;
          if (d > worst) worst = d;
        }
        CHECK(worst <= 1, "%s %s %s_backward n=%zu%s: %ld ulp", isa, bf16 ? "bf16" : "f16",
              log ? "log_softmax" : "softmax", n, in_place ? " in place" : "", worst);
        for (size_t i = n; i < n + 8; i++) CHECK(dx[i] == 0x7777, "wrote past the row");
      }
    }
  }
  CHECK(fns[0](1, 4, NULL, 4, b, 4, dx, 4) == FSM_NULL_POINTER, "NULL y");
  CHECK(fns[1](1, 4, a, 4, b, 4, NULL, 4) == FSM_NULL_POINTER, "NULL dx");
  CHECK(fns[0](2, 4, a, 3, b, 4, dx, 4) == FSM_INVALID_STRIDE, "short stride");
  free(a);
  free(b);
  free(dx);
  free(af);
  free(bf);
  free(dxf);
}

typedef fsm_status (*half_ce_fn)(size_t, size_t, const uint16_t *, size_t, const int64_t *,
                                 int64_t, double, double, float *, uint16_t *, size_t);

static void test_cross_entropy(const char *isa, int bf16) {
  const half_ce_fn fn = bf16 ? fsm_cross_entropy_bf16 : fsm_cross_entropy_f16;
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  static const size_t long_rows[] = {4095, 4096, 4097, 140000};
  const size_t max_n = 140000, rows = 3;
  uint16_t *x = malloc(rows * max_n * sizeof *x), *dx = malloc((rows * max_n + 8) * sizeof *dx);
  float *xf = malloc(rows * max_n * sizeof *xf), *dxf = malloc(rows * max_n * sizeof *dxf);
  for (size_t k = 0; k < 40 + sizeof long_rows / sizeof long_rows[0]; k++) {
    const size_t n = k < 40 ? k + 1 : long_rows[k - 40];
    const size_t r = n >= 100000 ? 1 : rows;
    for (size_t i = 0; i < r * n; i++) {
      x[i] = narrow((float)((rng_uniform() - 0.5) * 16.0));
      xf[i] = widen(x[i]);
    }
    const int64_t targets[3] = {(int64_t)(n / 2), (int64_t)(n - 1), -100};
    const double alpha = k % 3 == 0 ? 0.1 : 0.0;
    float loss[3], loss_f[3];
    CHECK(fsm_cross_entropy_f32(r, n, xf, n, targets, -100, alpha, 0.5, loss_f, dxf, n) == FSM_OK,
          "status");
    for (int in_place = 0; in_place < 2; in_place++) {
      for (size_t i = 0; i < r * n + 8; i++) dx[i] = 0x7777;
      if (in_place) memcpy(dx, x, r * n * sizeof *x);
      CHECK(fn(r, n, in_place ? dx : x, n, targets, -100, alpha, 0.5, loss, dx, n) == FSM_OK,
            "status");
      for (size_t q = 0; q < r; q++)
        CHECK(memcmp(&loss[q], &loss_f[q], sizeof(float)) == 0, "%s %s ce n=%zu row %zu: loss %a vs %a",
              isa, bf16 ? "bf16" : "f16", n, q, (double)loss[q], (double)loss_f[q]);
      long worst = 0;
      for (size_t i = 0; i < r * n; i++) {
        const long d = half_ulps(dx[i], narrow(dxf[i]), bf16);
        if (d > worst) worst = d;
      }
      CHECK(worst == 0, "%s %s ce n=%zu%s: gradient %ld ulp from the float32 one rounded", isa,
            bf16 ? "bf16" : "f16", n, in_place ? " in place" : "", worst);
      for (size_t i = r * n; i < r * n + 8; i++) CHECK(dx[i] == 0x7777, "wrote past the rows");
    }
    CHECK(fn(r, n, x, n, targets, -100, alpha, 0.5, loss, NULL, n) == FSM_OK, "status");
    for (size_t q = 0; q < r; q++) CHECK(loss[q] == loss_f[q], "ce without a gradient");
  }
  const int64_t bad[1] = {4};
  float loss[1] = {-1.0f};
  CHECK(fn(1, 4, x, 4, bad, -100, 0.0, 1.0, loss, dx, 4) == FSM_TARGET_OUT_OF_RANGE, "target");
  CHECK(fn(1, 4, x, 4, bad + 0, -100, 2.0, 1.0, loss, dx, 4) != FSM_OK, "alpha");
  CHECK(fn(1, 4, NULL, 4, bad, -100, 0.0, 1.0, loss, dx, 4) == FSM_NULL_POINTER, "NULL x");
  CHECK(loss[0] == -1.0f, "wrote on an error");
  free(x);
  free(dx);
  free(xf);
  free(dxf);
}

/* ---- the other losses, the statistics and the maps: against the float32
   functions on the widened inputs */

typedef struct half_family {
  fsm_status (*spherical_loss)(size_t, size_t, const uint16_t *, size_t, const int64_t *, int64_t,
                               double, double, float *, uint16_t *, size_t);
  fsm_status (*taylor_loss)(size_t, size_t, const uint16_t *, size_t, const int64_t *, int64_t,
                            double, float *, uint16_t *, size_t);
  fsm_status (*z_loss)(size_t, size_t, const uint16_t *, size_t, const int64_t *, int64_t, double,
                       double, double, double, float *, uint16_t *, size_t);
  fsm_status (*stable_ce)(size_t, size_t, const uint16_t *, size_t, const int64_t *, int64_t,
                          double, float *, uint16_t *, size_t);
  fsm_status (*soft)(size_t, size_t, const uint16_t *, size_t, const uint16_t *, size_t, double,
                     double, float *, uint16_t *, size_t);
  fsm_status (*stats)(size_t, size_t, const uint16_t *, size_t, const int64_t *, double *);
  fsm_status (*spherical)(size_t, size_t, const uint16_t *, size_t, uint16_t *, size_t, double);
  fsm_status (*log_spherical)(size_t, size_t, const uint16_t *, size_t, uint16_t *, size_t, double);
  fsm_status (*maps[4])(size_t, size_t, const uint16_t *, size_t, uint16_t *, size_t);
} half_family;

static void check_rounded(const char *what, const char *isa, size_t n, const uint16_t *h,
                          const float *f, narrow_fn narrow, int bf16) {
  long worst = 0;
  for (size_t i = 0; i < n; i++) {
    const long d = half_ulps(h[i], narrow(f[i]), bf16);
    if (d > worst) worst = d;
  }
  CHECK(worst == 0, "%s %s %s n=%zu: %ld ulp from the float32 result rounded", isa,
        bf16 ? "bf16" : "f16", what, n, worst);
  CHECK(h[n] == 0x7777, "%s: wrote past the row", what);
}

static void test_other_losses_and_maps(const char *isa, int bf16) {
  const half_family h16 = {fsm_log_spherical_loss_f16, fsm_log_taylor_loss_f16, fsm_z_loss_f16,
                           fsm_stablemax_cross_entropy_f16, fsm_cross_entropy_soft_f16,
                           fsm_spherical_stats_f16, fsm_spherical_softmax_f16,
                           fsm_log_spherical_softmax_f16,
                           {fsm_taylor_softmax_f16, fsm_log_taylor_softmax_f16, fsm_stablemax_f16,
                            fsm_log_stablemax_f16}};
  const half_family hb = {fsm_log_spherical_loss_bf16, fsm_log_taylor_loss_bf16, fsm_z_loss_bf16,
                          fsm_stablemax_cross_entropy_bf16, fsm_cross_entropy_soft_bf16,
                          fsm_spherical_stats_bf16, fsm_spherical_softmax_bf16,
                          fsm_log_spherical_softmax_bf16,
                          {fsm_taylor_softmax_bf16, fsm_log_taylor_softmax_bf16,
                           fsm_stablemax_bf16, fsm_log_stablemax_bf16}};
  fsm_status (*const maps32[4])(size_t, size_t, const float *, size_t, float *, size_t) = {
      fsm_taylor_softmax_f32, fsm_log_taylor_softmax_f32, fsm_stablemax_f32,
      fsm_log_stablemax_f32};
  const half_family *hf = bf16 ? &hb : &h16;
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  static const size_t lengths[] = {3, 4, 7, 16, 17, 33, 100, 4096, 4097, 9000};
  const size_t max_n = 9000;
  uint16_t *x = malloc(max_n * sizeof *x), *t = malloc(max_n * sizeof *t);
  uint16_t *y = malloc((max_n + 1) * sizeof *y);
  float *xf = malloc(max_n * sizeof *xf), *tf = malloc(max_n * sizeof *tf);
  float *yf = malloc(max_n * sizeof *yf);
  for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++) {
    const size_t n = lengths[k];
    for (size_t i = 0; i < n; i++) {
      x[i] = narrow((float)((rng_uniform() - 0.5) * 8.0));
      xf[i] = widen(x[i]);
      t[i] = narrow((float)rng_uniform());
      tf[i] = widen(t[i]);
    }
    const int64_t c[1] = {(int64_t)(n / 3)};
    float loss = 0.0f, loss_f = 0.0f;
#define HALF_LOSS_CASE(what, call_h, call_f)                                                    \
  do {                                                                                          \
    y[n] = 0x7777;                                                                              \
    CHECK((call_h) == FSM_OK && (call_f) == FSM_OK, "%s status", what);                         \
    CHECK(memcmp(&loss, &loss_f, sizeof loss) == 0, "%s %s n=%zu: loss %a vs %a", isa, what, n, \
          (double)loss, (double)loss_f);                                                        \
    check_rounded(what, isa, n, y, yf, narrow, bf16);                                           \
  } while (0)
    HALF_LOSS_CASE("log_spherical_loss",
                   hf->spherical_loss(1, n, x, n, c, -100, 1e-3, 0.5, &loss, y, n),
                   fsm_log_spherical_loss_f32(1, n, xf, n, c, -100, 1e-3, 0.5, &loss_f, yf, n));
    HALF_LOSS_CASE("log_taylor_loss", hf->taylor_loss(1, n, x, n, c, -100, 0.5, &loss, y, n),
                   fsm_log_taylor_loss_f32(1, n, xf, n, c, -100, 0.5, &loss_f, yf, n));
    HALF_LOSS_CASE("z_loss", hf->z_loss(1, n, x, n, c, -100, 2.0, 0.5, 0.0, 0.5, &loss, y, n),
                   fsm_z_loss_f32(1, n, xf, n, c, -100, 2.0, 0.5, 0.0, 0.5, &loss_f, yf, n));
    HALF_LOSS_CASE("stablemax_cross_entropy",
                   hf->stable_ce(1, n, x, n, c, -100, 0.5, &loss, y, n),
                   fsm_stablemax_cross_entropy_f32(1, n, xf, n, c, -100, 0.5, &loss_f, yf, n));
    HALF_LOSS_CASE("cross_entropy_soft", hf->soft(1, n, x, n, t, n, 0.1, 0.5, &loss, y, n),
                   fsm_cross_entropy_soft_f32(1, n, xf, n, tf, n, 0.1, 0.5, &loss_f, yf, n));
#undef HALF_LOSS_CASE
    double st[3], st_f[3];
    CHECK(hf->stats(1, n, x, n, c, st) == FSM_OK, "stats status");
    CHECK(fsm_spherical_stats_f32(1, n, xf, n, c, st_f) == FSM_OK, "stats status");
    CHECK(memcmp(st, st_f, sizeof st) == 0, "%s spherical_stats n=%zu", isa, n);
    for (int log = 0; log < 2; log++) {
      y[n] = 0x7777;
      CHECK((log ? hf->log_spherical : hf->spherical)(1, n, x, n, y, n, 1e-3) == FSM_OK, "status");
      CHECK((log ? fsm_log_spherical_softmax_f32 : fsm_spherical_softmax_f32)(1, n, xf, n, yf, n,
                                                                               1e-3) == FSM_OK,
            "status");
      check_rounded(log ? "log_spherical_softmax" : "spherical_softmax", isa, n, y, yf, narrow,
                    bf16);
    }
    for (int m = 0; m < 4; m++) {
      y[n] = 0x7777;
      CHECK(hf->maps[m](1, n, x, n, y, n) == FSM_OK && maps32[m](1, n, xf, n, yf, n) == FSM_OK,
            "map status");
      check_rounded("map", isa, n, y, yf, narrow, bf16);
    }
  }
  const int64_t bad[1] = {4};
  float loss = -1.0f;
  CHECK(hf->z_loss(1, 4, x, 4, bad, -100, 1.0, 0.0, 0.0, 1.0, &loss, y, 4) ==
            FSM_TARGET_OUT_OF_RANGE, "z target");
  CHECK(hf->soft(1, 4, x, 4, NULL, 4, 0.0, 1.0, &loss, y, 4) == FSM_NULL_POINTER, "soft NULL");
  CHECK(hf->spherical(1, 4, x, 4, y, 4, -1.0) == FSM_INVALID_ARGUMENT, "eps");
  CHECK(loss == -1.0f, "wrote on an error");
  free(x);
  free(t);
  free(y);
  free(xf);
  free(tf);
  free(yf);
}

/* ---- the fused options, the states, the decoding helpers (issue 17) */

typedef fsm_status (*half_ex_fn)(size_t, size_t, const uint16_t *, size_t, uint16_t *, size_t,
                                 fsm_algorithm, const fsm_softmax_options *);
typedef fsm_status (*f32_ex_fn)(size_t, size_t, const float *, size_t, float *, size_t,
                                fsm_algorithm, const fsm_softmax_options *);
typedef fsm_status (*half_bex_fn)(size_t, size_t, const uint16_t *, size_t, const uint16_t *,
                                  size_t, const uint16_t *, size_t, uint16_t *, size_t,
                                  const fsm_softmax_options *);
typedef fsm_status (*f32_bex_fn)(size_t, size_t, const float *, size_t, const float *, size_t,
                                 const float *, size_t, float *, size_t,
                                 const fsm_softmax_options *);
typedef fsm_status (*half_fs_fn)(size_t, size_t, const uint16_t *, size_t,
                                 const fsm_softmax_state *, uint16_t *, size_t);
typedef fsm_status (*f32_fs_fn)(size_t, size_t, const float *, size_t,
                                const fsm_softmax_state *, float *, size_t);

/* Both options structs alike: scale, soft cap, an additive mask, ALiBi
 * slopes and sinks (the per-row operands `par`), causal, the lse. */
static void set_options(fsm_softmax_options *o, size_t rows, size_t n, const void *mask,
                        const void *par, void *lse) {
  fsm_softmax_options_init(o);
  o->scale = 0.7;
  o->softcap = 3.0;
  o->ndim = 1;
  o->shape[0] = rows;
  o->mask_kind = FSM_MASK_ADDITIVE;
  o->mask = mask;
  o->mask_strides[0] = (ptrdiff_t)n;
  o->alibi_slopes = par;
  o->alibi_strides[0] = 1;
  o->sink = par;
  o->sink_strides[0] = 1;
  o->causal = 1;
  o->causal_offset = (ptrdiff_t)n - 2;
  o->lse = lse;
}

static void test_fused_states_decoding(const char *isa, int bf16) {
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  const half_ex_fn ex[2] = {bf16 ? fsm_softmax_ex_bf16 : fsm_softmax_ex_f16,
                            bf16 ? fsm_log_softmax_ex_bf16 : fsm_log_softmax_ex_f16};
  const f32_ex_fn ex32[2] = {fsm_softmax_ex_f32, fsm_log_softmax_ex_f32};
  const half_bex_fn bex[2] = {bf16 ? fsm_softmax_backward_ex_bf16 : fsm_softmax_backward_ex_f16,
                              bf16 ? fsm_log_softmax_backward_ex_bf16
                                   : fsm_log_softmax_backward_ex_f16};
  const f32_bex_fn bex32[2] = {fsm_softmax_backward_ex_f32, fsm_log_softmax_backward_ex_f32};
  const half_fs_fn fs[2] = {bf16 ? fsm_softmax_from_state_bf16 : fsm_softmax_from_state_f16,
                            bf16 ? fsm_log_softmax_from_state_bf16
                                 : fsm_log_softmax_from_state_f16};
  const f32_fs_fn fs32[2] = {fsm_softmax_from_state_f32, fsm_log_softmax_from_state_f32};
  enum { ROWS = 2, PAD = 8 };
  const size_t max_n = 4100;
  const size_t cap = ROWS * max_n + PAD;
  uint16_t *x = malloc(cap * sizeof *x), *m = malloc(cap * sizeof *m), *y = malloc(cap * sizeof *y);
  uint16_t *a = malloc(cap * sizeof *a);
  float *xf = malloc(cap * sizeof *xf), *mf = malloc(cap * sizeof *mf);
  float *yf = malloc(cap * sizeof *yf), *af = malloc(cap * sizeof *af);
  for (size_t k = 0; k < 41; k++) {
    const size_t n = k < 40 ? k + 1 : 4097, len = ROWS * n;
    uint16_t par[ROWS], lse[ROWS + 1];
    float parf[ROWS], lsef[ROWS];
    for (size_t i = 0; i < len; i++) {
      x[i] = narrow((float)((rng_uniform() - 0.5) * 16.0));
      m[i] = narrow((float)(rng_uniform() - 0.5));
      a[i] = narrow((float)rng_uniform());
      xf[i] = widen(x[i]);
      mf[i] = widen(m[i]);
      af[i] = widen(a[i]);
    }
    for (size_t r = 0; r < ROWS; r++) parf[r] = widen(par[r] = narrow((float)rng_uniform()));
    fsm_softmax_options o, of;
    set_options(&o, ROWS, n, m, par, lse);
    set_options(&of, ROWS, n, mf, parf, lsef);
    for (int log = 0; log < 2; log++) {
      /* forward */
      for (size_t i = 0; i < len + PAD; i++) y[i] = 0x7777;
      lse[ROWS] = 0x7777;
      CHECK(ex[log](ROWS, n, x, n, y, n, FSM_ALGORITHM_AUTO, &o) == FSM_OK, "status");
      CHECK(ex32[log](ROWS, n, xf, n, yf, n, FSM_ALGORITHM_AUTO, &of) == FSM_OK, "status");
      for (size_t i = 0; i < len; i++)
        CHECK(y[i] == narrow(yf[i]), "%s %s ex log=%d n=%zu [%zu]", isa, bf16 ? "bf16" : "f16",
              log, n, i);
      for (size_t r = 0; r < ROWS; r++) CHECK(lse[r] == narrow(lsef[r]), "%s lse n=%zu", isa, n);
      for (size_t i = len; i < len + PAD; i++) CHECK(y[i] == 0x7777, "wrote past the rows");
      CHECK(lse[ROWS] == 0x7777, "wrote past the lse");
      /* the VJP (a as the forward output, m as the upstream gradient) */
      for (size_t i = 0; i < len + PAD; i++) y[i] = 0x7777;
      CHECK(bex[log](ROWS, n, a, n, m, n, x, n, y, n, &o) == FSM_OK, "status");
      CHECK(bex32[log](ROWS, n, af, n, mf, n, xf, n, yf, n, &of) == FSM_OK, "status");
      for (size_t i = 0; i < len; i++)
        CHECK(y[i] == narrow(yf[i]), "%s backward_ex log=%d n=%zu [%zu]", isa, log, n, i);
      for (size_t i = len; i < len + PAD; i++) CHECK(y[i] == 0x7777, "wrote past the rows");
    }
    /* states: the same state; from_state within 1 ulp */
    fsm_softmax_state st[ROWS], stf[ROWS];
    CHECK((bf16 ? fsm_softmax_state_bf16 : fsm_softmax_state_f16)(ROWS, n, x, n, st) == FSM_OK,
          "status");
    CHECK(fsm_softmax_state_f32(ROWS, n, xf, n, stf) == FSM_OK, "status");
    CHECK(memcmp(st, stf, sizeof st) == 0, "%s state n=%zu", isa, n);
    for (int log = 0; log < 2; log++) {
      for (size_t i = 0; i < len + PAD; i++) y[i] = 0x7777;
      CHECK(fs[log](ROWS, n, x, n, st, y, n) == FSM_OK, "status");
      CHECK(fs32[log](ROWS, n, xf, n, stf, yf, n) == FSM_OK, "status");
      for (size_t i = 0; i < len; i++)
        CHECK(half_ulps(y[i], narrow(yf[i]), bf16) <= 1, "%s from_state log=%d n=%zu", isa, log,
              n);
      for (size_t i = len; i < len + PAD; i++) CHECK(y[i] == 0x7777, "wrote past the rows");
    }
    /* top-k: the float32 indices, its probabilities rounded; sample: its tokens */
    const size_t top = n < 3 ? n : 3;
    uint16_t p[ROWS * 3 + 1];
    float pf[ROWS * 3];
    int64_t idx[ROWS * 3], idxf[ROWS * 3], tok[ROWS], tokf[ROWS];
    p[ROWS * top] = 0x7777;
    CHECK((bf16 ? fsm_topk_softmax_bf16 : fsm_topk_softmax_f16)(ROWS, n, x, n, top, 0, p, top,
                                                               idx, top) == FSM_OK, "status");
    CHECK(fsm_topk_softmax_f32(ROWS, n, xf, n, top, 0, pf, top, idxf, top) == FSM_OK, "status");
    for (size_t i = 0; i < ROWS * top; i++)
      CHECK(idx[i] == idxf[i] && p[i] == narrow(pf[i]), "%s topk n=%zu", isa, n);
    CHECK(p[ROWS * top] == 0x7777, "wrote past the probabilities");
    const fsm_sampling_params sp = {0.8, 0.9, 0.0, 0};
    const double u[ROWS] = {rng_uniform(), rng_uniform()};
    CHECK((bf16 ? fsm_sample_bf16 : fsm_sample_f16)(ROWS, n, x, n, &sp, u, tok) == FSM_OK,
          "status");
    CHECK(fsm_sample_f32(ROWS, n, xf, n, &sp, u, tokf) == FSM_OK, "status");
    for (size_t r = 0; r < ROWS; r++) CHECK(tok[r] == tokf[r], "%s sample n=%zu", isa, n);
  }
  free(x);
  free(m);
  free(y);
  free(a);
  free(xf);
  free(mf);
  free(yf);
  free(af);
}

/* ---- the axis functions: outer x n x inner, rows padded by `pad`
 * elements, walked forward (dir 0) or backward (dir 1, negative axis
 * stride from the last row) */

typedef fsm_status (*half_axis_fn)(size_t, size_t, size_t, const uint16_t *, ptrdiff_t,
                                   ptrdiff_t, uint16_t *, ptrdiff_t, ptrdiff_t, fsm_algorithm);
typedef fsm_status (*f32_axis_fn)(size_t, size_t, size_t, const float *, ptrdiff_t, ptrdiff_t,
                                  float *, ptrdiff_t, ptrdiff_t, fsm_algorithm);
typedef fsm_status (*half_axis_vjp_fn)(size_t, size_t, size_t, const uint16_t *, ptrdiff_t,
                                       ptrdiff_t, const uint16_t *, ptrdiff_t, ptrdiff_t,
                                       uint16_t *, ptrdiff_t, ptrdiff_t);
typedef fsm_status (*f32_axis_vjp_fn)(size_t, size_t, size_t, const float *, ptrdiff_t, ptrdiff_t,
                                      const float *, ptrdiff_t, ptrdiff_t, float *, ptrdiff_t,
                                      ptrdiff_t);

typedef struct axis_case {
  size_t outer, n, inner;
} axis_case;

static void test_axis(const char *isa, int bf16) {
  const half_axis_fn fns[2] = {bf16 ? fsm_softmax_axis_bf16 : fsm_softmax_axis_f16,
                               bf16 ? fsm_log_softmax_axis_bf16 : fsm_log_softmax_axis_f16};
  const f32_axis_fn refs[2] = {fsm_softmax_axis_f32, fsm_log_softmax_axis_f32};
  const half_axis_vjp_fn vjps[2] = {
      bf16 ? fsm_softmax_backward_axis_bf16 : fsm_softmax_backward_axis_f16,
      bf16 ? fsm_log_softmax_backward_axis_bf16 : fsm_log_softmax_backward_axis_f16};
  const f32_axis_vjp_fn vjp_refs[2] = {fsm_softmax_backward_axis_f32,
                                       fsm_log_softmax_backward_axis_f32};
  const widen_fn widen = bf16 ? fsm_bf16_to_f32 : fsm_f16_to_f32;
  const narrow_fn narrow = bf16 ? fsm_f32_to_bf16 : fsm_f32_to_f16;
  axis_case cases[40];
  size_t nc = 0;
  for (size_t w = 1; w <= 17; w++) cases[nc++] = (axis_case){2, 9, w};
  cases[nc++] = (axis_case){1, 1, 5};
  cases[nc++] = (axis_case){3, 64, 33};
  cases[nc++] = (axis_case){1, 70, 1030};
  cases[nc++] = (axis_case){2, 1500, 20};
  const size_t pad = 3;
  double *col = malloc(1030 * sizeof *col);
  uint16_t *x = NULL, *y = NULL, *b = NULL;
  float *xf = NULL, *yf = NULL, *bf = NULL;
  for (size_t c = 0; c < nc; c++) {
    const size_t outer = cases[c].outer, n = cases[c].n, inner = cases[c].inner;
    const ptrdiff_t row = (ptrdiff_t)(inner + pad), block = (ptrdiff_t)n * row;
    const size_t total = outer * (size_t)block;
    /* each case's own buffers, of its size (y: 8 more, a canary), so that a
     * sanitizer sees any read past them */
    free(x), free(y), free(b), free(xf), free(yf), free(bf);
    x = malloc(total * sizeof *x), y = malloc((total + 8) * sizeof *y), b = malloc(total * sizeof *b);
    xf = malloc(total * sizeof *xf), yf = malloc(total * sizeof *yf), bf = malloc(total * sizeof *bf);
    for (int dir = 0; dir < 2; dir++) {
      const ptrdiff_t as = dir ? -row : row;
      const size_t first = dir ? (size_t)(block - row) : 0; /* offset of (0, 0, 0) */
      /* (3, 64, 33): a range wide enough for outputs below FLT_MIN, which
       * the float32 functions flush (the half tables must too) */
      const double range = n == 64 ? 200.0 : 24.0;
      for (size_t i = 0; i < total; i++) {
        x[i] = narrow((float)((rng_uniform() - 0.5) * range));
        xf[i] = widen(x[i]);
      }
      for (int log = 0; log < 2; log++)
        for (int a = 0; a <= FSM_ALGORITHM_ONLINE; a++) {
          for (size_t i = 0; i < total + 8; i++) y[i] = 0x7777;
          CHECK(fns[log](outer, n, inner, x + first, block, as, y + first, block, as,
                         (fsm_algorithm)a) == FSM_OK, "status");
          CHECK(refs[log](outer, n, inner, xf + first, block, as, yf + first, block, as,
                          (fsm_algorithm)a) == FSM_OK, "status");
          long worst = 0;
          int padding_kept = 1;
          for (size_t i = 0; i < total + 8; i++) {
            if (i < total && (size_t)((ptrdiff_t)i % row) < inner) {
              const long d = half_ulps(y[i], narrow(yf[i]), bf16);
              if (d > worst) worst = d;
            } else if (y[i] != 0x7777) {
              padding_kept = 0;
            }
          }
          CHECK(worst <= 1, "%s %s %s_axis %zux%zux%zu dir %d algorithm %d: %ld ulp", isa,
                bf16 ? "bf16" : "f16", log ? "log_softmax" : "softmax", outer, n, inner, dir, a,
                worst);
          CHECK(padding_kept, "%s %s axis %zux%zux%zu: wrote into the padding", isa,
                bf16 ? "bf16" : "f16", outer, n, inner);
        }
      /* the VJPs: a is y (columns of a softmax-like distribution) or z
       * (<= 0, exp(z) about 1/n), b an upstream gradient in [-1, 1] */
      for (int log = 0; log < 2; log++) {
        for (size_t i = 0; i < total; i++) {
          const float v = log ? (float)(-6.0 * rng_uniform() - logf((float)n))
                              : (float)(exp(-6.0 * rng_uniform()) / (double)n);
          x[i] = narrow(v);
          xf[i] = widen(x[i]);
          b[i] = narrow((float)(2.0 * rng_uniform() - 1.0));
          bf[i] = widen(b[i]);
        }
        for (size_t i = 0; i < total + 8; i++) y[i] = 0x7777;
        CHECK(vjps[log](outer, n, inner, x + first, block, as, b + first, block, as, y + first,
                        block, as) == FSM_OK, "status");
        CHECK(vjp_refs[log](outer, n, inner, xf + first, block, as, bf + first, block, as,
                            yf + first, block, as) == FSM_OK, "status");
        long worst = 0;
        int padding_kept = 1;
        for (size_t o = 0; o < outer; o++) {
          /* per column: |<a, b>| (softmax) or sum |b| (log): the size of the
           * term that may cancel */
          for (size_t j = 0; j < inner; j++) col[j] = 0.0;
          for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < inner; j++) {
              const size_t at = o * (size_t)block + i * (size_t)row + j;
              col[j] += log ? fabs(bf[at]) : fabs((double)xf[at] * bf[at]);
            }
          for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < inner; j++) {
              const size_t at = o * (size_t)block + i * (size_t)row + j;
              long d = half_ulps(y[at], narrow(yf[at]), bf16);
              const double scale = log ? fabs(bf[at]) + 2.0 * exp(xf[at]) * col[j]
                                       : fabs(xf[at]) * (fabs(bf[at]) + col[j]);
              if (d > 1 && fabs(half_value(y[at], bf16) - yf[at]) <= 8 * 0x1p-24 * scale + 0x1p-126)
                d = 1;
              if (d > worst) worst = d;
            }
        }
        for (size_t i = 0; i < total + 8; i++)
          if ((i >= total || (size_t)((ptrdiff_t)i % row) >= inner) && y[i] != 0x7777)
            padding_kept = 0;
        CHECK(worst <= 1, "%s %s %s_backward_axis %zux%zux%zu dir %d: %ld ulp", isa,
              bf16 ? "bf16" : "f16", log ? "log_softmax" : "softmax", outer, n, inner, dir, worst);
        CHECK(padding_kept, "%s %s backward axis %zux%zux%zu: wrote into the padding", isa,
              bf16 ? "bf16" : "f16", outer, n, inner);
      }
    }
  }
  CHECK(fns[0](1, 4, 4, NULL, 16, 4, y, 16, 4, FSM_ALGORITHM_AUTO) == FSM_NULL_POINTER, "NULL x");
  CHECK(fns[1](2, 4, 4, x, 16, 3, y, 16, 4, FSM_ALGORITHM_AUTO) == FSM_INVALID_STRIDE,
        "short axis stride");
  CHECK(fns[0](1, 4, 4, x, 16, 4, y, 16, 4, (fsm_algorithm)99) == FSM_UNKNOWN_ALGORITHM,
        "unknown algorithm");
  CHECK(vjps[0](1, 4, 4, x, 16, 4, b, 16, 4, NULL, 16, 4) == FSM_NULL_POINTER, "NULL dx");
  free(x);
  free(y);
  free(b);
  free(xf);
  free(yf);
  free(bf);
  free(col);
}

int main(void) {
  test_scalar_conversions(0);
  test_scalar_conversions(1);
  for (int v = 0; v < FSM_ISA_COUNT; v++) {
    const fsm_f16_kernels *k16 = fsm_f16_kernels_for((fsm_isa)v);
    const fsm_bf16_kernels *kb = fsm_bf16_kernels_for((fsm_isa)v);
    if (k16 == NULL || kb == NULL) continue;
    const char *isa = fsm_isa_name((fsm_isa)v);
    const half_table t16 = {k16->vsubc, k16->vscale, k16->vwiden},
                     tb = {kb->vsubc, kb->vscale, kb->vwiden};
    test_isa_conversions(isa, 0, t16);
    test_isa_conversions(isa, 1, tb);
    CHECK(fsm_set_isa((fsm_isa)v) == FSM_OK, "set %s", isa);
    test_softmax(isa, 0);
    test_softmax(isa, 1);
    test_vjps(isa, 0);
    test_vjps(isa, 1);
    test_cross_entropy(isa, 0);
    test_cross_entropy(isa, 1);
    test_other_losses_and_maps(isa, 0);
    test_other_losses_and_maps(isa, 1);
    test_fused_states_decoding(isa, 0);
    test_fused_states_decoding(isa, 1);
    test_axis(isa, 0);
    test_axis(isa, 1);
    mark_isa_tested(isa);
  }
  fsm_set_isa(FSM_ISA_AUTO);
  return finish("test_half");
}

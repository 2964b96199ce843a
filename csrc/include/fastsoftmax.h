/*
 * fastsoftmax -- SIMD softmax / log-softmax microkernels for CPUs.
 *
 * The only header users include. Everything public starts with fsm_ / FSM_.
 *
 * Conventions for every function below
 *   - A matrix is `rows` rows of `cols` contiguous elements; row r starts at
 *     ptr + r * stride. Strides are counted in elements and must be >= cols
 *     (FSM_INVALID_STRIDE otherwise; any stride is fine when rows <= 1).
 *   - Pointers may be NULL only when rows * cols == 0; nothing is read or
 *     written then.
 *   - In place (y == x, y_stride == x_stride) is allowed. Any other overlap
 *     between input and output rows is undefined.
 *   - Errors are returned as fsm_status codes; nothing aborts, nothing is
 *     printed, nothing is written when a call returns an error.
 *   - Thread safety: every function may be called from any thread at any
 *     time. The active ISA (fsm_set_isa) is process-wide; changing it while
 *     other threads compute is safe (each call uses one consistent table)
 *     but which table a concurrent call sees is unspecified.
 *
 * Numerical contract (float32; README.md has the measured bounds)
 *   - A row containing NaN gives a NaN row. A row containing +inf, or whose
 *     entries are all -inf, gives a NaN row (as exp(x - max) / sum does in
 *     float64). A -inf entry among finite ones gives exactly 0 (softmax) or
 *     -inf (log-softmax).
 *   - Outputs smaller than FLT_MIN (1.18e-38) may be flushed to zero.
 *   - Normalizers are accumulated blockwise into double precision, so the
 *     relative error does not grow with the row length.
 */
#ifndef FASTSOFTMAX_H
#define FASTSOFTMAX_H

#include <stddef.h>
#include <stdint.h>

/* The one place the version is defined; CMake and the Python build read it. */
#define FSM_VERSION_MAJOR 0
#define FSM_VERSION_MINOR 1
#define FSM_VERSION_PATCH 0
#define FSM_VERSION_STRING "0.1.0"

#if defined(_WIN32) && defined(FSM_SHARED_LIBRARY)
#  if defined(FSM_BUILDING_LIBRARY)
#    define FSM_API __declspec(dllexport)
#  else
#    define FSM_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && defined(FSM_BUILDING_LIBRARY)
#  define FSM_API __attribute__((visibility("default")))
#else
#  define FSM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. FSM_OK is 0; every error is positive. */
typedef enum fsm_status {
  FSM_OK = 0,
  FSM_INVALID_ARGUMENT = 1,   /* an argument is out of its documented range */
  FSM_NULL_POINTER = 2,       /* a required pointer is NULL with a non-empty shape */
  FSM_INVALID_STRIDE = 3,     /* a row stride is smaller than cols */
  FSM_UNKNOWN_ALGORITHM = 4,  /* not one of the fsm_algorithm values */
  FSM_UNKNOWN_ISA = 5,        /* not one of the fsm_isa values */
  FSM_UNSUPPORTED_ISA = 6,    /* the CPU (or OS) lacks the ISA asked for, here or in FASTSOFTMAX_ISA */
  FSM_SIZE_OVERFLOW = 7,      /* rows * stride does not fit in size_t */
  FSM_TARGET_OUT_OF_RANGE = 8 /* an integer target is not in [0, cols) (and not ignore_index) */
} fsm_status;

/* How softmax is computed. Every algorithm gives the same result to within
 * the documented bound; they differ in memory traffic and exp evaluations. */
typedef enum fsm_algorithm {
  FSM_ALGORITHM_AUTO = 0,                 /* per row length, from measured crossovers */
  FSM_ALGORITHM_THREE_PASS_RELOAD = 1,    /* max; store exp and sum; scale y in place */
  FSM_ALGORITHM_THREE_PASS_RECOMPUTE = 2, /* max; sum exp; write exp * (1/sum) */
  FSM_ALGORITHM_TWO_PASS = 3              /* Dukhan & Ablavatski: (mantissa, exponent) sums, no max pass */
} fsm_algorithm;

/* Instruction sets, in increasing order on each architecture. */
typedef enum fsm_isa {
  FSM_ISA_AUTO = 0,    /* the best the CPU and OS support */
  FSM_ISA_SCALAR = 1,  /* portable C, always available */
  FSM_ISA_AVX2 = 2,    /* x86-64 AVX2 + FMA */
  FSM_ISA_AVX512 = 3,  /* x86-64 AVX-512F */
  FSM_ISA_NEON = 4     /* AArch64 Advanced SIMD */
} fsm_isa;

/* ---------------------------------------------------------------- softmax */

/* y[r, i] = exp(x[r, i] - max_r) / sum_k exp(x[r, k] - max_r), row by row.
 * Accuracy (float32, finite rows): max relative error of each output above
 * FLT_MIN <= 2e-6, any row length (README: measured bound per ISA).
 * Returns FSM_OK, FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW,
 * FSM_UNKNOWN_ALGORITHM or FSM_UNSUPPORTED_ISA (bad FASTSOFTMAX_ISA). */
FSM_API fsm_status fsm_softmax_f32(size_t rows, size_t cols,
                                   const float *x, size_t x_stride,
                                   float *y, size_t y_stride,
                                   fsm_algorithm algorithm);

/* y[r, i] = (x[r, i] - max_r) - log(sum_k exp(x[r, k] - max_r)).
 * Accuracy: absolute error <= 2e-6 * max(1, |y|) per output.
 * The two three-pass algorithms are the same computation for log-softmax
 * (no exp is stored or recomputed): max, sum of exp, subtract.
 * Same arguments and status codes as fsm_softmax_f32. */
FSM_API fsm_status fsm_log_softmax_f32(size_t rows, size_t cols,
                                       const float *x, size_t x_stride,
                                       float *y, size_t y_stride,
                                       fsm_algorithm algorithm);

/* float64 versions: portable C (libm exp), same contract, errors near 1e-15. */
FSM_API fsm_status fsm_softmax_f64(size_t rows, size_t cols,
                                   const double *x, size_t x_stride,
                                   double *y, size_t y_stride,
                                   fsm_algorithm algorithm);
FSM_API fsm_status fsm_log_softmax_f64(size_t rows, size_t cols,
                                       const double *x, size_t x_stride,
                                       double *y, size_t y_stride,
                                       fsm_algorithm algorithm);

/* ---------------------------------------------------------------- training
 *
 * Gradients and losses (MATH.md §1, §3-8). Shared conventions:
 *   - Matrices follow the conventions at the top of this file. Outputs may
 *     be the first matrix input exactly (dx == y, dx == dy, dlogits ==
 *     logits with equal strides); any other overlap is undefined, and
 *     dlogits must never overlap soft targets.
 *   - Integer targets: `targets` holds `rows` int64 class indices. A row
 *     whose target equals `ignore_index` gets loss 0 and a zero gradient
 *     row; every other target must lie in [0, cols), else the call returns
 *     FSM_TARGET_OUT_OF_RANGE before writing anything (so cols == 0 with a
 *     non-ignored row is an error). `targets` may be NULL only if rows == 0.
 *   - `loss` (may be NULL) receives one value per row (contiguous). The
 *     gradient (`dlogits`, may be NULL) is dL_r/dx_r * grad_scale: pass
 *     1 / (number of non-ignored rows) for a mean reduction, 1 for a sum.
 *   - Sums are accumulated in double; losses and the scalar parts of the
 *     gradients are formed in double from the row statistics.
 *   - Parameters outside their range (eps < 0, a <= 0, label_smoothing
 *     outside [0, 1], NaN) give FSM_INVALID_ARGUMENT.
 */

/* Softmax VJP: dx = y * (dy - <dy, y>) row by row (y = softmax output).
 * Accuracy (float32): |dx - ref| <= 4 u (|y| (|dy| + |<dy,y>|)) + FLT_MIN per
 * element, u = 2^-24 (one rounding of <dy,y> and two float operations).
 * Returns FSM_OK, FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW
 * or FSM_UNSUPPORTED_ISA / FSM_UNKNOWN_ISA (bad FASTSOFTMAX_ISA). */
FSM_API fsm_status fsm_softmax_backward_f32(size_t rows, size_t cols,
                                            const float *y, size_t y_stride,
                                            const float *dy, size_t dy_stride,
                                            float *dx, size_t dx_stride);
/* Log-softmax VJP: dx = dz - exp(z) * sum(dz) (z = log-softmax output, <= 0).
 * Accuracy (float32): |dx - ref| <= 4 u (|dz| + 2 exp(z) |sum dz|) + FLT_MIN.
 * Same status codes. */
FSM_API fsm_status fsm_log_softmax_backward_f32(size_t rows, size_t cols,
                                                const float *z, size_t z_stride,
                                                const float *dz, size_t dz_stride,
                                                float *dx, size_t dx_stride);

/* Cross-entropy with integer targets and label smoothing alpha in [0, 1]:
 *   loss = (1 - alpha) (LSE(x) - x_c) + alpha (LSE(x) - mean(x)),
 *   grad = softmax(x) - ((1 - alpha) onehot(c) + alpha / cols).
 * Fused: pass 1 sums exp over x[0:c] and x[c+1:] as a (mantissa, exponent)
 * pair S' (two-pass kernels, no max pass; three-pass max/sum on the two
 * slices for rows outside the two-pass domain), pass 2 writes the
 * gradient (label smoothing adds a sum pass and an offset pass). Robust
 * near certainty (MATH.md §1 note 4): L = softplus(log S' - x_c) and
 * dL/dx_c = -S' / S are computed from S' directly, so [30, 0, 0] gives
 * the true 1.87e-13 instead of 0.
 * Accuracy (float32, finite rows): loss within 4e-7 (|loss| + 1) absolute;
 * gradient within 2e-6 |p| + 4e-7 * alpha / cols + FLT_MIN per element, and
 * dL/dx_c within 2e-6 relative of -S'/S (scaled by grad_scale).
 * Special values: NaN or +inf in a row -> NaN loss and gradient;
 * x_c = -inf (others finite) -> loss +inf, finite gradient.
 * Returns the matrix codes, FSM_TARGET_OUT_OF_RANGE, FSM_INVALID_ARGUMENT. */
FSM_API fsm_status fsm_cross_entropy_f32(size_t rows, size_t cols,
                                         const float *logits, size_t logits_stride,
                                         const int64_t *targets, int64_t ignore_index,
                                         double label_smoothing, double grad_scale,
                                         float *loss, float *dlogits, size_t dlogits_stride);

/* Cross-entropy with soft (probability) targets t (rows x cols, t >= 0 is
 * the caller's responsibility: negative entries are used as given):
 *   t' = (1 - alpha) t + alpha / cols,  loss = sum(t') LSE(x) - <t', x>,
 *   grad = sum(t') softmax(x) - t'.
 * Accuracy (float32): loss within 4e-7 (|LSE| sum(t') + |<t', x>| + 1),
 * gradient within 2e-6 sum(t') p + 2 u |t'| + FLT_MIN. Same status codes
 * (no FSM_TARGET_OUT_OF_RANGE). */
FSM_API fsm_status fsm_cross_entropy_soft_f32(size_t rows, size_t cols,
                                              const float *logits, size_t logits_stride,
                                              const float *targets, size_t targets_stride,
                                              double label_smoothing, double grad_scale,
                                              float *loss, float *dlogits, size_t dlogits_stride);

/* Row statistics of the spherical family (MATH.md §4): stats[3 r + 0] =
 * sum_k x_k, stats[3 r + 1] = sum_k x_k^2, stats[3 r + 2] = x_c (NaN when
 * targets is NULL; with targets, every target must be in [0, cols)).
 * Accumulated in double: relative error <= cols * 2^-53 + 2^-53. */
FSM_API fsm_status fsm_spherical_stats_f32(size_t rows, size_t cols,
                                           const float *x, size_t x_stride,
                                           const int64_t *targets, double *stats);

/* Spherical softmax y = (x^2 + eps) / (sum x^2 + cols eps), eps >= 0 (MATH.md
 * §5; even in x: the predicted class is argmax |x|). eps = 0 and an all-zero
 * row give NaN (0/0). Log version: log(x^2 + eps) - log(sum x^2 + cols eps).
 * Accuracy (float32, |x| < 1e19): 3 u relative (softmax), 4 u (|y| + log
 * of the normaliser + 1) absolute (log). */
FSM_API fsm_status fsm_spherical_softmax_f32(size_t rows, size_t cols, const float *x,
                                             size_t x_stride, float *y, size_t y_stride,
                                             double eps);
FSM_API fsm_status fsm_log_spherical_softmax_f32(size_t rows, size_t cols, const float *x,
                                                 size_t x_stride, float *y, size_t y_stride,
                                                 double eps);
/* Taylor softmax y = g(x) / sum g, g(x) = 1 + x + x^2/2 >= 1/2 (MATH.md §6;
 * not monotone: g decreases below x = -1), and its log. Same accuracy. */
FSM_API fsm_status fsm_taylor_softmax_f32(size_t rows, size_t cols, const float *x,
                                          size_t x_stride, float *y, size_t y_stride);
FSM_API fsm_status fsm_log_taylor_softmax_f32(size_t rows, size_t cols, const float *x,
                                              size_t x_stride, float *y, size_t y_stride);
/* StableMax y = s(x) / sum s, s(x) = x + 1 (x >= 0), 1 / (1 - x) (x < 0)
 * (MATH.md §8; NOT shift invariant, no max is subtracted), and
 * log-StableMax log s(x) - log sum s (log s via log1p). Same accuracy. */
FSM_API fsm_status fsm_stablemax_f32(size_t rows, size_t cols, const float *x,
                                     size_t x_stride, float *y, size_t y_stride);
FSM_API fsm_status fsm_log_stablemax_f32(size_t rows, size_t cols, const float *x,
                                         size_t x_stride, float *y, size_t y_stride);

/* The spherical-family losses, as functions f(q, s, x_c) (MATH.md §4). */
typedef enum fsm_spherical_loss {
  FSM_LOSS_LOG_SPHERICAL = 1, /* log(q + D eps) - log(x_c^2 + eps); p1 = eps >= 0 */
  FSM_LOSS_LOG_TAYLOR = 2,    /* log(D + s + q/2) - log(1 + x_c + x_c^2/2) */
  FSM_LOSS_Z = 3              /* (1/a) softplus(a (b - z_c)), z = (x - mu) / sqrt(var + eps_z);
                                 p1 = a > 0, p2 = b, p3 = eps_z >= 0 */
} fsm_spherical_loss;

/* The loss math of the spherical family, once: from the statistics of the
 * non-target entries, q_rest = sum_{k != c} x_k^2 and s_rest = sum_{k != c} x_k
 * (so q = q_rest + x_c^2, s = s_rest + x_c), the row length `cols` and x_c,
 * computes out[0] = L, out[1] = f_q = dL/dq, out[2] = f_s = dL/ds,
 * out[3] = f_c = dL/dx_c (partial, q and s fixed) and out[4] = the full
 * target gradient 2 f_q x_c + f_s + f_c, formed without cancellation near
 * certainty (e.g. log-Taylor: -(1 + x_c) T_rest / (T g(x_c))). The dense
 * gradient is g_k = 2 f_q x_k + f_s (k != c), g_c = out[4]. The Z-loss is
 * shift invariant: its statistics may be taken about any shift K (x - K,
 * x_c - K), and then g_k = 2 f_q (x_k - K) + f_s; the variance is
 * q/D - (s/D)^2 of the shifted values, clamped at 0, so pass a K near the
 * mean. Z-loss with var + eps_z == 0 (constant row, eps_z = 0): L =
 * softplus(a b) / a and every partial 0. Returns FSM_OK,
 * FSM_INVALID_ARGUMENT (unknown kind, bad parameter, cols == 0, Z-loss with
 * cols < 3) or FSM_NULL_POINTER. */
FSM_API fsm_status fsm_spherical_loss_partials(fsm_spherical_loss kind, size_t cols,
                                               double q_rest, double s_rest, double x_c,
                                               double p1, double p2, double p3, double *out);

/* The three dense losses with integer targets, loss per row and gradient
 * (grad_scale and ignore_index as above). Two reads of x (statistics of the
 * non-target slices, then g = 2 f_q (x - K) + f_s on the slices and the
 * target entry from fsm_spherical_loss_partials); the Z-loss first sums x
 * for the mean (K = mean: no cancellation in the variance). The Z-loss
 * rejects cols < 3 (it is constant for cols == 2) with FSM_INVALID_ARGUMENT.
 * Accuracy (float32): loss within 4e-7 (|L| + 1); gradient within
 * 4 u (|2 f_q (x - K)| + |f_s|) + 2e-7 |g_c| per element. */
FSM_API fsm_status fsm_log_spherical_loss_f32(size_t rows, size_t cols, const float *x,
                                              size_t x_stride, const int64_t *targets,
                                              int64_t ignore_index, double eps,
                                              double grad_scale, float *loss, float *dx,
                                              size_t dx_stride);
FSM_API fsm_status fsm_log_taylor_loss_f32(size_t rows, size_t cols, const float *x,
                                           size_t x_stride, const int64_t *targets,
                                           int64_t ignore_index, double grad_scale,
                                           float *loss, float *dx, size_t dx_stride);
FSM_API fsm_status fsm_z_loss_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                                  const int64_t *targets, int64_t ignore_index, double a,
                                  double b, double eps_z, double grad_scale, float *loss,
                                  float *dx, size_t dx_stride);

/* StableMax cross-entropy, integer targets: L = log1p(S_rest / s(x_c)),
 * dL/dx_j = s'(x_j) / S, dL/dx_c = -(S_rest / S) / (1 + |x_c|). Same
 * conventions and accuracy as the spherical losses. */
FSM_API fsm_status fsm_stablemax_cross_entropy_f32(size_t rows, size_t cols, const float *x,
                                                   size_t x_stride, const int64_t *targets,
                                                   int64_t ignore_index, double grad_scale,
                                                   float *loss, float *dx, size_t dx_stride);

/* float64 versions of every training function: portable C, same contract,
 * errors near 1e-15 relative. */
FSM_API fsm_status fsm_softmax_backward_f64(size_t rows, size_t cols, const double *y,
                                            size_t y_stride, const double *dy, size_t dy_stride,
                                            double *dx, size_t dx_stride);
FSM_API fsm_status fsm_log_softmax_backward_f64(size_t rows, size_t cols, const double *z,
                                                size_t z_stride, const double *dz,
                                                size_t dz_stride, double *dx, size_t dx_stride);
FSM_API fsm_status fsm_cross_entropy_f64(size_t rows, size_t cols, const double *logits,
                                         size_t logits_stride, const int64_t *targets,
                                         int64_t ignore_index, double label_smoothing,
                                         double grad_scale, double *loss, double *dlogits,
                                         size_t dlogits_stride);
FSM_API fsm_status fsm_cross_entropy_soft_f64(size_t rows, size_t cols, const double *logits,
                                              size_t logits_stride, const double *targets,
                                              size_t targets_stride, double label_smoothing,
                                              double grad_scale, double *loss, double *dlogits,
                                              size_t dlogits_stride);
FSM_API fsm_status fsm_spherical_stats_f64(size_t rows, size_t cols, const double *x,
                                           size_t x_stride, const int64_t *targets,
                                           double *stats);
FSM_API fsm_status fsm_spherical_softmax_f64(size_t rows, size_t cols, const double *x,
                                             size_t x_stride, double *y, size_t y_stride,
                                             double eps);
FSM_API fsm_status fsm_log_spherical_softmax_f64(size_t rows, size_t cols, const double *x,
                                                 size_t x_stride, double *y, size_t y_stride,
                                                 double eps);
FSM_API fsm_status fsm_taylor_softmax_f64(size_t rows, size_t cols, const double *x,
                                          size_t x_stride, double *y, size_t y_stride);
FSM_API fsm_status fsm_log_taylor_softmax_f64(size_t rows, size_t cols, const double *x,
                                              size_t x_stride, double *y, size_t y_stride);
FSM_API fsm_status fsm_stablemax_f64(size_t rows, size_t cols, const double *x,
                                     size_t x_stride, double *y, size_t y_stride);
FSM_API fsm_status fsm_log_stablemax_f64(size_t rows, size_t cols, const double *x,
                                         size_t x_stride, double *y, size_t y_stride);
FSM_API fsm_status fsm_log_spherical_loss_f64(size_t rows, size_t cols, const double *x,
                                              size_t x_stride, const int64_t *targets,
                                              int64_t ignore_index, double eps,
                                              double grad_scale, double *loss, double *dx,
                                              size_t dx_stride);
FSM_API fsm_status fsm_log_taylor_loss_f64(size_t rows, size_t cols, const double *x,
                                           size_t x_stride, const int64_t *targets,
                                           int64_t ignore_index, double grad_scale,
                                           double *loss, double *dx, size_t dx_stride);
FSM_API fsm_status fsm_z_loss_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
                                  const int64_t *targets, int64_t ignore_index, double a,
                                  double b, double eps_z, double grad_scale, double *loss,
                                  double *dx, size_t dx_stride);
FSM_API fsm_status fsm_stablemax_cross_entropy_f64(size_t rows, size_t cols, const double *x,
                                                   size_t x_stride, const int64_t *targets,
                                                   int64_t ignore_index, double grad_scale,
                                                   double *loss, double *dx, size_t dx_stride);

/* ---------------------------------------------------------------- dispatch */

/* The ISA whose kernels the next call will use. Never FSM_ISA_AUTO. */
FSM_API fsm_isa fsm_active_isa(void);

/* The best ISA this CPU and OS support (what FSM_ISA_AUTO selects). */
FSM_API fsm_isa fsm_detected_isa(void);

/* Nonzero if `isa` can run here (FSM_ISA_AUTO and FSM_ISA_SCALAR always can). */
FSM_API int fsm_isa_supported(fsm_isa isa);

/* Force an ISA for this process (tests, benchmarks). Only lowers: asking for
 * an ISA this CPU lacks returns FSM_UNSUPPORTED_ISA and changes nothing.
 * FSM_ISA_AUTO restores detection. Overrides FASTSOFTMAX_ISA. Returns
 * FSM_OK, FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA. */
FSM_API fsm_status fsm_set_isa(fsm_isa isa);

/* FSM_OK unless the FASTSOFTMAX_ISA environment variable (read once, at the
 * first call) names an unknown ISA (FSM_UNKNOWN_ISA) or one the CPU lacks
 * (FSM_UNSUPPORTED_ISA). While it is bad, compute calls return that status
 * and fsm_set_isa can clear it. */
FSM_API fsm_status fsm_environment_status(void);

/* "scalar", "avx2", "avx512", "neon", "auto"; NULL for an unknown value. */
FSM_API const char *fsm_isa_name(fsm_isa isa);

/* Parses an ISA name as fsm_isa_name prints it (case-sensitive). Returns
 * FSM_OK or FSM_UNKNOWN_ISA; *isa is untouched on error. */
FSM_API fsm_status fsm_isa_from_name(const char *name, fsm_isa *isa);

/* A static English sentence describing a status code. */
FSM_API const char *fsm_status_string(fsm_status status);

/* "three_pass_reload", ...; NULL for an unknown value. */
FSM_API const char *fsm_algorithm_name(fsm_algorithm algorithm);

/* FSM_VERSION_STRING of the library actually loaded. */
FSM_API const char *fsm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTSOFTMAX_H */

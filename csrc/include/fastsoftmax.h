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
 *     time. The ISA a call uses is the calling thread's override
 *     (fsm_set_thread_isa) if it set one, else the process-wide one
 *     (fsm_set_isa, FASTSOFTMAX_ISA, detection). Changing the process-wide
 *     ISA while other threads compute is safe (each call uses one
 *     consistent table) but which table a concurrent call sees is
 *     unspecified; a thread's own override is seen by its next call.
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
  FSM_SIZE_OVERFLOW = 7,      /* a matrix's extent in bytes does not fit in size_t */
  FSM_TARGET_OUT_OF_RANGE = 8, /* an integer target is not in [0, cols) (and not ignore_index) */
  FSM_OUT_OF_MEMORY = 9        /* a scratch allocation failed (fsm_sample_*, fsm_topk_softmax_*;
                                  the float16 / bfloat16 functions that widen rows) */
} fsm_status;

/* How softmax is computed. Every algorithm gives the same result to within
 * the documented bound; they differ in memory traffic and exp evaluations. */
typedef enum fsm_algorithm {
  FSM_ALGORITHM_AUTO = 0,                 /* per row length, from measured crossovers */
  FSM_ALGORITHM_THREE_PASS_RELOAD = 1,    /* max; store exp and sum; scale y in place (calls
                                             whose x and y fill the LLC, rows of 2 blocks or more:
                                             max and exp per block in one read, then each block
                                             scaled) */
  FSM_ALGORITHM_THREE_PASS_RECOMPUTE = 2, /* max; sum exp; write exp * (1/sum) */
  FSM_ALGORITHM_TWO_PASS = 3,             /* Dukhan & Ablavatski: (mantissa, exponent) sums, no max pass */
  FSM_ALGORITHM_ONLINE = 4                /* online normaliser over cache-sized blocks (max, then sum
                                             exp, both from L1); write exp * (1/sum): 12 bytes per
                                             float moved, with the three-pass exp */
} fsm_algorithm;

/* Instruction sets. Values are stable; new ones are added before
 * FSM_ISA_COUNT (loop over ISAs with `v < FSM_ISA_COUNT`, never by order:
 * which ISA falls back to which is the library's data, not the enum's). */
typedef enum fsm_isa {
  FSM_ISA_AUTO = 0,    /* the best the CPU and OS support */
  FSM_ISA_SCALAR = 1,  /* portable C, always available */
  FSM_ISA_AVX2 = 2,    /* x86-64 AVX2 + FMA */
  FSM_ISA_AVX512 = 3,  /* x86-64 AVX-512F */
  FSM_ISA_NEON = 4,    /* AArch64 Advanced SIMD */
  FSM_ISA_AVX512_BF16 = 5, /* AVX-512F + BW + AVX512_BF16: avx512, with bfloat16 rounded by
                              vcvtneps2bf16 (float32 and float16 run avx512's kernels) */
  FSM_ISA_COUNT        /* the number of values above; not an ISA */
} fsm_isa;

/* ---------------------------------------------------------------- softmax */

/* fsm_softmax_f32: softmax of each row of a float32 matrix,
 *   y[r, i] = exp(x[r, i] - max_r) / sum_k exp(x[r, k] - max_r).
 *
 * Arguments
 *   rows, cols  the shape; either may be 0, and then x and y may be NULL,
 *               strides are not checked and nothing is read or written.
 *   x           the input, row r at x + r * x_stride; read only.
 *   x_stride    elements between row starts of x; >= cols when rows > 1
 *               (any value, even 0, when rows == 1).
 *   y           the output, row r at y + r * y_stride; only the first cols
 *               elements of each row are written.
 *   y_stride    elements between row starts of y; >= cols when rows > 1.
 *   algorithm   an fsm_algorithm; FSM_ALGORITHM_AUTO unless benchmarking.
 * Returns, checked in this order (nothing is written unless FSM_OK):
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad (see
 *                          fsm_environment_status), even for empty shapes;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x, then
 *                          the same three for y, only if rows, cols > 0:
 *                          the pointer is NULL; rows > 1 and the stride is
 *                          < cols; the byte offset one past the last
 *                          element, ((rows - 1) * stride + cols) *
 *                          sizeof(float), does not fit in size_t;
 *   FSM_UNKNOWN_ALGORITHM  algorithm is not an fsm_algorithm value (also
 *                          for empty shapes);
 *   FSM_OK                 y holds the result.
 * Aliasing: y == x with y_stride == x_stride (in place) is allowed; any
 *   other overlap of the rows read and written is undefined behaviour.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy (finite rows): relative error of each output above FLT_MIN
 *   <= 2e-6 at any row length (README: the measured bound per ISA). */
FSM_API fsm_status fsm_softmax_f32(size_t rows, size_t cols,
                                   const float *x, size_t x_stride,
                                   float *y, size_t y_stride,
                                   fsm_algorithm algorithm);

/* fsm_log_softmax_f32: log-softmax of each row of a float32 matrix,
 *   y[r, i] = (x[r, i] - max_r) - log(sum_k exp(x[r, k] - max_r)),
 * computed directly (never as log(softmax)), so tiny probabilities keep
 * their logarithm. The two three-pass algorithms are the same computation
 * here (max, sum of exp, subtract); FSM_ALGORITHM_TWO_PASS skips the max;
 * FSM_ALGORITHM_ONLINE takes max and sum in one read of x from memory.
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_f32.
 * Accuracy: absolute error <= 2e-6 * max(1, |y|) per output. */
FSM_API fsm_status fsm_log_softmax_f32(size_t rows, size_t cols,
                                       const float *x, size_t x_stride,
                                       float *y, size_t y_stride,
                                       fsm_algorithm algorithm);

/* fsm_softmax_f64: fsm_softmax_f32 for float64 (sizeof(double) in the
 * overflow check). Portable C with libm's exp on every ISA (the ISA only
 * matters for the FASTSOFTMAX_ISA status); relative errors near 1e-15.
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_f32. */
FSM_API fsm_status fsm_softmax_f64(size_t rows, size_t cols,
                                   const double *x, size_t x_stride,
                                   double *y, size_t y_stride,
                                   fsm_algorithm algorithm);

/* fsm_log_softmax_f64: fsm_log_softmax_f32 for float64, portable C, errors
 * near 1e-15 * max(1, |y|).
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_f32. */
FSM_API fsm_status fsm_log_softmax_f64(size_t rows, size_t cols,
                                       const double *x, size_t x_stride,
                                       double *y, size_t y_stride,
                                       fsm_algorithm algorithm);

/* ---------------------------------------------- half precision (issue 17)
 * float16 and bfloat16 storage with float32 computation. Elements are
 * passed as their 16-bit patterns in uint16_t:
 *   float16   IEEE 754 binary16 (numpy.float16, torch.float16, _Float16):
 *             1 sign, 5 exponent, 10 fraction bits;
 *   bfloat16  the top half of a float32 (ml_dtypes.bfloat16, torch.bfloat16,
 *             __bf16): 1 sign, 8 exponent, 7 fraction bits.
 * Each load widens to float32 exactly; every computation and accumulation
 * is float32's (sums in double, as fsm_softmax_f32); each output is
 * rounded to the storage type once, to nearest even, keeping subnormals,
 * infinities and NaN. No intermediate value is stored in half precision
 * (the three-pass reload keeps its exps in a float32 scratch: on the stack
 * for rows up to 4096 elements, else malloc'd per row; if that fails, the
 * row is recomputed instead).
 * Arguments, return codes, aliasing and thread safety: as the float32
 * functions, with sizeof(uint16_t) in the overflow check and strides in
 * elements.
 * Accuracy: every output is within 1 unit in the last place of the storage
 * type of the correctly rounded float32 result (ulp of the result's binade;
 * below the smallest normal, of the subnormal spacing); tested on every ISA
 * and tail length (tests/test_half.py). */

/* fsm_softmax_f16: fsm_softmax_f32 on float16 storage (uint16_t bits, float32 computation;
 * see above). Arguments, return codes, aliasing and thread safety: as fsm_softmax_f32. */
FSM_API fsm_status fsm_softmax_f16(size_t rows, size_t cols,
                                   const uint16_t *x, size_t x_stride,
                                   uint16_t *y, size_t y_stride,
                                   fsm_algorithm algorithm);
/* fsm_log_softmax_f16: fsm_log_softmax_f32 on float16 storage (uint16_t bits, float32 computation;
 * see above). Arguments, return codes, aliasing and thread safety: as fsm_log_softmax_f32. */
FSM_API fsm_status fsm_log_softmax_f16(size_t rows, size_t cols,
                                       const uint16_t *x, size_t x_stride,
                                       uint16_t *y, size_t y_stride,
                                       fsm_algorithm algorithm);
/* fsm_softmax_bf16: fsm_softmax_f32 on bfloat16 storage (uint16_t bits, float32 computation;
 * see above). Arguments, return codes, aliasing and thread safety: as fsm_softmax_f32. */
FSM_API fsm_status fsm_softmax_bf16(size_t rows, size_t cols,
                                    const uint16_t *x, size_t x_stride,
                                    uint16_t *y, size_t y_stride,
                                    fsm_algorithm algorithm);
/* fsm_log_softmax_bf16: fsm_log_softmax_f32 on bfloat16 storage (uint16_t bits, float32 computation;
 * see above). Arguments, return codes, aliasing and thread safety: as fsm_log_softmax_f32. */
FSM_API fsm_status fsm_log_softmax_bf16(size_t rows, size_t cols,
                                        const uint16_t *x, size_t x_stride,
                                        uint16_t *y, size_t y_stride,
                                        fsm_algorithm algorithm);

/* ---- half-precision VJPs (issue 17) ----
 * The softmax and log-softmax VJPs on float16 / bfloat16 storage: the
 * arguments, statuses, aliasing (dx may be y/z or dy/dz exactly) and
 * thread safety of fsm_softmax_backward_f32 / fsm_log_softmax_backward_f32,
 * with uint16_t elements. Each block of a row is widened to float32
 * exactly, the float32 kernels run on it (sums in double), and dx is
 * rounded to the storage type once. No memory is allocated.
 * Accuracy: against ref, the float64 VJP of the widened inputs,
 * |dx - ref| <= ulp_S(ref) + the float32 function's bound (ulp_S: the
 * storage type's unit in the last place, as above); the float32 bound
 * matters only where dy - <dy, y> (dz's sum term) cancels. */
/* fsm_softmax_backward_f16: on float16 storage (see above); arguments, returns and
 * thread safety as fsm_softmax_backward_f32. */
FSM_API fsm_status fsm_softmax_backward_f16(size_t rows, size_t cols,
                                            const uint16_t *y, size_t y_stride,
                                            const uint16_t *dy, size_t dy_stride,
                                            uint16_t *dx, size_t dx_stride);
/* fsm_log_softmax_backward_f16: on float16 storage (see above); arguments, returns and
 * thread safety as fsm_log_softmax_backward_f32. */
FSM_API fsm_status fsm_log_softmax_backward_f16(size_t rows, size_t cols,
                                                const uint16_t *z, size_t z_stride,
                                                const uint16_t *dz, size_t dz_stride,
                                                uint16_t *dx, size_t dx_stride);
/* fsm_softmax_backward_bf16: on bfloat16 storage (see above); arguments, returns and
 * thread safety as fsm_softmax_backward_f32. */
FSM_API fsm_status fsm_softmax_backward_bf16(size_t rows, size_t cols,
                                             const uint16_t *y, size_t y_stride,
                                             const uint16_t *dy, size_t dy_stride,
                                             uint16_t *dx, size_t dx_stride);
/* fsm_log_softmax_backward_bf16: on bfloat16 storage (see above); arguments, returns and
 * thread safety as fsm_log_softmax_backward_f32. */
FSM_API fsm_status fsm_log_softmax_backward_bf16(size_t rows, size_t cols,
                                                 const uint16_t *z, size_t z_stride,
                                                 const uint16_t *dz, size_t dz_stride,
                                                 uint16_t *dx, size_t dx_stride);
/* ---- end of half-precision VJPs ---- */

/* ---- half-precision losses, spherical family and StableMax (issue 17) ---- */

/* fsm_cross_entropy_f16: fsm_cross_entropy_f32 on float16 storage. This
 * function and the training functions below (the losses,
 * fsm_spherical_stats and the normalised maps) take float16 (_f16) or
 * bfloat16 (_bf16) matrices as uint16_t bits; each is the float32 function of the same name computed on
 * the exactly widened inputs (soft targets: of the logits' storage type):
 * each row is widened to float32 in a scratch (on the stack up to 4096
 * elements, else one allocation per row), the float32 row runs on it, and
 * the gradient or map is rounded once to the storage type. Losses are
 * float32 (`loss`, may be NULL; a half loss would lose the small
 * differences between rows that training curves show); fsm_spherical_stats
 * writes doubles as the float32 one does.
 * Arguments, aliasing (outputs may be the first input exactly) and the
 * order of the status checks: as the float32 function, with uint16_t
 * matrices and a float loss. Returns FSM_OK, the float32 function's
 * statuses, or FSM_OUT_OF_MEMORY (a row's scratch could not be allocated;
 * earlier rows may have been written).
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: the loss (and the statistics) exactly the float32 function's
 * on the widened inputs (its bound against the float64 reference of the
 * widened inputs); the gradient or map that float32 result rounded once to
 * the storage type: within ulp_S(ref) + the float32 bound of the float64
 * reference ref (ulp_S as for the VJPs above). */
FSM_API fsm_status fsm_cross_entropy_f16(size_t rows, size_t cols, const uint16_t *logits,
                                         size_t logits_stride, const int64_t *targets,
                                         int64_t ignore_index, double label_smoothing,
                                         double grad_scale, float *loss, uint16_t *dlogits,
                                         size_t dlogits_stride);
/* fsm_cross_entropy_bf16: fsm_cross_entropy_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_cross_entropy_bf16(size_t rows, size_t cols, const uint16_t *logits,
                                          size_t logits_stride, const int64_t *targets,
                                          int64_t ignore_index, double label_smoothing,
                                          double grad_scale, float *loss, uint16_t *dlogits,
                                          size_t dlogits_stride);
/* fsm_cross_entropy_soft_f16: fsm_cross_entropy_soft_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_cross_entropy_soft_f16(size_t rows, size_t cols, const uint16_t *logits,
                                              size_t logits_stride, const uint16_t *targets,
                                              size_t targets_stride, double label_smoothing,
                                              double grad_scale, float *loss, uint16_t *dlogits,
                                              size_t dlogits_stride);
/* fsm_cross_entropy_soft_bf16: fsm_cross_entropy_soft_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_cross_entropy_soft_bf16(size_t rows, size_t cols, const uint16_t *logits,
                                               size_t logits_stride, const uint16_t *targets,
                                               size_t targets_stride, double label_smoothing,
                                               double grad_scale, float *loss, uint16_t *dlogits,
                                               size_t dlogits_stride);
/* fsm_log_spherical_loss_f16: fsm_log_spherical_loss_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_spherical_loss_f16(size_t rows, size_t cols, const uint16_t *x,
                                              size_t x_stride, const int64_t *targets,
                                              int64_t ignore_index, double eps, double grad_scale,
                                              float *loss, uint16_t *dx, size_t dx_stride);
/* fsm_log_spherical_loss_bf16: fsm_log_spherical_loss_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_spherical_loss_bf16(size_t rows, size_t cols, const uint16_t *x,
                                               size_t x_stride, const int64_t *targets,
                                               int64_t ignore_index, double eps, double grad_scale,
                                               float *loss, uint16_t *dx, size_t dx_stride);
/* fsm_log_taylor_loss_f16: fsm_log_taylor_loss_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_taylor_loss_f16(size_t rows, size_t cols, const uint16_t *x,
                                           size_t x_stride, const int64_t *targets,
                                           int64_t ignore_index, double grad_scale, float *loss,
                                           uint16_t *dx, size_t dx_stride);
/* fsm_log_taylor_loss_bf16: fsm_log_taylor_loss_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_taylor_loss_bf16(size_t rows, size_t cols, const uint16_t *x,
                                            size_t x_stride, const int64_t *targets,
                                            int64_t ignore_index, double grad_scale, float *loss,
                                            uint16_t *dx, size_t dx_stride);
/* fsm_z_loss_f16: fsm_z_loss_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_z_loss_f16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                  const int64_t *targets, int64_t ignore_index, double a, double b,
                                  double eps_z, double grad_scale, float *loss, uint16_t *dx,
                                  size_t dx_stride);
/* fsm_z_loss_bf16: fsm_z_loss_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_z_loss_bf16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                   const int64_t *targets, int64_t ignore_index, double a, double b,
                                   double eps_z, double grad_scale, float *loss, uint16_t *dx,
                                   size_t dx_stride);
/* fsm_stablemax_cross_entropy_f16: fsm_stablemax_cross_entropy_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_stablemax_cross_entropy_f16(size_t rows, size_t cols, const uint16_t *x,
                                                   size_t x_stride, const int64_t *targets,
                                                   int64_t ignore_index, double grad_scale,
                                                   float *loss, uint16_t *dx, size_t dx_stride);
/* fsm_stablemax_cross_entropy_bf16: fsm_stablemax_cross_entropy_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_stablemax_cross_entropy_bf16(size_t rows, size_t cols, const uint16_t *x,
                                                    size_t x_stride, const int64_t *targets,
                                                    int64_t ignore_index, double grad_scale,
                                                    float *loss, uint16_t *dx, size_t dx_stride);
/* fsm_spherical_stats_f16: fsm_spherical_stats_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_spherical_stats_f16(size_t rows, size_t cols, const uint16_t *x,
                                           size_t x_stride, const int64_t *targets, double *stats);
/* fsm_spherical_stats_bf16: fsm_spherical_stats_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_spherical_stats_bf16(size_t rows, size_t cols, const uint16_t *x,
                                            size_t x_stride, const int64_t *targets, double *stats);
/* fsm_spherical_softmax_f16: fsm_spherical_softmax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_spherical_softmax_f16(size_t rows, size_t cols, const uint16_t *x,
                                             size_t x_stride, uint16_t *y, size_t y_stride,
                                             double eps);
/* fsm_spherical_softmax_bf16: fsm_spherical_softmax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_spherical_softmax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                              size_t x_stride, uint16_t *y, size_t y_stride,
                                              double eps);
/* fsm_log_spherical_softmax_f16: fsm_log_spherical_softmax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_spherical_softmax_f16(size_t rows, size_t cols, const uint16_t *x,
                                                 size_t x_stride, uint16_t *y, size_t y_stride,
                                                 double eps);
/* fsm_log_spherical_softmax_bf16: fsm_log_spherical_softmax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_spherical_softmax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                                  size_t x_stride, uint16_t *y, size_t y_stride,
                                                  double eps);
/* fsm_taylor_softmax_f16: fsm_taylor_softmax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_taylor_softmax_f16(size_t rows, size_t cols, const uint16_t *x,
                                          size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_taylor_softmax_bf16: fsm_taylor_softmax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_taylor_softmax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                           size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_log_taylor_softmax_f16: fsm_log_taylor_softmax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_taylor_softmax_f16(size_t rows, size_t cols, const uint16_t *x,
                                              size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_log_taylor_softmax_bf16: fsm_log_taylor_softmax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_taylor_softmax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                               size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_stablemax_f16: fsm_stablemax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_stablemax_f16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                     uint16_t *y, size_t y_stride);
/* fsm_stablemax_bf16: fsm_stablemax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_stablemax_bf16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                      uint16_t *y, size_t y_stride);
/* fsm_log_stablemax_f16: fsm_log_stablemax_f32 on float16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_stablemax_f16(size_t rows, size_t cols, const uint16_t *x,
                                         size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_log_stablemax_bf16: fsm_log_stablemax_f32 on bfloat16 storage;
 * arguments, returns and thread safety as fsm_cross_entropy_f16. */
FSM_API fsm_status fsm_log_stablemax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                          size_t x_stride, uint16_t *y, size_t y_stride);
/* fsm_logsumexp_f16: fsm_logsumexp_f32 on float16 rows (uint16_t bits),
 * each row widened to float32 as the losses above; out[r] is float32.
 * Returns FSM_OK, the float32 function's statuses, or FSM_OUT_OF_MEMORY.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: bit for bit fsm_logsumexp_f32 on the widened rows. */
FSM_API fsm_status fsm_logsumexp_f16(size_t rows, size_t cols, const uint16_t *x,
                                     size_t x_stride, float *out);
/* fsm_logsumexp_bf16: fsm_logsumexp_f32 on bfloat16 rows;
 * arguments, returns and thread safety as fsm_logsumexp_f16. */
FSM_API fsm_status fsm_logsumexp_bf16(size_t rows, size_t cols, const uint16_t *x,
                                      size_t x_stride, float *out);
/* ---- end of the half-precision losses and maps ---- */

/* ------------------------------------------------- softmax along an axis
 *
 * Softmax over an axis that is not the contiguous one (axis 0 of a
 * row-major matrix, the classes of an NCHW tensor), without transposing or
 * copying: the array is seen as outer x n x inner, element (o, i, j) at
 *   x[o * x_outer_stride + i * x_axis_stride + j]
 * (strides in elements, any sign; the inner dimension is contiguous), and
 * each of the outer * inner columns (o, ., j) of n elements is normalised
 * over i. The kernels hold independent columns in their SIMD lanes and
 * walk the strided axis (docs/architecture.md, "Along an axis").
 */

/* fsm_softmax_axis_f32: y(o, i, j) = exp(x(o, i, j) - m) / sum_k exp(x(o, k, j) - m),
 * m = max_k x(o, k, j).
 *
 * Arguments
 *   outer, n, inner  the shape; any may be 0, and then x and y may be NULL,
 *               strides are not checked and nothing is read or written.
 *   x, x_outer_stride, x_axis_stride  the input (read only), as above.
 *   y, y_outer_stride, y_axis_stride  the output, the same way.
 *   algorithm   FSM_ALGORITHM_THREE_PASS_RECOMPUTE recomputes the exps
 *               in the last pass; THREE_PASS_RELOAD stores them and
 *               rescales; ONLINE takes each column's max and sum in one
 *               sweep (blocks of rows merged in double), then writes y in
 *               one more: x read twice, y written once; AUTO and TWO_PASS
 *               (which has no column form) take ONLINE's form when the
 *               axis is too long for a tile of the three-pass forms to
 *               stay in the LLC, else the reload. One result bound for all.
 * Returns, checked in this order (nothing is written unless FSM_OK):
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  as fsm_softmax_f32;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x, then
 *                          y, only if outer, n, inner > 0: the pointer is
 *                          NULL; n > 1 and |axis stride| < inner, or
 *                          outer > 1 and |outer stride| < inner; the span
 *                          ((outer - 1) |outer stride| + (n - 1) |axis
 *                          stride| + inner) * sizeof(float) bytes does not
 *                          fit in ptrdiff_t;
 *   FSM_UNKNOWN_ALGORITHM  algorithm is not an fsm_algorithm value;
 *   FSM_OK                 y holds the result.
 * Aliasing: y == x with equal strides (in place) is allowed; any other
 *   overlap, and strides that give two (o, i, j) of y one address, are
 *   undefined behaviour (only the necessary |stride| >= inner is checked).
 * Thread safety: as fsm_softmax_f32; large calls split the independent
 *   columns over the library's threads, with the same bits at any count.
 * Accuracy: as fsm_softmax_f32 (the same exp; sums in double). */
FSM_API fsm_status fsm_softmax_axis_f32(size_t outer, size_t n, size_t inner,
                                        const float *x, ptrdiff_t x_outer_stride,
                                        ptrdiff_t x_axis_stride,
                                        float *y, ptrdiff_t y_outer_stride,
                                        ptrdiff_t y_axis_stride, fsm_algorithm algorithm);

/* fsm_log_softmax_axis_f32: log-softmax along the axis,
 *   y(o, i, j) = (x(o, i, j) - m) - log(sum_k exp(x(o, k, j) - m)).
 * The three-pass values compute it as max, sum of exp, subtract; ONLINE
 * (and AUTO / TWO_PASS for a long axis, as fsm_softmax_axis_f32) takes
 * max and sum in one sweep.
 * Arguments, return codes, aliasing, threads: as fsm_softmax_axis_f32.
 * Accuracy: as fsm_log_softmax_f32. */
FSM_API fsm_status fsm_log_softmax_axis_f32(size_t outer, size_t n, size_t inner,
                                            const float *x, ptrdiff_t x_outer_stride,
                                            ptrdiff_t x_axis_stride,
                                            float *y, ptrdiff_t y_outer_stride,
                                            ptrdiff_t y_axis_stride, fsm_algorithm algorithm);

/* fsm_softmax_axis_f64: fsm_softmax_axis_f32 for float64 (portable C with
 * libm's exp, column sums compensated; accuracy as fsm_softmax_f64).
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_softmax_axis_f64(size_t outer, size_t n, size_t inner,
                                        const double *x, ptrdiff_t x_outer_stride,
                                        ptrdiff_t x_axis_stride,
                                        double *y, ptrdiff_t y_outer_stride,
                                        ptrdiff_t y_axis_stride, fsm_algorithm algorithm);

/* fsm_log_softmax_axis_f64: fsm_log_softmax_axis_f32 for float64 (accuracy
 * as fsm_log_softmax_f64).
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_log_softmax_axis_f64(size_t outer, size_t n, size_t inner,
                                            const double *x, ptrdiff_t x_outer_stride,
                                            ptrdiff_t x_axis_stride,
                                            double *y, ptrdiff_t y_outer_stride,
                                            ptrdiff_t y_axis_stride, fsm_algorithm algorithm);

/* fsm_softmax_backward_axis_f32: the softmax VJP along the axis,
 *   dx(o, i, j) = y(o, i, j) (dy(o, i, j) - sum_k dy(o, k, j) y(o, k, j)),
 * y, dy and dx each laid out as x of fsm_softmax_axis_f32 (their own
 * strides). dx may be dy or y exactly (same address and strides).
 * Returns, in this order: the ISA statuses; FSM_NULL_POINTER,
 * FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW for y, dy, then dx (as
 * fsm_softmax_axis_f32); FSM_OK. Threads: as fsm_softmax_axis_f32.
 * Accuracy: as fsm_softmax_backward_f32 (column sums in double). */
FSM_API fsm_status fsm_softmax_backward_axis_f32(size_t outer, size_t n, size_t inner,
                                                 const float *y, ptrdiff_t y_outer_stride,
                                                 ptrdiff_t y_axis_stride,
                                                 const float *dy, ptrdiff_t dy_outer_stride,
                                                 ptrdiff_t dy_axis_stride,
                                                 float *dx, ptrdiff_t dx_outer_stride,
                                                 ptrdiff_t dx_axis_stride);

/* fsm_log_softmax_backward_axis_f32: the log-softmax VJP along the axis,
 *   dx(o, i, j) = dz(o, i, j) - exp(z(o, i, j)) sum_k dz(o, k, j).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_backward_axis_f32.
 * Accuracy: as fsm_log_softmax_backward_f32. */
FSM_API fsm_status fsm_log_softmax_backward_axis_f32(size_t outer, size_t n, size_t inner,
                                                     const float *z, ptrdiff_t z_outer_stride,
                                                     ptrdiff_t z_axis_stride,
                                                     const float *dz, ptrdiff_t dz_outer_stride,
                                                     ptrdiff_t dz_axis_stride,
                                                     float *dx, ptrdiff_t dx_outer_stride,
                                                     ptrdiff_t dx_axis_stride);

/* fsm_softmax_backward_axis_f64: fsm_softmax_backward_axis_f32 for float64
 * (portable C; accuracy as fsm_softmax_backward_f64).
 * Arguments, return codes, aliasing and thread safety: as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_softmax_backward_axis_f64(size_t outer, size_t n, size_t inner,
                                                 const double *y, ptrdiff_t y_outer_stride,
                                                 ptrdiff_t y_axis_stride,
                                                 const double *dy, ptrdiff_t dy_outer_stride,
                                                 ptrdiff_t dy_axis_stride,
                                                 double *dx, ptrdiff_t dx_outer_stride,
                                                 ptrdiff_t dx_axis_stride);

/* fsm_log_softmax_backward_axis_f64: fsm_log_softmax_backward_axis_f32 for
 * float64. Arguments, statuses, aliasing, threads:
 * as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_log_softmax_backward_axis_f64(size_t outer, size_t n, size_t inner,
                                                     const double *z, ptrdiff_t z_outer_stride,
                                                     ptrdiff_t z_axis_stride,
                                                     const double *dz, ptrdiff_t dz_outer_stride,
                                                     ptrdiff_t dz_axis_stride,
                                                     double *dx, ptrdiff_t dx_outer_stride,
                                                     ptrdiff_t dx_axis_stride);

/* ---- the axis functions on float16 (_f16) and bfloat16 (_bf16) storage
 * (uint16_t bits; see fsm_softmax_f16): the float32 functions of the same
 * name computed on the widened inputs, each output rounded once to the
 * storage type (within 1 ulp of it of the float32 result rounded; the
 * backward passes as fsm_softmax_backward_f16). The column kernels read
 * and write the half rows directly, with no float32 copy of them; the
 * reload keeps its exps in a float32 scratch tile (n x up to 1024 columns,
 * malloc'd per tile; a tile whose scratch would pass a quarter of the LLC,
 * or without memory, recomputes them). Strides in
 * elements; the span check counts 2-byte elements. */
/* fsm_softmax_axis_f16: fsm_softmax_axis_f32 on float16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_softmax_axis_f16(size_t outer, size_t n, size_t inner,
                                        const uint16_t *x, ptrdiff_t x_outer_stride,
                                        ptrdiff_t x_axis_stride,
                                        uint16_t *y, ptrdiff_t y_outer_stride,
                                        ptrdiff_t y_axis_stride, fsm_algorithm algorithm);
/* fsm_softmax_axis_bf16: fsm_softmax_axis_f32 on bfloat16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_softmax_axis_bf16(size_t outer, size_t n, size_t inner,
                                         const uint16_t *x, ptrdiff_t x_outer_stride,
                                         ptrdiff_t x_axis_stride,
                                         uint16_t *y, ptrdiff_t y_outer_stride,
                                         ptrdiff_t y_axis_stride, fsm_algorithm algorithm);
/* fsm_log_softmax_axis_f16: fsm_log_softmax_axis_f32 on float16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_log_softmax_axis_f16(size_t outer, size_t n, size_t inner,
                                            const uint16_t *x, ptrdiff_t x_outer_stride,
                                            ptrdiff_t x_axis_stride,
                                            uint16_t *y, ptrdiff_t y_outer_stride,
                                            ptrdiff_t y_axis_stride, fsm_algorithm algorithm);
/* fsm_log_softmax_axis_bf16: fsm_log_softmax_axis_f32 on bfloat16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_axis_f32. */
FSM_API fsm_status fsm_log_softmax_axis_bf16(size_t outer, size_t n, size_t inner,
                                             const uint16_t *x, ptrdiff_t x_outer_stride,
                                             ptrdiff_t x_axis_stride,
                                             uint16_t *y, ptrdiff_t y_outer_stride,
                                             ptrdiff_t y_axis_stride, fsm_algorithm algorithm);
/* fsm_softmax_backward_axis_f16: fsm_softmax_backward_axis_f32 on float16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_softmax_backward_axis_f16(size_t outer, size_t n, size_t inner,
                                                 const uint16_t *y, ptrdiff_t y_outer_stride,
                                                 ptrdiff_t y_axis_stride,
                                                 const uint16_t *dy, ptrdiff_t dy_outer_stride,
                                                 ptrdiff_t dy_axis_stride,
                                                 uint16_t *dx, ptrdiff_t dx_outer_stride,
                                                 ptrdiff_t dx_axis_stride);
/* fsm_softmax_backward_axis_bf16: fsm_softmax_backward_axis_f32 on bfloat16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_softmax_backward_axis_bf16(size_t outer, size_t n, size_t inner,
                                                  const uint16_t *y, ptrdiff_t y_outer_stride,
                                                  ptrdiff_t y_axis_stride,
                                                  const uint16_t *dy, ptrdiff_t dy_outer_stride,
                                                  ptrdiff_t dy_axis_stride,
                                                  uint16_t *dx, ptrdiff_t dx_outer_stride,
                                                  ptrdiff_t dx_axis_stride);
/* fsm_log_softmax_backward_axis_f16: fsm_log_softmax_backward_axis_f32 on float16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_log_softmax_backward_axis_f16(size_t outer, size_t n, size_t inner,
                                                     const uint16_t *z, ptrdiff_t z_outer_stride,
                                                     ptrdiff_t z_axis_stride,
                                                     const uint16_t *dz, ptrdiff_t dz_outer_stride,
                                                     ptrdiff_t dz_axis_stride,
                                                     uint16_t *dx, ptrdiff_t dx_outer_stride,
                                                     ptrdiff_t dx_axis_stride);
/* fsm_log_softmax_backward_axis_bf16: fsm_log_softmax_backward_axis_f32 on bfloat16 storage (see above).
 * Arguments, statuses, aliasing, threads: as fsm_softmax_backward_axis_f32. */
FSM_API fsm_status fsm_log_softmax_backward_axis_bf16(size_t outer, size_t n, size_t inner,
                                                      const uint16_t *z, ptrdiff_t z_outer_stride,
                                                      ptrdiff_t z_axis_stride,
                                                      const uint16_t *dz, ptrdiff_t dz_outer_stride,
                                                      ptrdiff_t dz_axis_stride,
                                                      uint16_t *dx, ptrdiff_t dx_outer_stride,
                                                      ptrdiff_t dx_axis_stride);

/* ----------------------------------------------------------------- states
 *
 * Mergeable softmax states (docs/math.md, "Exact states"): the statistics
 * of a row, or of a piece of one, from which softmax, log-softmax and
 * logsumexp follow. A row cut into pieces (a sharded vocabulary, the
 * chunks of a Dask array) is reduced piece by piece, the states merged in
 * any grouping, and each piece normalised from the merged state. The merge
 * is exact: any tree of merges over the same pieces gives the same bits.
 */

/* The state of a row or of a piece of one: its largest entry and
 *   sum_k exp(x_k) = sum_i sum[i] * 2^(32 * (top - i))
 * as a wide fixed-point integer (four 32-bit bins below the highest bin of
 * any merged piece, each bin an exact 64-bit sum). Special values: max NaN
 * (a NaN in the row), +inf (a +inf and no NaN), -inf (empty or all -inf);
 * then top is INT64_MIN and sum is 0. When |max| >= 2^60, sum[0] counts
 * the entries equal to max (nothing else contributes) and top is 0. Treat
 * the fields as opaque: produce states with fsm_softmax_state_f32/_f64 and
 * fsm_merge_softmax_states only. 48 bytes, no padding. */
typedef struct fsm_softmax_state {
  double max;
  int64_t top;
  uint64_t sum[4];
} fsm_softmax_state;

/* fsm_softmax_state_f32: the state of each row of a float32 matrix. Rows
 * of 128K elements or more are reduced in fixed chunks on the library's
 * threads; a row's state depends on its values and length only.
 *
 * Arguments
 *   rows, cols, x, x_stride  the input, as fsm_softmax_f32 (cols == 0
 *               gives empty states).
 *   states      rows states, states[r] for row r.
 * Returns, checked in this order (nothing is written unless FSM_OK):
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x, as
 *                          fsm_softmax_f32;
 *   FSM_NULL_POINTER       states is NULL and rows > 0;
 *   FSM_OK                 states holds the result.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: the sum's relative error is that of the kernels' sums (a few
 *   units of 2^-53 per chunk, float64 accumulation). */
FSM_API fsm_status fsm_softmax_state_f32(size_t rows, size_t cols,
                                         const float *x, size_t x_stride,
                                         fsm_softmax_state *states);

/* fsm_softmax_state_f64: fsm_softmax_state_f32 for float64 rows.
 * Arguments, return codes and thread safety: as fsm_softmax_state_f32. */
FSM_API fsm_status fsm_softmax_state_f64(size_t rows, size_t cols,
                                         const double *x, size_t x_stride,
                                         fsm_softmax_state *states);

/* fsm_merge_softmax_states: out[i] = the state of the concatenation of
 * the pieces a[i] and b[i] describe, for i < n. Associative and
 * commutative bit for bit (integer additions, whole bins dropped below the
 * highest), for up to 2^32 merged pieces per state.
 *
 * Arguments
 *   n           the number of states; 0 reads and writes nothing.
 *   a, b        the states to merge; read only.
 *   out         n states; may be a or b (in place), no other overlap.
 * Returns:
 *   FSM_NULL_POINTER  n > 0 and a, b or out is NULL (nothing written);
 *   FSM_OK            out holds the merged states.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe. */
FSM_API fsm_status fsm_merge_softmax_states(size_t n, const fsm_softmax_state *a,
                                            const fsm_softmax_state *b,
                                            fsm_softmax_state *out);

/* fsm_logsumexp_from_states: out[i] = log sum exp over the entries that
 * states[i] describes, for i < n: NaN, +inf or -inf for the special states
 * (a NaN, a +inf, none finite).
 *
 * Arguments
 *   n           the number of states; 0 reads and writes nothing.
 *   states      n states; read only.
 *   out         n doubles.
 * Returns:
 *   FSM_NULL_POINTER  n > 0 and states or out is NULL (nothing written);
 *   FSM_OK            out holds the results.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: absolute error <= 1e-15 * max(1, |result|) beyond the sums'. */
FSM_API fsm_status fsm_logsumexp_from_states(size_t n, const fsm_softmax_state *states,
                                             double *out);

/* fsm_softmax_from_state_f32: softmax of each row of x normalised by
 * states[r], the (merged) state of the whole row x is a piece of:
 *   y[r, i] = exp(x[r, i] - M_r) / S_r,  M_r, S_r the max and sum of exp(x - M_r)
 *   from states[r].
 * Entries of x above the state's max (x not part of what the state
 * describes) give unspecified values. A state with a NaN, a +inf, or no
 * finite entry gives a NaN row (the contract of fsm_softmax_f32).
 *
 * Arguments
 *   rows, cols, x, x_stride, y, y_stride  as fsm_softmax_f32 (in place
 *               allowed).
 *   states      rows states; read only.
 * Returns, checked in this order (nothing is written unless FSM_OK):
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x, then
 *                          y, as fsm_softmax_f32;
 *   FSM_NULL_POINTER       states is NULL and rows, cols > 0;
 *   FSM_OK                 y holds the result.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: as fsm_softmax_f32 when the state is the row's own. */
FSM_API fsm_status fsm_softmax_from_state_f32(size_t rows, size_t cols,
                                              const float *x, size_t x_stride,
                                              const fsm_softmax_state *states,
                                              float *y, size_t y_stride);

/* fsm_log_softmax_from_state_f32: log-softmax of each row of x from
 * states[r]: y[r, i] = (x[r, i] - M_r) - log S_r.
 * Arguments, return codes and thread safety: as fsm_softmax_from_state_f32. */
FSM_API fsm_status fsm_log_softmax_from_state_f32(size_t rows, size_t cols,
                                                  const float *x, size_t x_stride,
                                                  const fsm_softmax_state *states,
                                                  float *y, size_t y_stride);

/* fsm_softmax_from_state_f64: fsm_softmax_from_state_f32 for float64.
 * Arguments, return codes and thread safety: as fsm_softmax_from_state_f32. */
FSM_API fsm_status fsm_softmax_from_state_f64(size_t rows, size_t cols,
                                              const double *x, size_t x_stride,
                                              const fsm_softmax_state *states,
                                              double *y, size_t y_stride);

/* fsm_log_softmax_from_state_f64: fsm_log_softmax_from_state_f32 for float64.
 * Arguments, return codes and thread safety: as fsm_softmax_from_state_f32. */
FSM_API fsm_status fsm_log_softmax_from_state_f64(size_t rows, size_t cols,
                                                  const double *x, size_t x_stride,
                                                  const fsm_softmax_state *states,
                                                  double *y, size_t y_stride);

/* ---- logsumexp and decoding helpers (issue 16) ------------------------- */

/* fsm_logsumexp_f32: out[r] = log(sum_i exp(x[r, i])) for each row, as
 * scipy.special.logsumexp: NaN for a row with a NaN, +inf for a row with
 * +inf (and no NaN), -inf for an empty (cols == 0) or all -inf row. Rows
 * of 128K elements or more are reduced in fixed chunks on the library's
 * threads (the same bits at every thread count).
 *
 * Arguments
 *   rows, cols, x, x_stride  the input, as fsm_softmax_f32.
 *   out         rows results (float32), out[r] for row r.
 * Returns, checked in this order (nothing is written unless FSM_OK):
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x;
 *   FSM_NULL_POINTER       out is NULL and rows > 0;
 *   FSM_OK.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: computed in double from the kernels' sums (max + log(sum of
 *   exp(x - max)), or the two-pass N ln2 + log P); relative error within
 *   a few units of 2^-24 (2^-52 for fsm_logsumexp_f64) of the exact value,
 *   absolute within 2^-24 when the result is near 0. */
FSM_API fsm_status fsm_logsumexp_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                                     float *out);

/* fsm_logsumexp_f64: fsm_logsumexp_f32 for float64 rows (out is double).
 * Arguments, return codes and thread safety: as fsm_logsumexp_f32. */
FSM_API fsm_status fsm_logsumexp_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
                                     double *out);

/* fsm_topk_softmax_f32: the k most probable entries of each row's softmax,
 * sorted by probability decreasing (equal logits: the lower index first):
 *   indices[r, j] = the index of the j-th largest logit of row r,
 *   probs[r, j]   = exp(x[r, idx] - max) / sum_i exp(x[r, i] - max), or with
 *                   renormalize != 0 divided by the sum over the k selected
 *                   instead (mixture-of-experts routing).
 * Three passes over each row: its max, its normaliser, then a selection
 * through a min-heap of k (no sort of the row).
 *
 * Arguments
 *   rows, cols, x, x_stride  the logits, as fsm_softmax_f32.
 *   k           1 <= k <= cols.
 *   renormalize 0: full-row probabilities; else over the k.
 *   probs, probs_stride      rows x k float32 outputs (stride >= k).
 *   indices, indices_stride  rows x k int64 outputs (stride >= k).
 * Returns, checked in this order:
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for x, probs
 *                          or indices (nothing written);
 *   FSM_INVALID_ARGUMENT   k == 0 or k > cols (nothing written), or a row
 *                          holds a NaN or +inf or no finite entry (rows
 *                          before it are written; the loop stops there);
 *   FSM_OUT_OF_MEMORY      the heap (k > 16) could not be allocated;
 *   FSM_OK.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 * Accuracy: indices exact; probabilities computed in double from the
 *   kernels' sum (relative error a few units of 2^-24). */
FSM_API fsm_status fsm_topk_softmax_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                                        size_t k, int renormalize, float *probs,
                                        size_t probs_stride, int64_t *indices,
                                        size_t indices_stride);

/* fsm_topk_softmax_f64: fsm_topk_softmax_f32 for float64 logits (probs
 * double).
 * Arguments, return codes and thread safety: as fsm_topk_softmax_f32. */
FSM_API fsm_status fsm_topk_softmax_f64(size_t rows, size_t cols, const double *x,
                                        size_t x_stride, size_t k, int renormalize,
                                        double *probs, size_t probs_stride, int64_t *indices,
                                        size_t indices_stride);

/* The filters of fsm_sample_*, applied in this order (as Hugging Face's
 * generate does): z = x / temperature; top-k keeps the entries whose
 * probability is at least the k-th largest (ties all kept); top-p keeps,
 * of those, the shortest prefix in decreasing probability whose mass
 * reaches top_p of theirs (the entries equal to the last one kept too);
 * min-p keeps the entries with probability >= min_p * the largest. */
typedef struct fsm_sampling_params {
  double temperature;  /* > 0 and finite; 1: the logits as they are */
  double top_p;        /* in (0, 1]; 1 keeps everything */
  double min_p;        /* in [0, 1]; 0 keeps everything */
  size_t top_k;        /* 0 keeps everything, else 1 <= top_k <= cols */
} fsm_sampling_params;

/* fsm_sample_f32: one token per row of logits, drawn from softmax(x / T)
 * restricted to the entries the filters keep, renormalised: tokens[r] is
 * the index where the kept entries' cumulative distribution, in index
 * order, first exceeds uniforms[r] (the caller's random numbers, so that
 * draws are reproducible). Probabilities are computed in the row's dtype
 * (float32: entries below about e^-87 of the max have probability 0).
 * A bounded number of passes per row: max, exps into a scratch row, a
 * heap selection for top-k, one histogram of the probabilities and the
 * boundary bucket's entries for top-p, and the draw; nothing sorts the row.
 *
 * Arguments
 *   rows, cols, logits, stride  the logits, as fsm_softmax_f32.
 *   params      the filters (see fsm_sampling_params).
 *   uniforms    rows numbers in [0, 1).
 *   tokens      rows int64 outputs.
 * Returns, checked in this order:
 *   FSM_UNKNOWN_ISA or FSM_UNSUPPORTED_ISA  FASTSOFTMAX_ISA is bad;
 *   FSM_NULL_POINTER, FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW  for logits;
 *   FSM_NULL_POINTER       params, uniforms or tokens is NULL, rows > 0;
 *   FSM_INVALID_ARGUMENT   cols == 0, a parameter out of its range (NaN
 *                          included), a uniform outside [0, 1) (nothing
 *                          written); or a row holding a NaN or +inf or no
 *                          finite entry (the rows before it are written);
 *   FSM_OUT_OF_MEMORY      the scratch row could not be allocated;
 *   FSM_OK.
 * Thread safety: reentrant; concurrent calls on disjoint outputs are safe. */
FSM_API fsm_status fsm_sample_f32(size_t rows, size_t cols, const float *logits, size_t stride,
                                  const fsm_sampling_params *params, const double *uniforms,
                                  int64_t *tokens);

/* fsm_sample_f64: fsm_sample_f32 for float64 logits.
 * Arguments, return codes and thread safety: as fsm_sample_f32. */
FSM_API fsm_status fsm_sample_f64(size_t rows, size_t cols, const double *logits, size_t stride,
                                  const fsm_sampling_params *params, const double *uniforms,
                                  int64_t *tokens);

/* ---- end of logsumexp and decoding helpers ------------------------------ */


/* ---------------------------------------------------------------- training
 *
 * Gradients and losses (formulas: docs/math.md). Shared conventions:
 *   - Matrices follow the conventions of fsm_softmax_f32 (rows x cols,
 *     strides in elements, NULL allowed only for empty shapes).
 *   - Outputs may be the first matrix input exactly (dx == y, dx == dy,
 *     dlogits == logits with equal strides); any other overlap is
 *     undefined, and dlogits must never overlap soft targets.
 *   - Integer targets: `targets` holds `rows` int64 class indices. A row
 *     whose target equals `ignore_index` gets loss 0 and a zero gradient
 *     row; every other target must lie in [0, cols), else the call returns
 *     FSM_TARGET_OUT_OF_RANGE before writing anything (so cols == 0 with a
 *     non-ignored row is an error). `targets` may be NULL only if rows == 0.
 *   - `loss` (may be NULL) receives one value per row (contiguous). The
 *     gradient (`dlogits` / `dx`, may be NULL) is dL_r/dx_r * grad_scale:
 *     pass 1 / (number of non-ignored rows) for a mean reduction, 1 for a
 *     sum.
 *   - Sums are accumulated in double; losses and the scalar parts of the
 *     gradients are formed in double from the row statistics.
 *   - Parameters outside their range (eps < 0, a <= 0, label_smoothing
 *     outside [0, 1], NaN or inf) give FSM_INVALID_ARGUMENT.
 *   - Status codes are checked before anything is written: FSM_UNKNOWN_ISA
 *     / FSM_UNSUPPORTED_ISA (bad FASTSOFTMAX_ISA), then FSM_NULL_POINTER,
 *     FSM_INVALID_STRIDE, FSM_SIZE_OVERFLOW for each matrix, then the
 *     targets and parameters.
 *   - Thread safety: reentrant; concurrent calls on disjoint outputs are safe.
 */

/* fsm_softmax_backward_f32: the softmax VJP, dx = y * (dy - <dy, y>) row by
 * row (y = the softmax output, dy = the upstream gradient).
 * Returns FSM_OK or a status of the shared conventions above (no targets,
 * no parameters). Thread safety: reentrant.
 * Accuracy (float32): |dx - ref| <= 4 u |y| (|dy| + sum |dy y|) + FLT_MIN
 * per element, u = 2^-24. */
FSM_API fsm_status fsm_softmax_backward_f32(size_t rows, size_t cols,
                                            const float *y, size_t y_stride,
                                            const float *dy, size_t dy_stride,
                                            float *dx, size_t dx_stride);

/* fsm_log_softmax_backward_f32: the log-softmax VJP, dx = dz - exp(z) *
 * sum(dz) (z = the log-softmax output, <= 0; exp is the softmax kernels'
 * exp). Returns FSM_OK or a status of the shared conventions.
 * Thread safety: reentrant.
 * Accuracy (float32): |dx - ref| <= 4 u (|dz| + 2 exp(z) sum |dz|) + FLT_MIN. */
FSM_API fsm_status fsm_log_softmax_backward_f32(size_t rows, size_t cols,
                                                const float *z, size_t z_stride,
                                                const float *dz, size_t dz_stride,
                                                float *dx, size_t dx_stride);

/* fsm_cross_entropy_f32: cross-entropy with integer targets and label
 * smoothing alpha in [0, 1]:
 *   loss = (1 - alpha) (LSE(x) - x_c) + alpha (LSE(x) - mean(x)),
 *   grad = softmax(x) - ((1 - alpha) onehot(c) + alpha / cols).
 * Fused, never materialising the softmax separately: exp is summed over
 * x[0:c] and x[c+1:] into S' (where the ISA's softmax uses three passes,
 * a max pass, then the exps stored in dlogits and scaled in one more pass;
 * else, and for rows whose S' underflowed, as a (mantissa, exponent) pair
 * with the two-pass kernels). Label smoothing adds one sum pass, of
 * x - x_c, so the loss does not cancel for large logits. Robust near certainty
 * (docs/math.md#softmax-collapse): loss = softplus(log S' - x_c) and
 * dL/dx_c = -S'/S come from S' directly, so [30, 0, 0] gives -1.87e-13, not 0.
 * Special values: NaN or +inf in a row -> NaN loss and gradient;
 * x_c = -inf (others finite) -> loss +inf, finite gradient.
 * Returns FSM_OK, a status of the shared conventions (incl.
 * FSM_TARGET_OUT_OF_RANGE, FSM_INVALID_ARGUMENT for label_smoothing).
 * Thread safety: reentrant.
 * Accuracy (float32, finite rows): loss within 4e-7 (|loss| + 1); gradient
 * within (8 + |x - max|) u (p + t) + FLT_MIN per element (t the target
 * distribution). */
FSM_API fsm_status fsm_cross_entropy_f32(size_t rows, size_t cols,
                                         const float *logits, size_t logits_stride,
                                         const int64_t *targets, int64_t ignore_index,
                                         double label_smoothing, double grad_scale,
                                         float *loss, float *dlogits, size_t dlogits_stride);

/* fsm_cross_entropy_soft_f32: cross-entropy with soft (probability) targets
 * t (rows x cols; t >= 0 is the caller's responsibility, negative entries
 * are used as given):
 *   t' = (1 - alpha) t + alpha / cols,  loss = sum(t') LSE(x) - <t', x>,
 *   grad = sum(t') softmax(x) - t'.
 * Returns FSM_OK or a status of the shared conventions.
 * Thread safety: reentrant. Accuracy (float32): loss within 4e-7 (max |x| + 1)(|loss| + 1);
 * gradient as fsm_cross_entropy_f32 with p -> sum(t') p. */
FSM_API fsm_status fsm_cross_entropy_soft_f32(size_t rows, size_t cols,
                                              const float *logits, size_t logits_stride,
                                              const float *targets, size_t targets_stride,
                                              double label_smoothing, double grad_scale,
                                              float *loss, float *dlogits, size_t dlogits_stride);

/* fsm_spherical_stats_f32: the spherical family's row statistics
 * (docs/math.md#spherical-family): stats[3 r] = sum_k x_k, stats[3 r + 1]
 * = sum_k x_k^2, stats[3 r + 2] = x_c (NaN when targets is NULL; with
 * targets, every target must be in [0, cols)). Accumulated in double
 * (relative error about cols 2^-53).
 * Returns FSM_OK or a status of the shared conventions (FSM_NULL_POINTER
 * for a NULL stats with rows > 0). Thread safety: reentrant. */
FSM_API fsm_status fsm_spherical_stats_f32(size_t rows, size_t cols,
                                           const float *x, size_t x_stride,
                                           const int64_t *targets, double *stats);

/* fsm_spherical_softmax_f32: y = (x^2 + eps) / (sum x^2 + cols eps),
 * eps >= 0 (docs/math.md#spherical-softmax; even in x: the predicted class
 * is argmax |x|).
 * eps = 0 and an all-zero row give NaN (0/0).
 * Returns FSM_OK, a status of the shared conventions or
 * FSM_INVALID_ARGUMENT (eps). Thread safety: reentrant.
 * Accuracy (float32, |x| < 1e19): relative error <= 4 u (+ FLT_MIN). */
FSM_API fsm_status fsm_spherical_softmax_f32(size_t rows, size_t cols, const float *x,
                                             size_t x_stride, float *y, size_t y_stride,
                                             double eps);

/* fsm_log_spherical_softmax_f32: y = log(x^2 + eps) - log(sum x^2 + cols eps);
 * absolute error <= 4 u (|y| + |log normaliser| + 1). Arguments, return
 * codes, aliasing and thread safety: as fsm_spherical_softmax_f32. */
FSM_API fsm_status fsm_log_spherical_softmax_f32(size_t rows, size_t cols, const float *x,
                                                 size_t x_stride, float *y, size_t y_stride,
                                                 double eps);

/* fsm_taylor_softmax_f32: y = g(x) / sum g, g(x) = 1 + x + x^2/2 >= 1/2
 * (docs/math.md#taylor-softmax; not monotone: g decreases below x = -1).
 * Accuracy as fsm_spherical_softmax_f32; no parameter. Arguments, return codes,
 * aliasing and thread safety: as fsm_spherical_softmax_f32. */
FSM_API fsm_status fsm_taylor_softmax_f32(size_t rows, size_t cols, const float *x,
                                          size_t x_stride, float *y, size_t y_stride);

/* fsm_log_taylor_softmax_f32: y = log g(x) - log sum g. Accuracy as
 * fsm_log_spherical_softmax_f32. Arguments, return codes, aliasing and
 * thread safety: as fsm_taylor_softmax_f32. */
FSM_API fsm_status fsm_log_taylor_softmax_f32(size_t rows, size_t cols, const float *x,
                                              size_t x_stride, float *y, size_t y_stride);

/* fsm_stablemax_f32: StableMax y = s(x) / sum s, s(x) = x + 1 (x >= 0),
 * 1 / (1 - x) (x < 0) (docs/math.md#stablemax; NOT shift invariant: no max
 * is subtracted). Accuracy as fsm_spherical_softmax_f32 (any finite x).
 * Arguments, return codes, aliasing and thread safety:
 * as fsm_spherical_softmax_f32. */
FSM_API fsm_status fsm_stablemax_f32(size_t rows, size_t cols, const float *x,
                                     size_t x_stride, float *y, size_t y_stride);

/* fsm_log_stablemax_f32: y = log s(x) - log sum s (log s through log1p).
 * Arguments, return codes, aliasing and thread safety:
 * as fsm_spherical_softmax_f32. */
FSM_API fsm_status fsm_log_stablemax_f32(size_t rows, size_t cols, const float *x,
                                         size_t x_stride, float *y, size_t y_stride);

/* The spherical-family losses, as functions f(q, s, x_c)
 * (docs/math.md#spherical-family). */
typedef enum fsm_spherical_loss {
  FSM_LOSS_LOG_SPHERICAL = 1, /* log(q + D eps) - log(x_c^2 + eps); p1 = eps >= 0 */
  FSM_LOSS_LOG_TAYLOR = 2,    /* log(D + s + q/2) - log(1 + x_c + x_c^2/2) */
  FSM_LOSS_Z = 3              /* (1/a) softplus(a (b - z_c)), z = (x - mu) / sqrt(var + eps_z);
                                 p1 = a > 0, p2 = b, p3 = eps_z >= 0 */
} fsm_spherical_loss;

/* fsm_spherical_loss_partials: the loss math of the spherical family, once.
 * From the statistics of the non-target entries, q_rest = sum_{k != c}
 * x_k^2 and s_rest = sum_{k != c} x_k (so q = q_rest + x_c^2, s = s_rest +
 * x_c), the row length `cols` and x_c, computes out[0] = L, out[1] = f_q =
 * dL/dq, out[2] = f_s = dL/ds, out[3] = f_c = dL/dx_c (partial, q and s
 * fixed) and out[4] = the full target gradient 2 f_q x_c + f_s + f_c,
 * formed without cancellation near certainty (e.g. log-Taylor:
 * -(1 + x_c) T_rest / (T g(x_c))). The dense gradient is g_k = 2 f_q x_k +
 * f_s (k != c), g_c = out[4]. The Z-loss is shift invariant: its
 * statistics may be taken about any shift K (of x and x_c), and then g_k =
 * 2 f_q (x_k - K) + f_s; its variance is q/cols - (s/cols)^2 of the shifted
 * values, clamped at 0, so pass a K near the mean. Z-loss with var + eps_z
 * == 0 (constant row, eps_z = 0): L = softplus(a b) / a and every partial 0.
 * Returns FSM_OK, FSM_NULL_POINTER (out) or FSM_INVALID_ARGUMENT (unknown
 * kind, a bad parameter, cols == 0, Z-loss with cols < 3).
 * Thread safety: reentrant (pure function). */
FSM_API fsm_status fsm_spherical_loss_partials(fsm_spherical_loss kind, size_t cols,
                                               double q_rest, double s_rest, double x_c,
                                               double p1, double p2, double p3, double *out);

/* fsm_log_spherical_loss_f32: L = log(sum x^2 + cols eps) - log(x_c^2 + eps)
 * per row, and its gradient 2 x / N - [k == c] 2 x_c / (x_c^2 + eps). Two
 * reads of x: the statistics of the non-target slices, then g = 2 f_q x +
 * f_s on the slices and the target entry from fsm_spherical_loss_partials
 * (so L = log1p(N_rest / (x_c^2 + eps)) keeps its accuracy near certainty).
 * Returns FSM_OK, a status of the shared conventions (targets, eps).
 * Thread safety: reentrant.
 * Accuracy (float32): loss within 4e-7 (|L| + 1); gradient within
 * 8 u (|2 f_q x| + |f_s| + |g|) + FLT_MIN per element. */
FSM_API fsm_status fsm_log_spherical_loss_f32(size_t rows, size_t cols, const float *x,
                                              size_t x_stride, const int64_t *targets,
                                              int64_t ignore_index, double eps,
                                              double grad_scale, float *loss, float *dx,
                                              size_t dx_stride);

/* fsm_log_taylor_loss_f32: L = log T - log g(x_c), T = cols + sum x + sum x^2 / 2,
 * gradient (1 + x) / T - [k == c] (1 + x_c) / g(x_c). No parameter.
 * Arguments, return codes, aliasing, accuracy and thread safety:
 * as fsm_log_spherical_loss_f32. */
FSM_API fsm_status fsm_log_taylor_loss_f32(size_t rows, size_t cols, const float *x,
                                           size_t x_stride, const int64_t *targets,
                                           int64_t ignore_index, double grad_scale,
                                           float *loss, float *dx, size_t dx_stride);

/* fsm_z_loss_f32: the Z-loss of de Brebisson & Vincent, L = (1/a)
 * softplus(a (b - z_c)), z = (x - mean) / sqrt(var + eps_z) (population
 * variance), a > 0, b finite, eps_z >= 0. float32: two reads of x, the
 * sums of (x - K) and (x - K)^2 over the non-target slices with K = x_c,
 * then the gradient 2 f_q (x - mean) + f_s; where x_c is an outlier of its
 * row (cancellation ratio R with R cols > 2^28) the sums are taken again
 * about the mean, as float64 always does (three reads). No cancellation,
 * unlike q/cols - mean^2. A constant row with eps_z = 0 gives L = softplus(a b)/a and a zero
 * gradient. cols < 3 (with rows > 0) is rejected: for cols == 2 the loss is
 * constant. Returns FSM_OK or a status of the shared conventions
 * (FSM_INVALID_ARGUMENT for a, b, eps_z, cols). Thread safety: reentrant.
 * Accuracy (float32): loss within 4e-7 (|L| + 1); gradient within
 * 8 u (1 + |mean| / sigma) (|2 f_q (x - mean)| + |f_s| + |g|) + FLT_MIN. */
FSM_API fsm_status fsm_z_loss_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                                  const int64_t *targets, int64_t ignore_index, double a,
                                  double b, double eps_z, double grad_scale, float *loss,
                                  float *dx, size_t dx_stride);

/* fsm_stablemax_cross_entropy_f32: StableMax cross-entropy, L = log1p(S_rest
 * / s(x_c)), dL/dx_j = s'(x_j) / S, dL/dx_c = -(S_rest / S) / (1 + |x_c|)
 * (docs/math.md#stablemax). No parameter. Arguments, return codes,
 * aliasing, accuracy and thread safety: as fsm_log_spherical_loss_f32. */
FSM_API fsm_status fsm_stablemax_cross_entropy_f32(size_t rows, size_t cols, const float *x,
                                                   size_t x_stride, const int64_t *targets,
                                                   int64_t ignore_index, double grad_scale,
                                                   float *loss, float *dx, size_t dx_stride);

/* fsm_softmax_backward_f64: fsm_softmax_backward_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_softmax_backward_f32. */
FSM_API fsm_status fsm_softmax_backward_f64(size_t rows, size_t cols, const double *y,
    size_t y_stride, const double *dy, size_t dy_stride, double *dx, size_t dx_stride);

/* fsm_log_softmax_backward_f64: fsm_log_softmax_backward_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_softmax_backward_f32. */
FSM_API fsm_status fsm_log_softmax_backward_f64(size_t rows, size_t cols, const double *z,
    size_t z_stride, const double *dz, size_t dz_stride, double *dx, size_t dx_stride);

/* fsm_cross_entropy_f64: fsm_cross_entropy_f32 for float64, portable C (libm exp/log).
 * Accuracy (finite rows, u = 2^-53): loss within 64 u (|loss| + 1);
 * gradient within (8 + |x - max|) u (p + t) grad_scale per element, with p
 * the softmax and t the target distribution: an absolute bound, at most
 * about 1.8e-15 grad_scale where |x - max| is small. It is not relative to
 * the gradient p - t itself, which cancels where p is close to t (label
 * smoothing makes t = alpha / cols everywhere): there an entry near 0 may
 * be off by ~1e-16 absolute, 100% of itself. Arguments, return codes,
 * aliasing and thread safety: as fsm_cross_entropy_f32. */
FSM_API fsm_status fsm_cross_entropy_f64(size_t rows, size_t cols, const double *logits,
    size_t logits_stride, const int64_t *targets, int64_t ignore_index,
    double label_smoothing, double grad_scale, double *loss, double *dlogits,
    size_t dlogits_stride);

/* fsm_cross_entropy_soft_f64: fsm_cross_entropy_soft_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_cross_entropy_soft_f32. */
FSM_API fsm_status fsm_cross_entropy_soft_f64(size_t rows, size_t cols, const double *logits,
    size_t logits_stride, const double *targets, size_t targets_stride,
    double label_smoothing, double grad_scale, double *loss, double *dlogits,
    size_t dlogits_stride);

/* fsm_spherical_stats_f64: fsm_spherical_stats_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_spherical_stats_f32. */
FSM_API fsm_status fsm_spherical_stats_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, const int64_t *targets, double *stats);

/* fsm_spherical_softmax_f64: fsm_spherical_softmax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_spherical_softmax_f32. */
FSM_API fsm_status fsm_spherical_softmax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride, double eps);

/* fsm_log_spherical_softmax_f64: fsm_log_spherical_softmax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_spherical_softmax_f32. */
FSM_API fsm_status fsm_log_spherical_softmax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride, double eps);

/* fsm_taylor_softmax_f64: fsm_taylor_softmax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_taylor_softmax_f32. */
FSM_API fsm_status fsm_taylor_softmax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride);

/* fsm_log_taylor_softmax_f64: fsm_log_taylor_softmax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_taylor_softmax_f32. */
FSM_API fsm_status fsm_log_taylor_softmax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride);

/* fsm_stablemax_f64: fsm_stablemax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_stablemax_f32. */
FSM_API fsm_status fsm_stablemax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride);

/* fsm_log_stablemax_f64: fsm_log_stablemax_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_stablemax_f32. */
FSM_API fsm_status fsm_log_stablemax_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, double *y, size_t y_stride);

/* fsm_log_spherical_loss_f64: fsm_log_spherical_loss_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_spherical_loss_f32. */
FSM_API fsm_status fsm_log_spherical_loss_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, const int64_t *targets, int64_t ignore_index, double eps,
    double grad_scale, double *loss, double *dx, size_t dx_stride);

/* fsm_log_taylor_loss_f64: fsm_log_taylor_loss_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_log_taylor_loss_f32. */
FSM_API fsm_status fsm_log_taylor_loss_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, const int64_t *targets, int64_t ignore_index,
    double grad_scale, double *loss, double *dx, size_t dx_stride);

/* fsm_z_loss_f64: fsm_z_loss_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_z_loss_f32. */
FSM_API fsm_status fsm_z_loss_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
    const int64_t *targets, int64_t ignore_index, double a, double b, double eps_z,
    double grad_scale, double *loss, double *dx, size_t dx_stride);

/* fsm_stablemax_cross_entropy_f64: fsm_stablemax_cross_entropy_f32 for float64, portable C (libm exp/log),
 * errors near 1e-15 relative to the terms. Arguments, return codes,
 * aliasing and thread safety: as fsm_stablemax_cross_entropy_f32. */
FSM_API fsm_status fsm_stablemax_cross_entropy_f64(size_t rows, size_t cols, const double *x,
    size_t x_stride, const int64_t *targets, int64_t ignore_index,
    double grad_scale, double *loss, double *dx, size_t dx_stride);

/* ---------------------------------------------------------------- dispatch
 *
 * Environment, read once per process at the first call:
 *   FASTSOFTMAX_ISA        scalar | avx2 | avx512 | neon: force an ISA.
 *   FASTSOFTMAX_LLC_BYTES  a positive integer: the last-level cache size the
 *                          algorithms assume (default: Linux sysfs for cpu0,
 *                          then sysconf, then 32 MiB). Calls whose x and
 *                          y fill it take the blocked reload and AUTO's
 *                          out-of-cache choices.
 */

/* fsm_active_isa: the ISA whose kernels the calling thread's next float32
 * call will use: its fsm_set_thread_isa override if any, else the detected
 * one, or what fsm_set_isa or a valid FASTSOFTMAX_ISA forced.
 * Never FSM_ISA_AUTO. The first call into the library detects the CPU and
 * reads FASTSOFTMAX_ISA (once per process).
 * Returns: an fsm_isa value. Thread safety: safe from any thread; without a
 * thread override the answer may be stale if another thread calls
 * fsm_set_isa concurrently. */
FSM_API fsm_isa fsm_active_isa(void);

/* fsm_detected_isa: the best ISA this CPU, OS (enabled register state) and
 * build support, i.e. what FSM_ISA_AUTO selects. Never FSM_ISA_AUTO.
 * Returns: an fsm_isa value. Thread safety: safe from any thread. */
FSM_API fsm_isa fsm_detected_isa(void);

/* fsm_isa_supported: whether `isa` can be forced here.
 * Arguments: isa, any value.
 * Returns: nonzero for FSM_ISA_AUTO, FSM_ISA_SCALAR and every ISA the CPU,
 *   OS and build support; 0 otherwise, including values that are not
 *   fsm_isa enumerators.
 * Thread safety: safe from any thread. */
FSM_API int fsm_isa_supported(fsm_isa isa);

/* fsm_set_isa: force the process-wide ISA: that of every later call from a
 * thread without its own override (fsm_set_thread_isa) (tests,
 * benchmarks). Only lowers: an ISA this CPU lacks is refused. FSM_ISA_AUTO
 * restores detection. Overrides FASTSOFTMAX_ISA and, on success, clears a
 * bad FASTSOFTMAX_ISA status.
 * Arguments: isa, the ISA to use.
 * Returns: FSM_OK; FSM_UNKNOWN_ISA if isa is not an fsm_isa value;
 *   FSM_UNSUPPORTED_ISA if fsm_isa_supported(isa) is 0. Nothing changes on
 *   error.
 * Thread safety: safe from any thread; the switch is atomic, so each
 *   concurrent compute call uses one consistent kernel table, but which
 *   one it sees is unspecified. To force an ISA for a block of work while
 *   other threads compute, use fsm_set_thread_isa instead. */
FSM_API fsm_status fsm_set_isa(fsm_isa isa);

/* fsm_set_thread_isa: force the ISA of every later call made by the
 * calling thread only (what Python's fastsoftmax.use_isa uses). It takes
 * precedence over fsm_set_isa and FASTSOFTMAX_ISA (a bad FASTSOFTMAX_ISA
 * included: this thread's calls run). Work a call hands to the library's
 * worker threads runs with the caller's ISA (the kernel table is chosen
 * once per call, on the calling thread). Only lowers: an ISA this CPU
 * lacks is refused. FSM_ISA_AUTO removes the override: the thread follows
 * the process-wide ISA again. A new thread starts without an override.
 * Arguments: isa, the ISA to use, or FSM_ISA_AUTO.
 * Returns: FSM_OK; FSM_UNKNOWN_ISA if isa is not an fsm_isa value;
 *   FSM_UNSUPPORTED_ISA if fsm_isa_supported(isa) is 0. Nothing changes on
 *   error.
 * Thread safety: affects the calling thread alone; no other thread's
 *   calls or overrides see it. */
FSM_API fsm_status fsm_set_thread_isa(fsm_isa isa);

/* fsm_thread_isa: the calling thread's override (fsm_set_thread_isa), or
 * FSM_ISA_AUTO when it has none (it follows the process-wide ISA).
 * Returns: an fsm_isa value. Thread safety: safe from any thread (reads
 * the calling thread's own setting). */
FSM_API fsm_isa fsm_thread_isa(void);

/* fsm_environment_status: the status of the FASTSOFTMAX_ISA environment
 * variable, read once at the first call into the library. While it is not
 * FSM_OK every compute call returns it, until fsm_set_isa succeeds (calls
 * from a thread with an fsm_set_thread_isa override run).
 * Returns: FSM_OK (unset, empty or a supported name); FSM_UNKNOWN_ISA (not
 *   a name fsm_isa_from_name accepts); FSM_UNSUPPORTED_ISA (the CPU lacks
 *   it).
 * Thread safety: safe from any thread. */
FSM_API fsm_status fsm_environment_status(void);

/* ------------------------------------------- fused options (attention, decoding) */

/* Options fused into the softmax passes (docs/fused.md has the mathematics
 * and the gradients). For row r, column j, the logits are transformed in
 * this order before the softmax:
 *   z = x * scale
 *   z = softcap * tanh(z / softcap)                        (softcap > 0)
 *   z = z + mask[r, j]                                     (FSM_MASK_ADDITIVE)
 *   z = z + slope[r] * (j - i - causal_offset)             (alibi_slopes)
 *   z = -inf where keep[r, j] == 0                         (FSM_MASK_KEEP)
 *   z = -inf where j > i + causal_offset                   (causal)
 * and the softmax is taken over z_0 .. z_{cols-1} and, if sink is set, one
 * more logit sink[r] that joins the max and the normaliser but has no
 * output column. i is row r's index along the last row dimension (the
 * query axis of attention scores (batch, heads, queries, keys)).
 *
 * Row dimensions: the rows are the C-ordered product of shape[0 .. ndim)
 * (ndim == 0: one dimension of `rows`). Per-row operands (mask rows, keep
 * rows, slopes, sinks) are located by element strides along each of these
 * dimensions, 0 to broadcast: row r at index (i_0, ..., i_{ndim-1}) uses
 * mask + sum_d i_d * mask_strides[d]; its cols elements are contiguous.
 * Nothing checks that these addresses lie in the caller's arrays.
 *
 * Fully masked rows (every z_j = -inf and no finite sink): masked_rows
 * FSM_MASKED_ROWS_NAN writes NaN (as torch and the plain functions do),
 * FSM_MASKED_ROWS_ZERO writes 0 (softmax) or -inf (log-softmax); their
 * lse is -inf either way. */
#define FSM_OPTIONS_MAX_DIMS 8

typedef enum fsm_mask_kind {
  FSM_MASK_NONE = 0,
  FSM_MASK_ADDITIVE = 1, /* elements of x's dtype, added to z */
  FSM_MASK_KEEP = 2      /* bytes: nonzero keeps the entry, 0 masks it (torch SDPA's bool attn_mask) */
} fsm_mask_kind;

typedef enum fsm_masked_rows {
  FSM_MASKED_ROWS_NAN = 0,
  FSM_MASKED_ROWS_ZERO = 1
} fsm_masked_rows;

typedef struct fsm_softmax_options {
  double scale;           /* finite, > 0 (1: none; a temperature T is scale 1/T) */
  double softcap;         /* 0: none; else finite, > 0 */
  size_t ndim;            /* <= FSM_OPTIONS_MAX_DIMS; product of shape == rows */
  size_t shape[FSM_OPTIONS_MAX_DIMS];
  fsm_mask_kind mask_kind;
  const void *mask;       /* FSM_MASK_NONE: ignored */
  ptrdiff_t mask_strides[FSM_OPTIONS_MAX_DIMS];
  int causal;             /* nonzero: mask columns j > i + causal_offset */
  ptrdiff_t causal_offset;
  const void *alibi_slopes;  /* NULL: none; elements of x's dtype */
  ptrdiff_t alibi_strides[FSM_OPTIONS_MAX_DIMS];
  const void *sink;          /* NULL: none; elements of x's dtype */
  ptrdiff_t sink_strides[FSM_OPTIONS_MAX_DIMS];
  fsm_masked_rows masked_rows;
  void *lse;              /* NULL, or `rows` elements of x's dtype receiving log sum exp
                             over the row's z and its sink (the saved state of
                             flash-attention style code) */
} fsm_softmax_options;

/* fsm_softmax_options_init: the defaults (scale 1, everything else off).
 * Always initialise a struct with it, then set the fields you need.
 * Arguments: options, or NULL (nothing happens).
 * Returns: nothing.
 * Thread safety: safe from any thread (writes *options only). */
FSM_API void fsm_softmax_options_init(fsm_softmax_options *options);

/* fsm_softmax_ex_f32: softmax of z (above) along each row; options ==
 * NULL means fsm_softmax_f32.
 * Passes: the transform, fused with the max, writes z into y (rfusemax);
 * the softmax passes then run over y, in cache. algorithm: AUTO and
 * THREE_PASS_RELOAD store exp(z - max) and scale; THREE_PASS_RECOMPUTE
 * evaluates the exps twice; TWO_PASS takes (mantissa, exponent) sums;
 * ONLINE runs as THREE_PASS_RELOAD (the max already came with the first
 * pass). Columns a causal mask removes are not computed at all. Long rows
 * are not split across threads (rows are).
 * Returns: FSM_OK or the statuses of fsm_softmax_f32, and
 *   FSM_INVALID_ARGUMENT for options out of range (scale or softcap NaN,
 *   infinite or <= 0; ndim too large or a shape whose product is not rows;
 *   an unknown mask_kind or masked_rows), FSM_NULL_POINTER for a NULL mask
 *   with a mask_kind; nothing is written then.
 * Accuracy: as fsm_softmax_f32 relative to the transformed logits, which
 *   carry the float rounding of each step (softcap: absolute error about
 *   2^-22 softcap). In place (y == x) is allowed.
 * Thread safety: reentrant (the options are only read; lse rows are
 *   written by the thread computing their row). */
FSM_API fsm_status fsm_softmax_ex_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                                      float *y, size_t y_stride, fsm_algorithm algorithm,
                                      const fsm_softmax_options *options);

/* fsm_log_softmax_ex_f32: log-softmax of z along each row (z - max - log
 * sum), options == NULL meaning fsm_log_softmax_f32; the algorithms all
 * take max, sum of exp, subtract. Arguments, statuses, accuracy and thread
 * safety: as fsm_softmax_ex_f32. */
FSM_API fsm_status fsm_log_softmax_ex_f32(size_t rows, size_t cols, const float *x,
                                          size_t x_stride, float *y, size_t y_stride,
                                          fsm_algorithm algorithm,
                                          const fsm_softmax_options *options);

/* fsm_softmax_ex_f64: fsm_softmax_ex_f32 for float64 (portable C); the
 * mask, ALiBi slopes, sinks and lse hold doubles. Everything else: as fsm_softmax_ex_f32. */
FSM_API fsm_status fsm_softmax_ex_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
                                      double *y, size_t y_stride, fsm_algorithm algorithm,
                                      const fsm_softmax_options *options);

/* fsm_log_softmax_ex_f64: fsm_log_softmax_ex_f32 for float64. Everything
 * else: as fsm_softmax_ex_f32. */
FSM_API fsm_status fsm_log_softmax_ex_f64(size_t rows, size_t cols, const double *x,
                                          size_t x_stride, double *y, size_t y_stride,
                                          fsm_algorithm algorithm,
                                          const fsm_softmax_options *options);

/* fsm_softmax_backward_ex_f32: the VJP of fsm_softmax_ex_f32 with respect
 * to x: dz = y * (dy - <dy, y>), then the chain rule of the transform:
 * dx = dz * scale (no softcap) or dz * scale * (1 - tanh(x scale /
 * softcap)^2). Masks, ALiBi and sinks add terms independent of x (their
 * entries of dz are 0 where masked, since y is). y is the forward output;
 * x the forward input, read only when softcap > 0 (may be NULL otherwise).
 * Of the options only scale, softcap, mask_kind and causal are read (the
 * per-row operands need not be set; lse is not written); options == NULL
 * means fsm_softmax_backward_f32. dx may alias dy.
 * Returns: FSM_OK or the statuses of fsm_softmax_backward_f32, and
 *   FSM_INVALID_ARGUMENT / FSM_NULL_POINTER as fsm_softmax_ex_f32 checks
 *   them, FSM_NULL_POINTER for a NULL x with softcap > 0.
 * Thread safety: reentrant. */
FSM_API fsm_status fsm_softmax_backward_ex_f32(size_t rows, size_t cols, const float *y,
                                               size_t y_stride, const float *dy, size_t dy_stride,
                                               const float *x, size_t x_stride, float *dx,
                                               size_t dx_stride, const fsm_softmax_options *options);

/* fsm_log_softmax_backward_ex_f32: the same for log-softmax, z its output:
 * dz = dy - exp(z) sum(dy), dx as above. When a mask or causal option is
 * set, the entries where z = -inf are constants of the forward pass: their
 * dy leaves the sum and their dx is 0.
 * Statuses and thread safety: as fsm_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_log_softmax_backward_ex_f32(size_t rows, size_t cols, const float *z,
                                                   size_t z_stride, const float *dz,
                                                   size_t dz_stride, const float *x,
                                                   size_t x_stride, float *dx, size_t dx_stride,
                                                   const fsm_softmax_options *options);

/* fsm_softmax_backward_ex_f64: fsm_softmax_backward_ex_f32 for float64.
 * Everything else: as fsm_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_softmax_backward_ex_f64(size_t rows, size_t cols, const double *y,
                                               size_t y_stride, const double *dy, size_t dy_stride,
                                               const double *x, size_t x_stride, double *dx,
                                               size_t dx_stride, const fsm_softmax_options *options);

/* fsm_log_softmax_backward_ex_f64: fsm_log_softmax_backward_ex_f32 for
 * float64. Everything else: as fsm_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_log_softmax_backward_ex_f64(size_t rows, size_t cols, const double *z,
                                                   size_t z_stride, const double *dz,
                                                   size_t dz_stride, const double *x,
                                                   size_t x_stride, double *dx, size_t dx_stride,
                                                   const fsm_softmax_options *options);
/* ------------------------------------------- end of fused options */

/* ---- half precision: fused options, states, decoding (issue 17) ----
 * The functions below take float16 (_f16) or bfloat16 (_bf16) matrices as
 * uint16_t bits (see "half precision" above). Each is the float32 function
 * of the same name computed on the exactly widened inputs, every output
 * rounded to the storage type once (to nearest even):
 *   fsm_softmax_ex_*, fsm_log_softmax_ex_* and their VJPs
 *     (fsm_*_backward_ex_*): x, y, an additive mask, the ALiBi slopes, the
 *     sinks and the saved lse are of the storage type (uint16_t); a keep
 *     mask stays unsigned char. Each row (and its additive mask's row; the
 *     VJPs' out, dout and x) is widened into a float32 scratch (on the
 *     stack up to 4096 elements, else malloc'd per row: FSM_OUT_OF_MEMORY
 *     when that fails), the float32 function's row runs on it, and the
 *     result is rounded once. The lse is rounded to the storage type.
 *   fsm_softmax_state_*, fsm_softmax_from_state_*,
 *     fsm_log_softmax_from_state_*: x and y of the storage type, the states
 *     fsm_softmax_state as for every dtype (a half row's state is that of
 *     its widened float32 values; the half kernels widen in their loads and
 *     round in their stores, no scratch, nothing allocated); states merge
 *     with states of any dtype (fsm_merge_softmax_states).
 *   fsm_sample_*, fsm_topk_softmax_*: logits of the storage type, widened
 *     per row as above (the tokens are those of fsm_sample_f32 on the
 *     widened logits); topk probs of the storage type.
 * Arguments, return codes, aliasing and thread safety: as the float32
 * functions, with sizeof(uint16_t) in the overflow check and strides in
 * elements.
 * Accuracy: every output within 1 unit in the last place of the storage
 * type of the correctly rounded float32 result (the VJPs: as
 * fsm_softmax_backward_f16). Tested on every ISA and tail length
 * (tests/test_half_api.py). */

/* fsm_softmax_ex_f16: fsm_softmax_ex_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_ex_f32. */
FSM_API fsm_status fsm_softmax_ex_f16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                      uint16_t *y, size_t y_stride, fsm_algorithm algorithm,
                                      const fsm_softmax_options *options);
/* fsm_log_softmax_ex_f16: fsm_log_softmax_ex_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_ex_f32. */
FSM_API fsm_status fsm_log_softmax_ex_f16(size_t rows, size_t cols, const uint16_t *x,
                                          size_t x_stride, uint16_t *y, size_t y_stride,
                                          fsm_algorithm algorithm,
                                          const fsm_softmax_options *options);
/* fsm_softmax_backward_ex_f16: fsm_softmax_backward_ex_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_softmax_backward_ex_f16(size_t rows, size_t cols, const uint16_t *y,
                                               size_t y_stride, const uint16_t *dy,
                                               size_t dy_stride, const uint16_t *x, size_t x_stride,
                                               uint16_t *dx, size_t dx_stride,
                                               const fsm_softmax_options *options);
/* fsm_log_softmax_backward_ex_f16: fsm_log_softmax_backward_ex_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_log_softmax_backward_ex_f16(size_t rows, size_t cols, const uint16_t *z,
                                                   size_t z_stride, const uint16_t *dz,
                                                   size_t dz_stride, const uint16_t *x,
                                                   size_t x_stride, uint16_t *dx, size_t dx_stride,
                                                   const fsm_softmax_options *options);
/* fsm_softmax_state_f16: fsm_softmax_state_f32 on float16 rows (see above).
 * Arguments, returns and thread safety as fsm_softmax_state_f32. */
FSM_API fsm_status fsm_softmax_state_f16(size_t rows, size_t cols, const uint16_t *x,
                                         size_t x_stride, fsm_softmax_state *states);
/* fsm_softmax_from_state_f16: fsm_softmax_from_state_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_from_state_f32. */
FSM_API fsm_status fsm_softmax_from_state_f16(size_t rows, size_t cols, const uint16_t *x,
                                              size_t x_stride, const fsm_softmax_state *states,
                                              uint16_t *y, size_t y_stride);
/* fsm_log_softmax_from_state_f16: fsm_log_softmax_from_state_f32 on float16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_from_state_f32. */
FSM_API fsm_status fsm_log_softmax_from_state_f16(size_t rows, size_t cols, const uint16_t *x,
                                                  size_t x_stride, const fsm_softmax_state *states,
                                                  uint16_t *y, size_t y_stride);
/* fsm_topk_softmax_f16: fsm_topk_softmax_f32 on float16 logits (probs float16; see above).
 * Arguments, returns and thread safety as fsm_topk_softmax_f32. */
FSM_API fsm_status fsm_topk_softmax_f16(size_t rows, size_t cols, const uint16_t *x,
                                        size_t x_stride, size_t k, int renormalize, uint16_t *probs,
                                        size_t probs_stride, int64_t *indices,
                                        size_t indices_stride);
/* fsm_sample_f16: fsm_sample_f32 on float16 logits (see above).
 * Arguments, returns and thread safety as fsm_sample_f32. */
FSM_API fsm_status fsm_sample_f16(size_t rows, size_t cols, const uint16_t *logits, size_t stride,
                                  const fsm_sampling_params *params, const double *uniforms,
                                  int64_t *tokens);

/* fsm_softmax_ex_bf16: fsm_softmax_ex_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_ex_f32. */
FSM_API fsm_status fsm_softmax_ex_bf16(size_t rows, size_t cols, const uint16_t *x, size_t x_stride,
                                       uint16_t *y, size_t y_stride, fsm_algorithm algorithm,
                                       const fsm_softmax_options *options);
/* fsm_log_softmax_ex_bf16: fsm_log_softmax_ex_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_ex_f32. */
FSM_API fsm_status fsm_log_softmax_ex_bf16(size_t rows, size_t cols, const uint16_t *x,
                                           size_t x_stride, uint16_t *y, size_t y_stride,
                                           fsm_algorithm algorithm,
                                           const fsm_softmax_options *options);
/* fsm_softmax_backward_ex_bf16: fsm_softmax_backward_ex_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_softmax_backward_ex_bf16(size_t rows, size_t cols, const uint16_t *y,
                                                size_t y_stride, const uint16_t *dy,
                                                size_t dy_stride, const uint16_t *x,
                                                size_t x_stride, uint16_t *dx, size_t dx_stride,
                                                const fsm_softmax_options *options);
/* fsm_log_softmax_backward_ex_bf16: fsm_log_softmax_backward_ex_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_backward_ex_f32. */
FSM_API fsm_status fsm_log_softmax_backward_ex_bf16(size_t rows, size_t cols, const uint16_t *z,
                                                    size_t z_stride, const uint16_t *dz,
                                                    size_t dz_stride, const uint16_t *x,
                                                    size_t x_stride, uint16_t *dx, size_t dx_stride,
                                                    const fsm_softmax_options *options);
/* fsm_softmax_state_bf16: fsm_softmax_state_f32 on bfloat16 rows (see above).
 * Arguments, returns and thread safety as fsm_softmax_state_f32. */
FSM_API fsm_status fsm_softmax_state_bf16(size_t rows, size_t cols, const uint16_t *x,
                                          size_t x_stride, fsm_softmax_state *states);
/* fsm_softmax_from_state_bf16: fsm_softmax_from_state_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_softmax_from_state_f32. */
FSM_API fsm_status fsm_softmax_from_state_bf16(size_t rows, size_t cols, const uint16_t *x,
                                               size_t x_stride, const fsm_softmax_state *states,
                                               uint16_t *y, size_t y_stride);
/* fsm_log_softmax_from_state_bf16: fsm_log_softmax_from_state_f32 on bfloat16 storage (see above).
 * Arguments, returns and thread safety as fsm_log_softmax_from_state_f32. */
FSM_API fsm_status fsm_log_softmax_from_state_bf16(size_t rows, size_t cols, const uint16_t *x,
                                                   size_t x_stride, const fsm_softmax_state *states,
                                                   uint16_t *y, size_t y_stride);
/* fsm_topk_softmax_bf16: fsm_topk_softmax_f32 on bfloat16 logits (probs bfloat16; see above).
 * Arguments, returns and thread safety as fsm_topk_softmax_f32. */
FSM_API fsm_status fsm_topk_softmax_bf16(size_t rows, size_t cols, const uint16_t *x,
                                         size_t x_stride, size_t k, int renormalize,
                                         uint16_t *probs, size_t probs_stride, int64_t *indices,
                                         size_t indices_stride);
/* fsm_sample_bf16: fsm_sample_f32 on bfloat16 logits (see above).
 * Arguments, returns and thread safety as fsm_sample_f32. */
FSM_API fsm_status fsm_sample_bf16(size_t rows, size_t cols, const uint16_t *logits, size_t stride,
                                   const fsm_sampling_params *params, const double *uniforms,
                                   int64_t *tokens);
/* ---- end of half precision: fused options, states, decoding ---- */


/* ---------------------------------------------------------------- threads */

/* fsm_set_num_threads: the number of threads every later call may use (the
 * calling thread included). Calls of less than 16K elements always run on
 * the calling thread. Batches of rows are split across threads; a row of
 * 128K elements or more is cut into chunks whose partial states (max and
 * sum, or mantissa and exponent) merge in chunk order. The cut depends on
 * the shape only, so results are bitwise identical at every thread count.
 * A call made while another call is using the threads runs on its own
 * thread (no oversubscription).
 * Arguments: n, the number of threads, at most 256; 0 restores the
 *   default: FASTSOFTMAX_NUM_THREADS if set to a positive integer, else the
 *   CPUs this process may run on (affinity mask, cgroup CPU quota).
 * Returns: FSM_OK; FSM_INVALID_ARGUMENT if n > 256 (nothing changes).
 * Thread safety: safe from any thread; calls already running keep the
 *   count they started with. */
FSM_API fsm_status fsm_set_num_threads(size_t n);

/* fsm_get_num_threads: the number of threads calls may use (see
 * fsm_set_num_threads).
 * Returns: the count, at least 1.
 * Thread safety: safe from any thread. */
FSM_API size_t fsm_get_num_threads(void);

/* fsm_isa_name: the name of an ISA: "auto", "scalar", "avx2", "avx512",
 * "avx512_bf16" or "neon".
 * Arguments: isa, any value.
 * Returns: a static NUL-terminated string (never free it), or NULL if isa
 *   is not an fsm_isa value.
 * Thread safety: safe from any thread (no state). */
FSM_API const char *fsm_isa_name(fsm_isa isa);

/* fsm_isa_from_name: parse an ISA name as fsm_isa_name prints it
 * (case-sensitive, no surrounding spaces).
 * Arguments: name, a NUL-terminated string; isa, where to store the value.
 *   The name ends at its first NUL: a caller holding a length-delimited
 *   string (a C++ std::string, a Python str) must refuse one with an
 *   embedded NUL itself, as the Python bindings do ("scalar\0junk" is not
 *   "scalar").
 * Returns: FSM_OK; FSM_UNKNOWN_ISA for any other string; FSM_NULL_POINTER
 *   if name or isa is NULL. *isa is written only on FSM_OK.
 * Thread safety: safe from any thread (no state). */
FSM_API fsm_status fsm_isa_from_name(const char *name, fsm_isa *isa);

/* fsm_status_string: an English sentence describing a status code.
 * Arguments: status, any value.
 * Returns: a static NUL-terminated string (never NULL, never free it);
 *   "unknown status code" for values that are not fsm_status enumerators.
 * Thread safety: safe from any thread (no state). */
FSM_API const char *fsm_status_string(fsm_status status);

/* fsm_algorithm_name: the name of an algorithm: "auto",
 * "three_pass_reload", "three_pass_recompute", "two_pass" or "online".
 * Arguments: algorithm, any value.
 * Returns: a static NUL-terminated string (never free it), or NULL if
 *   algorithm is not an fsm_algorithm value.
 * Thread safety: safe from any thread (no state). */
FSM_API const char *fsm_algorithm_name(fsm_algorithm algorithm);

/* fsm_version: FSM_VERSION_STRING of the library actually loaded, which
 * may differ from the header's macro when linking dynamically.
 * Returns: a static NUL-terminated string such as "0.1.0" (never free it).
 * Thread safety: safe from any thread (no state). */
FSM_API const char *fsm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* FASTSOFTMAX_H */

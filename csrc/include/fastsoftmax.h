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
  FSM_INVALID_ARGUMENT = 1,   /* an argument is out of its documented range (reserved: no
                                 function of this version returns it) */
  FSM_NULL_POINTER = 2,       /* a required pointer is NULL with a non-empty shape */
  FSM_INVALID_STRIDE = 3,     /* a row stride is smaller than cols */
  FSM_UNKNOWN_ALGORITHM = 4,  /* not one of the fsm_algorithm values */
  FSM_UNKNOWN_ISA = 5,        /* not one of the fsm_isa values */
  FSM_UNSUPPORTED_ISA = 6,    /* the CPU (or OS) lacks the ISA asked for, here or in FASTSOFTMAX_ISA */
  FSM_SIZE_OVERFLOW = 7       /* a matrix's extent in bytes does not fit in size_t */
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
 * here (max, sum of exp, subtract); FSM_ALGORITHM_TWO_PASS skips the max.
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

/* ---------------------------------------------------------------- dispatch */

/* fsm_active_isa: the ISA whose kernels the next float32 call will use:
 * the detected one, or what fsm_set_isa or a valid FASTSOFTMAX_ISA forced.
 * Never FSM_ISA_AUTO. The first call into the library detects the CPU and
 * reads FASTSOFTMAX_ISA (once per process).
 * Returns: an fsm_isa value. Thread safety: safe from any thread; the
 * answer may be stale if another thread calls fsm_set_isa concurrently. */
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

/* fsm_set_isa: force the ISA of every later call in this process (tests,
 * benchmarks). Only lowers: an ISA this CPU lacks is refused. FSM_ISA_AUTO
 * restores detection. Overrides FASTSOFTMAX_ISA and, on success, clears a
 * bad FASTSOFTMAX_ISA status.
 * Arguments: isa, the ISA to use.
 * Returns: FSM_OK; FSM_UNKNOWN_ISA if isa is not an fsm_isa value;
 *   FSM_UNSUPPORTED_ISA if fsm_isa_supported(isa) is 0. Nothing changes on
 *   error.
 * Thread safety: safe from any thread; the switch is atomic, so each
 *   concurrent compute call uses one consistent kernel table, but which
 *   one it sees is unspecified. */
FSM_API fsm_status fsm_set_isa(fsm_isa isa);

/* fsm_environment_status: the status of the FASTSOFTMAX_ISA environment
 * variable, read once at the first call into the library. While it is not
 * FSM_OK every compute call returns it, until fsm_set_isa succeeds.
 * Returns: FSM_OK (unset, empty or a supported name); FSM_UNKNOWN_ISA (not
 *   a name fsm_isa_from_name accepts); FSM_UNSUPPORTED_ISA (the CPU lacks
 *   it).
 * Thread safety: safe from any thread. */
FSM_API fsm_status fsm_environment_status(void);

/* fsm_isa_name: the name of an ISA: "auto", "scalar", "avx2", "avx512" or
 * "neon".
 * Arguments: isa, any value.
 * Returns: a static NUL-terminated string (never free it), or NULL if isa
 *   is not an fsm_isa value.
 * Thread safety: safe from any thread (no state). */
FSM_API const char *fsm_isa_name(fsm_isa isa);

/* fsm_isa_from_name: parse an ISA name as fsm_isa_name prints it
 * (case-sensitive, no surrounding spaces).
 * Arguments: name, a NUL-terminated string; isa, where to store the value.
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
 * "three_pass_reload", "three_pass_recompute" or "two_pass".
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

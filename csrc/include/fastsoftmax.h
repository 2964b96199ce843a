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
  FSM_SIZE_OVERFLOW = 7       /* rows * stride does not fit in size_t */
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

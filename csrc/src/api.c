/*
 * The public C API: argument validation, the row loop and the algorithm
 * drivers (drivers.inc), on the kernel table dispatch.c chose.
 */
#include <float.h>

#include "kernels.h"

/* rows x cols with a row stride: pointers non-NULL unless empty, stride >=
 * cols, and the last element's offset representable. */
static fsm_status fsm_check_matrix(size_t rows, size_t cols, const void *p, size_t stride,
                                   size_t elem_size) {
  if (rows == 0 || cols == 0) return FSM_OK;
  if (p == NULL) return FSM_NULL_POINTER;
  if (rows > 1 && stride < cols) return FSM_INVALID_STRIDE;
  const size_t max_elems = SIZE_MAX / elem_size;
  if (rows > 1 && (rows - 1) > (max_elems - cols) / (stride ? stride : 1)) return FSM_SIZE_OVERFLOW;
  if (cols > max_elems) return FSM_SIZE_OVERFLOW;
  return FSM_OK;
}

static fsm_status fsm_check_algorithm(fsm_algorithm algorithm) {
  return fsm_algorithm_name(algorithm) != NULL ? FSM_OK : FSM_UNKNOWN_ALGORITHM;
}

#define T float
#define KERNELS fsm_f32_kernels
#define DRIVER(name) f32_##name
#define EXT_NMIN FSM_EXT_NMIN_F32
#define EXT_NMAX FSM_EXT_NMAX_F32
#define LN2_HI FSM_LN2_HI_F32
#define T_MIN FLT_MIN
/* Z-loss statistics (training.inc): a float row's shifted sums are formed
 * in double; a cancellation R with R * D <= 2^28 keeps their rounding
 * (<= D 2^-53 relative, amplified by R) below 2^-25, far below float's */
#define SHIFT_RATIO_MAX 0x1p28
#include "drivers.inc"
#include "training.inc"
#undef T
#undef KERNELS
#undef DRIVER
#undef EXT_NMIN
#undef EXT_NMAX
#undef LN2_HI
#undef T_MIN
#undef SHIFT_RATIO_MAX

#define T double
#define KERNELS fsm_f64_kernels
#define DRIVER(name) f64_##name
#define EXT_NMIN FSM_EXT_NMIN_F64
#define EXT_NMAX FSM_EXT_NMAX_F64
#define LN2_HI FSM_LN2_HI_F64
#define T_MIN DBL_MIN
/* double rows: the same cancellation is of double precision itself, so
 * the Z-loss statistics are always taken again about the mean (R = 1;
 * R D <= 1 holds only for a row equal to x_c throughout) */
#define SHIFT_RATIO_MAX 1.0
#include "drivers.inc"
#include "training.inc"

fsm_status fsm_softmax_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                           float *y, size_t y_stride, fsm_algorithm algorithm) {
  fsm_status status;
  const fsm_f32_kernels *k = fsm_f32_active_kernels(&status);
  if (k == NULL) return status;
  return f32_run(f32_softmax_row, k, rows, cols, x, x_stride, y, y_stride, algorithm);
}

fsm_status fsm_log_softmax_f32(size_t rows, size_t cols, const float *x, size_t x_stride,
                               float *y, size_t y_stride, fsm_algorithm algorithm) {
  fsm_status status;
  const fsm_f32_kernels *k = fsm_f32_active_kernels(&status);
  if (k == NULL) return status;
  return f32_run(f32_log_softmax_row, k, rows, cols, x, x_stride, y, y_stride, algorithm);
}

/* float64 has only the portable table; it still honours a bad
 * FASTSOFTMAX_ISA so that the error is the same for every dtype. */
fsm_status fsm_softmax_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
                           double *y, size_t y_stride, fsm_algorithm algorithm) {
  const fsm_status status = fsm_environment_status();
  if (status != FSM_OK) return status;
  return f64_run(f64_softmax_row, &fsm_f64_kernels__scalar, rows, cols, x, x_stride, y,
                 y_stride, algorithm);
}

fsm_status fsm_log_softmax_f64(size_t rows, size_t cols, const double *x, size_t x_stride,
                               double *y, size_t y_stride, fsm_algorithm algorithm) {
  const fsm_status status = fsm_environment_status();
  if (status != FSM_OK) return status;
  return f64_run(f64_log_softmax_row, &fsm_f64_kernels__scalar, rows, cols, x, x_stride, y,
                 y_stride, algorithm);
}

/* The training functions (training_api.inc), once per dtype. */
static const fsm_f64_kernels *fsm_f64_training_kernels(fsm_status *status) {
  *status = fsm_environment_status();
  return *status == FSM_OK ? &fsm_f64_kernels__scalar : NULL;
}
#define PUBLIC(name) fsm_##name##_f64
#define GET_KERNELS(status) fsm_f64_training_kernels(&status)
#include "training_api.inc"
#undef T
#undef KERNELS
#undef DRIVER
#undef PUBLIC
#undef GET_KERNELS
#define T float
#define KERNELS fsm_f32_kernels
#define DRIVER(name) f32_##name
#define PUBLIC(name) fsm_##name##_f32
#define GET_KERNELS(status) fsm_f32_active_kernels(&status)
#include "training_api.inc"

const char *fsm_algorithm_name(fsm_algorithm algorithm) {
  switch (algorithm) {
    case FSM_ALGORITHM_AUTO: return "auto";
    case FSM_ALGORITHM_THREE_PASS_RELOAD: return "three_pass_reload";
    case FSM_ALGORITHM_THREE_PASS_RECOMPUTE: return "three_pass_recompute";
    case FSM_ALGORITHM_TWO_PASS: return "two_pass";
    case FSM_ALGORITHM_ONLINE: return "online";
    default: return NULL;
  }
}

const char *fsm_status_string(fsm_status status) {
  switch (status) {
    case FSM_OK: return "success";
    case FSM_INVALID_ARGUMENT: return "an argument is out of its valid range";
    case FSM_NULL_POINTER: return "a required pointer is NULL";
    case FSM_INVALID_STRIDE: return "a row stride is smaller than the number of columns";
    case FSM_UNKNOWN_ALGORITHM: return "unknown algorithm";
    case FSM_UNKNOWN_ISA: return "unknown instruction set (check FASTSOFTMAX_ISA)";
    case FSM_UNSUPPORTED_ISA:
      return "instruction set not supported by this CPU or build (check FASTSOFTMAX_ISA)";
    case FSM_SIZE_OVERFLOW: return "array size overflows size_t";
    case FSM_TARGET_OUT_OF_RANGE: return "a target class index is out of range";
    default: return "unknown status code";
  }
}

const char *fsm_version(void) { return FSM_VERSION_STRING; }

/*
 * The dtype-independent part of the public C API: names, status strings,
 * the version. The computing entry points are in typed/ (once per dtype),
 * the ISA functions in dispatch.c.
 */
#include "kernels.h"

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
    case FSM_OUT_OF_MEMORY: return "out of memory (a scratch buffer could not be allocated)";
    default: return "unknown status code";
  }
}

const char *fsm_version(void) { return FSM_VERSION_STRING; }

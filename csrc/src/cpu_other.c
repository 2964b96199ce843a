/* Any other architecture: the portable scalar table only. */
#include "kernels.h"

#if !(defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || \
      defined(__aarch64__) || defined(_M_ARM64))
fsm_isa fsm_cpu_best_isa(void) { return FSM_ISA_SCALAR; }
#endif

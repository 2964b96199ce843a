/* AArch64: Advanced SIMD (NEON) is part of the base architecture. */
#include "kernels.h"

#if defined(__aarch64__) || defined(_M_ARM64)
fsm_isa fsm_cpu_best_isa(void) { return FSM_ISA_NEON; }
#endif

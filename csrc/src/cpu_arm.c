/* AArch64: Advanced SIMD (NEON) is part of the base architecture. */
#include "kernels.h"

#if defined(__aarch64__) || defined(_M_ARM64)
uint32_t fsm_cpu_features(void) { return FSM_CPU_NEON; }
#endif

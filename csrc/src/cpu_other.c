/* Any other architecture: no optional features, the portable table only. */
#include "kernels.h"

#if !(defined(__x86_64__) || defined(_M_X64) || defined(__i386__) || \
      defined(__aarch64__) || defined(_M_ARM64))
uint32_t fsm_cpu_features(void) { return 0; }
#endif

/*
 * x86-64 feature detection: CPUID says what the core implements, XGETBV
 * says what state the OS saves on context switch. A feature counts only if
 * both agree (a kernel with AVX disabled in XCR0 would fault on vmovaps).
 */
#include "kernels.h"

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)

#include <cpuid.h>

/* XCR0 bits: SSE (1) and AVX (2) state; AVX-512 opmask (5), ZMM0-15 upper
 * halves (6), ZMM16-31 (7). */
#define XCR0_AVX_STATE    0x06u
#define XCR0_AVX512_STATE 0xE6u

static uint64_t read_xcr0(void) {
  uint32_t eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((uint64_t)edx << 32) | eax;
}

uint32_t fsm_cpu_features(void) {
  unsigned int eax, ebx, ecx, edx;
  uint32_t f = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
  const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
  if (!osxsave || !avx) return 0;
  const uint64_t xcr0 = read_xcr0();
  if ((xcr0 & XCR0_AVX_STATE) != XCR0_AVX_STATE) return 0;
  f |= FSM_CPU_AVX;
  if ((ecx >> 12) & 1) f |= FSM_CPU_FMA;
  if ((ecx >> 29) & 1) f |= FSM_CPU_F16C;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
  if ((ebx >> 5) & 1) f |= FSM_CPU_AVX2;
  const int zmm = (xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE;
  if (zmm && ((ebx >> 16) & 1)) f |= FSM_CPU_AVX512F;
  if (zmm && ((ebx >> 30) & 1)) f |= FSM_CPU_AVX512BW;
  if (zmm && ((ebx >> 31) & 1)) f |= FSM_CPU_AVX512VL;
  if (zmm && ((ebx >> 17) & 1)) f |= FSM_CPU_AVX512DQ;
  if (zmm && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx) && ((eax >> 5) & 1))
    f |= FSM_CPU_AVX512BF16;
#if defined(FSM_AVX512_EMULATED) /* test builds only: avx512 kernels run on SIMDe */
  if ((f & FSM_CPU_AVX2) && (f & FSM_CPU_FMA)) f |= FSM_CPU_AVX512F | FSM_CPU_AVX512BW;
#endif
  return f;
}

#endif

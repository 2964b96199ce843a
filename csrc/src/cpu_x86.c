/*
 * x86-64 feature detection: CPUID says what the core implements, XGETBV
 * says what state the OS saves on context switch. An ISA is usable only if
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

fsm_isa fsm_cpu_best_isa(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return FSM_ISA_SCALAR;
  const int osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1, fma = (ecx >> 12) & 1;
  if (!osxsave || !avx) return FSM_ISA_SCALAR;
  const uint64_t xcr0 = read_xcr0();
  if ((xcr0 & XCR0_AVX_STATE) != XCR0_AVX_STATE) return FSM_ISA_SCALAR;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return FSM_ISA_SCALAR;
  const int avx2 = (ebx >> 5) & 1, avx512f = (ebx >> 16) & 1;
  if (!avx2 || !fma) return FSM_ISA_SCALAR;
#if defined(FSM_AVX512_EMULATED) /* test builds only: avx512 kernels run on SIMDe */
  return FSM_ISA_AVX512;
#endif
  if (avx512f && (xcr0 & XCR0_AVX512_STATE) == XCR0_AVX512_STATE) return FSM_ISA_AVX512;
  return FSM_ISA_AVX2;
}

#endif

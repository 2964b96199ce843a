/* The AArch64 Advanced SIMD table.
 *
 * AUTO's crossover to the two-pass algorithm: never (SIZE_MAX), until a
 * NEON machine measures otherwise. Without hardware, from the instruction
 * counts of the main loops (bench/README-neon.md) and bytes per element:
 *   three-pass reload  rmax + raddstoreexp + vscale     7.4 insn/elem  20 B
 *   two-pass           raddextexp + vscaleextexp       12.7 insn/elem  12 B
 * The loops are almost all ASIMD instructions; at ~2 per cycle (2 FP/ASIMD
 * pipes, Cortex-A76/Neoverse-N1 class) that is 3.7 vs 6.4 cycles/element,
 * so NEON softmax is compute-bound unless a core streams less than
 * 20 B / 3.7 cycles, and two-pass wins only where DRAM gives one core
 * less than 20 B / 6.4 cycles ~ 3 B/cycle (9 GB/s at 3 GHz): true of
 * e.g. Cortex-A72 boards and fully loaded many-core servers, false for one
 * thread on Neoverse/Apple/Cortex-X cores (15-60 GB/s). A wrong pick
 * costs up to ~1.7x either way (6.4/3.7 cycles, or 20/12 bytes), and the
 * library runs one row on one thread, so the single-core case decides: the
 * one-exp three-pass reload everywhere. The passes/bytes argument alone
 * (two-pass only far beyond L2, e.g. >= 1M elements) holds for x86 with
 * its cheaper per-element exp, not here. bench/ on hardware decides.
 * Log-softmax: the online form runs exactly the three-pass kernels (rmax,
 * raddexp, vsubc) with x read once less from memory, so it cannot lose
 * much once x leaves the caches; on both x86 tables it won from there
 * (scalar from 256K floats, avx2 once a call's x and y fill the LLC).
 * Provisionally, as on avx2, beyond the LLC here. */
#define FSM_TABLE_ISA neon
#define FSM_TABLE_ISA_ENUM FSM_ISA_NEON
#define FSM_TABLE_PARENT FSM_ISA_SCALAR
#define FSM_TABLE_CPU_FEATURES FSM_CPU_NEON
#define FSM_TABLE_LOG_SOFTMAX_AUTO {0, FSM_ALGORITHM_ONLINE, 1}
#define FSM_TABLE_F16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#define FSM_TABLE_BF16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
/* AUTO: rows of up to 32 floats (8 vectors, the kernel's unrolled cases)
 * in softmax_short; not measured on NEON hardware (qemu only) */
#define FSM_TABLE_SHORT_COLS 32
#include "../kernel_table.inc"

/* The AArch64 Advanced SIMD table.
 *
 * AUTO's crossover to the two-pass algorithm, reasoned without hardware
 * (bench/README-neon.md): two-pass moves 12 B/element but evaluates exp
 * twice; three-pass reload moves 20 B/element with one exp. The NEON exp
 * costs ~4.6 instructions/element (raddstoreexp) and ~5.3 + ~3.6 for the
 * two two-pass kernels, so two-pass does roughly twice the arithmetic and
 * only pays off once the row is streamed from DRAM: three-pass reload's
 * second and third passes hit L2 while 3 row copies (x, y) fit, i.e. up to
 * ~1 MiB L2 (Neoverse N1/V1: 1 MiB, Cortex-A76: 256-512 KiB) plus a shared
 * L3/SLC of a few MiB. 1M elements (4 MiB of x, 8 MiB with y) is beyond
 * any such cache level, where bandwidth decides and two-pass's 40 % fewer
 * bytes win. Re-measure on hardware (bench/) and lower it if it pays. */
#include <stdint.h>

#define FSM_TABLE_ISA neon
#define FSM_TABLE_ISA_ENUM FSM_ISA_NEON
#define FSM_TABLE_TWO_PASS_MIN_COLS ((size_t)1 << 20)
#include "../kernel_table.inc"

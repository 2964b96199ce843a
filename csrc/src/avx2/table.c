/* The AVX2+FMA table.
 *
 * AUTO crossovers (bench/c/README.md; AMD EPYC Zen 3 at ~2.0 GHz, one core,
 * taskset -c 1 fsm_kernel_bench -i avx2 -a -s 1048576,4194304,16777216,67108864 -r 7).
 * Since the three-pass exp became table-driven (7 FMA-pipe ops per vector
 * against the two-pass's 10 + rescaling), the two-pass is compute bound
 * below the three-pass reload at every size for softmax: 0.82 vs 0.99
 * elements/ns at 4M floats, 0.77 vs 0.89 at 16M, 0.77 vs 0.91 at 64M. So
 * AUTO keeps reload. Log-softmax's three-pass reads x three times but
 * stores nothing between passes: there the two-pass wins once x + y leave
 * the 32 MiB LLC, 0.92 vs 0.88 at 4M and 0.93 vs 0.81 at 64M (in cache,
 * 1M: 1.34 vs 1.61 for the three-pass). */
#define FSM_TABLE_ISA avx2
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX2
#define FSM_TABLE_TWO_PASS_MIN_COLS SIZE_MAX
#define FSM_TABLE_LOG_TWO_PASS_MIN_COLS ((size_t)1 << 22)
#define FSM_TABLE_HAS_TRAINING_KERNELS
#include "../kernel_table.inc"

/* The AVX2+FMA table.
 *
 * AUTO crossovers (bench/c/README.md; AMD EPYC Zen 3 at ~2.0 GHz, one core,
 * taskset -c 1 fsm_kernel_bench -i avx2 -a -s 1048576,4194304,16777216,67108864 -r 7).
 * Since the three-pass exp became table-driven (7 FMA-pipe ops per vector
 * against the two-pass's 10 + rescaling), the two-pass is compute bound
 * below the three-pass reload at every size for softmax: 0.82 vs 0.99
 * elements/ns at 4M floats, 0.77 vs 0.89 at 16M, 0.77 vs 0.91 at 64M. So
 * AUTO keeps reload. Log-softmax's three-pass reads x three times but
 * stores nothing between passes: there the two-pass won once x + y left
 * the 32 MiB LLC, 0.92 vs 0.88 at 4M and 0.93 vs 0.81 at 64M (in cache,
 * 1M: 1.34 vs 1.61 for the three-pass).
 * The online algorithm (the three-pass kernels on L1 blocks, 12 B/elem),
 * Zen 1 at 3 GHz, 2026-12-01, two runs of -a -s 262144,...,67108864 -r 5:
 * log-softmax online vs three-pass vs two-pass 0.57 vs 0.48 vs 0.50
 * elements/ns at 4M, 0.53-0.58 vs 0.48 vs 0.45-0.49 at 16M, 0.58 vs
 * 0.48-0.51 vs 0.48-0.50 at 64M; in cache the three-pass leads (1M: 0.69
 * vs 0.63 with the row hot). From Python with rows cold (inputs rotating
 * through 2x the LLC, python -m fastsoftmax bench --quick): 1M online 0.63
 * vs 0.55, 4M 0.58 vs 0.51, vocab 32x128256 0.63 vs 0.58. Where the gain
 * starts follows the LLC (8 MiB on that Zen 1, 32 MiB on the Zen 3 whose
 * two-pass crossover was 4M floats): log-softmax takes online for rows
 * whose x and y fill the LLC (fsm_llc_bytes; later: calls, not rows,
 * since a matrix of in-cache rows streams too). Softmax online
 * ties reload out of cache (16M 0.45 vs 0.48, 64M 0.49-0.50 vs 0.49-0.51;
 * 4M 0.48 vs 0.45) and loses in cache: reload stays. */
#define FSM_TABLE_ISA avx2
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX2
#define FSM_TABLE_PARENT FSM_ISA_SCALAR
/* F16C: the float16 loads and stores (every AVX2 CPU has it) */
#define FSM_TABLE_CPU_FEATURES (FSM_CPU_AVX | FSM_CPU_AVX2 | FSM_CPU_FMA | FSM_CPU_F16C)
#define FSM_TABLE_LOG_SOFTMAX_AUTO {0, FSM_ALGORITHM_ONLINE, 1}
#define FSM_TABLE_F16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#define FSM_TABLE_BF16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
/* AUTO: rows of up to 64 elements in one softmax_short call per group of
 * rows (Zen 3, one thread: 8 floats 33 -> 10 ns a row, 16: 34 -> 15, 32:
 * 64 -> 27, 64: 80 -> 48; rows of 96 gained 14% more, of 128 lost 12%;
 * README "Algorithms") */
#define FSM_TABLE_SHORT_COLS 64 /* 8 vectors */
#include "../kernel_table.inc"

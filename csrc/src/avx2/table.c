/* The AVX2+FMA table.
 *
 * AUTO crossover (bench/c/README.md, AMD EPYC Zen 3 at ~2.0 GHz, one core,
 * fsm_kernel_bench -a): in cache the three-pass reload (one exp per
 * element) wins clearly, 1.40 vs 0.98 elements/ns at 256K floats; from
 * 1M floats up the two are within noise of each other, and once x + y
 * exceed the 32 MiB LLC (4M floats) the two-pass is tied or ahead (64M:
 * 0.420 vs 0.362 elements/ns, 1.16x, with the memory bus shared). Zen 3's
 * two FMA pipes make the two-pass (two exps per element) compute bound at
 * about 1 element/ns, so it cannot win by more here. */
#define FSM_TABLE_ISA avx2
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX2
#define FSM_TABLE_TWO_PASS_MIN_COLS ((size_t)1 << 22)
#include "../kernel_table.inc"

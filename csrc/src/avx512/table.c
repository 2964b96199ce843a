/* The AVX-512F table.
 *
 * AUTO crossover: NOT measured -- no AVX-512 CPU was available (the
 * development machine is a Zen 3; bench/c/README.md). Provisionally the
 * AVX2 table's measured value, 4M floats (x + y beyond a 32 MiB LLC):
 * with twice the exp throughput per instruction the two-pass should turn
 * memory bound, where its 12 bytes per element beat reload's 20, at or
 * below that length. Re-measure with fsm_kernel_bench -a on AVX-512. */
#define FSM_TABLE_ISA avx512
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX512
#define FSM_TABLE_PARENT FSM_ISA_AVX2
#define FSM_TABLE_CPU_FEATURES (FSM_CPU_AVX | FSM_CPU_AVX2 | FSM_CPU_FMA | FSM_CPU_AVX512F)
#define FSM_TABLE_SOFTMAX_AUTO {(size_t)1 << 22, FSM_ALGORITHM_TWO_PASS, 0}
#include "../kernel_table.inc"

/* The AVX-512F table. AUTO's crossover to the two-pass algorithm: see the
 * comment below and bench/README.md for the measurement. */
#define FSM_TABLE_ISA avx512
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX512
#define FSM_TABLE_TWO_PASS_MIN_COLS SIZE_MAX
#include "../kernel_table.inc"

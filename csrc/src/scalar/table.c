/* The portable table: complete, and the reference the SIMD tables are
 * tested against. Scalar code is exp-bound at every size, so AUTO keeps the
 * one-exp-per-element three-pass reload for every row length. */
#define FSM_TABLE_ISA scalar
#define FSM_TABLE_ISA_ENUM FSM_ISA_SCALAR
#define FSM_TABLE_TWO_PASS_MIN_COLS SIZE_MAX
#define FSM_TABLE_HAS_TRAINING_KERNELS 1
#include "../kernel_table.inc"

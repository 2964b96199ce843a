/* The portable table: complete, and the reference the SIMD tables are
 * tested against. Scalar code is exp-bound at every size, so AUTO keeps the
 * one-exp-per-element three-pass reload for every row length of softmax.
 * Log-softmax's online form runs the same kernels as its three-pass but
 * reads x once less; measured (Zen 1, 2026-12-01, fsm_kernel_bench -i
 * scalar -a -r 5, medians): online vs three-pass 0.36 vs 0.32 elements/ns
 * at 256K floats, 0.30 vs 0.27 at 1M, 0.29 vs 0.27 at 4M, 0.28 vs 0.27 at
 * 16M, 0.30 vs 0.27 at 64M: online from 256K. */
#define FSM_TABLE_ISA scalar
#define FSM_TABLE_ISA_ENUM FSM_ISA_SCALAR
#define FSM_TABLE_PARENT FSM_ISA_SCALAR /* the root: complete for every dtype */
#define FSM_TABLE_CPU_FEATURES 0u
#define FSM_TABLE_F64_KERNELS(X, S, C) FSM_KERNEL_LIST(X, S, C)
#define FSM_TABLE_LOG_SOFTMAX_AUTO {(size_t)1 << 18, FSM_ALGORITHM_ONLINE, 0}
#define FSM_TABLE_F16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#define FSM_TABLE_BF16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#include "../kernel_table.inc"

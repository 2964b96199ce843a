/* The avx512_bf16 table: a feature level of avx512 (AVX-512F/BW/VL/DQ +
 * AVX512_BF16). CMakeLists.txt builds avx512's kernels and vec.h again,
 * for float16 and bfloat16 only, with -mavx512bw -mavx512vl -mavx512dq
 * -mavx512bf16; vec.h then
 *   - rounds bfloat16 pairs of vectors with one vcvtne2ps2bf16 (avx512
 *     spends nine integer operations per vector), a pair holding a float32
 *     subnormal (which the instruction flushes to zero) taking avx512's
 *     integer rounding, so both levels store the same bits;
 *   - loads and stores row tails with 16-bit masks instead of a stack copy.
 * float32 runs the parent's kernels; AUTO's rules and short rows are
 * avx512's (avx512/auto.h).
 *
 * Measured natively on an AMD EPYC Zen 5 (family 26 model 2), one thread,
 * median ratio over avx512 of 9 interleaved runs: bfloat16 softmax
 * 1024x1024 1.10x, 64x4096 1.09x; log-softmax 1024x1024 1.15x, 64x4096
 * 1.18x; short rows (16384 rows) of 40 / 100 elements 2.39x / 1.88x
 * (bfloat16), 2.58x / 1.90x (float16, tails alone); float16 1024x1024
 * 1.00x. */
#define FSM_TABLE_ISA avx512_bf16
#define FSM_TABLE_ISA_ENUM FSM_ISA_AVX512_BF16
#define FSM_TABLE_PARENT FSM_ISA_AVX512
#define FSM_TABLE_CPU_FEATURES                                                                    \
  (FSM_CPU_AVX | FSM_CPU_AVX2 | FSM_CPU_FMA | FSM_CPU_F16C | FSM_CPU_AVX512F | FSM_CPU_AVX512BW | \
   FSM_CPU_AVX512VL | FSM_CPU_AVX512DQ | FSM_CPU_AVX512BF16)
#define FSM_TABLE_F32_KERNELS(X, S, C)
#define FSM_TABLE_F16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#define FSM_TABLE_BF16_KERNELS(X, S, C) FSM_HALF_KERNEL_LIST(X, S, C)
#include "../avx512/auto.h"
#include "../kernel_table.inc"

/*
 * The dtype of a translation unit compiled once per dtype (CMake passes
 * -DFSM_DTYPE_<DT>, DT one of F32, F64, F16, BF16):
 *   S       the storage type: what rows hold in memory
 *   C       the computing type: arithmetic, scalar arguments, and the
 *           intermediate exps the three-pass reload keeps
 *   FSM_DT  the kernel-name prefix (fsm_<FSM_DT>_<kernel>__<isa>)
 * float16 (IEEE binary16) and bfloat16 are stored as their uint16_t bits
 * and computed in float (FSM_DTYPE_HALF); half.h converts. Internal.
 */
#ifndef FSM_DTYPES_H
#define FSM_DTYPES_H

#include <stdint.h>

#if defined(FSM_DTYPE_F32)
#define S float
#define C float
#define FSM_DT f32
#elif defined(FSM_DTYPE_F64)
#define S double
#define C double
#define FSM_DT f64
#elif defined(FSM_DTYPE_F16)
#define S uint16_t
#define C float
#define FSM_DT f16
#define FSM_DTYPE_HALF 1
#elif defined(FSM_DTYPE_BF16)
#define S uint16_t
#define C float
#define FSM_DT bf16
#define FSM_DTYPE_HALF 1
#else
#error "compile with -DFSM_DTYPE_F32, _F64, _F16 or _BF16"
#endif

#endif /* FSM_DTYPES_H */

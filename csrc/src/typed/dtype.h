/*
 * The element type of a typed/ translation unit. Every file in typed/ is
 * compiled once per dtype (CMake: -DFSM_DTYPE_F32, -DFSM_DTYPE_F64), so the
 * drivers and public entry points are written once:
 *   S              the storage type of rows (what callers pass and get)
 *   C              the computing type: the kernels' scalar arguments and
 *                  results, and every value a driver computes (float for
 *                  the half-precision storage types)
 *   KERNELS        the resolved kernel table type for S
 *   ACTIVE_KERNELS the active table (dispatch.c)
 *   DRIVER(name)   a driver's name with its dtype prefix (fsm_f32_...)
 *   PUBLIC(name)   a public function's name (fsm_softmax_f32)
 *   EXT_NMIN, EXT_NMAX  the two-pass domain (fsm_math.h)
 *   LN2_HI         ln2's leading bits in C: N * LN2_HI is exact in the domain
 *   C_MIN          the smallest normal C
 *   SHIFT_RATIO_MAX  the Z-loss statistics' largest accepted cancellation
 *                  ratio times D (typed/training.c)
 */
#ifndef FSM_DTYPE_H
#define FSM_DTYPE_H

#include <float.h>

#include "../kernels.h"
#include "../losses.h"
#include "../rows.h"
#include "../dtypes.h" /* S, C, FSM_DTYPE_HALF */

#if defined(FSM_DTYPE_F32)
#define KERNELS fsm_f32_kernels
#define ACTIVE_KERNELS fsm_f32_active_kernels
#define DRIVER(name) fsm_f32_##name
#define PUBLIC(name) fsm_##name##_f32
#define EXT_NMIN FSM_EXT_NMIN_F32
#define EXT_NMAX FSM_EXT_NMAX_F32
#define LN2_HI FSM_LN2_HI_F32
#define C_MIN FLT_MIN
/* a float row's shifted sums are formed in double; a cancellation R with
 * R * D <= 2^28 keeps their rounding (<= D 2^-53 relative, amplified by R)
 * below 2^-25, far below float's */
#define SHIFT_RATIO_MAX 0x1p28
#elif defined(FSM_DTYPE_F64)
#define KERNELS fsm_f64_kernels
#define ACTIVE_KERNELS fsm_f64_active_kernels
#define DRIVER(name) fsm_f64_##name
#define PUBLIC(name) fsm_##name##_f64
#define EXT_NMIN FSM_EXT_NMIN_F64
#define EXT_NMAX FSM_EXT_NMAX_F64
#define LN2_HI FSM_LN2_HI_F64
#define C_MIN DBL_MIN
/* double rows: the same cancellation is of double precision itself, so
 * the Z-loss statistics are always taken again about the mean (R = 1;
 * R D <= 1 holds only for a row equal to x_c throughout) */
#define SHIFT_RATIO_MAX 1.0
#elif defined(FSM_DTYPE_HALF)
/* float16 and bfloat16: uint16_t storage, float computation (the float32
 * domain and constants) */
#if defined(FSM_DTYPE_F16)
#define KERNELS fsm_f16_kernels
#define ACTIVE_KERNELS fsm_f16_active_kernels
#define DRIVER(name) fsm_f16_##name
#define PUBLIC(name) fsm_##name##_f16
#else
#define KERNELS fsm_bf16_kernels
#define ACTIVE_KERNELS fsm_bf16_active_kernels
#define DRIVER(name) fsm_bf16_##name
#define PUBLIC(name) fsm_##name##_bf16
#endif
#define EXT_NMIN FSM_EXT_NMIN_F32
#define EXT_NMAX FSM_EXT_NMAX_F32
#define LN2_HI FSM_LN2_HI_F32
#define C_MIN FLT_MIN
#endif

/* Shared by softmax.c and training.c of one dtype (softmax.c defines them). */
fsm_algorithm DRIVER(auto_algorithm)(fsm_algorithm algorithm, fsm_auto_rule rule, size_t n, int streaming);
int DRIVER(fills_llc)(size_t rows, size_t n);
int DRIVER(in_two_pass_domain)(fsm_extsum sum);

/* typed/training.c (float32 build): the float32 rows of the integer-target
 * losses, soft-target cross-entropy and the normalised maps on a given
 * table (dx, y may be x; dx may be NULL), for the half-precision drivers
 * (typed/half_training.c), which run them on rows widened to float32. */
#if defined(FSM_DTYPE_F32) || defined(FSM_DTYPE_HALF)
double fsm_f32_row_int_loss(fsm_int_loss which, const fsm_f32_kernels *k, size_t n,
                            const float *x, size_t c, const fsm_loss_params *p, double g,
                            float *dx);
double fsm_f32_row_soft_ce(const fsm_f32_kernels *k, size_t n, const float *x,
                                      const float *t, double alpha, double g, float *dx);
void fsm_f32_row_map(const fsm_f32_kernels *k, int kind, int log_out, double eps, size_t n,
                     const float *x, float *y);
/* typed/states.c (float32 build): logsumexp of one float32 row. */
double fsm_f32_row_logsumexp(const fsm_f32_kernels *k, size_t n, const float *x, int streaming);
#endif

#endif /* FSM_DTYPE_H */

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

/* One element of S to C and back (the scalars a driver reads or writes
 * itself: a fused option's slope or sink, a saved lse, a NaN fill). */
#if defined(FSM_DTYPE_F16)
#include "../half.h"
#define S_TO_C(v) fsm_f16_to_f32(v)
#define C_TO_S(v) fsm_f32_to_f16(v)
#elif defined(FSM_DTYPE_BF16)
#include "../half.h"
#define S_TO_C(v) fsm_bf16_to_f32(v)
#define C_TO_S(v) fsm_f32_to_bf16(v)
#else
#define S_TO_C(v) ((C)(v))
#define C_TO_S(v) ((S)(v))
#endif

/* The output passes y = s exp(x - c) and y = exp(x) s 2^e: for streaming
 * calls (fills_llc: x and y fill the LLC, y is not read again soon) the
 * _nt kernels, which store whole lines non-temporally (the same values;
 * float32/float64 tables only, kernels.def FSM_STREAM_KERNEL_LIST). */
static inline void DRIVER(vscaleexp_out)(const KERNELS *k, int streaming, size_t n, const S *x,
                                         C c, C s, S *y) {
#if defined(FSM_DTYPE_HALF)
  (void)streaming;
  k->vscaleexp(n, x, c, s, y);
#else
  (streaming ? k->vscaleexp_nt : k->vscaleexp)(n, x, c, s, y);
#endif
}

static inline void DRIVER(vscaleextexp_out)(const KERNELS *k, int streaming, size_t n,
                                            const S *x, C s, C e, S *y) {
#if defined(FSM_DTYPE_HALF)
  (void)streaming;
  k->vscaleextexp(n, x, s, e, y);
#else
  (streaming ? k->vscaleextexp_nt : k->vscaleextexp)(n, x, s, e, y);
#endif
}

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
/* typed/fused.c (float32 build): one row of the fused forward pass on
 * resolved per-row operands (p; the sink logit; m of the n columns kept by
 * the causal mask; masked_zero: FSM_MASKED_ROWS_ZERO), y written whole;
 * returns the row's log-sum-exp. And one row of the fused VJPs (x: the
 * forward input, read with a soft cap only; masked: the log-softmax VJP
 * leaves z = -inf entries out). */
double fsm_f32_fused_row_core(const fsm_f32_kernels *k, fsm_algorithm algorithm, int log_out,
                              int masked_zero, size_t n, size_t m, const float *x,
                              const fsm_fuse_params *p, double sink, float *y);
void fsm_f32_vjp_ex_core(const fsm_f32_kernels *k, double scale, double softcap, int log_out,
                         int masked, size_t n, const float *out, const float *dout,
                         const float *x, float *dx);
/* typed/sampling.c (float32 build): one row of fsm_sample_f32 (the token
 * into *token) and of fsm_topk_softmax_f32 (probs may be x: written after
 * the selection), for the half-precision drivers on widened rows. */
fsm_status fsm_f32_sample_row_core(const fsm_f32_kernels *k, const fsm_sampling_params *p,
                                   size_t n, const float *x, double u, int64_t *token);
fsm_status fsm_f32_topk_row_core(const fsm_f32_kernels *k, size_t n, const float *x,
                                 size_t top, int renormalize, float *probs, int64_t *indices);
#endif

#if defined(FSM_DTYPE_HALF)
/* typed/half_training.c: `count` operands of one row (n elements each)
 * widened into consecutive float scratches of n: `stack` (count *
 * HALF_ROW_STACK floats) when they fit, else one allocation; NULL when
 * that fails. Release with row_scratch_free. */
#define HALF_ROW_STACK 4096
float *DRIVER(widen_row)(const KERNELS *kh, size_t n, size_t count, const S *const *src,
                         float *stack);
void DRIVER(row_scratch_free)(float *w, float *stack);
#endif

#endif /* FSM_DTYPE_H */

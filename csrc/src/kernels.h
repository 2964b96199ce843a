/*
 * Internal: the microkernel tables and what the kernels share. Not installed.
 */
#ifndef FSM_KERNELS_H
#define FSM_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include "fastsoftmax.h"
#include "fsm_math.h"

/* A sum held as mantissa * 2^exponent (exponent integral, or -inf for an
 * empty sum), so that sum_i exp(x_i) never overflows. */
typedef struct fsm_extsum {
  double mantissa;
  double exponent;
} fsm_extsum;

#include "kernels.def"

#define FSM_TABLE_FIELD(name, ret, params) ret (*name) params;

/* What AUTO runs for one function: the three-pass reload for rows shorter
 * than `min_cols` elements, `algorithm` from there; with `beyond_llc` set,
 * for calls whose input and output together fill the last-level cache
 * (fsm_llc_bytes) instead. Measured per ISA and function (table.c,
 * bench/c/README.md): log-softmax's three-pass reads x three times but
 * needs no second exp, so its choice differs. */
typedef struct fsm_auto_rule {
  size_t min_cols;
  fsm_algorithm algorithm;
  int beyond_llc;
} fsm_auto_rule;

/* cache.c: the last-level cache in bytes (read once; 32 MiB if unknown). */
size_t fsm_llc_bytes(void);

/* One ISA's kernels for one element type. */
typedef struct fsm_f32_kernels {
  fsm_isa isa;
  fsm_auto_rule softmax_auto;
  fsm_auto_rule log_softmax_auto;
  FSM_KERNEL_LIST(FSM_TABLE_FIELD, float)
  /* The ISA whose training kernels fill the fields below: the table's own
   * ISA if it defines FSM_TABLE_HAS_TRAINING_KERNELS, else FSM_ISA_SCALAR. */
  fsm_isa training_isa;
  FSM_TRAINING_KERNEL_LIST(FSM_TABLE_FIELD, float)
} fsm_f32_kernels;

typedef struct fsm_f64_kernels {
  fsm_isa isa;
  fsm_auto_rule softmax_auto;
  fsm_auto_rule log_softmax_auto;
  FSM_KERNEL_LIST(FSM_TABLE_FIELD, double)
  fsm_isa training_isa;
  FSM_TRAINING_KERNEL_LIST(FSM_TABLE_FIELD, double)
} fsm_f64_kernels;

/* Kernel names: fsm_<dtype>_<kernel>__<isa>. Declared for every ISA; only
 * the ISAs compiled for this architecture are defined. */
#define FSM_DECLARE_F32(name, ret, params) \
  ret FSM_KERNEL_NAME(f32, name, FSM_DECLARE_ISA) params;
#define FSM_KERNEL_NAME(dtype, name, isa) FSM_KERNEL_NAME_(dtype, name, isa)
#define FSM_KERNEL_NAME_(dtype, name, isa) fsm_##dtype##_##name##__##isa

#define FSM_DECLARE_ISA scalar
FSM_KERNEL_LIST(FSM_DECLARE_F32, float)
FSM_TRAINING_KERNEL_LIST(FSM_DECLARE_F32, float)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA avx2
FSM_KERNEL_LIST(FSM_DECLARE_F32, float)
FSM_TRAINING_KERNEL_LIST(FSM_DECLARE_F32, float)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA avx512
FSM_KERNEL_LIST(FSM_DECLARE_F32, float)
FSM_TRAINING_KERNEL_LIST(FSM_DECLARE_F32, float)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA neon
FSM_KERNEL_LIST(FSM_DECLARE_F32, float)
FSM_TRAINING_KERNEL_LIST(FSM_DECLARE_F32, float)
#undef FSM_DECLARE_ISA

#define FSM_DECLARE_F64(name, ret, params) \
  ret FSM_KERNEL_NAME(f64, name, scalar) params;
FSM_KERNEL_LIST(FSM_DECLARE_F64, double)
FSM_TRAINING_KERNEL_LIST(FSM_DECLARE_F64, double)

/* The tables (kernel_table.inc defines them, one per compiled ISA). */
extern const fsm_f32_kernels fsm_f32_kernels__scalar;
extern const fsm_f32_kernels fsm_f32_kernels__avx2;
extern const fsm_f32_kernels fsm_f32_kernels__avx512;
extern const fsm_f32_kernels fsm_f32_kernels__neon;
extern const fsm_f64_kernels fsm_f64_kernels__scalar;

/* dispatch.c: the table of `isa` if it is compiled in and the CPU supports
 * it (FSM_ISA_AUTO: the active one), else NULL. */
const fsm_f32_kernels *fsm_f32_kernels_for(fsm_isa isa);

/* The kernels the next call uses, or NULL with *status set when the
 * FASTSOFTMAX_ISA environment variable is bad. */
const fsm_f32_kernels *fsm_f32_active_kernels(fsm_status *status);

/* The names of the kernels, in table order, NULL-terminated. */
extern const char *const fsm_kernel_names[];
extern const char *const fsm_training_kernel_names[];

/* cpu_x86.c / cpu_arm.c: the best ISA the CPU and the OS support. */
fsm_isa fsm_cpu_best_isa(void);

/* 2^k for an integral k of any size (0 below 2^-1074, inf above 2^1023);
 * the normal range is built from the bits (this runs once per fold of every
 * sum kernel, so no libm call on the common path). */
static inline double fsm_exp2i(double k) {
  if (k >= -1022.0 && k <= 1023.0) {
    const uint64_t bits = (uint64_t)((int64_t)k + 1023) << 52;
    double r;
    memcpy(&r, &bits, sizeof r);
    return r;
  }
  if (k != k) return k; /* NaN: (int)k would be undefined */
  if (k > 0.0) return INFINITY;
  return k < -1100.0 ? 0.0 : ldexp(1.0, (int)k);
}

/* Adds mantissa * 2^exponent to an extended sum, rescaling exactly by
 * powers of two (merges per-lane and per-block partial sums). A NaN
 * mantissa poisons the sum; a +inf or NaN exponent (from +inf inputs, or
 * inputs beyond the two-pass domain) is kept, and the drivers treat it as
 * "outside the two-pass domain". */
static inline void fsm_extsum_add(fsm_extsum *acc, double mantissa, double exponent) {
  if (!(acc->exponent < INFINITY)) return;      /* already out of the domain */
  if (!(exponent < INFINITY)) {
    acc->exponent = exponent;
    return;
  }
  if (exponent == -INFINITY) {                  /* an empty part; NaN still poisons */
    acc->mantissa += 0.0 * mantissa;
  } else if (acc->exponent == -INFINITY) {
    acc->mantissa += mantissa;
    acc->exponent = exponent;
  } else if (exponent > acc->exponent) {
    acc->mantissa = acc->mantissa * fsm_exp2i(acc->exponent - exponent) + mantissa;
    acc->exponent = exponent;
  } else {
    acc->mantissa += mantissa * fsm_exp2i(exponent - acc->exponent);
  }
}

/* Neumaier (improved Kahan) summation: the portable float64 kernels add
 * their block totals with it, so the error does not grow with the length.
 * fsm_compensated_total: an infinite sum makes the carry inf - inf, so the
 * plain sum is the answer then. */
typedef struct fsm_compensated {
  double sum, carry;
} fsm_compensated;

static inline void fsm_compensated_add(fsm_compensated *c, double v) {
  const double t = c->sum + v;
  c->carry += fabs(c->sum) >= fabs(v) ? (c->sum - t) + v : (v - t) + c->sum;
  c->sum = t;
}

static inline double fsm_compensated_total(fsm_compensated c) {
  return isfinite(c.sum) ? c.sum + c.carry : c.sum;
}

#define FSM_EXTSUM_EMPTY ((fsm_extsum){0.0, -INFINITY})

#endif /* FSM_KERNELS_H */

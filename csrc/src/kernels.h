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

/* ---- fused softmax options: the per-row pre-transform of rfusemax
 * (generic/rfusemax.c, typed/fused.c). z = x * scale; if cap > 0, z = cap
 * tanh(z / cap); if mask, z += mask[i] (mask holds the row's storage type);
 * if slope != 0, z += slope * i + bias; if keep, z = -inf where keep[i] == 0. */
typedef struct fsm_fuse_params {
  double scale, cap;
  const void *mask;
  const unsigned char *keep;
  double slope, bias;
} fsm_fuse_params;

#include "kernels.def"

/* Every ISA the public enum names, with its kernel-name suffix. Which of
 * them a build compiles, and what each needs and falls back to, is data in
 * its folder (<isa>/table.c, an fsm_isa_desc); this list only maps names. */
#define FSM_ISA_LIST(X)                 \
  X(scalar,      FSM_ISA_SCALAR)      \
  X(avx2,        FSM_ISA_AVX2)        \
  X(avx512,      FSM_ISA_AVX512)      \
  X(neon,        FSM_ISA_NEON)        \
  X(avx512_bf16, FSM_ISA_AVX512_BF16)

/* The dtypes kernels are built for: X(suffix, storage type, computing type,
 * kernel list). A half-precision dtype is a storage type (uint16_t bits)
 * with float computation and the softmax kernels only. */
#define FSM_DTYPE_LIST(X)                               \
  X(f32,  float,    float,  FSM_KERNEL_LIST)            \
  X(f64,  double,   double, FSM_KERNEL_LIST)            \
  X(f16,  uint16_t, float,  FSM_HALF_KERNEL_LIST)       \
  X(bf16, uint16_t, float,  FSM_HALF_KERNEL_LIST)

#define FSM_TABLE_FIELD(name, ret, params) ret (*name) params;

/* The longest row softmax_short takes (kernels.def): 8 AVX-512 vectors
 * (each table sets its own limit, at most this). */
#define FSM_SHORT_COLS 128

/* Rows shorter than this many bytes are stored ordinarily by the _nt
 * kernels: a row's partial lines and the fence cost more than the write
 * traffic saved (kernels.def, FSM_STREAM_KERNEL_LIST). */
#define FSM_NT_MIN_BYTES 8192

/* How an _nt kernel splits a row of n elements of `elem` bytes at y: the
 * returned count of whole 64-byte lines' elements, stored non-temporally,
 * after *head elements up to y's first line boundary (the rest after them
 * ordinarily). 0 (and *head = n) for rows under FSM_NT_MIN_BYTES or a y
 * not aligned to its element. */
static inline size_t fsm_nt_split(size_t n, const void *y, size_t elem, size_t *head) {
  const size_t line = 64 / elem;
  if (n * elem < FSM_NT_MIN_BYTES || (uintptr_t)y % elem != 0) {
    *head = n;
    return 0;
  }
  *head = (line - ((uintptr_t)y % 64) / elem) % line;
  return (n - *head) / line * line;
}

/* What AUTO runs for one function: the three-pass reload for rows shorter
 * than `min_cols` elements, `algorithm` from there; with `beyond_llc` set,
 * for calls whose input and output together fill the last-level cache
 * (fsm_llc_bytes) instead. Measured per ISA and function (<isa>/table.c,
 * bench/c/README.md): log-softmax's three-pass reads x three times but
 * needs no second exp, so its choice differs. */
typedef struct fsm_auto_rule {
  size_t min_cols;
  fsm_algorithm algorithm;
  int beyond_llc;
} fsm_auto_rule;

/* cache.c: the last-level cache in bytes (read once; 32 MiB if unknown). */
size_t fsm_llc_bytes(void);

/* One ISA's kernels for one dtype, with the AUTO rules of that ISA. An
 * ISA's own table (fsm_isa_desc) may leave kernels NULL; the tables the
 * drivers get (fsm_<dtype>_kernels_for) are resolved: every NULL filled
 * from the parent ISA's resolved table, so every entry is callable. */
#define FSM_DECLARE_TABLE_TYPE(dt, S, C, LIST) \
  typedef struct fsm_##dt##_kernels {          \
    fsm_isa isa;                               \
    fsm_auto_rule softmax_auto;                \
    fsm_auto_rule log_softmax_auto;            \
    size_t short_cols;                         \
    LIST(FSM_TABLE_FIELD, S, C)                \
  } fsm_##dt##_kernels;
FSM_DTYPE_LIST(FSM_DECLARE_TABLE_TYPE)
#undef FSM_DECLARE_TABLE_TYPE

/* CPU and OS features an ISA may require (cpu_x86.c, cpu_arm.c). The AVX
 * bits include the OS's consent (XCR0): a feature the OS does not save on
 * context switch is absent. */
enum {
  FSM_CPU_AVX     = 1u << 0,  /* AVX, YMM state enabled */
  FSM_CPU_AVX2    = 1u << 1,
  FSM_CPU_FMA     = 1u << 2,
  FSM_CPU_F16C    = 1u << 3,
  FSM_CPU_AVX512F = 1u << 4,  /* AVX-512F, opmask and ZMM state enabled */
  FSM_CPU_AVX512BW = 1u << 5,
  FSM_CPU_AVX512BF16 = 1u << 6,
  FSM_CPU_AVX512VL = 1u << 7,
  FSM_CPU_AVX512DQ = 1u << 8,
  FSM_CPU_NEON    = 1u << 16
};

/* cpu_*.c: the features of this CPU and OS (FSM_CPU_* bits). */
uint32_t fsm_cpu_features(void);

/* One ISA, as data: what it needs, whom it falls back to, what it has.
 * Defined by <isa>/table.c through kernel_table.inc. */
typedef struct fsm_isa_desc {
  fsm_isa isa;
  const char *name;
  fsm_isa parent;         /* per-kernel fallback; scalar is its own parent */
  uint32_t cpu_features;  /* every bit required (FSM_CPU_*) */
  fsm_auto_rule softmax_auto;
  fsm_auto_rule log_softmax_auto;
  /* AUTO takes softmax_short for rows of at most this many elements (0:
   * never; at most FSM_SHORT_COLS) */
  size_t short_cols;
  const fsm_f32_kernels *f32;  /* own kernels (NULL entries: the parent's) */
  const fsm_f64_kernels *f64;  /* NULL: all the parent's */
  const fsm_f16_kernels *f16;  /* NULL: all the parent's */
  const fsm_bf16_kernels *bf16;
} fsm_isa_desc;

/* Kernel names: fsm_<dtype>_<kernel>__<isa>. Declared for every ISA and
 * dtype; a build defines those it compiles. */
#define FSM_KERNEL_NAME(dtype, name, isa) FSM_KERNEL_NAME_(dtype, name, isa)
#define FSM_KERNEL_NAME_(dtype, name, isa) fsm_##dtype##_##name##__##isa
#define FSM_DECLARE_KERNEL_F32(name, ret, params) ret FSM_KERNEL_NAME(f32, name, FSM_DECLARE_ISA) params;
#define FSM_DECLARE_KERNEL_F64(name, ret, params) ret FSM_KERNEL_NAME(f64, name, FSM_DECLARE_ISA) params;
#define FSM_DECLARE_KERNEL_F16(name, ret, params) ret FSM_KERNEL_NAME(f16, name, FSM_DECLARE_ISA) params;
#define FSM_DECLARE_KERNEL_BF16(name, ret, params) ret FSM_KERNEL_NAME(bf16, name, FSM_DECLARE_ISA) params;
#define FSM_DECLARE_ISA_KERNELS(isa, value)                     \
  FSM_KERNEL_LIST(FSM_DECLARE_KERNEL_F32, float, float)         \
  FSM_KERNEL_LIST(FSM_DECLARE_KERNEL_F64, double, double)       \
  FSM_HALF_KERNEL_LIST(FSM_DECLARE_KERNEL_F16, uint16_t, float)  \
  FSM_HALF_KERNEL_LIST(FSM_DECLARE_KERNEL_BF16, uint16_t, float) \
  extern const fsm_isa_desc fsm_isa_desc__##isa;
#define FSM_DECLARE_ISA scalar
FSM_DECLARE_ISA_KERNELS(scalar, 0)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA avx2
FSM_DECLARE_ISA_KERNELS(avx2, 0)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA avx512
FSM_DECLARE_ISA_KERNELS(avx512, 0)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA neon
FSM_DECLARE_ISA_KERNELS(neon, 0)
#undef FSM_DECLARE_ISA
#define FSM_DECLARE_ISA avx512_bf16
FSM_DECLARE_ISA_KERNELS(avx512_bf16, 0)
#undef FSM_DECLARE_ISA

/* dispatch.c, per dtype: fsm_<dt>_kernels_for, the resolved table of
 * `isa` if it is compiled in and the CPU supports it (FSM_ISA_AUTO: the
 * active one), else NULL. */
#define FSM_DECLARE_DTYPE_FUNCTIONS(dt, S, C, LIST)                     \
  const fsm_##dt##_kernels *fsm_##dt##_kernels_for(fsm_isa isa);        \
  const fsm_##dt##_kernels *fsm_##dt##_active_kernels(fsm_status *status); \
  void fsm_##dt##_resolve(fsm_##dt##_kernels *out, const fsm_##dt##_kernels *own, \
                          const fsm_##dt##_kernels *parent);
FSM_DTYPE_LIST(FSM_DECLARE_DTYPE_FUNCTIONS)
#undef FSM_DECLARE_DTYPE_FUNCTIONS

/* fsm_<dt>_active_kernels: the resolved tables the next call uses, or
 * NULL with *status set when the FASTSOFTMAX_ISA environment variable is
 * bad. */

/* The descriptor of a compiled ISA, or NULL. */
const fsm_isa_desc *fsm_isa_descriptor(fsm_isa isa);

/* fsm_<dt>_resolve, the per-kernel fallback: `out` = `own` where own has
 * a kernel, else `parent` (both may be NULL: all from the other). */

/* The names of the kernels, NULL-terminated: the softmax kernels and the
 * axis kernels, then the training kernels (the parts of FSM_KERNEL_LIST). */
extern const char *const fsm_kernel_names[];
extern const char *const fsm_training_kernel_names[];

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

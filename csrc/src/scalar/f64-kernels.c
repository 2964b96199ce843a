/*
 * The float64 table: portable C with libm's exp (about 0.5 ulp), the same
 * algorithms as float32. float64 is the precision path, not the speed path,
 * so its kernels share one file and favour clarity; sums use four double
 * accumulators.
 */
#include "../kernels.h"

#define F64_ACCS 4

static double exp_clamped(double x) { return exp(x); }  /* exp(-inf) = 0, NaN stays */

/* exp(x) = p * 2^n with p in [0.70, 1.42]; x clamped below at EXT_XMIN. */
static double extexp(double x, double *n) {
  x = x < FSM_EXT_XMIN_F64 ? FSM_EXT_XMIN_F64 : x;
  *n = nearbyint(x * FSM_LOG2E_F64);
  const double t = (x - *n * FSM_LN2_HI_F64) - *n * FSM_LN2_LO_F64;
  return exp(t);
}

double fsm_f64_rmax__scalar(size_t n, const double *x) {
  double m = -INFINITY;
  for (size_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

double fsm_f64_raddstoreexp__scalar(size_t n, const double *x, double c, double *y) {
  double acc[F64_ACCS] = {0.0};
  for (size_t i = 0; i < n; i++) {
    y[i] = exp_clamped(x[i] - c);
    acc[i % F64_ACCS] += y[i];
  }
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double fsm_f64_raddexp__scalar(size_t n, const double *x, double c) {
  double acc[F64_ACCS] = {0.0};
  for (size_t i = 0; i < n; i++) acc[i % F64_ACCS] += exp_clamped(x[i] - c);
  return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

void fsm_f64_vscaleexp__scalar(size_t n, const double *x, double c, double s, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * exp_clamped(x[i] - c);
}

void fsm_f64_vscale__scalar(size_t n, const double *x, double s, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * x[i];
}

fsm_extsum fsm_f64_raddextexp__scalar(size_t n, const double *x) {
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  for (size_t i = 0; i < n; i++) {
    double e;
    const double p = extexp(x[i], &e);
    fsm_extsum_add(&sum, p, e);
  }
  return sum;
}

void fsm_f64_vscaleextexp__scalar(size_t n, const double *x, double s, double e, double *y) {
  for (size_t i = 0; i < n; i++) {
    double k;
    const double p = extexp(x[i], &k);
    y[i] = (p * s) * fsm_exp2i(k + e);
  }
}

void fsm_f64_vsubc__scalar(size_t n, const double *x, double c_hi, double c_lo, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = (x[i] - c_hi) - c_lo;
}

#define FSM_F64_ENTRY(name, ret, params) FSM_KERNEL_NAME(f64, name, scalar),
const fsm_f64_kernels fsm_f64_kernels__scalar = {
  FSM_ISA_SCALAR,
  SIZE_MAX,
  FSM_KERNEL_LIST(FSM_F64_ENTRY, double)
};

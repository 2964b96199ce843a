/*
 * The float64 table: portable C with libm's exp (about 0.5 ulp), the same
 * algorithms as float32. float64 is the precision path, not the speed path,
 * so its kernels share one file and favour clarity. Sums: blocks of
 * F64_BLOCK in four accumulators, block totals added with Neumaier's
 * compensation, so the error does not grow with the row length.
 */
#include "../kernels.h"

#define F64_ACCS 4
#define F64_BLOCK 256

/* sum_i exp(x[i] - c), storing the terms in y when y != NULL. */
static double sum_exp(size_t n, const double *x, double c, double *y) {
  fsm_compensated total = {0.0, 0.0};
  for (size_t i = 0; i < n; i += F64_BLOCK) {
    const size_t block = n - i < F64_BLOCK ? n - i : F64_BLOCK;
    double acc[F64_ACCS] = {0.0};
    for (size_t j = 0; j < block; j++) {
      const double e = exp(x[i + j] - c);
      if (y != NULL) y[i + j] = e;
      acc[j % F64_ACCS] += e;
    }
    fsm_compensated_add(&total, (acc[0] + acc[1]) + (acc[2] + acc[3]));
  }
  return fsm_compensated_total(total);
}

/* exp(x) = p * 2^n with p in [0.70, 1.42]; x clamped below at EXT_XMIN. */
static double extexp(double x, double *n) {
  x = x < FSM_EXT_XMIN_F64 ? FSM_EXT_XMIN_F64 : x;
  *n = nearbyint(x * FSM_LOG2E_F64);
  const double t = (x - *n * FSM_LN2_HI_F64) - *n * FSM_LN2_LO_F64;
  return exp(t);
}

double fsm_f64_raddstoreexp__scalar(size_t n, const double *x, double c, double *y) {
  return sum_exp(n, x, c, y);
}

double fsm_f64_raddexp__scalar(size_t n, const double *x, double c) {
  return sum_exp(n, x, c, NULL);
}

void fsm_f64_vscaleexp__scalar(size_t n, const double *x, double c, double s, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * exp(x[i] - c);  /* exp(-inf) = 0, NaN stays */
}

void fsm_f64_vscaleexp_nt__scalar(size_t n, const double *x, double c, double s, double *y) {
  fsm_f64_vscaleexp__scalar(n, x, c, s, y);
}

fsm_extsum fsm_f64_raddextexp__scalar(size_t n, const double *x) {
  double p[F64_BLOCK], e[F64_BLOCK];
  fsm_extsum sum = FSM_EXTSUM_EMPTY;
  for (size_t i = 0; i < n; i += F64_BLOCK) {
    const size_t block = n - i < F64_BLOCK ? n - i : F64_BLOCK;
    double block_max = -INFINITY;
    for (size_t j = 0; j < block; j++) {
      p[j] = extexp(x[i + j], &e[j]);
      block_max = e[j] > block_max ? e[j] : block_max;
    }
    if (!(block_max < INFINITY)) {  /* +inf input: leaves the domain */
      fsm_extsum_add(&sum, NAN, block_max);
      continue;
    }
    fsm_compensated block_sum = {0.0, 0.0};
    for (size_t j = 0; j < block; j++) fsm_compensated_add(&block_sum, p[j] * fsm_exp2i(e[j] - block_max));
    fsm_extsum_add(&sum, fsm_compensated_total(block_sum), block_max);
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

void fsm_f64_vscaleextexp_nt__scalar(size_t n, const double *x, double s, double e, double *y) {
  fsm_f64_vscaleextexp__scalar(n, x, s, e, y);
}


/*
 * The float64 training kernels (FSM_TRAINING_KERNEL_LIST): portable C, libm
 * exp/log/log1p, sums in blocks of four lanes with Neumaier-compensated
 * block totals (the same scheme as f64-kernels.c).
 */
#include "../kernels.h"

#define F64T_BLOCK 256

static double stable(double x) { return x >= 0.0 ? x + 1.0 : 1.0 / (1.0 - x); }

/* sum_i f(i) for one of the kernels' element functions. */
enum f64t_term { TERM_X, TERM_DOT, TERM_STABLE, TERM_SHIFT, TERM_SHIFT_SQ };

static double f64t_sum(size_t n, const double *a, const double *b, double c, enum f64t_term term) {
  fsm_compensated total = {0.0, 0.0};
  for (size_t i = 0; i < n; i += F64T_BLOCK) {
    const size_t block = n - i < F64T_BLOCK ? n - i : F64T_BLOCK;
    double acc[4] = {0.0, 0.0, 0.0, 0.0};
    for (size_t j = 0; j < block; j++) {
      const double v = a[i + j];
      double t;
      switch (term) {
        case TERM_X: t = v; break;
        case TERM_DOT: t = v * b[i + j]; break;
        case TERM_STABLE: t = stable(v); break;
        case TERM_SHIFT: t = v - c; break;
        default: t = (v - c) * (v - c); break;
      }
      acc[j % 4] += t;
    }
    fsm_compensated_add(&total, (acc[0] + acc[1]) + (acc[2] + acc[3]));
  }
  return fsm_compensated_total(total);
}

double fsm_f64_rsum__scalar(size_t n, const double *x) { return f64t_sum(n, x, NULL, 0.0, TERM_X); }

double fsm_f64_rdot__scalar(size_t n, const double *a, const double *b) {
  return f64t_sum(n, a, b, 0.0, TERM_DOT);
}

void fsm_f64_rsumsq__scalar(size_t n, const double *x, double c, double *s) {
  s[0] = f64t_sum(n, x, NULL, c, TERM_SHIFT);
  s[1] = f64t_sum(n, x, NULL, c, TERM_SHIFT_SQ);
}

void fsm_f64_vsubscaleexp__scalar(size_t n, const double *a, const double *b, double s, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = b[i] - s * exp(a[i]);
}

void fsm_f64_vquadscale__scalar(size_t n, const double *x, double a, double b, double c, double s,
                                double *y) {
  for (size_t i = 0; i < n; i++) y[i] = s * ((a * x[i] + b) * x[i] + c);
}

void fsm_f64_vlogquad__scalar(size_t n, const double *x, double a, double b, double c, double k,
                              double *y) {
  for (size_t i = 0; i < n; i++) y[i] = log((a * x[i] + b) * x[i] + c) - k;
}

double fsm_f64_raddstable__scalar(size_t n, const double *x) {
  return f64t_sum(n, x, NULL, 0.0, TERM_STABLE);
}

void fsm_f64_vscalestable__scalar(size_t n, const double *x, double k, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = k * stable(x[i]);
}

void fsm_f64_vstablegrad__scalar(size_t n, const double *x, double k, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = k * (x[i] >= 0.0 ? 1.0 : stable(x[i]) * stable(x[i]));
}

void fsm_f64_vlogstable__scalar(size_t n, const double *x, double k, double *y) {
  for (size_t i = 0; i < n; i++) y[i] = (x[i] >= 0.0 ? log1p(x[i]) : -log1p(-x[i])) - k;
}

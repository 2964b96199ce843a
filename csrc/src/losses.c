/*
 * The loss math that does not depend on the element type: softplus and
 * sigmoid in their stable forms, and the spherical family's loss and
 * partials from the row statistics (q, s, x_c), shared by the dense
 * drivers (typed/training.c) and any O(d^2) caller through the public
 * fsm_spherical_loss_partials. Formulas: docs/math.md.
 */
#include <math.h>

#include "losses.h"

/* softplus(t) = log(1 + exp(t)) without overflow; NaN stays NaN. */
double fsm_softplus(double t) { return t > 0.0 ? t + log1p(exp(-t)) : log1p(exp(t)); }

/* sigmoid(t) = 1 / (1 + exp(-t)) in its two-branch stable form. */
double fsm_sigmoid(double t) {
  if (t >= 0.0) return 1.0 / (1.0 + exp(-t));
  const double e = exp(t);
  return e / (1.0 + e);  /* NaN stays NaN */
}

fsm_status fsm_check_label_smoothing(double alpha) {
  return alpha >= 0.0 && alpha <= 1.0 ? FSM_OK : FSM_INVALID_ARGUMENT;
}

fsm_status fsm_check_eps(double eps) {
  return eps >= 0.0 && eps < INFINITY ? FSM_OK : FSM_INVALID_ARGUMENT;
}

fsm_status fsm_check_z_params(double a, double b, double eps_z, size_t rows, size_t cols) {
  const int valid = a > 0.0 && a < INFINITY && isfinite(b) && eps_z >= 0.0 && eps_z < INFINITY &&
                    (rows == 0 || cols >= 3);
  return valid ? FSM_OK : FSM_INVALID_ARGUMENT;
}

fsm_status fsm_spherical_loss_partials(fsm_spherical_loss kind, size_t cols, double q_rest,
                                       double s_rest, double x_c, double p1, double p2,
                                       double p3, double *out) {
  if (out == NULL) return FSM_NULL_POINTER;
  if (cols == 0) return FSM_INVALID_ARGUMENT;
  const double d = (double)cols;
  double L, fq, fs, fc, gc;
  switch (kind) {
    case FSM_LOSS_LOG_SPHERICAL: {
      if (!(p1 >= 0.0)) return FSM_INVALID_ARGUMENT;
      const double g_c = x_c * x_c + p1, rest = q_rest + (d - 1.0) * p1, N = rest + g_c;
      L = log1p(rest / g_c);
      fq = 1.0 / N;
      fs = 0.0;
      fc = -2.0 * x_c / g_c;
      gc = -2.0 * x_c * rest / (N * g_c);
      break;
    }
    case FSM_LOSS_LOG_TAYLOR: {
      const double g_c = 0.5 * ((x_c + 1.0) * (x_c + 1.0) + 1.0);
      const double rest = (d - 1.0) + s_rest + 0.5 * q_rest, tsum = rest + g_c;
      L = log1p(rest / g_c);
      fq = 0.5 / tsum;
      fs = 1.0 / tsum;
      fc = -(1.0 + x_c) / g_c;
      gc = -(1.0 + x_c) * rest / (tsum * g_c);
      break;
    }
    case FSM_LOSS_Z: {
      const double a = p1, b = p2, eps_z = p3;
      if (!(a > 0.0) || isnan(b) || !(eps_z >= 0.0) || cols < 3) return FSM_INVALID_ARGUMENT;
      const double q = q_rest + x_c * x_c, s = s_rest + x_c, mu = s / d;
      double var = q / d - mu * mu;
      var = var > 0.0 ? var : (var <= 0.0 ? 0.0 : var);  /* clamp, NaN stays */
      const double sigma = sqrt(var + eps_z);
      if (sigma == 0.0) {  /* constant row, eps_z = 0: documented fixed point */
        L = fsm_softplus(a * b) / a;
        fq = fs = fc = gc = 0.0;
        break;
      }
      const double zc = (x_c - mu) / sigma, t = a * (b - zc), rho = fsm_sigmoid(t);
      L = fsm_softplus(t) / a;
      fc = -rho / sigma;
      fq = rho * zc / (2.0 * d * sigma * sigma);
      fs = rho * (1.0 - zc * mu / sigma) / (d * sigma);
      /* -(rho / sigma) (1 - (1 + z_c^2) / D): the x_c - mu form, no cancellation */
      gc = -(rho / sigma) * (1.0 - (1.0 + zc * zc) / d);
      break;
    }
    default:
      return FSM_INVALID_ARGUMENT;
  }
  /* an infinite target logit: log G - log g(x_c) is inf - inf (NaN) in the
   * reference arithmetic; the log1p form would return its limit 0 */
  if (kind != FSM_LOSS_Z && isinf(x_c)) L = NAN;
  out[0] = L;
  out[1] = fq;
  out[2] = fs;
  out[3] = fc;
  out[4] = gc;
  return FSM_OK;
}

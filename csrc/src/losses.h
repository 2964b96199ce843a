/*
 * Loss scalars shared by every dtype's training drivers (losses.c).
 * Internal.
 */
#ifndef FSM_LOSSES_H
#define FSM_LOSSES_H

#include "fastsoftmax.h"

#define FSM_LN2_D 0x1.62e42fefa39efp-1

/* Loss parameters of the integer-target losses. */
typedef struct fsm_loss_params {
  fsm_spherical_loss kind;
  double p1, p2, p3; /* eps; or a, b, eps_z; or label smoothing in p1 */
} fsm_loss_params;

/* The normalised maps of typed/training.c. */
enum { MAP_SPHERICAL, MAP_TAYLOR, MAP_STABLE };

/* The integer-target loss rows of typed/training.c, by family (the
 * spherical family's kind is in fsm_loss_params). */
typedef enum fsm_int_loss { FSM_INT_LOSS_CE, FSM_INT_LOSS_SPHERICAL, FSM_INT_LOSS_STABLEMAX } fsm_int_loss;

/* The loss parameters' checks, shared by every dtype's entry points:
 * FSM_OK or FSM_INVALID_ARGUMENT. label smoothing in [0, 1]; eps >= 0 and
 * finite; the Z-loss's a > 0, b, eps_z >= 0 finite and cols >= 3 (unless
 * rows == 0). */
fsm_status fsm_check_label_smoothing(double alpha);
fsm_status fsm_check_eps(double eps);
fsm_status fsm_check_z_params(double a, double b, double eps_z, size_t rows, size_t cols);

/* softplus(t) = log(1 + exp(t)) without overflow; NaN stays NaN. */
double fsm_softplus(double t);

/* sigmoid(t) = 1 / (1 + exp(-t)) in its two-branch stable form. */
double fsm_sigmoid(double t);

#endif /* FSM_LOSSES_H */

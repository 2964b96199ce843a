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

/* softplus(t) = log(1 + exp(t)) without overflow; NaN stays NaN. */
double fsm_softplus(double t);

/* sigmoid(t) = 1 / (1 + exp(-t)) in its two-branch stable form. */
double fsm_sigmoid(double t);

#endif /* FSM_LOSSES_H */

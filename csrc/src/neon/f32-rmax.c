/* rmax: max of a row. 4 vectors per iteration into 4 running maxima (one
 * FMAX each, so the loop is load-bound, not latency-bound); a partial tail
 * vector padded with -inf; FMAXV across lanes at the end. FMAX propagates
 * NaN, which the contract allows (the exp pass makes the row NaN anyway). */
#include "common.h"

float fsm_f32_rmax__neon(size_t n, const float *x) {
  float32x4_t max0_f32x4 = vdupq_n_f32(-INFINITY);
  float32x4_t max1_f32x4 = max0_f32x4, max2_f32x4 = max0_f32x4, max3_f32x4 = max0_f32x4;
  for (; n >= FSM_NEON_UNROLL; n -= FSM_NEON_UNROLL, x += FSM_NEON_UNROLL) {
    max0_f32x4 = vmaxq_f32(max0_f32x4, vld1q_f32(x + 0));
    max1_f32x4 = vmaxq_f32(max1_f32x4, vld1q_f32(x + 4));
    max2_f32x4 = vmaxq_f32(max2_f32x4, vld1q_f32(x + 8));
    max3_f32x4 = vmaxq_f32(max3_f32x4, vld1q_f32(x + 12));
  }
  for (; n >= 4; n -= 4, x += 4) max0_f32x4 = vmaxq_f32(max0_f32x4, vld1q_f32(x));
  if (n != 0) max1_f32x4 = vmaxq_f32(max1_f32x4, fsm_neon_load_partial(x, n, -INFINITY));
  max0_f32x4 = vmaxq_f32(vmaxq_f32(max0_f32x4, max1_f32x4), vmaxq_f32(max2_f32x4, max3_f32x4));
  return vmaxvq_f32(max0_f32x4);
}

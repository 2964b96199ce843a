/* raddextexp: sum exp(x) as per-lane (P, N), Dukhan & Ablavatski, with the
 * exponent rescale done once per block instead of once per vector: a
 * block's BLOCK vectors first give their exponents n = rint(x log2 e) and
 * the lane maximum N' over the block and the running N; the double-lane
 * accumulator is rescaled by 2^(N - N') once; then every vector adds p *
 * 2^(n - N') (an exact power of two built from bits) into a float block sum
 * with one FMA, folded into the double lanes at the block's end. Per
 * vector that is the extexp and four integer/float operations, against two
 * exact merges before. Zen 4, the kernel alone, elements/ns at 4K / 64K /
 * 1M: 2.12 / 2.31 / - per-vector merges, 2.42 / 3.18 / 2.49 with blocks of
 * 8 vectors (XNNPACK's p5_u64_acc2, float sums: 3.47 / 4.61 / 3.56). */
#include "vec.h"

#define BLOCK 8

/* n = rint(x log2 e) of extexp, for the block's maximum (x clamped as there). */
static inline __m256 ext_n(__m256 x) {
  x = _mm256_max_ps(_mm256_set1_ps(FSM_EXT_XMIN_F32), x);
  const __m256 biased =
      _mm256_fmadd_ps(x, _mm256_set1_ps(FSM_LOG2E_F32), _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
  return _mm256_sub_ps(biased, _mm256_set1_ps(FSM_MAGIC_BIAS_F32));
}

/* Rescales the double lanes from exponents *n to n_new (>= *n). */
static inline void rescale(fsm_avx2_extsum_f64 *s, __m256 n_new) {
  const __m256 scale = fsm_avx2_exp2_nonpositive(_mm256_sub_ps(s->n, n_new));
  s->lo = _mm256_mul_pd(s->lo, fsm_avx2_lo_pd(scale));
  s->hi = _mm256_mul_pd(s->hi, fsm_avx2_hi_pd(scale));
  s->n = n_new;
}

static inline void fold(fsm_avx2_extsum_f64 *s, __m256 block_sum) {
  s->lo = _mm256_add_pd(s->lo, fsm_avx2_lo_pd(block_sum));
  s->hi = _mm256_add_pd(s->hi, fsm_avx2_hi_pd(block_sum));
}

fsm_extsum FSM_KERNEL_NAME(FSM_DT, raddextexp, FSM_KERNEL_ISA)(size_t n, const S *x) {
  fsm_avx2_extsum_f64 sum = fsm_avx2_extsum_zero();
  size_t i = 0;
  for (; i + BLOCK * 8 <= n; i += BLOCK * 8) {
    /* n is monotonic in x, so the block's largest n is that of its largest
     * x: one max per vector and one ext_n per block (an ext_n per vector
     * was 6-7% slower, Zen 3, 4K and 64K rows; llvm-mca predicts the
     * opposite, from the second read of x, so the avx512 kernel, which
     * cannot be timed here, keeps an ext_n per vector). A NaN x is passed
     * over (x86 max returns its second operand) and reaches P through p. */
    __m256 x_max = _mm256_set1_ps(-INFINITY);
    for (int v = 0; v < BLOCK; v++) x_max = _mm256_max_ps(fsm_vload(x + i + 8 * v), x_max);
    const __m256 n_max = _mm256_max_ps(ext_n(x_max), sum.n);
    rescale(&sum, n_max);
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    for (int v = 0; v < BLOCK; v += 2) {
      __m256 e0, e1;
      const __m256 p0 = fsm_avx2_extexp(fsm_vload(x + i + 8 * v), &e0);
      const __m256 p1 = fsm_avx2_extexp(fsm_vload(x + i + 8 * v + 8), &e1);
      acc0 = _mm256_fmadd_ps(p0, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(e0, n_max)), acc0);
      acc1 = _mm256_fmadd_ps(p1, fsm_avx2_exp2_nonpositive(_mm256_sub_ps(e1, n_max)), acc1);
    }
    fold(&sum, _mm256_add_ps(acc0, acc1));
  }
  for (; i + 8 <= n; i += 8) {
    __m256 e;
    const __m256 p = fsm_avx2_extexp(fsm_vload(x + i), &e);
    fsm_avx2_extsum_add(&sum, p, e);
  }
  if (i < n) { /* lanes past the row add nothing: p = 0 at n = -inf */
    const __m256 mask = _mm256_castsi256_ps(fsm_avx2_tail_mask(n - i));
    __m256 e;
    const __m256 p = fsm_avx2_extexp(fsm_vload_tail(x + i, n - i), &e);
    fsm_avx2_extsum_add(&sum, _mm256_and_ps(p, mask),
                        _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), e, mask));
  }
  return fsm_avx2_extsum_total(sum);
}

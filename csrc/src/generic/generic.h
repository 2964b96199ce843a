/*
 * Kernels written once, over a vector vocabulary (vec.h), and compiled
 * once per ISA folder and dtype (CMake puts the ISA's folder first on the
 * include path, so "vec.h" is that ISA's, and defines FSM_KERNEL_ISA and
 * FSM_DTYPE_<DT>). Used for the elementwise passes, where the ISA's
 * instructions make no difference; exp, extexp and the reductions stay
 * hand-written in the ISA folders. Each vector is loaded before its store,
 * so an output may alias an input exactly.
 */
#ifndef FSM_GENERIC_H
#define FSM_GENERIC_H

#include "vec.h" /* and dtypes.h: S, C, FSM_DT */

#if !defined(FSM_KERNEL_ISA)
#error "generic/ kernels are compiled with -DFSM_KERNEL_ISA=<isa folder>"
#endif

/* fsm_<dtype>_<name>__<isa> */
#define FSM_GENERIC_KERNEL(name) FSM_KERNEL_NAME(FSM_DT, name, FSM_KERNEL_ISA)

/* 2 FSM_VEC_LANES outputs, for the ISAs whose vec.h has no fsm_vstore2 of
 * its own (avx2's packs a bfloat16 pair into one store) */
#if !defined(FSM_HAVE_VSTORE2)
static inline void fsm_vstore2(S *p, fsm_vf a, fsm_vf b) {
  fsm_vstore(p, a);
  fsm_vstore(p + FSM_VEC_LANES, b);
}
#endif

/* y = OP(x), `unroll` vectors per iteration (an even number: stored in
 * pairs, fsm_vstore2), then single vectors, then the masked tail. */
#define FSM_VEC_MAP1(n, x, y, unroll, OP)                                                  \
  do {                                                                                     \
    const size_t w_ = FSM_VEC_LANES;                                                       \
    size_t j_ = 0;                                                                         \
    for (; j_ + (size_t)(unroll) * w_ <= (n); j_ += (size_t)(unroll) * w_)                 \
      for (size_t v_ = 0; v_ < (size_t)(unroll); v_ += 2)                                  \
        fsm_vstore2((y) + j_ + w_ * v_, OP(fsm_vload((x) + j_ + w_ * v_)),                 \
                    OP(fsm_vload((x) + j_ + w_ * (v_ + 1))));                              \
    for (; j_ + w_ <= (n); j_ += w_) fsm_vstore((y) + j_, OP(fsm_vload((x) + j_)));        \
    if (j_ < (n)) fsm_vstore_tail((y) + j_, (n) - j_, OP(fsm_vload_tail((x) + j_, (n) - j_))); \
  } while (0)

/* y = OP(a, b), the same loop over two inputs. */
#define FSM_VEC_MAP2(n, a, b, y, unroll, OP)                                               \
  do {                                                                                     \
    const size_t w_ = FSM_VEC_LANES;                                                       \
    size_t j_ = 0;                                                                         \
    for (; j_ + (size_t)(unroll) * w_ <= (n); j_ += (size_t)(unroll) * w_)                 \
      for (size_t v_ = 0; v_ < (size_t)(unroll); v_ += 2)                                  \
        fsm_vstore2((y) + j_ + w_ * v_,                                                    \
                    OP(fsm_vload((a) + j_ + w_ * v_), fsm_vload((b) + j_ + w_ * v_)),      \
                    OP(fsm_vload((a) + j_ + w_ * (v_ + 1)),                                \
                       fsm_vload((b) + j_ + w_ * (v_ + 1))));                              \
    for (; j_ + w_ <= (n); j_ += w_)                                                       \
      fsm_vstore((y) + j_, OP(fsm_vload((a) + j_), fsm_vload((b) + j_)));                  \
    if (j_ < (n))                                                                          \
      fsm_vstore_tail((y) + j_, (n) - j_,                                                  \
                      OP(fsm_vload_tail((a) + j_, (n) - j_), fsm_vload_tail((b) + j_, (n) - j_))); \
  } while (0)

/* tanh(u) = sign(u) (1 - e) / (1 + e) with e = exp(-2|u|) <= 1, the
 * three-pass kernels' exp: no overflow anywhere, +-1 for +-inf, NaN stays
 * NaN. Absolute error about 2 ulp(1), which is what the soft cap's c tanh(z
 * / c) needs (a softmax is sensitive to absolute errors in its inputs). */
static inline fsm_vf fsm_vtanh(fsm_vf u) {
  const fsm_vf one = fsm_vset1((C)1);
  const fsm_vf neg_abs = fsm_vmin(u, fsm_vsub(fsm_vset1((C)0), u));
  const fsm_vf e = fsm_vexp_nonpositive(fsm_vadd(neg_abs, neg_abs));
  return fsm_vcopysign(fsm_vdiv(fsm_vsub(one, e), fsm_vadd(one, e)), u);
}

#endif /* FSM_GENERIC_H */

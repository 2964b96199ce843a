/* rfusemax: the fused options' first pass (typed/fused.c): y = z(x), the
 * per-row pre-transform of fsm_fuse_params (kernels.h) in the order the
 * public API documents (scale, soft cap, additive mask, ALiBi, keep mask),
 * and the max of z in the same pass, so that the softmax passes after it
 * read z from y, in cache. One body specialised for the 16 combinations of
 * the optional steps (the switch passes constants, so every variant is the
 * straight-line loop it needs); two max accumulators. */
#include "generic.h"

#if !defined(FSM_DTYPE_HALF) /* a fused-options kernel: float32 and float64 only */

static inline fsm_vf fuse_step(fsm_vf x, const S *mask, const unsigned char *keep, fsm_vf j,
                               fsm_vf scale, fsm_vf cap, fsm_vf inv_cap, fsm_vf slope,
                               fsm_vf bias, int has_cap, int has_mask, int has_alibi,
                               int has_keep, size_t rem) {
  fsm_vf z = fsm_vmul(x, scale);
  if (has_cap) z = fsm_vmul(cap, fsm_vtanh(fsm_vmul(z, inv_cap)));
  if (has_mask) z = fsm_vadd(z, rem ? fsm_vload_tail(mask, rem) : fsm_vload(mask));
  if (has_alibi) z = fsm_vadd(z, fsm_vfma(j, slope, bias));
  if (has_keep) {
    if (rem) {
      /* exactly the FSM_VEC_LANES bytes fsm_vkeep reads: a 64-byte buffer
       * was zeroed by 64-byte-aligned stores, which the fake stack of
       * ASan's use-after-return mode (gcc 12) does not align: a crash in
       * CI's ASan job on AVX-512 hardware */
      unsigned char buf[FSM_VEC_LANES] = {0};
      memcpy(buf, keep, rem);
      z = fsm_vkeep(z, buf);
    } else {
      z = fsm_vkeep(z, keep);
    }
  }
  return z;
}

static inline C fuse_body(size_t n, const S *x, const fsm_fuse_params *p, S *y, int has_cap,
                          int has_mask, int has_alibi, int has_keep) {
  const size_t w = FSM_VEC_LANES;
  const fsm_vf scale = fsm_vset1((C)p->scale);
  const fsm_vf cap = fsm_vset1((C)p->cap);
  const fsm_vf inv_cap = fsm_vset1(has_cap ? (C)(1.0 / p->cap) : (C)0);
  const fsm_vf slope = fsm_vset1((C)p->slope), bias = fsm_vset1((C)p->bias);
  const fsm_vf step = fsm_vset1((C)FSM_VEC_LANES);
  const S *mask = (const S *)p->mask;
  const unsigned char *keep = p->keep;
  C iota[FSM_VEC_LANES];
  for (size_t l = 0; l < w; l++) iota[l] = (C)l;
  fsm_vf j = fsm_vload(iota);
  fsm_vf max0 = fsm_vset1(-(C)INFINITY), max1 = max0;
  size_t i = 0;
#define STEP(off, rem)                                                                        \
  fuse_step((rem) ? fsm_vload_tail(x + (off), (rem)) : fsm_vload(x + (off)),                  \
            has_mask ? mask + (off) : NULL, has_keep ? keep + (off) : NULL, j, scale, cap,     \
            inv_cap, slope, bias, has_cap, has_mask, has_alibi, has_keep, (rem))
  for (; i + 2 * w <= n; i += 2 * w) {
    const fsm_vf z0 = STEP(i, 0);
    j = fsm_vadd(j, step);
    const fsm_vf z1 = STEP(i + w, 0);
    j = fsm_vadd(j, step);
    fsm_vstore(y + i, z0);
    fsm_vstore(y + i + w, z1);
    max0 = fsm_vmax(max0, z0);
    max1 = fsm_vmax(max1, z1);
  }
  for (; i + w <= n; i += w) {
    const fsm_vf z = STEP(i, 0);
    j = fsm_vadd(j, step);
    fsm_vstore(y + i, z);
    max0 = fsm_vmax(max0, z);
  }
  if (i < n) {
    fsm_vstore_tail(y + i, n - i, STEP(i, n - i));
    max1 = fsm_vmax(max1, fsm_vload_tail_fill(y + i, n - i, -(C)INFINITY));
  }
#undef STEP
  return fsm_vreduce_max(fsm_vmax(max0, max1));
}

C FSM_GENERIC_KERNEL(rfusemax)(size_t n, const S *x, const fsm_fuse_params *p, S *y) {
  const int flags = (p->cap > 0.0) | (p->mask != NULL) << 1 | (p->slope != 0.0) << 2 |
                    (p->keep != NULL) << 3;
  switch (flags) {
#define CASE(f) \
  case f: return fuse_body(n, x, p, y, (f) & 1, ((f) >> 1) & 1, ((f) >> 2) & 1, ((f) >> 3) & 1);
    CASE(0) CASE(1) CASE(2) CASE(3) CASE(4) CASE(5) CASE(6) CASE(7)
    CASE(8) CASE(9) CASE(10) CASE(11) CASE(12) CASE(13) CASE(14) CASE(15)
#undef CASE
    default: return -(C)INFINITY;
  }
}

#endif

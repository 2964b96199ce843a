/* The axis kernels (kernels.def, FSM_AXIS_KERNEL_LIST): softmax along an
 * axis that is not the contiguous one. The contiguous dimension supplies
 * the lanes: each lane reduces its own column, and nothing is transposed
 * or copied. The kernels sweep the tile in strips of FSM_AXIS_FOLD rows,
 * each strip across all its columns (FSM_AXIS_VECS vectors at a time,
 * then single vectors, then one masked vector for the last w %
 * FSM_VEC_LANES columns: fsm_vload_tail / fsm_vstore_tail touch nothing
 * past the tile), so that memory is read as FSM_AXIS_FOLD sequential
 * streams of whole row segments, never as a walk of a cache line or two
 * per row down a column (at a power-of-two row pitch, those lines all fall
 * in a few cache sets: the first form of these kernels, which held a
 * column block in registers down all n rows, reached 0.4-0.5x of the last
 * axis on (1024, 1024) and (4096, 4096) float32, Zen 3). The per-column
 * state between strips (maxima; double sums) stays in L1. Sums: each
 * strip's FSM_AXIS_FOLD rows are added in the vector type, then into
 * double accumulators (fsm_vsumd), so that a dominant term sees at most
 * FSM_AXIS_FOLD - 1 roundings and the error does not grow with n.
 * Built for every storage type: x and y in S (float16 / bfloat16 widened
 * in the loads, narrowed once in the stores), the per-column maxima,
 * shifts and scales in the computing type C (the _c loads). */
#include "generic.h"

#include <string.h>

#define FSM_AXIS_FOLD 4
/* caddstoreexp keeps its double sums for this many columns at a time */
#define FSM_AXIS_CHUNK 1024

/* The kernels' exp: FSM_VEXP_SETUP once per function before the first
 * FSM_VEXP. The ISA's fsm_vexp_nonpositive, unless its vec.h defines its
 * own pair (NEON: the exp's table and constants loaded into registers). */
#if !defined(FSM_VEXP)
#define FSM_VEXP_SETUP ((void)0)
#define FSM_VEXP(x) fsm_vexp_nonpositive(x)
#endif

#if defined(__GNUC__)
#define FSM_AXIS_INLINE static inline __attribute__((always_inline))
#else
#define FSM_AXIS_INLINE static inline
#endif

/* rem == 0: a whole vector; else its first rem lanes. */
FSM_AXIS_INLINE fsm_vf ld(const S *p, size_t rem) {
  return rem ? fsm_vload_tail(p, rem) : fsm_vload(p);
}

FSM_AXIS_INLINE void st(S *p, size_t rem, fsm_vf v) {
  if (rem)
    fsm_vstore_tail(p, rem, v);
  else
    fsm_vstore(p, v);
}

/* The same over the per-column arrays, in the computing type. */
FSM_AXIS_INLINE fsm_vf ld_c(const C *p, size_t rem) {
  return rem ? fsm_vload_tail_c(p, rem) : fsm_vload_c(p);
}

FSM_AXIS_INLINE void st_c(C *p, size_t rem, fsm_vf v) {
  if (rem)
    fsm_vstore_tail_c(p, rem, v);
  else
    fsm_vstore_c(p, v);
}

FSM_AXIS_INLINE void st_sum(double *p, size_t rem, fsm_vsumd s) {
  if (!rem) {
    fsm_vsumd_store(p, s);
    return;
  }
  double buf[FSM_VEC_LANES];
  fsm_vsumd_store(buf, s);
  memcpy(p, buf, rem * sizeof(double));
}

/* The column blocks of columns [j0, j1) of a tile: BLOCK(j, nv, rem)
 * handles nv vectors from column j (rem: see ld). */
#define FSM_AXIS_COLUMN_RANGE(j0, j1, BLOCK)                                    \
  do {                                                                          \
    const size_t l_ = FSM_VEC_LANES, e_ = (j1);                                 \
    size_t j_ = (j0);                                                           \
    for (; j_ + FSM_AXIS_VECS * l_ <= e_; j_ += FSM_AXIS_VECS * l_)             \
      BLOCK(j_, FSM_AXIS_VECS, 0);                                              \
    for (; j_ + l_ <= e_; j_ += l_) BLOCK(j_, 1, 0);                            \
    if (j_ < e_) BLOCK(j_, 1, e_ - j_);                                         \
  } while (0)
#define FSM_AXIS_COLUMNS(w, BLOCK) FSM_AXIS_COLUMN_RANGE(0, w, BLOCK)

#define ROW(p, i, stride) ((p) + (ptrdiff_t)(i) * (stride))

/* Software prefetch of the row segments FSM_AXIS_PREFETCH_ROWS ahead (cmax
 * from memory, and the elementwise passes): the kernels read a few KiB of
 * a row, then jump a row pitch, and the hardware prefetchers retrain at
 * every such page, so out of cache the sweeps waited on memory. Zen 5,
 * (4096, 4096) float32 axis 0, one thread: 1.5 -> 2.0 elements/ns with 8
 * rows ahead (2: 1.18x, 4: 1.23x, 16: 1.23x). A prefetch never faults:
 * addresses past the tile are harmless. */
#define FSM_AXIS_PREFETCH_ROWS 8
#if defined(__GNUC__)
/* the address p + off (elements) in integer arithmetic: past the tile it
 * points at no object, where pointer arithmetic is undefined */
#define FSM_AXIS_PREFETCH(p, off) \
  __builtin_prefetch((const void *)((uintptr_t)(p) + (uintptr_t)((off) * (ptrdiff_t)sizeof(*(p)))), 0, 3)
#else
#define FSM_AXIS_PREFETCH(p, off) ((void)0)
#endif

/* The strips of n rows: STRIP(i, g) handles rows [i, i + g). */
#define FSM_AXIS_STRIPS(n, STRIP)                                               \
  do {                                                                          \
    size_t i_ = 0;                                                              \
    for (; i_ + FSM_AXIS_FOLD <= (n); i_ += FSM_AXIS_FOLD) STRIP(i_, FSM_AXIS_FOLD); \
    if (i_ < (n)) STRIP(i_, (n) - i_);                                          \
  } while (0)

/* ---- cmax: the running maxima live in m itself */

FSM_AXIS_INLINE void cmax_block(size_t g, const S *x, ptrdiff_t xs, C *m, size_t nv, size_t rem,
                                int pf) {
  const size_t l = FSM_VEC_LANES;
  for (size_t v = 0; v < nv; v++) {
    fsm_vf a = ld_c(m + v * l, rem);
    for (size_t r = 0; r < g; r++) {
      if (pf) FSM_AXIS_PREFETCH(ROW(x, r, xs) + v * l, (ptrdiff_t)FSM_AXIS_PREFETCH_ROWS * xs);
      a = fsm_vmax(a, ld(ROW(x, r, xs) + v * l, rem));
    }
    st_c(m + v * l, rem, a);
  }
}

/* pf: prefetch (a constant in each of cmax's two calls) */
FSM_AXIS_INLINE void cmax_rows(size_t n, size_t w, const S *x, ptrdiff_t xs, C *m, int pf) {
  for (size_t j = 0; j < w; j++) m[j] = -(C)INFINITY;
#define BLOCK(j, nv, rem) cmax_block(g_, xr_ + (j), xs, m + (j), nv, rem, pf)
#define STRIP(i, g)                          \
  do {                                       \
    const size_t g_ = (g);                   \
    const S *xr_ = ROW(x, i, xs);            \
    FSM_AXIS_COLUMNS(w, BLOCK);              \
  } while (0)
  FSM_AXIS_STRIPS(n, STRIP);
#undef STRIP
#undef BLOCK
}

/* From memory the rows ahead are prefetched; in cache the prefetches only
 * compete with the loads (Zen 5, (1024, 1024) float32 axis 0: -4 %). */
void FSM_GENERIC_KERNEL(cmax)(size_t n, size_t w, const S *x, ptrdiff_t xs, C *m,
                              int from_memory) {
  if (from_memory)
    cmax_rows(n, w, x, xs, m, 1);
  else
    cmax_rows(n, w, x, xs, m, 0);
}

/* ---- the column sums: caddstoreexp (kind 0: exp(a - c), stored in y
 * unless y is NULL), csum (1: a), cdot (2: a * b) */

FSM_AXIS_INLINE fsm_vf sum_term(int kind, const S *a, const S *b, fsm_vf cv, size_t rem) {
  FSM_VEXP_SETUP;
  if (kind == 0) return FSM_VEXP(fsm_vsub(ld(a, rem), cv));
  if (kind == 1) return ld(a, rem);
  return fsm_vmul(ld(a, rem), ld(b, rem));
}

FSM_AXIS_INLINE void sums_block(int kind, size_t g, const S *a, ptrdiff_t as, const S *b,
                                ptrdiff_t bs, const C *c, C *y, ptrdiff_t ys, fsm_vsumd *sum,
                                size_t nv, size_t rem) {
  const size_t l = FSM_VEC_LANES;
  for (size_t v = 0; v < nv; v++) {
    const fsm_vf cv = kind == 0 ? ld_c(c + v * l, rem) : fsm_vset1((C)0);
    fsm_vf acc = fsm_vset1((C)0);
    for (size_t r = 0; r < g; r++) {
      const fsm_vf e = sum_term(kind, ROW(a, r, as) + v * l, kind == 2 ? ROW(b, r, bs) + v * l : NULL,
                                cv, rem);
      if (kind == 0 && y != NULL) st_c(ROW(y, r, ys) + v * l, rem, e);
      acc = fsm_vadd(acc, e);
    }
    fsm_vsumd_add(&sum[v], acc);
  }
}

FSM_AXIS_INLINE void column_sums(int kind, size_t n, size_t w, const S *a, ptrdiff_t as,
                                 const S *b, ptrdiff_t bs, const C *c, C *y, ptrdiff_t ys,
                                 double *sum) {
  const size_t l = FSM_VEC_LANES;
  fsm_vsumd acc[(FSM_AXIS_CHUNK + FSM_VEC_LANES - 1) / FSM_VEC_LANES];
  for (size_t j0 = 0; j0 < w; j0 += FSM_AXIS_CHUNK) {
    const size_t wc = w - j0 < FSM_AXIS_CHUNK ? w - j0 : FSM_AXIS_CHUNK;
    const size_t vecs = (wc + l - 1) / l;
    for (size_t v = 0; v < vecs; v++) acc[v] = fsm_vsumd_zero();
#define BLOCK(j, nv, rem)                                                                    \
  sums_block(kind, g_, ar_ + (j), as, br_ != NULL ? br_ + (j) : NULL, bs,                    \
             c != NULL ? c + j0 + (j) : NULL, yr_ != NULL ? yr_ + (j) : NULL, ys, acc + (j) / l, \
             nv, rem)
#define STRIP(i, g)                                         \
  do {                                                      \
    const size_t g_ = (g);                                  \
    const S *ar_ = ROW(a, i, as) + j0;                      \
    const S *br_ = b != NULL ? ROW(b, i, bs) + j0 : NULL;   \
    C *yr_ = y != NULL ? ROW(y, i, ys) + j0 : NULL;         \
    FSM_AXIS_COLUMNS(wc, BLOCK);                            \
  } while (0)
    FSM_AXIS_STRIPS(n, STRIP);
#undef STRIP
#undef BLOCK
    for (size_t v = 0; v < vecs; v++) st_sum(sum + j0 + v * l, wc - v * l < l ? wc - v * l : 0, acc[v]);
  }
}

void FSM_GENERIC_KERNEL(caddstoreexp)(size_t n, size_t w, const S *x, ptrdiff_t xs, const C *c,
                                      C *y, ptrdiff_t ys, double *sum) {
  column_sums(0, n, w, x, xs, NULL, 0, c, y, ys, sum);
}

void FSM_GENERIC_KERNEL(csum)(size_t n, size_t w, const S *x, ptrdiff_t xs, double *sum) {
  column_sums(1, n, w, x, xs, NULL, 0, NULL, NULL, 0, sum);
}

void FSM_GENERIC_KERNEL(cdot)(size_t n, size_t w, const S *a, ptrdiff_t as, const S *b,
                              ptrdiff_t bs, double *sum) {
  column_sums(2, n, w, a, as, b, bs, NULL, NULL, 0, sum);
}

/* ---- the elementwise passes: row by row, each row across its columns.
 * kind: MAP_SCALEEXP y = s exp(a - c), MAP_SCALE y = s ac (ac: the
 * reload's exps, in the computing type), MAP_SUBC y = (a
 * - c) - s, and for the VJPs, over two inputs, MAP_SUBMUL y = a (b - s),
 * MAP_SUBSCALEEXP y = b - s exp(a). Operands a kind does not use are NULL
 * and never offset. */

enum { MAP_SCALEEXP, MAP_SCALE, MAP_SUBC, MAP_SUBMUL, MAP_SUBSCALEEXP };

/* Non-temporal stores of the elementwise passes' output (x86, float32):
 * from memory, each row segment's whole 64-byte lines of y go around the
 * caches, as the _nt row kernels' (x86_stream.h): no read for ownership,
 * and the output does not evict the tile that the three-pass forms read
 * again from the last-level cache. (4096, 4096) float32 axis 0, Zen 4,
 * one thread, elements/ns: recompute 0.81-0.89 -> 1.21-1.41, online
 * 0.89-0.94 -> 1.04-1.17. Not the reload's cscale, which writes the lines
 * of y it has just read (they are in cache; streamed, (64, 1024, 128)
 * axis 1 ran 0.83-0.97 -> 0.80). Half storage stores ordinarily (no _nt
 * kernels, x86_stream.h). */
#if defined(FSM_X86_STREAM_H) && !defined(FSM_DTYPE_HALF)
#define FSM_AXIS_STREAM 1
/* the columns [*head, *head + body) of a row segment whose y lines are
 * whole; the rest is stored ordinarily */
FSM_AXIS_INLINE size_t nt_split(size_t w, const S *y, size_t *head) {
  const size_t line = 64 / sizeof(S);
  *head = (line - ((uintptr_t)y % 64) / sizeof(S)) % line;
  if ((uintptr_t)y % sizeof(S) != 0 || *head >= w) {
    *head = w;
    return 0;
  }
  return (w - *head) / line * line;
}
#else
#define FSM_AXIS_STREAM 0
#endif

/* stream: whole aligned vectors only (rem == 0), stored non-temporally */
FSM_AXIS_INLINE void st_map(S *p, size_t rem, fsm_vf v, int stream) {
#if FSM_AXIS_STREAM
  if (stream) {
    fsm_vstore_stream(p, v, 1);
    return;
  }
#else
  (void)stream;
#endif
  st(p, rem, v);
}

FSM_AXIS_INLINE void map_block(int kind, const S *a, const C *ac, ptrdiff_t pf, int prefetch,
                               const S *b, const C *c, const C *s, S *y, size_t nv, size_t rem,
                               int stream) {
  FSM_VEXP_SETUP;
  const size_t l = FSM_VEC_LANES;
  for (size_t v = 0; v < nv; v++) {
    const size_t o = v * l;
    if (prefetch) {
      if (kind == MAP_SCALE)
        FSM_AXIS_PREFETCH(ac + o, pf);
      else
        FSM_AXIS_PREFETCH(a + o, pf);
    }
    fsm_vf r;
    if (kind == MAP_SCALEEXP) {
      r = fsm_vmul(ld_c(s + o, rem), FSM_VEXP(fsm_vsub(ld(a + o, rem), ld_c(c + o, rem))));
    } else if (kind == MAP_SCALE) {
      r = fsm_vmul(ld_c(s + o, rem), ld_c(ac + o, rem));
    } else if (kind == MAP_SUBC) {
      r = fsm_vsub(fsm_vsub(ld(a + o, rem), ld_c(c + o, rem)), ld_c(s + o, rem));
    } else {
      const fsm_vf av = ld(a + o, rem), bv = ld(b + o, rem), sv = ld_c(s + o, rem);
      r = kind == MAP_SUBMUL ? fsm_vmul(av, fsm_vsub(bv, sv))
                             : fsm_vsub(bv, fsm_vmul(sv, FSM_VEXP(av)));
    }
    st_map(y + o, rem, r, stream);
  }
}

/* a (in S), or for MAP_SCALE ac (in C; a is NULL): the first input */
FSM_AXIS_INLINE void column_map(int kind, size_t n, size_t w, const S *a, const C *ac,
                                ptrdiff_t as, const S *b, ptrdiff_t bs, const C *c, const C *s,
                                S *y, ptrdiff_t ys, int prefetch) {
  const ptrdiff_t pf = (ptrdiff_t)FSM_AXIS_PREFETCH_ROWS * as; /* the first input's rows ahead */
  for (size_t i = 0; i < n; i++) {
    const S *ar = kind == MAP_SCALE ? NULL : ROW(a, i, as);
    const C *acr = kind == MAP_SCALE ? ROW(ac, i, as) : NULL;
    S *yr = ROW(y, i, ys);
    const S *br = kind >= MAP_SUBMUL ? ROW(b, i, bs) : NULL;
#define MAP(j, nv, rem, stream)                                                              \
  map_block(kind, ar != NULL ? ar + (j) : NULL, acr != NULL ? acr + (j) : NULL, pf, prefetch,  \
            kind >= MAP_SUBMUL ? br + (j) : NULL,                                            \
            kind == MAP_SCALEEXP || kind == MAP_SUBC ? c + (j) : NULL, s + (j), yr + (j), nv, rem, \
            stream)
#define BLOCK(j, nv, rem) MAP(j, nv, rem, 0)
#define BLOCK_NT(j, nv, rem) MAP(j, nv, rem, 1)
#if FSM_AXIS_STREAM
    if (prefetch && kind != MAP_SCALE) { /* the reload's y: just read, in cache */
      size_t head;
      const size_t body = nt_split(w, yr, &head);
      FSM_AXIS_COLUMN_RANGE(0, head, BLOCK);
      FSM_AXIS_COLUMN_RANGE(head, head + body, BLOCK_NT);
      FSM_AXIS_COLUMN_RANGE(head + body, w, BLOCK);
      continue;
    }
#endif
    FSM_AXIS_COLUMNS(w, BLOCK);
#undef BLOCK_NT
#undef BLOCK
#undef MAP
  }
#if FSM_AXIS_STREAM
  if (prefetch && kind != MAP_SCALE) _mm_sfence(); /* the streamed lines before the call returns */
#endif
}

/* from_memory: prefetch, and stream the output (one specialisation each;
 * in cache the prefetches only compete with the loads) */
#define FSM_COLUMN_MAP(...)            \
  do {                                 \
    if (from_memory)                   \
      column_map(__VA_ARGS__, 1);      \
    else                               \
      column_map(__VA_ARGS__, 0);      \
  } while (0)

void FSM_GENERIC_KERNEL(cscaleexp)(size_t n, size_t w, const S *x, ptrdiff_t xs, const C *c,
                                   const C *s, S *y, ptrdiff_t ys, int from_memory) {
  FSM_COLUMN_MAP(MAP_SCALEEXP, n, w, x, NULL, xs, NULL, 0, c, s, y, ys);
}

void FSM_GENERIC_KERNEL(cscale)(size_t n, size_t w, const C *x, ptrdiff_t xs, const C *s, S *y,
                                ptrdiff_t ys, int from_memory) {
  FSM_COLUMN_MAP(MAP_SCALE, n, w, NULL, x, xs, NULL, 0, NULL, s, y, ys);
}

void FSM_GENERIC_KERNEL(csubc)(size_t n, size_t w, const S *x, ptrdiff_t xs, const C *hi,
                               const C *lo, S *y, ptrdiff_t ys, int from_memory) {
  FSM_COLUMN_MAP(MAP_SUBC, n, w, x, NULL, xs, NULL, 0, hi, lo, y, ys);
}

void FSM_GENERIC_KERNEL(csubmul)(size_t n, size_t w, const S *a, ptrdiff_t as, const S *b,
                                 ptrdiff_t bs, const C *s, S *y, ptrdiff_t ys, int from_memory) {
  FSM_COLUMN_MAP(MAP_SUBMUL, n, w, a, NULL, as, b, bs, NULL, s, y, ys);
}

void FSM_GENERIC_KERNEL(csubscaleexp)(size_t n, size_t w, const S *a, ptrdiff_t as, const S *b,
                                      ptrdiff_t bs, const C *s, S *y, ptrdiff_t ys,
                                      int from_memory) {
  FSM_COLUMN_MAP(MAP_SUBSCALEEXP, n, w, a, NULL, as, b, bs, NULL, s, y, ys);
}

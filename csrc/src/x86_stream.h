/*
 * Stores of the _nt kernels on x86 (avx2, avx512; kernels.def,
 * FSM_STREAM_KERNEL_LIST), included at the end of avx2/vec.h and
 * avx512/vec.h, which define fsm_vf, fsm_vstore (fsm_vstore2 where
 * FSM_HAVE_VSTORE2) and FSM_X86_VSTREAM (vmovntps of one vector).
 *
 * A row's whole 64-byte lines of y go around the caches (no read for
 * ownership: the output of a call whose x and y fill the last-level cache
 * is not read again soon), the partial lines at either end and rows under
 * FSM_NT_MIN_BYTES are stored ordinarily, then one sfence orders the
 * streamed stores before the call returns. A line written partly by each
 * kind of store costs a read-modify-write in DRAM (256-float rows at
 * NumPy's 16-byte alignment ran at half speed that way).
 */
#ifndef FSM_X86_STREAM_H
#define FSM_X86_STREAM_H

#include <immintrin.h>

#include "kernels.h"

/* y = v; with stream set, non-temporally (y aligned to the vector). Half
 * storage stores ordinarily: the half tables have no _nt kernels. */
static inline void fsm_vstore_stream(S *y, fsm_vf v, int stream) {
#if defined(FSM_DTYPE_HALF)
  (void)stream;
  fsm_vstore(y, v);
#else
  if (stream) {
    FSM_X86_VSTREAM(y, v);
  } else {
    fsm_vstore(y, v);
  }
#endif
}

/* two vectors: half storage rounds them together where vec.h can
 * (fsm_vstore2: one vcvtne2ps2bf16 and one subnormal test on avx512_bf16) */
static inline void fsm_vstore2_stream(S *y, fsm_vf a, fsm_vf b, int stream) {
#if defined(FSM_HAVE_VSTORE2)
  (void)stream;
  fsm_vstore2(y, a, b);
#else
  fsm_vstore_stream(y, a, stream);
  fsm_vstore_stream(y + FSM_VEC_LANES, b, stream);
#endif
}

/* row(len, x, y, stream, args...): a kernel's loop storing through
 * fsm_vstore_stream, called on the row's three parts (fsm_nt_split) */
#define FSM_X86_NT_ROW(row, n, x, y, ...)                                                  \
  do {                                                                                   \
    size_t head_;                                                                        \
    const size_t body_ = fsm_nt_split((n), (y), sizeof *(y), &head_);                    \
    row(head_, (x), (y), 0, __VA_ARGS__);                                                \
    row(body_, (x) + head_, (y) + head_, 1, __VA_ARGS__);                                \
    row((n) - head_ - body_, (x) + head_ + body_, (y) + head_ + body_, 0, __VA_ARGS__);  \
    if (body_ != 0) _mm_sfence();                                                        \
  } while (0)

#endif /* FSM_X86_STREAM_H */

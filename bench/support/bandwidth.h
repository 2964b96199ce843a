/*
 * Internal benchmark helpers: the memory-bandwidth ceiling that bench/ and
 * `python -m fastsoftmax bench` compare the softmax kernels against, measured
 * in the same run by the project's own code. Not part of the C library:
 * compiled only into the private Python module fastsoftmax._core (as
 * _core.bandwidth_*) and into the C benchmarks of bench/c.
 */
#ifndef FSM_BANDWIDTH_H
#define FSM_BANDWIDTH_H

#include <stddef.h>

/* Each runs `reps` timed passes (after one untimed warm-up pass) over n
 * floats and returns the median bandwidth in GB/s (1e9 bytes/s), counting
 * the bytes the pass reads plus the bytes it writes:
 *   read   sum of x                      4n bytes
 *   copy   y = x * one (one == 1.0f)     8n bytes; plain stores, no
 *          non-temporal tricks, like the kernels' stores
 *   scale  x = x * s in place            8n bytes
 * Returns a negative value if n == 0, reps == 0 or memory is short. The
 * arguments are runtime values so that no compiler turns the copy into a
 * memcpy call (glibc's memcpy streams large copies, which the kernels
 * don't). *sink receives a value that depends on every element read, so the
 * passes cannot be optimised away. */
double fsm_bench_read_f32(size_t n, const float *x, size_t reps, float *sink);
double fsm_bench_copy_f32(size_t n, const float *x, float one, float *y, size_t reps);
double fsm_bench_scale_f32(size_t n, float *x, float s, size_t reps);

#endif

/*
 * The library's threads (threads.c): a small persistent pool that only the
 * row executor (rows.c) and the chunked long-row drivers use. Internal.
 *
 * Results never depend on the number of threads: work is cut into tasks by
 * the data's shape alone, every task computes the same bits whichever
 * thread runs it, and partial states are merged in task order by the
 * caller. Threads only decide who runs which task.
 */
#ifndef FSM_THREADS_H
#define FSM_THREADS_H

#include <stddef.h>

/* Calls whose work (elements) is below this stay on the calling thread.
 * Measured (Zen 4, 2 threads vs 1, softmax from Python, medians; with this
 * threshold at 1K): 4K-8K elements 0.96-1.09x, 16K 1.20-1.48x, 32K
 * 1.35-1.66x, 64K 1.36-1.82x, 256K 1.78-1.88x (bench/README.md). */
#define FSM_PARALLEL_MIN_ELEMENTS ((size_t)1 << 14)

/* task(ctx, i) for every i in [0, n_tasks), in any order, on up to
 * fsm_threads_wanted() threads (the caller included). Runs everything on
 * the calling thread when one thread is wanted, when n_tasks < 2, when
 * called from inside a task, or when the pool is serving another call
 * (no oversubscription: concurrent callers each get their own thread). */
void fsm_parallel_for(size_t n_tasks, void (*task)(void *ctx, size_t i), void *ctx);

/* The number of threads a call may use (fsm_get_num_threads). */
size_t fsm_threads_wanted(void);

#endif /* FSM_THREADS_H */

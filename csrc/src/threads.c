/*
 * The thread pool (threads.h) and the thread-count setting.
 *
 * Why our own pool and not OpenMP: the library is linked into processes
 * that already carry an OpenMP runtime or two (torch's libgomp, NumPy's
 * OpenBLAS, a conda libomp); a second runtime in one process oversubscribes
 * the cores or clashes outright, and OpenMP gives no control over what
 * happens when several Python threads call in at once. The pool is
 * persistent POSIX threads: started at the first parallel call, reused,
 * rebuilt in a forked child (the parent's workers do not exist there), and
 * joined at unload. One call at a time uses it; a concurrent caller runs
 * its own work on its own thread, so N Python threads never start N x
 * threads. docs/architecture.md explains the choice.
 */
#if !defined(_GNU_SOURCE)
#define _GNU_SOURCE 1 /* sched_getaffinity, CPU_COUNT */
#endif
#include "threads.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fastsoftmax.h"

#define FSM_MAX_THREADS 256

/* ---------------------------------------------------------------- count */

static size_t g_threads; /* 0: not chosen yet (atomic) */

#if defined(__linux__)
#include <sched.h>
#include <unistd.h>

/* The CPUs this process may run on, bounded by a cgroup v2 CPU quota
 * ("quota period" in cpu.max): a container limited to 2 CPUs of a
 * 64-CPU host gets 2. */
static size_t default_threads(void) {
  size_t n = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    const int c = CPU_COUNT(&set);
    n = c > 0 ? (size_t)c : 1;
  } else {
    const long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? (size_t)c : 1;
  }
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (f != NULL) {
    char quota[32];
    unsigned long long period = 0;
    if (fscanf(f, "%31s %llu", quota, &period) == 2 && period > 0 && quota[0] != 'm') {
      const unsigned long long q = strtoull(quota, NULL, 10);
      const size_t cpus = (size_t)((q + period - 1) / period);
      if (cpus >= 1 && cpus < n) n = cpus;
    }
    fclose(f);
  }
  return n;
}
#else
static size_t default_threads(void) { return 1; }
#endif

/* FASTSOFTMAX_NUM_THREADS (a positive integer) or the CPUs we may use. */
static size_t initial_threads(void) {
  const char *env = getenv("FASTSOFTMAX_NUM_THREADS");
  if (env != NULL && env[0] != '\0') {
    char *end;
    const unsigned long long v = strtoull(env, &end, 10);
    if (*end == '\0' && v >= 1) return v > FSM_MAX_THREADS ? FSM_MAX_THREADS : (size_t)v;
  }
  const size_t n = default_threads();
  return n > FSM_MAX_THREADS ? FSM_MAX_THREADS : n;
}

size_t fsm_threads_wanted(void) {
  size_t n = __atomic_load_n(&g_threads, __ATOMIC_ACQUIRE);
  if (n == 0) {
    n = initial_threads();
    __atomic_store_n(&g_threads, n, __ATOMIC_RELEASE);
  }
  return n;
}

size_t fsm_get_num_threads(void) { return fsm_threads_wanted(); }

fsm_status fsm_set_num_threads(size_t n) {
  if (n > FSM_MAX_THREADS) return FSM_INVALID_ARGUMENT;
  __atomic_store_n(&g_threads, n == 0 ? initial_threads() : n, __ATOMIC_RELEASE);
  return FSM_OK;
}

/* ---------------------------------------------------------------- pool */

static __thread int t_in_task; /* this thread is running a task */

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <sched.h>

/* A job: task(ctx, i) for i < g_n_tasks. Tasks are claimed one at a time
 * through g_claim, whose high 32 bits are the job's generation and low 32
 * bits the next index: a claim is a compare-and-swap that fails once the
 * job has moved on, so a worker that wakes late can never run a task of a
 * finished job, and the caller waits for the tasks (g_done), never for a
 * worker to wake: on a busy machine the caller runs them all itself. */
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_wake = PTHREAD_COND_INITIALIZER;
static pthread_t g_workers[FSM_MAX_THREADS];
/* the generation before the job a worker was started for: it must see
 * that job's generation as new (it takes the lock only after the caller
 * has published the job) */
static uint32_t g_start_generation[FSM_MAX_THREADS];
static size_t g_started;        /* workers running */
static int g_busy;              /* a call is using the pool */
static int g_quit;              /* unloading: workers leave */
static uint32_t g_generation;   /* the current job's (atomic) */
static size_t g_participants;   /* workers 0 .. g_participants-1 join the job */
static uint64_t g_claim;        /* generation << 32 | next task index (atomic) */
static size_t g_done;           /* tasks of the current job finished (atomic) */
static void (*g_task)(void *, size_t);
static void *g_ctx;
static size_t g_n_tasks;

/* Spin this many times (a few tens of microseconds) for the next job or
 * for the tasks to finish, before sleeping: back-to-back calls (the rows of
 * a model's layers) then skip the wake-up latency. */
#define FSM_SPIN 20000

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/* Claims and runs tasks of job `generation` until none is left. */
static void run_job(uint32_t generation) {
  t_in_task = 1;
  for (;;) {
    uint64_t word = __atomic_load_n(&g_claim, __ATOMIC_ACQUIRE);
    if ((uint32_t)(word >> 32) != generation) break;
    /* read the job before claiming: a successful claim proves it was this
     * job's (the caller publishes the next job only once every task of
     * this one is done, and then this claim could not succeed). A late
     * worker may read while the caller writes the next job: atomic
     * accesses, else a data race (ThreadSanitizer, .ci/robustness.sh) */
    void (*task)(void *, size_t) = __atomic_load_n(&g_task, __ATOMIC_RELAXED);
    void *ctx = __atomic_load_n(&g_ctx, __ATOMIC_RELAXED);
    const size_t n = __atomic_load_n(&g_n_tasks, __ATOMIC_RELAXED);
    const size_t i = (size_t)(word & 0xFFFFFFFFu);
    if (i >= n) break;
    if (!__atomic_compare_exchange_n(&g_claim, &word, word + 1, 0, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
      continue;
    task(ctx, i);
    __atomic_add_fetch(&g_done, 1, __ATOMIC_RELEASE);
  }
  t_in_task = 0;
}

static void *worker_main(void *arg) {
  const size_t id = (size_t)(uintptr_t)arg;
  pthread_mutex_lock(&g_lock);
  uint32_t seen = g_start_generation[id];
  for (;;) {
    pthread_mutex_unlock(&g_lock);
    for (int i = 0; i < FSM_SPIN && __atomic_load_n(&g_generation, __ATOMIC_ACQUIRE) == seen &&
                    !__atomic_load_n(&g_quit, __ATOMIC_ACQUIRE); i++)
      cpu_relax();
    pthread_mutex_lock(&g_lock);
    while (!g_quit && g_generation == seen) pthread_cond_wait(&g_wake, &g_lock);
    if (g_quit) break;
    seen = g_generation;
    if (id >= g_participants) continue;
    pthread_mutex_unlock(&g_lock);
    run_job(seen);
    pthread_mutex_lock(&g_lock);
  }
  pthread_mutex_unlock(&g_lock);
  return NULL;
}

/* fork: the child has none of the parent's workers; start afresh. */
static void atfork_prepare(void) { pthread_mutex_lock(&g_lock); }
static void atfork_parent(void) { pthread_mutex_unlock(&g_lock); }
static void atfork_child(void) {
  pthread_mutex_init(&g_lock, NULL);
  pthread_cond_init(&g_wake, NULL);
  g_started = 0;
  g_busy = 0;
  g_participants = 0;
}
static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;
static void register_atfork(void) { pthread_atfork(atfork_prepare, atfork_parent, atfork_child); }

/* Joined when the library is unloaded or the process exits normally. */
__attribute__((destructor)) static void stop_workers(void) {
  pthread_mutex_lock(&g_lock);
  const size_t started = g_started;
  __atomic_store_n(&g_quit, 1, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&g_wake);
  pthread_mutex_unlock(&g_lock);
  for (size_t i = 0; i < started; i++) pthread_join(g_workers[i], NULL);
  g_started = 0;
}

static void run_alone(size_t n_tasks, void (*task)(void *ctx, size_t i), void *ctx) {
  const int nested = t_in_task;
  t_in_task = 1;
  for (size_t i = 0; i < n_tasks; i++) task(ctx, i);
  t_in_task = nested;
}

void fsm_parallel_for(size_t n_tasks, void (*task)(void *ctx, size_t i), void *ctx) {
  const size_t wanted = fsm_threads_wanted();
  if (n_tasks < 2 || wanted < 2 || t_in_task || n_tasks > 0xFFFFFFFFu) {
    run_alone(n_tasks, task, ctx);
    return;
  }
  pthread_once(&g_atfork_once, register_atfork);
  pthread_mutex_lock(&g_lock);
  if (g_busy || g_quit) { /* another call has the pool: work alone */
    pthread_mutex_unlock(&g_lock);
    run_alone(n_tasks, task, ctx);
    return;
  }
  g_busy = 1;
  size_t workers = (wanted < n_tasks ? wanted : n_tasks) - 1;
  while (g_started < workers) {
    g_start_generation[g_started] = g_generation;
    if (pthread_create(&g_workers[g_started], NULL, worker_main, (void *)(uintptr_t)g_started) != 0)
      break; /* fewer threads, same results */
    g_started++;
  }
  if (workers > g_started) workers = g_started;
  const uint32_t generation = g_generation + 1;
  __atomic_store_n(&g_task, task, __ATOMIC_RELAXED);
  __atomic_store_n(&g_ctx, ctx, __ATOMIC_RELAXED);
  __atomic_store_n(&g_n_tasks, n_tasks, __ATOMIC_RELAXED);
  g_participants = workers;
  __atomic_store_n(&g_done, 0, __ATOMIC_RELAXED);
  __atomic_store_n(&g_claim, (uint64_t)generation << 32, __ATOMIC_RELEASE);
  __atomic_store_n(&g_generation, generation, __ATOMIC_RELEASE);
  pthread_cond_broadcast(&g_wake);
  pthread_mutex_unlock(&g_lock);

  run_job(generation);
  /* every task claimed; wait for those still running on workers */
  for (unsigned spins = 0; __atomic_load_n(&g_done, __ATOMIC_ACQUIRE) < n_tasks; spins++) {
    if (spins < FSM_SPIN) cpu_relax();
    else sched_yield(); /* a worker was preempted mid-task */
  }

  pthread_mutex_lock(&g_lock);
  g_busy = 0;
  pthread_mutex_unlock(&g_lock);
}

#else /* no POSIX threads: one thread */

void fsm_parallel_for(size_t n_tasks, void (*task)(void *ctx, size_t i), void *ctx) {
  for (size_t i = 0; i < n_tasks; i++) task(ctx, i);
}

#endif

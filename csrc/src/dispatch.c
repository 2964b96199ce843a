/*
 * The one place that decides which kernel table runs.
 *
 * ISAs are data: each compiled ISA folder defines a descriptor
 * (fsm_isa_desc: name, parent, required CPU features, its own kernels;
 * <isa>/table.c). At the first call the descriptors are resolved once into
 * complete tables, kernel by kernel from the parent's, and the best ISA the
 * CPU supports is found: the supported one with the longest chain of
 * parents. The build lists the compiled folders in fsm_isas.h (CMake).
 *
 * The choice is one atomic word: the active ISA, the detected ISA, the
 * status of the FASTSOFTMAX_ISA override and an "initialised" flag. The
 * resolved tables are written once, before that word is first published;
 * concurrent first calls wait for the one thread that builds them.
 *
 * A thread may override that process-wide choice for itself
 * (fsm_set_thread_isa): a thread-local ISA, consulted first. The drivers
 * fetch the table once per call, on the calling thread, and pass it down,
 * so work the library hands to its own worker threads runs with the
 * caller's ISA.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "fsm_isas.h"

#define FSM_LIST_DESC(isa) &fsm_isa_desc__##isa,
static const fsm_isa_desc *const compiled[] = {FSM_COMPILED_ISAS(FSM_LIST_DESC)};
#define N_COMPILED (sizeof compiled / sizeof compiled[0])

#define FSM_DTYPE_TABLES(dt, S, C, LIST) static fsm_##dt##_kernels g_##dt[FSM_ISA_COUNT];
FSM_DTYPE_LIST(FSM_DTYPE_TABLES)
#undef FSM_DTYPE_TABLES
static const fsm_isa_desc *g_desc[FSM_ISA_COUNT];
static uint32_t g_features;

/* Per-kernel fallback, generated from the kernel list. */
#define FSM_RESOLVE_ENTRY(name, ret, params) \
  out->name = own != NULL && own->name != NULL ? own->name : (parent != NULL ? parent->name : NULL);
#define FSM_DTYPE_RESOLVE(dt, S, C, LIST)                                                    \
  void fsm_##dt##_resolve(fsm_##dt##_kernels *out, const fsm_##dt##_kernels *own,           \
                          const fsm_##dt##_kernels *parent) {                               \
    LIST(FSM_RESOLVE_ENTRY, S, C)                                                           \
  }
FSM_DTYPE_LIST(FSM_DTYPE_RESOLVE)
#undef FSM_DTYPE_RESOLVE

/* Resolves `isa` after its parent (chains are short and end at scalar). */
static void resolve(fsm_isa isa) {
  const fsm_isa_desc *d = g_desc[isa];
  if (d == NULL || g_f32[isa].isa == isa) return;
  const int has_parent = d->parent != isa && g_desc[d->parent] != NULL;
  if (has_parent) resolve(d->parent);
#define FSM_DTYPE_RESOLVE_ISA(dt, S, C, LIST)                                       \
  fsm_##dt##_resolve(&g_##dt[isa], d->dt, has_parent ? &g_##dt[d->parent] : NULL); \
  g_##dt[isa].softmax_auto = d->softmax_auto;                                      \
  g_##dt[isa].log_softmax_auto = d->log_softmax_auto;                              \
  g_##dt[isa].short_cols = d->short_cols;
  FSM_DTYPE_LIST(FSM_DTYPE_RESOLVE_ISA)
#undef FSM_DTYPE_RESOLVE_ISA
  /* The AUTO rules were measured on float32 and serve the half-precision
   * types too (their drivers adapt the reload, typed/softmax.c); float64 is
   * the precision path and keeps the three-pass reload at every length. */
  const fsm_auto_rule reload = {SIZE_MAX, FSM_ALGORITHM_THREE_PASS_RELOAD, 0};
  g_f64[isa].softmax_auto = reload;
  g_f64[isa].log_softmax_auto = reload;
  g_f64[isa].short_cols = 0;
  g_f64[isa].isa = isa;
  g_f16[isa].isa = isa;
  g_bf16[isa].isa = isa;
  g_f32[isa].isa = isa;
}

/* Compiled, and every feature it needs present (its parents' too). */
static int supported(fsm_isa isa) {
  if ((int)isa <= (int)FSM_ISA_AUTO || (int)isa >= FSM_ISA_COUNT || g_desc[isa] == NULL) return 0;
  const fsm_isa_desc *d = g_desc[isa];
  if ((d->cpu_features & g_features) != d->cpu_features) return 0;
  return d->parent == isa || supported(d->parent);
}

static int depth(fsm_isa isa) {
  return g_desc[isa]->parent == isa ? 0 : 1 + depth(g_desc[isa]->parent);
}

/* The supported ISA with the longest chain of parents. */
static fsm_isa best_supported(void) {
  fsm_isa best = FSM_ISA_SCALAR;
  for (int v = 0; v < FSM_ISA_COUNT; v++)
    if (supported((fsm_isa)v) && depth((fsm_isa)v) > depth(best)) best = (fsm_isa)v;
  return best;
}

#if defined(_MSC_VER)
#define FSM_THREAD_LOCAL __declspec(thread)
#else
#define FSM_THREAD_LOCAL __thread
#endif

/* The calling thread's override (fsm_set_thread_isa); FSM_ISA_AUTO: none.
 * Only ever holds a supported ISA. */
static FSM_THREAD_LOCAL fsm_isa t_isa = FSM_ISA_AUTO;

#define STATE_READY       0x80000000u
#define STATE_ACTIVE(s)   ((fsm_isa)((s) & 0xFFu))
#define STATE_DETECTED(s) ((fsm_isa)(((s) >> 8) & 0xFFu))
#define STATE_ENV(s)      ((fsm_status)(((s) >> 16) & 0xFFu))
#define STATE_MAKE(active, detected, env) \
  (STATE_READY | (uint32_t)(active) | ((uint32_t)(detected) << 8) | ((uint32_t)(env) << 16))

static uint32_t g_state;
static int g_built; /* 0: nobody, 1: building, 2: tables resolved */

static void build_tables(void) {
  int expected = 0;
  if (__atomic_compare_exchange_n(&g_built, &expected, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    g_features = fsm_cpu_features();
    for (size_t i = 0; i < N_COMPILED; i++) g_desc[compiled[i]->isa] = compiled[i];
    for (size_t i = 0; i < N_COMPILED; i++) resolve(compiled[i]->isa);
    __atomic_store_n(&g_built, 2, __ATOMIC_RELEASE);
    return;
  }
  while (__atomic_load_n(&g_built, __ATOMIC_ACQUIRE) != 2) {
  }
}

static uint32_t load_state(void) {
  uint32_t s = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
  if (s & STATE_READY) return s;
  build_tables();
  const fsm_isa detected = best_supported();
  fsm_isa active = detected;
  fsm_status env = FSM_OK;
  const char *name = getenv("FASTSOFTMAX_ISA");
  if (name != NULL && name[0] != '\0') {
    fsm_isa wanted;
    if (fsm_isa_from_name(name, &wanted) != FSM_OK) {
      env = FSM_UNKNOWN_ISA;
    } else if (wanted != FSM_ISA_AUTO && !supported(wanted)) {
      env = FSM_UNSUPPORTED_ISA;
    } else if (wanted != FSM_ISA_AUTO) {
      active = wanted;
    }
  }
  s = STATE_MAKE(active, detected, env);
  uint32_t expected = 0;
  if (!__atomic_compare_exchange_n(&g_state, &expected, s, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    s = expected;  /* another thread (or fsm_set_isa) published first */
  }
  return s;
}

/* The ISA of the calling thread: its override, else the process-wide one. */
static fsm_isa effective_isa(uint32_t s) {
  return t_isa != FSM_ISA_AUTO ? t_isa : STATE_ACTIVE(s);
}

/* fsm_<dt>_kernels_for and fsm_<dt>_active_kernels for every dtype. A
 * thread override wins over a bad FASTSOFTMAX_ISA too: that thread asked
 * for a supported ISA explicitly. */
#define FSM_DTYPE_ACCESSORS(dt, S, C, LIST)                                 \
  const fsm_##dt##_kernels *fsm_##dt##_kernels_for(fsm_isa isa) {           \
    const uint32_t s = load_state();                                        \
    if (isa == FSM_ISA_AUTO) isa = effective_isa(s);                        \
    return supported(isa) ? &g_##dt[isa] : NULL;                            \
  }                                                                         \
  const fsm_##dt##_kernels *fsm_##dt##_active_kernels(fsm_status *status) { \
    const uint32_t s = load_state();                                        \
    *status = t_isa != FSM_ISA_AUTO ? FSM_OK : STATE_ENV(s);                \
    return *status == FSM_OK ? &g_##dt[effective_isa(s)] : NULL;            \
  }
FSM_DTYPE_LIST(FSM_DTYPE_ACCESSORS)
#undef FSM_DTYPE_ACCESSORS

const fsm_isa_desc *fsm_isa_descriptor(fsm_isa isa) {
  (void)load_state();
  return (int)isa > (int)FSM_ISA_AUTO && (int)isa < FSM_ISA_COUNT ? g_desc[isa] : NULL;
}

fsm_isa fsm_active_isa(void) { return effective_isa(load_state()); }

fsm_isa fsm_detected_isa(void) { return STATE_DETECTED(load_state()); }

int fsm_isa_supported(fsm_isa isa) {
  if (fsm_isa_name(isa) == NULL) return 0;
  (void)load_state();
  return isa == FSM_ISA_AUTO || supported(isa);
}

fsm_status fsm_environment_status(void) { return STATE_ENV(load_state()); }

fsm_status fsm_set_isa(fsm_isa isa) {
  if (fsm_isa_name(isa) == NULL) return FSM_UNKNOWN_ISA;
  const fsm_isa detected = STATE_DETECTED(load_state());
  if (isa != FSM_ISA_AUTO && !supported(isa)) return FSM_UNSUPPORTED_ISA;
  const fsm_isa active = (isa == FSM_ISA_AUTO) ? detected : isa;
  __atomic_store_n(&g_state, STATE_MAKE(active, detected, FSM_OK), __ATOMIC_RELEASE);
  return FSM_OK;
}

fsm_status fsm_set_thread_isa(fsm_isa isa) {
  if (fsm_isa_name(isa) == NULL) return FSM_UNKNOWN_ISA;
  (void)load_state();
  if (isa != FSM_ISA_AUTO && !supported(isa)) return FSM_UNSUPPORTED_ISA;
  t_isa = isa;
  return FSM_OK;
}

fsm_isa fsm_thread_isa(void) { return t_isa; }

#define FSM_ISA_NAME_CASE(suffix, value) case value: return #suffix;

const char *fsm_isa_name(fsm_isa isa) {
  switch (isa) {
    case FSM_ISA_AUTO: return "auto";
    FSM_ISA_LIST(FSM_ISA_NAME_CASE)
    default: return NULL;
  }
}

fsm_status fsm_isa_from_name(const char *name, fsm_isa *isa) {
  if (name == NULL || isa == NULL) return FSM_NULL_POINTER;
  for (int v = FSM_ISA_AUTO; v < FSM_ISA_COUNT; v++) {
    const char *candidate = fsm_isa_name((fsm_isa)v);
    if (candidate != NULL && strcmp(candidate, name) == 0) {
      *isa = (fsm_isa)v;
      return FSM_OK;
    }
  }
  return FSM_UNKNOWN_ISA;
}

#define FSM_KERNEL_NAME_STRING(name, ret, params) #name,
const char *const fsm_kernel_names[] = {
    FSM_SOFTMAX_KERNEL_LIST(FSM_KERNEL_NAME_STRING, float, float)
    FSM_AXIS_KERNEL_LIST(FSM_KERNEL_NAME_STRING, float, float) NULL};
const char *const fsm_training_kernel_names[] = {
    FSM_TRAINING_KERNEL_LIST(FSM_KERNEL_NAME_STRING, float, float) NULL};

/*
 * The one place that decides which kernel table runs.
 *
 * State is one atomic word: the active ISA, the detected ISA, the status of
 * the FASTSOFTMAX_ISA override and an "initialised" flag. Detection is
 * idempotent, so concurrent first calls may both run it and publish the same
 * word; every reader sees one consistent state without a lock.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

/* Which tables this build compiled (CMake defines FSM_HAVE_<ISA>). */
static const fsm_f32_kernels *compiled_table(fsm_isa isa) {
  switch (isa) {
    case FSM_ISA_SCALAR: return &fsm_f32_kernels__scalar;
#if defined(FSM_HAVE_AVX2)
    case FSM_ISA_AVX2: return &fsm_f32_kernels__avx2;
#endif
#if defined(FSM_HAVE_AVX512)
    case FSM_ISA_AVX512: return &fsm_f32_kernels__avx512;
#endif
#if defined(FSM_HAVE_NEON)
    case FSM_ISA_NEON: return &fsm_f32_kernels__neon;
#endif
    default: return NULL;
  }
}

#define STATE_READY       0x80000000u
#define STATE_ACTIVE(s)   ((fsm_isa)((s) & 0xFFu))
#define STATE_DETECTED(s) ((fsm_isa)(((s) >> 8) & 0xFFu))
#define STATE_ENV(s)      ((fsm_status)(((s) >> 16) & 0xFFu))
#define STATE_MAKE(active, detected, env) \
  (STATE_READY | (uint32_t)(active) | ((uint32_t)(detected) << 8) | ((uint32_t)(env) << 16))

static uint32_t g_state;

/* The best compiled ISA the CPU supports: detection lowered to what exists. */
static fsm_isa best_available(void) {
  fsm_isa isa = fsm_cpu_best_isa();
  while (isa > FSM_ISA_SCALAR && compiled_table(isa) == NULL) {
    isa = (isa == FSM_ISA_NEON) ? FSM_ISA_SCALAR : (fsm_isa)(isa - 1);
  }
  return isa;
}

static int supported_given(fsm_isa isa, fsm_isa detected) {
  if (isa == FSM_ISA_AUTO || isa == FSM_ISA_SCALAR) return 1;
  if (compiled_table(isa) == NULL) return 0;
  if (detected == FSM_ISA_NEON) return isa == FSM_ISA_NEON;
  return isa != FSM_ISA_NEON && isa <= detected;
}

static uint32_t load_state(void) {
  uint32_t s = __atomic_load_n(&g_state, __ATOMIC_ACQUIRE);
  if (s & STATE_READY) return s;
  const fsm_isa detected = best_available();
  fsm_isa active = detected;
  fsm_status env = FSM_OK;
  const char *name = getenv("FASTSOFTMAX_ISA");
  if (name != NULL && name[0] != '\0') {
    fsm_isa wanted;
    if (fsm_isa_from_name(name, &wanted) != FSM_OK) {
      env = FSM_UNKNOWN_ISA;
    } else if (!supported_given(wanted, detected)) {
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

const fsm_f32_kernels *fsm_f32_kernels_for(fsm_isa isa) {
  const uint32_t s = load_state();
  if (isa == FSM_ISA_AUTO) isa = STATE_ACTIVE(s);
  if (!supported_given(isa, STATE_DETECTED(s))) return NULL;
  return compiled_table(isa);
}

const fsm_f32_kernels *fsm_f32_active_kernels(fsm_status *status) {
  const uint32_t s = load_state();
  *status = STATE_ENV(s);
  return *status == FSM_OK ? compiled_table(STATE_ACTIVE(s)) : NULL;
}

fsm_isa fsm_active_isa(void) { return STATE_ACTIVE(load_state()); }

fsm_isa fsm_detected_isa(void) { return STATE_DETECTED(load_state()); }

int fsm_isa_supported(fsm_isa isa) {
  if (fsm_isa_name(isa) == NULL) return 0;
  return supported_given(isa, STATE_DETECTED(load_state()));
}

fsm_status fsm_environment_status(void) { return STATE_ENV(load_state()); }

fsm_status fsm_set_isa(fsm_isa isa) {
  if (fsm_isa_name(isa) == NULL) return FSM_UNKNOWN_ISA;
  const fsm_isa detected = STATE_DETECTED(load_state());
  if (!supported_given(isa, detected)) return FSM_UNSUPPORTED_ISA;
  const fsm_isa active = (isa == FSM_ISA_AUTO) ? detected : isa;
  __atomic_store_n(&g_state, STATE_MAKE(active, detected, FSM_OK), __ATOMIC_RELEASE);
  return FSM_OK;
}

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
  for (int v = FSM_ISA_AUTO; v <= FSM_ISA_NEON; v++) {
    const char *candidate = fsm_isa_name((fsm_isa)v);
    if (candidate != NULL && strcmp(candidate, name) == 0) {
      *isa = (fsm_isa)v;
      return FSM_OK;
    }
  }
  return FSM_UNKNOWN_ISA;
}

#define FSM_KERNEL_NAME_STRING(name, ret, params) #name,
const char *const fsm_kernel_names[] = {FSM_KERNEL_LIST(FSM_KERNEL_NAME_STRING, float) NULL};
const char *const fsm_training_kernel_names[] = {
    FSM_TRAINING_KERNEL_LIST(FSM_KERNEL_NAME_STRING, float) NULL};

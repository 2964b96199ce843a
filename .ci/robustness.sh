#!/usr/bin/env bash
# The robustness jobs of issue 19, called by .ci/run (or on their own:
# bash .ci/robustness.sh [job ...]; jobs: asan python-asan fuzz tsan):
#
#   asan         the C tests built with AddressSanitizer + UBSan (CMake
#                preset asan-ubsan), the SIMDe-emulated avx512 kernels
#                included; qemu runs are left out (qemu-user cannot host
#                ASan's shadow memory).
#   python-asan  the Python suite on a module built with ASan + UBSan
#                (libasan preloaded into the uninstrumented interpreter;
#                leak checks off: CPython keeps its memory at exit).
#   fuzz         the libFuzzer target tests/fuzz/fuzz_softmax.c (clang,
#                ASan + UBSan) for FASTSOFTMAX_FUZZ_SECONDS (default 60) from the
#                seed corpus; on CPUs without AVX-512 the target linked with
#                the SIMDe avx512 kernels, so every ISA is fuzzed.
#   tsan         test_thread_safety (and the API tests) under
#                ThreadSanitizer.
#
# Build trees: build-ci-<job> under the repository (ignored by git).
# Exits non-zero on any failure or sanitizer report.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(asan python-asan fuzz tsan)
ncpu="$(nproc)"
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"

stamp() { echo "robustness: $1 ($(( $(date +%s) - t0 )) s)"; }

job_asan() {
  cmake --preset asan-ubsan -B build-ci-asan >/dev/null
  cmake --build build-ci-asan -j "${ncpu}" >/dev/null
  # the long-row sums are the slowest part under ASan: a shorter long row
  FSM_TEST_LONG_ROW=262144 ctest --test-dir build-ci-asan --output-on-failure -j "${ncpu}" \
    -E "qemu" --timeout 900
}

job_python_asan() {
  local venv="${root}/.venv-ci-asan"
  [ -x "${venv}/bin/python" ] || python3 -m venv "${venv}"
  "${venv}/bin/python" -m pip install --quiet --upgrade pip
  "${venv}/bin/python" -m pip install --quiet ".[test]" \
    -C cmake.define.FASTSOFTMAX_SANITIZE="address,undefined" -C build-dir=build-ci-python-asan
  # libstdc++ preloaded too: else ASan's __cxa_throw interceptor finds no
  # real __cxa_throw (the interpreter is C) and the first C++ exception aborts
  local libasan
  libasan="$(${CC:-gcc} -print-file-name=libasan.so) $(${CXX:-g++} -print-file-name=libstdc++.so)"
  # the bundled examples and install tests build against an instrumented
  # library; the benchmark-CLI tests time things (meaningless under ASan)
  LD_PRELOAD="${libasan}" ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" \
    "${venv}/bin/python" -m pytest -q -x -p no:cacheprovider tests \
    --ignore=tests/test_install.py --ignore=tests/test_bench_cli.py
}

job_fuzz() {
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if ! command -v clang >/dev/null 2>&1; then
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends clang >/dev/null
  fi
  if [ ! -f "$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]; then  # libFuzzer
    local v
    v="$(clang -dumpversion | cut -d. -f1)"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "libclang-rt-${v}-dev" >/dev/null
  fi
  local target=fsm_fuzz
  grep -qw avx512f /proc/cpuinfo 2>/dev/null || target=fsm_fuzz_avx512_emulated
  cmake --preset fuzz -B build-ci-fuzz >/dev/null
  cmake --build build-ci-fuzz -j "${ncpu}" --target "${target}" >/dev/null
  local work="build-ci-fuzz/corpus"
  mkdir -p "${work}"
  "build-ci-fuzz/tests/fuzz/${target}" -max_total_time="${FASTSOFTMAX_FUZZ_SECONDS:-60}" -seed=19 \
    -timeout=60 -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-ci-fuzz/ \
    "${work}" tests/fuzz/corpus 2>&1 | tail -n 25
  return "${PIPESTATUS[0]}"
}

job_tsan() {
  cmake --preset tsan -B build-ci-tsan >/dev/null
  cmake --build build-ci-tsan -j "${ncpu}" --target test_thread_safety test_api >/dev/null
  # TSan maps its shadow at fixed addresses; kernels with 32-bit mmap ASLR
  # entropy break that (gcc 12's runtime), so run without ASLR
  local norandom=""
  command -v setarch >/dev/null 2>&1 && norandom="setarch $(uname -m) -R"
  $norandom build-ci-tsan/tests/c/test_thread_safety
  $norandom build-ci-tsan/tests/c/test_api
}

t0=$(date +%s)
for job in "${jobs[@]}"; do
  case "${job}" in
    asan) job_asan ;;
    python-asan) job_python_asan ;;
    fuzz) job_fuzz ;;
    tsan) job_tsan ;;
    *) echo "robustness: unknown job ${job}" >&2; exit 2 ;;
  esac
  stamp "${job} passed"
done

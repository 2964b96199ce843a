#!/usr/bin/env bash
# Cross-builds the C library and tests for AArch64 (NEON table) and runs
# them under qemu-user through ctest (bench/README-neon.md#build-and-test-x86-64-host).
# Called by .ci/run;
# runs on its own too: bash .ci/cross-aarch64.sh [build-dir]
# Exits non-zero on any install, configure, build or test failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-${root}/build-ci-aarch64}"

need_install=0
for tool in aarch64-linux-gnu-gcc qemu-aarch64; do
  command -v "${tool}" >/dev/null 2>&1 || need_install=1
done
[[ -e /usr/aarch64-linux-gnu/lib/libc.so.6 ]] || need_install=1
if [[ "${need_install}" == 1 ]]; then
  sudo=""
  [[ "$(id -u)" == 0 ]] || sudo="sudo"
  ${sudo} apt-get update
  DEBIAN_FRONTEND=noninteractive ${sudo} apt-get install -y --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
fi

rm -rf "${build}"
cmake -S "${root}" -B "${build}" \
  -DCMAKE_TOOLCHAIN_FILE="${root}/cmake/toolchains/aarch64-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DFASTSOFTMAX_PYTHON=OFF -DFASTSOFTMAX_TESTS=ON
cmake --build "${build}" -j "$(nproc)"

# The NEON table must be in, and nothing x86 may be: no avx2/avx512 symbol
# defined, cpu_x86.c compiled to an empty object.
nm_defined="$(aarch64-linux-gnu-nm --defined-only "${build}/libfastsoftmax.a")"
grep -q ' fsm_isa_desc__neon$' <<<"${nm_defined}" \
  || { echo "cross-aarch64: the neon ISA descriptor is missing" >&2; exit 1; }
if grep -Eq '__(avx2|avx512|avx512_bf16)$' <<<"${nm_defined}"; then
  echo "cross-aarch64: x86 kernels leaked into the aarch64 library" >&2
  exit 1
fi
if awk '/^cpu_x86\.c\.o:$/{f=1; next} /\.o:$/{f=0} f && NF==3{found=1} END{exit !found}' \
    <<<"${nm_defined}"; then
  echo "cross-aarch64: cpu_x86.c defines symbols on aarch64" >&2
  exit 1
fi

ctest --test-dir "${build}" --output-on-failure -j "$(nproc)" --timeout 600

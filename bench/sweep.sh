#!/bin/sh
# Unroll x accumulator sweep of the avx2/avx512 kernels (bench/README.md).
# Builds one tree per (unroll, accumulators) with FSM_SWEEP_UNROLL/ACCS,
# then runs fsm_kernel_bench -k pinned to one core. Usage:
#   bench/sweep.sh [sizes] [isas] > sweep.txt
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
sizes=${1:-16384,65536,16777216}
isas=${2:-avx2,avx512}
for u in 1 2 4 8; do
  for a in 1 2 4; do
    [ "$a" -gt "$u" ] && continue
    dir=/tmp/fsm-sweep-u$u-a$a
    cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DFASTSOFTMAX_TESTS=OFF \
      -DCMAKE_C_FLAGS="-DFSM_SWEEP_UNROLL=$u -DFSM_SWEEP_ACCS=$a" >/dev/null
    cmake --build "$dir" --target fsm_kernel_bench -j2 >/dev/null
    taskset -c 1 "$dir/fsm_kernel_bench" -k -r 9 -i "$isas" -s "$sizes" | sed "s/^/u$u a$a /"
  done
done

#!/bin/sh
# Unroll x accumulator sweep of the avx2/avx512 kernels (bench/README.md).
# Builds one tree per (unroll, accumulators) with FSM_SWEEP_UNROLL/ACCS
# first, then runs fsm_kernel_bench -k on each, pinned to one core (run it
# on an otherwise idle machine), twice, interleaved. Usage:
#   bench/sweep.sh [sizes] [isas] [reps] > sweep.txt
set -e
src=$(cd "$(dirname "$0")/.." && pwd)
sizes=${1:-16384,65536,16777216}
isas=${2:-avx2,avx512}
reps=${3:-15}
configs="1:1 2:1 2:2 4:1 4:2 4:4 8:1 8:2 8:4"
for c in $configs; do
  u=${c%:*} a=${c#*:}
  dir=/tmp/fsm-sweep-u$u-a$a
  cmake -S "$src" -B "$dir" -DCMAKE_BUILD_TYPE=Release -DFASTSOFTMAX_TESTS=OFF \
    -DCMAKE_C_FLAGS="-DFSM_SWEEP_UNROLL=$u -DFSM_SWEEP_ACCS=$a" >/dev/null
  cmake --build "$dir" --target fsm_kernel_bench -j2 >/dev/null
done
for round in 1 2; do for c in $configs; do
  u=${c%:*} a=${c#*:}
  taskset -c 1 "/tmp/fsm-sweep-u$u-a$a/fsm_kernel_bench" -k -r "$reps" -i "$isas" -s "$sizes" |
    grep -v '^#' | grep -v '^isa' | sed "s/^/u$u a$a /"
done; done

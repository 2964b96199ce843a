#!/bin/bash
# Interleaved A/B of two fsm_kernel_bench binaries (avx2, in cache):
#   bench/c/ab.sh OUTDIR ROUNDS OLD_BIN NEW_BIN
# Each round runs both (order alternating), pinned to core 1; then
#   python3 bench/c/ab_table.py OUTDIR
# prints the median-of-medians and best-of-all table.
out=$1; R=$2; A=$3; B=$4; mkdir -p "$out"
for r in $(seq 1 "$R"); do
  if (( r % 2 )); then order="A B"; else order="B A"; fi
  for w in $order; do
    bin=$A; [ "$w" = B ] && bin=$B
    taskset -c 1 "$bin" -i avx2 -s 16384,65536 -r 31 > "$out/$w.$r.txt" 2>&1
  done
done

"""A/B timing of the training entry points (one process = one build).

    taskset -c 1 python bench/training_ab.py --json out.json

Times, with the median of `--reps` calls, every function below on a row set
out of cache (4 x 4M float32 = 64 MiB > a 32 MiB LLC) and in cache (1 x 64K),
and measures the library's copy-bandwidth ceiling (``_core.bandwidth_copy``,
bytes read + written per second) in the same process. Run it once per build,
interleaved, and compare the medians (bench/README.md has the protocol).
Bytes per element for the loss forward+gradient passes (cold rows):
  rsumsq (read 4) + vaffine (read 4, write 4) = 12 for all three (the
  float32 Z-loss takes its statistics shifted by x_c in that one read; rows
  whose target is an outlier read once more).
"""
import argparse
import json
import statistics
import time

import numpy as np

import fastsoftmax as fs
from fastsoftmax import _core

SHAPES = {"cold": (4, 1 << 22), "hot": (1, 1 << 16)}
BYTES = {"z_loss": 12, "log_spherical_loss": 12, "log_taylor_loss": 12}


def cases(x, t, y, dy, p):
    return {
        "z_loss": lambda: fs.z_loss(x, t, reduction="none", return_grad=True),
        "log_spherical_loss": lambda: fs.log_spherical_loss(x, t, reduction="none", return_grad=True),
        "log_taylor_loss": lambda: fs.log_taylor_loss(x, t, reduction="none", return_grad=True),
        "stablemax_ce": lambda: fs.stablemax_cross_entropy(x, t, reduction="none", return_grad=True),
        "cross_entropy": lambda: fs.cross_entropy(x, t, reduction="none", return_grad=True),
        "spherical_softmax": lambda: fs.spherical_softmax(x, out=y),
        "taylor_softmax": lambda: fs.taylor_softmax(x, out=y),
        "log_stablemax": lambda: fs.log_stablemax(x, out=y),
        "log_spherical_softmax": lambda: fs.log_spherical_softmax(x, out=y),
        "softmax_backward": lambda: fs.softmax_backward(p, x, out=y),
        "log_softmax_backward": lambda: fs.log_softmax_backward(dy, x, out=y),
    }


def median_s(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--reps", type=int, default=0, help="0: 15 cold, 201 hot")
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    out = {"isa": fs.isa(), "results": {}}
    for where, shape in SHAPES.items():
        x = rng.normal(0, 2, shape).astype(np.float32)
        t = rng.integers(0, shape[1], shape[0])
        y = np.empty_like(x)
        p = fs.softmax(x)
        dy = fs.log_softmax(x)  # log-probabilities for the log-softmax VJP
        reps = args.reps or (15 if where == "cold" else 201)
        for name, fn in cases(x, t, y, dy, p).items():
            s = median_s(fn, reps)
            out["results"][f"{where}/{name}"] = {"ms": s * 1e3, "el_per_ns": x.size / s * 1e-9}
    out["copy_gbps"] = _core.bandwidth_copy(32 << 20, 7)  # 128 MiB buffers, 4x the LLC
    for name, b in BYTES.items():
        r = out["results"][f"cold/{name}"]
        r["bytes_per_el"] = b
        r["fraction_of_copy_ceiling"] = r["el_per_ns"] * b / out["copy_gbps"]
        r["fraction_at_12_bytes"] = r["el_per_ns"] * 12 / out["copy_gbps"]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    for k, v in out["results"].items():
        print(f"{k:30s} {v['ms']:9.3f} ms {v['el_per_ns']:7.3f} el/ns"
              + (f"  {v['fraction_of_copy_ceiling']:.2f} of ceiling" if "bytes_per_el" in v else ""))
    print(f"copy ceiling {out['copy_gbps']:.2f} GB/s")


if __name__ == "__main__":
    main()

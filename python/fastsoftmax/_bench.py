"""``python -m fastsoftmax bench``: fastsoftmax against NumPy and SciPy on
this machine, as medians of many repetitions, with the accuracy of each
against a float64 reference. Reported as elements/ns, GB/s and ratios
measured in the same run (absolute times drift on a shared machine)."""

from __future__ import annotations

import argparse
import time

import numpy as np

import fastsoftmax

# (name, shape) of the workloads; --quick keeps the first few.
WORKLOADS = [
    ("row 1K", (1, 1024)),
    ("row 16K", (1, 16384)),
    ("row 256K", (1, 262144)),
    ("row 1M", (1, 1 << 20)),
    ("attention 4096x128", (4096, 128)),
    ("attention 1024x1024", (1024, 1024)),
    ("row 16M", (1, 1 << 24)),
]
QUICK = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true", help="small sizes, finishes in seconds")
    parser.add_argument("--repeat", type=int, default=0, help="timed repetitions (default: adaptive)")


def numpy_softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _median_seconds(fn, budget: float, repeat: int) -> float:
    fn()  # warm up (page faults, caches)
    times = []
    start = time.perf_counter()
    while len(times) < max(repeat, 5) and (repeat or time.perf_counter() - start < budget):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if repeat and len(times) >= repeat:
            break
    return float(np.median(times))


def _max_rel_error(got: np.ndarray, ref: np.ndarray) -> float:
    mask = ref > np.finfo(np.float32).tiny
    return float(np.max(np.abs(got[mask] - ref[mask]) / ref[mask]))


def run(args) -> int:
    try:
        from scipy.special import softmax as scipy_softmax
    except ImportError:  # scipy is optional
        scipy_softmax = None
    workloads = WORKLOADS[:QUICK] if args.quick else WORKLOADS
    budget = 0.15 if args.quick else 0.6
    rng = np.random.default_rng(0)
    print(f"fastsoftmax {fastsoftmax.__version__}, isa={fastsoftmax.isa()}, float32, "
          f"median times; ratio = peer time / fastsoftmax time")
    header = (f"{'workload':<22}{'fastsoftmax el/ns':>18}{'GB/s':>8}{'vs numpy':>10}"
              f"{'vs scipy':>10}{'max rel err':>13}{'numpy err':>11}")
    print(header)
    print("-" * len(header))
    for name, shape in workloads:
        x = rng.uniform(-10, 10, size=shape).astype(np.float32)
        out = np.empty_like(x)
        ref = numpy_softmax(x.astype(np.float64))
        t_fsm = _median_seconds(lambda: fastsoftmax.softmax(x, out=out), budget, args.repeat)
        t_np = _median_seconds(lambda: numpy_softmax(x), budget, args.repeat)
        ratio_scipy = "n/a"
        if scipy_softmax is not None:
            t_sp = _median_seconds(lambda: scipy_softmax(x, axis=-1), budget, args.repeat)
            ratio_scipy = f"{t_sp / t_fsm:.1f}x"
        err = _max_rel_error(fastsoftmax.softmax(x).astype(np.float64), ref)
        err_np = _max_rel_error(numpy_softmax(x).astype(np.float64), ref)
        elems = x.size
        # bytes the chosen algorithm must move at least: read x, write y
        print(f"{name:<22}{elems / t_fsm / 1e9:>18.2f}{8 * elems / t_fsm / 1e9:>8.1f}"
              f"{t_np / t_fsm:>9.1f}x{ratio_scipy:>10}{err:>13.1e}{err_np:>11.1e}")
    return 0

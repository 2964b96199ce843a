"""Threads: fastsoftmax's softmax at 1, 2 and all threads beside PyTorch
and ONNX Runtime at the same thread counts (when installed), on batched
rows, attention scores, a vocabulary, one long row and a short row. One
benchmark group per workload; extra_info carries elements_per_ns and the
speed-up over the same library at one thread in this session.

    taskset -c 0-1 python -m pytest bench/test_threads_bench.py -q

Pin to the CPUs the threads may use (not to one CPU, as the other files).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

import fastsoftmax
from fastsoftmax import _bench

#: (name, shape) per size set; 2-D views of the attention scores.
WORKLOADS = {
    "smoke": [("rows-64x1K", (64, 1024)), ("row-256K", (1, 1 << 18)), ("row-1K", (1, 1024))],
    "quick": [("rows-1Kx1K", (1024, 1024)), ("rows-4Kx128", (4096, 128)),
              ("vocab-32x128256", (32, 128256)), ("attn-16x16x256x256", (16 * 16 * 256, 256)),
              ("row-1M", (1, 1 << 20)), ("row-1K", (1, 1024))],
}
WORKLOADS["small"] = WORKLOADS["quick"]
WORKLOADS["all"] = WORKLOADS["quick"] + [("row-64M", (1, 1 << 26))]

_ALL = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
THREADS = sorted({1, 2, _ALL})
LIBRARIES = ("fastsoftmax", "torch", "onnxruntime")

_results: dict = {}


def pytest_generate_tests(metafunc):
    if "thread_workload" in metafunc.fixturenames:
        chosen = WORKLOADS[metafunc.config.getoption("--fsm-sizes")]
        metafunc.parametrize("thread_workload", chosen, ids=[name for name, _ in chosen],
                             scope="module")


@pytest.fixture(scope="module")
def arrays(thread_workload):
    _, shape = thread_workload
    x = np.random.default_rng(0).normal(0.0, 4.0, size=shape).astype(np.float32)
    return x, np.empty_like(x)


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("library", LIBRARIES)
def test_threads(benchmark, thread_workload, arrays, library, threads):
    name, shape = thread_workload
    x, y = arrays
    if library == "fastsoftmax":
        variant = _bench.fastsoftmax_variant("softmax", "auto", fastsoftmax.detected_isa(),
                                             out=True, threads=threads)
    else:
        found = _bench.peer_variants("softmax", (library,), threads=threads)
        if not found:
            pytest.skip(f"{library} is not installed")
        variant = found[0]
    benchmark.group = f"threads {name}"
    call = variant.bind(x, y)
    with variant.context():
        benchmark(call)
        got = np.asarray(call())
    err = _bench.max_rel_error("softmax", got, _bench.reference("softmax", x))
    if library == "fastsoftmax":  # peers are timed as they are (torch sums in float)
        assert err < 1e-5, err
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        median = stats.stats.median
        _results[(name, library, threads)] = median
        one = _results.get((name, library, 1))
        benchmark.extra_info.update({
            "library": library, "threads": threads, "workload": name, "elements": x.size,
            "max_rel_error": err,
            "elements_per_ns": x.size / median * 1e-9,
            "speedup_over_1_thread": one / median if one else None,
        })

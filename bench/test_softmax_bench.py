"""fastsoftmax's softmax and log_softmax (every algorithm, every ISA this
machine can run, out= and fresh outputs) beside NumPy, SciPy, PyTorch and
ONNX Runtime. One benchmark group per (function, workload), so that
pytest-benchmark prints them side by side. See conftest.py for the options."""

from __future__ import annotations

import itertools

import pytest

import fastsoftmax
from fastsoftmax import _bench

#: Timed rounds of one cold call aim at this many seconds (at least 7 rounds).
COLD_SECONDS = 0.5


def _run(benchmark, request, variant, workload, buffers, ceiling):
    benchmark.group = f"{variant.function} {workload.name}"
    calls = [variant.bind(x, y) for x, y in buffers.pairs]
    with variant.context() as active:
        if variant.isa is not None:
            assert active == variant.isa  # the ISA asked for is the one that runs
        if buffers.cold:
            # one call per round, rotating through buffers >= 2 x LLC: cold every time
            for call in calls:  # untimed first touch of every pair
                call()
            t = _bench.time_calls(calls[:1], cold=True, budget=0.0, min_samples=1)[0]
            rounds = max(7, min(200, int(COLD_SECONDS / max(t, 1e-9))))
            rotation = itertools.cycle(calls)
            benchmark.pedantic(lambda: next(rotation)(), rounds=rounds, iterations=1)
        else:
            benchmark(calls[0])
        got = calls[0]()

    if variant.function not in buffers.references:
        buffers.references[variant.function] = _bench.reference(variant.function, buffers.x)
    err = _bench.max_rel_error(variant.function, _as_numpy(got), buffers.references[variant.function])
    bpe = variant.bytes_per_element(workload.rows, workload.cols)  # None: "auto" and peers
    info = {
        "library": variant.library, "function": variant.function, "variant": variant.name,
        "algorithm": variant.algorithm, "isa": variant.isa, "out": variant.out,
        "workload": workload.name, "rows": workload.rows, "cols": workload.cols,
        "elements": workload.elements, "cache": "cold" if buffers.cold else "hot",
        "buffer_pairs": len(buffers.pairs), "buffer_bytes": buffers.total_bytes(),
        "bytes_per_element": bpe, "ceiling_copy_gb_per_s": ceiling["copy"],
        "max_rel_error": err,
    }
    stats = getattr(benchmark, "stats", None)
    if stats is not None:  # None under --benchmark-disable
        info.update(_bench.derived(stats.stats.median, workload.elements, bpe, ceiling["copy"]))
    benchmark.extra_info.update(info)
    request.config._fsm_records.append(dict(info, group=benchmark.group))
    if variant.library == "fastsoftmax":  # a benchmark of a wrong result is worthless
        assert err < (1e-5 if variant.function == "softmax" else 1e-6), err


def _as_numpy(result):
    return result.numpy() if hasattr(result, "numpy") else result


def test_fastsoftmax(benchmark, request, workload, function, algorithm, isa, buffers, ceiling):
    variant = _bench.fastsoftmax_variant(function, algorithm, isa, out=True)
    _run(benchmark, request, variant, workload, buffers, ceiling)


def test_fastsoftmax_new_output(benchmark, request, workload, function, buffers, ceiling):
    """fastsoftmax.softmax(x) without out=: includes allocating (and first
    touching) the result, as NumPy's peers do."""
    variant = _bench.fastsoftmax_variant(function, "auto", fastsoftmax.detected_isa(), out=False)
    _run(benchmark, request, variant, workload, buffers, ceiling)


def test_peer(benchmark, request, workload, function, peer, buffers, ceiling):
    found = _bench.peer_variants(function, [peer])
    if not found:
        pytest.skip(f"{peer} is not installed")
    _run(benchmark, request, found[0], workload, buffers, ceiling)

"""Softmax along a non-contiguous axis (issue 21): fastsoftmax's axis
kernels beside fastsoftmax along the last axis of the same array, PyTorch
(when installed) and NumPy along the same axis, float32, one thread; and
float16 / bfloat16 (issue 17: the same kernels on the half arrays) beside
the last axis, the transposed copy they took before, and torch. One
benchmark group per workload; extra_info carries elements_per_ns, gb_per_s
(x read once and y written once per element), and, filled in by the
summary test at the end, the ratios to the last axis and to torch measured
in this session.

    taskset -c 1 python -m pytest bench/test_axis_bench.py -q
    taskset -c 1 python -m pytest bench/test_axis_bench.py -q --fsm-sizes=all   # + out of cache

Run pinned; medians. The summary test prints the tables of the README
("Softmax along any axis"): softmax against every peer, then log_softmax
and softmax_backward against the last axis and torch (its
``torch.log_softmax`` and ``torch._softmax_backward_data``, the kernel its
autograd runs).
"""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax

#: (name, shape, axis) per size set. (1024, 1024) and (64, 1024, 128) fit
#: the 32 MiB L3 of a Zen 3 with their output; (4096, 4096) does not.
WORKLOADS = {
    "smoke": [("64x256-axis0", (64, 256), 0), ("4x16x8x8-axis1", (4, 16, 8, 8), 1)],
    "quick": [("1Kx1K-axis0", (1024, 1024), 0), ("64x1Kx128-axis1", (64, 1024, 128), 1),
              ("32x128256-axis0", (32, 128256), 0), ("8x21x64x64-axis1", (8, 21, 64, 64), 1)],
}
WORKLOADS["small"] = WORKLOADS["quick"]
WORKLOADS["all"] = WORKLOADS["quick"] + [("4Kx4K-axis0", (4096, 4096), 0)]

CANDIDATES = ("fastsoftmax", "fastsoftmax-last-axis", "fastsoftmax-transposed-copy", "torch",
              "numpy")

_medians: dict = {}


def pytest_generate_tests(metafunc):
    if "axis_workload" in metafunc.fixturenames:
        chosen = WORKLOADS[metafunc.config.getoption("--fsm-sizes")]
        metafunc.parametrize("axis_workload", chosen, ids=[name for name, _, _ in chosen],
                             scope="module")


@pytest.fixture(scope="module")
def arrays(axis_workload):
    _, shape, _ = axis_workload
    x = np.random.default_rng(0).normal(0.0, 4.0, size=shape).astype(np.float32)
    return x, np.empty_like(x)


def numpy_softmax(x, axis, out):
    m = x.max(axis=axis, keepdims=True)
    np.subtract(x, m, out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=axis, keepdims=True)
    return out


def _timed(benchmark, run, torch=None):
    """benchmark(run), with torch (when given) held at one thread meanwhile;
    the median in seconds, or None when timing is off."""
    threads = torch.get_num_threads() if torch is not None else 0
    if torch is not None:
        torch.set_num_threads(1)
    try:
        benchmark(run)
    finally:
        if torch is not None:
            torch.set_num_threads(threads)
    stats = getattr(benchmark, "stats", None)
    return stats.stats.median if stats is not None and getattr(stats, "stats", None) is not None else None


#: the other functions of the axis path, against the last axis and torch
OTHER_KINDS = ("log_softmax", "softmax_backward")
OTHER_CANDIDATES = ("fastsoftmax", "fastsoftmax-last-axis", "torch")


@pytest.mark.parametrize("candidate", OTHER_CANDIDATES)
@pytest.mark.parametrize("kind", OTHER_KINDS)
def test_axis_other(benchmark, axis_workload, arrays, kind, candidate):
    name, shape, axis = axis_workload
    x, out = arrays
    a = axis if candidate != "fastsoftmax-last-axis" else -1
    y = numpy_softmax(x.astype(np.float64), a, np.empty(x.shape)).astype(np.float32)
    torch = pytest.importorskip("torch") if candidate == "torch" else None
    if torch is not None:
        tx, ty, tout = torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(out)
        if kind == "log_softmax":
            def run():
                torch.log_softmax(tx, dim=a, out=tout)
        else:
            def run():
                torch._softmax_backward_data(tx, ty, a, ty.dtype)
    else:
        if kind == "log_softmax":
            def run():
                with fastsoftmax.threads(1):
                    fastsoftmax.log_softmax(x, axis=a, out=out)
        else:
            def run():
                with fastsoftmax.threads(1):
                    fastsoftmax.softmax_backward(y, x, axis=a, out=out)
    benchmark.group = f"axis {kind} {name}"
    median = _timed(benchmark, run, torch)
    if candidate != "torch":
        x64, y64 = x.astype(np.float64), y.astype(np.float64)
        if kind == "log_softmax":
            ref = x64 - x64.max(axis=a, keepdims=True)
            ref -= np.log(np.exp(ref).sum(axis=a, keepdims=True))
            assert np.allclose(out, ref, rtol=1e-5, atol=1e-5)
        else:
            dot = (x64 * y64).sum(axis=a, keepdims=True)
            ref = y64 * (x64 - dot)
            # dy - <dy, y> cancels: the bound scales with its terms
            assert (np.abs(out - ref) <= 1e-5 * y64 * (np.abs(x64) + np.abs(dot)) + 1e-30).all()
    if median is not None:
        _medians[(kind, name, candidate)] = median
        benchmark.extra_info.update({"elements_per_ns": x.size / median / 1e9,
                                     "cpu": fastsoftmax.detected_isa()})


def _fastsoftmax_run(candidate, x, y, axis):
    """The call a fastsoftmax candidate times, one thread: along `axis`, along
    the last axis of the same array, or the transposed copy (what a non-last
    axis cost before the axis kernels: the axis moved last in a contiguous
    copy, the rows, and the result copied back)."""
    if candidate == "fastsoftmax-transposed-copy":
        def run():
            with fastsoftmax.threads(1):
                moved = np.ascontiguousarray(np.moveaxis(x, axis, -1))
                np.copyto(np.moveaxis(y, axis, -1), fastsoftmax.softmax(moved, out=moved))
        return run
    a = axis if candidate == "fastsoftmax" else -1

    def run():
        with fastsoftmax.threads(1):
            fastsoftmax.softmax(x, axis=a, out=y)
    return run


@pytest.mark.parametrize("candidate", CANDIDATES)
def test_axis(benchmark, axis_workload, arrays, candidate):
    name, shape, axis = axis_workload
    x, y = arrays
    torch = pytest.importorskip("torch") if candidate == "torch" else None
    if torch is not None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def run():
            torch.softmax(tx, dim=axis, out=ty)
    elif candidate == "numpy":
        def run():
            numpy_softmax(x, axis, y)
    else:
        run = _fastsoftmax_run(candidate, x, y, axis)
    benchmark.group = f"axis {name}"
    median = _timed(benchmark, run, torch)
    if candidate not in ("numpy", "torch"):
        ref = numpy_softmax(x.astype(np.float64), -1 if candidate == "fastsoftmax-last-axis" else axis,
                            np.empty(x.shape))
        assert np.allclose(y, ref, rtol=1e-5, atol=1e-30)
    if median is not None:
        _medians[(name, candidate)] = median
        benchmark.extra_info.update({
            "elements_per_ns": x.size / median / 1e9,
            "gb_per_s": 2 * x.nbytes / median / 1e9,
            "cpu": fastsoftmax.detected_isa(),
        })


HALF_CANDIDATES = ("fastsoftmax", "fastsoftmax-last-axis", "fastsoftmax-transposed-copy", "torch")


@pytest.mark.parametrize("candidate", HALF_CANDIDATES)
@pytest.mark.parametrize("half", ["f16", "bf16"])
def test_axis_half(benchmark, axis_workload, arrays, half, candidate):
    name, shape, axis = axis_workload
    if half == "bf16":
        ml_dtypes = pytest.importorskip("ml_dtypes")
        dt = np.dtype(ml_dtypes.bfloat16)
    else:
        dt = np.dtype(np.float16)
    x = arrays[0].astype(dt)
    y = np.empty_like(x)
    torch = pytest.importorskip("torch") if candidate == "torch" else None
    if torch is not None:
        tdt = torch.float16 if half == "f16" else torch.bfloat16
        tx = torch.from_numpy(x.view(np.int16)).view(tdt)
        ty = torch.from_numpy(y.view(np.int16)).view(tdt)

        def run():
            torch.softmax(tx, dim=axis, out=ty)
    else:
        run = _fastsoftmax_run(candidate, x, y, axis)
    benchmark.group = f"axis {half} {name}"
    median = _timed(benchmark, run, torch)
    if candidate != "torch":
        ref = numpy_softmax(x.astype(np.float64), -1 if candidate == "fastsoftmax-last-axis" else axis,
                            np.empty(x.shape))
        # within the storage type's rounding (2^-11 float16, 2^-8 bfloat16) of the reference
        u = 2.0 ** -11 if half == "f16" else 2.0 ** -8
        assert (np.abs(y.astype(np.float64) - ref) <= u * ref + 2.0 ** -24).all()
    if median is not None:
        _medians[(half, name, candidate)] = median
        benchmark.extra_info.update({"elements_per_ns": x.size / median / 1e9,
                                     "gb_per_s": 2 * x.nbytes / median / 1e9,
                                     "cpu": fastsoftmax.detected_isa()})


def test_axis_summary(request):
    """The ratios within this session (printed; -s shows them)."""
    rows = []
    for name, shape, axis in WORKLOADS[request.config.getoption("--fsm-sizes")]:
        got = {c: _medians.get((name, c)) for c in CANDIDATES}
        if got["fastsoftmax"] is None:
            continue
        size = int(np.prod(shape))

        def rate(c):
            return f"{size / got[c] / 1e9:.2f}" if got[c] else "-"

        def ratio(c):
            return f"{got[c] / got['fastsoftmax']:.2f}x" if got[c] else "-"

        rows.append(f"| `{shape}`, axis {axis} | {rate('fastsoftmax')} | {rate('fastsoftmax-last-axis')} "
                    f"({ratio('fastsoftmax-last-axis')}) | {rate('fastsoftmax-transposed-copy')} "
                    f"({ratio('fastsoftmax-transposed-copy')}) | {rate('torch')} ({ratio('torch')}) | "
                    f"{rate('numpy')} ({ratio('numpy')}) |")
    if rows:
        print("\n| shape, axis | fastsoftmax | same array, last axis (axis / last) | transposed copy "
              "(speed-up) | torch (speed-up) | NumPy (speed-up) |\n|---|---|---|---|---|---|\n"
              + "\n".join(rows))
    for kind in OTHER_KINDS:
        rows = []
        for name, shape, axis in WORKLOADS[request.config.getoption("--fsm-sizes")]:
            got = {c: _medians.get((kind, name, c)) for c in OTHER_CANDIDATES}
            if got["fastsoftmax"] is None:
                continue
            size = int(np.prod(shape))
            cells = [f"{size / got['fastsoftmax'] / 1e9:.2f}"]
            for c in OTHER_CANDIDATES[1:]:
                cells.append(f"{size / got[c] / 1e9:.2f} ({got[c] / got['fastsoftmax']:.2f}x)"
                             if got[c] else "-")
            rows.append(f"| `{shape}`, axis {axis} | " + " | ".join(cells) + " |")
        if rows:
            print(f"\n{kind}:\n| shape, axis | fastsoftmax | same array, last axis (axis / last) | "
                  "torch (speed-up) |\n|---|---|---|---|\n" + "\n".join(rows))
    rows = []
    for half in ("f16", "bf16"):
        for name, shape, axis in WORKLOADS[request.config.getoption("--fsm-sizes")]:
            got = {c: _medians.get((half, name, c)) for c in HALF_CANDIDATES}
            if got["fastsoftmax"] is None:
                continue
            size = int(np.prod(shape))
            cells = [f"{size / got['fastsoftmax'] / 1e9:.2f}"]
            for c in HALF_CANDIDATES[1:]:
                cells.append(f"{size / got[c] / 1e9:.2f} ({got[c] / got['fastsoftmax']:.2f}x)"
                             if got[c] else "-")
            rows.append(f"| {half} `{shape}`, axis {axis} | " + " | ".join(cells) + " |")
    if rows:
        print("\nhalf precision:\n| dtype, shape, axis | fastsoftmax | same array, last axis "
              "(axis / last) | transposed copy (speed-up) | torch (speed-up) |\n|---|---|---|---|---|\n"
              + "\n".join(rows))

"""float16 / bfloat16 softmax, its backward passes and cross-entropy (loss
+ gradient) beside our float32 and beside torch's on float16 and bfloat16
tensors (issue 17), one thread.

    taskset -c 1 python -m pytest bench/test_half_bench.py --fsm-sizes=small \\
        --benchmark-group-by=param:shape --benchmark-columns=median

Each benchmark's extra_info carries elements_per_ns and gb_per_s (bytes of
input + output in the benchmarked dtype per second); compare the rows of
one shape within one run. Shapes: in cache (64 x 4096), a vocabulary
(32 x 128256), attention-like (1024 x 1024) and, with --fsm-sizes=all, one
row of 16M elements (out of cache: 32 MiB of half input, 64 MiB of float32).
torch runs only when installed, pinned to one thread.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax

try:
    import ml_dtypes
except ImportError:  # bfloat16 rows skip
    ml_dtypes = None

SHAPES = {
    "smoke": [(4, 1000)],
    "quick": [(64, 4096), (32, 128256), (1024, 1024)],
    "small": [(64, 4096), (32, 128256), (1024, 1024)],
    "all": [(64, 4096), (32, 128256), (1024, 1024), (1, 1 << 24)],
}
DTYPES = ["float32", "float16", "bfloat16"]


def pytest_generate_tests(metafunc):  # noqa: D103 (pytest hook, module level)
    sizes = metafunc.config.getoption("--fsm-sizes")
    if "shape" in metafunc.fixturenames:
        shapes = SHAPES.get(sizes, SHAPES["small"])
        metafunc.parametrize("shape", shapes, ids=["x".join(map(str, s)) for s in shapes])


def _numpy_dtype(name):
    if name == "bfloat16":
        if ml_dtypes is None:
            pytest.skip("ml_dtypes is not installed")
        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def _record(benchmark, shape, itemsize):
    if benchmark.stats is None:  # --benchmark-disable
        return
    n = shape[0] * shape[1]
    seconds = benchmark.stats.stats.median
    benchmark.extra_info["elements_per_ns"] = n / seconds / 1e9
    benchmark.extra_info["gb_per_s"] = 2 * n * itemsize / seconds / 1e9


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_fastsoftmax(benchmark, shape, dtype, log):
    dt = _numpy_dtype(dtype)
    x = np.random.default_rng(0).normal(0, 3, shape).astype(dt)
    y = np.empty_like(x)
    fn = fastsoftmax.log_softmax if log else fastsoftmax.softmax
    benchmark.group = f"{'log_' if log else ''}softmax {shape[0]}x{shape[1]}"
    with fastsoftmax.threads(1):
        benchmark(fn, x, out=y)
    _record(benchmark, shape, dt.itemsize)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_torch(benchmark, shape, dtype, log):
    torch = pytest.importorskip("torch")
    x = torch.randn(shape, dtype=torch.float32).mul_(3).to(getattr(torch, dtype))
    fn = torch.log_softmax if log else torch.softmax
    benchmark.group = f"{'log_' if log else ''}softmax {shape[0]}x{shape[1]}"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark(fn, x, -1)
    finally:
        torch.set_num_threads(threads)
    _record(benchmark, shape, x.element_size())


# ---- the backward passes (issue 17): softmax_backward / log_softmax_backward
# on float16 / bfloat16 beside float32 on the same shape, one thread. Each
# half benchmark's extra_info also carries ratio_to_float32: the float32
# VJP's median (measured earlier in the same run: float32 is the first
# dtype) over its own, so > 1 means the half VJP is faster per call.

_VJP_F32_MEDIAN: dict = {}


def _vjp_operands(shape, dt, log):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 3, shape)
    z = x - x.max(-1, keepdims=True)
    z -= np.log(np.exp(z).sum(-1, keepdims=True))
    a = (z if log else np.exp(z)).astype(dt)
    return a, rng.uniform(-1, 1, shape).astype(dt)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_fastsoftmax_backward(benchmark, shape, dtype, log):
    dt = _numpy_dtype(dtype)
    a, b = _vjp_operands(shape, dt, log)
    dx = np.empty_like(a)
    fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
    benchmark.group = f"{'log_' if log else ''}softmax_backward {shape[0]}x{shape[1]}"
    with fastsoftmax.threads(1):
        benchmark(fn, a, b, out=dx)
    _record(benchmark, shape, dt.itemsize)
    if benchmark.stats is None:
        return
    key = (shape, log)
    median = benchmark.stats.stats.median
    if dtype == "float32":
        _VJP_F32_MEDIAN[key] = median
    elif key in _VJP_F32_MEDIAN:
        benchmark.extra_info["ratio_to_float32"] = _VJP_F32_MEDIAN[key] / median


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_torch_backward(benchmark, shape, dtype, log):
    torch = pytest.importorskip("torch")
    a, b = _vjp_operands(shape, np.float32, log)
    tdt = getattr(torch, dtype)
    ta, tb = torch.from_numpy(a).to(tdt), torch.from_numpy(b).to(tdt)
    fn = torch._log_softmax_backward_data if log else torch._softmax_backward_data
    benchmark.group = f"{'log_' if log else ''}softmax_backward {shape[0]}x{shape[1]}"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark(fn, tb, ta, -1, tdt)
    finally:
        torch.set_num_threads(threads)
    _record(benchmark, shape, ta.element_size())


# ---- cross-entropy (issue 17): the loss and its gradient (integer targets,
# mean reduction, grad_out= reused) on float16 / bfloat16 logits beside
# float32, and beside torch's F.cross_entropy forward + backward on tensors
# of the same dtype, one thread. ours: extra_info ratio_to_float32 (our
# float32 median over this one); torch: ratio_ours_over_torch (torch's
# median over ours for that dtype and shape, measured earlier in the same
# run: > 1 means ours is faster).

_CE_MEDIAN: dict = {}


def _ce_operands(shape, dt):
    rng = np.random.default_rng(2)
    return rng.normal(0, 3, shape).astype(dt), rng.integers(0, shape[1], shape[0])


def _ce_group(shape):
    return f"cross_entropy fwd+bwd {shape[0]}x{shape[1]}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_fastsoftmax_cross_entropy(benchmark, shape, dtype):
    dt = _numpy_dtype(dtype)
    x, t = _ce_operands(shape, dt)
    g = np.empty_like(x)
    benchmark.group = _ce_group(shape)
    with fastsoftmax.threads(1):
        benchmark(fastsoftmax.cross_entropy, x, t, return_grad=True, grad_out=g)
    _record(benchmark, shape, dt.itemsize)
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    _CE_MEDIAN[(shape, dtype)] = median
    if dtype != "float32" and (shape, "float32") in _CE_MEDIAN:
        benchmark.extra_info["ratio_to_float32"] = _CE_MEDIAN[(shape, "float32")] / median


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_cross_entropy(benchmark, shape, dtype):
    torch = pytest.importorskip("torch")
    x32, t = _ce_operands(shape, np.float32)
    x = torch.from_numpy(x32).to(getattr(torch, dtype)).requires_grad_()
    tt = torch.from_numpy(t)

    def step():
        x.grad = None
        torch.nn.functional.cross_entropy(x, tt).backward()

    benchmark.group = _ce_group(shape)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        benchmark(step)
    finally:
        torch.set_num_threads(threads)
    _record(benchmark, shape, x.element_size())
    if benchmark.stats is not None and (shape, dtype) in _CE_MEDIAN:
        benchmark.extra_info["ratio_ours_over_torch"] = (benchmark.stats.stats.median
                                                         / _CE_MEDIAN[(shape, dtype)])


# ---- the fused options (issue 17): causal attention scores with a scale
# (softmax(x, scale=, causal=True), the rows read as (1, L, L) queries x
# keys) on float16 / bfloat16 beside float32, one thread. Half rows are
# widened into a float32 scratch and run the float32 row; extra_info
# ratio_to_float32 is our float32 median over this one (> 1: faster).

_FUSED_F32_MEDIAN: dict = {}


@pytest.mark.parametrize("dtype", DTYPES)
def test_fastsoftmax_fused(benchmark, shape, dtype):
    dt = _numpy_dtype(dtype)
    x = np.random.default_rng(3).normal(0, 3, shape).astype(dt)
    y = np.empty_like(x)
    benchmark.group = f"softmax scale+causal {shape[0]}x{shape[1]}"
    with fastsoftmax.threads(1):
        benchmark(fastsoftmax.softmax, x, out=y, scale=0.125, causal=True,
                  causal_offset=shape[1] - shape[0])
    _record(benchmark, shape, dt.itemsize)
    if benchmark.stats is None:
        return
    median = benchmark.stats.stats.median
    if dtype == "float32":
        _FUSED_F32_MEDIAN[shape] = median
    elif shape in _FUSED_F32_MEDIAN:
        benchmark.extra_info["ratio_to_float32"] = _FUSED_F32_MEDIAN[shape] / median

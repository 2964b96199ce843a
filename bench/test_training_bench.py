"""Fused cross-entropy (loss + gradient) against PyTorch's
``F.cross_entropy`` forward + backward, and the softmax / log-softmax
VJPs against PyTorch's backward kernels, float32, single thread.

Run pinned to one core, e.g.::

    taskset -c 1 python -m pytest --benchmark-only bench/test_training_bench.py -s

Each test benchmarks fastsoftmax with pytest-benchmark and, in the same
process and run, times PyTorch (``torch.set_num_threads(1)``) with the same
protocol; the ratio of the medians (torch / fastsoftmax, > 1 means
fastsoftmax is faster) is printed and stored in ``extra_info``.
Skipped without torch. With ``--fsm-sizes=smoke`` (the CI smoke run) the
shapes shrink to 2 x 1024 and the timing loops to 3 repeats.
"""

import statistics
import time

import numpy as np
import pytest

import fastsoftmax as fs

torch = pytest.importorskip("torch")
F = torch.nn.functional

# a vocabulary, a longer one, and an image classifier's batch (where the
# per-call cost shows)
SHAPES = [(32, 128256), (8, 262144), (256, 1000)]
VJP_SHAPES = [(64, 4096), (1024, 1024), (32, 128256)]


def median_seconds(fn, repeats=31, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def make(shape):
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, shape).astype(np.float32)
    c = rng.integers(0, shape[1], shape[0])
    return x, c


def torch_step(x, c):
    xt = torch.from_numpy(x).requires_grad_(True)
    ct = torch.from_numpy(c)

    def step():
        loss = F.cross_entropy(xt, ct)
        (grad,) = torch.autograd.grad(loss, xt)
        return loss, grad

    return step


def smoke(request) -> bool:
    try:
        return request.config.getoption("--fsm-sizes") == "smoke"
    except ValueError:  # run without bench/conftest.py
        return False


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_cross_entropy_fused(benchmark, request, shape):
    torch.set_num_threads(1)
    quick = smoke(request)
    x, c = make((2, 1024) if quick else shape)
    ours = lambda: fs.cross_entropy(x, c, return_grad=True)  # noqa: E731
    loss, grad = benchmark(ours)
    # same result as torch (sanity), then the ratio in the same run
    tl, tg = torch_step(x, c)()
    np.testing.assert_allclose(loss, tl.item(), rtol=1e-5)
    np.testing.assert_allclose(grad, tg.numpy(), rtol=1e-4, atol=1e-9)
    repeats = 3 if quick else 31
    t_ours = median_seconds(ours, repeats)
    t_torch = median_seconds(torch_step(x, c), repeats)
    ratio = t_torch / t_ours
    benchmark.extra_info.update(
        isa=fs.isa(), torch_median_s=t_torch, fastsoftmax_median_s=t_ours, torch_over_fastsoftmax=ratio,
        elements_per_ns=x.size / t_ours / 1e9,
        # bytes moved depend on the form the table picks (reload: 20 per
        # element, extended two-pass: 12); GB/s is given for the logits alone
        logits_gb_per_s=x.nbytes / t_ours / 1e9,
    )
    print(f"\n{x.shape}: fastsoftmax {t_ours * 1e3:.2f} ms, torch {t_torch * 1e3:.2f} ms, "
          f"torch/fastsoftmax = {ratio:.2f} (isa {fs.isa()})")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_torch_cross_entropy(benchmark, request, shape):
    torch.set_num_threads(1)
    x, c = make((2, 1024) if smoke(request) else shape)
    benchmark(torch_step(x, c))


@pytest.mark.parametrize("kind", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", VJP_SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_vjp(benchmark, request, shape, kind):
    """softmax_backward / log_softmax_backward (into a reused out=) against
    torch's ``_softmax_backward_data`` / ``_log_softmax_backward_data``
    (the kernels its autograd runs), the ratio of medians in one run."""
    torch.set_num_threads(1)
    quick = smoke(request)
    x, _ = make((2, 1024) if quick else shape)
    a = fs.log_softmax(x) if kind == "log_softmax" else fs.softmax(x)
    dy = np.random.default_rng(1).normal(0, 1, x.shape).astype(np.float32)
    out = np.empty_like(x)
    fn = fs.log_softmax_backward if kind == "log_softmax" else fs.softmax_backward
    ours = lambda: fn(a, dy, out=out)  # noqa: E731
    benchmark(ours)
    ta, tdy = torch.from_numpy(a), torch.from_numpy(dy)
    tfn = torch._log_softmax_backward_data if kind == "log_softmax" else torch._softmax_backward_data
    theirs = lambda: tfn(tdy, ta, -1, torch.float32)  # noqa: E731
    # (torch sums dy in float32: its log-softmax VJP carries that rounding)
    np.testing.assert_allclose(out, theirs().numpy(), rtol=1e-4, atol=1e-5)
    repeats = 3 if quick else 101
    t_ours = median_seconds(ours, repeats)
    t_torch = median_seconds(theirs, repeats)
    ratio = t_torch / t_ours
    benchmark.extra_info.update(
        isa=fs.isa(), torch_median_s=t_torch, fastsoftmax_median_s=t_ours,
        torch_over_fastsoftmax=ratio, elements_per_ns=x.size / t_ours / 1e9,
        gb_per_s=3 * x.nbytes / t_ours / 1e9)  # reads y and dy, writes dx
    print(f"\n{kind}_backward {x.shape}: fastsoftmax {x.size / t_ours / 1e9:.2f} el/ns, "
          f"torch {x.size / t_torch / 1e9:.2f} el/ns, torch/fastsoftmax = {ratio:.2f} (isa {fs.isa()})")

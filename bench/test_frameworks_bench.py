"""The framework adapters (issue 18) against the frameworks' own functions,
float32, one thread, in the same run:

- ``fastsoftmax.torch.softmax`` / ``log_softmax`` against ``torch.softmax``
  / ``torch.log_softmax`` (forward, and forward + backward);
- ``fastsoftmax.torch.cross_entropy`` against ``F.cross_entropy`` (forward
  + backward);
- ``jax.jit(fastsoftmax.jax.softmax)`` against ``jax.jit(jax.nn.softmax)``.

Run pinned to one core, e.g.::

    taskset -c 1 python -m pytest bench/test_frameworks_bench.py --benchmark-only -s

pytest-benchmark times the fastsoftmax call; the peer and fastsoftmax are
then timed again with the same protocol (median of interleaved samples,
``fastsoftmax._bench.time_calls``), and the ratio peer / fastsoftmax (> 1:
fastsoftmax is faster) goes to ``extra_info`` and is printed, with
elements/ns and GB/s at the 8 bytes per element any softmax moves (forward)
or 16 (forward + backward: read x, write y; read y and dy, write dx: counted
as the minimum 16). Each module skips without its framework. With
``--fsm-sizes=smoke`` (CI) the shapes shrink to 4 x 256.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
from fastsoftmax import _bench

# few long rows (a vocabulary), many medium rows, many short rows (where the
# per-call overhead of the custom op shows)
SHAPES = [(32, 128256), (1024, 4096), (4096, 64)]
SMOKE_SHAPE = (4, 256)


def _shape(request, shape):
    try:
        smoke = request.config.getoption("--fsm-sizes") == "smoke"
    except ValueError:  # run without bench/conftest.py
        smoke = False
    return (SMOKE_SHAPE if smoke else shape), (0.02 if smoke else 0.5)


def _compare(benchmark, budget, ours, peer, elements: int, bytes_per_element: int, label: str):
    """pytest-benchmark on ``ours``; then both timed alike; the ratio."""
    benchmark(ours)
    t_ours, _ = _bench.time_calls([ours], cold=False, budget=budget)
    t_peer, _ = _bench.time_calls([peer], cold=False, budget=budget)
    ratio = t_peer / t_ours
    eps = elements / t_ours * 1e-9
    benchmark.extra_info.update(
        isa=fs.isa(), fastsoftmax_median_s=t_ours, peer_median_s=t_peer,
        peer_over_fastsoftmax=ratio, elements_per_ns=eps, gb_per_s=eps * bytes_per_element)
    print(f"\n{label}: fastsoftmax {t_ours * 1e6:.1f} us, peer {t_peer * 1e6:.1f} us,"
          f" peer/fastsoftmax = {ratio:.2f} ({eps:.3f} el/ns, isa {fs.isa()})")


@pytest.fixture
def one_thread():
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with fs.threads(1):
        yield
    torch.set_num_threads(before)


@pytest.fixture
def sized(request):
    """``shape`` -> (the shape to run, the timing budget per variant, s)."""
    return lambda shape: _shape(request, shape)


def _logits(shape, dtype=np.float32):
    return np.random.default_rng(0).normal(0, 3, shape).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_torch_forward(benchmark, sized, one_thread, shape, name):
    import torch
    import fastsoftmax.torch as fst
    shape, budget = sized(shape)
    x = torch.from_numpy(_logits(shape))
    ours, peer = getattr(fst, name), getattr(torch, name)
    torch.testing.assert_close(ours(x, -1), peer(x, -1), rtol=1e-4, atol=1e-5)  # sanity only
    _compare(benchmark, budget, lambda: ours(x, -1), lambda: peer(x, -1), x.numel(), 8,
             f"torch {name} {tuple(shape)}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_torch_softmax_forward_backward(benchmark, sized, one_thread, shape):
    import torch
    import fastsoftmax.torch as fst
    shape, budget = sized(shape)
    x = torch.from_numpy(_logits(shape)).requires_grad_()
    dy = torch.from_numpy(np.random.default_rng(1).normal(size=shape).astype(np.float32))

    def step(fn):
        return lambda: torch.autograd.grad(fn(x, -1), x, dy)[0]
    torch.testing.assert_close(step(fst.softmax)(), step(torch.softmax)(), rtol=1e-5, atol=1e-6)
    _compare(benchmark, budget, step(fst.softmax), step(torch.softmax), x.numel(), 16,
             f"torch softmax fwd+bwd {tuple(shape)}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_torch_cross_entropy_forward_backward(benchmark, sized, one_thread, shape):
    import torch
    import fastsoftmax.torch as fst
    F = torch.nn.functional
    shape, budget = sized(shape)
    x = torch.from_numpy(_logits(shape)).requires_grad_()
    c = torch.from_numpy(np.random.default_rng(2).integers(0, shape[1], shape[0]))

    def step(fn):
        return lambda: torch.autograd.grad(fn(x, c), x)[0]
    torch.testing.assert_close(step(fst.cross_entropy)(), step(F.cross_entropy)(),
                               rtol=1e-4, atol=1e-8)
    # bytes: read the logits, write the gradient (the minimum of any fused form)
    _compare(benchmark, budget, step(fst.cross_entropy), step(F.cross_entropy), x.numel(), 8,
             f"torch cross_entropy fwd+bwd {tuple(shape)}")


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_jax_softmax_jit(benchmark, sized, shape):
    jax = pytest.importorskip("jax")
    import fastsoftmax.jax as fsj
    shape, budget = sized(shape)
    x = jax.numpy.asarray(_logits(shape))
    ours = jax.jit(fsj.softmax)
    peer = jax.jit(jax.nn.softmax)
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(peer(x)), rtol=1e-5, atol=1e-6)
    with fs.threads(1):
        _compare(benchmark, budget, lambda: ours(x).block_until_ready(),
                 lambda: peer(x).block_until_ready(), x.size, 8,
                 f"jax softmax (jit) {tuple(shape)}")

"""Mergeable states at work (issue 20), each beside what it replaces, in
one pytest-benchmark group per shape so the table shows the ratio of one
run:

- ``linear_cross_entropy`` forward + backward against the unfused
  computation (``h @ W.T``, ``cross_entropy(..., return_grad=True)``,
  ``G @ W``, ``G.T @ h``); with ``tokens <= hidden`` the fused call does the
  same three matrix products without the ``(tokens, vocab)`` logits, with
  ``tokens > hidden`` it computes the rows beyond ``hidden`` twice;
- ``fastsoftmax.dask.softmax`` on Dask's threaded scheduler (2 workers)
  against the in-memory call on the same data and the plain ``dask.array``
  expression (skipped without dask);
- one long row cut into pieces: states, exact merge, normalise from the
  merged state, against ``softmax`` of the whole row.

Run as a user would (timing on; BLAS and fastsoftmax at their default
threads)::

    python -m pytest bench/test_states_bench.py

``python bench/states_bench.py`` runs the full-size targets (1024 x 1024 x
128256, a (64, 2**24) array on a 2-process LocalCluster).
"""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs

# (tokens, hidden, vocab)
LCE_SHAPES = {"smoke": [(16, 8, 100), (24, 8, 100)],
              "default": [(1024, 1024, 32000), (2048, 1024, 32000)]}
DASK_SHAPE = {"smoke": ((4, 4096), 1024), "default": ((16, 1 << 22), 1 << 19)}
ROW = {"smoke": (1 << 12, 4), "default": (1 << 24, 16)}  # (row length, pieces)


def _sizes(request) -> str:
    try:
        return "smoke" if request.config.getoption("--fsm-sizes") == "smoke" else "default"
    except ValueError:  # run without bench/conftest.py
        return "default"


def _median(benchmark) -> float:
    """The median seconds of the run (NaN with --benchmark-disable)."""
    return benchmark.stats.stats.median if benchmark.stats else float("nan")


def _rounds(sizes: str) -> dict:
    return dict(rounds=2 if sizes == "smoke" else 7, iterations=1, warmup_rounds=1)


def _lce_inputs(T, H, V):
    rng = np.random.default_rng(20)
    h = rng.standard_normal((T, H), dtype=np.float32)
    W = rng.standard_normal((V, H), dtype=np.float32) / np.float32(np.sqrt(H))
    return h, W, rng.integers(0, V, T)


def _unfused(h, W, t):
    L = h @ W.T
    loss, G = fs.cross_entropy(L, t, return_grad=True, grad_out=L)
    return loss, {"h": G @ W, "W": G.T @ h}


@pytest.mark.parametrize("variant", ["fused", "unfused"])
@pytest.mark.parametrize("index", [0, 1], ids=["tokens<=hidden", "tokens>hidden"])
def test_linear_cross_entropy(benchmark, request, index, variant):
    sizes = _sizes(request)
    T, H, V = LCE_SHAPES[sizes][index]
    h, W, t = _lce_inputs(T, H, V)
    fused = lambda: fs.linear_cross_entropy(h, W, t, return_grad=True)  # noqa: E731
    fn = fused if variant == "fused" else (lambda: _unfused(h, W, t))
    benchmark.group = f"linear_cross_entropy {T}x{H}x{V}"
    loss, grads = benchmark.pedantic(fn, **_rounds(sizes))
    ref_loss, ref = _unfused(h, W, t) if variant == "fused" else fused()
    np.testing.assert_allclose(loss, ref_loss, rtol=1e-5)
    np.testing.assert_allclose(grads["W"], ref["W"], rtol=1e-4, atol=1e-4 * np.abs(ref["W"]).max())
    benchmark.extra_info.update(tokens=T, hidden=H, vocab=V,
                                gflop_per_s=3 * 2 * T * H * V / _median(benchmark) / 1e9)


@pytest.mark.parametrize("variant", ["fastsoftmax.dask", "dask.array", "in-memory"])
def test_dask_softmax(benchmark, request, variant):
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    import fastsoftmax.dask as fd

    sizes = _sizes(request)
    shape, chunk = DASK_SHAPE[sizes]
    x = np.random.default_rng(0).random(shape, dtype=np.float32) * 8
    xd = da.from_array(x, chunks=(shape[0], chunk))

    def plain(v):
        e = da.exp(v - v.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    if variant == "in-memory":
        fn = lambda: fs.softmax(x)  # noqa: E731 (a new output, as Dask's blocks are)
    else:
        expr = fd.softmax if variant == "fastsoftmax.dask" else plain
        fn = lambda: dask.persist(expr(xd))[0]  # noqa: E731 (blocks kept, not concatenated)
    benchmark.group = f"dask softmax {shape} in chunks of {chunk}, threaded scheduler"
    with dask.config.set(scheduler="threads", num_workers=2):
        y = benchmark.pedantic(fn, **_rounds(sizes))
        y = np.asarray(y)
    np.testing.assert_allclose(y, fs.softmax(x.astype(np.float64)), rtol=1e-5, atol=1e-12)
    s = _median(benchmark)
    benchmark.extra_info.update(elements_per_ns=x.size / s / 1e9, gb_per_s=2 * x.nbytes / s / 1e9)


@pytest.mark.parametrize("variant", ["states", "softmax"])
def test_long_row_in_pieces(benchmark, request, variant):
    """One row in `pieces` pieces: per-piece states, their exact merge and
    each piece normalised into a reused output, against softmax of the
    whole row into a reused output (the states' cost: one more read)."""
    n, pieces = ROW[_sizes(request)]
    x = np.random.default_rng(1).normal(0, 4, n).astype(np.float32)
    y = np.empty_like(x)
    parts = np.split(x, pieces)
    outs = np.split(y, pieces)

    def by_states():
        state = fs.merge_states(np.stack([fs.softmax_state(p) for p in parts]), axis=0)
        for p, o in zip(parts, outs):
            fs.softmax_from_state(p, state, out=o)
        return y

    fn = by_states if variant == "states" else (lambda: fs.softmax(x, out=y))
    benchmark.group = f"one row of {n} floats in {pieces} pieces"
    benchmark.pedantic(fn, **_rounds(_sizes(request)))
    ref = np.exp(x - x.max(), dtype=np.float64)
    np.testing.assert_allclose(y, ref / ref.sum(), rtol=1e-5, atol=1e-30)
    s = _median(benchmark)
    benchmark.extra_info.update(elements_per_ns=n / s / 1e9, gb_per_s=2 * x.nbytes / s / 1e9)

"""Decoding and logsumexp (issue 16) at one thread: fastsoftmax.sample with
top-p 0.9 beside the NumPy sort-based reference and PyTorch's usual recipe
(softmax + sort + cumsum + multinomial; when installed), topk_softmax
beside NumPy argpartition and torch.topk, logsumexp beside
scipy.special.logsumexp. One benchmark group per task and workload;
extra_info carries elements_per_ns, gb_per_s (logits read once) and the
speed-up of fastsoftmax over each peer measured in this session.

    taskset -c 1 python -m pytest bench/test_decoding_bench.py -q

Run pinned to one CPU. The logits are N(0, 3^2) float32: top-p 0.9 then
keeps a sizeable part of the vocabulary (thousands of tokens), the hard
case for selection.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import fastsoftmax

WORKLOADS = {
    "smoke": {"sample": [("vocab-4x4096", (4, 4096))], "topk": [("router-64x64", (64, 64))],
              "logsumexp": [("row-4K", (4, 4096))]},
    "quick": {"sample": [("vocab-32x128256", (32, 128256))],
              "topk": [("router-4096x64-k2", (4096, 64)), ("vocab-32x128256-k50", (32, 128256))],
              "logsumexp": [("row-64K", (1, 65536)), ("rows-64x64K", (64, 65536))]},
}
WORKLOADS["small"] = WORKLOADS["quick"]
WORKLOADS["all"] = WORKLOADS["quick"]

_results: dict = {}


@contextlib.contextmanager
def _one_thread():
    try:
        import torch
    except ImportError:
        torch = None
    before = torch.get_num_threads() if torch is not None else None
    if torch is not None:
        torch.set_num_threads(1)
    try:
        with fastsoftmax.threads(1):
            yield
    finally:
        if torch is not None:
            torch.set_num_threads(before)


def _numpy_top_p(x, p, rng):
    """The sort-based reference: softmax, a full sort, cumsum, the draw."""
    e = np.exp(x - x.max(-1, keepdims=True))
    e /= e.sum(-1, keepdims=True)
    idx = np.argsort(-e, axis=-1)
    ps = np.take_along_axis(e, idx, -1)
    c = np.cumsum(ps, -1)
    ps = np.where(c - ps < p, ps, 0)
    c = np.cumsum(ps, -1)
    u = rng.random((x.shape[0], 1)) * c[:, -1:]
    j = np.minimum((c <= u).sum(-1), x.shape[1] - 1)
    return idx[np.arange(x.shape[0]), j]


def _torch_top_p(torch, xt, p):
    probs = torch.softmax(xt, -1)
    sp, si = torch.sort(probs, descending=True)
    c = torch.cumsum(sp, -1)
    sp[(c - sp) > p] = 0
    return si.gather(-1, torch.multinomial(sp, 1))[:, 0]


def _calls(task, x, k):
    """{library: call} for one task; peers missing here are left out."""
    calls = {}
    try:
        import torch
    except ImportError:
        torch = None
    if task == "sample":
        rng = np.random.default_rng(0)
        calls["fastsoftmax"] = lambda: fastsoftmax.sample(x, top_p=0.9, rng=rng)
        calls["numpy"] = lambda: _numpy_top_p(x, 0.9, rng)
        if torch is not None:
            xt = torch.from_numpy(x)
            calls["torch"] = lambda: _torch_top_p(torch, xt, 0.9)
    elif task == "topk":
        calls["fastsoftmax"] = lambda: fastsoftmax.topk_softmax(x, k)
        calls["numpy"] = lambda: _numpy_topk(x, k)
        if torch is not None:
            xt = torch.from_numpy(x)
            calls["torch"] = lambda: torch.topk(torch.softmax(xt, -1), k, -1)
    else:
        calls["fastsoftmax"] = lambda: fastsoftmax.logsumexp(x, axis=-1)
        try:
            from scipy.special import logsumexp
            calls["scipy"] = lambda: logsumexp(x, axis=-1)
        except ImportError:
            pass
        if torch is not None:
            xt = torch.from_numpy(x)
            calls["torch"] = lambda: torch.logsumexp(xt, -1)
    return calls


def _numpy_topk(x, k):
    e = np.exp(x - x.max(-1, keepdims=True))
    e /= e.sum(-1, keepdims=True)
    part = np.argpartition(-e, k - 1, axis=-1)[:, :k]
    pk = np.take_along_axis(e, part, -1)
    order = np.argsort(-pk, axis=-1)
    return np.take_along_axis(pk, order, -1), np.take_along_axis(part, order, -1)


def _cases(sizes):
    out = []
    for task, workloads in WORKLOADS[sizes].items():
        for name, shape in workloads:
            # NumPy references for sample and topk, SciPy's for logsumexp
            for library in ("fastsoftmax", "scipy" if task == "logsumexp" else "numpy", "torch"):
                out.append((task, name, shape, library))
    return out


def pytest_generate_tests(metafunc):
    if "decoding_case" in metafunc.fixturenames:
        cases = _cases(metafunc.config.getoption("--fsm-sizes"))
        metafunc.parametrize("decoding_case", cases,
                             ids=[f"{t}-{n}-{lib}" for t, n, _, lib in cases])


def test_decoding(benchmark, decoding_case):
    task, name, shape, library = decoding_case
    x = np.random.default_rng(1).normal(0.0, 3.0, size=shape).astype(np.float32)
    k = 2 if "router" in name else 50
    calls = _calls(task, x, k)
    if library not in calls:
        pytest.skip(f"{library} is not installed")
    call = calls[library]
    benchmark.group = f"{task} {name}"
    with _one_thread():
        benchmark(call)
        got = call()
    # results are right (not only fast)
    if task == "logsumexp":
        x64 = x.astype(np.float64)
        m = x64.max(-1)
        ref = m + np.log(np.exp(x64 - m[:, None]).sum(-1))
        np.testing.assert_allclose(np.asarray(got), ref, rtol=2e-6 if library != "torch" else 1e-5)
    elif task == "topk" and library == "fastsoftmax":
        np.testing.assert_array_equal(got[1], np.argsort(-x, axis=-1, kind="stable")[:, :k])
    elif task == "sample":
        assert np.asarray(got).shape == (shape[0],)
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable
        return
    median = stats.stats.median
    _results[(task, name, library)] = median
    info = {"library": library, "task": task, "workload": name, "elements": x.size,
            "elements_per_ns": x.size / median * 1e-9, "gb_per_s": x.nbytes / median * 1e-9}
    # a peer runs after fastsoftmax in its group: its record carries the ratio
    ours = _results.get((task, name, "fastsoftmax"))
    if library != "fastsoftmax" and ours:
        info["fastsoftmax_speedup"] = median / ours
    benchmark.extra_info.update(info)

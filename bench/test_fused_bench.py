"""Fused options (docs/fused.md) beside the unfused recipes, one thread:
attention scores ``softmax(x * s + causal mask)`` and decoding
``softmax(logits / T)``.

    taskset -c 1 python -m pytest bench/test_fused_bench.py -q -s --fsm-sizes=quick

Variants per workload: ``fused`` (the options), ``unfused`` (NumPy around
our plain softmax), ``torch-unfused`` (``torch.softmax(x * s + mask, -1)``),
and for attention ``torch-sdpa`` (``scaled_dot_product_attention`` with
``is_causal=True``, d = 64) and ``torch-matmuls`` (its two matmuls alone,
``Q Kᵀ`` and ``P V``): SDPA's softmax share is estimated as their
difference. That estimate fails for torch's default CPU kernel, a fused
flash attention that beats its own two matmuls run alone, so
``torch-sdpa-math`` times SDPA's math backend (the unfused reference path:
matmul, scale, causal mask, ``_safe_softmax``, matmul) and torch's profiler
splits it: the softmax share is the fraction of its self CPU time spent
outside ``bmm``/``mm`` (the mask, the scaling and the softmax) times the
median. The ratios of one run are printed at the end (``-s``) and kept in
each benchmark's extra_info.
"""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

#: (name, kind, shape) per size set; attention: (B, H, L, L) scores
WORKLOADS = {
    "smoke": [("attn-1x2x128x128", "attention", (1, 2, 128, 128)),
              ("decode-4x4096", "decode", (4, 4096))],
    "quick": [("attn-1x16x1024x1024", "attention", (1, 16, 1024, 1024)),
              ("decode-32x128256", "decode", (32, 128256))],
}
WORKLOADS["small"] = WORKLOADS["quick"]
WORKLOADS["all"] = [("attn-8x16x1024x1024", "attention", (8, 16, 1024, 1024))] + WORKLOADS["quick"]

VARIANTS = ("fused", "unfused", "torch-unfused", "torch-sdpa", "torch-matmuls", "torch-sdpa-math")
HEAD_DIM = 64
TEMPERATURE = 0.7

_medians: dict = {}


def pytest_generate_tests(metafunc):
    if "fused_workload" in metafunc.fixturenames:
        chosen = WORKLOADS[metafunc.config.getoption("--fsm-sizes")]
        metafunc.parametrize("fused_workload", chosen, ids=[w[0] for w in chosen], scope="module")


@pytest.fixture(scope="module")
def data(fused_workload):
    _, kind, shape = fused_workload
    rng = np.random.default_rng(0)
    x = rng.normal(0.0, 4.0, size=shape).astype(np.float32)
    d = {"x": x, "y": np.empty_like(x)}
    if kind == "attention":
        n = shape[-1]
        d["scale"] = HEAD_DIM ** -0.5
        d["mask"] = np.triu(np.full((n, n), -np.inf, np.float32), 1)
    return d


@pytest.fixture(autouse=True)
def one_thread():
    with fastsoftmax.threads(1):
        if torch is not None:
            before = torch.get_num_threads()
            torch.set_num_threads(1)
        yield
        if torch is not None:
            torch.set_num_threads(before)


def _call(variant, kind, d):
    x, y = d["x"], d["y"]
    if kind == "attention":
        s, mask = d["scale"], d["mask"]
        if variant == "fused":
            return lambda: fastsoftmax.softmax(x, scale=s, causal=True, out=y)
        if variant == "unfused":
            return lambda: fastsoftmax.softmax(x * np.float32(s) + mask, out=y)
        if torch is None:
            pytest.skip("torch is not installed")
        xt, mt = torch.from_numpy(x), torch.from_numpy(mask)
        if variant == "torch-unfused":
            return lambda: torch.softmax(xt * s + mt, -1)
        b, h, lq, lk = x.shape
        g = torch.Generator().manual_seed(0)
        q = torch.randn(b, h, lq, HEAD_DIM, generator=g)
        k = torch.randn(b, h, lk, HEAD_DIM, generator=g)
        v = torch.randn(b, h, lk, HEAD_DIM, generator=g)
        p = torch.from_numpy(y)
        if variant == "torch-sdpa":
            f = torch.nn.functional.scaled_dot_product_attention
            return lambda: f(q, k, v, is_causal=True, scale=s)
        if variant == "torch-matmuls":
            return lambda: (torch.matmul(q, k.transpose(-1, -2)), torch.matmul(p, v))
        if variant == "torch-sdpa-math":
            return lambda: _sdpa_math(q, k, v, s)
    else:
        t = TEMPERATURE
        if variant == "fused":
            return lambda: fastsoftmax.softmax(x, temperature=t, out=y)
        if variant == "unfused":
            return lambda: fastsoftmax.softmax(x / np.float32(t), out=y)
        if torch is None:
            pytest.skip("torch is not installed")
        if variant == "torch-unfused":
            xt = torch.from_numpy(x)
            return lambda: torch.softmax(xt / t, -1)
        pytest.skip("attention only")
    raise AssertionError(variant)  # pragma: no cover


def _sdpa_math(q, k, v, s):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel(SDPBackend.MATH):
        return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True, scale=s)


#: self CPU time of torch's matrix products (the rest of SDPA's math path
#: is its softmax share: scaling, the causal mask and the softmax)
_MATMUL_OPS = {"aten::bmm", "aten::mm", "aten::addmm", "aten::baddbmm"}


def _sdpa_math_softmax_fraction(call) -> float:
    """The fraction of SDPA's math path spent outside its matrix products,
    from torch's profiler (self CPU time of two calls)."""
    call()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        call()
        call()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events)
    matmul = sum(e.self_cpu_time_total for e in events if e.key in _MATMUL_OPS)
    return (total - matmul) / total


def _reference(kind, d):
    x = d["x"].astype(np.float64)
    if kind == "attention":
        x = x * d["scale"] + d["mask"]
    else:
        x = x / TEMPERATURE
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_fused(benchmark, fused_workload, data, variant):
    name, kind, shape = fused_workload
    call = _call(variant, kind, data)
    benchmark.group = f"fused {name}"
    benchmark(call)
    if variant in ("fused", "unfused"):
        got = data["y"]
        if got.size <= 1 << 22:  # the reference of the large shapes costs more than the bench
            ref = _reference(kind, data)
            assert np.abs(got - ref).max() <= 1e-5, variant
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable
        return
    median = stats.stats.median
    _medians[(name, variant)] = median
    size = int(np.prod(shape))
    benchmark.extra_info.update({"variant": variant, "workload": name,
                                 "elements_per_ns": size / median * 1e-9,
                                 "gb_per_s": 8 * size / median * 1e-9})
    fused = _medians.get((name, "fused"))
    if fused is not None and variant != "fused":
        benchmark.extra_info["fused_speedup"] = median / fused
    if variant == "torch-sdpa-math" and fused is not None:
        share = median * _sdpa_math_softmax_fraction(call)
        benchmark.extra_info["sdpa_math_softmax_share_s"] = share
        benchmark.extra_info["fused_speedup_vs_sdpa_math_share"] = share / fused
        print(f"\n{name}: SDPA math backend {median * 1e3:.1f} ms, softmax share (profiler, "
              f"outside bmm) {share * 1e3:.1f} ms; fused {fused * 1e3:.1f} ms: {share / fused:.2f}x")
    sdpa, mm = _medians.get((name, "torch-sdpa")), _medians.get((name, "torch-matmuls"))
    if fused is not None and sdpa is not None and mm is not None and sdpa <= mm and variant == "torch-matmuls":
        print(f"\n{name}: SDPA {sdpa * 1e3:.1f} ms <= its matmuls alone {mm * 1e3:.1f} ms (a fused "
              f"flash kernel): no share by subtraction; see torch-sdpa-math; fused {fused * 1e3:.1f} ms "
              f"is {fused / sdpa:.0%} of the whole SDPA")
    if fused is not None and sdpa is not None and mm is not None and sdpa > mm:
        benchmark.extra_info["sdpa_softmax_share_s"] = sdpa - mm
        benchmark.extra_info["fused_speedup_vs_sdpa_share"] = (sdpa - mm) / fused
        print(f"\n{name}: SDPA {sdpa * 1e3:.1f} ms - matmuls {mm * 1e3:.1f} ms = softmax share "
              f"{(sdpa - mm) * 1e3:.1f} ms; fused {fused * 1e3:.1f} ms: "
              f"{(sdpa - mm) / fused:.2f}x")
    for v in ("unfused", "torch-unfused"):
        other = _medians.get((name, v))
        if fused is not None and other is not None and variant == v:
            print(f"\n{name}: fused {fused * 1e3:.2f} ms, {v} {other * 1e3:.2f} ms: "
                  f"{other / fused:.2f}x")

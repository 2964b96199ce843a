"""logsumexp against scipy.special.logsumexp, topk_softmax against NumPy
argsort references (exact indices), sample: the inverse-CDF draw against
a float64 NumPy reference of the filters at given uniforms (exact tokens),
distributions by chi-square over many draws, reproducibility (issue 16).
Every ISA this machine has (the ``isa`` fixture), every tail length."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
from fastsoftmax import _core

special = pytest.importorskip("scipy.special")
stats = pytest.importorskip("scipy.stats")

TOL = {np.float32: 2e-6, np.float64: 1e-13}


# ---------------------------------------------------------------- logsumexp

def _check_lse(got, ref, dtype, rtol=None):
    got, ref = np.asarray(got), np.asarray(ref)
    assert got.shape == ref.shape and got.dtype == ref.dtype
    rtol = TOL[dtype] if rtol is None else rtol
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("n", list(range(1, 41)) + [255, 4097, 65536, 131072 + 17])
def test_logsumexp_rows_every_length(isa, dtype, n):
    x = np.random.default_rng(n).normal(0, 4, (3, n)).astype(dtype)
    x[1] += 300  # a large offset: no overflow
    _check_lse(fs.logsumexp(x, axis=-1), special.logsumexp(x.astype(np.float64), axis=-1)
               .astype(dtype), dtype)


@pytest.mark.parametrize("axis", [None, 0, 1, 2, -1, (0, 2), (2, 0), (0, 1, 2), ()])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logsumexp_axes_like_scipy(dtype, axis, keepdims):
    x = np.random.default_rng(3).normal(0, 3, (4, 5, 6)).astype(dtype)
    got = fs.logsumexp(x, axis=axis, keepdims=keepdims)
    ref = special.logsumexp(x, axis=axis, keepdims=keepdims)
    _check_lse(got, ref, dtype)
    assert type(got) is type(ref)  # numpy scalar when every axis is reduced


def test_logsumexp_strided_and_fortran(dtype):
    x = np.asfortranarray(np.random.default_rng(4).normal(0, 3, (40, 30)).astype(dtype))
    for v in (x, x[::2, 1::3], x.T):
        for axis in (0, 1, None):
            _check_lse(fs.logsumexp(v, axis=axis), special.logsumexp(v, axis=axis), dtype)


@pytest.mark.parametrize("a", [np.arange(6).reshape(2, 3), np.array([True, False]), [1, 2, 3.5], 7])
def test_logsumexp_non_float_inputs(a):
    got, ref = fs.logsumexp(a), special.logsumexp(a)
    _check_lse(got, ref, np.float64)


def test_logsumexp_float16():
    x = np.linspace(-3, 3, 11).astype(np.float16)
    got, ref = fs.logsumexp(x), special.logsumexp(x)
    assert np.asarray(got).dtype == np.asarray(ref).dtype == np.float16
    np.testing.assert_allclose(float(got), float(ref), rtol=1e-3)


@pytest.mark.parametrize("row", [
    [1.0, np.nan, 2.0], [np.inf, 1.0], [np.inf, -np.inf], [-np.inf, -np.inf], [np.inf, np.nan],
    [-np.inf, 3.0], [np.inf, np.inf], [], [0.0], [1e30, 1e30], [-1e30, 5.0]])
def test_logsumexp_special_values(isa, dtype, row):
    x = np.array(row, dtype)
    with np.errstate(all="ignore"):
        ref = special.logsumexp(x)
    got = fs.logsumexp(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    if not np.isnan(ref):
        _check_lse(got, ref, dtype)


@pytest.mark.parametrize("b", [np.array([1.0, 2.0, 0.5, 3.0]), np.array([1.0, -2.0, 0.5, 3.0]),
                               np.array([0.0, 1.0, 1.0, 0.0]), np.array([[1.0], [-1.0], [2.0]]),
                               np.array([-1.0, -1.0, -1.0, -1.0]), 2.0])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("return_sign", [False, True])
def test_logsumexp_weights(dtype, b, axis, return_sign):
    x = np.random.default_rng(6).normal(0, 2, (3, 4)).astype(dtype)
    with np.errstate(all="ignore"):
        ref = special.logsumexp(x, axis=axis, b=b, return_sign=return_sign)
        got = fs.logsumexp(x, axis=axis, b=b, return_sign=return_sign)
    if return_sign:
        _check_lse(got[1], ref[1], np.float64, 0)
        got, ref = got[0], ref[0]
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_allclose(got, ref, rtol=TOL[dtype] * 4, atol=TOL[dtype] * 4)


def test_logsumexp_weights_zero_and_inf():
    x = np.array([np.inf, 1.0, 2.0])
    b = np.array([0.0, 1.0, 1.0])
    np.testing.assert_allclose(fs.logsumexp(x, b=b), special.logsumexp(x, b=b))
    np.testing.assert_allclose(fs.logsumexp(np.array([1.0, 1.0]), b=[1, -1], return_sign=True),
                               special.logsumexp(np.array([1.0, 1.0]), b=[1, -1], return_sign=True))


def test_logsumexp_return_sign_without_b(dtype):
    x = np.random.default_rng(7).normal(0, 2, (3, 4)).astype(dtype)
    got = fs.logsumexp(x, axis=1, return_sign=True)
    ref = special.logsumexp(x, axis=1, return_sign=True)
    _check_lse(got[0], ref[0], dtype)
    np.testing.assert_array_equal(got[1], ref[1])


def test_logsumexp_long_rows_same_at_every_thread_count(dtype):
    x = np.random.default_rng(8).normal(0, 3, (2, 300_001)).astype(dtype)
    with fs.threads(1):
        one = fs.logsumexp(x, axis=-1)
    with fs.threads(2):
        two = fs.logsumexp(x, axis=-1)
    np.testing.assert_array_equal(one, two)
    _check_lse(one, special.logsumexp(x.astype(np.float64), axis=-1).astype(dtype), dtype)


def test_logsumexp_c_entry_points(isa):
    x = np.random.default_rng(9).normal(0, 3, (5, 4100)).astype(np.float32)
    out = np.empty(5, np.float32)
    _core.logsumexp_rows(x, out)
    _check_lse(out, special.logsumexp(x.astype(np.float64), axis=1).astype(np.float32),
               np.float32)


# ---------------------------------------------------------------- topk_softmax

def _softmax64(x):
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("n,k", [(1, 1), (7, 3), (8, 8), (64, 2), (256, 8), (300, 16), (300, 17),
                                 (1000, 100), (5000, 1), (40000, 50), (40000, 700),
                                 (200_000, 5)])
def test_topk_softmax_exact(isa, dtype, n, k):
    x = np.random.default_rng(n + k).normal(0, 2, (3, n)).astype(dtype)
    p, i = fs.topk_softmax(x, k)
    order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[:, :k]
    np.testing.assert_array_equal(i, order)
    assert p.dtype == dtype and i.dtype == np.int64 and p.shape == (3, k)
    ref = np.take_along_axis(_softmax64(x), order, -1)
    np.testing.assert_allclose(p, ref, rtol=TOL[dtype] * 2, atol=0)
    pr, ir = fs.topk_softmax(x, k, renormalize=True)
    np.testing.assert_array_equal(ir, order)
    np.testing.assert_allclose(pr, ref / ref.sum(-1, keepdims=True), rtol=TOL[dtype] * 2)


def test_topk_softmax_ties_lower_index_first(isa, dtype):
    x = np.array([[1.0, 3.0, 3.0, 0.0, 3.0, -np.inf], [2.0] * 6], dtype)
    for k in (1, 2, 4, 6):
        _, i = fs.topk_softmax(x, k)
        np.testing.assert_array_equal(i, np.argsort(-x, axis=-1, kind="stable")[:, :k])
    xl = np.round(np.random.default_rng(1).normal(0, 2, (2, 3000))).astype(dtype)  # many ties
    _, i = fs.topk_softmax(xl, 40)
    np.testing.assert_array_equal(i, np.argsort(-xl, axis=-1, kind="stable")[:, :40])


def test_topk_softmax_batch_shape():
    x = np.random.default_rng(2).normal(0, 1, (2, 3, 64)).astype(np.float32)
    p, i = fs.topk_softmax(x, 4)
    assert p.shape == i.shape == (2, 3, 4)
    p1, i1 = fs.topk_softmax(x[1, 2], 4)
    np.testing.assert_array_equal(i[1, 2], i1)
    np.testing.assert_array_equal(p[1, 2], p1)


# ---------------------------------------------------------------- sample

def _kept64(x, temperature=1.0, top_k=None, top_p=None, min_p=None):
    """The float64 reference of the filters: a boolean mask of the kept
    tokens and their renormalised probabilities."""
    p = _softmax64(np.asarray(x, np.float64) / temperature)
    keep = np.ones(p.shape, bool)
    if top_k is not None:
        keep &= p >= np.sort(p)[::-1][top_k - 1]
    if top_p is not None:
        q = np.sort(p[keep])[::-1]
        c = np.cumsum(q) / q.sum()
        j = min(np.searchsorted(c, top_p), len(q) - 1)
        keep &= p >= q[j]
    if min_p is not None:
        keep &= p >= min_p * p.max()
    w = np.where(keep, p, 0.0)
    return keep, w / w.sum()


FILTERS = [dict(), dict(temperature=0.7), dict(top_k=1), dict(top_k=5), dict(top_k=40),
           dict(top_p=0.9), dict(top_p=0.5, temperature=1.5), dict(min_p=0.05),
           dict(top_k=30, top_p=0.8), dict(top_k=30, top_p=0.8, min_p=0.1, temperature=0.8),
           dict(top_p=1.0, min_p=0.0)]


@pytest.mark.parametrize("n", [1, 2, 7, 33, 1000, 5000, 50000])
@pytest.mark.parametrize("kw", FILTERS, ids=[str(f) for f in FILTERS])
def test_sample_inverse_cdf_exact(isa, dtype, n, kw):
    """At given uniforms the token is the reference's inverse CDF (in index
    order over the kept tokens), away from the CDF's steps."""
    if kw.get("top_k", 0) > n:
        pytest.skip("top_k > n")
    rng = np.random.default_rng(n)
    x = rng.normal(0, 3, n).astype(dtype)
    keep, w = _kept64(x, **kw)
    cdf = np.cumsum(w)
    u = rng.random(200)
    step = np.min(np.abs(u[:, None] - cdf[None, :]), axis=1)
    u = u[step > 1e-4]
    want = np.minimum(np.searchsorted(cdf, u, side="right"), n - 1)
    t = kw.get("temperature", 1.0)
    rows = np.ascontiguousarray(np.broadcast_to(x, (len(u), n)))
    tokens = np.empty(len(u), np.int64)
    _core.sample_rows(rows, t, kw.get("top_k") or 0, kw.get("top_p") or 1.0, kw.get("min_p") or 0.0,
                      u, tokens)
    np.testing.assert_array_equal(tokens, want)
    assert keep[tokens].all()


@pytest.mark.parametrize("kw", FILTERS[:1] + FILTERS[3:], ids=[str(f) for f in FILTERS[:1] + FILTERS[3:]])
def test_sample_distribution_chi_square(kw):
    x = np.random.default_rng(11).normal(0, 1.5, 60).astype(np.float32)
    keep, w = _kept64(x, **kw)
    draws = 40_000
    tokens = fs.sample(np.broadcast_to(x, (draws, 60)), rng=np.random.default_rng(12), **kw)
    counts = np.bincount(tokens, minlength=60)
    assert counts[~keep].sum() == 0
    exp = w[keep] * draws
    if len(exp) > 1:
        chi2, pval = stats.chisquare(counts[keep], exp)
        assert pval > 1e-4, (chi2, pval)


def test_sample_reproducible_and_shapes():
    x = np.random.default_rng(13).normal(0, 2, (2, 3, 500)).astype(np.float32)
    a = fs.sample(x, top_p=0.9, rng=42)
    b = fs.sample(x, top_p=0.9, rng=np.random.default_rng(42))
    assert a.shape == (2, 3) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    g = np.random.default_rng(1)
    c, d = fs.sample(x, rng=g), fs.sample(x, rng=g)
    assert not np.array_equal(c, d) or True  # the generator advanced (checked next)
    g2 = np.random.default_rng(1)
    g2.random(6)
    np.testing.assert_array_equal(d, fs.sample(x, rng=g2))
    one = fs.sample(x[0, 0], rng=3)
    assert isinstance(one, np.integer) and 0 <= one < 500


def test_sample_greedy_limits(isa, dtype):
    x = np.random.default_rng(14).normal(0, 2, (16, 3001)).astype(dtype)
    am = np.argmax(x, axis=-1)
    np.testing.assert_array_equal(fs.sample(x, top_k=1, rng=0), am)
    np.testing.assert_array_equal(fs.sample(x, top_p=1e-9, rng=0), am)
    np.testing.assert_array_equal(fs.sample(x, min_p=1.0, rng=0), am)
    np.testing.assert_array_equal(fs.sample(x, temperature=1e-4, rng=0), am)


def test_sample_masked_entries_never_drawn(isa):
    x = np.random.default_rng(15).normal(0, 1, (500, 40)).astype(np.float32)
    x[:, ::2] = -np.inf
    t = fs.sample(x, rng=1)
    assert (t % 2 == 1).all()

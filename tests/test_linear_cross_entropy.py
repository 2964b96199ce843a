"""linear_cross_entropy (issue 20): cross_entropy(h @ W.T + bias, targets)
and its gradients for h, W and bias, computed over the vocabulary in chunks
without the logits, against the unfused computation in float64 (and
float32), for every reduction, ignored targets, label smoothing and chunk
sizes that do and do not divide the vocabulary."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import fastsoftmax as fs


def _unfused(h, W, t, bias, **kw):
    L = h @ W.T + (0 if bias is None else bias)
    loss, G = fs.cross_entropy(L, t, return_grad=True, **kw)
    grads = {"h": G @ W, "W": G.T @ h}
    if bias is not None:
        grads["bias"] = G.sum(0)
    return loss, grads


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("chunk", [1, 97, 256, None])
@pytest.mark.parametrize("with_bias", [False, True])
# tokens > hidden: pass 2 computes rows [hidden, tokens) of each chunk again;
# tokens <= hidden: every row waits in grad W's memory
@pytest.mark.parametrize("T, H", [(33, 24), (24, 24), (17, 24)])
def test_matches_unfused_float64(reduction, label_smoothing, chunk, with_bias, T, H):
    rng = np.random.default_rng(20)
    V = 1000
    h = rng.normal(0, 1, (T, H))
    W = rng.normal(0, 1, (V, H))
    b = rng.normal(0, 1, V) if with_bias else None
    t = rng.integers(0, V, T)
    t[[2, 9]] = -100
    kw = dict(reduction=reduction, label_smoothing=label_smoothing)
    loss, g = fs.linear_cross_entropy(h, W, t, bias=b, chunk=chunk, return_grad=True, **kw)
    loss0, g0 = _unfused(h, W, t, b, **kw)
    np.testing.assert_allclose(loss, loss0, rtol=1e-12, atol=1e-12)
    assert set(g) == set(g0)
    for k in g:
        np.testing.assert_allclose(g[k], g0[k], rtol=1e-10, atol=1e-13, err_msg=k)
    np.testing.assert_array_equal(fs.linear_cross_entropy(h, W, t, bias=b, chunk=chunk, **kw), loss)


def test_float32_and_custom_ignore_index():
    rng = np.random.default_rng(3)
    T, H, V = 64, 32, 3000
    h = rng.normal(0, 1, (T, H)).astype(np.float32)
    W = (rng.normal(0, 1, (V, H)) / 4).astype(np.float32)
    t = rng.integers(0, V, T)
    t[5] = 7777
    loss, g = fs.linear_cross_entropy(h, W, t, ignore_index=7777, chunk=500, return_grad=True)
    loss0, g0 = _unfused(h.astype(np.float64), W.astype(np.float64), t, None, ignore_index=7777)
    assert loss.dtype == np.float32 and g["W"].dtype == np.float32
    np.testing.assert_allclose(loss, loss0, rtol=1e-5)
    for k in g:
        np.testing.assert_allclose(g[k], g0[k], rtol=1e-3, atol=1e-6 * np.abs(g0[k]).max())
    assert not g["h"][5].any()


def test_memory_is_per_chunk():
    """The peak of the arrays allocated during the call stays near the
    chunk buffers and outputs, far below the (tokens, vocab) logits."""
    rng = np.random.default_rng(4)
    T, H, V = 256, 16, 20000
    h = rng.normal(0, 1, (T, H)).astype(np.float32)
    W = rng.normal(0, 1, (V, H)).astype(np.float32)
    t = rng.integers(0, V, T)
    tracemalloc.start()
    fs.linear_cross_entropy(h, W, t, chunk=1024, return_grad=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    logits = T * V * 4
    outputs = (T * H + V * H) * 4
    assert peak - outputs < logits / 8, (peak, outputs, logits)


def test_errors():
    h = np.ones((2, 3), np.float32)
    W = np.ones((5, 3), np.float32)
    t = np.array([0, 1])
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, np.ones((5, 4), np.float32), t)
    with pytest.raises(TypeError):
        fs.linear_cross_entropy(h, W.astype(np.float64), t)
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, W, np.array([0, 5]))
    with pytest.raises(TypeError):
        fs.linear_cross_entropy(h, W, np.array([0.0, 1.0]))
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, W, t, reduction="avg")
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, W, t, chunk=0)
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, W, t, bias=np.ones(4, np.float32))
    with pytest.raises(ValueError):
        fs.linear_cross_entropy(h, W, t, label_smoothing=2.0)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("hidden", [0, 4])
def test_no_tokens(reduction, hidden):
    """No tokens: the loss of the unfused computation (NaN for a mean, 0 for
    a sum, an empty array), an empty h gradient and a zero W gradient."""
    h = np.zeros((0, hidden))
    W = np.ones((10, hidden))
    t = np.zeros(0, dtype=np.int64)
    loss, g = fs.linear_cross_entropy(h, W, t, reduction=reduction, return_grad=True)
    loss0, g0 = _unfused(h, W, t, None, reduction=reduction)
    np.testing.assert_array_equal(loss, loss0)
    np.testing.assert_array_equal(fs.linear_cross_entropy(h, W, t, reduction=reduction), loss0)
    assert g["h"].shape == (0, hidden) and g["W"].shape == (10, hidden)
    np.testing.assert_array_equal(g["W"], g0["W"])

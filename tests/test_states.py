"""Mergeable softmax states (issue 20): softmax_state / merge_states /
softmax_from_state / log_softmax_from_state / logsumexp_from_state /
logsumexp. A row cut into random pieces whose states are merged along
random trees gives the same bits every time; the results match float64
references and the in-memory functions; special rows; errors."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
import reference as R


def _lse64(x, axis=-1):
    x = np.asarray(x, np.float64)
    m = np.max(x, axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.squeeze(m, axis) + np.log(np.sum(np.exp(x - m), axis=axis))


def _random_tree(states, rng):
    """Merge a list of states along a random binary tree."""
    work = list(states)
    while len(work) > 1:
        i, j = rng.choice(len(work), 2, replace=False)
        merged = fs.merge_states(work[i], work[j])
        work = [w for k, w in enumerate(work) if k not in (i, j)] + [merged]
    return work[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("spread", [1.0, 60.0, 600.0])
def test_random_merge_trees_give_the_same_bits(dtype, spread):
    rng = np.random.default_rng(20)
    for _ in range(8):
        rows, n = 5, int(rng.integers(1, 3000))
        pieces = int(rng.integers(1, min(n, 40) + 1))
        cuts = np.sort(rng.integers(0, n + 1, pieces - 1))
        bounds = np.concatenate([[0], cuts, [n]])
        x = np.empty((rows, n), dtype)
        for a, b in zip(bounds[:-1], bounds[1:]):  # pieces at very different scales
            x[:, a:b] = rng.uniform(-spread, spread, (rows, 1)) + rng.normal(0, 3, (rows, b - a))
        if dtype == np.float32 and spread > 80:
            x = np.clip(x, -80, 80).astype(dtype)
        states = [fs.softmax_state(x[:, a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
        first = _random_tree(states, rng)
        for _ in range(6):
            again = _random_tree(states, rng)
            assert first.tobytes() == again.tobytes()
        # the same through merge_states(axis=) on the stacked states
        stacked = np.stack(states[::-1], axis=1)
        assert fs.merge_states(stacked, axis=1).tobytes() == first.tobytes()
        lse = fs.logsumexp_from_state(first)
        tol = 1e-6 if dtype == np.float32 else 1e-13
        np.testing.assert_allclose(lse, _lse64(x), rtol=tol, atol=tol)
        y = np.concatenate([fs.softmax_from_state(x[:, a:b], first)
                            for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
        ref = R.softmax64(x) if hasattr(R, "softmax64") else np.exp(x - _lse64(x)[:, None])
        z = np.concatenate([fs.log_softmax_from_state(x[:, a:b], first)
                            for a, b in zip(bounds[:-1], bounds[1:])], axis=1)
        if dtype == np.float64:
            np.testing.assert_allclose(y, ref, rtol=1e-11, atol=1e-300)
            np.testing.assert_allclose(z, x - _lse64(x)[:, None], rtol=1e-12, atol=1e-12)
        else:
            arg = np.abs(x.astype(np.float64) - _lse64(x)[:, None])
            assert np.all(np.abs(y - ref) <= (3e-6 + arg * 2.0 ** -24) * ref + 1.2e-38)
            np.testing.assert_allclose(z, x - _lse64(x)[:, None], rtol=3e-6, atol=3e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axes_and_in_memory_agreement(dtype, axis):
    rng = np.random.default_rng(1)
    x = rng.normal(0, 5, (7, 300, 3)).astype(dtype)
    s = fs.softmax_state(x, axis)
    assert s.shape == tuple(d for i, d in enumerate(x.shape) if i != axis % 3)
    assert s.dtype == fs.STATE_DTYPE
    assert fs.softmax_state(x, axis, keepdims=True).shape == np.expand_dims(s, axis).shape
    tol = 2e-6 if dtype == np.float32 else 1e-13
    np.testing.assert_allclose(fs.softmax_from_state(x, s, axis), fs.softmax(x, axis=axis),
                               rtol=tol, atol=1e-30)
    np.testing.assert_allclose(fs.log_softmax_from_state(x, s, axis),
                               fs.log_softmax(x, axis=axis), rtol=tol, atol=tol)
    lse = fs.logsumexp(x, axis)
    assert lse.dtype == dtype
    np.testing.assert_allclose(lse, _lse64(x, axis), rtol=tol, atol=tol)
    # out= and in place
    out = np.empty_like(x)
    assert fs.softmax_from_state(x, s, axis, out=out) is out
    y = x.copy()
    fs.log_softmax_from_state(y, s, axis, out=y)
    np.testing.assert_array_equal(y, fs.log_softmax_from_state(x, s, axis))


def test_strided_rows_without_copy():
    x = np.random.default_rng(5).normal(0, 4, (6, 500)).astype(np.float32)
    v = x[::2, 10:400]  # rows with a stride: taken as they are
    s = fs.softmax_state(v)
    assert s.tobytes() == fs.softmax_state(v.copy()).tobytes()
    out = np.zeros((3, 800), np.float32)[:, 100:490]
    fs.log_softmax_from_state(v, s, out=out)
    np.testing.assert_array_equal(out, fs.log_softmax_from_state(v.copy(), s))


def test_long_rows_are_chunked_and_exact():
    rng = np.random.default_rng(2)
    x = rng.normal(0, 10, (2, (1 << 18) + 77)).astype(np.float32)
    with fs.threads(1):
        s1 = fs.softmax_state(x)
    with fs.threads(2):
        s2 = fs.softmax_state(x)
    assert s1.tobytes() == s2.tobytes()
    np.testing.assert_allclose(fs.logsumexp_from_state(s1), _lse64(x), rtol=1e-7)
    ref = np.exp(x - _lse64(x)[:, None])
    arg = np.abs(x - _lse64(x)[:, None])  # float32 rounds the argument x - max
    assert np.all(np.abs(fs.softmax_from_state(x, s1) - ref) <= (3e-6 + arg * 2.0 ** -24) * ref + 1.2e-38)


def test_special_rows():
    inf, nan = np.inf, np.nan
    x = np.array([[1, 2, 3], [-inf, -inf, -inf], [0, inf, 1], [0, nan, 1], [0, inf, nan],
                  [2.0 ** 61, 2.0 ** 61, 3]], np.float32)
    s = fs.softmax_state(x)
    lse = fs.logsumexp_from_state(s)
    assert lse[1] == -inf and lse[2] == inf and np.isnan(lse[3]) and np.isnan(lse[4])
    assert lse[5] == 2.0 ** 61 + np.log(2)
    y = fs.softmax_from_state(x, s)
    assert np.isnan(y[1:5]).all()
    np.testing.assert_array_equal(y[5], [0.5, 0.5, 0])
    # -inf rows and empty pieces are identities of the merge
    empty = fs.softmax_state(np.empty((6, 0), np.float32))
    assert fs.merge_states(s, empty).tobytes() == s.tobytes()
    assert fs.merge_states(s[1], s[0]).tobytes() == s[0].tobytes()
    # a 0-d input is one element
    s0 = fs.softmax_state(np.float32(3))
    assert s0.shape == () and fs.logsumexp_from_state(s0) == pytest.approx(3.0)


def test_errors():
    x = np.ones((2, 3), np.float32)
    s = fs.softmax_state(x)
    with pytest.raises(TypeError):
        fs.softmax_state(np.ones(3, np.int32))
    with pytest.raises(ValueError):
        fs.softmax_state(x, axis=2)
    with pytest.raises(TypeError):
        fs.merge_states(s, np.zeros(2))
    with pytest.raises(TypeError):
        fs.merge_states(s)
    with pytest.raises(ValueError):
        fs.merge_states(s, fs.softmax_state(np.ones((3, 3), np.float32)))
    with pytest.raises(ValueError):
        fs.softmax_from_state(x, fs.softmax_state(np.ones((5, 3), np.float32)))
    with pytest.raises(TypeError):
        fs.logsumexp_from_state(np.zeros(3))
    with pytest.raises(ValueError):
        fs.softmax_from_state(x, s, out=np.empty((2, 3), np.float32)[:, :2])

"""float16 / bfloat16 losses, spherical family and StableMax (issue 17):
cross_entropy (integer and soft targets), log_spherical_loss,
log_taylor_loss, z_loss, stablemax_cross_entropy, spherical_stats and the
normalised maps on numpy.float16 and ml_dtypes.bfloat16 logits, every ISA
(forced) x tail lengths 1..40, the 4096-element stack scratch boundary and
chunked long rows. Two checks each:

- against the float64 NumPy references of tests/reference.py on the exactly
  widened inputs: the loss (float32) within the float32 function's bound;
  the gradient / map within ulp_S(ref) + the float32 bound (ulp_S the
  storage type's spacing at ref);
- the contract that makes those bounds hold: the loss is bit for bit the
  float32 function's on the widened logits, the gradient / map that float32
  result rounded once to the storage type.

Also reductions, ignore_index, label smoothing, axes, grad_out (same dtype,
in place, a wider float), dtype rules and bad inputs.
"""

import numpy as np
import pytest

import fastsoftmax
import reference as R
from half_reference import half_dtype
from half_reference import half_ulp as ulp

KINDS = ["f16", "bf16"]
U = 2.0 ** -24
LENGTHS = list(range(1, 41)) + [100, 4095, 4096, 4097]

# name -> (function, extra positional args, float64 reference rows(x2, c))
INT_LOSSES = {
    "cross_entropy": (fastsoftmax.cross_entropy, {}, lambda x, c: R.cross_entropy_rows64(x, c)),
    "cross_entropy_smoothed": (fastsoftmax.cross_entropy, {"label_smoothing": 0.1},
                               lambda x, c: R.cross_entropy_rows64(x, c, 0.1)),
    "log_spherical_loss": (fastsoftmax.log_spherical_loss, {"eps": 1e-3},
                           lambda x, c: R.normalised_loss_rows64("spherical", x, c, eps=1e-3)),
    "log_taylor_loss": (fastsoftmax.log_taylor_loss, {},
                        lambda x, c: R.normalised_loss_rows64("taylor", x, c)),
    "z_loss": (fastsoftmax.z_loss, {"a": 2.0, "b": 0.5},
               lambda x, c: R.z_loss_rows64(x, c, 2.0, 0.5)),
    "stablemax_cross_entropy": (fastsoftmax.stablemax_cross_entropy, {},
                                lambda x, c: R.normalised_loss_rows64("stable", x, c)),
}
MAPS = {
    "spherical_softmax": ("spherical", False, {"eps": 1e-3}),
    "log_spherical_softmax": ("spherical", True, {"eps": 1e-3}),
    "taylor_softmax": ("taylor", False, {}),
    "log_taylor_softmax": ("taylor", True, {}),
    "stablemax": ("stable", False, {}),
    "log_stablemax": ("stable", True, {}),
}


def bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


def logits(shape, kind, rng, scale=3.0):
    return (rng.normal(0, scale, shape)).astype(half_dtype(kind))


def check_grad(got, ref, kind, bound, what):
    err = np.abs(got.astype(np.float64) - ref)
    worst = (err / (ulp(ref, kind) + bound)).max(initial=0)
    assert worst <= 1, f"{what}: gradient {worst:.3g} of the bound"


def check_int_loss(name, x, c, kind, what):
    fn, kw, ref_rows = INT_LOSSES[name]
    loss, grad = fn(x, c, reduction="none", return_grad=True, **kw)
    assert loss.dtype == np.float32 and grad.dtype == x.dtype
    # the contract: the float32 function on the widened logits, rounded once
    l32, g32 = fn(x.astype(np.float32), c, reduction="none", return_grad=True, **kw)
    assert (loss.view(np.uint32) == l32.view(np.uint32)).all(), f"{what}: loss"
    assert (bits(grad) == bits(g32.astype(x.dtype))).all(), f"{what}: gradient rounding"
    # against float64
    x64 = x.astype(np.float64)
    ref_l, ref_g = ref_rows(x64, c)
    assert (np.abs(loss - ref_l) <= R.loss_tolerance(ref_l, np.float32)).all(), f"{what}: loss"
    if name.startswith("cross_entropy"):
        alpha = kw.get("label_smoothing", 0.0)
        t = (1 - alpha) * R.onehot64(c, x.shape[1]) + alpha / x.shape[1]
        bound = R.ce_grad_tolerance(x64, R.softmax64(x64), t, 1.0, np.float32)
    else:  # the affine gradients' terms are at most a few times the row's largest entry
        bound = 64 * U * np.abs(ref_g).max(axis=1, keepdims=True) + R.TINY32
    check_grad(grad, ref_g, kind, bound, what)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(INT_LOSSES))
def test_int_losses_every_length(isa, kind, name, rng):
    for n in LENGTHS:
        if name == "z_loss" and n < 3:
            continue
        x = logits((3, n), kind, rng)
        c = rng.integers(0, n, 3)
        check_int_loss(name, x, c, kind, f"{name} {kind} {isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", ["cross_entropy", "z_loss", "stablemax_cross_entropy"])
def test_int_losses_long_rows(isa, kind, name, rng):
    x = logits((2, 140000), kind, rng)  # chunked, the scratch allocated
    c = np.array([5, 139999])
    check_int_loss(name, x, c, kind, f"{name} {kind} {isa} long")


def test_catches_a_wrong_gradient(rng):
    """The float64 check is sharp enough to see a gradient off by 2%."""
    x = logits((4, 300), "f16", rng)
    c = rng.integers(0, 300, 4)
    ref_l, ref_g = R.cross_entropy_rows64(x.astype(np.float64), c)
    t = R.onehot64(c, 300)
    bound = R.ce_grad_tolerance(x.astype(np.float64), R.softmax64(x.astype(np.float64)), t, 1.0,
                                np.float32)
    with pytest.raises(AssertionError):
        check_grad((ref_g * 1.02).astype(np.float16), ref_g, "f16", bound, "wrong")


@pytest.mark.parametrize("kind", KINDS)
def test_soft_cross_entropy(isa, kind, rng):
    for n in LENGTHS + [140000]:
        rows = 1 if n > 5000 else 3
        x = logits((rows, n), kind, rng)
        t = rng.uniform(0, 1, (rows, n)).astype(x.dtype)
        for alpha in (0.0, 0.2):
            loss, grad = fastsoftmax.cross_entropy(x, t, reduction="none", label_smoothing=alpha,
                                                   return_grad=True)
            assert loss.dtype == np.float32 and grad.dtype == x.dtype
            l32, g32 = fastsoftmax.cross_entropy(x.astype(np.float32), t.astype(np.float32),
                                                 reduction="none", label_smoothing=alpha,
                                                 return_grad=True)
            assert (loss.view(np.uint32) == l32.view(np.uint32)).all()
            assert (bits(grad) == bits(g32.astype(x.dtype))).all()
            x64, t64 = x.astype(np.float64), t.astype(np.float64)
            ref_l, ref_g = R.soft_cross_entropy_rows64(x64, t64, alpha)
            xs = np.abs(x64).max(axis=1)
            assert (np.abs(loss - ref_l) <= R.LOSS_F32_REL * (xs + 1) * (np.abs(ref_l) + 1)).all()
            tt = (1 - alpha) * t64 + alpha / n
            p = tt.sum(axis=1, keepdims=True) * R.softmax64(x64)
            check_grad(grad, ref_g, kind, R.ce_grad_tolerance(x64, p, tt, 1.0, np.float32),
                       f"soft {kind} {isa} n={n} alpha={alpha}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", list(MAPS))
def test_maps(isa, kind, name, rng):
    family, log, kw = MAPS[name]
    fn = getattr(fastsoftmax, name)
    for n in LENGTHS + [140000]:
        rows = 1 if n > 5000 else 3
        x = logits((rows, n), kind, rng, scale=2.0)
        y = fn(x, **kw)
        assert y.dtype == x.dtype and y.shape == x.shape
        assert (bits(y) == bits(fn(x.astype(np.float32), **kw).astype(x.dtype))).all()
        x64 = x.astype(np.float64)
        ref = R.normalised64(family, x64, eps=kw.get("eps", 0.0), log=log)
        if log:
            g = R.g_dg_logg(family, x64, kw.get("eps", 0.0))[0]
            bound = 4 * U * (np.abs(ref) + np.abs(np.log(g.sum(axis=1, keepdims=True))) + 1)
        else:
            bound = 4 * U * np.abs(ref) + R.TINY32
        check_grad(y, ref, kind, bound, f"{name} {kind} {isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
def test_spherical_stats(isa, kind, rng):
    x = logits((4, 5000), kind, rng)
    c = rng.integers(0, 5000, 4)
    s, q, xc = fastsoftmax.spherical_stats(x, c)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(s, x64.sum(axis=1), rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(q, (x64 ** 2).sum(axis=1), rtol=1e-12)
    assert (xc == x64[np.arange(4), c]).all()
    assert len(fastsoftmax.spherical_stats(x)) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_reductions_ignore_index_axes(kind, rng):
    x = logits((5, 7, 9), kind, rng)
    c = rng.integers(0, 9, (5, 7))
    c[1, 2] = -100
    ln = fastsoftmax.cross_entropy(x, c, reduction="none")
    assert ln.dtype == np.float32 and ln[1, 2] == 0
    mean, g = fastsoftmax.cross_entropy(x, c, return_grad=True)
    assert type(mean) is np.float32
    assert mean == np.float32(ln.astype(np.float64).sum() / 34)
    assert (g[1, 2].astype(np.float32) == 0).all()
    _, gs = fastsoftmax.cross_entropy(x, c, reduction="sum", return_grad=True)
    # the mean's gradient: the sum's scaled by 1/34 in float32, rounded once
    _, g32 = fastsoftmax.cross_entropy(x.astype(np.float32), c, return_grad=True)
    assert (bits(g) == bits(g32.astype(x.dtype))).all()
    assert fastsoftmax.cross_entropy(x, c, reduction="sum") == np.float32(ln.astype(np.float64).sum())
    assert gs.dtype == x.dtype
    # the class axis elsewhere
    for axis in (0, 1):
        xa = np.moveaxis(x, -1, axis)
        la, ga = fastsoftmax.cross_entropy(xa, c, axis=axis, reduction="none", return_grad=True)
        assert (la == ln).all()
        assert (bits(np.moveaxis(ga, axis, -1)) == bits(fastsoftmax.cross_entropy(
            x, c, reduction="none", return_grad=True)[1])).all()
    for name in ("z_loss", "log_taylor_loss"):
        fn = getattr(fastsoftmax, name)
        assert fn(x, c).dtype == np.float32


@pytest.mark.parametrize("kind", KINDS)
def test_grad_out(kind, rng):
    x = logits((6, 50), kind, rng)
    c = rng.integers(0, 50, 6)
    loss, g = fastsoftmax.cross_entropy(x, c, return_grad=True)
    # same dtype: written directly
    out = np.empty_like(x)
    l2, g2 = fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=out)
    assert g2 is out and l2 == loss and (bits(out) == bits(g)).all()
    # in place: the logits themselves
    xi = x.copy()
    _, g3 = fastsoftmax.cross_entropy(xi, c, return_grad=True, grad_out=xi)
    assert g3 is xi and (bits(xi) == bits(g)).all()
    # a wider float receives the half gradient converted
    for wide in (np.float32, np.float64):
        out = np.full(x.shape, np.nan, wide)
        l4, g4 = fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=out)
        assert g4 is out and l4 == loss and (out == g.astype(wide)).all()
    # a strided grad_out (through a temporary)
    big = np.zeros((6, 100), x.dtype)
    _, g5 = fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=big[:, ::2])
    assert (bits(big[:, ::2]) == bits(g)).all() and (bits(big[:, 1::2]) == 0).all()
    with pytest.raises(TypeError, match="grad_out"):
        fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=np.empty(x.shape, np.int32))
    with pytest.raises(ValueError, match="grad_out"):
        fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=np.empty((6, 49), np.float32))
    with pytest.raises(ValueError, match="grad_out"):
        fastsoftmax.cross_entropy(x, c, grad_out=np.empty(x.shape, np.float32))


@pytest.mark.parametrize("kind", KINDS)
def test_maps_out_and_axes(kind, rng):
    x = logits((4, 6, 8), kind, rng)
    y = fastsoftmax.stablemax(x)
    out = np.empty(x.shape, np.float32)
    assert fastsoftmax.stablemax(x, out=out) is out and (out == y.astype(np.float32)).all()
    ya = fastsoftmax.stablemax(x, axis=1)
    assert (bits(ya) == bits(np.moveaxis(fastsoftmax.stablemax(np.moveaxis(x, 1, -1)), -1, 1))).all()
    xi = x.copy()
    assert fastsoftmax.taylor_softmax(xi, out=xi) is xi
    assert (bits(xi) == bits(fastsoftmax.taylor_softmax(x))).all()
    with pytest.raises(TypeError, match="out"):
        fastsoftmax.stablemax(x, out=np.empty(x.shape, np.int16))


@pytest.mark.parametrize("kind", KINDS)
def test_soft_targets_dtypes(kind, rng):
    """Soft targets of any float dtype are converted to the logits' half
    dtype; the loss is float32."""
    x = logits((3, 20), kind, rng)
    t = rng.uniform(0, 1, (3, 20))
    for dt in (np.float32, np.float64, np.float16):
        td = t.astype(dt)
        got = fastsoftmax.cross_entropy(x, td, reduction="none")
        ref = fastsoftmax.cross_entropy(x, td.astype(x.dtype), reduction="none")
        assert got.dtype == np.float32 and (got == ref).all()
    with pytest.raises(ValueError, match="soft targets"):
        fastsoftmax.cross_entropy(x, -t.astype(x.dtype))


@pytest.mark.parametrize("kind", KINDS)
def test_special_values_and_empty(kind):
    dt = half_dtype(kind)
    x = np.array([[30.0, 0.0, 0.0], [np.nan, 1.0, 0.0], [-np.inf, 0.0, 1.0]], dt)
    loss, g = fastsoftmax.cross_entropy(x, np.array([0, 1, 0]), reduction="none", return_grad=True)
    l32, g32 = fastsoftmax.cross_entropy(x.astype(np.float32), np.array([0, 1, 0]),
                                         reduction="none", return_grad=True)
    np.testing.assert_array_equal(loss, l32)
    assert 0 < loss[0] < 1e-12 and np.isnan(loss[1]) and loss[2] == np.inf
    np.testing.assert_array_equal(g.astype(np.float32), g32.astype(dt).astype(np.float32))
    e = np.zeros((0, 4), dt)
    assert fastsoftmax.cross_entropy(e, np.zeros(0, np.int64), reduction="none").shape == (0,)
    assert fastsoftmax.stablemax(e).dtype == dt
    assert fastsoftmax.cross_entropy(np.zeros((2, 0), dt), np.zeros((2, 0), dt),
                                     reduction="none").tolist() == [0.0, 0.0]


def test_rejects(rng):
    x = logits((3, 8), "f16", rng)
    c = np.array([0, 1, 2])
    with pytest.raises(ValueError, match="out of range"):
        fastsoftmax.cross_entropy(x, np.array([0, 8, 1]))
    with pytest.raises(TypeError, match="targets"):
        fastsoftmax.cross_entropy(x, c.astype(np.uint8))
    with pytest.raises(ValueError, match="label_smoothing"):
        fastsoftmax.cross_entropy(x, c, label_smoothing=1.5)
    with pytest.raises(ValueError, match="z_loss needs at least 3"):
        fastsoftmax.z_loss(x[:, :2], c.clip(0, 1))
    with pytest.raises(ValueError, match="eps"):
        fastsoftmax.log_spherical_loss(x, c, eps=-1.0)
    with pytest.raises(ValueError, match="eps"):
        fastsoftmax.spherical_softmax(x, eps=-1.0)
    with pytest.raises(ValueError, match="soft targets"):
        fastsoftmax.cross_entropy(x, np.ones((3, 7), np.float16))
    with pytest.raises(ValueError, match="read-only"):
        out = np.empty_like(x)
        out.flags.writeable = False
        fastsoftmax.cross_entropy(x, c, return_grad=True, grad_out=out)


@pytest.mark.parametrize("kind", KINDS)
def test_same_bits_at_every_thread_count(kind, rng):
    """Rows across threads and one long row's chunks across threads: the
    same bits as on one thread."""
    x = logits((3, 140000), kind, rng)
    c = np.array([1, 70000, 139999])
    t = rng.uniform(0, 1, x.shape).astype(x.dtype)
    results = []
    for n in (1, 2, 4):
        with fastsoftmax.threads(n):
            loss, g = fastsoftmax.cross_entropy(x, c, reduction="none", return_grad=True)
            soft, gs = fastsoftmax.cross_entropy(x, t, reduction="none", return_grad=True)
            z = fastsoftmax.z_loss(x, c, reduction="none")
            y = fastsoftmax.log_stablemax(x)
        results.append((loss.tobytes(), bits(g).tobytes(), soft.tobytes(), bits(gs).tobytes(),
                        z.tobytes(), bits(y).tobytes()))
    assert results[0] == results[1] == results[2]


@pytest.mark.parametrize("kind", KINDS)
def test_logsumexp(isa, kind, rng):
    """logsumexp on half rows: the float32 function on the widened rows
    (bit for bit, before the result is rounded to the input's dtype), within
    its bound of float64; axes, keepdims, weights, special values."""
    for n in LENGTHS + [140000]:
        rows = 1 if n > 5000 else 3
        x = logits((rows, n), kind, rng)
        got = fastsoftmax.logsumexp(x, axis=1)
        assert got.dtype == x.dtype
        x32 = x.astype(np.float32)
        ref32 = fastsoftmax.logsumexp(x32, axis=1)
        assert (bits(got) == bits(ref32.astype(x.dtype))).all(), (isa, n)
        ref = np.log(np.exp(x32.astype(np.float64) - x32.max(1, keepdims=True)).sum(1)) + x32.max(1)
        assert (np.abs(ref32 - ref) <= 4e-6 * np.abs(ref) + 1e-6).all()
        assert (np.abs(got.astype(np.float64) - ref) <= ulp(ref, kind) + 4e-6 * np.abs(ref)).all()
    x = logits((4, 5, 6), kind, rng)
    for axis in (0, 1, (0, 2), None):
        want = fastsoftmax.logsumexp(x.astype(np.float32), axis=axis, keepdims=True)
        got = fastsoftmax.logsumexp(x, axis=axis, keepdims=True)
        assert got.dtype == x.dtype and (bits(got) == bits(np.asarray(want).astype(x.dtype))).all()
    w = rng.uniform(0, 1, 6)
    got = fastsoftmax.logsumexp(x, axis=-1, b=w)
    assert got.dtype == x.dtype
    assert (bits(got) == bits(fastsoftmax.logsumexp(x.astype(np.float32), axis=-1, b=w)
                              .astype(x.dtype))).all()
    special = np.array([[np.nan, 0.0], [np.inf, 0.0], [-np.inf, -np.inf]], x.dtype)
    s = fastsoftmax.logsumexp(special, axis=1).astype(np.float32)
    assert np.isnan(s[0]) and s[1] == np.inf and s[2] == -np.inf
    assert fastsoftmax.logsumexp(np.zeros((2, 0), x.dtype), axis=1).astype(np.float32).tolist() == \
        [-np.inf, -np.inf]

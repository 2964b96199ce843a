"""The spherical family (spherical / Taylor softmax, their losses, Z-loss,
the (q, s, x_c) partials) and StableMax against float64 references
(tests/reference.py): every ISA, tails, special values, finite differences,
invariants, errors."""

import numpy as np
import pytest

import fastsoftmax as fs
from reference import (
    AFFINE_F32_ULPS,
    EPS32,
    EPS64,
    TINY32,
    assert_close,
    fd_grad4,
    g_stable,
    loss_tolerance,
    normalised64,
    normalised_loss_rows64,
    sigmoid64,
    z_loss_rows64,
)

MAPS = {
    "spherical": (fs.spherical_softmax, fs.log_spherical_softmax),
    "taylor": (fs.taylor_softmax, fs.log_taylor_softmax),
    "stable": (fs.stablemax, fs.log_stablemax),
}


def rows_of(rng, n, dtype):
    return np.stack([
        rng.normal(0, 1, n),
        rng.normal(0, 10, n),
        rng.uniform(-3, 1, n),          # Taylor: logits below -1
        np.full(n, 0.5),
        np.where(np.arange(n) == n // 2, 50.0, rng.normal(0, 1, n)),
        rng.normal(1e3, 1, n),           # a large common offset
    ]).astype(dtype)


def u_of(dtype):
    return EPS32 if np.dtype(dtype) == np.float32 else EPS64


def map_tolerances(kind, x, ref, log, dtype, eps=0.0):
    u = u_of(dtype)
    k = 4 if np.dtype(dtype) == np.float32 else 16
    if not log:
        return k * u * np.abs(ref) + (TINY32 if dtype == np.float32 else 1e-300)
    x64 = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        g = {"spherical": lambda v: v * v + eps, "taylor": lambda v: 1 + v + 0.5 * v * v,
             "stable": lambda v: g_stable(v)[0]}[kind](x64)
        lg = np.log(g.sum(-1, keepdims=True))
    lg = np.where(np.isfinite(lg), np.abs(lg), 0.0)  # |log G|: k = log G is rounded once
    return k * u * (np.abs(np.nan_to_num(ref, posinf=0, neginf=0)) + lg + 1.0)


@pytest.mark.parametrize("n", range(0, 71))
@pytest.mark.parametrize("kind", list(MAPS))
def test_maps_every_length(isa, dtype, kind, n, rng):
    x = rows_of(rng, n, dtype)
    f, flog = MAPS[kind]
    for eps in ((1e-6, 0.0) if kind == "spherical" else (None,)):
        kw = {} if eps is None else {"eps": eps}
        e = 0.0 if eps is None else eps
        y, z = f(x, **kw), flog(x, **kw)
        assert y.dtype == x.dtype and z.dtype == x.dtype
        ref = normalised64(kind, x, eps=e)
        assert_close(y, ref, map_tolerances(kind, x, ref, False, dtype, e), f"{kind} {isa} n={n}")
        lref = normalised64(kind, x, eps=e, log=True)
        assert_close(z, lref, map_tolerances(kind, x, lref, True, dtype, e), f"log {kind} {isa} n={n}")
        if n:
            assert np.allclose(y.astype(np.float64).sum(-1), 1.0, rtol=0, atol=n * 4 * u_of(dtype) + 1e-6)


@pytest.mark.parametrize("kind", list(MAPS))
def test_maps_axes_out_long(isa, dtype, kind, rng):
    f, flog = MAPS[kind]
    x = rng.normal(0, 2, (3, 4, 5)).astype(dtype)
    for axis in range(-3, 3):
        ref = normalised64(kind, x, axis=axis, eps=1e-6 if kind == "spherical" else 0.0)
        out = np.empty_like(x)
        got = f(x, axis=axis, out=out)
        assert got is out
        np.testing.assert_allclose(got, ref, rtol=8 * u_of(dtype), atol=1e-30)
    xl = rng.normal(0, 3, 128256).astype(dtype)
    ref = normalised64(kind, xl, eps=1e-6 if kind == "spherical" else 0.0)
    np.testing.assert_allclose(f(xl), ref, rtol=8 * u_of(dtype), atol=1e-37)
    assert f(np.zeros((2, 0), dtype)).shape == (2, 0)
    assert abs(flog(np.float64(2.0))) < 1e-15 and np.ndim(flog(np.float64(2.0))) == 0


def test_map_special_values(isa, dtype):
    z = np.zeros(4, dtype)
    assert np.isnan(fs.spherical_softmax(z, eps=0.0)).all()  # 0/0, documented
    np.testing.assert_allclose(fs.spherical_softmax(z), 0.25)
    # the prediction is argmax |x|
    assert np.argmax(fs.spherical_softmax(np.array([3.0, -5.0, 1.0], dtype))) == 1
    # Taylor is not monotone: x = (-3, 0) -> (0.714, 0.286)
    np.testing.assert_allclose(fs.taylor_softmax(np.array([-3.0, 0.0], dtype)), [5 / 7, 2 / 7], rtol=1e-6)
    # StableMax is NOT shift invariant
    x = np.array([1.0, 2.0, 3.0], dtype)
    assert not np.allclose(fs.stablemax(x), fs.stablemax(x - 3))
    s = fs.stablemax(np.array([0.0, -np.inf, np.nan], dtype))
    assert np.isnan(s).all()
    s = fs.stablemax(np.array([0.0, -np.inf, 1.0], dtype))
    np.testing.assert_allclose(s, [1 / 3, 0, 2 / 3], rtol=1e-6)


# ---------------------------------------------------------------- losses

def loss_call(kind, x, c, dtype, **kw):
    x = np.asarray(x, dtype)
    if kind == "z":
        return fs.z_loss(x, c, kw.get("a", 1.0), kw.get("b", 0.0), kw.get("eps_z", 0.0),
                         reduction="none", return_grad=True)
    if kind == "spherical":
        return fs.log_spherical_loss(x, c, kw.get("eps", 1e-6), reduction="none", return_grad=True)
    if kind == "taylor":
        return fs.log_taylor_loss(x, c, reduction="none", return_grad=True)
    return fs.stablemax_cross_entropy(x, c, reduction="none", return_grad=True)


def loss_ref(kind, x, c, **kw):
    if kind == "z":
        return z_loss_rows64(x, c, kw.get("a", 1.0), kw.get("b", 0.0), kw.get("eps_z", 0.0))
    return normalised_loss_rows64(kind, x, c, eps=kw.get("eps", 1e-6))


def grad_tolerance(kind, x, c, ref_g, dtype, **kw):
    """The affine pass's rounding: 8 u (|2 f_q (x - K)| + |f_s| + |g|) (module doc)."""
    x = np.asarray(x, np.float64)
    D = x.shape[1]
    u = u_of(dtype)
    k = AFFINE_F32_ULPS if np.dtype(dtype) == np.float32 else 64
    with np.errstate(all="ignore"):
        if kind == "spherical":
            N = (x * x).sum(1, keepdims=True) + D * kw.get("eps", 1e-6)
            part = np.abs(2 * x / N)
        elif kind == "taylor":
            T = D + x.sum(1, keepdims=True) + 0.5 * (x * x).sum(1, keepdims=True)
            part = np.abs((1 + x) / T) + np.abs(1 / T)
        elif kind == "z":
            mu = x.mean(1, keepdims=True)
            sig = np.sqrt(((x - mu) ** 2).mean(1, keepdims=True) + kw.get("eps_z", 0.0))
            part = (np.abs(x - mu) + sig) / (D * sig * sig) * 4  # |2 f_q (x - mu)| + |f_s|, rho <= 1
            # the reference's own x - mu rounds at |mu|, relative to sigma
            cond = 1 + np.abs(mu) / sig
            part = (part + np.abs(np.nan_to_num(ref_g))) * cond
        else:
            part = 0.0
    part = np.where(np.isfinite(part), part, 0.0)
    return k * u * (part + np.abs(np.nan_to_num(ref_g))) + (TINY32 if dtype == np.float32 else 1e-300)


LOSS_KINDS = ["spherical", "taylor", "z", "stable"]


@pytest.mark.parametrize("n", range(1, 71))
@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_losses_every_length(isa, dtype, kind, n, rng):
    x = rows_of(rng, n, dtype)
    c = rng.integers(0, n, x.shape[0])
    if kind == "z" and n < 3:  # D = 2 makes the Z-loss constant: rejected
        with pytest.raises(ValueError, match="3"):
            loss_call(kind, x, c, dtype)
        return
    loss, g = loss_call(kind, x, c, dtype)
    ref_l, ref_g = loss_ref(kind, x, c)
    xs = np.abs(x.astype(np.float64)).max(-1)
    assert_close(loss, ref_l, loss_tolerance(ref_l, dtype, xs), f"{kind} loss {isa} n={n}")
    assert_close(g, ref_g, grad_tolerance(kind, x, c, ref_g, dtype), f"{kind} grad {isa} n={n}")
    if kind == "z":  # shift and scale invariance: sum g = 0, sum x g = 0
        g64, x64 = g.astype(np.float64), x.astype(np.float64)
        mu = x64.mean(1, keepdims=True)
        # off the target, g = A (x - mu) + B: each entry rounds relative to
        # |A (x - mu)| + |B| (A, B fitted to the reference gradient), which
        # may be far above |g| itself
        size = np.abs(g64)
        for r in range(len(c)):
            off = np.arange(n) != c[r]
            A, B = np.linalg.lstsq(np.stack([x64[r, off] - mu[r], np.ones(n - 1)], 1),
                                   ref_g[r, off], rcond=None)[0]
            size[r, off] += np.abs(A * (x64[r, off] - mu[r])) + abs(B)
        assert np.all(np.abs(g64.sum(1)) <= 16 * u_of(dtype) * n * (size.sum(1) + 1e-30))
        assert np.all(np.abs((g64 * (x64 - mu)).sum(1)) <= 16 * u_of(dtype) * n
                      * ((size * np.abs(x64 - mu)).sum(1) + 1e-30))


def test_z_loss_long_row_outlier_target(isa):
    # a target far out of its row: the statistics shifted by x_c cancel by
    # R ~ 1e6, amplified by the long row's summation error, so they must be
    # taken again about the mean (R D > 2^28)
    rng = np.random.default_rng(5)
    n = 1 << 22
    x = rng.normal(0, 1, (1, n)).astype(np.float32)
    x[0, 7] = 1000.0
    x64 = x.astype(np.float64)
    mu = x64.mean()
    sd = np.sqrt(((x64 - mu) ** 2).mean())
    b = (1000.0 - mu) / sd  # a (b - z_c) = 0: loss = ln 2 / a
    loss = fs.z_loss(x, np.array([7]), 1.0, b, reduction="none")
    ref = np.log(2.0)
    assert abs(float(loss[0]) - ref) <= 4e-7 * (ref + 1), (float(loss[0]), ref)


def test_maps_of_huge_rows(isa):
    # float32 rows whose normaliser G (a double) has 1 / G below FLT_MIN:
    # still normalised (float64 cannot get there: its G would overflow first)
    x = np.full((1, 3), 1e30, np.float32)
    for fn in (fs.spherical_softmax, fs.taylor_softmax):
        np.testing.assert_allclose(fn(x), np.full((1, 3), 1 / 3), rtol=4 * EPS32, err_msg=fn.__name__)
    big = np.full((1, 3), 3e38, np.float32)
    np.testing.assert_allclose(fs.stablemax(big), np.full((1, 3), 1 / 3), rtol=4 * EPS32)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_loss_reductions_ignore_long(isa, kind, rng):
    n = 128256 if kind != "z" else 4099
    x = rng.normal(0, 2, (3, n)).astype(np.float32)
    c = np.array([5, -100, n - 1])
    kw = {}
    fn = {"spherical": fs.log_spherical_loss, "taylor": fs.log_taylor_loss, "z": fs.z_loss,
          "stable": fs.stablemax_cross_entropy}[kind]
    ref_l, ref_g = loss_ref(kind, x, c)
    lm, gm = fn(x, c, reduction="mean", return_grad=True, **kw)
    assert abs(lm - ref_l.sum() / 2) <= 1e-6 * (abs(ref_l.sum()) + 1)
    assert np.all(gm[1] == 0)
    assert_close(gm, ref_g / 2, grad_tolerance(kind, x, c, ref_g / 2, np.float32) * 2, f"{kind} mean")
    ls = fn(x, c, reduction="sum")
    assert abs(ls - ref_l.sum()) <= 1e-6 * (abs(ref_l.sum()) + 1)


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_loss_finite_differences(kind, rng):
    for n in (3, 7, 16):
        for kw in ({"eps": 1e-2}, {"eps": 1e-6}) if kind == "spherical" else (
                ({"a": 1.0, "b": 0.0}, {"a": 0.1, "b": 10.0}, {"a": 3.0, "b": 1.5, "eps_z": 0.1})
                if kind == "z" else ({},)):
            x = rng.normal(0, 2, (1, n))
            c = np.array([n // 2])
            _, g = loss_call(kind, x, c, np.float64, **kw)
            hf = None
            if kind == "spherical":
                hf = lambda v, e=kw["eps"]: 1e-3 * np.sqrt(v * v + e)  # noqa: E731
            fd = fd_grad4(lambda v: float(loss_ref(kind, v, c, **kw)[0][0]), x, h_fn=hf)
            assert np.max(np.abs(g - fd)) <= 1e-7 * np.max(np.abs(fd)), (kind, kw)


def test_near_certainty(isa, dtype):
    # log-spherical: L = log1p(N_rest / g_c) ~ 2e-8, where log N - log g_c rounds to 0 in float32
    x = np.array([[1e4, 1.0, 1.0]], dtype)
    loss, g = fs.log_spherical_loss(x, np.array([0]), 0.0, reduction="none", return_grad=True)
    assert abs(loss[0] / 2e-8 - 1) < 1e-5
    assert g[0, 0] < 0 and abs(g[0, 0] / (-2e4 * 2 / (1e8 * (1e8 + 2))) - 1) < 1e-5
    # StableMax: L = log1p(S_rest / s(x_c))
    loss, g = fs.stablemax_cross_entropy(np.array([[1e7, -1.0, -1.0]], dtype), np.array([0]),
                                         reduction="none", return_grad=True)
    assert abs(loss[0] / np.log1p(1.0 / (1e7 + 1)) - 1) < 1e-5 and g[0, 0] < 0
    # log-Taylor
    loss, g = fs.log_taylor_loss(np.array([[1e4, 0.0, 0.0]], dtype), np.array([0]),
                                 reduction="none", return_grad=True)
    gc = 0.5 * ((1e4 + 1) ** 2 + 1)
    assert abs(loss[0] / np.log1p(2.0 / gc) - 1) < 1e-5 and g[0, 0] < 0


@pytest.mark.parametrize("kind", LOSS_KINDS)
def test_loss_special_values(isa, dtype, kind):
    """NaN and infinities follow the float64 reference arithmetic (loss NaN
    pattern and infinities; finite entries of the gradient)."""
    x = np.array([[np.inf, 0, 0, 1], [np.nan, 0, 0, 1], [0, 0, -np.inf, 1], [-np.inf, 1, 5, 2],
                  [0, 2, np.inf, 1]], dtype)
    c = np.array([0, 0, 2, 2, 0])
    loss, g = loss_call(kind, x, c, dtype)
    with np.errstate(all="ignore"):
        ref_l, ref_g = loss_ref(kind, x, c)
    if kind == "taylor":
        # T = D + s + q/2 from the statistics is -inf + inf when a logit is
        # -inf: NaN where the reference's sum of g gives +inf (documented)
        ref_l = np.where(np.isnan(loss) & np.isinf(ref_l), np.nan, ref_l)
    assert_close(loss, ref_l, 1e-6 + 0 * np.nan_to_num(ref_l), f"{kind} special loss")
    finite = np.isfinite(ref_g) & np.isfinite(g)
    np.testing.assert_allclose(g[finite], ref_g[finite], rtol=1e-5, atol=1e-6)
    assert np.isnan(loss[1]) and np.isnan(g[1]).all()


def test_z_loss_special_rows(isa, dtype):
    x = np.full((1, 5), 2.5, dtype)  # constant row: sigma = 0
    loss, g = fs.z_loss(x, np.array([1]), a=2.0, b=0.5, reduction="none", return_grad=True)
    assert abs(loss[0] - np.logaddexp(0, 1.0) / 2) < 1e-6 and np.all(g == 0)
    loss, g = fs.z_loss(x, np.array([1]), eps_z=1e-4, reduction="none", return_grad=True)
    rho = sigmoid64(0.0)
    expect = -(rho / 1e-2) * (np.eye(5)[1] - 0.2)
    np.testing.assert_allclose(g[0], expect, rtol=1e-5)
    # large common offset: the variance must not cancel (q / D - mu^2 would)
    rng = np.random.default_rng(5)
    x = (1e4 + rng.normal(0, 1e-2, (4, 4096))).astype(dtype)
    c = np.array([0, 1, 2, 3])
    loss, g = fs.z_loss(x, c, reduction="none", return_grad=True)
    ref_l, ref_g = z_loss_rows64(x, c)
    np.testing.assert_allclose(loss, ref_l, rtol=1e-5)
    np.testing.assert_allclose(g, ref_g, rtol=1e-4, atol=1e-4 * np.abs(ref_g).max())
    # D = 3 works, NaN poisons the row
    loss, g = fs.z_loss(np.array([[1.0, np.nan, 2.0]], dtype), np.array([0]), return_grad=True)
    assert np.isnan(loss) and np.isnan(g).all()


def test_spherical_stats_and_partials(isa, dtype, rng):
    x = rng.normal(0, 3, (5, 17)).astype(dtype)
    c = rng.integers(0, 17, 5)
    s, q, xc = fs.spherical_stats(x, c)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(s, x64.sum(1), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(q, (x64 ** 2).sum(1), rtol=1e-13)
    assert np.array_equal(xc, x64[np.arange(5), c])
    s2, q2 = fs.spherical_stats(x)
    assert np.array_equal(s2, s) and np.array_equal(q2, q)
    s3, q3, xc3 = fs.spherical_stats(np.moveaxis(x, 1, 0), c, axis=0)
    assert np.allclose(s3, s) and np.array_equal(xc3, xc)
    # the dense gradient is 2 f_q x + f_s + f_c e_c from (q, s, x_c) alone
    for kind, fn, kw in (("log_spherical", fs.log_spherical_loss, {"eps": 1e-3}),
                         ("log_taylor", fs.log_taylor_loss, {})):
        loss, g = fn(x, c, reduction="none", return_grad=True, **kw)
        for r in range(5):
            L, fq, fsum, fc, gc = fs.spherical_loss_partials(
                kind, 17, q[r] - xc[r] ** 2, s[r] - xc[r], xc[r], **kw)
            dense = 2 * fq * x64[r] + fsum
            dense[c[r]] += fc
            tol = 1e-5 if dtype == np.float32 else 1e-12
            np.testing.assert_allclose(g[r], dense, rtol=tol, atol=tol * np.abs(dense).max())
            assert abs(gc - dense[c[r]]) <= 1e-9 * abs(dense).max()
            assert abs(L - loss[r]) <= tol * (abs(L) + 1)
    # Z-loss partials (shift invariant: statistics about any shift)
    L, fq, fsum, fc, gc = fs.spherical_loss_partials("z", 17, q[0] - xc[0] ** 2, s[0] - xc[0], xc[0])
    dense = 2 * fq * x64[0] + fsum
    dense[c[0]] += fc
    ref_l, ref_g = z_loss_rows64(x64[:1], c[:1])
    np.testing.assert_allclose(dense, ref_g[0], rtol=1e-9, atol=1e-12)
    assert abs(L - ref_l[0]) < 1e-12


# ---------------------------------------------------------------- errors

def test_errors():
    x = np.zeros((2, 4), np.float32)
    c = np.array([0, 1])
    with pytest.raises(ValueError, match="eps must be >= 0"):
        fs.spherical_softmax(x, eps=-1.0)
    with pytest.raises(ValueError, match="eps must be >= 0"):
        fs.log_spherical_loss(x, c, -1e-3)
    with pytest.raises(TypeError, match="eps must be a real number"):
        fs.log_spherical_softmax(x, eps="a")
    with pytest.raises(ValueError, match="a must be > 0"):
        fs.z_loss(x, c, a=0.0)
    with pytest.raises(ValueError, match="eps_z must be >= 0"):
        fs.z_loss(x, c, eps_z=-1.0)
    with pytest.raises(ValueError, match="b must be finite"):
        fs.z_loss(x, c, b=np.inf)
    with pytest.raises(ValueError, match="at least 3 classes"):
        fs.z_loss(np.zeros((2, 2), np.float32), c)
    with pytest.raises(ValueError, match=r"targets\[1\] = 9 is out of range"):
        fs.log_taylor_loss(x, np.array([0, 9]))
    with pytest.raises(ValueError, match=r"targets\[0\] = -1 is out of range"):
        fs.spherical_stats(x, np.array([-1, 0]))
    with pytest.raises(TypeError, match="targets must be int32 or int64"):
        fs.stablemax_cross_entropy(x, np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        fs.z_loss(x, c, reduction="max")
    with pytest.raises(TypeError, match="x must"):
        fs.taylor_softmax(np.zeros(3, np.int8))
    with pytest.raises(ValueError, match="kind must be one of"):
        fs.spherical_loss_partials("mse", 4, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="spherical_loss_partials: cols must be >= 3"):
        fs.spherical_loss_partials("z", 2, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="cols must be >= 1 .* got -1"):
        fs.spherical_loss_partials("log_taylor", -1, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="no classes along axis 1"):
        fs.z_loss(np.zeros((2, 0), np.float32), c)
    with pytest.raises(ValueError, match=r"targets\[0\] = -9223372036854775808 is out of range"
                       r" for 4 classes \(valid: 0..3\)$"):
        fs.spherical_stats(x, np.array([-2 ** 63, 0]))

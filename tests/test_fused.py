"""The fused softmax options (docs/fused.md): every option alone and all
together, on every ISA and algorithm, float32 and float64, against an
independent float64 NumPy reference; fully masked rows; return_lse; the
VJPs against float64 central finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs

ALGOS = ("auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online")


def ref_fused(x, *, scale=1.0, softcap=None, mask=None, causal=False, causal_offset=0,
              alibi_slopes=None, sink=None, log=False):
    """float64 softmax / log-softmax of the transformed logits, and the lse."""
    z = np.asarray(x, np.float64) * scale
    if softcap:
        z = softcap * np.tanh(z / softcap)
    if mask is not None:
        mask = np.asarray(mask)
        z = np.where(mask, z, -np.inf) if mask.dtype == bool else z + mask.astype(np.float64)
    lq, lk = (z.shape[-2] if z.ndim >= 2 else 1), z.shape[-1]
    i = np.arange(lq)[:, None]
    j = np.arange(lk)[None, :]
    if alibi_slopes is not None:
        bias = np.asarray(alibi_slopes, np.float64)[..., None, None] * (j - i - causal_offset)
        z = z + (bias if z.ndim >= 2 else bias[..., 0, :])
    if causal:
        keep = (j <= i + causal_offset)
        z = np.where(keep if z.ndim >= 2 else keep[0], z, -np.inf)
    m = z.max(axis=-1, keepdims=True)
    if sink is not None:
        s = np.broadcast_to(np.asarray(sink, np.float64), z.shape[:-1] + (1,))
        m = np.maximum(m, s)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.exp(z - m)
        total = e.sum(axis=-1, keepdims=True)
        if sink is not None:
            total = total + np.exp(s - m)
        lse = (m + np.log(total))[..., 0]
        y = (z - m - np.log(total)) if log else e / total
    return y, lse


def check(got, ref, dtype, log, what, cap=0.0):
    """softmax: |err| <= tol (ref + tiny); log: |err| <= tol (|ref| + 1)
    on finite entries, -inf exactly where the reference is."""
    u = 2.0 ** -24 if dtype == np.float32 else 2.0 ** -53
    # the transform's roundings (x * scale, the mask add) act on |z| ~ 40
    # here; the soft cap's tanh adds about 16 u cap absolute to z
    zerr = 64 * u * 40 + 16 * u * cap
    got = np.asarray(got, np.float64)
    if log:
        fin = np.isfinite(ref)
        assert np.array_equal(np.isneginf(got), np.isneginf(ref)), what
        err = np.abs(got[fin] - ref[fin])
        assert err.size == 0 or err.max() <= zerr + 16 * u * (np.abs(ref[fin]).max() + 1), \
            (what, err.max())
    else:
        err = np.abs(got - ref)
        bound = (zerr + 64 * u) * ref + 1e-37
        assert (err <= bound).all(), (what, (err / bound).max())


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dt(request):
    return request.param


@pytest.mark.parametrize("algorithm", ALGOS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_all_options_every_isa(isa, algorithm, log, dt):
    rng = np.random.default_rng(7)
    b, h, lq, lk = 2, 3, 5, 37  # 37 columns: every tail length below appears too
    x = (rng.standard_normal((b, h, lq, lk)) * 6).astype(dt)
    mask = rng.standard_normal((lq, lk)).astype(dt)
    slopes = rng.random(h).astype(dt)
    sink = rng.standard_normal((h, 1, 1)).astype(dt)
    fn = fs.log_softmax if log else fs.softmax
    with fs.use_isa(isa):
        y, lse = fn(x, scale=0.3, softcap=5.0, mask=mask, causal=True, causal_offset=31,
                    alibi_slopes=slopes, sink=sink, return_lse=True, algorithm=algorithm)
    ref, rlse = ref_fused(x, scale=dt(0.3).item(), softcap=5.0, mask=mask, causal=True,
                          causal_offset=31, alibi_slopes=slopes, sink=sink, log=log)
    assert y.dtype == dt and y.shape == x.shape and lse.shape == x.shape[:-1]
    check(y, ref, dt, log, f"{isa} {algorithm}", cap=5.0)
    np.testing.assert_allclose(lse, rlse, rtol=1e-5 if dt == np.float32 else 1e-12, atol=1e-5)


@pytest.mark.parametrize("n", list(range(1, 34)) + [63, 64, 65, 1000])
@pytest.mark.parametrize("option", ["scale", "softcap", "mask", "bool_mask", "causal", "alibi",
                                    "sink", "temperature"])
def test_each_option_every_tail(isa, option, n, dt):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal((4, n)) * 5).astype(dt)
    kw, rk = {}, {}
    if option == "scale":
        kw = rk = {"scale": 0.7}
    elif option == "temperature":
        kw, rk = {"temperature": 2.0}, {"scale": 0.5}
    elif option == "softcap":
        kw = rk = {"softcap": 3.0}
    elif option == "mask":
        m = rng.standard_normal((n,)).astype(dt)
        m[rng.random(n) < 0.3] = -np.inf
        kw = rk = {"mask": m}
    elif option == "bool_mask":
        m = rng.random((4, n)) < 0.7
        kw = rk = {"mask": m}
    elif option == "causal":
        kw = rk = {"causal": True, "causal_offset": n // 2}
    elif option == "alibi":
        kw = rk = {"alibi_slopes": np.array(0.25, dt), "causal_offset": 1}
    elif option == "sink":
        s = rng.standard_normal((4, 1)).astype(dt)
        kw = rk = {"sink": s}
    with fs.use_isa(isa):
        for log in (False, True):
            fn = fs.log_softmax if log else fs.softmax
            y = fn(x, masked_rows="zero", **kw)
            ref, _ = ref_fused(x, log=log, **rk)
            if option == "bool_mask":  # rows with no kept entry: the zero policy
                dead = ~kw["mask"].any(axis=-1)
                ref[dead] = -np.inf if log else 0.0
            if option == "mask":
                if np.isneginf(kw["mask"]).all():
                    ref[...] = -np.inf if log else 0.0
            check(y, ref, dt, log, f"{option} n={n}", cap=3.0 if option == "softcap" else 0.0)


def test_fully_masked_rows_policy(dt):
    x = np.ones((3, 8), dt)
    keep = np.ones((3, 8), bool)
    keep[1] = False
    for log in (False, True):
        fn = fs.log_softmax if log else fs.softmax
        y, lse = fn(x, mask=keep, return_lse=True)
        assert np.isnan(y[1]).all() and np.isfinite(y[[0, 2]]).all()
        assert lse[1] == -np.inf
        y = fn(x, mask=keep, masked_rows="zero")
        assert (y[1] == (-np.inf if log else 0.0)).all()
        np.testing.assert_allclose(y[0], np.log(1 / 8) if log else 1 / 8, rtol=1e-6)
    # causal with a negative offset: the first rows see no key
    y = fs.softmax(np.zeros((4, 4), dt), causal=True, causal_offset=-2, masked_rows="zero")
    assert (y[:2] == 0).all()
    np.testing.assert_allclose(y[3], [0.5, 0.5, 0, 0])
    # a sink keeps a masked row finite: all mass on the sink
    y, lse = fs.softmax(x, mask=keep, sink=np.full((3, 1), 2.0, dt), return_lse=True)
    assert (y[1] == 0).all() and lse[1] == 2.0


def test_sink_probabilities_sum_below_one(dt):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 4, 16)).astype(dt)
    sink = rng.standard_normal((4, 1)).astype(dt)
    y = fs.softmax(x, sink=sink)
    ref, _ = ref_fused(x, sink=sink)
    check(y, ref, dt, False, "sink")
    total = y.astype(np.float64).sum(-1)
    expect = 1.0 - np.exp(sink[:, 0] - ref_fused(x, sink=sink)[1])
    np.testing.assert_allclose(total, expect, rtol=1e-5)


def test_return_lse_plain_and_axis(dt):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((5, 6, 7)).astype(dt)
    y, lse = fs.softmax(x, axis=1, return_lse=True)
    x64 = x.astype(np.float64)
    ref_lse = np.log(np.exp(x64).sum(axis=1))
    assert lse.shape == (5, 7)
    np.testing.assert_allclose(lse, ref_lse, rtol=1e-6)
    np.testing.assert_allclose(y, fs.softmax(x, axis=1), rtol=1e-6, atol=1e-30)
    # mask and sink along a non-last axis
    mask = rng.standard_normal((6, 1)).astype(dt)
    sink = rng.standard_normal((5, 1, 7)).astype(dt)
    y = fs.log_softmax(x, axis=1, mask=mask, sink=sink)
    ref, _ = ref_fused(np.moveaxis(x, 1, -1), mask=np.moveaxis(np.broadcast_to(mask, x.shape), 1, -1),
                       sink=np.moveaxis(sink, 1, -1), log=True)
    check(np.moveaxis(y, 1, -1), ref, dt, True, "axis=1")


def test_out_in_place_and_strided(dt):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4, 20)).astype(dt)
    ref, _ = ref_fused(x, scale=0.5, causal=True)
    buf = x.copy()
    got = fs.softmax(buf, scale=0.5, causal=True, out=buf)
    assert got is buf
    check(buf, ref, dt, False, "in place")
    big = rng.standard_normal((3, 4, 40)).astype(dt)
    view = big[:, :, ::2]
    out = np.empty((3, 4, 40), dt)[:, :, 1::2]
    fs.softmax(view, scale=0.5, causal=True, out=out)
    check(out, ref_fused(view, scale=0.5, causal=True)[0], dt, False, "strided")


def test_decoding_shapes_match_torch_sdpa_mask_semantics(dt):
    # bool mask True = keep, (L, L) against (B, H, L, L), like torch's attn_mask
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 2, 6, 6)).astype(dt)
    keep = np.tril(np.ones((6, 6), bool))
    a = fs.softmax(x, mask=keep)
    b = fs.softmax(x, causal=True)
    c = fs.softmax(x, mask=np.where(keep, 0.0, -np.inf).astype(dt))
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(a, c, rtol=1e-6, atol=0)
    # KV-cache decoding: 2 new queries against 6 keys: offset 4
    q = x[:, :, 4:6, :]
    d = fs.softmax(q, causal=True, causal_offset=4)
    np.testing.assert_allclose(d, fs.softmax(x, causal=True)[:, :, 4:6, :], rtol=1e-6)


def test_plain_call_unchanged_by_defaults(dt):
    x = np.random.default_rng(8).standard_normal((4, 33)).astype(dt)
    np.testing.assert_array_equal(fs.softmax(x, scale=None, masked_rows="nan"), fs.softmax(x))
    np.testing.assert_array_equal(fs.softmax(x, scale=1.0), fs.softmax(x))


# ---------------------------------------------------------------- VJPs


def _fd_grad(f, x, dy, h=1e-6):
    """<dy, f(x)> differentiated by central differences in float64."""
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        fp, fm = f(xp), f(xm)
        fin = np.isfinite(fp) & np.isfinite(fm)  # masked log-probabilities: -inf, constant
        g[i] = ((fp[fin] - fm[fin]) * dy[fin]).sum() / (2 * h)
    return g


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("opts", [{"scale": 0.7}, {"temperature": 1.5}, {"softcap": 2.0},
                                  {"scale": 0.4, "softcap": 1.5},
                                  {"scale": 0.4, "softcap": 1.5, "mask": "add"},
                                  {"scale": 0.9, "causal": True}],
                         ids=["scale", "temperature", "softcap", "scale+softcap", "mask", "causal"])
def test_backward_against_finite_differences(isa, log, opts, dt):
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((3, 4, 9)) * 2).astype(dt)
    dy = rng.standard_normal(x.shape).astype(dt)
    opts = dict(opts)
    if opts.get("mask") == "add":
        m = rng.standard_normal((4, 9))
        m[:, 3] = -np.inf
        opts["mask"] = m.astype(dt)
    scale = opts.get("scale", 1.0 / opts["temperature"] if "temperature" in opts else 1.0)
    ref_kw = {k: v for k, v in opts.items() if k not in ("temperature",)}
    ref_kw["scale"] = scale
    fn = fs.log_softmax if log else fs.softmax
    with fs.use_isa(isa):
        y = fn(x, **opts)
        bw = fs.log_softmax_backward if log else fs.softmax_backward
        grad_kw = {k: opts[k] for k in ("scale", "temperature", "softcap") if k in opts}
        if "softcap" in opts:
            grad_kw["x"] = x
        if log and ("mask" in opts or opts.get("causal")):
            grad_kw["masked"] = True
        dx = bw(y, dy, **grad_kw)
    fd = _fd_grad(lambda v: ref_fused(v, log=log, **ref_kw)[0], x.astype(np.float64),
                  dy.astype(np.float64))
    tol = 2e-5 if dt == np.float32 else 1e-7
    np.testing.assert_allclose(dx, fd, atol=tol * (1 + np.abs(fd).max()), rtol=tol * 10)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shapes", [((4, 9), (4, 1)), ((1, 9), (3, 4, 1)), ((3, 4, 9), (1,))],
                         ids=["mask-heads", "mask-row-sink-all", "mask-full-sink-one"])
def test_mask_and_sink_gradients_against_finite_differences(isa, log, shapes, dt):
    """softmax_backward / log_softmax_backward with mask= and sink= return
    the gradients of the forward call's additive mask and sink logits,
    summed over the dimensions they were broadcast along (a learned bias, an
    attention sink): against float64 central differences of the forward
    reference, a masked (-inf) entry and scale + softcap included."""
    rng = np.random.default_rng(21)
    mshape, sshape = shapes
    x = (rng.standard_normal((3, 4, 9)) * 2).astype(dt)
    dy = rng.standard_normal(x.shape).astype(dt)
    m = rng.standard_normal(mshape)
    m[..., 3] = -np.inf
    m = m.astype(dt)
    s = rng.standard_normal(sshape).astype(dt)
    opts = {"scale": 0.6, "softcap": 3.0}
    fn = fs.log_softmax if log else fs.softmax
    bw = fs.log_softmax_backward if log else fs.softmax_backward
    with fs.use_isa(isa):
        y = fn(x, mask=m, sink=s, **opts)
        extra = {"masked": True} if log else {}
        dx, dm, ds = bw(y, dy, x=x, mask=m, sink=s, **opts, **extra)
        dx_alone = bw(y, dy, x=x, **opts, **extra)
        dx_m, dm_only = bw(y, dy, x=x, mask=m, **opts, **extra)
        dx_s, ds_only = bw(y, dy, x=x, sink=s, **opts, **extra)
    np.testing.assert_array_equal(dx, dx_alone)
    np.testing.assert_array_equal(dm, dm_only)
    np.testing.assert_array_equal(ds, ds_only)
    assert dm.shape == m.shape and ds.shape == s.shape and dm.dtype == ds.dtype == dt

    def forward(mask, sink):
        return ref_fused(x.astype(np.float64), mask=mask, sink=sink, log=log, **opts)[0]
    dy64 = dy.astype(np.float64)
    fd_m = _fd_grad(lambda v: forward(v, s.astype(np.float64)), m.astype(np.float64), dy64)
    fd_s = _fd_grad(lambda v: forward(m.astype(np.float64), v), s.astype(np.float64), dy64)
    fd_m[np.isneginf(m)] = 0.0  # a masked entry does not move with its (infinite) mask
    tol = 2e-5 if dt == np.float32 else 1e-7
    np.testing.assert_allclose(dm, fd_m, atol=tol * (1 + np.abs(fd_m).max()), rtol=tol * 10)
    np.testing.assert_allclose(ds, fd_s, atol=tol * (1 + np.abs(fd_s).max()), rtol=tol * 10)


def test_boolean_mask_has_no_gradient():
    y = np.full((2, 3), 1 / 3, np.float32)
    with pytest.raises(TypeError, match="boolean mask has no gradient"):
        fs.softmax_backward(y, y, mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="sink"):
        fs.softmax_backward(y, y, sink=np.zeros((3, 1), np.float32))


def test_backward_softcap_needs_x():
    y = np.full((2, 3), 1 / 3, np.float32)
    with pytest.raises(ValueError, match="x="):
        fs.softmax_backward(y, y, softcap=2.0)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("kwargs, exc, match", [
    ({"scale": 0.0}, ValueError, "scale"),
    ({"scale": -1.0}, ValueError, "scale"),
    ({"scale": float("nan")}, ValueError, "scale must not be NaN"),
    ({"scale": float("inf")}, ValueError, "scale"),
    ({"scale": "2"}, TypeError, "scale"),
    ({"scale": True}, TypeError, "scale"),
    ({"temperature": 0.0}, ValueError, "temperature"),
    ({"temperature": -0.5}, ValueError, "temperature"),
    ({"temperature": float("nan")}, ValueError, "temperature"),
    ({"temperature": 1e-320}, ValueError, "temperature"),
    ({"scale": 2.0, "temperature": 1.0}, ValueError, "not both"),
    ({"softcap": 0.0}, ValueError, "softcap"),
    ({"softcap": float("nan")}, ValueError, "softcap"),
    ({"mask": np.zeros((3,), np.float32)}, ValueError, "mask of shape"),
    ({"mask": np.zeros((4, 5), np.int32)}, TypeError, "mask must have dtype bool"),
    ({"mask": np.full((5,), np.nan, np.float32)}, ValueError, "mask must not contain NaN"),
    ({"mask": "abc"}, TypeError, "mask"),
    ({"sink": np.zeros((4, 5), np.float32)}, ValueError, "sink of shape"),
    ({"sink": np.zeros((4, 1), np.int64)}, TypeError, "sink must have a floating dtype"),
    ({"sink": np.full((4, 1), np.nan)}, ValueError, "sink must not contain NaN"),
    ({"alibi_slopes": np.zeros((3,), np.float32)}, ValueError, "alibi_slopes of shape"),
    ({"alibi_slopes": np.array([np.nan])}, ValueError, "alibi_slopes must not contain NaN"),
    ({"causal": 1}, TypeError, "causal must be a bool"),
    ({"causal": True, "causal_offset": 1.5}, TypeError, "causal_offset"),
    ({"causal": True, "axis": 0}, ValueError, "causal"),
    ({"masked_rows": "inf"}, ValueError, "masked_rows"),
    ({"return_lse": 1}, TypeError, "return_lse"),
])
def test_bad_options(kwargs, exc, match):
    x = np.zeros((4, 5), np.float32)
    out = np.full_like(x, 7.0)
    with pytest.raises(exc, match=match):
        fs.softmax(x, out=out, **kwargs)
    assert (out == 7.0).all()
    with pytest.raises(exc, match=match):
        fs.log_softmax(x, **kwargs)

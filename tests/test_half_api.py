"""float16 / bfloat16 (issue 17) for the rest of the public API: the fused
options of softmax / log_softmax and of their VJPs, the states API
(softmax_state, softmax_from_state, log_softmax_from_state), sample and
topk_softmax. Every ISA (forced) x tail lengths 1..40 (beyond 2 x 16 lanes
+ 1) and rows past the 4096-element stack scratch, against independent
float64 NumPy references computed on the exactly widened half inputs:

    |out - ref| <= ulp_S(ref) + the float32 function's own bound

(ulp_S: the storage type's unit in the last place at ref; the float32
bound, a few units of 2**-24 times the magnitudes involved, matters only
where the float32 computation cancels, e.g. log-softmax entries near 0).
The tokens of sample and the indices of topk_softmax are those of the
float32 functions on the widened logits. Also the C++ fast path of plain
softmax / log_softmax (C-contiguous rows over the last axis, out None or of
x's dtype): lengths 1..70, out=, in place, bit for bit the general path's
results, the calls it declines, and that it never imports ml_dtypes."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from half_reference import half_dtype
from half_reference import half_ulp as ulp

KINDS = ["f16", "bf16"]
U = 2.0 ** -24
FLT_MIN = 2.0 ** -126
LENGTHS = list(range(1, 41)) + [4097]


def w(a):
    """The exact float64 widening of a half (or any float) array."""
    return np.asarray(a).astype(np.float64)


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def assert_close(out, ref, bound32, kind, what):
    """|out - ref| <= ulp_S(ref) + bound32, NaN where ref is NaN."""
    o = w(out)
    nan = np.isnan(ref)
    assert (np.isnan(o) == nan).all(), f"{what}: NaN pattern differs"
    err = np.where(nan, 0.0, np.abs(np.where(np.isinf(ref) & (o == ref), 0.0, o - ref)))
    allowed = ulp(ref, kind) + np.where(nan, 0.0, bound32) + FLT_MIN
    worst = np.nan_to_num(err / allowed, nan=np.inf).max(initial=0)
    assert worst <= 1, f"{what}: {worst:.3g} of the bound"


# ---------------------------------------------------------------- forward

@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def fused_reference(x, log, *, scale=1.0, softcap=None, mask=None, causal=False, offset=0,
                    slopes=None, sink=None, masked_rows="nan"):
    """Softmax / log-softmax of the fused transform over the last axis, in
    float64 on the widened operands: (y, lse, the float32 bound's scale)."""
    z = w(x) * scale
    if softcap is not None:
        z = softcap * np.tanh(z / softcap)
    n = z.shape[-1]
    j = np.arange(n)
    i = np.arange(z.shape[-2])[:, None] if z.ndim >= 2 else 0
    if mask is not None:
        z = np.where(mask, z, -np.inf) if mask.dtype == np.bool_ else z + w(mask)
    if slopes is not None:
        z = z + w(slopes)[..., None, None] * (j - i - offset)
    if causal:
        z = np.where(j > i + offset, -np.inf, z)
    s = np.full(z.shape[:-1] + (1,), -np.inf) if sink is None else np.broadcast_to(
        w(sink), z.shape[:-1] + (1,))
    m = np.maximum(z.max(-1, keepdims=True), s)
    dead = np.isneginf(m)
    mm = np.where(dead, 0.0, m)
    total = np.exp(z - mm).sum(-1, keepdims=True) + np.exp(s - mm)
    lse = mm + np.log(total)
    y = z - lse if log else np.exp(z - lse)
    outside = -np.inf if log else 0.0
    y = np.where(dead, outside if masked_rows == "zero" else np.nan, y)
    lse = np.where(dead, -np.inf, lse)
    # the float32 computation's error: a few u of the logits' magnitudes
    size = np.abs(np.where(np.isfinite(z), z, 0.0)).max(-1, keepdims=True) + np.abs(
        np.where(np.isfinite(lse), lse, 0.0))
    bound = 16 * U * (size if log else np.abs(np.nan_to_num(y)) * (1 + size))
    return y, lse[..., 0], np.broadcast_to(bound, y.shape)


def check_forward(x, kind, log, what, **options):
    fn = fastsoftmax.log_softmax if log else fastsoftmax.softmax
    ref, ref_lse, bound = fused_reference(x, log, **{k: v for k, v in options.items()
                                                     if k != "algorithm"})
    kw = dict(options)
    if "offset" in kw:
        kw["causal_offset"] = kw.pop("offset")
    if "slopes" in kw:
        kw["alibi_slopes"] = kw.pop("slopes")
    y, lse = fn(x, return_lse=True, **kw)
    assert y.dtype == x.dtype and lse.dtype == x.dtype and y.shape == x.shape
    assert_close(y, ref, bound, kind, f"{fn.__name__} {what}")
    assert_close(lse, ref_lse, 16 * U * np.abs(np.nan_to_num(ref_lse, posinf=0, neginf=0)),
                 kind, f"{fn.__name__} lse {what}")
    return y


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_fused_every_length(isa, kind, log, rng):
    dt = half_dtype(kind)
    for n in LENGTHS:
        x = rng.normal(0, 3, (2, 3, n)).astype(dt)
        what = f"{isa} n={n}"
        check_forward(x, kind, log, what + " scale", scale=0.125)
        check_forward(x, kind, log, what + " softcap", scale=2.0, softcap=5.0,
                      algorithm="two_pass")
        mask = rng.normal(0, 1, (3, n)).astype(dt)
        mask[:, ::3] = -np.inf
        check_forward(x, kind, log, what + " mask, alibi, causal, sink", mask=mask,
                      slopes=np.array([0.5, 0.25], dt), causal=True, offset=n - 3,
                      sink=rng.normal(0, 1, (2, 1, 1)).astype(dt))
        keep = rng.uniform(size=(2, 3, n)) < 0.6
        keep[0, 0] = False   # a fully masked row
        for rows in ("nan", "zero"):
            check_forward(x, kind, log, what + f" keep mask {rows}", mask=keep,
                          masked_rows=rows, algorithm="three_pass_recompute")


@pytest.mark.parametrize("kind", KINDS)
def test_fused_out_and_axis(kind, rng):
    dt = half_dtype(kind)
    x = rng.normal(0, 2, (4, 5, 6)).astype(dt)
    y = fastsoftmax.softmax(x, scale=0.5)
    out = np.empty(x.shape, np.float32)   # a wider float: the half result converted
    assert fastsoftmax.softmax(x, scale=0.5, out=out) is out
    assert (out == y.astype(np.float32)).all()
    z = x.copy()                           # in place
    assert fastsoftmax.softmax(z, scale=0.5, out=z) is z
    assert (z.view(np.uint16) == y.view(np.uint16)).all()
    # another axis (a bool mask broadcast along it)
    keep = rng.uniform(size=(4, 1, 6)) < 0.7
    ya = fastsoftmax.log_softmax(x, axis=1, mask=keep, masked_rows="zero")
    yl = fastsoftmax.log_softmax(np.moveaxis(x, 1, -1), mask=np.moveaxis(
        np.broadcast_to(keep, x.shape), 1, -1), masked_rows="zero")
    assert (ya.view(np.uint16) == np.moveaxis(yl, -1, 1).view(np.uint16)).all()
    with pytest.raises(TypeError, match="out"):
        fastsoftmax.softmax(x, scale=0.5, out=np.empty(x.shape, np.int32))


def test_fused_check_is_sharp(rng):
    """The bound sees a result off by 2 ulp."""
    x = rng.normal(0, 2, (3, 50)).astype(np.float16)
    y = fastsoftmax.softmax(x, scale=0.5)
    bad = (y.view(np.uint16) + 2).view(np.float16)
    ref, _, bound = fused_reference(x, False, scale=0.5)
    with pytest.raises(AssertionError):
        assert_close(bad, ref, bound, "f16", "perturbed")


# ---------------------------------------------------------------- backward

@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def vjp_reference(log, a, b, *, scale=1.0, softcap=None, x=None, masked=False):
    a64, b64 = w(a), w(b)
    if log:
        keep = ~np.isneginf(a64) if masked else np.ones(a64.shape, bool)
        s = np.where(keep, b64, 0.0).sum(-1, keepdims=True)
        dz = np.where(keep, b64 - np.exp(a64) * s, 0.0)
        bound = 4 * U * (np.abs(b64) + 2 * np.exp(a64) * np.abs(np.where(keep, b64, 0)).sum(
            -1, keepdims=True))
    else:
        s = (a64 * b64).sum(-1, keepdims=True)
        dz = a64 * (b64 - s)
        bound = 4 * U * np.abs(a64) * (np.abs(b64) + np.abs(a64 * b64).sum(-1, keepdims=True))
    if softcap is not None:
        # float32's tanh (a few u) leaves an absolute error of ~8 u in 1 - tanh^2
        g = scale * (1 - np.tanh(scale * w(x) / softcap) ** 2)
        return dz * g, (bound + 8 * U * np.abs(dz)) * g + 32 * U * scale * np.abs(dz)
    return dz * scale, (bound + 4 * U * np.abs(dz)) * scale


@np.errstate(divide="ignore", invalid="ignore", over="ignore")
def operands(log, shape, kind, rng, masked=False):
    dt = half_dtype(kind)
    x = rng.normal(0, 3, shape)
    if masked:
        x[..., ::4] = -np.inf
    m = x.max(-1, keepdims=True)
    z = x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))
    return (z if log else np.exp(z)).astype(dt), rng.uniform(-1, 1, shape).astype(dt)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_fused_vjp_every_length(isa, kind, log, rng):
    fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
    dt = half_dtype(kind)
    for n in LENGTHS:
        a, b = operands(log, (3, n), kind, rng)
        x = rng.normal(0, 3, (3, n)).astype(dt)
        for opts in (dict(scale=0.25), dict(scale=2.0, softcap=4.0, x=x)):
            dx = fn(a, b, **opts)
            assert dx.dtype == dt
            ref, bound = vjp_reference(log, a, b, **opts)
            assert_close(dx, ref, bound, kind, f"{fn.__name__} {isa} n={n} {sorted(opts)}")
        if log:
            a, b = operands(True, (3, n), kind, rng, masked=True)
            dx = fn(a, b, masked=True, temperature=2.0)
            ref, bound = vjp_reference(True, a, b, scale=0.5, masked=True)
            assert_close(dx, ref, bound, kind, f"masked {isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
def test_fused_vjp_out_and_option_grads(kind, rng):
    dt = half_dtype(kind)
    a, b = operands(False, (4, 30), kind, rng)
    dx = fastsoftmax.softmax_backward(a, b, scale=0.5)
    out = np.empty(a.shape, np.float32)
    assert fastsoftmax.softmax_backward(a, b, scale=0.5, out=out) is out
    assert (out == dx.astype(np.float32)).all()
    # along axis 0
    d0 = fastsoftmax.softmax_backward(a.T, b.T, axis=0, scale=0.5)
    assert (d0.T.view(np.uint16) == dx.view(np.uint16)).all()
    # the gradients of an additive mask and of the sink, in the half dtype
    mask = np.zeros((1, 30), dt)
    res = fastsoftmax.softmax_backward(a, b, scale=0.5, mask=mask, sink=np.zeros((4, 1), dt))
    assert [r.dtype for r in res] == [dt] * 3 and res[1].shape == (1, 30)
    with pytest.raises(TypeError, match="dy"):
        fastsoftmax.softmax_backward(a, b.astype(np.int16), scale=0.5)
    with pytest.raises(ValueError, match="softcap needs x"):
        fastsoftmax.softmax_backward(a, b, softcap=2.0)


# ---------------------------------------------------------------- states

@pytest.mark.parametrize("kind", KINDS)
def test_states(isa, kind, rng):
    dt = half_dtype(kind)
    for n in LENGTHS + [140000]:
        x = rng.normal(0, 4, (3, n)).astype(dt)
        st = fastsoftmax.softmax_state(x)
        # the state of the exactly widened float32 values, bit for bit
        assert st.tobytes() == fastsoftmax.softmax_state(x.astype(np.float32)).tobytes()
        x64 = w(x)
        m = x64.max(-1, keepdims=True)
        lse = m + np.log(np.exp(x64 - m).sum(-1, keepdims=True))
        np.testing.assert_allclose(fastsoftmax.logsumexp_from_state(st), lse[:, 0], rtol=1e-6)
        cut = n // 2
        parts = (x[:, :cut], x[:, cut:])
        merged = fastsoftmax.merge_states(*(fastsoftmax.softmax_state(p) for p in parts))
        for log in (False, True):
            fn = fastsoftmax.log_softmax_from_state if log else fastsoftmax.softmax_from_state
            y = np.concatenate([fn(p, merged) for p in parts], axis=-1)
            assert y.dtype == dt
            ref = x64 - lse if log else np.exp(x64 - lse)
            bound = 8 * U * (np.abs(x64) + np.abs(lse)) if log else 8 * U * np.abs(ref) * (
                1 + np.abs(x64 - lse))
            assert_close(y, ref, bound, kind, f"{fn.__name__} {isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
def test_states_special_and_out(kind, rng):
    dt = half_dtype(kind)
    x = np.array([[0.0, 1.0, 2.0], [np.nan, 0.0, 0.0], [np.inf, 0.0, 1.0],
                  [-np.inf, -np.inf, -np.inf]], dt)
    st = fastsoftmax.softmax_state(x)
    assert st.tobytes() == fastsoftmax.softmax_state(x.astype(np.float32)).tobytes()
    y = fastsoftmax.softmax_from_state(x, st)
    assert np.isnan(w(y[1:])).all() and not np.isnan(w(y[0])).any()
    out = np.empty(x.shape, np.float64)
    assert fastsoftmax.log_softmax_from_state(x, st, out=out) is out
    assert (out[0] == w(fastsoftmax.log_softmax_from_state(x, st)[0])).all()
    x3 = rng.normal(0, 2, (4, 5, 6)).astype(dt)
    s1 = fastsoftmax.softmax_state(x3, axis=1)
    y1 = fastsoftmax.softmax_from_state(x3, s1, axis=1)
    assert (y1.view(np.uint16) == fastsoftmax.softmax(x3, axis=1).view(np.uint16)).all() or \
        np.abs(w(y1) - w(fastsoftmax.softmax(x3, axis=1))).max() <= 2 * ulp(1.0, kind)


# ---------------------------------------------------------------- decoding

@pytest.mark.parametrize("kind", KINDS)
def test_sample_is_float32s_on_widened_logits(isa, kind, rng):
    dt = half_dtype(kind)
    for n in LENGTHS + [50000]:
        x = rng.normal(0, 2, (4, n)).astype(dt)
        for params in (dict(), dict(temperature=0.7, top_k=min(5, n)),
                       dict(top_p=0.8, min_p=0.01)):
            t = fastsoftmax.sample(x, rng=7, **params)
            assert t.dtype == np.int64 and t.shape == (4,)
            assert (t == fastsoftmax.sample(x.astype(np.float32), rng=7, **params)).all(), \
                f"sample {isa} n={n} {params}"


@pytest.mark.parametrize("kind", KINDS)
def test_topk_softmax(isa, kind, rng):
    dt = half_dtype(kind)
    for n in LENGTHS:
        x = rng.normal(0, 3, (3, n)).astype(dt)
        for k in sorted({1, min(3, n), n}):
            for renorm in (False, True):
                p, i = fastsoftmax.topk_softmax(x, k, renormalize=renorm)
                assert p.dtype == dt and i.dtype == np.int64
                _, i32 = fastsoftmax.topk_softmax(x.astype(np.float32), k, renormalize=renorm)
                assert (i == i32).all(), f"topk {isa} n={n} k={k}"
                x64 = w(x)
                e = np.exp(x64 - x64.max(-1, keepdims=True))
                sel = np.take_along_axis(e, i, -1)
                ref = sel / (sel.sum(-1, keepdims=True) if renorm else e.sum(-1, keepdims=True))
                assert_close(p, ref, 8 * U * ref * (1 + np.abs(np.log(ref))), kind,
                             f"topk {isa} n={n} k={k}")
    with pytest.raises(ValueError, match="finite"):
        fastsoftmax.topk_softmax(np.array([[np.nan, 1.0]], dt), 1)


# ---------------------------------------------------------------- the C fast path

def fast_path(x, log, out=None, algorithm="auto"):
    """The C++ fast path's answer on its own: the result array, or None
    when it hands the call to the general path (computes into ``out``)."""
    return fastsoftmax._core.try_rowwise_contiguous(x, -1, out, fastsoftmax._core.algorithms[algorithm],
                                                    log)


def bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_fast_path_every_length(isa, kind, log, rng):
    """C-contiguous float16 / bfloat16 rows over the last axis run in C++
    (out None, out of x's dtype, out=x), within the bound of the float64
    reference, and bit for bit what the general path computes for the same
    rows (a strided view); axis=0 of the transposed array (the axis kernels,
    their own sums) within the same bound."""
    dt = half_dtype(kind)
    fn = fastsoftmax.log_softmax if log else fastsoftmax.softmax
    for n in range(1, 71):
        x = rng.normal(0, 3, (3, n)).astype(dt)
        x[1, ::5] = rng.normal(0, 30, x[1, ::5].shape).astype(dt)
        what = f"{isa} n={n}"
        assert fast_path(x, log) is not None
        y = fn(x)
        assert y.dtype == dt and y.shape == x.shape and y.flags.c_contiguous
        ref, _, bound = fused_reference(x, log)
        assert_close(y, ref, bound, kind, f"{fn.__name__} {what}")
        out = np.full(x.shape, np.nan, dt)
        assert fast_path(x, log, out) is out
        out[...] = np.nan
        assert fn(x, out=out) is out
        assert (bits(out) == bits(y)).all(), what
        z = x.copy()
        assert fn(z, out=z) is z
        assert (bits(z) == bits(y)).all(), what
        # the general path on the same rows
        wide = np.zeros((3, n + 5), dt)
        wide[:, :n] = x
        assert fast_path(wide[:, :n], log) is None
        assert (bits(fn(wide[:, :n])) == bits(y)).all(), what
        xt = np.ascontiguousarray(x.T)
        yt = fn(xt, axis=0)
        assert yt.dtype == dt
        assert_close(yt.T, ref, bound, kind, f"{fn.__name__} axis 0 {what}")
        for algorithm in fastsoftmax.ALGORITHMS if n in (1, 17, 64, 70) else ():
            ya = fn(x, algorithm=algorithm)
            assert fast_path(x, log, algorithm=algorithm) is not None
            assert_close(ya, ref, bound, kind, f"{fn.__name__} {algorithm} {what}")
            assert (bits(fn(wide[:, :n], algorithm=algorithm)) == bits(ya)).all(), what


@pytest.mark.parametrize("kind", KINDS)
def test_fast_path_shapes_and_overlap(kind, rng):
    """1-d and N-d arrays, empty ones, a 0-d one (the general path), and an
    out that overlaps x partly (x copied first, as the general path does)."""
    dt = half_dtype(kind)
    for shape in [(7,), (2, 3, 33), (1, 1, 16), (0,), (0, 5), (3, 0), (2, 0, 4)]:
        x = rng.normal(0, 2, shape).astype(dt)
        for log in (False, True):
            fn = fastsoftmax.log_softmax if log else fastsoftmax.softmax
            got = fast_path(x, log)
            assert got is not None and got.shape == shape and got.dtype == dt
            y = fn(x)
            assert y.shape == shape and y.dtype == dt
            if x.size:
                ref, _, bound = fused_reference(x, log)
                assert_close(y, ref, bound, kind, f"{fn.__name__} {shape}")
                assert (bits(got) == bits(y)).all()
    x0 = np.array(1.5, dt)
    assert fast_path(x0, False) is None
    assert fastsoftmax.softmax(x0).shape == () and float(fastsoftmax.softmax(x0)) == 1.0
    buf = rng.normal(0, 2, 41).astype(dt)
    x, out = buf[:40], buf[1:]
    want = fastsoftmax.softmax(x.copy())
    assert fastsoftmax.softmax(x, out=out) is out
    assert (bits(out) == bits(want)).all()
    buf = rng.normal(0, 2, 41).astype(dt)
    x, out = buf[1:], buf[:40]
    want = fastsoftmax.log_softmax(x.copy())
    assert fast_path(x, True, out) is out
    assert (bits(out) == bits(want)).all()


@pytest.mark.parametrize("kind", KINDS)
def test_fast_path_declines(kind, rng):
    """What the fast path hands to the general path (None), which then
    computes or reports the error as before."""
    dt = half_dtype(kind)
    other = np.dtype(np.float16) if kind == "bf16" else half_dtype("bf16")
    x = rng.normal(0, 2, (4, 6)).astype(dt)
    y = fastsoftmax.softmax(x)
    ro = np.empty(x.shape, dt)
    ro.flags.writeable = False
    declined = {
        "out float32": np.empty(x.shape, np.float32),
        "out of the other half type": np.empty(x.shape, other),
        "out Fortran-ordered": np.empty(x.shape, dt, order="F"),
        "out strided": np.empty((4, 12), dt)[:, ::2],
        "out of another shape": np.empty((4, 5), dt),
        "out read-only": ro,
        "out a list": [[0.0] * 6] * 4,
    }
    for what, out in declined.items():
        assert fast_path(x, False, out) is None, what
    for out in (declined["out float32"], declined["out Fortran-ordered"], declined["out strided"]):
        assert fastsoftmax.softmax(x, out=out) is out
        assert (out == y.astype(out.dtype)).all()
    with pytest.raises(ValueError, match="read-only"):
        fastsoftmax.softmax(x, out=ro)
    with pytest.raises(ValueError, match="shape"):
        fastsoftmax.softmax(x, out=declined["out of another shape"])
    with pytest.raises(TypeError, match="out"):
        fastsoftmax.softmax(x, out=declined["out a list"])
    assert fast_path(np.asfortranarray(x), False) is None
    assert fastsoftmax._core.try_rowwise_contiguous(x, 0, None, 0, False) is None
    assert fastsoftmax._core.try_rowwise_contiguous(x, 2 ** 70, None, 0, False) is None
    with pytest.raises(ValueError, match="axis"):
        fastsoftmax.softmax(x, axis=2)
    unaligned = np.frombuffer(b"\0" + x.tobytes(), np.uint8)[1:].view(dt).reshape(x.shape)
    assert not unaligned.flags.aligned
    assert fast_path(unaligned, False) is None
    assert (bits(fastsoftmax.softmax(unaligned)) == bits(y)).all()
    if kind == "f16":
        swapped = x.astype(">f2")
        assert fast_path(swapped, False) is None
        assert (bits(fastsoftmax.softmax(swapped)) == bits(y)).all()


def test_fast_path_does_not_import_ml_dtypes():
    """float16 calls leave ml_dtypes unimported; once the caller imports
    it, bfloat16 takes the fast path (the dtype is looked up then)."""
    code = ("import sys, numpy as np, fastsoftmax\n"
            "fastsoftmax.softmax(np.ones((2, 3), np.float16))\n"
            "fastsoftmax.log_softmax(np.ones((2, 3), np.float16), out=np.empty((2, 3), np.float32))\n"
            "assert 'ml_dtypes' not in sys.modules, 'fastsoftmax imported ml_dtypes'\n"
            "try:\n"
            "    import ml_dtypes\n"
            "except ImportError:\n"
            "    sys.exit(0)\n"
            "x = np.ones((2, 3), ml_dtypes.bfloat16)\n"
            "y = fastsoftmax._core.try_rowwise_contiguous(x, -1, None, 0, False)\n"
            "assert y is not None and y.dtype == x.dtype, y\n"
            "assert (fastsoftmax.softmax(x).astype(np.float32) == np.float32(1 / 3)"
            ".astype(ml_dtypes.bfloat16).astype(np.float32)).all()\n")
    env = dict(os.environ)
    env.pop("FASTSOFTMAX_ISA", None)
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr


def test_fast_path_reports_errors_as_float32():
    """A bad FASTSOFTMAX_ISA: the half-precision fast path raises what the
    float32 one and the general path raise."""
    code = ("import numpy as np, fastsoftmax\n"
            "def message(x):\n"
            "    try:\n"
            "        fastsoftmax.softmax(x)\n"
            "    except RuntimeError as e:\n"
            "        return str(e)\n"
            "    return 'no error'\n"
            "f32 = message(np.ones((2, 3), np.float32))\n"
            "assert 'FASTSOFTMAX_ISA' in f32, f32\n"
            "try:  # the fast path itself reaches the C API\n"
            "    fastsoftmax._core.try_rowwise_contiguous(np.ones((2, 3), np.float16), -1, None, 0,"
            " False)\n"
            "except RuntimeError as e:\n"
            "    assert str(e) == f32, e\n"
            "else:\n"
            "    raise AssertionError('the fast path declined')\n"
            "for x in (np.ones((2, 3), np.float16), np.ones((2, 6), np.float16)[:, ::2]):\n"
            "    assert message(x) == f32, message(x)\n")
    env = dict(os.environ, FASTSOFTMAX_ISA="sse9")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr

"""Softmax and log-softmax along a non-contiguous axis (issue 21): the axis
kernels walk the strided axis with independent columns in their SIMD lanes,
on the arrays themselves (no transpose, no copy). Every axis of 2-D to 4-D
arrays, every ISA (forced), both dtypes, column tails of every length,
views with odd and negative strides, out= and in place, special values,
threads -- each against the float64 references and the README bounds.
float16 and bfloat16 (issue 17) run the same kernels on the half arrays:
each output within 1 ulp of the storage type of the float32 function's
result on the widened input, rounded (the VJPs: or the float32 bound where
they cancel)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from half_reference import check_half_softmax, half_bits_from_f32, half_dtype, half_ulp_distance
from reference import (
    assert_close,
    log_softmax64,
    log_softmax_tolerance,
    softmax64,
    softmax_tolerance,
    unaligned,
)

ALGORITHMS = ("auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online")


def check(x, axis, algorithm="auto", what="", out=None):
    x = np.asarray(x)
    p, lz = softmax64(x, axis), log_softmax64(x, axis)
    y = fastsoftmax.softmax(x, axis=axis, algorithm=algorithm)
    z = fastsoftmax.log_softmax(x, axis=axis, algorithm=algorithm)
    assert y.dtype == x.dtype and z.dtype == x.dtype and y.shape == x.shape
    assert_close(y, p, softmax_tolerance(x, p, x.dtype, axis), f"softmax {what} {algorithm}")
    assert_close(z, lz, log_softmax_tolerance(x, lz, x.dtype, axis),
                 f"log_softmax {what} {algorithm}")


def spread_rows(rng, shape, dtype):
    """Values of very different scales along every axis."""
    x = rng.normal(0, 1, shape) * rng.choice([0.1, 1.0, 10.0, 100.0], size=shape)
    return x.astype(dtype)


@pytest.mark.parametrize("shape", [(7, 5), (3, 33), (64, 40), (2, 3, 17), (5, 9, 3, 11),
                                   (4, 1, 6, 35), (3, 130, 2)])
def test_every_axis(isa, dtype, shape, rng):
    x = spread_rows(rng, shape, dtype)
    for axis in range(-len(shape), len(shape)):
        check(x, axis, what=f"{isa} {shape} axis {axis}")


@pytest.mark.parametrize("inner", list(range(2, 37)) + [63, 64, 65, 127, 128, 129, 1023, 1025, 2049])
def test_every_column_tail(isa, dtype, inner, rng):
    # tiles of FSM_AXIS_VECS vectors, single vectors and the masked tail;
    # 2049 columns span more than one tile
    x = spread_rows(rng, (6, inner), dtype)
    check(x, 0, what=f"{isa} (6, {inner})")


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 8, 9, 31, 257, 1000])
def test_every_axis_length(isa, dtype, n, rng):
    # the sums fold every FSM_AXIS_FOLD rows: every remainder
    x = spread_rows(rng, (n, 21), dtype)
    check(x, 0, what=f"{isa} ({n}, 21)")


def test_every_algorithm(isa, algorithm, dtype, rng):
    x = spread_rows(rng, (37, 3, 45), dtype)
    check(x, 0, algorithm, what=isa)
    check(x, 1, algorithm, what=isa)


def test_views_with_odd_strides(isa, dtype, rng):
    base = spread_rows(rng, (40, 30, 50), dtype)
    views = {
        "every other plane": base[::2],                # outer stride doubled
        "reversed axis": base[:, ::-1],                # negative axis stride
        "reversed outer": base[::-1],                  # negative outer stride
        "strided axis": base[:, ::3],                  # axis stride 3 rows
        "column slice": base[:, :, 5:41],              # inner run shorter than the row pitch
        "reversed inner": base[:, :, ::-1],            # copied (inner not unit stride)
        "inner stride 2": base[:, :, ::2],             # copied
        "transposed": base.transpose(1, 0, 2),         # outer and axis swapped in memory
        "fortran": np.asfortranarray(base),            # copied
    }
    for name, v in views.items():
        for axis in range(3):
            check(v, axis, what=f"{isa} {name} axis {axis}")


def test_no_copy_for_strided_views(dtype, rng, monkeypatch):
    # the documented rule: these views run the axis kernels on the arrays
    # themselves (the binding accepts them), the others are copied first
    base = spread_rows(rng, (8, 12, 20), dtype)
    out = np.empty_like(base)
    for v, axis in [(base, 0), (base, 1), (base[::-1], 1), (base[:, ::-2], 1), (base[::2], 1),
                    (base[:, :, 3:17], 1), (base.transpose(1, 0, 2), 1)]:
        o = np.empty(v.shape, dtype)
        assert fastsoftmax._core.axiswise(v, o, axis, 0, False) is True
        assert_close(o, softmax64(v, axis), softmax_tolerance(v, softmax64(v, axis), dtype, axis),
                     f"axis {axis}")
    for v, axis in [(base[:, :, ::-1], 0), (base[:, :, ::2], 1), (np.asfortranarray(base), 0),
                    (unaligned(base), 0)]:
        assert fastsoftmax._core.axiswise(v, np.empty(v.shape, dtype), axis, 0, False) is False
    assert fastsoftmax._core.axiswise(base, out[:, :, ::-1], 0, 0, True) is False
    # the last axis is the row path's
    assert fastsoftmax._core.axiswise(base, out, 2, 0, False) is False


def test_out_and_in_place(isa, dtype, rng):
    x = spread_rows(rng, (33, 4, 19), dtype)
    for axis in (0, 1):
        p = softmax64(x, axis)
        out = np.empty_like(x)
        assert fastsoftmax.softmax(x, axis=axis, out=out) is out
        assert_close(out, p, softmax_tolerance(x, p, dtype, axis), "out")
        y = x.copy()
        assert fastsoftmax.log_softmax(y, axis=axis, out=y) is y
        lz = log_softmax64(x, axis)
        assert_close(y, lz, log_softmax_tolerance(x, lz, dtype, axis), "in place")
        # out= a strided view (computed in place there) and a reversed one
        big = np.full((33, 4, 40), 7, dtype)
        o = big[:, :, ::2][:, :, :19]
        fastsoftmax.softmax(x, axis=axis, out=o)
        assert_close(o, p, softmax_tolerance(x, p, dtype, axis), "strided out")
        assert np.all(big[:, :, 1::2] == 7)
        r = np.empty_like(x)[::-1]
        fastsoftmax.softmax(x, axis=axis, out=r)
        assert_close(r, p, softmax_tolerance(x, p, dtype, axis), "reversed out")


def test_partial_overlap_is_safe(dtype, rng):
    buf = spread_rows(rng, (20, 30), dtype)
    x = buf[:, :-1]
    before = x.copy()
    p = softmax64(before, 0)
    fastsoftmax.softmax(x, axis=0, out=buf[:, 1:])
    assert_close(buf[:, 1:], p, softmax_tolerance(before, p, dtype, 0), "overlap")


def test_special_values(isa, dtype):
    inf, nan = np.inf, np.nan
    x = np.array([[1.0, -inf, nan, inf, -inf, 0.0],
                  [2.0, -inf, 1.0, 0.0, -inf, 0.0],
                  [3.0, 0.0, 2.0, 1.0, -inf, 1e30 if dtype == np.float64 else 3e38]], dtype)
    y = fastsoftmax.softmax(x, axis=0)
    z = fastsoftmax.log_softmax(x, axis=0)
    with np.errstate(all="ignore"):
        p, lz = softmax64(x, 0), log_softmax64(x, 0)
    # column 2 (NaN), 3 (+inf), 4 (all -inf): NaN; column 1: -inf entries give 0 / -inf
    for c in (2, 3, 4):
        assert np.all(np.isnan(y[:, c])) and np.all(np.isnan(z[:, c]))
    assert y[0, 1] == 0 and y[1, 1] == 0 and z[0, 1] == -inf
    for c in (0, 1, 5):
        assert_close(y[:, c], p[:, c], softmax_tolerance(x[:, c], p[:, c], dtype), f"column {c}")
        assert_close(z[:, c], lz[:, c], log_softmax_tolerance(x[:, c], lz[:, c], dtype), f"column {c}")


# ---- the online column form (algorithm="online"; AUTO takes it for tiles
# beyond the LLC budget): blocks of rows merged into each column's (max,
# sum) in double. With the default LLC a small array is one block; the
# subprocess test below reruns these with FASTSOFTMAX_LLC_BYTES = 16 KiB,
# where the blocks are a few rows and every merge path runs.


def online_columns(rng, n, dtype):
    """Columns whose max grows in every block (ramps up, slow and steep),
    falls (ramps down), jumps late, starts with -inf rows, and noise."""
    i = np.arange(n, dtype=np.float64)[:, None]
    cols = [i * 1e-3, i * 3.0, -i * 2.0, np.where(i > n - 3, 50.0, 0.0) + 0 * i,
            np.where(i < n // 2, -np.inf, i * 0.5), rng.normal(0, 20, (n, 4)),
            rng.normal(1e4, 1.0, (n, 1))]
    return np.concatenate([np.broadcast_to(c, (n, c.shape[1])) for c in cols], axis=1).astype(dtype)


@pytest.mark.parametrize("n", [1, 3, 4, 5, 9, 40, 131])
@pytest.mark.parametrize("tail", [0, 1, 7, 19])
def test_online_form_merges(isa, dtype, n, tail, rng):
    x = online_columns(rng, n, dtype)
    x = np.concatenate([x, spread_rows(rng, (n, tail), dtype)], axis=1) if tail else x
    check(x, 0, "online", what=f"{isa} online ({n}, {x.shape[1]})")
    check(x[::-1], 0, "online", what=f"{isa} online reversed ({n}, {x.shape[1]})")
    check(np.ascontiguousarray(np.moveaxis(np.stack([x, -x]), 0, 1)), 0, "online",
          what=f"{isa} online 3-D")


def test_online_form_special_values(isa, dtype):
    inf, nan = np.inf, np.nan
    n = 13
    x = np.zeros((n, 7), dtype)
    x[:, 0] = -inf                       # all -inf: NaN
    x[:9, 1] = -inf                      # -inf prefix over several blocks, then finite
    x[11, 2] = nan                       # a NaN in a late block: NaN
    x[10, 3] = inf                       # +inf in a late block: NaN
    x[:, 4] = np.linspace(-80, 80, n)    # grows in every block
    x[0, 5] = nan                        # a NaN in the first block
    x[:, 6] = -inf
    x[12, 6] = 1.0                       # one finite entry, last
    for algorithm in ("online", "auto"):
        y = fastsoftmax.softmax(x, axis=0, algorithm=algorithm)
        z = fastsoftmax.log_softmax(x, axis=0, algorithm=algorithm)
        for c in (0, 2, 3, 5):
            assert np.all(np.isnan(y[:, c])) and np.all(np.isnan(z[:, c])), (algorithm, c)
        assert np.all(y[:9, 1] == 0) and np.all(z[:9, 1] == -inf)
        assert np.all(y[:12, 6] == 0) and y[12, 6] == 1 and z[12, 6] == 0
        with np.errstate(all="ignore"):
            p, lz = softmax64(x, 0), log_softmax64(x, 0)
        for c in (1, 4, 6):
            assert_close(y[:, c], p[:, c], softmax_tolerance(x[:, c], p[:, c], dtype), f"{algorithm} {c}")
            assert_close(z[:, c], lz[:, c], log_softmax_tolerance(x[:, c], lz[:, c], dtype),
                         f"{algorithm} {c}")


def test_online_form_with_a_small_llc():
    """FASTSOFTMAX_LLC_BYTES = 16 KiB (read once: a fresh process): the
    online form's blocks become a few rows, so the merges above run across
    many blocks, AUTO takes the online form for tiles of a few KiB, and the
    VJPs take whole-width tiles."""
    env = dict(os.environ, FASTSOFTMAX_LLC_BYTES="16384")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
                          "-k", "online_form_merges or online_form_special or every_column_tail "
                          "or every_axis_length or views_with_odd or backward_every_axis "
                          "or threads_give_the_same_bits"],
                         env=env, capture_output=True, text=True, cwd=os.path.dirname(__file__))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_threads_give_the_same_bits(dtype, rng):
    x = spread_rows(rng, (300, 5, 700), dtype)
    with fastsoftmax.threads(1):
        one = [fastsoftmax.softmax(x, axis=a) for a in (0, 1)]
    with fastsoftmax.threads(4):
        four = [fastsoftmax.softmax(x, axis=a) for a in (0, 1)]
    for a, b in zip(one, four):
        assert np.array_equal(a, b)
    check(x, 0)


def test_private_axiswise_checks_its_arguments(dtype):
    x = np.ones((3, 8), dtype)
    with pytest.raises(ValueError, match="shape"):
        fastsoftmax._core.axiswise(x, np.empty((3, 4), dtype), 0, 0, False)
    other = np.float64 if dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match="dtype"):
        fastsoftmax._core.axiswise(x, np.empty((3, 8), other), 0, 0, False)
    ro = np.empty((3, 8), dtype)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastsoftmax._core.axiswise(x, ro, 0, 0, False)
    # an axis outside the array: nothing computed
    assert fastsoftmax._core.axiswise(x, np.empty((3, 8), dtype), 5, 0, False) is False
    # broadcast (zero-stride) views are not walked: the caller copies
    b = np.broadcast_to(np.ones((1, 8), dtype), (3, 8))
    assert fastsoftmax._core.axiswise(b, np.empty((3, 8), dtype), 0, 0, False) is False
    check(b, 0)


def _vjp_refs(a, b, axis, log):
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if log:
        s = b64.sum(axis=axis, keepdims=True)
        ref = b64 - np.exp(a64) * s
        bound = np.abs(b64) + 2 * np.exp(a64) * np.abs(b64).sum(axis=axis, keepdims=True)
    else:
        s = (a64 * b64).sum(axis=axis, keepdims=True)
        ref = a64 * (b64 - s)
        bound = np.abs(a64) * (np.abs(b64) + np.abs(a64 * b64).sum(axis=axis, keepdims=True))
    u = 2.0 ** -24 if a.dtype == np.float32 else 2.0 ** -53
    tiny = float(np.finfo(a.dtype).tiny)
    # the README bound (4 u), plus the float32 column sum's own rounding
    return ref, 8 * u * bound + tiny


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(7, 5), (33, 40), (3, 9, 17), (4, 6, 3, 11), (5, 1100)])
def test_backward_every_axis(isa, dtype, log, shape, rng):
    x = spread_rows(rng, shape, dtype)
    for axis in range(len(shape)):
        a = (fastsoftmax.log_softmax if log else fastsoftmax.softmax)(x, axis=axis)
        b = rng.normal(0, 1, shape).astype(dtype)
        fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
        dx = fn(a, b, axis=axis)
        ref, tol = _vjp_refs(a, b, axis, log)
        assert_close(dx, ref, tol, f"{isa} backward {shape} axis {axis}")
        # views: reversed and strided, out= in place over the gradient
        av, bv = a[::-1], b[::-1]
        dxv = fn(av, bv, axis=axis)
        ref, tol = _vjp_refs(av, bv, axis, log)
        assert_close(dxv, ref, tol, f"{isa} backward reversed {shape} axis {axis}")
        bb = b.copy()
        assert fn(a, bb, axis=axis, out=bb) is bb
        assert_close(bb, *_vjp_refs(a, b, axis, log), f"{isa} backward in place")


def test_backward_runs_on_the_arrays(dtype, rng):
    a = rng.uniform(0, 1, (6, 10, 12)).astype(dtype)
    b = rng.normal(0, 1, (6, 10, 12)).astype(dtype)
    out = np.empty_like(a)
    for kind in ("softmax", "log_softmax"):
        assert fastsoftmax._core.vjp_axis(kind, a, b, out, 1) is True
        assert fastsoftmax._core.vjp_axis(kind, a, b[:, :, ::-1], out, 1) is False
    with pytest.raises(ValueError, match="kind"):
        fastsoftmax._core.vjp_axis("other", a, b, out, 1)
    with pytest.raises(ValueError, match="shape"):
        fastsoftmax._core.vjp_axis("softmax", a, b[:, :3], out, 1)


def test_private_bindings_check_x_and_out_alike():
    # rowwise, rowwise_half, axiswise and vjp_axis re-check their arrays with
    # one helper: the messages name each binding's arrays; empty arrays
    # compute nothing and succeed
    core = fastsoftmax._core
    f32, u16 = np.float32, np.uint16
    calls = {
        "rowwise": (lambda x, o: core.rowwise(x, o, 0, False), f32, "x and out", "float32 or float64"),
        "axiswise": (lambda x, o: core.axiswise(x, o, 0, 0, False), f32, "x and out",
                     "float32 or float64"),
        "rowwise_half": (lambda x, o: core.rowwise_half(x, o, 0, False, False), u16, "x and out",
                         "uint16 views of half-precision arrays"),
        "vjp_axis": (lambda x, o: core.vjp_axis("softmax", x, x, o, 0), f32, "a, b and out",
                     "float32 or float64"),
    }
    for name, (call, dt, names, kinds) in calls.items():
        x = np.ones((3, 8), dt)
        shape = "a, b and out: expected one shape" if names.startswith("a,") else \
            "out: expected the shape of x"
        with pytest.raises(ValueError, match=f"^{shape}$"):
            call(x, np.empty((3, 4), dt))
        dtype_msg = f"^{names}: expected native {kinds}( arrays of one dtype)?$"
        with pytest.raises(TypeError, match=dtype_msg):
            call(x, np.empty((3, 8), np.int32))
        with pytest.raises(TypeError, match=dtype_msg):
            call(x, np.empty((3, 8), np.dtype(dt).newbyteorder(">")))
        ro = np.empty((3, 8), dt)
        ro.flags.writeable = False
        with pytest.raises(ValueError, match="^out is read-only$"):
            call(x, ro)
        assert call(np.ones((0, 8), dt), np.empty((0, 8), dt)) is True, name


# ---- float16 and bfloat16 along an axis (issue 17): the axis kernels on
# the half arrays themselves

HALF_KINDS = ["f16", "bf16"]


def _bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


def check_half(x, axis, kind, algorithm="auto", what=""):
    check_half_softmax(x, kind, axis, algorithm, what)


@pytest.mark.parametrize("kind", HALF_KINDS)
@pytest.mark.parametrize("shape", [(7, 5), (3, 33), (2, 3, 17), (5, 9, 3, 11), (6, 1030), (9, 2, 70)])
def test_half_every_axis(isa, kind, shape, rng):
    x = spread_rows(rng, shape, np.float32).astype(half_dtype(kind))
    for axis in range(len(shape) - 1):
        check_half(x, axis, kind, what=f"{isa} {shape}")


@pytest.mark.parametrize("kind", HALF_KINDS)
def test_half_every_column_tail_and_algorithm(isa, algorithm, kind, rng):
    dt = half_dtype(kind)
    for inner in list(range(2, 20)) + [33, 64, 65]:
        x = spread_rows(rng, (6, inner), np.float32).astype(dt)
        check_half(x, 0, kind, algorithm, what=f"{isa} (6, {inner})")
    check_half(rng.normal(0, 4, (300, 2, 40)).astype(dt), 0, kind, algorithm, what=isa)


@pytest.mark.parametrize("kind", HALF_KINDS)
def test_half_views_out_and_in_place(kind, rng):
    dt = half_dtype(kind)
    base = spread_rows(rng, (20, 12, 30), np.float32).astype(dt)
    for name, v in {"reversed axis": base[:, ::-1], "reversed outer": base[::-1],
                    "strided axis": base[:, ::3], "column slice": base[:, :, 5:27],
                    "inner stride 2 (copied)": base[:, :, ::2]}.items():
        for axis in (0, 1):
            check_half(v, axis, kind, what=name)
    y = fastsoftmax.softmax(base, axis=1)
    # out= a wider float receives the half result converted; a strided half out
    for wide in (np.float32, np.float64):
        o = np.empty(base.shape, wide)
        assert fastsoftmax.softmax(base, axis=1, out=o) is o
        assert (o == y.astype(wide)).all()
    big = np.zeros((20, 12, 60), dt)
    o = big[:, :, ::2]
    fastsoftmax.softmax(base, axis=1, out=o)
    assert (_bits(o) == _bits(y)).all() and (_bits(big[:, :, 1::2]) == 0).all()
    z = base.copy()
    assert fastsoftmax.log_softmax(z, axis=0, out=z) is z
    assert (_bits(z) == _bits(fastsoftmax.log_softmax(base, axis=0))).all()


@pytest.mark.parametrize("kind", HALF_KINDS)
def test_half_runs_on_the_arrays(kind, rng):
    # the binding walks these half views itself (no copy to float32, no
    # transpose); the others are copied first, as for float32
    dt = half_dtype(kind)
    half = 1 if kind == "f16" else 2
    base = spread_rows(rng, (8, 12, 20), np.float32).astype(dt)
    for v, axis in [(base, 0), (base, 1), (base[::-1], 1), (base[:, ::-2], 1), (base[:, :, 3:17], 1)]:
        o = np.empty(v.shape, dt)
        assert fastsoftmax._core.axiswise(v.view(np.uint16), o.view(np.uint16), axis, 0, False, half)
        # against the float32 function on the widened input (the float32 kernels), rounded
        ref = fastsoftmax.softmax(v.astype(np.float32), axis=axis)
        assert half_ulp_distance(_bits(o), half_bits_from_f32(ref, kind), kind).max() <= 1
        g = np.empty(v.shape, dt)
        assert fastsoftmax._core.vjp_axis("softmax", o.view(np.uint16), v.view(np.uint16),
                                          g.view(np.uint16), axis, half)
        ow, vw = o.astype(np.float32), v.astype(np.float32)
        gref = fastsoftmax.softmax_backward(ow, vw, axis=axis)
        _, tol = _vjp_refs(ow, vw, axis, False)
        ok = (half_ulp_distance(_bits(g), half_bits_from_f32(gref, kind), kind) <= 1) | \
            (np.abs(g.astype(np.float64) - gref) <= tol)
        assert ok.all()
    v = base[:, :, ::2]
    assert not fastsoftmax._core.axiswise(v.view(np.uint16), np.empty(v.shape, np.uint16), 0, 0,
                                          False, half)
    u = np.empty(base.shape, np.uint16)
    with pytest.raises(ValueError, match="half"):
        fastsoftmax._core.axiswise(base.view(np.uint16), u, 0, 0, False, 3)
    with pytest.raises(TypeError, match="float32 or float64"):
        fastsoftmax._core.axiswise(base.view(np.uint16), u, 0, 0, False, 0)
    with pytest.raises(TypeError, match="uint16 views"):
        fastsoftmax._core.vjp_axis("softmax", base.astype(np.float32), base.astype(np.float32),
                                   np.empty(base.shape, np.float32), 0, half)


@pytest.mark.parametrize("kind", HALF_KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(7, 5), (33, 40), (3, 9, 17), (5, 1100)])
def test_half_backward_every_axis(isa, kind, log, shape, rng):
    dt = half_dtype(kind)
    fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
    x = spread_rows(rng, shape, np.float32)
    for axis in range(len(shape) - 1):
        a = (fastsoftmax.log_softmax if log else fastsoftmax.softmax)(x, axis=axis).astype(dt)
        b = rng.normal(0, 1, shape).astype(dt)
        for av, bv, what in [(a, b, ""), (a[::-1], b[::-1], " reversed")]:
            dx = fn(av, bv, axis=axis)
            assert dx.dtype == dt
            aw, bw = av.astype(np.float32), bv.astype(np.float32)
            ref32 = fn(aw, bw, axis=axis)
            d = half_ulp_distance(_bits(dx), half_bits_from_f32(ref32, kind), kind)
            # where the difference cancels: the float32 bound
            _, tol = _vjp_refs(aw, bw, axis, log)
            ok = (d <= 1) | (np.abs(dx.astype(np.float64) - ref32) <= tol)
            assert ok.all(), f"{isa} {kind} backward {shape} axis {axis}{what}: {int(d.max())} ulp"
        bb = b.copy()
        assert fn(a, bb, axis=axis, out=bb) is bb
        assert (_bits(bb) == _bits(fn(a, b, axis=axis))).all()

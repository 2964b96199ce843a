"""float16 / bfloat16 training functions (issue 17): softmax_backward and
log_softmax_backward on numpy.float16 and ml_dtypes.bfloat16, every ISA
(forced) x every tail length 1..40 and long rows, against an independent
float64 NumPy reference on the exactly widened inputs:

    |dx - ref| <= ulp_S(ref) + the float32 function's bound

(ulp_S: the storage type's unit in the last place at ref; the float32
bound, ``4 u |y| (|dy| + sum |y dy|)`` or ``4 u (|dz| + 2 exp(z) sum |dz|)``,
u = 2**-24, matters only where the difference cancels). Also dtypes,
out=, mixed dtypes, axes, strided views, in place and bad inputs."""

import numpy as np
import pytest

import fastsoftmax
from half_reference import half_bits_to_f32, half_dtype
from half_reference import half_ulp as ulp

try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # bfloat16 cases skip
    _ml_dtypes = None

KINDS = ["f16", "bf16"]
U = 2.0 ** -24
FLT_MIN = 2.0 ** -126


def widened(a):
    return np.asarray(a).astype(np.float64)


def reference(log, a, b, axis=-1):
    a64, b64 = widened(a), widened(b)
    if log:
        s = b64.sum(axis=axis, keepdims=True)
        ref = b64 - np.exp(a64) * s
        bound = 4 * U * (np.abs(b64) + 2 * np.exp(a64) * np.abs(b64).sum(axis=axis, keepdims=True))
    else:
        s = (a64 * b64).sum(axis=axis, keepdims=True)
        ref = a64 * (b64 - s)
        bound = 4 * U * np.abs(a64) * (np.abs(b64) + np.abs(a64 * b64).sum(axis=axis, keepdims=True))
    return ref, bound + FLT_MIN


def check(log, a, b, kind, axis=-1, what="", dx=None):
    fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
    ref, bound = reference(log, a, b, axis)
    if dx is None:
        dx = fn(a, b, axis=axis)
    assert dx.dtype == a.dtype and dx.shape == a.shape
    err = np.abs(widened(dx) - ref)
    worst = (err / (ulp(ref, kind) + bound)).max(initial=0)
    assert worst <= 1, f"{fn.__name__} {kind} {what}: {worst:.3g} of the bound"


def operands(log, shape, kind, rng):
    """A softmax or log-softmax output (rows of random logits) and an
    upstream gradient, in the storage type."""
    dt = half_dtype(kind)
    x = rng.normal(0, 3, shape)
    z = x - np.log(np.exp(x - x.max(-1, keepdims=True)).sum(-1, keepdims=True)) - x.max(-1, keepdims=True)
    a = (z if log else np.exp(z)).astype(dt)
    b = rng.uniform(-1, 1, shape).astype(dt)
    return a, b


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_every_length(isa, kind, log, rng):
    with fastsoftmax.use_isa(isa):
        for n in list(range(1, 41)) + [2047, 2048, 2049, 5000]:
            a, b = operands(log, (3, n), kind, rng)
            check(log, a, b, kind, what=f"{isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_long_rows(isa, kind, log, rng):
    a, b = operands(log, (2, 140000), kind, rng)   # chunked rows
    with fastsoftmax.use_isa(isa):
        check(log, a, b, kind, what=f"{isa} long")


def test_catches_a_wrong_sum(rng):
    """The check is sharp enough to see <dy, y> off by 1%."""
    a, b = operands(False, (4, 300), "f16", rng)
    ref, _ = reference(False, a, b)
    s = (widened(a) * widened(b)).sum(-1, keepdims=True)
    wrong = (widened(a) * (widened(b) - 1.01 * s)).astype(np.float16)
    with pytest.raises(AssertionError):
        check(False, a, b, "f16", dx=wrong)


@pytest.mark.parametrize("kind", KINDS)
def test_axes_strides_in_place_out(kind, rng):
    dt = half_dtype(kind)
    for log in (False, True):
        fn = fastsoftmax.log_softmax_backward if log else fastsoftmax.softmax_backward
        a, b = operands(log, (5, 6, 7), kind, rng)
        for axis in (0, 1, -1):
            a2, b2 = operands(log, np.moveaxis(np.empty((5, 6, 7)), axis, -1).shape, kind, rng)
            a2, b2 = np.moveaxis(a2, -1, axis), np.moveaxis(b2, -1, axis)
            check(log, a2, b2, kind, axis=axis, what=f"axis {axis}")
        big_a, big_b = operands(log, (5, 12, 9), kind, rng)
        check(log, big_a[:, ::2, 1:8], big_b[:, ::2, 1:8], kind, what="strided rows")
        # in place, as the float32 functions allow (dx is dy)
        expected = fn(a, b)
        db = b.copy()
        assert fn(a, db, out=db) is db
        assert (db.view(np.uint16) == expected.view(np.uint16)).all()
        da = a.copy()
        assert fn(da, b, out=da) is da
        assert (da.view(np.uint16) == expected.view(np.uint16)).all()
        # out= of a wider float: the half result converted (same_kind)
        out = np.empty(a.shape, np.float32)
        assert fn(a, b, out=out) is out
        assert (out == expected.astype(np.float32)).all()
        with pytest.raises(TypeError, match="out"):
            fn(a, b, out=np.empty(a.shape, np.int32))
        with pytest.raises(ValueError, match="out"):
            fn(a, b, out=np.empty((5, 6), dt))


@pytest.mark.parametrize("kind", KINDS)
def test_mixed_dtypes_promote(kind, rng):
    """A half operand with a float32/float64 one: both in the wider dtype,
    as NumPy promotes; float16 with bfloat16 gives float32."""
    dt = half_dtype(kind)
    a, b = operands(False, (3, 20), kind, rng)
    for other in (np.float32, np.float64):
        dx = fastsoftmax.softmax_backward(a, b.astype(other))
        assert dx.dtype == other
        np.testing.assert_array_equal(
            dx, fastsoftmax.softmax_backward(a.astype(other), b.astype(other)))
        assert fastsoftmax.log_softmax_backward(a.astype(other), b).dtype == other
    if _ml_dtypes is not None:
        other = np.dtype(_ml_dtypes.bfloat16) if kind == "f16" else np.dtype(np.float16)
        dx = fastsoftmax.softmax_backward(a, b.astype(other))
        assert dx.dtype == np.float32
        assert dt != other


@pytest.mark.parametrize("kind", KINDS)
def test_special_values_and_empty(kind):
    dt = half_dtype(kind)
    y = np.array([[0.25, 0.75, 0.0], [np.nan, 0.5, 0.5]], dt)
    dy = np.array([[1.0, -1.0, 3.0], [1.0, 1.0, 1.0]], dt)
    dx = fastsoftmax.softmax_backward(y, dy)
    np.testing.assert_allclose(dx[0].astype(np.float64), [0.25 * 1.5, 0.75 * -0.5, 0.0])
    assert np.isnan(dx[1].astype(np.float32)).all()
    for shape in ((0, 4), (3, 0)):
        e = np.zeros(shape, dt)
        assert fastsoftmax.softmax_backward(e, e).shape == shape
        assert fastsoftmax.log_softmax_backward(e, e).dtype == dt


def test_rejects(rng):
    a, b = operands(False, (3, 8), "f16", rng)
    with pytest.raises(TypeError, match="dy"):
        fastsoftmax.softmax_backward(a, b.astype(np.int16))
    with pytest.raises(ValueError, match="dy"):
        fastsoftmax.softmax_backward(a, b[:, :4])
    with pytest.raises(ValueError, match="read-only"):
        out = np.empty_like(a)
        out.flags.writeable = False
        fastsoftmax.log_softmax_backward(a, b, out=out)

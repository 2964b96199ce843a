"""fastsoftmax.scipy against scipy.special on the same inputs (issue 18):
the README promises that replacing the import gives the same numbers, so
every axis form (None, ints, tuples, ()), dtype rule (integers -> float64,
float16 -> float16), scalar rule, special value and error is compared with
SciPy itself, and the values with a float64 reference, on every ISA."""

import warnings

import numpy as np
import pytest

import fastsoftmax
import fastsoftmax.scipy as fss
from reference import (assert_close, log_softmax64, log_softmax_tolerance, softmax64,
                       softmax_tolerance)

ss = pytest.importorskip("scipy.special")

PAIRS = [(fss.softmax, ss.softmax), (fss.log_softmax, ss.log_softmax)]
IDS = ["softmax", "log_softmax"]

AXES = [None, 0, 1, 2, -1, -3, (0,), (2,), (0, 1), (1, 2), (0, 2), (2, 0), (-1, 0), (0, 1, 2), ()]


def _scipy(g, x, **kw):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return g(x, **kw)


def _ref64(log, x, axis, dtype=None):
    """float64 reference over the axes, from the same input values, and the
    README's bound for ``dtype`` (float32 / float64) around it."""
    x = np.asarray(x)
    nd = x.ndim
    axes = tuple(range(nd)) if axis is None else tuple(
        a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    rest = tuple(a for a in range(nd) if a not in axes)
    moved = np.transpose(x, rest + axes)
    rows = moved.reshape(int(np.prod(moved.shape[:len(rest)])), -1)
    ref = (log_softmax64 if log else softmax64)(rows, -1)
    tol = (log_softmax_tolerance if log else softmax_tolerance)(rows, ref, dtype or np.float64)
    back = np.argsort(rest + axes)
    return (np.transpose(ref.reshape(moved.shape), back),
            np.transpose(tol.reshape(moved.shape), back))


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_axes_match_scipy(isa, pair, axis, dtype, rng):
    ours, theirs = pair
    x = (rng.normal(0, 3, (3, 4, 17))).astype(dtype)
    before = x.copy()
    got, want = ours(x, axis=axis), _scipy(theirs, x, axis=axis)
    assert type(got) is type(want) and got.dtype == want.dtype == x.dtype
    assert got.shape == want.shape == x.shape
    ref, tol = _ref64(ours is fss.log_softmax, x, axis, dtype)
    assert_close(got, ref, tol, f"{ours.__name__} axis={axis}")
    # SciPy is the reference to within its own rounding (its float32 sums drift)
    np.testing.assert_allclose(want, ref, rtol=1e-5 if dtype == np.float32 else 1e-13,
                               atol=1e-5 if dtype == np.float32 else 1e-13)
    assert np.array_equal(x, before)


def test_reachable_from_the_package():
    """``fastsoftmax.scipy`` loads on first access, like the framework
    adapters, and imports no SciPy itself."""
    assert fastsoftmax.scipy.softmax is fss.softmax
    assert fastsoftmax.scipy.log_softmax is fss.log_softmax
    import subprocess
    import sys
    code = ("import sys, fastsoftmax, numpy as np; y = fastsoftmax.scipy.softmax(np.arange(3));"
            " assert 'scipy' not in sys.modules, 'scipy imported'; print(y.dtype)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "float64", proc.stderr


def test_default_axis_is_the_whole_array(rng):
    x = rng.normal(size=(4, 5))
    y = fss.softmax(x)
    assert y.sum() == pytest.approx(1.0, rel=1e-14)
    np.testing.assert_allclose(y, ss.softmax(x), rtol=1e-13)
    assert not np.allclose(y, fastsoftmax.softmax(x))  # the package's own default is -1
    np.testing.assert_allclose(fss.log_softmax(x), ss.log_softmax(x), rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("layout", ["fortran", "strided", "transposed", "big-endian"])
@pytest.mark.parametrize("axis", [None, 0, (0, 2), (1, 2)], ids=str)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_layouts_match_scipy(pair, axis, layout, rng):
    ours, theirs = pair
    base = rng.normal(0, 2, (6, 5, 8))
    x = {"fortran": np.asfortranarray(base), "strided": base[::2, :, ::3],
         "transposed": base.transpose(2, 0, 1), "big-endian": base.astype(">f8")}[layout]
    before = x.copy()
    got = ours(x, axis=axis)
    np.testing.assert_allclose(got, _scipy(theirs, x, axis=axis), rtol=1e-13, atol=1e-14)
    assert_close(got, *_ref64(ours is fss.log_softmax, x, axis), f"{layout} axis={axis}")
    assert np.array_equal(x, before)  # the input is never written


def test_trailing_axes_make_no_copy(monkeypatch, rng):
    """Axes that are already last reach the kernels as a view of x."""
    x = rng.normal(size=(3, 4, 5)).astype(np.float32)
    seen = []
    real = fastsoftmax.softmax

    def spy(a, axis=-1, **kw):
        seen.append(np.shares_memory(a, x))
        return real(a, axis=axis, **kw)

    monkeypatch.setattr(fss, "_fsm_softmax", spy)
    for axis in (None, (1, 2), (-2, -1), 2):
        y = fss.softmax(x, axis=axis)
        np.testing.assert_allclose(y, ss.softmax(x, axis=axis), rtol=2e-6)
        assert y.flags.c_contiguous
    assert seen == [True] * 4


INT_RESULT = {np.int8: np.float16, np.uint8: np.float16, np.int16: np.float32,
              np.uint16: np.float32, np.int32: np.float64, np.uint32: np.float64,
              np.int64: np.float64, np.uint64: np.float64}


@pytest.mark.parametrize("dtype_in", list(INT_RESULT), ids=lambda d: d.__name__)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_integers_as_scipy(pair, dtype_in):
    ours, theirs = pair
    log = ours is fss.log_softmax
    x = np.arange(12, dtype=dtype_in).reshape(3, 4)
    for axis in (None, 0, 1, (0, 1)):
        got, want = ours(x, axis=axis), _scipy(theirs, x, axis=axis)
        assert got.dtype == want.dtype == INT_RESULT[dtype_in]
        tol = {np.float16: 2e-3, np.float32: 2e-6, np.float64: 1e-13}[INT_RESULT[dtype_in]]
        np.testing.assert_allclose(got.astype(np.float64), _ref64(log, x, axis)[0], rtol=tol,
                                   atol=tol if log else 0)
        if np.dtype(dtype_in).kind == "i":
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol if log else 0)
        else:  # SciPy's x - max wraps around in unsigned integers: NaN / -inf
            assert np.isnan(want).any() or np.isinf(want).any()


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_float16_and_python_input(pair):
    ours, theirs = pair
    x = np.array([[0.5, 1.0, -2.0], [3.0, 0.0, 0.25]], np.float16)
    got, want = ours(x, axis=1), theirs(x, axis=1)
    assert got.dtype == want.dtype == np.float16
    np.testing.assert_allclose(got.astype(np.float64),
                               _ref64(ours is fss.log_softmax, x, 1)[0], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-3)
    lst = [[1, 2, 3], [4.5, 5, 6]]
    got, want = ours(lst), theirs(lst)
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("x", [3, 2.5, np.float32(2.0), np.float64(-1.0), np.int16(4),
                               np.array(7.0), np.array(1.0, np.float32)], ids=repr)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_scalars_give_scalars(pair, x):
    ours, theirs = pair
    got, want = ours(x), theirs(x)
    assert type(got) is type(want) and np.ndim(got) == 0
    assert got == want == (0.0 if ours is fss.log_softmax else 1.0)


@pytest.mark.parametrize("dtype_in", [np.longdouble, np.complex128])
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_other_dtypes_behave_as_scipy(pair, dtype_in):
    ours, theirs = pair
    x = (np.arange(6).reshape(2, 3) / 3).astype(dtype_in)
    got, want = ours(x, axis=1), theirs(x, axis=1)
    assert got.dtype == want.dtype == dtype_in
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("row", [
    [np.inf, 1.0, 2.0], [np.inf, -np.inf, 0.0], [np.inf, np.inf, 3.0], [-np.inf, -np.inf],
    [np.nan, 1.0], [np.nan, np.inf], [-np.inf, 1.0, 2.0], [1e30, -1e30, 0.0],
    [-np.inf, np.inf]], ids=str)
@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_special_values_as_scipy(isa, pair, dtype, row):
    ours, theirs = pair
    x = np.array([row, [0.0] * len(row)], dtype)
    for axis in (1, None):
        got, want = ours(x, axis=axis), _scipy(theirs, x, axis=axis)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        np.testing.assert_array_equal(np.isinf(got), np.isinf(want))
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-30)


def _raises_as_scipy(ours, theirs, exc, match, *args, **kw):
    with pytest.raises(exc) as scipy_err:
        _scipy(theirs, *args, **kw)
    with pytest.raises(exc, match=match) as our_err:
        ours(*args, **kw)
    assert isinstance(our_err.value, type(scipy_err.value)) or isinstance(
        scipy_err.value, type(our_err.value))


@pytest.mark.parametrize("pair", PAIRS, ids=IDS)
def test_errors_as_scipy(pair):
    ours, theirs = pair
    x = np.zeros((2, 3))
    axis_error = getattr(np, "exceptions", np).AxisError
    _raises_as_scipy(ours, theirs, axis_error, "out of bounds", x, axis=2)
    _raises_as_scipy(ours, theirs, axis_error, "out of bounds", x, axis=(0, -3))
    _raises_as_scipy(ours, theirs, axis_error, "out of bounds", np.float64(1.0), axis=1)
    _raises_as_scipy(ours, theirs, axis_error, "out of bounds", np.float64(1.0), axis=(0,))
    for axis in (0, -1, ()):  # NumPy takes these on a 0-d array
        assert ours(np.float64(2.0), axis=axis) == theirs(np.float64(2.0), axis=axis)
    _raises_as_scipy(ours, theirs, ValueError, "duplicate", x, axis=(1, -1))
    _raises_as_scipy(ours, theirs, TypeError, "axis must be", x, axis=1.0)
    _raises_as_scipy(ours, theirs, TypeError, "axis must be", x, axis=[0, 1])
    _raises_as_scipy(ours, theirs, TypeError, "boolean", np.array([True, False]))
    # a reduction over an empty axis has no maximum; an empty array otherwise is empty
    _raises_as_scipy(ours, theirs, ValueError, "zero-size", np.zeros((0, 3)))
    _raises_as_scipy(ours, theirs, ValueError, "zero-size", np.zeros((0, 3)), axis=0)
    got, want = ours(np.zeros((0, 3)), axis=1), theirs(np.zeros((0, 3)), axis=1)
    assert got.shape == want.shape == (0, 3) and got.dtype == want.dtype


def test_float32_accuracy_large_rows(rng):
    """The whole-array default on a large float32 array, within the README's
    bounds of the float64 reference (SciPy's own float32 sums drift)."""
    x = rng.uniform(-10, 10, (64, 4096)).astype(np.float32)
    assert_close(fss.softmax(x), *_ref64(False, x, None, np.float32), "softmax axis=None")
    assert_close(fss.log_softmax(x, axis=(0, 1)), *_ref64(True, x, None, np.float32),
                 "log_softmax axis=(0, 1)")


def test_logsumexp_is_reexported():
    """fastsoftmax.scipy carries logsumexp too, the package's own (already
    scipy.special.logsumexp's signature; tests/test_decoding.py checks it
    against SciPy)."""
    assert fss.logsumexp is fastsoftmax.logsumexp
    assert "logsumexp" in fss.__all__
    x = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 1000.0]])
    np.testing.assert_allclose(fss.logsumexp(x), np.log(np.exp(x - 1000.0).sum()) + 1000.0,
                               rtol=1e-15)

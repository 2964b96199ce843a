"""out= follows NumPy's same_kind casting (issue 18): the README says out=
"follows NumPy", and a float64 out for a float32 input used to raise. The
result is computed in x's dtype and cast, so it equals the same call without
out= cast with astype, bit for bit; integer outs are refused, nothing written."""

import numpy as np
import pytest

import fastsoftmax as fs
from reference import assert_close, log_softmax64, log_softmax_tolerance, softmax64, softmax_tolerance

# every function whose out= goes through the shared row machinery
ROWWISE = {
    "softmax": lambda x, **kw: fs.softmax(x, **kw),
    "log_softmax": lambda x, **kw: fs.log_softmax(x, **kw),
    "softmax_backward": lambda x, **kw: fs.softmax_backward(fs.softmax(x, axis=kw.get("axis", -1)),
                                                            x, **kw),
    "log_softmax_backward": lambda x, **kw: fs.log_softmax_backward(
        fs.log_softmax(x, axis=kw.get("axis", -1)), x, **kw),
    "taylor_softmax": lambda x, **kw: fs.taylor_softmax(x, **kw),
    "log_spherical_softmax": lambda x, **kw: fs.log_spherical_softmax(x, **kw),
    "stablemax": lambda x, **kw: fs.stablemax(x, **kw),
    "softmax_from_state": lambda x, **kw: fs.softmax_from_state(
        x, fs.softmax_state(x, axis=kw.get("axis", -1)), **kw),
}

CASTS = [(np.float32, np.float64), (np.float64, np.float32), (np.float32, ">f4"),
         (np.float64, np.float16), (np.float32, np.complex64), (np.float64, np.complex128)]


@pytest.mark.parametrize("src,dst", CASTS, ids=[f"{np.dtype(a)}->{np.dtype(b)}" for a, b in CASTS])
@pytest.mark.parametrize("name", sorted(ROWWISE))
@pytest.mark.parametrize("axis", [-1, 0])
def test_out_casts_same_kind(name, src, dst, axis, rng):
    fn = ROWWISE[name]
    x = rng.normal(0, 3, (5, 37)).astype(src)
    want = fn(x, axis=axis)
    out = np.full(x.shape, 7, dst)
    got = fn(x, axis=axis, out=out)
    assert got is out and got.dtype == np.dtype(dst)
    np.testing.assert_array_equal(got, want.astype(dst))


def test_out_float64_for_float32_is_the_float32_result(isa, rng):
    """The regression of issue 18, against the float64 references: the
    float32 computation's result, exactly representable in float64."""
    x = rng.normal(0, 4, (3, 4, 130)).astype(np.float32)
    for fn, ref64, tol in ((fs.softmax, softmax64, softmax_tolerance),
                           (fs.log_softmax, log_softmax64, log_softmax_tolerance)):
        for axis in (-1, 1):
            out = np.empty(x.shape, np.float64)
            assert fn(x, axis=axis, out=out) is out
            ref = ref64(x, axis)
            err = np.abs(out - ref)
            assert np.all(err <= tol(x, ref, np.float32, axis)), fn.__name__
            assert np.array_equal(out.astype(np.float32).astype(np.float64), out)  # float32 values
    # a 0-d input and out
    out = np.empty((), np.float64)
    assert fs.softmax(np.float32(3.0), out=out) is out and out == 1.0
    assert_close(fs.log_softmax(x, out=np.empty(x.shape)), log_softmax64(x),
                 log_softmax_tolerance(x, log_softmax64(x), np.float32), "log_softmax")


@pytest.mark.parametrize("dst", [np.int32, np.int64, np.uint8, bool])
@pytest.mark.parametrize("name", sorted(ROWWISE))
def test_out_refuses_other_kinds(name, dst):
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4)
    out = np.full(x.shape, 3, dst)
    with pytest.raises(TypeError, match=r"^out must have a dtype the float32 result casts to"):
        ROWWISE[name](x, out=out)
    assert np.all(out == np.full(x.shape, 3, dst))  # nothing written


def test_out_cast_still_checks_shape_and_writeable():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"out must have shape \(2, 3\)"):
        fs.softmax(x, out=np.empty((3, 2), np.float64))
    ro = np.zeros((2, 3))
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        fs.softmax(x, out=ro)
    assert not ro.any()


def test_out_cast_overlapping_x(rng):
    """A float64 out whose bytes hold the float32 x: computed from x first."""
    buf = np.zeros(24, np.float64)
    x = buf.view(np.float32)[:24].reshape(2, 12)
    x[...] = rng.normal(size=(2, 12)).astype(np.float32)
    want = fs.softmax(x.copy())
    out = buf[:24].reshape(2, 12)
    fs.softmax(x, out=out)
    np.testing.assert_array_equal(out, want.astype(np.float64))

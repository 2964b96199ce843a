"""float16 and bfloat16 storage (issue 17): softmax and log_softmax on
numpy.float16 and ml_dtypes.bfloat16 arrays, every ISA (forced) x every
algorithm x tail lengths, against the accuracy bound: each output within 1
ulp of the storage type of the float32 result, rounded by NumPy (float16)
or by tests/half_reference.py (bfloat16; ml_dtypes' own rounding checked
to agree). Also dtypes and out= (NumPy's same_kind rule), axes, in place,
special values. The exhaustive conversion tests per ISA (all 2^16 values,
a float32 sweep) are tests/c/test_half.c; here the library's float16
conversions are checked against NumPy's through the public functions."""

import numpy as np
import pytest

import fastsoftmax
from half_reference import (bf16_bits_from_f32, check_half_softmax, half_bits_from_f32, half_dtype,
                            half_ulp_distance)

try:
    import ml_dtypes as _ml_dtypes
except ImportError:  # bfloat16 cases skip
    _ml_dtypes = None

KINDS = ["f16", "bf16"]


def bits(a):
    return np.ascontiguousarray(a).view(np.uint16)


check = check_half_softmax  # both functions on half x, within 1 ulp of float32's rounded


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", list(range(1, 36)) + [63, 64, 65, 1000, 4097, 20000])
def test_every_length(isa, algorithm, kind, n, rng):
    dt = half_dtype(kind)
    x = np.stack([rng.normal(0, 1, n), rng.normal(0, 8, n), rng.uniform(-30, 30, n),
                  np.full(n, 2.5)]).astype(dt)
    with fastsoftmax.use_isa(isa):
        check(x, kind, algorithm=algorithm, what=f"{isa} n={n}")


@pytest.mark.parametrize("kind", KINDS)
def test_long_rows_and_streaming(isa, kind, rng):
    dt = half_dtype(kind)
    x = rng.normal(0, 4, (2, 140000)).astype(dt)   # chunked long rows
    with fastsoftmax.use_isa(isa):
        for algorithm in fastsoftmax.ALGORITHMS:
            check(x, kind, algorithm=algorithm, what=f"{isa} long")


@pytest.mark.parametrize("kind", KINDS)
def test_axes_strides_in_place(kind, rng):
    dt = half_dtype(kind)
    x = rng.normal(0, 3, (5, 6, 7)).astype(dt)
    for axis in (0, 1, 2, -1):
        check(x, kind, axis=axis, what=f"axis {axis}")
    check(x[:, ::2, 1:], kind, what="strided view")
    z = x.copy()
    out = fastsoftmax.softmax(z, out=z)
    assert out is z
    assert (bits(z) == bits(fastsoftmax.softmax(x))).all()


@pytest.mark.parametrize("kind", KINDS)
def test_out_dtypes(kind, rng):
    """out= follows NumPy's same_kind rule: x's dtype, float32, float64 (the
    half result converted exactly); not an integer dtype."""
    dt = half_dtype(kind)
    x = rng.normal(0, 2, (3, 50)).astype(dt)
    y = fastsoftmax.softmax(x)
    for wide in (np.float32, np.float64):
        out = np.empty(x.shape, wide)
        assert fastsoftmax.softmax(x, out=out) is out
        assert (out == y.astype(wide)).all()
    with pytest.raises(TypeError, match="out"):
        fastsoftmax.softmax(x, out=np.empty(x.shape, np.int32))
    with pytest.raises(ValueError, match="out"):
        fastsoftmax.softmax(x, out=np.empty((3, 49), np.float32))
    ro = np.empty(x.shape, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastsoftmax.softmax(x, out=ro)


@pytest.mark.parametrize("kind", KINDS)
def test_special_values(isa, kind):
    dt = half_dtype(kind)
    inf = np.inf
    x = np.array([[0.0, 1.0, np.nan], [0.0, inf, 1.0], [-inf, -inf, -inf], [-inf, 0.0, 1.0]],
                 np.float32).astype(dt)
    with fastsoftmax.use_isa(isa):
        y = fastsoftmax.softmax(x).astype(np.float32)
        z = fastsoftmax.log_softmax(x).astype(np.float32)
    assert np.isnan(y[:3]).all() and np.isnan(z[:3]).all()
    assert y[3, 0] == 0.0 and z[3, 0] == -inf
    assert abs(y[3].sum() - 1.0) < 1e-2


def test_float16_outputs_match_numpy_rounding(rng):
    """The library's float16 narrowing is NumPy's: log_softmax of rows whose
    float32 result is known exactly (x - max for a row with one dominant
    entry) lands on NumPy's rounding of it."""
    x = np.zeros((1, 2), np.float32)
    vals = rng.uniform(-60000, -20, 4000).astype(np.float32)
    # rows [v, 0]: log_softmax = [v - log(1 + e^v), -log(1 + e^v)] = [v, 0] in float32
    for v in vals[:200]:
        x[0] = [v, 0.0]
        h = x.astype(np.float16)
        got = fastsoftmax.log_softmax(h)
        want = fastsoftmax.log_softmax(h.astype(np.float32)).astype(np.float16)
        assert (bits(got) == bits(want)).all()


@pytest.mark.skipif(_ml_dtypes is None, reason="ml_dtypes is not installed")
def test_bf16_reference_agrees_with_ml_dtypes(rng):
    """tests/half_reference.py's bfloat16 rounding is ml_dtypes': a float32
    sweep (random bit patterns, NaN excluded) narrows identically."""
    u = rng.integers(0, 2 ** 32, 200000, dtype=np.uint64).astype(np.uint32)
    f = u.view(np.float32)
    f = f[~np.isnan(f)]
    ours = bf16_bits_from_f32(f)
    theirs = f.astype(_ml_dtypes.bfloat16).view(np.uint16)
    assert (ours == theirs).all()


def test_rejects_other_dtypes():
    with pytest.raises(TypeError, match="x"):
        fastsoftmax.softmax(np.zeros(4, np.int16))

"""Bad input raises a clear TypeError / ValueError naming the argument,
and never touches memory out of bounds."""

import numpy as np
import pytest

import fastsoftmax

FUNCS = [fastsoftmax.softmax, fastsoftmax.log_softmax]


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize(
    "x",
    [
        np.arange(6, dtype=np.int64).reshape(2, 3),
        np.ones(3, dtype=np.int16),  # float16 is taken since issue 17 (tests/test_half.py)
        np.ones(3, dtype=np.complex64),
        np.ones(3, dtype=bool),
        ["a", "b"],
        [1, 2, 3],
        np.array([object()]),
    ],
    ids=["int64", "int16", "complex64", "bool", "strings", "int-list", "object"],
)
def test_wrong_dtype(func, x):
    with pytest.raises(TypeError, match="x must"):
        func(x)


@pytest.mark.parametrize("func", FUNCS)
def test_axis_errors(func):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        func(x, axis=2)
    with pytest.raises(ValueError, match="axis -3 is out of bounds"):
        func(x, axis=-3)
    with pytest.raises(TypeError, match="axis must be an integer"):
        func(x, axis=1.0)
    with pytest.raises(TypeError, match="axis must be an integer"):
        func(x, axis=None)


@pytest.mark.parametrize("func", FUNCS)
def test_out_errors(func):
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"out must have shape \(2, 3\)"):
        func(x, out=np.empty((3, 2), np.float32))
    with pytest.raises(TypeError, match="out must have a dtype the float32 result casts to"):
        func(x, out=np.empty((2, 3), np.int32))
    ro = np.empty((2, 3), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="out is read-only"):
        func(x, out=ro)
    with pytest.raises(TypeError, match="out must be a numpy.ndarray"):
        func(x, out=[[0.0] * 3] * 2)
    with pytest.raises(ValueError, match=r"out must have shape"):
        func(np.ones((2, 3, 4), np.float64), axis=1, out=np.empty((2, 4, 3)))


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("algorithm", ["fast", "", "TWO_PASS", None, 3])
def test_algorithm_errors(func, algorithm):
    with pytest.raises(ValueError, match="algorithm must be one of"):
        func(np.ones(4, np.float32), algorithm=algorithm)


def test_isa_errors():
    with pytest.raises(ValueError, match="unknown ISA 'sse9'"):
        fastsoftmax.set_isa("sse9")
    with pytest.raises(TypeError):
        fastsoftmax.set_isa(2)
    missing = [n for n in ("avx2", "avx512", "neon") if n not in fastsoftmax.available_isas()]
    assert missing, "some ISA is always missing (neon on x86, avx on arm)"
    before = fastsoftmax.isa()
    for name in missing:
        with pytest.raises(ValueError, match="not supported"):
            with fastsoftmax.use_isa(name):
                pass  # pragma: no cover
    assert fastsoftmax.isa() == before


def test_rejected_call_writes_nothing():
    x = np.ones((2, 3), np.float32)
    out = np.full((2, 3), 7.0, np.float32)
    with pytest.raises(ValueError):
        fastsoftmax.softmax(x, out=out, algorithm="bogus")
    assert (out == 7.0).all()


# ---------------------------------------------------------------- issue 19 regressions


@pytest.mark.parametrize("func", FUNCS)
@pytest.mark.parametrize("axis", [2 ** 63, -(2 ** 63) - 1, 2 ** 64 + 1, 2 ** 200])
def test_huge_axis_is_a_value_error_naming_the_range(func, axis):
    """Defect 2: an axis beyond int64 reached pybind11's conversion first,
    which raised a TypeError that dumped the array. Validated first now."""
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match=r"^axis -?\d+ is out of bounds for an array of dimension 2 "
                                         r"\(valid: -2 <= axis <= 1\)$"):
        func(x, axis=axis)


@pytest.mark.parametrize("name", ["scalar\0junk", "\0", "auto\0", "avx2\0scalar"])
def test_isa_names_with_nul_are_refused(name):
    """Defect 5: the name was cut at the NUL and "scalar\\0junk" accepted."""
    before = fastsoftmax.isa()
    with pytest.raises(ValueError, match="NUL"):
        fastsoftmax.set_isa(name)
    with pytest.raises(ValueError, match="NUL"):
        with fastsoftmax.use_isa(name):
            pass  # pragma: no cover
    # the binding refuses it too, below the Python checks
    with pytest.raises(ValueError, match="NUL"):
        fastsoftmax._core.set_isa(name)
    with pytest.raises(ValueError, match="NUL"):
        fastsoftmax._core.set_thread_isa(name)
    assert fastsoftmax.isa() == before

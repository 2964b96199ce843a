"""Array-API style input (issue 18): any object with ``__dlpack__`` or
``__array__`` is accepted by the NumPy functions, which return NumPy arrays;
objects that cannot become arrays, and traced JAX arrays, get a TypeError
naming the argument. Needs neither torch nor JAX."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
import reference as R
from fastsoftmax._arrays import _as_array


class DLPackOnly:
    """An array-API array that NumPy knows only through DLPack."""

    def __init__(self, a):
        self._a = a

    def __dlpack__(self, *args, **kwargs):
        return self._a.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._a.__dlpack_device__()


class ArrayOnly:
    """An array-like known only through ``__array__``."""

    def __init__(self, a):
        self._a = a

    def __array__(self, dtype=None, copy=None):
        return self._a if dtype is None else self._a.astype(dtype)


class BrokenDLPack(ArrayOnly):
    """``__dlpack__`` that fails (a device NumPy cannot read): ``__array__``
    is used instead."""

    def __dlpack__(self, *args, **kwargs):
        raise BufferError("not on the CPU")

    def __dlpack_device__(self):
        return (2, 0)


class Neither:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("cannot export")


@pytest.mark.parametrize("wrap", [DLPackOnly, ArrayOnly, BrokenDLPack])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_rowwise_accepts_protocol_objects(wrap, name, dtype, rng):
    x = rng.normal(0, 3, (4, 19)).astype(dtype)
    got = getattr(fs, name)(wrap(x), axis=0)
    assert type(got) is np.ndarray and got.dtype == dtype and got.shape == x.shape
    ref = R.softmax64(x, 0) if name == "softmax" else R.log_softmax64(x, 0)
    tol = (R.softmax_tolerance(x, ref, dtype, 0) if name == "softmax"
           else R.log_softmax_tolerance(x, ref, dtype, 0))
    R.assert_close(got, ref, tol, f"{name} of {wrap.__name__}")


def test_dlpack_input_is_not_copied(rng):
    x = rng.normal(size=(3, 5)).astype(np.float32)
    assert np.shares_memory(_as_array(DLPackOnly(x), "x"), x)
    assert _as_array(x, "x") is x


@pytest.mark.parametrize("wrap", [DLPackOnly, ArrayOnly])
def test_cross_entropy_accepts_protocol_objects(wrap, rng):
    x = rng.normal(0, 2, (5, 7))
    c = rng.integers(0, 7, 5)
    loss, grad = fs.cross_entropy(wrap(x), wrap(c), reduction="none", return_grad=True)
    ref, gref = R.cross_entropy_rows64(x, c)
    R.assert_close(loss, ref, R.loss_tolerance(ref, np.float64), "loss")
    np.testing.assert_allclose(grad, gref, rtol=1e-12, atol=1e-15)
    assert type(loss) is np.ndarray and type(grad) is np.ndarray


def test_protocol_objects_with_other_dtypes_are_refused():
    with pytest.raises(TypeError, match="x must have dtype float32 or float64, got int64"):
        fs.softmax(DLPackOnly(np.arange(3)))
    with pytest.raises(TypeError, match="targets must be int32 or int64"):
        fs.cross_entropy(np.zeros((2, 3)), ArrayOnly(np.zeros(2, np.uint8)))


def test_objects_that_cannot_become_arrays_get_a_type_error():
    with pytest.raises(TypeError, match=r"x must be array-like of float32 or float64 \(got Neither\)"):
        fs.softmax(Neither())
    with pytest.raises(TypeError, match=r"logits must be array-like"):
        fs.cross_entropy(Neither(), np.array([0]))


def test_traced_jax_arrays_point_to_the_adapter():
    """Recognised without JAX: any class whose MRO holds a ``jax...Tracer``."""
    Tracer = type("Tracer", (), {"__module__": "jax._src.core"})
    JVPTracer = type("JVPTracer", (Tracer,), {"__module__": "jax._src.interpreters.ad"})
    with pytest.raises(TypeError, match=r"x is a traced JAX array .* use fastsoftmax.jax"):
        fs.softmax(JVPTracer())
    with pytest.raises(TypeError, match=r"logits is a traced JAX array"):
        fs.cross_entropy(JVPTracer(), np.array([0]))


def test_import_does_not_import_the_frameworks():
    """``import fastsoftmax`` loads neither torch nor JAX; the adapters load
    on first access."""
    import subprocess
    import sys
    code = ("import sys, fastsoftmax\n"
            "assert 'torch' not in sys.modules and 'jax' not in sys.modules, sorted(sys.modules)\n"
            "try:\n"
            "    fastsoftmax.no_such_thing\n"
            "except AttributeError as e:\n"
            "    assert 'no_such_thing' in str(e)\n"
            "else:\n"
            "    raise AssertionError('no AttributeError')\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_adapters_load_on_attribute_access():
    pytest.importorskip("torch")
    import fastsoftmax.torch as fst
    assert fs.torch is fst and fs.torch.softmax is fst.softmax

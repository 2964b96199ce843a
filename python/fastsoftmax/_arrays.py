"""Input checks and the axis / out= / aliasing machinery shared by the
row-wise functions of ``fastsoftmax`` and ``fastsoftmax._training``.

Private; depends on NumPy alone (not on the package), so that both modules
import it without importing each other.
"""

from __future__ import annotations

import operator
from typing import Optional

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


# ---- array-API style input (issue 18): DLPack, __array__, framework hints ----

def _is_traced(x) -> bool:
    """A JAX tracer (an array inside ``jit``/``grad``/``vmap``: no values
    yet), recognised without importing JAX."""
    return any(c.__name__ == "Tracer" and c.__module__.startswith("jax")
               for c in type(x).__mro__)


def _adapter_hint(x, name: str) -> Optional[str]:
    """Why ``x`` cannot become a NumPy array and what to call instead, for
    the framework arrays that have an adapter module; None otherwise."""
    if _is_traced(x):
        return (f"{name} is a traced JAX array (inside jax.jit, jax.grad or jax.vmap), whose"
                " values NumPy cannot read: use fastsoftmax.jax (softmax, log_softmax,"
                " cross_entropy), which works under jit and grad")
    if type(x).__module__.split(".")[0] == "torch":
        if getattr(x, "requires_grad", False):
            return (f"{name} is a torch.Tensor that requires grad: use fastsoftmax.torch"
                    " (differentiable, torch.compile-able), or pass x.detach()")
        device = getattr(x, "device", None)
        if device is not None and getattr(device, "type", "cpu") != "cpu":
            return f"{name} is a torch.Tensor on {device}: fastsoftmax computes on CPU tensors only"
    return None


def _as_array(x, name: str) -> np.ndarray:
    """Any array-like as a NumPy array, sharing memory where the producer
    allows: an ``ndarray`` as is; an object with ``__dlpack__`` (a CPU
    torch.Tensor, jax.Array, CuPy-free array-API arrays) through
    ``np.from_dlpack``; else ``np.asarray`` (``__array__``, the buffer
    protocol, nested sequences). TypeError naming ``name`` when none works."""
    if isinstance(x, np.ndarray):
        return x
    hint = _adapter_hint(x, name)
    if hint is not None:
        raise TypeError(hint)
    if hasattr(type(x), "__dlpack__"):
        try:
            return np.from_dlpack(x)
        except (BufferError, TypeError, ValueError, RuntimeError, AttributeError):
            pass  # a dtype or device DLPack cannot hand NumPy: try __array__
    try:
        return np.asarray(x)
    except (TypeError, ValueError, RuntimeError) as exc:
        raise TypeError(f"{name} must be array-like of float32 or float64"
                        f" (got {type(x).__name__}): {exc}") from None

# ---- end of array-API style input ----


def _as_float_array(x, name: str) -> np.ndarray:
    """``x`` as a NumPy array (:func:`_as_array`), refusing anything that is
    not float32/float64."""
    arr = _as_array(x, name)
    if arr.dtype.kind == "f" and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {arr.dtype}"
            " (convert explicitly, e.g. x.astype(np.float32))"
        )
    return arr


def _as_float_like(x, name: str, ref: np.ndarray, ref_name: str) -> np.ndarray:
    """``x`` as :func:`_as_float_array`, of the dtype and shape of ``ref``
    (the VJPs' second operand and the soft cap's forward input); float16 or
    bfloat16 when ``ref`` is."""
    arr = _as_float_or_half_array(x, name) if _half_kind(ref.dtype) is not None \
        else _as_float_array(x, name)
    if arr.dtype != ref.dtype:
        raise TypeError(f"{name} must have the dtype of {ref_name} ({ref.dtype}), got {arr.dtype}")
    if arr.shape != ref.shape:
        raise ValueError(f"{name} must have the shape of {ref_name} {ref.shape}, got {arr.shape}")
    return arr


# ---- half precision (issue 17) ----

def _half_kind(dtype) -> Optional[str]:
    """'f16' for numpy.float16, 'bf16' for ml_dtypes.bfloat16 (recognised by
    name, so ml_dtypes is never imported here), else None."""
    if dtype == np.float16:
        return "f16"
    if dtype.name == "bfloat16" and dtype.itemsize == 2:
        return "bf16"
    return None


def _as_float_or_half_array(x, name: str) -> np.ndarray:
    """:func:`_as_float_array` for the functions that take half precision
    too: float32, float64, float16 or bfloat16 (``ml_dtypes.bfloat16``)."""
    arr = _as_array(x, name)
    if arr.dtype.kind == "f" and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if _half_kind(arr.dtype) is None:
        return _as_float_array(arr, name)
    return arr


def _check_half_out(out, x: np.ndarray, name: str = "out", of: str = "x") -> np.ndarray:
    """out= for a half-precision x: x's dtype, or any float dtype NumPy casts
    x's dtype to under the same_kind rule (float32, float64, the other half
    type), which receives the half-precision result converted."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    floating = out.dtype.kind == "f" or _half_kind(out.dtype) is not None
    if not floating or not np.can_cast(x.dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"{name} must have a float dtype that {x.dtype} casts to (same_kind),"
                        f" got {out.dtype}")
    if out.shape != x.shape:
        raise ValueError(f"{name} must have shape {x.shape} (the shape of {of}), got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def _half_out(xs: tuple, out, compute) -> np.ndarray:
    """``compute(out)`` for half-precision ``xs``; an ``out`` of another
    dtype (a wider float, checked by :func:`_check_half_out`) receives the
    half-precision result ``compute(None)`` converted."""
    if out is not None and getattr(out, "dtype", None) != xs[0].dtype:
        out = _check_half_out(out, xs[0])
        out[...] = compute(None)
        return out
    return compute(out)


def _over_rows_half(xs: tuple, axis, out, call) -> np.ndarray:
    """:func:`_over_rows` for half-precision ``xs`` (``out`` as :func:`_half_out`)."""
    return _half_out(xs, out, lambda o: _over_rows(xs, axis, o, call))


def _over_axis_half(xs: tuple, axis, out, call_axis, call_rows) -> np.ndarray:
    """:func:`_over_axis` for half-precision ``xs`` (``out`` as
    :func:`_half_out`): a non-last axis runs the axis kernels on the half
    arrays themselves. ``call_axis(xs, om, axis, half)`` gets the uint16
    views and ``half`` (1 float16, 2 bfloat16)."""
    half = 2 if _half_kind(xs[0].dtype) == "bf16" else 1

    def on_views(arrays, om, ax):
        return call_axis(tuple(a.view(np.uint16) for a in arrays), om.view(np.uint16), ax, half)

    return _half_out(xs, out, lambda o: _over_axis(xs, axis, o, on_views, call_rows))

# ---- end of half precision ----


def _normalize_axis(axis, ndim: int) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"axis must be an integer, got {type(axis).__name__}") from None
    if not -ndim <= axis < ndim:
        valid = f"{-ndim} <= axis <= {ndim - 1}" if ndim else "0 or -1: a 0-d array is one element"
        raise ValueError(f"axis {axis} is out of bounds for an array of dimension {ndim}"
                         f" (valid: {valid})")
    return axis % ndim


def _check_out(out, x: np.ndarray, name: str = "out", of: str = "x",
               same_kind: bool = False) -> np.ndarray:
    """``out`` checked against ``x``: an array of its shape, writeable, of
    its dtype or, with ``same_kind``, of one NumPy's ``same_kind`` rule casts
    the result to (float32 into float64 or complex, float64 into float32)."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != x.dtype:
        if not same_kind:
            raise TypeError(f"{name} must have dtype {x.dtype} (the dtype of {of}), got {out.dtype}")
        if not np.can_cast(x.dtype, out.dtype, casting="same_kind"):
            raise TypeError(f"{name} must have a dtype the {x.dtype} result casts to under NumPy's"
                            f" 'same_kind' rule (a float or complex dtype), got {out.dtype}")
    if out.shape != x.shape:
        raise ValueError(f"{name} must have shape {x.shape} (the shape of {of}), got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def _unalias(xs: tuple, out: np.ndarray) -> tuple:
    """The inputs, each copied if it overlaps ``out`` other than exactly
    (the kernels allow only exact in-place: same address, same strides)."""
    def exactly_in_place(a):
        return (a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
                and a.strides == out.strides)

    return tuple(a.copy() if np.may_share_memory(a, out) and not exactly_in_place(a) else a
                 for a in xs)


def _over_axis(xs: tuple, axis, out, call_axis, call_rows) -> np.ndarray:
    """Like ``_over_rows``, but a non-last ``axis`` runs the axis kernels in
    place on the arrays (no transpose): ``call_axis(xs, om, axis)`` computes
    along ``axis`` of the N-d arrays into ``om`` and returns False, computing
    nothing, when an array cannot be seen as outer x n x inner (the
    dimensions after the axis one contiguous run, those before it one
    evenly strided dimension; any sign). The documented copy rule: then the
    inputs are copied to C-contiguous arrays, and if ``out`` still cannot
    be used, the result is computed into a C-contiguous temporary and
    copied into it. The last axis (or trailing dimensions of size 1 only)
    takes ``_over_rows`` with ``call_rows``.
    """
    x = xs[0]
    if x.ndim < 2:
        return _over_rows(xs, axis, out, call_rows)
    if isinstance(out, np.ndarray) and out.dtype != x.dtype:
        # NumPy's same_kind casting, as _over_rows: computed in x's dtype, then cast
        _check_out(out, x, same_kind=True)
        np.copyto(out, _over_axis(xs, axis, None, call_axis, call_rows), casting="same_kind")
        return out
    ax = _normalize_axis(axis, x.ndim)
    if all(d == 1 for d in x.shape[ax + 1:]):
        return _over_rows(xs, axis, out, call_rows)
    out = np.empty(x.shape, dtype=x.dtype) if out is None else _check_out(out, x)
    if x.size == 0:
        return out
    xs = _unalias(xs, out)
    if not call_axis(xs, out, ax):
        xs = tuple(np.require(a, requirements="CA") for a in xs)
        if not call_axis(xs, out, ax):
            tmp = np.empty(x.shape, dtype=x.dtype)
            call_axis(xs, tmp, ax)
            out[...] = tmp
    return out


def _over_rows(xs: tuple, axis, out, call) -> np.ndarray:
    """The axis / out / aliasing machinery every row-wise function shares.

    ``out`` may have another dtype than ``xs[0]`` if NumPy's ``same_kind``
    rule casts to it: the result is computed in the input's dtype and then
    cast (``np.copyto``), like a NumPy ufunc's ``out=``.

    ``xs`` holds validated float arrays of one shape and dtype (the first is
    "x"); the result has that shape and dtype. ``call(moved, om)`` computes
    over the last axis of the N-d views ``moved`` (``xs`` with ``axis`` moved
    last) into ``om`` and returns False, computing nothing, when the views
    are not strided rows it can take; then contiguous copies are tried, and
    finally a contiguous temporary output.
    """
    x = xs[0]
    if isinstance(out, np.ndarray) and out.dtype != x.dtype:
        # NumPy's same_kind casting (as ufuncs do): computed in x's dtype, then cast
        _check_out(out, x, same_kind=True)
        np.copyto(out, _over_rows(xs, axis, None, call), casting="same_kind")
        return out
    if x.ndim == 0:
        result = _over_rows(tuple(a.reshape(1) for a in xs),
                            axis if axis in (0, -1) else _normalize_axis(axis, 0),
                            None if out is None else _check_out(out, x).reshape(1), call)
        return result.reshape(()) if out is None else out
    axis = _normalize_axis(axis, x.ndim)
    out = np.empty(x.shape, dtype=x.dtype) if out is None else _check_out(out, x)
    if x.size == 0:
        return out

    xs = _unalias(xs, out)
    if axis == x.ndim - 1:  # np.moveaxis costs ~4 us a call even as the identity
        moved, om = xs, out
    else:
        moved, om = tuple(np.moveaxis(a, axis, -1) for a in xs), np.moveaxis(out, axis, -1)
    if not call(moved, om):
        # rows that are not evenly strided, or data at an unaligned address
        # (the kernels take float*/double*): compute on aligned contiguous
        # copies
        moved = tuple(np.require(m, requirements="CA") for m in moved)
        if not call(moved, om):
            tmp = np.empty(moved[0].shape, dtype=x.dtype)
            call(moved, tmp)
            om[...] = tmp
    return out


def _adapter_ce_options(reduction, ignore_index, label_smoothing):
    """The torch and JAX adapters' cross-entropy options checked (messages
    naming the argument): ``(ignore_index as int, label_smoothing as float)``."""
    if not isinstance(reduction, str) or reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be one of 'mean', 'sum', 'none'; got {reduction!r}")
    try:
        ignore = operator.index(ignore_index)
    except TypeError:
        raise TypeError(f"ignore_index must be an integer, got {type(ignore_index).__name__}") from None
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, (int, float)):
        raise TypeError(f"label_smoothing must be a float, got {type(label_smoothing).__name__}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}")
    return ignore, float(label_smoothing)

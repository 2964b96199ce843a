"""Input checks and the axis / out= / aliasing machinery shared by the
row-wise functions of ``fastsoftmax`` and ``fastsoftmax._training``.

Private; depends on NumPy alone (not on the package), so that both modules
import it without importing each other.
"""

from __future__ import annotations

import operator

import numpy as np

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _as_float_array(x, name: str) -> np.ndarray:
    """``np.asarray(x)``, refusing anything that is not float32/float64."""
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of float32 or float64: {exc}") from None
    if arr.dtype.kind == "f" and not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype not in _FLOAT_DTYPES:
        raise TypeError(
            f"{name} must have dtype float32 or float64, got {arr.dtype}"
            " (convert explicitly, e.g. x.astype(np.float32))"
        )
    return arr


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


def _check_out(out, x: np.ndarray, name: str = "out", of: str = "x") -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(out).__name__}")
    if out.dtype != x.dtype:
        raise TypeError(f"{name} must have dtype {x.dtype} (the dtype of {of}), got {out.dtype}")
    if out.shape != x.shape:
        raise ValueError(f"{name} must have shape {x.shape} (the shape of {of}), got {out.shape}")
    if not out.flags.writeable:
        raise ValueError(f"{name} is read-only")
    return out


def _over_rows(xs: tuple, axis, out, call) -> np.ndarray:
    """The axis / out / aliasing machinery every row-wise function shares.

    ``xs`` holds validated float arrays of one shape and dtype (the first is
    "x"); the result has that shape and dtype. ``call(moved, om)`` computes
    over the last axis of the N-d views ``moved`` (``xs`` with ``axis`` moved
    last) into ``om`` and returns False, computing nothing, when the views
    are not strided rows it can take; then contiguous copies are tried, and
    finally a contiguous temporary output.
    """
    x = xs[0]
    if x.ndim == 0:
        result = _over_rows(tuple(a.reshape(1) for a in xs),
                            axis if axis in (0, -1) else _normalize_axis(axis, 0),
                            None if out is None else _check_out(out, x).reshape(1), call)
        return result.reshape(()) if out is None else out
    axis = _normalize_axis(axis, x.ndim)
    out = np.empty(x.shape, dtype=x.dtype) if out is None else _check_out(out, x)
    if x.size == 0:
        return out

    def exactly_in_place(a):
        return (a.__array_interface__["data"][0] == out.__array_interface__["data"][0]
                and a.strides == out.strides)

    # partial overlap: the kernels allow only exact in-place
    xs = tuple(a.copy() if np.may_share_memory(a, out) and not exactly_in_place(a) else a
               for a in xs)
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

"""Mergeable softmax states: the statistics of a row (or of a piece of one)
from which softmax, log-softmax and logsumexp follow, merged exactly.

A state is one element of the structured dtype :data:`STATE_DTYPE` (the C
struct ``fsm_softmax_state``: the row's max and its sum of ``exp`` as a
wide fixed-point integer). Cut an axis into pieces, take each piece's state
(:func:`softmax_state`), merge them in any grouping (:func:`merge_states`:
associative and commutative bit for bit), then normalise each piece from
the merged state (:func:`softmax_from_state`, :func:`log_softmax_from_state`)
or read the logsumexp (:func:`logsumexp_from_state`). ``docs/math.md``
("Exact states") has the arithmetic.

Private module; the names are exported by ``fastsoftmax``.
"""

from __future__ import annotations

from typing import Any, Optional, SupportsIndex

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._arrays import _as_float_or_half_array, _half_kind, _normalize_axis, _over_rows, _over_rows_half

#: The dtype of a softmax state (48 bytes; the layout of ``fsm_softmax_state``).
STATE_DTYPE = np.dtype([("max", "<f8"), ("top", "<i8"), ("sum", "<u8", (4,))])
assert STATE_DTYPE.itemsize == 48


def _check_state(state, name: str = "state") -> np.ndarray:
    s = np.asarray(state)
    if s.dtype != STATE_DTYPE:
        raise TypeError(f"{name} must be an array of fastsoftmax.STATE_DTYPE (from softmax_state), "
                        f"got dtype {s.dtype}")
    return s


def _rows_view(a: np.ndarray):
    """``a`` (N-d, the row axis last) as 2-D rows without a copy, or None:
    unit inner stride, aligned, the leading axes collapsing into one."""
    if not a.flags.aligned or (a.shape[-1] > 1 and a.strides[-1] != a.itemsize):
        return None
    v = a.view()
    try:
        v.shape = (int(np.prod(a.shape[:-1])), a.shape[-1])  # raises rather than copy
    except AttributeError:
        return None
    if v.shape[0] > 1 and (v.strides[0] < v.shape[1] * v.itemsize or v.strides[0] % v.itemsize):
        return None
    return v


def softmax_state(x: ArrayLike, axis: SupportsIndex = -1, *,
                  keepdims: bool = False) -> NDArray[np.void]:
    """The softmax state of every row of ``x`` along ``axis``.

    Parameters
    ----------
    x : array_like
        float32, float64, float16 or bfloat16 (``ml_dtypes.bfloat16``: the
        state of the exactly widened float32 values), any shape (0-d is one
        element).
    axis : int, optional
        The softmax axis (default -1).
    keepdims : bool, optional
        Keep ``axis`` with length 1 in the result.

    Returns
    -------
    numpy.ndarray
        Of :data:`STATE_DTYPE`, the shape of ``x`` without ``axis``.

    Raises
    ------
    TypeError
        ``x`` is not float32, float64, float16 or bfloat16.
    ValueError
        ``axis`` out of range.
    """
    x = _as_float_or_half_array(x, "x")
    if x.ndim == 0:
        x = x.reshape(1)
        axis = _normalize_axis(axis, 0) if axis not in (0, -1) else 0
        s = softmax_state(x, 0, keepdims=True)
        return s if keepdims else s.reshape(())
    axis = _normalize_axis(axis, x.ndim)
    moved = np.moveaxis(x, axis, -1)
    lead = moved.shape[:-1]
    x2 = _rows_view(moved)
    if x2 is None:
        x2 = np.require(moved, requirements="CA").reshape(int(np.prod(lead)), moved.shape[-1])
    out = np.empty(x2.shape[0], dtype=STATE_DTYPE)
    half = _half_kind(x2.dtype)  # issue 17: float16 / bfloat16 rows as uint16 views
    _core.softmax_state(x2 if half is None else x2.view(np.uint16), out, half == "bf16")
    out = out.reshape(lead)
    return np.expand_dims(out, axis) if keepdims else out


def _merge2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.broadcast_arrays(a, b)
    a = np.require(a, requirements="CA")
    b = np.require(b, requirements="CA")
    out = np.empty(a.shape, dtype=STATE_DTYPE)
    _core.merge_states(a, b, out)
    return out


def merge_states(a: ArrayLike, b: Optional[ArrayLike] = None, *,
                 axis: Optional[SupportsIndex] = None, keepdims: bool = False) -> NDArray[np.void]:
    """Merge softmax states: ``merge_states(a, b)`` elementwise (broadcasting),
    or ``merge_states(a, axis=k)`` all states of ``a`` along axis ``k``.

    The merge is exact: the result is the same, bit for bit, whatever the
    grouping and order of merges over the same pieces (up to 2**32 pieces
    per state).

    Parameters
    ----------
    a, b : numpy.ndarray
        States (:data:`STATE_DTYPE`).
    axis : int, optional
        With ``b`` omitted: the axis of ``a`` to merge along.
    keepdims : bool, optional
        With ``axis``: keep it with length 1.

    Returns
    -------
    numpy.ndarray
        The merged states.

    Raises
    ------
    TypeError
        Not arrays of :data:`STATE_DTYPE`, or both ``b`` and ``axis`` given
        (or neither).
    ValueError
        Shapes that do not broadcast, ``axis`` out of range.
    """
    a = _check_state(a, "a")
    if (b is None) == (axis is None):
        raise TypeError("merge_states takes either two states or one array and axis=")
    if b is not None:
        return _merge2(a, _check_state(b, "b"))
    axis = _normalize_axis(axis, a.ndim)
    s = np.moveaxis(a, axis, 0)
    if s.shape[0] == 0:
        empty = np.zeros(s.shape[1:], dtype=STATE_DTYPE)
        empty["max"] = -np.inf
        empty["top"] = np.iinfo(np.int64).min
        s = empty[None]
    while s.shape[0] > 1:  # pairwise: any tree gives the same bits
        half = s.shape[0] // 2
        merged = _merge2(s[0:2 * half:2], s[1:2 * half:2])
        s = np.concatenate([merged, s[2 * half:]]) if s.shape[0] % 2 else merged
    out = s[0]
    return np.expand_dims(out, axis) if keepdims else out


def logsumexp_from_state(state: ArrayLike) -> NDArray[np.float64]:
    """``log(sum(exp(x)))`` of the rows the states describe, in float64
    (NaN for a row with a NaN, +inf for one with +inf, -inf when empty or
    all -inf).

    Parameters
    ----------
    state : numpy.ndarray
        States (:data:`STATE_DTYPE`), any shape.

    Returns
    -------
    numpy.ndarray
        float64, the shape of ``state``.

    Raises
    ------
    TypeError
        ``state`` is not of :data:`STATE_DTYPE`.
    """
    s = np.require(_check_state(state), requirements="CA")
    out = np.empty(s.shape, dtype=np.float64)
    _core.logsumexp_from_states(s, out)
    return out


def _from_state(kind: str, x, state, axis, out):
    x = _as_float_or_half_array(x, "x")
    half = _half_kind(x.dtype)  # issue 17: float16 / bfloat16 as uint16 views
    s = _check_state(state)
    ax = _normalize_axis(axis, max(x.ndim, 1)) if x.ndim else 0
    want = x.shape[:ax] + x.shape[ax + 1:]
    if s.shape != want and s.shape != x.shape[:ax] + (1,) + x.shape[ax + 1:]:
        try:
            np.broadcast_to(s, want)
        except ValueError:
            raise ValueError(f"state must have the shape of x without axis {ax}, {want}; "
                             f"got {s.shape}") from None
    if x.ndim and s.ndim == x.ndim:
        s = np.squeeze(s, ax)

    def call(moved, om):
        m = moved[0]
        m2, o2 = _rows_view(m), _rows_view(om)
        if m2 is None or o2 is None:
            return False
        st = np.require(np.broadcast_to(s, m.shape[:-1]), requirements="CA").reshape(-1)
        if half is None:
            _core.from_state(kind, m2, st, o2)
        else:
            _core.from_state(kind, m2.view(np.uint16), st, o2.view(np.uint16), half == "bf16")
        return True

    return (_over_rows if half is None else _over_rows_half)((x,), axis, out, call)


_FROM_STATE_DOC = """
    Parameters
    ----------
    x : array_like
        float32, float64, float16 or bfloat16 (computed in float32, the
        result rounded once to x's dtype): a piece of the rows ``state`` describes (its
        entries must be among those the state was taken from, or at least
        not above the state's max).
    state : numpy.ndarray
        States (:data:`STATE_DTYPE`) of the whole rows, usually merged: the
        shape of ``x`` without ``axis`` (or with it of length 1; broadcast).
    axis : int, optional
        The softmax axis (default -1).
    out : numpy.ndarray, optional
        Where to write the result (shape of ``x``; its dtype or a
        ``same_kind`` cast of it, as for ``softmax``; ``x`` itself for in
        place).

    Returns
    -------
    numpy.ndarray
        Like ``x``. A state with a NaN, a +inf or no finite entry gives
        NaN rows (as :func:`fastsoftmax.softmax` does).

    Raises
    ------
    TypeError
        Unsupported dtypes.
    ValueError
        ``axis`` out of range, ``state`` of the wrong shape, bad ``out``.
"""


def softmax_from_state(x: ArrayLike, state: ArrayLike, axis: SupportsIndex = -1,
                       out: Optional[NDArray[Any]] = None) -> NDArray[np.floating[Any]]:
    return _from_state("softmax", x, state, axis, out)


def log_softmax_from_state(x: ArrayLike, state: ArrayLike, axis: SupportsIndex = -1,
                           out: Optional[NDArray[Any]] = None) -> NDArray[np.floating[Any]]:
    return _from_state("log_softmax", x, state, axis, out)


softmax_from_state.__doc__ = """``exp(x - M) / S``: softmax of ``x`` normalised by
    the state of the whole rows (``M``, ``S`` their max and sum of
    ``exp(x - M)``).
""" + _FROM_STATE_DOC
log_softmax_from_state.__doc__ = """``(x - M) - log S``: log-softmax of ``x`` from the
    state of the whole rows.
""" + _FROM_STATE_DOC

__all__ = [
    "STATE_DTYPE",
    "softmax_state",
    "merge_states",
    "softmax_from_state",
    "log_softmax_from_state",
    "logsumexp_from_state",
]

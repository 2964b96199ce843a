"""SciPy-compatible ``softmax``, ``log_softmax`` and ``logsumexp``.

Replacing ::

    from scipy.special import softmax, log_softmax, logsumexp

by ::

    from fastsoftmax.scipy import softmax, log_softmax, logsumexp

gives the same numbers on the same inputs (to within rounding: ours are
the more accurate), with SciPy's signature and semantics rather than
``fastsoftmax``'s own:

* ``axis=None`` (the default) normalises over the **whole array**, an int
  over one axis, a tuple over several at once (``axis=()`` over none:
  every entry is its own distribution);
* the result's dtype is SciPy's (NumPy's ``exp`` of the input's): float64
  for int32/int64/uint32/uint64, float32 for int16/uint16, float16 for
  int8/uint8 and float16 (computed in float32, rounded at the end); float32
  and float64 keep their dtype;
* a scalar or 0-d input returns a NumPy scalar;
* errors are SciPy's: an axis out of range raises
  ``numpy.exceptions.AxisError``, a repeated axis ``ValueError``, a
  non-integer axis ``TypeError``, boolean input ``TypeError`` (NumPy
  refuses to subtract booleans), a reduction over an empty axis
  ``ValueError``;
* special values are SciPy's: a row holding NaN, or ``+inf``, or only
  ``-inf``, is NaN in ``softmax``; in ``log_softmax`` a row holding
  ``+inf`` (and no NaN) gives NaN at the ``+inf`` entries and ``-inf``
  elsewhere, as SciPy's formula does (without SciPy's ``RuntimeWarning``).

One deliberate difference: SciPy subtracts the maximum in the input's
integer type, which wraps around for unsigned integers (``[0, 5]`` as
uint8 gives ``[nan, 0]``) and for int8 beyond 127 apart; here integers are
converted first, so those calls give the true result.

Dtypes the kernels do not have (long double, complex, object) are computed
with SciPy's own formula in NumPy, so those calls behave exactly as SciPy.
The ``fastsoftmax`` functions (``axis=-1`` default, ``out=``, ``algorithm=``,
no conversions) are unchanged; this module is a thin layer over them.

Examples
--------
>>> import numpy as np
>>> from fastsoftmax.scipy import softmax, log_softmax
>>> x = np.array([[1, 2], [3, 4]])          # integers: computed in float64
>>> softmax(x)                              # axis=None: over all four entries
array([[0.0320586 , 0.08714432],
       [0.23688282, 0.64391426]])
>>> softmax(x, axis=1).sum(axis=1)
array([1., 1.])
>>> y = log_softmax(np.float32(5.0))        # a scalar gives a scalar
>>> type(y).__name__, float(y)
('float32', 0.0)
"""

from __future__ import annotations

import math
import operator
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import log_softmax as _fsm_log_softmax, softmax as _fsm_softmax
from ._decoding import logsumexp  # already scipy.special.logsumexp's signature and semantics
from ._arrays import _as_float_array

try:  # NumPy >= 1.25
    from numpy.exceptions import AxisError as _AxisError
except ImportError:  # pragma: no cover - older NumPy
    _AxisError = np.AxisError  # type: ignore[attr-defined,misc]

__all__ = ["softmax", "log_softmax", "logsumexp"]

AxisLike = Union[None, int, Tuple[int, ...]]


def _axes(axis: Any, ndim: int) -> Tuple[int, ...]:
    """``axis`` as sorted non-negative axes, with NumPy's errors."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, tuple) else (axis,)
    axes = []
    for a in items:
        try:
            a = operator.index(a)
        except TypeError:
            raise TypeError(f"axis must be None, an integer or a tuple of integers;"
                            f" got {type(a).__name__}") from None
        if ndim == 0 and a in (0, -1) and not isinstance(axis, tuple):
            return ()  # NumPy's reductions take axis 0 or -1 of a 0-d array
        if not -ndim <= a < ndim:
            raise _AxisError(a, ndim)
        axes.append(a % ndim)
    if len(set(axes)) != len(axes):
        raise ValueError(f"duplicate value in 'axis': {axis!r}")
    return tuple(sorted(axes))


def _formula(x: np.ndarray, axis: Tuple[int, ...], log: bool):
    """SciPy's own formula (scipy.special.softmax / log_softmax), in NumPy:
    the path for dtypes the kernels lack, empty reductions and, for
    log_softmax, rows holding +inf."""
    x_max = np.max(x, axis=axis, keepdims=True)
    with np.errstate(all="ignore"):  # silent on NaN and inf, as the kernels are
        if not log:
            e = np.exp(x - x_max)
            return e / np.sum(e, axis=axis, keepdims=True)
        x_max[~np.isfinite(x_max)] = 0
        tmp = x - x_max
        return tmp - np.log(np.sum(np.exp(tmp), axis=axis, keepdims=True))


def _compute(x: Any, axis: Any, log: bool):
    arr = np.asarray(x)
    axes = _axes(axis, arr.ndim)
    kind = arr.dtype.kind
    if kind == "b":
        raise TypeError("x: boolean input is not supported (as in scipy.special, where NumPy"
                        " refuses to subtract booleans); convert it, e.g. x.astype(float)")
    # the result's dtype: exp's (NumPy's smallest float holding the integer type)
    result_dtype = np.exp(np.zeros(0, arr.dtype)).dtype if kind in "iu" else arr.dtype
    if result_dtype == np.float16:
        work = arr.astype(np.float32)  # computed in float32, rounded to float16 at the end
    elif kind in "iu":
        work = arr.astype(result_dtype)
    elif kind == "f" and arr.dtype.itemsize in (4, 8):
        work = _as_float_array(arr, "x")
    else:  # long double, complex, object ...: SciPy's formula, SciPy's result
        res = _formula(arr, axes, log)
        return res[()] if arr.ndim == 0 else res
    if work.size == 0 or any(arr.shape[a] == 0 for a in axes):
        res = _formula(work, axes, log)  # SciPy's empty-reduction error, or an empty result
    else:
        res = _normalised(work, axes, log)
        # log_softmax is NaN exactly where x holds NaN or +inf, or a whole row is
        # -inf; SciPy's formula differs only in rows with +inf: take it there.
        if log and math.isnan(np.add.reduce(res, axis=None)):
            res = _formula(work, axes, log)
    res = res.astype(result_dtype, copy=False) if result_dtype == np.float16 else res
    return res[()] if arr.ndim == 0 else res


def _normalised(x: np.ndarray, axes: Tuple[int, ...], log: bool) -> np.ndarray:
    """The kernels over the flattened ``axes`` of float32/float64 ``x``."""
    fn = _fsm_log_softmax if log else _fsm_softmax
    nd = x.ndim
    if len(axes) == 1:
        return fn(x, axes[0])  # one axis: the package's own axis handling
    if not axes:  # every entry its own distribution: one-element rows
        return fn(x.reshape(x.shape + (1,)), -1).reshape(x.shape)
    k = len(axes)
    lead = tuple(a for a in range(nd) if a not in axes)
    trailing = tuple(range(nd - k, nd))
    if axes == trailing:
        moved = x  # already last: a view when x is C-contiguous
    else:
        moved = np.transpose(x, lead + axes)
    shape = moved.shape
    rows = moved.reshape(math.prod(shape[:nd - k]), math.prod(shape[nd - k:]))  # copies if needed
    y = fn(rows, -1).reshape(shape)
    if axes == trailing:
        return y
    # undo the transpose: a view of the new array, in x's axis order
    return np.transpose(y, np.argsort(lead + axes))


def softmax(x: Any, axis: AxisLike = None) -> Any:
    """SciPy's ``softmax``: ``exp(x) / sum(exp(x))`` over ``axis``.

    Parameters
    ----------
    x : array_like
        Input; integers are computed in floating point (see the module
        notes for the dtype of the result).
    axis : int or tuple of ints, optional
        Axis or axes to normalise over; ``None`` (the default, as in SciPy)
        normalises over the whole array.

    Returns
    -------
    numpy.ndarray or numpy scalar
        An array of ``x``'s shape (a scalar for scalar input) of SciPy's
        result dtype (float64 for int32/int64 input, else ``x``'s float
        dtype; see the module notes). With a tuple of axes that are
        not the last ones, the array may be a non-contiguous view.

    Raises
    ------
    TypeError
        Boolean input, a non-integer ``axis``.
    numpy.exceptions.AxisError
        An axis out of range.
    ValueError
        A repeated axis; a reduction over an empty axis.

    See Also
    --------
    fastsoftmax.softmax : ``axis=-1`` default, ``out=``, ``algorithm=``.

    Examples
    --------
    >>> from fastsoftmax.scipy import softmax
    >>> softmax([0.0, 0.0, 0.0, 0.0])
    array([0.25, 0.25, 0.25, 0.25])
    >>> softmax(np.zeros((2, 3, 4), np.float32), axis=(0, 2))[0, 0]
    array([0.125, 0.125, 0.125, 0.125], dtype=float32)
    """
    return _compute(x, axis, log=False)


def log_softmax(x: Any, axis: AxisLike = None) -> Any:
    """SciPy's ``log_softmax``: ``x - log(sum(exp(x)))`` over ``axis``.

    Parameters
    ----------
    x : array_like
        Input; integers are computed in floating point (see the module
        notes for the dtype of the result).
    axis : int or tuple of ints, optional
        Axis or axes to normalise over; ``None`` (the default) normalises
        over the whole array.

    Returns
    -------
    numpy.ndarray or numpy scalar
        As for :func:`softmax`.

    Raises
    ------
    TypeError, numpy.exceptions.AxisError, ValueError
        As for :func:`softmax`.

    Examples
    --------
    >>> from fastsoftmax.scipy import log_softmax
    >>> log_softmax([1000.0, 1.0])
    array([   0., -999.])
    """
    return _compute(x, axis, log=True)


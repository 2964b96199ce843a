"""logsumexp (a drop-in for ``scipy.special.logsumexp``) and the decoding
helpers :func:`sample` and :func:`topk_softmax` (issue 16).

The row computations run in C (``fsm_logsumexp_*``, ``fsm_topk_softmax_*``,
``fsm_sample_*``); this module maps arrays onto rows, checks arguments with
messages naming them, and draws the uniforms from a NumPy ``Generator``.
``docs/decoding.md`` describes the semantics.

Private module; the names are exported by ``fastsoftmax``.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Optional, Tuple, Union

import numpy as np
from numpy.typing import ArrayLike

from . import _core
from ._arrays import _as_float_or_half_array, _half_kind, _normalize_axis
from ._training import _real


# ---------------------------------------------------------------- logsumexp

def _lse_array(a) -> np.ndarray:
    """``a`` as a float array the way SciPy takes it: integers and booleans
    become float64; float16 and bfloat16 stay (computed in float32 by the C
    library, returned in their dtype by the caller); complex input is
    refused."""
    try:
        arr = np.asarray(a)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"a must be array-like of real numbers: {exc}") from None
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    if _half_kind(arr.dtype) is not None:
        return arr.astype(arr.dtype.newbyteorder("="), copy=False)
    if arr.dtype.kind == "f":
        if arr.dtype.itemsize > 8:
            raise TypeError(f"a must have a float dtype of at most 64 bits, got {arr.dtype}")
        return arr.astype(np.float32 if arr.dtype.itemsize < 4 else arr.dtype.newbyteorder("="),
                          copy=False)
    raise TypeError(f"a must have a real (bool, integer or float) dtype, got {arr.dtype}"
                    + (" (complex input is not supported)" if arr.dtype.kind == "c" else ""))


def _strided_rows(x2: np.ndarray) -> np.ndarray:
    """2-D ``x2`` as the C entry points take it (aligned, unit inner stride,
    row stride >= cols, in whole elements), else a contiguous copy."""
    rows, cols = x2.shape
    item = x2.itemsize
    if (cols > 1 and x2.strides[1] != item) or not x2.flags.aligned or (
            rows > 1 and (x2.strides[0] % item or x2.strides[0] < cols * item)):
        return np.ascontiguousarray(x2)
    return x2


def _lse_axes(axis, ndim: int) -> tuple:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, tuple):
        axes = tuple(_normalize_axis(ax, ndim) for ax in axis)
        if len(set(axes)) != len(axes):
            raise ValueError(f"axis contains a repeated axis: {axis!r}")
        return axes
    return (_normalize_axis(axis, ndim),)


def _lse_weighted(a: np.ndarray, axes: tuple, b, keepdims: bool, return_sign: bool):
    """``log |sum b exp(a)|`` and its sign in NumPy (the weighted form): the
    max over entries with b != 0 is shifted out, as SciPy does."""
    try:
        bb = np.asarray(b)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"b must be array-like of real numbers: {exc}") from None
    if bb.dtype.kind not in "biuf":
        raise TypeError(f"b must have a real dtype, got {bb.dtype}")
    try:
        a, bb = np.broadcast_arrays(a, bb)
    except ValueError:
        raise ValueError(f"b must broadcast against a: shapes {np.shape(b)} and {a.shape}") from None
    dtype = np.result_type(a, b if np.ndim(b) == 0 and not isinstance(b, np.ndarray) else bb)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    a = a.astype(dtype, copy=False)
    bb = bb.astype(dtype, copy=False)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        masked = np.where(bb != 0, a, -np.inf)
        m = np.max(masked, axis=axes, keepdims=True) if a.size else \
            np.full(np.sum(a, axis=axes, keepdims=True).shape, -np.inf, dtype)
        shift = np.where(np.isfinite(m), m, 0)
        s = np.sum(np.where(bb != 0, bb * np.exp(a - shift), 0), axis=axes, keepdims=True)
        sign = np.sign(s)
        out = np.log(np.abs(s)) + shift
        # an infinite max: +inf with a positive weight stays +inf (sum of
        # inf terms of one sign); NaN where +inf terms of both signs meet
        if not return_sign:
            out = np.where(s < 0, np.nan, out)
    if not keepdims:
        out = np.squeeze(out, axis=axes)
        sign = np.squeeze(sign, axis=axes)
    out = out.astype(dtype, copy=False)
    if return_sign:
        return (out[()], sign.astype(dtype)[()])
    return out[()]


def logsumexp(a: ArrayLike, axis: Union[None, int, Tuple[int, ...]] = None,
              b: Optional[ArrayLike] = None, keepdims: bool = False,
              return_sign: bool = False) -> Any:
    """``log(sum(b * exp(a)))`` over the given axes, computed without
    overflow: a drop-in for ``scipy.special.logsumexp``.

    Parameters
    ----------
    a : array_like
        Input: float32 or float64 (computed in C), or integers / booleans
        (converted to float64, as SciPy does), or float16 / bfloat16
        (computed in float32 on the widened rows, returned in their dtype).
    axis : None or int or tuple of ints, optional
        The axes to reduce; None (the default, as in SciPy) reduces all.
    b : array_like, optional
        Weights broadcast against ``a``: ``log(sum(b * exp(a)))``. May be
        negative (then see ``return_sign``); entries of ``a`` whose weight
        is 0 do not take part, even when infinite.
    keepdims : bool, optional
        Keep the reduced axes with length 1.
    return_sign : bool, optional
        Also return the sign of the sum (+1, -1, or 0 for a zero sum);
        the result is then ``log(abs(sum))``.

    Returns
    -------
    res : numpy.ndarray or numpy scalar
        The dtype of ``a`` (float64 for integer input); a scalar when every
        axis is reduced. Without ``return_sign``, a negative weighted sum
        gives NaN.
    sgn : numpy.ndarray or numpy scalar
        With ``return_sign`` only.

    Raises
    ------
    TypeError
        ``a`` or ``b`` is not real (complex input is not supported), ``axis``
        is not an int, a tuple of ints or None.
    ValueError
        ``axis`` out of range or repeated, ``b`` not broadcastable.

    Notes
    -----
    Special values follow SciPy: a NaN gives NaN, a ``+inf`` gives ``+inf``,
    an empty reduction or all ``-inf`` gives ``-inf``. Without ``b`` the
    rows are reduced in C: the last axis as it is, other axes through a
    contiguous copy with the reduced axes last. Rows of 128K elements or
    more are cut into fixed chunks reduced on the library's threads (the
    same result at every thread count). float32 results are within a few
    units of ``2**-24`` (relative) of the exact value.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> round(float(fastsoftmax.logsumexp(np.array([1.0, 2.0, 3.0]))), 12)
    3.407605964444
    >>> fastsoftmax.logsumexp(np.zeros((2, 3)), axis=1, b=[1, -1, 1], return_sign=True)
    (array([0., 0.]), array([1., 1.]))
    """
    arr = _lse_array(a)
    half = _half_kind(arr.dtype)  # issue 17: float16 / bfloat16 rows widened in C
    in_dtype = arr.dtype if half is not None else None
    if half is not None and b is not None:
        arr = arr.astype(np.float32)
    if not isinstance(axis, (tuple, type(None))):
        try:
            axis = operator.index(axis)
        except TypeError:
            raise TypeError("axis must be None, an integer or a tuple of integers, "
                            f"got {type(axis).__name__}") from None
    axes = _lse_axes(axis, arr.ndim)
    if b is not None:
        res = _lse_weighted(arr, axes, b, bool(keepdims), bool(return_sign))
    else:
        keep = [d for d in range(arr.ndim) if d not in axes]
        moved = np.transpose(arr, keep + list(axes))
        lead = tuple(arr.shape[d] for d in keep)
        cols = math.prod(arr.shape[d] for d in axes)
        rows = math.prod(lead)
        # a view when the reduced axes are last and contiguous
        x2 = _strided_rows(moved.reshape(rows, cols))
        if half is None:
            out = np.empty(rows, dtype=arr.dtype)
            _core.logsumexp_rows(x2, out)
        else:  # float32 results, returned in the half dtype below
            out = np.empty(rows, dtype=np.float32)
            _core.logsumexp_rows(x2.view(np.uint16), out, half == "bf16")
        out = out.reshape(lead)
        if keepdims:
            out = out.reshape(tuple(1 if d in axes else n for d, n in enumerate(arr.shape)))
        out = out[()]
        res = (out, np.ones_like(out)[()] if not np.isnan(out).any() else
               np.where(np.isnan(out), np.nan, 1.0).astype(arr.dtype)[()]) if return_sign else out
    if in_dtype is not None:
        res = tuple(np.asarray(r).astype(in_dtype)[()] for r in res) if return_sign else \
            np.asarray(res).astype(in_dtype)[()]
    return res


# --------------------------------------------------------------- decoding

def _logit_rows(logits) -> np.ndarray:
    x = _as_float_or_half_array(logits, "logits")  # issue 17: float16 / bfloat16 too
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the vocabulary, last)")
    if x.shape[-1] == 0:
        raise ValueError("logits must have at least one column")
    x2 = x.reshape(-1, x.shape[-1]) if x.size else x.reshape(0, x.shape[-1])
    return x, _strided_rows(x2)


def _count(value, name: str, cols: int) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got bool")
    try:
        v = operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}") from None
    if not 1 <= v <= cols:
        raise ValueError(f"{name} must be in [1, {cols}] (the number of columns); got {v}")
    return v


def _prob(value, name: str, lo_open: bool) -> float:
    v = _real(value, name)
    ok = (0.0 < v <= 1.0) if lo_open else (0.0 <= v <= 1.0)
    if not ok:  # NaN included
        raise ValueError(f"{name} must be in {'(0, 1]' if lo_open else '[0, 1]'}; got {value!r}")
    return v


def _generator(rng) -> np.random.Generator:
    if rng is None or isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    if isinstance(rng, np.random.Generator):
        return rng
    raise TypeError("rng must be a numpy.random.Generator, an int seed or None, "
                    f"got {type(rng).__name__}")


def sample(logits: ArrayLike, *, temperature: float = 1.0, top_k: Optional[int] = None,
           top_p: Optional[float] = None, min_p: Optional[float] = None,
           rng: Union[np.random.Generator, int, None] = None) -> Any:
    """Draw one token index per row of logits (the last axis), after
    temperature, top-k, top-p (nucleus) and min-p filtering.

    The filters apply in this order (Hugging Face ``generate``'s): the
    logits divided by ``temperature``; top-k keeps the tokens whose
    probability is at least the k-th largest (ties all kept); top-p keeps,
    of those, the shortest run of most probable tokens whose probability
    mass reaches ``top_p`` of theirs; min-p keeps the tokens whose
    probability is at least ``min_p`` times the largest. The token is drawn
    from the kept tokens' renormalised probabilities with one uniform
    number per row from ``rng`` (inverse CDF in index order), so a seed
    reproduces the draws. Each row is read a bounded number of times: no
    sort of the vocabulary (``docs/decoding.md``).

    Parameters
    ----------
    logits : array_like
        float32, float64, float16 or bfloat16 (``ml_dtypes.bfloat16``;
        widened to float32 exactly: the tokens of the float32 logits),
        shape ``(..., vocab)``.
    temperature : float, optional
        > 0 and finite (default 1).
    top_k : int, optional
        In ``[1, vocab]``; None keeps every token.
    top_p : float, optional
        In ``(0, 1]``; None (or 1) keeps every token.
    min_p : float, optional
        In ``[0, 1]``; None (or 0) keeps every token.
    rng : numpy.random.Generator or int or None, optional
        Where the uniforms come from: a Generator (advanced by one
        ``random(rows)`` call), a seed, or None (fresh entropy).

    Returns
    -------
    numpy.ndarray
        int64 token indices, shape ``logits.shape[:-1]`` (a NumPy integer
        for 1-D logits).

    Raises
    ------
    TypeError
        ``logits`` not float32/float64/float16/bfloat16, a parameter of the wrong type,
        ``rng`` not a Generator, seed or None.
    ValueError
        A parameter out of range or NaN, ``logits`` 0-d or without columns,
        a row with a NaN or ``+inf`` or no finite logit.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> logits = np.array([[2.0, 1.0, -1.0], [0.0, 3.0, 0.5]], np.float32)
    >>> fastsoftmax.sample(logits, top_k=1, rng=0)
    array([0, 1])
    >>> fastsoftmax.sample(logits, top_p=0.9, temperature=0.7, rng=0).shape
    (2,)
    """
    x, x2 = _logit_rows(logits)
    cols = x.shape[-1]
    t = _real(temperature, "temperature")
    if not (t > 0.0 and math.isfinite(t)):
        raise ValueError(f"temperature must be > 0 and finite; got {temperature!r}")
    k = 0 if top_k is None else _count(top_k, "top_k", cols)
    p = 1.0 if top_p is None else _prob(top_p, "top_p", True)
    mp = 0.0 if min_p is None else _prob(min_p, "min_p", False)
    gen = _generator(rng)
    u = gen.random(x2.shape[0])
    tokens = np.empty(x2.shape[0], dtype=np.int64)
    if x2.shape[0]:
        half = _half_kind(x2.dtype)
        _core.sample_rows(x2 if half is None else x2.view(np.uint16), t, k, p, mp, u, tokens,
                          half == "bf16")
    return tokens.reshape(x.shape[:-1])[()]


def topk_softmax(logits: ArrayLike, k: int, *,
                 renormalize: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """The ``k`` most probable entries of each row's softmax (the last
    axis), sorted by probability decreasing.

    Parameters
    ----------
    logits : array_like
        float32, float64, float16 or bfloat16 (computed in float32, the
        probabilities rounded once to the logits' dtype), shape ``(..., n)``.
    k : int
        In ``[1, n]``.
    renormalize : bool, optional
        False (default): the full row's softmax probabilities of the k
        entries. True: renormalised over the k (they sum to 1), as
        mixture-of-experts routers weight their experts.

    Returns
    -------
    probabilities : numpy.ndarray
        Shape ``(..., k)``, the dtype of ``logits``.
    indices : numpy.ndarray
        Shape ``(..., k)``, int64; equal logits are listed lower index first.

    Raises
    ------
    TypeError
        ``logits`` not float32/float64/float16/bfloat16, ``k`` not an integer.
    ValueError
        ``k`` out of range, a row with a NaN or ``+inf`` or no finite logit.

    Notes
    -----
    Each row is read three times (its max, its normaliser, a selection
    through a min-heap of k entries), never sorted.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> p, i = fastsoftmax.topk_softmax(np.array([1.0, 3.0, 2.0]), 2)
    >>> i
    array([1, 2])
    >>> p.round(4)
    array([0.6652, 0.2447])
    """
    x, x2 = _logit_rows(logits)
    kk = _count(k, "k", x.shape[-1])
    probs = np.empty((x2.shape[0], kk), dtype=x.dtype)
    idx = np.empty((x2.shape[0], kk), dtype=np.int64)
    if x2.shape[0]:
        half = _half_kind(x2.dtype)
        _core.topk_softmax_rows(x2 if half is None else x2.view(np.uint16), kk, bool(renormalize),
                                probs if half is None else probs.view(np.uint16), idx,
                                half == "bf16")
    shape = x.shape[:-1] + (kk,)
    return probs.reshape(shape), idx.reshape(shape)


__all__ = ["logsumexp", "sample", "topk_softmax"]

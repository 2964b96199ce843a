"""The fused softmax options of :func:`fastsoftmax.softmax`,
:func:`fastsoftmax.log_softmax` and their VJPs: scale or temperature, soft
cap, additive or boolean masks, causal masking with an offset, ALiBi
slopes, attention sinks, the policy for fully masked rows and the saved
log-sum-exp. The mathematics: docs/fused.md.

Private: ``fastsoftmax.softmax`` comes here when any option is given; the
arguments are validated here, with messages naming the argument, and every
per-row operand is handed to ``_core.fused`` as a NumPy view of the rows'
shape (zero strides where it broadcasts), so nothing is copied that does
not need to be.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Optional

import numpy as np

from . import _core
from ._arrays import (_as_float_like, _as_float_or_half_array, _check_half_out, _check_out,
                      _half_kind, _normalize_axis, _over_rows, _over_rows_half)

_MASKED_ROWS = {"nan": 0, "zero": 1}
_MASK_ADDITIVE, _MASK_KEEP = 1, 2
_MAX_ROW_DIMS = 8


def _positive(value, name: str) -> float:
    """A finite real number > 0 (bools refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if not (0.0 < v < math.inf):
        raise ValueError(f"{name} must be > 0 and finite; got {value!r}")
    return v


def _scale(scale, temperature) -> float:
    if scale is not None and temperature is not None:
        raise ValueError("give scale or temperature, not both (temperature T is scale 1/T)")
    if temperature is not None:
        t = _positive(temperature, "temperature")
        s = 1.0 / t
        if not (0.0 < s < math.inf):
            raise ValueError(f"temperature {temperature!r} is too small (1/temperature overflows)")
        return s
    return 1.0 if scale is None else _positive(scale, "scale")


def _softcap(softcap) -> float:
    return 0.0 if softcap is None else _positive(softcap, "softcap")


def _float_operand(value, name: str, dtype) -> np.ndarray:
    """A float array of x's dtype (float16/32/64 and bfloat16 accepted and
    converted)."""
    try:
        a = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be array-like of floats: {exc}") from None
    if a.dtype.kind != "f" and _half_kind(a.dtype) is None:
        raise TypeError(f"{name} must have a floating dtype, got {a.dtype}")
    if np.isnan(a).any():
        raise ValueError(f"{name} must not contain NaN")
    return np.ascontiguousarray(a, dtype=dtype) if a.dtype != dtype else a


def _broadcast(a: np.ndarray, shape: tuple, name: str, what: str) -> np.ndarray:
    try:
        return np.broadcast_to(a, shape)
    except ValueError:
        raise ValueError(f"{name} of shape {a.shape} does not broadcast to {what} {shape}") from None


def _aligned(a: np.ndarray) -> np.ndarray:
    return a if a.flags.aligned else np.require(a, requirements="A")


def _bits(a: np.ndarray) -> np.ndarray:
    """A float16 / bfloat16 operand as the uint16 view the C library takes
    (issue 17); other dtypes as they are."""
    return a.view(np.uint16) if _half_kind(a.dtype) is not None else a


def _mask_view(mask, x: np.ndarray, axis: int):
    """(kind, view of x's moved shape with contiguous rows)."""
    try:
        m = np.asarray(mask)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"mask must be array-like (bool or float): {exc}") from None
    if m.dtype == np.bool_:
        kind = _MASK_KEEP
    elif m.dtype.kind == "f" or _half_kind(m.dtype) is not None:
        kind = _MASK_ADDITIVE
        if np.isnan(m).any():
            raise ValueError("mask must not contain NaN")
        if m.dtype != x.dtype:
            m = m.astype(x.dtype)
    else:
        raise TypeError(f"mask must have dtype bool (True = keep) or a float dtype, got {m.dtype}")
    moved = np.moveaxis(_broadcast(m, x.shape, "mask", "x's shape"), axis, -1)
    if moved.shape[-1] > 1 and moved.strides[-1] != moved.itemsize:
        moved = np.ascontiguousarray(moved)
    if kind == _MASK_KEEP:
        moved = moved.view(np.uint8)
    return kind, _aligned(_bits(moved))


def _row_operand(value, name: str, x: np.ndarray, axis: int) -> np.ndarray:
    """A per-row value broadcastable to x.shape with the axis of length 1,
    viewed with the moved rows' shape."""
    a = _float_operand(value, name, x.dtype)
    target = x.shape[:axis] + (1,) + x.shape[axis + 1:]
    moved = np.moveaxis(_broadcast(a, target, name, "x.shape[:-1] + (1,) (the softmax axis of length 1),"),
                        axis, -1)
    return _aligned(_bits(moved[..., 0]))


def _slopes_view(value, x: np.ndarray) -> np.ndarray:
    """ALiBi slopes broadcastable to x.shape[:-2] (one per batch and head),
    viewed with the rows' shape x.shape[:-1]."""
    a = _float_operand(value, "alibi_slopes", x.dtype)
    heads = _broadcast(a, x.shape[:-2], "alibi_slopes", "x.shape[:-2]")
    if x.ndim < 2:
        return _aligned(_bits(np.broadcast_to(heads, x.shape[:-1])))
    return _aligned(_bits(np.broadcast_to(heads[..., None], x.shape[:-1])))


def fused_rowwise(x, axis, out, algorithm_code, log: bool, *, scale, temperature, softcap, mask,
                  causal, causal_offset, alibi_slopes, sink, masked_rows, return_lse):
    """softmax / log_softmax with options (validated here). float16 and
    bfloat16 x (issue 17): computed in float32 on uint16 views, the mask,
    slopes, sinks and lse of x's dtype; an ``out`` of a wider float receives
    the half-precision result converted."""
    x = _as_float_or_half_array(x, "x")
    half = _half_kind(x.dtype)
    s = _scale(scale, temperature)
    cap = _softcap(softcap)
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be a bool, got {type(causal).__name__}")
    try:
        offset = operator.index(causal_offset)
    except TypeError:
        raise TypeError(f"causal_offset must be an integer, got {type(causal_offset).__name__}") from None
    if not -2**62 < offset < 2**62:
        raise ValueError(f"causal_offset {offset} is out of range")
    if not isinstance(masked_rows, str) or masked_rows not in _MASKED_ROWS:
        raise ValueError(f"masked_rows must be 'nan' or 'zero'; got {masked_rows!r}")
    if not isinstance(return_lse, (bool, np.bool_)):
        raise TypeError(f"return_lse must be a bool, got {type(return_lse).__name__}")
    if x.ndim == 0:  # one element: a row of length 1
        _normalize_axis(axis, 1)
        m0 = None if mask is None else np.asarray(mask)
        if m0 is not None:
            m0 = _broadcast(m0, (), "mask", "x's shape").reshape(1)
        check = _check_out if half is None else _check_half_out
        res = fused_rowwise(x.reshape(1), -1, None if out is None else check(out, x).reshape(1),
                            algorithm_code, log, scale=s, temperature=None, softcap=softcap,
                            mask=m0, causal=causal, causal_offset=offset,
                            alibi_slopes=alibi_slopes, sink=sink, masked_rows=masked_rows,
                            return_lse=return_lse)
        y, lse = res if return_lse else (res, None)
        y = y.reshape(()) if out is None else out
        return (y, lse) if return_lse else y
    axis = _normalize_axis(axis, x.ndim)
    if (causal or alibi_slopes is not None) and axis != x.ndim - 1:
        raise ValueError("causal and alibi_slopes need the softmax over the last axis"
                         f" (the keys; the queries on the one before); got axis={axis}")
    if x.ndim - 1 > _MAX_ROW_DIMS:
        raise ValueError(f"x has {x.ndim} dimensions: at most {_MAX_ROW_DIMS + 1} with fused options")
    mask_kind, mask_v = (0, None) if mask is None else _mask_view(mask, x, axis)
    sink_v = None if sink is None else _row_operand(sink, "sink", x, axis)
    last = axis == x.ndim - 1
    xm = x if last else np.moveaxis(x, axis, -1)
    slopes_v = None if alibi_slopes is None else _slopes_view(alibi_slopes, xm)
    if out is None:
        out = np.empty(x.shape, dtype=x.dtype)
    else:
        out = _check_out(out, x) if half is None else _check_half_out(out, x)
    om = out if last else np.moveaxis(out, axis, -1)
    lse = np.empty(xm.shape[:-1], dtype=x.dtype) if return_lse else None
    if x.size == 0 and (lse is None or lse.size == 0):
        return (out, lse) if return_lse else out
    same = (x.__array_interface__["data"][0] == out.__array_interface__["data"][0]
            and x.strides == out.strides)
    if np.may_share_memory(x, out) and not same:
        xm = xm.copy()
    xc = xm if xm.flags.c_contiguous and xm.flags.aligned else np.require(xm, requirements="CA")
    direct = om.flags.c_contiguous and om.flags.aligned and om.dtype == x.dtype
    target = om if direct else np.empty(xm.shape, dtype=x.dtype)
    _core.fused(_bits(xc), _bits(target), log, algorithm_code, s, cap, mask_v, mask_kind,
                bool(causal), offset, slopes_v, sink_v, _MASKED_ROWS[masked_rows],
                None if lse is None else _bits(lse), half == "bf16")
    if not direct:
        om[...] = target
    return (out, lse) if return_lse else out


def fused_vjp(log: bool, a, b, names, axis, out, *, x, scale, temperature, softcap, masked):
    """The softmax / log-softmax VJP with scale / temperature / soft cap.
    float16 and bfloat16 operands (issue 17): computed in float32 on uint16
    views, dx of their dtype (an ``out`` of a wider float receives it
    converted)."""
    from ._training import _contiguous_call  # noqa: PLC0415 (import cycle)
    a = _as_float_or_half_array(a, names[0])
    b = _as_float_like(b, names[1], a, names[0])
    s = _scale(scale, temperature)
    cap = _softcap(softcap)
    if not isinstance(masked, (bool, np.bool_)):
        raise TypeError(f"masked must be a bool, got {type(masked).__name__}")
    half = _half_kind(a.dtype)
    over = _over_rows if half is None else _over_rows_half

    def vjp(a2, b2, x2, o2):
        _core.fused_vjp(log, _bits(a2), _bits(b2), None if x2 is None else _bits(x2), _bits(o2),
                        s, cap, bool(masked), half == "bf16")

    if cap > 0.0:
        if x is None:
            raise ValueError("softcap needs x= (the forward input): the cap's slope depends on it")
        x = _as_float_like(x, "x", a, names[0])
        return over((a, b, x), axis, out, _contiguous_call(vjp))
    return over((a, b), axis, out, _contiguous_call(lambda a2, b2, o2: vjp(a2, b2, None, o2)))


def _sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """g summed (in float64) over the dimensions that broadcasting added
    or stretched, to an array of ``shape``."""
    lead = g.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    r = g.sum(axis=tuple(range(lead)) + stretched, dtype=np.float64, keepdims=True) \
        if lead or stretched else g
    return r.reshape(shape)


def option_grads(log: bool, a: np.ndarray, b: np.ndarray, axis, *, mask, sink):
    """The gradients with respect to the forward call's additive ``mask``
    and ``sink`` logits, from the softmax output ``a = y`` and ``b = dy``
    (or the log-softmax ``a = z``, ``b = dz``). Returns [dmask] + [dsink],
    each present when its operand is given, in the operand's shape and
    ``a``'s dtype."""
    from ._training import log_softmax_backward, softmax_backward  # noqa: PLC0415 (import cycle)
    a = _as_float_or_half_array(a, "z" if log else "y")
    b = _as_float_or_half_array(b, "dz" if log else "dy")
    if a.ndim == 0:
        a, b = a.reshape(1), b.reshape(1)
    ax = _normalize_axis(axis, a.ndim)
    grads = []
    if mask is not None:
        m = np.asarray(mask)
        if m.dtype == np.bool_:
            raise TypeError("mask: a boolean mask has no gradient (pass the additive float mask)")
        m = _float_operand(m, "mask", a.dtype)
        _broadcast(m, a.shape, "mask", "x's shape")
        # the gradient with respect to z = (options of x) + mask: the plain VJP
        # (log-softmax: masked entries, z = -inf, are constant: their dz is
        # left out of the sums and their gradient is 0)
        g = (log_softmax_backward(a, b, ax, masked=True) if log
             else softmax_backward(a, b, ax)).astype(np.float64)
        grads.append(_sum_to(g, m.shape).astype(a.dtype))
    if sink is not None:
        s = _float_operand(sink, "sink", a.dtype)
        target = a.shape[:ax] + (1,) + a.shape[ax + 1:]
        _broadcast(s, target, "sink", "x.shape[:-1] + (1,) (the softmax axis of length 1),")
        p = np.exp(a.astype(np.float64)) if log else a.astype(np.float64)
        # the sink's own probability, 1 - sum(p), and d(out)/d(sink) = -p_sink * ...
        p_sink = 1.0 - p.sum(axis=ax, keepdims=True)
        inner = np.where(np.isneginf(a), 0.0, b).sum(axis=ax, keepdims=True, dtype=np.float64) \
            if log else (b.astype(np.float64) * p).sum(axis=ax, keepdims=True)
        grads.append(_sum_to(-p_sink * inner, s.shape).astype(a.dtype))
    return grads


__all__: list = []

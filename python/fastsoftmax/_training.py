"""Training functions: softmax/log-softmax VJPs, fused cross-entropy, the
spherical family (spherical/Taylor softmax, their losses, Z-loss) and
StableMax. Re-exported by ``fastsoftmax``; the formulas are in docs/math.md and
the accuracy bounds in docs/training.md.

Every function maps its input onto "rows x cols" (``axis`` moved last, a
contiguous copy when needed: the same axis handling as ``softmax``) and calls
the C library once per array.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any, Literal, Optional, SupportsIndex, Tuple, Union, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._arrays import (_as_array, _as_float_like, _check_out, _normalize_axis,
                      _over_axis, _over_rows)
from ._arrays import (_as_float_or_half_array, _check_half_out, _half_kind,  # issue 17
                      _over_axis_half, _over_rows_half)
from .typing import FloatArray, Loss, LossAndGrad, Reduction

_REDUCTIONS = ("none", "mean", "sum")
_INT_TARGETS = (np.dtype(np.int32), np.dtype(np.int64))

# fsm_spherical_loss values (fastsoftmax.h)
_PARTIAL_KINDS = {"log_spherical": 1, "log_taylor": 2, "z": 3}


# ---------------------------------------------------------------- plumbing

def _to_rows(arr: np.ndarray, axis: int):
    """``arr`` with ``axis`` moved last as a C-contiguous (rows, cols) array,
    and the moved shape."""
    moved = np.moveaxis(arr, axis, -1)
    shape = moved.shape
    rows = math.prod(shape[:-1])
    return np.require(moved, requirements="CA").reshape(rows, shape[-1]), shape


def _from_rows(a2: np.ndarray, shape, axis: int, out: Optional[np.ndarray]) -> np.ndarray:
    """The inverse of ``_to_rows`` (into ``out`` when given)."""
    res = np.moveaxis(a2.reshape(shape), -1, axis)
    if out is None:
        return res if axis == len(shape) - 1 else np.ascontiguousarray(res)
    out[...] = res
    return out


def _grad_rows(x: np.ndarray, x2: np.ndarray, axis: int, return_grad: bool, grad_out,
               inputs=()):
    """The (rows, cols) gradient buffer the kernels write: a view of
    ``grad_out`` where it can be one (class axis last, aligned C-contiguous,
    either the logits themselves -- in place, no copy -- or sharing no memory
    with them, and none with the other ``inputs`` the kernels read, such as
    the targets), else a new array."""
    if grad_out is None:
        return np.empty_like(x2) if return_grad else None
    if not return_grad:
        raise ValueError("grad_out is only used with return_grad=True")
    _check_out(grad_out, x, "grad_out", "the logits")
    if (axis == x.ndim - 1 and grad_out.flags.c_contiguous and grad_out.flags.aligned
            and not any(np.may_share_memory(grad_out, a) for a in inputs)):
        g2 = grad_out.reshape(x2.shape)
        # the logits themselves (in place, which the kernels allow: dlogits
        # == logits with equal strides) or memory apart from them
        if not np.may_share_memory(g2, x2) or (
                g2.__array_interface__["data"][0] == x2.__array_interface__["data"][0]
                and g2.strides == x2.strides):
            return g2
    return np.empty_like(x2)


def _grad_result(dx2: np.ndarray, shape, axis: int, grad_out) -> np.ndarray:
    """The gradient in the logits' layout (in ``grad_out`` when given)."""
    if grad_out is not None and np.may_share_memory(dx2, grad_out):
        return grad_out
    return _from_rows(dx2, shape, axis, grad_out)


def _check_reduction(reduction) -> str:
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of 'none', 'mean', 'sum'; got {reduction!r}")
    return reduction


def _real(value, name: str) -> float:
    """A real number (int, float, NumPy real scalar) as a float; anything
    else, a string such as "0.1" included, is a TypeError (as in PyTorch)."""
    if not isinstance(value, numbers.Real):
        got = type(value).__name__
        if isinstance(value, (str, bytes)):
            got += f" {value!r}"
        raise TypeError(f"{name} must be a real number (int or float), got {got}")
    try:
        return float(value)
    except OverflowError:  # an int beyond float's range
        return math.copysign(math.inf, value)


def _check_param(value, name: str, *, positive: bool = False) -> float:
    v = _real(value, name)
    if math.isnan(v) or math.isinf(v) or (v <= 0.0 if positive else v < 0.0):
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'} and finite; got {value!r}")
    return v


def _native(t: np.ndarray) -> np.ndarray:
    """``t`` in native byte order (a big-endian ``>i8`` or ``>f4`` is
    converted, not refused)."""
    if t.dtype.kind in "iuf" and not t.dtype.isnative:
        return t.astype(t.dtype.newbyteorder("="))
    return t


def _int_targets(targets, x: np.ndarray, axis: int, ignore_index: Optional[int]) -> np.ndarray:
    """Integer class targets as a flat int64 array (one per row), validated
    (``ignore_index`` None: every target must be a class)."""
    t = _native(_as_array(targets, "targets"))
    if t.dtype not in _INT_TARGETS:
        raise TypeError(f"targets must be int32 or int64 class indices, got {t.dtype}")
    expected = x.shape[:axis] + x.shape[axis + 1:]
    if t.shape != expected:
        raise ValueError(
            f"targets must have shape {expected} (logits' shape without axis {axis}), got {t.shape}"
        )
    cols = x.shape[axis]
    bad = (t < 0) | (t >= cols)
    if ignore_index is not None:
        bad &= t != ignore_index
    if cols == 0 and bad.any():
        raise ValueError(f"x has no classes along axis {axis} (shape {x.shape}):"
                         " a target that is not ignore_index needs at least one")
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0]) if t.ndim else ()
        valid = f"0..{cols - 1}" + ("" if ignore_index is None else f" or ignore_index={ignore_index}")
        raise ValueError(
            f"targets{list(where)} = {int(t[where])} is out of range for {cols} classes"
            f" (valid: {valid})"
        )
    return np.require(t, dtype=np.int64, requirements="CA").reshape(-1)


def _reduce(loss1: np.ndarray, shape, reduction: str, count: int, dtype):
    if reduction == "none":
        return loss1.reshape(shape)
    total = loss1.sum(dtype=np.float64)
    if reduction == "sum":
        return dtype.type(total)
    return dtype.type(total / count if count else np.nan)  # NaN with no row, as PyTorch


def _int_loss(kind: str, logits, targets, axis, reduction, ignore_index, return_grad, grad_out,
              p1=0.0, p2=0.0, p3=0.0):
    if (type(logits) is np.ndarray and type(targets) is np.ndarray and type(axis) is int
            and type(ignore_index) is int and -(2 ** 63) <= ignore_index < 2 ** 63
            and grad_out is None and type(reduction) is str and reduction in _REDUCTIONS):
        # the common call (C-contiguous rows, class axis last, int64 targets
        # all valid) straight to C; anything else, errors included, below
        fast = _core.try_int_loss_contiguous(kind, logits, targets, axis, ignore_index, p1, p2,
                                             p3, reduction == "mean", bool(return_grad))
        if fast is not None:
            loss1, dx, count = fast
            loss = _reduce(loss1, logits.shape[:-1], reduction, count, logits.dtype)
            return (loss, dx) if return_grad else loss
    x = _as_float_or_half_array(logits, "logits" if kind.endswith("entropy") else "x")
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the class axis)")
    axis = _normalize_axis(axis, x.ndim)
    reduction = _check_reduction(reduction)
    try:
        ignore_index = operator.index(ignore_index)
    except TypeError:
        raise TypeError(f"ignore_index must be an integer, got {type(ignore_index).__name__}") from None
    if not -(2 ** 63) <= ignore_index < 2 ** 63:
        raise ValueError(f"ignore_index must fit in int64; got {ignore_index}")
    t = _int_targets(targets, x, axis, ignore_index)
    count = int(np.count_nonzero(t != ignore_index))
    grad_scale = 1.0 / count if reduction == "mean" and count else 1.0
    return _loss_call(x, axis, reduction, count, return_grad, grad_out, (t,),
                      lambda x2, loss1, dx2, bf16: _core.int_loss(
                          kind, x2, t, ignore_index, p1, p2, p3, grad_scale, loss1, dx2, bf16))


def _loss_call(x, axis, reduction, count, return_grad, grad_out, inputs, call):
    """The losses' common tail: ``x`` as (rows, cols), the loss and gradient
    buffers, ``call(x2, loss1, dx2, bf16)``, the reduction and the gradient
    in the logits' layout. Half-precision logits (issue 17) go to the C
    library as uint16 views with a float32 loss; their gradient is of the
    logits' dtype, or converted into a ``grad_out`` of a wider float."""
    half = _half_kind(x.dtype)
    if half is not None and grad_out is not None and getattr(grad_out, "dtype", None) != x.dtype:
        if not return_grad:
            raise ValueError("grad_out is only used with return_grad=True")
        grad_out = _check_half_out(grad_out, x, "grad_out", "the logits")
        loss, grad = _loss_call(x, axis, reduction, count, True, None, inputs, call)
        grad_out[...] = grad
        return loss, grad_out
    x2, shape = _to_rows(x, axis)
    loss_dtype = np.dtype(np.float32) if half is not None else x.dtype
    loss1 = np.empty(x2.shape[0], dtype=loss_dtype)
    dx2 = _grad_rows(x, x2, axis, return_grad, grad_out, inputs)
    if half is None:
        call(x2, loss1, dx2, False)
    else:
        call(x2.view(np.uint16), loss1, None if dx2 is None else dx2.view(np.uint16),
             half == "bf16")
    loss = _reduce(loss1, shape[:-1], reduction, count, loss_dtype)
    if not return_grad:
        return loss
    return loss, _grad_result(dx2, shape, axis, grad_out)


_LOSS_PARAMS = """
    axis : int, optional
        The class axis (default -1). ``targets`` has the logits' shape
        without this axis.
    reduction : {"mean", "sum", "none"}
        Like PyTorch: "none" returns one loss per row (the targets' shape),
        "sum" their sum, "mean" their mean over the rows whose target is not
        ``ignore_index`` (NaN when there is none, like PyTorch).
    ignore_index : int, optional
        Rows with this target contribute 0 loss and 0 gradient and are left
        out of the mean (default -100).
    return_grad : bool, optional
        Also return the gradient with respect to the logits, scaled for the
        reduction (what PyTorch's backward of the reduced loss with
        ``grad_output = 1`` gives; for "none", the gradient of their sum).
    grad_out : numpy.ndarray, optional
        With ``return_grad=True``: where to write the gradient (the logits'
        shape and dtype, writeable), returned as ``grad``. An aligned
        C-contiguous ``grad_out`` with the class axis last is written
        directly, so a training loop that reuses it pays no allocation or
        page faults; other layouts go through a temporary."""

_LOSS_RETURNS = """
    Returns
    -------
    loss : numpy.ndarray or numpy scalar
        Of the logits' dtype; float32 for float16 / bfloat16 logits.
    grad : numpy.ndarray
        Only with ``return_grad=True``: the logits' shape and dtype (or
        ``grad_out``, which for half-precision logits may also be a wider
        float receiving the half gradient converted)."""

_LOSS_RAISES = """
    Raises
    ------
    TypeError
        Logits not float32/float64/float16/bfloat16, targets not
        int32/int64, non-integer ``ignore_index`` or ``axis``.
    ValueError
        Targets of the wrong shape or out of range (the message names the
        first bad index), unknown ``reduction``, a parameter out of range."""


# ---------------------------------------------------------------- VJPs

def _contiguous_call(fn):
    """A ``_over_rows`` call for the training bindings, which take aligned
    C-contiguous (rows, cols) arrays: False (so that such copies are made)
    otherwise."""
    def call(moved, om):
        if not all(a.flags.c_contiguous and a.flags.aligned for a in (om, *moved)):
            return False
        cols = om.shape[-1]
        fn(*(m.reshape(-1, cols) for m in moved), om.reshape(-1, cols))
        return True
    return call


def _vjp(kind: str, a, b, names, axis, out):
    if type(a) is np.ndarray and type(b) is np.ndarray and type(axis) is int:
        # the common call (C-contiguous float rows, last axis) straight to C
        result = _core.try_vjp_contiguous(kind == "log_softmax", a, b, axis, out)
        if result is not None:
            return result
    a = _as_float_or_half_array(a, names[0])
    b = _as_float_or_half_array(b, names[1])
    if a.dtype != b.dtype and (_half_kind(a.dtype) is not None or _half_kind(b.dtype) is not None):
        a, b = _promote_half_pair(a, b)
    half = _half_kind(a.dtype)
    if half is not None:
        if a.shape != b.shape:
            raise ValueError(f"{names[1]} must have the shape of {names[0]} {a.shape}, got {b.shape}")
        return _vjp_half(kind, a, b, axis, out, half)
    b = _as_float_like(b, names[1], a, names[0])
    # along a non-last axis: the axis kernels on the arrays themselves
    return _over_axis((a, b), axis, out,
                      lambda xs, om, ax: _core.vjp_axis(kind, xs[0], xs[1], om, ax),
                      _contiguous_call(lambda a2, b2, o2: _core.vjp(kind, a2, b2, o2)))


# ---- half precision VJPs (issue 17) ----

def _promote_half_pair(a: np.ndarray, b: np.ndarray):
    """Operands of two dtypes, one of them float16 or bfloat16: both cast to
    the wider (NumPy's ``promote_types``: float16 with float32 gives
    float32, with float64 float64); float16 with bfloat16, neither of which
    holds the other, gives float32."""
    try:
        common = np.promote_types(a.dtype, b.dtype)
    except TypeError:
        common = np.dtype(np.float32)
    if _half_kind(common) is None and common not in (np.float32, np.float64):
        common = np.dtype(np.float32)
    return a.astype(common, copy=False), b.astype(common, copy=False)


def _vjp_half(kind: str, a: np.ndarray, b: np.ndarray, axis, out, half: str) -> np.ndarray:
    """float16 / bfloat16 VJPs: computed in float32 by the C library on the
    arrays' uint16 views (along a non-last axis by the axis kernels), the
    result rounded once to the inputs' dtype; an ``out`` of a wider float
    dtype receives it converted (same_kind)."""
    def call(moved, om):
        return _core.vjp_half(kind, moved[0].view(np.uint16), moved[1].view(np.uint16),
                              om.view(np.uint16), half == "bf16")

    return _over_axis_half((a, b), axis, out,
                           lambda xs, om, ax, h: _core.vjp_axis(kind, xs[0], xs[1], om, ax, h),
                           call)

# ---- end of half precision VJPs ----


@overload
def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., mask: None = ..., sink: None = ...) -> FloatArray: ...
@overload
def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., mask: ArrayLike, sink: Optional[ArrayLike] = ...) -> Tuple[FloatArray, ...]: ...
@overload
def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., mask: Optional[ArrayLike] = ..., sink: ArrayLike) -> Tuple[FloatArray, ...]: ...
def softmax_backward(y: ArrayLike, dy: ArrayLike, axis: SupportsIndex = -1, *,
                     out: Optional[NDArray[Any]] = None, x: Optional[ArrayLike] = None,
                     scale: Optional[float] = None, temperature: Optional[float] = None,
                     softcap: Optional[float] = None, mask: Optional[ArrayLike] = None,
                     sink: Optional[ArrayLike] = None) -> Union[FloatArray, Tuple[FloatArray, ...]]:
    """Vector-Jacobian product of softmax: ``dx = y * (dy - sum(dy * y))``.

    Parameters
    ----------
    y : array_like
        The softmax output (float32, float64, float16 or
        ``ml_dtypes.bfloat16``).
    dy : array_like
        The upstream gradient, same shape as ``y``, normally its dtype: a
        half-precision operand with another float dtype promotes as NumPy
        does (float16 with float32 gives float32; float16 with bfloat16,
        float32); float32 with float64 is a ``TypeError``.
    axis : int, optional
        The axis softmax normalised over (default -1).
    out : numpy.ndarray, optional
        Where to write ``dx`` (shape of ``y``, writeable; ``y``'s dtype or a
        ``same_kind`` cast of it, as for ``softmax``).
    x, scale, temperature, softcap : optional
        The options of the forward :func:`fastsoftmax.softmax` call: the
        gradient is then with respect to its ``x``, ``dx = dz * scale``, or
        ``dz * scale * (1 - tanh(scale x / softcap)**2)`` with a soft cap
        (which needs ``x``, the forward input). Masks, ALiBi and sinks need
        nothing: masked entries have ``y = 0`` and so ``dz = 0``. With
        float16 / bfloat16 operands (``x`` of their dtype) the options'
        VJP is computed in float32 too, ``dx`` rounded once.
    mask, sink : array_like, optional
        The forward call's additive float ``mask`` and ``sink`` logits, when
        their gradients are wanted (learned biases, attention sinks):
        ``dmask = dz`` summed over the dimensions ``mask`` was broadcast
        along, and ``dsink = -p_sink * sum(dy * y)`` per row, with the
        sink's probability ``p_sink = 1 - sum(y)``, summed to ``sink``'s
        shape. A boolean mask has no gradient (``TypeError``).

    Returns
    -------
    numpy.ndarray or tuple
        ``dx``, like ``y``; with ``mask`` and/or ``sink``, the tuple
        ``(dx, dmask)``, ``(dx, dsink)`` or ``(dx, dmask, dsink)``, each
        gradient in its operand's shape and ``y``'s dtype.

    Raises
    ------
    TypeError
        Unsupported or mismatched dtypes.
    ValueError
        Mismatched shapes, ``axis`` out of range, bad ``out``.

    Notes
    -----
    One pass for ``<dy, y>`` (accumulated in double), one for ``dx``.
    float32 accuracy: ``|dx - ref| <= 4 * 2**-24 * |y| * (|dy| + |<dy, y>|)``
    (+ FLT_MIN). float16 / bfloat16: computed in float32 on the exactly
    widened inputs and rounded once, ``|dx - ref| <= ulp(ref)`` of the
    storage type plus the float32 bound. ``sum(dx) == 0`` up to rounding. Along a non-last
    ``axis`` the axis kernels run on the arrays themselves, as in
    :func:`fastsoftmax.softmax` (same copy rule for other views).
    """
    if mask is not None or sink is not None:
        from ._fused import option_grads
        dx = softmax_backward(y, dy, axis, out=out, x=x, scale=scale, temperature=temperature,
                              softcap=softcap)
        return (dx, *option_grads(False, y, dy, axis, mask=mask, sink=sink))
    if scale is not None or temperature is not None or softcap is not None:
        from ._fused import fused_vjp
        return fused_vjp(False, y, dy, ("y", "dy"), axis, out, x=x, scale=scale,
                         temperature=temperature, softcap=softcap, masked=False)
    return _vjp("softmax", y, dy, ("y", "dy"), axis, out)


@overload
def log_softmax_backward(z: ArrayLike, dz: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., masked: bool = ..., mask: None = ..., sink: None = ...) -> FloatArray: ...
@overload
def log_softmax_backward(z: ArrayLike, dz: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., masked: bool = ..., mask: ArrayLike, sink: Optional[ArrayLike] = ...) -> Tuple[FloatArray, ...]: ...
@overload
def log_softmax_backward(z: ArrayLike, dz: ArrayLike, axis: SupportsIndex = ..., *,
    out: Optional[NDArray[Any]] = ..., x: Optional[ArrayLike] = ..., scale: Optional[float] = ...,
    temperature: Optional[float] = ..., softcap: Optional[float] = ..., masked: bool = ..., mask: Optional[ArrayLike] = ..., sink: ArrayLike) -> Tuple[FloatArray, ...]: ...
def log_softmax_backward(z: ArrayLike, dz: ArrayLike, axis: SupportsIndex = -1, *,
                         out: Optional[NDArray[Any]] = None, x: Optional[ArrayLike] = None,
                         scale: Optional[float] = None, temperature: Optional[float] = None,
                         softcap: Optional[float] = None, masked: bool = False,
                         mask: Optional[ArrayLike] = None,
                         sink: Optional[ArrayLike] = None) -> Union[FloatArray, Tuple[FloatArray, ...]]:
    """Vector-Jacobian product of log-softmax: ``dx = dz - exp(z) * sum(dz)``.

    Parameters
    ----------
    z : array_like
        The log-softmax output (float32, float64, float16 or
        ``ml_dtypes.bfloat16``; entries <= 0).
    dz : array_like
        The upstream gradient, same shape as ``z`` (dtypes: as for
        :func:`softmax_backward`).
    axis : int, optional
        The axis log-softmax normalised over (default -1).
    out : numpy.ndarray, optional
        Where to write ``dx``.
    x, scale, temperature, softcap : optional
        As for :func:`softmax_backward`: the forward options' chain rule.
    masked : bool, optional
        The forward call had a mask or ``causal=True``: entries where
        ``z = -inf`` get ``dx = 0`` (they do not depend on ``x``).
    mask, sink : array_like, optional
        As for :func:`softmax_backward`: their gradients are returned too,
        ``dmask`` from the gradient with respect to the pre-softmax logits
        and ``dsink = -p_sink * sum(dz)`` with ``p_sink = 1 - sum(exp(z))``;
        entries with ``z = -inf`` (masked) are constant: their ``dz`` is
        left out and their ``dmask`` is 0, whatever ``masked`` says.

    Returns
    -------
    numpy.ndarray or tuple
        ``dx``, like ``z``; with ``mask`` and/or ``sink``, a tuple as for
        :func:`softmax_backward`.

    Raises
    ------
    TypeError, ValueError
        As for :func:`softmax_backward`.

    Notes
    -----
    float32 accuracy: ``|dx - ref| <= 4 * 2**-24 * (|dz| + 2 exp(z) |sum(dz)|)``
    (+ FLT_MIN); ``exp(z)`` is the softmax kernels' exp (<= 2 ulp, 0 below
    about -87.7). float16 / bfloat16: as for :func:`softmax_backward`.
    Along a non-last ``axis`` the axis kernels run on the arrays
    themselves, as in :func:`fastsoftmax.softmax`.
    """
    if mask is not None or sink is not None:
        from ._fused import option_grads
        dx = log_softmax_backward(z, dz, axis, out=out, x=x, scale=scale, temperature=temperature,
                                  softcap=softcap, masked=masked)
        return (dx, *option_grads(True, z, dz, axis, mask=mask, sink=sink))
    if scale is not None or temperature is not None or softcap is not None or masked is not False:
        from ._fused import fused_vjp
        return fused_vjp(True, z, dz, ("z", "dz"), axis, out, x=x, scale=scale,
                         temperature=temperature, softcap=softcap, masked=masked)
    return _vjp("log_softmax", z, dz, ("z", "dz"), axis, out)


# ---------------------------------------------------------------- cross-entropy

@overload
def cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["none"], ignore_index: int = ..., label_smoothing: float = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> FloatArray: ...
@overload
def cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["mean", "sum"] = ..., ignore_index: int = ..., label_smoothing: float = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> np.floating[Any]: ...
@overload
def cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ..., label_smoothing: float = ...,
    return_grad: Literal[True], grad_out: Optional[NDArray[Any]] = ...) -> LossAndGrad: ...
@overload
def cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ..., label_smoothing: float = ...,
    return_grad: bool = ..., grad_out: Optional[NDArray[Any]] = ...
) -> Union[Loss, LossAndGrad]: ...
def cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = -1,
                  reduction: Reduction = "mean", ignore_index: int = -100,
                  label_smoothing: float = 0.0, return_grad: bool = False,
                  grad_out: Optional[NDArray[Any]] = None) -> Union[Loss, LossAndGrad]:
    """Softmax cross-entropy, fused with its gradient (like
    ``torch.nn.functional.cross_entropy``, any class axis).

    Integer targets ``c``: ``loss = logsumexp(x) - x[c]``; with label
    smoothing ``alpha``, the target is ``(1 - alpha) * onehot(c) + alpha / D``:
    ``loss = (1 - alpha) * (LSE - x[c]) + alpha * (LSE - mean(x))`` and
    ``grad = softmax(x) - target``. Soft (probability) targets ``t`` (a float
    array of the logits' shape): ``loss = sum(t') * LSE - sum(t' * x)``,
    ``grad = sum(t') * softmax(x) - t'`` with ``t' = (1 - alpha) t + alpha / D``.

    Parameters
    ----------
    logits : array_like
        float32, float64, float16 or ``ml_dtypes.bfloat16``, at least 1-D.
        Half precision is computed in float32 on the widened logits: the
        loss is float32, bit for bit the float32 function's; the gradient
        is that one rounded once to the logits' dtype (docs/training.md).
    targets : array_like
        int32/int64 class indices (the logits' shape without ``axis``) or
        non-negative float probabilities (the logits' shape; converted to the
        logits' dtype).
    label_smoothing : float, optional
        ``alpha`` in [0, 1] (default 0).
    """ + _LOSS_PARAMS + "\n" + _LOSS_RETURNS + "\n" + _LOSS_RAISES + """

    Notes
    -----
    Fused, never materialising the softmax separately: the exps of the
    non-target entries are summed into ``S'`` (and stored in the gradient
    buffer, then scaled in one more pass, where the ISA's softmax picks the
    three-pass form; else as a two-pass (mantissa, exponent) sum, which
    also serves rows whose ``S'`` underflowed). The loss is
    ``softplus(log S' - x[c])`` and ``d loss / d x[c] = -S' / S``, so nearly
    certain predictions keep a meaningful loss and gradient (logits
    ``[30, 0, 0]`` give ``-1.87e-13``, not 0). Label smoothing adds one sum
    pass (of ``x - x[c]``, so the loss does not cancel for large logits). Rows with NaN or +inf give NaN; a target logit
    of -inf gives an infinite loss and a finite gradient.
    float32 accuracy: loss within ``4e-7 * (|loss| + 1)`` absolute per row,
    gradient within ``2e-6 * p + 4e-7 * alpha / D`` (+ FLT_MIN) per element.
    Soft-target rows are mean-reduced over all rows (as in PyTorch).
    """
    x = _as_float_or_half_array(logits, "logits")
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the class axis)")
    alpha = _check_param(label_smoothing, "label_smoothing")
    if alpha > 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}")
    t = _native(_as_array(targets, "targets"))
    if t.dtype.kind != "f" and _half_kind(t.dtype) is None:
        return _int_loss("cross_entropy", x, t, axis, reduction, ignore_index, return_grad,
                         grad_out, alpha)
    axis = _normalize_axis(axis, x.ndim)
    reduction = _check_reduction(reduction)
    if t.shape != x.shape:
        raise ValueError(f"soft targets must have the logits' shape {x.shape}, got {t.shape}")
    if t.dtype not in (np.dtype(np.float32), np.dtype(np.float64)) and (
            _half_kind(x.dtype) is None or _half_kind(t.dtype) is None):
        raise TypeError(f"soft targets must be float32 or float64, got {t.dtype}"
                        " (float16 / bfloat16 only with half-precision logits)")
    t = t.astype(x.dtype, copy=False)
    with np.errstate(invalid="ignore"):
        if (t < 0).any():
            raise ValueError("soft targets must be non-negative probabilities")
    t2, _ = _to_rows(t, axis)
    rows = t2.shape[0]
    grad_scale = 1.0 / rows if reduction == "mean" and rows else 1.0
    view = (lambda a: a) if _half_kind(x.dtype) is None else (lambda a: a.view(np.uint16))
    return _loss_call(x, axis, reduction, rows, return_grad, grad_out, (t, t2),
                      lambda x2, loss1, dx2, bf16: _core.soft_cross_entropy(
                          x2, view(t2), alpha, grad_scale, loss1, dx2, bf16))


# ---------------------------------------------------------------- maps

def _map(kind: str, x, axis, out, eps=0.0):
    x = _as_float_or_half_array(x, "x")
    half = _half_kind(x.dtype)
    if half is not None:  # issue 17: uint16 views, an out= of a wider float converted
        return _over_rows_half((x,), axis, out, _contiguous_call(
            lambda x2, y2: _core.map(kind, x2.view(np.uint16), y2.view(np.uint16), eps,
                                     half == "bf16")))
    return _over_rows((x,), axis, out, _contiguous_call(
        lambda x2, y2: _core.map(kind, x2, y2, eps)))


_MAP_DOC = """
    Parameters
    ----------
    x : array_like
        float32, float64, float16 or ``ml_dtypes.bfloat16`` (computed in
        float32, the result rounded once), any shape (0-d is one element).
    axis : int, optional
        The axis to normalise over (default -1).{extra}
    out : numpy.ndarray, optional
        Where to write the result (shape of ``x``, writeable; ``x``'s dtype
        or a ``same_kind`` cast of it, as for ``softmax``).

    Returns
    -------
    numpy.ndarray
        Like ``x``.

    Raises
    ------
    TypeError
        Unsupported dtype.
    ValueError
        ``axis`` out of range, bad ``out``{raises}.
"""

_EPS_DOC = """
    eps : float, optional
        ``eps >= 0`` added to every squared logit (default 1e-6, a small
        guard, not a value from the papers: tune it; it is in squared-logit
        units). ``eps = 0`` with an all-zero row gives NaN (0/0)."""


def spherical_softmax(x: ArrayLike, axis: SupportsIndex = -1, *, eps: float = 1e-6,
                      out: Optional[NDArray[Any]] = None) -> FloatArray:
    """Spherical softmax: ``(x**2 + eps) / sum(x**2 + eps)`` (docs/math.md#spherical-softmax).

    Even in ``x``: the predicted class is ``argmax |x|``, not ``argmax x``.
    Scale invariant only for ``eps = 0``; never shift invariant.
    """
    return _map("spherical_softmax", x, axis, out, _check_param(eps, "eps"))


def log_spherical_softmax(x: ArrayLike, axis: SupportsIndex = -1, *, eps: float = 1e-6,
                          out: Optional[NDArray[Any]] = None) -> FloatArray:
    """Log-spherical softmax: ``log(x**2 + eps) - log(sum(x**2 + eps))``.

    A zero logit with ``eps = 0`` gives ``-inf``.
    """
    return _map("log_spherical_softmax", x, axis, out, _check_param(eps, "eps"))


def taylor_softmax(x: ArrayLike, axis: SupportsIndex = -1, *,
                   out: Optional[NDArray[Any]] = None) -> FloatArray:
    """Taylor softmax: ``g(x) / sum(g(x))``, ``g(x) = 1 + x + x**2 / 2``
    (docs/math.md#taylor-softmax).

    ``g >= 1/2`` so there is no division hazard; not monotone (``g``
    decreases below -1: ``argmax`` of the result is not ``argmax x``).
    """
    return _map("taylor_softmax", x, axis, out)


def log_taylor_softmax(x: ArrayLike, axis: SupportsIndex = -1, *,
                       out: Optional[NDArray[Any]] = None) -> FloatArray:
    """Log-Taylor softmax: ``log g(x) - log(sum(g(x)))``, ``g(x) = 1 + x + x**2 / 2``."""
    return _map("log_taylor_softmax", x, axis, out)


def stablemax(x: ArrayLike, axis: SupportsIndex = -1, *,
              out: Optional[NDArray[Any]] = None) -> FloatArray:
    """StableMax (Prieto et al.): ``s(x) / sum(s(x))`` with ``s(x) = x + 1`` for
    ``x >= 0`` and ``1 / (1 - x)`` below (docs/math.md#stablemax).

    NOT shift invariant: no max is subtracted. Monotone.
    """
    return _map("stablemax", x, axis, out)


def log_stablemax(x: ArrayLike, axis: SupportsIndex = -1, *,
                  out: Optional[NDArray[Any]] = None) -> FloatArray:
    """log-StableMax: ``log s(x) - log(sum(s(x)))`` (``log s`` through ``log1p``)."""
    return _map("log_stablemax", x, axis, out)


_ACC = """
    Notes
    -----
    The row sums are accumulated in double; the elementwise map and its
    logarithm are evaluated in double in the portable kernels and rounded
    once. float32 accuracy: relative error <= 3 * 2**-24 (maps), absolute
    <= 4 * 2**-24 * (|result| + |log normaliser| + 1) (logs); |x| < 1e19 for
    the quadratic maps.
"""
for _f, _extra, _raises in (
    (spherical_softmax, _EPS_DOC, ", ``eps < 0``"),
    (log_spherical_softmax, _EPS_DOC, ", ``eps < 0``"),
    (taylor_softmax, "", ""),
    (log_taylor_softmax, "", ""),
    (stablemax, "", ""),
    (log_stablemax, "", ""),
):
    _f.__doc__ += _MAP_DOC.format(extra=_extra, raises=_raises) + _ACC


# ---------------------------------------------------------------- spherical family

def spherical_stats(x: ArrayLike, targets: Optional[ArrayLike] = None, *,
                    axis: SupportsIndex = -1) -> Tuple[NDArray[np.float64], ...]:
    """The spherical family's row statistics: ``(sum x, sum x**2)``, plus
    ``x[c]`` when integer ``targets`` are given (docs/math.md#spherical-family).

    Parameters
    ----------
    x : array_like
        float32 or float64, at least 1-D.
    targets : array_like of int32/int64, optional
        One class per row (``x``'s shape without ``axis``), all in range.
    axis : int, optional
        The class axis (default -1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(s, q)`` or ``(s, q, x_c)``, float64, ``x``'s shape without ``axis``.
        Accumulated in double (relative error about ``D * 2**-53``).
    """
    x = _as_float_or_half_array(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least one dimension")
    axis = _normalize_axis(axis, x.ndim)
    t = None if targets is None else _int_targets(targets, x, axis, ignore_index=None)
    x2, shape = _to_rows(x, axis)
    stats = np.empty((x2.shape[0], 3), dtype=np.float64)
    half = _half_kind(x.dtype)
    if half is None:
        _core.spherical_stats(x2, t, stats)
    else:
        _core.spherical_stats(x2.view(np.uint16), t, stats, half == "bf16")
    parts = [stats[:, k].reshape(shape[:-1]) for k in range(3 if t is not None else 2)]
    return tuple(parts)


def spherical_loss_partials(kind: str, cols: int, q_rest: float, s_rest: float, x_c: float, *,
                            eps: float = 1e-6, a: float = 1.0, b: float = 0.0,
                            eps_z: float = 0.0) -> Tuple[float, float, float, float, float]:
    """The spherical-family loss math once: ``(L, f_q, f_s, f_c, g_c)`` from the
    non-target statistics (scalars; the O(d^2) setting of
    docs/math.md#large-output-layers).

    Parameters
    ----------
    kind : {"log_spherical", "log_taylor", "z"}
    cols : int
        The row length D.
    q_rest, s_rest : float
        ``sum x_k**2`` and ``sum x_k`` over ``k != c``.
    x_c : float
        The target logit.
    eps, a, b, eps_z : float
        The loss parameters (log-spherical: ``eps``; Z-loss: ``a, b, eps_z``).

    Returns
    -------
    tuple of float
        ``L``, ``f_q = dL/dq``, ``f_s = dL/ds``, ``f_c = dL/dx_c`` (partial)
        and ``g_c``, the full gradient of the target entry. The dense
        gradient is ``2 f_q x + f_s`` plus ``f_c`` at ``c``.
    """
    if not isinstance(kind, str) or kind not in _PARTIAL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(_PARTIAL_KINDS)}; got {kind!r}")
    try:
        cols = operator.index(cols)
    except TypeError:
        raise TypeError(f"cols must be an integer, got {type(cols).__name__}") from None
    if not (3 if kind == "z" else 1) <= cols < 2 ** 63:
        raise ValueError(f"spherical_loss_partials: cols must be >= {3 if kind == 'z' else 1}"
                         f" and < 2**63 for kind={kind!r}; got {cols}")
    p = {"log_spherical": (eps, 0.0, 0.0), "log_taylor": (0.0, 0.0, 0.0), "z": (a, b, eps_z)}[kind]
    names = {"log_spherical": ("eps", "p2", "p3"), "log_taylor": ("p1", "p2", "p3"),
             "z": ("a", "b", "eps_z")}[kind]
    return _core.spherical_partials(_PARTIAL_KINDS[kind], cols, _real(q_rest, "q_rest"),
                                    _real(s_rest, "s_rest"), _real(x_c, "x_c"),
                                    *(_real(v, n) for v, n in zip(p, names)))


@overload
def log_spherical_loss(x: ArrayLike, targets: ArrayLike, eps: float = ..., *, axis: SupportsIndex = ...,
    reduction: Literal["none"], ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> FloatArray: ...
@overload
def log_spherical_loss(x: ArrayLike, targets: ArrayLike, eps: float = ..., *, axis: SupportsIndex = ...,
    reduction: Literal["mean", "sum"] = ..., ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> np.floating[Any]: ...
@overload
def log_spherical_loss(x: ArrayLike, targets: ArrayLike, eps: float = ..., *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: Literal[True], grad_out: Optional[NDArray[Any]] = ...) -> LossAndGrad: ...
@overload
def log_spherical_loss(x: ArrayLike, targets: ArrayLike, eps: float = ..., *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: bool = ..., grad_out: Optional[NDArray[Any]] = ...
) -> Union[Loss, LossAndGrad]: ...
def log_spherical_loss(x: ArrayLike, targets: ArrayLike, eps: float = 1e-6, *,
                       axis: SupportsIndex = -1, reduction: Reduction = "mean",
                       ignore_index: int = -100, return_grad: bool = False,
                       grad_out: Optional[NDArray[Any]] = None) -> Union[Loss, LossAndGrad]:
    """Log-spherical-softmax loss: ``log(sum(x**2) + D eps) - log(x[c]**2 + eps)``.

    Gradient ``2 x / N`` plus ``-2 x[c] / (x[c]**2 + eps)`` at the target
    (``N = sum x**2 + D eps``). Computed as ``log1p(N_rest / (x[c]**2 + eps))``
    from the non-target statistics, so near-certain rows keep their loss.

    Parameters
    ----------
    x : array_like
        float32 or float64 logits, at least 1-D.
    targets : array_like
        int32/int64 class indices.
    eps : float, optional
        ``>= 0`` (default 1e-6; see :func:`spherical_softmax`). It bounds the
        target gradient by ``1 / sqrt(eps)``.
    """ + _LOSS_PARAMS + "\n" + _LOSS_RETURNS + "\n" + _LOSS_RAISES
    return _int_loss("log_spherical_loss", x, targets, axis, reduction, ignore_index,
                     return_grad, grad_out, _check_param(eps, "eps"))


@overload
def log_taylor_loss(x: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["none"], ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> FloatArray: ...
@overload
def log_taylor_loss(x: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["mean", "sum"] = ..., ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> np.floating[Any]: ...
@overload
def log_taylor_loss(x: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: Literal[True], grad_out: Optional[NDArray[Any]] = ...) -> LossAndGrad: ...
@overload
def log_taylor_loss(x: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: bool = ..., grad_out: Optional[NDArray[Any]] = ...
) -> Union[Loss, LossAndGrad]: ...
def log_taylor_loss(x: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = -1,
                    reduction: Reduction = "mean", ignore_index: int = -100,
                    return_grad: bool = False,
                    grad_out: Optional[NDArray[Any]] = None) -> Union[Loss, LossAndGrad]:
    """Log-Taylor-softmax loss: ``log T - log g(x[c])``, ``g(x) = 1 + x + x**2/2``,
    ``T = D + sum x + sum x**2 / 2``.

    Gradient ``(1 + x) / T`` plus ``-(1 + x[c]) / g(x[c])`` at the target.

    Parameters
    ----------
    x : array_like
        float32 or float64 logits.
    targets : array_like
        int32/int64 class indices.
    """ + _LOSS_PARAMS + "\n" + _LOSS_RETURNS + "\n" + _LOSS_RAISES
    return _int_loss("log_taylor_loss", x, targets, axis, reduction, ignore_index, return_grad,
                     grad_out)


@overload
def z_loss(logits: ArrayLike, targets: ArrayLike, a: float = ..., b: float = ..., eps_z: float = ..., *, axis: SupportsIndex = ...,
    reduction: Literal["none"], ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> FloatArray: ...
@overload
def z_loss(logits: ArrayLike, targets: ArrayLike, a: float = ..., b: float = ..., eps_z: float = ..., *, axis: SupportsIndex = ...,
    reduction: Literal["mean", "sum"] = ..., ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> np.floating[Any]: ...
@overload
def z_loss(logits: ArrayLike, targets: ArrayLike, a: float = ..., b: float = ..., eps_z: float = ..., *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: Literal[True], grad_out: Optional[NDArray[Any]] = ...) -> LossAndGrad: ...
@overload
def z_loss(logits: ArrayLike, targets: ArrayLike, a: float = ..., b: float = ..., eps_z: float = ..., *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: bool = ..., grad_out: Optional[NDArray[Any]] = ...
) -> Union[Loss, LossAndGrad]: ...
def z_loss(logits: ArrayLike, targets: ArrayLike, a: float = 1.0, b: float = 0.0,
           eps_z: float = 0.0, *, axis: SupportsIndex = -1, reduction: Reduction = "mean",
           ignore_index: int = -100, return_grad: bool = False,
           grad_out: Optional[NDArray[Any]] = None) -> Union[Loss, LossAndGrad]:
    """Z-loss (de Brébisson & Vincent): ``softplus(a * (b - z_c)) / a`` with the
    z-normalised target logit ``z_c = (x[c] - mean(x)) / sqrt(var(x) + eps_z)``
    (population variance, docs/math.md#z-loss). Not the auxiliary ``log(Z)**2``
    penalty of PaLM/T5 that shares the name.

    Invariant to ``x -> alpha x + beta`` for ``alpha > 0``; the gradient
    satisfies ``sum(grad) = 0`` and ``sum(x * grad) = 0``.

    Parameters
    ----------
    logits : array_like
        float32 or float64, at least 1-D, D >= 3 classes (for D = 2 the loss
        is constant; D < 3 raises ``ValueError``).
    targets : array_like
        int32/int64 class indices.
    a : float, optional
        Sharpness, ``> 0`` (default 1: the authors' reference-code setting).
    b : float, optional
        Location of the knee (default 0).
    eps_z : float, optional
        ``>= 0`` added to the variance (default 0). With ``eps_z = 0`` a
        constant row has ``z_c = 0``: loss ``softplus(a b) / a`` and gradient 0.
    """ + _LOSS_PARAMS + "\n" + _LOSS_RETURNS + "\n" + _LOSS_RAISES + """

    Notes
    -----
    float32: two reads of the logits, the shifted sums ``sum (x - x[c])``,
    ``sum (x - x[c])**2`` (formed in double), then the gradient
    ``2 f_q (x - mean) + f_s``; where ``x[c]`` is an outlier of its row
    (their variance would cancel by more than ``2**28 / D``) the sums are
    taken again about the mean. float64 always takes them about the mean
    (three reads). Never ``q / D - mean**2`` of unshifted sums.
    """
    x = _as_float_or_half_array(logits, "logits")
    a = _check_param(a, "a", positive=True)
    b = _real(b, "b")
    if not math.isfinite(b):
        raise ValueError(f"b must be finite; got {b!r}")
    eps_z = _check_param(eps_z, "eps_z")
    if x.ndim >= 1:
        ax = _normalize_axis(axis, x.ndim)
        if x.shape[ax] < 3 and x.size:
            raise ValueError(f"z_loss needs at least 3 classes (got {x.shape[ax]}): for 2 it is constant")
    return _int_loss("z_loss", x, targets, axis, reduction, ignore_index, return_grad, grad_out,
                     a, b, eps_z)


@overload
def stablemax_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["none"], ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> FloatArray: ...
@overload
def stablemax_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Literal["mean", "sum"] = ..., ignore_index: int = ...,
    return_grad: Literal[False] = ..., grad_out: None = ...) -> np.floating[Any]: ...
@overload
def stablemax_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: Literal[True], grad_out: Optional[NDArray[Any]] = ...) -> LossAndGrad: ...
@overload
def stablemax_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = ...,
    reduction: Reduction = ..., ignore_index: int = ...,
    return_grad: bool = ..., grad_out: Optional[NDArray[Any]] = ...
) -> Union[Loss, LossAndGrad]: ...
def stablemax_cross_entropy(logits: ArrayLike, targets: ArrayLike, *, axis: SupportsIndex = -1,
                            reduction: Reduction = "mean", ignore_index: int = -100,
                            return_grad: bool = False,
                            grad_out: Optional[NDArray[Any]] = None
                            ) -> Union[Loss, LossAndGrad]:
    """StableMax cross-entropy (Prieto et al.): ``log(sum s(x)) - log s(x[c])``.

    Gradient ``s'(x) / S`` plus ``-1 / (1 + |x[c]|)`` at the target, with
    ``s'(x) = min(1, s(x))**2``; computed as ``log1p(S_rest / s(x[c]))`` and
    ``-(S_rest / S) / (1 + |x[c]|)``. Not shift invariant.

    Parameters
    ----------
    logits : array_like
        float32 or float64, at least 1-D.
    targets : array_like
        int32/int64 class indices.
    """ + _LOSS_PARAMS + "\n" + _LOSS_RETURNS + "\n" + _LOSS_RAISES
    return _int_loss("stablemax_cross_entropy", logits, targets, axis, reduction, ignore_index,
                     return_grad, grad_out)


__all__ = [
    "softmax_backward",
    "log_softmax_backward",
    "cross_entropy",
    "spherical_stats",
    "spherical_loss_partials",
    "spherical_softmax",
    "log_spherical_softmax",
    "taylor_softmax",
    "log_taylor_softmax",
    "log_spherical_loss",
    "log_taylor_loss",
    "z_loss",
    "stablemax",
    "log_stablemax",
    "stablemax_cross_entropy",
]

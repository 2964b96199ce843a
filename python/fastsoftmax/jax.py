"""fastsoftmax for JAX: ``softmax``, ``log_softmax`` and ``cross_entropy`` on
``jax.Array`` (CPU, float32 or float64), usable under ``jax.jit``,
``jax.grad``/``jax.vjp`` (reverse mode) and ``jax.vmap``.

How it calls the C library, by one of two paths (``BACKEND`` says which):

- ``"ffi"``: typed XLA FFI custom calls (``jax.ffi.ffi_call``) into handlers
  compiled into ``fastsoftmax._core``: XLA passes its own buffers to the C
  kernels, no Python and no copy on the way. Available when the package was
  built with XLA's FFI headers (a build that finds jax, see
  docs/frameworks.md).
- ``"callback"``, the fallback: ``jax.pure_callback`` (XLA hands the
  callback the input buffers as NumPy arrays on the host and copies the
  returned arrays back); works with any build, at the cost of a host
  callback per call (a few microseconds) and one copy of the output.
  ``FASTSOFTMAX_JAX_BACKEND=callback`` forces it.

Either way each function is a ``jax.custom_vjp`` whose backward is the
library's VJP kernels (``softmax_backward``, ``log_softmax_backward``) and,
for the cross-entropy, the gradient the forward computed in the same fused
pass; both are opaque to XLA's fusion.

Importing this module imports JAX; ``import fastsoftmax`` alone does not.
Passing a traced array to the NumPy functions (``fastsoftmax.softmax``
inside ``jax.jit``) raises a ``TypeError`` that points here.

    >>> import jax.numpy as jnp, fastsoftmax.jax as fsj
    >>> fsj.softmax(jnp.array([1.0, 2.0, 3.0])).round(6)   # the last digit varies by ISA
    Array([0.090031, 0.244728, 0.665241], dtype=float32)

float64 needs ``jax.config.update("jax_enable_x64", True)`` (JAX's own
rule: without it JAX arrays are float32).

Not supported: derivatives of second order (the backward is itself a
callback without a VJP) and forward-mode ``jax.jvp``/``jax.jacfwd``
(``custom_vjp`` functions have no JVP). On an accelerator the callback
still computes on the host, with a copy each way.
"""

from __future__ import annotations

import functools
import operator
import os

import jax
import jax.numpy as jnp
import numpy as np

import fastsoftmax as _fs
from fastsoftmax import _core
from fastsoftmax._arrays import _adapter_ce_options
from fastsoftmax.typing import Reduction

__all__ = ["softmax", "log_softmax", "cross_entropy", "BACKEND"]


def _register_ffi_targets() -> bool:
    """Registers _core's XLA FFI handlers with JAX; False when this build
    has none (or FASTSOFTMAX_JAX_BACKEND=callback)."""
    targets = getattr(_core, "xla_ffi_targets", None)
    if targets is None or os.environ.get("FASTSOFTMAX_JAX_BACKEND", "") == "callback":
        return False
    for name, capsule in targets().items():
        jax.ffi.register_ffi_target(name, capsule, platform="cpu")
    return True


#: "ffi" (XLA custom calls into the C library) or "callback"
#: (``jax.pure_callback``, the fallback): the path this process uses.
BACKEND: str = "ffi" if _register_ffi_targets() else "callback"
# read at trace time (the tests switch it to run both paths)
_use_ffi: bool = BACKEND == "ffi"

_FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_INT_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


# ---------------------------------------------------------------- checks

def _as_jax(x, name: str, dtypes=_FLOAT_DTYPES, what: str = "float32 or float64"):
    if not isinstance(x, jax.Array):
        try:
            x = jnp.asarray(x)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} must be a jax.Array or array-like, got"
                            f" {type(x).__name__}: {exc}") from None
    if x.dtype not in dtypes:
        raise TypeError(f"{name} must have dtype {what}, got {x.dtype}")
    return x


def _axis(axis, ndim: int, name: str = "axis") -> int:
    """``axis`` validated, as a negative index (it keeps pointing at the same
    dimension when ``vmap`` adds leading batch dimensions)."""
    try:
        a = operator.index(axis)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(axis).__name__}") from None
    n = max(ndim, 1)
    if not -n <= a < n:
        valid = f"{-ndim} <= {name} <= {ndim - 1}" if ndim else "0 or -1 for a 0-d array"
        raise ValueError(f"{name} {a} is out of bounds for an array of dimension {ndim}"
                         f" (valid: {valid})")
    return a % n - n


def _callback(fn, like, *args, vmap_method="broadcast_all"):
    """``fn(*numpy args)`` on the host, as an XLA computation; ``like`` gives
    the result's shapes and dtypes (a ShapeDtypeStruct or a tuple of them)."""
    return jax.pure_callback(fn, like, *args, vmap_method=vmap_method)


def _shape_of(x):
    return jax.ShapeDtypeStruct(x.shape, x.dtype)


# ---------------------------------------------------------------- softmax / log-softmax

def _ffi_rows(name: str, like, *args, axis: int, **attrs):
    """The FFI target ``name`` over rows: ``axis`` moved last in every
    argument of the result's rank, the call, the axis moved back."""
    moved = [jnp.moveaxis(a, axis, -1) if a.ndim == len(like.shape) and a.ndim else a
             for a in args]
    dims = list(like.shape)
    shape = tuple(dims[:axis % len(dims)] + dims[axis % len(dims) + 1:] + [dims[axis]]) if dims else ()
    out = jax.ffi.ffi_call(name, jax.ShapeDtypeStruct(shape, like.dtype),
                           vmap_method="broadcast_all")(*moved, **attrs)
    return jnp.moveaxis(out, -1, axis) if like.shape else out


def _rowwise(x, axis: int, log: bool):
    if _use_ffi:
        return _ffi_rows("fastsoftmax_log_softmax" if log else "fastsoftmax_softmax",
                         _shape_of(x), x, axis=axis)
    fn = _fs.log_softmax if log else _fs.softmax
    # the batch dimensions vmap adds are leading: a negative axis still names
    # the class axis, so the batched call is one call ("expand_dims")
    return _callback(lambda a: fn(np.asarray(a), axis), _shape_of(x), x,
                     vmap_method="expand_dims")


def _vjp(kind: str, y, dy, axis: int):
    if _use_ffi:
        return _ffi_rows(f"fastsoftmax_{kind}_backward", _shape_of(y), y, dy, axis=axis)
    fn = _fs.softmax_backward if kind == "softmax" else _fs.log_softmax_backward
    return _callback(lambda a, b: fn(np.asarray(a), np.asarray(b), axis), _shape_of(y), y, dy)


@functools.partial(jax.custom_vjp, nondiff_argnums=(1, 2))
def _rowwise_diff(x, axis: int, log: bool):
    return _rowwise(x, axis, log)


def _rowwise_fwd(x, axis, log):
    y = _rowwise(x, axis, log)
    return y, y


def _rowwise_bwd(axis, log, y, dy):
    return (_vjp("log_softmax" if log else "softmax", y, dy.astype(y.dtype), axis),)


_rowwise_diff.defvjp(_rowwise_fwd, _rowwise_bwd)


def softmax(x: jax.Array, axis: int = -1) -> jax.Array:
    """Softmax along ``axis`` (like ``jax.nn.softmax``), computed by the
    fastsoftmax kernels on the host.

    Parameters
    ----------
    x : jax.Array or array_like
        float32 or float64 (float64 needs ``jax_enable_x64``), any shape; a
        traced array inside ``jit``/``grad``/``vmap`` works.
    axis : int, optional
        The axis to normalise over (default -1).

    Returns
    -------
    jax.Array
        ``x``'s shape and dtype. Differentiable in reverse mode (``jax.grad``,
        ``jax.vjp``) through the library's softmax VJP.

    Raises
    ------
    TypeError
        Unsupported dtype (float16, bfloat16, integers), non-integer ``axis``.
    ValueError
        ``axis`` out of range.
    """
    x = _as_jax(x, "x")
    return _rowwise_diff(x, _axis(axis, x.ndim), False)


def log_softmax(x: jax.Array, axis: int = -1) -> jax.Array:
    """Log-softmax along ``axis`` (like ``jax.nn.log_softmax``); parameters,
    returns and errors as :func:`softmax`, the gradient through the
    library's log-softmax VJP."""
    x = _as_jax(x, "x")
    return _rowwise_diff(x, _axis(axis, x.ndim), True)


# ---------------------------------------------------------------- cross-entropy

def _ce_shapes(logits, axis: int, reduction: str):
    loss_shape = () if reduction != "none" else tuple(
        n for i, n in enumerate(logits.shape) if i != axis % logits.ndim)
    return jax.ShapeDtypeStruct(loss_shape, logits.dtype)


_REDUCTION_CODES = {"none": 0, "sum": 1, "mean": 2}


def _ce_call(logits, targets, axis, reduction, ignore_index, alpha, need_grad: bool):
    loss_like = _ce_shapes(logits, axis, reduction)
    if _use_ffi:
        x = jnp.moveaxis(logits, axis, -1)
        t = jnp.moveaxis(targets, axis, -1) if targets.ndim == logits.ndim else targets
        grad_shape = x.shape if need_grad else (0,)
        # a mean or sum mixes every row: vmap must call once per batch element
        loss, grad = jax.ffi.ffi_call(
            "fastsoftmax_cross_entropy",
            (loss_like, jax.ShapeDtypeStruct(grad_shape, x.dtype)),
            vmap_method="broadcast_all" if reduction == "none" else "sequential",
        )(x, t, ignore_index=np.int64(ignore_index), label_smoothing=np.float64(alpha),
          reduction=np.int64(_REDUCTION_CODES[reduction]), need_grad=np.int64(need_grad))
        return (loss, jnp.moveaxis(grad, -1, axis)) if need_grad else loss

    def host(x, t):
        res = _fs.cross_entropy(np.asarray(x), np.asarray(t), axis=axis, reduction=reduction,
                                ignore_index=ignore_index, label_smoothing=alpha,
                                return_grad=need_grad)
        if need_grad:
            return np.asarray(res[0]).reshape(loss_like.shape), res[1]
        return np.asarray(res).reshape(loss_like.shape)

    like = (loss_like, _shape_of(logits)) if need_grad else loss_like
    # a mean or sum mixes every row: vmap must call once per batch element
    method = "broadcast_all" if reduction == "none" else "sequential"
    return _callback(host, like, logits, targets, vmap_method=method)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _ce(logits, targets, axis, reduction, ignore_index, alpha):
    return _ce_call(logits, targets, axis, reduction, ignore_index, alpha, False)


def _ce_fwd(logits, targets, axis, reduction, ignore_index, alpha):
    loss, grad = _ce_call(logits, targets, axis, reduction, ignore_index, alpha, True)
    soft = jnp.issubdtype(targets.dtype, jnp.floating)
    return loss, (grad, logits if soft else None, targets if not soft else None)


def _ce_bwd(axis, reduction, ignore_index, alpha, res, g):
    grad, logits, int_targets = res
    g = g.astype(grad.dtype)
    g = jnp.expand_dims(g, axis) if reduction == "none" else g
    grad_logits = grad * g
    if logits is None:  # class indices: no gradient (JAX wants float0 zeros)
        return grad_logits, np.zeros(int_targets.shape, dtype=jax.dtypes.float0)
    # probability targets: d loss / d t_j = (1 - alpha) * (logsumexp(x) - x_j)
    scale = (1.0 - alpha) * g
    if reduction == "mean":
        rows = logits.size // max(logits.shape[axis], 1)
        scale = scale / max(rows, 1)
    return grad_logits, -_rowwise(logits, axis, True) * scale


_ce.defvjp(_ce_fwd, _ce_bwd)


def cross_entropy(logits: jax.Array, targets: jax.Array, *, axis: int = -1,
                  reduction: Reduction = "mean", ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> jax.Array:
    """Softmax cross-entropy fused with its gradient (as
    :func:`fastsoftmax.cross_entropy`, on JAX arrays).

    Parameters
    ----------
    logits : jax.Array or array_like
        float32 or float64, at least 1-D.
    targets : jax.Array or array_like
        int32/int64 class indices (the logits' shape without ``axis``) or
        float probabilities of the logits' shape and dtype (differentiable).
    axis : int, optional
        The class axis (default -1, as in Optax; PyTorch uses 1).
    reduction : {"mean", "sum", "none"}
        "mean" averages over the rows whose target is not ``ignore_index``.
    ignore_index : int, optional
        Default -100.
    label_smoothing : float, optional
        In [0, 1].

    Returns
    -------
    jax.Array
        0-d for "mean" and "sum", else one loss per row. Under ``jax.grad``
        the forward computes the gradient in the same pass and the backward
        only scales it.

    Raises
    ------
    TypeError, ValueError
        As :func:`fastsoftmax.cross_entropy` for the arguments JAX knows at
        trace time (dtypes, shapes, ``axis``, ``reduction``,
        ``label_smoothing``); target values out of range fail when the
        computation runs (JAX's runtime error, carrying the library's
        "target out of range" status or the ValueError's message).
    """
    x = _as_jax(logits, "logits")
    if x.ndim == 0:
        raise ValueError("logits must have at least one dimension (the class axis)")
    a = _axis(axis, x.ndim)
    t = targets if isinstance(targets, jax.Array) else None
    if t is None:
        try:
            t = jnp.asarray(targets)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"targets must be array-like, got {type(targets).__name__}: {exc}") from None
    if jnp.issubdtype(t.dtype, jnp.floating):
        if t.dtype != x.dtype:
            raise TypeError(f"probability targets must have the logits' dtype {x.dtype}, got {t.dtype}")
        expected = x.shape
    else:
        if t.dtype not in _INT_DTYPES:
            raise TypeError(f"targets must be int32 or int64 class indices, got {t.dtype}")
        expected = tuple(n for i, n in enumerate(x.shape) if i != a % x.ndim)
    if t.shape != expected:
        raise ValueError(f"targets must have shape {expected}, got {t.shape}")
    ignore, alpha = _adapter_ce_options(reduction, ignore_index, label_smoothing)
    return _ce(x, t, a, reduction, ignore, alpha)

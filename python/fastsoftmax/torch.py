"""fastsoftmax for PyTorch: ``softmax``, ``log_softmax`` and ``cross_entropy``
on CPU ``torch.Tensor`` (float32 or float64, any strides).

Each function is a ``torch.library.custom_op`` (namespace ``fastsoftmax``)
with its autograd formula (the library's backward kernels) and a fake
implementation, so it works in eager mode, under ``torch.autograd`` and
inside ``torch.compile`` (the compiled graph calls the op as an opaque
kernel). In eager mode on plain tensors the same body and formulas run
through an ``autograd.Function`` instead, which skips the dispatcher's
per-call cost (about 30 us against 60 us for ``softmax`` on a tiny
tensor; a training step's cross-entropy forward and backward on
``(256, 1000)`` logits about 450 us against PyTorch's 870, Zen 3).
Tensors go in and out without copies: the op reads the input's
memory and writes a tensor allocated by torch through NumPy views of the
same memory (``Tensor.numpy()``), whatever the input's strides; only rows
that are not evenly strided are gathered into a temporary, as
:func:`fastsoftmax.softmax` does for NumPy arrays.

Importing this module imports torch; ``import fastsoftmax`` alone does not.

    >>> import torch, fastsoftmax.torch as fst
    >>> fst.softmax(torch.tensor([1.0, 2.0, 3.0]), dim=0)
    tensor([0.0900, 0.2447, 0.6652])

The registered operators (for ``torch.library.opcheck``, export or
inspection) are ``torch.ops.fastsoftmax.softmax``, ``.log_softmax``,
``.softmax_backward``, ``.log_softmax_backward`` and ``.cross_entropy``.
"""

from __future__ import annotations

import operator
from typing import Optional, Tuple

import numpy as np
import torch

import fastsoftmax as _fs

from ._arrays import _adapter_ce_options, _normalize_axis
from .typing import Reduction

__all__ = ["softmax", "log_softmax", "cross_entropy"]

_FLOAT_DTYPES = (torch.float32, torch.float64)
_INT_DTYPES = (torch.int32, torch.int64)


# ---------------------------------------------------------------- checks

def _check_tensor(t, name: str, dtypes=_FLOAT_DTYPES, what: str = "torch.float32 or torch.float64"):
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}"
                        " (for NumPy arrays use fastsoftmax.softmax and friends)")
    if t.layout != torch.strided:
        raise TypeError(f"{name} must be a strided (dense) tensor, got layout {t.layout}")
    if t.device.type not in ("cpu", "meta"):
        raise ValueError(f"{name} must be a CPU tensor, got one on {t.device}")
    if t.dtype not in dtypes:
        raise TypeError(f"{name} must have dtype {what}, got {t.dtype}")


def _dim(dim, ndim: int, name: str = "dim") -> int:
    """``dim`` validated for a tensor of ``ndim`` dimensions, in [0, ndim)
    (0 for a 0-d tensor)."""
    try:
        d = operator.index(dim)
    except TypeError:
        raise TypeError(f"{name} must be an integer, got {type(dim).__name__}") from None
    try:
        return _normalize_axis(d, max(ndim, 1))
    except ValueError:
        valid = f"{-ndim} <= {name} <= {ndim - 1}" if ndim else "0 or -1 for a 0-d tensor"
        raise ValueError(f"{name} {d} is out of range for a tensor of dimension {ndim}"
                         f" (valid: {valid})") from None


def _np(t: torch.Tensor):
    """A NumPy view of a CPU tensor's memory (no copy)."""
    return t.detach().numpy()


def _like(x: torch.Tensor) -> torch.Tensor:
    """The output of a row-wise op: x's shape and dtype, C-contiguous."""
    return torch.empty(x.shape, dtype=x.dtype, device=x.device)


# ---------------------------------------------------------------- softmax / log-softmax ops

class _Op:
    """One fastsoftmax operator, two ways to run it: the registered
    ``torch.library`` custom op (what ``torch.compile`` and export trace)
    and, in eager mode, a plain ``autograd.Function`` twin with the same
    body and the same autograd formulas, because the dispatcher's
    per-call cost (30-100 us measured on Zen 3) exceeds the kernels' on
    small tensors (the twin's is about 10 us)."""

    def __init__(self, name: str, body):
        self.body = body
        self.op = torch.library.custom_op(f"fastsoftmax::{name}", mutates_args=(),
                                          device_types="cpu")(body)
        self.twin = None

    def register_autograd(self, backward, setup_context):
        self.op.register_autograd(backward, setup_context=setup_context)
        body = self.body

        class Twin(torch.autograd.Function):
            # forward(ctx, ...) rather than a setup_context method, which
            # makes apply() bind the signature with inspect on every call
            @staticmethod
            def forward(ctx, *args):
                output = body(*args)
                if isinstance(output, tuple):  # no zeros for an unused output
                    ctx.set_materialize_grads(False)
                setup_context(ctx, args, output)
                return output

            @staticmethod
            def backward(ctx, *grads):
                return backward(ctx, *grads)

        self.twin = Twin

    def __call__(self, *args):
        # traced (torch.compile, export), under torch.func transforms (vmap
        # takes the op's per-example fallback) or on tensor subclasses (fake
        # and functional tensors of AOT autograd, opcheck): the registered op
        if torch.compiler.is_compiling() or _functorch_active() or any(
                isinstance(a, torch.Tensor) and type(a) is not torch.Tensor for a in args):
            return self.op(*args)
        return self.twin.apply(*args)


# (a private query of torch's; without it, the twin is never used)
_functorch_active = getattr(torch._C, "_are_functorch_transforms_active", lambda: True)


def _softmax_body(x: torch.Tensor, dim: int) -> torch.Tensor:
    y = _like(x)
    _fs.softmax(_np(x), dim, out=_np(y))
    return y


def _log_softmax_body(x: torch.Tensor, dim: int) -> torch.Tensor:
    y = _like(x)
    _fs.log_softmax(_np(x), dim, out=_np(y))
    return y


def _softmax_backward_body(y: torch.Tensor, dy: torch.Tensor, dim: int) -> torch.Tensor:
    dx = _like(y)
    _fs.softmax_backward(_np(y), _np(dy), dim, out=_np(dx))
    return dx


def _log_softmax_backward_body(z: torch.Tensor, dz: torch.Tensor, dim: int) -> torch.Tensor:
    dx = _like(z)
    _fs.log_softmax_backward(_np(z), _np(dz), dim, out=_np(dx))
    return dx


_softmax_op = _Op("softmax", _softmax_body)
_log_softmax_op = _Op("log_softmax", _log_softmax_body)
_softmax_backward_op = _Op("softmax_backward", _softmax_backward_body)
_log_softmax_backward_op = _Op("log_softmax_backward", _log_softmax_backward_body)
for _o in (_softmax_op, _log_softmax_op):
    _o.op.register_fake(lambda x, dim: _like(x))
for _o in (_softmax_backward_op, _log_softmax_backward_op):
    _o.op.register_fake(lambda y, dy, dim: _like(y))


def _save_output(ctx, inputs, output):
    ctx.dim = inputs[1]
    ctx.save_for_backward(output)


def _softmax_grad(ctx, grad):
    (y,) = ctx.saved_tensors
    return _softmax_backward_op(y, grad, ctx.dim), None


def _log_softmax_grad(ctx, grad):
    (z,) = ctx.saved_tensors
    return _log_softmax_backward_op(z, grad, ctx.dim), None


# The backward ops are differentiable too (double backward, Hessian-vector
# products), written with torch operations on their saved inputs:
#   softmax:     dx = y * (dy - <dy, y>)
#   log-softmax: dx = dz - exp(z) * sum(dz)
def _softmax_backward_grad(ctx, ddx):
    y, dy = ctx.saved_tensors
    d = ctx.dim
    s = (dy * y).sum(d, keepdim=True)
    r = (ddx * y).sum(d, keepdim=True)
    grad_y = ddx * (dy - s) - dy * r if ctx.needs_input_grad[0] else None
    grad_dy = y * (ddx - r) if ctx.needs_input_grad[1] else None
    return grad_y, grad_dy, None


def _log_softmax_backward_grad(ctx, ddx):
    z, dz = ctx.saved_tensors
    d = ctx.dim
    p = torch.exp(z)
    grad_z = -ddx * p * dz.sum(d, keepdim=True) if ctx.needs_input_grad[0] else None
    grad_dz = ddx - (ddx * p).sum(d, keepdim=True) if ctx.needs_input_grad[1] else None
    return grad_z, grad_dz, None


def _save_inputs(ctx, inputs, output):
    ctx.dim = inputs[2]
    ctx.save_for_backward(inputs[0], inputs[1])


_softmax_op.register_autograd(_softmax_grad, setup_context=_save_output)
_log_softmax_op.register_autograd(_log_softmax_grad, setup_context=_save_output)
_softmax_backward_op.register_autograd(_softmax_backward_grad, setup_context=_save_inputs)
_log_softmax_backward_op.register_autograd(_log_softmax_backward_grad, setup_context=_save_inputs)


def softmax(input: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Softmax of a CPU tensor along ``dim`` (like ``torch.softmax``).

    Parameters
    ----------
    input : torch.Tensor
        float32 or float64, on the CPU, any shape and strides (a 0-d tensor
        is one element).
    dim : int, optional
        The dimension to normalise over (default -1, the last).

    Returns
    -------
    torch.Tensor
        A new C-contiguous tensor of ``input``'s shape and dtype. Its
        gradient is the library's softmax VJP (``fastsoftmax.softmax_backward``),
        itself differentiable.

    Raises
    ------
    TypeError
        ``input`` is not a strided tensor of float32 or float64, or ``dim``
        is not an integer.
    ValueError
        ``input`` is not on the CPU, or ``dim`` is out of range.

    Notes
    -----
    Accuracy and special values as :func:`fastsoftmax.softmax` (the same
    kernels, picked by the same dispatcher and ``algorithm="auto"``).
    """
    _check_tensor(input, "input")
    return _softmax_op(input, _dim(dim, input.dim()))


def log_softmax(input: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """Log-softmax of a CPU tensor along ``dim`` (like ``torch.log_softmax``).

    Parameters, returns and errors as :func:`softmax`; the gradient is the
    library's log-softmax VJP (``fastsoftmax.log_softmax_backward``).
    Accuracy as :func:`fastsoftmax.log_softmax`.
    """
    _check_tensor(input, "input")
    return _log_softmax_op(input, _dim(dim, input.dim()))


# ---------------------------------------------------------------- cross-entropy

def _loss_shape(logits: torch.Tensor, dim: int, reduction: str):
    if reduction != "none":
        return ()
    return logits.shape[:dim] + logits.shape[dim + 1:]


def _cross_entropy_body(logits: torch.Tensor, target: torch.Tensor, dim: int, reduction: str,
                        ignore_index: int, label_smoothing: float,
                        need_grad: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """(loss, grad): grad is the gradient of the reduced loss for an
    upstream gradient of 1 (an empty tensor unless ``need_grad``)."""
    # the gradient is the fresh array the library returns (no grad_out=:
    # C-contiguous rows then take its fast path), handed to torch as is
    res = _fs.cross_entropy(_np(logits), _np(target), axis=dim, reduction=reduction,
                            ignore_index=ignore_index, label_smoothing=label_smoothing,
                            return_grad=need_grad)
    loss, grad = res if need_grad else (res, None)
    loss = np.ascontiguousarray(loss).reshape(_loss_shape(logits, dim, reduction))
    grad = torch.from_numpy(np.ascontiguousarray(grad)) if need_grad else logits.new_empty(0)
    return torch.from_numpy(loss), grad


_cross_entropy_op = _Op("cross_entropy", _cross_entropy_body)


@_cross_entropy_op.op.register_fake
def _(logits, target, dim, reduction, ignore_index, label_smoothing, need_grad):
    loss = logits.new_empty(_loss_shape(logits, dim, reduction))
    return loss, (_like(logits) if need_grad else logits.new_empty(0))


def _cross_entropy_setup(ctx, inputs, output):
    logits, target, dim, reduction, ignore_index, label_smoothing, need_grad = inputs
    ctx.args = (dim, reduction, ignore_index, label_smoothing)
    ctx.need_grad = need_grad
    ctx.soft = target.is_floating_point()
    ctx.save_for_backward(logits, target, output[1])


def _cross_entropy_grad(ctx, grad_loss, _grad_grad):
    if grad_loss is None:  # (eager twin: only the internal gradient output was used)
        return None, None, None, None, None, None, None
    logits, target, grad = ctx.saved_tensors
    dim, reduction, _, alpha = ctx.args
    g = grad_loss.unsqueeze(dim) if reduction == "none" else grad_loss
    grad_logits = None
    if ctx.needs_input_grad[0]:
        if not ctx.need_grad:  # the forward skipped it (called without grad): compute it now
            grad = _cross_entropy_op(logits, target, *ctx.args, True)[1]
        grad_logits = grad * g  # (a new tensor: the saved one may serve a retained graph again)
    grad_target = None
    if ctx.soft and ctx.needs_input_grad[1]:
        # d loss / d t_j = (1 - alpha) * (logsumexp(x) - x_j), per row
        scale = (1.0 - alpha) * g
        if reduction == "mean":
            rows = logits.numel() // max(logits.shape[dim], 1)
            scale = scale / max(rows, 1)
        grad_target = -_log_softmax_op(logits, dim) * scale
    return grad_logits, grad_target, None, None, None, None, None


_cross_entropy_op.register_autograd(_cross_entropy_grad, setup_context=_cross_entropy_setup)


def cross_entropy(input: torch.Tensor, target: torch.Tensor, *, reduction: Reduction = "mean",
                  ignore_index: int = -100, label_smoothing: float = 0.0,
                  dim: Optional[int] = None) -> torch.Tensor:
    """Softmax cross-entropy of CPU logits, fused with its gradient (like
    ``torch.nn.functional.cross_entropy`` without ``weight``).

    Parameters
    ----------
    input : torch.Tensor
        Logits, float32 or float64, on the CPU, at least 1-D.
    target : torch.Tensor
        Class indices (int64 or int32, the logits' shape without the class
        dimension) or class probabilities (a float tensor of the logits'
        shape; differentiable).
    reduction : {"mean", "sum", "none"}
        As in PyTorch: "mean" averages over the rows whose target is not
        ``ignore_index`` (over all rows for probability targets).
    ignore_index : int, optional
        Rows with this class target contribute no loss and no gradient
        (default -100).
    label_smoothing : float, optional
        In [0, 1] (default 0).
    dim : int, optional
        The class dimension. Default: PyTorch's convention, 1 (0 for a 1-D
        input).

    Returns
    -------
    torch.Tensor
        0-d for "mean" and "sum", else the per-row losses (the target's
        shape). When ``input`` requires grad, the forward computes the
        gradient in the same pass and the backward only scales it.

    Raises
    ------
    TypeError
        Non-tensor arguments, unsupported dtypes, non-integer ``dim`` or
        ``ignore_index``.
    ValueError
        Non-CPU tensors, ``dim`` out of range, unknown ``reduction``,
        ``label_smoothing`` outside [0, 1], targets of the wrong shape or
        out of range (raised by the op when it runs).

    Notes
    -----
    The kernels and accuracy are those of :func:`fastsoftmax.cross_entropy`.
    """
    _check_tensor(input, "input")
    if input.dim() == 0:
        raise ValueError("input must have at least one dimension (the class dimension)")
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a torch.Tensor, got {type(target).__name__}")
    if target.is_floating_point():
        _check_tensor(target, "target")
        if target.dtype != input.dtype:
            raise TypeError(f"probability targets must have input's dtype {input.dtype},"
                            f" got {target.dtype}")
    else:
        _check_tensor(target, "target", _INT_DTYPES, "torch.int64 or torch.int32 (class indices)")
    d = _dim(1 if dim is None and input.dim() > 1 else (0 if dim is None else dim), input.dim())
    expected = input.shape if target.is_floating_point() else input.shape[:d] + input.shape[d + 1:]
    if target.shape != expected:
        raise ValueError(f"target must have shape {tuple(expected)}, got {tuple(target.shape)}")
    ignore, alpha = _adapter_ce_options(reduction, ignore_index, label_smoothing)
    need_grad = torch.is_grad_enabled() and input.requires_grad
    loss, _ = _cross_entropy_op(input, target, d, reduction, ignore, alpha,
                                need_grad)
    return loss

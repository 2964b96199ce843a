"""Linear + cross-entropy without materialising the logits:
``cross_entropy(h @ W.T + bias, targets)`` and its gradients. The loss
alone goes chunk by chunk over the vocabulary with the mergeable softmax
states (``_states``); with gradients, block by block over the tokens. The
extra memory is O(tokens x chunk), not O(tokens x vocab). The matmuls are
NumPy's (BLAS), grad W's accumulation SciPy's BLAS gemm when SciPy is
installed.

Private module; :func:`linear_cross_entropy` is exported by ``fastsoftmax``.
"""

from __future__ import annotations

import operator
from typing import Any, Dict, Literal, Optional, Tuple, Union, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._arrays import _as_float_array
from .typing import Loss, Reduction
from ._training import _check_param, cross_entropy
from ._states import (
    logsumexp_from_state,
    merge_states,
    softmax_from_state,
    softmax_state,
)

# default chunk: about this many bytes of logits per chunk
_CHUNK_BYTES = 32 << 20
# without SciPy, grad W's update goes through a temporary of this size
_GEMM_STEP_BYTES = 4 << 20


def _chunk_buffer(buf: np.ndarray, tokens: int, c: int) -> np.ndarray:
    """A C-contiguous (tokens, c) view of the start of buf."""
    return buf.reshape(-1)[:tokens * c].reshape(tokens, c)


@overload
def linear_cross_entropy(h: ArrayLike, W: ArrayLike, targets: ArrayLike, *,
                         bias: Optional[ArrayLike] = ..., chunk: Optional[int] = ...,
                         reduction: Reduction = ..., ignore_index: int = ...,
                         label_smoothing: float = ..., return_grad: Literal[False] = ...
                         ) -> Loss: ...
@overload
def linear_cross_entropy(h: ArrayLike, W: ArrayLike, targets: ArrayLike, *,
                         bias: Optional[ArrayLike] = ..., chunk: Optional[int] = ...,
                         reduction: Reduction = ..., ignore_index: int = ...,
                         label_smoothing: float = ..., return_grad: Literal[True]
                         ) -> Tuple[Loss, Dict[str, NDArray[Any]]]: ...
@overload
def linear_cross_entropy(h: ArrayLike, W: ArrayLike, targets: ArrayLike, *,
                         bias: Optional[ArrayLike] = ..., chunk: Optional[int] = ...,
                         reduction: Reduction = ..., ignore_index: int = ...,
                         label_smoothing: float = ..., return_grad: bool = ...
                         ) -> Union[Loss, Tuple[Loss, Dict[str, NDArray[Any]]]]: ...
def linear_cross_entropy(h: ArrayLike, W: ArrayLike, targets: ArrayLike, *,
                         bias: Optional[ArrayLike] = None, chunk: Optional[int] = None,
                         reduction: Reduction = "mean", ignore_index: int = -100,
                         label_smoothing: float = 0.0, return_grad: bool = False
                         ) -> Union[Loss, Tuple[Loss, Dict[str, NDArray[Any]]]]:
    """Cross-entropy of the logits ``h @ W.T (+ bias)`` without forming them.

    Equal to ``cross_entropy(h @ W.T + bias, targets, ...)`` (the options
    mean what they mean there). The loss alone is computed over the
    vocabulary in chunks of ``chunk`` rows of ``W``: each chunk's logits
    give softmax states (merged exactly) and the target logits. With
    ``return_grad``, the tokens go in blocks of ``chunk * tokens // vocab``
    rows: a block's logits over the whole vocabulary become its gradient in
    place (the fused cross-entropy kernel), which gives the block's rows of
    grad ``h`` and its share of grad ``W`` at once -- three matrix products
    in all, as unfused (a second pass over vocabulary chunks would have to
    recompute every chunk's logits: four). Extra memory either way: one
    buffer of about ``tokens * chunk`` elements instead of ``(tokens,
    vocab)`` logits and gradient.

    Parameters
    ----------
    h : array_like
        ``(tokens, hidden)``, float32 or float64.
    W : array_like
        ``(vocab, hidden)``, the dtype of ``h``.
    targets : array_like
        ``(tokens,)`` integer classes in ``[0, vocab)`` or ``ignore_index``.
    bias : array_like, optional
        ``(vocab,)``, the dtype of ``h``.
    chunk : int, optional
        Vocabulary rows per chunk (default: about 32 MiB of logits); with
        ``return_grad``, the same memory as tokens blocks of whole rows.
    reduction : {"mean", "sum", "none"}
        As in ``cross_entropy``: the mean over non-ignored tokens, the sum,
        or per-token losses.
    ignore_index : int
        Tokens with this target add nothing (loss 0, no gradient).
    label_smoothing : float
        ``alpha`` in [0, 1]: the target is ``(1 - alpha) onehot + alpha / vocab``.
    return_grad : bool
        Also return the gradients.

    Returns
    -------
    loss or (loss, grads)
        ``loss``: a scalar of ``h``'s dtype (or ``(tokens,)`` for "none").
        ``grads``: a dict with ``"h"`` ``(tokens, hidden)``, ``"W"``
        ``(vocab, hidden)`` and, with a bias, ``"bias"`` ``(vocab,)``: the
        gradients of the reduced loss (of the sum for "none").

    Raises
    ------
    TypeError
        Dtypes that are not float32/float64 or differ, non-integer targets.
    ValueError
        Shapes that do not match, targets out of range, bad options.
    """
    h = _as_float_array(h, "h")
    W = _as_float_array(W, "W")
    if h.ndim != 2 or W.ndim != 2 or h.shape[1] != W.shape[1]:
        raise ValueError(f"h must be (tokens, hidden) and W (vocab, hidden); got {h.shape} and "
                         f"{W.shape}")
    if W.dtype != h.dtype:
        raise TypeError(f"W must have the dtype of h ({h.dtype}), got {W.dtype}")
    tokens, hidden = h.shape
    vocab = W.shape[0]
    dtype = h.dtype
    if bias is not None:
        bias = _as_float_array(bias, "bias")
        if bias.shape != (vocab,) or bias.dtype != dtype:
            raise ValueError(f"bias must be ({vocab},) of dtype {dtype}; got {bias.shape} {bias.dtype}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")
    alpha = _check_param(label_smoothing, "label_smoothing")  # numbers only (issue 19)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}")
    ignore_index = operator.index(ignore_index)
    t = np.asarray(targets)
    if t.dtype.kind not in "iu":
        raise TypeError(f"targets must be integers, got {t.dtype}")
    if t.shape != (tokens,):
        raise ValueError(f"targets must have shape ({tokens},), got {t.shape}")
    t = t.astype(np.int64)
    valid = t != ignore_index
    if ((t[valid] < 0) | (t[valid] >= vocab)).any():
        raise ValueError(f"targets must be in [0, {vocab}) or ignore_index ({ignore_index})")
    if chunk is None:
        chunk = max(256, _CHUNK_BYTES // max(1, tokens * dtype.itemsize) // 256 * 256)
    chunk = operator.index(chunk)
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    chunk = min(chunk, max(vocab, 1))
    h = np.ascontiguousarray(h)
    W = np.ascontiguousarray(W)
    if return_grad:
        return _with_grad(h, W, bias, t, valid, reduction, ignore_index, alpha,
                          max(1, chunk * tokens // max(1, vocab)))

    rows = np.arange(tokens)
    buf = np.empty((tokens, chunk), dtype=dtype)

    def logits(v0: int, v1: int) -> np.ndarray:
        L = _chunk_buffer(buf, tokens, v1 - v0)
        np.matmul(h, W[v0:v1].T, out=L)
        if bias is not None:
            L += bias[v0:v1]
        return L

    # pass 1: states (merged exactly), target logits, row sums (smoothing)
    state = None
    picked = np.zeros(tokens, dtype=np.float64)
    rowsum = np.zeros(tokens, dtype=np.float64) if alpha else None
    for v0 in range(0, vocab, chunk):
        v1 = min(vocab, v0 + chunk)
        L = logits(v0, v1)
        s = softmax_state(L, axis=1)
        state = s if state is None else merge_states(state, s)
        inside = valid & (t >= v0) & (t < v1)
        picked[inside] = L[rows[inside], t[inside] - v0]
        if alpha:
            rowsum += L.sum(axis=1, dtype=np.float64)
    if state is None:  # vocab == 0
        state = softmax_state(np.empty((tokens, 0), dtype=dtype), axis=1)
    lse = logsumexp_from_state(state)
    with np.errstate(invalid="ignore"):
        loss1 = (1.0 - alpha) * (lse - picked)
        if alpha:
            loss1 += alpha * (lse - rowsum / vocab)
    loss1 = np.where(valid, loss1, 0.0)
    count = int(np.count_nonzero(valid))
    if reduction == "none":
        loss = loss1.astype(dtype)
    elif reduction == "sum":
        loss = dtype.type(loss1.sum())
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = dtype.type(loss1.sum() / count if count else np.nan)
    return loss


def _gemm_accumulate():
    """C += A @ B in place through SciPy's BLAS gemm (beta = 1), or None."""
    try:
        from scipy.linalg.blas import get_blas_funcs
    except ImportError:  # SciPy is optional: the fallback adds chunk by chunk
        return None
    return get_blas_funcs


def _with_grad(h, W, bias, t, valid, reduction, ignore_index, alpha, block):
    """Loss and gradients in one pass over blocks of `block` tokens.

    Each block's logits ``(block, vocab)`` are formed whole, turned into the
    gradient in place by the fused cross-entropy kernel, and used at once for
    the block's rows of grad h and its rank-`block` update of grad W: three
    matrix products in all, as unfused, where a pass over vocabulary chunks
    must recompute every chunk's logits once the normaliser is known (four).
    The row weights (1/count for a mean) scale the small ``(block, hidden)``
    factors, never the logits.
    """
    tokens, hidden = h.shape
    vocab = W.shape[0]
    dtype = h.dtype
    count = int(np.count_nonzero(valid))
    scale = dtype.type(1.0 / count if reduction == "mean" and count else 1.0)
    buf = np.empty(min(block, max(tokens, 1)) * vocab, dtype=dtype)
    loss1 = np.zeros(tokens, dtype=np.float64)
    grad_h = np.empty((tokens, hidden), dtype=dtype)
    grad_W = np.zeros((vocab, hidden), dtype=dtype)
    grad_b = np.zeros(vocab, dtype=dtype) if bias is not None else None
    blas = _gemm_accumulate()
    gemm = blas("gemm", dtype=dtype) if blas is not None else None
    vstep = max(1, _GEMM_STEP_BYTES // max(1, hidden * dtype.itemsize))
    tmp = None if gemm is not None else np.empty((min(vstep, vocab), hidden), dtype=dtype)
    for b0 in range(0, tokens, block):
        b1 = min(tokens, b0 + block)
        L = buf[:(b1 - b0) * vocab].reshape(b1 - b0, vocab)
        np.matmul(h[b0:b1], W.T, out=L)
        if bias is not None:
            L += bias
        lb, G = cross_entropy(L, t[b0:b1], reduction="none", ignore_index=ignore_index,
                              label_smoothing=alpha, return_grad=True, grad_out=L)
        loss1[b0:b1] = lb
        np.matmul(G, W, out=grad_h[b0:b1])
        hw = h[b0:b1] * scale
        if gemm is not None:
            # grad_W.T (hidden, vocab), Fortran-ordered, += hw.T @ G: no copies
            out = gemm(1.0, hw.T, G.T, beta=1.0, c=grad_W.T, trans_b=1, overwrite_c=1)
            if not np.shares_memory(out, grad_W):
                grad_W[...] = out.T
        else:
            for v0 in range(0, vocab, vstep):
                v1 = min(vocab, v0 + vstep)
                part = np.matmul(G[:, v0:v1].T, hw, out=tmp[:v1 - v0])
                grad_W[v0:v1] += part
        if grad_b is not None:
            grad_b += G.sum(axis=0) * scale
    grad_h *= scale
    if reduction == "none":
        loss = loss1.astype(dtype)
    elif reduction == "sum":
        loss = dtype.type(loss1.sum())
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            loss = dtype.type(loss1.sum() / count if count else np.nan)
    grads = {"h": grad_h, "W": grad_W}
    if grad_b is not None:
        grads["bias"] = grad_b
    return loss, grads


__all__ = ["linear_cross_entropy"]

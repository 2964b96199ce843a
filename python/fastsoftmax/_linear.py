"""Linear + cross-entropy without materialising the logits:
``cross_entropy(h @ W.T + bias, targets)`` and its gradients, computed
chunk by chunk over the vocabulary with the mergeable softmax states
(``_states``), so the extra memory is O(tokens x chunk), not
O(tokens x vocab). The matmuls are NumPy's (BLAS).

Private module; :func:`linear_cross_entropy` is exported by ``fastsoftmax``.
"""

from __future__ import annotations

import operator
from typing import Any, Dict, Literal, Optional, Tuple, Union, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._arrays import _as_float_array
from .typing import Loss, Reduction
from ._training import _check_param
from ._states import (
    logsumexp_from_state,
    merge_states,
    softmax_from_state,
    softmax_state,
)

# default chunk: about this many bytes of logits per chunk
_CHUNK_BYTES = 32 << 20


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
    mean what they mean there), computed over the vocabulary in chunks of
    ``chunk`` rows of ``W``: a first pass takes each chunk's logits, their
    softmax states (merged exactly) and the target logits; with
    ``return_grad``, a second pass normalises each chunk's logits from the
    merged state and accumulates the gradients of ``h``, ``W`` (and
    ``bias``). The first ``min(tokens, hidden)`` token rows of every
    chunk's logits wait for the second pass in the memory of the ``W``
    gradient (an output, written chunk by chunk only after its logits are
    read); only the rows beyond ``hidden`` are computed again, so with
    ``tokens <= hidden`` the call does the three matrix products of the
    unfused computation. Extra memory: a ``(tokens, chunk)`` buffer and
    two ``(tokens, hidden)`` ones instead of the ``(tokens, vocab)``
    logits and gradient.

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
        Vocabulary rows per chunk (default: about 32 MiB of logits).
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
    rows = np.arange(tokens)
    buf = np.empty((tokens, chunk), dtype=dtype)
    # With gradients, the first `kept` token rows of each chunk's logits are
    # stored in the memory of grad_W[v0:v1] (an output the caller gets
    # anyway; it is written only in pass 2, after the chunk's logits are
    # read), so pass 2 recomputes only rows [kept, tokens): none when
    # tokens <= hidden, three matrix products in all as unfused.
    # Without gradients the rows are split the same way (into buf), so
    # that the loss has the same bits with and without return_grad.
    grad_W = np.empty((vocab, hidden), dtype=dtype) if return_grad else None
    kept = min(tokens, hidden)

    def kept_logits(v0: int, v1: int) -> np.ndarray:
        """Rows [0, kept) of chunk [v0, v1)'s logits: in grad_W[v0:v1]
        with gradients, else at the start of buf."""
        if grad_W is None:
            return _chunk_buffer(buf, kept, v1 - v0)
        return grad_W[v0:v1].reshape(-1)[:kept * (v1 - v0)].reshape(kept, v1 - v0)

    def logits(v0: int, v1: int, r0: int, r1: int, out: np.ndarray) -> np.ndarray:
        """Rows [r0, r1) of chunk [v0, v1)'s logits, into out."""
        np.matmul(h[r0:r1], W[v0:v1].T, out=out)
        if bias is not None:
            out += bias[v0:v1]
        return out

    def parts(v0: int, v1: int) -> Tuple[Tuple[int, np.ndarray], ...]:
        """Pass 1: chunk [v0, v1)'s logits as (first row, rows) pieces."""
        pieces = []
        if kept:
            pieces.append((0, logits(v0, v1, 0, kept, kept_logits(v0, v1))))
        if kept < tokens:
            rest = _chunk_buffer(buf, tokens, v1 - v0)[kept:]
            pieces.append((kept, logits(v0, v1, kept, tokens, rest)))
        return tuple(pieces)

    # pass 1: states (merged exactly), target logits, row sums (smoothing)
    state = None
    picked = np.zeros(tokens, dtype=np.float64)
    rowsum = np.zeros(tokens, dtype=np.float64) if alpha else None
    for v0 in range(0, vocab, chunk):
        v1 = min(vocab, v0 + chunk)
        pieces = parts(v0, v1)
        if not pieces:  # tokens == 0: the empty state below
            continue
        s = np.concatenate([softmax_state(L, axis=1) for _, L in pieces])
        state = s if state is None else merge_states(state, s)
        inside = valid & (t >= v0) & (t < v1)
        for r0, L in pieces:
            sel = inside & (rows >= r0) & (rows < r0 + L.shape[0])
            picked[sel] = L[rows[sel] - r0, t[sel] - v0]
            if rowsum is not None:
                rowsum[r0:r0 + L.shape[0]] += L.sum(axis=1, dtype=np.float64)
    if state is None:  # vocab == 0 or tokens == 0
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
    if not return_grad:
        return loss
    # pass 2: G = w (softmax - target) per chunk, never whole; the row
    # weights w (1/count for a mean, 0 for ignored rows) are folded into h
    # for dW and applied to dh once at the end
    scale = 1.0 / count if reduction == "mean" and count else 1.0
    w = np.where(valid, scale, 0.0).astype(dtype)
    hw = h * w[:, None]
    grad_h = np.zeros((tokens, hidden), dtype=dtype)
    tmp = np.empty((tokens, hidden), dtype=dtype)
    assert grad_W is not None
    grad_b = np.empty(vocab, dtype=dtype) if bias is not None else None
    for v0 in range(0, vocab, chunk):
        v1 = min(vocab, v0 + chunk)
        P = _chunk_buffer(buf, tokens, v1 - v0)
        if kept:  # stored by pass 1; read before grad_W[v0:v1] is written
            softmax_from_state(kept_logits(v0, v1), state[:kept], axis=1, out=P[:kept])
        if kept < tokens:
            softmax_from_state(logits(v0, v1, kept, tokens, P[kept:]), state[kept:], axis=1,
                               out=P[kept:])
        if alpha:
            P -= dtype.type(alpha / vocab)
        inside = valid & (t >= v0) & (t < v1)
        P[rows[inside], t[inside] - v0] -= dtype.type(1.0 - alpha)
        np.matmul(P, W[v0:v1], out=tmp)
        grad_h += tmp
        np.matmul(P.T, hw, out=grad_W[v0:v1])
        if grad_b is not None:
            np.matmul(w, P, out=grad_b[v0:v1])
    grad_h *= w[:, None]
    grads = {"h": grad_h, "W": grad_W}
    if grad_b is not None:
        grads["bias"] = grad_b
    return loss, grads


__all__ = ["linear_cross_entropy"]

"""Softmax, log-softmax, logsumexp and cross-entropy on ``dask.array``
arrays, along any axis, chunked or not along it.

Each function is one pass over the blocks for the softmax states
(``fastsoftmax.softmax_state``), a tree ``reduction`` of the states along
the axis (``fastsoftmax.merge_states``: exact, so the grouping of the tree
never changes the bits), and, for softmax and log-softmax, one more pass
normalising each block from the merged state. The softmax axis is never
rechunked; nothing is computed until ``.compute()``. Results equal the
in-memory functions within their accuracy bounds.

Needs ``dask[array]`` (``pip install 'fastsoftmax[dask]'``); runs on any
scheduler, ``dask.distributed`` included.

    >>> import dask.array as da, fastsoftmax.dask as fd
    >>> x = da.random.random((16, 2**20), chunks=(16, 2**18)).astype("float32")
    >>> y = fd.log_softmax(x, axis=-1)        # lazy; y.compute() runs it
"""

from __future__ import annotations

from typing import Any, Optional, SupportsIndex

import numpy as np

from . import _states
from ._arrays import _normalize_axis
from ._states import STATE_DTYPE

try:
    import dask.array as _da
except ImportError as _exc:  # pragma: no cover - exercised without dask
    raise ImportError("fastsoftmax.dask needs dask: pip install 'fastsoftmax[dask]'") from _exc

__all__ = ["softmax_state", "softmax", "log_softmax", "logsumexp", "cross_entropy"]


def _as_dask_float(x, name: str = "x"):
    x = x if isinstance(x, _da.Array) else _da.asarray(x)
    if x.dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    if x.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    return x


# block functions (module level: they pickle by reference for distributed)

def _chunk_state(block, axis, keepdims):
    (ax,) = axis
    return _states.softmax_state(block, ax, keepdims=True)


def _combine_states(states, axis, keepdims):
    (ax,) = axis
    return _states.merge_states(states, axis=ax, keepdims=True)


def _aggregate_states(states, axis, keepdims):
    (ax,) = axis
    return _states.merge_states(states, axis=ax, keepdims=keepdims)


def _from_state_block(block, state, kind, axis):
    if kind == "softmax":
        return _states.softmax_from_state(block, state, axis)
    return _states.log_softmax_from_state(block, state, axis)


def _lse_block(state, dtype):
    return _states.logsumexp_from_state(state).astype(dtype)


def softmax_state(x: Any, axis: SupportsIndex = -1, *, split_every: Optional[int] = None
                  ) -> "_da.Array":
    """The softmax states of ``x`` along ``axis``: a lazy dask array of
    :data:`fastsoftmax.STATE_DTYPE`, the shape of ``x`` without ``axis``.
    ``split_every``: the fan-in of the reduction tree (dask's default if
    None)."""
    x = _as_dask_float(x)
    axis = _normalize_axis(axis, x.ndim)
    meta = np.empty((0,) * (x.ndim - 1), dtype=STATE_DTYPE)
    return _da.reduction(x, _chunk_state, _aggregate_states, combine=_combine_states, axis=axis,
                         keepdims=False, dtype=STATE_DTYPE, split_every=split_every,
                         concatenate=True, meta=meta, name="fastsoftmax-state")


def _normalised(kind, x, axis, split_every, state):
    x = _as_dask_float(x)
    axis = _normalize_axis(axis, x.ndim)
    lead = x.chunks[:axis] + x.chunks[axis + 1:]
    if state is None:
        states = softmax_state(x, axis, split_every=split_every)
    else:
        states = state if isinstance(state, _da.Array) else _da.from_array(np.asarray(state))
        if states.dtype != STATE_DTYPE or states.shape != x.shape[:axis] + x.shape[axis + 1:]:
            raise ValueError("state must be softmax states of the shape of x without axis")
        states = states.rechunk(lead)
    ind = tuple(range(x.ndim))
    sind = ind[:axis] + ind[axis + 1:]
    return _da.blockwise(_from_state_block, ind, x, ind, states, sind, kind=kind, axis=axis,
                         dtype=x.dtype, meta=np.empty((0,) * x.ndim, dtype=x.dtype),
                         token=f"fastsoftmax-{kind}")


_STATE_NOTE = """

    ``state``: the states of ``x`` along ``axis`` computed beforehand (a
    NumPy or dask array from :func:`softmax_state`); then the graph is only
    the normalising pass. For arrays larger than memory, compute the states
    first (``softmax_state(x).compute()``, small) and pass them here: in one
    graph, every chunk of ``x`` is held from the states pass until the
    normalising pass has used it (the whole array, unless the scheduler
    spills it), while in two graphs the chunks are produced twice (read
    twice from storage, or generated twice) and dropped after each use."""


def softmax(x: Any, axis: SupportsIndex = -1, *, split_every: Optional[int] = None,
            state: Any = None) -> "_da.Array":
    """Softmax of a dask array along ``axis`` (lazy; the dtype and chunks of
    ``x``). float32 or float64."""
    return _normalised("softmax", x, axis, split_every, state)


def log_softmax(x: Any, axis: SupportsIndex = -1, *, split_every: Optional[int] = None,
                state: Any = None) -> "_da.Array":
    """Log-softmax of a dask array along ``axis`` (lazy; the dtype and
    chunks of ``x``). float32 or float64."""
    return _normalised("log_softmax", x, axis, split_every, state)


softmax.__doc__ += _STATE_NOTE
log_softmax.__doc__ += _STATE_NOTE


def logsumexp(x: Any, axis: SupportsIndex = -1, *, split_every: Optional[int] = None
              ) -> "_da.Array":
    """``log(sum(exp(x), axis))`` of a dask array (lazy; the dtype of ``x``,
    its shape without ``axis``)."""
    x = _as_dask_float(x)
    states = softmax_state(x, axis, split_every=split_every)
    return states.map_blocks(_lse_block, x.dtype, dtype=x.dtype,
                             meta=np.empty((0,) * states.ndim, dtype=x.dtype))


def _pick_block(block, targets, starts, axis, block_id=None):
    """Per block along the axis: the target logit where the target falls in
    this block, else 0 (float64, the axis kept with length 1), and 1 where
    it does (to detect targets out of range)."""
    block, targets = block[0], np.squeeze(targets[0], axis)
    local = targets.astype(np.int64) - int(starts[block_id[axis + 1]])
    inside = (local >= 0) & (local < block.shape[axis])
    idx = np.expand_dims(np.where(inside, local, 0), axis)
    vals = np.take_along_axis(block, idx, axis).astype(np.float64) if block.shape[axis] else \
        np.zeros(idx.shape)
    vals = np.where(np.expand_dims(inside, axis), vals, 0.0)
    return np.stack([vals, np.expand_dims(inside, axis).astype(np.float64)])


def _finish_block(lse, picked, hits, rowsum, targets, ignore_index, alpha, cols, dtype):
    valid = targets != ignore_index
    if (valid & (hits == 0)).any():
        raise ValueError(f"targets must be in [0, {cols}) or ignore_index ({ignore_index})")
    with np.errstate(invalid="ignore"):
        loss = (1.0 - alpha) * (lse - picked)
        if alpha:
            loss = loss + alpha * (lse - rowsum / cols)
    return np.where(valid, loss, 0.0).astype(dtype)


def cross_entropy(logits: Any, targets: Any, *, axis: SupportsIndex = -1, reduction: str = "mean",
                  ignore_index: int = -100, label_smoothing: float = 0.0,
                  split_every: Optional[int] = None) -> "_da.Array":
    """Softmax cross-entropy with integer targets of a dask array (lazy),
    as :func:`fastsoftmax.cross_entropy` computes it in memory (no
    gradient): ``loss = LSE(x) - x[target]``, with label smoothing
    ``alpha``: ``(1 - alpha) (LSE - x[c]) + alpha (LSE - mean(x))``.

    ``targets``: integers, the shape of ``logits`` without ``axis`` (a dask
    or NumPy array; chunked like ``logits``). ``reduction``: "mean" over
    the non-ignored targets, "sum", or "none" (per row). A target out of
    range raises ValueError when computed."""
    x = _as_dask_float(logits, "logits")
    axis = _normalize_axis(axis, x.ndim)
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}")
    alpha = float(label_smoothing)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}")
    rest = x.shape[:axis] + x.shape[axis + 1:]
    t = targets if isinstance(targets, _da.Array) else _da.asarray(np.asarray(targets))
    if t.shape != rest or t.dtype.kind not in "iu":
        raise ValueError(f"targets must be integers of shape {rest}, got {t.dtype} {t.shape}")
    t = t.rechunk(x.chunks[:axis] + x.chunks[axis + 1:])
    states = softmax_state(x, axis, split_every=split_every)
    lse = states.map_blocks(_states.logsumexp_from_state, dtype=np.float64,
                            meta=np.empty((0,) * states.ndim))
    starts = tuple(int(v) for v in np.cumsum((0,) + x.chunks[axis][:-1]))
    chunks = ((2,),) + x.chunks[:axis] + ((1,) * len(x.chunks[axis]),) + x.chunks[axis + 1:]
    both = _da.map_blocks(_pick_block, x[None], _da.expand_dims(t, axis)[None], starts, axis,
                          chunks=chunks, dtype=np.float64, meta=np.empty((0,) * (x.ndim + 1)))
    both = both.sum(axis=axis + 1, split_every=split_every)
    rowsum = x.sum(axis=axis, dtype=np.float64, split_every=split_every) if alpha else lse
    loss = _da.map_blocks(_finish_block, lse, both[0], both[1], rowsum, t, ignore_index, alpha,
                          x.shape[axis], x.dtype, dtype=x.dtype,
                          meta=np.empty((0,) * lse.ndim, dtype=x.dtype))
    if reduction == "none":
        return loss
    total = loss.sum(dtype=np.float64)
    if reduction == "sum":
        return total.astype(x.dtype)
    count = (t != ignore_index).sum()
    return (total / count).astype(x.dtype)

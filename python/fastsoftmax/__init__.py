"""fastsoftmax: fast, accurate softmax and log-softmax for CPUs.

Hand-written AVX2, AVX-512 and NEON kernels (with a portable scalar
fallback), chosen at run time for the CPU, behind a NumPy-first API
(``axis=-1`` by default; ``fastsoftmax.scipy`` has SciPy's signatures and
``axis=None`` default)::

    >>> import numpy as np, fastsoftmax
    >>> fastsoftmax.softmax(np.array([1.0, 2.0, 3.0])).round(6)
    array([0.090031, 0.244728, 0.665241])
"""

from __future__ import annotations

import contextlib
import os
from typing import Any, Iterator, Optional, SupportsIndex, Tuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _core
from ._arrays import (_as_float_array, _as_float_or_half_array, _half_kind, _over_axis_half,
                      _over_axis)
# Training functions (VJPs, cross-entropy, spherical family, StableMax).
from ._training import *  # noqa: F401,F403
from ._training import __all__ as _training_all
# Mergeable softmax states and linear + cross-entropy without logits.
from ._states import STATE_DTYPE, softmax_state, merge_states, softmax_from_state, log_softmax_from_state, logsumexp_from_state  # noqa: F401,E501
from ._linear import linear_cross_entropy  # noqa: F401
# logsumexp (scipy.special.logsumexp's drop-in) and the decoding helpers.
from ._decoding import logsumexp, sample, topk_softmax  # noqa: F401
from ._threads import get_num_threads, set_num_threads, threads
from .typing import Algorithm, FloatArray  # issue 18: typed signatures
from ._fused import fused_rowwise as _fused_rowwise

__version__: str = _core.__version__


# ---- framework adapters (issue 18) ------------------------------------------
# fastsoftmax.torch and fastsoftmax.jax import their framework, so
# `import fastsoftmax` never imports them: they load on first access
# (`fastsoftmax.torch.softmax`) or with `import fastsoftmax.torch`.
_ADAPTERS = ("torch", "jax", "scipy")  # scipy: SciPy's signatures, imports no SciPy


def __getattr__(name: str) -> Any:
    if name in _ADAPTERS:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
# ---- end of framework adapters ----------------------------------------------

__all__ = [
    "softmax",
    "log_softmax",
    "isa",
    "detected_isa",
    "available_isas",
    "set_isa",
    "use_isa",
    "get_num_threads",
    "set_num_threads",
    "threads",
    "get_include",
    "STATE_DTYPE", "softmax_state", "merge_states", "softmax_from_state",
    "log_softmax_from_state", "logsumexp_from_state", "logsumexp", "linear_cross_entropy",
    "sample", "topk_softmax",
    "get_library",
    "ALGORITHMS",
    "KERNELS",
    "__version__",
] + _training_all

#: The algorithm names accepted by ``algorithm=``.
ALGORITHMS: Tuple[str, ...] = tuple(_core.algorithms)

#: The microkernels every ISA table provides (the kernel enumerator).
KERNELS: Tuple[str, ...] = tuple(_core.kernels)

#: The training microkernels (FSM_TRAINING_KERNEL_LIST).
TRAINING_KERNELS: Tuple[str, ...] = tuple(_core.training_kernels)


def _algorithm_code(algorithm) -> int:
    if not isinstance(algorithm, str) or algorithm not in _core.algorithms:
        raise ValueError(f"algorithm must be one of {', '.join(ALGORITHMS)}; got {algorithm!r}")
    return _core.algorithms[algorithm]


# ---- fused options (docs/fused.md): any option given takes _fused's path
_FUSED_DEFAULTS = dict(scale=None, temperature=None, softcap=None, mask=None, causal=False,
                       causal_offset=0, alibi_slopes=None, sink=None, masked_rows="nan",
                       return_lse=False)


def _fused_requested(options: dict) -> bool:
    for name, default in _FUSED_DEFAULTS.items():
        v = options[name]
        if v is not default and not (type(v) is type(default) and v == default):
            return True
    return False


def _rowwise(x, axis, out, algorithm, log: bool, options: Optional[dict] = None) -> np.ndarray:
    if options is not None and _fused_requested(options):
        return _fused_rowwise(x, axis, out, _algorithm_code(algorithm), log, **options)
    # The common call (C-contiguous float32/float64/float16/bfloat16 rows
    # over the last axis, out None or of x's dtype) is checked and run in
    # C++; anything else returns None and takes the general path below,
    # which also reports every error (an axis beyond 2**63 too: the C++
    # side takes it as an object and declines).
    if type(x) is np.ndarray and type(axis) is int and type(algorithm) is str:
        code = _core.algorithms.get(algorithm)
        if code is not None:
            result = _core.try_rowwise_contiguous(x, axis, out, code, log)
            if result is not None:
                return result

    x = _as_float_or_half_array(x, "x")
    code = _algorithm_code(algorithm)
    kind = _half_kind(x.dtype)
    if kind is not None:
        return _rowwise_half(x, axis, out, code, log, kind)
    return _over_axis((x,), axis, out,
                      lambda xs, om, ax: _core.axiswise(xs[0], om, ax, code, log),
                      lambda moved, om: _core.rowwise(moved[0], om, code, log))


def _rowwise_half(x, axis, out, code: int, log: bool, kind: str) -> np.ndarray:
    """float16 / bfloat16 rows: computed in float32 by the C library on the
    arrays' uint16 views (along a non-last axis by the axis kernels, no
    transpose); an ``out`` of another float dtype receives the
    half-precision result converted (NumPy's same_kind rule)."""
    def call(moved, om):
        return _core.rowwise_half(moved[0].view(np.uint16), om.view(np.uint16), code, log,
                                  kind == "bf16")

    return _over_axis_half((x,), axis, out,
                           lambda xs, om, ax, half: _core.axiswise(xs[0], om, ax, code, log, half),
                           call)


def softmax(x: ArrayLike, axis: SupportsIndex = -1, *, out: Optional[NDArray[Any]] = None,
            algorithm: Algorithm = "auto", scale: Optional[float] = None, temperature: Optional[float] = None,
            softcap: Optional[float] = None, mask: Optional[ArrayLike] = None,
            causal: bool = False, causal_offset: int = 0, alibi_slopes: Optional[ArrayLike] = None,
            sink: Optional[ArrayLike] = None, masked_rows: str = "nan",
            return_lse: bool = False) -> Any:
    """Softmax along an axis: ``exp(x - max) / sum(exp(x - max))``.

    Parameters
    ----------
    x : array_like
        Input of dtype float32 or float64, or float16 / ``ml_dtypes.bfloat16``
        (computed in float32, the result rounded once to x's dtype; with
        every fused option too); other dtypes raise ``TypeError``, nothing
        is converted silently. Any shape; a 0-d input is treated as one
        element.
    axis : int, optional
        The axis to normalise over (default -1, the last).
    out : numpy.ndarray, optional
        Where to write the result: the shape of ``x``, writeable, of the
        dtype of ``x`` or any dtype NumPy's ``same_kind`` rule casts it to
        (float32 into float64, as ``np.exp(x, out=...)`` does: computed in
        ``x``'s dtype, then cast). ``out=x`` computes in place.
    algorithm : {"auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online"}
        ``"auto"`` picks per row length from measured crossovers. All give
        the same result to within the documented bound. ``"two_pass"`` is
        Dukhan & Ablavatski's (mantissa, exponent) sums; ``"online"`` the
        online normaliser over cache-sized blocks: both read ``x`` from
        memory twice and write the result once.
    scale, temperature : float, optional
        Multiply the logits by ``scale`` (e.g. ``1/sqrt(d)`` for attention)
        or divide them by ``temperature`` (decoding) before everything
        else; finite and > 0; give at most one.
    softcap : float, optional
        Soft-cap the scaled logits: ``z = softcap * tanh(z / softcap)``
        (Gemma 2); finite and > 0.
    mask : array_like, optional
        Broadcastable to ``x``'s shape (e.g. ``(L, L)`` against
        ``(B, H, L, L)``). A float mask is added to the logits (``-inf``
        removes an entry); a bool mask keeps the entries where it is True
        (like ``attn_mask`` of torch's ``scaled_dot_product_attention``).
    causal : bool, optional
        Remove the columns ``j > i + causal_offset``, ``i`` the index along
        the axis before the last (the queries); those columns are not
        computed at all. Needs ``axis=-1``.
    causal_offset : int, optional
        The first query's position among the keys: ``Lk - Lq`` for ``Lq``
        new queries against a KV cache of ``Lk`` keys (default 0).
    alibi_slopes : array_like, optional
        ALiBi: adds ``slope * (j - i - causal_offset)``, one slope per
        leading index (broadcastable to ``x.shape[:-2]``, e.g. ``(H,)``
        per head). Needs ``axis=-1``.
    sink : array_like, optional
        Attention-sink logits, broadcastable to ``x``'s shape with the
        softmax axis of length 1 (e.g. ``(H, 1, 1)`` per head): an extra
        column that joins the max and the normaliser but is not output,
        so a row sums to less than 1. Not scaled or masked.
    masked_rows : {"nan", "zero"}
        Rows whose every entry is masked (and have no sink): NaN like torch
        (default), or 0 (softmax) / ``-inf`` (log-softmax).
    return_lse : bool, optional
        Also return the per-row log-sum-exp of the transformed logits and
        the sink (shape ``x.shape`` without ``axis``; ``-inf`` for fully
        masked rows), the state flash-attention style code keeps.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        ``out`` if given, else a new array of the dtype and shape of ``x``;
        with ``return_lse=True`` the pair ``(y, lse)``.

    Raises
    ------
    TypeError
        ``x`` has an unsupported dtype, ``out`` is not an array or has a
        dtype the result does not cast to under ``same_kind`` (an integer).
    ValueError
        Unknown ``algorithm``, ``axis`` out of range, ``out`` of the wrong
        shape or read-only.
        An option out of range (``scale``/``temperature``/``softcap`` not
        finite and > 0 or given both, NaN in ``mask``/``sink``/
        ``alibi_slopes``, an operand that does not broadcast, ``causal``
        or ``alibi_slopes`` with another axis, unknown ``masked_rows``);
        a non-bool, non-float ``mask`` or a non-float ``sink`` is a
        ``TypeError``.
    RuntimeError
        ``FASTSOFTMAX_ISA`` names an ISA that is unknown or not supported.

    Notes
    -----
    Along a non-last ``axis`` (axis 0 of a matrix, the classes of an NCHW
    tensor) the kernels hold independent columns in their SIMD lanes and
    walk the axis in place: no transpose, no copy, for any array whose
    dimensions after ``axis`` form one contiguous run and whose dimensions
    before it one evenly strided dimension (negative strides included);
    other views are first copied to a C-contiguous array (and ``out``, if it
    is such a view, filled from a temporary). Along the last axis, rows
    that are not evenly strided are copied to a contiguous buffer first.
    Along a non-last axis ``"three_pass_recompute"`` recomputes the exps,
    ``"three_pass_reload"`` stores them, and ``"online"`` takes each
    column's max and sum in one sweep of cache-sized blocks of rows, then
    writes the output in one more (x read twice, y written once: what
    ``"auto"`` and ``"two_pass"`` pick when the axis is too long for the
    three-pass forms' tiles to stay in the last-level cache).

    A NaN in a row makes the whole row NaN; a row containing ``+inf``, or
    whose entries are all ``-inf``, is NaN too (as ``exp(x - max) / sum``
    gives in float64); a ``-inf`` entry among finite ones gives exactly 0.
    float32 accuracy: see the README's table (relative error within about
    ``2**-24 * (|x - max| + 8)`` of the float64 result, outputs below
    FLT_MIN may be flushed to 0). float64 uses portable C with libm's exp.
    The GIL is released during the computation of arrays of 16384
    elements or more (for smaller ones, releasing it costs more than the
    call computes).

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> fastsoftmax.softmax(np.zeros((2, 4), np.float32), axis=0)[:, 0]
    array([0.5, 0.5], dtype=float32)
    >>> fastsoftmax.softmax([[1.0, 1.0], [0.0, np.log(3.0)]])   # each row sums to 1
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    return _rowwise(x, axis, out, algorithm, False, dict(
        scale=scale, temperature=temperature, softcap=softcap, mask=mask, causal=causal,
        causal_offset=causal_offset, alibi_slopes=alibi_slopes, sink=sink,
        masked_rows=masked_rows, return_lse=return_lse))


def log_softmax(x: ArrayLike, axis: SupportsIndex = -1, *, out: Optional[NDArray[Any]] = None,
                algorithm: Algorithm = "auto", scale: Optional[float] = None, temperature: Optional[float] = None,
                softcap: Optional[float] = None, mask: Optional[ArrayLike] = None,
                causal: bool = False, causal_offset: int = 0, alibi_slopes: Optional[ArrayLike] = None,
                sink: Optional[ArrayLike] = None, masked_rows: str = "nan",
                return_lse: bool = False) -> Any:
    """Log-softmax along an axis: ``(x - max) - log(sum(exp(x - max)))``.

    Computed directly (never as ``log(softmax(x))``), so tiny probabilities
    keep their logarithm instead of becoming ``-inf``.

    Parameters
    ----------
    x : array_like
        Input of dtype float32 or float64, or float16 / ``ml_dtypes.bfloat16``
        (as for :func:`softmax`).
    axis : int, optional
        The axis to normalise over (default -1).
    out : numpy.ndarray, optional
        Where to write the result (shape of ``x``, writeable; ``x``'s dtype
        or a ``same_kind`` cast of it, as for :func:`softmax`); ``out=x``
        works in place.
    algorithm : {"auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online"}
        For log-softmax both three-pass variants are the same computation
        (max, sum of exp, subtract); ``"two_pass"`` skips the max pass;
        ``"online"`` takes the max and the sum in one read from memory.
    scale, temperature, softcap, mask, causal, causal_offset, alibi_slopes, sink, masked_rows, return_lse
        The fused options of :func:`softmax`, applied in the same order.

    Returns
    -------
    numpy.ndarray or (numpy.ndarray, numpy.ndarray)
        ``out`` if given, else a new array like ``x``; with
        ``return_lse=True`` the pair ``(y, lse)``.

    Raises
    ------
    TypeError, ValueError, RuntimeError
        As for :func:`softmax`.

    Notes
    -----
    Special values follow :func:`softmax`: NaN rows, ``+inf`` and all
    ``-inf`` rows give NaN; a ``-inf`` entry gives ``-inf``. float32 absolute
    error is within about ``2**-23 * (|result| + 1)``.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> fastsoftmax.log_softmax(np.array([1000.0, 0.0]))   # log(softmax) would give -inf
    array([    0., -1000.])
    """
    return _rowwise(x, axis, out, algorithm, True, dict(
        scale=scale, temperature=temperature, softcap=softcap, mask=mask, causal=causal,
        causal_offset=causal_offset, alibi_slopes=alibi_slopes, sink=sink,
        masked_rows=masked_rows, return_lse=return_lse))


def isa() -> str:
    """The instruction set the calling thread's next call will use: "scalar",
    "avx2", "avx512", "avx512_bf16" or "neon" (its :func:`use_isa` override
    if any, else the process-wide one)."""
    return _core.isa()


def detected_isa() -> str:
    """The best instruction set this CPU, OS and build support."""
    return _core.detected_isa()


def available_isas() -> Tuple[str, ...]:
    """Every instruction set that can be forced here, lowest first."""
    return _core.available_isas()


def _isa_name(name) -> str:
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    if "\0" in name:
        raise ValueError(f"ISA name must not contain NUL characters; got {name!r}")
    return name


def set_isa(name: str) -> None:
    """Force an instruction set for the whole process ("auto" restores detection).

    Threads inside a :func:`use_isa` block keep their own instruction set;
    every other thread uses this one.

    Raises
    ------
    TypeError
        ``name`` is not a str.
    ValueError
        ``name`` is unknown, contains a NUL character, or this CPU or build
        lacks it: forcing can only lower the ISA.
    """
    _core.set_isa(_isa_name(name))


@contextlib.contextmanager
def use_isa(name: str) -> Iterator[str]:
    """Context manager forcing an instruction set in the calling thread, for
    tests and benchmarks.

    The setting is per thread (``fsm_set_thread_isa``): other threads keep
    theirs, so overlapping blocks in several threads never leak into each
    other or into the process-wide setting (:func:`set_isa`), which the
    thread follows again on exit (or the enclosing block's ISA, when
    nested). Inside the block it takes precedence over :func:`set_isa` and
    ``FASTSOFTMAX_ISA``. Per OS thread, not per asyncio task.

    Yields
    ------
    str
        The instruction set now active in this thread.

    Raises
    ------
    TypeError, ValueError
        As for :func:`set_isa`; nothing changes then.

    Examples
    --------
    >>> import numpy as np, fastsoftmax
    >>> x = np.linspace(-3, 3, 1000, dtype=np.float32)
    >>> with fastsoftmax.use_isa("scalar") as active:
    ...     y = fastsoftmax.softmax(x)
    >>> active
    'scalar'
    >>> bool(np.allclose(y, fastsoftmax.softmax(x), rtol=1e-6))   # every ISA agrees
    True
    """
    name = _isa_name(name)
    previous = _core.thread_isa()
    _core.set_thread_isa(name)
    try:
        yield isa()
    finally:
        _core.set_thread_isa(previous)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def get_include() -> str:
    """Directory holding ``fastsoftmax.h``, the C header bundled in the package.

    Like ``numpy.get_include()``: pass it to the compiler as ``-I`` to build
    native code (C, C++, Cython, cffi) against the shared library returned
    by :func:`get_library`.

    Returns
    -------
    str
        Absolute path of ``<site-packages>/fastsoftmax/include``.

    Raises
    ------
    FileNotFoundError
        The header is not there (a source tree rather than an installed
        wheel).

    See Also
    --------
    get_library : the shared library to link.

    Examples
    --------
    >>> import os, fastsoftmax
    >>> os.path.isfile(os.path.join(fastsoftmax.get_include(), "fastsoftmax.h"))
    True
    """
    path = os.path.join(_PACKAGE_DIR, "include")
    if not os.path.isfile(os.path.join(path, "fastsoftmax.h")):
        raise FileNotFoundError(f"fastsoftmax.h is not bundled in {_PACKAGE_DIR}"
                                " (install the package with pip to get it)")
    return path


def get_library() -> str:
    """Path of the C shared library bundled in the package.

    The same ``libfastsoftmax`` (same public ``fsm_*`` API and version) that
    ``cmake --install`` provides, as one file named after its SONAME (e.g.
    ``libfastsoftmax.so.0.1``). Link it by this path and add an rpath to its
    directory (``python -m fastsoftmax --libs`` prints both), or load it
    with ``ctypes.CDLL`` / ``cffi.FFI().dlopen``.

    Returns
    -------
    str
        Absolute path of the library file in ``<site-packages>/fastsoftmax/lib``.

    Raises
    ------
    FileNotFoundError
        No library is bundled (a source tree rather than an installed wheel).

    See Also
    --------
    get_include : the directory of the matching header.

    Examples
    --------
    >>> import ctypes, fastsoftmax
    >>> lib = ctypes.CDLL(fastsoftmax.get_library())
    >>> lib.fsm_version.restype = ctypes.c_char_p
    >>> lib.fsm_version().decode() == fastsoftmax.__version__
    True
    """
    libdir = os.path.join(_PACKAGE_DIR, "lib")
    try:
        names = sorted(os.listdir(libdir))
    except FileNotFoundError:
        names = []
    for name in names:
        stem = name.split(".")[0]
        if stem in ("libfastsoftmax", "fastsoftmax") and (
            ".so" in name or name.endswith((".dylib", ".dll"))
        ):
            return os.path.join(libdir, name)
    raise FileNotFoundError(f"libfastsoftmax is not bundled in {libdir}"
                            " (install the package with pip to get it)")

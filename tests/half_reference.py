"""Independent NumPy references for the half-precision storage types.

float16 goes through NumPy's own conversion (``astype(np.float16)``, round
to nearest even). bfloat16 is done here on the bits, so the tests do not
need ml_dtypes: the top 16 bits of a float32, rounded to nearest even, a
NaN made quiet. Distances are counted in units in the last place of the
storage type along the ordered line of 16-bit patterns (so -0 and +0 are
0 apart, and crossing zero counts the subnormal steps on both sides).
"""
from __future__ import annotations

import numpy as np
import pytest


def bf16_bits_from_f32(a) -> np.ndarray:
    """float32 -> bfloat16 bits, round to nearest even, NaN kept (quiet)."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16) & 0xFFFF
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    return np.where(nan, (u >> 16) | 0x40, rounded).astype(np.uint16)


def bf16_bits_to_f32(bits) -> np.ndarray:
    return (np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def half_bits_from_f32(a, kind: str) -> np.ndarray:
    """float32 -> the storage type's bits ('f16' or 'bf16')."""
    if kind == "f16":
        return np.asarray(a, dtype=np.float32).astype(np.float16).view(np.uint16)
    return bf16_bits_from_f32(a)


def half_bits_to_f32(bits, kind: str) -> np.ndarray:
    if kind == "f16":
        return np.asarray(bits, dtype=np.uint16).view(np.float16).astype(np.float32)
    return bf16_bits_to_f32(bits)


def _ordered(bits, kind: str) -> np.ndarray:
    b = np.asarray(bits, dtype=np.uint16).astype(np.int64)
    mag = b & 0x7FFF
    return np.where(b & 0x8000, -mag, mag)


def half_ulp_distance(a_bits, b_bits, kind: str) -> np.ndarray:
    """|a - b| in ulps of the storage type; 0 where both are NaN, a huge
    number where only one is."""
    fa, fb = half_bits_to_f32(a_bits, kind), half_bits_to_f32(b_bits, kind)
    d = np.abs(_ordered(a_bits, kind) - _ordered(b_bits, kind))
    both_nan = np.isnan(fa) & np.isnan(fb)
    one_nan = np.isnan(fa) ^ np.isnan(fb)
    return np.where(both_nan, 0, np.where(one_nan, 1 << 20, d))


def half_dtype(kind: str) -> np.dtype:
    """The NumPy dtype of 'f16' or 'bf16' (ml_dtypes.bfloat16, imported here
    only; the calling test skips without it)."""
    if kind == "f16":
        return np.dtype(np.float16)
    try:
        import ml_dtypes
    except ImportError:
        pytest.skip("ml_dtypes is not installed (pip install fastsoftmax[half])")
    return np.dtype(ml_dtypes.bfloat16)


def half_ulp(v, kind: str) -> np.ndarray:
    """The storage type's spacing at |v| (the subnormal spacing below the
    smallest normal)."""
    mant, emin = (10, -14) if kind == "f16" else (7, -126)
    e = np.floor(np.log2(np.maximum(np.abs(np.nan_to_num(v)), 2.0 ** emin)))
    return 2.0 ** (e - mant)


def check_half_softmax(x, kind: str, axis=-1, algorithm="auto", what=""):
    """softmax and log_softmax of half x (the library's): dtype kept, each
    output within 1 ulp of the float32 function's result on the exactly
    widened input, rounded to the storage type."""
    import fastsoftmax

    xw = x.astype(np.float32)
    for fn in (fastsoftmax.softmax, fastsoftmax.log_softmax):
        y = fn(x, axis=axis, algorithm=algorithm)
        assert y.dtype == x.dtype and y.shape == x.shape
        ref = half_bits_from_f32(fn(xw, axis=axis, algorithm=algorithm), kind)
        d = half_ulp_distance(np.ascontiguousarray(y).view(np.uint16), ref, kind)
        assert d.max(initial=0) <= 1, f"{fn.__name__} {kind} {what} axis {axis}: {int(d.max())} ulp"

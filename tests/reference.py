"""Independent float64 NumPy references and the documented error bounds
(MATH.md §10). References are computed from exactly the float32 values the
kernels saw, never in float32."""

from __future__ import annotations

import numpy as np

EPS32 = 2.0 ** -24  # unit roundoff of float32
EPS64 = 2.0 ** -53
TINY32 = float(np.finfo(np.float32).tiny)


def softmax64(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        m = x.max(axis=axis, keepdims=True, initial=-np.inf)
        e = np.exp(x - m)
        return e / e.sum(axis=axis, keepdims=True)


def log_softmax64(x: np.ndarray, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        m = x.max(axis=axis, keepdims=True, initial=-np.inf)
        s = np.exp(x - m).sum(axis=axis, keepdims=True)
        return (x - m) - np.log(s)


# ---- documented bounds (README "Accuracy"); keep the two in sync --------

#: softmax, float32: |y - p| <= SOFTMAX_F32_ULPS * eps * p  +  eps * |x - max| * p
#: (the second term is the rounding of x - max, which every three-pass
#: softmax in float32 pays), plus TINY32 absolute (outputs may flush to 0).
SOFTMAX_F32_ULPS = 8.0
#: log-softmax, float32: |z - z_ref| <= LOG_F32_ULPS * eps * (|z_ref| + log(cols) + 1)
LOG_F32_ULPS = 4.0


def softmax_tolerance(x: np.ndarray, ref: np.ndarray, dtype, axis: int = -1) -> np.ndarray:
    x64 = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        spread = np.abs(x64 - x64.max(axis=axis, keepdims=True, initial=-np.inf))
    spread = np.where(np.isfinite(spread), spread, 0.0)
    if np.dtype(dtype) == np.float32:
        return (SOFTMAX_F32_ULPS + spread) * EPS32 * np.abs(ref) + TINY32
    return (64.0 + spread) * EPS64 * np.abs(ref) + 1e-300


def log_softmax_tolerance(x: np.ndarray, ref: np.ndarray, dtype, axis: int = -1) -> np.ndarray:
    cols = max(np.asarray(x).shape[axis] if np.ndim(x) else 1, 1)
    scale = np.abs(np.where(np.isfinite(ref), ref, 0.0)) + np.log(cols) + 1.0
    if np.dtype(dtype) == np.float32:
        return LOG_F32_ULPS * EPS32 * scale
    return 64.0 * EPS64 * scale


def assert_close(got: np.ndarray, ref: np.ndarray, tol: np.ndarray, what: str) -> None:
    """Elementwise |got - ref| <= tol, with NaN and infinities matching exactly."""
    out_dtype = np.asarray(got).dtype
    got = np.asarray(got, dtype=np.float64)
    # a value beyond the output type's range is correctly rounded to +-inf
    with np.errstate(over="ignore"):
        ref = ref.astype(out_dtype).astype(np.float64) if out_dtype != np.float64 else ref
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    nan_ref = np.isnan(ref)
    assert np.array_equal(np.isnan(got), nan_ref), f"{what}: NaN pattern differs"
    inf_ref = np.isinf(ref)
    assert np.array_equal(got[inf_ref], ref[inf_ref]), f"{what}: infinities differ"
    ok = ~(nan_ref | inf_ref)
    err = np.abs(got[ok] - ref[ok])
    bad = err > np.broadcast_to(tol, ref.shape)[ok]
    if bad.any():
        i = int(np.argmax(err - np.broadcast_to(tol, ref.shape)[ok]))
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {err.size} outside the bound; worst got "
            f"{got[ok][i]!r} ref {ref[ok][i]!r} err {err[i]:.3g} tol "
            f"{np.broadcast_to(tol, ref.shape)[ok][i]:.3g}"
        )

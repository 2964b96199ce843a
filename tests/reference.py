"""Independent float64 NumPy references and the documented error bounds
(docs/math.md#verification). References are computed from exactly the float32 values the
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
    # float64: the reference rounds x - max in float64 too, so its own error
    # (up to spread * EPS64) adds to ours; an algorithm that shifts by
    # another value (a block's max, a power of two) rounds differently.
    return (64.0 + 2.0 * spread) * EPS64 * np.abs(ref) + 1e-300


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


# ---- training references (docs/math.md): float64 closed forms ----

def _f64(a):
    return np.asarray(a, dtype=np.float64)


def softmax_backward64(y, dy, axis=-1):
    y, dy = _f64(y), _f64(dy)
    return y * (dy - (dy * y).sum(axis=axis, keepdims=True))


def log_softmax_backward64(z, dz, axis=-1):
    z, dz = _f64(z), _f64(dz)
    with np.errstate(all="ignore"):
        return dz - np.exp(z) * dz.sum(axis=axis, keepdims=True)


def onehot64(c, cols):
    """(rows, cols) one-hot rows; targets outside [0, cols) give a zero row."""
    c = np.asarray(c).reshape(-1)
    out = np.zeros((c.size, cols))
    ok = (c >= 0) & (c < cols)
    out[np.nonzero(ok)[0], c[ok]] = 1.0
    return out


def _weighted_nll64(x2, t):
    """sum_i t_i * -log_softmax(x)_i per row: each term is formed from
    x_i - max, so the loss has no difference of terms of the size of x
    (t * lse - t . x cancels for rows far from 0). Entries with t_i = 0
    contribute 0 even where log_softmax is -inf."""
    with np.errstate(all="ignore"):
        return np.where(t == 0, 0.0, -t * log_softmax64(x2)).sum(axis=1)


def _softmax_ld(x2):
    """softmax in long double (64-bit significand on x86-64), for references
    of float64 results whose bound is a few units of 2^-53."""
    x = np.asarray(x2, dtype=np.longdouble)
    with np.errstate(all="ignore"):
        m = x.max(axis=-1, keepdims=True, initial=-np.inf)
        e = np.exp(x - m)
        return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_rows64(x2, c, alpha=0.0, ignore_index=-100):
    """Per-row loss and gradient (unscaled) of integer-target CE, 2-D x. The
    gradient p - t is formed in long double and rounded once: the float64
    bound (GRAD_F64_ULPS) is a few units of 2^-53 of p + t, about what a
    float64 reference errs by itself."""
    x2 = _f64(x2)
    cols = x2.shape[1]
    with np.errstate(all="ignore"):
        t = (1 - alpha) * onehot64(c, cols) + alpha / max(cols, 1)
        loss = _weighted_nll64(x2, t)
        t_ld = (1 - np.longdouble(alpha)) * onehot64(c, cols).astype(np.longdouble) + \
            np.longdouble(alpha) / max(cols, 1)
        grad = (_softmax_ld(x2) - t_ld).astype(np.float64)
    ign = np.asarray(c).reshape(-1) == ignore_index
    loss = np.where(ign, 0.0, loss)
    grad[ign] = 0.0
    return loss, grad


def soft_cross_entropy_rows64(x2, t2, alpha=0.0):
    x2, t2 = _f64(x2), _f64(t2)
    cols = x2.shape[1]
    with np.errstate(all="ignore"):
        tt = (1 - alpha) * t2 + alpha / cols
        st = tt.sum(axis=1, keepdims=True)
        loss = _weighted_nll64(x2, tt)
        grad = st * softmax64(x2) - tt
    return loss, grad


# the normalised maps: g, g' (docs/math.md#normalised-kernels)
def g_spherical(x, eps):
    return x * x + eps, 2 * x


def g_taylor(x):
    return 1 + x + 0.5 * x * x, 1 + x


def g_stable(x):
    with np.errstate(all="ignore"):
        s = np.where(x >= 0, x + 1, 1 / (1 - np.minimum(x, 0)))
        ds = np.where(x >= 0, 1.0, s * s)
    return s, ds


def log_g_stable(x):
    with np.errstate(all="ignore"):
        return np.where(x >= 0, np.log1p(np.maximum(x, 0)), -np.log1p(-np.minimum(x, 0)))


def g_dg_logg(kind, x, eps=0.0):
    """g, g' and log g of the normalised map `kind` (docs/math.md#normalised-kernels)."""
    with np.errstate(all="ignore"):
        if kind == "spherical":
            g, dg = g_spherical(x, eps)
            return g, dg, np.log(g)
        if kind == "taylor":
            g, dg = g_taylor(x)
            return g, dg, np.log(g)
        g, dg = g_stable(x)
        return g, dg, log_g_stable(x)


def normalised64(kind, x, axis=-1, eps=0.0, log=False):
    x = _f64(x)
    with np.errstate(all="ignore"):
        g, _, lg = g_dg_logg(kind, x, eps)
        G = g.sum(axis=axis, keepdims=True)
        return lg - np.log(G) if log else g / G


def normalised_loss_rows64(kind, x2, c, eps=0.0, ignore_index=-100):
    """L = log G - log g(x_c) and its gradient g'(x)/G - onehot g'(x_c)/g(x_c)."""
    x2 = _f64(x2)
    cols = x2.shape[1]
    oh = onehot64(c, cols)
    with np.errstate(all="ignore"):
        g, dg, lg = g_dg_logg(kind, x2, eps)
        G = g.sum(axis=1, keepdims=True)
        # x_c's terms with take_along_axis (a one-hot product would turn an
        # infinite non-target log g into 0 * inf = NaN)
        ci = np.clip(np.asarray(c).reshape(-1, 1), 0, max(cols - 1, 0))
        lg_c = np.take_along_axis(lg, ci, axis=1)[:, 0] if cols else np.zeros(len(ci))
        loss = np.log(G[:, 0]) - lg_c
        grad = dg / G
        if cols:
            r = np.arange(len(ci))
            grad[r, ci[:, 0]] -= (dg / g)[r, ci[:, 0]]
    ign = np.asarray(c).reshape(-1) == ignore_index
    loss = np.where(ign, 0.0, loss)
    grad[ign] = 0.0
    return loss, grad


def softplus64(t):
    return np.logaddexp(0.0, t)


def sigmoid64(t):
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(t))
        return np.where(t >= 0, 1 / (1 + e), e / (1 + e))


def z_loss_rows64(x2, c, a=1.0, b=0.0, eps_z=0.0, ignore_index=-100):
    """docs/math.md#z-loss with the two-pass variance; var + eps_z == 0 -> z_c = 0,
    gradient 0 (the documented fixed point)."""
    x2 = _f64(x2)
    D = x2.shape[1]
    oh = onehot64(c, D)
    mu = x2.mean(axis=1, keepdims=True)
    var = ((x2 - mu) ** 2).mean(axis=1, keepdims=True)
    sigma = np.sqrt(var + eps_z)
    safe = np.where(sigma > 0, sigma, 1.0)
    z = (x2 - mu) / safe
    zc = (oh * z).sum(axis=1, keepdims=True)
    t = a * (b - zc)
    loss = softplus64(t)[:, 0] / a
    rho = sigmoid64(t)
    grad = -(rho / safe) * (oh - (1 + zc * z) / D)
    grad = np.where(sigma > 0, grad, 0.0)
    ign = np.asarray(c).reshape(-1) == ignore_index
    loss = np.where(ign, 0.0, loss)
    grad[ign] = 0.0
    return loss, grad


def fd_grad4(f, x, h_rel=1e-3, h_fn=None):
    """4th-order central differences of a scalar f at x (float64), docs/math.md#verification."""
    x = _f64(x).copy()
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        h = h_fn(flat[i]) if h_fn else h_rel * max(1.0, abs(flat[i]))
        v = flat[i]
        vals = []
        for d in (h, -h, 2 * h, -2 * h):
            flat[i] = v + d
            vals.append(f(x))
        flat[i] = v
        gflat[i] = (8 * (vals[0] - vals[1]) - (vals[2] - vals[3])) / (12 * h)
    return g


# ---- documented training bounds (docs/training.md); keep in sync ----------

#: gradients of the softmax family, float32: (GRAD_F32_ULPS + |x - max|) u (p + t) + TINY
GRAD_F32_ULPS = 8.0
#: cross-entropy gradient, float64: (GRAD_F64_ULPS + |x - max|) u64 (p + t) scale, an
#: absolute bound (at most 2 (GRAD_F64_ULPS + |x - max|) u64 scale): where p and t are
#: close, p - t cancels and the error relative to the gradient itself is unbounded
#: (issue 19, defect 6). Measured: 5 u64.
GRAD_F64_ULPS = 8.0
#: losses, float32: LOSS_F32_REL * (|L| + 1) absolute
LOSS_F32_REL = 4e-7
#: affine (spherical-family) gradients: AFFINE_F32_ULPS u (|2 f_q (x - K)| + |f_s| + |g|)
AFFINE_F32_ULPS = 8.0


def loss_tolerance(ref, dtype, xscale=0.0):
    """xscale: max |x| of the row (float64 only: the loss is a difference of
    terms of that size, so its rounding is relative to it)."""
    ref = np.where(np.isfinite(ref), np.abs(ref), 0.0)
    if np.dtype(dtype) == np.float32:
        return LOSS_F32_REL * (ref + 1.0)
    xscale = np.where(np.isfinite(xscale), xscale, 0.0)
    return 64 * EPS64 * (ref + 1.0 + xscale)


def ce_grad_tolerance(x2, p, t, scale, dtype):
    x2 = _f64(x2)
    with np.errstate(all="ignore"):
        spread = np.abs(x2 - x2.max(axis=1, keepdims=True, initial=-np.inf))
    spread = np.where(np.isfinite(spread), spread, 0.0)
    mag = (np.abs(np.nan_to_num(p)) + np.abs(t)) * abs(scale)
    if np.dtype(dtype) == np.float32:
        return (GRAD_F32_ULPS + spread) * EPS32 * mag + TINY32
    return (GRAD_F64_ULPS + spread) * EPS64 * mag + 1e-300


# ---------------------------------------------------------------- test data

def unaligned(a):
    """A writeable copy of ``a`` whose data sits one byte past an aligned
    address (NumPy flags it unaligned)."""
    a = np.asarray(a)
    buf = np.zeros(a.nbytes + a.itemsize, np.uint8)
    u = buf[1:1 + a.nbytes].view(a.dtype).reshape(a.shape)
    u[...] = a
    assert not u.flags.aligned
    return u

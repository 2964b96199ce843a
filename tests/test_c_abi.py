"""The shared library through its C ABI only: cffi in ABI mode dlopens the
libfastsoftmax bundled in the package (fastsoftmax.get_library()), with
declarations taken from the bundled public header, and calls every public
function: results against float64 NumPy references, and every documented
error path (which must return its status code, write nothing and never
crash)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from native import installed_header, preprocessed_header, public_functions
from reference import (
    assert_close,
    log_softmax64,
    log_softmax_tolerance,
    softmax64,
    softmax_tolerance,
)

cffi = pytest.importorskip("cffi")

SIZE_MAX = 2 ** (8 * np.dtype(np.uintp).itemsize) - 1

STATUS = {
    "FSM_OK": 0,
    "FSM_INVALID_ARGUMENT": 1,
    "FSM_NULL_POINTER": 2,
    "FSM_INVALID_STRIDE": 3,
    "FSM_UNKNOWN_ALGORITHM": 4,
    "FSM_UNKNOWN_ISA": 5,
    "FSM_UNSUPPORTED_ISA": 6,
    "FSM_SIZE_OVERFLOW": 7,
    "FSM_TARGET_OUT_OF_RANGE": 8,
    "FSM_OUT_OF_MEMORY": 9,
}
ALGORITHMS = {"auto": 0, "three_pass_reload": 1, "three_pass_recompute": 2, "two_pass": 3,
              "online": 4}
ISAS = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3, "neon": 4, "avx512_bf16": 5}

FUNCS = ["fsm_softmax_f32", "fsm_log_softmax_f32", "fsm_softmax_f64", "fsm_log_softmax_f64"]
CTYPE = {np.float32: "float", np.float64: "double", np.uint16: "uint16_t"}  # uint16: half bits


@pytest.fixture(scope="module")
def api():
    ffi = cffi.FFI()
    ffi.cdef(preprocessed_header(installed_header()))
    lib = ffi.dlopen(fastsoftmax.get_library())
    yield ffi, lib
    lib.fsm_set_isa(0)


@pytest.fixture
def ffi(api):
    return api[0]


@pytest.fixture
def lib(api):
    return api[1]


def compute_function(lib, dtype, log: bool):
    return {
        (np.float32, False): lib.fsm_softmax_f32,
        (np.float32, True): lib.fsm_log_softmax_f32,
        (np.float64, False): lib.fsm_softmax_f64,
        (np.float64, True): lib.fsm_log_softmax_f64,
    }[(dtype, log)]


def ptr(ffi, arr: np.ndarray):
    """Pointer to arr's first element (arr may be a strided view; keep arr alive)."""
    return ffi.cast(CTYPE[arr.dtype.type] + " *", arr.ctypes.data)


def test_every_public_function_is_called_here():
    """Each function the header declares is used as lib.<name> in this file."""
    with open(__file__) as f:
        called = set(re.findall(r"\blib\.(fsm_\w+)\b", f.read()))
    assert called == public_functions(installed_header())


def test_enum_values_match_header(lib):
    """The values these tests use are the header's (enum constants are
    attributes of the dlopen()ed library in ABI mode)."""
    for name, value in STATUS.items():
        assert getattr(lib, name) == value
    for name, value in ALGORITHMS.items():
        assert getattr(lib, "FSM_ALGORITHM_" + name.upper()) == value
    for name, value in ISAS.items():
        assert getattr(lib, "FSM_ISA_" + name.upper()) == value


def test_version(lib, ffi):
    assert ffi.string(lib.fsm_version()).decode() == fastsoftmax.__version__


# ---------------------------------------------------------------- results


def run(ffi, lib, dtype, log, x, y, algorithm, rows=None, cols=None, xs=None, ys=None):
    rows = x.shape[0] if rows is None else rows
    cols = x.shape[1] if cols is None else cols
    xs = x.strides[0] // x.itemsize if xs is None else xs
    ys = y.strides[0] // y.itemsize if ys is None else ys
    fn = compute_function(lib, dtype, log)
    return fn(rows, cols, ptr(ffi, x), xs, ptr(ffi, y), ys, algorithm)


def check(x, y, dtype, log):
    if log:
        ref = log_softmax64(x)
        assert_close(y, ref, log_softmax_tolerance(x, ref, dtype), "log_softmax")
    else:
        ref = softmax64(x)
        assert_close(y, ref, softmax_tolerance(x, ref, dtype), "softmax")


def supported_isas(lib):
    return [name for name, v in ISAS.items() if name != "auto" and lib.fsm_isa_supported(v)]


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("algorithm", list(ALGORITHMS))
def test_results(ffi, lib, dtype, log, algorithm):
    rng = np.random.default_rng(6)
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        assert ffi.string(lib.fsm_isa_name(lib.fsm_active_isa())).decode() == isa
        for cols in (1, 3, 8, 17, 64, 1000):
            x = (rng.standard_normal((5, cols)) * 10).astype(dtype)
            y = np.full_like(x, np.nan)
            assert run(ffi, lib, dtype, log, x, y, ALGORITHMS[algorithm]) == 0
            check(x, y, dtype, log)
    assert lib.fsm_set_isa(0) == 0


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_strided_rows_and_in_place(ffi, lib, dtype, log):
    rng = np.random.default_rng(7)
    for algorithm in ALGORITHMS.values():
        # rows 40 apart in x, 33 apart in y; the gaps must stay untouched
        xbuf = (rng.standard_normal((6, 40)) * 5).astype(dtype)
        ybuf = np.full((6, 33), -7.0, dtype)
        x, y = xbuf[:, :29], ybuf[:, :29]
        assert run(ffi, lib, dtype, log, x, y, algorithm, xs=40, ys=33) == 0
        check(x, y, dtype, log)
        assert (ybuf[:, 29:] == -7.0).all()
        # in place: y == x, same stride
        z = xbuf.copy()
        assert run(ffi, lib, dtype, log, z[:, :29], z[:, :29], algorithm, xs=40, ys=40) == 0
        check(x, z[:, :29], dtype, log)
        assert (z[:, 29:] == xbuf[:, 29:]).all()
        # a single row may have any stride, even 0
        one = np.full((1, 29), np.nan, dtype)
        assert run(ffi, lib, dtype, log, x[:1], one, algorithm, xs=0, ys=0) == 0
        check(x[:1], one, dtype, log)


# ------------------------------------------------- half precision (issue 17)


@pytest.mark.parametrize("kind", ["f16", "bf16"])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_half_functions(ffi, lib, kind, log):
    """fsm_[log_]softmax_{f16,bf16}: each output within 1 ulp of the storage
    type of the float32 function's result on the widened input, rounded by
    NumPy (independently of the library), on every ISA, algorithm and a
    range of tail lengths; strided rows, gaps untouched; error paths."""
    from half_reference import half_bits_from_f32, half_bits_to_f32, half_ulp_distance

    fn = {("f16", False): lib.fsm_softmax_f16, ("f16", True): lib.fsm_log_softmax_f16,
          ("bf16", False): lib.fsm_softmax_bf16, ("bf16", True): lib.fsm_log_softmax_bf16}[(kind, log)]
    f32 = compute_function(lib, np.float32, log)
    rng = np.random.default_rng(61)
    u16 = lambda a: ffi.cast("uint16_t *", a.ctypes.data)  # noqa: E731
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        for algorithm in ALGORITHMS.values():
            for cols in (1, 2, 7, 8, 9, 15, 16, 17, 33, 100, 4097, 9000):
                x = half_bits_from_f32(rng.standard_normal((3, cols + 5)) * 6, kind)
                y = np.full((3, cols + 3), 0x7777, np.uint16)
                assert fn(3, cols, u16(x), cols + 5, u16(y), cols + 3, algorithm) == 0
                assert (y[:, cols:] == 0x7777).all()
                xw = np.ascontiguousarray(half_bits_to_f32(x[:, :cols], kind))
                yw = np.empty_like(xw)
                assert f32(3, cols, ptr(ffi, xw), cols, ptr(ffi, yw), cols, algorithm) == 0
                d = half_ulp_distance(y[:, :cols], half_bits_from_f32(yw, kind), kind)
                assert d.max() <= 1, (isa, algorithm, cols, int(d.max()))
    assert lib.fsm_set_isa(0) == 0
    x = np.zeros((2, 4), np.uint16)
    y = np.zeros((2, 4), np.uint16)
    assert fn(2, 4, ffi.NULL, 4, u16(y), 4, 0) == STATUS["FSM_NULL_POINTER"]
    assert fn(2, 4, u16(x), 3, u16(y), 4, 0) == STATUS["FSM_INVALID_STRIDE"]
    assert fn(2, 4, u16(x), 4, u16(y), 4, 99) == STATUS["FSM_UNKNOWN_ALGORITHM"]
    assert fn(SIZE_MAX, 4, u16(x), 4, u16(y), 4, 0) == STATUS["FSM_SIZE_OVERFLOW"]
    assert (y == 0).all()


@pytest.mark.parametrize("kind", ["f16", "bf16"])
@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_half_vjps(ffi, lib, kind, log):
    """fsm_[log_]softmax_backward_{f16,bf16}: against the float64 VJP of the
    widened inputs, |dx - ref| <= ulp of the storage type + the float32
    bound, every ISA and a range of tail lengths; strided rows, gaps
    untouched; in place (dx == dy); error paths."""
    from half_reference import half_bits_from_f32, half_bits_to_f32

    fn = {("f16", False): lib.fsm_softmax_backward_f16,
          ("f16", True): lib.fsm_log_softmax_backward_f16,
          ("bf16", False): lib.fsm_softmax_backward_bf16,
          ("bf16", True): lib.fsm_log_softmax_backward_bf16}[(kind, log)]
    mant, emin = (10, -14) if kind == "f16" else (7, -126)
    rng = np.random.default_rng(67)
    u16 = lambda a: ffi.cast("uint16_t *", a.ctypes.data)  # noqa: E731
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        for cols in (1, 2, 7, 8, 9, 15, 16, 17, 33, 100, 2049, 4097):
            logits = rng.standard_normal((3, cols)) * 3
            z = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
            a = np.zeros((3, cols + 5), np.uint16)
            a[:, :cols] = half_bits_from_f32(z if log else np.exp(z), kind)
            b = np.zeros((3, cols + 2), np.uint16)
            b[:, :cols] = half_bits_from_f32(rng.uniform(-1, 1, (3, cols)), kind)
            dx = np.full((3, cols + 3), 0x7777, np.uint16)
            assert fn(3, cols, u16(a), cols + 5, u16(b), cols + 2, u16(dx), cols + 3) == 0
            assert (dx[:, cols:] == 0x7777).all()
            a64 = half_bits_to_f32(a[:, :cols], kind).astype(np.float64)
            b64 = half_bits_to_f32(b[:, :cols], kind).astype(np.float64)
            if log:
                ref = b64 - np.exp(a64) * b64.sum(-1, keepdims=True)
                bound = np.abs(b64) + 2 * np.exp(a64) * np.abs(b64).sum(-1, keepdims=True)
            else:
                ref = a64 * (b64 - (a64 * b64).sum(-1, keepdims=True))
                bound = np.abs(a64) * (np.abs(b64) + np.abs(a64 * b64).sum(-1, keepdims=True))
            e = np.floor(np.log2(np.maximum(np.abs(ref), 2.0 ** emin)))
            tol = 2.0 ** (e - mant) + 4 * 2.0 ** -24 * bound + 2.0 ** -126
            got = half_bits_to_f32(dx[:, :cols], kind).astype(np.float64)
            assert (np.abs(got - ref) <= tol).all(), (isa, cols)
            # in place: dx is dy
            inplace = np.ascontiguousarray(b[:, :cols])
            assert fn(3, cols, u16(a), cols + 5, u16(inplace), cols, u16(inplace), cols) == 0
            assert (inplace == dx[:, :cols]).all()
    assert lib.fsm_set_isa(0) == 0
    x = np.zeros((2, 4), np.uint16)
    y = np.zeros((2, 4), np.uint16)
    assert fn(2, 4, ffi.NULL, 4, u16(x), 4, u16(y), 4) == STATUS["FSM_NULL_POINTER"]
    assert fn(2, 4, u16(x), 4, u16(x), 4, ffi.NULL, 4) == STATUS["FSM_NULL_POINTER"]
    assert fn(2, 4, u16(x), 3, u16(x), 4, u16(y), 4) == STATUS["FSM_INVALID_STRIDE"]
    assert fn(SIZE_MAX, 4, u16(x), 4, u16(x), 4, u16(y), 4) == STATUS["FSM_SIZE_OVERFLOW"]
    assert (y == 0).all()
# ---- half-precision losses, spherical family and StableMax (issue 17) ----


@pytest.mark.parametrize("kind", ["f16", "bf16"])
def test_half_training_functions(ffi, lib, kind):
    """fsm_<loss>_{f16,bf16}, fsm_spherical_stats_* and the normalised maps
    on half storage: the loss bit for bit the float32 function's on the
    widened inputs and the gradient / map that result rounded by NumPy, on
    every ISA, padded strided rows (gaps untouched), the 4096-element scratch
    boundary; against the float64 references; in place; error statuses."""
    import reference as R
    from half_reference import half_bits_from_f32, half_bits_to_f32

    h = {name: getattr(lib, f"fsm_{name}_{kind}") for name in (
        "cross_entropy", "cross_entropy_soft", "log_spherical_loss", "log_taylor_loss", "z_loss",
        "stablemax_cross_entropy", "spherical_stats", "spherical_softmax", "log_spherical_softmax",
        "taylor_softmax", "log_taylor_softmax", "stablemax", "log_stablemax")}
    f = {name: getattr(lib, f"fsm_{name}_f32") for name in h}
    rng = np.random.default_rng(71)
    u16 = lambda a: ffi.cast("uint16_t *", a.ctypes.data)  # noqa: E731
    rows = 3
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        for cols in (3, 8, 17, 100, 4097):
            pad = cols + 5
            x = half_bits_from_f32(rng.standard_normal((rows, pad)) * 3, kind)
            xw = np.ascontiguousarray(half_bits_to_f32(x[:, :cols], kind))
            tb = half_bits_from_f32(rng.uniform(0, 1, (rows, pad)), kind)
            tw = np.ascontiguousarray(half_bits_to_f32(tb[:, :cols], kind))
            c = np.array([0, cols - 1, cols // 2], np.int64)
            pc = ffi.cast("int64_t *", c.ctypes.data)
            loss, loss32 = np.zeros(rows, np.float32), np.zeros(rows, np.float32)
            g32 = np.zeros((rows, cols), np.float32)
            losses = (("cross_entropy", (0.1,), R.cross_entropy_rows64(xw, c, 0.1)),
                      ("log_spherical_loss", (1e-3,),
                       R.normalised_loss_rows64("spherical", xw, c, eps=1e-3)),
                      ("log_taylor_loss", (), R.normalised_loss_rows64("taylor", xw, c)),
                      ("z_loss", (2.0, 0.5, 0.0), R.z_loss_rows64(xw, c, 2.0, 0.5)),
                      ("stablemax_cross_entropy", (), R.normalised_loss_rows64("stable", xw, c)))
            for name, args, (ref_l, ref_g) in losses:
                g = np.full((rows, cols + 3), 0x7777, np.uint16)
                assert h[name](rows, cols, u16(x), pad, pc, -100, *args, 0.5,
                               ptr(ffi, loss), u16(g), cols + 3) == 0, name
                assert f[name](rows, cols, ptr(ffi, xw), cols, pc, -100, *args, 0.5,
                               ptr(ffi, loss32), ptr(ffi, g32), cols) == 0
                assert (loss == loss32).all(), (isa, cols, name)
                assert (g[:, :cols] == half_bits_from_f32(g32, kind)).all(), (isa, cols, name)
                assert (g[:, cols:] == 0x7777).all()
                np.testing.assert_allclose(loss, ref_l, rtol=1e-5, err_msg=name)
                np.testing.assert_allclose(half_bits_to_f32(g[:, :cols], kind), ref_g * 0.5,
                                           rtol=2e-2, atol=2e-2 * np.abs(ref_g).max(), err_msg=name)
                # in place, and without a gradient
                gi = np.ascontiguousarray(x[:, :cols])
                assert h[name](rows, cols, u16(gi), cols, pc, -100, *args, 0.5, ffi.NULL, u16(gi),
                               cols) == 0
                assert (gi == g[:, :cols]).all(), name
                assert h[name](rows, cols, u16(x), pad, pc, -100, *args, 0.5, ptr(ffi, loss),
                               ffi.NULL, cols) == 0
                assert (loss == loss32).all()
            g = np.full((rows, cols + 3), 0x7777, np.uint16)
            assert h["cross_entropy_soft"](rows, cols, u16(x), pad, u16(tb), pad, 0.2, 1.0,
                                           ptr(ffi, loss), u16(g), cols + 3) == 0
            assert f["cross_entropy_soft"](rows, cols, ptr(ffi, xw), cols, ptr(ffi, tw), cols, 0.2,
                                           1.0, ptr(ffi, loss32), ptr(ffi, g32), cols) == 0
            assert (loss == loss32).all() and (g[:, :cols] == half_bits_from_f32(g32, kind)).all()
            assert (g[:, cols:] == 0x7777).all()
            ref_l, _ = R.soft_cross_entropy_rows64(xw, tw, 0.2)
            np.testing.assert_allclose(loss, ref_l, rtol=1e-5)
            stats, stats32 = np.zeros((rows, 3)), np.zeros((rows, 3))
            assert h["spherical_stats"](rows, cols, u16(x), pad, pc,
                                        ffi.cast("double *", stats.ctypes.data)) == 0
            assert f["spherical_stats"](rows, cols, ptr(ffi, xw), cols, pc,
                                        ffi.cast("double *", stats32.ctypes.data)) == 0
            assert (stats == stats32).all()
            np.testing.assert_allclose(stats[:, 1], (xw.astype(np.float64) ** 2).sum(1), rtol=1e-12)
            for name, family, log, extra in (
                    ("spherical_softmax", "spherical", False, (1e-3,)),
                    ("log_spherical_softmax", "spherical", True, (1e-3,)),
                    ("taylor_softmax", "taylor", False, ()), ("log_taylor_softmax", "taylor", True, ()),
                    ("stablemax", "stable", False, ()), ("log_stablemax", "stable", True, ())):
                y = np.full((rows, cols + 3), 0x7777, np.uint16)
                assert h[name](rows, cols, u16(x), pad, u16(y), cols + 3, *extra) == 0, name
                assert f[name](rows, cols, ptr(ffi, xw), cols, ptr(ffi, g32), cols, *extra) == 0
                assert (y[:, :cols] == half_bits_from_f32(g32, kind)).all(), (isa, cols, name)
                assert (y[:, cols:] == 0x7777).all()
                ref = R.normalised64(family, xw, eps=extra[0] if extra else 0.0, log=log)
                # (atol: float16's subnormal spacing, 2^-24)
                np.testing.assert_allclose(half_bits_to_f32(y[:, :cols], kind), ref, rtol=1e-2,
                                           atol=1e-2 * np.abs(ref).max() if log else 2.0 ** -24,
                                           err_msg=name)
    assert lib.fsm_set_isa(0) == 0
    # errors: a status, nothing written
    x = np.zeros((2, 4), np.uint16)
    y = np.full((2, 4), 7, np.uint16)
    loss = np.full(2, 7.0, np.float32)
    c = np.array([0, 4], np.int64)
    pc = ffi.cast("int64_t *", c.ctypes.data)
    pl = ptr(ffi, loss)
    assert h["cross_entropy"](2, 4, u16(x), 4, pc, -100, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_TARGET_OUT_OF_RANGE"]
    assert h["z_loss"](2, 4, u16(x), 4, pc, -100, 1.0, 0.0, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_TARGET_OUT_OF_RANGE"]
    c[1] = 1
    assert h["cross_entropy"](2, 4, u16(x), 4, pc, -100, 1.5, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_INVALID_ARGUMENT"]
    assert h["cross_entropy"](2, 4, u16(x), 4, ffi.NULL, -100, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_NULL_POINTER"]
    assert h["cross_entropy"](2, 4, ffi.NULL, 4, pc, -100, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_NULL_POINTER"]
    assert h["cross_entropy"](2, 4, u16(x), 3, pc, -100, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_INVALID_STRIDE"]
    assert h["cross_entropy"](SIZE_MAX, 4, u16(x), 4, pc, -100, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_SIZE_OVERFLOW"]
    assert h["log_spherical_loss"](2, 4, u16(x), 4, pc, -100, -1.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_INVALID_ARGUMENT"]
    assert h["z_loss"](2, 2, u16(x), 4, pc, -100, 1.0, 0.0, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_INVALID_ARGUMENT"]
    assert h["log_taylor_loss"](2, 4, u16(x), 4, pc, -100, 1.0, pl, u16(y), 3) == \
        STATUS["FSM_INVALID_STRIDE"]
    assert h["stablemax_cross_entropy"](2, 4, u16(x), 4, ffi.NULL, -100, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_NULL_POINTER"]
    assert h["cross_entropy_soft"](2, 4, u16(x), 4, ffi.NULL, 4, 0.0, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_NULL_POINTER"]
    assert h["cross_entropy_soft"](2, 4, u16(x), 4, u16(x), 4, -0.5, 1.0, pl, u16(y), 4) == \
        STATUS["FSM_INVALID_ARGUMENT"]
    assert h["spherical_stats"](2, 4, u16(x), 4, pc, ffi.NULL) == STATUS["FSM_NULL_POINTER"]
    assert h["spherical_softmax"](2, 4, u16(x), 4, u16(y), 4, -1.0) == STATUS["FSM_INVALID_ARGUMENT"]
    assert h["stablemax"](2, 4, u16(x), 4, ffi.NULL, 4) == STATUS["FSM_NULL_POINTER"]
    assert h["log_stablemax"](2, 4, u16(x), 2, u16(y), 4) == STATUS["FSM_INVALID_STRIDE"]
    assert (y == 7).all() and (loss == 7).all()
    # logsumexp: the float32 function on the widened rows, bit for bit
    lse = {"f16": lib.fsm_logsumexp_f16, "bf16": lib.fsm_logsumexp_bf16}[kind]
    xh = half_bits_from_f32(rng.standard_normal((3, 4104)) * 3, kind)
    xw = np.ascontiguousarray(half_bits_to_f32(xh[:, :4100], kind))
    out, out32 = np.full(4, 7.0, np.float32), np.zeros(3, np.float32)
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        assert lse(3, 4100, u16(xh), 4104, ptr(ffi, out)) == 0
        assert lib.fsm_logsumexp_f32(3, 4100, ptr(ffi, xw), 4100, ptr(ffi, out32)) == 0
        assert (out[:3] == out32).all() and out[3] == 7.0
        np.testing.assert_allclose(out32, np.log(np.exp(xw.astype(np.float64)).sum(1)), rtol=1e-6)
    assert lib.fsm_set_isa(0) == 0
    assert lse(3, 4, u16(xh), 4, ffi.NULL) == STATUS["FSM_NULL_POINTER"]
    assert lse(3, 4, ffi.NULL, 4, ptr(ffi, out)) == STATUS["FSM_NULL_POINTER"]
    assert lse(3, 4, u16(xh), 3, ptr(ffi, out)) == STATUS["FSM_INVALID_STRIDE"]
    assert lse(2, 0, u16(xh), 0, ptr(ffi, out)) == 0 and (out[:2] == -np.inf).all()
    # the explicit names, so that every public function appears as lib.<name> here
    names = [lib.fsm_logsumexp_f16, lib.fsm_logsumexp_bf16, lib.fsm_cross_entropy_f16, lib.fsm_cross_entropy_bf16, lib.fsm_cross_entropy_soft_f16,
             lib.fsm_cross_entropy_soft_bf16, lib.fsm_log_spherical_loss_f16,
             lib.fsm_log_spherical_loss_bf16, lib.fsm_log_taylor_loss_f16,
             lib.fsm_log_taylor_loss_bf16, lib.fsm_z_loss_f16, lib.fsm_z_loss_bf16,
             lib.fsm_stablemax_cross_entropy_f16, lib.fsm_stablemax_cross_entropy_bf16,
             lib.fsm_spherical_stats_f16, lib.fsm_spherical_stats_bf16,
             lib.fsm_spherical_softmax_f16, lib.fsm_spherical_softmax_bf16,
             lib.fsm_log_spherical_softmax_f16, lib.fsm_log_spherical_softmax_bf16,
             lib.fsm_taylor_softmax_f16, lib.fsm_taylor_softmax_bf16,
             lib.fsm_log_taylor_softmax_f16, lib.fsm_log_taylor_softmax_bf16,
             lib.fsm_stablemax_f16, lib.fsm_stablemax_bf16, lib.fsm_log_stablemax_f16,
             lib.fsm_log_stablemax_bf16]
    assert all(names)


# ---- half precision: fused options, states, decoding (issue 17) ----


@pytest.mark.parametrize("kind", ["f16", "bf16"])
def test_half_fused_states_decoding(ffi, lib, kind):
    """fsm_*_ex_{f16,bf16}, their VJPs, the states and the decoding helpers
    on uint16 storage with padded rows, every ISA: bit for bit the float32
    function on the exactly widened operands, rounded once (the states: the
    same state; from_state: within 1 ulp of the float32 result rounded);
    errors give their status and write nothing."""
    from half_reference import half_bits_from_f32, half_bits_to_f32, half_ulp_distance
    rng = np.random.default_rng(71)
    u16 = lambda a: ffi.cast("uint16_t *", a.ctypes.data)  # noqa: E731
    f32p = lambda a: ffi.cast("float *", a.ctypes.data)  # noqa: E731
    i64 = lambda a: ffi.cast("int64_t *", a.ctypes.data)  # noqa: E731
    h = {name: getattr(lib, f"fsm_{name}_{kind}") for name in (
        "softmax_ex", "log_softmax_ex", "softmax_backward_ex", "log_softmax_backward_ex",
        "softmax_state", "softmax_from_state", "log_softmax_from_state", "topk_softmax",
        "sample")}
    f = {"softmax_ex": lib.fsm_softmax_ex_f32, "log_softmax_ex": lib.fsm_log_softmax_ex_f32,
         "softmax_backward_ex": lib.fsm_softmax_backward_ex_f32,
         "log_softmax_backward_ex": lib.fsm_log_softmax_backward_ex_f32,
         "softmax_state": lib.fsm_softmax_state_f32,
         "softmax_from_state": lib.fsm_softmax_from_state_f32,
         "log_softmax_from_state": lib.fsm_log_softmax_from_state_f32,
         "topk_softmax": lib.fsm_topk_softmax_f32, "sample": lib.fsm_sample_f32}
    hb = lambda a: half_bits_from_f32(a, kind)  # noqa: E731
    wide = lambda a: np.ascontiguousarray(half_bits_to_f32(a, kind))  # noqa: E731
    rows, pad = 6, 4
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        for cols in (1, 7, 8, 9, 16, 17, 33, 4100):
            st = cols + pad
            x = hb(rng.standard_normal((rows, st)) * 4)
            mask = hb(rng.standard_normal((rows, st)))
            par = hb(rng.standard_normal(rows) * 0.3)
            opts, opts32 = ffi.new("fsm_softmax_options *"), ffi.new("fsm_softmax_options *")
            lse, lse32 = np.full(rows + 1, 7, np.uint16), np.zeros(rows, np.float32)
            mask32, par32 = wide(mask), wide(par)
            for o, m_, p_, l_ in ((opts, mask, par, lse), (opts32, mask32, par32, lse32)):
                lib.fsm_softmax_options_init(o)
                o.scale, o.softcap, o.ndim, o.shape[0] = 0.7, 3.0, 1, rows
                o.mask_kind, o.mask = lib.FSM_MASK_ADDITIVE, ffi.cast("void *", m_.ctypes.data)
                o.mask_strides[0] = st
                o.alibi_slopes, o.alibi_strides[0] = ffi.cast("void *", p_.ctypes.data), 1
                o.sink, o.sink_strides[0] = ffi.cast("void *", p_.ctypes.data), 1
                o.causal, o.causal_offset = 1, cols - 3
                o.lse = ffi.cast("void *", l_.ctypes.data)
            xw = wide(x)
            for name in ("softmax_ex", "log_softmax_ex"):
                y, y32 = np.full((rows, st), 7, np.uint16), np.zeros((rows, st), np.float32)
                assert h[name](rows, cols, u16(x), st, u16(y), st, 0, opts) == 0
                assert f[name](rows, cols, f32p(xw), st, f32p(y32), st, 0, opts32) == 0
                assert (y[:, :cols] == hb(y32[:, :cols])).all(), (isa, cols, name)
                assert (y[:, cols:] == 7).all() and (lse[:rows] == hb(lse32)).all()
                assert lse[rows] == 7
            # the VJPs (scale, soft cap; masked log-softmax entries)
            a = hb(rng.uniform(0, 1, (rows, st)))
            b = hb(rng.uniform(-1, 1, (rows, st)))
            aw, bw_ = wide(a), wide(b)
            for name in ("softmax_backward_ex", "log_softmax_backward_ex"):
                dx, dx32 = np.full((rows, st), 7, np.uint16), np.zeros((rows, st), np.float32)
                assert h[name](rows, cols, u16(a), st, u16(b), st, u16(x), st, u16(dx), st,
                               opts) == 0
                assert f[name](rows, cols, f32p(aw), st, f32p(bw_), st, f32p(xw), st,
                               f32p(dx32), st, opts32) == 0
                assert (dx[:, :cols] == hb(dx32[:, :cols])).all(), (isa, cols, name)
                assert (dx[:, cols:] == 7).all()
                assert h[name](rows, cols, u16(a), st, u16(b), st, ffi.NULL, st, u16(dx), st,
                               opts) == STATUS["FSM_NULL_POINTER"]
            # states
            s16 = ffi.new("fsm_softmax_state[]", rows)
            s32 = ffi.new("fsm_softmax_state[]", rows)
            assert h["softmax_state"](rows, cols, u16(x), st, s16) == 0
            assert f["softmax_state"](rows, cols, f32p(xw), st, s32) == 0
            assert bytes(ffi.buffer(s16)) == bytes(ffi.buffer(s32))
            for name in ("softmax_from_state", "log_softmax_from_state"):
                y, y32 = np.full((rows, st), 7, np.uint16), np.zeros((rows, st), np.float32)
                assert h[name](rows, cols, u16(x), st, s16, u16(y), st) == 0
                assert f[name](rows, cols, f32p(xw), st, s32, f32p(y32), st) == 0
                d = half_ulp_distance(y[:, :cols], hb(y32[:, :cols]), kind)
                assert d.max() <= 1 and (y[:, cols:] == 7).all(), (isa, cols, name)
                assert h[name](rows, cols, u16(x), st, ffi.NULL, u16(y), st) == \
                    STATUS["FSM_NULL_POINTER"]
            # decoding
            k = min(3, cols)
            p, p32 = np.full((rows, 4), 7, np.uint16), np.zeros((rows, 4), np.float32)
            idx, idx32 = np.full((rows, 4), -1, np.int64), np.full((rows, 4), -1, np.int64)
            assert h["topk_softmax"](rows, cols, u16(x), st, k, 1, u16(p), 4, i64(idx), 4) == 0
            assert f["topk_softmax"](rows, cols, f32p(xw), st, k, 1, f32p(p32), 4, i64(idx32),
                                     4) == 0
            assert (idx == idx32).all() and (p[:, :k] == hb(p32[:, :k])).all()
            assert (p[:, k:] == 7).all()
            sp = ffi.new("fsm_sampling_params *", {"temperature": 0.8, "top_p": 0.9,
                                                   "min_p": 0.0, "top_k": 0})
            u = rng.uniform(0, 1, rows)
            t, t32 = np.full(rows, -1, np.int64), np.full(rows, -2, np.int64)
            pu = ffi.cast("double *", u.ctypes.data)
            assert h["sample"](rows, cols, u16(x), st, sp, pu, i64(t)) == 0
            assert f["sample"](rows, cols, f32p(xw), st, sp, pu, i64(t32)) == 0
            assert (t == t32).all()
    assert lib.fsm_set_isa(0) == 0
    # errors: a status, nothing written
    x = hb(rng.standard_normal((2, 4)))
    y = np.full((2, 4), 7, np.uint16)
    assert h["softmax_ex"](2, 4, u16(x), 3, u16(y), 4, 0, ffi.NULL) == STATUS["FSM_INVALID_STRIDE"]
    o = ffi.new("fsm_softmax_options *")
    lib.fsm_softmax_options_init(o)
    o.scale = -1.0
    assert h["log_softmax_ex"](2, 4, u16(x), 4, u16(y), 4, 0, o) == STATUS["FSM_INVALID_ARGUMENT"]
    assert h["softmax_state"](2, 4, u16(x), 4, ffi.NULL) == STATUS["FSM_NULL_POINTER"]
    assert h["topk_softmax"](2, 4, u16(x), 4, 5, 0, u16(y), 4, ffi.NULL, 4) == \
        STATUS["FSM_INVALID_STRIDE"]
    t = np.full(2, -1, np.int64)
    assert h["sample"](2, 4, u16(x), 4, ffi.NULL, ffi.NULL, i64(t)) == STATUS["FSM_NULL_POINTER"]
    assert (y == 7).all() and (t == -1).all()
    # the explicit names, so that every public function appears as lib.<name> here
    names = [lib.fsm_softmax_ex_f16, lib.fsm_softmax_ex_bf16, lib.fsm_log_softmax_ex_f16,
             lib.fsm_log_softmax_ex_bf16, lib.fsm_softmax_backward_ex_f16,
             lib.fsm_softmax_backward_ex_bf16, lib.fsm_log_softmax_backward_ex_f16,
             lib.fsm_log_softmax_backward_ex_bf16, lib.fsm_softmax_state_f16,
             lib.fsm_softmax_state_bf16, lib.fsm_softmax_from_state_f16,
             lib.fsm_softmax_from_state_bf16, lib.fsm_log_softmax_from_state_f16,
             lib.fsm_log_softmax_from_state_bf16, lib.fsm_topk_softmax_f16,
             lib.fsm_topk_softmax_bf16, lib.fsm_sample_f16, lib.fsm_sample_bf16]
    assert all(names)

# ---- end of half precision: fused options, states, decoding ----


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_axis_functions(ffi, lib, dtype, log):
    """fsm_(log_)softmax_axis_*: an (outer, n, inner) view with padded,
    reversed strides, every ISA; the padding stays untouched."""
    fn = {(np.float32, False): lib.fsm_softmax_axis_f32,
          (np.float32, True): lib.fsm_log_softmax_axis_f32,
          (np.float64, False): lib.fsm_softmax_axis_f64,
          (np.float64, True): lib.fsm_log_softmax_axis_f64}[(dtype, log)]
    rng = np.random.default_rng(8)
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        xbuf = (rng.standard_normal((3, 7, 40)) * 5).astype(dtype)
        ybuf = np.full((3, 7, 40), -7.0, dtype)
        x, y = xbuf[::-1, ::-1, :29], ybuf[:, :, 3:32]
        item = x.itemsize
        assert fn(3, 7, 29, ptr(ffi, x), x.strides[0] // item, x.strides[1] // item,
                  ptr(ffi, y), y.strides[0] // item, y.strides[1] // item, 0) == 0
        ref = log_softmax64(x, 1) if log else softmax64(x, 1)
        tol = (log_softmax_tolerance if log else softmax_tolerance)(x, ref, dtype, 1)
        assert_close(y, ref, tol, f"{isa} axis")
        assert (ybuf[:, :, :3] == -7.0).all() and (ybuf[:, :, 32:] == -7.0).all()
        assert fn(3, 7, 29, ffi.NULL, 280, 40, ptr(ffi, y), 280, 40, 0) == STATUS["FSM_NULL_POINTER"]
        assert fn(3, 7, 29, ptr(ffi, x), 280, 28, ptr(ffi, y), 280, 40, 0) == \
            STATUS["FSM_INVALID_STRIDE"]
    assert lib.fsm_set_isa(0) == 0


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_backward_axis_functions(ffi, lib, dtype):
    """fsm_(log_)softmax_backward_axis_*: padded and reversed views."""
    rng = np.random.default_rng(9)
    fns = {(np.float32, False): lib.fsm_softmax_backward_axis_f32,
           (np.float32, True): lib.fsm_log_softmax_backward_axis_f32,
           (np.float64, False): lib.fsm_softmax_backward_axis_f64,
           (np.float64, True): lib.fsm_log_softmax_backward_axis_f64}
    for log in (False, True):
        x = rng.normal(0, 2, (3, 7, 29)).astype(dtype)
        a = (log_softmax64(x, 1) if log else softmax64(x, 1)).astype(dtype)[:, ::-1]
        b = rng.normal(0, 1, (3, 7, 29)).astype(dtype)
        dxbuf = np.full((3, 7, 40), -7.0, dtype)
        dx = dxbuf[:, :, 5:34]
        item = a.itemsize
        st = [(v.strides[0] // item, v.strides[1] // item) for v in (a, b, dx)]
        assert fns[(dtype, log)](3, 7, 29, ptr(ffi, a), *st[0], ptr(ffi, b), *st[1],
                                 ptr(ffi, dx), *st[2]) == 0
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        ref = (b64 - np.exp(a64) * b64.sum(1, keepdims=True) if log
               else a64 * (b64 - (a64 * b64).sum(1, keepdims=True)))
        u = 2.0 ** -24 if dtype == np.float32 else 2.0 ** -53
        assert np.all(np.abs(dx - ref) <= 64 * u * (np.abs(ref) + 1))
        assert (dxbuf[:, :, :5] == -7.0).all() and (dxbuf[:, :, 34:] == -7.0).all()


@pytest.mark.parametrize("kind", ["f16", "bf16"])
def test_half_axis_functions(ffi, lib, kind):
    """fsm_(log_)softmax_axis_{f16,bf16} and their backward passes on padded,
    reversed uint16 views, every ISA: within 1 ulp of the float32 entry's
    result on the widened input, rounded (the VJPs: or the float32 bound
    where they cancel); the padding stays untouched."""
    from half_reference import half_bits_from_f32, half_bits_to_f32, half_ulp_distance
    rng = np.random.default_rng(10)
    f16 = kind == "f16"
    fns = {False: lib.fsm_softmax_axis_f16 if f16 else lib.fsm_softmax_axis_bf16,
           True: lib.fsm_log_softmax_axis_f16 if f16 else lib.fsm_log_softmax_axis_bf16}
    refs = {False: lib.fsm_softmax_axis_f32, True: lib.fsm_log_softmax_axis_f32}
    vjps = {False: lib.fsm_softmax_backward_axis_f16 if f16 else lib.fsm_softmax_backward_axis_bf16,
            True: (lib.fsm_log_softmax_backward_axis_f16 if f16
                   else lib.fsm_log_softmax_backward_axis_bf16)}
    vjp_refs = {False: lib.fsm_softmax_backward_axis_f32, True: lib.fsm_log_softmax_backward_axis_f32}
    for isa in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[isa]) == 0
        xbits = half_bits_from_f32((rng.standard_normal((3, 7, 40)) * 5).astype(np.float32), kind)
        x = xbits[::-1, ::-1, :29]
        xw = half_bits_to_f32(np.ascontiguousarray(x), kind)
        for log in (False, True):
            ybuf = np.full((3, 7, 40), 0x7777, np.uint16)
            y = ybuf[:, :, 3:32]
            assert fns[log](3, 7, 29, ptr(ffi, x), x.strides[0] // 2, x.strides[1] // 2,
                            ptr(ffi, y), y.strides[0] // 2, y.strides[1] // 2, 0) == 0
            yw = np.empty_like(xw)
            assert refs[log](3, 7, 29, ptr(ffi, xw), 7 * 29, 29, ptr(ffi, yw), 7 * 29, 29, 0) == 0
            d = half_ulp_distance(np.ascontiguousarray(y), half_bits_from_f32(yw, kind), kind)
            assert d.max() <= 1, f"{isa} {kind} log={log}: {int(d.max())} ulp"
            assert (ybuf[:, :, :3] == 0x7777).all() and (ybuf[:, :, 32:] == 0x7777).all()
            # the backward pass of the same rows, the gradient in place of y
            a = np.ascontiguousarray(y)
            aw = half_bits_to_f32(a, kind)
            bbits = half_bits_from_f32(rng.normal(0, 1, (3, 7, 29)).astype(np.float32), kind)
            bw = half_bits_to_f32(bbits, kind)
            dxbuf = np.full((3, 7, 40), 0x7777, np.uint16)
            dx = dxbuf[:, :, 5:34]
            assert vjps[log](3, 7, 29, ptr(ffi, a), 7 * 29, 29, ptr(ffi, bbits), 7 * 29, 29,
                             ptr(ffi, dx), dx.strides[0] // 2, dx.strides[1] // 2) == 0
            dxw = np.empty_like(aw)
            assert vjp_refs[log](3, 7, 29, ptr(ffi, aw), 7 * 29, 29, ptr(ffi, bw), 7 * 29, 29,
                                 ptr(ffi, dxw), 7 * 29, 29) == 0
            got = half_bits_to_f32(np.ascontiguousarray(dx), kind).astype(np.float64)
            a64, b64 = aw.astype(np.float64), bw.astype(np.float64)
            scale = (np.abs(b64) + 2 * np.exp(a64) * np.abs(b64).sum(1, keepdims=True) if log
                     else np.abs(a64) * (np.abs(b64) + np.abs(a64 * b64).sum(1, keepdims=True)))
            d = half_ulp_distance(np.ascontiguousarray(dx), half_bits_from_f32(dxw, kind), kind)
            ok = (d <= 1) | (np.abs(got - dxw) <= 8 * 2.0 ** -24 * scale + 2.0 ** -126)
            assert ok.all(), f"{isa} {kind} backward log={log}: {int(d.max())} ulp"
            assert (dxbuf[:, :, :5] == 0x7777).all() and (dxbuf[:, :, 34:] == 0x7777).all()
        assert fns[False](3, 7, 29, ffi.NULL, 280, 40, ptr(ffi, y), 280, 40, 0) == \
            STATUS["FSM_NULL_POINTER"]
        assert fns[True](3, 7, 29, ptr(ffi, x), 280, 28, ptr(ffi, y), 280, 40, 0) == \
            STATUS["FSM_INVALID_STRIDE"]
    assert lib.fsm_set_isa(0) == 0


# ---------------------------------------------------------------- error paths


@pytest.mark.parametrize("name", FUNCS)
def test_error_paths(ffi, lib, name):
    dtype = np.float32 if name.endswith("f32") else np.float64
    fn = compute_function(lib, dtype, "log" in name)
    x = np.arange(12, dtype=dtype).reshape(3, 4)
    y = np.full((3, 4), 42.0, dtype)
    px, py = ptr(ffi, x), ptr(ffi, y)
    null = ffi.NULL

    def call(rows, cols, xp, xs, yp, ys, algorithm=0):
        status = fn(rows, cols, xp, xs, yp, ys, algorithm)
        assert (y == 42.0).all(), "an erroring call wrote its output"
        return status

    # NULL pointers with a non-empty shape
    assert call(3, 4, null, 4, py, 4) == STATUS["FSM_NULL_POINTER"]
    assert call(3, 4, px, 4, null, 4) == STATUS["FSM_NULL_POINTER"]
    assert call(1, 1, null, 1, null, 1) == STATUS["FSM_NULL_POINTER"]
    # zero sizes: nothing is read or written, NULL is fine
    for rows, cols in ((0, 0), (0, 4), (3, 0)):
        assert call(rows, cols, null, 0, null, 0) == STATUS["FSM_OK"]
        assert call(rows, cols, px, 0, py, 0, 3) == STATUS["FSM_OK"]
    # strides smaller than the row (only when there are two rows or more)
    assert call(3, 4, px, 3, py, 4) == STATUS["FSM_INVALID_STRIDE"]
    assert call(3, 4, px, 4, py, 0) == STATUS["FSM_INVALID_STRIDE"]
    assert call(2, 4, px, 4, py, 3) == STATUS["FSM_INVALID_STRIDE"]
    # sizes whose last element's offset does not fit in size_t
    assert call(2, 4, px, SIZE_MAX, py, 4) == STATUS["FSM_SIZE_OVERFLOW"]
    assert call(2, 4, px, 4, py, SIZE_MAX // 2) == STATUS["FSM_SIZE_OVERFLOW"]
    assert call(1, SIZE_MAX, px, SIZE_MAX, py, SIZE_MAX) == STATUS["FSM_SIZE_OVERFLOW"]
    assert call(SIZE_MAX, 4, px, 4, py, 4) == STATUS["FSM_SIZE_OVERFLOW"]
    # unknown algorithms, checked after the shapes, even for empty ones
    for algorithm in (5, 99, 0xFFFFFFFF, 2 ** 31 - 1):
        assert call(3, 4, px, 4, py, 4, algorithm) == STATUS["FSM_UNKNOWN_ALGORITHM"]
        assert call(0, 4, null, 0, null, 0, algorithm) == STATUS["FSM_UNKNOWN_ALGORITHM"]
        assert call(3, 4, null, 4, py, 4, algorithm) == STATUS["FSM_NULL_POINTER"]
    # x is checked before y
    assert call(3, 4, px, 3, null, 4) == STATUS["FSM_INVALID_STRIDE"]
    assert call(3, 4, null, 4, py, 3) == STATUS["FSM_NULL_POINTER"]
    # and the valid call still works afterwards
    y[...] = 0
    assert fn(3, 4, px, 4, py, 4, 0) == 0
    check(x, y, dtype, "log" in name)


def test_dispatch_queries(ffi, lib):
    available = fastsoftmax.available_isas()
    assert supported_isas(lib) == list(available)
    assert ffi.string(lib.fsm_isa_name(lib.fsm_detected_isa())).decode() == available[-1]
    assert lib.fsm_isa_supported(ISAS["auto"]) == 1
    assert lib.fsm_isa_supported(ISAS["scalar"]) == 1
    for bad in (len(ISAS), 99, 0xFFFFFFFF):
        assert lib.fsm_isa_supported(bad) == 0
    assert lib.fsm_environment_status() == 0


def test_set_isa(ffi, lib):
    detected = lib.fsm_detected_isa()
    for bad in (len(ISAS), 99, 0xFFFFFFFF, 2 ** 31 - 1):
        assert lib.fsm_set_isa(bad) == STATUS["FSM_UNKNOWN_ISA"]
        assert lib.fsm_active_isa() == detected
    assert lib.fsm_set_isa(ISAS["scalar"]) == 0
    assert lib.fsm_active_isa() == ISAS["scalar"]
    for name, value in ISAS.items():
        if name != "auto" and not lib.fsm_isa_supported(value):
            assert lib.fsm_set_isa(value) == STATUS["FSM_UNSUPPORTED_ISA"]
            assert lib.fsm_active_isa() == ISAS["scalar"], "a refused fsm_set_isa changed the ISA"
    assert lib.fsm_set_isa(ISAS["auto"]) == 0
    assert lib.fsm_active_isa() == detected


def test_isa_names(ffi, lib):
    out = ffi.new("fsm_isa *")
    for name, value in ISAS.items():
        assert ffi.string(lib.fsm_isa_name(value)).decode() == name
        out[0] = 77
        assert lib.fsm_isa_from_name(name.encode(), out) == 0
        assert out[0] == value
    for bad in (len(ISAS), 99, 0xFFFFFFFF):
        assert lib.fsm_isa_name(bad) == ffi.NULL
    for bad in (b"", b"AVX2", b"Scalar", b"avx2 ", b" avx2", b"sse4", b"avx", b"avx5120", b"a" * 4096):
        out[0] = 77
        assert lib.fsm_isa_from_name(bad, out) == STATUS["FSM_UNKNOWN_ISA"], bad
        assert out[0] == 77, "fsm_isa_from_name wrote *isa on error"
    assert lib.fsm_isa_from_name(ffi.NULL, out) == STATUS["FSM_NULL_POINTER"]
    assert lib.fsm_isa_from_name(b"scalar", ffi.NULL) == STATUS["FSM_NULL_POINTER"]


def test_algorithm_names(ffi, lib):
    for name, value in ALGORITHMS.items():
        assert ffi.string(lib.fsm_algorithm_name(value)).decode() == name
    assert list(ALGORITHMS) == list(fastsoftmax.ALGORITHMS)
    for bad in (len(ISAS), 99, 0xFFFFFFFF):
        assert lib.fsm_algorithm_name(bad) == ffi.NULL


def test_status_strings(ffi, lib):
    seen = set()
    for name, value in STATUS.items():
        text = ffi.string(lib.fsm_status_string(value)).decode()
        assert text and text not in seen, name
        seen.add(text)
    for bad in (max(STATUS.values()) + 1, 99, 0xFFFFFFFF):
        text = ffi.string(lib.fsm_status_string(bad)).decode()
        assert text == "unknown status code"


def test_environment_override_through_the_abi():
    """A bad FASTSOFTMAX_ISA, read at the first call, makes compute calls
    return its status until fsm_set_isa clears it."""
    code = f"""
import sys, cffi, numpy as np
sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r})
import fastsoftmax
from native import installed_header, preprocessed_header
ffi = cffi.FFI(); ffi.cdef(preprocessed_header(installed_header()))
lib = ffi.dlopen(fastsoftmax.get_library())
x = np.ones(4, np.float32); y = np.zeros(4, np.float32); xd = np.ones(4); yd = np.zeros(4)
px, py = ffi.cast("float *", ffi.from_buffer(x)), ffi.cast("float *", ffi.from_buffer(y))
pxd, pyd = ffi.cast("double *", ffi.from_buffer(xd)), ffi.cast("double *", ffi.from_buffer(yd))
print(lib.fsm_environment_status(), lib.fsm_softmax_f32(1, 4, px, 4, py, 4, 0),
      lib.fsm_softmax_f64(1, 4, pxd, 4, pyd, 4, 0), float(y.sum()))
print(lib.fsm_set_isa(0), lib.fsm_environment_status(), lib.fsm_softmax_f32(1, 4, px, 4, py, 4, 0),
      float(y.sum()))
"""
    unsupported = [n for n in ("neon", "avx512", "avx2") if n not in fastsoftmax.available_isas()]
    cases = {"bogus": STATUS["FSM_UNKNOWN_ISA"]}
    if unsupported:
        cases[unsupported[0]] = STATUS["FSM_UNSUPPORTED_ISA"]
    for value, status in cases.items():
        env = dict(os.environ, FASTSOFTMAX_ISA=value)
        r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0, r.stderr
        first, second = r.stdout.split("\n")[:2]
        assert first.split() == [str(status)] * 3 + ["0.0"], (value, first)
        assert second.split() == ["0", "0", "0", "1.0"], (value, second)


# ---------------------------------------------------------------- training functions


def test_training_functions(ffi, lib):
    """Every training function through the ABI, float32 and float64, against
    the float64 references (loose bounds: the Python tests pin the exact
    ones), plus their error statuses (nothing written)."""
    import reference as R

    rng = np.random.default_rng(9)
    for dtype in (np.float32, np.float64):
        sfx = "f32" if dtype == np.float32 else "f64"
        fn = {name: getattr(lib, f"fsm_{name}_{sfx}") for name in (
            "softmax_backward", "log_softmax_backward", "cross_entropy", "cross_entropy_soft",
            "spherical_stats", "spherical_softmax", "log_spherical_softmax", "taylor_softmax",
            "log_taylor_softmax", "stablemax", "log_stablemax", "log_spherical_loss",
            "log_taylor_loss", "z_loss", "stablemax_cross_entropy")}
        tol = 1e-5 if dtype == np.float32 else 1e-12
        rows, cols = 4, 19
        x = rng.normal(0, 2, (rows, cols)).astype(dtype)
        dy = rng.normal(0, 1, (rows, cols)).astype(dtype)
        c = rng.integers(0, cols, rows).astype(np.int64)
        pc = ffi.cast("int64_t *", c.ctypes.data)
        out = np.zeros_like(x)
        loss = np.zeros(rows, dtype)

        y = R.softmax64(x).astype(dtype)
        assert fn["softmax_backward"](rows, cols, ptr(ffi, y), cols, ptr(ffi, dy), cols,
                                      ptr(ffi, out), cols) == 0
        np.testing.assert_allclose(out, R.softmax_backward64(y, dy), rtol=tol, atol=tol)
        z = R.log_softmax64(x).astype(dtype)
        assert fn["log_softmax_backward"](rows, cols, ptr(ffi, z), cols, ptr(ffi, dy), cols,
                                          ptr(ffi, out), cols) == 0
        np.testing.assert_allclose(out, R.log_softmax_backward64(z, dy), rtol=tol, atol=tol)

        assert fn["cross_entropy"](rows, cols, ptr(ffi, x), cols, pc, -100, 0.1, 0.25,
                                   ptr(ffi, loss), ptr(ffi, out), cols) == 0
        ref_l, ref_g = R.cross_entropy_rows64(x, c, 0.1)
        np.testing.assert_allclose(loss, ref_l, rtol=tol)
        np.testing.assert_allclose(out, ref_g * 0.25, rtol=tol, atol=tol)
        t = rng.uniform(0, 1, x.shape).astype(dtype)
        assert fn["cross_entropy_soft"](rows, cols, ptr(ffi, x), cols, ptr(ffi, t), cols, 0.0, 1.0,
                                        ptr(ffi, loss), ptr(ffi, out), cols) == 0
        ref_l, ref_g = R.soft_cross_entropy_rows64(x, t)
        np.testing.assert_allclose(loss, ref_l, rtol=tol)
        np.testing.assert_allclose(out, ref_g, rtol=tol, atol=tol)

        stats = np.zeros((rows, 3))
        assert fn["spherical_stats"](rows, cols, ptr(ffi, x), cols, pc,
                                     ffi.cast("double *", stats.ctypes.data)) == 0
        np.testing.assert_allclose(stats[:, 1], (x.astype(np.float64) ** 2).sum(1), rtol=1e-12)

        for name, kind, extra in (("spherical_softmax", "spherical", (1e-3,)),
                                  ("taylor_softmax", "taylor", ()), ("stablemax", "stable", ())):
            for log in (False, True):
                f = fn[("log_" if log else "") + name]
                assert f(rows, cols, ptr(ffi, x), cols, ptr(ffi, out), cols, *extra) == 0
                ref = R.normalised64(kind, x, eps=extra[0] if extra else 0.0, log=log)
                np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)

        for name, args, ref in (
            ("log_spherical_loss", (1e-3,), R.normalised_loss_rows64("spherical", x, c, eps=1e-3)),
            ("log_taylor_loss", (), R.normalised_loss_rows64("taylor", x, c)),
            ("z_loss", (2.0, 0.5, 0.0), R.z_loss_rows64(x, c, 2.0, 0.5)),
            ("stablemax_cross_entropy", (), R.normalised_loss_rows64("stable", x, c)),
        ):
            assert fn[name](rows, cols, ptr(ffi, x), cols, pc, -100, *args, 1.0, ptr(ffi, loss),
                            ptr(ffi, out), cols) == 0, name
            np.testing.assert_allclose(loss, ref[0], rtol=tol, err_msg=name)
            np.testing.assert_allclose(out, ref[1], rtol=tol, atol=tol, err_msg=name)

        # errors: status, nothing written
        bad = c.copy()
        bad[2] = cols
        pb = ffi.cast("int64_t *", bad.ctypes.data)
        loss[:] = 7
        out[:] = 7
        assert fn["cross_entropy"](rows, cols, ptr(ffi, x), cols, pb, -100, 0.0, 1.0,
                                   ptr(ffi, loss), ptr(ffi, out), cols) == STATUS["FSM_TARGET_OUT_OF_RANGE"]
        assert fn["z_loss"](rows, cols, ptr(ffi, x), cols, pb, -100, 1.0, 0.0, 0.0, 1.0,
                            ptr(ffi, loss), ptr(ffi, out), cols) == STATUS["FSM_TARGET_OUT_OF_RANGE"]
        assert fn["cross_entropy"](rows, cols, ptr(ffi, x), cols, ffi.NULL, -100, 0.0, 1.0,
                                   ptr(ffi, loss), ptr(ffi, out), cols) == STATUS["FSM_NULL_POINTER"]
        assert fn["log_spherical_loss"](rows, cols, ptr(ffi, x), cols, pc, -100, -1.0, 1.0,
                                        ptr(ffi, loss), ptr(ffi, out), cols) == STATUS["FSM_INVALID_ARGUMENT"]
        assert fn["z_loss"](rows, cols, ptr(ffi, x), cols, pc, -100, 0.0, 0.0, 0.0, 1.0,
                            ptr(ffi, loss), ptr(ffi, out), cols) == STATUS["FSM_INVALID_ARGUMENT"]
        assert fn["spherical_softmax"](rows, cols, ptr(ffi, x), cols, ptr(ffi, out), cols,
                                       -1.0) == STATUS["FSM_INVALID_ARGUMENT"]
        assert fn["log_taylor_loss"](rows, cols, ptr(ffi, x), cols, pb, -100, 1.0, ptr(ffi, loss),
                                     ptr(ffi, out), cols) == STATUS["FSM_TARGET_OUT_OF_RANGE"]
        assert fn["stablemax_cross_entropy"](rows, cols, ptr(ffi, x), cols, pb, -100, 1.0,
                                             ptr(ffi, loss), ptr(ffi, out), cols) == 8
        assert np.all(loss == 7) and np.all(out == 7)
        # the explicit names, so that every public function appears as lib.<name> here
        assert fn["softmax_backward"] in (lib.fsm_softmax_backward_f32, lib.fsm_softmax_backward_f64)
    names = [lib.fsm_log_softmax_backward_f32, lib.fsm_log_softmax_backward_f64,
             lib.fsm_cross_entropy_f32, lib.fsm_cross_entropy_f64, lib.fsm_cross_entropy_soft_f32,
             lib.fsm_cross_entropy_soft_f64, lib.fsm_spherical_stats_f32, lib.fsm_spherical_stats_f64,
             lib.fsm_spherical_softmax_f32, lib.fsm_spherical_softmax_f64,
             lib.fsm_log_spherical_softmax_f32, lib.fsm_log_spherical_softmax_f64,
             lib.fsm_taylor_softmax_f32, lib.fsm_taylor_softmax_f64, lib.fsm_log_taylor_softmax_f32,
             lib.fsm_log_taylor_softmax_f64, lib.fsm_stablemax_f32, lib.fsm_stablemax_f64,
             lib.fsm_log_stablemax_f32, lib.fsm_log_stablemax_f64, lib.fsm_log_spherical_loss_f32,
             lib.fsm_log_spherical_loss_f64, lib.fsm_log_taylor_loss_f32, lib.fsm_log_taylor_loss_f64,
             lib.fsm_z_loss_f32, lib.fsm_z_loss_f64, lib.fsm_stablemax_cross_entropy_f32,
             lib.fsm_stablemax_cross_entropy_f64]
    assert all(names)
    # the loss math, once
    res = ffi.new("double[5]")
    assert lib.fsm_spherical_loss_partials(2, 3, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, res) == 0
    assert abs(res[0] - np.log1p(2.0)) < 1e-15  # log-Taylor at x = 0, D = 3: log(3/1)
    assert lib.fsm_spherical_loss_partials(3, 2, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, res) == 1
    assert lib.fsm_spherical_loss_partials(1, 3, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, ffi.NULL) == 2


def test_thread_isa(ffi, lib):
    """fsm_set_thread_isa: the calling thread's override, seen by its own
    calls only; other threads keep the process-wide ISA (issue 19)."""
    import threading

    detected = lib.fsm_detected_isa()
    assert lib.fsm_thread_isa() == ISAS["auto"]
    for bad in (len(ISAS), 99, 0xFFFFFFFF):
        assert lib.fsm_set_thread_isa(bad) == STATUS["FSM_UNKNOWN_ISA"]
    for name, value in ISAS.items():
        if name != "auto" and not lib.fsm_isa_supported(value):
            assert lib.fsm_set_thread_isa(value) == STATUS["FSM_UNSUPPORTED_ISA"]
    assert lib.fsm_thread_isa() == ISAS["auto"], "a refused fsm_set_thread_isa changed the ISA"

    x = (np.random.default_rng(8).standard_normal((4, 300)) * 10).astype(np.float32)

    def softmax_here():
        y = np.full_like(x, np.nan)
        assert lib.fsm_softmax_f32(4, 300, ptr(ffi, x), 300, ptr(ffi, y), 300, 0) == 0
        check(x, y, np.float32, False)
        return y

    per_isa = {}
    for name in supported_isas(lib):
        assert lib.fsm_set_isa(ISAS[name]) == 0
        per_isa[name] = softmax_here()
    assert lib.fsm_set_isa(0) == 0

    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        inside.wait(10)
        seen["active"] = lib.fsm_active_isa()
        seen["thread"] = lib.fsm_thread_isa()
        seen["y"] = softmax_here()
        release.set()

    th = threading.Thread(target=other)
    th.start()
    try:
        assert lib.fsm_set_thread_isa(ISAS["scalar"]) == 0
        assert lib.fsm_thread_isa() == ISAS["scalar"] and lib.fsm_active_isa() == ISAS["scalar"]
        inside.set()
        assert release.wait(10)
        assert np.array_equal(softmax_here(), per_isa["scalar"])
        # the process-wide setting does not override this thread's
        assert lib.fsm_set_isa(detected) == 0
        assert lib.fsm_active_isa() == ISAS["scalar"]
    finally:
        assert lib.fsm_set_thread_isa(ISAS["auto"]) == 0
        th.join(10)
    assert seen["active"] == detected and seen["thread"] == ISAS["auto"]
    detected_name = ffi.string(lib.fsm_isa_name(detected)).decode()
    assert np.array_equal(seen["y"], per_isa[detected_name])
    assert lib.fsm_active_isa() == detected and lib.fsm_thread_isa() == ISAS["auto"]


def test_num_threads(ffi, lib):
    """fsm_set_num_threads / fsm_get_num_threads; a long row gives the same
    bytes at 1 and 2 threads (chunks are cut by length, not by threads)."""
    default = lib.fsm_get_num_threads()
    assert default >= 1
    assert lib.fsm_set_num_threads(257) == STATUS["FSM_INVALID_ARGUMENT"]
    assert lib.fsm_get_num_threads() == default
    x = np.random.default_rng(0).normal(size=(2, 1 << 18)).astype(np.float32)
    out = []
    for n in (1, 2):
        assert lib.fsm_set_num_threads(n) == 0 and lib.fsm_get_num_threads() == n
        y = np.empty_like(x)
        assert lib.fsm_softmax_f32(2, x.shape[1], ptr(ffi, x), x.shape[1], ptr(ffi, y),
                                   x.shape[1], ALGORITHMS["auto"]) == 0
        out.append(y)
    assert out[0].tobytes() == out[1].tobytes()
    np.testing.assert_allclose(out[0].sum(-1), 1.0, rtol=1e-5)
    assert lib.fsm_set_num_threads(0) == 0 and lib.fsm_get_num_threads() == default


def test_states(ffi, lib):
    """The mergeable softmax states through the ABI: a row cut in three,
    the pieces' states merged in two groupings (the same bytes), logsumexp
    and softmax / log-softmax of each piece from the merged state against
    the float64 references; the NULL-pointer statuses."""
    assert ffi.sizeof("fsm_softmax_state") == 48
    rng = np.random.default_rng(20)
    for dtype in (np.float32, np.float64):
        f32 = dtype == np.float32
        state_of = lib.fsm_softmax_state_f32 if f32 else lib.fsm_softmax_state_f64
        sm = lib.fsm_softmax_from_state_f32 if f32 else lib.fsm_softmax_from_state_f64
        lsm = lib.fsm_log_softmax_from_state_f32 if f32 else lib.fsm_log_softmax_from_state_f64
        rows, cols = 3, 200
        x = (rng.normal(0, 20, (rows, cols)) + rng.normal(0, 40, (rows, 1))).astype(dtype)
        cuts = [(0, 50), (50, 51), (51, 200)]
        st = [ffi.new("fsm_softmax_state[]", rows) for _ in cuts]
        for (a, b), s in zip(cuts, st):
            piece = np.ascontiguousarray(x[:, a:b])
            assert state_of(rows, b - a, ptr(ffi, piece), b - a, s) == 0
        ab_c = ffi.new("fsm_softmax_state[]", rows)
        a_bc = ffi.new("fsm_softmax_state[]", rows)
        assert lib.fsm_merge_softmax_states(rows, st[0], st[1], ab_c) == 0
        assert lib.fsm_merge_softmax_states(rows, ab_c, st[2], ab_c) == 0  # in place
        assert lib.fsm_merge_softmax_states(rows, st[2], st[1], a_bc) == 0
        assert lib.fsm_merge_softmax_states(rows, a_bc, st[0], a_bc) == 0
        assert bytes(ffi.buffer(ab_c)) == bytes(ffi.buffer(a_bc))
        lse = np.empty(rows)
        assert lib.fsm_logsumexp_from_states(rows, ab_c, ffi.cast("double *", lse.ctypes.data)) == 0
        x64 = x.astype(np.float64)
        want = np.log(np.exp(x64 - x64.max(1, keepdims=True)).sum(1)) + x64.max(1)
        tol = 1e-6 if f32 else 1e-13
        np.testing.assert_allclose(lse, want, rtol=tol, atol=tol)
        y = np.empty_like(x)
        z = np.empty_like(x)
        for a, b in cuts:
            piece = np.ascontiguousarray(x[:, a:b])
            yp, zp = np.empty_like(piece), np.empty_like(piece)
            assert sm(rows, b - a, ptr(ffi, piece), b - a, ab_c, ptr(ffi, yp), b - a) == 0
            assert lsm(rows, b - a, ptr(ffi, piece), b - a, ab_c, ptr(ffi, zp), b - a) == 0
            y[:, a:b], z[:, a:b] = yp, zp
        check(x, y, dtype, log=False)
        check(x, z, dtype, log=True)
        # NULL pointers with a non-empty shape: the status, nothing written
        assert state_of(rows, cols, ptr(ffi, x), cols, ffi.NULL) == STATUS["FSM_NULL_POINTER"]
        assert sm(rows, cols, ptr(ffi, x), cols, ffi.NULL, ptr(ffi, y), cols) == STATUS["FSM_NULL_POINTER"]
        assert lib.fsm_merge_softmax_states(1, ffi.NULL, st[0], st[0]) == STATUS["FSM_NULL_POINTER"]
        assert lib.fsm_logsumexp_from_states(1, ffi.NULL, ffi.NULL) == STATUS["FSM_NULL_POINTER"]


# ---------------------------------------------------------------- fused options


def test_fused_options(ffi, lib):
    """fsm_softmax_ex / fsm_log_softmax_ex and their VJPs through the ABI:
    (B, H, L, L) scores with an (L, L) additive mask broadcast by zero
    strides, per-head ALiBi slopes and sinks, causal with an offset, a
    soft cap and the saved lse, against float64 NumPy; the VJPs against
    the analytic chain rule; bad options give FSM_INVALID_ARGUMENT and
    write nothing."""
    rng = np.random.default_rng(21)
    b, h, lq, lk = 2, 3, 4, 11
    for dtype in (np.float32, np.float64):
        f32 = dtype == np.float32
        ct = CTYPE[dtype]
        x = (rng.standard_normal((b, h, lq, lk)) * 3).astype(dtype)
        mask = rng.standard_normal((lq, lk)).astype(dtype)
        slopes = rng.random(h).astype(dtype)
        sink = rng.standard_normal(h).astype(dtype)
        o = ffi.new("fsm_softmax_options *")
        lib.fsm_softmax_options_init(o)
        assert o.scale == 1.0 and o.softcap == 0.0 and o.mask_kind == lib.FSM_MASK_NONE
        o.scale, o.softcap, o.ndim = 0.5, 4.0, 3
        o.shape[0:3] = [b, h, lq]
        o.mask_kind, o.mask = lib.FSM_MASK_ADDITIVE, ffi.cast("void *", mask.ctypes.data)
        o.mask_strides[0:3] = [0, 0, lk]
        o.causal, o.causal_offset = 1, lk - lq
        o.alibi_slopes = ffi.cast("void *", slopes.ctypes.data)
        o.alibi_strides[0:3] = [0, 1, 0]
        o.sink = ffi.cast("void *", sink.ctypes.data)
        o.sink_strides[0:3] = [0, 1, 0]
        o.masked_rows = lib.FSM_MASKED_ROWS_ZERO
        lse = np.full((b, h, lq), np.nan, dtype)
        o.lse = ffi.cast("void *", lse.ctypes.data)
        z = (x.astype(np.float64) * 0.5)
        z = 4.0 * np.tanh(z / 4.0) + mask
        i, j = np.arange(lq)[:, None], np.arange(lk)[None, :]
        z = z + slopes.astype(np.float64)[:, None, None] * (j - i - (lk - lq))
        z = np.where(j <= i + lk - lq, z, -np.inf)
        s64 = np.broadcast_to(sink.astype(np.float64)[:, None, None], (b, h, lq, 1))
        m = np.maximum(z.max(-1, keepdims=True), s64)
        tot = np.exp(z - m).sum(-1, keepdims=True) + np.exp(s64 - m)
        want_lse = (m + np.log(tot))[..., 0]
        rows, tol = b * h * lq, (2e-5 if f32 else 1e-12)
        for log in (False, True):
            fn = (lib.fsm_log_softmax_ex_f32 if log else lib.fsm_softmax_ex_f32) if f32 else \
                (lib.fsm_log_softmax_ex_f64 if log else lib.fsm_softmax_ex_f64)
            y = np.empty_like(x)
            assert fn(rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, o) == 0
            with np.errstate(invalid="ignore"):
                want = z - m - np.log(tot) if log else np.exp(z - m) / tot
            np.testing.assert_allclose(y, want, rtol=tol, atol=tol)
            np.testing.assert_allclose(lse, want_lse, rtol=tol, atol=tol)
            # NULL options: the plain function
            assert fn(rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, ffi.NULL) == 0
            np.testing.assert_allclose(y, np.asarray(fastsoftmax.log_softmax(x) if log else
                                                     fastsoftmax.softmax(x)), rtol=tol, atol=1e-30)
            # bad options: a status, nothing written
            for field, value in (("scale", 0.0), ("scale", float("nan")), ("softcap", -1.0),
                                 ("masked_rows", 7), ("ndim", 9)):
                bad = ffi.new("fsm_softmax_options *", o[0])
                setattr(bad, field, value)
                y.fill(3.0)
                assert fn(rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, bad) == \
                    lib.FSM_INVALID_ARGUMENT, field
                assert (y == 3.0).all()
            bad = ffi.new("fsm_softmax_options *", o[0])
            bad.shape[0] = 5  # product != rows
            assert fn(rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, bad) == lib.FSM_INVALID_ARGUMENT
            bad.shape[0], bad.mask = b, ffi.NULL
            assert fn(rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, bad) == lib.FSM_NULL_POINTER
        # the VJPs: scale and soft cap (the mask and causal columns: y = 0)
        y = np.empty_like(x)
        assert (lib.fsm_softmax_ex_f32 if f32 else lib.fsm_softmax_ex_f64)(
            rows, lk, ptr(ffi, x), lk, ptr(ffi, y), lk, 0, o) == 0
        dy = rng.standard_normal(x.shape).astype(dtype)
        dx = np.empty_like(x)
        bw = lib.fsm_softmax_backward_ex_f32 if f32 else lib.fsm_softmax_backward_ex_f64
        assert bw(rows, lk, ptr(ffi, y), lk, ptr(ffi, dy), lk, ptr(ffi, x), lk, ptr(ffi, dx), lk,
                  o) == 0
        y64, dy64 = y.astype(np.float64), dy.astype(np.float64)
        dz = y64 * (dy64 - (dy64 * y64).sum(-1, keepdims=True))
        want = dz * 0.5 * (1 - np.tanh(x.astype(np.float64) * 0.5 / 4.0) ** 2)
        np.testing.assert_allclose(dx, want, rtol=tol, atol=tol)
        assert bw(rows, lk, ptr(ffi, y), lk, ptr(ffi, dy), lk, ffi.NULL, lk, ptr(ffi, dx), lk,
                  o) == lib.FSM_NULL_POINTER
        lz = np.empty_like(x)
        assert (lib.fsm_log_softmax_ex_f32 if f32 else lib.fsm_log_softmax_ex_f64)(
            rows, lk, ptr(ffi, x), lk, ptr(ffi, lz), lk, 0, o) == 0
        lbw = lib.fsm_log_softmax_backward_ex_f32 if f32 else lib.fsm_log_softmax_backward_ex_f64
        assert lbw(rows, lk, ptr(ffi, lz), lk, ptr(ffi, dy), lk, ptr(ffi, x), lk, ptr(ffi, dx),
                   lk, o) == 0
        keep = np.isfinite(lz)
        sdy = np.where(keep, dy64, 0).sum(-1, keepdims=True)
        dz = np.where(keep, dy64 - np.exp(lz.astype(np.float64)) * sdy, 0.0)
        want = dz * 0.5 * (1 - np.tanh(x.astype(np.float64) * 0.5 / 4.0) ** 2)
        np.testing.assert_allclose(dx, want, rtol=tol, atol=tol)


def test_logsumexp_topk_sample_through_the_c_abi(ffi, lib):
    """fsm_logsumexp_*, fsm_topk_softmax_* and fsm_sample_* (issue 16) from C:
    strided rows, float64 references, the uniforms deciding the tokens."""
    rng = np.random.default_rng(16)
    for dtype, sfx in ((np.float32, "f32"), (np.float64, "f64")):
        base = rng.normal(0, 3, (4, 300)).astype(dtype)
        x = base[:, :257]  # row stride 300
        x64 = x.astype(np.float64)
        m = x64.max(1, keepdims=True)
        lse_ref = (m + np.log(np.exp(x64 - m).sum(1, keepdims=True)))[:, 0]
        out = np.empty(4, dtype)
        fn = lib.fsm_logsumexp_f32 if sfx == "f32" else lib.fsm_logsumexp_f64
        assert fn(4, 257, ptr(ffi, x), 300, ptr(ffi, out)) == 0
        np.testing.assert_allclose(out, lse_ref, rtol=2e-6 if sfx == "f32" else 1e-13)

        k = 5
        probs, idx = np.empty((4, 8), dtype), np.full((4, 8), -1, np.int64)
        fn = lib.fsm_topk_softmax_f32 if sfx == "f32" else lib.fsm_topk_softmax_f64
        assert fn(4, 257, ptr(ffi, x), 300, k, 0, ptr(ffi, probs), 8,
                  ffi.cast("int64_t *", idx.ctypes.data), 8) == 0
        order = np.argsort(-x64, axis=1, kind="stable")[:, :k]
        np.testing.assert_array_equal(idx[:, :k], order)
        assert (idx[:, k:] == -1).all()
        p64 = np.exp(x64 - lse_ref[:, None])
        np.testing.assert_allclose(probs[:, :k], np.take_along_axis(p64, order, 1), rtol=4e-6)

        params = ffi.new("fsm_sampling_params *", {"temperature": 1.0, "top_p": 1.0,
                                                   "min_p": 0.0, "top_k": 1})
        u = np.array([0.0, 0.3, 0.6, 0.999])
        tokens = np.full(4, -1, np.int64)
        fn = lib.fsm_sample_f32 if sfx == "f32" else lib.fsm_sample_f64
        assert fn(4, 257, ptr(ffi, x), 300, params, ffi.cast("double *", u.ctypes.data),
                  ffi.cast("int64_t *", tokens.ctypes.data)) == 0
        np.testing.assert_array_equal(tokens, np.argmax(x64, axis=1))  # top-k 1: greedy
        x[2, 7] = np.nan
        assert fn(4, 257, ptr(ffi, x), 300, params, ffi.cast("double *", u.ctypes.data),
                  ffi.cast("int64_t *", tokens.ctypes.data)) == STATUS["FSM_INVALID_ARGUMENT"]

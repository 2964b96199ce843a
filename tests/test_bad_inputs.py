"""Runs the bad-input tables of tests/bad_inputs.py: every malformed Python
call raises its exception with its message (and writes nothing), every
valid-but-odd call gives the float64 reference's result; every malformed C
call (the bundled shared library through cffi) returns its status and
writes nothing."""

from __future__ import annotations

import re

import numpy as np
import pytest

import fastsoftmax
import reference as R
from bad_inputs import C_CASES, C_DEFAULTS, C_OTHER, C_TEMPLATES, PY_CASES

# ---------------------------------------------------------------- Python


def _reference(name, x, kwargs, targets=None):
    axis = kwargs.get("axis", -1)
    if name == "softmax":
        ref = R.softmax64(x, axis)
        return ref, R.softmax_tolerance(x, ref, x.dtype, axis)
    if name == "log_softmax":
        ref = R.log_softmax64(x, axis)
        return ref, R.log_softmax_tolerance(x, ref, x.dtype, axis)
    if name == "cross_entropy":
        ref, _ = R.cross_entropy_rows64(x, targets)
        return ref, R.loss_tolerance(ref, x.dtype)
    raise AssertionError(f"no reference named {name}")  # pragma: no cover


@pytest.mark.parametrize("case", PY_CASES, ids=[c[0] for c in PY_CASES])
def test_python_bad_input(case):
    _, fn, args, kwargs, exc, expect = case
    if callable(args):
        args, kwargs = args()
    kwargs = dict(kwargs)
    if isinstance(kwargs.get("out"), str):  # "x": in place
        kwargs["out"] = args[0]
    before_isa = fastsoftmax.isa()
    outs = [a for a in (kwargs.get("out"), kwargs.get("grad_out")) if isinstance(a, np.ndarray)]
    snapshots = [o.copy() for o in outs]
    inputs = [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]
    if exc is None:
        got = fn(*args, **kwargs)
        x = np.asarray(inputs[0])
        x = x.astype(x.dtype.newbyteorder("="))
        ref, tol = _reference(expect, x, kwargs, inputs[1] if len(inputs) > 1 else None)
        R.assert_close(got, ref, tol, case[0])
        if "out" in kwargs:
            assert got is kwargs["out"]
        return
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    message = str(info.value)
    assert re.search(expect, message), f"message {message!r} does not match {expect!r}"
    assert "array(" not in message, f"the message dumps an array: {message!r}"
    for o, snap in zip(outs, snapshots):
        np.testing.assert_array_equal(o, snap, err_msg="a refused call wrote its output")
    for a, snap in zip(args, inputs):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, snap, err_msg="a refused call changed an input")
    assert fastsoftmax.isa() == before_isa


def test_python_table_covers_every_function():
    """Each public computing function appears in the table at least once."""
    covered = {c[1].__name__ for c in PY_CASES}
    # queries without arguments, the context manager (its name checks are
    # set_isa's) and paths; thread-count settings have their own tests
    skip = {"isa", "detected_isa", "available_isas", "use_isa", "threads"}
    public = {n for n in fastsoftmax.__all__ if callable(getattr(fastsoftmax, n))
              and n not in skip and not n.startswith("get_")}
    assert public <= covered, f"no bad-input case for {sorted(public - covered)}"


# ---------------------------------------------------------------- C API

cffi = pytest.importorskip("cffi")


@pytest.fixture(scope="module")
def api():
    from native import installed_header, preprocessed_header

    ffi = cffi.FFI()
    ffi.cdef(preprocessed_header(installed_header()))
    lib = ffi.dlopen(fastsoftmax.get_library())
    yield ffi, lib
    lib.fsm_set_isa(0)
    lib.fsm_set_thread_isa(0)


SENTINEL = -7.25
CTYPE = {np.float32: "float", np.float64: "double"}


def _expand():
    """(id, function name, overrides, status) for every dtype."""
    out = []
    for cid, fn, over, status in C_CASES:
        if "{dt}" in fn:
            for dt in ("f32", "f64"):
                out.append((f"{cid} [{dt}]", fn.format(dt=dt), over, status))
        else:
            out.append((cid, fn, over, status))
    return out


CASES = _expand()


def _roles(fn):
    if fn in C_OTHER:
        return C_OTHER[fn]
    for template, roles in C_TEMPLATES.items():
        for dt in ("f32", "f64"):
            if template.format(dt=dt) == fn:
                return roles
    raise AssertionError(fn)  # pragma: no cover


def _build_call(ffi, fn, over):
    dtype = np.float64 if fn.endswith("_f64") else np.float32
    ct = CTYPE[dtype]
    rng = np.random.default_rng(3)
    bufs = {
        "x": rng.normal(0, 1, 12).astype(dtype),
        "b": rng.uniform(0, 1, 12).astype(dtype),
        "y": np.full(12, SENTINEL, dtype),
        "loss": np.full(3, SENTINEL, dtype),
        "stats": np.full(9, SENTINEL),
        "st_in": np.zeros(3 * 48, np.uint8),
        "st_in2": np.zeros(3 * 48, np.uint8),
        "st_out": np.full(3 * 48, 0xA5, np.uint8),
        "lse_out": np.full(3, SENTINEL),
        "out5": np.full(5, SENTINEL),
        "targets": np.array([0, 3, 1], np.int64),
        "isa_out": np.full(1, 77, np.int32),
        "lse_y": np.full(3, SENTINEL, dtype),
        "probs": np.full(12, SENTINEL, dtype),
        "idx": np.full(12, -7, np.int64),
        "unif": np.array(over["unif"] if isinstance(over.get("unif"), list) else [0.5, 0.25, 0.75]),
        "tok": np.full(3, -7, np.int64),
    }
    if isinstance(over.get("targets"), list):
        bufs["targets"] = np.array(over["targets"], np.int64)
    ptr_type = {"x": ct, "b": ct, "y": ct, "loss": ct, "stats": "double", "out5": "double",
                "targets": "int64_t", "isa_out": "fsm_isa", "st_in": "fsm_softmax_state",
                "st_in2": "fsm_softmax_state", "st_out": "fsm_softmax_state", "lse_out": "double",
                "lse_y": ct, "probs": ct, "idx": "int64_t", "unif": "double", "tok": "int64_t"}
    args = []
    for role in _roles(fn):
        v = over.get(role, C_DEFAULTS.get(role))
        if role in bufs:
            if v == "NULL":
                args.append(ffi.NULL)
            elif isinstance(v, str):  # aliasing another buffer
                args.append(ffi.cast(ptr_type[role] + " *", bufs[v].ctypes.data))
            else:
                args.append(ffi.cast(ptr_type[role] + " *", bufs[role].ctypes.data))
        elif role == "params":
            if v == "NULL":
                args.append(ffi.NULL)
            else:
                params = dict(C_DEFAULTS["params"]) | dict(v)
                bufs["_params"] = ffi.new("fsm_sampling_params *", params)
                args.append(bufs.pop("_params"))
        elif role == "name":
            args.append(ffi.NULL if v == "NULL" else v)
        elif role == "opts":  # fsm_softmax_options: defaults, then the case's fields
            if v == "NULL":
                args.append(ffi.NULL)
                continue
            opts = ffi.new("fsm_softmax_options *")  # zeroed: fsm_softmax_options_init's
            opts.scale = 1.0                          # defaults but the scale
            for field, value in (v or {}).items():
                if field == "shape0":
                    opts.shape[0] = value
                else:
                    setattr(opts, field, value)
            bufs["opts"] = opts  # kept alive with the buffers
            args.append(opts)
        elif role == "x2":  # the VJPs' forward input: NULL unless aliasing x
            args.append(ffi.cast(ct + " *", bufs["x"].ctypes.data) if v == "x" else ffi.NULL)
        elif role in ("rows", "cols", "xs", "ys", "bs", "cols1", "n", "n1", "k", "ps", "is"):
            args.append(ffi.cast("size_t", v))
        elif role in ("xos", "xas", "yos", "yas", "bos", "bas"):
            args.append(ffi.cast("ptrdiff_t", v))
        elif role in ("algorithm", "isa", "kind"):  # enums: -1 is all ones
            args.append(ffi.cast("unsigned int", v))
        else:
            args.append(v)
    return args, bufs, over


def _written(bufs, over):
    """The output buffers a refused call must not have touched."""
    aliased = {v for v in over.values() if isinstance(v, str)}
    return {k: v for k, v in bufs.items()
            if k in ("y", "loss", "stats", "out5", "isa_out", "st_out", "lse_out", "lse_y", "probs",
                     "idx", "tok")
            and k not in aliased}


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_c_bad_input(api, case):
    ffi, lib = api
    cid, fn, over, status = case
    args, bufs, over = _build_call(ffi, fn, over)
    before = {k: v.copy() for k, v in _written(bufs, over).items()}
    x_before = bufs["x"].copy()
    got = getattr(lib, fn)(*args)
    assert got == getattr(lib, status), \
        f"{cid}: {fn} returned {got}, expected {status} ({getattr(lib, status)})"
    if status != "FSM_OK":
        for k, v in _written(bufs, over).items():
            np.testing.assert_array_equal(v, before[k], err_msg=f"{cid}: a refused call wrote {k}")
        if over.get("y") != "x":
            np.testing.assert_array_equal(bufs["x"], x_before)
    elif re.fullmatch(r"fsm_(log_)?softmax_f(32|64)", fn) and over.get("rows", 3) and \
            over.get("cols", 4):
        # accepted calls compute the right thing (in place included)
        rows = int(over.get("rows", 3))
        x = x_before[:4 * rows].reshape(rows, 4) if over.get("xs", 4) else \
            np.broadcast_to(x_before[:4], (rows, 4))
        y = (bufs["x"] if over.get("y") == "x" else bufs["y"])[:4 * rows].reshape(rows, 4)
        log = fn.startswith("fsm_log")
        ref = R.log_softmax64(x) if log else R.softmax64(x)
        tol = (R.log_softmax_tolerance if log else R.softmax_tolerance)(x, ref, x.dtype)
        R.assert_close(y, ref, tol, cid)
    lib.fsm_set_isa(0)
    lib.fsm_set_thread_isa(0)
    lib.fsm_set_num_threads(0)


def test_c_table_covers_every_matrix_function(api):
    ffi, lib = api
    from native import installed_header, public_functions

    names = {c[1] for c in CASES}
    for fn in public_functions(installed_header()):
        takes_matrix = fn.endswith(("_f32", "_f64"))
        if takes_matrix:
            assert fn in names, f"{fn} has no bad-input case"

"""fastsoftmax.jax (issue 18): the functions on jax.Array against float64
NumPy references, jax.nn.softmax / log_softmax and optax-free closed forms,
under jit, grad and vmap. Skips cleanly without JAX."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
import reference as R

jax = pytest.importorskip("jax")
jnp = pytest.importorskip("jax.numpy")
fsj = pytest.importorskip("fastsoftmax.jax")


@pytest.fixture(autouse=True, params=["ffi", "callback"])
def backend(request, monkeypatch):
    """Every test runs on both paths: the XLA FFI custom calls (when this
    build has them) and the jax.pure_callback fallback."""
    if request.param == "ffi" and fsj.BACKEND != "ffi":
        pytest.skip("this build has no XLA FFI handlers (built without jax's headers)"
                    if not hasattr(fs._core, "xla_ffi_targets") else "FASTSOFTMAX_JAX_BACKEND=callback")
    monkeypatch.setattr(fsj, "_use_ffi", request.param == "ffi")
    return request.param


@pytest.fixture(autouse=True)
def x64():
    """float64 tests need jax_enable_x64; restored afterwards so that no
    other test sees it."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", before)


def _ref(log, x, axis):
    ref = R.log_softmax64(x, axis) if log else R.softmax64(x, axis)
    tol = (R.log_softmax_tolerance(x, ref, x.dtype, axis) if log
           else R.softmax_tolerance(x, ref, x.dtype, axis))
    return ref, tol


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("cols", [1, 9, 33])
def test_matches_references_eager_and_jit(dtype, log, cols, rng):
    x = rng.normal(0, 4, (3, 5, cols)).astype(dtype)
    fn = fsj.log_softmax if log else fsj.softmax
    peer = jax.nn.log_softmax if log else jax.nn.softmax
    for axis in (0, 1, -1):
        ref, tol = _ref(log, x, axis)
        for f in (fn, jax.jit(lambda t, a: fn(t, a), static_argnums=1)):
            got = f(jnp.asarray(x), axis)
            assert isinstance(got, jax.Array) and got.dtype == dtype and got.shape == x.shape
            R.assert_close(np.asarray(got), ref, tol, f"axis={axis}")
        np.testing.assert_allclose(np.asarray(got), np.asarray(peer(jnp.asarray(x), axis=axis)),
                                   rtol=8e-6 if dtype == np.float32 else 1e-13,
                                   atol=1e-6 if dtype == np.float32 else 1e-14)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_grad_matches_jax_nn(dtype, log, rng):
    x = jnp.asarray(rng.normal(0, 3, (4, 13)).astype(dtype))
    w = jnp.asarray(rng.normal(0, 1, (4, 13)).astype(dtype))
    fn = fsj.log_softmax if log else fsj.softmax
    peer = jax.nn.log_softmax if log else jax.nn.softmax
    for axis in (0, 1):
        got = jax.jit(jax.grad(lambda t: jnp.sum(w * fn(t, axis))))(x)
        want = jax.grad(lambda t: jnp.sum(w * peer(t, axis=axis)))(x)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want),
                                   rtol=2e-5 if dtype == np.float32 else 1e-12,
                                   atol=1e-6 if dtype == np.float32 else 1e-14)
    # the library's VJP against the float64 closed form
    y = fn(x, 1)
    _, vjp = jax.vjp(lambda t: fn(t, 1), x)
    (dx,) = vjp(w)
    ref = (R.log_softmax_backward64 if log else R.softmax_backward64)(np.asarray(y), np.asarray(w))
    np.testing.assert_allclose(np.asarray(dx), ref, rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-14)


def test_vmap(rng):
    x = jnp.asarray(rng.normal(0, 2, (6, 3, 9)))
    got = jax.vmap(lambda t: fsj.softmax(t, 0))(x)
    np.testing.assert_allclose(np.asarray(got), R.softmax64(np.asarray(x), 1), rtol=1e-13)
    c = jnp.asarray(rng.integers(0, 9, (6, 3)))
    losses = jax.vmap(fsj.cross_entropy)(x, c)
    for i in range(6):
        np.testing.assert_allclose(float(losses[i]), float(fs.cross_entropy(np.asarray(x[i]),
                                                                            np.asarray(c[i]))),
                                   rtol=1e-13)
    g = jax.vmap(jax.grad(lambda t: jnp.sum(fsj.log_softmax(t) ** 2)))(x)
    g_ref = jax.vmap(jax.grad(lambda t: jnp.sum(jax.nn.log_softmax(t) ** 2)))(x)
    np.testing.assert_allclose(np.asarray(g), np.asarray(g_ref), rtol=1e-12, atol=1e-14)


def _ce_peer(x, t, axis, reduction, ignore_index, alpha):
    """Cross-entropy in jax.numpy (the float64 closed form)."""
    logp = jax.nn.log_softmax(x, axis=axis)
    d = x.shape[axis]
    if jnp.issubdtype(t.dtype, jnp.floating):
        tt = (1 - alpha) * t + alpha / d
        rows = -jnp.sum(tt * logp, axis=axis)
        keep = jnp.ones(rows.shape, bool)
    else:
        keep = t != ignore_index
        oh = jax.nn.one_hot(jnp.where(keep, t, 0), d, axis=axis, dtype=x.dtype)
        tt = (1 - alpha) * oh + alpha / d
        rows = jnp.where(keep, -jnp.sum(tt * logp, axis=axis), 0.0)
    if reduction == "none":
        return rows
    if reduction == "sum":
        return rows.sum()
    return rows.sum() / keep.sum()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cross_entropy_and_grad(dtype, reduction, alpha, rng):
    x = jnp.asarray(rng.normal(0, 3, (5, 6, 4)).astype(dtype))
    c = rng.integers(0, 6, (5, 4))
    c[0, :2] = -100
    p = jax.nn.softmax(jnp.asarray(rng.normal(size=(5, 6, 4)).astype(dtype)), axis=1)
    tol = dict(rtol=4e-6, atol=4e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for t in (jnp.asarray(c), p):
        kw = dict(axis=1, reduction=reduction, label_smoothing=alpha)
        got = jax.jit(lambda a, b: fsj.cross_entropy(a, b, **kw))(x, t)
        want = _ce_peer(x, t, 1, reduction, -100, alpha)
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), **tol)

        def total(f, a, b):
            return jnp.sum(f(a, b) * (1.0 + jnp.arange(np.size(want)).reshape(np.shape(want))))
        argnums = (0, 1) if jnp.issubdtype(t.dtype, jnp.floating) else 0
        g = jax.grad(lambda a, b: total(lambda u, v: fsj.cross_entropy(u, v, **kw), a, b),
                     argnums=argnums)(x, t)
        gw = jax.grad(lambda a, b: total(lambda u, v: _ce_peer(u, v, 1, reduction, -100, alpha),
                                         a, b), argnums=argnums)(x, t)
        for a, b in zip(jax.tree_util.tree_leaves(g), jax.tree_util.tree_leaves(gw)):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), **tol)


def test_cross_entropy_float64_reference(rng):
    x = rng.normal(0, 3, (7, 11)).astype(np.float32)
    c = rng.integers(0, 11, 7)
    ref, grad = R.cross_entropy_rows64(x, c)
    got = fsj.cross_entropy(jnp.asarray(x), jnp.asarray(c), reduction="none")
    R.assert_close(np.asarray(got), ref, R.loss_tolerance(ref, np.float32), "loss")
    g = jax.grad(lambda t: fsj.cross_entropy(t, jnp.asarray(c), reduction="sum"))(jnp.asarray(x))
    np.testing.assert_allclose(np.asarray(g), grad, rtol=0, atol=2e-6)


def test_the_backend_is_the_one_traced(backend, rng):
    """The jaxpr holds the FFI custom call, or the callback: never both."""
    x = jnp.asarray(rng.normal(size=(2, 5)))
    c = jnp.asarray([1, 4])
    text = str(jax.make_jaxpr(jax.grad(lambda t: fsj.cross_entropy(t, c)
                                       + jnp.sum(fsj.softmax(t) * fsj.log_softmax(t))))(x))
    want, other = ("ffi_call", "pure_callback") if backend == "ffi" else ("pure_callback", "ffi_call")
    assert want in text and other not in text


def test_builds_with_handlers_use_them():
    import os
    if hasattr(fs._core, "xla_ffi_targets") and os.environ.get("FASTSOFTMAX_JAX_BACKEND") != "callback":
        assert fsj.BACKEND == "ffi"
        assert set(fs._core.xla_ffi_targets()) == {
            "fastsoftmax_softmax", "fastsoftmax_log_softmax", "fastsoftmax_softmax_backward",
            "fastsoftmax_log_softmax_backward", "fastsoftmax_cross_entropy"}
    else:
        assert fsj.BACKEND == "callback"


def test_numpy_functions_on_traced_arrays_say_what_to_do():
    """Issue 18: fastsoftmax.softmax inside jit used to raise a TypeError
    about __array__; now it names fastsoftmax.jax."""
    with pytest.raises(TypeError, match=r"x is a traced JAX array .*use fastsoftmax.jax"):
        jax.jit(fs.softmax)(jnp.zeros(3))
    with pytest.raises(TypeError, match=r"logits is a traced JAX array"):
        jax.grad(lambda t: fs.cross_entropy(t, np.array([0])))(jnp.zeros((1, 3)))


def test_numpy_functions_take_concrete_jax_arrays(rng):
    x = rng.normal(size=(3, 10)).astype(np.float32)
    got = fs.softmax(jnp.asarray(x))
    assert type(got) is np.ndarray
    ref = R.softmax64(x)
    R.assert_close(got, ref, R.softmax_tolerance(x, ref, np.float32), "softmax of jax.Array")


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fsj.softmax(jnp.zeros(3, jnp.float16)), TypeError,
     "x must have dtype float32 or float64, got float16"),
    (lambda: fsj.softmax(jnp.zeros(3, jnp.bfloat16)), TypeError, "bfloat16"),
    (lambda: fsj.log_softmax(jnp.zeros(3, jnp.int32)), TypeError, "x must have dtype"),
    (lambda: fsj.softmax(jnp.zeros((2, 3)), 2), ValueError, "axis 2 is out of bounds"),
    (lambda: fsj.softmax(jnp.zeros((2, 3)), 1.5), TypeError, "axis must be an integer"),
    (lambda: fsj.softmax(object()), TypeError, "x must be a jax.Array or array-like"),
    (lambda: fsj.cross_entropy(jnp.zeros(()), jnp.zeros((), int)), ValueError,
     "at least one dimension"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros(3, int)), ValueError,
     r"targets must have shape \(2,\)"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros(2, jnp.int16)), TypeError,
     "targets must be int32 or int64"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros((2, 3), jnp.float32)), TypeError,
     "probability targets must have the logits' dtype"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros(2, int), reduction="avg"),
     ValueError, "reduction must be one of"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros(2, int), label_smoothing=-0.1),
     ValueError, "label_smoothing must be in"),
    (lambda: fsj.cross_entropy(jnp.zeros((2, 3)), jnp.zeros(2, int), ignore_index="x"),
     TypeError, "ignore_index must be an integer"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_target_out_of_range_fails_when_run():
    with pytest.raises(Exception, match="out of range"):
        jax.block_until_ready(fsj.cross_entropy(jnp.zeros((2, 3)), jnp.array([0, 3])))


def test_zero_d_and_empty():
    assert float(fsj.softmax(jnp.float32(3.0))) == 1.0
    assert float(fsj.log_softmax(jnp.float32(3.0))) == 0.0
    assert fsj.softmax(jnp.zeros((0, 4))).shape == (0, 4)
    assert jax.jit(fsj.log_softmax)(jnp.zeros((3, 0))).shape == (3, 0)


def test_concurrent_calls_from_threads(rng):
    from concurrent.futures import ThreadPoolExecutor
    xs = [jnp.asarray(rng.normal(size=(32, 4099)).astype(np.float32)) for _ in range(6)]
    f = jax.jit(lambda t: (fsj.softmax(t), fsj.log_softmax(t, 0)))
    want = [f(x) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(f, xs * 2))
    for i, g in enumerate(got):
        for a, b in zip(g, want[i % len(xs)]):
            assert np.array_equal(np.asarray(a), np.asarray(b))


def test_ffi_handlers_check_buffer_sizes(backend):
    """The FFI targets can be called by name from any jax.ffi.ffi_call:
    wrong sizes are refused, never read or written out of bounds."""
    if backend != "ffi":
        pytest.skip("FFI handlers only")
    f32 = jnp.float32
    calls = [
        ("softmax", jax.ShapeDtypeStruct((2, 3), f32), (jnp.ones((3, 3), f32),), {},
         "the result has the wrong size"),
        ("softmax_backward", jax.ShapeDtypeStruct((3, 3), f32),
         (jnp.ones((3, 3), f32), jnp.ones((2, 3), f32)), {}, "upstream gradient"),
        ("cross_entropy", (jax.ShapeDtypeStruct((), f32), jax.ShapeDtypeStruct((0,), f32)),
         (jnp.ones((3, 4), f32), jnp.zeros(2, jnp.int32)),
         dict(ignore_index=np.int64(-100), label_smoothing=np.float64(0), reduction=np.int64(2),
              need_grad=np.int64(0)), "targets has the wrong size"),
        ("cross_entropy", (jax.ShapeDtypeStruct((), f32), jax.ShapeDtypeStruct((0,), f32)),
         (jnp.ones((3, 4), f32), jnp.zeros(3, jnp.int32)),
         dict(ignore_index=np.int64(-100), label_smoothing=np.float64(0), reduction=np.int64(2),
              need_grad=np.int64(1)), "the gradient has the wrong size"),
    ]
    for name, like, args, attrs, match in calls:
        with pytest.raises(Exception, match=match):
            jax.block_until_ready(jax.ffi.ffi_call(f"fastsoftmax_{name}", like)(*args, **attrs))


def test_ffi_calls_compute_in_the_default_floating_point_environment(backend):
    """XLA runs with denormals flushed; the handlers compute in the default
    environment (the NumPy path's results, subnormal outputs kept), and the
    library's thread pool, when the first parallel call comes from XLA,
    does not inherit XLA's flush mode. A fresh process, so that the pool
    is started by the FFI call."""
    if backend != "ffi":
        pytest.skip("FFI handlers only")
    import subprocess
    import sys
    code = (
        "import threading, numpy as np, jax, jax.numpy as jnp, fastsoftmax as fs, fastsoftmax.jax as fsj\n"
        "assert fsj.BACKEND == 'ffi'\n"
        "x = np.zeros((8, 4099), np.float32); x[:, 2] = -87.3   # output ~3e-42, subnormal\n"
        "f = jax.jit(fsj.softmax)\n"
        "t = threading.Thread(target=lambda: f(jnp.asarray(x)).block_until_ready()); t.start(); t.join()\n"
        "y_ffi, y_np = np.asarray(f(jnp.asarray(x))), fs.softmax(x)\n"
        "assert (y_np[:, 2] != 0).all(), y_np[:, 2]\n"
        "assert np.array_equal(y_ffi, y_np), (y_ffi[:, 2], y_np[:, 2])\n")
    subprocess.run([sys.executable, "-c", code], check=True)

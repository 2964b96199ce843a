"""Threads: the same bits at every thread count (rows split across threads,
long rows cut into chunks by shape), accuracy of the chunked rows against
float64, the controls, fork, many Python threads at once, threadpoolctl."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastsoftmax
from conftest import ISAS
from reference import (
    assert_close,
    log_softmax64,
    log_softmax_tolerance,
    normalised64,
    softmax64,
    softmax_tolerance,
)

CHUNK_MIN = 1 << 17   # rows from this length are cut into chunks
CHUNK = 1 << 15
THREAD_COUNTS = (1, 2, 3)


@pytest.fixture(autouse=True)
def _restore_threads():
    yield
    fastsoftmax.set_num_threads(0)


def _rows(rows: int, cols: int, seed: int = 0) -> np.ndarray:
    """Rows whose chunks differ: a ramp, a first chunk of -inf, a -inf run
    across a chunk boundary, one dominant element, normal noise."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 3.0, size=(rows, cols)).astype(np.float32)
    x[0] = np.linspace(-30, 30, cols, dtype=np.float32)
    if rows > 1:
        x[1, :CHUNK] = -np.inf
    if rows > 2:
        x[2, CHUNK // 2: 2 * CHUNK + 7] = -np.inf
    if rows > 3:
        x[3] -= 60.0
        x[3, -1] = 90.0
    return x


def _each_thread_count(fn):
    out = []
    for n in THREAD_COUNTS:
        with fastsoftmax.threads(n):
            out.append(fn())
    return out


def _assert_same_bits(results, what):
    first = results[0]
    for n, r in zip(THREAD_COUNTS[1:], results[1:]):
        assert first.tobytes() == r.tobytes(), f"{what}: {n} threads differ from 1"


@pytest.mark.parametrize("isa", ISAS)
@pytest.mark.parametrize("algorithm", fastsoftmax.ALGORITHMS)
@pytest.mark.parametrize("shape", [(1, CHUNK_MIN + 77), (4, CHUNK_MIN + 3), (257, 1024)])
def test_softmax_same_bits_at_any_thread_count(isa, algorithm, shape):
    x = _rows(*shape)
    with fastsoftmax.use_isa(isa):
        for fn, ref, tol in ((fastsoftmax.softmax, softmax64, softmax_tolerance),
                             (fastsoftmax.log_softmax, log_softmax64, log_softmax_tolerance)):
            results = _each_thread_count(lambda: fn(x, algorithm=algorithm))
            _assert_same_bits(results, f"{fn.__name__} {isa} {algorithm} {shape}")
            r = ref(x)
            assert_close(results[-1], r, tol(x, r, np.float32), f"{fn.__name__} {isa} {algorithm}")


@pytest.mark.parametrize("isa", ISAS)
def test_training_functions_same_bits_at_any_thread_count(isa):
    rng = np.random.default_rng(1)
    for shape in [(1, CHUNK_MIN + 5), (3, CHUNK_MIN), (300, 700)]:
        x = _rows(*shape, seed=2)
        y = fastsoftmax.softmax(x)
        z = fastsoftmax.log_softmax(x)
        dy = rng.normal(size=shape).astype(np.float32)
        targets = rng.integers(0, shape[1], size=shape[0])
        cases = {
            "softmax_backward": lambda: fastsoftmax.softmax_backward(y, dy),
            "log_softmax_backward": lambda: fastsoftmax.log_softmax_backward(z, dy),
            "taylor_softmax": lambda: fastsoftmax.taylor_softmax(dy),
            "spherical_softmax": lambda: fastsoftmax.spherical_softmax(dy, eps=1e-3),
            "stablemax": lambda: fastsoftmax.stablemax(dy),
            "cross_entropy": lambda: np.concatenate([
                np.ravel(a) for a in fastsoftmax.cross_entropy(
                    x, targets, reduction="none", return_grad=True)]),
        }
        with fastsoftmax.use_isa(isa):
            for name, fn in cases.items():
                _assert_same_bits(_each_thread_count(fn), f"{name} {isa} {shape}")


@pytest.mark.parametrize("isa", ISAS)
def test_chunked_training_rows_are_accurate(isa):
    """Reduce-then-map rows cut into chunks: against float64."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, CHUNK_MIN + 11)).astype(np.float32)
    with fastsoftmax.use_isa(isa), fastsoftmax.threads(2):
        for kind, fn in (("taylor", fastsoftmax.taylor_softmax),
                         ("stable", fastsoftmax.stablemax)):
            got = fn(x)
            ref = normalised64(kind, x)
            np.testing.assert_allclose(got, ref, rtol=4e-6, atol=1e-30, err_msg=kind)
        y = fastsoftmax.softmax(x)
        dy = rng.normal(size=x.shape).astype(np.float32)
        got = fastsoftmax.softmax_backward(y, dy)
        y64, dy64 = y.astype(np.float64), dy.astype(np.float64)
        ref = y64 * (dy64 - (y64 * dy64).sum(-1, keepdims=True))
        np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-9)


def test_thread_controls():
    default = fastsoftmax.get_num_threads()
    assert default >= 1
    assert default <= len(os.sched_getaffinity(0))
    fastsoftmax.set_num_threads(3)
    assert fastsoftmax.get_num_threads() == 3
    with fastsoftmax.threads(1) as n:
        assert n == 1 and fastsoftmax.get_num_threads() == 1
    assert fastsoftmax.get_num_threads() == 3
    fastsoftmax.set_num_threads(0)
    assert fastsoftmax.get_num_threads() == default
    with pytest.raises(ValueError, match="n must be in"):
        fastsoftmax.set_num_threads(257)
    with pytest.raises(ValueError, match="n must be in"):
        fastsoftmax.set_num_threads(-1)
    with pytest.raises(TypeError, match="n must be an int"):
        fastsoftmax.set_num_threads(2.0)
    assert fastsoftmax.get_num_threads() == default


def test_environment_variable_and_affinity():
    code = ("import fastsoftmax, os; print(fastsoftmax.get_num_threads(), "
            "len(os.sched_getaffinity(0)))")
    env = dict(os.environ, FASTSOFTMAX_NUM_THREADS="5")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[0] == "5"
    env = {k: v for k, v in os.environ.items() if k != "FASTSOFTMAX_NUM_THREADS"}
    # pinned to one CPU: the default follows the affinity mask, not the machine
    out = subprocess.run(["taskset", "-c", "0", sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["1", "1"]


# JAX (imported by tests/test_jax.py earlier in the session) warns at every
# fork about its own threads; the child here never touches JAX
@pytest.mark.filterwarnings("ignore:os.fork\\(\\) was called:RuntimeWarning")
def test_fork_then_call_in_the_child():
    x = _rows(2, CHUNK_MIN)
    with fastsoftmax.threads(2):
        expected = fastsoftmax.softmax(x)  # the pool is running now
        pid = os.fork()
        if pid == 0:  # child: its pool must be rebuilt, not waited for
            try:
                ok = fastsoftmax.softmax(x).tobytes() == expected.tobytes()
            finally:
                os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def test_many_python_threads_with_internal_threads():
    x = _rows(8, CHUNK_MIN + 1, seed=4)
    with fastsoftmax.threads(1):
        expected = [fastsoftmax.softmax(x[i:i + 2]) for i in range(0, 8, 2)]
    fastsoftmax.set_num_threads(2)
    errors = []

    def work(i):
        for _ in range(3):
            got = fastsoftmax.softmax(x[2 * i:2 * i + 2])
            if got.tobytes() != expected[i].tobytes():
                errors.append(i)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors


def test_threadpoolctl_sees_and_limits_fastsoftmax():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    if not hasattr(threadpoolctl, "register"):
        pytest.skip("threadpoolctl < 3.3 has no custom controllers")
    fastsoftmax.set_num_threads(2)
    info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "fastsoftmax"]
    assert len(info) == 1 and info[0]["num_threads"] == 2
    assert info[0]["version"] == fastsoftmax.__version__
    with threadpoolctl.threadpool_limits(1):
        assert fastsoftmax.get_num_threads() == 1
    assert fastsoftmax.get_num_threads() == 2
    with threadpoolctl.threadpool_limits(limits=1, user_api="fastsoftmax"):
        assert fastsoftmax.get_num_threads() == 1


def _loss_cases(x, targets, soft):
    """Every loss with its gradient, per row, as one flat array."""
    def flat(res):
        return np.concatenate([np.ravel(np.asarray(a, dtype=np.float64)) for a in res])
    kw = dict(reduction="none", return_grad=True)
    return {
        "cross_entropy": lambda: flat(fastsoftmax.cross_entropy(x, targets, **kw)),
        "cross_entropy smoothing": lambda: flat(fastsoftmax.cross_entropy(
            x, targets, label_smoothing=0.1, **kw)),
        "cross_entropy soft": lambda: flat(fastsoftmax.cross_entropy(x, soft, **kw)),
        "log_spherical_loss": lambda: flat(fastsoftmax.log_spherical_loss(x, targets, 1e-3, **kw)),
        "log_taylor_loss": lambda: flat(fastsoftmax.log_taylor_loss(x, targets, **kw)),
        "z_loss": lambda: flat(fastsoftmax.z_loss(x, targets, **kw)),
        "stablemax_cross_entropy": lambda: flat(fastsoftmax.stablemax_cross_entropy(
            x, targets, **kw)),
    }


@pytest.mark.parametrize("isa", ISAS)
def test_losses_on_long_rows_same_bits_and_accurate(isa):
    """Loss rows whose slices are cut into chunks (the target's left and
    right slices each >= 128K): identical at every thread count, and the
    cross-entropy against float64."""
    rng = np.random.default_rng(5)
    cols = 2 * CHUNK_MIN + 101
    x = rng.normal(0.0, 2.0, size=(2, cols)).astype(np.float32)
    targets = np.array([CHUNK_MIN + 50, cols - 7])
    soft = rng.random(size=x.shape).astype(np.float32)
    soft /= soft.sum(-1, keepdims=True)
    with fastsoftmax.use_isa(isa):
        for name, fn in _loss_cases(x, targets, soft).items():
            _assert_same_bits(_each_thread_count(fn), f"{name} {isa}")
        with fastsoftmax.threads(2):
            loss, grad = fastsoftmax.cross_entropy(x, targets, reduction="none", return_grad=True)
    ref_loss, ref_grad = reference_ce(x, targets)
    np.testing.assert_allclose(loss, ref_loss, rtol=2e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-12)


def reference_ce(x, targets):
    from reference import cross_entropy_rows64
    return cross_entropy_rows64(x, targets)

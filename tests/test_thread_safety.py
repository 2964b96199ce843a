"""Thread safety (issue 19): many Python threads calling every public
function at once, each under its own ISA override (``use_isa``), give the
results of single-threaded calls bit for bit; those results match the
float64 references (tests/reference.py); and ISA overrides stay per thread.

Arrays are large enough (>= 16384 elements) that the GIL is released while
the kernels run, so the threads really compute concurrently."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import fastsoftmax as fs
import reference as R

N_THREADS = 8
ROUNDS = 3
ROWS, COLS = 64, 257  # 16448 elements: past the GIL-release threshold


def _inputs(dtype):
    rng = np.random.default_rng(19)
    x = rng.normal(0, 3, (ROWS, COLS)).astype(dtype)
    x[3, 5] = -np.inf  # a masked entry
    dy = rng.normal(0, 1, (ROWS, COLS)).astype(dtype)
    c = rng.integers(0, COLS, ROWS).astype(np.int64)
    c[7] = -100  # an ignored row
    t = rng.uniform(0, 1, (ROWS, COLS)).astype(dtype)
    t /= t.sum(-1, keepdims=True)
    return x, dy, c, t


def _finite(x):
    return np.where(np.isfinite(x), x, 0.0).astype(x.dtype)


def _close(got, ref, dtype, rtol32=2e-5, rtol64=1e-11):
    """Loose float64-reference check: which function ran, not its bound
    (tests/test_softmax.py, test_training.py and test_spherical.py pin those)."""
    rtol = rtol32 if np.dtype(dtype) == np.float32 else rtol64
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    scale = np.max(np.abs(ref[np.isfinite(ref)]), initial=1.0)
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=rtol * scale, equal_nan=True)


# name -> (call(inputs) -> tuple of arrays, check(inputs, results, dtype))
def _cases():
    def softmax(i):
        return (fs.softmax(i[0]),)

    def log_softmax(i):
        return (fs.log_softmax(i[0], axis=-1, algorithm="online"),)

    def softmax_axis0(i):
        return (fs.softmax(i[0], axis=0, algorithm="two_pass"),)

    def softmax_backward(i):
        y = R.softmax64(i[0]).astype(i[0].dtype)
        return (y, fs.softmax_backward(y, i[1]))

    def log_softmax_backward(i):
        z = np.maximum(R.log_softmax64(i[0]), -1e30).astype(i[0].dtype)
        return (z, fs.log_softmax_backward(z, i[1]))

    def cross_entropy(i):
        return fs.cross_entropy(i[0], i[2], reduction="none", label_smoothing=0.1,
                                return_grad=True)

    def cross_entropy_soft(i):
        return fs.cross_entropy(i[0], i[3], reduction="none", return_grad=True)

    def spherical_stats(i):
        return fs.spherical_stats(_finite(i[0]), np.abs(i[2]))

    def spherical_loss_partials(i):
        return (np.array(fs.spherical_loss_partials("z", COLS, 40.0, 3.0, 1.5, a=2.0)),)

    def states(i):
        a = fs.softmax_state(i[0][:, :100])
        b = fs.softmax_state(i[0][:, 100:])
        m = fs.merge_states(a, b)
        return (a, b, m, fs.logsumexp_from_state(m), fs.softmax_from_state(i[0][:, :100], m),
                fs.log_softmax_from_state(i[0][:, 100:], m))

    def merge_states_axis(i):
        pieces = np.stack([fs.softmax_state(i[0][:, k:k + 64]) for k in range(0, COLS, 64)])
        return (fs.merge_states(pieces, axis=0),)

    def logsumexp(i):
        return (fs.logsumexp(i[0], axis=-1), fs.logsumexp(i[0], axis=0))

    def topk_softmax(i):
        return fs.topk_softmax(i[0], 20) + fs.topk_softmax(i[0], 3, renormalize=True)

    def sample(i):
        return (fs.sample(i[0], top_p=0.9, top_k=50, temperature=0.7, rng=5),)

    def linear_cross_entropy(i):
        h, W = i[0][:, :16], i[1][:40, :16].copy()
        c = np.abs(i[2]) % 40
        loss, g = fs.linear_cross_entropy(_finite(h), W, c, reduction="none", return_grad=True,
                                          chunk=16, label_smoothing=0.1)
        return (loss, g["h"], g["W"])

    def map_fn(name, **kw):
        return lambda i: (getattr(fs, name)(_finite(i[0]), **kw),)

    def loss_fn(name, **kw):
        return lambda i: getattr(fs, name)(_finite(i[0]), i[2], reduction="none",
                                           return_grad=True, **kw)

    calls = {
        "softmax": softmax,
        "log_softmax": log_softmax,
        "softmax_axis0": softmax_axis0,
        "softmax_backward": softmax_backward,
        "log_softmax_backward": log_softmax_backward,
        "cross_entropy": cross_entropy,
        "cross_entropy_soft": cross_entropy_soft,
        "spherical_stats": spherical_stats,
        "spherical_loss_partials": spherical_loss_partials,
        "spherical_softmax": map_fn("spherical_softmax", eps=1e-3),
        "log_spherical_softmax": map_fn("log_spherical_softmax", eps=1e-3),
        "taylor_softmax": map_fn("taylor_softmax"),
        "log_taylor_softmax": map_fn("log_taylor_softmax"),
        "stablemax": map_fn("stablemax"),
        "log_stablemax": map_fn("log_stablemax"),
        "log_spherical_loss": loss_fn("log_spherical_loss", eps=1e-3),
        "log_taylor_loss": loss_fn("log_taylor_loss"),
        "z_loss": loss_fn("z_loss", a=2.0, b=0.5),
        "stablemax_cross_entropy": loss_fn("stablemax_cross_entropy"),
        "states": states,  # softmax_state, merge_states, logsumexp_from_state, *_from_state
        "merge_states_axis": merge_states_axis,
        "logsumexp": logsumexp,
        "topk_softmax": topk_softmax,
        "sample": sample,
        "linear_cross_entropy": linear_cross_entropy,
    }
    return calls


def _check_reference(name, i, res, dtype):
    x, dy, c, t = i
    xf = _finite(x)
    if name == "softmax":
        R.assert_close(res[0], R.softmax64(x), R.softmax_tolerance(x, R.softmax64(x), dtype), name)
    elif name == "log_softmax":
        ref = R.log_softmax64(x)
        R.assert_close(res[0], ref, R.log_softmax_tolerance(x, ref, dtype), name)
    elif name == "softmax_axis0":
        ref = R.softmax64(x, axis=0)
        R.assert_close(res[0], ref, R.softmax_tolerance(x, ref, dtype, axis=0), name)
    elif name == "softmax_backward":
        _close(res[1], R.softmax_backward64(res[0], dy), dtype)
    elif name == "log_softmax_backward":
        _close(res[1], R.log_softmax_backward64(res[0], dy), dtype)
    elif name == "cross_entropy":
        ref_l, ref_g = R.cross_entropy_rows64(x, c, 0.1)
        _close(res[0], ref_l, dtype)
        _close(res[1], ref_g, dtype)
    elif name == "cross_entropy_soft":
        ref_l, ref_g = R.soft_cross_entropy_rows64(x, t)
        _close(res[0], ref_l, dtype)
        _close(res[1], ref_g, dtype)
    elif name == "spherical_stats":
        x64 = xf.astype(np.float64)
        _close(res[0], x64.sum(-1), np.float64, rtol64=1e-12)
        _close(res[1], (x64 ** 2).sum(-1), np.float64, rtol64=1e-12)
        np.testing.assert_array_equal(res[2], x64[np.arange(ROWS), np.abs(c)])
    elif name == "spherical_loss_partials":
        # z-loss at s_rest, q_rest: L = softplus(a (b - z_c)) / a
        D, q_rest, s_rest, x_c, a = COLS, 40.0, 3.0, 1.5, 2.0
        mu = (s_rest + x_c) / D
        var = (q_rest + x_c ** 2) / D - mu ** 2
        z_c = (x_c - mu) / np.sqrt(var)
        np.testing.assert_allclose(res[0][0], np.logaddexp(0, a * (0.0 - z_c)) / a, rtol=1e-12)
    elif name in ("spherical_softmax", "log_spherical_softmax", "taylor_softmax",
                  "log_taylor_softmax", "stablemax", "log_stablemax"):
        kind = name.replace("log_", "").replace("_softmax", "").replace("stablemax", "stable")
        ref = R.normalised64(kind, xf, eps=1e-3 if kind == "spherical" else 0.0,
                             log=name.startswith("log_"))
        _close(res[0], ref, dtype)
    elif name in ("log_spherical_loss", "log_taylor_loss", "stablemax_cross_entropy"):
        kind = {"log_spherical_loss": "spherical", "log_taylor_loss": "taylor",
                "stablemax_cross_entropy": "stable"}[name]
        ref_l, ref_g = R.normalised_loss_rows64(kind, xf, c, eps=1e-3)
        _close(res[0], ref_l, dtype)
        _close(res[1], ref_g, dtype)
    elif name == "z_loss":
        ref_l, ref_g = R.z_loss_rows64(xf, c, 2.0, 0.5)
        _close(res[0], ref_l, dtype)
        _close(res[1], ref_g, dtype, rtol32=1e-4)
    elif name == "states":
        lse = _lse64(x)
        _close(res[3], lse, dtype, rtol64=1e-13)
        R.assert_close(res[4], R.softmax64(x)[:, :100],
                       R.softmax_tolerance(x, R.softmax64(x), dtype)[:, :100], name)
        _close(res[5], R.log_softmax64(x)[:, 100:], dtype)
        _close(fs.logsumexp_from_state(res[0]), _lse64(x[:, :100]), dtype, rtol64=1e-13)
    elif name == "merge_states_axis":
        _close(fs.logsumexp_from_state(res[0]), _lse64(x), dtype, rtol64=1e-13)
    elif name == "logsumexp":
        _close(res[0], _lse64(x), dtype)
        _close(res[1], _lse64(x, axis=0), dtype)
    elif name == "topk_softmax":
        order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")
        np.testing.assert_array_equal(res[1], order[:, :20])
        np.testing.assert_array_equal(res[3], order[:, :3])
        p = R.softmax64(x)
        _close(res[0], np.take_along_axis(p, order[:, :20], -1), dtype)
        top3 = np.take_along_axis(p, order[:, :3], -1)
        _close(res[2], top3 / top3.sum(-1, keepdims=True), dtype)
    elif name == "sample":
        # every token among the 50 most probable
        rank = np.argsort(np.argsort(-x.astype(np.float64), axis=-1, kind="stable"), axis=-1)
        assert (np.take_along_axis(rank, res[0][:, None], -1) < 50).all()
    elif name == "linear_cross_entropy":
        h, W = _finite(x[:, :16]).astype(np.float64), dy[:40, :16].astype(np.float64)
        ref_l, ref_g = R.cross_entropy_rows64(h @ W.T, np.abs(c) % 40, 0.1)
        _close(res[0], ref_l, dtype, rtol32=1e-4)
        _close(res[1], ref_g @ W, dtype, rtol32=1e-4)
        _close(res[2], ref_g.T @ h, dtype, rtol32=1e-4)
    else:  # pragma: no cover - a case without a reference
        raise AssertionError(f"no reference for {name}")


def _lse64(x, axis=-1):
    x = np.asarray(x, np.float64)
    with np.errstate(all="ignore"):
        m = x.max(axis=axis, keepdims=True)
        return np.squeeze(m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True)), axis)


def _public_computing_functions():
    skip = {"isa", "detected_isa", "available_isas", "use_isa", "threads"}
    return {n for n in fs.__all__ if callable(getattr(fs, n)) and n not in skip
            and not n.startswith(("set_", "get_"))}  # settings and paths, not computations


def test_every_public_function_is_covered():
    names = set(_cases())
    names |= {"softmax_state", "merge_states", "logsumexp_from_state", "softmax_from_state",
              "log_softmax_from_state"}  # in the "states" case
    missing = _public_computing_functions() - names
    assert not missing, f"add a thread-safety case for {sorted(missing)}"


def _same(a, b):
    """Bit for bit (structured state arrays included)."""
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_threads_match_single_threaded(dtype):
    """N threads x every public function x an ISA override per thread; each
    result equals the single-threaded one under the same ISA, bit for bit,
    and the single-threaded ones match the float64 references."""
    inputs = _inputs(dtype)
    cases = _cases()
    isas = fs.available_isas()
    expected = {}
    for isa in isas:
        with fs.use_isa(isa):
            for name, call in cases.items():
                res = call(inputs)
                _check_reference(name, inputs, res, dtype)
                expected[isa, name] = res

    start = threading.Barrier(N_THREADS)
    errors: list[str] = []

    def worker(k: int):
        try:
            start.wait()
            for r in range(ROUNDS):
                for j, (name, call) in enumerate(cases.items()):
                    isa = isas[(k + r + j) % len(isas)]
                    with fs.use_isa(isa) as active:
                        if active != isa or fs.isa() != isa:
                            errors.append(f"thread {k}: use_isa({isa}) gave {active}/{fs.isa()}")
                        res = call(inputs)
                        if fs.isa() != isa:
                            errors.append(f"thread {k}: ISA changed to {fs.isa()} during {name}")
                    for got, want in zip(res, expected[isa, name]):
                        if not _same(got, want):
                            errors.append(f"thread {k} {isa} {name}: differs from single-threaded")
        except Exception as exc:  # reported below, with the thread
            errors.append(f"thread {k}: {exc!r}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(N_THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors, "\n".join(errors[:20])
    assert fs.isa() == fs.detected_isa()


def test_overlapping_use_isa_blocks_do_not_leak():
    """Issue 19, defect 1: thread A enters use_isa("scalar"), thread B enters
    use_isa(<another>), A exits, then B exits. With a process-wide override
    B restored A's "scalar" on exit and left the whole process on the
    scalar kernels; per-thread overrides leave it on the detected ISA."""
    isas = fs.available_isas()
    other = isas[-1] if len(isas) > 1 else "scalar"
    steps = [threading.Event() for _ in range(4)]
    seen = {}

    def a():
        with fs.use_isa("scalar"):
            steps[0].set()
            steps[1].wait(10)
            seen["a_inside"] = fs.isa()
        seen["a_after"] = fs.isa()
        steps[2].set()

    def b():
        steps[0].wait(10)
        with fs.use_isa(other):
            seen["b_inside_before"] = fs.isa()
            steps[1].set()
            steps[2].wait(10)
            seen["b_inside_after"] = fs.isa()
        seen["b_after"] = fs.isa()
        steps[3].set()

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    ta.join(20)
    tb.join(20)
    assert steps[3].is_set(), "the threads did not finish"
    detected = fs.detected_isa()
    assert seen == {"a_inside": "scalar", "a_after": detected, "b_inside_before": other,
                    "b_inside_after": other, "b_after": detected}, seen
    assert fs.isa() == detected
    # and the kernels really are the detected ones again: the process-wide
    # setting was never touched
    x = np.random.default_rng(0).normal(size=(4, 1000)).astype(np.float32)
    with fs.use_isa(detected):
        want = fs.softmax(x)
    assert _same(fs.softmax(x), want)


def test_use_isa_does_not_touch_other_threads():
    """While one thread is inside use_isa("scalar"), another thread's calls
    run on the process-wide ISA and see it in isa()."""
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def holder():
        with fs.use_isa("scalar"):
            inside.set()
            release.wait(10)
            seen["holder"] = fs.isa()

    th = threading.Thread(target=holder)
    th.start()
    try:
        assert inside.wait(10)
        assert fs.isa() == fs.detected_isa()
    finally:
        release.set()
        th.join(20)
    assert seen == {"holder": "scalar"}


def test_use_isa_nests_and_takes_precedence_over_set_isa():
    detected = fs.detected_isa()
    try:
        fs.set_isa("scalar")
        assert fs.isa() == "scalar"
        with fs.use_isa(detected):
            assert fs.isa() == detected
            with fs.use_isa("scalar"):
                assert fs.isa() == "scalar"
            assert fs.isa() == detected
            fs.set_isa("auto")  # the process-wide setting; this thread keeps its own
            assert fs.isa() == detected
        assert fs.isa() == detected
    finally:
        fs.set_isa("auto")

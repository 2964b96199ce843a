"""softmax and log_softmax against float64 references: every ISA (forced) x
every algorithm x every tail length, shapes and axes, input distributions,
special values, long rows."""

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import fastsoftmax
from reference import (
    EPS32,
    assert_close,
    log_softmax64,
    log_softmax_tolerance,
    softmax64,
    softmax_tolerance,
    unaligned,
)


def check(x, axis=-1, algorithm="auto", what=""):
    """Both functions on x against the float64 references and bounds."""
    x = np.asarray(x)
    y = fastsoftmax.softmax(x, axis=axis, algorithm=algorithm)
    z = fastsoftmax.log_softmax(x, axis=axis, algorithm=algorithm)
    assert y.dtype == x.dtype and z.dtype == x.dtype
    p, lz = softmax64(x, axis), log_softmax64(x, axis)
    assert_close(y, p, softmax_tolerance(x, p, x.dtype, axis), f"softmax {what} {algorithm}")
    assert_close(z, lz, log_softmax_tolerance(x, lz, x.dtype, axis), f"log_softmax {what} {algorithm}")
    return y, z


def distributions(rng, rows, n, dtype):
    """A batch of rows, one per input distribution (README.md#accuracy)."""
    return np.stack([
        rng.normal(0, 1, n),
        rng.normal(0, 10, n),
        rng.normal(0, 100, n),
        rng.uniform(-80, 80, n),
        np.full(n, 3.5),                                  # all equal
        np.where(np.arange(n) == n // 2, 60.0, rng.normal(0, 1, n)),  # one huge value
        rng.normal(1e4, 3, n),                            # large offset (two-pass domain)
        rng.normal(-1e4, 3, n),
    ][:rows]).astype(dtype)


@pytest.mark.parametrize("n", range(0, 71))
def test_every_length(isa, algorithm, dtype, n, rng):
    check(distributions(rng, 8, n, dtype), algorithm=algorithm, what=f"{isa} n={n}")


@pytest.mark.parametrize("n", [127, 128, 129, 1000, 1023, 1024, 1025, 4096 + 3, 65536 + 17])
def test_longer_rows(isa, algorithm, dtype, n, rng):
    check(distributions(rng, 8, n, dtype), algorithm=algorithm, what=f"{isa} n={n}")


@pytest.mark.parametrize("n", [1 << 20, 4 << 20])
def test_large_rows_f32(isa, algorithm, n, rng):
    x = rng.uniform(-80, 80, n).astype(np.float32)
    y, _ = check(x, algorithm=algorithm, what=f"{isa} n={n}")
    assert abs(y.astype(np.float64).sum() - 1.0) < 1e-6


def test_sixteen_million_normalizer(isa, rng):
    """The normaliser's relative error must not grow with the row length."""
    n = 16 << 20
    x = rng.uniform(-10, 10, n).astype(np.float32)
    for algorithm in ("three_pass_reload", "three_pass_recompute", "two_pass", "online"):
        y = fastsoftmax.softmax(x, algorithm=algorithm)
        # sum(y) = S_true / S_computed up to averaged rounding of the outputs
        assert abs(y.astype(np.float64).sum() - 1.0) < 3e-7, algorithm
        z = fastsoftmax.log_softmax(x, algorithm=algorithm)
        lse_true = float(np.log(np.exp(x.astype(np.float64) - 10.0).sum()) + 10.0)
        lse_got = float(np.median(x[:4096].astype(np.float64) - z[:4096]))
        assert abs(lse_got - lse_true) < 4 * EPS32 * abs(lse_true), algorithm


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 33), (2, 1, 4, 17)])
def test_shapes_and_axes(isa, dtype, shape, rng):
    x = rng.normal(0, 5, shape).astype(dtype)
    for axis in range(-len(shape), len(shape)):
        check(x, axis=axis, what=f"{isa} shape={shape} axis={axis}")


def test_non_contiguous_inputs(dtype, rng):
    base = rng.normal(0, 3, (6, 40)).astype(dtype)
    for view in (base[:, ::2], base[::2, 3:30], base.T, base[::-1], np.asfortranarray(base)):
        for axis in (0, -1):
            check(view, axis=axis, what=f"strides={view.strides} axis={axis}")


def test_out_and_in_place(isa, algorithm, dtype, rng):
    x = rng.normal(0, 4, (5, 37)).astype(dtype)
    p = softmax64(x)
    out = np.empty_like(x)
    assert fastsoftmax.softmax(x, out=out, algorithm=algorithm) is out
    assert_close(out, p, softmax_tolerance(x, p, dtype), "out=")
    y = x.copy()
    assert fastsoftmax.softmax(y, out=y, algorithm=algorithm) is y
    np.testing.assert_array_equal(y, out)
    z = x.copy()
    fastsoftmax.log_softmax(z, out=z, algorithm=algorithm)
    np.testing.assert_array_equal(z, fastsoftmax.log_softmax(x, algorithm=algorithm))
    # strided out, and out along a non-last axis
    big = np.zeros((5, 80), dtype)
    fastsoftmax.softmax(x, out=big[:, 1:38], algorithm=algorithm)
    np.testing.assert_array_equal(big[:, 1:38], out)
    assert not big[:, 0].any() and not big[:, 38:].any()
    t = np.empty((37, 5), dtype).T
    fastsoftmax.softmax(x, axis=0, out=t)
    assert_close(t, softmax64(x, 0), softmax_tolerance(x, softmax64(x, 0), dtype, 0), "out axis 0")


def test_partial_overlap_is_safe(dtype, rng):
    buf = rng.normal(0, 2, 100).astype(dtype)
    x = buf[:60].copy()
    expected = fastsoftmax.softmax(x)
    fastsoftmax.softmax(buf[:60], out=buf[10:70])
    np.testing.assert_array_equal(buf[10:70], expected)


def test_unaligned_input_and_out(dtype, rng):
    # float*/double* must never point at unaligned data: such arrays are
    # copied (input) or computed through a temporary (out), same results
    x = rng.normal(0, 3, (4, 37)).astype(dtype)
    for fn in (fastsoftmax.softmax, fastsoftmax.log_softmax):
        expected = fn(x)
        np.testing.assert_array_equal(fn(unaligned(x)), expected)
        out = unaligned(np.zeros_like(x))
        assert fn(x, out=out) is out
        np.testing.assert_array_equal(out, expected)
        y = unaligned(x)
        fn(y, out=y)
        np.testing.assert_array_equal(y, expected)
        np.testing.assert_array_equal(fn(unaligned(x.T), axis=0), fn(x.T, axis=0))


def test_private_rowwise_checks_its_arguments(dtype):
    # the private binding re-checks what the Python layer validated, so a
    # mismatched call raises instead of writing out of bounds
    x = np.ones((3, 8), dtype)
    with pytest.raises(ValueError, match="shape"):
        fastsoftmax._core.rowwise(x, np.empty((3, 4), dtype), 0, False)
    with pytest.raises(ValueError, match="shape"):
        fastsoftmax._core.rowwise(x, np.empty(24, dtype), 0, False)
    other = np.float64 if dtype == np.float32 else np.float32
    with pytest.raises(TypeError, match="dtype"):
        fastsoftmax._core.rowwise(x, np.empty((3, 8), other), 0, False)
    with pytest.raises(TypeError, match="float32 or float64"):
        fastsoftmax._core.rowwise(np.ones((3, 8), np.int32), np.empty((3, 8), np.int32), 0, False)
    ro = np.empty((3, 8), dtype)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastsoftmax._core.rowwise(x, ro, 0, False)
    # unaligned: computes nothing and says so (the caller then copies)
    assert fastsoftmax._core.rowwise(unaligned(x), np.empty((3, 8), dtype), 0, False) is False


@pytest.mark.parametrize(
    "row",
    [
        [1e7, 1e7 + 1, 1e7 - 2],
        [1e30, 1e30 * (1 + 1e-6), -1e30],
        [3e38, 3.1e38, -3e38, 0.0],
        [-3e38, -3.2e38],
        [1e4, -1e4, 0.0],
        [-1e4, -1e4 + 5, -1e4 - 200],
        [20000.0, 19990.0],
        [-17000.0, -16990.0],
        [30.0, 0.0, 0.0],
        [88.0, -88.0, 0.0, -104.0, -200.0],
    ],
)
def test_robust_rows(isa, algorithm, dtype, row):
    check(np.array([row], dtype=dtype), algorithm=algorithm, what=f"{isa} {row}")


def test_special_values(isa, algorithm, dtype):
    inf, nan = np.inf, np.nan
    x = np.array(
        [
            [1.0, nan, 2.0, 3.0],      # NaN anywhere -> NaN row
            [nan, 1.0, 2.0, 3.0],
            [1.0, -inf, 2.0, 3.0],     # -inf among finite -> exact 0 / -inf
            [-inf, -inf, -inf, -inf],  # all -inf -> NaN (reference)
            [1.0, inf, 2.0, 3.0],      # +inf -> NaN (reference)
            [inf, inf, 0.0, 0.0],
            [-inf, 0.0, 1.0, -inf],
        ],
        dtype=dtype,
    )
    y, z = check(x, algorithm=algorithm, what=f"{isa} specials")
    assert y[2, 1] == 0.0 and z[2, 1] == -np.inf
    assert np.isnan(y[[0, 1, 3, 4, 5]]).all() and np.isnan(z[[0, 1, 3, 4, 5]]).all()
    assert np.isfinite(y[6, 1:3]).all() and y[6, 0] == 0.0 and y[6, 3] == 0.0


# The online algorithm works on blocks of 8 KiB (2048 float32, 1024 float64
# elements): lengths around block multiples, and rows whose structure
# crosses blocks, for both element types.
ONLINE_BLOCK_BYTES = 8192


@pytest.mark.parametrize("blocks", [1, 2, 5])
@pytest.mark.parametrize("extra", [-1, 0, 1, 13])
def test_online_blocks(isa, dtype, blocks, extra, rng):
    block = ONLINE_BLOCK_BYTES // np.dtype(dtype).itemsize
    n = blocks * block + extra
    i = np.arange(n)
    rows = [
        np.linspace(-30.0, 30.0, n),                      # max grows in every block
        np.linspace(30.0, -30.0, n),                      # max in the first block
        rng.normal(0, 10, n),
        np.where(i < block, -np.inf, rng.normal(0, 3, n)),  # a first block of -inf only
        np.where((i >= block // 2) & (i < 2 * block + 7), -np.inf, rng.normal(0, 3, n)),
        np.where(i == n - 1, 90.0, rng.normal(-60, 3, n)),  # one dominant last element
        np.where(i % block == 0, 70.0 - i / block, rng.normal(0, 1, n)),  # block maxima decrease
    ]
    x = np.stack(rows).astype(dtype)
    for algorithm in ("online", "auto", "three_pass_reload"):
        y, z = check(x, algorithm=algorithm, what=f"{isa} {algorithm} n={n}")
        for fn, expected in ((fastsoftmax.softmax, y), (fastsoftmax.log_softmax, z)):
            w = x.copy()
            fn(w, out=w, algorithm=algorithm)  # in place: every read before its write
            np.testing.assert_array_equal(w, expected)
        if n > block:  # else row 3 is all -inf: NaN, checked by check()
            assert (y[3, :block] == 0).all() and (z[3, :block] == -np.inf).all()
            assert np.isfinite(y[3, block:]).all()


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_online_special_values_in_late_blocks(isa, dtype, where):
    block = ONLINE_BLOCK_BYTES // np.dtype(dtype).itemsize
    n = 3 * block + 5
    at = {"first": 3, "middle": block + 100, "last": n - 1}[where]
    x = np.tile(np.linspace(-5.0, 5.0, n), (5, 1)).astype(dtype)
    x[0, at] = np.nan
    x[1, at] = np.inf
    x[2, :] = -np.inf
    x[3, at] = -np.inf
    # a NaN inside a block of -inf only (a max pass may drop the NaN)
    first = at - at % block
    x[4, first:first + block] = -np.inf
    x[4, at] = np.nan
    x = x[[0, 1, 2, 4, 3]]
    for algorithm in ("online", "three_pass_recompute", "three_pass_reload", "auto"):
        y, z = check(x, algorithm=algorithm, what=f"{isa} {algorithm} specials at {where}")
        assert np.isnan(y[:4]).all() and np.isnan(z[:4]).all(), algorithm
        assert y[4, at] == 0.0 and z[4, at] == -np.inf and np.isfinite(y[4]).all()


def test_blocked_forms_with_a_small_llc():
    """Calls whose x and y fill the LLC take the blocked reload (and AUTO's
    LLC rules, e.g. log-softmax online on avx2): with FASTSOFTMAX_LLC_BYTES
    = 16 KiB every multi-block row of the two tests above does, in a fresh
    process (the size is read once)."""
    env = dict(os.environ, FASTSOFTMAX_LLC_BYTES="16384")
    probe = subprocess.run([sys.executable, "-c", "import fastsoftmax; print(fastsoftmax._core.llc_bytes())"],
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "16384"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", __file__,
                          "-k", "online_blocks or online_special_values"],
                         env=env, capture_output=True, text=True, cwd=os.path.dirname(__file__))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "failed" not in run.stdout


def test_llc_bytes_is_plausible():
    llc = fastsoftmax._core.llc_bytes()
    assert 64 << 10 <= llc <= 4 << 30


def test_single_element_and_empty(dtype):
    assert fastsoftmax.softmax(np.array([[5.0]], dtype))[0, 0] == 1.0
    assert fastsoftmax.log_softmax(np.array([[5.0]], dtype))[0, 0] == 0.0
    for shape in [(0,), (0, 5), (5, 0), (2, 0, 3)]:
        for axis in range(len(shape)):
            x = np.zeros(shape, dtype)
            y = fastsoftmax.softmax(x, axis=axis)
            assert y.shape == shape and y.dtype == x.dtype
    assert fastsoftmax.softmax(np.array(2.0, dtype)) == 1.0


def test_accepts_array_likes():
    y = fastsoftmax.softmax([1.0, 2.0, 3.0])
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, softmax64([1.0, 2.0, 3.0]), rtol=1e-15)
    y32 = fastsoftmax.softmax(np.array([1, 2, 3], ">f4"))
    assert y32.dtype == np.float32 and y32.dtype.isnative


def test_algorithms_agree(isa, rng):
    x = rng.normal(0, 3, (16, 999)).astype(np.float32)
    results = [fastsoftmax.softmax(x, algorithm=a) for a in fastsoftmax.ALGORITHMS]
    for r in results[1:]:
        np.testing.assert_allclose(r, results[0], rtol=40 * EPS32, atol=1e-38)


def test_scipy_compatibility(rng):
    scipy_special = pytest.importorskip("scipy.special")
    x = rng.normal(0, 2, (3, 4, 5))
    for axis in (0, 1, 2, -1):
        np.testing.assert_allclose(fastsoftmax.softmax(x, axis=axis),
                                   scipy_special.softmax(x, axis=axis), rtol=1e-13)
        np.testing.assert_allclose(fastsoftmax.log_softmax(x, axis=axis),
                                   scipy_special.log_softmax(x, axis=axis), rtol=1e-13, atol=1e-14)


def test_gil_released_for_large_arrays(rng):
    """Another Python thread runs while a large call computes (the GIL is
    released from 16384 elements; smaller calls keep it, which is cheaper)."""
    x = rng.uniform(-10, 10, 1 << 24).astype(np.float32)
    y = np.empty_like(x)
    started = threading.Event()

    def work():
        started.set()
        for _ in range(3):
            fastsoftmax.softmax(x, out=y, algorithm="three_pass_recompute")

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    spins = 0
    while t.is_alive():
        spins += 1
    t.join()
    # three calls of 20-40 ms each; measured on the 2-core Zen 1 host:
    # 142-154K spins with the GIL released, 19K when the calls held it
    # (spins only between the calls)
    assert spins > 60_000, spins


def test_two_pass_log_softmax_near_the_domain_limit(isa):
    """Found by the fuzzer (issue 19): two-pass log-softmax of short rows
    with |x| near 2^14 was off by up to 8 u (bound: 4 u): log sum exp(x) =
    N ln2 + log P went to vsubc as N LN2_HI and a float remainder near 5
    (rounded: 2^-22), and the scalar extexp rounded n LN2_LO (near 5) in
    float. Every x of [-16384, 16384] by 1/16, rows of 1 and 2."""
    x = np.arange(-16384.0, 16384.0 + 1, 0.0625, dtype=np.float32)
    for cols in (1, 2):
        rows = np.repeat(x[:, None], cols, axis=1)
        rows[:, -1] += np.float32(0.75) * (cols - 1)
        z = fastsoftmax.log_softmax(rows, algorithm="two_pass")
        ref = log_softmax64(rows)
        assert_close(z, ref, log_softmax_tolerance(rows, ref, np.float32), f"{isa} cols={cols}")

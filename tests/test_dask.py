"""fastsoftmax.dask (issue 20): softmax, log_softmax, logsumexp and
cross_entropy on dask arrays along any axis, chunked or not along it, equal
to the in-memory functions; the merge tree's shape never changes the bits;
on a dask.distributed LocalCluster of worker processes, including a worker
restarted mid-computation. Skipped without dask (the optional extra
fastsoftmax[dask]); the cluster tests without distributed."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array")
import dask  # noqa: E402

import fastsoftmax as fs  # noqa: E402
import fastsoftmax.dask as fd  # noqa: E402

TOL = {np.float32: 3e-6, np.float64: 1e-12}


@pytest.fixture(autouse=True)
def _sync_scheduler(request):
    if "cluster" in request.fixturenames:
        yield
        return
    with dask.config.set(scheduler="threads"):
        yield


def _x(dtype, shape=(6, 1500, 5), seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(0, 8, shape) + rng.normal(0, 30, shape[:1] + (1,) * (len(shape) - 1))
            ).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
@pytest.mark.parametrize("chunks", [(2, 100, 2), (6, 1500, 5), (1, 60, 5)])
def test_matches_in_memory(dtype, axis, chunks):
    xn = _x(dtype)
    x = da.from_array(xn, chunks=chunks)
    tol = TOL[dtype]
    y = fd.softmax(x, axis=axis)
    assert y.chunks == x.chunks and y.dtype == dtype
    np.testing.assert_allclose(y.compute(), fs.softmax(xn, axis=axis), rtol=tol, atol=1e-30)
    np.testing.assert_allclose(fd.log_softmax(x, axis=axis).compute(),
                               fs.log_softmax(xn, axis=axis), rtol=tol, atol=tol * 100)
    np.testing.assert_allclose(fd.logsumexp(x, axis=axis).compute(), fs.logsumexp(xn, axis=axis),
                               rtol=tol, atol=tol * 10)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy(dtype, reduction, label_smoothing):
    xn = _x(dtype)
    rng = np.random.default_rng(1)
    t = rng.integers(0, 1500, (6, 5))
    t[2, 3] = -100
    x = da.from_array(xn, chunks=(3, 128, 2))
    kw = dict(axis=1, reduction=reduction, label_smoothing=label_smoothing)
    got = fd.cross_entropy(x, t, **kw).compute()
    want = fs.cross_entropy(xn, t, **kw)
    np.testing.assert_allclose(got, want, rtol=TOL[dtype] * 10, atol=TOL[dtype] * 10)
    # targets as a dask array
    got2 = fd.cross_entropy(x, da.from_array(t, chunks=2), **kw).compute()
    np.testing.assert_array_equal(got2, got)
    t[0, 0] = 1500
    with pytest.raises(ValueError, match="targets"):
        fd.cross_entropy(x, t, **kw).compute()


def test_tree_shape_does_not_change_the_bits():
    xn = _x(np.float32, (4, 20000))
    x = da.from_array(xn, chunks=(4, 333))
    ref = fd.softmax_state(x, 1, split_every=2).compute()
    for split in (3, 8, 64, None):
        assert fd.softmax_state(x, 1, split_every=split).compute().tobytes() == ref.tobytes()
    # and equal to merging the blocks' states in memory
    blocks = [fs.softmax_state(xn[:, a:a + 333]) for a in range(0, 20000, 333)]
    assert fs.merge_states(np.stack(blocks, 1), axis=1).tobytes() == ref.tobytes()


def test_errors():
    with pytest.raises(TypeError):
        fd.softmax(da.ones((3, 3), dtype=np.int32))
    with pytest.raises(ValueError):
        fd.softmax(da.ones((3, 3), dtype=np.float32), axis=2)
    with pytest.raises(ValueError):
        fd.cross_entropy(da.ones((3, 3), dtype=np.float32), np.zeros(4, np.int64))


# ---------------------------------------------------------------- cluster

_BLOCK_SECONDS = 0.25


def _seeded_block(block_info=None, block_id=None):
    """A block of N(0, 4) float32 values from its block id (the same values
    wherever and however often it runs), after a pause that keeps the graph
    running long enough to restart a worker in the middle."""
    time.sleep(_BLOCK_SECONDS)
    shape = block_info[None]["chunk-shape"]
    rng = np.random.default_rng(list(block_id) + [20])
    return rng.normal(0, 4, shape).astype(np.float32)


def _seeded(shape, chunks):
    x = da.map_blocks(_seeded_block, chunks=chunks, dtype=np.float32,
                      meta=np.empty((0, 0), np.float32))
    assert x.shape == shape
    return x


def _seeded_numpy(x):
    out = np.empty(x.shape, np.float32)
    starts = [np.cumsum((0,) + c) for c in x.chunks]
    for i, ci in enumerate(x.chunks[0]):
        for j, cj in enumerate(x.chunks[1]):
            rng = np.random.default_rng([i, j, 20])
            out[starts[0][i]:starts[0][i] + ci, starts[1][j]:starts[1][j] + cj] = \
                rng.normal(0, 4, (ci, cj)).astype(np.float32)
    return out


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    import cloudpickle

    # the workers cannot import this test module: send its functions by value
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=40) as c, \
            distributed.Client(c) as client:
        yield client
    cloudpickle.unregister_pickle_by_value(sys.modules[__name__])


def test_local_cluster_many_chunks_along_the_axis(cluster):
    xn = _x(np.float32, (8, 1 << 16))
    x = da.from_array(xn, chunks=(4, 1 << 12))  # 16 chunks along the axis
    y, z, lse = dask.compute(fd.softmax(x), fd.log_softmax(x, axis=-1), fd.logsumexp(x))
    np.testing.assert_allclose(y, fs.softmax(xn), rtol=3e-6, atol=1e-30)
    np.testing.assert_allclose(z, fs.log_softmax(xn), rtol=3e-6, atol=3e-4)
    np.testing.assert_allclose(lse, fs.logsumexp(xn, axis=-1), rtol=3e-6)
    t = np.arange(8) * 1000
    np.testing.assert_allclose(fd.cross_entropy(x, t).compute(), fs.cross_entropy(xn, t),
                               rtol=1e-5)


def test_worker_restarted_mid_computation(cluster):
    client = cluster
    x = _seeded((4, 1 << 15), ((2, 2), (1 << 12,) * 8))  # 16 blocks of 0.25 s
    fut = client.compute(fd.log_softmax(x, axis=1))
    deadline = time.time() + 30
    while not any(client.processing().values()) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(3 * _BLOCK_SECONDS)  # some blocks done, some running
    assert not fut.done()
    victim = next(iter(client.scheduler_info()["workers"]))
    client.restart_workers([victim])  # its data is lost; the graph recomputes
    got = fut.result(timeout=120)
    np.testing.assert_allclose(got, fs.log_softmax(_seeded_numpy(x), axis=1), rtol=3e-6,
                               atol=3e-5)


def test_states_computed_beforehand():
    xn = _x(np.float32, (4, 5000))
    x = da.from_array(xn, chunks=(2, 700))
    states = fd.softmax_state(x).compute()
    for st in (states, da.from_array(states, chunks=1)):
        np.testing.assert_array_equal(fd.log_softmax(x, state=st).compute(),
                                      fd.log_softmax(x).compute())
    np.testing.assert_array_equal(fd.softmax(x, state=states).compute(), fd.softmax(x).compute())
    with pytest.raises(ValueError):
        fd.softmax(x, state=states[:3])

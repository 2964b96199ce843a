"""The spherical-family losses (Z-loss, log-spherical, log-Taylor) forward +
gradient on rows larger than the last-level cache, against the bandwidth
ceiling measured in the same session (the ``ceiling`` fixture:
the library's own copy loop, bytes read + written per second).

Their passes move 12 bytes per float32 element: one read for the row
statistics, one read + write for the gradient. Each benchmark stores
elements_per_ns, gb_per_s (at those 12 bytes) and fraction_of_ceiling in
``extra_info``, for the gradient written into a reused ``grad_out`` (what a
training loop does; the ceiling's own loops reuse their buffers too) and
into a fresh array (its first-touch page faults included).

    taskset -c 1 python -m pytest --benchmark-only bench/test_loss_ceiling_bench.py -s

With ``--fsm-sizes=smoke`` (CI) the row shrinks to 64K floats.
"""

import numpy as np
import pytest

import fastsoftmax as fs

LOSSES = ("z_loss", "log_spherical_loss", "log_taylor_loss")
BYTES_PER_ELEMENT = 12
SHAPES = [(1, 1 << 24), (64, 1 << 18)]


def shape_for(request, shape):
    return (1, 1 << 16) if request.config.getoption("--fsm-sizes") == "smoke" else shape


@pytest.mark.parametrize("reuse", [True, False], ids=["grad_out", "fresh"])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_loss_fraction_of_ceiling(benchmark, request, ceiling, shape, loss, reuse):
    rows, cols = shape_for(request, shape)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 2, (rows, cols)).astype(np.float32)
    t = rng.integers(0, cols, rows)
    fn = getattr(fs, loss)
    g = np.empty_like(x) if reuse else None
    call = lambda: fn(x, t, return_grad=True, grad_out=g)  # noqa: E731
    loss_value, grad = benchmark(call)
    assert np.isfinite(loss_value) and grad.shape == x.shape and np.isfinite(grad).all()
    if benchmark.stats is None:  # --benchmark-disable
        return
    seconds = benchmark.stats.stats.median
    gbps = x.size * BYTES_PER_ELEMENT / seconds / 1e9
    benchmark.extra_info.update(
        isa=fs.isa(), elements_per_ns=x.size / seconds / 1e9, gb_per_s=gbps,
        fraction_of_ceiling=gbps / ceiling["copy"], ceiling_copy_gb_per_s=ceiling["copy"],
    )
    print(f"\n{loss} {rows}x{cols} ({'grad_out' if reuse else 'fresh gradient'}): "
          f"{x.size / seconds / 1e9:.2f} el/ns, {gbps:.1f} GB/s = "
          f"{gbps / ceiling['copy']:.2f} of the copy ceiling ({ceiling['copy']:.1f} GB/s)")

import numpy as np
import pytest

try:
    import fastsoftmax
except ImportError:  # no built module: only the build-free tests (test_references.py) can run
    fastsoftmax = None

ISAS = fastsoftmax.available_isas() if fastsoftmax is not None else ()
ALGORITHMS = ("auto", "three_pass_reload", "three_pass_recompute", "two_pass", "online")


@pytest.fixture(params=ISAS)
def isa(request):
    """Runs the test once per ISA this machine has, and checks it really ran."""
    with fastsoftmax.use_isa(request.param) as active:
        assert active == request.param
        assert fastsoftmax.isa() == request.param
        yield request.param
    assert fastsoftmax.isa() == fastsoftmax.detected_isa()


@pytest.fixture(params=ALGORITHMS)
def algorithm(request):
    return request.param


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def dtype(request):
    return request.param


@pytest.fixture
def rng():
    return np.random.default_rng(1234)

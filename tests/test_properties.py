"""Property-based checks (hypothesis): arbitrary finite float32 rows of any
length, every algorithm, against the float64 reference and its bounds."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastsoftmax
from reference import assert_close, log_softmax64, log_softmax_tolerance, softmax64, softmax_tolerance

finite_f32 = st.floats(allow_nan=False, allow_infinity=False, width=32)
moderate_f32 = st.floats(min_value=-200, max_value=200, allow_nan=False, width=32)
arrays = st.one_of(
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=40), elements=moderate_f32),
    hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, max_side=70), elements=finite_f32),
)


@settings(max_examples=150, deadline=None)
@given(x=arrays, algorithm=st.sampled_from(fastsoftmax.ALGORITHMS), data=st.data())
def test_matches_reference(x, algorithm, data):
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    isa = data.draw(st.sampled_from(fastsoftmax.available_isas()))
    with fastsoftmax.use_isa(isa):
        y = fastsoftmax.softmax(x, axis=axis, algorithm=algorithm)
        z = fastsoftmax.log_softmax(x, axis=axis, algorithm=algorithm)
    p, lz = softmax64(x, axis), log_softmax64(x, axis)
    assert_close(y, p, softmax_tolerance(x, p, np.float32, axis), f"softmax {isa} {algorithm}")
    assert_close(z, lz, log_softmax_tolerance(x, lz, np.float32, axis), f"log_softmax {isa} {algorithm}")
    if x.size:
        assert (y >= 0).all() and (y <= 1).all()
        np.testing.assert_allclose(y.astype(np.float64).sum(axis=axis), 1.0, rtol=0, atol=1e-5)


def test_one_element_rows_never_exceed_one(isa, algorithm):
    """A row of one element is 1 to an ulp and never above (the outputs'
    [0, 1] guarantee), on every ISA and algorithm, over a sweep of values:
    92.80379 once came out 1.0000001 from the avx2 two-pass, whose scale
    multiply had been folded into the polynomial's coefficients."""
    x = np.concatenate([np.linspace(-100, 100, 4001, dtype=np.float32),
                        np.array([92.80379, -87.5, 0.0, 1e-30, 3e38, -3e38], np.float32)])
    y = fastsoftmax.softmax(x[:, None], algorithm=algorithm)
    assert (y <= 1).all(), x[(y > 1)[:, 0]]
    np.testing.assert_allclose(y[:, 0], 1.0, rtol=2.0**-23, atol=0)

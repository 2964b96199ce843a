"""fastsoftmax.torch (issue 18): the custom ops against float64 NumPy
references and torch.nn.functional, on every ISA, dtype, tail length and
layout; autograd (gradcheck in float64, double backward), opcheck, and
torch.compile. Skips cleanly without torch."""

from __future__ import annotations

import numpy as np
import pytest

import fastsoftmax as fs
import reference as R

torch = pytest.importorskip("torch")
fst = pytest.importorskip("fastsoftmax.torch")
F = torch.nn.functional

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64}


def _layouts(x: "torch.Tensor"):
    """``x`` (2-D or more) as the layouts a caller hands over: contiguous, a
    transposed view, a strided slice, an offset view, an expanded (0-stride)
    view."""
    yield "contiguous", x
    yield "transposed", x.transpose(0, -1)
    big = torch.zeros((x.shape[0] * 2,) + tuple(x.shape[1:-1]) + (x.shape[-1] * 3 + 1,),
                      dtype=x.dtype)
    view = big[::2, ..., 1:x.shape[-1] * 3 + 1:3]
    view.copy_(x)
    yield "strided", view
    yield "offset", torch.cat([x.reshape(-1), x.reshape(-1)])[1:1 + x.numel()].reshape(x.shape)
    yield "expanded", x[:1].expand(x.shape)


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
@pytest.mark.parametrize("cols", [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 100])
def test_matches_float64_reference(isa, dtype, log, cols, rng):
    x = rng.normal(0, 4, (5, cols)).astype(dtype)
    xt = torch.from_numpy(x.copy())
    fn = fst.log_softmax if log else fst.softmax
    peer = F.log_softmax if log else F.softmax
    for name, v in _layouts(xt):
        for dim in range(v.dim()):
            got = fn(v, dim)
            assert got.dtype == v.dtype and got.shape == v.shape and got.is_contiguous()
            xv = v.numpy()
            ref = R.log_softmax64(xv, dim) if log else R.softmax64(xv, dim)
            tol = (R.log_softmax_tolerance(xv, ref, dtype, dim) if log
                   else R.softmax_tolerance(xv, ref, dtype, dim))
            R.assert_close(got.numpy(), ref, tol, f"{name} dim={dim}")
            want = peer(v, dim=dim)
            torch.testing.assert_close(got, want, rtol=8e-6 if dtype == np.float32 else 1e-13,
                                       atol=1e-6 if dtype == np.float32 else 1e-14)


def test_shapes_and_special_values(dtype):
    td = TORCH_DTYPES[dtype]
    # 0-d, empty, 3-d over the middle dim
    assert float(fst.softmax(torch.tensor(3.0, dtype=td))) == 1.0
    assert fst.softmax(torch.zeros((0, 4), dtype=td)).shape == (0, 4)
    x = torch.randn(2, 3, 4, dtype=td)
    torch.testing.assert_close(fst.softmax(x, 1), torch.softmax(x, 1))
    torch.testing.assert_close(fst.log_softmax(x, -2), torch.log_softmax(x, -2))
    y = fst.softmax(torch.tensor([[0.0, -float("inf")], [float("nan"), 1.0]], dtype=td))
    assert y[0].tolist() == [1.0, 0.0] and torch.isnan(y[1]).all()


def test_input_is_read_in_place_and_output_is_fresh():
    x = torch.randn(4, 9)
    view = fst._np(x[:, 1::2])
    assert np.shares_memory(view, x.numpy())
    before = x.clone()
    y = fst.softmax(x[:, 1::2])
    assert torch.equal(x, before)
    assert y.untyped_storage().data_ptr() != x.untyped_storage().data_ptr()


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_gradcheck_float64(log):
    fn = fst.log_softmax if log else fst.softmax
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(3, 7, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    for dim in (0, 1, -1):
        assert torch.autograd.gradcheck(lambda t: fn(t, dim), (x,))
        assert torch.autograd.gradgradcheck(lambda t: fn(t, dim), (x,))
    xt = x.detach().transpose(0, 2).requires_grad_()  # a non-contiguous leaf
    assert torch.autograd.gradcheck(lambda t: fn(t, 1), (xt,))


@pytest.mark.parametrize("log", [False, True], ids=["softmax", "log_softmax"])
def test_backward_matches_torch(isa, dtype, log, rng):
    x = rng.normal(0, 3, (4, 37)).astype(dtype)
    dy = torch.from_numpy(rng.normal(0, 1, x.shape).astype(dtype))
    grads = []
    for fn in ((fst.log_softmax, torch.log_softmax) if log else (fst.softmax, torch.softmax)):
        xt = torch.tensor(x, requires_grad=True)
        fn(xt, 1).backward(dy)
        grads.append(xt.grad)
    torch.testing.assert_close(grads[0], grads[1], rtol=1e-5 if dtype == np.float32 else 1e-12,
                               atol=1e-6 if dtype == np.float32 else 1e-13)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("alpha", [0.0, 0.1])
def test_cross_entropy_matches_torch(isa, dtype, reduction, alpha, rng):
    td = TORCH_DTYPES[dtype]
    x = torch.from_numpy(rng.normal(0, 3, (6, 5, 4)).astype(dtype))  # classes on dim 1
    c = torch.from_numpy(rng.integers(0, 5, (6, 4)))
    c[0, :2] = -100
    tols = dict(rtol=4e-6, atol=4e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for target in (c, torch.softmax(torch.randn(6, 5, 4, dtype=td), 1)):
        got_x, want_x = x.clone().requires_grad_(), x.clone().requires_grad_()
        got = fst.cross_entropy(got_x, target, reduction=reduction, label_smoothing=alpha)
        want = F.cross_entropy(want_x, target, reduction=reduction, label_smoothing=alpha)
        torch.testing.assert_close(got, want, **tols)
        got.backward(torch.ones_like(got))
        want.backward(torch.ones_like(want))
        torch.testing.assert_close(got_x.grad, want_x.grad, **tols)


def test_cross_entropy_float64_reference(rng):
    x = rng.normal(0, 3, (7, 11)).astype(np.float32)
    c = rng.integers(0, 11, 7)
    ref, grad = R.cross_entropy_rows64(x, c)
    got = fst.cross_entropy(torch.from_numpy(x), torch.from_numpy(c), reduction="none")
    R.assert_close(got.numpy(), ref, R.loss_tolerance(ref, np.float32), "loss")
    xt = torch.from_numpy(x).requires_grad_()
    fst.cross_entropy(xt, torch.from_numpy(c), reduction="sum").backward()
    np.testing.assert_allclose(xt.grad.numpy(), grad, rtol=0, atol=2e-6)


def test_cross_entropy_1d_and_dim():
    x = torch.randn(5, dtype=torch.float64)
    torch.testing.assert_close(fst.cross_entropy(x, torch.tensor(3)),
                               F.cross_entropy(x, torch.tensor(3)))
    x = torch.randn(4, 6, dtype=torch.float64)
    c = torch.randint(0, 4, (6,))
    torch.testing.assert_close(fst.cross_entropy(x, c, dim=0),
                               F.cross_entropy(x.T, c))
    # no grad wanted: the forward computes only the loss
    with torch.no_grad():
        torch.testing.assert_close(fst.cross_entropy(x.T, c), F.cross_entropy(x.T, c))


def test_cross_entropy_gradcheck_float64():
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(4, 6, 3, dtype=torch.float64, generator=gen, requires_grad=True)
    c = torch.randint(0, 6, (4, 3), generator=gen)
    c[1, 1] = -100
    for reduction in ("mean", "sum", "none"):
        for alpha in (0.0, 0.2):
            assert torch.autograd.gradcheck(
                lambda t: fst.cross_entropy(t, c, reduction=reduction, label_smoothing=alpha), (x,))
    p = torch.softmax(torch.randn(4, 6, 3, dtype=torch.float64, generator=gen), 1)
    p.requires_grad_()
    for reduction in ("mean", "none"):
        assert torch.autograd.gradcheck(
            lambda t, q: fst.cross_entropy(t, q, reduction=reduction, label_smoothing=0.1), (x, p))


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmax_backward",
                                  "log_softmax_backward", "cross_entropy"])
def test_opcheck(name):
    x = torch.randn(3, 5, dtype=torch.float64, requires_grad=True)
    y = torch.softmax(x.detach(), -1)
    args = {
        "softmax": [(x, 1), (x, 0)],
        "log_softmax": [(x, -1 + 2)],
        "softmax_backward": [(y, torch.randn(3, 5, dtype=torch.float64), 1)],
        "log_softmax_backward": [(torch.log(y), torch.randn(3, 5, dtype=torch.float64), 1)],
        "cross_entropy": [(x, torch.tensor([0, 4, 2]), 1, r, -100, 0.1, g)
                          for r in ("mean", "none") for g in (True, False)],
    }[name]
    op = getattr(torch.ops.fastsoftmax, name).default
    for a in args:
        torch.library.opcheck(op, a)


@pytest.mark.filterwarnings("ignore:There is a performance drop")
def test_vmap_takes_the_registered_op():
    """Under torch.vmap the functions run the registered custom op (its
    per-example fallback), not the eager autograd.Function, which vmap
    would refuse; the result equals the loop over examples."""
    x = torch.randn(4, 3, 7, dtype=torch.float64)
    for fn in (fst.softmax, fst.log_softmax):
        got = torch.vmap(fn)(x)
        want = torch.stack([fn(t) for t in x])
        torch.testing.assert_close(got, want, rtol=0, atol=0)


# inductor's own use of torch.jit.script_method (not ours) warns on torch 2.13
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")
def test_torch_compile_fullgraph():
    def step(x, c):
        y = fst.softmax(x * 2.0, -1)
        z = fst.log_softmax(x, 0)
        loss = fst.cross_entropy(x, c) + (y * z).sum()
        return loss

    compiled = torch.compile(step, fullgraph=True, backend="inductor")
    x0 = torch.randn(8, 16, dtype=torch.float32)
    c = torch.randint(0, 16, (8,))
    xe, xc = x0.clone().requires_grad_(), x0.clone().requires_grad_()
    le, lc = step(xe, c), compiled(xc, c)
    torch.testing.assert_close(lc, le, rtol=1e-5, atol=1e-5)
    le.backward()
    lc.backward()
    torch.testing.assert_close(xc.grad, xe.grad, rtol=1e-5, atol=1e-6)
    # the ops are in the graph, not graph breaks around an opaque call
    explain = torch._dynamo.explain(step)(x0, c)
    assert explain.graph_break_count == 0


@pytest.mark.parametrize("call, exc, match", [
    (lambda: fst.softmax(np.zeros(3, np.float32)), TypeError, "input must be a torch.Tensor"),
    (lambda: fst.softmax(torch.zeros(3, dtype=torch.float16)), TypeError,
     "input must have dtype torch.float32 or torch.float64, got torch.float16"),
    (lambda: fst.log_softmax(torch.zeros(3, dtype=torch.bfloat16)), TypeError, "bfloat16"),
    (lambda: fst.softmax(torch.zeros(3, dtype=torch.int64)), TypeError, "input must have dtype"),
    (lambda: fst.softmax(torch.zeros(2, 3), 2), ValueError, "dim 2 is out of range"),
    (lambda: fst.softmax(torch.zeros(2, 3), 1.0), TypeError, "dim must be an integer"),
    (lambda: fst.softmax(torch.zeros(3).to_sparse()), TypeError, "strided"),
    (lambda: fst.softmax(torch.zeros(2, 3), -3), ValueError, "valid: -2 <= dim <= 1"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), [0, 1]), TypeError, "target must be a torch.Tensor"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1], dtype=torch.int16)),
     TypeError, "target must have dtype torch.int64 or torch.int32"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1, 2])), ValueError,
     r"target must have shape \(2,\)"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 3])), ValueError,
     "out of range for 3 classes"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), reduction="avg"),
     ValueError, "reduction must be one of"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), label_smoothing=2.0),
     ValueError, "label_smoothing must be in"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.tensor([0, 1]), ignore_index=0.5),
     TypeError, "ignore_index must be an integer"),
    (lambda: fst.cross_entropy(torch.zeros(2, 3), torch.zeros(2, 3, dtype=torch.float64)),
     TypeError, "probability targets must have input's dtype"),
    (lambda: fst.cross_entropy(torch.tensor(1.0), torch.tensor(0)), ValueError,
     "at least one dimension"),
])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------- the NumPy API on tensors

def test_numpy_functions_take_cpu_tensors_without_copy():
    x = torch.randn(3, 8)
    got = fs.softmax(x)  # through DLPack: a NumPy view of the tensor
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, torch.softmax(x, -1).numpy(), rtol=1e-6, atol=1e-7)
    assert np.shares_memory(fs._arrays._as_array(x, "x"), x.numpy())
    loss = fs.cross_entropy(x, torch.tensor([1, 2, 3]))
    np.testing.assert_allclose(loss, F.cross_entropy(x, torch.tensor([1, 2, 3])).item(), rtol=1e-6)


def test_numpy_functions_point_to_the_adapter_for_grad_tensors():
    with pytest.raises(TypeError, match="requires grad: use fastsoftmax.torch"):
        fs.softmax(torch.zeros(3, requires_grad=True))
    # (float16 is taken since issue 17: tests/test_half.py)
    with pytest.raises(TypeError, match=r"x must have dtype float32 or float64, got int16"):
        fs.softmax(torch.zeros(3, dtype=torch.int16))


def test_concurrent_calls_from_threads():
    """The ops from several Python threads at once (the GIL released in the
    kernels) give each thread its own, serial result."""
    from concurrent.futures import ThreadPoolExecutor
    gen = torch.Generator().manual_seed(3)
    xs = [torch.randn(64, 4099, generator=gen) for _ in range(8)]
    c = torch.randint(0, 4099, (64,), generator=gen)
    want = [(fst.softmax(x), fst.log_softmax(x, 0), fst.cross_entropy(x, c)) for x in xs]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda x: (fst.softmax(x), fst.log_softmax(x, 0),
                                       fst.cross_entropy(x, c)), xs * 3))
    for i, g in enumerate(got):
        for a, b in zip(g, want[i % len(xs)]):
            assert torch.equal(a, b)

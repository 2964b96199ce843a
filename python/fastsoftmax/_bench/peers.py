"""What is timed: fastsoftmax variants (algorithm, ISA, out= or a fresh
output) and the installed peers (NumPy, SciPy, PyTorch, ONNX Runtime); and
the accuracy check against a float64 reference."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import warnings
from typing import Callable, List, Optional, Sequence

import numpy as np

import fastsoftmax

from .workloads import bytes_per_element


# ------------------------------------------------------------------ peers
def numpy_softmax(x: np.ndarray) -> np.ndarray:
    """NumPy's best simple softmax: exp(x - max) / sum, in the input dtype."""
    e = np.subtract(x, x.max(axis=-1, keepdims=True))
    np.exp(e, out=e)
    e /= e.sum(axis=-1, keepdims=True)
    return e


def numpy_log_softmax(x: np.ndarray) -> np.ndarray:
    s = np.subtract(x, x.max(axis=-1, keepdims=True))
    s -= np.log(np.exp(s).sum(axis=-1, keepdims=True))
    return s


def reference(function: str, x: np.ndarray) -> np.ndarray:
    """The float64 reference from the same float32 input."""
    x64 = x.astype(np.float64)
    return numpy_softmax(x64) if function == "softmax" else numpy_log_softmax(x64)


def max_rel_error(function: str, got: np.ndarray, ref: np.ndarray) -> float:
    """Max relative error |got - ref| / |ref|. softmax: over entries above
    FLT_MIN (below it float32 may flush). log-softmax: relative to
    max(|ref|, 1), i.e. absolute error for results in (-1, 1), where the
    relative error of a logarithm is not meaningful."""
    worst = 0.0
    tiny = float(np.finfo(np.float32).tiny)
    g2, r2 = got.reshape(-1), ref.reshape(-1)
    step = 1 << 22
    for start in range(0, r2.size, step):  # in chunks: 64M-element rows stay cheap in memory
        g = g2[start:start + step].astype(np.float64)
        r = r2[start:start + step]
        if function == "softmax":
            mask = r > tiny
            if not mask.any():
                continue
            err = np.abs(g[mask] - r[mask]) / r[mask]
        else:
            err = np.abs(g - r) / np.maximum(np.abs(r), 1.0)
        worst = max(worst, float(np.nan_to_num(err, nan=np.inf).max()))
    return worst


def _import_quietly(name: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return __import__(name)
    except Exception:  # optional peers: absent or broken installs are skipped
        return None


@dataclasses.dataclass
class Variant:
    """One thing to time: a fastsoftmax call (function, algorithm, ISA, out=
    or a fresh output) or a peer's call."""

    library: str  # fastsoftmax, numpy, scipy, torch, onnxruntime
    function: str  # softmax or log_softmax
    bind: Callable[[np.ndarray, np.ndarray], Callable[[], object]]
    algorithm: Optional[str] = None
    isa: Optional[str] = None
    out: bool = False  # True: writes into a preallocated out=; False: allocates its result
    threads: int = 1  # threads the call may use (fastsoftmax, torch, onnxruntime)

    @property
    def name(self) -> str:
        if self.library != "fastsoftmax":
            return self.library
        name = self.algorithm or "auto"
        if self.isa != fastsoftmax.detected_isa():
            name += f"@{self.isa}"
        if not self.out:
            name += " (new)"
        if self.threads != 1:
            name += f" x{self.threads}"
        return name

    def bytes_per_element(self, rows: int, cols: int) -> Optional[int]:
        if self.library != "fastsoftmax" or self.algorithm in (None, "auto"):
            return None
        return bytes_per_element(self.function, self.algorithm, rows, cols)

    @contextlib.contextmanager
    def context(self):
        """The variant's ISA (fastsoftmax) and thread count while timing."""
        with contextlib.ExitStack() as stack:
            if self.library == "fastsoftmax":
                stack.enter_context(fastsoftmax.threads(self.threads))
            elif self.library == "torch":
                torch = sys.modules["torch"]
                previous = torch.get_num_threads()
                torch.set_num_threads(self.threads)
                stack.callback(torch.set_num_threads, previous)
            active = stack.enter_context(fastsoftmax.use_isa(self.isa)) if self.isa else None
            yield active


def fastsoftmax_variant(function: str, algorithm: str, isa: str, out: bool = True,
                        threads: int = 1) -> Variant:
    fn = getattr(fastsoftmax, function)
    if out:
        def bind(x, y):
            return lambda: fn(x, out=y, algorithm=algorithm)
    else:
        def bind(x, y):
            return lambda: fn(x, algorithm=algorithm)
    return Variant("fastsoftmax", function, bind, algorithm, isa, out, threads)


def peer_variants(function: str, peers: Sequence[str] = ("numpy", "scipy", "torch", "onnxruntime"),
                  threads: int = 1) -> List[Variant]:
    """The peers that are installed, in the order asked for; torch and ONNX
    Runtime with `threads` threads (NumPy and SciPy have one)."""
    out: List[Variant] = []
    for peer in peers:
        if peer not in _PEERS:
            raise ValueError(f"unknown peer {peer!r}; expected one of {', '.join(_PEERS)}")
        if threads != 1 and peer in ("numpy", "scipy"):
            continue
        bind = _PEERS[peer](function, threads)
        if bind is not None:
            out.append(Variant(peer, function, bind, threads=threads))
    return out


def _numpy_peer(function, threads=1):
    fn = numpy_softmax if function == "softmax" else numpy_log_softmax
    return lambda x, y: (lambda: fn(x))


def _scipy_peer(function, threads=1):
    special = _import_quietly("scipy.special")
    if special is None:
        return None
    fn = getattr(sys.modules["scipy.special"], function)
    return lambda x, y: (lambda: fn(x, axis=-1))


def _torch_peer(function, threads=1):
    torch = _import_quietly("torch")
    if torch is None:
        return None
    torch.set_num_threads(1)  # one thread unless a variant's context says otherwise
    fn = getattr(torch, function)

    def bind(x, y):
        t = torch.from_numpy(x)  # zero copy, outside the timing
        return lambda: fn(t, dim=-1)
    return bind


def _onnxruntime_peer(function, threads=1):
    ort, onnx = _import_quietly("onnxruntime"), _import_quietly("onnx")
    if ort is None or onnx is None:
        return None
    from onnx import TensorProto, helper

    op = "Softmax" if function == "softmax" else "LogSoftmax"
    graph = helper.make_graph(
        [helper.make_node(op, ["x"], ["y"], axis=-1)], function,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["rows", "cols"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", "cols"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(model.SerializeToString(), options,
                                       providers=["CPUExecutionProvider"])
    except Exception:
        return None

    def bind(x, y):
        feed = {"x": x}
        return lambda: session.run(None, feed)[0]
    return bind


_PEERS = {"numpy": _numpy_peer, "scipy": _scipy_peer, "torch": _torch_peer,
          "onnxruntime": _onnxruntime_peer}

"""``python -m fastsoftmax bench``: fastsoftmax against NumPy, SciPy and (if
installed) PyTorch and ONNX Runtime on this machine.

What it does, so that the numbers can be trusted:

* every result is the median of many timed calls, and every ratio compares
  numbers measured in the same run (absolute times drift on shared machines;
  pin with ``taskset -c N``);
* workloads whose input + output do not fit in half the last-level cache are
  measured *cold*: the calls rotate through several input/output buffers
  whose total is at least twice the LLC, so no call finds its data in cache;
  smaller workloads are measured *hot* (the same buffers every call);
* the memory-bandwidth ceiling is measured in the same run by the library's
  own C loops (``_core.bandwidth_*``): ``copy`` (y = x, bytes read + written
  per second) is the reference, and each fastsoftmax result is reported as a
  fraction of it for its algorithm's bytes per element;
* accuracy (max relative error against a float64 reference computed from the
  same float32 input) is reported for fastsoftmax and for every peer.

This module is also the machinery behind the pytest-benchmark suite in
``bench/``: workloads, peers, buffer rotation and the ceiling live here once.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import platform
import sys
import time
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import fastsoftmax
from fastsoftmax import _core

FUNCTIONS = ("softmax", "log_softmax")

# Bytes each algorithm moves per float32 element of a row that does not fit
# in cache (reads of x and y plus writes of y; DESIGN.md, performance contract).
BYTES_PER_ELEMENT = {
    "softmax": {"two_pass": 12, "online": 12, "three_pass_recompute": 16, "three_pass_reload": 20},
    # log-softmax: both three-pass variants are max, sum of exp, subtract.
    "log_softmax": {"two_pass": 12, "online": 12, "three_pass_recompute": 16,
                    "three_pass_reload": 16},
}
#: The minimum any softmax must move: read x once, write y once.
MIN_BYTES_PER_ELEMENT = 8
#: The reload's blocked form (calls whose x and y fill the LLC, on rows of
#: two 2048-float blocks or more: max and exp in one read per block, then
#: the scaling pass) moves 16, not 20.
BLOCKED_RELOAD_BYTES_PER_ELEMENT = 16
BLOCKED_RELOAD_MIN_COLS = 4096


def bytes_per_element(function: str, algorithm: str, rows: int, cols: int) -> int:
    """Bytes per float32 element the algorithm moves on a rows x cols call."""
    if (function == "softmax" and algorithm == "three_pass_reload"
            and cols >= BLOCKED_RELOAD_MIN_COLS and rows * cols * 2 * 4 >= _core.llc_bytes()):
        return BLOCKED_RELOAD_BYTES_PER_ELEMENT
    return BYTES_PER_ELEMENT[function][algorithm]


# --------------------------------------------------------------- workloads
@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    shape: Tuple[int, int]

    @property
    def rows(self) -> int:
        return self.shape[0]

    @property
    def cols(self) -> int:
        return self.shape[1]

    @property
    def elements(self) -> int:
        return self.shape[0] * self.shape[1]

    @property
    def nbytes(self) -> int:
        return 4 * self.elements


def _row(n: int) -> Workload:
    label = f"{n >> 20}M" if n >= 1 << 20 else f"{n >> 10}K"
    return Workload(f"row {label}", (1, n))


ROWS = [_row(1 << k) for k in (10, 12, 14, 16, 18, 20, 22, 24, 26)]  # 1K .. 64M
ATTENTION = [Workload(f"attention {r}x{c}", (r, c)) for r, c in ((4096, 128), (1024, 1024), (256, 4096))]
VOCAB = [Workload("vocab 32x128256", (32, 128256)), Workload("vocab 8x262144", (8, 262144))]
ALL_WORKLOADS = ROWS + ATTENTION + VOCAB


def _by_name(*names: str) -> List[Workload]:
    table = {w.name: w for w in ALL_WORKLOADS}
    return [table[n] for n in names]


#: Named size sets, shared by the CLI (--sizes) and bench/ (--fsm-sizes).
SIZE_SETS: Dict[str, List[Workload]] = {
    # seconds: for CI and the tests that keep this code from rotting
    "smoke": [Workload("row 1K", (1, 1024)), Workload("row 16K", (1, 16384)),
              Workload("attention 64x128", (64, 128))],
    # the README's command (< 60 s): a row sweep to 4M plus two 2-D workloads
    "quick": ROWS[:7] + _by_name("attention 1024x1024", "vocab 32x128256"),
    # bench/'s default: everything but the two largest rows
    "small": ROWS[:7] + ATTENTION + VOCAB,
    "all": ALL_WORKLOADS,
}


#: What the smoke set pretends the LLC is, so that its tiny rows still run
#: the cold (rotating) path.
SMOKE_LLC_BYTES = 128 << 10


def effective_llc(size_set: str, override: Optional[int] = None) -> int:
    if override:
        return override
    return SMOKE_LLC_BYTES if size_set == "smoke" else cache_sizes()[1]


def ceiling_for(size_set: str, llc_bytes: int) -> Dict[str, float]:
    """The ceiling as a run of this size set measures it: over 4 x LLC (at
    least 64 MiB), or seconds-long 4 MiB buffers for smoke (not a ceiling)."""
    if size_set == "smoke":
        return measure_ceiling(1 << 20, reps=3, min_bytes=1 << 20)
    return measure_ceiling(llc_bytes, reps=7)


# ------------------------------------------------------------ the machine
def cache_sizes() -> Tuple[int, int]:
    """(L2 per core, last-level cache) in bytes, from sysfs or sysconf;
    falls back to 1 MiB and 64 MiB when the system does not say."""
    sizes: Dict[int, int] = {}
    base = "/sys/devices/system/cpu/cpu0/cache"
    try:
        for entry in sorted(os.listdir(base)):
            if not entry.startswith("index"):
                continue
            with open(os.path.join(base, entry, "type")) as f:
                if f.read().strip() == "Instruction":
                    continue
            with open(os.path.join(base, entry, "level")) as f:
                level = int(f.read())
            with open(os.path.join(base, entry, "size")) as f:
                text = f.read().strip()
            unit = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
            sizes[level] = int(text.rstrip("KMG")) * unit
    except (OSError, ValueError):
        pass
    for level, name in ((2, "SC_LEVEL2_CACHE_SIZE"), (3, "SC_LEVEL3_CACHE_SIZE")):
        if level not in sizes and name in getattr(os, "sysconf_names", {}):
            try:
                value = os.sysconf(name)
            except (OSError, ValueError):
                value = 0
            if value > 0:
                sizes[level] = value
    l2 = sizes.get(2, 1 << 20)
    llc = sizes[max(sizes)] if sizes and max(sizes) >= 3 else 64 << 20
    return l2, llc


def machine_info() -> Dict[str, object]:
    l2, llc = cache_sizes()
    info: Dict[str, object] = {
        "fastsoftmax": fastsoftmax.__version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "cpu": _cpu_model(),
        "isa": fastsoftmax.isa() if _core.environment_error() is None else "FASTSOFTMAX_ISA unusable",
        "available_isas": list(fastsoftmax.available_isas()),
        "l2_bytes": l2,
        "llc_bytes": llc,
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "transparent_hugepage": _read_first_line("/sys/kernel/mm/transparent_hugepage/enabled"),
    }
    info["fresh_output_hugepages_kb"] = fresh_output_hugepages()
    with warnings.catch_warnings(), contextlib.suppress(Exception):
        warnings.simplefilter("ignore")
        from numpy.core import multiarray
        info["numpy_madvise_hugepage"] = bool(multiarray._get_madvise_hugepage())
    return info


def _anon_huge_kb(address: int) -> Optional[int]:
    """AnonHugePages (kB) of this process's mapping that holds `address`."""
    try:
        with open("/proc/self/smaps") as f:
            inside = False
            for line in f:
                head = line.split(" ", 1)[0]
                if "-" in head and ":" not in head:
                    lo, hi = (int(v, 16) for v in head.split("-"))
                    inside = lo <= address < hi
                elif inside and line.startswith("AnonHugePages:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def fresh_output_hugepages(n: int = 1 << 23) -> Dict[str, Optional[int]]:
    """kB of transparent huge pages behind a fresh 32 MiB result of NumPy
    and of fastsoftmax.softmax(x) (which allocates through NumPy): first-
    touch page faults of fresh outputs are part of out-of-place timings."""
    x = np.zeros(n, np.float32)
    found: Dict[str, Optional[int]] = {"bytes_kb": x.nbytes >> 10}
    for name, make in (("numpy", lambda: np.exp(x)), ("fastsoftmax", lambda: fastsoftmax.softmax(x))):
        y = make()
        found[name] = _anon_huge_kb(y.ctypes.data + y.nbytes // 2)
        del y
    return found


def _read_first_line(path: str) -> Optional[str]:
    try:
        with open(path) as f:
            return f.readline().strip()
    except OSError:
        return None


def _cpu_model() -> str:
    """The model name, with the x86 family/model numbers: virtual machines
    often report only a generic name ("AMD EPYC"), and hosts of one name
    differ (family 23 is Zen 1/2, where 256-bit AVX2 runs as two halves;
    25 is Zen 3/4), which changes the exp kernels' speed twofold."""
    fields: Dict[str, str] = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("model name", "cpu family", "model") and key not in fields:
                    fields[key] = value.strip()
                if not line.strip() and fields:
                    break
    except OSError:
        pass
    name = fields.get("model name") or platform.processor() or "unknown"
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']} model {fields['model']})"
    return name


# ---------------------------------------------------------------- ceiling
def measure_ceiling(llc_bytes: int, reps: int = 7, min_bytes: int = 64 << 20) -> Dict[str, float]:
    """GB/s of the library's read, copy and in-place scale loops over
    buffers of max(4 x LLC, min_bytes) bytes each (copy uses two)."""
    n = max(4 * llc_bytes, min_bytes) // 4
    return {kind: getattr(_core, "bandwidth_" + kind)(n, reps) for kind in ("read", "copy", "scale")}


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

    @property
    def name(self) -> str:
        if self.library != "fastsoftmax":
            return self.library
        name = self.algorithm or "auto"
        if self.isa != fastsoftmax.detected_isa():
            name += f"@{self.isa}"
        if not self.out:
            name += " (new)"
        return name

    def bytes_per_element(self, rows: int, cols: int) -> Optional[int]:
        if self.library != "fastsoftmax" or self.algorithm in (None, "auto"):
            return None
        return bytes_per_element(self.function, self.algorithm, rows, cols)

    def context(self):
        return fastsoftmax.use_isa(self.isa) if self.isa else contextlib.nullcontext()


def fastsoftmax_variant(function: str, algorithm: str, isa: str, out: bool = True) -> Variant:
    fn = getattr(fastsoftmax, function)
    if out:
        def bind(x, y):
            return lambda: fn(x, out=y, algorithm=algorithm)
    else:
        def bind(x, y):
            return lambda: fn(x, algorithm=algorithm)
    return Variant("fastsoftmax", function, bind, algorithm, isa, out)


def peer_variants(function: str, peers: Sequence[str] = ("numpy", "scipy", "torch", "onnxruntime")
                  ) -> List[Variant]:
    """The peers that are installed, in the order asked for."""
    out: List[Variant] = []
    for peer in peers:
        if peer not in _PEERS:
            raise ValueError(f"unknown peer {peer!r}; expected one of {', '.join(_PEERS)}")
        bind = _PEERS[peer](function)
        if bind is not None:
            out.append(Variant(peer, function, bind))
    return out


def _numpy_peer(function):
    fn = numpy_softmax if function == "softmax" else numpy_log_softmax
    return lambda x, y: (lambda: fn(x))


def _scipy_peer(function):
    special = _import_quietly("scipy.special")
    if special is None:
        return None
    fn = getattr(sys.modules["scipy.special"], function)
    return lambda x, y: (lambda: fn(x, axis=-1))


def _torch_peer(function):
    torch = _import_quietly("torch")
    if torch is None:
        return None
    torch.set_num_threads(1)  # single thread, like fastsoftmax
    fn = getattr(torch, function)

    def bind(x, y):
        t = torch.from_numpy(x)  # zero copy, outside the timing
        return lambda: fn(t, dim=-1)
    return bind


def _onnxruntime_peer(function):
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
    options.intra_op_num_threads = 1
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


# --------------------------------------------------------- buffer rotation
def is_cold(workload: Workload, llc_bytes: int) -> bool:
    """Measured cold when input + output exceed half the LLC."""
    return 2 * workload.nbytes > llc_bytes // 2


class Buffers:
    """Input/output pairs for one workload. Hot: one pair, reused. Cold:
    enough pairs that their total is at least twice the LLC, visited in
    turn, so every call reads an input (and writes an output) that the
    previous calls have pushed out of every cache level."""

    def __init__(self, workload: Workload, llc_bytes: int, cold: Optional[bool] = None,
                 seed: int = 0):
        self.workload = workload
        self.cold = is_cold(workload, llc_bytes) if cold is None else cold
        footprint = 2 * workload.nbytes
        count = max(1, -(-2 * llc_bytes // footprint)) if self.cold else 1
        rng = np.random.default_rng(seed)
        x0 = rng.uniform(-10.0, 10.0, size=workload.shape).astype(np.float32)
        self.pairs = [(x0 if i == 0 else x0.copy(), np.zeros_like(x0)) for i in range(count)]

    @property
    def x(self) -> np.ndarray:
        return self.pairs[0][0]

    def total_bytes(self) -> int:
        return sum(x.nbytes + y.nbytes for x, y in self.pairs)


# ----------------------------------------------------------------- timing
def time_calls(calls: Sequence[Callable[[], object]], cold: bool, budget: float,
               min_samples: int = 5, max_samples: int = 1000) -> Tuple[float, int]:
    """Median seconds per call of one variant alone (see Sampler)."""
    sampler = Sampler(calls, cold, _Rotation())
    sampler.run(budget, min_samples, max_samples)
    return sampler.median(), len(sampler.samples)


class _Rotation:
    """The buffer index shared by every variant of a workload, so that a
    cold call never lands on the buffer the previous call (of any variant)
    just touched."""

    def __init__(self) -> None:
        self.i = 0

    def next(self, count: int) -> int:
        self.i += 1
        return self.i % count


class Sampler:
    """Timed samples of one variant. Hot: the same call repeated in batches
    of at least ~200 us per sample. Cold: one call per sample, on the next
    buffer pair of the rotation. Every pair is called once, untimed, first
    (page faults, lazy initialisation)."""

    def __init__(self, calls: Sequence[Callable[[], object]], cold: bool, rotation: _Rotation):
        self.calls, self.cold, self.rotation = list(calls), cold, rotation
        self.samples: List[float] = []
        for call in self.calls:
            call()
        self.number = 1
        if not cold:
            t0 = time.perf_counter()
            self.calls[0]()
            once = time.perf_counter() - t0
            self.number = max(1, min(10000, int(2e-4 / max(once, 1e-9))))

    def run(self, budget: float, min_samples: int, max_samples: int = 1000) -> None:
        clock = time.perf_counter
        start, taken = clock(), 0
        while taken < min_samples or (clock() - start < budget and taken < max_samples):
            call = self.calls[self.rotation.next(len(self.calls))] if self.cold else self.calls[0]
            t0 = clock()
            for _ in range(self.number):
                call()
            self.samples.append((clock() - t0) / self.number)
            taken += 1

    def median(self) -> float:
        return float(np.median(self.samples))


@dataclasses.dataclass
class Result:
    workload: str
    rows: int
    cols: int
    elements: int
    cache: str
    function: str
    variant: str
    library: str
    algorithm: Optional[str]
    isa: Optional[str]
    out: bool
    seconds: float
    samples: int
    bytes_per_element: Optional[int]
    max_rel_error: Optional[float]
    elements_per_ns: float
    effective_gb_per_s: float
    gb_per_s: Optional[float]
    fraction_of_ceiling: Optional[float]


def derived(seconds: float, elements: int, bytes_per_element: Optional[int],
            ceiling_gbps: Optional[float]) -> Dict[str, Optional[float]]:
    """elements/ns; the effective GB/s at the 8 bytes/element every softmax
    must move (read x, write y), for any variant or peer; and, for a known
    algorithm, its GB/s at its own bytes/element and that as a fraction of
    the ceiling (all in bytes read + written per second)."""
    eps = elements / seconds * 1e-9
    gbps = eps * bytes_per_element if bytes_per_element else None
    frac = gbps / ceiling_gbps if gbps is not None and ceiling_gbps else None
    return {"elements_per_ns": eps, "effective_gb_per_s": eps * MIN_BYTES_PER_ELEMENT,
            "gb_per_s": gbps, "fraction_of_ceiling": frac}


def measure(variants: Sequence[Variant], buffers: Buffers, budget: float,
            ceiling_gbps: Optional[float], ref: Optional[np.ndarray], rounds: int = 5
            ) -> List[Result]:
    """Times every variant on one workload, interleaved: `rounds` rounds,
    each giving every variant budget/rounds seconds (and at least one
    sample) in turn, so that a slow phase of a noisy machine hits all
    variants alike; then the median of each variant's samples, and the
    accuracy of one call against `ref`."""
    w = buffers.workload
    rotation = _Rotation()
    samplers = []
    for v in variants:
        with v.context():
            samplers.append(Sampler([v.bind(x, y) for x, y in buffers.pairs], buffers.cold, rotation))
    for _ in range(rounds):
        for v, sampler in zip(variants, samplers):
            with v.context():
                sampler.run(budget / rounds, min_samples=1)
    results = []
    for v, sampler in zip(variants, samplers):
        err = None
        if ref is not None:
            with v.context():
                err = max_rel_error(v.function, np.asarray(sampler.calls[0]()), ref)
        seconds = sampler.median()
        bpe = v.bytes_per_element(w.rows, w.cols)  # None for "auto" (chosen per row in C) and peers
        results.append(Result(
            w.name, w.rows, w.cols, w.elements, "cold" if buffers.cold else "hot", v.function,
            v.name, v.library, v.algorithm, v.isa, v.out, seconds, len(sampler.samples),
            bytes_per_element=bpe, max_rel_error=err,
            **derived(seconds, w.elements, bpe, ceiling_gbps)))
        sampler.calls.clear()
    return results


# -------------------------------------------------------------------- CLI
def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="the README's run: a row sweep to 4M and two 2-D workloads (< 60 s)")
    parser.add_argument("--json", metavar="FILE", help="write every result as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="plot elements/ns against row length (needs matplotlib)")
    parser.add_argument("--sizes", choices=sorted(SIZE_SETS), default=None,
                        help="workload set (default: all, or quick with --quick)")
    parser.add_argument("--functions", default="softmax,log_softmax",
                        help="comma-separated: softmax, log_softmax (default both)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of timing per result (default 0.25, 0.06 with --quick)")
    parser.add_argument("--cache", choices=("auto", "hot", "cold"), default="auto",
                        help="auto: cold (rotating buffers) when input+output exceed LLC/2")
    # for the tests: pretend the LLC is this many bytes (rotation with tiny buffers)
    parser.add_argument("--llc", type=int, default=None, help=argparse.SUPPRESS)


_SHORT = {"three_pass_reload": "3p-reload", "three_pass_recompute": "3p-recomp",
          "two_pass": "2-pass", "online": "online", "onnxruntime": "ort"}


def _short(name: str) -> str:
    for long, short in _SHORT.items():
        name = name.replace(long, short)
    return name


def _fmt(value: Optional[float], spec: str, width: int) -> str:
    return f"{'-' if value is None else format(value, spec):>{width}}"


def _print_tables(function: str, results: List[Result], fsm_names: List[str],
                  peer_names: List[str], workloads: List[Workload]) -> None:
    by = {(r.workload, r.variant): r for r in results if r.function == function}
    best_of = {}
    for w in workloads:
        # best = the fastest explicit algorithm at the detected ISA, with out=
        candidates = [by[(w.name, v)] for v in fsm_names
                      if (w.name, v) in by and v in fastsoftmax.ALGORITHMS and v != "auto"]
        if candidates:
            best_of[w.name] = min(candidates, key=lambda r: r.seconds)
    print(f"\n{function}: elements/ns (higher is better); 'x' columns = peer time / best fastsoftmax time")
    head = f"{'workload':<21}{'cache':>5}{'best':>7}{'(which)':>11}{'ceil':>5}"
    head += "".join(f"{_short(v):>{max(9, len(_short(v)) + 1)}}" for v in fsm_names)
    head += "".join(f"{_short(p):>7}" for p in peer_names)
    head += "".join(f"{'x' + _short(p)[:5]:>7}" for p in peer_names)
    print(head)
    print("-" * len(head))
    for w in workloads:
        best = best_of.get(w.name)
        if best is None:
            continue
        line = f"{w.name:<21}{best.cache:>5}{best.elements_per_ns:>7.3f}{_short(best.variant):>11}"
        line += _fmt(best.fraction_of_ceiling, ".0%", 5) if best.cache == "cold" else f"{'':>5}"
        for v in fsm_names:
            r = by.get((w.name, v))
            line += _fmt(r.elements_per_ns if r else None, ".3f", max(9, len(_short(v)) + 1))
        for p in peer_names:
            r = by.get((w.name, p))
            line += _fmt(r.elements_per_ns if r else None, ".3f", 7)
        for p in peer_names:
            r = by.get((w.name, p))
            line += _fmt(r.seconds / best.seconds if r else None, ".1f", 6) + ("x" if r else " ")
        print(line)
    print(f"\n{function}: max relative error vs float64 "
          f"({'|got-ref|/ref over ref > FLT_MIN' if function == 'softmax' else '|got-ref|/max(|ref|,1)'})")
    names = [v for v in fsm_names if "(new)" not in v] + peer_names
    head = f"{'workload':<21}" + "".join(f"{_short(v):>{max(10, len(_short(v)) + 1)}}" for v in names)
    print(head)
    print("-" * len(head))
    for w in workloads:
        line = f"{w.name:<21}"
        for v in names:
            r = by.get((w.name, v))
            line += _fmt(r.max_rel_error if r else None, ".1e", max(10, len(_short(v)) + 1))
        print(line)


def plot(results: List[Result], ceiling: Dict[str, float], info: Dict[str, object],
         path: str) -> None:
    """elements/ns against row length (single-row workloads), one line per
    variant and peer, with the bandwidth ceilings as lines."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'fastsoftmax[bench]' "
                         "(or pip install matplotlib)") from None
    functions = [f for f in FUNCTIONS if any(r.function == f for r in results)]
    fig, axes = plt.subplots(1, len(functions), figsize=(6.5 * len(functions), 4.6), squeeze=False)
    copy = ceiling["copy"]
    for ax, function in zip(axes[0], functions):
        rows = [r for r in results if r.function == function and r.rows == 1]
        variants = list(dict.fromkeys(r.variant for r in rows))
        for v in variants:
            pts = sorted((r.cols, r.elements_per_ns) for r in rows if r.variant == v)
            ours = any(r.library == "fastsoftmax" for r in rows if r.variant == v)
            style = "-o" if ours else "--s"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, ms=3, lw=1.2, label=v)
        x0 = min((r.cols for r in rows), default=1024)
        for bpe in sorted(set(BYTES_PER_ELEMENT[function].values())):
            ax.axhline(copy / bpe, color="grey", lw=0.8, ls=":")
            ax.text(x0, copy / bpe, f"copy ceiling at {bpe} B/element", fontsize=7, color="grey",
                    va="bottom")
        # to the right of this line the rows are measured cold (x + y > LLC/2)
        ax.axvline(int(info["llc_bytes"]) // 16, color="black", lw=0.6, ls="-.")
        ax.annotate(" cold (rotating buffers) ->", (int(info["llc_bytes"]) // 16, 0.02),
                    xycoords=("data", "axes fraction"), fontsize=7)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("row length (float32 elements, one row)")
        ax.set_ylabel("elements / ns (higher is better)")
        ax.set_title(f"{function}, {info['isa']}, 1 thread")
        ax.grid(True, which="both", lw=0.3, alpha=0.5)
        ax.legend(fontsize=7, ncol=2)
    fig.suptitle(f"fastsoftmax {info['fastsoftmax']} on {info['cpu']} "
                 f"(copy ceiling {copy:.1f} GB/s, same run)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)


def run(args) -> int:
    started = time.perf_counter()
    size_set = args.sizes or ("quick" if args.quick else "all")
    workloads = SIZE_SETS[size_set]
    functions = [f.strip() for f in args.functions.split(",") if f.strip()]
    for f in functions:
        if f not in FUNCTIONS:
            raise SystemExit(f"--functions: unknown function {f!r}; expected softmax, log_softmax")
    budget = args.budget if args.budget is not None else (
        0.01 if size_set == "smoke" else 0.06 if size_set == "quick" else 0.25)
    info = machine_info()
    llc = effective_llc(size_set, args.llc)
    ceiling_start = ceiling_for(size_set, llc)
    ceilings = [ceiling_start]  # measured again after each function and at the end
    detected = fastsoftmax.detected_isa()
    algorithms = [a for a in fastsoftmax.ALGORITHMS]
    lower_isas = [i for i in fastsoftmax.available_isas() if i != detected]

    print(f"fastsoftmax {info['fastsoftmax']} | isa {detected} (available: "
          f"{', '.join(info['available_isas'])}) | numpy {info['numpy']} | {info['cpu']}")
    pretend = "" if llc == info["llc_bytes"] else f" (pretended; real {int(info['llc_bytes']) >> 10} KiB)"
    print(f"L2 {int(info['l2_bytes']) >> 10} KiB, LLC {llc >> 10} KiB{pretend}; CPU affinity "
          f"{info['affinity']}; THP {info['transparent_hugepage']}")
    huge = info["fresh_output_hugepages_kb"]
    print(f"fresh 32 MiB results on huge pages: numpy {huge['numpy']} kB, fastsoftmax.softmax(x) "
          f"{huge['fastsoftmax']} kB (of {huge['bytes_kb']}); '(new)' = no out=, includes that")
    mib = 4 if size_set == "smoke" else max(4 * llc, 64 << 20) >> 20
    print(f"ceiling (library's own loops, {mib} MiB buffers): "
          + ", ".join(f"{k} {v:.1f} GB/s" for k, v in ceiling_start.items())
          + "; reference = copy (bytes read + written per second)")
    print(f"medians of >= 5 samples over >= {budget:g} s per result, variants interleaved "
          f"in 5 rounds; cold = inputs rotate through buffers >= 2 x LLC; float32 inputs "
          f"uniform in [-10, 10)")

    results: List[Result] = []
    layouts: Dict[str, Tuple[List[str], List[str]]] = {}
    for function in functions:
        variants = [fastsoftmax_variant(function, a, detected) for a in algorithms]
        variants.append(fastsoftmax_variant(function, "auto", detected, out=False))
        variants += [fastsoftmax_variant(function, "auto", isa) for isa in lower_isas]
        peers = peer_variants(function)
        layouts[function] = ([v.name for v in variants], [p.name for p in peers])
        for w in workloads:
            cold = None if args.cache == "auto" else args.cache == "cold"
            buffers = Buffers(w, llc, cold)
            ref = reference(function, buffers.x)
            results += measure(variants + peers, buffers, budget, ceiling_start["copy"], ref)
            del buffers, ref
        ceilings.append(ceiling_for(size_set, llc))

    ceiling_end = ceilings[-1]
    # The ceiling of record is the highest measured: fractions are never flattered.
    ceiling = {k: max(c[k] for c in ceilings) for k in ceiling_start}
    for r in results:
        if r.bytes_per_element:
            r.fraction_of_ceiling = r.gb_per_s / ceiling["copy"]

    for function in functions:
        _print_tables(function, results, *layouts[function], workloads)
    elapsed = time.perf_counter() - started
    print("\nceiling (copy GB/s) at start and after each function: "
          + ", ".join(f"{c['copy']:.1f}" for c in ceilings)
          + f"; 'ceil' (cold rows only) = GB/s at the best algorithm's bytes/element over the"
          + f" highest, {ceiling['copy']:.1f} GB/s; {elapsed:.1f} s in all")

    if args.json:
        doc = {
            "schema": "fastsoftmax-bench/1",
            "argv": sys.argv,
            "sizes": size_set,
            "machine": info,
            "llc_bytes_used": llc,
            "ceiling_gb_per_s": {"start": ceiling_start, "end": ceiling_end, "all": ceilings,
                                 "reference": "copy", "copy": ceiling["copy"]},
            "bytes_per_element": BYTES_PER_ELEMENT,
            "elapsed_seconds": elapsed,
            "results": [dataclasses.asdict(r) for r in results],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
    if args.plot:
        plot(results, ceiling, info, args.plot)
    return 0

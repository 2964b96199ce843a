"""Buffers (hot, or rotating through >= 2 x LLC for cold calls), timed
samples, and the results derived from them."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .peers import Variant, max_rel_error
from .workloads import MIN_BYTES_PER_ELEMENT, Workload


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

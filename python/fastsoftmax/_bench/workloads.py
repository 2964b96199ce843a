"""Workloads, named size sets, and the bytes per element each algorithm
moves (the basis of every GB/s and fraction-of-ceiling figure)."""

from __future__ import annotations

import dataclasses
from typing import Dict, List, Tuple

from fastsoftmax import _core


FUNCTIONS = ("softmax", "log_softmax")

# Bytes each algorithm moves per float32 element of a row that does not fit
# in cache (reads of x and y plus writes of y; docs/math.md#softmax-algorithms).
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
#: a mixture-of-experts router's logits: tokens x experts
ROUTER = [Workload(f"router {r}x{c}", (r, c)) for r, c in ((16384, 8), (16384, 64))]
ALL_WORKLOADS = ROWS + ATTENTION + VOCAB + ROUTER


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
    "small": ROWS[:7] + ATTENTION + VOCAB + ROUTER,
    "all": ALL_WORKLOADS,
}


#: What the smoke set pretends the LLC is, so that its tiny rows still run
#: the cold (rotating) path.
SMOKE_LLC_BYTES = 128 << 10

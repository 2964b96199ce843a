"""pytest-benchmark suite for fastsoftmax: every public function x algorithm
x available ISA, beside NumPy, SciPy, PyTorch and ONNX Runtime (those two
only when installed), over the workloads of fastsoftmax._bench.

    pytest bench                          # default: --fsm-sizes=small
    pytest bench --fsm-sizes=all          # adds the 16M and 64M rows
    pytest bench --benchmark-disable -q --fsm-sizes=smoke   # CI: seconds

Run pinned (taskset -c 1). Each benchmark's extra_info carries
elements_per_ns, gb_per_s and fraction_of_ceiling (bytes read + written per
second against the copy bandwidth measured at the start of the session).
"""

from __future__ import annotations

import os
from typing import Dict, List

import pytest

import fastsoftmax
from fastsoftmax import _bench

PEERS = ("numpy", "scipy", "torch", "onnxruntime")


def pytest_addoption(parser):
    group = parser.getgroup("fastsoftmax benchmarks")
    group.addoption("--fsm-sizes", default=os.environ.get("FSM_BENCH_SIZES", "small"),
                    choices=sorted(_bench.SIZE_SETS),
                    help="workload set: smoke (CI, seconds), quick, small (default), all "
                         "(adds the 16M and 64M rows); env FSM_BENCH_SIZES")
    group.addoption("--fsm-cache", default="auto", choices=("auto", "hot", "cold"),
                    help="auto (default): rotate buffers >= 2 x LLC when input + output "
                         "exceed LLC/2; hot: never; cold: always")
    group.addoption("--fsm-peers", default=",".join(PEERS),
                    help="comma-separated peers to run (default: %(default)s)")


def pytest_generate_tests(metafunc):
    config = metafunc.config
    if "workload" in metafunc.fixturenames:
        workloads = _bench.SIZE_SETS[config.getoption("--fsm-sizes")]
        # session scope: pytest runs every test of one workload before building the next
        metafunc.parametrize("workload", workloads, ids=[w.name.replace(" ", "-") for w in workloads],
                             scope="session")
    if "function" in metafunc.fixturenames:
        metafunc.parametrize("function", _bench.FUNCTIONS)
    if "algorithm" in metafunc.fixturenames:
        metafunc.parametrize("algorithm", fastsoftmax.ALGORITHMS)
    if "isa" in metafunc.fixturenames:
        metafunc.parametrize("isa", fastsoftmax.available_isas())
    if "peer" in metafunc.fixturenames:
        peers = [p.strip() for p in config.getoption("--fsm-peers").split(",") if p.strip()]
        unknown = sorted(set(peers) - set(PEERS))
        if unknown:
            raise pytest.UsageError(f"--fsm-peers: unknown {', '.join(unknown)}; "
                                    f"expected some of {', '.join(PEERS)}")
        metafunc.parametrize("peer", peers)


@pytest.fixture(scope="session")
def llc_bytes(pytestconfig) -> int:
    return _bench.effective_llc(pytestconfig.getoption("--fsm-sizes"))


@pytest.fixture(scope="session")
def ceiling(pytestconfig, llc_bytes) -> Dict[str, float]:
    """read/copy/scale GB/s from the library's own loops, once per session."""
    result = _bench.ceiling_for(pytestconfig.getoption("--fsm-sizes"), llc_bytes)
    pytestconfig._fsm_ceiling = result
    return result


@pytest.fixture(scope="session")
def buffers(workload, llc_bytes, pytestconfig):
    """The workload's input/output pairs (one, or a rotation >= 2 x LLC);
    released before the next workload's are built."""
    mode = pytestconfig.getoption("--fsm-cache")
    bufs = _bench.Buffers(workload, llc_bytes, None if mode == "auto" else mode == "cold")
    bufs.references = {}
    yield bufs
    bufs.pairs.clear()
    bufs.references.clear()


def pytest_configure(config):
    config._fsm_records = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    records: List[dict] = getattr(config, "_fsm_records", [])
    ceiling = getattr(config, "_fsm_ceiling", None)
    if not records:
        return
    tr = terminalreporter
    tr.section("fastsoftmax: throughput, ceiling and accuracy")
    if ceiling:
        tr.write_line("ceiling (library's own loops): "
                      + ", ".join(f"{k} {v:.1f} GB/s" for k, v in ceiling.items())
                      + "; ceil = GB/s at the algorithm's bytes/element over copy (cold rows)")
    tr.write_line(f"{'group':<30}{'variant':<36}{'cache':>5}{'el/ns':>8}{'GB/s':>7}"
                  f"{'ceil':>6}{'max rel err':>12}")
    order = {}
    for r in records:
        order.setdefault(r["workload"], len(order))
    records = sorted(records, key=lambda r: (order[r["workload"]], r["function"] != "softmax"))
    for r in records:
        def fmt(key, spec, width):
            v = r.get(key)
            return f"{'-' if v is None else format(v, spec):>{width}}"
        tr.write_line(f"{r['group']:<30}{r['variant']:<36}{r['cache']:>5}"
                      + fmt("elements_per_ns", ".3f", 8) + fmt("gb_per_s", ".1f", 7)
                      + (fmt("fraction_of_ceiling", ".0%", 6) if r["cache"] == "cold" else f"{'':>6}")
                      + fmt("max_rel_error", ".1e", 12))

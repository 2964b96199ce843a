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

This package is also the machinery behind the pytest-benchmark suite in
``bench/``: workloads, peers, buffer rotation and the ceiling live here once,
by concern:

* ``workloads``: workloads, size sets, bytes per element;
* ``machine``: cache sizes, machine facts, the bandwidth ceiling;
* ``peers``: fastsoftmax variants, peers, the accuracy check;
* ``timing``: buffers, rotation, samplers, results;
* ``report``: the tables and the plot;
* ``cli``: the command's options and ``run``.
"""

from .cli import add_arguments, run
from .machine import (cache_sizes, ceiling_for, effective_llc, fresh_output_hugepages,
                      machine_info, measure_ceiling)
from .peers import (Variant, fastsoftmax_variant, max_rel_error, numpy_log_softmax, numpy_softmax,
                    peer_variants, reference)
from .report import plot
from .timing import Buffers, Result, Sampler, derived, is_cold, measure, time_calls
from .workloads import (ALL_WORKLOADS, ATTENTION, BLOCKED_RELOAD_BYTES_PER_ELEMENT,
                        BLOCKED_RELOAD_MIN_COLS, BYTES_PER_ELEMENT, FUNCTIONS,
                        MIN_BYTES_PER_ELEMENT, ROWS, SIZE_SETS, SMOKE_LLC_BYTES, VOCAB, Workload,
                        bytes_per_element)

__all__ = [
    "ALL_WORKLOADS", "ATTENTION", "BLOCKED_RELOAD_BYTES_PER_ELEMENT", "BLOCKED_RELOAD_MIN_COLS",
    "BYTES_PER_ELEMENT", "Buffers", "FUNCTIONS", "MIN_BYTES_PER_ELEMENT", "ROWS", "Result",
    "SIZE_SETS", "SMOKE_LLC_BYTES", "Sampler", "VOCAB", "Variant", "Workload", "add_arguments",
    "bytes_per_element", "cache_sizes", "ceiling_for", "derived", "effective_llc",
    "fastsoftmax_variant", "fresh_output_hugepages", "is_cold", "machine_info", "max_rel_error",
    "measure", "measure_ceiling", "numpy_log_softmax", "numpy_softmax", "peer_variants", "plot",
    "reference", "run", "time_calls",
]

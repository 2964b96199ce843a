"""The machine: cache sizes, CPU and page facts for the report, and the
memory-bandwidth ceiling measured by the library's own C loops."""

from __future__ import annotations

import contextlib
import os
import platform
import warnings
from typing import Dict, Optional, Tuple

import numpy as np

import fastsoftmax
from fastsoftmax import _core

from .workloads import SMOKE_LLC_BYTES


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

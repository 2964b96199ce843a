"""``python -m fastsoftmax bench``: its options and the run."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from typing import Dict, List, Tuple

import fastsoftmax

from .machine import ceiling_for, effective_llc, machine_info
from .peers import fastsoftmax_variant, peer_variants, reference
from .report import _print_tables, plot
from .timing import Buffers, Result, measure
from .workloads import BYTES_PER_ELEMENT, FUNCTIONS, SIZE_SETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quick", action="store_true",
                        help="the README's run: a row sweep to 4M and two 2-D workloads (< 60 s)")
    parser.add_argument("--json", metavar="FILE", help="write every result as JSON")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="draw the run as a PNG, 2000 px wide: elements/ns against row "
                        "length (log scale) and the 2-D workloads (needs matplotlib)")
    parser.add_argument("--sizes", choices=sorted(SIZE_SETS), default=None,
                        help="workload set (default: all, or quick with --quick)")
    parser.add_argument("--functions", default="softmax,log_softmax",
                        help="comma-separated: softmax, log_softmax (default both)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds of timing per result (default 0.25, 0.06 with --quick)")
    parser.add_argument("--cache", choices=("auto", "hot", "cold"), default="auto",
                        help="auto: cold (rotating buffers) when input+output exceed LLC/2")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bar (it goes to stderr, only when stderr is a terminal)")
    # for the tests: pretend the LLC is this many bytes (rotation with tiny buffers)
    parser.add_argument("--llc", type=int, default=None, help=argparse.SUPPRESS)


class _Progress:
    """A progress bar on stderr while the run measures: tqdm's when it is
    installed (``pip install 'fastsoftmax[bench]'``), else one plain line
    rewritten in place; nothing when stderr is not a terminal (logs, CI) or
    with ``--no-progress``. stdout (the tables) is never touched."""

    def __init__(self, total: int, enabled: bool, stream=None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.done, self.bar = total, 0, None
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self.bar = tqdm(total=total, file=self.stream, unit="step", leave=False,
                                dynamic_ncols=True, bar_format="{desc} {bar} {n_fmt}/{total_fmt}"
                                " [{elapsed}<{remaining}]")

    def step(self, what: str) -> None:
        """Announce the step about to run (and count the previous one as done)."""
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.set_description_str(what)
        else:
            self.stream.write(f"\r\x1b[2K[{self.done}/{self.total}] {what}")
            self.stream.flush()

    def advance(self) -> None:
        self.done += 1
        if self.enabled and self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        if not self.enabled:
            return
        if self.bar is not None:
            self.bar.close()
        else:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


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
    progress = _Progress(len(functions) * (len(workloads) + 1), getattr(args, "progress", True))
    for function in functions:
        variants = [fastsoftmax_variant(function, a, detected) for a in algorithms]
        variants.append(fastsoftmax_variant(function, "auto", detected, out=False))
        variants += [fastsoftmax_variant(function, "auto", isa) for isa in lower_isas]
        peers = peer_variants(function)
        layouts[function] = ([v.name for v in variants], [p.name for p in peers])
        for w in workloads:
            progress.step(f"{function} {w.name}")
            cold = None if args.cache == "auto" else args.cache == "cold"
            buffers = Buffers(w, llc, cold)
            ref = reference(function, buffers.x)
            results += measure(variants + peers, buffers, budget, ceiling_start["copy"], ref)
            del buffers, ref
            progress.advance()
        progress.step(f"{function}: bandwidth ceiling")
        ceilings.append(ceiling_for(size_set, llc))
        progress.advance()
    progress.close()

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

"""The printed tables and the plot of a ``python -m fastsoftmax bench`` run."""

from __future__ import annotations

from typing import Dict, List, Optional

import fastsoftmax

from .timing import Result
from .workloads import BYTES_PER_ELEMENT, FUNCTIONS, Workload


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

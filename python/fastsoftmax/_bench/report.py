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


# Peers keep one colour everywhere (every panel, every run); fastsoftmax's
# variants take the rest of the palette in a fixed order.
_PEER_COLOURS = {"numpy": "#7f7f7f", "scipy": "#bcbd22", "torch": "#d62728",
                 "onnxruntime": "#9467bd"}
_OURS_ORDER = ("auto", "auto (new)", "three_pass_reload", "three_pass_recompute", "two_pass",
               "online")
_OURS_COLOURS = ("#1f77b4", "#17becf", "#ff7f0e", "#2ca02c", "#8c564b", "#e377c2",
                 "#aec7e8", "#98df8a", "#ffbb78", "#c49c94")


def _colours(variants: List[str]) -> Dict[str, str]:
    """A colour per variant name, the same whatever the run measured."""
    ours = [v for v in _OURS_ORDER if v in variants]
    ours += sorted(v for v in variants if v not in _PEER_COLOURS and v not in ours)
    table = {v: _OURS_COLOURS[i % len(_OURS_COLOURS)] for i, v in enumerate(ours)}
    table.update({p: c for p, c in _PEER_COLOURS.items() if p in variants})
    return table


def _size_label(n: float, _pos: object = None) -> str:
    n = int(round(n))
    for shift, unit in ((30, "G"), (20, "M"), (10, "K")):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift}{unit}"
    return str(n)


def plot(results: List[Result], ceiling: Dict[str, float], info: Dict[str, object],
         path: str) -> None:
    """The run as a picture (2000 x 1100 px at 100 dpi): per function, the
    one-row sweep (elements/ns against row length, both axes logarithmic,
    the copy-bandwidth ceilings as grey lines) and the 2-D workloads (bars,
    one group per workload). One legend; each variant and peer keeps its
    colour in every panel."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        raise SystemExit("--plot needs matplotlib: pip install 'fastsoftmax[bench]' "
                         "(or pip install matplotlib)") from None
    from matplotlib.ticker import FuncFormatter

    functions = [f for f in FUNCTIONS if any(r.function == f for r in results)]
    colour = _colours(list(dict.fromkeys(r.variant for r in results)))
    variants = list(colour)  # ours in a fixed order, then the peers
    ours = {r.variant for r in results if r.library == "fastsoftmax"}
    copy = ceiling["copy"]
    fig, axes = plt.subplots(len(functions), 2, figsize=(20, 5.5 * len(functions)), squeeze=False,
                             gridspec_kw={"width_ratios": [3, 2]})
    for (ax, bx), function in zip(axes, functions):
        mine = [r for r in results if r.function == function]
        sweep = [r for r in mine if r.rows == 1]
        for v in variants:
            pts = sorted((r.cols, r.elements_per_ns) for r in sweep if r.variant == v)
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts],
                        "-o" if v in ours else "--s", color=colour[v], ms=4, lw=1.6)
        for k, bpe in enumerate(sorted(set(BYTES_PER_ELEMENT[function].values()))):
            ax.axhline(copy / bpe, color="0.45", lw=0.9, ls=(0, (1 + k, 2)))
            # labels at the right edge, outside the data, one per line
            ax.annotate(f"copy ceiling, {bpe} B/el", (1.0, copy / bpe),
                        xycoords=("axes fraction", "data"), xytext=(4, 0),
                        textcoords="offset points", fontsize=9, color="0.35", va="center")
        cold = sorted({r.cols for r in sweep if r.cache == "cold"})
        if cold:  # the rows measured cold (x + y beyond LLC/2: rotating buffers), shaded
            warm = [r.cols for r in sweep if r.cache != "cold" and r.cols < cold[0]]
            start = (max(warm) * cold[0]) ** 0.5 if warm else cold[0] / 1.4
            ax.axvspan(start, cold[-1] * 1.4, color="0.92", zorder=0)
            ax.text(0.995, 0.02, "shaded: measured cold (rotating buffers)", ha="right",
                    transform=ax.transAxes, fontsize=9, va="bottom",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1})
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(FuncFormatter(_size_label))
        ax.set_yscale("log")
        ax.set_xlabel("row length (float32 elements, one row; log scale)", fontsize=11)
        ax.set_ylabel("elements / ns (higher is better)", fontsize=11)
        ax.set_title(f"{function}: one row, {info['isa']}, 1 thread", fontsize=12)
        ax.grid(True, which="both", lw=0.3, alpha=0.6)

        shaped = [w for w in dict.fromkeys(r.workload for r in mine if r.rows > 1)]
        width = 0.8 / max(len(variants), 1)
        for j, v in enumerate(variants):
            xs, ys = [], []
            for i, w in enumerate(shaped):
                r = next((r for r in mine if r.workload == w and r.variant == v), None)
                if r is not None:
                    xs.append(i - 0.4 + (j + 0.5) * width)
                    ys.append(r.elements_per_ns)
            if xs:
                bx.bar(xs, ys, width * 0.92, color=colour[v],
                       hatch=None if v in ours else "//", edgecolor="white", lw=0.3)
        bx.set_xticks(range(len(shaped)))
        cache = {r.workload: r.cache for r in mine}
        bx.set_xticklabels([f"{w}\n({cache[w]})" for w in shaped], fontsize=10)
        bx.set_ylabel("elements / ns (higher is better)", fontsize=11)
        bx.set_title(f"{function}: 2-D workloads (rows x cols)", fontsize=12)
        bx.grid(True, axis="y", lw=0.3, alpha=0.6)
        if not shaped:
            bx.text(0.5, 0.5, "no 2-D workloads in this run", ha="center",
                    transform=bx.transAxes)
    handles = [Line2D([], [], color=colour[v], marker="o" if v in ours else "s",
                      ls="-" if v in ours else "--", lw=2, label=v) for v in variants]
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 7), fontsize=11,
               frameon=False, title="solid: fastsoftmax (name = algorithm, @isa = forced ISA,"
               " (new) = no out=); dashed / hatched: peers")
    fig.suptitle(f"fastsoftmax {info['fastsoftmax']} on {info['cpu']} (copy ceiling {copy:.1f}"
                 f" GB/s, measured in the same run)", fontsize=13)
    legend_rows = -(-len(handles) // 7)
    fig.tight_layout(rect=(0, 0.04 + 0.03 * legend_rows, 0.95, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)

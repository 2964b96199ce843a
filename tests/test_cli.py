"""``python -m fastsoftmax`` as a person uses it (issue 18): --version, a
plain-text --help, ``info`` listing threads, dtypes and fused options, the
progress bar of ``bench``, and a plot that is readable (size, both kinds of
workload, one colour per peer)."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from fastsoftmax import __main__ as cli
from fastsoftmax._bench import cli as bench_cli
from fastsoftmax._bench import report
from fastsoftmax._bench.timing import Result


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "fastsoftmax", *args], capture_output=True,
                          text=True, timeout=120)


def test_version():
    proc = _run("--version")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == (f"fastsoftmax {fastsoftmax.__version__}"
                                   f" (library {fastsoftmax._core.library_version})")


@pytest.mark.parametrize("args", [("--help",), ("info", "--help"), ("bench", "--help")])
def test_help_is_plain_text(args):
    proc = _run(*args)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert "usage: python -m fastsoftmax" in text
    for rst in ("``", ":func:", ".. ", ":class:"):
        assert rst not in text, f"reStructuredText {rst!r} in --help"
    if args == ("--help",):
        assert "info" in text and "bench" in text and "--version" in text


def test_info_lists_threads_dtypes_and_fused_options():
    proc = _run("info")
    assert proc.returncode == 0, proc.stderr
    lines = {ln[:13].strip(): ln[13:] for ln in proc.stdout.splitlines() if ln[:13].strip()}
    assert lines["threads"].startswith(str(fastsoftmax.get_num_threads()))
    dtypes = lines["dtypes"].split(" (")[0].split(", ")
    assert {"float32", "float64"} <= set(dtypes)
    assert dtypes == cli.supported_dtypes()
    assert "cross_entropy(" in proc.stdout and "return_grad=" in proc.stdout
    assert "fused" in lines


def test_supported_dtypes_are_the_ones_softmax_takes():
    for name in cli.supported_dtypes():
        y = fastsoftmax.softmax(np.zeros(4, name))
        assert y.dtype == np.dtype(name)
    if "float16" not in cli.supported_dtypes():
        with pytest.raises(TypeError):
            fastsoftmax.softmax(np.zeros(4, np.float16))


def test_fused_options_follow_the_signatures():
    lines = cli.fused_options()
    ce = next(ln for ln in lines if ln.startswith("cross_entropy("))
    for p in ("reduction=", "ignore_index=", "label_smoothing=", "return_grad=", "grad_out="):
        assert p in ce
    assert not any(ln.startswith(("softmax(", "get_", "set_")) and "out=" in ln for ln in lines)


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_plain_fallback(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # as if tqdm were not installed
    stream = _Tty()
    p = bench_cli._Progress(2, True, stream)
    p.step("softmax row 1K")
    p.advance()
    p.step("softmax row 4K")
    p.advance()
    p.close()
    text = stream.getvalue()
    assert "[0/2] softmax row 1K" in text and "[1/2] softmax row 4K" in text


def test_progress_with_tqdm():
    pytest.importorskip("tqdm")
    stream = _Tty()
    p = bench_cli._Progress(3, True, stream)
    for what in ("a", "b", "c"):
        p.step(what)
        p.advance()
    p.close()
    text = stream.getvalue()
    assert "\rc " in text and "2/3" in text and text.endswith("\r")  # cleared at the end


@pytest.mark.parametrize("enabled,stream", [(False, _Tty()), (True, io.StringIO())],
                         ids=["--no-progress", "not a terminal"])
def test_progress_is_silent_when_off(enabled, stream):
    p = bench_cli._Progress(1, enabled, stream)
    p.step("x")
    p.advance()
    p.close()
    assert stream.getvalue() == ""


def _result(function, workload, rows, cols, variant, library, eps):
    return Result(workload=workload, rows=rows, cols=cols, elements=rows * cols,
                  cache="hot", function=function, variant=variant, library=library,
                  algorithm=variant if library == "fastsoftmax" else None, isa="avx2",
                  out=True, seconds=rows * cols / eps * 1e-9, samples=5,
                  bytes_per_element=None, max_rel_error=1e-7, elements_per_ns=eps,
                  effective_gb_per_s=8 * eps, gb_per_s=None, fraction_of_ceiling=None)


def test_plot_is_readable(tmp_path):
    image = pytest.importorskip("matplotlib.image")
    results = []
    for function in ("softmax", "log_softmax"):
        for v, lib in (("auto", "fastsoftmax"), ("two_pass", "fastsoftmax"), ("numpy", "numpy"),
                       ("torch", "torch")):
            for k in (10, 12, 14, 16):
                results.append(_result(function, f"row {1 << (k - 10)}K", 1, 1 << k, v, lib, 0.5))
            results.append(_result(function, "attention 64x128", 64, 128, v, lib, 0.7))
    path = tmp_path / "plot.png"
    report.plot(results, {"copy": 10.0}, {"llc_bytes": 1 << 20, "isa": "avx2",
                                          "fastsoftmax": "x", "cpu": "test"}, str(path))
    height, width = image.imread(str(path)).shape[:2]
    assert width >= 1600 and height >= 800


def test_peers_keep_their_colours():
    a = report._colours(["auto", "numpy", "torch", "scipy"])
    b = report._colours(["torch", "two_pass", "online", "auto", "auto@scalar", "scipy", "numpy"])
    for peer in ("numpy", "torch", "scipy"):
        assert a[peer] == b[peer]
    assert a["auto"] == b["auto"]
    assert len(set(b.values())) == len(b)  # every variant its own colour

"""`python -m fastsoftmax bench` in its smoke mode, and the benchmark
machinery it shares with bench/: checks that the JSON is complete and its
values sane, so that the benchmark code cannot rot. Measures no speed."""

import importlib.util
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from fastsoftmax import _bench, _core


def test_bench_cli_smoke_json(tmp_path):
    out = tmp_path / "bench.json"
    cmd = [sys.executable, "-m", "fastsoftmax", "bench", "--sizes", "smoke", "--json", str(out)]
    have_mpl = importlib.util.find_spec("matplotlib") is not None
    if have_mpl:
        cmd += ["--plot", str(tmp_path / "bench.png")]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "softmax: elements/ns" in proc.stdout and "max relative error" in proc.stdout

    doc = json.loads(out.read_text())
    assert doc["schema"] == "fastsoftmax-bench/1"
    assert doc["sizes"] == "smoke"
    assert doc["machine"]["isa"] == fastsoftmax.isa()
    assert doc["machine"]["llc_bytes"] > 0 and doc["machine"]["l2_bytes"] > 0
    ceiling = doc["ceiling_gb_per_s"]
    assert ceiling["reference"] == "copy"
    for when in ("start", "end"):
        assert set(ceiling[when]) == {"read", "copy", "scale"}
        assert all(0 < v < 10_000 for v in ceiling[when].values())

    results = doc["results"]
    workloads = {w.name for w in _bench.SIZE_SETS["smoke"]}
    assert {r["workload"] for r in results} == workloads
    assert {r["function"] for r in results} == set(_bench.FUNCTIONS)
    assert {r["cache"] for r in results} == {"hot", "cold"}  # the rotation ran too
    for function in _bench.FUNCTIONS:
        for w in workloads:
            got = {r["variant"] for r in results if r["function"] == function and r["workload"] == w}
            assert set(fastsoftmax.ALGORITHMS) <= got
            assert "auto (new)" in got and "numpy" in got
    for r in results:
        assert r["elements"] == r["rows"] * r["cols"] > 0
        assert r["seconds"] > 0 and r["samples"] >= 5
        assert math.isclose(r["elements_per_ns"], r["elements"] / r["seconds"] * 1e-9)
        assert math.isclose(r["effective_gb_per_s"], 8 * r["elements_per_ns"])
        assert 0 <= r["max_rel_error"] < 1e-3
        if r["library"] == "fastsoftmax" and r["algorithm"] != "auto":
            bpe = _bench.bytes_per_element(r["function"], r["algorithm"], r["rows"], r["cols"])
            assert r["bytes_per_element"] == bpe
            assert math.isclose(r["gb_per_s"], bpe * r["elements_per_ns"])
            assert math.isclose(r["fraction_of_ceiling"], r["gb_per_s"] / ceiling["copy"])
        else:
            assert r["gb_per_s"] is None and r["fraction_of_ceiling"] is None
    if have_mpl:
        assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit, match="matplotlib"):
        _bench.plot([], {"copy": 1.0}, {"llc_bytes": 1}, str(tmp_path / "x.png"))


def test_bytes_per_element_table():
    assert _bench.BYTES_PER_ELEMENT["softmax"] == {
        "two_pass": 12, "online": 12, "three_pass_recompute": 16, "three_pass_reload": 20}
    assert _bench.BYTES_PER_ELEMENT["log_softmax"]["two_pass"] == 12
    assert set(_bench.BYTES_PER_ELEMENT["softmax"]) == set(fastsoftmax.ALGORITHMS) - {"auto"}
    # the reload moves 16 bytes per element once a call fills the LLC (blocked form,
    # rows of two blocks or more)
    fill = fastsoftmax._core.llc_bytes() // 8
    assert _bench.bytes_per_element("softmax", "three_pass_reload", 1, fill - 1) == 20
    assert _bench.bytes_per_element("softmax", "three_pass_reload", 1, fill) == 16
    assert _bench.bytes_per_element("softmax", "three_pass_reload", fill // 4096, 4096) == 16
    assert _bench.bytes_per_element("softmax", "three_pass_reload", fill // 1024, 1024) == 20
    assert _bench.bytes_per_element("log_softmax", "three_pass_reload", 1, fill) == 16
    assert _bench.bytes_per_element("softmax", "online", 1, fill) == 12


def test_cache_sizes_are_plausible():
    l2, llc = _bench.cache_sizes()
    assert 64 << 10 <= l2 <= llc <= 4 << 30


@pytest.mark.parametrize("llc", [1 << 16, 1 << 20])
def test_cold_buffers_rotate_through_more_than_the_llc(llc):
    w = _bench.Workload("t", (4, 4096))  # 64 KiB in, 64 KiB out
    bufs = _bench.Buffers(w, llc_bytes=llc, cold=True)
    assert bufs.cold and bufs.total_bytes() >= 2 * llc
    assert len({x.ctypes.data for x, _ in bufs.pairs}) == len(bufs.pairs)  # distinct memory
    assert all(np.array_equal(x, bufs.x) for x, _ in bufs.pairs)
    hot = _bench.Buffers(w, llc_bytes=1 << 30)
    assert not hot.cold and len(hot.pairs) == 1


def test_max_rel_error():
    ref = np.array([[0.5, 0.25, 0.25]])
    got = np.array([[0.5, 0.25, 0.25 * (1 + 1e-6)]], dtype=np.float32)
    assert math.isclose(_bench.max_rel_error("softmax", got, ref), 1e-6, rel_tol=0.1)
    assert _bench.max_rel_error("softmax", np.full((1, 3), np.nan, np.float32), ref) == math.inf


@pytest.mark.parametrize("kind", ["read", "copy", "scale"])
def test_bandwidth_helpers(kind):
    fn = getattr(_core, "bandwidth_" + kind)
    assert fn(1 << 16, 3) > 0
    with pytest.raises(ValueError):
        fn(0, 3)

"""The dispatcher: detection, forcing, the FASTSOFTMAX_ISA override (read
once, in a fresh process) and `python -m fastsoftmax info`."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax


def run_python(code: str, isa_env=None):
    env = dict(os.environ)
    env.pop("FASTSOFTMAX_ISA", None)
    if isa_env is not None:
        env["FASTSOFTMAX_ISA"] = isa_env
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=120)


def test_detection_is_consistent():
    isas = fastsoftmax.available_isas()
    assert isas[0] == "scalar"
    assert fastsoftmax.detected_isa() == isas[-1]
    assert set(isas) <= {"scalar", "avx2", "avx512", "neon", "avx512_bf16"}
    # what the kernel reports, for every table this build compiled
    if not os.path.exists("/proc/cpuinfo"):
        return
    with open("/proc/cpuinfo") as f:
        flags = set(f.read().split())
    built = fastsoftmax._core.isa_folders
    if "FSM_HAVE_AVX2" in built and {"avx2", "fma"} <= flags:
        assert "avx2" in isas
    if "FSM_HAVE_AVX512" in built and "avx512f" in flags:
        assert "avx512" in isas
    if "FSM_HAVE_AVX512_BF16" in built and {"avx512f", "avx512bw", "avx512vl", "avx512dq",
                                              "avx512_bf16"} <= flags:
        assert "avx512_bf16" in isas
    if "FSM_HAVE_NEON" in built:
        assert "neon" in isas


@pytest.mark.parametrize("name", fastsoftmax.available_isas())
def test_environment_override(name):
    r = run_python("import fastsoftmax, numpy as np; fastsoftmax.softmax(np.ones(3, np.float32));"
                   "print(fastsoftmax.isa())", name)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == name


@pytest.mark.parametrize("bad", ["sse9", "neon" if "neon" not in fastsoftmax.available_isas() else "avx512"])
def test_environment_override_errors(bad):
    if bad in fastsoftmax.available_isas():
        pytest.skip("every ISA is available here")
    r = run_python(
        "import fastsoftmax, numpy as np\n"
        "try:\n"
        "    fastsoftmax.softmax(np.ones(3, np.float32))\n"
        "except RuntimeError as e:\n"
        "    print('RuntimeError', e)\n"
        "fastsoftmax.set_isa('auto')\n"
        "print(fastsoftmax.softmax(np.zeros(2, np.float32)))\n",
        bad,
    )
    assert r.returncode == 0, r.stderr
    assert "RuntimeError" in r.stdout and "FASTSOFTMAX_ISA" in r.stdout and bad in r.stdout
    assert "[0.5 0.5]" in r.stdout  # set_isa clears the bad override


def test_use_isa_restores_on_error():
    before = fastsoftmax.isa()
    with pytest.raises(KeyError):
        with fastsoftmax.use_isa("scalar"):
            assert fastsoftmax.isa() == "scalar"
            raise KeyError
    assert fastsoftmax.isa() == before


def test_forced_isa_changes_results_only_within_bounds():
    x = np.random.default_rng(0).normal(0, 4, 10000).astype(np.float32)
    results = {}
    for name in fastsoftmax.available_isas():
        with fastsoftmax.use_isa(name):
            results[name] = fastsoftmax.softmax(x)
    ref = results["scalar"]
    for name, y in results.items():
        np.testing.assert_allclose(y, ref, rtol=2e-6, atol=1e-38, err_msg=name)


def test_info_command():
    r = subprocess.run([sys.executable, "-m", "fastsoftmax", "info"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert f"fastsoftmax {fastsoftmax.__version__}" in r.stdout
    assert f"isa          {fastsoftmax.isa()}" in r.stdout
    assert f"llc          {fastsoftmax._core.llc_bytes() >> 10} KiB" in r.stdout
    for kernel in fastsoftmax.KERNELS:
        assert kernel in r.stdout


def test_use_isa_runs_under_a_bad_environment_override():
    """A thread's override (use_isa) takes precedence over a bad
    FASTSOFTMAX_ISA inside the block; outside it, calls raise again (the
    process-wide state is not touched by use_isa)."""
    r = run_python(
        "import fastsoftmax, numpy as np\n"
        "x = np.zeros(2, np.float32)\n"
        "with fastsoftmax.use_isa('scalar') as active:\n"
        "    print(active, fastsoftmax.softmax(x))\n"
        "try:\n"
        "    fastsoftmax.softmax(x)\n"
        "except RuntimeError as e:\n"
        "    print('RuntimeError', 'FASTSOFTMAX_ISA' in str(e))\n",
        "sse9",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.split("\n")[:2] == ["scalar [0.5 0.5]", "RuntimeError True"], r.stdout

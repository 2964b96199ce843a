"""The C library as a native consumer gets it: `cmake --install` into a
temporary prefix (built once per session), then the examples in examples/c
and examples/cpp built against that tree with find_package and with
pkg-config, and a program built with `python -m fastsoftmax --cflags --libs`
against the installed wheel. Every program is run and its output checked
against a float64 reference."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import fastsoftmax
from native import (
    REPO,
    SOURCE_HEADER,
    c_compiler,
    cxx_compiler,
    exported_symbols,
    public_functions,
    require,
    tool,
)
from reference import log_softmax64, softmax64

EXAMPLES = os.path.join(REPO, "examples")
C_INPUT = np.array([[1, 2, 3, 4], [-1, 0, 0.5, 10]], np.float32)
CPP_INPUT = np.array([0.5, -2.0, 3.25, 1.0, 0.0])


def cmake_exe() -> str | None:
    found = tool("cmake")
    if found is None:
        try:
            import cmake  # the PyPI wheel in the [test] extra

            found = tool(os.path.join(cmake.CMAKE_BIN_DIR, "cmake"))
        except ImportError:
            pass
    return found


def run(cmd, **kw):
    env = dict(os.environ)
    env.pop("FASTSOFTMAX_ISA", None)
    env.update(kw.pop("env", {}))
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env, **kw)
    assert r.returncode == 0, f"{cmd}\n{r.stdout}\n{r.stderr}"
    return r.stdout


def values(stdout: str) -> np.ndarray:
    rows = [line.split() for line in stdout.splitlines() if line and not line.startswith("#")]
    return np.array(rows, dtype=np.float64)


def check_c_output(stdout: str) -> None:
    assert f"# fastsoftmax {fastsoftmax.__version__}" in stdout
    got = values(stdout)
    ref = softmax64(C_INPUT)
    np.testing.assert_allclose(got, ref, rtol=2e-6, atol=1e-38)


def check_cpp_output(stdout: str) -> None:
    assert f"# fastsoftmax {fastsoftmax.__version__}" in stdout
    got = values(stdout)
    np.testing.assert_allclose(got[:, 0], softmax64(CPP_INPUT), rtol=1e-14)
    np.testing.assert_allclose(got[:, 1], log_softmax64(CPP_INPUT), rtol=1e-14)


@pytest.fixture(scope="module")
def prefix(tmp_path_factory):
    """Configure, build and install the library (Release) into a fresh prefix,
    as `cmake -B build && cmake --build build && cmake --install build --prefix P`."""
    cmake = require(cmake_exe(), "cmake")
    require(c_compiler(), "a C compiler")
    if not os.path.isfile(os.path.join(REPO, "CMakeLists.txt")):
        pytest.skip("not running from a source tree")
    root = tmp_path_factory.mktemp("install")
    build, prefix = root / "build", root / "prefix"
    run([cmake, "-S", REPO, "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
         "-DFASTSOFTMAX_TESTS=OFF", "-DFASTSOFTMAX_PYTHON=OFF"])
    run([cmake, "--build", str(build), "-j2"])
    run([cmake, "--install", str(build), "--prefix", str(prefix)])
    return prefix


def libdir(prefix) -> str:
    for name in ("lib", "lib64"):
        if (prefix / name / "cmake" / "fastsoftmax").is_dir():
            return str(prefix / name)
    # Debian-style multiarch libdir (GNUInstallDirs with a /usr prefix)
    hits = list(prefix.glob("lib/*/cmake/fastsoftmax"))
    assert hits, f"no CMake package under {prefix}"
    return str(hits[0].parent.parent)


def test_install_tree(prefix):
    lib = libdir(prefix)
    files = sorted(os.listdir(lib))
    real = [f for f in files if re.fullmatch(r"libfastsoftmax\.so\.\d+\.\d+\.\d+", f)]
    assert real == [f"libfastsoftmax.so.{fastsoftmax.__version__}"], files
    major, minor, _ = fastsoftmax.__version__.split(".")
    soname = f"libfastsoftmax.so.{major}.{minor}" if major == "0" else f"libfastsoftmax.so.{major}"
    assert os.readlink(os.path.join(lib, soname)) == real[0]
    assert os.readlink(os.path.join(lib, "libfastsoftmax.so")) == soname
    assert "libfastsoftmax.a" in files
    objdump = tool("objdump")
    if objdump:
        dyn = run([objdump, "-p", os.path.join(lib, real[0])])
        assert re.search(r"SONAME\s+" + re.escape(soname) + r"\s", dyn)
    with open(prefix / "include" / "fastsoftmax.h") as f, open(SOURCE_HEADER) as g:
        assert f.read() == g.read()
    cmake_dir = os.path.join(lib, "cmake", "fastsoftmax")
    assert {"fastsoftmaxConfig.cmake", "fastsoftmaxConfigVersion.cmake",
            "fastsoftmaxTargets.cmake"} <= set(os.listdir(cmake_dir))
    with open(os.path.join(lib, "pkgconfig", "fastsoftmax.pc")) as f:
        pc = f.read()
    assert "Libs.private: -lm" in pc and f"Version: {fastsoftmax.__version__}" in pc
    # nothing of the Python module leaks into a plain install
    assert not list(prefix.rglob("_core*")) and not (prefix / "fastsoftmax").exists()


def test_exported_symbols_are_the_public_api(prefix):
    library = os.path.join(libdir(prefix), "libfastsoftmax.so")
    assert exported_symbols(library) == public_functions(SOURCE_HEADER)


def test_cmake_package_version(prefix, tmp_path):
    """fastsoftmaxConfigVersion.cmake: the same minor (0.y) accepts, others refuse."""
    cmake = cmake_exe()
    major, minor, patch = map(int, fastsoftmax.__version__.split("."))
    wanted = {f"{major}.{minor}": True, f"{major}.{minor}.{patch}": True,
              f"{major}.{minor + 1}": False, f"{major + 1}.0": False}
    if major == 0 and minor > 0:
        wanted[f"{major}.{minor - 1}"] = False  # 0.y: minors are ABI boundaries
    checks = "\n".join(
        f'find_package(fastsoftmax {v} CONFIG QUIET)\n'
        f'message(STATUS "FIND {v} ${{fastsoftmax_FOUND}}")\n'
        f'unset(fastsoftmax_FOUND)\n'
        for v in wanted)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.20)\nproject(version_check LANGUAGES C)\n" + checks)
    out = run([cmake, "-S", str(tmp_path / "src"), "-B", str(tmp_path / "b"),
               f"-DCMAKE_PREFIX_PATH={prefix}"])
    for v, ok in wanted.items():
        found = re.search(rf"FIND {re.escape(v)} (\S*)", out).group(1)
        assert (found in ("1", "TRUE", "ON")) == ok, (v, found, out)


@pytest.mark.parametrize("example,extra,check", [
    ("c", [], check_c_output),
    ("c", ["-DFASTSOFTMAX_EXAMPLE_STATIC=ON"], check_c_output),
    ("cpp", [], check_cpp_output),
], ids=["c-shared", "c-static", "cpp-shared"])
def test_example_with_find_package(prefix, tmp_path, example, extra, check):
    if example == "cpp":
        require(cxx_compiler(), "a C++ compiler")
    cmake = cmake_exe()
    build = tmp_path / "build"
    run([cmake, "-S", os.path.join(EXAMPLES, example), "-B", str(build),
         f"-DCMAKE_PREFIX_PATH={prefix}", "-DCMAKE_BUILD_TYPE=Release", *extra])
    run([cmake, "--build", str(build)])
    exe = build / ("softmax_" + example)
    ldd = tool("ldd")
    if ldd:
        deps = run([ldd, str(exe)])
        if extra:  # static: no libfastsoftmax.so at run time
            assert "libfastsoftmax" not in deps
        else:  # shared: the installed one, found through the build rpath
            assert str(prefix) in deps, deps
    check(run([str(exe)]))


@pytest.mark.parametrize("example,compiler,std,check", [
    ("c", c_compiler, "-std=c99", check_c_output),
    ("cpp", cxx_compiler, "-std=c++11", check_cpp_output),
], ids=["c", "cpp"])
def test_example_with_pkg_config(prefix, tmp_path, example, compiler, std, check):
    require(tool("pkg-config", "pkgconf"), "pkg-config")
    cc = require(compiler(), "a compiler")
    source = os.path.join(EXAMPLES, example, "main.c" if example == "c" else "main.cpp")
    exe = tmp_path / ("softmax_" + example)
    pc_path = os.path.join(libdir(prefix), "pkgconfig")
    # the one-liner of examples/README.md, plus an rpath since the prefix
    # is not on the loader's path
    line = (f'"{cc}" {std} -Wall -Wextra -Werror "{source}" -o "{exe}" '
            "$(pkg-config --cflags --libs fastsoftmax) "
            "-Wl,-rpath,$(pkg-config --variable=libdir fastsoftmax)")
    run(["sh", "-c", line], env={"PKG_CONFIG_PATH": pc_path})
    check(run([str(exe)]))


def test_example_with_python_flags(tmp_path):
    """`cc main.c $(python -m fastsoftmax --cflags --libs)` against the wheel."""
    cc = require(c_compiler(), "a C compiler")
    flags = run([sys.executable, "-m", "fastsoftmax", "--cflags", "--libs"]).split()
    assert flags[0] == "-I" + fastsoftmax.get_include()
    assert fastsoftmax.get_library() in flags
    cflags = run([sys.executable, "-m", "fastsoftmax", "--cflags"]).split()
    libs = run([sys.executable, "-m", "fastsoftmax", "--libs"]).split()
    assert cflags + libs == flags
    exe = tmp_path / "softmax_c"
    run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", os.path.join(EXAMPLES, "c", "main.c"),
         "-o", str(exe), *flags])
    check_c_output(run([str(exe)]))
    ldd = tool("ldd")
    if ldd:
        assert fastsoftmax.get_library() in run([ldd, str(exe)])

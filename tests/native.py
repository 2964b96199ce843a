"""Helpers for the tests of the C library as native code sees it: the
toolchain, the public header (preprocessed into plain C declarations) and
the list of public functions it declares."""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile

import pytest

import fastsoftmax

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE_HEADER = os.path.join(REPO, "csrc", "include", "fastsoftmax.h")


def tool(*names: str) -> str | None:
    """The first of `names` on PATH (honouring $CC/$CXX-style overrides first)."""
    for name in names:
        if name and shutil.which(name):
            return shutil.which(name)
    return None


def c_compiler() -> str | None:
    return tool(os.environ.get("CC", ""), "cc", "gcc", "clang")


def cxx_compiler() -> str | None:
    return tool(os.environ.get("CXX", ""), "c++", "g++", "clang++")


def require(path: str | None, what: str) -> str:
    if path is None:
        pytest.skip(f"{what} not found on PATH")
    return path


def installed_header() -> str:
    return os.path.join(fastsoftmax.get_include(), "fastsoftmax.h")


@functools.lru_cache(maxsize=None)
def preprocessed_header(header: str) -> str:
    """The header as the C compiler sees it from a C99 translation unit,
    with the system headers it includes replaced by empty ones: what is
    left is the library's own enums and prototypes, which cffi parses
    (it knows size_t and int64_t already)."""
    cc = require(c_compiler(), "a C compiler")
    with tempfile.TemporaryDirectory() as fake:
        for name in ("stddef.h", "stdint.h"):
            open(os.path.join(fake, name), "w").close()
        r = subprocess.run([cc, "-std=c99", "-E", "-P", "-nostdinc", "-I", fake, header],
                           capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def public_functions(header: str) -> set[str]:
    """Every function the header declares (all are named fsm_*)."""
    text = preprocessed_header(header)
    names = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", text))
    assert names and all(n.startswith("fsm_") for n in names), names
    return names


def exported_symbols(library: str) -> set[str]:
    """The dynamic symbols a shared library defines (`nm -D --defined-only`)."""
    nm = require(tool("nm"), "nm")
    r = subprocess.run([nm, "-D", "--defined-only", library], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # lines are "<address> <type> <name>"; type A marks symbol-version
    # nodes (a version script), which are not symbols a program can use
    return {parts[2] for parts in (line.split() for line in out.splitlines())
            if len(parts) == 3 and parts[1] != "A"}

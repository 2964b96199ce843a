"""Hygiene of what native code sees: the public header compiles cleanly as
C99 and as C++11, documents every function, and the shared library bundled
in the wheel exports exactly the functions the header declares (the
install tree's library is checked in test_install.py)."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

import fastsoftmax
from native import (
    SOURCE_HEADER,
    c_compiler,
    cxx_compiler,
    exported_symbols,
    installed_header,
    public_functions,
    require,
)

TU = """
#include <fastsoftmax.h>
#include <fastsoftmax.h> /* the include guard works */
int main(void) {
  float x[3] = {1, 2, 3}, y[3];
  fsm_isa isa = FSM_ISA_AUTO;
  (void)fsm_isa_from_name("scalar", &isa);
  return fsm_softmax_f32(1, 3, x, 3, y, 3, FSM_ALGORITHM_AUTO) != FSM_OK || isa != FSM_ISA_SCALAR;
}
"""

STRICT = ["-Wall", "-Wextra", "-Werror", "-pedantic", "-pedantic-errors"]


def headers():
    found = [SOURCE_HEADER] if os.path.isfile(SOURCE_HEADER) else []
    try:
        found.append(installed_header())
    except FileNotFoundError:
        pass
    return found


@pytest.mark.parametrize("lang", ["c99", "c11", "c++11", "c++17"])
@pytest.mark.parametrize("header", headers(), ids=lambda h: "source" if h == SOURCE_HEADER else "wheel")
def test_header_compiles_strictly(tmp_path, header, lang):
    cxx = lang.startswith("c++")
    compiler = require(cxx_compiler() if cxx else c_compiler(),
                       "a C++ compiler" if cxx else "a C compiler")
    extra = [] if cxx else ["-Wstrict-prototypes", "-Wmissing-prototypes"]
    src = tmp_path / ("tu.cpp" if cxx else "tu.c")
    src.write_text(TU)
    r = subprocess.run([compiler, f"-std={lang}", *STRICT, *extra, "-I", os.path.dirname(header),
                        "-c", str(src), "-o", str(tmp_path / "tu.o")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr


def test_installed_header_is_the_source_header():
    if not os.path.isfile(SOURCE_HEADER):
        pytest.skip("not running from a source tree")
    with open(SOURCE_HEADER) as f, open(installed_header()) as g:
        assert f.read() == g.read()


def test_every_function_is_documented():
    """Each prototype sits right under its own comment, which starts with the
    function's name and states what it returns and its thread safety, or
    refers to a function that does."""
    with open(SOURCE_HEADER) as f:
        text = f.read()
    names = public_functions(SOURCE_HEADER)
    for name in names:
        m = re.search(r"/\*((?:(?!\*/).)*)\*/\s*FSM_API[^;(]*\b" + name + r"\(", text, re.S)
        assert m, f"{name} has no comment right above it"
        doc = m.group(1)
        assert doc.lstrip().startswith(name + ":"), f"the comment above {name} is not its own"
        refers = re.search(r"as (fsm_\w+)\.", doc)
        if refers:
            assert refers.group(1) in names
            continue
        assert "Returns" in doc, f"{name}: return value undocumented"
        assert "Thread safety" in doc, f"{name}: thread safety undocumented"
        if re.search(r"FSM_API\s+fsm_status\s+" + name + r"\(", text):
            assert "FSM_OK" in doc, f"{name}: status codes undocumented"


def test_wheel_library_exports_only_the_public_api():
    assert exported_symbols(fastsoftmax.get_library()) == public_functions(installed_header())

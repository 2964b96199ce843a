"""docs/guarantees.md names, on every line of its tables, the tests that
prove the line: each `path::name` link must point at that path (relative
to docs/) and name a test that exists there -- a pytest function, a C
function of a ctest program, or a function of a CI script. Build-free."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs/guarantees.md"

if not PAGE.is_file():
    pytest.skip("no source tree next to the tests (installed package)", allow_module_level=True)

LINK = re.compile(r"\[([^\]]+)\]\(([^)]+)\)")


def table_rows():
    rows = []
    for number, line in enumerate(PAGE.read_text().splitlines(), 1):
        if not line.startswith("|") or re.match(r"^\|[-| ]+\|$", line):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[-1] in ("proof",):  # a header
            continue
        rows.append((number, cells))
    return rows


def test_the_page_has_tables():
    assert len(table_rows()) >= 40


@pytest.mark.parametrize("number,cells", table_rows(), ids=lambda v: str(v) if isinstance(v, int) else "")
def test_every_line_names_an_existing_test(number, cells):
    proof = cells[-1]
    links = LINK.findall(proof)
    assert links, f"docs/guarantees.md:{number}: no test linked"
    for text, target in links:
        path, _, name = text.partition("::")
        assert (PAGE.parent / target).resolve() == (ROOT / path).resolve(), \
            f"line {number}: the link text {path} and its target {target} differ"
        source = (ROOT / path).read_text()
        if not name:
            continue
        if path.endswith(".py"):
            pattern = rf"^def {re.escape(name)}\("
        elif path.endswith(".sh"):
            pattern = rf"^{re.escape(name)}\(\)"
        else:
            pattern = rf"^[a-z].*\b{re.escape(name)}\("
        assert re.search(pattern, source, re.M), f"line {number}: {path} defines no {name}"

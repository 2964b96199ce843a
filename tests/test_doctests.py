"""Every example in the documentation runs (issue 18): the docstrings of the
installed package (what ``pytest --doctest-modules --pyargs fastsoftmax``
runs in .ci/run, here too so that a plain ``pytest`` catches a stale
example) and every ``>>>`` block of README.md and docs/*.md.

A Markdown block runs when it is fenced as ``python`` or ``pycon`` and its
lines start with ``>>>``; blocks without prompts (the 64 GiB Dask example)
are shown, not run. Each block runs on its own (its imports included), so
that any one of them can be copied and run."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path

import pytest

import fastsoftmax

ROOT = Path(__file__).resolve().parents[1]
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
# optional dependencies: a module needing one that is missing is skipped
OPTIONAL = {"dask", "distributed", "torch", "jax", "jaxlib", "matplotlib", "tqdm", "rich"}


def _modules():
    names = [fastsoftmax.__name__]
    for info in pkgutil.walk_packages(fastsoftmax.__path__, prefix="fastsoftmax."):
        if info.name != "fastsoftmax.__main__":
            names.append(info.name)
    return names


def _run(test: doctest.DocTest, globs=None) -> None:
    if globs is not None:
        test.globs = globs
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    out = []
    runner.run(test, out=out.append, clear_globs=False)
    failed = runner.summarize(verbose=False).failed
    assert not failed, f"{test.name} ({test.filename}:{test.lineno}):\n" + "".join(out)


@pytest.mark.parametrize("module", _modules())
def test_docstring_examples(module):
    try:
        mod = importlib.import_module(module)
    except ImportError as exc:
        missing = getattr(exc, "name", None) or ""
        if missing.split(".")[0] in OPTIONAL or any(o in str(exc) for o in OPTIONAL):
            pytest.skip(f"{module} needs an optional dependency: {exc}")
        raise
    tests = [t for t in doctest.DocTestFinder(exclude_empty=True).find(mod, module)
             if t.examples]
    for test in tests:
        _run(test)


_FENCE = re.compile(r"^```(?:python|pycon)[ \t]*\n(.*?)^```", re.S | re.M)


def _markdown_blocks():
    cases = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for m in _FENCE.finditer(text):
            if re.search(r"^\s*>>> ", m.group(1), re.M):
                line = text.count("\n", 0, m.start(1)) + 1
                cases.append(pytest.param(path, m.group(1), line,
                                          id=f"{path.relative_to(ROOT)}:{line}"))
    return cases


@pytest.mark.parametrize("path,block,line", _markdown_blocks())
def test_markdown_examples(path, block, line):
    # a block using an optional dependency (the PyTorch and JAX examples)
    # skips where it is not installed
    for name in sorted(OPTIONAL):
        if (re.search(rf"\bimport {name}\b|\bfastsoftmax\.{name}\b", block)
                and importlib.util.find_spec(name) is None):
            pytest.skip(f"the example needs {name}, which is not installed")
    test = doctest.DocTestParser().get_doctest(block, {}, path.name, str(path), line - 1)
    _run(test)


def test_the_readme_has_examples():
    """The README's Functions examples are found (a broken fence would
    silently run nothing)."""
    ids = [c.id for c in _markdown_blocks()]
    assert sum(i.startswith("README.md:") for i in ids) >= 2, ids

"""Hygiene of cross-references: the repository stands alone.

Fails when a file of the source tree
  (a) mentions a Markdown file or a repository path that does not exist, or a
      `file.md#anchor` whose anchor is no heading of that file (GitHub slugs);
  (b) points to documents that were never part of the repository (a private
      briefing folder and its formula/design/style sheets);
  (c) names, in a comment, docstring or Markdown text, an `fsm_*` / `FSM_*`
      identifier that no C, CMake or build source defines or uses any more
      (a stale symbol after a rename).

Needs no build: it reads the source tree next to this file and skips when
there is none (tests run from an installed wheel).
"""

from __future__ import annotations

import io
import os
import re
import tokenize
from functools import lru_cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SELF = Path(__file__).resolve()

if not ((ROOT / "csrc" / "src").is_dir() and (ROOT / "CMakeLists.txt").is_file()):
    pytest.skip("no source tree next to the tests (installed package)", allow_module_level=True)

# What is scanned: top-level files, and folders walked recursively.
SCANNED_FILES = ("README.md", "CMakeLists.txt")
SCANNED_DIRS = ("csrc", "python", "tests", "bench", "docs", "examples", "cmake", ".ci")
EXCLUDED_DIRS = {os.path.join("bench", "results")}
# Build trees, caches and environments that may sit inside the scanned folders.
SKIPPED_DIR_NAMES = re.compile(r"^(build.*|__pycache__|\.pytest_cache|\.hypothesis|\.venv.*|venv|"
                               r".*\.egg-info|\.benchmarks|_skbuild|dist)$")
TEXT_SUFFIXES = {".c", ".h", ".inc", ".def", ".cpp", ".hpp", ".cc", ".py", ".pyi", ".md",
                 ".txt", ".cmake", ".in", ".sh", ".toml", ".cfg", ".yml", ".yaml"}
C_SUFFIXES = {".c", ".h", ".inc", ".def", ".cpp", ".hpp", ".cc"}
PY_SUFFIXES = {".py", ".pyi"}
HASH_COMMENT_SUFFIXES = {".cmake", ".txt", ".in", ".sh", ".toml", ".cfg", ".yml", ".yaml", ""}

# Where definitions of fsm_* / FSM_* names are looked for (check (c)).
DEFINITION_DIRS = ("csrc", os.path.join("tests", "c"), os.path.join("tests", "fuzz"),
                   os.path.join("bench", "c"), "cmake")
DEFINITION_FILES = ("CMakeLists.txt",)

# Names of documents that only ever existed outside the repository. Built
# from pieces so that this file does not trip its own check when scanned.
MISSING_DOCS = ("MATH", "DESIGN", "STYLE", "NEON")
MISSING_DOC_RE = re.compile(r"\b(?:" + "|".join(MISSING_DOCS) + r")\.md\b")
PRIVATE_FOLDER_RE = re.compile(r"\.\./" + "shared" + r"\b|/work/" + "shared" + r"\b|"
                               r"\b" + "shared" + r"/[\w.-]+\.md\b|\bdesign " + r"notes?\b",
                               re.IGNORECASE)

# (c) false positives: names that look like symbols but are not C/CMake
# identifiers. Each entry: name -> why it is fine.
SYMBOL_ALLOWLIST = {
    "FSM_ISA_AVX10": "the hypothetical ISA of the 'Adding an ISA' walk-through (docs/architecture.md)",
    "FSM_CPU_AVX10": "the hypothetical ISA of the 'Adding an ISA' walk-through (docs/architecture.md)",
}

URL_RE = re.compile(r"\b(?:https?|ftp|file)://[^\s)>\]\"'`]+")
PATH_CHARS = r"[\w.+/-]"
MD_REF_RE = re.compile(r"(?<![\w.+/-])(" + PATH_CHARS + r"*[\w-]\.md)(?:#([\w-]*))?(?![\w])")
TOP_LEVEL = "|".join(re.escape(d) for d in SCANNED_DIRS)
PATH_REF_RE = re.compile(r"(?<![\w.+/$}-])((?:" + TOP_LEVEL + r")/[\w.+/-]*)")
SYMBOL_RE = re.compile(r"\b(FSM_[A-Z0-9_]{3,}|fsm_[a-z0-9_]{3,})\b(?!\.[A-Za-z])")


def _skipped(rel: str) -> bool:
    return any(rel == d or rel.startswith(d + os.sep) for d in EXCLUDED_DIRS)


def _walk(top: Path):
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if not SKIPPED_DIR_NAMES.match(d))
        for name in sorted(filenames):
            yield Path(dirpath) / name


@lru_cache(maxsize=None)
def scanned_files() -> tuple[Path, ...]:
    files = [ROOT / f for f in SCANNED_FILES if (ROOT / f).is_file()]
    for d in SCANNED_DIRS:
        if (ROOT / d).is_dir():
            files.extend(_walk(ROOT / d))
    out = []
    for f in files:
        rel = os.path.relpath(f, ROOT)
        if _skipped(rel) or f.resolve() == SELF:
            continue
        if f.suffix in TEXT_SUFFIXES or (f.suffix == "" and f.parent.name == ".ci"):
            out.append(f)
    return tuple(out)


@lru_cache(maxsize=None)
def read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


# ---------------------------------------------------------------- comments


def c_comments_and_code(text: str) -> tuple[list[tuple[int, str]], str]:
    """The comments of C/C++ text (with their offsets) and the code with the
    comments blanked out (strings kept)."""
    comments, code = [], []
    pattern = re.compile(r'/\*.*?(?:\*/|\Z)|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                         re.S)
    last = 0
    for m in pattern.finditer(text):
        tok = m.group(0)
        if tok.startswith("/"):
            comments.append((m.start(), tok))
            code.append(text[last:m.start()])
            code.append(re.sub(r"[^\n]", " ", tok))
            last = m.end()
    code.append(text[last:])
    return comments, "".join(code)


def hash_comments_and_code(text: str) -> tuple[list[tuple[int, str]], str]:
    """`#` comments of CMake/shell/TOML text (a `#` at a line start or after
    blanks, outside double quotes), and the text without them."""
    comments, code_lines, offset = [], [], 0
    for line in text.splitlines(keepends=True):
        cut = None
        in_quote = False
        for j, ch in enumerate(line):
            if ch == '"' and (j == 0 or line[j - 1] != "\\"):
                in_quote = not in_quote
            elif ch == "#" and not in_quote and (j == 0 or line[j - 1] in " \t("):
                cut = j
                break
        if cut is None:
            code_lines.append(line)
        else:
            comments.append((offset + cut, line[cut:]))
            code_lines.append(line[:cut] + ("\n" if line.endswith("\n") else ""))
        offset += len(line)
    return comments, "".join(code_lines)


def python_comments(text: str) -> list[tuple[int, str]]:
    """Comments and triple-quoted strings (docstrings) of Python text."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT or (
                    tok.type == tokenize.STRING and re.match(r"^[rbuRBU]*(\"\"\"|''')", tok.string)):
                out.append((starts[tok.start[0] - 1] + tok.start[1], tok.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out.append((0, text))
    return out


def prose(path: Path) -> list[tuple[int, str]]:
    """The human-readable parts of a file: where symbol names are mentioned."""
    text = read(path)
    if path.suffix == ".md":
        return [(0, text)]
    if path.suffix in C_SUFFIXES:
        return c_comments_and_code(text)[0]
    if path.suffix in PY_SUFFIXES:
        return python_comments(text)
    if path.suffix in HASH_COMMENT_SUFFIXES:
        return hash_comments_and_code(text)[0]
    return []


# ---------------------------------------------------------------- anchors


def github_slug(heading: str) -> str:
    """GitHub's anchor for a heading: inline markup dropped, lower case,
    punctuation removed (letters, digits, '-', '_' and spaces kept),
    spaces turned into '-'."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links, images
    text = re.sub(r"<[^>]+>", "", text)  # html tags
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@lru_cache(maxsize=None)
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    out = set()
    fence = None
    for line in read(path).splitlines():
        m = re.match(r"^\s{0,3}(`{3,}|~{3,})", line)
        if m:
            if fence is None:
                fence = m.group(1)[0] * len(m.group(1))
            elif m.group(1).startswith(fence):
                fence = None
            continue
        if fence is not None:
            continue
        h = re.match(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not h:
            continue
        slug = github_slug(h.group(1))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    for m in re.finditer(r"<a\s+(?:name|id)=\"([^\"]+)\"", read(path)):
        out.add(m.group(1))
    return frozenset(out)


# ---------------------------------------------------------------- checks (a), (b)


def _resolve(target: str, referrer: Path) -> Path | None:
    target = target.rstrip(".")
    for base in (referrer.parent, ROOT):
        p = (base / target).resolve()
        if p.exists():
            return p
    return None


def missing_references() -> list[str]:
    problems = []
    for path in scanned_files():
        text = URL_RE.sub(lambda m: " " * len(m.group(0)), read(path))
        seen = set()
        for m in MD_REF_RE.finditer(text):
            target, anchor = m.group(1), m.group(2)
            if MISSING_DOC_RE.search(target):
                continue  # reported by check (b)
            where = f"{rel(path)}:{line_of(text, m.start())}"
            resolved = _resolve(target, path)
            if resolved is None:
                problems.append(f"{where}: {target} does not exist")
            elif anchor and anchor not in anchors(resolved):
                problems.append(f"{where}: {target}#{anchor}: no such heading")
            seen.add(m.start(1))
        if path.suffix == ".md":  # links to a heading of the same page
            for m in re.finditer(r"\]\(#([\w-]+)\)", text):
                if m.group(1) not in anchors(path):
                    problems.append(f"{rel(path)}:{line_of(text, m.start())}: "
                                    f"#{m.group(1)}: no such heading")
        for m in PATH_REF_RE.finditer(text):
            if m.start(1) in seen:
                continue
            target = m.group(1).rstrip(".,;:")
            if target.endswith(".md"):
                continue
            if _resolve(target, path) is None and not (ROOT / target).exists():
                problems.append(f"{rel(path)}:{line_of(text, m.start())}: {target} does not exist")
    return problems


def private_references() -> list[str]:
    problems = []
    for path in scanned_files():
        text = read(path)
        for rx in (MISSING_DOC_RE, PRIVATE_FOLDER_RE):
            for m in rx.finditer(text):
                problems.append(f"{rel(path)}:{line_of(text, m.start())}: {m.group(0)}")
    return sorted(set(problems), key=_natural)


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


# ---------------------------------------------------------------- check (c)


@lru_cache(maxsize=None)
def defined_symbols() -> frozenset[str]:
    """fsm_* / FSM_* names the build sources define or use in code: macros
    (#define, also in comments-free code), functions, types, enum values,
    CMake targets and variables, environment variables read by C code.
    Names inside preprocessor conditionals alone do not count, so a stale
    `#ifdef FSM_OLD` does not keep FSM_OLD alive."""
    files = [ROOT / f for f in DEFINITION_FILES if (ROOT / f).is_file()]
    for d in DEFINITION_DIRS:
        if (ROOT / d).is_dir():
            files.extend(_walk(ROOT / d))
    names = set()
    for f in files:
        if _skipped(os.path.relpath(f, ROOT)):
            continue
        if f.suffix in C_SUFFIXES:
            code = c_comments_and_code(read(f))[1]
            code = re.sub(r"(?m)^\s*#\s*(?:if|ifdef|ifndef|elif|undef)\b.*$", "", code)
        elif f.suffix in {".cmake", ".txt", ".in"} or f.name == "CMakeLists.txt":
            code = hash_comments_and_code(read(f))[1]
            names.update(cmake_expanded_names(code))
        else:
            continue
        names.update(m.group(1) for m in SYMBOL_RE.finditer(code))
    # Kernel names are pasted from the kernel list (kernels.def), a dtype
    # and an ISA folder: fsm_<dtype>_<kernel>__<isa>.
    kernels_def = ROOT / "csrc" / "src" / "kernels.def"
    if kernels_def.is_file():
        kernels = re.findall(r"^\s*X\((\w+),", read(kernels_def), re.M)
        isas = [d.name for d in (ROOT / "csrc" / "src").iterdir()
                if d.is_dir() and (d / "table.c").is_file()]
        names.update(f"fsm_{dt}_{k}__{isa}" for dt in ("f32", "f64") for k in kernels
                     for isa in isas)
    # environment variables that the Python package, tests or benchmarks read
    for d in ("python", "tests", "bench"):
        for f in _walk(ROOT / d) if (ROOT / d).is_dir() else ():
            if f.suffix == ".py" and not _skipped(os.path.relpath(f, ROOT)):
                names.update(re.findall(
                    r"(?:environ(?:\.get|\.setdefault)?\s*[\[(]|getenv\s*\()\s*[\"'](FSM_[A-Z0-9_]+)",
                    read(f)))
    return frozenset(names)


def cmake_expanded_names(code: str) -> set[str]:
    """fsm_* names built from a foreach variable, e.g. `fsm_${bench}_bench`
    over `foreach(bench kernel training)`."""
    loops: dict[str, list[str]] = {}
    for m in re.finditer(r"foreach\s*\(\s*(\w+)\s+([^)]*)\)", code, re.I):
        items = [i.strip('"') for i in m.group(2).split()
                 if i not in ("IN", "ITEMS", "LISTS") and "$" not in i]
        loops.setdefault(m.group(1), []).extend(items)
    out = set()
    for m in re.finditer(r"\b(?:fsm|FSM)_[\w${}]*\$\{(\w+)\}[\w]*", code):
        for item in loops.get(m.group(1), []):
            out.add(m.group(0).replace("${" + m.group(1) + "}", item))
    return out


def is_defined(name: str, defined: frozenset[str]) -> bool:
    if name in defined or name in SYMBOL_ALLOWLIST:
        return True
    # a family or prefix: `fsm_softmax_backward` for its _f32/_f64 pair,
    # `fsm_f32_raddextexp` for its __<isa> kernels, `FSM_ISA_` for FSM_ISA_*
    stem = name.rstrip("_")
    return any(d.startswith(stem + "_") for d in defined)


def stale_symbols() -> list[str]:
    defined = defined_symbols()
    problems = []
    for path in scanned_files():
        text = read(path)
        for offset, chunk in prose(path):
            for m in SYMBOL_RE.finditer(chunk):
                if not is_defined(m.group(1), defined):
                    problems.append(f"{rel(path)}:{line_of(text, offset + m.start())}: {m.group(1)}")
    return problems


# ---------------------------------------------------------------- tests


def _report(problems: list[str]) -> str:
    return "\n".join(["", *problems])


def test_scan_covers_the_tree():
    names = {rel(p) for p in scanned_files()}
    assert "README.md" in names and "csrc/include/fastsoftmax.h" in names
    assert not any(n.startswith("bench/results/") for n in names)
    assert "fsm_softmax_f32" in defined_symbols()


def test_slugs_follow_github():
    assert github_slug("Two-pass: mantissa and exponent (Dukhan & Ablavatski)") == \
        "two-pass-mantissa-and-exponent-dukhan--ablavatski"
    assert github_slug("Build and test (x86-64 host)") == "build-and-test-x86-64-host"
    assert github_slug("`FSM_ALGORITHM_ONLINE`, Zen 1") == "fsm_algorithm_online-zen-1"


def test_referenced_files_and_anchors_exist():
    problems = missing_references()
    assert not problems, "references to files or headings that do not exist:" + _report(problems)


def test_no_references_to_documents_outside_the_repository():
    problems = private_references()
    assert not problems, "references to documents that are not in the repository:" + \
        _report(problems)


def test_symbols_named_in_comments_and_docs_exist():
    problems = stale_symbols()
    assert not problems, ("fsm_*/FSM_* names in comments or docs that no source defines "
                          "(rename them, or allow-list with a reason):" + _report(problems))

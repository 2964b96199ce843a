"""Typing of the public API (issue 18), checked with pyright (pinned in
.ci/run; these tests skip without it or without node):

* ``pyright --verifytypes fastsoftmax``: at least 95 % of the exported
  symbols have known types;
* a small user program type-checks as intended: ``algorithm=`` and
  ``reduction=`` reject misspelt strings (``Literal`` types), and the losses'
  return types follow ``reduction=`` and ``return_grad=`` (overloads).

The aliases themselves are checked at run time against the package's
tables."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest

import fastsoftmax
from fastsoftmax.typing import Algorithm, Reduction


def test_literals_match_the_runtime_tables():
    assert typing.get_args(Algorithm) == fastsoftmax.ALGORITHMS
    from fastsoftmax._training import _REDUCTIONS
    assert set(typing.get_args(Reduction)) == set(_REDUCTIONS)


def _pyright():
    pytest.importorskip("pyright")
    if shutil.which("node") is None:
        pytest.skip("pyright needs node on PATH")
    return [sys.executable, "-m", "pyright"]


def _env():
    """pyright finds the packages through the first ``python`` on PATH: this
    interpreter's, whether or not its venv is activated."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def test_verifytypes_score():
    cmd = _pyright() + ["--verifytypes", "fastsoftmax", "--ignoreexternal", "--outputjson"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_env())
    report = json.loads(proc.stdout)
    score = report["typeCompleteness"]["completenessScore"]
    untyped = [d["message"] for d in report.get("generalDiagnostics", [])
               if d.get("severity") == "error"][:20]
    print(f"pyright --verifytypes fastsoftmax: {score:.1%}")
    assert score >= 0.95, f"{score:.1%} of the public symbols typed; first errors: {untyped}"


USER_CODE = '''
import numpy as np
import fastsoftmax
from fastsoftmax.typing import FloatArray, LossAndGrad

x = np.zeros((4, 8), np.float32)
t = np.zeros(4, np.int64)
y: FloatArray = fastsoftmax.softmax(x, algorithm="two_pass")
fastsoftmax.softmax(x, algorithm="fast")                                     # E: algorithm
fastsoftmax.cross_entropy(x, t, reduction="average")                         # E: reduction
rows: FloatArray = fastsoftmax.cross_entropy(x, t, reduction="none")
mean: np.floating = fastsoftmax.cross_entropy(x, t)
both: LossAndGrad = fastsoftmax.z_loss(x, t, return_grad=True)
loss, grad = fastsoftmax.log_taylor_loss(x, t, reduction="sum", return_grad=True)
g: FloatArray = grad
bad: FloatArray = fastsoftmax.stablemax_cross_entropy(x, t, return_grad=True)  # E: tuple
lce, grads = fastsoftmax.linear_cross_entropy(x, x, t, return_grad=True)
gh = grads["h"]
'''


def test_user_code_type_checks_as_intended(tmp_path):
    cmd = _pyright()
    src = tmp_path / "user.py"
    src.write_text(textwrap.dedent(USER_CODE))
    (tmp_path / "pyrightconfig.json").write_text(json.dumps({"typeCheckingMode": "basic"}))
    proc = subprocess.run(cmd + ["--outputjson", str(src)], capture_output=True, text=True,
                          timeout=600, cwd=tmp_path, env=_env())
    report = json.loads(proc.stdout)
    lines = src.read_text().splitlines()
    errors = {d["range"]["start"]["line"] for d in report["generalDiagnostics"]
              if d["severity"] == "error"}
    expected = {i for i, ln in enumerate(lines) if "# E:" in ln}
    msgs = [(d["range"]["start"]["line"] + 1, d["message"][:200])
            for d in report["generalDiagnostics"]]
    assert errors == expected, msgs

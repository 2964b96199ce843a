"""Packaging metadata (issue 18): the LICENSE file matches the metadata and
ships in the installed distribution, the classifiers state the license,
platforms and typing, and the release-wheel configuration builds what the
README's Platforms table promises."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_file_matches_the_metadata():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    project = _pyproject()["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    assert "License :: OSI Approved :: Apache Software License" in project["classifiers"]


def test_installed_distribution_carries_license_and_metadata():
    dist = md.distribution("fastsoftmax")
    meta = dist.metadata
    assert meta["License"] == "Apache-2.0" or meta.get("License-Expression") == "Apache-2.0"
    files = [str(f) for f in dist.files or []]
    licenses = [f for f in files if f.endswith("LICENSE")]
    assert licenses, f"no LICENSE in the installed distribution: {files}"
    assert "Apache License" in dist.locate_file(licenses[0]).read_text(encoding="utf-8")
    classifiers = meta.get_all("Classifier") or []
    for c in ("Operating System :: POSIX :: Linux", "Typing :: Typed",
              "License :: OSI Approved :: Apache Software License"):
        assert c in classifiers


def test_cibuildwheel_builds_the_supported_platforms():
    cfg = _pyproject()["tool"]["cibuildwheel"]
    assert cfg["linux"]["archs"] == ["x86_64", "aarch64"]
    assert cfg["macos"]["archs"] == ["arm64"]
    assert "auditwheel repair" in cfg["linux"]["repair-wheel-command"]
    assert "*-win*" in cfg["skip"]  # Windows: unsupported (README, Platforms)
    assert cfg["test-extras"] == ["test"] and "pytest" in cfg["test-command"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "### Platforms" in readme and "| Windows | not supported" in readme


def test_cmake_refuses_msvc_with_a_message():
    text = (ROOT / "CMakeLists.txt").read_text(encoding="utf-8")
    assert "if(MSVC)" in text and "does not support MSVC" in text

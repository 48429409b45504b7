"""Shared helpers: copies of the project to break or rebuild without touching the working tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from alsmsc.files.layout import Layout

ROOT = Path(__file__).resolve().parents[1]


def copy_project(dest: Path) -> Path:
    return Layout(ROOT).copy_sources(dest).root


def alsmsc(root: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    """Run the CLI against the project at ``root`` in a fresh process, as a user would."""
    env = {**os.environ, "ALSMSC_ROOT": str(root)}
    proc = subprocess.run([sys.executable, "-m", "alsmsc", *args], cwd=root, env=env, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"alsmsc {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def build(root: Path, *extra: str, check: bool = True) -> dict:
    """`alsmsc build` at ``root``; returns its JSON summary (steps ran, reused, failed)."""
    summary_file = root / "_build" / "test-summary.json"
    summary_file.parent.mkdir(parents=True, exist_ok=True)
    proc = alsmsc(root, "build", "--summary-json", str(summary_file), *extra, check=check)
    summary = json.loads(summary_file.read_text()) if summary_file.exists() else {}
    summary["returncode"] = proc.returncode
    summary["output"] = proc.stdout + proc.stderr
    return summary


@pytest.fixture(scope="session")
def built_project(tmp_path_factory) -> Path:
    """One cold build of a copy of the project, shared by the book and browser tests."""
    root = copy_project(tmp_path_factory.mktemp("built") / "project")
    summary = build(root)
    assert summary["ok"], summary["output"]
    return root

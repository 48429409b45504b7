"""The house rules anyone can check: layers import only downwards (import-linter's contract in pyproject.toml), and
the code passes ruff's lint and format checks."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT

BIN = Path(sys.executable).parent


def _run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)


def test_layers_import_only_downwards():
    proc = _run(str(BIN / "lint-imports"), "--no-cache")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 kept, 0 broken" in proc.stdout


def test_the_contract_catches_an_upward_import(tmp_path):
    """The contract is not vacuous: a dataset module that imports the analyses layer breaks it."""
    copy = tmp_path / "project"
    shutil.copytree(ROOT / "src", copy / "src")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    rules = copy / "src" / "alsmsc" / "dataset" / "rules.py"
    rules.write_text(rules.read_text() + "\nfrom alsmsc.analyses import synthesis  # noqa: E402,F401\n")
    proc = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], cwd=copy, capture_output=True, text=True, env={"PYTHONPATH": str(copy / "src"), "PATH": str(BIN)}
    )
    assert proc.returncode != 0 and "alsmsc.dataset.rules -> alsmsc.analyses.synthesis" in proc.stdout


def test_ruff_lint_and_format_pass():
    lint = _run(str(BIN / "ruff"), "check", ".")
    assert lint.returncode == 0, lint.stdout
    fmt = _run(str(BIN / "ruff"), "format", "--check", ".")
    assert fmt.returncode == 0, fmt.stdout

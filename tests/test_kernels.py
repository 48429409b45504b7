"""Notebook kernels: on IPC sockets (no TCP port, no kernel warnings in the build's output) and a time limit per
cell, so a notebook that hangs fails the build with its name instead of hanging it. Edits are made to a copy."""

from __future__ import annotations

import json

import pytest

from .conftest import build, copy_project

pytestmark = pytest.mark.slow


def test_a_notebook_that_sleeps_past_the_cell_timeout_fails_the_build_with_its_name(tmp_path):
    root = copy_project(tmp_path / "p")
    path = root / "analysis" / "records_overview.ipynb"
    nb = json.loads(path.read_text(encoding="utf-8"))
    nb["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "fixture-sleep",
            "metadata": {},
            "outputs": [],
            "source": ["import time\n", "time.sleep(120)"],
        }
    )
    path.write_text(json.dumps(nb, indent=1) + "\n", encoding="utf-8")
    result = build(root, "--cell-timeout", "5", check=False)
    out = result["output"]
    assert result["returncode"] == 1
    assert "notebook analysis/records_overview.ipynb: a cell ran longer than 5 s and was stopped" in out
    assert "Traceback" not in out
    # the kernels ran on IPC: none of jupyter's TCP warnings (or any other kernel log line) reached the output
    assert "Kernel is running over TCP" not in out and "[IPKernelApp]" not in out
    # the other notebooks ran to completion under the same limit
    assert (root / "_build" / "generated" / "trials_overview" / "numbers.json").is_file()

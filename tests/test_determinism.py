"""Two builds of the same sources give byte-identical ``_build/generated`` and ``_build/html`` (issue 16, point 6).

The two copies differ in everything that must not reach the output: their absolute paths (and the length of those
paths), the time zone (UTC+14 and UTC-12, so the local date always differs: a build date anywhere shows), the hash
seed of every process (set and dict order of strings) and the order in which their parallel notebooks finish.
Copies of the working tree (``copy_project``), not git clones: a clone holds only the last commit but would run the
working tree's package, a mix nobody builds.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from alsmsc.publish import reproducible

from .conftest import copy_project

COMPARED = ("generated", "html")
# Files (globs relative to _build/) that may differ by design, each with the reason. None today: executed notebooks
# carry no clock times, absolute paths or random cell ids (alsmsc.publish.reproducible), the Status page shows no
# execution times, and each page's "Last updated" is the dataset version's date (book/_ext/alsmsc_book.py).
BY_DESIGN: dict[str, str] = {}
SHOWN = 5  # differing files reported in full


def _build(root: Path, tz: str, hash_seed: str) -> None:
    env = {**os.environ, "ALSMSC_ROOT": str(root), "TZ": tz, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run([sys.executable, "-m", "alsmsc", "build", "-q"], cwd=root, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"the build of {root} failed:\n{(proc.stdout + proc.stderr)[-4000:]}"


def _files(build: Path) -> dict[str, Path]:
    return {p.relative_to(build).as_posix(): p for part in COMPARED for p in sorted((build / part).rglob("*")) if p.is_file()}


def _first_difference(a: bytes, b: bytes, width: int = 100) -> str:
    """Where two files part, with a little context: most differing files here are one long line (JSON, search index)."""
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    line = a.count(b"\n", 0, at) + 1
    start = max(0, at - width)

    def show(data: bytes) -> str:
        return repr(data[start : at + width].decode("utf-8", errors="replace"))

    return f"  byte {at} (line {line}):\n    first:  {show(a)}\n    second: {show(b)}"


@pytest.mark.slow
def test_two_builds_at_different_paths_times_and_hash_seeds_are_byte_identical(tmp_path):
    roots = (copy_project(tmp_path / "first" / "review"), copy_project(tmp_path / "second-build-copy" / "checkout"))
    # One after the other: as fast as side by side on 2 cores (about 100 s either way), and half as many kernels
    # starting at once (jupyter_client's TCP ports can collide between concurrent kernel starts).
    _build(roots[0], "ALSA-14", "1")
    _build(roots[1], "ALSB+12", "2")

    first, second = (_files(root / "_build") for root in roots)
    assert len(first) > 100 and any(k.startswith("html/_sources/") for k in first)  # a real book, its downloads included
    created = json.loads((roots[0] / "data" / "datapackage.json").read_text(encoding="utf-8"))["created"]
    dated = f"Last updated on {datetime.fromisoformat(created):%b %d, %Y}."
    assert dated in first["html/intro.html"].read_text(encoding="utf-8")  # the dataset's date, in either time zone
    assert sorted(first.keys() - second.keys()) == [] and sorted(second.keys() - first.keys()) == [], "the builds made different files"

    def by_design(rel: str) -> bool:
        return any(fnmatch.fnmatch(rel, pattern) for pattern in BY_DESIGN)

    differ, leaks = [], []
    for rel in sorted(first):
        a, b = first[rel].read_bytes(), second[rel].read_bytes()
        if a != b and not by_design(rel):
            differ.append(f"{rel}\n{_first_difference(a, b)}")
        if any(str(root.parent).encode() in data for root, data in zip(roots, (a, b))):
            leaks.append(rel)
    problems = []
    if leaks:
        problems.append(f"{len(leaks)} file(s) carry the absolute path of their checkout, among them: " + ", ".join(leaks[:SHOWN]))
    if differ:
        problems.append(f"{len(differ)} file(s) differ between the two builds; the first {min(SHOWN, len(differ))}:\n" + "\n".join(differ[:SHOWN]))
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)


def _executed(root: Path) -> dict:
    """An executed notebook as papermill and nbclient leave it (fixture, shaped like a real one)."""
    timing = {"start_time": "2026-01-01T10:00:00+00:00", "end_time": "2026-01-01T10:00:01+00:00", "duration": 1.0}
    cell = {"status": "completed", "exception": False, **timing}
    busy = {"iopub.status.busy": "2026-01-01T10:00:00Z"}
    return {
        "metadata": {
            "papermill": {
                **timing,
                "input_path": str(root / "analysis" / "nb.ipynb"),
                "output_path": str(root / "_build" / "generated" / ".staging" / "nb" / "nb.ipynb"),
                "parameters": {"data_dir": "data"},
                "exception": None,
            }
        },
        "cells": [
            {"id": "kept-id", "metadata": {"tags": ["parameters"], "papermill": dict(cell), "execution": busy}},
            {"id": "3f2a9c1b", "metadata": {"tags": ["injected-parameters"], "papermill": dict(cell)}},
        ],
    }


def test_clean_drops_clock_times_absolute_paths_and_random_ids(tmp_path):
    root = tmp_path / "checkout"
    nb = reproducible.clean(_executed(root), root, output_path=root / "_build" / "generated" / "notebooks" / "nb.ipynb")
    run = nb["metadata"]["papermill"]
    assert run == {
        "input_path": "analysis/nb.ipynb",
        "output_path": "_build/generated/notebooks/nb.ipynb",  # where it ends up, not the staging folder
        "parameters": {"data_dir": "data"},
        "exception": None,
    }
    assert [c["id"] for c in nb["cells"]] == ["kept-id", "injected-parameters"]
    assert [c["metadata"]["papermill"] for c in nb["cells"]] == [{"status": "completed", "exception": False}] * 2
    assert "execution" not in nb["cells"][0]["metadata"]
    # the same notebook run elsewhere, later, cleans to the same thing
    other = tmp_path / "elsewhere" / "copy"
    again = _executed(other)
    again["metadata"]["papermill"]["start_time"] = "2030-06-01T00:00:00+00:00"
    again["cells"][1]["id"] = "77aa01ee"
    assert reproducible.clean(again, other, output_path=other / "_build" / "generated" / "notebooks" / "nb.ipynb") == nb


def test_clean_keeps_paths_outside_the_checkout_and_renumbers_cells_read_from_text(tmp_path):
    root, mine = tmp_path / "checkout", tmp_path / "my-runs" / "nb.ipynb"  # alsmsc run --out: the user's own folder
    nb = reproducible.clean(_executed(root), root, output_path=mine, renumber=True)
    assert nb["metadata"]["papermill"]["output_path"] == str(mine.resolve())
    assert [c["id"] for c in nb["cells"]] == ["cell-0", "cell-1"]

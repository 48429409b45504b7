"""The command line as a user meets it."""

from __future__ import annotations

import pytest

from .conftest import ROOT, alsmsc, copy_project


def test_help_explains_every_command():
    proc = alsmsc(ROOT, "--help", check=True)
    for command in ("build", "run", "validate", "rehash", "clean"):
        assert f"  {command}" in proc.stdout


def test_help_lists_each_command_once():
    import re

    out = alsmsc(ROOT, "--help", check=True).stdout
    for command in ("build", "run", "validate", "rehash", "clean", "meta", "escalc", "new-study", "release", "registry"):
        lines = [line for line in out.splitlines() if re.match(rf"\s+{re.escape(command)}\s", line)]
        assert len(lines) == 1, f"{command} listed {len(lines)} times in --help"


def test_validate_ok_on_real_data():
    proc = alsmsc(ROOT, "validate", check=True)
    assert "data/ is valid" in proc.stdout


@pytest.mark.fixture_data
def test_build_refuses_bad_data_and_keeps_previous_outputs(tmp_path):
    root = copy_project(tmp_path / "p")
    (root / "_build" / "generated").mkdir(parents=True)
    keep = root / "_build" / "generated" / "previous.txt"
    keep.write_text("from an earlier build")
    path = root / "data" / "trials.csv"
    path.write_text(path.read_text().replace(",bone_marrow,", ",bone-marrow,", 1), encoding="utf-8")
    alsmsc(root, "rehash", check=True)
    proc = alsmsc(root, "build")
    assert proc.returncode == 1
    assert "data/trials.csv:" in proc.stderr and ":cell_source: 'bone-marrow' is not allowed" in proc.stderr
    assert keep.read_text() == "from an earlier build"
    assert not (root / "_build" / "html").exists()


def test_clean_removes_build(tmp_path):
    root = copy_project(tmp_path / "p")
    (root / "_build" / "x").mkdir(parents=True)
    (root / "book" / "etiology.ipynb").write_text("{}")  # as if the build had run the chapter
    (root / "book" / "notes.ipynb").write_text("{}")  # not a chapter's page: kept
    assert alsmsc(root, "clean", check=True).stdout.startswith("removed _build")
    assert [p.name for p in (root / "_build").iterdir()] == [".lock"]  # all but the lock `clean` held (test_build_guard.py)
    assert not (root / "book" / "etiology.ipynb").exists()
    assert (root / "book" / "notes.ipynb").exists()


def test_run_rejects_unknown_notebook_and_lists_the_known_ones():
    proc = alsmsc(ROOT, "run", "no_such_notebook")
    assert proc.returncode == 2
    assert "no notebook named no_such_notebook" in proc.stderr and "trials_overview" in proc.stderr

"""`alsmsc new-study` on a copy of the project (fixture records, never published)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alsmsc import dataset

from .conftest import alsmsc, copy_project

pytestmark = pytest.mark.fixture_data


def test_new_clinical_study_is_scaffolded_and_valid(tmp_path):
    root = copy_project(tmp_path / "p")
    proc = alsmsc(
        root,
        "new-study",
        "Fixture2026",
        "--trial",
        "fixture-ph1",
        "--author",
        "Fixture",
        "--year",
        "2026",
        "--title",
        "A fixture study",
        "--url",
        "https://doi.org/10.1234/fixture.1",
        "--verified-from",
        "abstract",
        "--doi",
        "10.1234/fixture.1",
    )
    assert proc.returncode == 0, proc.stderr
    t = dataset.load(root / "data", ["clinical_arms"])
    record = t["studies"].set_index("study_id").loc["Fixture2026"]
    assert record["doi"] == "10.1234/fixture.1" and record["trial_id"] == "fixture-ph1" and record["record_kind"] == "results"
    trial = t["trials"].set_index("trial_id").loc["fixture-ph1"]
    assert trial["cell_source"] == "not_reported" and "n_enrolled" in trial["not_reported"] and "dose" in trial["not_reported"]
    assert dataset.validate(root / "data") == []
    # a second record of the same trial adds no second trial
    proc = alsmsc(
        root,
        "new-study",
        "NCT09999998",
        "--trial",
        "fixture-ph1",
        "--kind",
        "registration",
        "--author",
        "",
        "--year",
        "2025",
        "--title",
        "Registration",
        "--url",
        "https://clinicaltrials.gov/study/NCT09999998",
        "--verified-from",
        "registry",
        "--registry-ids",
        "NCT09999998",
        "--publication-type",
        "registry_only",
    )
    assert proc.returncode == 0, proc.stderr
    t = dataset.load(root / "data", ["trials", "studies"])
    assert (t["trials"]["trial_id"] == "fixture-ph1").sum() == 1 and (t["studies"]["trial_id"] == "fixture-ph1").sum() == 2


def test_a_forbidden_source_is_refused(tmp_path):
    root = copy_project(tmp_path / "p")
    proc = alsmsc(
        root,
        "new-study",
        "Fixture2026",
        "--trial",
        "fixture-ph1",
        "--author",
        "Fixture",
        "--year",
        "2026",
        "--title",
        "x",
        "--url",
        "https://tomesphere.com/paper/x",
        "--verified-from",
        "abstract",
        "--doi",
        "10.1234/fixture.1",
    )
    assert proc.returncode == 1 and "tomesphere.com is never evidence" in proc.stderr


def test_invalid_new_study_is_refused_and_files_restored(tmp_path):
    root = copy_project(tmp_path / "p")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    proc = alsmsc(
        root,
        "new-study",
        "Fixture2026",
        "--trial",
        "fixture-ph1",
        "--author",
        "Fixture",
        "--year",
        "2026",
        "--title",
        "x",
        "--url",
        "https://doi.org/10.1234/x",
        "--verified-from",
        "abstract",
        "--doi",
        "not-a-doi",
    )
    assert proc.returncode == 1 and "'not-a-doi' is not a well-formed doi" in proc.stderr
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before


def test_where_folders_cannot_be_swapped_an_interrupted_write_back_restores_every_file(tmp_path, monkeypatch):
    """The fallback for file systems without an atomic folder swap: Ctrl-C while the checked files are copied into
    data/ leaves every file as it was, and the data still validate (the old failure: rows left behind with checksums
    that already matched them)."""
    from alsmsc.dataset import new_study as scaffold
    from alsmsc.dataset import staging
    from alsmsc.files.layout import Layout

    root = copy_project(tmp_path / "p")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    real = staging.atomic_write_bytes
    writes = []

    def interrupted(path, data):
        writes.append(Path(path).name)
        if Path(path).name == "datapackage.json":  # the last write: the CSVs are already replaced
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(staging, "exchange_dirs", lambda a, b: False)
    monkeypatch.setattr(staging, "atomic_write_bytes", interrupted)
    with pytest.raises(KeyboardInterrupt):
        scaffold.new_study(Layout(root), **NEW_RECORD)
    first_try = writes[: writes.index("datapackage.json") + 1]
    assert len(first_try) > 1 and len(set(first_try)) == len(first_try)  # each CSV once, then the checksums last
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before
    assert dataset.validate(root / "data") == []
    assert not (root / ".data.staging").exists()


NEW_RECORD = dict(
    study_id="Fixture2026",
    record_type="clinical",
    first_author="Fixture",
    year=2026,
    title="A fixture trial report",
    url="https://doi.org/10.1234/fixture.2026",
    verified_from="abstract",
    doi="10.1234/fixture.2026",
    trial_id="fixture-ph1",
)


def test_control_characters_in_arguments_are_refused_before_anything_is_written(tmp_path):
    root = copy_project(tmp_path / "p")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    args = ["new-study", "Fixture2026", "--trial", "fixture-ph1", "--author", "Fix\x1bture", "--year", "2026", "--title", "a\nb"]
    proc = alsmsc(root, *args, "--url", "https://doi.org/10.1234/x", "--verified-from", "abstract")
    assert proc.returncode == 1 and "--author, --title: control characters" in proc.stderr and "Traceback" not in proc.stderr
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGINT])
def test_killing_new_study_at_any_point_leaves_data_as_it_was_or_complete(tmp_path, signum):
    root = copy_project(tmp_path / "p")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    args = ["new-study", "Fixture2026", "--trial", "fixture-ph1", "--author", "Fixture", "--year", "2026", "--title", "A fixture trial report"]
    args += ["--url", "https://doi.org/10.1234/fixture.2026", "--doi", "10.1234/fixture.2026", "--verified-from", "abstract"]
    outcomes = set()
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0):
        env = {**os.environ, "ALSMSC_ROOT": str(root)}
        proc = subprocess.Popen(
            [sys.executable, "-m", "alsmsc", *args], cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        time.sleep(delay)
        proc.send_signal(signum)
        assert "Traceback" not in proc.communicate(timeout=120)[1]
        after = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
        if after == before:
            outcomes.add("untouched")
            continue
        assert b"Fixture2026" in after["studies.csv"] and dataset.validate(root / "data") == [], f"a mix after {delay} s"
        outcomes.add("added")
        for name, content in before.items():  # back to the state before, for the next delay
            (root / "data" / name).write_bytes(content)
    assert "untouched" in outcomes

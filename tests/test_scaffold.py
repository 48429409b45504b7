"""`alsmsc new-study` on a copy of the project (fixture records, never published)."""

from __future__ import annotations

import pytest

from alsmsc import data

from .conftest import alsmsc, copy_project

pytestmark = pytest.mark.fixture_data


def test_new_clinical_study_is_scaffolded_and_valid(tmp_path):
    root = copy_project(tmp_path / "p")
    proc = alsmsc(root, "new-study", "Fixture2026", "--author", "Fixture", "--year", "2026", "--title", "A fixture study",
                  "--url", "https://example.org/fixture", "--verified-from", "abstract", "--doi", "10.1234/fixture.1")
    assert proc.returncode == 0, proc.stderr
    t = data.load(root / "data", ["clinical_arms"])
    row = t["clinical_studies"].set_index("study_id").loc["Fixture2026"]
    assert row["doi"] == "10.1234/fixture.1" and row["cell_source"] == "not_reported"
    assert "n_enrolled" in row["not_reported"] and "pmid" in row["not_reported"] and "doi" not in row["not_reported"]
    assert data.validate(root / "data") == []


def test_invalid_new_study_is_refused_and_files_restored(tmp_path):
    root = copy_project(tmp_path / "p")
    before = {p.name: p.read_bytes() for p in (root / "data").iterdir()}
    proc = alsmsc(root, "new-study", "Fixture2026", "--author", "Fixture", "--year", "2026", "--title", "x",
                  "--url", "https://example.org/x", "--verified-from", "abstract", "--doi", "not-a-doi")
    assert proc.returncode == 1 and "'not-a-doi' is not a well-formed doi" in proc.stderr
    assert {p.name: p.read_bytes() for p in (root / "data").iterdir()} == before

"""The data package: the real data validate, and each rule catches what it is meant to catch.

Broken copies of the data are fixture data made by the tests; they are never published.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from alsmsc import dataset

from .conftest import ROOT

pytestmark = pytest.mark.fixture_data


@pytest.fixture
def data_copy(tmp_path) -> Path:
    dest = tmp_path / "data"
    shutil.copytree(ROOT / "data", dest)
    (tmp_path / "pyproject.toml").write_text("")  # lets messages show paths relative to the copy
    return dest


def edit_cell(data_dir: Path, file: str, key: str, column: str, value: str) -> int:
    """Set one cell of the row whose first column is ``key`` and refresh checksums; returns its file line (header = 1)."""
    path = data_dir / file
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    line = next(i + 2 for i, r in enumerate(rows) if r[fields[0]] == key)
    rows[line - 2][column] = value
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    dataset.rehash(data_dir)
    return line


def messages(data_dir: Path) -> list[str]:
    return [str(p) for p in dataset.validate(data_dir)]


def test_real_data_is_valid():
    problems = dataset.validate(ROOT / "data")
    assert problems == [], "\n".join(map(str, problems))


def test_every_row_carries_an_authoritative_url_and_what_was_read():
    from alsmsc.dataset.source_policy import HostPolicy, split_urls

    t = dataset.load(ROOT / "data", ["trials", "studies", "clinical_outcomes", "background_facts", "preclinical_studies", "source_hosts"])
    policy = HostPolicy.from_frame(t["source_hosts"])
    for name in ("trials", "studies", "clinical_arms", "clinical_outcomes", "background_facts", "preclinical_studies"):
        frame = t[name]
        assert len(frame) > 0, name
        for _, row in frame.iterrows():
            assert any(policy.classify(u).category == "authoritative" for u in split_urls(row["source_url"])), (name, row.iloc[0])
            assert all(policy.classify(u).category != "never" for u in split_urls(row["read_url"] if isinstance(row["read_url"], str) else "")), (
                name,
                row.iloc[0],
            )
        assert frame["verified_from"].notna().all(), name


def test_checksums_recorded_for_every_file():
    desc = json.loads((ROOT / "data" / "datapackage.json").read_text())
    for res in desc["resources"]:
        assert res["hash"] == "sha256:" + dataset.file_sha256(ROOT / "data" / res["path"]), res["name"]


def test_enum_violation_names_file_row_column_and_allowed_values(data_copy):
    line = edit_cell(data_copy, "trials.csv", "nurown-ph2", "cell_source", "spleen")
    msgs = messages(data_copy)
    assert any(m.startswith(f"data/trials.csv:{line}:cell_source: 'spleen' is not allowed; allowed values: bone_marrow") for m in msgs), msgs


def test_route_list_reports_the_bad_item(data_copy):
    line = edit_cell(data_copy, "trials.csv", "nurown-ph2", "route", "intrathecal;intraocular")
    msgs = messages(data_copy)
    assert any(m.startswith(f"data/trials.csv:{line}:route: 'intraocular' not allowed") for m in msgs), msgs


def test_n_msc_cannot_exceed_enrolled(data_copy):
    line = edit_cell(data_copy, "trials.csv", "nurown-ph2", "n_msc", "480")
    assert f"data/trials.csv:{line}:n_msc: n_msc (480) exceeds n_enrolled (48)" in messages(data_copy)


def test_checksum_mismatch_is_reported(data_copy):
    path = data_copy / "studies.csv"
    path.write_text(path.read_text() + "\n", encoding="utf-8")
    assert any(m.startswith("data/studies.csv: checksum does not match") for m in messages(data_copy))


def test_invalid_json_descriptor(data_copy):
    (data_copy / "datapackage.json").write_text('{"resources": [', encoding="utf-8")
    msgs = messages(data_copy)
    assert len(msgs) == 1 and msgs[0].startswith("data/datapackage.json:1: not valid JSON"), msgs


def test_not_reported_field_must_be_blank(data_copy):
    line = edit_cell(data_copy, "trials.csv", "nurown-ph2", "not_reported", "dose")
    edit_cell(data_copy, "trials.csv", "nurown-ph2", "dose", "some dose")
    assert f"data/trials.csv:{line}:dose: has a value but is also listed in not_reported" in messages(data_copy)


def test_foreign_key_to_missing_study(data_copy):
    edit_cell(data_copy, "clinical_arms.csv", "nurown-ph2", "study_id", "Nobody2020")
    assert any("clinical_arms.csv" in m and "refers to a missing record" in m for m in messages(data_copy))


def test_resource_closure_follows_foreign_keys():
    desc = dataset.read_descriptor(ROOT / "data" / "datapackage.json")
    assert dataset.resource_closure(desc, ["clinical_arms"]) == ["trials", "studies", "clinical_arms"]
    with pytest.raises(KeyError):
        dataset.resource_closure(desc, ["no_such_table"])


def test_load_returns_typed_frames_with_missing_values_as_na():
    trials = dataset.load(ROOT / "data", ["trials"])["trials"]
    assert str(trials["n_msc"].dtype) == "Int64"
    assert str(trials["randomized"].dtype) == "boolean"
    assert trials["n_msc"].isna().any()  # some trials do not state it; they stay missing, never 0


def test_citation_file_carries_the_dataset_version_and_date():
    import yaml

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    release = dataset.version(ROOT / "data")
    assert str(cff["version"]) == release["version"]
    assert str(cff["date-released"]) == release["date"]

"""Every kind of bad input named in the reliability issue: a clear file:row:column error, exit 1, and nothing that was
generated before is touched. Windows line endings and a UTF-8 BOM are not errors: they simply work.

All edits are made to copies of the data (fixture data, never published).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from alsmsc import dataset

from .conftest import ROOT, alsmsc, build, copy_project

pytestmark = pytest.mark.fixture_data


def fresh(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    return d


def edit_text(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture edit: {old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def first_data_line(path: Path) -> str:
    return path.read_text(encoding="utf-8").splitlines()[1]


CASES = {
    "unbalanced quote": (
        lambda d: edit_text(d / "studies.csv", first_data_line(d / "studies.csv"), first_data_line(d / "studies.csv") + ',"unclosed'),
        "data/studies.csv:2",
        "wrong number of fields",
    ),
    "too many fields": (
        lambda d: edit_text(d / "clinical_arms.csv", first_data_line(d / "clinical_arms.csv"), first_data_line(d / "clinical_arms.csv") + ",extra"),
        "data/clinical_arms.csv:2",
        "wrong number of fields",
    ),
    "missing required column": (lambda d: _drop_column(d / "clinical_arms.csv", "role"), "data/clinical_arms.csv:1", "the header must be exactly"),
    "extra unknown column": (
        lambda d: _add_column(d / "clinical_arms.csv", "favourite_colour"),
        "data/clinical_arms.csv:1",
        "unknown extra column 'favourite_colour'",
    ),
    "wrong encoding": (
        lambda d: (d / "grade.csv").write_bytes(
            (d / "grade.csv").read_bytes().replace("⊕".encode(), b"").replace(b"Risk of bias", b"Risk of bias \xe9", 1)
        ),
        "data/grade.csv",
        "not UTF-8 text",
    ),
    "outcome pointing to a missing arm": (
        lambda d: edit_text(d / "clinical_outcomes.csv", ",corestem-ph2,control,", ",corestem-ph2,placebo,"),
        "data/clinical_outcomes.csv",
        "refers to a missing record",
    ),
}


def _drop_column(path: Path, column: str) -> None:
    import csv

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    fields = [f for f in rows[0] if f != column]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _add_column(path: Path, column: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0] + f",{column}"] + [line + ",x" for line in lines[1:]]) + "\n", encoding="utf-8")


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_reported_precisely(tmp_path, name):
    mutate, where, message = CASES[name]
    d = fresh(tmp_path)
    mutate(d)
    dataset.rehash(d)
    problems = [str(p) for p in dataset.validate(d)]
    assert any(p.startswith(where) and message in p for p in problems), "\n".join(problems)


def test_windows_line_endings_and_bom_simply_work(tmp_path):
    d = fresh(tmp_path)
    for name in ("studies.csv", "trials.csv"):
        path = d / name
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    dataset.rehash(d)
    assert dataset.validate(d) == []
    studies = dataset.load(d, ["studies"])["studies"]
    assert studies.columns[0] == "study_id" and not studies["notes"].fillna("").str.endswith("\r").any()


@pytest.mark.slow
def test_build_on_bad_data_exits_1_and_touches_nothing(tmp_path):
    root = copy_project(tmp_path / "p")
    assert build(root)["ok"]
    generated = root / "_build" / "generated"
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(generated.rglob("*")) if p.is_file()}
    html_before = (root / "_build" / "html" / "clinical-trials.html").read_bytes()
    CASES["outcome pointing to a missing arm"][0](root / "data")
    alsmsc(root, "rehash", check=True)
    result = build(root, check=False)
    assert result["returncode"] == 1
    assert "data/clinical_outcomes.csv:" in result["output"] and "refers to a missing record" in result["output"]
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(generated.rglob("*")) if p.is_file()}
    assert after == before
    assert (root / "_build" / "html" / "clinical-trials.html").read_bytes() == html_before
    # Checksums are part of the contract too: an unrecorded edit is refused until `alsmsc rehash`.
    (root / "data" / "grade.csv").write_text((root / "data" / "grade.csv").read_text() + "\n")
    assert "checksum does not match" in alsmsc(root, "validate").stderr
    json.loads((root / "data" / "datapackage.json").read_text())  # still valid JSON: nothing rewrote it

"""Every validation rule, each proven by a broken copy of the data (fixture data, never published).

Each case edits a fresh copy, refreshes checksums (so only the intended problem remains, except in the checksum
case), and expects a message addressed as file:row:column.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest

from alsmsc import data

from .conftest import ROOT

pytestmark = pytest.mark.fixture_data


def read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def write(path: Path, fields: list[str], rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def set_cell(file: str, where: dict, column: str, value: str):
    def mutate(d: Path) -> int:
        fields, rows = read(d / file)
        index = next(i for i, r in enumerate(rows) if all(r[k] == v for k, v in where.items()))
        rows[index][column] = value
        write(d / file, fields, rows)
        return index + 2

    return mutate


def first(file: str, **conditions):
    """The first row (and its line) matching simple conditions; '!' prefix negates, '' means blank."""
    fields, rows = read(ROOT / "data" / file)
    for i, r in enumerate(rows):
        if all((r[k] != v[1:]) if v.startswith("!") else (r[k] == v) for k, v in conditions.items()):
            return r
    raise LookupError(f"no row in {file} with {conditions}")


RCT = first("clinical_studies.csv", randomized="true")["study_id"]
SINGLE = first("clinical_studies.csv", design="single_arm", n_enrolled="!", n_msc="!")
REGISTRY = first("clinical_studies.csv", design="registry_record")["study_id"]
FACT = first("background_facts.csv", value_low="!", value_high="!")


def clear_identifiers(study_id: str):
    def mutate(d: Path) -> int:
        line = 0
        for column in ("doi", "pmid", "pmcid", "registry_ids"):
            line = set_cell("studies.csv", {"study_id": study_id}, column, "")(d)
        return line

    return mutate


def dup_row(file: str):
    def mutate(d: Path) -> int:
        fields, rows = read(d / file)
        rows.append(dict(rows[0]))
        write(d / file, fields, rows)
        return len(rows) + 1

    return mutate


# Cases whose problem is reported on the affected study's row in another file, not on the edited row.
REPORTED_ELSEWHERE = {"wrong record type", "included study missing from screening", "study without bias assessment"}

CASES = [
    ("enum", set_cell("clinical_studies.csv", {"study_id": RCT}, "cell_origin", "xenogeneic"),
     "clinical_studies.csv", "cell_origin", "'xenogeneic' is not allowed; allowed values: autologous, allogeneic, not_reported"),
    ("list enum", set_cell("clinical_studies.csv", {"study_id": RCT}, "route", "intrathecal;oral"),
     "clinical_studies.csv", "route", "'oral' not allowed; use a ';'-separated list from: intrathecal"),
    ("malformed DOI", set_cell("studies.csv", {"study_id": RCT}, "doi", "doi.org/10.1/x"),
     "studies.csv", "doi", "'doi.org/10.1/x' is not a well-formed doi"),
    ("malformed PMID", set_cell("studies.csv", {"study_id": RCT}, "pmid", "PMID12345"),
     "studies.csv", "pmid", "'PMID12345' is not a well-formed pmid"),
    ("malformed NCT", set_cell("studies.csv", {"study_id": REGISTRY}, "registry_ids", "NCT123"),
     "studies.csv", "registry_ids", "'NCT123' is not a well-formed registry_ids"),
    ("not a number", set_cell("clinical_studies.csv", {"study_id": RCT}, "n_enrolled", "forty"),
     "clinical_studies.csv", "n_enrolled", "'forty' is not a whole number"),
    ("negative count", set_cell("clinical_studies.csv", {"study_id": RCT}, "n_control", "-3"),
     "clinical_studies.csv", "n_control", "'-3' is below the minimum 0"),
    ("required", set_cell("clinical_studies.csv", {"study_id": RCT}, "product", ""),
     "clinical_studies.csv", "product", "is required but empty"),
    ("duplicate key", dup_row("studies.csv"), "studies.csv", None, "duplicate study_id"),
    ("future year", set_cell("studies.csv", {"study_id": RCT}, "year", "2999"),
     "studies.csv", "year", "2999 is in the future"),
    ("n_msc > n_enrolled", set_cell("clinical_studies.csv", {"study_id": SINGLE["study_id"]}, "n_msc", str(int(SINGLE["n_enrolled"]) + 1)),
     "clinical_studies.csv", "n_msc", "exceeds n_enrolled"),
    ("randomized without control", set_cell("clinical_studies.csv", {"study_id": RCT}, "control_type", "none"),
     "clinical_studies.csv", "control_type", "a randomized study needs a concurrent control arm"),
    ("design contradicts randomized", set_cell("clinical_studies.csv", {"study_id": SINGLE["study_id"]}, "randomized", "true"),
     "clinical_studies.csv", "randomized", "contradicts design='single_arm'"),
    ("clinical row disagrees with studies", set_cell("clinical_studies.csv", {"study_id": RCT}, "year", "2001"),
     "clinical_studies.csv", "year", "differs from studies.csv"),
    ("overlap with unknown study", set_cell("clinical_studies.csv", {"study_id": RCT}, "overlaps_with", "Ghost2020"),
     "clinical_studies.csv", "overlaps_with", "'Ghost2020' is not a study_id in clinical_studies"),
    ("unknown column in not_reported", set_cell("clinical_studies.csv", {"study_id": RCT}, "not_reported", "shoe_size"),
     "clinical_studies.csv", "not_reported", "'shoe_size' is not a column of clinical_studies"),
    ("study without identifier", clear_identifiers("Najafi2023"),
     "studies.csv", "doi", "needs at least one identifier"),
    ("interval bounds reversed", set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "value_low", str(float(FACT["value_high"]) + 1)),
     "background_facts.csv", "value_low", "exceeds upper bound"),
    ("fact cites a missing source", set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "study_id", "Ghost2020"),
     "background_facts.csv", None, "refers to a missing record"),
    ("arm of a missing study", set_cell("clinical_arms.csv", {"study_id": RCT, "arm": "msc"}, "study_id", "Ghost2020"),
     "clinical_arms.csv", None, "refers to a missing record"),
    ("wrong record type", set_cell("studies.csv", {"study_id": RCT}, "record_type", "preclinical"),
     "clinical_studies.csv", "study_id", "clinical rows need 'clinical'"),
    ("exclusion without reason", set_cell("screening_log.csv", {"exclusion_reason": "not_msc", "full_text_decision": "exclude"}, "exclusion_reason", ""),
     "screening_log.csv", "exclusion_reason", "needs a PRISMA reason"),
    ("included study missing from screening", set_cell("screening_log.csv", {"study_id": RCT}, "full_text_decision", "not_assessed"),
     "clinical_studies.csv", "study_id", "is not recorded as included in screening_log.csv"),
    ("search count off", set_cell("search_log.csv", {"search_id": "2026-11-24-clinical-a"}, "records_identified", "999"),
     "search_log.csv", "records_identified", "999 records, but screening_log.csv has"),
    ("judgement not of the tool", set_cell("risk_of_bias.csv", {"study_id": RCT, "tool": "RoB2", "domain": "overall"}, "judgement", "critical"),
     "risk_of_bias.csv", "judgement", "'critical' is not a RoB2 judgement"),
    ("study without bias assessment", set_cell("risk_of_bias.csv", {"study_id": RCT, "tool": "RoB2", "domain": "overall"}, "domain", "general"),
     "clinical_studies.csv", "study_id", "has no RoB2 assessment"),
    ("GRADE certainty does not add up", set_cell("grade.csv", {"outcome_id": "serious_adverse_events"}, "certainty", "moderate"),
     "grade.csv", "certainty", "does not follow from the ratings"),
    ("GRADE refers to a missing outcome", set_cell("grade.csv", {"outcome_id": "responders"}, "comparison_key", "rr_survival"),
     "grade.csv", "comparison_key", "'rr_survival' is not a synthesis comparison"),
]


@pytest.mark.parametrize("name,mutate,file,column,expected", CASES, ids=[c[0] for c in CASES])
def test_rule(tmp_path, name, mutate, file, column, expected):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    line = mutate(d)
    data.rehash(d)
    problems = data.validate(d)
    hits = [p for p in problems if p.file == f"data/{file}" and (column is None or p.column == column) and expected in p.message]
    assert hits, f"expected data/{file}:*:{column}: ...{expected}... in:\n" + "\n".join(map(str, problems))
    if name not in REPORTED_ELSEWHERE:
        assert any(p.row == line for p in hits), f"expected the problem on row {line}: {hits}"


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    set_cell("clinical_studies.csv", {"study_id": RCT}, "cell_origin", "xenogeneic")(d)
    set_cell("studies.csv", {"study_id": RCT}, "pmid", "abc")(d)
    set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "topic", "astrology")(d)
    data.rehash(d)
    files = {p.file for p in data.validate(d)}
    assert {"data/clinical_studies.csv", "data/studies.csv", "data/background_facts.csv"} <= files


def test_missing_file_named_in_descriptor(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    (d / "risk_of_bias.csv").unlink()
    msgs = [str(p) for p in data.validate(d)]
    assert "data/risk_of_bias.csv: file not found, but datapackage.json names it for resource 'risk_of_bias'" in msgs


def test_empty_file(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    (d / "screening_log.csv").write_text("")
    data.rehash(d)
    assert any(str(p).startswith("data/screening_log.csv: file is empty; it needs at least the header row") for p in data.validate(d))


def test_descriptor_without_resources(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (d / "datapackage.json").write_text(json.dumps({"name": "x"}))
    assert [str(p) for p in data.validate(d)] == ["data/datapackage.json::resources: must be a non-empty list of tabular resources"]

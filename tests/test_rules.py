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

from alsmsc import dataset

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
    for _i, r in enumerate(rows):
        if all((r[k] != v[1:]) if v.startswith("!") else (r[k] == v) for k, v in conditions.items()):
            return r
    raise LookupError(f"no row in {file} with {conditions}")


RCT = first("trials.csv", randomized="true", results="peer_reviewed", control_type="placebo")["trial_id"]
RCT_RECORD = first("studies.csv", trial_id=RCT, record_kind="results")["study_id"]
SINGLE = next(
    r
    for r in read(ROOT / "data" / "trials.csv")[1]
    if r["design"] == "single_arm" and r["n_msc"] not in ("", "0") and r["n_enrolled"] and not r["overlaps_with"]
)
RCT_ARM = None  # set below, once RCT is known
REGISTRY = first("studies.csv", record_kind="registration")["study_id"]
RCT_ARM = first("clinical_arms.csv", trial_id=RCT, role="msc")["arm"]
ADIPOSE = first("trials.csv", cell_source="adipose", registry_ids="!")
MARROW = first("trials.csv", cell_source="bone_marrow", registry_ids="", overlaps_with="")
OUTCOME = first("clinical_outcomes.csv", mean="!", measure="alsfrs_r_change")["outcome_id"]
DEATHS = first("clinical_outcomes.csv", measure="deaths", definition="!")["outcome_id"]
FACT = first("background_facts.csv", value_low="!", value_high="!")
ANIMAL = first("preclinical_studies.csv")["study_id"]


def drop_rows(path: Path, gone) -> int:
    fields, rows = read(path)
    write(path, fields, [r for r in rows if not gone(r)])
    return 0


def cells(file: str, where: dict, values: dict):
    """Several cells of one row at once (the line returned is that row's)."""

    def mutate(d: Path) -> int:
        line = 0
        for column, value in values.items():
            line = set_cell(file, where, column, value)(d)
        return line

    return mutate


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


# Cases whose problem is reported on the affected trial's or study's row in another file, not on the edited row.
REPORTED_ELSEWHERE = {
    "animal study missing a SYRCLE item",
    "included study missing from screening",
    "trial without bias assessment",
    "related trials disagree",
    "trial without records",
    "peer-reviewed results without a results record",
}

CASES = [
    # schema
    (
        "enum",
        set_cell("trials.csv", {"trial_id": RCT}, "cell_origin", "xenogeneic"),
        "trials.csv",
        "cell_origin",
        "'xenogeneic' is not allowed; allowed values: autologous, allogeneic, not_reported",
    ),
    (
        "list enum",
        set_cell("trials.csv", {"trial_id": RCT}, "route", "intrathecal;oral"),
        "trials.csv",
        "route",
        "'oral' not allowed; use a ';'-separated list from: intrathecal",
    ),
    (
        "malformed DOI",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "doi", "doi.org/10.1/x"),
        "studies.csv",
        "doi",
        "'doi.org/10.1/x' is not a well-formed doi",
    ),
    (
        "malformed PMID",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "pmid", "PMID12345"),
        "studies.csv",
        "pmid",
        "'PMID12345' is not a well-formed pmid",
    ),
    (
        "malformed NCT",
        set_cell("studies.csv", {"study_id": REGISTRY}, "registry_ids", "NCT123"),
        "studies.csv",
        "registry_ids",
        "'NCT123' is not a well-formed registry_ids",
    ),
    ("not a number", set_cell("trials.csv", {"trial_id": RCT}, "n_enrolled", "forty"), "trials.csv", "n_enrolled", "'forty' is not a whole number"),
    ("negative count", set_cell("trials.csv", {"trial_id": RCT}, "n_control", "-3"), "trials.csv", "n_control", "'-3' is below the minimum 0"),
    ("required", set_cell("trials.csv", {"trial_id": RCT}, "product", ""), "trials.csv", "product", "is required but empty"),
    ("duplicate key", dup_row("studies.csv"), "studies.csv", None, "duplicate study_id"),
    ("future year", set_cell("studies.csv", {"study_id": RCT_RECORD}, "year", "2999"), "studies.csv", "year", "2999 is in the future"),
    # the source policy
    (
        "forbidden host in source_url",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "source_url", "https://tomesphere.com/paper/PMC1"),
        "studies.csv",
        "source_url",
        "tomesphere.com is never evidence (ai summary",
    ),
    (
        "forbidden host in read_url",
        set_cell("clinical_arms.csv", {"trial_id": RCT, "arm": RCT_ARM}, "read_url", "https://www.scribd.com/document/1"),
        "clinical_arms.csv",
        "read_url",
        "www.scribd.com is never evidence (document sharing",
    ),
    (
        "bare IP address",
        set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "read_url", "http://47.251.13.51:8081/25298304"),
        "background_facts.csv",
        "read_url",
        "47.251.13.51 is never evidence (ip address",
    ),
    (
        "secondary host as the authoritative URL",
        set_cell("trials.csv", {"trial_id": RCT}, "source_url", "https://ctv.veeva.com/study/x"),
        "trials.csv",
        "source_url",
        "ctv.veeva.com is a secondary source (registry mirror); source_url takes only authoritative pages",
    ),
    (
        "host not in the policy",
        set_cell("clinical_outcomes.csv", {"outcome_id": OUTCOME}, "read_url", "https://example.org/copy"),
        "clinical_outcomes.csv",
        "read_url",
        "host 'example.org' is not in data/source_hosts.csv",
    ),
    (
        "no authoritative URL",
        set_cell("clinical_outcomes.csv", {"outcome_id": OUTCOME}, "source_url", ""),
        "clinical_outcomes.csv",
        "source_url",
        "is required but empty",
    ),
    (
        "URLs run together",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "source_url", "https://doi.org/10.1/x;https://pubmed.ncbi.nlm.nih.gov/1/"),
        "studies.csv",
        "source_url",
        "is two URLs run together",
    ),
    (
        "unknown host category",
        set_cell("source_hosts.csv", {"host": "doi.org"}, "category", "trusted"),
        "source_hosts.csv",
        "category",
        "'trusted' is not allowed; allowed values: authoritative, secondary, never",
    ),
    # trials and their records
    (
        "n_msc > n_enrolled",
        set_cell("trials.csv", {"trial_id": SINGLE["trial_id"]}, "n_msc", str(int(SINGLE["n_enrolled"]) + 1)),
        "trials.csv",
        "n_msc",
        "exceeds n_enrolled",
    ),
    (
        "external controls counted as enrolled",
        cells("trials.csv", {"trial_id": SINGLE["trial_id"]}, {"n_control": SINGLE["n_enrolled"]}),
        "trials.csv",
        "n_enrolled",
        "externally matched controls go in n_external_control",
    ),
    (
        "randomized without control",
        set_cell("trials.csv", {"trial_id": RCT}, "control_type", "none"),
        "trials.csv",
        "control_type",
        "a randomized trial needs a concurrent control arm",
    ),
    (
        "placebo-controlled coded not randomised",
        set_cell("trials.csv", {"trial_id": RCT}, "randomized", "false"),
        "trials.csv",
        "randomized",
        "a placebo-controlled trial is coded not randomised",
    ),
    (
        "design contradicts randomized",
        set_cell("trials.csv", {"trial_id": SINGLE["trial_id"]}, "randomized", "true"),
        "trials.csv",
        "randomized",
        "contradicts design='single_arm'",
    ),
    (
        "overlap with unknown trial",
        cells("trials.csv", {"trial_id": RCT}, {"overlaps_with": "ghost-trial", "overlap_note": "x"}),
        "trials.csv",
        "overlaps_with",
        "'ghost-trial' is not a trial_id in trials",
    ),
    (
        "overlap without a note",
        cells("trials.csv", {"trial_id": SINGLE["trial_id"]}, {"overlaps_with": RCT, "overlap_note": ""}),
        "trials.csv",
        "overlap_note",
        "say who overlaps with whom",
    ),
    (
        "overlap both ways",
        lambda d: (
            cells("trials.csv", {"trial_id": RCT}, {"overlaps_with": SINGLE["trial_id"], "overlap_note": "x"})(d),
            cells("trials.csv", {"trial_id": SINGLE["trial_id"]}, {"overlaps_with": RCT, "overlap_note": "x"})(d),
        )[1],
        "trials.csv",
        "overlaps_with",
        "list each other",
    ),
    (
        "related trials disagree",
        cells("trials.csv", {"trial_id": MARROW["trial_id"]}, {"registry_ids": ADIPOSE["registry_ids"], "notes": "", "overlap_note": ""}),
        "trials.csv",
        "cell_source",
        "which shares its registry id or participants, says",
    ),
    (
        "unknown column in not_reported",
        set_cell("trials.csv", {"trial_id": RCT}, "not_reported", "shoe_size"),
        "trials.csv",
        "not_reported",
        "'shoe_size' is not a column of trials",
    ),
    (
        "record without a trial",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "trial_id", ""),
        "studies.csv",
        "trial_id",
        "a clinical record needs its trial_id",
    ),
    (
        "record of an unknown trial",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "trial_id", "ghost-trial"),
        "studies.csv",
        "trial_id",
        "'ghost-trial' is not a trial_id in trials.csv",
    ),
    (
        "registration of another trial",
        set_cell("studies.csv", {"study_id": REGISTRY}, "registry_ids", "NCT09999999"),
        "studies.csv",
        "registry_ids",
        "NCT09999999 not among the registry_ids of trial",
    ),
    (
        "press release called peer reviewed",
        set_cell("studies.csv", {"study_id": first("studies.csv", record_kind="press_release")["study_id"]}, "publication_type", "peer_reviewed"),
        "studies.csv",
        "publication_type",
        "a press-release record is not peer reviewed",
    ),
    (
        "trial without records",
        lambda d: (
            set_cell("studies.csv", {"study_id": REGISTRY}, "trial_id", RCT)(d) if first("studies.csv", study_id=REGISTRY)["trial_id"] != RCT else 0
        ),
        "trials.csv",
        "trial_id",
        "has no record in studies.csv",
    ),
    (
        "peer-reviewed results without a results record",
        set_cell("studies.csv", {"study_id": RCT_RECORD}, "record_kind", "protocol"),
        "trials.csv",
        "results",
        "peer_reviewed results need a results",
    ),
    # outcomes
    (
        "slope per period",
        cells("clinical_outcomes.csv", {"outcome_id": OUTCOME}, {"measure": "alsfrs_r_slope_post", "unit": "points/period"}),
        "clinical_outcomes.csv",
        "unit",
        "slopes are stored per month ('points/month')",
    ),
    (
        "slope sign contradicts its note",
        cells(
            "clinical_outcomes.csv",
            {"outcome_id": OUTCOME},
            {"measure": "alsfrs_r_slope_post", "unit": "points/month", "mean": "0.28", "notes": "ALSFRS-R continued to decline"},
        ),
        "clinical_outcomes.csv",
        "mean",
        "is positive but notes describe a decline",
    ),
    (
        "safety count without its definition",
        set_cell("clinical_outcomes.csv", {"outcome_id": DEATHS}, "definition", ""),
        "clinical_outcomes.csv",
        "definition",
        "deaths counts need the source's definition",
    ),
    (
        "outcome of a missing arm",
        set_cell("clinical_outcomes.csv", {"outcome_id": OUTCOME}, "arm", "ghost"),
        "clinical_outcomes.csv",
        None,
        "refers to a missing record",
    ),
    # background, screening, bias, GRADE
    (
        "study without identifier",
        lambda d: (
            clear_identifiers("Najafi2023")(d),
            cells("studies.csv", {"study_id": "Najafi2023"}, {"volume": "", "pages": "", "source_url": "https://pubmed.ncbi.nlm.nih.gov/37427325/"})(
                d
            ),
        )[1],
        "studies.csv",
        "doi",
        "needs an identifier",
    ),
    (
        "interval bounds reversed",
        set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "value_low", str(float(FACT["value_high"]) + 1)),
        "background_facts.csv",
        "value_low",
        "exceeds upper bound",
    ),
    (
        "fact cites a missing source",
        set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "study_id", "Ghost2020"),
        "background_facts.csv",
        None,
        "refers to a missing record",
    ),
    (
        "arm of a missing trial",
        set_cell("clinical_arms.csv", {"trial_id": RCT, "arm": RCT_ARM}, "trial_id", "ghost-trial"),
        "clinical_arms.csv",
        None,
        "refers to a missing record",
    ),
    (
        "exclusion without reason",
        set_cell("screening_log.csv", {"exclusion_reason": "not_msc", "title_abstract_decision": "exclude"}, "exclusion_reason", ""),
        "screening_log.csv",
        "exclusion_reason",
        "needs a PRISMA reason",
    ),
    (
        "included study missing from screening",
        set_cell("screening_log.csv", {"study_id": RCT_RECORD}, "full_text_decision", "not_assessed"),
        "studies.csv",
        "study_id",
        "is not recorded as included in screening_log.csv",
    ),
    (
        "search count off",
        set_cell("search_log.csv", {"search_id": first("search_log.csv", records_identified="!0")["search_id"]}, "records_identified", "999"),
        "search_log.csv",
        "records_identified",
        "999 records, but screening_log.csv has",
    ),
    (
        "judgement not of the tool",
        set_cell("risk_of_bias.csv", {"assessed": RCT, "tool": "RoB2", "domain": "overall"}, "judgement", "critical"),
        "risk_of_bias.csv",
        "judgement",
        "'critical' is not a RoB2 judgement",
    ),
    (
        "assessment names a missing report",
        set_cell("risk_of_bias.csv", {"assessed": RCT, "tool": "RoB2", "domain": "overall"}, "report", "Ghost2020"),
        "risk_of_bias.csv",
        "report",
        "'Ghost2020' is not a study_id in studies.csv",
    ),
    (
        "trial without bias assessment",
        set_cell("risk_of_bias.csv", {"assessed": RCT, "tool": "RoB2", "domain": "overall"}, "domain", "general"),
        "trials.csv",
        "trial_id",
        "has results but no RoB2 assessment",
    ),
    (
        "animal study missing a SYRCLE item",
        lambda d: drop_rows(d / "risk_of_bias.csv", lambda r: r["tool"] == "SYRCLE" and r["assessed"] == ANIMAL and r["domain"].startswith("7 ")),
        "preclinical_studies.csv",
        "study_id",
        "has no SYRCLE judgement for item(s) 7",
    ),
    (
        "undated record not keyed nd",
        set_cell("studies.csv", {"study_id": ANIMAL}, "year", ""),
        "studies.csv",
        "year",
        "keyed ...nd or PMIDnnnn, may leave it blank",
    ),
    (
        "published record without a title",
        set_cell("studies.csv", {"study_id": "Uccelli2012"}, "title", ""),
        "studies.csv",
        "title",
        "known from a review's table",
    ),
    (
        "GRADE certainty does not add up",
        set_cell("grade.csv", {"outcome_id": "any_sae"}, "certainty", "moderate"),
        "grade.csv",
        "certainty",
        "does not follow from the ratings",
    ),
    (
        "GRADE refers to a missing outcome",
        set_cell("grade.csv", {"outcome_id": "responders"}, "comparison_key", "rr_survival"),
        "grade.csv",
        "comparison_key",
        "'rr_survival' is not a synthesis comparison",
    ),
]


@pytest.mark.parametrize("name,mutate,file,column,expected", CASES, ids=[c[0] for c in CASES])
def test_rule(tmp_path, name, mutate, file, column, expected):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    line = mutate(d)
    dataset.rehash(d)
    problems = dataset.validate(d)
    hits = [p for p in problems if p.file == f"data/{file}" and (column is None or p.column == column) and expected in p.message]
    assert hits, f"expected data/{file}:*:{column}: ...{expected}... in:\n" + "\n".join(map(str, problems))
    if name not in REPORTED_ELSEWHERE:
        assert any(p.row == line for p in hits), f"expected the problem on row {line}: {hits}"


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    set_cell("trials.csv", {"trial_id": RCT}, "cell_origin", "xenogeneic")(d)
    set_cell("studies.csv", {"study_id": RCT_RECORD}, "pmid", "abc")(d)
    set_cell("background_facts.csv", {"fact_id": FACT["fact_id"]}, "topic", "astrology")(d)
    dataset.rehash(d)
    files = {p.file for p in dataset.validate(d)}
    assert {"data/trials.csv", "data/studies.csv", "data/background_facts.csv"} <= files


def test_an_unparsable_cell_does_not_switch_off_the_rules_for_its_table(tmp_path):
    """The old failure: one cell that did not parse made every cross-field rule skip the whole table."""
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    fields, rows = read(d / "trials.csv")
    bad = next(i for i, r in enumerate(rows) if r["n_enrolled"])
    other = next(i for i, r in enumerate(rows) if i != bad and r["n_enrolled"] and r["n_msc"])
    rows[bad]["n_enrolled"] = "abc"
    rows[other]["n_msc"] = str(int(rows[other]["n_enrolled"]) + 5)
    write(d / "trials.csv", fields, rows)
    dataset.rehash(d)
    problems = [str(p) for p in dataset.validate(d)]
    assert f"data/trials.csv:{bad + 2}:n_enrolled: 'abc' is not a whole number" in problems
    assert any(p.startswith(f"data/trials.csv:{other + 2}:n_msc: n_msc (") and "exceeds n_enrolled" in p for p in problems), problems
    assert not any("cannot be read as a typed table" in p for p in problems)


def test_trial_names_that_read_alike_are_refused(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    fields, rows = read(d / "trials.csv")
    rows[1]["name"] = "  " + rows[0]["name"].upper().replace(" ", "  ") + " "
    write(d / "trials.csv", fields, rows)
    dataset.rehash(d)
    hits = [p for p in dataset.validate(d) if p.file == "data/trials.csv" and p.column == "name" and "reads the same as the name of" in p.message]
    assert [p.row for p in hits] == [3]


@pytest.mark.parametrize("target", ["outside", "folder"])
def test_a_data_file_that_is_a_link_or_folder_is_refused_unread(tmp_path, target):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    secret = tmp_path / "secret.txt"
    secret.write_text("search_id,review_version\nTOP-SECRET-LINE,1\n")
    (d / "search_log.csv").unlink()
    if target == "outside":
        (d / "search_log.csv").symlink_to(secret)
        why = "is a symbolic link; data files must be regular files inside data/"
    else:
        (d / "search_log.csv").mkdir()
        why = "is not a regular file"
    problems = [str(p) for p in dataset.validate(d)]
    assert [p for p in problems if p.startswith("data/search_log.csv")] == [f"data/search_log.csv: {why}" + problems_tail(problems, why)]
    assert not any("TOP-SECRET" in p for p in problems)
    dataset.rehash(d)  # rehash neither follows the link nor crashes
    assert "TOP-SECRET" not in (d / "datapackage.json").read_text()


def problems_tail(problems: list[str], why: str) -> str:
    hit = next(p for p in problems if why in p)
    return hit.split(why, 1)[1]


@pytest.mark.parametrize(
    "file,column",
    [("screening_log.csv", "record_id"), ("screening_log.csv", "search_id"), ("risk_of_bias.csv", "domain"), ("clinical_outcomes.csv", "arm")],
)
def test_identifiers_cannot_carry_markup(tmp_path, file, column):
    """Identifiers reach pages, the changelog and links: their schema pattern lets no markup in at all."""
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    fields, rows = read(d / file)
    index = next(i for i, r in enumerate(rows) if r[column])
    rows[index][column] = "x<img src=x onerror=alert(1)>"
    write(d / file, fields, rows)
    dataset.rehash(d)
    hits = [p for p in dataset.validate(d) if p.file == f"data/{file}" and p.column == column and p.row == index + 2]
    assert hits and "must match" in hits[0].message, hits


def test_missing_file_named_in_descriptor(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    (d / "risk_of_bias.csv").unlink()
    msgs = [str(p) for p in dataset.validate(d)]
    assert "data/risk_of_bias.csv: file not found, but datapackage.json names it for resource 'risk_of_bias'" in msgs


def test_empty_file(tmp_path):
    d = tmp_path / "data"
    shutil.copytree(ROOT / "data", d)
    (tmp_path / "pyproject.toml").write_text("")
    (d / "screening_log.csv").write_text("")
    dataset.rehash(d)
    assert any(str(p).startswith("data/screening_log.csv: file is empty; it needs at least the header row") for p in dataset.validate(d))


def test_descriptor_without_resources(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (tmp_path / "pyproject.toml").write_text("")
    (d / "datapackage.json").write_text(json.dumps({"name": "x"}))
    assert [str(p) for p in dataset.validate(d)] == ["data/datapackage.json::resources: must be a non-empty list of tabular resources"]

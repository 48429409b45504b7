"""The validate contract (issue 16): whatever `alsmsc validate` accepts, `alsmsc build` completes, and no input gets a
traceback.

Each mutation below breaks (or stresses) a copy of the data the way an attacker or a careless contributor would; the
names follow the issue's wording. Every one runs `alsmsc validate` in a fresh process and must end with exit 0 or 1 and
no traceback. A refused mutation must name the file (and the row and column when the problem is in a row) with a
message saying what is allowed; an accepted one must build (see :func:`test_accepted_mutations_build`).

All edits are made to copies of the data (fixture data, never published).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from alsmsc import dataset
from alsmsc.dataset import limits

from .conftest import ROOT, alsmsc, build, copy_project

pytestmark = pytest.mark.fixture_data

# --------------------------------------------------------------------------- how to break a copy


def edit_descriptor(change: Callable[[dict], object]) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        path = data / "datapackage.json"
        desc = json.loads(path.read_text(encoding="utf-8"))
        change(desc)
        path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return mutate


def resource(desc: dict, name: str) -> dict:
    return next(r for r in desc["resources"] if r["name"] == name)


def read_table(data: Path, table: str) -> tuple[list[str], list[dict]]:
    with (data / f"{table}.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def write_table(data: Path, table: str, fields: list[str], rows: list[dict], delimiter: str = ",") -> None:
    with (data / f"{table}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", delimiter=delimiter, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def first_row(rows: list[dict], **where: str) -> int:
    """Index of the first row whose columns have the given values ('*' = any non-empty value)."""
    return next(i for i, r in enumerate(rows) if all((r[k] != "") if v == "*" else (r[k] == v) for k, v in where.items()))


def edit_rows(table: str, change: Callable[[list[str], list[dict]], object], rehash: bool = True) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        fields, rows = read_table(data, table)
        change(fields, rows)
        write_table(data, table, fields, rows)
        if rehash:
            dataset.rehash(data)

    return mutate


def set_cells(table: str, where: dict | None = None, **values: str) -> Callable[[Path], None]:
    """Set columns of one row (the first matching ``where``, else the first row); checksums are then recorded."""

    def change(fields, rows):
        rows[first_row(rows, **(where or {}))].update(values)

    return edit_rows(table, change)


def append_to_cell(table: str, column: str, suffix: str) -> Callable[[Path], None]:
    return edit_rows(table, lambda fields, rows: rows[0].update({column: rows[0][column] + suffix}))


def drop_column(table: str, column: str, from_schema: bool = False) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        fields, rows = read_table(data, table)
        write_table(data, table, [f for f in fields if f != column], rows)
        if from_schema:  # no rehash: the descriptor no longer passes, which is the point
            edit_descriptor(
                lambda d: resource(d, table)["schema"].update(fields=[f for f in resource(d, table)["schema"]["fields"] if f["name"] != column])
            )(data)
        else:
            dataset.rehash(data)

    return mutate


def semicolon_delimited(table: str) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        fields, rows = read_table(data, table)
        write_table(data, table, fields, rows, delimiter=";")
        dataset.rehash(data)

    return mutate


def header_only(*tables: str) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        for table in tables:
            path = data / f"{table}.csv"
            path.write_text(path.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
        dataset.rehash(data)

    return mutate


def deeply_nested(data: Path) -> None:
    path = data / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"description": ', '"description": ' + "[" * 100_000 + "]" * 100_000 + ", " + '"x": ', 1), encoding="utf-8")


def nan_in_descriptor(data: Path) -> None:
    path = data / "datapackage.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"bytes": ', '"bytes": NaN, "x": ', 1), encoding="utf-8")


def grow_table(table: str, target_bytes: int) -> Callable[[Path], None]:
    def mutate(data: Path) -> None:
        path = data / f"{table}.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        body = "\n".join(lines[1:]) + "\n"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(lines[0] + "\n")
            for _ in range(target_bytes // len(body.encode()) + 1):
                fh.write(body)
        dataset.rehash(data)

    return mutate


def many_rows(table: str, n: int) -> Callable[[Path], None]:
    def change(fields, rows):
        rows[:] = [{**rows[0], **{f: rows[0][f] for f in fields}} for _ in range(n)]

    return edit_rows(table, change)


def latin1_file(data: Path) -> None:
    path = data / "studies.csv"
    path.write_bytes(path.read_bytes().replace(b"Petrou", "Pétrou".encode("latin-1"), 1))
    dataset.rehash(data)


def duplicate_in_other_case(fields, rows):
    copy = dict(rows[0])
    copy["study_id"] = copy["study_id"].upper()
    rows.append(copy)


def field(desc: dict, table: str, name: str) -> dict:
    return next(f for f in resource(desc, table)["schema"]["fields"] if f["name"] == name)


def animal_survival_sd_zero(fields, rows):
    rows[0].update(
        survival_statistic="mean",
        survival_msc_days="120",
        survival_control_days="110",
        survival_dispersion_msc="0",
        survival_dispersion_control="5",
        survival_dispersion_type="sd",
    )


def zero_and_full_counts(fields, rows):
    """Every count row: no events in trials of even rank, all participants in the others (the edge cases of risk
    ratios, proportions and their exact intervals)."""
    trials = sorted({r["trial_id"] for r in rows})
    for r in rows:
        if r["events"] and r["total"]:
            r["events"] = "0" if trials.index(r["trial_id"]) % 2 == 0 else r["total"]


def spell_booleans(fields, rows):
    """Frictionless accepts TRUE/1 and FALSE/0 too; they must reach the analyses as booleans, not as blanks."""
    rows[first_row(rows, randomized="true")]["randomized"] = "TRUE"
    rows[first_row(rows, randomized="false")]["randomized"] = "0"


# --------------------------------------------------------------------------- the mutations

SD_ROW = {"dispersion_type": "sd", "mean": "*"}
COUNT_ROW = {"events": "*", "total": "*"}
DP = "data/datapackage.json::"

# name: (mutation, where the message must point (prefix), what it must say)
REFUSED: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # -- tracebacks before issue 16
    "resource path is a list": (
        edit_descriptor(lambda d: resource(d, "trials").update(path=["trials.csv"])),
        DP + "resources[1].path",
        "JSON type string",
    ),
    "resource path is a number": (edit_descriptor(lambda d: resource(d, "trials").update(path=42)), DP + "resources[1].path", "JSON type string"),
    "resource path outside data/": (
        edit_descriptor(lambda d: resource(d, "grade").update(path="../pyproject.toml")),
        DP + "resources[10].path",
        "must match",
    ),
    "schema given as a URL": (
        edit_descriptor(lambda d: resource(d, "trials").update(schema="https://example.org/schema.json")),
        DP + "resources[1].schema",
        "JSON type object",
    ),
    "schema given as a string": (
        edit_descriptor(lambda d: resource(d, "studies").update(schema="fields")),
        DP + "resources[2].schema",
        "JSON type object",
    ),
    "schema without fields": (
        edit_descriptor(lambda d: resource(d, "trials")["schema"].pop("fields")),
        DP + "resources[1].schema",
        "'fields' is missing",
    ),
    "deeply nested JSON in datapackage.json": (deeply_nested, "data/datapackage.json:", "nested too deeply"),
    "NaN in datapackage.json": (nan_in_descriptor, "data/datapackage.json:", "NaN is not a JSON value"),
    "descriptor is a list": (lambda d: (d / "datapackage.json").write_text("[]"), "data/datapackage.json:", "must be a JSON object"),
    "CSV missing a required column: trials.randomized": (drop_column("trials", "randomized"), "data/trials.csv:1", "the header must be exactly"),
    "CSV missing a required column: clinical_outcomes.measure": (
        drop_column("clinical_outcomes", "measure"),
        "data/clinical_outcomes.csv:1",
        "the header must be exactly",
    ),
    "CSV missing a required column: studies.record_type": (drop_column("studies", "record_type"), "data/studies.csv:1", "the header must be exactly"),
    "CSV delimited by ;": (semicolon_delimited("studies"), "data/studies.csv:1", "separated by ';'"),
    "field removed from both schema and CSV": (
        drop_column("trials", "control_type", from_schema=True),
        DP + "resources[1].schema.fields",
        "field 'control_type' of trials is missing",
    ),
    "field retyped in the schema": (
        edit_descriptor(lambda d: field(d, "clinical_outcomes", "mean").update(type="string")),
        DP + "resources[4].schema.fields",
        "it must be number",
    ),
    "resource the analyses read renamed": (
        edit_descriptor(lambda d: resource(d, "grade").update(name="certainty")),
        DP + "resources",
        "'grade' is missing",
    ),
    "foreign key to a missing resource": (
        edit_descriptor(
            lambda d: resource(d, "grade")["schema"].update(
                foreignKeys=[{"fields": ["outcome"], "reference": {"resource": "nowhere", "fields": ["x"]}}]
            )
        ),
        DP + "resources[10].schema.foreignKeys[0]",
        "'nowhere', which the package does not have",
    ),
    "pattern that is not a regular expression": (
        edit_descriptor(lambda d: field(d, "trials", "trial_id")["constraints"].update(pattern="([a-z")),
        DP + "resources[1].schema.fields[0].constraints.pattern",
        "not a valid regular expression",
    ),
    "unknown hash algorithm": (edit_descriptor(lambda d: resource(d, "grade").update(hash="sha999:00ff")), DP + "resources[10].hash", "must match"),
    "declared latin-1 encoding": (edit_descriptor(lambda d: resource(d, "trials").update(encoding="latin-1")), DP + "resources[1].encoding", "utf-8"),
    "CSV dialect with another delimiter": (
        edit_descriptor(lambda d: resource(d, "trials").update(dialect={"delimiter": ";"})),
        DP + "resources[1]",
        "unknown key(s) 'dialect'",
    ),
    # -- validate passed, the build failed or misbehaved
    "study ids that differ only in case": (edit_rows("studies", duplicate_in_other_case), "data/studies.csv:", "differs only in case"),
    "year too large for an integer": (set_cells("studies", year="99999999999999999999"), "data/studies.csv:2:year", "too large"),
    "year far in the future": (set_cells("studies", year="30000"), "data/studies.csv:2:year", "is in the future"),
    "whitespace-only title": (set_cells("studies", title="   "), "data/studies.csv:2:title", "only white space"),
    "NaN in means": (set_cells("clinical_outcomes", {"mean": "*"}, mean="NaN"), "data/clinical_outcomes.csv:", "not a finite number"),
    "inf in means": (set_cells("clinical_outcomes", {"mean": "*"}, mean="inf"), "data/clinical_outcomes.csv:", "not a finite number"),
    "-Infinity in means": (set_cells("clinical_outcomes", {"mean": "*"}, mean="-Infinity"), "data/clinical_outcomes.csv:", "not a finite number"),
    "1e999 in means (overflows to inf)": (
        set_cells("clinical_outcomes", {"mean": "*"}, mean="1e999"),
        "data/clinical_outcomes.csv:",
        "not a finite number",
    ),
    "NaN in follow-up months": (set_cells("trials", follow_up_months="NaN"), "data/trials.csv:2:follow_up_months", "not a finite number"),
    "inf in follow-up months": (set_cells("trials", follow_up_months="inf"), "data/trials.csv:2:follow_up_months", "not a finite number"),
    "number too large": (set_cells("trials", follow_up_months="1e300"), "data/trials.csv:2:follow_up_months", "too large"),
    "integer too large": (set_cells("trials", n_enrolled=str(2**63)), "data/trials.csv:2:n_enrolled", "too large"),
    "number written with _": (set_cells("trials", follow_up_months="1_000"), "data/trials.csv:2:follow_up_months", "no '_'"),
    "SD so small its variance rounds to 0": (set_cells("clinical_outcomes", SD_ROW, dispersion="1e-300"), "data/clinical_outcomes.csv:", "too small"),
    "SD 0 in a pooled mean difference": (set_cells("clinical_outcomes", SD_ROW, dispersion="0"), "data/clinical_outcomes.csv:", "zero variance"),
    "0 events of 0": (set_cells("clinical_outcomes", COUNT_ROW, events="0", total="0"), "data/clinical_outcomes.csv:", "total is 0"),
    "SD 0 in animal survival": (edit_rows("preclinical_studies", animal_survival_sd_zero), "data/preclinical_studies.csv:2:", "above 0"),
    "required table with a header and no rows: grade": (header_only("grade"), "data/grade.csv", "has a header but no rows"),
    "every table with a header and no rows": (
        header_only(*(p.stem for p in (ROOT / "data").glob("*.csv"))),
        "data/trials.csv",
        "has a header but no rows",
    ),
    "dataset version missing": (edit_descriptor(lambda d: d.pop("version")), "data/datapackage.json:", "'version' is missing"),
    "dataset version abc": (edit_descriptor(lambda d: d.update(version="abc")), DP + "version", "must match"),
    "dataset version <script>": (edit_descriptor(lambda d: d.update(version="<script>alert(1)</script>")), DP + "version", "must match"),
    "NUL bytes in text": (append_to_cell("studies", "title", "\x00 hidden"), "data/studies.csv:2:title", "U+0000"),
    "NUL bytes in every row": (
        edit_rows("search_log", lambda fields, rows: [r.update(notes="\x00") for r in rows]),
        "data/search_log.csv",
        "more problems like the 200 above are not listed",
    ),
    "NUL bytes in the descriptor's title": (
        edit_descriptor(lambda d: resource(d, "trials").update(title="Trials\x00")),
        DP + "resources[1].title",
        "contains a control character",
    ),
    "release date that is not a date": (edit_descriptor(lambda d: d.update(created="2026-13-45")), DP + "created", "must match"),
    "escape sequence in text": (append_to_cell("trials", "notes", "\x1b[31m red"), "data/trials.csv:2:notes", "U+001B"),
    "right-to-left override in text": (append_to_cell("trials", "name", "\u202egnp.exe"), "data/trials.csv:2:name", "U+202E"),
    "line break in a one-line column": (set_cells("studies", {"doi": "*"}, doi="10.1000/abc\nxyz"), "data/studies.csv:", "line break"),
    "CSV saved as latin-1": (latin1_file, "data/studies.csv:", "not UTF-8 text"),
    "second URL after ; using a javascript: scheme": (
        append_to_cell("studies", "source_url", ";javascript:alert(document.cookie)"),
        "data/studies.csv:2:source_url",
        "javascript: URL after a separator",
    ),
    "javascript: URL in read_url": (set_cells("studies", read_url="javascript:alert(1)"), "data/studies.csv:2:read_url", "only http:// and https://"),
    "URL with a malformed host": (set_cells("studies", read_url="https://[::1/x"), "data/studies.csv:2:read_url", "not a well-formed URL"),
    "10 MB free-text field": (set_cells("studies", notes="x" * 10_000_000), "data/studies.csv:", f"longer than {limits.MAX_CELL_CHARS:,}"),
    "50 MB facts table": (grow_table("background_facts", 50_000_000), "data/background_facts.csv", "a table may be at most"),
    "too many rows": (many_rows("source_hosts", limits.MAX_ROWS + 1), "data/source_hosts.csv", f"more than {limits.MAX_ROWS:,} data rows"),
}

# Accepted by validate, so the build must complete with them (all applied to one copy; see test_accepted_mutations_build).
HOSTILE = "<script>alert(1)</script> {eval}`1+1` $$x$$ ``` <!-- & %} {% } { \\ @ # _ ^ ~ [x](javascript:alert(1))"
ACCEPTED: dict[str, Callable[[Path], None]] = {
    "hostile HTML, MyST and BibTeX in free text": set_cells("studies", {"doi": "*"}, title=HOSTILE, notes=HOSTILE, journal="J {of} %Tests"),
    "hostile text in trial names and summaries": set_cells("trials", name="Trial <b>bold</b> {n}`x`", efficacy_summary=HOSTILE, notes=HOSTILE),
    "a note just under the cell limit": set_cells("trials", overlap_note="word " * ((limits.MAX_CELL_CHARS - 10) // 5)),
    "multi-line notes with tabs": set_cells("clinical_outcomes", notes="first line\n\tsecond line\r\nthird"),
    "non-BMP, combining and right-to-left text": set_cells("background_facts", population="𝔘𝔫𝔦 🧬 e\u0301 العربية עברית"),
    "large but allowed numbers": set_cells("trials", follow_up_months="1e12", n_planned=str(limits.MAX_INTEGER)),
    "a trial name at the cell limit": set_cells("trials", {"design": "randomized_controlled"}, name="N" * limits.MAX_CELL_CHARS),
    "no events in some trials, every participant in others": edit_rows("clinical_outcomes", zero_and_full_counts),
    "a dispersion of 0 given as an IQR": set_cells("clinical_outcomes", SD_ROW, dispersion="0", dispersion_type="iqr"),
    "timepoints far apart": edit_rows(
        "clinical_outcomes", lambda fields, rows: [r.update(timepoint_months=t) for r, t in zip(rows, ("-0.5", "1e6"))]
    ),
    "the earliest year allowed": set_cells("studies", {"doi": "*"}, year="1950"),
    "booleans spelled TRUE and 0": edit_rows("trials", spell_booleans),
}


def fresh(tmp_path: Path) -> Path:
    """A project with only the data (enough for `alsmsc validate`)."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "pyproject.toml").write_text("")
    return tmp_path


def assert_clean_exit(proc) -> None:
    out = proc.stdout + proc.stderr
    assert "Traceback" not in out, out[-3000:]
    assert proc.returncode in (0, 1), (proc.returncode, out[-3000:])
    assert "could not run on this data" not in out, f"a rule tripped on this input instead of a precise message:\n{out[-3000:]}"


def test_the_mutations_cover_the_issue():
    """The issue's list, by name: every input it reports is a mutation here."""
    named = " | ".join(REFUSED)
    for wording in (
        "resource path is a list",
        "resource path is a number",
        "schema given as a URL",
        "schema given as a string",
        "schema without fields",
        "deeply nested JSON",
        "CSV missing a required column",
        "CSV delimited by ;",
        "field removed from both schema and CSV",
        "unknown hash algorithm",
        "differ only in case",
        "year too large",
        "whitespace-only title",
        "NaN in means",
        "inf in means",
        "NaN in follow-up months",
        "inf in follow-up months",
        "SD 0 in a pooled mean difference",
        "0 events of 0",
        "header and no rows",
        "dataset version missing",
        "dataset version abc",
        "dataset version <script>",
        "NUL bytes",
        "declared latin-1 encoding",
        "javascript: scheme",
        "10 MB free-text field",
        "50 MB facts table",
    ):
        assert wording in named, wording


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_with_a_precise_message(tmp_path, name):
    mutate, where, message = REFUSED[name]
    root = fresh(tmp_path)
    mutate(root / "data")
    proc = alsmsc(root, "validate")
    assert_clean_exit(proc)
    assert proc.returncode == 1, f"validate accepted {name!r}:\n{proc.stdout}"
    lines = [line for line in proc.stderr.splitlines() if not line.startswith("alsmsc validate:")]
    assert lines and all(line.startswith("data/") for line in lines), proc.stderr[-3000:]
    hits = [line for line in lines if line.startswith(where) and message in line]
    assert hits, f"expected {where} ... {message}; got:\n" + "\n".join(lines[:40])
    if where.endswith(".csv:"):  # a problem in a row: the line names it (and the column when one cell is at fault)
        assert any(re.match(rf"{re.escape(where)}\d+(:[a-z_]+)?: ", line) for line in hits), hits


@pytest.mark.parametrize("name", list(ACCEPTED))
def test_accepted_mutation_validates(tmp_path, name):
    root = fresh(tmp_path)
    ACCEPTED[name](root / "data")
    proc = alsmsc(root, "validate")
    assert_clean_exit(proc)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.slow
def test_accepted_mutations_build(tmp_path):
    """Every accepted mutation, all applied to one copy and built once (one cold build instead of one each: they edit
    different rows and columns, so none hides another); validate must accept the lot and the build must complete."""
    root = copy_project(tmp_path / "p")
    for mutate in ACCEPTED.values():
        mutate(root / "data")
    proc = alsmsc(root, "validate")
    assert_clean_exit(proc)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = build(root, check=False)
    assert "Traceback" not in result["output"], result["output"][-5000:]
    assert result["returncode"] == 0 and result["ok"], result["output"][-5000:]
    # the hostile title reached the book as text, not as markup
    references = (root / "_build" / "html" / "references.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in references and "&lt;script&gt;" in references


def test_descriptor_checks_run_before_any_file_is_read(tmp_path):
    """A structural problem stops validation before the CSV files are opened (a broken descriptor cannot be trusted to
    say which files to read), and it is reported with every other structural problem at once."""
    root = fresh(tmp_path)
    edit_descriptor(lambda d: (resource(d, "trials").update(path=["x"]), resource(d, "grade").update(hash="sha999:00"), d.update(version="abc")))(
        root / "data"
    )
    (root / "data" / "studies.csv").write_bytes(b"\xff\xfe broken")
    problems = [str(p) for p in dataset.validate(root / "data")]
    assert all(p.startswith("data/datapackage.json") for p in problems), problems
    assert {"resources[1].path", "resources[10].hash", "version"} <= {p.split("::")[1].split(":")[0] for p in problems}


def test_table_helpers_round_trip(tmp_path):
    """The CSV helpers above write what they read: a copy round-trips byte for byte (so a mutation changes only what
    it means to change)."""
    root = fresh(tmp_path)
    before = (root / "data" / "trials.csv").read_bytes()
    fields, rows = read_table(root / "data", "trials")
    write_table(root / "data", "trials", fields, rows)
    assert (root / "data" / "trials.csv").read_bytes() == before


def test_rehash_works_while_the_descriptor_is_wrong(tmp_path):
    """`alsmsc rehash` needs only the resources' files, so an edit to a table can be recorded while validate still
    refuses another part of the descriptor."""
    root = fresh(tmp_path)
    edit_descriptor(lambda d: d.update(version="abc"))(root / "data")
    edit_rows("grade", lambda fields, rows: rows[0].update(reasons=rows[0]["reasons"] + " (checked)"), rehash=False)(root / "data")
    proc = alsmsc(root, "rehash")
    assert_clean_exit(proc)
    assert proc.returncode == 0 and "grade" in proc.stdout, proc.stdout + proc.stderr
    assert alsmsc(root, "validate").stderr.startswith(DP + "version")
    edit_descriptor(lambda d: d.update(version="2.2.1"))(root / "data")
    proc = alsmsc(root, "validate")
    assert proc.returncode == 0, proc.stderr  # the edit's checksum was recorded while the version was wrong


def test_every_boolean_spelling_validate_accepts_is_read_as_that_boolean(tmp_path):
    root = fresh(tmp_path)
    before = dataset.load(root / "data", ["trials"])["trials"]["randomized"].tolist()
    spell = edit_rows("trials", spell_booleans)
    spell(root / "data")
    after = dataset.load(root / "data", ["trials"])["trials"]["randomized"]
    assert after.notna().all() and after.tolist() == before


def test_a_rule_that_trips_becomes_a_problem_not_a_traceback(tmp_path, monkeypatch):
    """The last line of defence: a cross-field rule that fails on data no mutation above foresaw still ends in a
    message on the package (and the mutations above assert that none of them needs it)."""
    from alsmsc.dataset import rules

    def trips(t, desc, year):
        raise KeyError("a column this rule expected")
        yield

    monkeypatch.setattr(rules, "RULES", [*rules.RULES, trips])
    problems = [str(p) for p in dataset.validate(fresh(tmp_path) / "data")]
    assert problems == [
        "data/datapackage.json: the check trips could not run on this data (KeyError: 'a column this rule expected'); fix the other problems first"
    ]

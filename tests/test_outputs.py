"""What notebooks produce: deterministic files, escaped tables, offline-ready chart HTML."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from alsmsc import dataset
from alsmsc.analyses import trials
from alsmsc.publish import bibliography, charts, outputs

from .conftest import ROOT

FIXTURE = pd.DataFrame({"study": ["<script>alert(1)</script>", "B"], "n": [3, None]})  # fixture data, not evidence


@pytest.mark.fixture_data
def test_outputs_are_byte_identical_across_runs(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)  # no kernel here; glue is tested through the book
    chart = alt.Chart(FIXTURE.fillna(0)).mark_bar().encode(x="study:N", y="n:Q")
    digests = []
    for run in ("a", "b"):
        out = outputs.Outputs(tmp_path / run, "0.1.0", "abc")
        out.number("n_rows", 2)
        out.table("tbl", FIXTURE)
        out.chart("fig", chart, alt_text="fixture chart")
        digests.append({p.relative_to(tmp_path / run): p.read_bytes() for p in sorted((tmp_path / run).rglob("*")) if p.is_file()})
    assert digests[0] == digests[1]
    assert set(map(str, digests[0])) == {
        "numbers.json",
        "tables/tbl.csv",
        "tables/tbl.html",
        "figures/fig.vl.json",
        "figures/fig.svg",
        "figures/fig.html",
        "figures/fig.alt.txt",
    }


@pytest.mark.fixture_data
def test_table_html_escapes_markup_and_shows_missing_as_dash():
    html = outputs.HTMLTable(FIXTURE)._repr_mimebundle_()["text/html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "—" in html and "&lt;NA&gt;" not in html and "nan" not in html


@pytest.mark.fixture_data
def test_chart_html_is_offline_ready_and_deterministic():
    chart = alt.Chart(FIXTURE.fillna(0)).mark_point().encode(x="study:N", y="n:Q")
    a, b = charts.to_html(charts.spec(chart), "k", "alt <text>"), charts.to_html(charts.spec(chart), "k", "alt <text>")
    assert a == b
    assert 'id="alsmsc-chart-k"' in a
    assert 'aria-label="alt &lt;text&gt;"' in a
    assert "<noscript><img" in a and "data:image/svg+xml;base64," in a
    # Altair loads a library from the CDN only when VEGA_DEBUG lacks its version; the book sets those versions.
    assert f'maybeLoadScript("vega", "{alt.VEGA_VERSION}")' in a


@pytest.mark.fixture_data
def test_a_chart_carries_its_data_as_an_escaped_table(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    frame = pd.DataFrame({"study": ["<script>x</script>", "B"], "n": [3.0, 12.3456], "year": [2012, 2020]})  # fixture data
    points = (
        alt.Chart(frame)
        .mark_point()
        .encode(x=alt.X("n:Q", title="Enrolled"), y=alt.Y("study:N", title="Study"), tooltip=[alt.Tooltip("year:O", title="Year")])
    )
    rule = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule().encode(x="zero:Q")  # a drawing aid, no title
    [table] = charts.chart_data(charts.spec(alt.layer(points, rule)))
    assert list(table.columns) == ["Year", "Enrolled", "Study"]  # tooltip first; the untitled reference line left out
    out = outputs.Outputs(tmp_path, "0.1.0", "abc")
    out.chart("fig", alt.layer(points, rule), alt_text="fixture chart")
    html = (tmp_path / "figures" / "fig.html").read_text()
    data = html[html.index('<details class="alsmsc-chart-data">') :]
    assert "<script>x" not in data and "&lt;script&gt;x" in data
    assert "<td>12.3</td>" in data and "<td>3</td>" in data and "<td>2012</td>" in data  # the book's number policy
    assert (tmp_path / "tables" / "fig_data.csv").read_text().startswith("Year,Enrolled,Study")


def test_non_finite_numbers_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    with pytest.raises(ValueError, match="non-finite"):
        outputs.Outputs(tmp_path).number("bad", float("nan"))


def _trial(tid, results="peer_reviewed", n=None, overlaps=None, n_overlapping=None, external=None, **extra):
    row = {
        "trial_id": tid,
        "name": f"Trial {tid}",
        "results": results,
        "n_enrolled": n,
        "overlaps_with": overlaps,
        "n_overlapping": n_overlapping,
        "n_external_control": external,
        "randomized": False,
        "primary_endpoint_met": "pending",
        "phase": "1",
        "design": "single_arm",
        "product_class": "cells",
        "country": "Nowhere",
        "status": "completed",
    }
    return {**row, **extra}


@pytest.mark.fixture_data
def test_people_are_counted_once_by_the_stated_overlap_rules():
    fixture = pd.DataFrame(
        [
            _trial("a", n=10),
            _trial("b", n=10, overlaps="a", n_overlapping=4),  # adds its 6 new people
            _trial("c", n=30, overlaps="a"),  # overlap unknown: adds no one
            _trial("d", results="none", n=100),  # no results: planned or enrolled, not counted
            _trial("e", n=None),  # size not reported
            _trial("f", n=5, external=50),  # external controls are never enrolled
            _trial("g", results="press_release_only", n=8, overlaps="f", n_overlapping=8),  # all already counted
        ]
    ).astype({"n_enrolled": "Int64", "n_overlapping": "Int64", "n_external_control": "Int64"})
    assert trials.participants(fixture) == {
        "n_participants_once": 10 + 6 + 5 + 0,
        "n_trials_overlap_unknown": 1,
        "n_trials_missing_n": 1,
        "n_external_controls": 50,
    }


def test_real_counts_are_per_trial():
    t = dataset.load(ROOT / "data", ["trials", "studies"])
    counts = trials.counts(t["trials"], t["studies"])
    clinical = t["studies"][t["studies"]["record_type"] == "clinical"]
    assert counts["n_trials"] == t["trials"]["trial_id"].nunique() < counts["n_records"] == len(clinical)
    table = trials.table(t["trials"], t["studies"])
    assert len(table) == counts["n_trials"] and table["Trial"].is_unique
    # every record's trial is listed, and each trial lists its records
    listed = {r for cell in table["Records"] for r in cell.split(", ") if r}
    assert listed == set(clinical["study_id"])


def test_bibliography_has_every_record_and_parses():
    from pybtex.database import parse_string

    studies = dataset.load(ROOT / "data", ["studies"])["studies"]
    bib = parse_string(bibliography.render(studies), "bibtex")
    assert set(bib.entries) == set(studies["study_id"])
    for sid, entry in bib.entries.items():
        row = studies.set_index("study_id").loc[sid]
        assert (
            entry.fields.get("doi") or entry.fields.get("pubmed") or entry.fields.get("note", "").startswith("Registry") or entry.fields.get("url")
        ), sid
        if pd.notna(row["doi"]):
            assert entry.fields["doi"] == row["doi"]
        author = str(entry.persons["author"][0])
        if pd.isna(row["first_author"]) and pd.isna(row["registry_ids"]):  # never cited as a registry it is not
            assert "not shown" in author, sid
        if pd.isna(row["title"]):
            assert entry.fields["title"].startswith("{[title not shown"), sid


@pytest.mark.fixture_data
def test_large_inputs_stay_small_on_the_page():
    n = 5000
    big = pd.DataFrame([_trial(f"synthetic-{i:05d}", n=10, route="intrathecal;intravenous", cell_source="bone_marrow") for i in range(n)]).astype(
        {"n_enrolled": "Int64"}
    )
    records = pd.DataFrame(
        {
            "study_id": [f"Synthetic{i:05d}" for i in range(n)],
            "record_type": "clinical",
            "trial_id": [f"synthetic-{i:05d}" for i in range(n)],
            "record_kind": "results",
            "year": pd.array([2000 + i % 25 for i in range(n)], dtype="Int64"),
        }
    )
    chart_data = charts.spec(trials.evidence_map(big, records))["datasets"]
    assert max(len(rows) for rows in chart_data.values()) <= 25 * 2  # year x route cells, not 10,000 points
    html = outputs.HTMLTable(big, note_key="tbl_big")._repr_mimebundle_()["text/html"]
    assert html.count("<tr") == outputs.HTMLTable.MAX_ROWS + 1 and "Showing the first 250 of 5000 rows" in html


@pytest.mark.fixture_data
def test_risk_of_bias_traffic_light_is_capped():
    from alsmsc.analyses import risk_of_bias

    big = pd.DataFrame(
        [
            {"assessed": f"synth-{i:03d}", "tool": "ROBINS-I", "domain": d, "judgement": "critical", "support": "fixture"}
            for i in range(200)
            for d in ("confounding", "overall")
        ]
    )
    data_rows = charts.spec(risk_of_bias.traffic_light(big, "ROBINS-I"))["datasets"]
    assert max(len(v) for v in data_rows.values()) == risk_of_bias.MAX_STUDIES * 2


def test_atomic_writes_give_files_the_mode_a_plain_write_would(tmp_path):
    import os

    from alsmsc.files import atomic as aio

    old = os.umask(0o022)
    try:
        aio.atomic_write_text(tmp_path / "new.txt", "x")
        assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644  # mkstemp alone gives 0600
        (tmp_path / "kept.txt").write_text("old")
        (tmp_path / "kept.txt").chmod(0o640)
        aio.atomic_write_text(tmp_path / "kept.txt", "new")
        assert (tmp_path / "kept.txt").stat().st_mode & 0o777 == 0o640 and (tmp_path / "kept.txt").read_text() == "new"
    finally:
        os.umask(old)


class _FakeEvents:
    """Stands in for IPython's event hooks: the test plays the kernel finishing a cell."""

    def __init__(self):
        self.hooks = []

    def register(self, name, fn):
        assert name == "post_run_cell"
        self.hooks.append(fn)

    def cell_done(self):
        for fn in self.hooks:
            fn(None)


def test_numbers_are_written_once_per_cell_not_once_per_number(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    events = _FakeEvents()
    monkeypatch.setattr(outputs, "_ipython_events", lambda: events)
    writes = []
    real = outputs.Outputs._write_numbers
    monkeypatch.setattr(outputs.Outputs, "_write_numbers", lambda self: (writes.append(1), real(self)))
    out = outputs.Outputs(tmp_path, "1.0.0", "abc")
    for i in range(500):
        out.number(f"n{i}", i)
    assert writes == [] and not (tmp_path / "numbers.json").exists()  # nothing written mid-cell
    events.cell_done()
    assert len(writes) == 1 and json.loads((tmp_path / "numbers.json").read_text())["numbers"]["n499"] == 499
    events.cell_done()  # a cell that added no number writes nothing
    assert len(writes) == 1


def test_outside_a_notebook_each_number_is_on_disk_at_once(tmp_path, monkeypatch):
    import json

    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    monkeypatch.setattr(outputs, "_ipython_events", lambda: None)
    out = outputs.Outputs(tmp_path)
    out.number("a", 1)
    assert json.loads((tmp_path / "numbers.json").read_text())["numbers"] == {"a": 1}


@pytest.mark.fixture_data
def test_a_trial_drawn_once_per_route_is_one_row_of_the_chart_data():
    frame = pd.DataFrame({"trial": ["A", "A", "B"], "route": ["IT", "IV", "IT"], "year": [2010, 2010, 2012]})  # fixture data
    chart = (
        alt.Chart(frame)
        .mark_point()
        .encode(x=alt.X("year:O", title="Year"), y=alt.Y("route:N", title="Route"), tooltip=[alt.Tooltip("trial:N", title="Trial")])
    )
    [table] = charts.chart_data(charts.spec(chart))
    assert table.to_dict("records") == [{"Trial": "A", "Year": 2010, "Route": "IT; IV"}, {"Trial": "B", "Year": 2012, "Route": "IT"}]
    # rows that differ in two columns keep their pairing
    two = pd.DataFrame({"trial": ["A", "A"], "route": ["IT", "IV"], "year": [2010, 2011]})
    [kept] = charts.chart_data(charts.spec(chart.properties(data=two)))
    assert len(kept) == 2


def test_downloads_for_spreadsheets_do_not_carry_formulas(tmp_path, monkeypatch):
    """OWASP CSV injection: text that starts with = + - @ tab or CR gets an apostrophe; numbers stay numbers."""
    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    hostile = ['=HYPERLINK("http://x","y")', "+SUM(A1)", "-2+3*cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "plain"]
    frame = pd.DataFrame({"study": hostile, "effect": [-0.5, 1.0, -2.25, 0.0, 3.0, -1e-3], "text_number": ["-0.5", "+3", "-1e-3", "4", "5", "6"]})
    out = outputs.Outputs(tmp_path, "0.1.0", "abc")
    out.table("t", frame)
    back = pd.read_csv(tmp_path / "tables" / "t.csv", dtype=str, keep_default_na=False)
    assert list(back["study"]) == ["'" + v for v in hostile[:5]] + ["plain"]
    assert list(back["effect"]) == ["-0.5", "1", "-2.25", "0", "3", "-0.001"]  # numbers untouched
    assert list(back["text_number"]) == ["-0.5", "+3", "-1e-3", "4", "5", "6"]  # numbers written as text too
    html = (tmp_path / "tables" / "t.html").read_text()
    assert "&#x27;=HYPERLINK" not in html and "=HYPERLINK" in html  # the page shows the value as it is
    chart = alt.Chart(frame).mark_point().encode(x=alt.X("effect:Q", title="Effect"), y=alt.Y("study:N", title="Study"))
    out.chart("c", chart, alt_text="fixture chart")
    data = pd.read_csv(tmp_path / "tables" / "c_data.csv", dtype=str, keep_default_na=False)
    assert all(not v.startswith(("=", "+", "@", "\t")) for v in data["Study"]) and "'-2+3*cmd|' /C calc'!A0" in list(data["Study"])
    assert "-0.5" in list(data["Effect"])

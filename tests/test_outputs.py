"""What notebooks produce: deterministic files, escaped tables, offline-ready chart HTML."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest

from alsmsc import bibliography, charts, data, outputs, trials

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
    assert set(map(str, digests[0])) == {"numbers.json", "tables/tbl.csv", "figures/fig.vl.json", "figures/fig.svg"}


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


def test_non_finite_numbers_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(outputs, "_glue", lambda *a, **k: None)
    with pytest.raises(ValueError, match="non-finite"):
        outputs.Outputs(tmp_path).number("bad", float("nan"))


def test_trials_counts_count_overlapping_people_once():
    clinical = data.load(ROOT / "data", ["clinical_studies"])["clinical_studies"]
    counts = trials.counts(clinical)
    reports = clinical[clinical["design"] != "registry_record"]
    assert counts["n_records"] == len(clinical)
    assert counts["n_reports"] + counts["n_registry_records"] == counts["n_records"]
    # Overlapping reports are dropped, so the total is below the naive sum whenever any report overlaps another.
    naive = int(reports["n_msc"].fillna(0).sum())
    assert counts["n_msc_participants_independent"] < naive


def test_bibliography_has_every_record_and_parses():
    from pybtex.database import parse_string

    studies = data.load(ROOT / "data", ["studies"])["studies"]
    bib = parse_string(bibliography.render(studies), "bibtex")
    assert set(bib.entries) == set(studies["study_id"])
    for sid, entry in bib.entries.items():
        row = studies.set_index("study_id").loc[sid]
        assert entry.fields.get("doi") or entry.fields.get("pubmed") or entry.fields.get("note", "").startswith("Registry") or entry.fields.get("url"), sid
        if pd.notna(row["doi"]):
            assert entry.fields["doi"] == row["doi"]


@pytest.mark.fixture_data
def test_large_inputs_stay_small_on_the_page():
    big = pd.DataFrame({"study_id": [f"Synthetic{i:05d}" for i in range(5000)], "year": [2000 + i % 25 for i in range(5000)],
                        "route": ["intrathecal;intravenous"] * 5000, "cell_source": ["bone_marrow"] * 5000, "cell_origin": ["autologous"] * 5000,
                        "phase": ["1"] * 5000, "design": ["single_arm"] * 5000, "n_msc": [10] * 5000, "status": ["published"] * 5000})
    chart_data = charts.spec(trials.evidence_map(big))["datasets"]
    assert max(len(rows) for rows in chart_data.values()) <= 25 * 2  # year x route cells, not 10,000 points
    html = outputs.HTMLTable(big, note_key="tbl_big")._repr_mimebundle_()["text/html"]
    assert html.count("<tr") == outputs.HTMLTable.MAX_ROWS + 1 and "Showing the first 250 of 5000 rows" in html


@pytest.mark.fixture_data
def test_risk_of_bias_traffic_light_is_capped():
    from alsmsc import rob

    big = pd.DataFrame([{"study_id": f"Synth{i:03d}", "tool": "ROBINS-I", "domain": d, "judgement": "critical", "support": "fixture"}
                        for i in range(200) for d in ("confounding", "overall")])
    data_rows = charts.spec(rob.traffic_light(big, "ROBINS-I"))["datasets"]
    assert max(len(v) for v in data_rows.values()) == rob.MAX_STUDIES * 2

"""The built book: every chapter of _toc.yml is there, and the build logged no warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

pytestmark = pytest.mark.slow


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "book" / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part.get("chapters", [])]
    return files


def test_toc_covers_every_analysis_notebook():
    listed = {f.split("/")[-1] for f in toc_files() if f.startswith("_generated/notebooks/")}
    assert listed == {p.stem for p in (ROOT / "analysis").glob("*.ipynb")}


def test_every_toc_chapter_is_built(built_project: Path):
    html = built_project / "_build" / "html"
    for name in toc_files():
        page = html / f"{name}.html"
        assert page.is_file(), f"{name} from _toc.yml was not built"
        assert "<h1" in page.read_text(encoding="utf-8"), f"{name} has no title"


def test_build_log_has_no_warnings(built_project: Path):
    log = (built_project / "_build" / "state" / "book.log").read_text(encoding="utf-8")
    assert "build succeeded" in log
    offending = [line for line in log.splitlines() if re.search(r"\b(WARNING|ERROR)\b", line)]
    assert offending == []


def test_citations_resolve_to_entries_with_identifiers(built_project: Path):
    page = (built_project / "_build" / "html" / "background.html").read_text(encoding="utf-8")
    assert "Marin et al., 2017" in page
    trials_page = (built_project / "_build" / "html" / "clinical-trials.html").read_text(encoding="utf-8")
    assert "Cudkowicz2022" in trials_page  # the record keys come with the data, in the trials tables
    refs = (built_project / "_build" / "html" / "references.html").read_text(encoding="utf-8")
    assert "https://doi.org/10.1002/mus.27472" in refs  # Cudkowicz 2022, from studies.csv
    assert "Berry et al." in refs and "Press release, not peer-reviewed" in refs


class _Tables(__import__("html.parser").parser.HTMLParser):
    """Every HTML table of a page as (header cells, rows of cell texts)."""

    def __init__(self):
        super().__init__()
        self.tables, self._cell, self._row, self._in_head = [], None, None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(([], []))
        elif tag == "thead":
            self._in_head = True
        elif tag == "tbody":
            self._in_head = False
        elif tag == "tr" and self.tables:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            header, rows = self.tables[-1]
            (header.extend if self._in_head else rows.append)(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_no_trial_is_listed_twice_anywhere(built_project: Path):
    """Every table in the book with a 'Trial' column lists each trial at most once, and the trial lists name exactly
    the trials of the data (each once)."""
    from alsmsc import dataset

    names = set(dataset.load(built_project / "data", ["trials"])["trials"]["name"])
    seen_trial_tables = 0
    for page in sorted((built_project / "_build" / "html").glob("*.html")):
        parser = _Tables()
        parser.feed(page.read_text(encoding="utf-8"))
        for header, rows in parser.tables:
            if "Trial" not in header:
                continue
            col = header.index("Trial")
            listed = [r[col] for r in rows if len(r) > col]
            duplicates = {t for t in listed if listed.count(t) > 1}
            assert not duplicates, f"{page.name}: listed twice: {sorted(duplicates)}"
            if set(listed) <= names:
                seen_trial_tables += 1
    assert seen_trial_tables >= 3  # every trial, randomised trials, trials without peer-reviewed results


def test_status_page_shows_dataset_version_hash_and_notebooks(built_project: Path):
    from alsmsc import dataset

    page = (built_project / "_build" / "html" / "status.html").read_text(encoding="utf-8")
    desc = dataset.read_descriptor(built_project / "data" / "datapackage.json")
    assert desc["version"] in page
    assert dataset.package_hash(built_project / "data") in page
    import re
    from importlib.metadata import version

    rows = re.findall(r"<tr[^>]*>.*?</tr>", page, flags=re.S)
    for nb in ("trials_overview", "records_overview"):
        row = next((r for r in rows if f"notebooks/{nb}." in r), "")
        assert re.search(r">\s*(<p>)?ok(</p>)?\s*<", row), f"{nb} is not shown as run ok on the status page"
    assert re.search(rf"jupyter-book.*?{re.escape(version('jupyter-book'))}", page, flags=re.S)


def test_every_chart_has_a_static_svg_download(built_project: Path):
    html = built_project / "_build" / "html"
    for page in ("clinical-trials.html", "methods.html"):
        text = (html / page).read_text(encoding="utf-8")
        assert text.count('class="alsmsc-chart"') >= 1
        for href in re.findall(r'href="(_downloads/[^"]+\.svg)"', text):
            assert (html / href).is_file()
        assert re.search(r'href="_downloads/[^"]+\.svg"', text), page


def test_landing_page_puts_the_bottom_line_first_and_serves_the_dataset(built_project: Path):
    import csv
    import json
    import re

    from alsmsc import dataset

    html_dir = built_project / "_build" / "html"
    page = (html_dir / "intro.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))
    bottom = text.index("The bottom line, in plain words")
    assert bottom < text.index("Summary of findings", bottom) < text.index("Question", bottom)  # the answer comes first
    last = max(r["date"] for r in csv.DictReader((built_project / "data" / "search_log.csv").open(encoding="utf-8")))
    assert f"last run on {last}" in text
    assert "What to ask a doctor" in text and "⊕" in text  # plain words, then the GRADE table
    version = dataset.read_descriptor(built_project / "data" / "datapackage.json")["version"]
    assert f"Cite the dataset version you used: {version}" in text and "@misc{alsmsc_review_" in page
    commit = json.loads((built_project / "_build" / "generated" / "status.json").read_text())["build_commit"]
    assert re.search(rf"built from git commit {re.escape(commit)}\s*\.", text)  # this copy's commit, from the build's status step
    assert 'href="pdf/als-msc-living-review.pdf"' in page  # the PDF edition, served by the book (tests/test_pdf.py)
    for csv_file in sorted((built_project / "data").glob("*.csv")) + [built_project / "data" / "datapackage.json"]:
        served = html_dir / "dataset" / csv_file.name
        assert served.read_bytes() == csv_file.read_bytes(), csv_file.name
        assert f'href="dataset/{csv_file.name}"' in page


def test_every_mark_colour_in_every_chart_has_3_to_1_contrast(built_project: Path):
    """WCAG 2.1 SC 1.4.11: every colour a chart spec names stands out 3:1 from the white page; white itself is only
    used for text drawn on a black mark."""
    from alsmsc.formats.colours import MINIMUM_CONTRAST, WHITE, contrast

    specs = sorted((built_project / "_build" / "generated").glob("*/figures/*.vl.json"))
    assert len(specs) >= 10
    seen, weak = set(), []
    for spec in specs:
        for colour in set(re.findall(r'"(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})"', spec.read_text(encoding="utf-8"))):
            seen.add(colour.lower())
            if colour.lower() != WHITE and contrast(colour) < MINIMUM_CONTRAST:
                weak.append(f"{spec.name}: {colour} ({contrast(colour):.2f}:1)")
    assert len(seen) >= 4
    assert weak == []

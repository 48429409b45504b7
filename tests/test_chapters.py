"""The chapters' contract: chapters are notebooks that present generated results; every citation resolves; every
pasted number, fact, chart and table comes from a notebook the chapter declares; a fact carries its citation from
the data; review chapters open with key points backed by data or a citation; every figure says which dataset version
it came from; a downloaded chapter runs on its own."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alsmsc import dataset
from alsmsc.build import chapters
from alsmsc.files.layout import Layout

from .conftest import ROOT

CHAPTERS = sorted((ROOT / "book" / "chapters").glob("*.md"))
PAGES = CHAPTERS + sorted((ROOT / "book").glob("*.md"))
REVIEW_CHAPTERS = ["background", "etiology", "preclinical", "clinical-trials", "perspectives"]
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
SHOWN = re.compile(r"results\.(table|figure)\(\"([A-Za-z0-9_]+)\"\)")


def test_every_citation_resolves_to_a_record():
    ids = set(dataset.load(ROOT / "data", ["studies"])["studies"]["study_id"])
    missing = [
        (p.name, key.strip())
        for p in PAGES
        for keys in CITE.findall(p.read_text(encoding="utf-8"))
        for key in keys.split(",")
        if key.strip() not in ids
    ]
    assert missing == []


def test_chapters_are_notebooks_that_declare_what_they_read():
    from alsmsc.build.runs import SENSITIVITY

    notebooks = {p.stem for p in (ROOT / "analysis").glob("*.ipynb")}
    found = chapters.discover(Layout(ROOT), notebooks)
    assert {c.name for c in found} >= {*REVIEW_CHAPTERS, "methods", "prisma", "risk-of-bias", "certainty"}
    for c in found:
        nb = chapters.read(c.source)
        code = [cell for cell in nb.cells if cell.cell_type == "code"]
        assert code, f"{c.name} has no code cell"
        assert c.reads and set(c.reads) <= notebooks | {SENSITIVITY}  # notebooks, or the declared sensitivity runs' table
    shown = sum(len(SHOWN.findall(c.source.read_text(encoding="utf-8"))) for c in found)
    assert shown >= 15  # tables and figures are presented by code cells


def test_no_chapter_pastes_with_notebook_paths_or_types_a_facts_citation():
    facts = {r["fact_id"]: r["study_id"] for r in csv.DictReader((ROOT / "data" / "background_facts.csv").open(encoding="utf-8"))}
    for path in CHAPTERS:
        text = path.read_text(encoding="utf-8")
        assert "{glue" not in text, f"{path.name}: paste with {{n}}`key`, not glue"
        # a fact's citation comes from the data with it; a hand-typed copy next to it could drift
        for fact_id, cited in re.findall(r"\{fact\}`([^`]+)`\)?\s*\{cite:p\}`([^`]+)`", text):
            assert cited != facts.get(fact_id), f"{path.name}: {fact_id} is cited twice"


def test_a_missing_key_stops_the_chapter_with_file_and_line(tmp_path):
    from .conftest import copy_project

    root = copy_project(tmp_path / "project")
    layout = Layout(root)
    src = layout.chapters / "prisma.md"
    src.write_text(src.read_text(encoding="utf-8") + "\nA number that no notebook makes: {n}`no_such_key`.\n", encoding="utf-8")
    (layout.generated / "review_apparatus" / "figures").mkdir(parents=True)
    (layout.generated / "review_apparatus" / "numbers.json").write_text('{"provenance": {}, "numbers": {"prisma_databases": 1}}')
    chapter = next(
        c for c in chapters.discover(layout, {"review_apparatus"} | {p.stem for p in layout.analysis.glob("*.ipynb")}) if c.name == "prisma"
    )
    with pytest.raises(chapters.ChapterError) as err:
        chapters.check_keys(layout, chapter)
    line = src.read_text(encoding="utf-8").splitlines().index("A number that no notebook makes: {n}`no_such_key`.") + 1
    assert f"book/chapters/prisma.md:{line}: {{n}}`no_such_key`: no notebook it reads (review_apparatus) produced it" in str(err.value)


@pytest.mark.parametrize("name", REVIEW_CHAPTERS)
def test_review_chapter_opens_with_backed_key_points(name):
    text = (ROOT / "book" / "chapters" / f"{name}.md").read_text(encoding="utf-8")
    first_block = text.split("```{admonition} Key points", 1)
    assert len(first_block) == 2 and "\n## " not in first_block[0], f"{name} must open with a Key points admonition"
    body = first_block[1].split("```", 1)[0]
    bullets = re.split(r"\n- ", "\n" + body.split("\n", 2)[2])[1:]
    assert 3 <= len(bullets) <= 5, f"{name}: {len(bullets)} key points"
    for bullet in bullets:
        assert any(r in bullet for r in ("{n}", "{fact}", "{cite")), f"{name}: key point without a pasted number or citation: {bullet[:80]}"


@pytest.mark.slow
def test_every_pasted_key_exists_in_the_declared_notebooks(built_project):
    layout = Layout(built_project)
    for chapter in chapters.discover(layout, {p.stem for p in layout.analysis.glob("*.ipynb")}):
        chapters.check_keys(layout, chapter)  # raises with file:line for a key no declared notebook produced


@pytest.mark.slow
def test_a_fact_is_shown_with_the_citation_its_data_give(built_project):
    facts = {r["fact_id"]: r["study_id"] for r in csv.DictReader((built_project / "data" / "background_facts.csv").open(encoding="utf-8"))}
    studies = {r["study_id"]: r for r in csv.DictReader((built_project / "data" / "studies.csv").open(encoding="utf-8"))}
    page = (built_project / "_build" / "html" / "background.html").read_text(encoding="utf-8")
    shown = re.findall(r'<span class="alsmsc-fact">([^<]*)</span>\s*(.{0,600}?)</span>', page, flags=re.S)
    assert len(shown) >= 10
    text = (built_project / "book" / "chapters" / "background.md").read_text(encoding="utf-8")
    used = re.findall(r"\{fact\}`([^`]+)`", text)
    for (value, after), fact_id in zip(shown, used):
        assert value.strip(), fact_id
        study = studies[facts[fact_id]]
        author = study["first_author"].split(",")[0].split()[-1] if study["first_author"] else ""
        assert author and author in after and study["year"] in after, f"{fact_id}: shown with {after[:200]!r}, data cite {facts[fact_id]}"


@pytest.mark.slow
def test_every_figure_has_a_numbered_caption_and_provenance(built_project):
    seen = 0
    for page in (built_project / "_build" / "html").glob("*.html"):
        html = page.read_text(encoding="utf-8")
        figures = len(re.findall(r'<figure class="alsmsc-figure', html))
        seen += figures
        if not figures:
            continue
        assert html.count("Computed from dataset version") == figures, page.name
        assert html.count('class="caption-number"') >= figures, page.name
    assert seen >= 8  # the chapters' charts; guards against this test passing on no figures at all


@pytest.mark.slow
def test_a_downloaded_chapter_runs_with_nbconvert_from_a_clone(built_project, tmp_path):
    """A reader's path: after the book command, download a chapter and execute it from inside the clone."""
    executed = built_project / "book" / "preclinical.ipynb"
    download = built_project / "preclinical-download.ipynb"
    download.write_bytes(executed.read_bytes())
    out = tmp_path / "run.ipynb"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("jupyter")), "nbconvert", "--to", "notebook", "--execute", str(download), "--output", str(out)],
        cwd=built_project,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_text(encoding="utf-8").count("alsmsc-table") >= 5  # its tables were shown again from the outputs


@pytest.mark.slow
def test_every_chapter_page_offers_its_notebook_for_download(built_project):
    html = built_project / "_build" / "html"
    for source in sorted((built_project / "book" / "chapters").glob("*.md")):
        page = (html / f"{source.stem}.html").read_text(encoding="utf-8")
        assert f"_sources/{source.stem}.ipynb" in page, source.stem
        assert (html / "_sources" / f"{source.stem}.ipynb").is_file()

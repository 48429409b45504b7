"""The PDF edition (`alsmsc build --pdf`): built by one command from the same sources, with a contents list whose page
numbers are right, page numbers on every page, every figure as vectors, and the numbers the book pastes."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from .conftest import build

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _words(text: str) -> str:
    """Text reduced to lower-case words: PDF text extraction turns quotes, ligatures and line breaks into variants."""
    return " ".join(re.findall(r"[0-9a-z]+", text.lower().replace("ﬁ", "fi").replace("ﬂ", "fl").replace("ﬀ", "ff")))


@pytest.fixture(scope="module")
def edition(built_project: Path):
    from pypdf import PdfReader

    summary = build(built_project, "--pdf")
    assert summary["ok"], summary["output"]
    pdf = built_project / "_build" / "pdf" / "als-msc-living-review.pdf"
    reader = PdfReader(pdf)
    return {
        "root": built_project,
        "summary": summary,
        "path": pdf,
        "reader": reader,
        "pages": [page.extract_text() for page in reader.pages],
        "single": (built_project / "_build" / "singlehtml" / "intro.html").read_text(encoding="utf-8"),
    }


def test_one_command_prints_the_pdf_and_the_book_links_to_it(edition):
    root = edition["root"]
    assert "pdf" in edition["summary"]["ran"]
    served = root / "_build" / "html" / "pdf" / edition["path"].name
    assert served.read_bytes() == edition["path"].read_bytes()
    # the header's ".pdf" download points at the PDF edition, not at the browser's print dialog
    page = (root / "_build" / "html" / "clinical-trials.html").read_text(encoding="utf-8")
    assert f'href="pdf/{edition["path"].name}"' in page
    assert "window.print()" not in page
    assert build(root, "--pdf")["ran"] == []  # nothing changed: nothing is printed again


def test_every_page_is_numbered(edition):
    pages = edition["pages"]
    assert len(pages) >= 50
    for number in (1, len(pages) // 2, len(pages)):
        assert f"page {number} of {len(pages)}" in pages[number - 1]


def test_contents_list_gives_the_page_each_chapter_starts_on(edition):
    reader, pages = edition["reader"], edition["pages"]
    toc = re.search(r'<div id="jb-print-toc">(.*?)</nav>', edition["single"], re.S).group(1)
    links = re.findall(r'<a class="reference internal nav-link" href="#(document-[^"]+)">([^<]+)</a>', toc)
    entries = [(target, html.unescape(title)) for target, title in links]
    assert len(entries) >= 60  # the chapters and every trial page
    starts = {name.lstrip("/"): reader.get_destination_page_number(dest) + 1 for name, dest in reader.named_destinations.items()}
    first = min(starts[target] for target, _ in entries)
    # the contents list comes before every chapter; layout mode keeps each title on one line with its page number
    contents = _words(" ".join(reader.pages[i].extract_text(extraction_mode="layout") for i in range(first - 1)))
    for target, title in entries:
        page = starts[target]
        assert _words(title) in _words(pages[page - 1]), f"{title!r} is not on page {page}"
        assert f"{_words(title)} {page}" in contents, f"the contents list does not give page {page} for {title!r}"
    # the chapters start in the order of the contents, each on a later page
    order = [starts[target] for target, _ in entries]
    assert order == sorted(order) and order[0] > 1


def test_figures_are_vectors_with_their_text(edition):
    root, reader, text = edition["root"], edition["reader"], _words(" ".join(edition["pages"]))
    assert sum(len(page.images) for page in reader.pages) == 0  # no chart was printed as a picture
    charts = edition["single"].count('class="alsmsc-chart"')
    assert charts >= 10

    def axis_titles(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("x", "y") and isinstance(value, dict) and isinstance(value.get("title"), str):
                    yield value["title"]
                yield from axis_titles(value)
        elif isinstance(node, list):
            for value in node:
                yield from axis_titles(value)

    titles = {t for spec in (root / "_build" / "generated").glob("*/figures/*.vl.json") for t in axis_titles(json.loads(spec.read_text()))}
    assert len(titles) >= 10
    missing = sorted(t for t in titles if _words(t) not in text)
    assert missing == []  # the charts' axis titles are text in the PDF: the charts were drawn as vectors
    captions = re.findall(r"Fig\. (\d+)", " ".join(edition["pages"]))
    assert len(set(captions)) >= 10


def test_pasted_numbers_are_in_the_pdf(edition):
    root, text = edition["root"], _words(" ".join(edition["pages"][:6]))
    numbers = json.loads((root / "_build" / "generated" / "trials_overview" / "numbers.json").read_text())["numbers"]
    intro = (root / "book" / "chapters" / "intro.md").read_text(encoding="utf-8")
    assert "studied it in\n  {n}`n_trials` clinical studies" in intro  # pasted in the source, not typed
    assert f"studied it in {numbers['n_trials']} clinical studies" in text
    version = json.loads((root / "data" / "datapackage.json").read_text())["version"]
    assert _words(f"PDF edition of dataset version {version}") in text

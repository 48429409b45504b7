"""The PDF edition: the same book, printed by Chromium from a single-page build.

Why this engine: Sphinx's LaTeX builder cannot draw the charts (Vega draws them in the browser) and needs TeX Live;
Jupyter Book's own ``pdfhtml`` builder downloads a Chromium at build time. Here Sphinx's ``singlehtml`` builder writes
the whole book as one page (reusing the HTML build's parsed documents, so it only writes), and Debian's Chromium,
driven by Playwright, lets Vega draw every chart as SVG and prints: figures stay vectors, the footer numbers the
pages, the headings become the PDF's outline (bookmarks) and the PDF is tagged for screen readers.

Chromium cannot put page numbers into a table of contents, so the book is printed twice: the first print says, through
its named destinations, on which page each chapter starts; those numbers are written into the contents list (whose
width was reserved in the first print, so nothing moves) and the book is printed again.
"""

from __future__ import annotations

import functools
import http.server
import io
import json
import re
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from alsmsc.files.atomic import atomic_write_bytes, atomic_write_text
from alsmsc.files.layout import Layout

CHART_TIMEOUT_MS = 120_000
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"]
FOOTER = (
    '<div style="font-size:8pt;width:100%;padding:0 12mm;font-family:DejaVu Sans,Arial,sans-serif;color:#333;'
    'display:flex;justify-content:space-between"><span>{title}</span>'
    '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
)

# Run in the page before printing: mark the document as the PDF edition, add the edition's details under the title,
# and reserve a page-number slot after every contents entry. Text goes in with textContent, never as HTML.
PREPARE = """(edition) => {
  document.documentElement.classList.add("alsmsc-pdf");
  const head = document.querySelector("#jb-print-docs-body");
  if (!head) throw new Error("the theme's print header (#jb-print-docs-body) is missing");
  const info = document.createElement("div");
  info.className = "alsmsc-pdf-edition";
  for (const line of edition) {
    const p = document.createElement("p");
    p.textContent = line;
    info.appendChild(p);
  }
  head.querySelector("h1").after(info);
  const entries = [...head.querySelectorAll('#jb-print-toc a[href^="#"]')];
  for (const a of entries) {
    const slot = document.createElement("span");
    slot.className = "alsmsc-toc-page";
    slot.dataset.target = decodeURIComponent(a.getAttribute("href").slice(1));
    slot.textContent = "000";  // as wide as any page number, so filling it in moves nothing
    a.after(slot);
  }
  return entries.map((a) => decodeURIComponent(a.getAttribute("href").slice(1)));
}"""
FILL_PAGES = """(pages) => {
  for (const slot of document.querySelectorAll(".alsmsc-toc-page")) {
    slot.textContent = pages[slot.dataset.target] ?? "";
  }
}"""
UNDRAWN_CHARTS = (
    "() => [...document.querySelectorAll('.alsmsc-chart')]"
    ".filter((c) => !c.querySelector('.vega-embed svg')).map((c) => c.getAttribute('aria-label'))"
)
CHARTS_DRAWN = "() => [...document.querySelectorAll('.alsmsc-chart')].every((c) => c.querySelector('.vega-embed svg'))"


class PdfError(RuntimeError):
    """The PDF edition could not be made; the message says why and what to do."""


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise PdfError(
            "the PDF edition is printed by headless Chromium, which is not installed: run `sudo apt-get install -y chromium` (or `make system-deps`)"
        )
    return path


def singlehtml(layout: Layout, strict: bool = True) -> Path:
    """The book as one HTML page (Jupyter Book's singlehtml builder, same sources and config as the HTML book)."""
    jb = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jb if jb.exists() else "jupyter-book"), "build", "book", "--config", "_config.yml", "--path-output", ".", "--builder", "singlehtml"]
    if strict:
        cmd += ["-W", "-n", "--keep-going"]
    proc = subprocess.run(cmd, cwd=layout.root, capture_output=True, text=True)
    log = re.sub(r"\x1b\[[0-9;]*m", "", proc.stdout + proc.stderr)
    atomic_write_text(layout.state / "pdf-book.log", log)
    if proc.returncode != 0:
        shown = "\n".join(line for line in log.splitlines() if "WARNING" in line or "ERROR" in line)[:4000] or log[-4000:]
        raise PdfError(f"the single-page build for the PDF failed (full log in {layout.rel(layout.state / 'pdf-book.log')}):\n{shown}")
    page = layout.singlehtml / "intro.html"
    if not page.is_file():
        raise PdfError(f"the single-page build wrote no {layout.rel(page)}")
    return page


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def _serve(folder: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def destination_pages(pdf: bytes, names: list[str]) -> dict[str, int]:
    """The 1-based page of each named destination (Chromium names a link target after its HTML id)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found = {}
    for name, dest in reader.named_destinations.items():
        key = name.lstrip("/")
        if key in names:
            found[key] = reader.get_destination_page_number(dest) + 1
    return found


def edition_lines(layout: Layout) -> list[str]:
    """The PDF's edition details, from the data and the generated numbers (never typed)."""
    from alsmsc import dataset
    from alsmsc.publish.status import git_commit

    numbers: dict[str, object] = {}
    for path in sorted(layout.generated.glob("*/numbers.json")):
        numbers.update(json.loads(path.read_text(encoding="utf-8"))["numbers"])
    version = dataset.read_descriptor(layout.datapackage).get("version", "")
    return [
        f"PDF edition of dataset version {version}, released {numbers.get('dataset_release_date', 'not recorded')}.",
        f"Searches last run on {numbers.get('last_search_date', 'not recorded')}. Built from git commit {git_commit(layout)}.",
        "Every number, table and figure is generated from the versioned dataset; the web edition has the same content.",
    ]


def print_pdf(page_url: str, base: str, edition: list[str], title: str) -> tuple[bytes, dict]:
    """Load the single page in Chromium, wait for every chart, print twice (see the module docstring)."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    options = {
        "format": "A4",
        "print_background": True,
        "outline": True,
        "tagged": True,
        "display_header_footer": True,
        "header_template": "<div></div>",
        "footer_template": FOOTER.format(title=_html(title)),
        "margin": {"top": "14mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
    }
    outside: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context()

            def guard(route):  # nothing may leave the machine: a remote asset is refused and reported
                url = route.request.url
                if url.startswith(base) or url.startswith("data:"):
                    route.continue_()
                else:
                    outside.append(url)
                    route.abort()

            context.route("**/*", guard)
            page = context.new_page()
            page.goto(page_url, wait_until="load")
            try:
                page.wait_for_function(CHARTS_DRAWN, timeout=CHART_TIMEOUT_MS)
            except PlaywrightError:
                missing = page.evaluate(UNDRAWN_CHARTS)
                raise PdfError(f"{len(missing)} chart(s) were not drawn within {CHART_TIMEOUT_MS // 1000} s: {', '.join(missing[:5])}") from None
            page.emulate_media(media="print")
            targets = page.evaluate(PREPARE, edition)
            pdf = page.pdf(**options)
            pages: dict = {}
            for _ in range(3):  # the numbers settle after one refill; a third print would mean the contents moved
                found = destination_pages(pdf, targets)
                if found == pages:
                    break
                pages = found
                page.evaluate(FILL_PAGES, {k: str(v) for k, v in pages.items()})
                pdf = page.pdf(**options)
            missing = [t for t in targets if t not in pages]
            if missing:
                raise PdfError(f"the printed PDF has no page for these contents entries: {', '.join(missing)}")
        finally:
            browser.close()
    if outside:
        raise PdfError("the page asked for remote files (refused; the PDF must build offline): " + ", ".join(sorted(set(outside))[:5]))
    return pdf, pages


def _html(text: str) -> str:
    from alsmsc.formats import escape

    return escape.html(text)


def _with_metadata(pdf: bytes, title: str, subject: str, author: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata({"/Title": title, "/Subject": subject, "/Author": author, "/Creator": "alsmsc pdf (Chromium)"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def step_pdf(layout: Layout, strict: bool = True) -> dict:
    """Build the PDF edition into _build/pdf/ and serve a copy from the HTML book (pdf/...)."""
    import yaml

    started = time.perf_counter()
    page = singlehtml(layout, strict)
    config = yaml.safe_load(layout.config.read_text(encoding="utf-8"))
    title, author = str(config.get("title", "")), str(config.get("author", ""))
    edition = edition_lines(layout)
    with _serve(layout.singlehtml) as base:
        pdf, pages = print_pdf(f"{base}/{page.name}", base, edition, title)
    pdf = _with_metadata(pdf, title, edition[0], author)
    atomic_write_bytes(layout.pdf, pdf)
    atomic_write_bytes(layout.html / "pdf" / layout.pdf.name, pdf)
    from pypdf import PdfReader

    n_pages = len(PdfReader(io.BytesIO(pdf)).pages)
    return {"seconds": round(time.perf_counter() - started, 2), "pages": n_pages, "contents_entries": len(pages)}

"""The built book in headless Chromium with no network: charts render, no console error, nothing leaves the machine.

Needs Debian's `chromium` (installed by `make test` when the user can install packages). If it is missing the test
fails and says how to install it; it never skips.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "headless Chromium is needed for the browser test: install it with `sudo apt-get install -y chromium` "
            "(make test does this automatically when run as root or with password-less sudo)"
        )
    return path


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site(built_project: Path):
    handler = functools.partial(QuietHandler, directory=str(built_project / "_build" / "html"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", built_project / "_build" / "html"
    server.shutdown()


def test_a_truncated_table_links_its_complete_csv(site):
    """A table cut at 250 rows links the complete CSV, which the book serves, from chapters and from notebook pages."""
    import csv
    import io
    import re

    from playwright.sync_api import sync_playwright

    base, html_dir = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        checked = 0
        for name in ("risk-of-bias.html", "_generated/notebooks/review_apparatus.html"):
            page.goto(f"{base}/{name}")
            for note in page.query_selector_all("p.alsmsc-table-note"):
                total = int(re.search(r"of (\d+) rows", note.inner_text()).group(1))
                link = note.query_selector("a")
                response = page.request.get(link.evaluate("a => a.href"))
                assert response.status == 200, f"{name}: {link.get_attribute('href')}"
                assert len(list(csv.DictReader(io.StringIO(response.text())))) == total
                checked += 1
        browser.close()
    assert checked >= 2


def test_chart_tooltip_shows_trial(site):
    from playwright.sync_api import sync_playwright

    base, _ = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/clinical-trials.html")
        page.wait_for_selector("#alsmsc-chart-fig_evidence_map svg .mark-symbol path", timeout=15000)
        point = page.query_selector_all("#alsmsc-chart-fig_evidence_map svg .mark-symbol path")[0]
        point.scroll_into_view_if_needed()
        point.hover(force=True)
        tooltip = page.wait_for_selector("#vg-tooltip-element.visible", timeout=5000)
        assert "Trial" in tooltip.inner_text() and "Route" in tooltip.inner_text()
        browser.close()


def test_clinical_table_sorts_by_column(site):
    from playwright.sync_api import sync_playwright

    base, _ = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(f"{base}/clinical-trials.html")
        table = page.locator("table.alsmsc-table", has=page.locator("thead th", has_text="Enrolled (n)"))  # every trial, once
        header = table.locator("thead th", has_text="Enrolled (n)")
        col = table.locator("thead th").all_inner_texts().index("Enrolled (n)")

        def column():
            return [r.locator("td").nth(col).inner_text().strip() for r in table.locator("tbody tr").all()]

        header.click()
        ascending = [float(v) for v in column() if v != "—"]
        assert ascending == sorted(ascending) and len(ascending) > 3
        assert column()[-1] == "—"  # not reported sorts last
        header.click()
        descending = [float(v) for v in column() if v != "—"]
        assert descending == sorted(descending, reverse=True)
        assert header.get_attribute("aria-sort") == "descending"
        browser.close()


def _content_pages(html_dir: Path) -> list[str]:
    return sorted(
        str(p.relative_to(html_dir))
        for p in html_dir.rglob("*.html")
        if "_static" not in p.parts and "http-equiv" not in p.read_text(encoding="utf-8")[:2000].lower()
    )


def test_menus_open_on_a_phone_and_on_a_laptop(site):
    """The visible menu buttons work (pydata-sphinx-theme issue 2451: only a hidden twin was wired up)."""
    from playwright.sync_api import sync_playwright

    base, _ = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(f"{base}/preclinical.html")
        for toggle, dialog in ((".primary-toggle", "pst-primary-sidebar-modal"), (".secondary-toggle", "pst-secondary-sidebar-modal")):
            visible = [b for b in phone.query_selector_all(toggle) if b.is_visible()]
            assert len(visible) == 1, toggle
            visible[0].click()
            phone.wait_for_function(f"document.getElementById('{dialog}').open", timeout=3000)
            assert phone.locator(f"#{dialog} a").count() > 0  # the menu's links are in the open dialog
            phone.keyboard.press("Escape")
            phone.wait_for_function(f"!document.getElementById('{dialog}').open", timeout=3000)
        laptop = browser.new_page(viewport={"width": 1280, "height": 900})
        laptop.goto(f"{base}/preclinical.html")
        [button] = [b for b in laptop.query_selector_all(".primary-toggle") if b.is_visible()]
        button.click()
        laptop.wait_for_function("document.getElementById('pst-primary-sidebar').classList.contains('pst-sidebar-hidden')", timeout=3000)
        browser.close()


def test_sortable_headers_are_buttons_inside_header_cells(site):
    from playwright.sync_api import sync_playwright

    base, _ = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(f"{base}/clinical-trials.html")
        headers = page.locator("table.alsmsc-table thead th")
        assert headers.count() > 10
        assert page.locator("table.alsmsc-table thead th[role]").count() == 0  # the cells stay column headers
        assert page.locator("table.alsmsc-table thead th > button.alsmsc-sort").count() == headers.count()
        browser.close()


def test_trial_and_animal_study_ids_in_tables_link_to_existing_pages(site):
    import csv

    from playwright.sync_api import sync_playwright

    base, html_dir = site
    trials = list(csv.DictReader((html_dir.parent.parent / "data" / "trials.csv").open(encoding="utf-8")))
    assert all((html_dir / "_generated" / "trials" / "pages" / f"{t['trial_id']}.html").is_file() for t in trials)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.goto(f"{base}/clinical-trials.html")
        hrefs = set(page.eval_on_selector_all("a.alsmsc-trial-link", "els => els.map(e => e.href.split('#')[0])"))
        assert len(hrefs) >= len(trials) // 2  # the every-trial table alone links each trial once
        broken = [h for h in sorted(hrefs) if page.request.get(h).status != 200]
        # animal studies: every study and experiment id in the preclinical chapter's tables links to the study's page
        studies = {r["study_id"] for r in csv.DictReader((html_dir.parent.parent / "data" / "preclinical_studies.csv").open(encoding="utf-8"))}
        assert all((html_dir / "_generated" / "animal" / "pages" / f"{s}.html").is_file() for s in studies)
        page.goto(f"{base}/preclinical.html")
        animal = set(page.eval_on_selector_all("a.alsmsc-trial-link", "els => els.map(e => e.href.split('#')[0])"))
        assert {h.rsplit("/", 1)[-1].removesuffix(".html") for h in animal} >= studies
        broken += [h for h in sorted(animal) if page.request.get(h).status != 200]
        browser.close()
    assert broken == []


# These two pages exist to show the data as stored: the data dictionary lists every code, the changelog every raw change.
SHOWS_RAW_CODES = {"data-dictionary.html", "whats-new.html"}
VISIBLE_TEXT_WITHOUT_CODE = """() => {
  const main = document.querySelector("main").cloneNode(true);
  main.querySelectorAll("code").forEach((c) => c.remove());
  document.body.appendChild(main);
  const text = main.innerText;
  main.remove();
  return text;
}"""
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _raw_value_pattern(html_dir: Path):
    """Schema codes (enum values with an underscore), <NA>, nan and scientific notation."""
    import json
    import re

    desc = json.loads((html_dir.parent.parent / "data" / "datapackage.json").read_text(encoding="utf-8"))
    codes = {v for r in desc["resources"] for f in r["schema"]["fields"] for v in f.get("constraints", {}).get("enum", []) if "_" in str(v)}
    assert len(codes) > 20
    return re.compile(
        r"(?<![\w/.-])("
        + "|".join(sorted(map(re.escape, codes), key=len, reverse=True))
        + r")(?![\w/.-])|<NA>|\bnan\b|\bNaN\b|\b\d(?:\.\d+)?e[+-]\d+\b"
    )


WIDTHS = {"phone-390px": 390, "laptop-1280px": 1280}
CHARTS_DRAWN = "[...document.querySelectorAll('.alsmsc-chart')].every((c) => c.querySelector('.vega-embed svg.marks'))"
CHART_SIZES = (
    "[...document.querySelectorAll('.alsmsc-chart')].map((c) => [c.getAttribute('aria-label').slice(0, 40),"
    " c.querySelector('svg.marks') ? c.querySelector('svg.marks').getBoundingClientRect().width : -1, c.clientWidth])"
)


def _sweep(base: str, html_dir: Path, pages: list[str], width: int) -> dict:
    """Load every page once at one screen width, with nothing allowed to leave the machine, and record: console
    errors, remote requests, charts drawn and whether each fits its column, the page's width, raw values in its
    visible text, and axe-core's WCAG 2.1 AA violations (axe is bundled by the pinned axe-playwright-python wheel)."""
    import axe_playwright_python
    from playwright.sync_api import sync_playwright

    axe = Path(axe_playwright_python.__file__).with_name("axe.min.js")
    raw = _raw_value_pattern(html_dir)
    found = {"errors": [], "outside": [], "charts": 0, "charts_too_wide": [], "too_wide": [], "raw": [], "axe": []}
    current = ["", True]  # the page being checked, and whether its console errors count
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": width, "height": 900})

        def guard(route):  # anything not served by the local server would leave the machine: record and refuse it
            if route.request.url.startswith(base) or route.request.url.startswith("data:"):
                route.continue_()
            else:
                found["outside"].append(f"{current[0]}: {route.request.url}")
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        # errors are a reader's errors until axe runs: axe's own stylesheet preloading resolves an @import of the
        # theme's CSS against the page and requests a file that does not exist, which no reader's browser does
        page.on("console", lambda m: found["errors"].append(f"{current[0]}: {m.text}") if m.type == "error" and current[1] else None)
        page.on("pageerror", lambda e: found["errors"].append(f"{current[0]}: {e}") if current[1] else None)
        for name in pages:
            current[:] = [name, True]
            page.goto(f"{base}/{name}", wait_until="load")
            if page.evaluate("document.querySelectorAll('.alsmsc-chart').length"):
                try:
                    page.wait_for_function(CHARTS_DRAWN, timeout=20000)
                except Exception:
                    pass  # the sizes below show which chart was not drawn (width -1)
                for label, drawn, box in page.evaluate(CHART_SIZES):
                    if drawn < 0:
                        found["errors"].append(f"{name}: chart not drawn: {label}")
                        continue
                    found["charts"] += 1
                    if drawn > box + 1:
                        found["charts_too_wide"].append(f"{name}: {label} ({drawn:.0f} px in {box} px)")
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                found["too_wide"].append(f"{name}: {scroll} px")
            if name not in SHOWS_RAW_CODES:
                # text in <code> is a literal name shown on purpose (a column, a file); everything else is for readers
                hits = sorted({m.group(0) for m in raw.finditer(page.evaluate(VISIBLE_TEXT_WITHOUT_CODE))})
                if hits:
                    found["raw"].append(f"{name}: {', '.join(hits[:6])}")
            current[1] = False
            page.add_script_tag(path=str(axe))
            result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
            serious = [v for v in result["violations"] if v["impact"] in ("critical", "serious")]
            found["axe"] += [f"{name}: {v['id']} ({v['impact']}, {len(v['nodes'])})" for v in serious]
        browser.close()
    return found


@pytest.fixture(scope="module")
def every_page(site):
    """Every content page of the book (chapters, analyses, apparatus, every trial and animal study page) at a phone's
    and a laptop's width (about 3 minutes each, mostly axe; running the two side by side saved nothing on 2 cores)."""
    base, html_dir = site
    pages = _content_pages(html_dir)
    return {"pages": pages, **{key: _sweep(base, html_dir, pages, width) for key, width in WIDTHS.items()}}


def test_every_page_is_checked(every_page, site):
    _, html_dir = site
    trial_pages = [p for p in every_page["pages"] if p.startswith("_generated/trials/pages/")]
    assert len(trial_pages) == len(list((html_dir / "_generated" / "trials" / "pages").glob("*.html"))) > 40
    animal_pages = [p for p in every_page["pages"] if p.startswith("_generated/animal/pages/")]
    assert len(animal_pages) == len(list((html_dir / "_generated" / "animal" / "pages").glob("*.html"))) >= 20
    assert {"intro.html", "clinical-trials.html", "preclinical.html", "risk-of-bias.html"} <= set(every_page["pages"])


@pytest.mark.parametrize("width", WIDTHS)
def test_pages_render_offline_without_errors(every_page, width):
    """Every chart is drawn, no page logs an error, and nothing is requested from outside the machine."""
    found = every_page[width]
    assert found["charts"] >= 15
    assert found["errors"] == []
    assert found["outside"] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_fits_its_column(every_page, width):
    """Wide charts shrink to fit the column instead of being cut or scrolled (at 390 px as at 1280 px)."""
    assert every_page[width]["charts_too_wide"] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(every_page, width):
    assert every_page[width]["too_wide"] == []


@pytest.mark.parametrize("width", WIDTHS)
def test_no_raw_value_reaches_a_reader(every_page, width):
    """Visible text only: no schema code such as not_reported, no <NA> or nan, no scientific notation."""
    assert every_page[width]["raw"] == [], "\n".join(every_page[width]["raw"])


@pytest.mark.parametrize("width", WIDTHS)
def test_no_critical_or_serious_accessibility_violation(every_page, width):
    """axe-core, WCAG 2.1 A and AA."""
    assert every_page[width]["axe"] == [], "\n".join(every_page[width]["axe"])

"""The book's Sphinx extension makes the theme's sidebar once per set of sibling pages (book/_ext/alsmsc_book.py,
SidebarCache) and serves the trial-link map as one static script. Both exist so that a book with a page per trial
does not grow with the square of the number of trials; neither may change a byte a reader sees."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PAGES = {
    "index.rst": "Home\n====\n\n.. toctree::\n   :caption: Part one\n\n   chapter\n   trials/index\n\n"
    ".. toctree::\n   :caption: Part two\n\n   animals/index\n   closing\n",
    "chapter.rst": "Chapter\n=======\n\nText.\n\nSection\n-------\n\nMore.\n",
    "closing.rst": "Closing\n=======\n\nText.\n",
    "trials/index.rst": "Trials\n======\n\n.. toctree::\n   :glob:\n\n   pages/*\n",
    "animals/index.rst": "Animals\n=======\n\n.. toctree::\n   :glob:\n\n   *\n",
}
for i in range(6):
    PAGES[f"trials/pages/t-{i}.rst"] = f"Trial {i} & <b>\n{'=' * 14}\n\nText.\n\nArms\n----\n\nRows.\n"
    PAGES[f"animals/a-{i}.rst"] = f"Animal study {i}\n{'=' * 15}\n\nText.\n"


BUILD = """
import json, sys
from sphinx.application import Sphinx
src, out, cache = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
app = Sphinx(src, src, out, out + "/.doctrees", "html", confoverrides={"alsmsc_sidebar_cache": cache}, status=None,
             warningiserror=True, freshenv=True)
app.build(force_all=True)
print(json.dumps({"status": app.statuscode, "hits": getattr(getattr(app, "_alsmsc_sidebar", None), "hits", None)}))
"""


def _build(src: Path, out: Path, cache: bool) -> dict:
    """One build in its own process (docutils registers node classes once per process)."""
    proc = subprocess.run([sys.executable, "-c", BUILD, str(src), str(out), "1" if cache else "0"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == 0
    return result


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    src = tmp_path_factory.mktemp("book")
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\nextensions = ['alsmsc_book']\nhtml_theme = 'sphinx_book_theme'\n"
    )
    for name, text in PAGES.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    links = src / "_generated" / "trials" / "links.json"
    links.parent.mkdir(parents=True)
    links.write_text(json.dumps({"T-1": "trials/pages/t-1.html", "</script><b>": "trials/pages/t-2.html"}))
    cached_out, plain_out = tmp_path_factory.mktemp("cached"), tmp_path_factory.mktemp("plain")
    cached = _build(src, cached_out, True)
    assert _build(src, plain_out, False)["hits"] is None
    return cached, cached_out, plain_out


def test_cached_sidebar_is_byte_identical_on_every_page(builds):
    _app, cached, plain = builds
    pages = sorted(p.relative_to(plain) for p in plain.rglob("*.html"))
    assert len(pages) >= 17
    differ = [str(p) for p in pages if (cached / p).read_text(encoding="utf-8") != (plain / p).read_text(encoding="utf-8")]
    assert differ == []


def test_sibling_pages_reuse_the_sidebar(builds):
    result, cached, _plain = builds
    # 6 trial pages and 6 animal pages: all but the first of each set reuse a sibling's sidebar, and the theme asks
    # for each page's sidebar twice
    assert result["hits"] >= 20
    page = (cached / "trials" / "pages" / "t-3.html").read_text(encoding="utf-8")
    assert page.count('class="current reference internal" href="#"') == 1
    assert '<li class="toctree-l2 current active"><a class="current reference internal" href="#">Trial 3 &amp; &lt;b&gt;</a>' in page


def test_trial_link_map_is_one_static_script(builds):
    _app, cached, _plain = builds
    page = (cached / "chapter.html").read_text(encoding="utf-8")
    assert "var ALSMSC_LINKS" not in page
    assert 'src="_static/alsmsc-links-map.js' in page
    assert 'src="../../_static/alsmsc-links-map.js' in (cached / "trials" / "pages" / "t-0.html").read_text(encoding="utf-8")
    script = (cached / "_static" / "alsmsc-links-map.js").read_text(encoding="utf-8")
    assert script.startswith("var ALSMSC_LINKS = {")
    assert "</script>" not in script and "\\u003c/script\\u003e" in script
    # the map comes before the script that uses it
    assert page.index("alsmsc-links-map.js") < page.index("alsmsc-links.js")

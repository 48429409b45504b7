"""Text from the data is shown as text: HTML and MyST syntax in a data field are escaped, never run or interpreted.

The injected values are fixture data in a copy of the project; they are never published.
"""

from __future__ import annotations

import csv
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from .conftest import alsmsc, build, copy_project

pytestmark = [pytest.mark.slow, pytest.mark.fixture_data]

INJECT = {
    ("studies.csv", "Berry2019", "title"): 'NurOwn <script>alert("t1")</script> **bold1** {cite}`Oh2018`',
    ("trials.csv", "corestem-ph2", "efficacy_summary"): '<img src=x onerror=alert("t2")> **bold2** [click](javascript:alert(3))',
    ("trials.csv", "nurown-ph2", "name"): 'NurOwn</script><script>alert("t3")</script>',
    ("background_facts.csv", "sex_ratio_pooled_fontana2021", "value"): '<b onmouseover=alert("t4")>x</b> **bold4**',
    # free text that a chart carries in its inlined data (the risk-factor chart's tooltip)
    ("background_facts.csv", "env_lead_or_zhu2023", "population"): '36 studies</script><script>alert("t5")</script>',
}


# the descriptor's own text reaches the data dictionary page
INJECT_DESCRIPTOR = {
    "title": '<img src=x onerror=alert("t6")> **bold6**',
    "description": 'Intro.\n\n```{raw} html\n<script>alert("t7")</script>\n```\n\n{raw}`html <b onmouseover=alert("t8")>x</b>`',
}


def read_rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def write_rows(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def set_value(path: Path, key_col: str, key: str, column: str, value: str) -> None:
    rows = read_rows(path)
    hit = [r for r in rows if r[key_col] == key]
    assert hit, f"fixture: {key} not in {path.name}"
    hit[0][column] = value
    write_rows(path, rows)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    for (file, key, column), value in INJECT.items():
        key_col = {"background_facts.csv": "fact_id", "trials.csv": "trial_id"}.get(file, "study_id")
        set_value(root / "data" / file, key_col, key, column, value)
    desc_path = root / "data" / "datapackage.json"
    desc = json.loads(desc_path.read_text(encoding="utf-8"))
    desc["resources"][1].update(INJECT_DESCRIPTOR)
    desc_path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    alsmsc(root, "rehash", check=True)
    inject_everywhere(root)
    inject_changelog(root)
    result = build(root)
    assert result["ok"], result["output"]
    return root / "_build" / "html"


def hostile(label: str) -> str:
    """An HTML payload and a MyST role in one line (a value's rules may refuse line breaks)."""
    return f'<img src=x onerror=alert("{label}")> {{raw}}`html <script>alert("{label}")</script>` **b-{label}**'


INJECTED: dict[str, list[str]] = {"accepted": [], "refused": []}


def inject_changelog(root: Path) -> None:
    """A release entry written by the release command's own function from hostile values (a record id, a column, old
    and new cell values, a drift reason), put where `alsmsc release` puts it; the What's new page renders it."""
    from alsmsc.dataset.release import TableDiff, changelog_entry

    diffs = {"screening_log": TableDiff(added=[hostile("cl-added")], changed=[(hostile("cl-key"), "domain", hostile("cl-old"), hostile("cl-new"))])}
    entry = changelog_entry("9.9.9", "2027-01-01", diffs, [{"comparison": hostile("cl-comparison"), "reason": hostile("cl-reason")}])
    path = root / "data" / "CHANGELOG.md"
    head, _, rest = path.read_text(encoding="utf-8").partition("\n## ")
    path.write_text(head.rstrip() + "\n\n" + entry + "\n## " + rest, encoding="utf-8")


def inject_everywhere(root: Path) -> None:
    """The hostile payload in the LAST row of every free-text column (a string without enum or pattern) of every
    table. The payload is plain printable text, so the data rules accept it wherever any text may go; where a rule
    refuses it (a column that must name something that exists, say), the cell is put back and the column is listed
    as protected by validation. The data must validate afterwards, so the build runs with every accepted payload."""
    desc = json.loads((root / "data" / "datapackage.json").read_text(encoding="utf-8"))
    originals = {}
    for res in desc["resources"]:
        path = root / "data" / res["path"]
        rows = read_rows(path)
        if not rows:
            continue
        # a key must name something that exists, so free text never reaches it: left out
        keys = set(res["schema"].get("primaryKey") or []) | {c for fk in res["schema"].get("foreignKeys", []) for c in fk["fields"]}
        for f in res["schema"]["fields"]:
            cons = f.get("constraints", {})
            if f.get("type", "string") != "string" or "enum" in cons or "pattern" in cons or f.get("format") or f["name"] in keys:
                continue
            originals[(res["path"], f["name"])] = rows[-1][f["name"]]
            rows[-1][f["name"]] = hostile(f"{res['name']}.{f['name']}")
        write_rows(path, rows)
    alsmsc(root, "rehash", check=True)
    proc = alsmsc(root, "validate")
    refused = {(file.split("/")[-1], column) for file, column in re.findall(r"^([\w/.-]+\.csv):\d+:([\w]+):", proc.stdout + proc.stderr, re.M)}
    for (file, column), value in originals.items():
        if (file, column) in refused:
            rows = read_rows(root / "data" / file)
            rows[-1][column] = value
            write_rows(root / "data" / file, rows)
            INJECTED["refused"].append(f"{file}:{column}")
        else:
            INJECTED["accepted"].append(f"{file}:{column}")
    alsmsc(root, "rehash", check=True)
    proc = alsmsc(root, "validate")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def all_html(site: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


class Elements(HTMLParser):
    """The elements a browser would build: script bodies and every attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.attrs, self._in_script = [], [], False

    def handle_starttag(self, tag, attrs):
        self.attrs += [(tag, k, v or "") for k, v in attrs]
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def test_the_payload_reached_every_free_text_column(hostile_site):
    assert len(INJECTED["accepted"]) >= 30, INJECTED  # free-text columns of every table (the list is printed on failure)
    assert {"trials.csv:efficacy_summary", "studies.csv:title", "background_facts.csv:value"} <= set(INJECTED["accepted"])


def test_no_injected_tag_survives(hostile_site):
    for name, html in all_html(hostile_site).items():
        parsed = Elements()
        parsed.feed(html)
        assert not [s for s in parsed.scripts if s.strip().startswith("alert(")], f"{name}: an injected script element exists"
        assert not [t for t, k, v in parsed.attrs if t == "img" and k == "onerror"], f"{name}: an injected img element exists"
        assert not [a for a in parsed.attrs if a[1].startswith("on") and "alert" in a[2]], f"{name}: an injected event handler exists"
        assert not [a for a in parsed.attrs if a[1] == "href" and a[2].startswith("javascript:")], f"{name}: a javascript: link exists"


def test_injected_text_is_shown_literally(hostile_site):
    pages = all_html(hostile_site)
    refs, trials, background = pages["references.html"], pages["clinical-trials.html"], pages["background.html"]
    assert "&lt;script&gt;alert" in refs and "**bold1**" in refs  # a title: escaped, and MyST is not interpreted
    assert "&lt;img src=x onerror=alert" in trials and "**bold2**" in trials
    assert "<strong>bold" not in refs + trials + background
    assert "&lt;b onmouseover=alert" in background and "**bold4**" in background  # a glued fact, pasted as text
    assert "<\\/script><script>alert" in pages["etiology.html"]  # in the chart's inlined JSON the closing tag is escaped
    dictionary = pages["data-dictionary.html"]  # a resource title and description from datapackage.json
    assert "&lt;img src=x onerror=alert" in dictionary and "**bold6**" in dictionary and "<strong>bold6" not in dictionary
    assert "{raw}" in dictionary and "&lt;script&gt;alert(“t7”)" in dictionary  # the MyST directive and role are text
    whats_new = " ".join(pages["whats-new.html"].split())  # a release entry made from hostile values (lines joined)
    assert "&lt;img src=x onerror=alert(“cl-reason”)&gt;" in whats_new and "**b-cl-key**" in whats_new


def test_no_injected_script_runs_in_the_browser(hostile_site):
    from playwright.sync_api import sync_playwright

    from .test_browser import CHROMIUM_FLAGS, chromium_path

    dialogs = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        for name in (
            "clinical-trials.html",
            "references.html",
            "background.html",
            "etiology.html",
            "intro.html",
            "data-dictionary.html",
            "whats-new.html",
        ):
            page.goto((hostile_site / name).as_uri())
            page.wait_for_timeout(1500)
            page.mouse.move(300, 300)
        browser.close()
    assert dialogs == []

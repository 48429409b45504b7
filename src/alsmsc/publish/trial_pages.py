"""A page per trial, generated from the data: identity and registry links, design, participants, product, arms,
outcomes with their sources, risk of bias, and every record of the trial with what was read.

Pages go to _build/generated/trials/pages/<trial_id>.md with an index at _build/generated/trials/index.md; the index
carries a digest of every page, so the book is rebuilt whenever any page changes. Every value from the data passes
:mod:`alsmsc.formats.escape`.
"""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlsplit

import pandas as pd

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout
from alsmsc.formats import escape
from alsmsc.formats import numbers as fmt
from alsmsc.formats.labels import CLASS_LABELS, MEASURE_LABELS, RESULTS_LABELS, SOURCE_LABELS

READS = ["trials", "studies", "clinical_arms", "clinical_outcomes", "risk_of_bias"]
# Registries whose record pages have a stable address built from the id alone; other ids are shown as text (the
# trial's source_url, shown at the foot of the page, links the record that was read).
REGISTRY_URLS = {"NCT": "https://clinicaltrials.gov/study/{}", "ISRCTN": "https://www.isrctn.com/{}"}


def _cell(v) -> str:
    """A value from the data for a table cell: placeholder codes in words, yes/no for booleans, whole numbers plain."""
    if fmt.is_missing(v):
        return fmt.MISSING
    if isinstance(v, str):
        return escape.html(fmt.text(v))
    if type(v).__name__ in ("bool", "bool_"):
        return "yes" if v else "no"
    return escape.html(str(int(v)) if float(v).is_integer() else fmt.value(v))


def _code(v) -> str:
    """A code from the data in words (``randomized_controlled`` -> "randomized controlled")."""
    return escape.html(fmt.code(v))


def _links(urls) -> str:
    if fmt.is_missing(urls) or not str(urls).strip():
        return fmt.MISSING
    return " ".join(f'<a href="{escape.html(u)}">{escape.html(urlsplit(u).hostname or u)}</a>' for u in str(urls).split())


def registry_link(rid: str) -> str:
    for prefix, url in REGISTRY_URLS.items():
        if rid.startswith(prefix):
            return f'<a href="{escape.html(url.format(rid))}">{escape.html(rid)}</a>'
    return escape.html(rid)


def _table(headers: list[str], rows: list[list[str]], label: str) -> str:
    """Cells are already escaped HTML."""
    if not rows:
        return "<p>Nothing in the dataset.</p>"
    head = "".join(f"<th>{escape.html(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>\n" for row in rows)
    return (
        f'<div class="alsmsc-table-scroll" role="region" tabindex="0" aria-label="{escape.html(label)}">'
        f'<table class="alsmsc-table"><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table></div>'
    )


def _facts(pairs: list[tuple[str, str]]) -> str:
    rows = "".join(f'<tr><th scope="row">{escape.html(k)}</th><td>{v}</td></tr>\n' for k, v in pairs)
    return f'<table class="alsmsc-facts"><tbody>\n{rows}</tbody></table>'


def _records_of(studies: pd.DataFrame, tid: str) -> pd.DataFrame:
    ids = studies["trial_id"].fillna("").astype(str).str.split(";")
    return studies[ids.map(lambda xs: tid in [x.strip() for x in xs])].sort_values(["year", "study_id"], na_position="last")


def page(t: pd.Series, records: pd.DataFrame, arms: pd.DataFrame, outcomes: pd.DataFrame, rob: pd.DataFrame) -> str:
    tid = t["trial_id"]
    registry = [r for r in str(t["registry_ids"] or "").split(";") if r and r != "nan"] if pd.notna(t["registry_ids"]) else []
    identity = _facts(
        [
            ("Trial", escape.html(t["name"])),
            ("Registry ids", ", ".join(registry_link(r) for r in registry) or fmt.MISSING),
            ("Sponsor", _cell(t["sponsor"])),
            ("Country", _cell(t["country"])),
            ("Phase", _code(t["phase"])),
            ("Design", _code(t["design"])),
            ("Randomised", _cell(t["randomized"])),
            ("Blinding", _code(t["blinding"])),
            ("Control", _code(t["control_type"])),
            ("Status", _code(t["status"])),
            ("Results", escape.html(RESULTS_LABELS.get(t["results"], fmt.code(t["results"])))),
            ("Primary endpoint", _cell(t["primary_endpoint"])),
            ("Primary endpoint met", _code(t["primary_endpoint_met"])),
        ]
    )
    people = _facts(
        [
            ("Enrolled", _cell(t["n_enrolled"])),
            ("Planned", _cell(t["n_planned"])),
            ("Given MSCs", _cell(t["n_msc"])),
            ("Controls", _cell(t["n_control"])),
            ("External controls (not enrolled)", _cell(t["n_external_control"])),
            ("Shares participants with", _cell(t["overlaps_with"])),
            ("Overlap", _cell(t["overlap_note"])),
        ]
    )
    product = _facts(
        [
            ("Product", _cell(t["product"])),
            ("Kind", escape.html(CLASS_LABELS.get(t["product_class"], fmt.code(t["product_class"])))),
            ("Cell source", escape.html(SOURCE_LABELS.get(t["cell_source"], fmt.code(t["cell_source"])))),
            ("Origin", _code(t["cell_origin"])),
            ("Route", _cell(str(t["route"]).replace(";", ", ") if pd.notna(t["route"]) else None)),
            ("Dose", _cell(t["dose"])),
            ("Administrations", _cell(t["n_administrations"])),
            ("Follow-up (months)", _cell(t["follow_up_months"])),
        ]
    )
    summaries = _facts([("Safety, as reported", _cell(t["safety_summary"])), ("Efficacy, as reported", _cell(t["efficacy_summary"]))])
    arm_rows = [
        [
            _code(a["arm"]),
            _code(a["role"]),
            _cell(a["description"]),
            _cell(a["n_randomized"]),
            _cell(a["n_treated"]),
            _cell(a["n_analysed"]),
            _cell(a["study_id"]),
            _code(a["verified_from"]),
        ]
        for _, a in arms.iterrows()
    ]
    out_rows = [
        [
            escape.html(MEASURE_LABELS.get(o["measure"], fmt.code(o["measure"]))),
            _code(o["arm"]),
            _code(o["subgroup"]),
            _cell(o["timepoint_months"]),
            _cell(o["n"]),
            _cell(o["mean"]),
            _cell(o["dispersion"]),
            _code(o["dispersion_type"]),
            _cell(o["events"]),
            _cell(o["total"]),
            _cell(o["unit"]),
            _cell(o["study_id"]),
            _cell(o["location"]),
            _code(o["verified_from"]),
        ]
        for _, o in outcomes.iterrows()
    ]
    rob_rows = [[_code(r["tool"]), _cell(r["domain"]), _code(r["judgement"]), _cell(r["support"])] for _, r in rob.iterrows()]
    rec_rows = [
        [
            f'<span id="{escape.html(r["study_id"])}">{escape.html(r["study_id"])}</span>',
            _cell(r["year"]),
            _code(r["record_kind"]),
            _cell(r["title"]),
            _cell(r["journal"]),
            _code(r["verified_from"]),
            _links(r["source_url"]),
            _links(r["read_url"]),
        ]
        for _, r in records.iterrows()
    ]
    body = "\n".join(
        [
            identity,
            "<h2>Participants</h2>",
            people,
            "<h2>Product</h2>",
            product,
            "<h2>What the trial reported</h2>",
            summaries,
            "<h2>Arms</h2>",
            _table(["Arm", "Role", "Description", "Randomised", "Treated", "Analysed", "Read in", "Verified from"], arm_rows, "arms"),
            "<h2>Outcomes</h2>",
            _table(
                [
                    "Measure",
                    "Arm",
                    "Subgroup",
                    "Month",
                    "n",
                    "Mean",
                    "Dispersion",
                    "Type",
                    "Events",
                    "Total",
                    "Unit",
                    "Read in",
                    "Where",
                    "Verified from",
                ],
                out_rows,
                "outcomes",
            ),
            "<h2>Risk of bias</h2>",
            _table(["Tool", "Domain", "Judgement", "Support"], rob_rows, "risk of bias"),
            "<h2>Records of this trial</h2>",
            _table(["Record", "Year", "Kind", "Title", "Journal", "Verified from", "Source", "Copy read"], rec_rows, "records"),
            f'<p class="alsmsc-provenance">Generated from the dataset; the trial\'s own row reads: verified from {_code(t["verified_from"])}; '
            f"source {_links(t['source_url'])}.</p>",
        ]
    )
    return f'(trial-{tid})=\n# {escape.markdown(t["name"])}\n\n```{{raw}} html\n<div class="alsmsc-trial">\n{body}\n</div>\n```\n'


def write(layout: Layout) -> dict[str, str]:
    """Write every trial's page and the index; returns {record or trial id: page path from the book root} for linking."""
    t = dataset.load(layout.data, READS)
    trials, studies = t["trials"].sort_values("trial_id"), t["studies"]
    folder = layout.generated / "trials"
    pages = folder / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    links: dict[str, str] = {}
    keep = set()
    for _, row in trials.iterrows():
        tid = row["trial_id"]
        records = _records_of(studies, tid)
        text = page(
            row,
            records,
            t["clinical_arms"][t["clinical_arms"]["trial_id"] == tid],
            t["clinical_outcomes"][t["clinical_outcomes"]["trial_id"] == tid],
            t["risk_of_bias"][t["risk_of_bias"]["assessed"] == tid],
        )
        write_if_changed(pages / f"{tid}.md", text)
        keep.add(f"{tid}.md")
        digest.update(text.encode("utf-8"))
        links[tid] = f"_generated/trials/pages/{tid}.html"
        links.setdefault(row["name"], links[tid])  # tables often show the trial's name
        for sid in records["study_id"]:
            links.setdefault(sid, f"_generated/trials/pages/{tid}.html#{sid}")
    for stale in pages.glob("*.md"):
        if stale.name not in keep:
            stale.unlink()
    items = "\n".join(
        f'<li><a href="pages/{escape.html(tid)}.html">{escape.html(name)}</a></li>' for tid, name in zip(trials["trial_id"], trials["name"])
    )
    index = (
        "# Every trial, one page each\n\n"
        "Each page is generated from the dataset: what the trial is, who took part, what was given, what it reported, and every record "
        "that was read for it.\n\n"
        f'```{{raw}} html\n<ul class="alsmsc-trial-index">\n{items}\n</ul>\n```\n\n'
        f"<!-- pages digest {digest.hexdigest()} -->\n"
    )
    write_if_changed(folder / "index.md", index)
    write_if_changed(folder / "links.json", json.dumps(links, indent=1, sort_keys=True) + "\n")
    return links

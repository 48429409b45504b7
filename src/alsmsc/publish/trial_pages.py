"""A page per trial and per animal study, generated from the data.

A trial's page: identity and registry links, design, participants, product, arms, outcomes with their sources, risk
of bias, and every record of the trial with what was read. An animal study's page: the paper (DOI, PubMed, PMC links),
each experiment (model, cells, route, dose, timing, group sizes, effects and where they were read) and its SYRCLE risk
of bias.

Pages go to _build/generated/trials/pages/<trial_id>.md and _build/generated/animal/pages/<study_id>.md, each set with
an index (index.md) that carries a digest of every page, so the book is rebuilt whenever any page changes. links.json
maps every id a table may show (trial, record, trial name, animal study, experiment) to its page. Every value from the
data passes :mod:`alsmsc.formats.escape`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout
from alsmsc.formats import escape
from alsmsc.formats import numbers as fmt
from alsmsc.formats.labels import CLASS_LABELS, DIRECTION_LABELS, MEASURE_LABELS, RESULTS_LABELS, SOURCE_LABELS

READS = ["trials", "studies", "clinical_arms", "clinical_outcomes", "risk_of_bias", "preclinical_studies"]
# Registries whose record pages have a stable address built from the id alone; other ids are shown as text (the
# trial's source_url, shown at the foot of the page, links the record that was read).
REGISTRY_URLS = {"NCT": "https://clinicaltrials.gov/study/{}", "ISRCTN": "https://www.isrctn.com/{}"}


# The schema's codes (enum values such as favours_msc) a curator may have written inside free text; write() fills it
# from the data package, and _cell puts them in words.
_CODES_IN_TEXT: dict[str, re.Pattern] = {}


def _cell(v) -> str:
    """A value from the data for a table cell: codes in words, yes/no for booleans, whole numbers plain."""
    if fmt.is_missing(v):
        return fmt.MISSING
    if isinstance(v, str):
        text = fmt.text(v)
        if "codes" in _CODES_IN_TEXT:
            text = _CODES_IN_TEXT["codes"].sub(lambda m: m.group(0).replace("_", " "), text)
        return escape.html(text)
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


class _Rows:
    """The rows of a table for one key, in the table's order: what ``table[table[column] == key]`` selects, with the
    table scanned once instead of once per trial (per-trial scans made this step grow with the square of the number
    of trials: 168 s at 100 times today's data). A column may hold several keys separated by ";" (a record of two
    trials)."""

    def __init__(self, table: pd.DataFrame, column: str, split: bool = False):
        self.table = table
        self.positions: dict[str, list[int]] = {}
        for i, value in enumerate(table[column].fillna("").astype(str)):
            for key in dict.fromkeys(x.strip() for x in value.split(";")) if split else (value,):
                self.positions.setdefault(key, []).append(i)

    def __getitem__(self, key: str) -> pd.DataFrame:
        return self.table.iloc[self.positions.get(key, [])]


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


def _paper_links(r: pd.Series) -> str:
    """DOI, PubMed and PMC links of a record (authoritative pages built from its identifiers)."""
    links = []
    if not fmt.is_missing(r.get("doi")):
        links.append(f'DOI <a href="https://doi.org/{escape.html(r["doi"])}">{escape.html(r["doi"])}</a>')
    if not fmt.is_missing(r.get("pmid")):
        pmid = str(int(r["pmid"])) if isinstance(r["pmid"], float) else str(r["pmid"])
        links.append(f'PubMed <a href="https://pubmed.ncbi.nlm.nih.gov/{escape.html(pmid)}/">{escape.html(pmid)}</a>')
    if not fmt.is_missing(r.get("pmcid")):
        links.append(f'PMC <a href="https://pmc.ncbi.nlm.nih.gov/articles/{escape.html(r["pmcid"])}/">{escape.html(r["pmcid"])}</a>')
    return "; ".join(links) or fmt.MISSING


def _direction(v) -> str:
    if fmt.is_missing(v):
        return fmt.MISSING
    return escape.html(DIRECTION_LABELS.get(v, fmt.code(v)))


def _study_name(sid: str, record: pd.Series) -> str:
    """How a reader names a paper: first author and year; the journal stands in for an author the record lacks."""
    author = "" if fmt.is_missing(record["first_author"]) else str(record["first_author"])
    journal = "" if fmt.is_missing(record["journal"]) else str(record["journal"]).split(" (")[0]
    year = "year not recorded" if fmt.is_missing(record["year"]) else str(int(record["year"]))
    who = author or journal
    return f"{who} ({year})" if who else f"{sid} ({year})"


def animal_page(sid: str, record: pd.Series | None, experiments: pd.DataFrame, rob: pd.DataFrame) -> str:
    """One animal study: the paper, each experiment, SYRCLE risk of bias."""
    if record is not None:
        title = _study_name(sid, record)
        paper = _facts(
            [
                ("Study", escape.html(sid)),
                ("Title", _cell(record["title"])),
                ("Journal", _cell(record["journal"])),
                ("Year", _cell(record["year"])),
                ("Identifiers", _paper_links(record)),
                ("Verified from", _code(record["verified_from"])),
                ("Source", _links(record["source_url"])),
                ("Copy read", _links(record["read_url"])),
            ]
        )
    else:
        title, paper = sid, _facts([("Study", escape.html(sid))])
    parts = [paper]
    for _, e in experiments.sort_values("experiment").iterrows():
        n = int(e["experiment"])
        parts.append(f'<h2 id="experiment-{n}">Experiment {n}</h2>')
        parts.append(
            _facts(
                [
                    ("Species and model", escape.html(f"{fmt.text(e['species'])}, {fmt.text(e['model'])}")),
                    ("Sex", _code(e["sex"])),
                    ("Cells", escape.html(SOURCE_LABELS.get(e["msc_source"], fmt.code(e["msc_source"])))),
                    ("Donor species", _code(e["donor_species"])),
                    ("Product", _code(e["product"])),
                    ("Modification", _cell(e["modification"])),
                    ("Route", _cell(str(e["route"]).replace(";", ", ") if not fmt.is_missing(e["route"]) else None)),
                    ("Dose", _cell(e["dose"])),
                    ("Schedule", _cell(e["schedule"])),
                    ("Immunosuppression", _cell(e["immunosuppression"])),
                    ("Timing", _code(e["timing"])),
                    ("Age at treatment (days)", _cell(e["age_at_treatment_days"])),
                    ("Animals given MSCs / controls", f"{_cell(e['n_msc'])} / {_cell(e['n_control'])}"),
                    ("Control", _cell(e["control"])),
                    ("Onset", _direction(e["onset_direction"])),
                    ("Survival", _direction(e["survival_direction"])),
                    ("Motor function", _direction(e["motor_direction"])),
                    ("Motor neuron count", _direction(e["mn_count_direction"])),
                    ("Survival, MSC / control (days)", f"{_cell(e['survival_msc_days'])} / {_cell(e['survival_control_days'])}"),
                    ("Survival change (%)", _cell(e["survival_change_percent"])),
                    ("Onset effect", _cell(e["onset_effect"])),
                    ("Motor effect", _cell(e["motor_effect"])),
                    ("Other effects", _cell(e["other_effects"])),
                    ("Where it was read", _cell(e["location"])),
                    ("Verified from", _code(e["verified_from"])),
                    ("Source", _links(e["source_url"])),
                    ("Notes", _cell(e["notes"])),
                ]
            )
        )
    rob_rows = [[_cell(r["domain"]), _code(r["judgement"]), _cell(r["support"])] for _, r in rob.iterrows()]
    parts += ["<h2>Risk of bias (SYRCLE)</h2>", _table(["Item", "Judgement", "Support"], rob_rows, "risk of bias")]
    body = "\n".join(parts)
    anchor = escape.markdown(sid)
    return f'(animal-{anchor})=\n# {escape.markdown(title)}\n\n```{{raw}} html\n<div class="alsmsc-trial">\n{body}\n</div>\n```\n'


def _write_set(folder: Path, pages: dict[str, str], heading: str, intro: str, names: dict[str, str]) -> None:
    """Write one set of pages (stale ones removed) and its index, whose digest changes with any page."""
    (folder / "pages").mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for key in sorted(pages):
        write_if_changed(folder / "pages" / f"{key}.md", pages[key])
        digest.update(pages[key].encode("utf-8"))
    for stale in (folder / "pages").glob("*.md"):
        if stale.stem not in pages:
            stale.unlink()
    items = "\n".join(f'<li><a href="pages/{escape.html(key)}.html">{escape.html(names[key])}</a></li>' for key in sorted(pages))
    listing = f'```{{raw}} html\n<ul class="alsmsc-trial-index">\n{items}\n</ul>\n```'
    write_if_changed(folder / "index.md", f"# {heading}\n\n{intro}\n\n{listing}\n\n<!-- pages digest {digest.hexdigest()} -->\n")


def write(layout: Layout) -> dict[str, str]:
    """Write every trial's and every animal study's page and the indexes; returns {id: page path from the book root}
    for linking (trial and record ids, trial names, animal study ids and experiment labels such as Kim2010#2)."""
    t = dataset.load(layout.data, READS)
    desc = dataset.read_descriptor(layout.datapackage)
    codes = {str(v) for r in desc["resources"] for f in r["schema"]["fields"] for v in f.get("constraints", {}).get("enum", []) if "_" in str(v)}
    _CODES_IN_TEXT["codes"] = re.compile(r"(?<![\w/.-])(" + "|".join(sorted(map(re.escape, codes), key=len, reverse=True)) + r")(?![\w/.-])")
    trials, studies = t["trials"].sort_values("trial_id"), t["studies"]
    links: dict[str, str] = {}
    trial_pages, trial_names = {}, {}
    records_of = _Rows(studies, "trial_id", split=True)
    arms_of, outcomes_of = _Rows(t["clinical_arms"], "trial_id"), _Rows(t["clinical_outcomes"], "trial_id")
    rob_of = _Rows(t["risk_of_bias"], "assessed")
    for _, row in trials.iterrows():
        tid = row["trial_id"]
        records = records_of[tid].sort_values(["year", "study_id"], na_position="last")
        trial_pages[tid] = page(row, records, arms_of[tid], outcomes_of[tid], rob_of[tid])
        trial_names[tid] = row["name"]
        links[tid] = f"_generated/trials/pages/{tid}.html"
        links.setdefault(row["name"], links[tid])  # tables often show the trial's name
        for sid in records["study_id"]:
            links.setdefault(sid, f"_generated/trials/pages/{tid}.html#{sid}")
    _write_set(
        layout.generated / "trials",
        trial_pages,
        "Every trial, one page each",
        "Each page is generated from the dataset: what the trial is, who took part, what was given, what it reported, and every "
        "record that was read for it.",
        trial_names,
    )
    pre = t["preclinical_studies"]
    by_id = studies.set_index("study_id")
    animal_pages, animal_names = {}, {}
    for sid, experiments in pre.groupby("study_id", sort=True):
        record = by_id.loc[sid] if sid in by_id.index else None
        text = animal_page(sid, record, experiments, rob_of[sid])
        animal_pages[sid] = text
        animal_names[sid] = _study_name(sid, record) if record is not None else sid
        links.setdefault(sid, f"_generated/animal/pages/{sid}.html")
        for n in experiments["experiment"]:
            links.setdefault(f"{sid}#{int(n)}", f"_generated/animal/pages/{sid}.html#experiment-{int(n)}")
    _write_set(
        layout.generated / "animal",
        animal_pages,
        "Every animal study, one page each",
        "Each page is generated from the dataset: the paper, each experiment (model, cells, route, dose, timing, group sizes, "
        "effects and where they were read) and its risk of bias.",
        animal_names,
    )
    write_if_changed(layout.generated / "trials" / "links.json", json.dumps(links, indent=1, sort_keys=True) + "\n")
    return links

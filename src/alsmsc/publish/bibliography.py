"""references.bib, generated from data/studies.csv: the bibliography is never kept by hand.

pybtex (already used by sphinxcontrib-bibtex) writes the BibTeX, so quoting and escaping follow its rules.
"""

from __future__ import annotations

import re

from pybtex.database import BibliographyData, Entry, Person

from alsmsc import dataset
from alsmsc.files.atomic import write_if_changed
from alsmsc.files.layout import Layout


def _clean(value) -> str | None:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    # Braces and backslashes are BibTeX/LaTeX syntax: a stray one would corrupt the entry or be read as a command.
    return text.replace("{", "(").replace("}", ")").replace("\\", "/") or None


REGISTRIES = {
    "NCT": "ClinicalTrials.gov",
    "IRCT": "Iranian Registry of Clinical Trials",
    "EUCTR": "EU Clinical Trials Register",
    "ISRCTN": "ISRCTN registry",
    "ChiCTR": "Chinese Clinical Trial Registry",
    "KCT": "Clinical Research Information Service (Korea)",
    "ACTRN": "Australian New Zealand Clinical Trials Registry",
    "JPRN": "Japan Registry of Clinical Trials",
    "jRCT": "Japan Registry of Clinical Trials",
    "CTRI": "Clinical Trials Registry - India",
    "UMIN": "UMIN Clinical Trials Registry",
}


def _registry_name(ids: str) -> str:
    first = ids.split(";")[0]
    return next((name for prefix, name in REGISTRIES.items() if first.startswith(prefix)), "Trial registry")


def entry_for(row) -> Entry:
    # Outer braces keep the title's capitalisation (BibTeX styles would lower-case "ALS" and "NurOwn").
    import pandas as pd

    # An undated registry record or press release is cited "n.d.", the usual convention.
    title = _clean(row["title"]) or (
        "[title not shown: known from a review's table]" if row.get("verified_from") == "secondary_source" else "[title not shown in what was read]"
    )
    fields = {"title": "{" + title + "}", "year": "n.d." if pd.isna(row["year"]) else str(int(row["year"]))}
    for src, dst in (("journal", "journal"), ("volume", "volume"), ("issue", "number"), ("pages", "pages"), ("doi", "doi"), ("pmid", "pubmed")):
        value = _clean(row[src])
        if value:
            fields[dst] = value
    notes = []
    if _clean(row["registry_ids"]):
        notes.append("Registry: " + ", ".join(_clean(row["registry_ids"]).split(";")))
    if row["publication_type"] == "press_release":
        notes.append("Press release, not peer-reviewed")
    elif row["publication_type"] == "news":
        notes.append("News report, not peer-reviewed")
    elif row["publication_type"] == "preprint":
        notes.append("Preprint, not peer-reviewed")
    elif row["publication_type"] == "conference_abstract":
        notes.append("Conference abstract")
    if notes:
        fields["note"] = ". ".join(notes)
    if not (fields.get("doi") or fields.get("pubmed")):
        fields["url"] = _clean(row["source_url"]).split()[0]
    kind = "article" if row["publication_type"] in ("peer_reviewed", "conference_abstract", "preprint") and fields.get("journal") else "misc"
    if kind == "misc" and "journal" in fields:
        fields["howpublished"] = fields.pop("journal")
    author = _clean(row["first_author"])
    if author:
        # Only the first author is recorded, so the whole label is one braced name: "Berry et al.".
        persons = {"author": [Person(last="{" + author + " et al.}")]}
    elif _clean(row["registry_ids"]):  # registry-only record: cite the registry as a corporate author (braces keep it one name)
        persons = {"author": [Person(last="{" + _registry_name(_clean(row["registry_ids"])) + "}")]}
    else:  # a paper whose author list was not shown in what was read: say so rather than invent a name
        persons = {"author": [Person(last="{[authors not shown]}")]}
    return Entry(kind, fields={k: v for k, v in fields.items() if v}, persons=persons)


def render(studies) -> str:
    entries = {row["study_id"]: entry_for(row) for _, row in studies.sort_values("study_id").iterrows()}
    text = BibliographyData(entries=entries).to_string("bibtex")
    # pybtex escapes "_" for LaTeX in every field; a DOI or URL is an identifier, not text, and must stay verbatim.
    return re.sub(r'(?m)^(    (?:doi|url) = ".*",?)$', lambda m: m.group(1).replace("\\_", "_"), text)


def write(layout: Layout) -> None:
    studies = dataset.load(layout.data, ["studies"])["studies"]
    write_if_changed(layout.generated / "references.bib", render(studies))

"""`alsmsc new-study`: add a correctly shaped record, fill what is known, mark the rest not reported, validate.

Only flags the contributor gives are filled; every other field is left blank (and listed in not_reported where the
table has that column), so nothing is guessed. The arguments are checked first; the rows are added and checked in a
copy of data/ (dataset.staging), which replaces data/ in one step only when it validates.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
from pathlib import Path

from alsmsc import dataset
from alsmsc.dataset.staging import StagedData
from alsmsc.files.atomic import atomic_write_text
from alsmsc.files.layout import Layout


def _append(path: Path, row: dict) -> None:
    text = path.read_text(encoding="utf-8")
    fields = next(csv.reader(io.StringIO(text)))
    buf = io.StringIO()
    csv.DictWriter(buf, fieldnames=fields, lineterminator="\n").writerow({k: row.get(k, "") for k in fields})
    atomic_write_text(path, text + ("" if text.endswith("\n") else "\n") + buf.getvalue())


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# parameter -> the command-line option that sets it, for messages
_FLAG = {"study_id": "STUDY_ID", "record_type": "--type", "first_author": "--author", "trial_id": "--trial", "record_kind": "--kind"}

RESULT_KINDS = {"results", "interim_results", "long_term_follow_up", "secondary_analysis", "case_report"}


def new_study(
    layout: Layout,
    study_id: str,
    record_type: str,
    first_author: str,
    year: int,
    title: str,
    url: str,
    verified_from: str,
    doi: str = "",
    pmid: str = "",
    registry_ids: str = "",
    journal: str = "",
    publication_type: str = "peer_reviewed",
    country: str = "not_reported",
    trial_id: str = "",
    record_kind: str = "results",
    read_url: str = "",
) -> list[str]:
    """Append the record (and, for a clinical record of a trial not yet in the data, the trial); returns the problems
    found (data/ is unchanged when there are any)."""
    args = {name: value for name, value in locals().items() if name != "layout"}
    if record_type == "clinical" and not trial_id:
        return ["a clinical record needs --trial (an existing trial_id, or a new lowercase id such as smith-ph2)"]
    bad = [_FLAG.get(name, f"--{name.replace('_', '-')}") for name, value in args.items() if isinstance(value, str) and _CONTROL.search(value)]
    if bad:
        return [f"{', '.join(bad)}: control characters (line breaks, NUL, ...) are not allowed in a value; give plain text"]
    with StagedData(layout.data) as stage:
        _scaffold(stage.path, **args)
        dataset.rehash(stage.path)
        problems = [str(p) for p in stage.relabel(dataset.validate(stage.path))]
        if problems:
            return problems
        stage.commit()
    return []


def _scaffold(
    data: Path,
    *,
    study_id: str,
    record_type: str,
    first_author: str,
    year: int,
    title: str,
    url: str,
    verified_from: str,
    doi: str,
    pmid: str,
    registry_ids: str,
    journal: str,
    publication_type: str,
    country: str,
    trial_id: str,
    record_kind: str,
    read_url: str,
) -> None:
    """Append the rows of one new record (and, for a new trial, the trial, its arm and bias rows) to ``data``."""
    clinical = record_type == "clinical"
    _append(
        data / "studies.csv",
        {
            "study_id": study_id,
            "record_type": record_type,
            "trial_id": trial_id if clinical else "",
            "record_kind": record_kind if clinical else "",
            "first_author": first_author,
            "year": str(year),
            "title": title,
            "journal": journal,
            "doi": doi,
            "pmid": pmid,
            "registry_ids": registry_ids,
            "publication_type": publication_type,
            "source_url": url,
            "read_url": read_url,
            "verified_from": verified_from,
            "notes": "Scaffolded by alsmsc new-study; complete from the source read.",
        },
    )
    if clinical:
        known = {r["trial_id"] for r in csv.DictReader((data / "trials.csv").open(encoding="utf-8"))}
        results = record_kind in RESULT_KINDS
        if trial_id not in known:
            desc = dataset.resources(dataset.read_descriptor(data / "datapackage.json"))
            fields = [f["name"] for f in desc["trials"]["schema"]["fields"]]
            filled = {
                "trial_id": trial_id,
                "name": f"{title[:80]}",
                "country": country,
                "product": "MSC",
                "product_class": "cells",
                "phase": "not_reported",
                "design": "single_arm",
                "randomized": "false",
                "blinding": "not_reported",
                "control_type": "not_reported",
                "cell_source": "not_reported",
                "cell_origin": "not_reported",
                "status": "completed" if results else "unknown",
                "results": "peer_reviewed" if results and publication_type == "peer_reviewed" else "none",
                "primary_endpoint_met": "not_reported" if results else "pending",
                "registry_ids": registry_ids,
                "source_url": url,
                "read_url": read_url,
                "verified_from": verified_from,
                "notes": "Scaffolded by alsmsc new-study: design defaults to single_arm; correct it and fill the blanks from the source.",
            }
            optional = [
                f
                for f in fields
                if f not in filled
                and f
                not in (
                    "not_reported",
                    "overlaps_with",
                    "overlap_note",
                    "safety_summary",
                    "efficacy_summary",
                    "n_overlapping",
                    "n_external_control",
                    "n_planned",
                )
            ]
            filled["not_reported"] = ";".join(sorted(f for f in optional if not filled.get(f)))
            _append(data / "trials.csv", filled)
            if results:
                _append(
                    data / "clinical_arms.csv",
                    {
                        "trial_id": trial_id,
                        "arm": "msc",
                        "role": "msc",
                        "description": "MSC (to be described)",
                        "study_id": study_id,
                        "source_url": url,
                        "read_url": read_url,
                        "verified_from": verified_from,
                    },
                )
                for domain in (
                    "confounding",
                    "selection of participants",
                    "classification of interventions",
                    "deviations from intended interventions",
                    "missing data",
                    "measurement of outcomes",
                    "selection of the reported result",
                    "overall",
                ):
                    _append(
                        data / "risk_of_bias.csv",
                        {
                            "assessed": trial_id,
                            "tool": "ROBINS-I",
                            "domain": domain,
                            "judgement": "no_information",
                            "support": "Not yet assessed (trial scaffolded by alsmsc new-study).",
                            "assessor": "",
                        },
                    )
        version = dataset.version(data)["version"]
        record_id = f"DOI:{doi}" if doi else f"PMID:{pmid}" if pmid else (registry_ids.split(";")[0] if registry_ids else f"URL:{url}")
        _append(
            data / "screening_log.csv",
            {
                "record_id": record_id,
                "source": "other_methods",
                "search_date": _dt.date.today().isoformat(),
                "title_abstract_decision": "include",
                "full_text_decision": "include",
                "record_type": "clinical",
                "study_id": study_id,
                "review_version": version,
                "notes": "Added with alsmsc new-study.",
            },
        )

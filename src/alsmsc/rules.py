"""Cross-field and cross-table rules that a Table Schema cannot express.

Each rule yields Problems addressed to the row (header = row 1) and column at fault. Rules run only on tables that
parsed; schema-level problems in the same rows are reported by frictionless alongside.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Callable, Iterator

import pandas as pd

from .data import Problem

Tables = dict[str, pd.DataFrame]
RULES: list[Callable[..., Iterator[Problem]]] = []


def rule(fn):
    RULES.append(fn)
    return fn


def check(tables: Tables, desc: dict, data_dir: Path, today_year: int | None = None) -> list[Problem]:
    year = today_year or _dt.date.today().year
    problems: list[Problem] = []
    for fn in RULES:
        problems.extend(fn(tables, desc=desc, year=year))
    return problems


def _rows(frame: pd.DataFrame):
    """(row number in file, row) pairs; the header is row 1."""
    for i, (_, row) in enumerate(frame.iterrows()):
        yield i + 2, row


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)) or (isinstance(value, str) and not value.strip())


def _split(value) -> list[str]:
    return [] if _blank(value) else [v.strip() for v in str(value).split(";") if v.strip()]


@rule
def years_not_in_future(t: Tables, desc, year) -> Iterator[Problem]:
    for name in ("studies", "clinical_studies"):
        frame = t.get(name)
        if frame is None:
            continue
        for line, row in _rows(frame):
            if not _blank(row["year"]) and int(row["year"]) > year:
                yield Problem(frame.attrs["source"], line, "year", f"{row['year']} is in the future (this year is {year})")


URL_ONLY_TYPES = ("press_release", "news", "regulatory_document")


@rule
def studies_have_an_identifier(t: Tables, desc, year) -> Iterator[Problem]:
    """Publications and registry records need a persistent identifier; press releases and regulator notices have
    none, so their source_url is the identifier (they are flagged as such wherever they are cited)."""
    frame = t.get("studies")
    if frame is None:
        return
    for line, row in _rows(frame):
        if row["publication_type"] in URL_ONLY_TYPES:
            continue
        if all(_blank(row[c]) for c in ("doi", "pmid", "pmcid", "registry_ids")):
            yield Problem(frame.attrs["source"], line, "doi",
                          "needs at least one identifier: doi, pmid, pmcid or registry_ids (only press releases, news and "
                          "regulatory documents may rely on source_url alone)")


@rule
def clinical_counts_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("clinical_studies")
    if frame is None:
        return
    src = frame.attrs["source"]
    for line, row in _rows(frame):
        enrolled = row["n_enrolled"]
        for col in ("n_msc", "n_control"):
            if not _blank(enrolled) and not _blank(row[col]) and row[col] > enrolled:
                yield Problem(src, line, col, f"{col} ({row[col]}) exceeds n_enrolled ({enrolled})")
        if row["randomized"] is True:
            if row["control_type"] in ("none", "historical", "lead_in_self"):
                yield Problem(src, line, "control_type", f"a randomized study needs a concurrent control arm, not {row['control_type']!r}")
            if not _blank(row["n_control"]) and row["n_control"] == 0:
                yield Problem(src, line, "n_control", "a randomized study needs a control arm with at least one participant")
        if (row["design"] == "randomized_controlled") != (row["randomized"] is True):
            yield Problem(src, line, "randomized", f"randomized={row['randomized']} contradicts design={row['design']!r}")


@rule
def not_reported_is_honest(t: Tables, desc, year) -> Iterator[Problem]:
    """A field listed as not reported must be blank, and it must name real columns."""
    for name in ("clinical_studies", "preclinical_studies"):
        frame = t.get(name)
        if frame is None:
            continue
        for line, row in _rows(frame):
            for col in _split(row["not_reported"]):
                if col not in frame.columns:
                    yield Problem(frame.attrs["source"], line, "not_reported", f"{col!r} is not a column of {name}")
                elif not _blank(row[col]) and str(row[col]) != "not_reported":
                    yield Problem(frame.attrs["source"], line, col, f"has a value but is also listed in not_reported")


@rule
def clinical_matches_studies(t: Tables, desc, year) -> Iterator[Problem]:
    clinical, studies = t.get("clinical_studies"), t.get("studies")
    if clinical is None or studies is None:
        return
    by_id = studies.set_index("study_id")
    by_id = by_id[~by_id.index.duplicated()]
    for line, row in _rows(clinical):
        sid = row["study_id"]
        if sid not in by_id.index:
            continue  # reported as a foreign-key problem
        ref = by_id.loc[sid]
        if ref["record_type"] != "clinical":
            yield Problem(clinical.attrs["source"], line, "study_id", f"studies.csv has record_type {ref['record_type']!r} for {sid}; clinical rows need 'clinical'")
        for col in ("first_author", "year", "doi", "pmid", "registry_ids"):
            a, b = row[col], ref[col]
            if _blank(a) and _blank(b):
                continue
            if _blank(a) or _blank(b) or str(a) != str(b):
                yield Problem(clinical.attrs["source"], line, col, f"{a!r} differs from studies.csv ({b!r}) for {sid}")
    for name, kind in (("preclinical_studies", "preclinical"),):
        frame = t.get(name)
        if frame is None:
            continue
        for line, row in _rows(frame):
            sid = row["study_id"]
            if sid in by_id.index and by_id.loc[sid]["record_type"] != kind:
                yield Problem(frame.attrs["source"], line, "study_id", f"studies.csv has record_type {by_id.loc[sid]['record_type']!r} for {sid}; {name} rows need {kind!r}")


@rule
def overlaps_exist(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("clinical_studies")
    if frame is None:
        return
    known = set(frame["study_id"].dropna())
    for line, row in _rows(frame):
        for other in _split(row["overlaps_with"]):
            if other not in known:
                yield Problem(frame.attrs["source"], line, "overlaps_with", f"{other!r} is not a study_id in clinical_studies")
            elif other == row["study_id"]:
                yield Problem(frame.attrs["source"], line, "overlaps_with", "a study cannot overlap with itself")


@rule
def arms_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    arms, clinical = t.get("clinical_arms"), t.get("clinical_studies")
    if arms is None:
        return
    src = arms.attrs["source"]
    for line, row in _rows(arms):
        if not _blank(row["n_randomized"]) and not _blank(row["n_treated"]) and row["n_treated"] > row["n_randomized"]:
            yield Problem(src, line, "n_treated", f"n_treated ({row['n_treated']}) exceeds n_randomized ({row['n_randomized']})")
    if clinical is None:
        return
    with_msc = set(arms.loc[arms["role"] == "msc", "study_id"].dropna())
    for line, row in _rows(clinical):
        if row["design"] != "registry_record" and row["study_id"] not in with_msc:
            yield Problem(clinical.attrs["source"], line, "study_id", f"{row['study_id']} has no arm with role 'msc' in clinical_arms.csv")


@rule
def outcomes_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("clinical_outcomes")
    if frame is None:
        return
    src = frame.attrs["source"]
    for line, row in _rows(frame):
        if not _blank(row["outcome_id"]) and not str(row["outcome_id"]).startswith(f"{row['study_id']}:{row['arm']}:"):
            yield Problem(src, line, "outcome_id", f"must start with '{row['study_id']}:{row['arm']}:' (its study_id and arm)")
        has_mean, has_count = not _blank(row["mean"]), not _blank(row["events"])
        if not has_mean and not has_count:
            yield Problem(src, line, "mean", "an outcome row needs a mean/value or an events count")
        if has_count and not _blank(row["total"]) and row["events"] > row["total"]:
            yield Problem(src, line, "events", f"events ({row['events']}) exceed total ({row['total']})")
        if not _blank(row["dispersion"]) and _blank(row["dispersion_type"]):
            yield Problem(src, line, "dispersion_type", "dispersion is given, so say whether it is sd, se or ci95_halfwidth")


@rule
def intervals_ordered(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("background_facts")
    if frame is None:
        return
    for line, row in _rows(frame):
        lo, hi = row["value_low"], row["value_high"]
        if not _blank(lo) and not _blank(hi) and lo > hi:
            yield Problem(frame.attrs["source"], line, "value_low", f"lower bound {lo} exceeds upper bound {hi}")
        if (_blank(lo) != _blank(hi)) or ((not _blank(lo)) and _blank(row["interval_type"])):
            yield Problem(frame.attrs["source"], line, "interval_type", "give both bounds and their interval_type, or neither")


@rule
def authors_except_registry_records(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("studies")
    if frame is None:
        return
    for line, row in _rows(frame):
        if _blank(row["first_author"]) and row["publication_type"] != "registry_only":
            yield Problem(frame.attrs["source"], line, "first_author", "is required (only registry-only records may leave it blank)")

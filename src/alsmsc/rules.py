"""Cross-field and cross-table rules that a Table Schema cannot express.

Each rule yields Problems addressed to the row (header = row 1) and column at fault. Rules run only on tables that
parsed; schema-level problems in the same rows are reported by frictionless alongside.
"""

from __future__ import annotations

import datetime as _dt
from typing import Callable, Iterator

import pandas as pd

from .data import Problem

Tables = dict[str, pd.DataFrame]
RULES: list[Callable[..., Iterator[Problem]]] = []


def rule(fn):
    RULES.append(fn)
    return fn


def check(tables: Tables, desc: dict, today_year: int | None = None) -> list[Problem]:
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


# --------------------------------------------------------------------------- review apparatus (PRISMA, RoB, GRADE)

TOOL_JUDGEMENTS = {
    "RoB2": {"low", "some_concerns", "high"},
    "ROBINS-I": {"low", "moderate", "serious", "critical", "no_information"},
    "SYRCLE": {"low", "high", "unclear"},
}
GRADE_LEVELS = {"very_low": 1, "low": 2, "moderate": 3, "high": 4}


@rule
def screening_decisions_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    log = t.get("screening_log")
    if log is None:
        return
    src = log.attrs["source"]
    ids = set(log["record_id"].dropna())
    for line, row in _rows(log):
        if not _blank(row["duplicate_of"]):
            if row["duplicate_of"] not in ids:
                yield Problem(src, line, "duplicate_of", f"{row['duplicate_of']!r} is not a record_id in the screening log")
            if row["title_abstract_decision"] != "not_screened":
                yield Problem(src, line, "title_abstract_decision", "a duplicate is removed before screening: use 'not_screened'")
            continue
        if row["title_abstract_decision"] == "not_screened":
            yield Problem(src, line, "title_abstract_decision", "'not_screened' is only for duplicates (give duplicate_of)")
        ft = row["full_text_decision"]
        if row["title_abstract_decision"] == "exclude" and not _blank(ft):
            yield Problem(src, line, "full_text_decision", "a record excluded at title/abstract has no full-text decision")
        if row["title_abstract_decision"] == "include" and _blank(ft):
            yield Problem(src, line, "full_text_decision", "a record included at title/abstract needs a full-text decision")
        excluded = row["title_abstract_decision"] == "exclude" or ft in ("exclude", "not_retrieved")
        if excluded and _blank(row["exclusion_reason"]):
            yield Problem(src, line, "exclusion_reason", "an excluded or not-retrieved record needs a PRISMA reason")
        if ft == "include" and _blank(row["study_id"]):
            yield Problem(src, line, "study_id", "an included record needs the study_id it became")


@rule
def included_studies_are_in_the_screening_log(t: Tables, desc, year) -> Iterator[Problem]:
    log = t.get("screening_log")
    if log is None:
        return
    included = set(log.loc[log["full_text_decision"] == "include", "study_id"].dropna())
    for name in ("clinical_studies", "preclinical_studies"):
        frame = t.get(name)
        if frame is None:
            continue
        for line, row in _rows(frame.drop_duplicates("study_id")):
            if row["study_id"] not in included:
                yield Problem(frame.attrs["source"], line, "study_id",
                              f"{row['study_id']} is not recorded as included in screening_log.csv; the PRISMA flow would not add up")


@rule
def search_counts_match_screening(t: Tables, desc, year) -> Iterator[Problem]:
    searches, log = t.get("search_log"), t.get("screening_log")
    if searches is None or log is None:
        return
    counts = log["search_id"].value_counts()
    for line, row in _rows(searches):
        if not _blank(row["records_identified"]) and int(row["records_identified"]) != int(counts.get(row["search_id"], 0)):
            yield Problem(searches.attrs["source"], line, "records_identified",
                          f"{row['records_identified']} records, but screening_log.csv has {int(counts.get(row['search_id'], 0))} from this search")
        if _blank(row["query"]) and _blank(row["notes"]):
            yield Problem(searches.attrs["source"], line, "query", "give the exact query, or say in notes why it was not logged")


@rule
def risk_of_bias_uses_the_right_tool(t: Tables, desc, year) -> Iterator[Problem]:
    rob = t.get("risk_of_bias")
    if rob is None:
        return
    src = rob.attrs["source"]
    for line, row in _rows(rob):
        allowed = TOOL_JUDGEMENTS.get(row["tool"], set())
        if row["judgement"] not in allowed:
            yield Problem(src, line, "judgement", f"{row['judgement']!r} is not a {row['tool']} judgement; use {', '.join(sorted(allowed))}")
    overall = {(r["study_id"], r["tool"]) for _, r in rob[rob["domain"] == "overall"].iterrows()}
    clinical, pre = t.get("clinical_studies"), t.get("preclinical_studies")
    if clinical is not None:
        for line, row in _rows(clinical):
            if row["status"] in ("ongoing", "unknown", "withdrawn") or row["design"] == "registry_record":
                continue  # registrations, protocols and ongoing trials have no results to assess
            tool = "RoB2" if row["randomized"] is True else "ROBINS-I"
            if (row["study_id"], tool) not in overall:
                yield Problem(clinical.attrs["source"], line, "study_id",
                              f"{row['study_id']} has no {tool} assessment (with an 'overall' domain) in risk_of_bias.csv")
    if pre is not None:
        for line, row in _rows(pre.drop_duplicates("study_id")):
            if (row["study_id"], "SYRCLE") not in overall:
                yield Problem(pre.attrs["source"], line, "study_id", f"{row['study_id']} has no SYRCLE assessment (with an 'overall' domain)")


@rule
def grade_rows_add_up(t: Tables, desc, year) -> Iterator[Problem]:
    grade = t.get("grade")
    if grade is None:
        return
    from .synthesis import COMPARISON_KEYS

    src = grade.attrs["source"]
    for line, row in _rows(grade):
        if row["comparison_key"] not in COMPARISON_KEYS:
            yield Problem(src, line, "comparison_key", f"{row['comparison_key']!r} is not a synthesis comparison; use one of {', '.join(COMPARISON_KEYS)}")
        start = 4 if row["starting_level"] == "high" else 2
        moved = sum(int(row[c]) for c in ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias") if not _blank(row[c]))
        level = max(1, min(4, start + moved + (0 if _blank(row["upgrade"]) else int(row["upgrade"]))))
        expected = {v: k for k, v in GRADE_LEVELS.items()}[level]
        if row["certainty"] != expected:
            yield Problem(src, line, "certainty", f"{row['certainty']!r} does not follow from the ratings (starting {row['starting_level']}, "
                                                  f"{moved:+d} down, {row['upgrade']} up = {expected!r})")

"""Cross-field and cross-table rules that a Table Schema cannot express.

Each rule yields Problems addressed to the row (header = row 1) and column at fault. Rules run only on tables that
parsed; schema-level problems in the same rows are reported by frictionless alongside.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath

import pandas as pd

from alsmsc.dataset.problems import Problem
from alsmsc.dataset.questions import COMPARISON_KEYS
from alsmsc.dataset.source_policy import HostPolicy, split_urls

Tables = dict[str, pd.DataFrame]
RULES: list[Callable[..., Iterator[Problem]]] = []


def rule(fn):
    RULES.append(fn)
    return fn


def check(tables: Tables, desc: dict, today_year: int | None = None) -> list[Problem]:
    year = today_year or _dt.date.today().year
    problems: list[Problem] = []
    for fn in RULES:
        try:
            problems.extend(fn(tables, desc=desc, year=year))
        except Exception as exc:  # noqa: BLE001 - a rule that trips on odd data must still end in a message, not a traceback
            # the package as a whole: the rule reads several tables and the failure does not say which cell is at fault
            where = next((str(PurePosixPath(f.attrs["source"]).parent / "datapackage.json") for f in tables.values()), "data/datapackage.json")
            problems.append(
                Problem(
                    where,
                    None,
                    None,
                    f"the check {fn.__name__} could not run on this data ({type(exc).__name__}: {str(exc)[:120]}); fix the other problems first",
                )
            )
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
def keys_unique_ignoring_case(t: Tables, desc, year) -> Iterator[Problem]:
    """Ids become file names, anchors and citation keys, which are not case-sensitive everywhere (BibTeX keys, macOS and
    Windows file systems): two keys that differ only in case would collide there."""
    for res in desc["resources"]:
        frame, key = t.get(res["name"]), res["schema"].get("primaryKey", [])
        if frame is None or not key:
            continue
        seen: dict[tuple, tuple[int, tuple]] = {}
        columns = [frame[k].astype("string").fillna("").tolist() for k in key]  # not iterrows: this runs over every table
        for line, exact in enumerate(zip(*columns), start=2):
            folded = tuple(v.casefold() for v in exact)
            if folded in seen and seen[folded][1] != exact:
                other_line, other = seen[folded]
                yield Problem(
                    frame.attrs["source"],
                    line,
                    key[0],
                    f"{' + '.join(exact)} differs only in case from {' + '.join(other)} on line {other_line}; ids must differ in more than case",
                )
            seen.setdefault(folded, (line, exact))


@rule
def years_not_in_future(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("studies")
    if frame is None:
        return
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
    hosts = t.get("source_hosts")
    policy = HostPolicy.from_frame(hosts) if hosts is not None else None
    for line, row in _rows(frame):
        undated = row["publication_type"] == "registry_only" or bool(re.search(r"nd[a-z]?$|^PMID\d+$", str(row["study_id"])))
        if _blank(row["year"]) and not undated:
            yield Problem(
                frame.attrs["source"],
                line,
                "year",
                "is required (only a registry record whose posting date was not read, or a record "
                "whose date was not shown, keyed ...nd or PMIDnnnn, may leave it blank)",
            )
        from_review = row.get("verified_from") == "secondary_source"
        if _blank(row.get("title")) and not (from_review or re.match(r"PMID\d+$", str(row["study_id"]))):
            yield Problem(
                frame.attrs["source"],
                line,
                "title",
                "is required (only a record known from a review's table, verified_from "
                "secondary_source, or a PMIDnnnn record whose title was not shown, may leave it blank)",
            )
        if row["publication_type"] in URL_ONLY_TYPES:
            continue
        if not all(_blank(row[c]) for c in ("doi", "pmid", "pmcid", "registry_ids")):
            continue
        # a study known only from a review's table is identified by that table's authoritative page
        if from_review and policy is not None and any(policy.classify(u).category == "authoritative" for u in split_urls(row["source_url"])):
            continue
        full_citation = not _blank(row["journal"]) and not (_blank(row["volume"]) and _blank(row["pages"]))
        publisher_page = policy is not None and any(policy.classify(u).kind == "publisher" for u in split_urls(row["source_url"]))
        if not (full_citation or publisher_page):
            yield Problem(
                frame.attrs["source"],
                line,
                "doi",
                "needs an identifier (doi, pmid, pmcid or registry_ids), a full citation (journal with volume or pages) "
                "or the publisher's page in source_url; only press releases, news and regulatory documents may rely "
                "on another URL alone",
            )


# --------------------------------------------------------------------------- source policy

SOURCED_TABLES = ("trials", "studies", "clinical_arms", "clinical_outcomes", "preclinical_studies", "background_facts")


@rule
def sources_follow_the_policy(t: Tables, desc, year) -> Iterator[Problem]:
    """source_url holds only authoritative pages (at least one, required by the schema); read_url may add secondary
    copies; no URL anywhere may point at a host that is never evidence or at a host the policy does not list."""
    hosts = t.get("source_hosts")
    if hosts is None:
        return
    policy = HostPolicy.from_frame(hosts)
    policy_file = hosts.attrs["source"]
    for name in SOURCED_TABLES:
        frame = t.get(name)
        if frame is None:
            continue
        src = frame.attrs["source"]
        for line, row in _rows(frame):
            for col in ("source_url", "read_url"):
                for url in split_urls(row[col]):
                    if re.search(r"[^/]https?://", url[8:]):
                        yield Problem(src, line, col, f"{url!r} is two URLs run together; separate URLs with a space")
                        continue
                    v = policy.classify(url)
                    if v.category == "never":
                        yield Problem(
                            src,
                            line,
                            col,
                            f"{v.host} is never evidence ({v.kind.replace('_', ' ')}; see {policy_file}); "
                            "remove it and cite the publisher, PubMed/PMC, registry or regulator page",
                        )
                    elif v.category is None:
                        yield Problem(
                            src,
                            line,
                            col,
                            f"host {v.host or url!r} is not in {policy_file}; add it with a category "
                            "(authoritative, secondary or never) in the same pull request",
                        )
                    elif col == "source_url" and v.category != "authoritative":
                        yield Problem(
                            src,
                            line,
                            col,
                            f"{v.host} is a {v.category} source ({v.kind.replace('_', ' ')}); source_url takes "
                            "only authoritative pages (publisher/DOI, PubMed/PMC/Europe PMC, registry, "
                            "regulator, Cochrane): move it to read_url",
                        )


# --------------------------------------------------------------------------- trials and their records

SLOPE_UNITS = {
    "alsfrs_r_slope_pre": "points/month",
    "alsfrs_r_slope_post": "points/month",
    "alsfrs_r_slope_change": "points/month",
    "fvc_percent_slope_pre": "% predicted/month",
    "fvc_percent_slope_post": "% predicted/month",
}
SAFETY_MEASURES = ("deaths", "any_sae", "treatment_related_sae")
_DECLINE = re.compile(r"\b(declin\w*|decreas\w*|worsen\w*|deteriorat\w*|loss)\b", re.I)
_IMPROVE = re.compile(r"\b(improv\w*|increas\w*|gain\w*)\b", re.I)


def _named(text, other: str) -> bool:
    return not _blank(text) and other in str(text)


@rule
def trials_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("trials")
    if frame is None:
        return
    src = frame.attrs["source"]
    seen_names: dict[str, str] = {}
    for line, row in _rows(frame):
        # names label charts and tables: two trials that read alike would merge in a chart or be mistaken in a table
        key = " ".join(str(row["name"]).split()).casefold()
        if key in seen_names:
            yield Problem(
                src,
                line,
                "name",
                f"{row['name']!r} reads the same as the name of {seen_names[key]} (ignoring case and spaces); readers tell trials apart by name",
            )
        seen_names.setdefault(key, row["trial_id"])
        enrolled = row["n_enrolled"]
        for col in ("n_msc", "n_control", "n_overlapping"):
            if not _blank(enrolled) and not _blank(row[col]) and row[col] > enrolled:
                yield Problem(src, line, col, f"{col} ({row[col]}) exceeds n_enrolled ({enrolled})")
        if not _blank(row["n_msc"]) and not _blank(row["n_control"]) and not _blank(enrolled) and row["n_msc"] + row["n_control"] > enrolled:
            yield Problem(
                src,
                line,
                "n_enrolled",
                f"n_msc + n_control ({row['n_msc'] + row['n_control']}) exceeds n_enrolled ({enrolled}); "
                "externally matched controls go in n_external_control",
            )
        if row["randomized"] is True:
            if row["control_type"] in ("none", "historical", "external_matched", "lead_in_self"):
                yield Problem(src, line, "control_type", f"a randomized trial needs a concurrent control arm, not {row['control_type']!r}")
        elif row["control_type"] in ("placebo", "sham") and not re.search(r"not randomi[sz]ed|non-?randomi[sz]ed", str(row["notes"] or ""), re.I):
            yield Problem(
                src,
                line,
                "randomized",
                f"a {row['control_type']}-controlled trial is coded not randomised; registries and "
                "protocols of such trials say how they allocate (if it really is not randomised, say so in notes)",
            )
        if (row["design"] == "randomized_controlled") != (row["randomized"] is True):
            yield Problem(src, line, "randomized", f"randomized={row['randomized']} contradicts design={row['design']!r}")
        if row["status"] == "withdrawn" and not _blank(enrolled) and enrolled > 0:
            yield Problem(src, line, "n_enrolled", "a withdrawn trial enrolled no one")
        if row["status"] == "ongoing" and row["results"] == "peer_reviewed" and "extension" not in str(row["notes"] or ""):
            yield Problem(
                src,
                line,
                "status",
                "a trial with peer-reviewed results is not 'ongoing' (use completed, or say in notes that an extension is running)",
            )


@rule
def trial_overlaps(t: Tables, desc, year) -> Iterator[Problem]:
    """overlaps_with names other, existing trials, and never both ways (people would then be subtracted twice)."""
    frame = t.get("trials")
    if frame is None:
        return
    src = frame.attrs["source"]
    links = {r["trial_id"]: set(_split(r["overlaps_with"])) for _, r in frame.iterrows()}
    for line, row in _rows(frame):
        tid = row["trial_id"]
        for other in links.get(tid, ()):
            if other not in links:
                yield Problem(src, line, "overlaps_with", f"{other!r} is not a trial_id in trials")
            elif other == tid:
                yield Problem(src, line, "overlaps_with", "a trial cannot overlap with itself")
            elif tid in links[other]:
                yield Problem(src, line, "overlaps_with", f"{tid} and {other} list each other; only the later trial lists the earlier one")
        if links.get(tid) and _blank(row["overlap_note"]):
            yield Problem(src, line, "overlap_note", "say who overlaps with whom and how it is known")


@rule
def related_trials_agree(t: Tables, desc, year) -> Iterator[Problem]:
    """Trials that share a registry id or participants describe one programme: they agree on the cell source and
    origin, and trials under one registry id agree on route and randomisation, unless a note names the other trial
    and says why."""
    frame = t.get("trials")
    if frame is None:
        return
    src = frame.attrs["source"]
    rows = {r["trial_id"]: (line, r) for line, r in _rows(frame)}
    by_registry: dict[str, list[str]] = {}
    for tid, (_, r) in rows.items():
        for rid in _split(r["registry_ids"]):
            by_registry.setdefault(rid, []).append(tid)
    pairs = {}
    for tids in by_registry.values():
        for i, a in enumerate(tids):
            for b in tids[i + 1 :]:
                pairs[tuple(sorted((a, b)))] = ("cell_source", "cell_origin", "route", "randomized")
    for tid, (_, r) in rows.items():
        for other in _split(r["overlaps_with"]):
            if other in rows:
                pairs.setdefault(tuple(sorted((tid, other))), ("cell_source", "cell_origin"))
    for (a, b), cols in sorted(pairs.items()):
        (_la, ra), (lb, rb) = rows[a], rows[b]
        explained = any(_named(ra[c], b) or _named(rb[c], a) for c in ("notes", "overlap_note"))
        for col in cols:
            va, vb = ra[col], rb[col]
            if (_blank(va) and _blank(vb)) or (not _blank(va) and not _blank(vb) and va == vb) or explained:
                continue
            yield Problem(
                src,
                lb,
                col,
                f"{b} says {vb!r} but {a}, which shares its registry id or participants, says {va!r}; "
                f"make them agree, or explain in notes (naming {a})",
            )


@rule
def records_belong_to_trials(t: Tables, desc, year) -> Iterator[Problem]:
    studies, trials = t.get("studies"), t.get("trials")
    if studies is None:
        return
    src = studies.attrs["source"]
    known = set(trials["trial_id"].dropna()) if trials is not None else set()
    registry = {r["trial_id"]: set(_split(r["registry_ids"])) for _, r in trials.iterrows()} if trials is not None else {}
    for line, row in _rows(studies):
        for tid in _split(row["trial_id"]):
            if trials is not None and tid not in known:
                yield Problem(src, line, "trial_id", f"{tid!r} is not a trial_id in trials.csv")
        clinical = row["record_type"] == "clinical"
        for col in ("trial_id", "record_kind"):
            if clinical and _blank(row[col]):
                yield Problem(src, line, col, f"a clinical record needs its {col} (every record belongs to one trial)")
            if not clinical and not _blank(row[col]):
                yield Problem(src, line, col, f"only clinical records have a {col}")
        if clinical and row["record_kind"] == "registration":
            theirs = set().union(*(registry.get(tid, set()) for tid in _split(row["trial_id"])))
            missing = set(_split(row["registry_ids"])) - theirs
            if missing and theirs:
                yield Problem(src, line, "registry_ids", f"{', '.join(sorted(missing))} not among the registry_ids of trial {row['trial_id']}")
        if clinical and row["record_kind"] == "press_release" and row["publication_type"] not in ("press_release", "news"):
            yield Problem(src, line, "publication_type", "a press-release record is not peer reviewed: use publication_type press_release or news")
    if trials is None:
        return
    links = studies.dropna(subset=["trial_id"]).assign(trial_id=lambda f: f["trial_id"].str.split(";")).explode("trial_id")
    with_records = set(links["trial_id"])
    for line, row in _rows(trials):
        if row["trial_id"] not in with_records:
            yield Problem(trials.attrs["source"], line, "trial_id", f"{row['trial_id']} has no record in studies.csv")
    kinds = links.groupby("trial_id")["record_kind"].apply(set).to_dict()
    for line, row in _rows(trials):
        k = kinds.get(row["trial_id"], set())
        if row["results"] == "peer_reviewed" and not k & {"results", "interim_results", "long_term_follow_up", "case_report", "secondary_analysis"}:
            yield Problem(
                trials.attrs["source"], line, "results", "peer_reviewed results need a results, follow-up or case-report record of this trial"
            )
        if row["results"] == "conference_abstract_only" and "conference_abstract" not in k:
            yield Problem(trials.attrs["source"], line, "results", "conference_abstract_only needs a conference_abstract record of this trial")
        if row["results"] == "press_release_only" and "press_release" not in k:
            yield Problem(trials.attrs["source"], line, "results", "press_release_only needs a press_release record of this trial")


@rule
def not_reported_is_honest(t: Tables, desc, year) -> Iterator[Problem]:
    """A field listed as not reported must be blank, and it must name real columns."""
    for name in ("trials", "preclinical_studies"):
        frame = t.get(name)
        if frame is None:
            continue
        for line, row in _rows(frame):
            for col in _split(row["not_reported"]):
                if col not in frame.columns:
                    yield Problem(frame.attrs["source"], line, "not_reported", f"{col!r} is not a column of {name}")
                elif not _blank(row[col]) and str(row[col]) != "not_reported":
                    yield Problem(frame.attrs["source"], line, col, "has a value but is also listed in not_reported")


@rule
def arms_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    arms, trials = t.get("clinical_arms"), t.get("trials")
    if arms is None:
        return
    src = arms.attrs["source"]
    for line, row in _rows(arms):
        if not _blank(row["n_randomized"]) and not _blank(row["n_treated"]) and row["n_treated"] > row["n_randomized"]:
            yield Problem(src, line, "n_treated", f"n_treated ({row['n_treated']}) exceeds n_randomized ({row['n_randomized']})")
    if trials is None:
        return
    with_msc = set(arms.loc[arms["role"] == "msc", "trial_id"].dropna())
    for line, row in _rows(trials):
        if row["results"] != "none" and row["trial_id"] not in with_msc:
            yield Problem(
                trials.attrs["source"], line, "trial_id", f"{row['trial_id']} reports results but has no arm with role 'msc' in clinical_arms.csv"
            )


@rule
def outcomes_consistent(t: Tables, desc, year) -> Iterator[Problem]:
    frame = t.get("clinical_outcomes")
    if frame is None:
        return
    src = frame.attrs["source"]
    for line, row in _rows(frame):
        if not _blank(row["outcome_id"]) and not str(row["outcome_id"]).startswith(f"{row['trial_id']}:{row['arm']}:"):
            yield Problem(src, line, "outcome_id", f"must start with '{row['trial_id']}:{row['arm']}:' (its trial_id and arm)")
        has_mean, has_count = not _blank(row["mean"]), not _blank(row["events"])
        if not has_mean and not has_count:
            yield Problem(src, line, "mean", "an outcome row needs a mean/value or an events count")
        if has_count and not _blank(row["total"]) and row["events"] > row["total"]:
            yield Problem(src, line, "events", f"events ({row['events']}) exceed total ({row['total']})")
        for col in ("n", "total"):
            if not _blank(row[col]) and row[col] == 0:
                yield Problem(src, line, col, f"{col} is 0; an outcome is counted in at least one participant (leave it blank when not reported)")
        if has_mean and not _blank(row["dispersion"]) and row["dispersion"] == 0 and str(row["dispersion_type"]) in ("sd", "se", "ci95_halfwidth"):
            yield Problem(
                src,
                line,
                "dispersion",
                f"a {row['dispersion_type']} of 0 gives the mean a zero variance, which no comparison can weigh; "
                "check the source (if it prints 0, leave dispersion blank and quote it in notes)",
            )
        if not _blank(row["dispersion"]) and (_blank(row["dispersion_type"]) or row["dispersion_type"] == "none"):
            yield Problem(src, line, "dispersion_type", "dispersion is given, so say whether it is sd, se, ci95_halfwidth, iqr or range")
        measure = row["measure"]
        if measure in SLOPE_UNITS and row["unit"] != SLOPE_UNITS[measure]:
            yield Problem(
                src,
                line,
                "unit",
                f"{row['unit']!r}: slopes are stored per month ({SLOPE_UNITS[measure]!r}); convert a slope given "
                "per period only if the period length is stated, and say so in notes",
            )
        if measure in SLOPE_UNITS and has_mean:
            words = str(row["notes"] or "")
            down, up = bool(_DECLINE.search(words)), bool(_IMPROVE.search(words))
            if down and not up and row["mean"] > 0:
                yield Problem(src, line, "mean", f"{row['mean']} is positive but notes describe a decline; a decline is a negative slope")
            if up and not down and row["mean"] < 0 and measure.endswith("_change"):
                yield Problem(src, line, "mean", f"{row['mean']} is negative but notes describe an improvement")
        if measure in SAFETY_MEASURES and _blank(row["definition"]):
            yield Problem(src, line, "definition", f"{measure} counts need the source's definition (e.g. 'any SAE regardless of causality')")


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
    """A publication names its first author; a registry record or a paper whose author list was not visible in what
    was read (identified by DOI, PMID or its journal citation) may leave it blank, and is cited by its key."""
    frame = t.get("studies")
    if frame is None:
        return
    for line, row in _rows(frame):
        identified = not (_blank(row["doi"]) and _blank(row["pmid"]) and _blank(row["journal"]))
        if _blank(row["first_author"]) and row["publication_type"] != "registry_only" and not identified:
            yield Problem(
                frame.attrs["source"],
                line,
                "first_author",
                "is required (only registry records, and papers identified by DOI, PMID or journal whose authors were not shown, may leave it blank)",
            )


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
    studies = t.get("studies")
    if studies is not None:
        for line, row in _rows(studies):
            if row["record_type"] in ("clinical", "preclinical") and row["study_id"] not in included:
                yield Problem(
                    studies.attrs["source"],
                    line,
                    "study_id",
                    f"{row['study_id']} is not recorded as included in screening_log.csv; the PRISMA flow would not add up",
                )


@rule
def search_counts_match_screening(t: Tables, desc, year) -> Iterator[Problem]:
    searches, log = t.get("search_log"), t.get("screening_log")
    if searches is None or log is None:
        return
    counts = log["search_id"].value_counts()
    for line, row in _rows(searches):
        if not _blank(row["records_identified"]) and int(row["records_identified"]) != int(counts.get(row["search_id"], 0)):
            yield Problem(
                searches.attrs["source"],
                line,
                "records_identified",
                f"{row['records_identified']} records, but screening_log.csv has {int(counts.get(row['search_id'], 0))} from this search",
            )
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
    overall = {(r["assessed"], r["tool"]) for _, r in rob[rob["domain"] == "overall"].iterrows()}
    trials, pre = t.get("trials"), t.get("preclinical_studies")
    known_trials = set(trials["trial_id"].dropna()) if trials is not None else set()
    known_animal = set(pre["study_id"].dropna()) if pre is not None else set()
    records = set(t["studies"]["study_id"].dropna()) if t.get("studies") is not None else set()
    for line, row in _rows(rob):
        for report in _split(row["report"]):
            if records and report not in records:
                yield Problem(src, line, "report", f"{report!r} is not a study_id in studies.csv")
        target = known_animal if row["tool"] == "SYRCLE" else known_trials
        if (trials is not None and pre is not None) and row["assessed"] not in target:
            what = "an animal study_id in preclinical_studies" if row["tool"] == "SYRCLE" else "a trial_id in trials"
            yield Problem(src, line, "assessed", f"{row['assessed']!r} is not {what}")
    if trials is not None:
        for line, row in _rows(trials):
            if row["results"] == "none":
                continue  # registrations, protocols and trials without results have nothing to assess
            tool = "RoB2" if row["randomized"] is True else "ROBINS-I"
            if (row["trial_id"], tool) not in overall:
                yield Problem(
                    trials.attrs["source"],
                    line,
                    "trial_id",
                    f"{row['trial_id']} has results but no {tool} assessment (with an 'overall' domain) in risk_of_bias.csv",
                )
    if pre is not None:
        # SYRCLE has no overall judgement: every one of its ten items is judged (unclear where the source is silent)
        items = rob[rob["tool"] == "SYRCLE"].groupby("assessed")["domain"].apply(lambda d: {str(x).split(" ")[0] for x in d}).to_dict()
        for line, row in _rows(pre.drop_duplicates("study_id")):
            missing = sorted({str(i) for i in range(1, 11)} - items.get(row["study_id"], set()), key=int)
            if missing:
                yield Problem(
                    pre.attrs["source"],
                    line,
                    "study_id",
                    f"{row['study_id']} has no SYRCLE judgement for item(s) {', '.join(missing)} in risk_of_bias.csv (all ten are needed)",
                )


@rule
def grade_rows_add_up(t: Tables, desc, year) -> Iterator[Problem]:
    grade = t.get("grade")
    if grade is None:
        return

    src = grade.attrs["source"]
    for line, row in _rows(grade):
        if row["comparison_key"] not in COMPARISON_KEYS:
            yield Problem(
                src, line, "comparison_key", f"{row['comparison_key']!r} is not a synthesis comparison; use one of {', '.join(COMPARISON_KEYS)}"
            )
        start = 4 if row["starting_level"] == "high" else 2
        moved = sum(int(row[c]) for c in ("risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias") if not _blank(row[c]))
        level = max(1, min(4, start + moved + (0 if _blank(row["upgrade"]) else int(row["upgrade"]))))
        expected = {v: k for k, v in GRADE_LEVELS.items()}[level]
        if row["certainty"] != expected:
            yield Problem(
                src,
                line,
                "certainty",
                f"{row['certainty']!r} does not follow from the ratings (starting {row['starting_level']}, "
                f"{moved:+d} down, {row['upgrade']} up = {expected!r})",
            )


@rule
def animal_rows_cite_animal_records(t: Tables, desc, year) -> Iterator[Problem]:
    pre, studies = t.get("preclinical_studies"), t.get("studies")
    if pre is None or studies is None:
        return
    kind = dict(zip(studies["study_id"], studies["record_type"]))
    for line, row in _rows(pre):
        if row["study_id"] in kind and kind[row["study_id"]] != "preclinical":
            yield Problem(
                pre.attrs["source"],
                line,
                "study_id",
                f"studies.csv has record_type {kind[row['study_id']]!r} for {row['study_id']}; preclinical_studies rows need 'preclinical'",
            )


@rule
def animal_survival_can_be_weighed(t: Tables, desc, year) -> Iterator[Problem]:
    """Mean survival with an SD or SE is pooled as a log ratio of means: each mean, dispersion and group size must be
    positive, or the log or the variance is undefined."""
    pre = t.get("preclinical_studies")
    if pre is None:
        return
    for line, row in _rows(pre):
        if str(row["survival_statistic"]) != "mean" or str(row["survival_dispersion_type"]) not in ("sd", "se"):
            continue
        sizes = [c if not _blank(row[c]) else c.removeprefix("survival_") for c in ("survival_n_msc", "survival_n_control")]
        for col in ("survival_msc_days", "survival_control_days", "survival_dispersion_msc", "survival_dispersion_control", *sizes):
            if not _blank(row[col]) and row[col] <= 0:
                yield Problem(
                    pre.attrs["source"],
                    line,
                    col,
                    f"is {row[col]}; mean survival with its {row['survival_dispersion_type']} is pooled as a log ratio of means, "
                    "which needs every mean, dispersion and group size above 0 (leave it blank when not reported)",
                )

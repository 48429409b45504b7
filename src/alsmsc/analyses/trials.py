"""The clinical evidence counted per trial: counts, the trials table, the open-trials list and the evidence map.

The review counts trials (or programme cohorts), never records: a registration, protocol, press release and results
paper of one trial are one row here. People are counted once: a trial whose participants are partly those of an
earlier trial (``overlaps_with``) adds only ``n_enrolled - n_overlapping``; if that overlap is not known, the trial
adds no one and is counted separately. Externally matched controls are never counted as enrolled.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from alsmsc.formats import numbers as fmt
from alsmsc.formats.labels import CLASS_LABELS, RESULTS_LABELS, SOURCE_LABELS

ROUTE_ORDER = [
    "intrathecal",
    "intravenous",
    "intramuscular",
    "intraspinal",
    "intracerebroventricular",
    "intracerebral",
    "intranasal",
    "intra arterial",
    "other",
    "not reported",
]
HAS_RESULTS = ("peer_reviewed", "conference_abstract_only", "press_release_only", "registry_only")
OPEN_STATUS = ("ongoing", "unknown", "suspended")


def _list(value) -> str:
    return "not reported" if pd.isna(value) or not str(value) else str(value).replace(";", ", ").replace("_", " ")


def _links(studies: pd.DataFrame) -> pd.DataFrame:
    """One row per (record, trial): a paper that reports two trials links to both."""
    clinical = studies[studies["record_type"] == "clinical"]
    return clinical.assign(trial_id=clinical["trial_id"].str.split(";")).explode("trial_id")


def records_by_trial(studies: pd.DataFrame) -> pd.DataFrame:
    """Per trial: its clinical records (ids, oldest first), their kinds, and the first and last year."""
    clinical = _links(studies).sort_values(["year", "study_id"], na_position="last")
    grouped = clinical.groupby("trial_id", sort=True)
    return pd.DataFrame(
        {
            "records": grouped["study_id"].apply(list),
            "kinds": grouped["record_kind"].apply(lambda s: sorted(set(s.dropna()))),
            "year_first": grouped["year"].min().astype("Int64"),
            "year_last": grouped["year"].max().astype("Int64"),
        }
    )


def participants(trials: pd.DataFrame) -> dict[str, int]:
    """People enrolled in trials with results, each counted once (the rule stated in Methods)."""
    reported = trials[trials["results"].isin(HAS_RESULTS)]
    total, unknown_overlap, missing_n = 0, 0, 0
    for _, t in reported.iterrows():
        if pd.isna(t["n_enrolled"]):
            missing_n += 1
            continue
        if pd.notna(t["overlaps_with"]) and str(t["overlaps_with"]):
            if pd.isna(t["n_overlapping"]):
                unknown_overlap += 1
                continue
            total += int(t["n_enrolled"]) - int(t["n_overlapping"])
        else:
            total += int(t["n_enrolled"])
    return {
        "n_participants_once": total,
        "n_trials_overlap_unknown": unknown_overlap,
        "n_trials_missing_n": missing_n,
        "n_external_controls": int(trials["n_external_control"].fillna(0).sum()),
    }


def counts(trials: pd.DataFrame, studies: pd.DataFrame) -> dict[str, int]:
    """Headline counts, all per trial except the record counts that say so."""
    clinical = studies[studies["record_type"] == "clinical"]
    kinds = clinical["record_kind"].value_counts()
    randomized = trials[trials["randomized"].fillna(False).astype(bool)]
    out = {
        "n_trials": len(trials),
        "n_records": len(clinical),
        "n_results_records": int(
            sum(kinds.get(k, 0) for k in ("results", "interim_results", "long_term_follow_up", "secondary_analysis", "case_report"))
        ),
        "n_registrations": int(kinds.get("registration", 0)),
        "n_protocols": int(kinds.get("protocol", 0)),
        "n_press_releases": int(kinds.get("press_release", 0)),
        "n_trials_peer_reviewed": int((trials["results"] == "peer_reviewed").sum()),
        "n_trials_press_release_only": int((trials["results"] == "press_release_only").sum()),
        "n_trials_no_results": int((trials["results"] == "none").sum()),
        "n_trials_without_peer_reviewed_results": len(open_trials(trials)),
        "n_randomized_trials": len(randomized),
        "n_randomized_with_results": int(randomized["results"].isin(HAS_RESULTS).sum()),
        "n_randomized_primary_met": int((randomized["primary_endpoint_met"] == "yes").sum()),
        "n_randomized_primary_not_met": int((randomized["primary_endpoint_met"] == "no").sum()),
        "n_phase3_trials": int((trials["phase"] == "3").sum()),
        "n_phase3_with_results": int(((trials["phase"] == "3") & trials["results"].isin(HAS_RESULTS)).sum()),
        "n_phase3_primary_met": int(((trials["phase"] == "3") & (trials["primary_endpoint_met"] == "yes")).sum()),
        "n_single_arm_trials": int(trials["design"].isin(["single_arm", "case_series", "case_report", "expanded_access"]).sum()),
        "n_modified_cell_trials": int((trials["product_class"] == "modified_cells").sum()),
        "n_countries": len({c for cs in trials["country"].dropna() for c in str(cs).split(";") if c != "not_reported"}),
        "year_first": int(clinical["year"].min()),
        "year_last": int(clinical["year"].max()),
    }
    out.update(participants(trials))
    return out


def _with_records(trials: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    recs = records_by_trial(studies)
    frame = trials.join(recs, on="trial_id")
    return frame.sort_values(["year_first", "trial_id"], na_position="last")


def table(trials: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """Every trial once, oldest first, with the records that report it."""
    f = _with_records(trials, studies)
    return pd.DataFrame(
        {
            "Trial": f["name"],
            "Records": f["records"].map(lambda r: ", ".join(r) if isinstance(r, list) else ""),
            "Years": [
                "not dated" if pd.isna(a) else f"{int(a)}" if a == b else f"{int(a)}–{int(b)}" for a, b in zip(f["year_first"], f["year_last"])
            ],
            "Country": f["country"].map(_list),
            "Phase": f["phase"].map(lambda p: "n.r." if p == "not_reported" else p),
            "Design": f["design"].map(fmt.code),
            "Product": f["product_class"].map(CLASS_LABELS),
            "Source": f["cell_source"].map(SOURCE_LABELS),
            "Origin": f["cell_origin"].map(fmt.code),
            "Route": f["route"].map(_list),
            "Enrolled (n)": f["n_enrolled"],
            "Status": f["status"].map(fmt.code),
            "Results": f["results"].map(RESULTS_LABELS),
        }
    ).reset_index(drop=True)


def records_table(studies: pd.DataFrame, trials: pd.DataFrame) -> pd.DataFrame:
    """Every clinical record with the trial it belongs to and what was read (a trial appears once per record here,
    by design: this is the list of records, labelled as such)."""
    clinical = studies[studies["record_type"] == "clinical"].sort_values(["trial_id", "year", "study_id"])
    names = dict(zip(trials["trial_id"], trials["name"]))
    return pd.DataFrame(
        {
            "Record": clinical["study_id"],
            "Year": clinical["year"],
            "Kind": clinical["record_kind"].map(fmt.code),
            "Of trial": clinical["trial_id"].map(lambda ids: "; ".join(names.get(i, i) for i in str(ids).split(";"))),
            "Type": clinical["publication_type"].map(fmt.code),
            "Verified from": clinical["verified_from"].map(fmt.code),
        }
    ).reset_index(drop=True)


def open_trials(trials: pd.DataFrame) -> pd.DataFrame:
    """Trials without peer-reviewed results (still running, of unknown status, finished without results, or reported
    only in a press release, conference abstract or registry entry): each once. Withdrawn trials enrolled no one."""
    return trials[(trials["results"] != "peer_reviewed") & (trials["status"] != "withdrawn")]


def names(frame: pd.DataFrame) -> str:
    return "; ".join(frame.sort_values("trial_id")["name"]) or "none"


def design_questions(trials: pd.DataFrame, arms: pd.DataFrame) -> dict[str, object]:
    """What the perspectives chapter says about dose finding and cell-free products, computed from the data."""
    msc_arms = arms[arms["role"] == "msc"].groupby("trial_id").size()
    several = set(msc_arms[msc_arms >= 2].index)
    escalating = set(trials.loc[trials["dose"].fillna("").str.contains(r"escalat", case=False), "trial_id"])
    dose = trials[trials["trial_id"].isin(several | escalating)]
    free = trials[trials["product_class"] == "cell_free"]
    return {
        "n_trials_dose_comparison": len(dose),
        "trials_dose_comparison": names(dose),
        "n_cell_free_trials": len(free),
        "cell_free_trials": names(free),
        "n_cell_free_with_results": int((free["results"] == "peer_reviewed").sum()),
    }


def open_table(trials: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    f = _with_records(open_trials(trials), studies)
    return pd.DataFrame(
        {
            "Trial": f["name"],
            "Registry": f["registry_ids"].map(_list),
            "First record": f["year_first"].map(lambda y: "not dated" if pd.isna(y) else str(int(y))),
            "Country": f["country"].map(_list),
            "Phase": f["phase"].map(lambda p: "n.r." if p == "not_reported" else p),
            "Product": f["product_class"].map(CLASS_LABELS),
            "Source": f["cell_source"].map(SOURCE_LABELS),
            "Route": f["route"].map(_list),
            "Planned or enrolled (n)": f["n_enrolled"].fillna(f["n_planned"]),
            "Status": f["status"].map(fmt.code),
            "Results": f["results"].map(RESULTS_LABELS),
        }
    ).reset_index(drop=True)


def randomised_table(trials: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """The randomised trials in detail, each once: design, size, primary endpoint and whether it was met."""
    f = _with_records(trials[trials["randomized"].fillna(False).astype(bool)], studies)
    return pd.DataFrame(
        {
            "Trial": f["name"],
            "Records": f["records"].map(lambda r: ", ".join(r) if isinstance(r, list) else ""),
            "Phase": f["phase"],
            "Product": f["product"],
            "Control": f["control_type"].map(fmt.code),
            "MSC (n)": f["n_msc"],
            "Control (n)": f["n_control"],
            "Primary endpoint": f["primary_endpoint"],
            "Primary endpoint met": f["primary_endpoint_met"].map(fmt.code),
            "Results": f["results"].map(RESULTS_LABELS),
            "Efficacy": f["efficacy_summary"],
            "Safety": f["safety_summary"],
        }
    ).reset_index(drop=True)


def evidence_map_frame(trials: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """One row per trial x route (a trial given by two routes appears on both rows of the map, once on each)."""
    f = _with_records(trials, studies)
    f = f.assign(route=f["route"].fillna("not reported").str.replace("_", " ").str.split(";")).explode("route")
    return (
        pd.DataFrame(
            {
                "trial": f["name"],
                "year": f["year_first"].astype("Int64"),
                "route": f["route"],
                "source": f["cell_source"].map(SOURCE_LABELS),
                "product": f["product_class"].map(CLASS_LABELS),
                "design": f["design"].map(fmt.code),
                "n": f["n_enrolled"].astype("float"),
                "results": f["results"].map(RESULTS_LABELS),
            }
        )
        .sort_values(["year", "trial", "route"])
        .reset_index(drop=True)
    )


AGGREGATE_ABOVE = 400  # points; beyond this the map shows counts per cell instead of one point per trial


def evidence_map(trials: pd.DataFrame, studies: pd.DataFrame) -> alt.Chart:
    """Trials by the year of their first record and route, coloured by cell source; click the legend to filter."""
    frame = evidence_map_frame(trials, studies).dropna(subset=["year"])  # a registration whose date was not read has no place on the axis
    pick = alt.selection_point(fields=["source"], bind="legend")
    routes = [r for r in ROUTE_ORDER if r in set(frame["route"])] + sorted(set(frame["route"]) - set(ROUTE_ORDER))
    if len(frame) > AGGREGATE_ABOVE:
        agg = frame.groupby(["year", "route", "source"], as_index=False).agg(trials=("trial", "size"), participants=("n", "sum"))
        return (
            alt.Chart(agg)
            .mark_circle(opacity=0.8)
            .encode(
                x=alt.X("year:O", title="Year of the trial's first record"),
                y=alt.Y("route:N", title="Route", sort=routes),
                size=alt.Size("trials:Q", title="Trials"),
                color=alt.Color("source:N", title="Cell source (click to filter)"),
                xOffset=alt.XOffset("source:N"),
                opacity=alt.condition(pick, alt.value(0.85), alt.value(0.08)),
                tooltip=[
                    alt.Tooltip("year:O", title="Year"),
                    alt.Tooltip("route:N", title="Route"),
                    alt.Tooltip("source:N", title="Source"),
                    alt.Tooltip("trials:Q", title="Trials"),
                    alt.Tooltip("participants:Q", title="Enrolled"),
                ],
            )
            .add_params(pick)
            .properties(width="container", height=280)
        )
    return (
        alt.Chart(frame)
        .mark_point(filled=True, opacity=0.85, size=90)
        .encode(
            x=alt.X("year:O", title="Year of the trial's first record"),
            y=alt.Y("route:N", title="Route", sort=routes),
            color=alt.Color("source:N", title="Cell source (click to filter)"),
            shape=alt.Shape("design:N", title="Design"),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
            xOffset=alt.XOffset("trial:N"),
            tooltip=[
                alt.Tooltip("trial:N", title="Trial"),
                alt.Tooltip("year:O", title="First record"),
                alt.Tooltip("n:Q", title="Enrolled"),
                alt.Tooltip("route:N", title="Route"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("product:N", title="Product"),
                alt.Tooltip("design:N", title="Design"),
                alt.Tooltip("results:N", title="Results"),
            ],
        )
        .add_params(pick)
        .properties(width="container", height=280)
    )

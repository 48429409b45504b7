"""Preclinical overview: the animal-study table and the evidence map (MSC source x route, by outcome reported)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from .trials import SOURCE_LABELS


def _has(value) -> bool:
    return pd.notna(value) and str(value).strip() != ""


def counts(pre: pd.DataFrame) -> dict[str, int]:
    return {
        "n_preclinical_studies": int(pre["study_id"].nunique()),
        "n_preclinical_experiments": len(pre),
        "n_preclinical_sod1": int(pre["model"].str.contains("SOD1", case=False, na=False).sum()),
        "n_preclinical_with_survival_numbers": int((pre["survival_msc_days"].notna() & pre["survival_control_days"].notna()).sum()),
    }


def table(pre: pd.DataFrame) -> pd.DataFrame:
    frame = pre.sort_values(["study_id", "experiment"])
    return pd.DataFrame({
        "Study": frame["study_id"], "Experiment": frame["experiment"], "Species": frame["species"], "Model": frame["model"],
        "MSC source": frame["msc_source"].map(SOURCE_LABELS), "Donor": frame["donor_species"], "Modification": frame["modification"],
        "Route": frame["route"].fillna("not reported").str.replace(";", ", "), "Timing": frame["timing"].str.replace("_", " "),
        "Onset": frame["onset_effect"].fillna("—"), "Motor function": frame["motor_effect"].fillna("—"),
        "Verified from": frame["verified_from"].str.replace("_", " "),
    })


def evidence_map_frame(pre: pd.DataFrame) -> pd.DataFrame:
    """One row per experiment x route x outcome domain that the record reports on (onset, survival, motor)."""
    rows = []
    for _, r in pre.iterrows():
        outcomes = [name for name, col in (("onset", "onset_effect"), ("survival", "survival_msc_days"), ("motor function", "motor_effect"))
                    if _has(r[col])]
        if not outcomes:
            outcomes = ["other only"]
        for route in (r["route"].split(";") if _has(r["route"]) else ["not reported"]):
            for outcome in outcomes:
                rows.append({"study": r["study_id"], "experiment": int(r["experiment"]), "source": SOURCE_LABELS.get(r["msc_source"], r["msc_source"]),
                             "route": route, "outcome": outcome, "species": r["species"], "model": r["model"]})
    return pd.DataFrame(rows).sort_values(["source", "route", "outcome", "study"]).reset_index(drop=True)


def evidence_map(pre: pd.DataFrame) -> alt.Chart:
    frame = evidence_map_frame(pre)
    pick = alt.selection_point(fields=["outcome"], bind="legend")
    return (
        alt.Chart(frame)
        .mark_circle(size=160, opacity=0.85)
        .encode(
            x=alt.X("route:N", title="Route of administration"),
            y=alt.Y("source:N", title="MSC source"),
            color=alt.Color("outcome:N", title="Outcome reported (click to filter)"),
            xOffset=alt.XOffset("outcome:N"),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.1)),
            tooltip=[alt.Tooltip("study:N", title="Study"), alt.Tooltip("experiment:Q", title="Experiment"), alt.Tooltip("species:N"),
                     alt.Tooltip("model:N"), alt.Tooltip("source:N"), alt.Tooltip("route:N"), alt.Tooltip("outcome:N")],
        )
        .add_params(pick)
        .properties(width="container", height=200)
    )

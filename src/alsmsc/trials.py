"""The clinical-studies overview: counts, the trials table and the evidence map."""

from __future__ import annotations

import altair as alt
import pandas as pd

ROUTE_ORDER = ["intrathecal", "intravenous", "intramuscular", "intraspinal", "intracerebroventricular", "intracerebral", "intranasal", "other", "not reported"]
SOURCE_LABELS = {
    "bone_marrow": "bone marrow", "adipose": "adipose tissue", "umbilical_cord": "umbilical cord", "wharton_jelly": "Wharton's jelly",
    "placenta": "placenta", "amniotic": "amniotic", "dental_pulp": "dental pulp", "other": "other", "not_reported": "not reported",
}
PUBLISHED_TYPES = {"peer_reviewed"}


def _nice(value: str) -> str:
    return str(value).replace("_", " ")


def counts(clinical: pd.DataFrame) -> dict[str, int]:
    """Headline counts. Participants are summed over peer-reviewed reports that do not overlap an earlier report."""
    published = clinical[clinical["design"] != "registry_record"]
    independent = _without_overlaps(published)
    return {
        "n_records": len(clinical),
        "n_reports": len(published),
        "n_registry_records": int((clinical["design"] == "registry_record").sum()),
        "n_randomized": int(clinical["randomized"].fillna(False).sum()),
        "n_countries": len({c for cs in clinical["country"].dropna() for c in str(cs).split(";") if c != "not_reported"}),
        "year_first": int(clinical["year"].min()),
        "year_last": int(clinical["year"].max()),
        "n_msc_participants_independent": int(independent["n_msc"].fillna(0).sum()),
        "n_reports_missing_n_msc": int(independent["n_msc"].isna().sum()),
    }


def _without_overlaps(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop a report when it overlaps (shares patients with) an earlier-year report that is kept, so people count once."""
    kept: list[str] = []
    for _, row in frame.sort_values(["year", "study_id"]).iterrows():
        overlaps = set(str(row["overlaps_with"]).split(";")) if pd.notna(row["overlaps_with"]) else set()
        if overlaps & set(kept):
            continue
        kept.append(row["study_id"])
    return frame[frame["study_id"].isin(kept)]


def table(clinical: pd.DataFrame) -> pd.DataFrame:
    """The complete clinical-studies table as readers see it (one row per record, oldest first)."""
    frame = clinical.sort_values(["year", "study_id"])
    return pd.DataFrame({
        "Study": frame["study_id"],
        "Year": frame["year"],
        "Country": frame["country"].str.replace(";", ", "),
        "Phase": frame["phase"].str.replace(";", ", ").str.replace("not_reported", "n.r."),
        "Design": frame["design"].map(_nice),
        "MSC (n)": frame["n_msc"],
        "Control (n)": frame["n_control"],
        "Source": frame["cell_source"].map(SOURCE_LABELS),
        "Origin": frame["cell_origin"].map(_nice),
        "Route": frame["route"].fillna("not reported").str.replace(";", ", "),
        "Status": frame["status"].map(_nice),
        "Verified from": frame["verified_from"].map(_nice),
    })


def evidence_map_frame(clinical: pd.DataFrame) -> pd.DataFrame:
    """One row per study x route (a study given by two routes appears on both rows of the map)."""
    frame = clinical.assign(route=clinical["route"].fillna("not reported").str.split(";")).explode("route")
    return pd.DataFrame({
        "study": frame["study_id"],
        "year": frame["year"].astype(int),
        "route": frame["route"],
        "source": frame["cell_source"].map(SOURCE_LABELS),
        "origin": frame["cell_origin"].map(_nice),
        "phase": frame["phase"].str.replace(";", ", "),
        "design": frame["design"].map(_nice),
        "n_msc": frame["n_msc"].astype("float"),
        "status": frame["status"].map(_nice),
    }).sort_values(["year", "study", "route"]).reset_index(drop=True)


AGGREGATE_ABOVE = 400  # points; beyond this the map shows counts per cell instead of one point per study


def evidence_map(clinical: pd.DataFrame) -> alt.Chart:
    """Studies by year and route, coloured by cell source; click the legend to filter by source.

    A large dataset is aggregated to counts per year x route x source, so the page does not carry every record."""
    frame = evidence_map_frame(clinical)
    pick = alt.selection_point(fields=["source"], bind="legend")
    if len(frame) > AGGREGATE_ABOVE:
        counts = frame.groupby(["year", "route", "source"], as_index=False).agg(records=("study", "size"), participants=("n_msc", "sum"))
        return (
            alt.Chart(counts)
            .mark_circle(opacity=0.8)
            .encode(
                x=alt.X("year:O", title="Year of publication or registration"),
                y=alt.Y("route:N", title="Route of administration", sort=[r for r in ROUTE_ORDER if r in set(counts["route"])]),
                size=alt.Size("records:Q", title="Records"), color=alt.Color("source:N", title="Cell source (click to filter)"),
                xOffset=alt.XOffset("source:N"), opacity=alt.condition(pick, alt.value(0.85), alt.value(0.08)),
                tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("route:N", title="Route"), alt.Tooltip("source:N", title="Source"),
                         alt.Tooltip("records:Q", title="Records"), alt.Tooltip("participants:Q", title="MSC participants")],
            )
            .add_params(pick)
            .properties(width="container", height=260)
        )
    return (
        alt.Chart(frame)
        .mark_point(filled=True, opacity=0.85, size=90)
        .encode(
            x=alt.X("year:O", title="Year of publication or registration"),
            y=alt.Y("route:N", title="Route of administration", sort=[r for r in ROUTE_ORDER if r in set(frame["route"])]),
            color=alt.Color("source:N", title="Cell source (click to filter)"),
            shape=alt.Shape("design:N", title="Design"),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.08)),
            xOffset=alt.XOffset("study:N"),
            tooltip=[alt.Tooltip("study:N", title="Study"), alt.Tooltip("year:O", title="Year"),
                     alt.Tooltip("n_msc:Q", title="MSC participants"), alt.Tooltip("route:N", title="Route"),
                     alt.Tooltip("source:N", title="Source"), alt.Tooltip("origin:N", title="Origin"),
                     alt.Tooltip("phase:N", title="Phase"), alt.Tooltip("status:N", title="Status")],
        )
        .add_params(pick)
        .properties(width="container", height=260)
    )


def registered_table(clinical: pd.DataFrame) -> pd.DataFrame:
    """Registered trials still running, of unknown status or completed without a results publication in the dataset."""
    frame = clinical[clinical["status"].isin(["ongoing", "unknown", "completed_unpublished"])].sort_values(["year", "study_id"])
    return pd.DataFrame({
        "Record": frame["study_id"], "Year": frame["year"], "Country": frame["country"].str.replace(";", ", "),
        "Phase": frame["phase"].str.replace(";", ", ").str.replace("not_reported", "n.r."), "Source": frame["cell_source"].map(SOURCE_LABELS),
        "Origin": frame["cell_origin"].map(_nice), "Route": frame["route"].fillna("not reported").str.replace(";", ", "),
        "Planned or enrolled (n)": frame["n_enrolled"], "Status": frame["status"].map(_nice),
    })


def randomised_table(clinical: pd.DataFrame) -> pd.DataFrame:
    """The randomised trials in detail: design, size, primary endpoint and the results in the record's own words."""
    frame = clinical[clinical["randomized"].fillna(False)].sort_values(["year", "study_id"])
    return pd.DataFrame({
        "Study": frame["study_id"], "Phase": frame["phase"].str.replace(";", ", "), "Product": frame["product"],
        "Control": frame["control_type"].map(_nice), "MSC (n)": frame["n_msc"], "Control (n)": frame["n_control"],
        "Route": frame["route"].fillna("not reported").str.replace(";", ", "), "Primary endpoint": frame["primary_endpoint"],
        "Efficacy": frame["efficacy_summary"], "Safety": frame["safety_summary"], "Status": frame["status"].map(_nice),
    })

"""The records overview: what the bibliographic table holds and how completely each record was verified."""

from __future__ import annotations

import altair as alt
import pandas as pd

VERIFICATION_ORDER = [
    "full text",
    "full text partial",
    "abstract",
    "abstract partial",
    "registry",
    "press release",
    "regulatory document",
    "secondary source",
]


def counts(studies: pd.DataFrame) -> dict[str, int]:
    verified = studies["verified_from"].value_counts()
    return {
        "n_studies_table": len(studies),
        "n_full_text": int(verified.get("full_text", 0)),
        "n_full_text_partial": int(verified.get("full_text_partial", 0)),
        "n_abstract_only": int(verified.get("abstract", 0)),
        "n_abstract_partial": int(verified.get("abstract_partial", 0)),
        "n_registry_only": int(verified.get("registry", 0)),
        "n_secondary_only": int(verified.get("secondary_source", 0))
        + int(verified.get("press_release", 0))
        + int(verified.get("regulatory_document", 0)),
        "n_press_releases": int((studies["publication_type"] == "press_release").sum()),
        "n_read_on_copy": int(studies["read_url"].notna().sum()),
    }


def host_policy_counts(hosts: pd.DataFrame) -> dict[str, int]:
    by = hosts["category"].value_counts()
    return {f"n_hosts_{c}": int(by.get(c, 0)) for c in ("authoritative", "secondary", "never")}


def verification_table(studies: pd.DataFrame) -> pd.DataFrame:
    """Records by role and by how completely the source was read (a row per role, a column per level)."""
    frame = studies.assign(level=studies["verified_from"].str.replace("_", " "), role=studies["record_type"])
    table = pd.crosstab(frame["role"], frame["level"]).reindex(columns=[c for c in VERIFICATION_ORDER if c in set(frame["level"])])
    return table.reset_index().rename(columns={"role": "Record type"}).sort_values("Record type").reset_index(drop=True)


def verification_chart(studies: pd.DataFrame) -> alt.Chart:
    frame = (
        studies.assign(level=studies["verified_from"].str.replace("_", " "))
        .groupby(["record_type", "level"], as_index=False)
        .size()
        .rename(columns={"size": "records"})
        .sort_values(["record_type", "level"])
        .reset_index(drop=True)
    )
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("record_type:N", title="Record type"),
            x=alt.X("records:Q", title="Records", stack="zero"),
            color=alt.Color("level:N", title="Verified from", sort=VERIFICATION_ORDER),
            order=alt.Order("level:N"),
            tooltip=[
                alt.Tooltip("record_type:N", title="Record type"),
                alt.Tooltip("level:N", title="Verified from"),
                alt.Tooltip("records:Q", title="Records"),
            ],
        )
        .properties(width="container", height=120)
    )

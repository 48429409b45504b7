"""Background facts for the disease and etiology chapters: one formatted text per fact, tables and a risk-factor chart.

Each fact is published under ``fact_<fact_id>`` so that chapters paste it (with its interval and unit) instead of
typing it; the chapter cites the fact's source study_id next to it.
"""

from __future__ import annotations

import re

import altair as alt
import pandas as pd

INTERVAL_LABEL = {"ci95": "95% CI", "iqr": "IQR", "range": "range"}


def _num(x) -> str:
    """Numbers as read: no trailing zeros, no scientific notation."""
    x = float(x)
    return f"{x:g}" if abs(x) < 1e6 else f"{x:,.0f}"


def format_fact(row) -> str:
    """'1.75 per 100,000 person-years (95% CI 1.55 to 1.96)'; text values are kept as written."""
    value = str(row["value"])
    try:
        text = _num(float(value))
        numeric = True
    except ValueError:
        text, numeric = value, False
    unit = str(row["unit"]) if pd.notna(row["unit"]) else ""
    if numeric and unit and unit not in ("year", "date", "count", "criteria", "qualitative"):
        if unit == "%":
            text = f"{text}%"
        elif unit.split(" ")[0] in ("OR", "RR", "HR"):
            text = f"{unit} {text}"
        elif not unit.startswith("ratio"):  # a ratio needs no unit; its meaning is in the sentence
            text = f"{text} {unit}"
    itype = row["interval_type"] if pd.notna(row["interval_type"]) else ""
    if itype in INTERVAL_LABEL and pd.notna(row["value_low"]) and pd.notna(row["value_high"]) and numeric:
        text += f" ({INTERVAL_LABEL[itype]} {_num(row['value_low'])} to {_num(row['value_high'])})"
    return text


def facts_by_id(facts: pd.DataFrame) -> dict[str, str]:
    return {row["fact_id"]: format_fact(row) for _, row in facts.sort_values("fact_id").iterrows()}


RISK_FACTORS = {  # fact_id prefix pattern -> factor label
    "lead": "Lead",
    "pesticides": "Pesticides",
    "military": "Military service",
    "head": "Head trauma or injury",
    "electric_shock": "Electric shock",
    "elf_emf": "Electromagnetic fields",
    "emf": "Electromagnetic fields",
    "metals": "Metals",
    "professional_sports": "Professional sports",
    "physical_activity": "Physical activity",
    "smoking": "Smoking",
}


def _factor(fact_id: str) -> str | None:
    core = re.sub(r"^env_", "", fact_id)
    for key, label in RISK_FACTORS.items():
        if core.startswith(key):
            return label
    return None


def risk_factor_table(facts: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """Environmental and lifestyle factors with a numeric pooled OR or RR and its 95% CI (one row per estimate)."""
    env = facts[(facts["topic"] == "environment") & (facts["interval_type"] == "ci95")].copy()
    env = env[pd.to_numeric(env["value"], errors="coerce").notna()]
    env["factor"] = env["fact_id"].map(_factor)
    env = env[env["factor"].notna()]
    authors = dict(zip(studies["study_id"], studies["first_author"]))
    years = dict(zip(studies["study_id"], studies["year"]))
    table = pd.DataFrame(
        {
            "Factor": env["factor"],
            "Estimate": pd.to_numeric(env["value"]).astype(float),
            "Measure": env["unit"],
            "95% CI low": env["value_low"].astype(float),
            "95% CI high": env["value_high"].astype(float),
            "Source": [f"{authors.get(s, s)} {years.get(s, '')}".strip() for s in env["study_id"]],
            "study_id": env["study_id"],
            "Population": env["population"],
            "Includes 1": [(lo <= 1 <= hi) for lo, hi in zip(env["value_low"].astype(float), env["value_high"].astype(float))],
        }
    )
    return table.sort_values(["Factor", "Source"]).reset_index(drop=True)


def risk_factor_chart(table: pd.DataFrame) -> alt.LayerChart:
    """Pooled odds or risk ratios with 95% CIs, log scale; one row per meta-analytic estimate."""
    frame = table.assign(label=table["Factor"] + " — " + table["Source"])
    order = frame["label"].tolist()
    tooltip = [
        alt.Tooltip("Factor:N"),
        alt.Tooltip("Source:N"),
        alt.Tooltip("Measure:N"),
        alt.Tooltip("Estimate:Q", format=".2f"),
        alt.Tooltip("95% CI low:Q", format=".2f"),
        alt.Tooltip("95% CI high:Q", format=".2f"),
        alt.Tooltip("Population:N"),
    ]
    base = alt.Chart(frame).encode(y=alt.Y("label:N", sort=order, title=None))
    scale = alt.Scale(type="log", domain=[0.4, 10])
    return alt.layer(
        alt.Chart(pd.DataFrame({"one": [1.0]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x=alt.X("one:Q", scale=scale)),
        base.mark_rule().encode(
            x=alt.X("95% CI low:Q", scale=scale, title="Pooled odds or risk ratio (log scale; > 1 = higher risk)"),
            x2="95% CI high:Q",
            color=alt.Color("Factor:N", legend=None),
            tooltip=tooltip,
        ),
        base.mark_point(filled=True, size=60).encode(x=alt.X("Estimate:Q", scale=scale), color=alt.Color("Factor:N", legend=None), tooltip=tooltip),
    ).properties(width="container", height=22 * len(frame))


GENE_PATTERN = re.compile(r"([A-Z][A-Za-z0-9]+)\s+([0-9.]+)%")


def gene_table(facts: pd.DataFrame, studies: pd.DataFrame) -> pd.DataFrame:
    """Major ALS genes: discovery year (from gene_discovery_* facts) and share of ALS in a population register."""
    years = dict(zip(studies["study_id"], studies["year"]))
    authors = dict(zip(studies["study_id"], studies["first_author"]))
    rows: dict[str, dict] = {}
    for _, f in facts[facts["fact_id"].str.startswith("gene_discovery_")].iterrows():
        gene = f["fact_id"].split("_")[2].upper().replace("C9ORF72", "C9orf72")
        rows.setdefault(gene, {})["Discovered"] = str(f["value"])
        rows[gene]["Discovery source"] = f"{authors.get(f['study_id'], f['study_id'])} {years.get(f['study_id'], '')}"
    shares = facts[facts["fact_id"] == "gene_shares_population_register_italy_chio2018"]
    for _, f in shares.iterrows():
        for gene, pct in GENE_PATTERN.findall(str(f["value"])):
            rows.setdefault(gene, {})["Share of ALS in the Piemonte register (%)"] = float(pct)
            rows[gene]["Share source"] = f"{authors.get(f['study_id'], f['study_id'])} {years.get(f['study_id'], '')}"
    table = pd.DataFrame([{"Gene": g, **v} for g, v in rows.items()])
    cols = ["Gene", "Discovered", "Discovery source", "Share of ALS in the Piemonte register (%)", "Share source"]
    table = table.reindex(columns=cols)
    return table.sort_values(["Discovered", "Gene"], na_position="last").reset_index(drop=True)


def gene_chart(table: pd.DataFrame) -> alt.Chart:
    share = "Share of ALS in the Piemonte register (%)"
    frame = table.dropna(subset=[share])
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("Gene:N", sort="-x", title=None),
            x=alt.X(f"{share}:Q", title="Patients carrying a pathogenic variant (%)"),
            color=alt.Color("Gene:N", legend=None),
            tooltip=[alt.Tooltip("Gene:N"), alt.Tooltip(f"{share}:Q", title="Share (%)"), alt.Tooltip("Discovered:N"), alt.Tooltip("Share source:N")],
        )
        .properties(width="container", height=30 * max(1, len(frame)))
    )

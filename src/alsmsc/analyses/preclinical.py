"""The animal evidence: counts, the experiments table, and a synthesis without meta-analysis (SWiM).

Most animal papers report survival as a % change, a figure or a sentence, so the synthesis follows SWiM (Campbell et
al., BMJ 2020;368:l6890): experiments are grouped by model, route, timing and cell source; the direction of effect is
coded per outcome from each source's own conclusion; an effect-direction plot and a sign test summarise them; the %
changes in lifespan that sources report are shown unweighted. A ratio of means is pooled only where mean, dispersion
and n were all read (see :func:`alsmsc.synthesis.animal_survival`).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from alsmsc.formats import colours
from alsmsc.formats import numbers as fmt
from alsmsc.formats.labels import DIRECTION_LABELS, MODEL_LABELS, REASON_LABELS, SOURCE_LABELS

OUTCOMES = (("onset", "Disease onset"), ("survival", "Survival"), ("motor", "Motor function"), ("mn_count", "Motor neuron counts"))
SYMBOL = {"favours_msc": "▲", "no_difference": "◆", "favours_control": "▼"}
GROUPINGS = (("route", "Route"), ("timing", "Timing"), ("msc_source", "Cell source"), ("product", "Product"), ("model_class", "Model"))


SPONTANEOUS = ("canine_DM",)  # a naturally occurring disease in pet dogs: reported apart, never pooled with the models


def disease_models(pre: pd.DataFrame) -> pd.DataFrame:
    """The experiments in induced or genetic models of ALS, the ones the SWiM synthesis counts; spontaneous disease
    (canine degenerative myelopathy) is shown apart because its design (uncontrolled or confounded clinical series)
    and its disease differ."""
    return pre[~pre["model_class"].isin(SPONTANEOUS)]


def _label(row) -> str:
    return f"{row['study_id']}#{int(row['experiment'])}"


def counts(pre: pd.DataFrame) -> dict[str, int]:
    measured = {o: pre[f"{o}_direction"].isin(DIRECTION_LABELS) for o, _ in OUTCOMES}
    survival_numbers = pre.dropna(subset=["survival_msc_days", "survival_control_days"])
    return {
        "n_preclinical_studies": int(pre["study_id"].nunique()),
        "n_preclinical_experiments": len(pre),
        "n_preclinical_sod1": int((pre["model_class"] == "SOD1").sum()),
        "n_preclinical_other_models": int((~pre["model_class"].isin(["SOD1", "canine_DM"])).sum()),
        "n_preclinical_canine": int((pre["model_class"] == "canine_DM").sum()),
        "n_preclinical_mouse": int((pre["species"] == "mouse").sum()),
        "n_preclinical_rat": int((pre["species"] == "rat").sum()),
        "n_preclinical_cell_free": int((pre["product"] == "cell_free").sum()),
        "n_preclinical_modified": int((pre["product"] == "modified_cells").sum()),
        "n_preclinical_presymptomatic": int((pre["timing"] == "presymptomatic").sum()),
        "n_preclinical_survival_measured": int(measured["survival"].sum()),
        "n_preclinical_with_survival_numbers": len(survival_numbers),
        "n_preclinical_with_survival_change": int(pre["survival_change_percent"].notna().sum()),
        "n_preclinical_secondary": int((pre["verified_from"] == "secondary_source").sum()),
        "n_preclinical_null_or_negative": int(
            pre[[f"{o}_direction" for o, _ in OUTCOMES]].isin(["no_difference", "favours_control"]).any(axis=1).sum()
        ),
    }


def direction_summary(pre: pd.DataFrame) -> pd.DataFrame:
    """Per outcome, in the disease models (spontaneous canine disease apart): experiments measuring it, how many
    favour MSC, show no clear difference or favour control, and an
    exact two-sided sign test of favours-MSC against favours-control (experiments with no clear difference carry no
    direction and are left out of the test, as SWiM's sign test does)."""
    from scipy.stats import binomtest

    rows = []
    pre = disease_models(pre)
    for outcome, label in OUTCOMES:
        d = pre[f"{outcome}_direction"]
        pos, none, neg = int((d == "favours_msc").sum()), int((d == "no_difference").sum()), int((d == "favours_control").sum())
        k = pos + none + neg
        p = binomtest(pos, pos + neg).pvalue if pos + neg else float("nan")
        rows.append(
            {
                "Outcome": label,
                "Experiments measuring it": k,
                "Favour MSC": pos,
                "No clear difference": none,
                "Favour control": neg,
                "Share favouring MSC": fmt.share(pos, k),
                "Sign test p (MSC vs control directions)": fmt.p_value(p),
            }
        )
    return pd.DataFrame(rows)


def direction_numbers(pre: pd.DataFrame) -> dict[str, object]:
    """The per-outcome shares and sign tests as numbers a chapter can paste."""
    table = direction_summary(pre)
    out = {}
    for (outcome, _), (_, row) in zip(OUTCOMES, table.iterrows()):
        out[f"pre_{outcome}_k"] = int(row["Experiments measuring it"])
        out[f"pre_{outcome}_favour"] = int(row["Favour MSC"])
        out[f"pre_{outcome}_share"] = row["Share favouring MSC"]
        out[f"pre_{outcome}_sign_p"] = row["Sign test p (MSC vs control directions)"]
    return out


def subgroup_directions(pre: pd.DataFrame, outcome: str = "survival") -> pd.DataFrame:
    """Survival (or another outcome) direction by route, timing, source, product and model: the SWiM grouping."""
    rows = []
    pre = disease_models(pre)
    d = pre[pre[f"{outcome}_direction"].isin(DIRECTION_LABELS)]
    for col, title in GROUPINGS:
        values = d.assign(group=d[col].fillna("not reported").astype(str).str.split(";")).explode("group")
        for group, g in values.groupby("group", sort=True):
            dirs = g[f"{outcome}_direction"]
            rows.append(
                {
                    "Grouped by": title,
                    "Group": (MODEL_LABELS if col == "model_class" else SOURCE_LABELS).get(group, fmt.code(group)),
                    "Experiments": len(g),
                    "Favour MSC": int((dirs == "favours_msc").sum()),
                    "No clear difference": int((dirs == "no_difference").sum()),
                    "Favour control": int((dirs == "favours_control").sum()),
                }
            )
    return pd.DataFrame(rows, columns=["Grouped by", "Group", "Experiments", "Favour MSC", "No clear difference", "Favour control"])


def table(pre: pd.DataFrame) -> pd.DataFrame:
    frame = pre.sort_values(["study_id", "experiment"])
    arrow = lambda v: f"{SYMBOL.get(v, '')} {DIRECTION_LABELS.get(v, str(v).replace('_', ' '))}".strip()  # noqa: E731
    return pd.DataFrame(
        {
            "Experiment": [_label(r) for _, r in frame.iterrows()],
            "Species": frame["species"],
            "Model": frame["model"],
            "MSC source": frame["msc_source"].map(lambda v: SOURCE_LABELS.get(v, v)),
            "Product": frame["product"].str.replace("_", " "),
            "Modification": frame["modification"],
            "Route": frame["route"].fillna("not reported").str.replace(";", ", ").str.replace("_", " "),
            "Timing": frame["timing"].str.replace("_", " "),
            "MSC / control (n)": [f"{a if pd.notna(a) else '?'} / {b if pd.notna(b) else '?'}" for a, b in zip(frame["n_msc"], frame["n_control"])],
            "Onset": frame["onset_direction"].map(arrow),
            "Survival": frame["survival_direction"].map(arrow),
            "Motor": frame["motor_direction"].map(arrow),
            "Motor neurons": frame["mn_count_direction"].map(arrow),
            "Survival change (%)": frame["survival_change_percent"],
            "Verified from": frame["verified_from"].str.replace("_", " "),
        }
    ).reset_index(drop=True)


def effect_direction_plot(pre: pd.DataFrame) -> alt.Chart:
    """SWiM effect-direction plot: one row per experiment, one column per outcome; the symbol and colour give the
    direction the source reports (blank: not measured)."""
    rows = []
    for _, r in pre.sort_values(["model_class", "study_id", "experiment"]).iterrows():
        for outcome, label in OUTCOMES:
            v = r[f"{outcome}_direction"]
            if v in DIRECTION_LABELS:
                rows.append(
                    {
                        "experiment": _label(r),
                        "outcome": label,
                        "direction": DIRECTION_LABELS[v],
                        "symbol": SYMBOL[v],
                        "route": str(r["route"]).replace(";", ", ") if pd.notna(r["route"]) else "not reported",
                        "timing": r["timing"],
                        "source": SOURCE_LABELS.get(r["msc_source"], r["msc_source"]),
                    }
                )
    frame = pd.DataFrame(rows, columns=["experiment", "outcome", "direction", "symbol", "route", "timing", "source"])
    order = list(dict.fromkeys(frame["experiment"]))
    colour = alt.Color(
        "direction:N",
        title="Direction (source's conclusion)",
        scale=alt.Scale(domain=list(DIRECTION_LABELS.values()), range=[colours.GREEN, colours.GREY, colours.VERMILLION]),
    )
    return (
        alt.Chart(frame)
        .mark_text(fontSize=14)
        .encode(
            x=alt.X("outcome:N", title=None, sort=[label for _, label in OUTCOMES], axis=alt.Axis(labelAngle=0, orient="top")),
            y=alt.Y("experiment:N", title=None, sort=order),
            text="symbol:N",
            color=colour,
            tooltip=[
                alt.Tooltip("experiment:N", title="Experiment"),
                alt.Tooltip("outcome:N", title="Outcome"),
                alt.Tooltip("direction:N", title="Direction"),
                alt.Tooltip("route:N", title="Route"),
                alt.Tooltip("timing:N", title="Timing"),
                alt.Tooltip("source:N", title="Cell source"),
            ],
        )
        .properties(width=420, height=max(80, 18 * len(order)))
    )


def lifespan_change(pre: pd.DataFrame) -> pd.DataFrame:
    d = disease_models(pre).dropna(subset=["survival_change_percent"]).sort_values("survival_change_percent")
    return pd.DataFrame(
        {
            "experiment": [_label(r) for _, r in d.iterrows()],
            "change": d["survival_change_percent"].astype(float),
            "route": d["route"].fillna("not reported").str.replace(";", ", "),
            "timing": d["timing"],
            "source": d["msc_source"].map(lambda v: SOURCE_LABELS.get(v, v)),
        }
    ).reset_index(drop=True)


def lifespan_numbers(pre: pd.DataFrame) -> dict[str, object]:
    d = lifespan_change(pre)["change"]
    if d.empty:
        return {"pre_lifespan_k": 0, "pre_lifespan_median": fmt.MISSING, "pre_lifespan_range": fmt.MISSING}
    return {
        "pre_lifespan_k": len(d),
        "pre_lifespan_median": fmt.percent(d.median()),
        "pre_lifespan_range": f"{fmt.percent(d.min())} to {fmt.percent(d.max())}",
    }


def lifespan_plot(pre: pd.DataFrame) -> alt.LayerChart:
    """The % change in lifespan each source reports, unweighted (no precision is known), with the median."""
    frame = lifespan_change(pre)
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=70, color=colours.BLUE)
        .encode(
            x=alt.X("change:Q", title="Reported change in lifespan (%; unweighted)"),
            y=alt.Y("experiment:N", sort=frame["experiment"].tolist(), title=None),
            tooltip=[
                alt.Tooltip("experiment:N", title="Experiment"),
                alt.Tooltip("change:Q", title="Change (%)"),
                alt.Tooltip("route:N", title="Route"),
                alt.Tooltip("timing:N", title="Timing"),
                alt.Tooltip("source:N", title="Source"),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color="#555", strokeDash=[4, 4]).encode(x="x:Q")
    layers = [zero, points]
    if len(frame):
        layers.append(alt.Chart(pd.DataFrame({"median": [float(frame["change"].median())]})).mark_rule(color=colours.VERMILLION).encode(x="median:Q"))
    return alt.layer(*layers).properties(width="container", height=max(60, 22 * len(frame)))


def evidence_map(pre: pd.DataFrame) -> alt.Chart:
    """Experiments by cell source and route, one point per experiment and route, coloured by model."""
    rows = []
    for _, r in pre.iterrows():
        for route in str(r["route"]).split(";") if pd.notna(r["route"]) and str(r["route"]) else ["not reported"]:
            rows.append(
                {
                    "experiment": _label(r),
                    "source": SOURCE_LABELS.get(r["msc_source"], r["msc_source"]),
                    "route": route.replace("_", " "),
                    "model": MODEL_LABELS.get(r["model_class"], fmt.code(r["model_class"])),
                    "product": str(r["product"]).replace("_", " "),
                    "timing": r["timing"],
                }
            )
    frame = pd.DataFrame(rows).sort_values(["source", "route", "experiment"]).reset_index(drop=True)
    pick = alt.selection_point(fields=["model"], bind="legend")
    return (
        alt.Chart(frame)
        .mark_circle(size=140, opacity=0.85)
        .encode(
            x=alt.X("route:N", title="Route of administration"),
            y=alt.Y("source:N", title="MSC source"),
            color=alt.Color("model:N", title="Model (click to filter)"),
            xOffset=alt.XOffset("experiment:N"),
            opacity=alt.condition(pick, alt.value(0.9), alt.value(0.1)),
            tooltip=[
                alt.Tooltip("experiment:N", title="Experiment"),
                alt.Tooltip("model:N", title="Model"),
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("route:N", title="Route"),
                alt.Tooltip("product:N", title="Product"),
                alt.Tooltip("timing:N", title="Timing"),
            ],
        )
        .add_params(pick)
        .properties(width="container", height=240)
    )


def _animal_syrcle(rob: pd.DataFrame, pre: pd.DataFrame) -> pd.DataFrame:
    return rob[(rob["tool"] == "SYRCLE") & rob["assessed"].isin(set(pre["study_id"]))]


def syrcle_profile(rob: pd.DataFrame, pre: pd.DataFrame) -> pd.DataFrame:
    """Per SYRCLE item, how many of the animal studies were judged at low, unclear or high risk of bias."""
    s = _animal_syrcle(rob, pre)
    order = sorted(s["domain"].unique(), key=lambda d: int(str(d).split()[0]) if str(d).split()[0].isdigit() else 99)
    rows = []
    for domain in order:
        j = s.loc[s["domain"] == domain, "judgement"]
        rows.append(
            {
                "SYRCLE item": str(domain),
                "Studies": len(j),
                "Low": int((j == "low").sum()),
                "Unclear": int((j == "unclear").sum()),
                "High": int((j == "high").sum()),
            }
        )
    return pd.DataFrame(rows, columns=["SYRCLE item", "Studies", "Low", "Unclear", "High"])


def syrcle_numbers(rob: pd.DataFrame, pre: pd.DataFrame) -> dict[str, int]:
    """Counts a chapter can paste: studies assessed, studies with no item at low risk, and the items that matter most
    for animal experiments (random allocation, blinded outcome assessment)."""
    s = _animal_syrcle(rob, pre)
    item = s["domain"].astype(str).str.split().str[0]
    low = s[s["judgement"] == "low"]
    return {
        "n_syrcle_studies": int(s["assessed"].nunique()),
        "n_syrcle_no_low_item": int(s["assessed"].nunique() - low["assessed"].nunique()),
        "n_syrcle_random_low": int(((item == "1") & (s["judgement"] == "low")).sum()),
        "n_syrcle_blinded_assessment_low": int(((item == "7") & (s["judgement"] == "low")).sum()),
        "n_syrcle_high_any": int(s.loc[s["judgement"] == "high", "assessed"].nunique()),
    }


def _preclinical_screen(screen: pd.DataFrame) -> pd.DataFrame:
    s = screen[screen["record_type"] == "preclinical"]
    return s.assign(
        full_text_decision=s["full_text_decision"].fillna("").astype(str),
        exclusion_reason=s["exclusion_reason"].fillna("").astype(str),
        notes=s["notes"].fillna("").astype(str),
    )


def _screen_category(s: pd.DataFrame) -> pd.Series:
    held = "Eligible or possibly eligible, held back: not readable on an allowed page"
    excluded = "Excluded: " + s["exclusion_reason"].str.replace("_", " ")
    return excluded.where(s["full_text_decision"] != "include", "Included").where(s["full_text_decision"] != "not_retrieved", held)


def screening_summary(screen: pd.DataFrame) -> pd.DataFrame:
    """The animal records screened, by decision. One rule decides for every record, whatever its result."""
    s = _preclinical_screen(screen)
    out = _screen_category(s).value_counts().rename_axis("Decision").reset_index(name="Records")
    rank = out["Decision"].map(lambda v: (0 if v == "Included" else 1 if v.startswith("Eligible") else 2, v))
    return out.loc[rank.sort_values().index].reset_index(drop=True)


def screening_numbers(screen: pd.DataFrame) -> dict[str, int]:
    s = _preclinical_screen(screen)
    decision = s["full_text_decision"]
    return {
        "n_pre_screened": len(s),
        "n_pre_included_records": int((decision == "include").sum()),
        "n_pre_held_back": int((decision == "not_retrieved").sum()),
        "n_pre_excluded": int((~decision.isin(["include", "not_retrieved"])).sum()),
    }


def held_back(screen: pd.DataFrame) -> pd.DataFrame:
    """Records eligible (or possibly so) that could not be read on an allowed page, with the reason: the list a reader
    needs to judge whether what is missing would change the picture."""
    s = _preclinical_screen(screen)
    s = s[s["full_text_decision"] == "not_retrieved"]
    why = s["notes"].str.slice(0, 300)
    for code, label in REASON_LABELS.items():  # reason codes inside the notes, in words
        why = why.str.replace(code, label, regex=False)
    return pd.DataFrame({"Record": s["record_id"], "Why it is held back": why}).reset_index(drop=True)

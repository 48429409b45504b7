"""Evidence synthesis: turn outcome rows into effect sizes, decide what is comparable, and pool only then.

A comparison pools studies only when at least ``MIN_STUDIES`` report the same measure for the whole population
(subgroup "all") at a comparable time; otherwise it says why it did not pool. Single-arm data are kept apart from
controlled comparisons and labelled as the weak evidence they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import meta

MIN_STUDIES = 2
# Every comparison the synthesis publishes (key, title, axis title); GRADE rows must refer to one of these keys.
COMPARISONS = (
    ("md_alsfrs_r_change", "ALSFRS-R change from baseline, MSC vs control", "Mean difference in ALSFRS-R change (points; > 0 favours MSC)"),
    ("rr_responders", "ALSFRS-R responders, MSC vs control", "Risk ratio of responding (> 1 favours MSC)"),
    ("md_slope_change_single_arm", "ALSFRS-R slope after vs before MSCs (single-arm)", "Change in ALSFRS-R slope (points/month; > 0 = slower decline)"),
    ("prop_serious_adverse_events", "Participants with a serious adverse event after MSCs", "Proportion of participants with a serious adverse event"),
    ("rom_animal_survival", "Survival in animal models (MSC vs control)", "Ratio of mean survival, MSC vs control (> 1 favours MSC)"),
)
COMPARISON_KEYS = tuple(k for k, _, _ in COMPARISONS)


@dataclass
class Comparison:
    """One analysis: its effect sizes, and the pooled result or the reason there is none."""

    key: str
    title: str
    measure: str  # escalc measure of the effect sizes
    scale: str  # how to read the effect (for captions)
    rows: pd.DataFrame  # study, year, yi, vi, ci_lb, ci_ub (+ counts)
    result: meta.MetaResult | None = None
    reason: str = ""
    leave_one_out: list[dict] = field(default_factory=list)
    cumulative: list[dict] = field(default_factory=list)

    @property
    def pooled(self) -> bool:
        return self.result is not None


def _ci(rows: pd.DataFrame) -> pd.DataFrame:
    half = 1.959963984540054 * np.sqrt(rows["vi"])
    return rows.assign(ci_lb=rows["yi"] - half, ci_ub=rows["yi"] + half)


def pool(comparison: Comparison, method: str = "REML", knha: bool = True) -> Comparison:
    """Pool when there are enough studies; Knapp-Hartung by default because k is small in this field."""
    rows = comparison.rows
    k = len(rows)
    if k < MIN_STUDIES:
        found = "no study reports" if k == 0 else f"only {k} stud{'y reports' if k == 1 else 'ies report'}"
        comparison.reason = f"{found} this comparison; pooling needs at least {MIN_STUDIES}"
        return comparison
    comparison.result = meta.rma(rows["yi"], rows["vi"], method=method, knha=knha)
    if k >= 3:
        comparison.leave_one_out = meta.leave_one_out(rows["yi"], rows["vi"], method, knha, rows["study"].tolist())
    comparison.cumulative = meta.cumulative(rows["yi"], rows["vi"], rows["year"].tolist(), method, knha, rows["study"].tolist())
    return comparison


def _years(studies: pd.DataFrame) -> dict[str, int]:
    return dict(zip(studies["study_id"], studies["year"].astype(int)))


def _variance(row) -> float:
    """Variance of a mean from its SD (with n) or its SE."""
    if row["dispersion_type"] == "se" and pd.notna(row["dispersion"]):
        return float(row["dispersion"]) ** 2
    if row["dispersion_type"] == "sd" and pd.notna(row["dispersion"]) and pd.notna(row["n"]):
        return float(row["dispersion"]) ** 2 / float(row["n"])
    return np.nan


def _paired_arms(outcomes: pd.DataFrame, arms: pd.DataFrame, measure: str, needed: list[str]):
    """(study, MSC row, control row, timepoint) for each study reporting ``measure`` in both arms for the whole
    population; the last timepoint both arms report is used."""
    roles = dict(zip(zip(arms["study_id"], arms["arm"]), arms["role"]))
    data = outcomes[(outcomes["measure"] == measure) & (outcomes["subgroup"] == "all")].dropna(subset=needed).copy()
    data["role"] = [roles.get((s, a)) for s, a in zip(data["study_id"], data["arm"])]
    for sid, g in data.groupby("study_id"):
        msc, ctl = g[g["role"] == "msc"], g[g["role"] == "control"]
        common = sorted(set(msc["timepoint_months"].dropna()) & set(ctl["timepoint_months"].dropna()))
        if common:
            t = common[-1]
            yield sid, msc[msc["timepoint_months"] == t].iloc[0], ctl[ctl["timepoint_months"] == t].iloc[0], float(t)


def controlled_mean_difference(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str,
                               title: str) -> Comparison:
    """MSC minus control mean of ``measure`` per study (whole population, last timepoint both arms report)."""
    rows = []
    for sid, m, c, t in _paired_arms(outcomes, arms, measure, ["mean"]):
        vm, vc = _variance(m), _variance(c)
        if np.isnan(vm) or np.isnan(vc):
            continue
        rows.append({"study": sid, "year": _years(studies)[sid], "timepoint_months": t,
                     "n_msc": m["n"], "n_control": c["n"], "mean_msc": float(m["mean"]), "mean_control": float(c["mean"]),
                     "yi": float(m["mean"] - c["mean"]), "vi": vm + vc})
    frame = pd.DataFrame(rows, columns=["study", "year", "timepoint_months", "n_msc", "n_control", "mean_msc", "mean_control", "yi", "vi"])
    return Comparison(f"md_{measure}", title, "MD", "mean difference, MSC minus control (positive favours MSC for ALSFRS-R)", _ci(frame))


def controlled_risk_ratio(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str, title: str) -> Comparison:
    """Risk ratio MSC vs control of ``measure`` counts (whole population, last common timepoint)."""
    rows = []
    for sid, m, c, t in _paired_arms(outcomes, arms, measure, ["events", "total"]):
        a, n1, cc, n2 = int(m["events"]), int(m["total"]), int(c["events"]), int(c["total"])
        es = meta.escalc("RR", ai=[a], bi=[n1 - a], ci=[cc], di=[n2 - cc])
        if not es.kept[0]:
            continue
        rows.append({"study": sid, "year": _years(studies)[sid], "timepoint_months": t,
                     "events_msc": a, "total_msc": n1, "events_control": cc, "total_control": n2, "yi": float(es.yi[0]), "vi": float(es.vi[0])})
    frame = pd.DataFrame(rows, columns=["study", "year", "timepoint_months", "events_msc", "total_msc", "events_control", "total_control", "yi", "vi"])
    return Comparison(f"rr_{measure}", title, "RR", "risk ratio MSC vs control (log scale)", _ci(frame))


def single_arm_proportion(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str, title: str) -> Comparison:
    """Proportion of MSC-treated participants with the event (logit scale), one row per study, whole population."""
    roles = dict(zip(zip(arms["study_id"], arms["arm"]), arms["role"]))
    data = outcomes[(outcomes["measure"] == measure) & (outcomes["subgroup"] == "all") & outcomes["events"].notna() & outcomes["total"].notna()]
    data = data[[roles.get((s, a)) == "msc" for s, a in zip(data["study_id"], data["arm"])]]
    data = data.sort_values(["study_id", "timepoint_months"], na_position="first").drop_duplicates("study_id", keep="last")
    es = meta.escalc("PLO", xi=data["events"].astype(float).to_numpy(), ni=data["total"].astype(float).to_numpy())
    frame = pd.DataFrame({"study": data["study_id"].to_numpy(), "year": [_years(studies)[s] for s in data["study_id"]],
                          "events": data["events"].astype(int).to_numpy(), "total": data["total"].astype(int).to_numpy(),
                          "yi": es.yi, "vi": es.vi})
    return Comparison(f"prop_{measure}", title, "PLO", "proportion of MSC-treated participants (logit scale)", _ci(frame))


PRE_POST_CORRELATION = 0.5  # imputed (Cochrane Handbook 6.5.2.8); no study reports it


def single_arm_slope_change(outcomes: pd.DataFrame, studies: pd.DataFrame, title: str) -> Comparison:
    """Post- minus pre-treatment ALSFRS-R slope (points/month) in MSC arms; weak evidence (no concurrent control).

    The variance of a within-patient change needs the pre/post correlation, which no study reports; it is imputed as
    PRE_POST_CORRELATION. Studies without SDs for both slopes are listed by the caller but cannot be weighted.
    """
    sub = outcomes[(outcomes["subgroup"] == "all") & (outcomes["arm"] == "msc")]
    pre = sub[sub["measure"] == "alsfrs_r_slope_pre"].set_index("study_id")
    post = sub[sub["measure"] == "alsfrs_r_slope_post"].set_index("study_id")
    rows = []
    for sid in sorted(set(pre.index) & set(post.index)):
        a, b = pre.loc[sid], post.loc[sid]
        if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
            continue  # several rows per study: ambiguous, left to the notebook to show
        if a["dispersion_type"] != "sd" or b["dispersion_type"] != "sd" or pd.isna(b["n"]):
            continue
        sd_pre, sd_post, n = float(a["dispersion"]), float(b["dispersion"]), float(b["n"])
        var_diff = sd_pre**2 + sd_post**2 - 2 * PRE_POST_CORRELATION * sd_pre * sd_post
        rows.append({"study": sid, "year": _years(studies)[sid], "slope_pre": float(a["mean"]), "slope_post": float(b["mean"]),
                     "n": int(n), "yi": float(b["mean"] - a["mean"]), "vi": var_diff / n})
    frame = pd.DataFrame(rows, columns=["study", "year", "slope_pre", "slope_post", "n", "yi", "vi"])
    return Comparison("md_slope_change_single_arm", title, "MD",
                      "change in ALSFRS-R slope after MSC (points/month; > 0 = slower decline); single-arm, weak evidence", _ci(frame))


def slope_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Every pre/post ALSFRS-R slope pair reported for MSC arms, whether or not it can be weighted."""
    sub = outcomes[(outcomes["arm"] == "msc") & outcomes["measure"].isin(["alsfrs_r_slope_pre", "alsfrs_r_slope_post"])]
    wide = sub.pivot_table(index=["study_id", "subgroup"], columns="measure", values="mean", aggfunc="first").reset_index()
    sd = sub.assign(has_sd=sub["dispersion_type"] == "sd").groupby(["study_id", "subgroup"])["has_sd"].all().reset_index()
    level = sub.groupby(["study_id", "subgroup"])["verified_from"].first().reset_index()
    out = wide.merge(sd, on=["study_id", "subgroup"]).merge(level, on=["study_id", "subgroup"])
    return pd.DataFrame({
        "Study": out["study_id"], "Group": out["subgroup"],
        "Slope before (points/month)": out.get("alsfrs_r_slope_pre"), "Slope after (points/month)": out.get("alsfrs_r_slope_post"),
        "SDs reported": out["has_sd"].map({True: "yes", False: "no"}),
        "Verified from": out["verified_from"].str.replace("_", " "),
    }).sort_values(["Study", "Group"]).reset_index(drop=True)


def expit(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def back_transform(comparison: Comparison, values):
    """Effect sizes on the scale readers use: proportions for PLO, ratios for RR, as is for MD."""
    if comparison.measure == "PLO":
        return expit(values)
    if comparison.measure == "RR":
        return np.exp(np.asarray(values, dtype=float))
    return np.asarray(values, dtype=float)


def animal_survival(preclinical: pd.DataFrame, studies: pd.DataFrame) -> Comparison:
    """Log ratio of mean survival (MSC vs control) where both groups' means, dispersions and sizes were read."""
    p = preclinical.dropna(subset=["survival_msc_days", "survival_control_days", "survival_dispersion_msc",
                                   "survival_dispersion_control", "n_msc", "n_control"])
    rows = []
    for _, r in p.iterrows():
        n1, n2 = float(r["n_msc"]), float(r["n_control"])
        sd1, sd2 = float(r["survival_dispersion_msc"]), float(r["survival_dispersion_control"])
        if r["survival_dispersion_type"] == "se":
            sd1, sd2 = sd1 * np.sqrt(n1), sd2 * np.sqrt(n2)
        es = meta.escalc("ROM", m1i=[r["survival_msc_days"]], sd1i=[sd1], n1i=[n1], m2i=[r["survival_control_days"]], sd2i=[sd2], n2i=[n2])
        rows.append({"study": f"{r['study_id']}#{r['experiment']}", "year": _years(studies)[r["study_id"]], "yi": float(es.yi[0]), "vi": float(es.vi[0])})
    frame = pd.DataFrame(rows, columns=["study", "year", "yi", "vi"])
    return Comparison("rom_animal_survival", "Survival in animal models (MSC vs control)", "ROM",
                      "ratio of mean survival, MSC vs control (log scale)", _ci(frame))


def summary_row(comparison: Comparison) -> dict:
    """One line per comparison for the summary table (on the readers' scale)."""
    row = {"Analysis": comparison.title, "Studies": len(comparison.rows)}
    if comparison.pooled:
        r = comparison.result
        est, lo, hi, plo, phi = back_transform(comparison, [r.estimate, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub])
        row.update({"Pooled": f"{est:.3g}", "95% CI": f"{lo:.3g} to {hi:.3g}", "95% PI": f"{plo:.3g} to {phi:.3g}",
                    "I² (%)": f"{r.i2:.0f}", "tau²": f"{r.tau2:.3g}", "Note": "pooled (REML, Knapp-Hartung)"})
    else:
        row.update({"Pooled": "—", "95% CI": "—", "95% PI": "—", "I² (%)": "—", "tau²": "—", "Note": f"not pooled: {comparison.reason}"})
    return row


def build_all(tables: dict[str, pd.DataFrame]) -> dict[str, Comparison]:
    """Every comparison of COMPARISONS, built from the loaded tables and pooled where possible."""
    o, a, st = tables["clinical_outcomes"], tables["clinical_arms"], tables["studies"]
    titles = {k: t for k, t, _ in COMPARISONS}
    built = {
        "md_alsfrs_r_change": controlled_mean_difference(o, a, st, "alsfrs_r_change", titles["md_alsfrs_r_change"]),
        "rr_responders": controlled_risk_ratio(o, a, st, "responders", titles["rr_responders"]),
        "md_slope_change_single_arm": single_arm_slope_change(o, st, titles["md_slope_change_single_arm"]),
        "prop_serious_adverse_events": single_arm_proportion(o, a, st, "serious_adverse_events", titles["prop_serious_adverse_events"]),
        "rom_animal_survival": animal_survival(tables["preclinical_studies"], st),
    }
    return {k: pool(c) for k, c in built.items()}

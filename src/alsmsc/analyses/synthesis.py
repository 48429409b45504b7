"""Evidence synthesis: turn outcome rows into effect sizes, decide what is comparable, and pool only then.

A comparison pools studies only when at least ``MIN_STUDIES`` report the same measure for the whole population
(subgroup "all") at a comparable time; otherwise it says why it did not pool. Single-arm data are kept apart from
controlled comparisons and labelled as the weak evidence they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from alsmsc.dataset.questions import COMPARISONS
from alsmsc.formats import numbers as fmt
from alsmsc.stats import meta_analysis
from alsmsc.stats.measures import measure

MIN_STUDIES = 2
SAFETY_MEASURES = {"prop_deaths": "deaths", "prop_any_sae": "any_sae", "prop_treatment_related_sae": "treatment_related_sae"}
# What was read only in a secondary source or a press release is shown but not pooled unless an analyst asks for it.
SECONDARY_LEVELS = ("secondary_source", "press_release")


HIGH_RISK = ("high", "serious", "critical")  # overall judgements that exclude a trial when an analyst asks


@dataclass(frozen=True)
class Settings:
    """The assumptions of the evidence synthesis: each is a parameter of analysis/evidence_synthesis.ipynb, so a
    sensitivity analysis is a papermill run with other values, never an edit.

    tau2_method: the tau² estimator (metafor's ``method``); knha: Knapp-Hartung intervals; pre_post_correlation: the
    imputed correlation of pre- and post-treatment slopes; min_studies: the fewest studies a pooled result may rest
    on; include_secondary: let values read only in a secondary source or a press release in; exclude_high_risk_of_bias:
    leave out trials judged at high (RoB 2) or serious/critical (ROBINS-I) overall risk of bias; max_timepoint_months:
    use only outcomes measured at or before this month (None: every time point; the last one reported is used)."""

    tau2_method: str = "REML"
    knha: bool = True
    pre_post_correlation: float = 0.5
    min_studies: int = MIN_STUDIES
    include_secondary: bool = False
    exclude_high_risk_of_bias: bool = False
    max_timepoint_months: float | None = None

    def __post_init__(self):
        problems = []
        if self.tau2_method not in meta_analysis.METHODS:
            problems.append(f"tau2_method {self.tau2_method!r} is not one of {', '.join(meta_analysis.METHODS)}")
        if not 0 <= self.pre_post_correlation < 1:
            problems.append(f"pre_post_correlation {self.pre_post_correlation!r} must be at least 0 and below 1")
        if not isinstance(self.min_studies, int) or isinstance(self.min_studies, bool) or self.min_studies < 2:
            problems.append(f"min_studies {self.min_studies!r} must be a whole number of at least 2")
        if self.max_timepoint_months is not None and not self.max_timepoint_months > 0:
            problems.append(f"max_timepoint_months {self.max_timepoint_months!r} must be above 0 (or None for every time point)")
        for name in ("knha", "include_secondary", "exclude_high_risk_of_bias"):
            if not isinstance(getattr(self, name), bool):
                problems.append(f"{name} {getattr(self, name)!r} must be True or False")
        if problems:
            raise ValueError("; ".join(problems))

    def label(self) -> str:
        """How the pooling model reads in captions and tables."""
        return (
            f"random-effects model ({self.tau2_method}{', Knapp-Hartung' if self.knha else ''})"
            if self.tau2_method != "FE"
            else ("fixed-effect model" + (" (Knapp-Hartung)" if self.knha else ""))
        )


DEFAULT = Settings()


@dataclass
class Comparison:
    """One analysis: its effect sizes, and the pooled result or the reason there is none."""

    key: str
    title: str
    measure: str  # escalc measure of the effect sizes
    scale: str  # how to read the effect (for captions)
    rows: pd.DataFrame  # study, year, yi, vi, ci_lb, ci_ub (+ counts)
    result: meta_analysis.MetaResult | None = None
    reason: str = ""
    leave_one_out: list[dict] = field(default_factory=list)
    cumulative: list[dict] = field(default_factory=list)
    units: tuple[str, str] = ("study", "studies")  # what one row is, for the "not pooled" reason
    needs: str = ""  # what a row must report to count, said when too few do
    settings: Settings = DEFAULT  # the assumptions it was pooled under

    @property
    def pooled(self) -> bool:
        return self.result is not None


def _ci(rows: pd.DataFrame) -> pd.DataFrame:
    half = 1.959963984540054 * np.sqrt(rows["vi"])
    return rows.assign(ci_lb=rows["yi"] - half, ci_ub=rows["yi"] + half)


def pool(comparison: Comparison, settings: Settings = DEFAULT) -> Comparison:
    """Pool when there are enough studies; Knapp-Hartung by default because k is small in this field."""
    comparison.settings = settings
    method, knha = settings.tau2_method, settings.knha
    rows = comparison.rows
    k = len(rows)
    if k < settings.min_studies:
        one, many = comparison.units
        found = f"no {one} reports" if k == 0 else f"only {k} {one if k == 1 else many} report{'s' if k == 1 else ''}"
        what = comparison.needs or "this comparison"
        comparison.reason = f"{found} {what}; pooling needs at least {settings.min_studies}"
        return comparison
    comparison.result = meta_analysis.rma(rows["yi"], rows["vi"], method=method, knha=knha)
    if k >= 3:
        comparison.leave_one_out = meta_analysis.leave_one_out(rows["yi"], rows["vi"], method, knha, rows["study"].tolist())
    comparison.cumulative = meta_analysis.cumulative(rows["yi"], rows["vi"], rows["year"].tolist(), method, knha, rows["study"].tolist())
    return comparison


def _years(studies: pd.DataFrame) -> dict[str, int]:
    """Trial id -> year of its first record (animal study id -> its year), for ordering and cumulative analyses."""
    dated = studies.dropna(subset=["year"])
    years = dict(zip(dated["study_id"], dated["year"].astype(int)))
    links = dated.dropna(subset=["trial_id"])
    links = links.assign(trial_id=links["trial_id"].str.split(";")).explode("trial_id")
    years.update(links.groupby("trial_id")["year"].min().astype(int).to_dict())
    return years


def usable(outcomes: pd.DataFrame, settings: Settings = DEFAULT, risk_of_bias: pd.DataFrame | None = None) -> pd.DataFrame:
    """Outcome rows a pooled analysis may use under ``settings``: by default not those read only in a secondary source
    or press release; also only those within its time window, and not of trials it excludes for risk of bias."""
    kept = outcomes if settings.include_secondary else outcomes[~outcomes["verified_from"].isin(SECONDARY_LEVELS)]
    if settings.max_timepoint_months is not None:
        kept = kept[kept["timepoint_months"].isna() | (kept["timepoint_months"] <= settings.max_timepoint_months)]
    if settings.exclude_high_risk_of_bias:
        if risk_of_bias is None:
            raise ValueError("exclude_high_risk_of_bias needs the risk_of_bias table")
        kept = kept[~kept["trial_id"].isin(high_risk_trials(risk_of_bias))]
    return kept


def high_risk_trials(risk_of_bias: pd.DataFrame) -> set[str]:
    """Trials whose overall risk-of-bias judgement is high (RoB 2) or serious or critical (ROBINS-I)."""
    overall = risk_of_bias[risk_of_bias["domain"].astype(str).str.lower().str.startswith("overall")]
    return set(overall.loc[overall["judgement"].isin(HIGH_RISK), "assessed"])


def _kind(value) -> str:
    """A text cell as a plain string ('' when missing), safe to compare."""
    return "" if pd.isna(value) else str(value)


def _variance(row) -> float:
    """Variance of a mean from its SD (with n) or its SE."""
    if _kind(row["dispersion_type"]) == "se" and pd.notna(row["dispersion"]):
        return float(row["dispersion"]) ** 2
    if _kind(row["dispersion_type"]) == "sd" and pd.notna(row["dispersion"]) and pd.notna(row["n"]):
        return float(row["dispersion"]) ** 2 / float(row["n"])
    return np.nan


def _paired_arms(outcomes: pd.DataFrame, arms: pd.DataFrame, measure: str, needed: list[str]):
    """(trial, MSC row, control row, timepoint) for each trial reporting ``measure`` in both arms for the whole
    population; the last timepoint both arms report is used."""
    roles = dict(zip(zip(arms["trial_id"], arms["arm"]), arms["role"]))
    data = outcomes[(outcomes["measure"] == measure) & (outcomes["subgroup"] == "all")].dropna(subset=needed).copy()
    data["role"] = [roles.get((s, a)) for s, a in zip(data["trial_id"], data["arm"])]
    for sid, g in data.groupby("trial_id"):
        msc, ctl = g[g["role"] == "msc"], g[g["role"] == "control"]
        common = sorted(set(msc["timepoint_months"].dropna()) & set(ctl["timepoint_months"].dropna()))
        if common:
            t = common[-1]
            yield sid, msc[msc["timepoint_months"] == t].iloc[0], ctl[ctl["timepoint_months"] == t].iloc[0], float(t)


def controlled_mean_difference(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str, title: str) -> Comparison:
    """MSC minus control mean of ``measure`` per study (whole population, last timepoint both arms report)."""
    years = _years(studies)
    rows = []
    for sid, m, c, t in _paired_arms(outcomes, arms, measure, ["mean"]):
        vm, vc = _variance(m), _variance(c)
        if np.isnan(vm) or np.isnan(vc):
            continue
        rows.append(
            {
                "study": sid,
                "year": years[sid],
                "timepoint_months": t,
                "n_msc": m["n"],
                "n_control": c["n"],
                "mean_msc": float(m["mean"]),
                "mean_control": float(c["mean"]),
                "yi": float(m["mean"] - c["mean"]),
                "vi": vm + vc,
            }
        )
    frame = pd.DataFrame(rows, columns=["study", "year", "timepoint_months", "n_msc", "n_control", "mean_msc", "mean_control", "yi", "vi"])
    return Comparison(f"md_{measure}", title, "MD", "mean difference, MSC minus control (positive favours MSC for ALSFRS-R)", _ci(frame))


def controlled_risk_ratio(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str, title: str) -> Comparison:
    """Risk ratio MSC vs control of ``measure`` counts (whole population, last common timepoint)."""
    years = _years(studies)
    rows = []
    for sid, m, c, t in _paired_arms(outcomes, arms, measure, ["events", "total"]):
        a, n1, cc, n2 = int(m["events"]), int(m["total"]), int(c["events"]), int(c["total"])
        es = meta_analysis.escalc("RR", ai=[a], bi=[n1 - a], ci=[cc], di=[n2 - cc], drop00=True)
        if not es.kept[0]:
            continue
        rows.append(
            {
                "study": sid,
                "year": years[sid],
                "timepoint_months": t,
                "events_msc": a,
                "total_msc": n1,
                "events_control": cc,
                "total_control": n2,
                "yi": float(es.yi[0]),
                "vi": float(es.vi[0]),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["study", "year", "timepoint_months", "events_msc", "total_msc", "events_control", "total_control", "yi", "vi"]
    )
    return Comparison(f"rr_{measure}", title, "RR", "risk ratio MSC vs control (log scale)", _ci(frame))


def single_arm_proportion(outcomes: pd.DataFrame, arms: pd.DataFrame, studies: pd.DataFrame, measure: str, title: str) -> Comparison:
    """Proportion of MSC-treated participants with the event, one row per trial (its whole MSC-treated population,
    arms pooled, at its longest reported follow-up). Each trial's 95% CI is exact (Clopper-Pearson), because events
    are rare and zero counts are common; the definition each trial used is kept with the row."""
    from scipy.stats import binomtest

    roles = dict(zip(zip(arms["trial_id"], arms["arm"]), arms["role"]))
    data = outcomes[(outcomes["measure"] == measure) & (outcomes["subgroup"] == "all") & outcomes["events"].notna() & outcomes["total"].notna()]
    # a boolean Series, not a list: an empty list would select no columns instead of no rows
    data = data[pd.Series([roles.get((s, a)) == "msc" for s, a in zip(data["trial_id"], data["arm"])], index=data.index, dtype=bool)]
    data = data.assign(tp=data["timepoint_months"].fillna(-1)).sort_values(["trial_id", "arm", "tp"])
    last = data.drop_duplicates(["trial_id", "arm"], keep="last")
    years = _years(studies)
    rows = []
    for tid, g in last.groupby("trial_id"):
        if (g["arm"] == "all_msc").any():  # a whole-trial count is used alone, never added to per-arm counts
            g = g[g["arm"] == "all_msc"]
        x, n = int(g["events"].sum()), int(g["total"].sum())
        ci = binomtest(x, n).proportion_ci(method="exact")
        lo, hi = (meta_logit(ci.low), meta_logit(ci.high))
        rows.append(
            {
                "study": tid,
                "year": years[tid],
                "events": x,
                "total": n,
                "yi": meta_logit(x / n),  # -inf for 0 events
                "vi": np.nan,
                "ci_lb": lo,
                "ci_ub": hi,
                "definition": "; ".join(sorted(set(g["definition"].dropna().astype(str)))),
                "timepoint_months": g["timepoint_months"].max(),
            }
        )
    frame = pd.DataFrame(rows, columns=["study", "year", "events", "total", "yi", "vi", "ci_lb", "ci_ub", "definition", "timepoint_months"])
    return Comparison(f"prop_{measure}", title, "PLO", "proportion of MSC-treated participants", frame)


def meta_logit(p: float) -> float:
    """Logit with the bounds 0 and 1 mapped to -inf and inf (exact CIs reach them)."""
    with np.errstate(divide="ignore"):
        return float(np.log(p) - np.log1p(-p))


PRE_POST_CORRELATION = 0.5  # imputed (Cochrane Handbook 6.5.2.8); no study reports it
CORRELATION_RANGE = (0.0, 0.25, 0.5, 0.75, 0.9)  # the sensitivity analysis shows the pooled result across these


def _slope_pairs(outcomes: pd.DataFrame, as_printed: bool = False):
    """(trial, arm, subgroup, pre row, post row) for every MSC-arm pair of pre- and post-treatment ALSFRS-R slopes;
    with ``as_printed`` also the pairs a source gave per unstated period (shown, never pooled)."""
    kinds = [("alsfrs_r_slope_pre", "alsfrs_r_slope_post")]
    if as_printed:
        kinds.append(("alsfrs_r_slope_pre_as_printed", "alsfrs_r_slope_post_as_printed"))
    for pre_m, post_m in kinds:
        sub = outcomes[outcomes["measure"].isin([pre_m, post_m])]
        for (tid, arm, group), g in sub.groupby(["trial_id", "arm", "subgroup"], sort=True):
            pre, post = g[g["measure"] == pre_m], g[g["measure"] == post_m]
            if len(pre) == 1 and len(post) >= 1:
                yield tid, arm, group, pre.iloc[0], post.sort_values("timepoint_months").iloc[-1]


def single_arm_slope_change(outcomes: pd.DataFrame, studies: pd.DataFrame, title: str, correlation: float = PRE_POST_CORRELATION) -> Comparison:
    """Post- minus pre-treatment ALSFRS-R slope (points/month) in MSC arms; weak evidence (no concurrent control).

    Whole populations only. The variance of a within-patient change needs the pre/post correlation, which no study
    reports; it is imputed (``correlation``) and :func:`slope_sensitivity` shows the result across a plausible range.
    Pairs without SDs for both slopes cannot be weighted; :func:`slope_table` lists them all.
    """
    years = _years(studies)
    rows = []
    for tid, _arm, group, a, b in _slope_pairs(outcomes):
        if group != "all" or _kind(a["dispersion_type"]) != "sd" or _kind(b["dispersion_type"]) != "sd" or pd.isna(b["n"]):
            continue
        sd_pre, sd_post, n = float(a["dispersion"]), float(b["dispersion"]), float(b["n"])
        var_diff = sd_pre**2 + sd_post**2 - 2 * correlation * sd_pre * sd_post
        rows.append(
            {
                "study": tid,
                "year": years[tid],
                "slope_pre": float(a["mean"]),
                "slope_post": float(b["mean"]),
                "n": int(n),
                "yi": float(b["mean"] - a["mean"]),
                "vi": var_diff / n,
            }
        )
    frame = pd.DataFrame(rows, columns=["study", "year", "slope_pre", "slope_post", "n", "yi", "vi"])
    return Comparison(
        "md_slope_change_single_arm",
        title,
        "MD",
        "change in ALSFRS-R slope after MSC (points/month; > 0 = slower decline); single-arm, weak evidence",
        _ci(frame),
    )


def slope_sensitivity(outcomes: pd.DataFrame, studies: pd.DataFrame, correlations=CORRELATION_RANGE, settings: Settings = DEFAULT) -> pd.DataFrame:
    """The pooled single-arm slope change for each imputed pre/post correlation (blank where too few trials)."""
    rows = []
    for r in correlations:
        c = single_arm_slope_change(outcomes, studies, "", correlation=r)
        pool(c, settings)
        row = {"Pre/post correlation": f"{r:g}", "Trials": len(c.rows)}
        if c.pooled:
            row.update(
                {
                    "Pooled change (points/month)": f"{c.result.estimate:.2f}",
                    "95% CI": f"{c.result.ci_lb:.2f} to {c.result.ci_ub:.2f}",
                    "I² (%)": f"{c.result.i2:.0f}",
                }
            )
        else:
            row.update({"Pooled change (points/month)": fmt.MISSING, "95% CI": fmt.MISSING, "I² (%)": fmt.MISSING})
        rows.append(row)
    return pd.DataFrame(rows)


def slope_table(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Every pre/post ALSFRS-R slope pair reported for MSC arms, whether or not it can be weighted or even converted
    to points per month, and whether the decline slowed as printed by the source. Slopes given per unstated period are
    compared by size (sources print a decline as a negative change or as a positive 'rate of decrease')."""
    rows = []
    for tid, _arm, group, a, b in _slope_pairs(outcomes, as_printed=True):
        per_month = a["measure"] == "alsfrs_r_slope_pre"
        pre, post = float(a["mean"]), float(b["mean"])
        slowed = post > pre if per_month else abs(post) < abs(pre)
        rows.append(
            {
                "Trial": tid if group == "all" else f"{tid} ({group})",
                "Group": group,
                "Slope before": pre,
                "Slope after": post,
                "Unit": "points/month" if per_month else f"as printed: {b['unit']}",
                "Decline slowed": "yes" if slowed else "no",
                "Weighted in the pooled analysis": "yes"
                if per_month and _kind(a["dispersion_type"]) == "sd" and _kind(b["dispersion_type"]) == "sd" and group == "all"
                else "no",
                "Record": b["study_id"],
                "Verified from": str(b["verified_from"]).replace("_", " "),
            }
        )
    cols = ["Trial", "Group", "Slope before", "Slope after", "Unit", "Decline slowed", "Weighted in the pooled analysis", "Record", "Verified from"]
    return pd.DataFrame(rows, columns=cols)


def slope_sign_test(table: pd.DataFrame) -> dict:
    """How many whole-population pairs show a slower decline after MSCs, with an exact two-sided sign test (vote
    counting: it ignores size and precision, and regression to the mean alone predicts slowing)."""
    from scipy.stats import binomtest

    whole = table[table["Group"] == "all"]
    k, slowed = len(whole), int((whole["Decline slowed"] == "yes").sum())
    p = binomtest(slowed, k).pvalue if k else float("nan")
    return {"slope_pairs_k": k, "slope_pairs_slowed": slowed, "slope_sign_test_p": p}


def expit(x):
    return measure("PLO").to_reader(x)


def back_transform(comparison: Comparison, values):
    """Effect sizes on the scale readers use (the measure table decides: ratios, proportions or as is)."""
    return measure(comparison.measure).to_reader(values)


def animal_survival(preclinical: pd.DataFrame, studies: pd.DataFrame) -> Comparison:
    """Log ratio of mean survival (MSC vs control) where both groups' means, SDs or SEs and sizes were read; medians
    and IQRs are not means and SDs, and are left to the unweighted synthesis."""
    p = preclinical[preclinical["survival_statistic"].fillna("") == "mean"]
    years = _years(studies)
    rows = []
    for _, r in p.iterrows():
        n1 = r["survival_n_msc"] if pd.notna(r.get("survival_n_msc", pd.NA)) else r["n_msc"]
        n2 = r["survival_n_control"] if pd.notna(r.get("survival_n_control", pd.NA)) else r["n_control"]
        kind = _kind(r["survival_dispersion_type"])
        needed = (r["survival_msc_days"], r["survival_control_days"], r["survival_dispersion_msc"], r["survival_dispersion_control"], n1, n2)
        if kind not in ("sd", "se") or any(pd.isna(x) for x in needed):
            continue
        n1, n2 = float(n1), float(n2)
        sd1, sd2 = float(r["survival_dispersion_msc"]), float(r["survival_dispersion_control"])
        if kind == "se":
            sd1, sd2 = sd1 * np.sqrt(n1), sd2 * np.sqrt(n2)
        es = meta_analysis.escalc("ROM", m1i=[r["survival_msc_days"]], sd1i=[sd1], n1i=[n1], m2i=[r["survival_control_days"]], sd2i=[sd2], n2i=[n2])
        rows.append(
            {
                "study": f"{r['study_id']}#{r['experiment']}",
                "year": years[r["study_id"]],
                "yi": float(es.yi[0]),
                "vi": float(es.vi[0]),
                "route": str(r["route"]).split(";")[0] if pd.notna(r["route"]) else "not reported",
                "timing": r["timing"],
                "source": r["msc_source"],
            }
        )
    frame = pd.DataFrame(rows, columns=["study", "year", "yi", "vi", "route", "timing", "source"])
    return Comparison(
        "rom_animal_survival",
        "Survival in animal models (MSC vs control)",
        "ROM",
        "ratio of mean survival, MSC vs control (log scale)",
        _ci(frame),
        units=("experiment", "experiments"),
        needs="mean survival with its dispersion and group sizes",
    )


def survival_subgroups(c: Comparison) -> pd.DataFrame:
    """Pooled ratio of mean survival by route, timing and cell source, with the test for subgroup differences, where
    at least two subgroups have two or more experiments each; otherwise a row that says why not."""
    rows = []
    for col, title in (("route", "Route"), ("timing", "Timing"), ("source", "Cell source")):
        if not len(c.rows):
            rows.append(
                {
                    "Grouped by": title,
                    "Subgroup": fmt.MISSING,
                    "Experiments": 0,
                    "Ratio of mean survival": fmt.MISSING,
                    "95% CI": fmt.MISSING,
                    "Test for subgroup differences": "not done: no experiment gives mean, dispersion and n",
                    "Meta-regression (one tau²)": fmt.MISSING,
                }
            )
            continue
        try:
            sub = meta_analysis.subgroups(c.rows["yi"], c.rows["vi"], c.rows[col].astype(str).tolist(), c.settings.tau2_method, c.settings.knha)
        except meta_analysis.MetaError as exc:
            rows.append(
                {
                    "Grouped by": title,
                    "Subgroup": fmt.MISSING,
                    "Experiments": len(c.rows),
                    "Ratio of mean survival": fmt.MISSING,
                    "95% CI": fmt.MISSING,
                    "Test for subgroup differences": f"not done: {exc}",
                    "Meta-regression (one tau²)": fmt.MISSING,
                }
            )
            continue
        model = _moderator_test(c, col)
        m = measure("ROM")
        for name, r in sub.groups.items():
            est, lo, hi = m.to_reader([r.estimate, r.ci_lb, r.ci_ub])
            rows.append(
                {
                    "Grouped by": title,
                    "Subgroup": name.replace("_", " "),
                    "Experiments": r.k,
                    "Ratio of mean survival": fmt.effect(m, est),
                    "95% CI": f"{fmt.effect(m, lo)} to {fmt.effect(m, hi)}",
                    "Test for subgroup differences": f"Q = {sub.q_between:.2f}, df = {sub.df_between}, p = {fmt.p_value(sub.p_between)}",
                    "Meta-regression (one tau²)": model,
                }
            )
    return pd.DataFrame(rows)


def _moderator_test(c: Comparison, col: str) -> str:
    """The same grouping as a meta-regression with one tau² across subgroups and its omnibus test (metafor's
    ``rma(yi, vi, mods = ~ factor(col))``: QM, or F under Knapp-Hartung); every experiment counts, also a subgroup of one."""
    from alsmsc.stats import regression

    try:
        x, names = regression.moderator_matrix(c.rows[col].astype(str).tolist(), name=col)
        fit = regression.rma_mods(c.rows["yi"], c.rows["vi"], x, names=names, method=c.settings.tau2_method, knha=c.settings.knha)
    except meta_analysis.MetaError as exc:
        return f"not done: {exc}"
    df = ", ".join(str(d) for d in fit.qm_df if d is not None)
    return f"{'F' if c.settings.knha else 'QM'}({df}) = {fit.qm:.2f}, p = {fmt.p_value(fit.qm_pval)}"


def pool_proportions(comparison: Comparison, settings: Settings = DEFAULT) -> Comparison:
    """Pool event proportions with the random-effects logistic-normal model (exact binomial likelihood per trial,
    metafor's rma.glmm): zero-event trials keep their weight and no continuity correction is added."""
    comparison.settings = settings
    rows = comparison.rows
    k = len(rows)
    if k < settings.min_studies:
        found = "no trial reports" if k == 0 else f"only {k} trial{'s' if k > 1 else ''} report{'' if k > 1 else 's'}"
        comparison.reason = f"{found} this count for its whole MSC-treated population; pooling needs at least {settings.min_studies}"
        return comparison
    if int(rows["events"].sum()) == 0:
        comparison.reason = (
            f"no events in {k} trials ({int(rows['total'].sum())} participants): nothing to pool; the exact per-trial intervals are shown"
        )
        return comparison
    events, totals = rows["events"].to_numpy(), rows["total"].to_numpy()
    if ((events == 0) | (events == totals)).all():
        comparison.reason = (
            f"every one of the {k} trials has no events or only events: the spread between trials has no finite estimate, "
            "so nothing is pooled; the exact per-trial intervals are shown"
        )
        return comparison
    try:
        result = meta_analysis.rma_glmm_plo(events, totals)
    except (ArithmeticError, ValueError, np.linalg.LinAlgError) as exc:  # counts the likelihood cannot be fitted to
        comparison.reason = f"the logistic-normal model cannot be fitted to these counts ({exc}); the exact per-trial intervals are shown"
        return comparison
    if not all(np.isfinite([result.estimate, result.se, result.tau2])):
        comparison.reason = "the logistic-normal model gives no finite estimate for these counts; the exact per-trial intervals are shown"
        return comparison
    comparison.result = result
    return comparison


def pooled_label(comparison: Comparison) -> str:
    if measure(comparison.measure).proportion:
        return "random-effects logistic-normal model (ML, exact binomial likelihood)"
    return comparison.settings.label()


def summary_row(comparison: Comparison) -> dict:
    """One line per comparison for the summary table (on the readers' scale)."""
    row = {"Analysis": comparison.title, "Trials or studies": len(comparison.rows)}
    if comparison.pooled:
        r = comparison.result
        est, lo, hi, plo, phi = back_transform(comparison, [r.estimate, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub])
        m = measure(comparison.measure)

        def show(x):
            return fmt.effect(m, x)

        i2 = getattr(r, "i2", None)
        row.update(
            {
                "Pooled": show(est),
                "95% CI": f"{show(lo)} to {show(hi)}",
                "95% PI": f"{show(plo)} to {show(phi)}",
                "I² (%)": fmt.MISSING if i2 is None else f"{i2:.0f}",
                "tau²": fmt.value(r.tau2),
                "Note": f"pooled ({pooled_label(comparison)})",
            }
        )
    else:
        row.update(
            {
                "Pooled": fmt.MISSING,
                "95% CI": fmt.MISSING,
                "95% PI": fmt.MISSING,
                "I² (%)": fmt.MISSING,
                "tau²": fmt.MISSING,
                "Note": f"not pooled: {comparison.reason}",
            }
        )
    return row


def build_all(tables: dict[str, pd.DataFrame], settings: Settings = DEFAULT) -> dict[str, Comparison]:
    """Every comparison of COMPARISONS, built from the loaded tables and pooled where possible, under ``settings``
    (see :class:`Settings`; ``risk_of_bias`` must be loaded when it excludes trials at high risk of bias)."""
    o = usable(tables["clinical_outcomes"], settings, tables.get("risk_of_bias"))
    a, st = tables["clinical_arms"], tables["studies"]
    titles = {k: t for k, t, _ in COMPARISONS}
    built = {
        "md_alsfrs_r_change": pool(controlled_mean_difference(o, a, st, "alsfrs_r_change", titles["md_alsfrs_r_change"]), settings),
        "rr_responders": pool(controlled_risk_ratio(o, a, st, "responders", titles["rr_responders"]), settings),
        "md_slope_change_single_arm": pool(
            single_arm_slope_change(o, st, titles["md_slope_change_single_arm"], settings.pre_post_correlation), settings
        ),
    }
    for key, outcome in SAFETY_MEASURES.items():
        built[key] = pool_proportions(single_arm_proportion(o, a, st, outcome, titles[key]), settings)
    built["rom_animal_survival"] = pool(animal_survival(tables["preclinical_studies"], st), settings)
    return built


EGGER_MIN_STUDIES = 10  # Sterne et al. 2011 (BMJ 343:d4002); Cochrane Handbook §13.3.5.4


def small_study_effects(comparisons: list[Comparison]) -> tuple[pd.DataFrame, dict]:
    """Egger's regression test for every comparison with at least 10 studies pooled by inverse variance, or the reason
    it was not done (fewer than 10: the test cannot tell chance from asymmetry). Returns the table and the numbers the
    chapter pastes."""
    from alsmsc.stats import publication_bias

    rows, largest, assessed = [], 0, 0
    for c in comparisons:
        k = len(c.rows)
        largest = max(largest, k)
        if k < EGGER_MIN_STUDIES:
            text = f"not done: {k} {c.units[0] if k == 1 else c.units[1]}, fewer than the {EGGER_MIN_STUDIES} the test needs"
        elif not c.pooled or not isinstance(c.result, meta_analysis.MetaResult):
            text = "not done: no inverse-variance pooled result to test"
        else:
            e = publication_bias.egger_test(c.rows["yi"], c.rows["vi"], method=c.settings.tau2_method, knha=c.settings.knha)
            assessed += 1
            text = f"{'t' if e.df else 'z'} = {e.stat:.2f}, p = {fmt.p_value(e.pval)}"
        rows.append({"Analysis": c.title, "Trials or studies": k, "Egger's regression test": text})
    frame = pd.DataFrame(rows, columns=["Analysis", "Trials or studies", "Egger's regression test"])
    return frame, {"n_small_study_assessed": assessed, "small_study_max_k": largest, "egger_min_studies": EGGER_MIN_STUDIES}

"""GRADE summary of findings: the stored ratings joined with what the synthesis computes (trials, people, effect)."""

from __future__ import annotations

import pandas as pd

from alsmsc.analyses.synthesis import Comparison, back_transform, pooled_label
from alsmsc.formats import numbers as fmt
from alsmsc.stats.measures import measure

CERTAINTY_LABEL = {"high": "⊕⊕⊕⊕ High", "moderate": "⊕⊕⊕◯ Moderate", "low": "⊕⊕◯◯ Low", "very_low": "⊕◯◯◯ Very low"}


def participants(c: Comparison) -> int:
    rows = c.rows
    for cols in (("total_msc", "total_control"), ("n_msc", "n_control"), ("total",), ("n",)):
        if all(col in rows for col in cols):
            return int(sum(pd.to_numeric(rows[col], errors="coerce").fillna(0).sum() for col in cols))
    return 0


def _fmt(c: Comparison, x: float) -> str:
    return fmt.effect(measure(c.measure), x)


def effect_text(c: Comparison) -> str:
    if c.pooled:
        r = c.result
        est, lo, hi = back_transform(c, [r.estimate, r.ci_lb, r.ci_ub])
        return f"{_fmt(c, est)} (95% CI {_fmt(c, lo)} to {_fmt(c, hi)}); pooled, {pooled_label(c)}"
    if len(c.rows) == 1 and measure(c.measure).proportion:
        row = c.rows.iloc[0]
        lo, hi = back_transform(c, [row["ci_lb"], row["ci_ub"]])
        return (
            f"one trial ({row['study']}): {int(row['events'])}/{int(row['total'])} ({100 * row['events'] / row['total']:.3g}%; "
            f"exact 95% CI {100 * lo:.3g}% to {100 * hi:.3g}%); not pooled"
        )
    if len(c.rows) == 1:
        row = c.rows.iloc[0]
        est, lo, hi = back_transform(c, [row["yi"], row["ci_lb"], row["ci_ub"]])
        return f"one trial ({row['study']}): {_fmt(c, est)} (95% CI {_fmt(c, lo)} to {_fmt(c, hi)}); not pooled"
    if len(c.rows) == 0:
        return "no trial reports it; not pooled"
    return f"{len(c.rows)} trials; not pooled: {c.reason}"


def randomised_evidence(trials: pd.DataFrame) -> str:
    """What every randomised trial with results says about its primary endpoint (phase 3 named), computed."""
    r = trials[trials["randomized"].fillna(False).astype(bool) & (trials["results"] != "none")]
    met = r[r["primary_endpoint_met"] == "yes"]
    not_met = r[r["primary_endpoint_met"] == "no"]
    p3 = r[r["phase"] == "3"]
    return (
        f"{len(r)} randomised trials with results ({len(p3)} phase 3); primary endpoint met in {len(met)}"
        + (f" ({', '.join(met['name'])})" if len(met) else "")
        + f", not met in {len(not_met)}"
        + (f" ({', '.join(not_met['name'])})" if len(not_met) else "")
    )


def summary_of_findings(grade: pd.DataFrame, comparisons: dict[str, Comparison], trials: pd.DataFrame | None = None) -> pd.DataFrame:
    rows = []
    for _, g in grade.iterrows():
        c = comparisons[g["comparison_key"]]
        row = {
            "Outcome": g["outcome"],
            "Effect measure": f"{g['effect_measure']} ({g['units']}; {g['direction']})",
            "Trials": len(c.rows),
            "Participants": participants(c),
            "Effect": effect_text(c),
        }
        if trials is not None and g["comparison_key"] in ("md_alsfrs_r_change", "rr_responders"):
            row["Effect"] += ". All randomised evidence: " + randomised_evidence(trials)
        row.update({"Certainty": CERTAINTY_LABEL[g["certainty"]], "Why": g["reasons"], "What it means": g["plain_language"]})
        rows.append(row)
    return pd.DataFrame(rows)

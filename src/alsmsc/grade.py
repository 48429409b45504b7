"""GRADE summary of findings: the stored ratings joined with what the synthesis computes (studies, people, effect)."""

from __future__ import annotations

import pandas as pd

from .synthesis import Comparison, back_transform

CERTAINTY_LABEL = {"high": "⊕⊕⊕⊕ High", "moderate": "⊕⊕⊕◯ Moderate", "low": "⊕⊕◯◯ Low", "very_low": "⊕◯◯◯ Very low"}


def participants(c: Comparison) -> int:
    rows = c.rows
    for cols in (("total_msc", "total_control"), ("n_msc", "n_control"), ("total",), ("n",)):
        if all(col in rows for col in cols):
            return int(sum(pd.to_numeric(rows[col], errors="coerce").fillna(0).sum() for col in cols))
    return 0


def effect_text(c: Comparison) -> str:
    if c.pooled:
        r = c.result
        est, lo, hi = back_transform(c, [r.estimate, r.ci_lb, r.ci_ub])
        if c.measure == "PLO":
            return f"{100 * est:.3g}% (95% CI {100 * lo:.3g}% to {100 * hi:.3g}%)"
        return f"{est:.3g} (95% CI {lo:.3g} to {hi:.3g})"
    if len(c.rows) == 1:
        row = c.rows.iloc[0]
        est, lo, hi = back_transform(c, [row["yi"], row["ci_lb"], row["ci_ub"]])
        return f"single study {row['study']}: {est:.3g} (95% CI {lo:.3g} to {hi:.3g}); not pooled"
    return "no study; not pooled"


def summary_of_findings(grade: pd.DataFrame, comparisons: dict[str, Comparison]) -> pd.DataFrame:
    rows = []
    for _, g in grade.iterrows():
        c = comparisons[g["comparison_key"]]
        rows.append({"Outcome": g["outcome"], "Studies": len(c.rows), "Participants": participants(c), "Effect": effect_text(c),
                     "Certainty": CERTAINTY_LABEL[g["certainty"]], "Why": g["reasons"], "What it means": g["plain_language"]})
    return pd.DataFrame(rows)

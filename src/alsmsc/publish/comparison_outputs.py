"""Publish a synthesis.Comparison through Outputs: its numbers, its tables and its charts, under stable keys."""

from __future__ import annotations

import pandas as pd

from alsmsc.analyses.synthesis import Comparison, back_transform, pooled_label, summary_row
from alsmsc.formats import numbers as fmt
from alsmsc.publish import forest
from alsmsc.stats.measures import measure


def result_text(c: Comparison) -> str:
    """The comparison's result in one phrase, whether or not it was pooled (chapters paste this)."""
    if not c.pooled:
        return f"not pooled: {c.reason}"
    m = measure(c.measure)  # the measure says how its values read (percentages for proportions)

    def f(x):
        return fmt.effect(m, x)

    r = c.result
    est, lo, hi, plo, phi = back_transform(c, [r.estimate, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub])
    return (
        f"{f(est)} (95% CI {f(lo)} to {f(hi)}; 95% prediction interval {f(plo)} to {f(phi)}) from "
        f"{len(c.rows)} trials, pooled with a {pooled_label(c)}"
    )


def publish(out, c: Comparison, x_title: str) -> None:
    """Keys: {key}_k, _status, and when pooled _estimate, _ci, _pi, _i2, _tau2, _q_pval, plus fig_{key}_forest,
    fig_{key}_cumulative and tbl_{key}_loo (k >= 3)."""
    out.number(f"{c.key}_k", len(c.rows))
    out.number(f"{c.key}_status", "pooled" if c.pooled else f"not pooled: {c.reason}")
    out.number(f"{c.key}_result", result_text(c))
    if {"events", "total"} <= set(c.rows.columns):  # a proportion: its raw counts, for plain-language sentences
        out.number(f"{c.key}_events", int(c.rows["events"].sum()))
        out.number(f"{c.key}_participants", int(c.rows["total"].sum()))
    # always published, even with no rows, so that a chapter never points at a missing figure when the data shrink
    out.chart(
        f"fig_{c.key}_forest",
        forest.forest_plot(c, x_title),
        alt_text=f"Forest plot: {c.title}. One row per study with its 95% confidence interval"
        + ("; the pooled estimate is the diamond, the prediction interval the red line." if c.pooled else "; not pooled."),
    )
    if not c.pooled:
        return
    r = c.result
    m = measure(c.measure)

    def f(x):
        return fmt.effect(m, x)

    est, lo, hi, plo, phi = back_transform(c, [r.estimate, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub])
    out.number(f"{c.key}_estimate", f(est))
    out.number(f"{c.key}_ci", f"{f(lo)} to {f(hi)}")
    out.number(f"{c.key}_pi", f"{f(plo)} to {f(phi)}")
    out.number(f"{c.key}_i2", f"{r.i2:.0f}" if hasattr(r, "i2") else "not applicable")
    out.number(f"{c.key}_tau2", fmt.value(r.tau2))
    out.number(f"{c.key}_q_pval", fmt.p_value(r.q_pval) if hasattr(r, "q_pval") else "not applicable")
    if c.cumulative:
        out.chart(
            f"fig_{c.key}_cumulative",
            forest.cumulative_plot(c, x_title),
            alt_text=f"Cumulative meta-analysis: {c.title}, the pooled estimate as each study is added by year.",
            display=False,
        )
    if c.leave_one_out:
        loo = pd.DataFrame(c.leave_one_out)
        est_, lo_, hi_ = (back_transform(c, loo[k]) for k in ("estimate", "ci_lb", "ci_ub"))
        out.table(
            f"tbl_{c.key}_loo",
            pd.DataFrame(
                {
                    "Study left out": loo["omitted"],
                    "Studies": loo["k"],
                    "Pooled": [f(x) for x in est_],
                    "95% CI": [f"{f(a)} to {f(b)}" for a, b in zip(lo_, hi_)],
                    "I² (%)": [f"{x:.0f}" for x in loo["i2"]],
                }
            ),
        )


def summary_table(comparisons: list[Comparison]) -> pd.DataFrame:
    return pd.DataFrame([summary_row(c) for c in comparisons])


def safety_table(comparisons: list[Comparison]) -> pd.DataFrame:
    """One row per trial (each once), one column per safety outcome: events / MSC-treated, the exact 95% CI and the
    definition the trial used."""
    cells: dict[str, dict[str, str]] = {}
    years: dict[str, int] = {}
    for c in comparisons:
        for _, r in c.rows.iterrows():
            lo, hi = back_transform(c, [r["ci_lb"], r["ci_ub"]])
            definition = r.get("definition") or "definition not stated"
            cells.setdefault(r["study"], {})[c.title] = (
                f"{int(r['events'])}/{int(r['total'])} (exact 95% CI {100 * lo:.3g}% to {100 * hi:.3g}%; {definition})"
            )
            years[r["study"]] = int(r["year"])
    titles = [c.title for c in comparisons]
    rows = [{"Trial": t, **{title: cells[t].get(title, "not reported") for title in titles}} for t in sorted(cells, key=lambda t: (years[t], t))]
    return pd.DataFrame(rows, columns=["Trial", *titles])

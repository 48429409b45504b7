"""Forest and cumulative-evidence plots (Altair) for a synthesis.Comparison, on the readers' scale."""

from __future__ import annotations

import altair as alt
import pandas as pd

from alsmsc.analyses.synthesis import Comparison, back_transform, pooled_label
from alsmsc.formats import colours
from alsmsc.stats.measures import measure

WIDTH = 520  # a concatenated chart cannot take its width from the page container, so it gets a fixed one


def _study_frame(c: Comparison) -> pd.DataFrame:
    w = getattr(c.result, "weights", None) or [None] * len(c.rows)
    frame = pd.DataFrame(
        {
            "study": c.rows["study"].astype(str),
            "year": c.rows["year"].astype(int),
            "estimate": back_transform(c, c.rows["yi"]),
            "ci_lb": back_transform(c, c.rows["ci_lb"]),
            "ci_ub": back_transform(c, c.rows["ci_ub"]),
            "weight": [None if x is None else round(x, 1) for x in w],
        }
    )
    return frame.sort_values(["year", "study"]).reset_index(drop=True)


def forest_plot(c: Comparison, x_title: str) -> alt.VConcatChart | alt.LayerChart:
    """Studies with 95% CIs (square size = weight); the pooled diamond and the prediction interval below."""
    frame = _study_frame(c)
    order = frame["study"].tolist()
    m = measure(c.measure)
    scale = alt.Scale(type="log") if m.axis == "log" else alt.Scale(zero=False)
    x = alt.X("estimate:Q", title=x_title, scale=scale)
    tooltip = [
        alt.Tooltip("study:N", title="Study"),
        alt.Tooltip("year:O", title="Year"),
        alt.Tooltip("estimate:Q", title="Estimate", format=".3g"),
        alt.Tooltip("ci_lb:Q", title="95% CI low", format=".3g"),
        alt.Tooltip("ci_ub:Q", title="95% CI high", format=".3g"),
        alt.Tooltip("weight:Q", title="Weight (%)"),
    ]
    base = alt.Chart(frame).encode(y=alt.Y("study:N", sort=order, title=None))
    ci = base.mark_rule().encode(x=alt.X("ci_lb:Q", title=x_title, scale=scale), x2="ci_ub:Q", tooltip=tooltip)
    size = alt.Size("weight:Q", legend=None, scale=alt.Scale(range=[40, 300])) if frame["weight"].notna().any() else alt.value(80)
    points = base.mark_square(color=colours.BLUE).encode(x=x, size=size, tooltip=tooltip)
    layers = [ci, points]
    if m.null is not None:
        layers.append(alt.Chart(pd.DataFrame({"null": [m.null]})).mark_rule(strokeDash=[4, 4], color="#555").encode(x=alt.X("null:Q", scale=scale)))
    studies = alt.layer(*layers).properties(width=WIDTH, height=max(60, 26 * len(frame)))
    if not c.pooled:
        return studies
    r = c.result
    est, lo, hi, plo, phi = back_transform(c, [r.estimate, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub])
    label = "Pooled: " + pooled_label(c)
    diamond = pd.DataFrame({"estimate": [lo, est, hi], "top": [0, 0.4, 0], "bottom": [0, -0.4, 0], "row": [label] * 3})
    pi = pd.DataFrame({"pi_lb": [plo], "pi_ub": [phi], "row": [label], "estimate": [est], "ci_lb": [lo], "ci_ub": [hi]})
    y = alt.Y("top:Q", axis=alt.Axis(title=None, labels=False, ticks=False, domain=False, grid=False), scale=alt.Scale(domain=[-1, 1]))
    pooled = alt.layer(
        alt.Chart(pi)
        .mark_rule(strokeWidth=2, color=colours.VERMILLION)
        .encode(
            x=alt.X("pi_lb:Q", title=x_title, scale=scale),
            x2="pi_ub:Q",
            y=alt.datum(0),
            tooltip=[
                alt.Tooltip("estimate:Q", title="Pooled", format=".3g"),
                alt.Tooltip("ci_lb:Q", title="95% CI low", format=".3g"),
                alt.Tooltip("ci_ub:Q", title="95% CI high", format=".3g"),
                alt.Tooltip("pi_lb:Q", title="95% PI low", format=".3g"),
                alt.Tooltip("pi_ub:Q", title="95% PI high", format=".3g"),
            ],
        ),
        alt.Chart(diamond).mark_area(color=colours.BLACK, opacity=0.85).encode(x=alt.X("estimate:Q", scale=scale), y=y, y2="bottom:Q"),
    ).properties(width=WIDTH, height=40, title=alt.TitleParams(f"{label}; red line: 95% prediction interval", fontSize=11, anchor="start"))
    return alt.vconcat(studies, pooled).resolve_scale(x="shared")


def cumulative_plot(c: Comparison, x_title: str) -> alt.LayerChart:
    """The pooled estimate and its 95% CI as each study is added in order of publication year."""
    frame = pd.DataFrame(c.cumulative)
    frame = frame.assign(
        step=[f"+ {a} ({o})" for a, o in zip(frame["added"], frame["order"])],
        estimate=back_transform(c, frame["estimate"]),
        ci_lb=back_transform(c, frame["ci_lb"]),
        ci_ub=back_transform(c, frame["ci_ub"]),
    )[["step", "k", "estimate", "ci_lb", "ci_ub"]]
    scale = alt.Scale(type="log") if measure(c.measure).axis == "log" else alt.Scale(zero=False)
    base = alt.Chart(frame).encode(y=alt.Y("step:N", sort=frame["step"].tolist(), title="Study added (year)"))
    tooltip = [
        alt.Tooltip("step:N", title="Added"),
        alt.Tooltip("k:Q", title="Studies"),
        alt.Tooltip("estimate:Q", title="Pooled", format=".3g"),
        alt.Tooltip("ci_lb:Q", title="95% CI low", format=".3g"),
        alt.Tooltip("ci_ub:Q", title="95% CI high", format=".3g"),
    ]
    return alt.layer(
        base.mark_rule().encode(x=alt.X("ci_lb:Q", title=x_title, scale=scale), x2="ci_ub:Q", tooltip=tooltip),
        base.mark_point(filled=True, color=colours.BLACK, size=60).encode(x=alt.X("estimate:Q", scale=scale), tooltip=tooltip),
    ).properties(width="container", height=max(60, 30 * len(frame)))

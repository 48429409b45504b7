"""Risk of bias: traffic-light and summary charts, and the judgement table (long format, one row per domain)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from alsmsc.formats import colours

# Ordered from best to worst; colours from the book's palette (formats.colours), with a symbol so colour is never the only cue.
ORDER = ["low", "some_concerns", "moderate", "unclear", "no_information", "serious", "high", "critical"]
COLOURS = {
    "low": colours.GREEN,
    "some_concerns": colours.GOLD,
    "moderate": colours.GOLD,
    "unclear": colours.GREY,
    "no_information": colours.GREY,
    "serious": colours.ORANGE,
    "high": colours.VERMILLION,
    "critical": colours.BLACK,
}
SYMBOLS = {"low": "+", "some_concerns": "?", "moderate": "?", "unclear": "?", "no_information": "·", "serious": "!", "high": "−", "critical": "×"}
TOOL_NAMES = {
    "RoB2": "RoB 2 (randomised trials)",
    "ROBINS-I": "ROBINS-I (non-randomised and single-arm studies)",
    "SYRCLE": "SYRCLE (animal studies)",
}


def _label(j: str) -> str:
    return j.replace("_", " ")


def frame(rob: pd.DataFrame, tool: str) -> pd.DataFrame:
    f = rob[rob["tool"] == tool].copy()
    domains = [d for d in dict.fromkeys(f["domain"]) if d != "overall"] + ["overall"]
    f["domain_order"] = f["domain"].map({d: i for i, d in enumerate(domains)})
    f["judgement_label"] = f["judgement"].map(_label)
    f["symbol"] = f["judgement"].map(SYMBOLS)
    return f.sort_values(["assessed", "domain_order"]).reset_index(drop=True)


MAX_STUDIES = 60  # a traffic light with more rows is unreadable and heavy; the summary chart covers every study


def traffic_light(rob: pd.DataFrame, tool: str) -> alt.LayerChart:
    f = frame(rob, tool)
    studies = sorted(f["assessed"].unique())
    title = TOOL_NAMES.get(tool, tool)
    if len(studies) > MAX_STUDIES:
        f = f[f["assessed"].isin(studies[:MAX_STUDIES])]
        title = f"{title}: first {MAX_STUDIES} of {len(studies)} studies (the summary chart and the table cover all)"
    domains = f.drop_duplicates("domain").sort_values("domain_order")["domain"].tolist()
    present = [j for j in ORDER if j in set(f["judgement"])]
    colour = alt.Color(
        "judgement_label:N",
        title="Judgement",
        sort=[_label(j) for j in present],
        scale=alt.Scale(domain=[_label(j) for j in present], range=[COLOURS[j] for j in present]),
    )
    base = alt.Chart(f).encode(
        x=alt.X("domain:N", sort=domains, title=None, axis=alt.Axis(labelAngle=-40, labelLimit=220)),
        y=alt.Y("assessed:N", title=None),
        tooltip=[
            alt.Tooltip("assessed:N", title="Trial or study"),
            alt.Tooltip("domain:N", title="Domain"),
            alt.Tooltip("judgement_label:N", title="Judgement"),
            alt.Tooltip("support:N", title="Reason"),
        ],
    )
    return alt.layer(
        base.mark_circle(size=260, opacity=1).encode(color=colour),
        base.mark_text(fontSize=12, fontWeight="bold").encode(
            text="symbol:N", color=alt.condition(alt.datum.judgement == "critical", alt.value(colours.WHITE), alt.value(colours.BLACK))
        ),
    ).properties(width=24 * len(domains) + 40, height=22 * f["assessed"].nunique(), title=title)


def summary(rob: pd.DataFrame, tool: str) -> alt.Chart:
    f = frame(rob, tool)
    domains = f.drop_duplicates("domain").sort_values("domain_order")["domain"].tolist()
    present = [j for j in ORDER if j in set(f["judgement"])]
    counts = f.groupby(["domain", "judgement_label"], as_index=False).size().rename(columns={"size": "studies"})
    counts["rank"] = counts["judgement_label"].map({_label(j): i for i, j in enumerate(ORDER)})
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=alt.Y("domain:N", sort=domains, title=None),
            x=alt.X("studies:Q", stack="normalize", title="Share of studies", axis=alt.Axis(format="%")),
            color=alt.Color(
                "judgement_label:N",
                title="Judgement",
                sort=[_label(j) for j in present],
                scale=alt.Scale(domain=[_label(j) for j in present], range=[COLOURS[j] for j in present]),
            ),
            order=alt.Order("rank:Q"),
            tooltip=[alt.Tooltip("domain:N"), alt.Tooltip("judgement_label:N", title="Judgement"), alt.Tooltip("studies:Q")],
        )
        .properties(width=460, height=22 * len(domains), title=TOOL_NAMES.get(tool, tool))
    )


def table(rob: pd.DataFrame) -> pd.DataFrame:
    f = rob.sort_values(["tool", "assessed"]).copy()
    return pd.DataFrame(
        {"Tool": f["tool"], "Study": f["assessed"], "Domain": f["domain"], "Judgement": f["judgement"].map(_label), "Reason": f["support"]}
    )

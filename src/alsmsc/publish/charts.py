"""Altair charts for the book: one colour-blind-safe theme, deterministic HTML, and a static SVG of every chart.

Altair's own HTML renderer puts a random id in each chart and loads vega from a CDN. Here the id comes from the chart's
key, and the page loads vega from the bundle that ``book/_ext/vega_offline.py`` writes into ``_static`` (it sets the
``VEGA_DEBUG`` versions Altair's loader checks, so no CDN request is made).
"""

from __future__ import annotations

import base64
import json

import altair as alt

from alsmsc.formats import colours, escape

FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
EMBED_OPTIONS = {
    "renderer": "svg",
    # The editor link would send the spec to an external site; export and source views stay local.
    "actions": {"export": True, "source": True, "compiled": False, "editor": False},
}


def _theme() -> alt.theme.ThemeConfig:
    return {
        "config": {
            "range": {"category": colours.CATEGORICAL},
            "font": FONT,
            "axis": {"labelFontSize": 11, "titleFontSize": 12},
            "legend": {"labelFontSize": 11, "titleFontSize": 12},
            "view": {"stroke": None},
        }
    }


alt.theme.register("alsmsc", enable=True)(_theme)


def spec(chart: alt.TopLevelMixin) -> dict:
    """The chart's Vega-Lite spec with the data inlined (no external data URLs)."""
    with alt.data_transformers.enable("default", max_rows=None):
        out = chart.to_dict()
    # The chart's container carries its description (role="img", aria-label = the alt text); marks and axes stay out of
    # the accessibility tree, where Vega would otherwise add unnamed graphics groups (axe: svg-img-alt).
    config = out.setdefault("config", {})
    config["aria"] = False
    config.setdefault("mark", {})["aria"] = False
    return out


def _encoded_fields(node, found: dict[str, str]) -> None:
    """Field -> column title for every encoded field; a tooltip's title (what readers see on hover) wins."""
    if isinstance(node, list):
        for item in node:
            _encoded_fields(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "encoding" and isinstance(value, dict):
                for channel, enc in value.items():
                    for one in enc if isinstance(enc, list) else [enc]:
                        # a field without a title is a drawing aid (a reference line, an offset), not data for readers
                        if isinstance(one, dict) and isinstance(one.get("field"), str) and one.get("title"):
                            title = one["title"]
                            title = " ".join(title) if isinstance(title, list) else str(title)
                            if channel == "tooltip" or one["field"] not in found:
                                found[one["field"]] = title
            else:
                _encoded_fields(value, found)


def chart_data(chart_spec: dict) -> list:
    """The data a chart draws, as tables a screen reader can read (WCAG 1.1.1): one per dataset, with the encoded
    columns that carry a title, under that title, tooltip columns first."""
    import pandas as pd

    fields: dict[str, str] = {}
    _encoded_fields(chart_spec, fields)
    tooltip = _tooltip_fields(chart_spec)  # in the tooltip's order: its first field names the item (a trial, a study)
    order = [f for f in tooltip if f in fields] + [f for f in fields if f not in tooltip]
    tables = []
    for rows in chart_spec.get("datasets", {}).values():
        frame = pd.DataFrame(rows)
        columns = [f for f in order if f in frame.columns]
        if columns and len(frame):
            shown = _one_row_per_item(frame[columns].drop_duplicates())
            tables.append(shown.rename(columns={f: fields[f] for f in columns}))
    return tables


def _one_row_per_item(frame):
    """Rows of one item (the first column: a trial, a study) that differ in a single column become one row with that
    column's values joined by "; ", as a trial given by two routes is one trial drawn twice. Rows that differ in more
    columns (an experiment's outcomes, each with its direction) stay apart, or the pairs would be lost."""
    import pandas as pd

    first, rows = frame.columns[0], []
    for _, group in frame.groupby(first, sort=False, dropna=False):
        varying = [c for c in frame.columns if group[c].astype(str).nunique() > 1]
        if len(varying) == 1:
            row = group.iloc[0].copy()
            row[varying[0]] = "; ".join(dict.fromkeys(group[varying[0]].astype(str)))
            rows.append(row.to_frame().T)
        else:
            rows.append(group)
    return pd.concat(rows, ignore_index=True) if rows else frame


def _tooltip_fields(node) -> list[str]:
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += [f for f in _tooltip_fields(item) if f not in found]
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "tooltip" and isinstance(value, list):
                found += [t["field"] for t in value if isinstance(t, dict) and isinstance(t.get("field"), str) and t["field"] not in found]
            else:
                found += [f for f in _tooltip_fields(value) if f not in found]
    return found


def spec_json(chart_spec: dict) -> str:
    return json.dumps(chart_spec, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def to_svg(chart_spec: dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart_spec)


def to_html(chart_spec: dict, key: str, alt_text: str, svg: str | None = None) -> str:
    """Interactive chart HTML with a stable element id, an accessible label and a no-script SVG fallback.

    Takes the spec (``spec(chart)``) rather than the chart: converting a chart validates and serialises all its data,
    which callers do once and share between the SVG, the JSON file and the HTML."""
    from altair.utils.html import spec_to_html

    svg = svg if svg is not None else to_svg(chart_spec)
    div_id = f"alsmsc-chart-{key}"
    body = spec_to_html(
        chart_spec,
        mode="vega-lite",
        vega_version=alt.VEGA_VERSION,
        vegaembed_version=alt.VEGAEMBED_VERSION,
        vegalite_version=alt.VEGALITE_VERSION,
        base_url="https://cdn.jsdelivr.net/npm",  # never fetched: VEGA_DEBUG tells the loader vega is already there
        output_div=div_id,
        embed_options=EMBED_OPTIONS,
        fullhtml=False,
        template="universal",
    )
    # The spec (with the data) is inlined as JSON inside a <script> element, and json.dumps leaves "</" alone: a data
    # value containing "</script>" would end the script and inject markup. "<\/" means the same in JSON and JavaScript.
    raw = json.dumps(chart_spec)
    if raw not in body:
        raise RuntimeError("Altair's HTML template changed: the inlined spec was not found, so it could not be escaped")
    body = body.replace(raw, raw.replace("</", "<\\/").replace("<!--", "<\\!--"))
    fallback = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    label = escape.html(alt_text)
    return (
        f'<div class="alsmsc-chart" role="figure" aria-label="{label}">\n{body}\n'
        f'<noscript><img class="alsmsc-chart-static" alt="{label}" src="data:image/svg+xml;base64,{fallback}"></noscript>\n'
        "</div>\n"
    )


class ChartDisplay:
    """What glue stores for a chart: the interactive HTML for web pages and plain text elsewhere."""

    def __init__(self, html_text: str, alt_text: str):
        self.html_text = html_text
        self.alt_text = alt_text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html_text, "text/plain": f"[chart] {self.alt_text}"}

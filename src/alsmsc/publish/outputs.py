"""What an analysis notebook produces: tables, numbers and figures, written to its output folder and glued.

Notebooks call these instead of writing files or formatting output themselves, so every generated file has one
deterministic form (sorted keys, fixed float format, ``\\n`` line ends) and every glued value exists as a file too.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from alsmsc.files.atomic import atomic_write_text
from alsmsc.formats import escape
from alsmsc.formats import numbers as fmt
from alsmsc.publish import charts


def _glue(key: str, value: Any, display: bool) -> None:
    from myst_nb import glue

    glue(key, value, display=display)


def _ipython_events():
    """The running IPython kernel's event hooks, or None outside a notebook."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel, a dependency
        return None
    shell = get_ipython()
    return shell.events if shell is not None else None


class Outputs:
    """Collects one notebook's generated outputs under ``output_dir``."""

    def __init__(self, output_dir: str | Path, dataset_version: str = "", dataset_hash: str = ""):
        self.dir = Path(output_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.numbers: dict[str, Any] = {}
        self.provenance = {"dataset_version": dataset_version, "dataset_hash": dataset_hash}
        # In a notebook numbers.json is written once after each cell that changed it, not once per number (writing
        # the whole file per call made a notebook of n numbers O(n^2)); elsewhere call flush() or use `with`.
        self._dirty = False
        self._events = _ipython_events()
        if self._events is not None:
            self._events.register("post_run_cell", self._after_cell)
        # Every figure caption in the book cites the dataset version its numbers came from.
        _glue("dataset_version", dataset_version or "unversioned (run outside the pipeline)", False)
        _glue("dataset_hash_short", (dataset_hash or "none")[:12], False)

    def number(self, key: str, value: Any, display: bool = False) -> Any:
        """A number (or short text) for the chapters; glued as plain text and kept in numbers.json."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"number {key!r} is {value}; refuse to publish a non-finite value")
        if hasattr(value, "item"):  # numpy scalar -> Python scalar, for JSON
            value = value.item()
        self.numbers[key] = value
        _glue(key, value, display)
        self._dirty = True
        if self._events is None:
            self.flush()
        return value

    def flush(self) -> None:
        """Write numbers.json if a number changed since the last write."""
        if self._dirty:
            self._write_numbers()
            self._dirty = False

    def _after_cell(self, *_args) -> None:
        self.flush()

    def __enter__(self) -> Outputs:
        return self

    def __exit__(self, *exc) -> None:
        self.flush()

    def table(self, key: str, frame: pd.DataFrame, display: bool = True, **html_options) -> None:
        """A table: written as CSV (for analysts) and as the escaped HTML chapters show (tables/KEY.html). Returns
        nothing, so a notebook cell ending with it shows the table once (glued), not again as a raw pandas repr."""
        atomic_write_text(self.dir / "tables" / f"{key}.csv", _csv(frame, float_format="%.6g"))
        shown = HTMLTable(frame, note_key=key, **html_options)
        atomic_write_text(self.dir / "tables" / f"{key}.html", shown.html())
        _glue(key, shown, display)

    def chart(self, key: str, chart, alt_text: str, display: bool = True) -> None:
        """A chart: Vega-Lite spec and static SVG written, interactive HTML glued."""
        chart_spec = charts.spec(chart)
        svg = charts.to_svg(chart_spec)
        atomic_write_text(self.dir / "figures" / f"{key}.vl.json", charts.spec_json(chart_spec))
        atomic_write_text(self.dir / "figures" / f"{key}.svg", svg)
        html_text = charts.to_html(chart_spec, key, alt_text, svg=svg) + self._chart_data(key, chart_spec)
        atomic_write_text(self.dir / "figures" / f"{key}.html", html_text)
        atomic_write_text(self.dir / "figures" / f"{key}.alt.txt", alt_text + "\n")
        _glue(key, charts.ChartDisplay(html_text, alt_text), display)

    def _chart_data(self, key: str, chart_spec: dict) -> str:
        """The chart's data as tables under a disclosure, for readers who cannot see the chart; written as CSV too."""
        tables = charts.chart_data(chart_spec)
        shown = []
        for i, frame in enumerate(tables, start=1):
            name = f"{key}_data" + (f"_{i}" if len(tables) > 1 else "")
            frame = frame.map(lambda v: (str(int(v)) if v.is_integer() else fmt.value(v)) if isinstance(v, float) and math.isfinite(v) else v)
            atomic_write_text(self.dir / "tables" / f"{name}.csv", _csv(frame))
            shown.append(HTMLTable(frame, note_key=name).html())
        if not shown:
            return ""
        return '<details class="alsmsc-chart-data"><summary>The data in this chart, as a table</summary>\n' + "\n".join(shown) + "\n</details>\n"

    def svg(self, key: str, svg_text: str, alt_text: str, display: bool = True) -> None:
        """A static diagram (e.g. the PRISMA flow): written as SVG and glued inline, with an accessible label."""
        atomic_write_text(self.dir / "figures" / f"{key}.svg", svg_text)
        label = escape.html(alt_text)
        html_text = f'<div class="alsmsc-diagram" role="img" aria-label="{label}">\n{svg_text}</div>\n'
        atomic_write_text(self.dir / "figures" / f"{key}.html", html_text)
        _glue(key, charts.ChartDisplay(html_text, alt_text), display)

    def _write_numbers(self) -> None:
        payload = {"provenance": self.provenance, "numbers": self.numbers}
        atomic_write_text(self.dir / "numbers.json", json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


class HTMLTable:
    """A DataFrame shown as an escaped HTML table (data text is never interpreted as markup).

    Pages stay small as the dataset grows: beyond ``max_rows`` rows only the first rows are shown, with a note that the
    complete table is the CSV file of the same key.
    """

    MAX_ROWS = 250

    def __init__(self, frame: pd.DataFrame, classes: str = "alsmsc-table", note_key: str = "", max_rows: int | None = None, **kwargs):
        # Nullable columns print missing values as "<NA>"; readers see an em dash instead.
        self.total = len(frame)
        self.max_rows = self.MAX_ROWS if max_rows is None else max_rows
        shown = frame.head(self.max_rows)
        self.frame = shown.astype(object).where(shown.notna(), fmt.MISSING).map(lambda v: fmt.PLACEHOLDERS.get(v, v) if isinstance(v, str) else v)
        self.note_key = note_key
        self.kwargs = {"index": False, "escape": True, "na_rep": fmt.MISSING, "border": 0, "classes": classes, **kwargs}

    def html(self) -> str:
        # a labelled, keyboard-focusable scroll box: a wide table scrolls inside it instead of widening the page
        label = escape.html(self.note_key.replace("_", " ") or "data table")
        html_text = f'<div class="alsmsc-table-scroll" role="region" tabindex="0" aria-label="{label}">\n'
        html_text += self.frame.to_html(**self.kwargs) + "\n</div>"
        if self.total > self.max_rows:
            # the book serves every generated table under tables/ (build.pipeline.serve_tables); alsmsc-links.js makes
            # the link relative to the book's root on pages in sub-folders
            csv = escape.html(f"tables/{self.note_key}.csv")
            html_text += (
                f'\n<p class="alsmsc-table-note">Showing the first {self.max_rows} of {self.total} rows; the complete table: '
                f'<a class="alsmsc-root-link" data-root-href="{csv}" href="{csv}" download>{escape.html(self.note_key)}.csv</a>.</p>\n'
            )
        return html_text

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self.html(), "text/plain": self.frame.to_string(index=False)}


def _csv(frame: pd.DataFrame, **options) -> str:
    """A download for spreadsheets: text cells that a spreadsheet would run as a formula are neutralised."""
    return frame.map(escape.spreadsheet_cell).to_csv(index=False, lineterminator="\n", **options)

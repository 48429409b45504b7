"""The sensitivity table: how each pooled result of the evidence synthesis moves across the declared runs
(analysis/sensitivity.yml), each run a papermill run of the notebook with other parameters.

Written like a notebook's outputs (``_build/generated/sensitivity/``: numbers.json and tables/), so chapters present it
with ``Results("sensitivity")`` (the name is ``alsmsc.build.runs.SENSITIVITY``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from alsmsc.files.atomic import atomic_write_text
from alsmsc.formats import numbers as fmt
from alsmsc.publish.outputs import HTMLTable


def cell(row: pd.Series) -> str:
    """One analysis under one run: the pooled result with its interval and k, or why it was not pooled."""
    k = int(row["Trials or studies"])
    if str(row["Pooled"]) not in (fmt.MISSING, "", "nan"):
        return f"{row['Pooled']} ({row['95% CI']}); k = {k}"
    note = str(row["Note"]).removeprefix("not pooled: ")
    return f"not pooled (k = {k}): {note.split(';')[0]}"


def table(runs: list[tuple[str, Path]]) -> pd.DataFrame:
    """Rows: the analyses; columns: the runs (label -> its summary table)."""
    summaries = [(label, pd.read_csv(path, dtype=str, keep_default_na=False)) for label, path in runs]
    analyses = list(dict.fromkeys(a for _, s in summaries for a in s["Analysis"]))
    frame = pd.DataFrame({"Analysis": analyses})
    for label, summary in summaries:
        by = {r["Analysis"]: cell(r) for _, r in summary.iterrows()}
        frame[label] = [by.get(a, "not run") for a in analyses]
    return frame


def write(out_dir: Path, runs: list[tuple[str, Path]], dataset_version: str, dataset_hash: str) -> pd.DataFrame:
    frame = table(runs)
    labels = frame.columns[1:]
    moved = sum(1 for _, r in frame.iterrows() if len({r[c] for c in labels}) > 1)
    numbers = {"n_sensitivity_runs": len(runs), "n_sensitivity_analyses": len(frame), "n_sensitivity_analyses_moved": moved}
    atomic_write_text(out_dir / "tables" / "tbl_sensitivity.csv", frame.to_csv(index=False, lineterminator="\n"))
    atomic_write_text(out_dir / "tables" / "tbl_sensitivity.html", HTMLTable(frame, note_key="tbl_sensitivity").html())
    payload = {"provenance": {"dataset_version": dataset_version, "dataset_hash": dataset_hash}, "numbers": numbers}
    atomic_write_text(out_dir / "numbers.json", json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    return frame

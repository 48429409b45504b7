"""Build-speed benchmark of the alsmsc pipeline on a copy of the project.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_build.py`). Works on a copy in a temporary folder; the
working tree is not touched. Prints one table:

scenario              | seconds | steps that ran | page correct?
cold build            | ...
no-op rebuild         | ...
one-row data edit     | ...   (must re-run exactly the notebooks and chapters that read data/trials.csv)
one-word chapter edit | ...   (must re-run that chapter and the book, nothing else)

"Correct" checks the pasted participant count on the clinical-trials page against the data. (Until dataset 2.2.0 the
benchmark also timed a plain Jupyter Book build executing the notebooks itself; chapters are now notebooks run by the
pipeline, and Jupyter Book alone would not re-run them after a data edit, as that baseline showed.)
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsmsc.files.layout import Layout  # noqa: E402

PY = sys.executable


def run(cmd: list[str], cwd: Path, env_root: Path | None = None) -> tuple[float, subprocess.CompletedProcess]:
    import os

    env = {**os.environ}
    if env_root:
        env["ALSMSC_ROOT"] = str(env_root)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    return time.perf_counter() - start, proc


def alsmsc_build(root: Path) -> tuple[float, list[str]]:
    summary = root / "_build" / "bench-summary.json"
    secs, proc = run([PY, "-m", "alsmsc", "build", "-q", "--summary-json", str(summary)], root, env_root=root)
    if proc.returncode != 0:
        raise SystemExit(f"alsmsc build failed in {root}:\n{proc.stderr[-3000:]}")
    return secs, json.loads(summary.read_text())["ran"]


def notebook_exec_seconds(root: Path) -> float:
    total = 0.0
    for nb in (root / "_build" / "generated" / "notebooks").glob("*.ipynb"):
        total += json.loads(nb.read_text())["metadata"]["papermill"]["duration"]
    return total


def edit_data(root: Path) -> int:
    """One more participant in one trial with results (fixture edit in a copy, data/trials.csv only); returns the new
    participant total the chapter should show."""
    path = root / "data" / "trials.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fields = list(rows[0])
    target = next(r for r in rows if r["results"] == "peer_reviewed" and r["n_enrolled"] and not r["overlaps_with"])
    target["n_enrolled"] = str(int(target["n_enrolled"]) + 1)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    run([PY, "-m", "alsmsc", "rehash"], root, env_root=root)
    return shown_count(root) + 1


def edit_text(root: Path) -> None:
    chapter = root / "book" / "chapters" / "etiology.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more word.\n", encoding="utf-8")


def shown_count(root: Path) -> int | None:
    page = root / "_build" / "html" / "clinical-trials.html"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    match = re.search(r"trials with results enrolled (\d+) people", text)
    return int(match.group(1)) if match else None


def readers_of_trials(root: Path) -> tuple[set[str], set[str]]:
    """The notebooks that read data/trials.csv (directly or by foreign key) and the chapters that read them."""
    from alsmsc.build import chapters, pipeline

    layout = Layout(root)
    notebooks = pipeline.discover(layout)
    nbs = {nb.name for nb in notebooks if "trials" in nb.resources}
    chs = {c.name for c in chapters.discover(layout, {nb.name for nb in notebooks}) if nbs & set(c.reads)}
    return {f"notebook:{n}" for n in nbs}, {f"chapter:{c}" for c in chs}


def main() -> None:
    source = Layout(ROOT)
    rows = []
    with tempfile.TemporaryDirectory(prefix="alsmsc-bench-") as tmp:
        ours = source.copy_sources(Path(tmp) / "ours").root
        t, ran = alsmsc_build(ours)
        nb_secs = notebook_exec_seconds(ours)
        rows.append(("cold build", t, ran, shown_count(ours), None))
        t, ran = alsmsc_build(ours)
        rows.append(("no-op rebuild", t, ran, shown_count(ours), None))
        expected = edit_data(ours)
        t, ran = alsmsc_build(ours)
        rows.append(("one-row data edit", t, ran, shown_count(ours), expected))
        want_nb, want_ch = readers_of_trials(ours)
        data_ran = set(ran)
        edit_text(ours)
        t, ran = alsmsc_build(ours)
        rows.append(("one-word chapter edit", t, ran, shown_count(ours), expected))

    def ok(shown, expected):
        return "-" if expected is None else ("yes" if shown == expected else f"NO (shows {shown}, data say {expected})")

    print(f"\n{'scenario':<22} | {'seconds':>7} | {'steps that ran':<90} | correct")
    print("-" * 135)
    for name, t, ran, shown, expected in rows:
        steps = ", ".join(s.replace("notebook:", "nb:").replace("chapter:", "ch:") for s in ran) or "(nothing)"
        print(f"{name:<22} | {t:7.2f} | {steps[:90]:<90} | {ok(shown, expected)}")
    cold = rows[0][1]
    exact = {s for s in data_ran if s.startswith(("notebook:", "chapter:"))} == want_nb | want_ch
    print(f"\nnotebooks' own execution time (papermill, summed): {nb_secs:.2f} s; cold build / that sum = {cold / nb_secs:.2f}x")
    print(
        f"targets: no-op < 1 s: {rows[1][1]:.2f} s; one-word chapter edit < 5 s: {rows[3][1]:.2f} s; "
        f"data edit re-ran exactly the notebooks and chapters that read trials.csv: {'yes' if exact else 'NO'} "
        f"({len(want_nb)} notebooks, {len(want_ch)} chapters)"
    )


if __name__ == "__main__":
    main()

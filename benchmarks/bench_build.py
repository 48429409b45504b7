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
import os
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


IMPORT_TIMER = """
import json, sys, time
start = time.perf_counter()
exec(compile(sys.argv[1], "imports", "exec"), {})
imported = time.perf_counter() - start
warm = 0.0
if "altair" in sys.modules:  # the first chart a kernel draws also loads vl-convert and starts its JavaScript engine
    start = time.perf_counter()
    import vl_convert
    vl_convert.vegalite_to_svg({"mark": "point", "data": {"values": [{"x": 1}]}, "encoding": {"x": {"field": "x"}}})
    warm = time.perf_counter() - start
print(json.dumps([imported, warm]))
"""


def _imports(nb: dict) -> str:
    """The notebook's top-level import statements, in order."""
    import ast

    lines = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            source = "".join(cell["source"])
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            lines += [ast.get_source_segment(source, node) for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    return "\n".join(lines)


def floor(root: Path) -> dict:
    """The honest floor of a build: what the executed notebooks' cells cost, apart from what every kernel pays anew.

    For every notebook papermill ran (the analysis notebooks and the declared sensitivity runs): papermill's per-cell
    durations, its whole-run duration (the difference is kernel start-up and shut-down), and, timed in a fresh
    interpreter, the notebook's own import statements plus vl-convert's first conversion (its warm-up). ``cells`` is
    the cell time less those imports and warm-up: what no build can avoid. Chapters (run by nbclient without timing)
    are counted whole in ``chapters``.
    """
    generated = root / "_build" / "generated"
    out = {"notebooks": 0, "whole": 0.0, "cells": 0.0, "startup": 0.0, "imports": 0.0, "warmup": 0.0}
    for path in sorted([*generated.glob("notebooks/*.ipynb"), *generated.glob("sensitivity/runs/*/*.ipynb")]):
        nb = json.loads(path.read_text(encoding="utf-8"))
        whole = nb["metadata"]["papermill"]["duration"]
        cells = sum(c["metadata"].get("papermill", {}).get("duration") or 0.0 for c in nb["cells"] if c["cell_type"] == "code")
        proc = subprocess.run(
            [PY, "-c", IMPORT_TIMER, _imports(nb)], cwd=root, capture_output=True, text=True, env={**os.environ, "ALSMSC_ROOT": str(root)}
        )
        imported, warm = json.loads(proc.stdout) if proc.returncode == 0 else (0.0, 0.0)
        out["notebooks"] += 1
        out["whole"] += whole
        out["startup"] += whole - cells
        out["imports"] += imported
        out["warmup"] += warm
        out["cells"] += max(cells - imported - warm, 0.0)
    summary = root / "_build" / "bench-summary.json"
    seconds = json.loads(summary.read_text())["seconds"] if summary.is_file() else {}
    out["chapters"] = sum(v for k, v in seconds.items() if k.startswith("chapter:"))
    out["book"] = seconds.get("book", 0.0)
    out["bibliography"] = seconds.get("bibliography", 0.0)
    return out


def floor_lines(f: dict, cold: float) -> list[str]:
    return [
        f"(a) cell time, without kernel start-up, imports and vl-convert warm-up ({f['notebooks']} papermill runs): {f['cells']:.2f} s",
        f"(b) kernel start-up {f['startup']:.2f} s + imports {f['imports']:.2f} s + vl-convert warm-up {f['warmup']:.2f} s"
        f" = {f['startup'] + f['imports'] + f['warmup']:.2f} s (chapters, run whole: {f['chapters']:.2f} s)",
        f"(c) cold build wall time {cold:.2f} s = {cold / f['cells']:.2f}x (a)  [Sphinx {f['book']:.2f} s]"
        if f["cells"]
        else f"(c) cold build wall time {cold:.2f} s",
    ]


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
        cold_floor = floor(ours)
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
    print()
    print("\n".join(floor_lines(cold_floor, cold)))
    print(
        f"targets: no-op < 1 s: {rows[1][1]:.2f} s; one-word chapter edit < 5 s: {rows[3][1]:.2f} s; "
        f"data edit re-ran exactly the notebooks and chapters that read trials.csv: {'yes' if exact else 'NO'} "
        f"({len(want_nb)} notebooks, {len(want_ch)} chapters)"
    )


if __name__ == "__main__":
    main()

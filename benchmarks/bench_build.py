"""Build-speed benchmark: the alsmsc pipeline against a plain Jupyter Book build that executes notebooks itself.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_build.py`). Works on copies of the project in a temporary
folder; the working tree is not touched. Prints one table:

scenario           | alsmsc: seconds, steps that ran | baseline: seconds, notebooks executed, pages correct?
cold build         | ...
no-op rebuild      | ...
one-row data edit  | ...
one-word text edit | ...

The baseline is `jupyter-book build` with `execute_notebooks: force`, the analysis notebooks placed inside the book,
and chapters pasting from them. Jupyter Book executes a notebook only when Sphinx re-reads it, so after a data edit the
baseline rebuilds nothing and its pages show stale numbers: the "correct" column checks the pasted count on the
clinical-trials page against the data.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from alsmsc.files.layout import Layout  # noqa: E402

PY = sys.executable
JB = str(Path(sys.executable).with_name("jupyter-book"))


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
    chapter = root / "book" / "etiology.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more word.\n", encoding="utf-8")


def shown_count(root: Path) -> int | None:
    page = root / "_build" / "html" / "clinical-trials.html"
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.read_text(encoding="utf-8")))
    match = re.search(r"trials with results enrolled (\d+) people", text)
    return int(match.group(1)) if match else None


def make_baseline(source: Layout, dest: Path) -> Path:
    """A copy in which Jupyter Book executes the analysis notebooks itself (execute_notebooks: force)."""
    root = source.copy_sources(dest).root
    alsmsc_build(root)  # once, untimed: the bibliography, data dictionary and status snippets the chapters include
    shutil.rmtree(root / "_build" / "html")
    shutil.rmtree(root / "_build" / ".doctrees", ignore_errors=True)
    book = root / "book"
    (book / "analyses").mkdir()
    for nb in (root / "analysis").glob("*.ipynb"):
        shutil.copy2(nb, book / "analyses" / nb.name)
    (book / "data").symlink_to("../data")  # notebooks in book/analyses read ../data
    for md in list(book.glob("*.md")) + [book / "_toc.yml"]:
        md.write_text(md.read_text(encoding="utf-8").replace("_generated/notebooks/", "analyses/"), encoding="utf-8")
    for name in ("trials_overview", "records_overview"):  # the chart directive's SVG links, for the moved notebooks
        target = book / name / "figures"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(root / "_build" / "generated" / name / "figures", target)
    config = (root / "_config.yml").read_text(encoding="utf-8").replace('execute_notebooks: "off"', "execute_notebooks: force")
    (root / "_config.yml").write_text(config, encoding="utf-8")
    return root


def jb_build(root: Path) -> tuple[float, int]:
    secs, proc = run([JB, "build", "book", "--config", "_config.yml", "--path-output", "."], root)
    if proc.returncode != 0:
        raise SystemExit(f"baseline build failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    executed = len(re.findall(r"Executing notebook", proc.stdout + proc.stderr))
    return secs, executed


def main() -> None:
    source = Layout(ROOT)
    rows = []
    with tempfile.TemporaryDirectory(prefix="alsmsc-bench-") as tmp:
        ours = source.copy_sources(Path(tmp) / "ours").root
        base = make_baseline(source, Path(tmp) / "baseline")

        t, ran = alsmsc_build(ours)
        nb_secs = notebook_exec_seconds(ours)
        bt, bx = jb_build(base)
        rows.append(("cold build", t, ran, bt, bx, shown_count(ours), shown_count(base), None))

        t, ran = alsmsc_build(ours)
        bt, bx = jb_build(base)
        rows.append(("no-op rebuild", t, ran, bt, bx, shown_count(ours), shown_count(base), None))

        expected = edit_data(ours)
        edit_data(base)
        t, ran = alsmsc_build(ours)
        bt, bx = jb_build(base)
        rows.append(("one-row data edit", t, ran, bt, bx, shown_count(ours), shown_count(base), expected))

        edit_text(ours)
        edit_text(base)
        t, ran = alsmsc_build(ours)
        bt, bx = jb_build(base)
        rows.append(("one-word chapter edit", t, ran, bt, bx, shown_count(ours), shown_count(base), expected))

    def ok(shown, expected):
        return "-" if expected is None else ("yes" if shown == expected else f"NO (shows {shown}, data say {expected})")

    print(f"\n{'scenario':<22} | {'alsmsc s':>8} | {'steps that ran':<58} | {'correct':<7} | {'baseline s':>10} | {'nb executed':>11} | correct")
    print("-" * 150)
    for name, t, ran, bt, bx, ours_n, base_n, expected in rows:
        steps = ", ".join(s.replace("notebook:", "nb:") for s in ran) or "(nothing)"
        print(f"{name:<22} | {t:8.2f} | {steps:<58} | {ok(ours_n, expected):<7} | {bt:10.2f} | {bx:11d} | {ok(base_n, expected)}")
    cold = rows[0][1]
    print(f"\nnotebooks' own execution time (papermill, summed): {nb_secs:.2f} s; cold build / that sum = {cold / nb_secs:.2f}x (target <= 1.5x)")
    print(
        f"targets: no-op < 2 s: {rows[1][1]:.2f} s; one-word chapter edit < 5 s: {rows[3][1]:.2f} s; "
        f"data edit re-ran only: {', '.join(s for s in rows[2][2] if s.startswith('notebook:'))}"
    )


if __name__ == "__main__":
    main()

"""Meta-analysis speed: alsmsc against R's metafor, REML and DL, 10 to 1,000,000 synthetic studies, and start-up cost.

Run with `.venv/bin/python benchmarks/bench_meta.py [--quick]` (needs Rscript with metafor: `apt-get install
r-cran-metafor`). Prints one table with two timings per cell:
- in-process: the pooling call alone, median of several repetitions, timed inside Python and inside R;
- whole-process: a fresh `alsmsc meta FILE.csv --json` against a fresh `Rscript` that loads metafor, reads the same CSV
  and fits the model, timed from outside (median of several runs for small k).
and then the import time of the `alsmsc meta` command (`python -X importtime`), against the seconds Rscript spends
loading metafor.
metafor builds k x k matrices (REML multiplies two of them in every Fisher-scoring step): a run is stopped after R_CAP
seconds and reported as "> cap", and from k = 100,000 R cannot allocate the matrices at all ("no memory").
The synthetic data (random effects with tau² = 0.05) are made here and never used as evidence.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from alsmsc.stats import meta_analysis  # noqa: E402

SIZES = (10, 100, 1_000, 10_000, 100_000, 1_000_000)
METHODS = ("REML", "DL")
R_CAP = 120.0
INF, NOMEM = float("inf"), float("-inf")


def synthetic(k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.2, np.sqrt(vi + 0.05))
    return yi, vi


def ours_in_process(yi, vi, method: str, reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        meta_analysis.rma(yi, vi, method=method)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def metafor_run(csv: Path, method: str, reps: int) -> tuple[float, float, float]:
    """(in-process seconds, whole-process seconds, estimate) from one Rscript run; INF when stopped at R_CAP, NOMEM when R
    cannot allocate metafor's matrices."""
    script = f"""
suppressPackageStartupMessages(library(metafor)); d <- read.csv("{csv}")
t <- system.time(for (i in seq_len({reps})) r <- rma(d$yi, d$vi, method = "{method}"))[["elapsed"]] / {reps}
cat(t, r$b[1], "\\n")
"""
    start = time.perf_counter()
    try:
        proc = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, timeout=R_CAP)
    except subprocess.TimeoutExpired:
        return INF, INF, float("nan")
    whole = time.perf_counter() - start
    if proc.returncode != 0:
        if re.search(r"cannot allocate|too large|long vectors", proc.stderr):
            return NOMEM, NOMEM, float("nan")
        raise RuntimeError(proc.stderr)
    out = proc.stdout.split()
    return float(out[0]), whole, float(out[1])


def whole_process(cmd: list[str], reps: int) -> float:
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def import_seconds() -> tuple[float, float]:
    """(seconds to import what `alsmsc meta` imports, seconds Rscript takes to start and load metafor); medians of 5."""
    ours, theirs = [], []
    for _ in range(5):
        proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import alsmsc.cli.meta_command"], capture_output=True, text=True)
        selfs = [line.split(":", 1)[1].split("|")[0].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")]
        ours.append(sum(int(x) for x in selfs if x.isdigit()) / 1e6)  # the "self" column sums to the whole import time
        t = time.perf_counter()
        subprocess.run(["Rscript", "-e", "suppressPackageStartupMessages(library(metafor))"], capture_output=True, check=True)
        theirs.append(time.perf_counter() - t)
    return statistics.median(ours), statistics.median(theirs)


def cell(x: float, width: int, digits: int) -> str:
    if x == INF:
        return f"{'> ' + str(int(R_CAP)):>{width}}"
    if x == NOMEM:
        return f"{'no memory':>{width}}"
    return f"{x:{width}.{digits}f}"


def ratio(theirs: float, ours: float) -> str:
    if theirs == INF:
        return f"{'> ' + format(R_CAP / ours, '.0f'):>9}x"
    if theirs == NOMEM:
        return f"{'-':>10}"
    return f"{theirs / ours:9.1f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="k up to 10,000 only")
    args = parser.parse_args()
    sizes = [k for k in SIZES if not args.quick or k <= 10_000]
    rows = []
    with tempfile.TemporaryDirectory(prefix="alsmsc-bench-meta-") as tmp:
        for k in sizes:
            yi, vi = synthetic(k)
            csv = Path(tmp) / f"k{k}.csv"
            with csv.open("w") as fh:
                fh.write("study,yi,vi\n")
                fh.writelines(f"s{i},{y:.17g},{v:.17g}\n" for i, (y, v) in enumerate(zip(yi, vi)))
            small = k <= 1_000
            for method in METHODS:
                ours = ours_in_process(yi, vi, method, reps=50 if small else 5)
                our_estimate = meta_analysis.rma(yi, vi, method=method).estimate
                ours_whole = whole_process([sys.executable, "-m", "alsmsc", "meta", str(csv), "--method", method, "--json"], reps=5 if small else 1)
                # metafor's in-process time is averaged over repeated fits for small k (R's clock ticks in milliseconds)
                theirs, theirs_whole, r_estimate = metafor_run(csv, method, reps=100 if k <= 100 else 1)
                if small:
                    theirs_whole = statistics.median([theirs_whole] + [metafor_run(csv, method, reps=1)[1] for _ in range(4)])
                diff = abs(our_estimate - r_estimate) / abs(r_estimate)
                rows.append((k, method, ours, theirs, ours_whole, theirs_whole, diff))
                print(f"  measured k={k} {method}", file=sys.stderr, flush=True)
    head = f"{'k':>9} {'method':<6} | {'alsmsc in-proc s':>16} {'metafor in-proc s':>17} {'speed-up':>10} | "
    print("\n" + head + f"{'alsmsc whole s':>14} {'metafor whole s':>15} {'speed-up':>10} | estimate: ours (exact) vs metafor (default stop)")
    print("-" * 124)
    for k, method, a, b, aw, bw, diff in rows:
        diff_s = "n/a (R did not finish)" if diff != diff else f"{diff:.1e}"
        print(f"{k:>9} {method:<6} | {a:16.6f} {cell(b, 17, 6)} {ratio(b, a)} | {aw:14.2f} {cell(bw, 15, 2)} {ratio(bw, aw)} | {diff_s}")
    ours_import, r_start = import_seconds()
    print(
        f"\nimport time of `alsmsc meta` (python -X importtime, all modules): {ours_import:.3f} s; Rscript start + library(metafor): {r_start:.2f} s"
    )
    print("Goal: whole-process `alsmsc meta` at least 2x faster than Rscript with metafor at every k, in-process faster at every k.")


if __name__ == "__main__":
    main()

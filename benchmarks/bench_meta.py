"""Meta-analysis speed: alsmsc.meta against R's metafor, REML and DL, 1,000 and 10,000 synthetic studies.

Run with `.venv/bin/python benchmarks/bench_meta.py` (needs Rscript with metafor: `apt-get install r-cran-metafor`).
Prints one table with two timings per cell:
- in-process: the pooling call alone, best of several repetitions, timed inside Python and inside R;
- whole-process: a fresh `alsmsc meta FILE.csv --json` against a fresh `Rscript` that loads metafor, reads the same
  CSV and fits the model, timed from outside (the same R run also reports the in-process time).
metafor builds k x k matrices (REML multiplies two of them in every Fisher-scoring step), so a metafor run is stopped
after R_CAP seconds and reported as "> cap"; the goal is still met when ours finishes well within the cap.
The synthetic data (random effects with tau² = 0.05) are made here and never used as evidence.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
from alsmsc.stats import meta_analysis

SIZES = (1_000, 10_000)
METHODS = ("REML", "DL")


def synthetic(k: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    vi = rng.uniform(0.01, 0.5, k)
    yi = rng.normal(0.2, np.sqrt(vi + 0.05))
    return yi, vi


def ours_in_process(yi, vi, method: str, reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        meta_analysis.rma(yi, vi, method=method)
        best = min(best, time.perf_counter() - t)
    return best


R_CAP = 300.0


def metafor_run(csv: Path, method: str) -> tuple[float, float, float]:
    """(in-process seconds, whole-process seconds, estimate) from one Rscript run; inf when stopped at R_CAP."""
    script = f"""
suppressPackageStartupMessages(library(metafor)); d <- read.csv("{csv}")
t <- system.time(r <- rma(d$yi, d$vi, method = "{method}"))[["elapsed"]]
cat(t, r$b[1], "\\n")
"""
    start = time.perf_counter()
    try:
        out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True, timeout=R_CAP).stdout.split()
    except subprocess.TimeoutExpired:
        return float("inf"), float("inf"), float("nan")
    return float(out[0]), time.perf_counter() - start, float(out[1])


def whole_process(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, capture_output=True, check=True)
    return time.perf_counter() - t


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory(prefix="alsmsc-bench-meta-") as tmp:
        for k in SIZES:
            yi, vi = synthetic(k)
            csv = Path(tmp) / f"k{k}.csv"
            with csv.open("w") as fh:
                fh.write("study,yi,vi\n")
                fh.writelines(f"s{i},{y:.17g},{v:.17g}\n" for i, (y, v) in enumerate(zip(yi, vi)))
            for method in METHODS:
                ours = ours_in_process(yi, vi, method, reps=20)
                our_estimate = meta_analysis.rma(yi, vi, method=method).estimate
                ours_whole = whole_process([sys.executable, "-m", "alsmsc", "meta", str(csv), "--method", method, "--json"])
                theirs, theirs_whole, r_estimate = metafor_run(csv, method)
                rows.append((k, method, ours, theirs, ours_whole, theirs_whole, abs(our_estimate - r_estimate) / abs(r_estimate)))
                print(f"  measured k={k} {method}", file=sys.stderr, flush=True)
    print(
        f"\n{'k':>6} {'method':<6} | {'alsmsc in-proc s':>16} {'metafor in-proc s':>17} {'speed-up':>9} | "
        f"{'alsmsc whole s':>14} {'metafor whole s':>15} {'speed-up':>9} | estimate rel. diff"
    )
    print("-" * 120)

    def t(x, width, digits):
        return f"{'> ' + str(int(R_CAP)):>{width}}" if x == float("inf") else f"{x:{width}.{digits}f}"

    def ratio(b, a):
        return f"{'> ' + format(R_CAP / a, '.0f'):>8}x" if b == float("inf") else f"{b / a:8.1f}x"

    for k, method, a, b, aw, bw, diff in rows:
        diff_s = "n/a (R stopped)" if diff != diff else f"{diff:.1e}"
        print(f"{k:>6} {method:<6} | {a:16.5f} {t(b, 17, 5)} {ratio(b, a)} | {aw:14.2f} {t(bw, 15, 2)} {ratio(bw, aw)} | {diff_s}")
    print("\nGoal: faster than metafor at 10,000 studies, in-process and whole-process.")


if __name__ == "__main__":
    main()

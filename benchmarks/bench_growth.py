"""Growth check: cold builds of the book from SYNTHETIC datasets FACTOR times the real one, with the cell-time floor.

The synthetic rows are copies of the real clinical records with new ids (Synthabc2001...) and titles starting with
"SYNTHETIC - not evidence"; they live only in a temporary copy of the project and are never published. Factor 1 is the
real dataset. For each factor it prints the cold build, Sphinx's share, the floor (cell time without kernel start-up,
imports and vl-convert warm-up; see bench_build.floor) and the largest pages.
Run: .venv/bin/python benchmarks/bench_growth.py [FACTOR ...]   (default 1 10 100; the 100x build takes minutes)
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))
from alsmsc.files.layout import Layout  # noqa: E402


def rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames), list(reader)


def save(path: Path, fields, data) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(data)


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[r] + out
    return out


def grow(data_dir: Path, factor: int) -> int:
    """Copy every trial (with its records, arms, screening rows and bias judgements) factor - 1 times, each copy marked
    SYNTHETIC and given fixture identifiers; returns the number of trials."""
    tf, trials = rows(data_dir / "trials.csv")
    sf, studies = rows(data_dir / "studies.csv")
    af, arms = rows(data_dir / "clinical_arms.csv")
    gf, screening = rows(data_dir / "screening_log.csv")
    rf, rob = rows(data_dir / "risk_of_bias.csv")
    original_trials, original_arms, original_rob = list(trials), list(arms), list(rob)
    n = 0
    for _copy in range(1, factor):
        for t in original_trials:
            n += 1
            tid = f"synthetic-{n:06d}"
            sid = f"Synth{_letters(n)}2001"  # a valid AuthorYYYY key, unique per copy
            doi = f"10.0000/synthetic.{n}"
            trials.append(
                dict(
                    t,
                    trial_id=tid,
                    name=f"SYNTHETIC - not evidence {n}",
                    registry_ids="",
                    overlaps_with="",
                    overlap_note="",
                    n_overlapping="",
                    source_url=f"https://doi.org/{doi}",
                    read_url="",
                )
            )
            kind, ptype = {
                "press_release_only": ("press_release", "press_release"),
                "conference_abstract_only": ("conference_abstract", "conference_abstract"),
                "registry_only": ("registration", "preprint"),
                "none": ("registration", "preprint"),
            }.get(t["results"], ("results", "preprint"))
            studies.append(
                {
                    **{k: "" for k in sf},
                    "study_id": sid,
                    "record_type": "clinical",
                    "trial_id": tid,
                    "record_kind": kind,
                    "first_author": "Synthetic",
                    "year": "2001",
                    "title": "SYNTHETIC - not evidence",
                    "doi": doi,
                    "publication_type": ptype,
                    "source_url": f"https://doi.org/{doi}",
                    "verified_from": "abstract",
                }
            )
            rob += [dict(r, assessed=tid) for r in original_rob if r["assessed"] == t["trial_id"]]
            arms += [dict(a, trial_id=tid, study_id=sid) for a in original_arms if a["trial_id"] == t["trial_id"]]
            screening.append(
                {
                    **{k: "" for k in gf},
                    "record_id": f"DOI:{doi}",
                    "source": "other_methods",
                    "search_date": "2026-11-24",
                    "title_abstract_decision": "include",
                    "full_text_decision": "include",
                    "record_type": "clinical",
                    "study_id": sid,
                    "review_version": "1.0.0",
                    "notes": "SYNTHETIC",
                }
            )
    save(data_dir / "trials.csv", tf, trials)
    save(data_dir / "studies.csv", sf, studies)
    save(data_dir / "clinical_arms.csv", af, arms)
    save(data_dir / "screening_log.csv", gf, screening)
    save(data_dir / "risk_of_bias.csv", rf, rob)
    return len(trials)


def build(factor: int) -> dict:
    """One cold build of a FACTOR-times copy in a temporary folder."""
    from bench_build import floor

    with tempfile.TemporaryDirectory(prefix="alsmsc-growth-") as tmp:
        root = Layout(ROOT).copy_sources(Path(tmp) / "synthetic").root
        n = grow(root / "data", factor)

        def env_run(*a):
            return subprocess.run(
                [sys.executable, "-m", "alsmsc", *a],
                cwd=root,
                capture_output=True,
                text=True,
                env={**__import__("os").environ, "ALSMSC_ROOT": str(root)},
            )

        env_run("rehash")
        start = time.perf_counter()
        proc = env_run("build", "-q", "--summary-json", str(root / "_build" / "bench-summary.json"))
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr[-4000:])
            raise SystemExit(f"synthetic build ({factor}x) failed")
        html = root / "_build" / "html"
        sizes = sorted(((p.stat().st_size, p.relative_to(html)) for p in html.rglob("*.html")), reverse=True)
        total = sum(size for size, _ in sizes)
        return {"factor": factor, "trials": n, "seconds": seconds, "floor": floor(root), "sizes": sizes[:3], "pages": len(sizes), "html": total}


def main() -> None:
    from bench_build import floor_lines

    factors = [int(a) for a in sys.argv[1:]] or [1, 10, 100]
    results = [build(f) for f in factors]
    header = ("data", "trials", "pages", "HTML MiB", "cold s", "Sphinx s", "cells s", "start+imports s", "cold/cells")
    print("\n" + " | ".join(f"{h:>{w}}" for h, w in zip(header, (5, 6, 5, 8, 7, 8, 7, 15, 10))))
    print("-" * 100)
    for r in results:
        f = r["floor"]
        overhead = f["startup"] + f["imports"] + f["warmup"]
        ratio = f"{r['seconds'] / f['cells']:.2f}x" if f["cells"] else "-"
        print(
            f"{r['factor']:>4}x | {r['trials']:>6} | {r['pages']:>5} | {r['html'] / 2**20:>8.1f} | {r['seconds']:>7.1f} | {f['book']:>8.1f} |"
            f" {f['cells']:>7.1f} | {overhead:>15.1f} | {ratio:>10}"
        )
    for r in results:
        print(f"\n{r['factor']}x:")
        print("\n".join("  " + line for line in floor_lines(r["floor"], r["seconds"])))
        print("  largest pages: " + ", ".join(f"{name} {size / 1024:.0f} KiB" for size, name in r["sizes"]))


if __name__ == "__main__":
    main()

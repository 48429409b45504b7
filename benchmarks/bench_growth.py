"""Growth check: build the book from a SYNTHETIC dataset 100x the real one and report time and page sizes.

The synthetic rows are copies of the real clinical records with new ids (Synthabc2001...) and titles starting with
"SYNTHETIC - not evidence"; they live only in a temporary copy of the project and are never published.
Run: .venv/bin/python benchmarks/bench_growth.py [FACTOR]
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
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


def main() -> None:
    factor = int(sys.argv[1]) if len(sys.argv) > 1 else 100
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
        proc = env_run("build", "-q", "--summary-json", str(root / "summary.json"))
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            print(proc.stderr[-4000:])
            raise SystemExit("synthetic build failed")
        summary = json.loads((root / "summary.json").read_text())
        html = root / "_build" / "html"
        sizes = sorted(((p.stat().st_size, p.relative_to(html)) for p in html.rglob("*.html")), reverse=True)
        print(f"synthetic dataset: {n} trials ({factor}x); cold build {seconds:.1f} s; steps: {', '.join(summary['ran'])}")
        print("largest pages:")
        for size, name in sizes[:5]:
            print(f"  {size / 1024:8.0f} KiB  {name}")


if __name__ == "__main__":
    main()

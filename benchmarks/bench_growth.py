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
from alsmsc.paths import Layout  # noqa: E402


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
    sf, studies = rows(data_dir / "studies.csv")
    cf, clinical = rows(data_dir / "clinical_studies.csv")
    af, arms = rows(data_dir / "clinical_arms.csv")
    gf, screening = rows(data_dir / "screening_log.csv")
    rf, rob = rows(data_dir / "risk_of_bias.csv")
    original_rob = list(rob)
    by_id = {s["study_id"]: s for s in studies}
    originals, original_arms = list(clinical), list(arms)
    n = 0
    for copy in range(1, factor):
        for c in originals:
            n += 1
            sid = f"Synth{_letters(n)}2001"  # a valid AuthorYYYY key, unique per copy
            s = dict(by_id[c["study_id"]], study_id=sid, title="SYNTHETIC - not evidence: " + by_id[c["study_id"]]["title"],
                     doi="", pmid="", pmcid="", registry_ids="", publication_type="preprint", first_author="Synthetic")
            s["doi"] = f"10.0000/synthetic.{n}"
            studies.append(s)
            not_reported = ";".join(x for x in c["not_reported"].split(";") if x and x not in ("doi", "pmid", "first_author"))
            clinical.append(dict(c, study_id=sid, first_author="Synthetic", doi=s["doi"], pmid="", registry_ids="", overlaps_with="",
                                 not_reported=not_reported))
            rob += [dict(r, study_id=sid) for r in original_rob if r["study_id"] == c["study_id"]]
            arms += [dict(a, study_id=sid) for a in original_arms if a["study_id"] == c["study_id"]]
            screening.append({**{k: "" for k in gf}, "record_id": f"DOI:{s['doi']}", "source": "databases", "search_date": "2026-11-24",
                              "title_abstract_decision": "include", "full_text_decision": "include", "record_type": "clinical",
                              "study_id": sid, "review_version": "1.0.0", "notes": "SYNTHETIC"})
    save(data_dir / "studies.csv", sf, studies)
    save(data_dir / "clinical_studies.csv", cf, clinical)
    save(data_dir / "clinical_arms.csv", af, arms)
    save(data_dir / "screening_log.csv", gf, screening)
    save(data_dir / "risk_of_bias.csv", rf, rob)
    # the search log's counts must still add up: the synthetic records come from no logged search
    return len(clinical)


def main() -> None:
    factor = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory(prefix="alsmsc-growth-") as tmp:
        root = Layout(ROOT).copy_sources(Path(tmp) / "synthetic").root
        n = grow(root / "data", factor)
        env_run = lambda *a: subprocess.run([sys.executable, "-m", "alsmsc", *a], cwd=root, capture_output=True, text=True,
                                            env={**__import__("os").environ, "ALSMSC_ROOT": str(root)})
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
        print(f"synthetic dataset: {n} clinical records ({factor}x); cold build {seconds:.1f} s; steps: {', '.join(summary['ran'])}")
        print("largest pages:")
        for size, name in sizes[:5]:
            print(f"  {size / 1024:8.0f} KiB  {name}")


if __name__ == "__main__":
    main()

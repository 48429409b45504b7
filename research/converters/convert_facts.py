"""Staged background facts -> data/background_facts.csv + source rows in data/studies.csv (fixture of this session)."""
import csv, json, re, sys, unicodedata
from pathlib import Path
NOTES = Path(__file__).resolve().parents[1] / "verification-notes"  # the notes these converters read, kept in the repository
root = sys.argv[1]
dp = json.load(open(f"{root}/data/datapackage.json"))
cols = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in dp["resources"]}
facts = [json.loads(l) for l in open(NOTES / "background.jsonl")]
# Identifiers found in the second pass (helper-8), keyed by fact_id.
extra = {}
try:
    for l in open(NOTES / "background_sources.jsonl"):
        s = json.loads(l)
        for fid in s.get("fact_ids", []):
            extra[fid] = s
except FileNotFoundError:
    pass
URL_ONLY = {  # fact_id -> (first_author, year, title, publication_type, verified_from)
 "riluzole_fda_approval_1995": ("HHS", 1995, "FDA Approves First Drug for Lou Gehrig's Disease (HHS news release, 12 December 1995)", "press_release", "secondary_source"),
 "edaravone_fda_approval_2017": ("FDAnews", 2017, "FDA Approves Mitsubishi Tanabe Oral Form of Radicava for ALS (FDAnews), with news items on the 2017 approval", "news", "secondary_source"),
 "edaravone_oral_fda_approval_2022": ("PharmaLetter", 2022, "FDA nod for oral formulation of amyotrophic lateral sclerosis drug Radicava (The Pharma Letter)", "news", "secondary_source"),
 "pb_turso_fda_approval_2022": ("FederalRegister", 2025, "Amylyx Pharmaceuticals, Inc.; Withdrawal of Approval of New Drug Application for RELYVRIO (Federal Register, docket FDA-2025-N-2654)", "regulatory_document", "full_text"),
 "pb_turso_withdrawal_2024": ("FederalRegister", 2025, "Amylyx Pharmaceuticals, Inc.; Withdrawal of Approval of New Drug Application for RELYVRIO (Federal Register, docket FDA-2025-N-2654)", "regulatory_document", "full_text"),
 "tofersen_fda_accelerated_approval_2023": ("Biogen", 2023, "FDA Grants Accelerated Approval for QALSODY (tofersen) for SOD1-ALS (Biogen news release, 25 April 2023)", "press_release", "secondary_source"),
 "tofersen_ema_approval_2024": ("EMA", 2024, "Qalsody (tofersen): EPAR overview, European Medicines Agency", "regulatory_document", "full_text"),
}
def ascii_name(s):
    s = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    s = re.sub(r"[^A-Za-z]", "", s.split()[0] if " " in s and not s.startswith("van") else s.replace(" ", ""))
    return s[:1].upper() + s[1:]
existing = list(csv.DictReader(open(f"{root}/data/studies.csv")))
ids = {r["study_id"] for r in existing}
by_key, new_sources, out, held = {}, [], [], []
for f in facts:
    fid = f["fact_id"]
    src = dict(f)
    if fid in extra:
        for k in ("first_author", "year", "title", "journal", "doi", "pmid", "pmcid", "volume", "issue", "pages"):
            if extra[fid].get(k):
                src[k] = extra[fid][k]
        src["source_url"] = src["source_url"] + ";" + extra[fid]["source_url"]
    if fid in URL_ONLY:
        author, year, title, ptype, level = URL_ONLY[fid]
        src.update(first_author=author, year=year, title=title, journal="", doi=None, pmid=None, pmcid=None)
        src["publication_type"], src["verified_from"] = ptype, level
    else:
        if not (src.get("doi") or src.get("pmid") or src.get("pmcid")) or not src.get("first_author") or not src.get("year"):
            held.append(fid); continue
        src["publication_type"] = "conference_abstract" if "conference_abstract" in (f.get("notes") or "") else "peer_reviewed"
    key = (src.get("doi") or "", src.get("pmid") or "", src["title"].lower()[:60])
    if key not in by_key:
        base = ascii_name(src["first_author"]) + str(src["year"])
        sid, n = base, 0
        while sid in ids:
            n += 1; sid = base + "abcdefghij"[n - 1]
        ids.add(sid); by_key[key] = sid
        new_sources.append({"study_id": sid, "record_type": "background", "first_author": src["first_author"], "year": src["year"],
            "title": src["title"], "journal": src.get("journal") or "", "volume": src.get("volume") or "", "issue": src.get("issue") or "",
            "pages": src.get("pages") or "", "doi": src.get("doi") or "", "pmid": src.get("pmid") or "", "pmcid": src.get("pmcid") or "",
            "registry_ids": "", "publication_type": src["publication_type"], "source_url": src["source_url"],
            "verified_from": src.get("verified_from") or f["verified_from"], "notes": ""})
    sid = by_key[key]
    lo, hi = f.get("value_low"), f.get("value_high")
    if (lo is None) != (hi is None):  # a one-sided limit ("up to 15%") stays in the value text
        lo = hi = None
    itype = f.get("interval_type") if (lo is not None and hi is not None) else ""
    if itype in (None, "null"): itype = ""
    out.append({"fact_id": fid, "topic": f["topic"], "quantity": f["quantity"], "value": str(f["value"]),
        "value_low": "" if lo is None else lo, "value_high": "" if hi is None else hi, "interval_type": itype or ("" if lo is None else "none"),
        "unit": f.get("unit") or "", "population": f.get("population") or "not stated", "period": f.get("period") or "",
        "study_id": sid, "source_url": src["source_url"], "verified_from": src.get("verified_from") or f["verified_from"], "notes": f.get("notes") or ""})
rows = existing + new_sources
rows.sort(key=lambda r: r["study_id"])
with open(f"{root}/data/studies.csv", "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=cols["studies"], lineterminator="\n"); w.writeheader(); w.writerows(rows)
out.sort(key=lambda r: r["fact_id"])
with open(f"{root}/data/background_facts.csv", "w", newline="", encoding="utf-8") as fh:
    w = csv.DictWriter(fh, fieldnames=cols["background_facts"], lineterminator="\n"); w.writeheader(); w.writerows(out)
print(len(out), "facts,", len(new_sources), "new sources; held back (no identifier yet):", held)

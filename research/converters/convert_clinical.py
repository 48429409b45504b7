import json, csv, re, sys
from pathlib import Path
NOTES = Path(__file__).resolve().parents[1] / "verification-notes"  # the notes these converters read, kept in the repository
root = sys.argv[1]
dp = json.load(open(f"{root}/data/datapackage.json"))
cols = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in dp["resources"]}
recs, seen = [], set()
for fn in ["clinical_A.jsonl", "clinical_B.jsonl"]:
    for line in open(NOTES / f"{fn}"):
        r = json.loads(line)
        sid = re.sub(r"[-_ ]", "", r["study_id"])
        notes = r.get("notes") or ""
        if sid in seen: 
            print("skip duplicate", sid); continue
        if notes.startswith(("EXCLUDE", "POSSIBLE EXCLUDE")):
            print("skip excluded", sid); continue
        if not r.get("year"):
            print("skip: year not read", sid); continue
        if sid.startswith(("Unknown", "IRCTtrial")):
            print("skip: no identifiable record", sid); continue
        seen.add(sid); r["study_id"] = sid; recs.append(r)
def reg(ids):
    out = []
    for i in ids or []:
        i = i.strip().replace(" ", "")
        m = re.match(r"(?:EudraCT|EUCTR)?:?(\d{4}-\d{6}-\d{2})$", i)
        out.append("EUCTR" + m.group(1) if m else i)
    return ";".join(out)
def s(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return ";".join(map(str, v))
    return str(v)
studies, clinical, arms = [], [], []
ids = {r["study_id"] for r in recs}
for r in recs:
    nr = [c for c in (r.get("not_reported") or []) if c in cols["clinical_studies"]]
    reg_ids = reg(r.get("registry_ids"))
    if r["study_id"].startswith("NCT") and r["study_id"] not in reg_ids.split(";"):
        reg_ids = ";".join([r["study_id"]] + [x for x in reg_ids.split(";") if x])
    url = ";".join(u.strip() for u in re.split(r"\s*;\s*", r["source_url"]) if u.strip())
    studies.append({"study_id": r["study_id"], "record_type": "clinical", "first_author": r["first_author"], "year": r["year"],
        "title": r.get("title") or "", "journal": r.get("journal") or "", "doi": r.get("doi") or "", "pmid": r.get("pmid") or "",
        "pmcid": r.get("pmcid") or "", "registry_ids": reg_ids, "publication_type": r.get("publication_type") or "",
        "source_url": url, "verified_from": r["verified_from"], "notes": ""})
    design = r.get("design")
    row = {c: "" for c in cols["clinical_studies"]}
    row.update({k: s(r.get(k)) for k in cols["clinical_studies"] if k in r})
    row["registry_ids"] = reg_ids; row["source_url"] = url
    row["randomized"] = "true" if design == "randomized_controlled" else "false"
    row["country"] = r.get("country") or "not_reported"
    row["phase"] = r.get("phase") or "not_reported"
    row["control_type"] = r.get("control_type") or "not_reported"
    row["cell_source"] = r.get("cell_source") or "not_reported"
    row["cell_origin"] = r.get("cell_origin") or "not_reported"
    row["product"] = r.get("product") or "MSC"
    row["overlaps_with"] = ";".join(re.sub(r"[-_ ]", "", o) for o in (r.get("overlaps_with") or []) if re.sub(r"[-_ ]", "", o) in ids)
    for c in ("route", "n_enrolled", "n_msc", "dose", "follow_up_months", "n_administrations", "primary_endpoint"):
        if not row[c] and c not in nr: nr.append(c)
    row["not_reported"] = ";".join(sorted(set(c for c in nr if not row[c] or row[c] == "not_reported")))
    row["study_id"] = r["study_id"]
    clinical.append(row)
    if design != "registry_record":
        arms.append({"study_id": r["study_id"], "arm": "msc", "role": "msc", "description": row["product"] + (" (" + row["dose"] + ")" if row["dose"] else ""),
                     "n_randomized": "", "n_treated": s(r.get("n_msc")), "n_analysed": "", "source_url": url, "verified_from": r["verified_from"], "notes": "n_treated = n_msc of the study record"})
        if r.get("n_control"):
            arms.append({"study_id": r["study_id"], "arm": "control", "role": "control", "description": row["control_type"],
                         "n_randomized": "", "n_treated": s(r.get("n_control")), "n_analysed": "", "source_url": url, "verified_from": r["verified_from"], "notes": "n_treated = n_control of the study record"})
def write(name, rows):
    with open(f"{root}/data/{name}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols[name], lineterminator="\n"); w.writeheader()
        for row in sorted(rows, key=lambda x: x["study_id"]): w.writerow({k: s(row.get(k)) for k in cols[name]})
write("studies", studies); write("clinical_studies", clinical); write("clinical_arms", arms)
print(len(studies), "studies", len(arms), "arms")

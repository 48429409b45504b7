import csv, json, re, sys
from pathlib import Path
NOTES = Path(__file__).resolve().parents[1] / "verification-notes"  # the notes these converters read, kept in the repository
root = sys.argv[1]
dp = json.load(open(f"{root}/data/datapackage.json"))
cols = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in dp["resources"]}
def load(name): return list(csv.DictReader(open(f"{root}/data/{name}.csv", encoding="utf-8")))
def save(name, rows, key):
    rows.sort(key=key)
    with open(f"{root}/data/{name}.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols[name], lineterminator="\n"); w.writeheader()
        w.writerows({k: ("" if r.get(k) is None else r.get(k)) for k in cols[name]} for r in rows)
def s(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, list): return ";".join(map(str, v))
    return str(v)
studies, clinical, arms = load("studies"), load("clinical_studies"), load("clinical_arms")
sid_set = {r["study_id"] for r in studies}
# --- identifiers read in the second pass
def patch(rows, sid, **kv):
    for r in rows:
        if r["study_id"] == sid:
            for k, v in kv.items():
                if k == "url": r["source_url"] += ";" + v
                elif k == "note": r["notes"] = (r.get("notes") or "") + (" " if r.get("notes") else "") + v
                else: r[k] = v
patch(studies, "Najafi2023", pmid="37427325", url="http://47.251.13.51:8081/37427325", note="PMID read in the URL path of a stored PubMed page (mirror host).")
patch(studies, "Cudkowicz2022", pmcid="PMC9305113", url="https://pmc.ncbi.nlm.nih.gov/articles/PMC9305113/table/mus27472-tbl-0001")
patch(clinical, "Karussis2010", note="A third-party PubMed republisher lists PMID 20937945 for this title; not confirmed on PubMed, so pmid is left blank.")
# --- registry records whose first-posted/start year was read in the second pass
dates = {json.loads(l)["nct"]: json.loads(l) for l in open(NOTES / "registry_dates.jsonl")}
years = {"NCT04681118": (2020, "first posted 2020-12-23"), "NCT03828123": (2019, "first posted 2019-02-04 (registered after completion in Aug 2017)"),
         "NCT06973629": (2025, "first-posted date not read; year is the planned start (2025-06-30) read on a registry copy")}
staged = {re.sub(r"[-_ ]", "", json.loads(l)["study_id"]): json.loads(l) for f in ("clinical_A.jsonl", "clinical_B.jsonl", "clinical_C.jsonl") for l in open(NOTES / f"{f}")}
add = {k: staged[k] for k in list(years) + ["AlkhazaaliAli2025"]}
for sid, r in add.items():
    if sid in sid_set: continue
    year = years[sid][0] if sid in years else r["year"]
    url = ";".join(u.strip() for u in re.split(r"\s*;\s*", r["source_url"]) if u.strip())
    if sid in dates: url += ";" + dates[sid]["source_url"]
    reg = s(r.get("registry_ids")) or (sid if sid.startswith("NCT") else "")
    if sid.startswith("NCT") and sid not in reg.split(";"): reg = ";".join([sid] + [x for x in reg.split(";") if x])
    note = (r.get("notes") or "") + (f" Year: {years[sid][1]}." if sid in years else "")
    studies.append({"study_id": sid, "record_type": "clinical", "first_author": r.get("first_author") or "", "year": year, "title": r.get("title") or "",
        "journal": r.get("journal") or ("ClinicalTrials.gov" if sid.startswith("NCT") else ""), "doi": r.get("doi") or "", "pmid": r.get("pmid") or "",
        "pmcid": r.get("pmcid") or "", "registry_ids": reg, "publication_type": r.get("publication_type") or "registry_only",
        "source_url": url, "verified_from": r["verified_from"], "notes": ""})
    row = {c: s(r.get(c)) for c in cols["clinical_studies"]}
    nr = [c for c in (r.get("not_reported") or []) if c in cols["clinical_studies"]]
    row.update(study_id=sid, year=str(year), registry_ids=reg, source_url=url, notes=note,
        first_author=r.get("first_author") or "", doi=r.get("doi") or "", pmid=r.get("pmid") or "",
        randomized="true" if r.get("design") == "randomized_controlled" else "false",
        country=r.get("country") or "not_reported", phase=r.get("phase") or "not_reported", control_type=r.get("control_type") or "not_reported",
        cell_source=r.get("cell_source") or "not_reported", cell_origin=r.get("cell_origin") or "not_reported", product=r.get("product") or "MSC",
        overlaps_with=";".join(x for x in (re.sub(r"[-_ ]", "", o) for o in (r.get("overlaps_with") or [])) if x in sid_set | set(add)))
    for c in ("route", "n_enrolled", "n_msc", "dose", "follow_up_months", "n_administrations", "primary_endpoint"):
        if not row[c] and c not in nr: nr.append(c)
    row["not_reported"] = ";".join(sorted(set(c for c in nr if not row[c] or row[c] == "not_reported")))
    clinical.append(row)
    if r.get("design") != "registry_record":
        arms.append({"study_id": sid, "arm": "msc", "role": "msc", "description": row["product"], "n_treated": s(r.get("n_msc")),
                     "source_url": url, "verified_from": r["verified_from"], "notes": "n_treated = n_msc of the study record"})
    sid_set.add(sid)
# --- outcomes
arm_keys = {(a["study_id"], a["arm"]) for a in arms}
single = {c["study_id"] for c in clinical if c["design"] != "randomized_controlled" and not c["n_control"]}
def slug(x): return re.sub(r"[^a-z0-9]+", "_", str(x).lower()).strip("_") or "all"
def norm(r):
    m, sub, det = r["measure"], r.get("subgroup") or "all", r.get("detail") or ""
    t = r.get("timepoint_months")
    mm = re.match(r"^(responders|alsfrs_r_change)_subgroup_alsfrsr_ge(\d+)$", m)
    if mm: m, sub = mm.group(1), f"baseline ALSFRS-R >= {mm.group(2)}"
    elif m == "alsfrs_r_total_baseline": m, t = "alsfrs_r_total", 0
    elif m.startswith("adverse_event_"): det, m = m[len("adverse_event_"):], "adverse_event_specific"
    elif m.startswith("responders_"): det, m = m[len("responders_"):], "responders"
    elif m == "alsfrs_r_improved_after_first_injection": m, det = "responders", "improved_after_first_injection"
    elif m in ("autopsy_tumor_formation", "mri_tumor_formation"): m, det = "tumour_formation", m.split("_")[0]
    elif m == "not_completed": m = "lost_to_follow_up"; det = det or "did_not_complete"
    elif m in ("progression_increased", "progression_unchanged", "alsfrs_r_continued_progression"):
        det, m = {"alsfrs_r_continued_progression": "continued"}.get(m, m.split("_")[1]), "progression_category"
    return m, sub, det, t
out, seen, dropped = [], set(), []
for f in ("clinical_outcomes_v2.jsonl", "clinical_A_outcomes.jsonl", "clinical_B_outcomes.jsonl"):  # full-text pass first: it wins ties
    for l in open(NOTES / f"{f}"):
        r = json.loads(l)
        sid = re.sub(r"[-_ ]", "", r["study_id"])
        if sid == "Oh2018" and f == "clinical_B_outcomes.jsonl":
            dropped.append((sid, r["measure"], "between-group difference labelled as an arm; per-arm values from Table 3 kept")); continue
        if sid == "Shamsaei2023" and r["measure"] in ("alsfrs_r_slope_pre", "alsfrs_r_slope_post"):
            dropped.append((sid, r["measure"], "change per period of unstated length, not points per month")); continue
        if r["measure"] == "n_rapid_progressor_subgroup":
            dropped.append((sid, r["measure"], "a subgroup size, not an outcome")); continue
        arm = r["arm"]
        if arm == "all" and sid in single: arm = "msc"
        if (sid, arm) not in arm_keys:
            dropped.append((sid, r["measure"], f"no arm {arm!r} in clinical_arms")); continue
        m, sub, det, t = norm(r)
        if sid == "Shamsaei2023" and m.startswith("fvc_percent_slope"):
            det = "per_period_of_unstated_length"
        tp = "none" if t is None else "t" + (str(int(t)) if float(t).is_integer() else str(t))
        oid = f"{sid}:{arm}:{slug(sub)}:{m}" + (f":{slug(det)}" if det else "") + f":{tp}"
        if oid in seen:
            dropped.append((sid, m, "duplicate of a row already taken")); continue
        seen.add(oid)
        dt = r.get("dispersion_type")
        if dt == "ci95": dt = None
        unit = r.get("unit") or ("participants" if r.get("events") is not None else "")
        out.append({"outcome_id": oid, "study_id": sid, "arm": arm, "subgroup": sub, "measure": m, "detail": det,
            "timepoint_months": "" if t is None else t, "n": s(r.get("n")), "mean": s(r.get("mean")), "dispersion": s(r.get("dispersion")) if dt else "",
            "dispersion_type": dt or ("none" if r.get("mean") is not None else ""), "events": s(r.get("events")), "total": s(r.get("total")),
            "unit": unit or "not stated", "location": r.get("location") or "not stated", "source_url": ";".join(u.strip() for u in re.split(r"\s*;\s*", r["source_url"]) if u.strip()),
            "verified_from": r["verified_from"], "notes": r.get("notes") or ""})
# --- preclinical: only rows whose first author, year and an identifier were read
pre, held = [], []
ids_read = {}
for l in open(NOTES / "preclinical_ids.jsonl"):
    x = json.loads(l)
    if x.get("year") and (x.get("doi") or x.get("pmid") or x.get("pmcid")) and x.get("year_verified_from") != "secondary_source":
        ids_read[x["study_id"]] = x
for l in open(NOTES / "preclinical_v2.jsonl"):
    r = json.loads(l)
    if r["study_id"] in ids_read:
        x = ids_read[r["study_id"]]
        for k in ("year", "doi", "pmid", "pmcid", "journal", "title"):
            if x.get(k) and not r.get(k):
                r[k] = x[k]
        r["source_url"] += ";" + x["source_url"]
    if not (r.get("first_author") and r.get("year") and (r.get("doi") or r.get("pmid") or r.get("pmcid"))):
        held.append(r["study_id"]); continue
    sid = r["study_id"]
    if sid not in sid_set:
        studies.append({"study_id": sid, "record_type": "preclinical", "first_author": r["first_author"], "year": r["year"], "title": r.get("title") or "",
            "journal": r.get("journal") or "", "doi": r.get("doi") or "", "pmid": r.get("pmid") or "", "pmcid": r.get("pmcid") or "", "registry_ids": "",
            "publication_type": "peer_reviewed", "source_url": ";".join(u.strip() for u in re.split(r"\s*;\s*", r["source_url"]) if u.strip()),
            "verified_from": r["verified_from"], "notes": ""})
        sid_set.add(sid)
    timing = {"symptomatic/onset": "symptomatic"}.get(r.get("timing"), r.get("timing") or "not_reported")
    row = {c: s(r.get(c)) for c in cols["preclinical_studies"]}
    row.update(timing=timing, msc_source=r.get("msc_source") or "not_reported", route=";".join(r.get("route") or []),
               donor_species=r.get("donor_species") or "not_reported", modification=r.get("modification") or "not_reported",
               source_url=";".join(u.strip() for u in re.split(r"\s*;\s*", r["source_url"]) if u.strip()),
               survival_statistic="", survival_dispersion_type="")
    nr = [c for c in (r.get("not_reported") or []) if c in cols["preclinical_studies"]]
    if not row["route"]: nr.append("route")
    row["not_reported"] = ";".join(sorted(set(c for c in nr if not row[c] or row[c] == "not_reported")))
    pre.append(row)
save("studies", studies, lambda r: r["study_id"])
save("clinical_studies", clinical, lambda r: r["study_id"])
save("clinical_arms", arms, lambda r: (r["study_id"], r["arm"]))
save("clinical_outcomes", out, lambda r: r["outcome_id"])
save("preclinical_studies", pre, lambda r: (r["study_id"], int(r["experiment"])))
print(len(clinical), "clinical;", len(out), "outcomes;", len(pre), "preclinical rows;", len({p['study_id'] for p in pre}), "preclinical studies; held:", sorted(set(held)))
for d in dropped: print("dropped", d)

"""Dataset 2.0.0: move the verification batches of research/verification-notes/v2/ into data/.

One-off, kept to show how each row got into the data. Run from the repository root after v2_schema.py:
    python research/converters/build_v2.py [--report]
It rebuilds the clinical tables (trials, clinical records in studies, arms, outcomes) and the search and screening
logs from the batches, moves every URL of every table under the source policy (authoritative -> source_url,
secondary -> read_url, never -> dropped with a note), applies the background-fact re-verification, and re-keys the
clinical risk-of-bias rows from records to trials. Anything it cannot place it prints, for a maintainer to decide.
"""
from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path("src").resolve()))
from alsmsc.dataset.source_policy import HostPolicy  # noqa: E402

DATA = Path("data")
NOTES = Path(__file__).resolve().parents[1] / "verification-notes" / "v2"
BATCHES = ["korea", "nurown", "americas_israel", "europe", "asia", "registries", "reviews"]
VERSION = "2.0.0"
DATE = "2026-12-01"
DP = json.loads((DATA / "datapackage.json").read_text())
COLS = {r["name"]: [f["name"] for f in r["schema"]["fields"]] for r in DP["resources"]}
POLICY = HostPolicy([(r["host"], r["category"], r["kind"]) for r in csv.DictReader((DATA / "source_hosts.csv").open())])
PROBLEMS: list[str] = []
OVERRIDES = json.loads((NOTES / "overrides.json").read_text()) if (NOTES / "overrides.json").exists() else {}


def say(msg):
    PROBLEMS.append(msg)


def s(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, list):
        return ";".join(str(x) for x in v if x not in (None, ""))
    return str(v).strip()


def ascii_id(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace(" ", "").replace("'", "")
    return text if REGISTRY.match(text) else text.replace("-", "").replace(".", "")


def url_list(v) -> list[str]:
    if v is None:
        return []
    if isinstance(v, str):
        v = re.split(r"\s*;\s*(?=https?://)|\s+(?=https?://)", v.strip())
    out = []
    for u in v:
        u = (u or "").strip().rstrip(".,;")
        if u.startswith("http"):
            out.append(u)
    return out


def place_urls(row: dict, where: str, canonical: list[str] = ()) -> None:
    """Sort a row's URLs by the source policy. Rows whose text was read only on a forbidden copy are reported."""
    src, read = url_list(row.get("source_url")), url_list(row.get("read_url"))
    if "read_url" not in row or row.get("_v1"):
        read = list(src)  # dataset 1.0 rows listed the pages read in source_url
    auth, sec, dropped, unknown = [], [], [], []
    for u in src + read + list(canonical):
        v = POLICY.classify(u)
        if v.category == "authoritative":
            auth.append(u)
        elif v.category == "secondary":
            sec.append(u)
        elif v.category == "never":
            dropped.append(v.host)
        else:
            unknown.append(u)
    for u in unknown:
        say(f"{where}: host not in policy: {u}")
    read_ok = [u for u in read if POLICY.classify(u).category in ("authoritative", "secondary")]
    if read and not read_ok:
        say(f"{where}: every copy read is on a host that is never evidence ({', '.join(sorted(set(dropped)))}); values need re-reading")
        row["_read_only_forbidden"] = True
    row["source_url"] = " ".join(dict.fromkeys(auth))
    row["read_url"] = " ".join(u for u in dict.fromkeys(sec) if u not in auth)
    if dropped:
        note = f"Copies on hosts that are never evidence under the source policy were removed ({', '.join(sorted(set(dropped)))})."
        row["notes"] = (s(row.get("notes")) + " " + note).strip()
    if not row["source_url"]:
        say(f"{where}: no authoritative URL")


def canonical_for(rec: dict) -> list[str]:
    out = []
    if s(rec.get("doi")):
        out.append("https://doi.org/" + s(rec["doi"]))
    if s(rec.get("pmid")):
        out.append(f"https://pubmed.ncbi.nlm.nih.gov/{s(rec['pmid'])}/")
    if s(rec.get("pmcid")):
        out.append(f"https://pmc.ncbi.nlm.nih.gov/articles/{s(rec['pmcid'])}/")
    for rid in (rec.get("registry_ids") or []) if isinstance(rec.get("registry_ids"), list) else s(rec.get("registry_ids")).split(";"):
        if rid.startswith("NCT"):
            out.append(f"https://clinicaltrials.gov/study/{rid}")
        elif rid.startswith("EUCTR"):
            out.append(f"https://www.clinicaltrialsregister.eu/ctr-search/search?query={rid[5:19]}")
        elif rid.startswith("IRCT"):
            out.append(f"https://irct.behdasht.gov.ir/search/result?query={rid}")
    return out


REGISTRY = re.compile(r"^(NCT\d{8}|IRCT\d{6,}N?\d*|EUCTR\d{4}-\d{6}-\d{2}(-[A-Z]{2})?|ISRCTN\d{8}|ChiCTR[\w-]+|ACTRN\d{14}|KCT\d{7}|JPRN-[\w-]+|jRCT[a-z]?\d+|CTRI/\d{4}/\d{2,3}/\d{6}|UMIN\d{9})$")


def registry_ids(v) -> str:
    ids = v if isinstance(v, list) else s(v).split(";")
    return ";".join(dict.fromkeys(x.strip() for x in ids if x and REGISTRY.match(x.strip())))


def surname(v) -> str:
    v = s(v)
    parts = v.split()
    return parts[0] if len(parts) == 2 and parts[1].isupper() and len(parts[1]) <= 3 else v


def load_batches():
    lines = defaultdict(list)
    for batch in BATCHES:
        path = NOTES / f"{batch}.jsonl"
        if not path.exists():
            say(f"batch {batch}: no file")
            continue
        for i, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not raw.strip():
                continue
            try:
                d = json.loads(raw)
            except json.JSONDecodeError as exc:
                say(f"{path}:{i}: not JSON ({exc})")
                continue
            d["_batch"], d["_line"] = batch, i
            lines[d.get("kind")].append(d)
    return lines


def read_csv(name):
    return list(csv.DictReader((DATA / f"{name}.csv").open(encoding="utf-8")))


def write_csv(name, rows, key):
    rows = sorted(rows, key=key)
    with (DATA / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=COLS[name], lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: s(r.get(k)) for k in COLS[name]})


def main():
    lines = load_batches()
    ov = OVERRIDES
    drop_trials, drop_records = ov.get("drop_trials", {}), ov.get("drop_records", {})
    rename_trial = {k: v.lower() for k, v in ov.get("rename_trial", {}).items()}
    for d in lines["trial"] + lines["record"] + lines["arm"] + lines["outcome"]:
        if d.get("trial_id") and d["trial_id"] not in rename_trial and d["trial_id"] not in drop_trials:
            rename_trial[d["trial_id"]] = d["trial_id"].lower()
    rename_record = ov.get("rename_record", {})

    # ---- trials
    trials = {}
    for d in lines["trial"]:
        tid = rename_trial.get(d["trial_id"], d["trial_id"])
        if tid in drop_trials:
            continue
        d["trial_id"] = tid
        if tid in trials:
            say(f"trial {tid} given twice ({trials[tid]['_batch']} and {d['_batch']}); later one merged over blanks")
            for k, v in d.items():
                if s(trials[tid].get(k)) == "" and s(v) != "":
                    trials[tid][k] = v
            continue
        trials[tid] = d
    for tid, patch in ov.get("trial_patch", {}).items():
        patch = dict(patch)
        extra = patch.pop("notes_append", None)
        if tid in trials:
            trials[tid].update(patch)
            if extra:
                trials[tid]["notes"] = (s(trials[tid].get("notes")) + " " + extra).strip()
        else:
            trials[tid] = {"trial_id": tid, "_batch": "overrides", **patch}

    # ---- records
    records = {}
    for d in lines["record"]:
        rid = ascii_id(rename_record.get(d["record_id"], d["record_id"]))
        d["trial_id"] = rename_trial.get(d.get("trial_id"), d.get("trial_id"))
        if rid in drop_records or d["record_id"] in drop_records or d["trial_id"] in drop_trials:
            continue
        d["record_id"] = rid
        if rid in records:
            say(f"record {rid} given twice ({records[rid]['_batch']}:{records[rid]['_line']} and {d['_batch']}:{d['_line']}); first kept, blanks filled")
            for k, v in d.items():
                if s(records[rid].get(k)) == "" and s(v) != "":
                    records[rid][k] = v
            continue
        records[rid] = d
    for rid, patch in ov.get("record_patch", {}).items():
        if rid in records:
            records[rid].update(patch)
    for rid, d in records.items():
        d["trial_id"] = ";".join(rename_trial.get(t, t) for t in s(d.get("trial_id")).split(";"))
    # identifiers shared by two records
    seen = {}
    for rid, d in records.items():
        for key in ("doi", "pmid"):
            val = s(d.get(key)).lower()
            if val:
                if (key, val) in seen and seen[(key, val)] != rid:
                    say(f"records {seen[(key, val)]} and {rid} share {key} {val}")
                seen[(key, val)] = rid

    studies_rows = []
    for rid, d in records.items():
        if d["trial_id"] not in trials:
            say(f"record {rid}: trial {d['trial_id']} has no trial line")
        row = {k: d.get(k) for k in COLS["studies"]}
        row.update(study_id=rid, record_type="clinical", registry_ids=registry_ids(d.get("registry_ids")), first_author=surname(d.get("first_author")))
        row["year"] = s(d.get("year"))
        if not row["first_author"] and row.get("publication_type") in ("press_release", "news", "regulatory_document"):
            row["first_author"] = re.match(r"[A-Za-z]+", rid).group()
        row["title"] = s(d.get("title"))
        row["journal"] = s(d.get("journal")) or ("ClinicalTrials.gov" if rid.startswith("NCT") else "")
        if d.get("record_kind") == "registration" and not row["registry_ids"] and re.match(r"^(NCT|IRCT|EUCTR)", rid):
            row["registry_ids"] = rid
        canon = canonical_for(row)
        if not any(POLICY.classify(u).category == "authoritative" for u in url_list(row.get("source_url")) + canon):
            trial_ids = registry_ids(trials.get(d["trial_id"], {}).get("registry_ids"))
            canon += canonical_for({"registry_ids": trial_ids})
            if trial_ids:
                row["notes"] = (s(row.get("notes")) + f" Its authoritative URL is the registry page of the trial it reports on ({trial_ids.replace(';', ', ')}); the record itself is not an authoritative source.").strip()
        place_urls(row, f"record {rid}", canon)
        studies_rows.append(row)

    # ---- trials rows
    trial_rows = []
    record_ids_by_trial = defaultdict(list)
    for r in studies_rows:
        record_ids_by_trial[r["trial_id"]].append(r["study_id"])
    for tid, d in trials.items():
        row = {k: d.get(k) for k in COLS["trials"]}
        row["registry_ids"] = registry_ids(d.get("registry_ids"))
        row["route"] = s(d.get("route"))
        if not s(row.get("primary_endpoint_met")):
            row["primary_endpoint_met"] = "pending" if d.get("results") == "none" else "not_reported"
        row["overlaps_with"] = s([rename_trial.get(x, x) for x in (d.get("overlaps_with") or [])])
        row["country"] = s(d.get("country")) or "not_reported"
        nadm = s(d.get("n_administrations"))
        if nadm and not nadm.isdigit():
            row["n_administrations"] = ""
            row["dose"] = (s(d.get("dose")) + f" Administrations: {nadm}.").strip()
        nr = set(x for x in (d.get("not_reported") or []) if x in COLS["trials"])
        for col in ("route", "n_enrolled", "dose", "follow_up_months", "n_administrations", "primary_endpoint"):
            if not s(row.get(col)):
                nr.add(col)
        row["not_reported"] = ";".join(sorted(c for c in nr if not s(row.get(c))))
        canon = [u for rid in record_ids_by_trial.get(tid, []) for u in []]
        for rid_ in row["registry_ids"].split(";"):
            if rid_.startswith("NCT"):
                canon.append(f"https://clinicaltrials.gov/study/{rid_}")
        place_urls(row, f"trial {tid}", canon)
        if not row["source_url"]:
            # the trial's identity is its records' canonical pages
            for r in studies_rows:
                if r["trial_id"] == tid and r["source_url"]:
                    row["source_url"] = r["source_url"].split()[0]
                    break
        trial_rows.append(row)

    # ---- arms and outcomes
    arm_rows, arm_keys = [], set()
    for d in lines["arm"]:
        d["trial_id"] = rename_trial.get(d.get("trial_id"), d.get("trial_id"))
        if d["trial_id"] in drop_trials:
            continue
        row = {k: d.get(k) for k in COLS["clinical_arms"]}
        row["study_id"] = ascii_id(rename_record.get(s(d.get("record_id")), s(d.get("record_id"))))
        key = (row["trial_id"], row["arm"])
        if key in arm_keys:
            say(f"arm {key} given twice ({d['_batch']}:{d['_line']}); later one dropped")
            continue
        arm_keys.add(key)
        place_urls(row, f"arm {key}", canonical_for(records.get(row["study_id"], {})))
        if row["study_id"] not in records:
            alt = [r for r in records.values() if row["trial_id"] in r["trial_id"].split(";") and r.get("record_kind") != "registration"]
            if alt:
                row.update(study_id=alt[0]["record_id"], source_url=" ".join(canonical_for(alt[0])), read_url="",
                           verified_from=alt[0].get("verified_from"))
                row["_read_only_forbidden"] = True
        if row.pop("_read_only_forbidden", False):
            for c in ("n_randomized", "n_treated", "n_analysed"):
                row[c] = None
            row["notes"] = (s(row.get("notes")) + " Counts were read only on a host that is never evidence and are left blank.").strip()
        arm_rows.append(row)
    with_msc = {t for (t, a) in arm_keys}
    for tid, d in trials.items():
        if d.get("results") != "none" and tid not in with_msc:
            recs = [r for r in studies_rows if tid in r["trial_id"].split(";") and r.get("record_kind") != "registration"] or \
                   [r for r in studies_rows if tid in r["trial_id"].split(";")]
            rec = recs[0] if recs else {}
            row = {"trial_id": tid, "arm": "msc", "role": "msc", "description": s(d.get("product")) or "MSC",
                   "n_treated": d.get("n_msc"), "study_id": rec.get("study_id"), "source_url": rec.get("source_url"),
                   "read_url": rec.get("read_url"), "verified_from": rec.get("verified_from"),
                   "notes": "Arm defined from the trial's own description; the number treated is the trial's n_msc as read (blank if not read)."}
            arm_rows.append(row)
            arm_keys.add((tid, "msc"))
    out_rows, out_ids = [], set()
    for d in lines["outcome"]:
        d["trial_id"] = rename_trial.get(d.get("trial_id"), d.get("trial_id"))
        if d["trial_id"] in drop_trials:
            continue
        arm = s(d.get("arm"))
        if " vs " in arm:
            d["detail"] = (s(d.get("detail")) + f" (between arms: {arm})").strip()
            d["arm"] = "msc"
        elif arm == "all":
            d["arm"] = "all_msc"
        d["arm"] = re.sub(r"[^a-z0-9_]+", "_", s(d["arm"]).lower()).strip("_")
        if (d["trial_id"], d["arm"]) not in arm_keys:
            role = "control" if re.search(r"control|placebo|sham", d["arm"]) else "msc"
            arm_rows.append({"trial_id": d["trial_id"], "arm": d["arm"], "role": role,
                             "description": "All MSC-treated participants together (the source gives this count for the whole trial)"
                             if d["arm"] == "all_msc" else f"Arm named '{d['arm'].replace('_', ' ')}' by the source; its size was not read",
                             "study_id": ascii_id(rename_record.get(s(d.get("record_id")), s(d.get("record_id")))),
                             "source_url": d.get("source_url"), "read_url": d.get("read_url"), "verified_from": d.get("verified_from"),
                             "notes": "Arm defined from the outcome rows that name it."})
            place_urls(arm_rows[-1], f"arm {(d['trial_id'], d['arm'])}", canonical_for(records.get(arm_rows[-1]["study_id"], {})))
            arm_keys.add((d["trial_id"], d["arm"]))
        if d.get("dispersion_type") in (None, "", "none"):
            if d.get("dispersion") not in (None, ""):
                d["notes"] = (s(d.get("notes")) + f" A ± {s(d['dispersion'])} is printed but not said to be an SD or SE, so it is not stored as a dispersion.").strip()
                d["dispersion"] = None
            d["dispersion_type"] = ""
        row = {k: d.get(k) for k in COLS["clinical_outcomes"]}
        row["study_id"] = ascii_id(rename_record.get(s(d.get("record_id")), s(d.get("record_id"))))
        sub = re.sub(r"[^a-z0-9]+", "_", s(d.get("subgroup")).lower()).strip("_") or "all"
        tp = s(d.get("timepoint_months"))
        first_id = f"{row['trial_id']}:{row['arm']}:{sub}:{row['measure']}:" + (f"t{tp}" if tp else "none")
        for k, v in ov.get("outcome_patch", {}).get(first_id, {}).items():
            row[k] = v
        sub = re.sub(r"[^a-z0-9]+", "_", s(row.get("subgroup")).lower()).strip("_") or "all"
        oid = f"{row['trial_id']}:{row['arm']}:{sub}:{row['measure']}:" + (f"t{tp}" if tp else "none")
        n = 2
        while oid in out_ids:
            oid = f"{row['trial_id']}:{row['arm']}:{sub}:{row['measure']}:v{n}:" + (f"t{tp}" if tp else "none")
            n += 1
        unit = s(row.get("unit"))
        if row["measure"] in ("alsfrs_r_slope_pre", "alsfrs_r_slope_post", "alsfrs_r_slope_change", "fvc_percent_slope_pre", "fvc_percent_slope_post"):
            if re.fullmatch(r"(ALSFRS-R )?points? ?(/|per) ?month", unit):
                row["unit"] = "points/month"
            elif re.fullmatch(r"% ?(predicted)? ?(/|per) ?month", unit):
                row["unit"] = "% predicted/month"
            elif row["measure"] in ("alsfrs_r_slope_pre", "alsfrs_r_slope_post"):
                # a slope per stated-or-unstated period cannot be converted without its length: kept as printed, never pooled
                row["measure"] += "_as_printed"
                oid = oid.replace(":alsfrs_r_slope_", ":alsfrs_r_slope_").replace("_pre:", "_pre_as_printed:").replace("_post:", "_post_as_printed:")
                say(f"outcome {oid}: slope in {unit!r} is not per month: stored as printed (not pooled)")
            else:
                say(f"outcome {oid}: slope in {unit!r} is not stated per month (period missing or not convertible): left out, kept in the trial's summary")
                continue
        if row["measure"] == "primary_endpoint_p" or (s(row.get("mean")) == "" and s(row.get("events")) == ""):
            say(f"outcome {oid}: no number to store (p-value or qualitative only): left out, kept in the trial's summary")
            continue
        if not s(row.get("unit")):
            row["unit"] = "participants" if s(row.get("events")) else "not stated"
        out_ids.add(oid)
        row["outcome_id"] = oid
        if (row["trial_id"], row["arm"]) not in arm_keys:
            say(f"outcome {oid}: arm {row['arm']} not defined for {row['trial_id']}")
        place_urls(row, f"outcome {oid}", canonical_for(records.get(row["study_id"], {})))
        if row.pop("_read_only_forbidden", False):
            say(f"outcome {oid}: dropped (read only on a forbidden host)")
            continue
        out_rows.append(row)

    # ---- search log and screening
    search_rows, screen_rows = [], []
    found_by = {}
    counters = defaultdict(int)
    for d in lines["search"]:
        counters[d["_batch"]] += 1
        sid = f"2026-12-01-{d['_batch'].replace('_', '-')}-{counters[d['_batch']]:03d}"
        d["_search_id"] = sid
        for ident in d.get("new_record_ids") or []:
            found_by.setdefault(re.sub(r"^(PMID|DOI|PMC):?", "", s(ident)).lower(), sid)
        search_rows.append({"search_id": sid, "review_version": VERSION, "date": s(d.get("date")) or DATE,
                            "source": {"pages": "mixed_stored_pages"}.get(d.get("corpus"), "mixed_stored_pages"),
                            "interface": f"the project's search tool, {d.get('corpus', 'pages')} corpus, {d.get('tool', 'search')} (stored copies of public pages, not a live database)",
                            "searcher": f"verification batch '{d['_batch']}'", "query": s(d.get("query")), "purpose": s(d.get("purpose")),
                            "hits": s(d.get("hits")), "notes": ""})

    def first_search(idents):
        for ident in idents:
            key = s(ident).lower()
            if key in found_by:
                return found_by[key]
        return ""

    screened = set()
    for r in studies_rows:
        idents = [r["study_id"], r.get("doi"), r.get("pmid"), r.get("pmcid")] + r["registry_ids"].split(";")
        screen_rows.append({"record_id": r["study_id"], "source": "registers" if r.get("record_kind") == "registration" else "databases",
                            "search_id": first_search(idents), "search_date": DATE, "duplicate_of": "",
                            "title_abstract_decision": "include", "full_text_decision": "include", "exclusion_reason": "",
                            "record_type": "clinical", "study_id": r["study_id"], "review_version": VERSION,
                            "notes": f"Trial {r['trial_id']} ({r.get('record_kind')})."})
        screened.update(s(x).lower() for x in idents if s(x))
    for d in lines["screen"]:
        rid = s(d.get("record_id"))
        if d.get("decision") == "include" or rid.lower() in screened:
            continue
        if rid.lower() in {x["record_id"].lower() for x in screen_rows}:
            continue
        reason = s(d.get("reason"))
        reason = reason if reason in ("not_msc", "not_als", "no_primary_data", "duplicate_report", "unverifiable_identity") else \
            ("not_clinical_or_animal" if reason == "not_clinical" else "other")
        screen_rows.append({"record_id": rid, "source": "registers" if re.match(r"^(NCT|IRCT|EUCTR|ChiCTR|CTRI|ISRCTN|jRCT|UMIN)", rid) else "databases",
                            "search_id": first_search([rid]), "search_date": DATE, "duplicate_of": "",
                            "title_abstract_decision": "exclude", "full_text_decision": "", "exclusion_reason": reason,
                            "record_type": "clinical", "study_id": "", "review_version": VERSION,
                            "notes": (s(d.get("title"))[:120] + ". " + s(d.get("reason")) + ": " + s(d.get("notes"))).strip()})
    dropped = []
    for d in lines["record"]:
        rid = ascii_id(rename_record.get(d["record_id"], d["record_id"]))
        reason = None
        if d.get("trial_id") in drop_trials:
            reason = drop_trials[d["trial_id"]]
        elif d["record_id"] in drop_records:
            reason = ["other", drop_records[d["record_id"]]]
        if reason and rid.lower() not in {x["record_id"].lower() for x in screen_rows + dropped}:
            dropped.append({"record_id": rid, "source": "registers" if d.get("record_kind") == "registration" else "databases",
                            "search_id": first_search([rid, d.get("doi"), d.get("pmid")] + (d.get("registry_ids") or [])), "search_date": DATE,
                            "duplicate_of": "", "title_abstract_decision": "include", "full_text_decision": "not_retrieved" if reason[0] == "unverifiable_identity" else "exclude",
                            "exclusion_reason": reason[0], "record_type": "clinical", "study_id": "", "review_version": VERSION,
                            "notes": (s(d.get("title"))[:120] + ". " + reason[1]).strip()})
    screen_rows += dropped
    for row in screen_rows:
        if not row["search_id"]:
            row["source"] = "other_methods"
            row["notes"] = (row["notes"] + " Identified while reading another record (citation or link), not by a logged query.").strip()
    counts = defaultdict(int)
    for row in screen_rows:
        counts[row["search_id"]] += 1
    for row in search_rows:
        row["records_identified"] = counts.get(row["search_id"], 0)

    # ---- keep the v1 non-clinical rows, with their URLs under the policy
    old_studies = [r for r in read_csv("studies") if r["record_type"] != "clinical"]
    for r in old_studies:
        r["_v1"] = "read_url" not in r
        r.setdefault("read_url", "")
    old_search = [r for r in read_csv("search_log") if r["review_version"] != VERSION]
    old_screen = [r for r in read_csv("screening_log") if r["record_type"] != "clinical" and r["review_version"] != VERSION]
    for r in old_search:
        r.setdefault("searcher", "maintainers (dataset 1.0)")
        r.setdefault("purpose", "")
        r["records_identified"] = str(sum(1 for x in old_screen if x["search_id"] == r["search_id"]))
        if "clinical" in r["search_id"] and "re-screened" not in r["notes"]:
            r["notes"] = (r["notes"] + " The clinical records it found were re-found and re-screened by the logged 2.0.0 searches; "
                          "its v1 clinical screening rows were replaced.").strip()
    write_csv("trials", trial_rows, key=lambda r: r["trial_id"])
    write_csv("clinical_arms", arm_rows, key=lambda r: (r["trial_id"], r["arm"]))
    write_csv("clinical_outcomes", out_rows, key=lambda r: r["outcome_id"])
    write_csv("search_log", old_search + search_rows, key=lambda r: r["search_id"])
    write_csv("screening_log", old_screen + screen_rows, key=lambda r: (r["record_type"], r["record_id"]))

    studies_by_id = {r["study_id"]: r for r in old_studies}
    fixes = {}
    if (NOTES / "background.jsonl").exists():
        for raw in (NOTES / "background.jsonl").read_text().splitlines():
            d = json.loads(raw) if raw.strip() else {}
            if d.get("kind") == "fact":
                fixes[d["fact_id"]] = d
    dropped_facts = []
    for name in ("preclinical_studies", "background_facts"):
        rows, kept = read_csv(name), []
        for r in rows:
            r["_v1"] = "read_url" not in r
            r.setdefault("read_url", "")
            fx = fixes.get(r.get("fact_id"))
            if fx and fx.get("status") in ("confirmed", "corrected"):
                r["source_url"], r["read_url"], r["_v1"] = fx.get("source_url"), fx.get("read_url"), False
                r["verified_from"] = fx["verified_from"]
                r["notes"] = (s(r.get("notes")) + " Re-verified for 2.0.0: " + s(fx.get("notes"))[:400]).strip()
                if fx.get("status") == "corrected":
                    for c in ("value", "value_low", "value_high", "unit"):
                        r[c] = s(fx.get(c))
                st = studies_by_id.get(r["study_id"], {})
                if st:
                    st["source_url"] = " ".join(url_list(fx.get("source_url")) + url_list(st.get("source_url")))
                    st["read_url"] = " ".join(url_list(fx.get("read_url")) + url_list(st.get("read_url")))
                    st["_v1"] = False
                for c in ("pmid", "pmcid", "doi"):
                    if s(fx.get(c)) and not s(st.get(c)):
                        st[c] = s(fx[c])
            where = f"{name} {r.get('fact_id') or r['study_id']}"
            place_urls(r, where, canonical_for(studies_by_id.get(r["study_id"], {})))
            if r.pop("_read_only_forbidden", False) or not r["source_url"] or (fx and fx.get("status") == "not_found" and not r["read_url"] and not r["source_url"]):
                say(f"{where}: DROPPED (no acceptable source)")
                dropped_facts.append(r.get("fact_id") or r["study_id"])
                continue
            kept.append(r)
        write_csv(name, kept, key=lambda r: tuple(r[k] for k in DP_KEYS[name]))
    # background sources left without any authoritative page are dropped with the facts that cited them
    cited = {r["study_id"] for name in ("preclinical_studies", "background_facts") for r in read_csv(name)}
    final_studies = []
    for r in old_studies:
        place_urls(r, f"studies {r['study_id']}", canonical_for(r))
        r.pop("_read_only_forbidden", None)
        if r["record_type"] in ("background", "preclinical") and (not r["source_url"] or r["study_id"] not in cited):
            say(f"studies {r['study_id']}: DROPPED (no authoritative URL, or no fact cites it any more)")
            continue
        final_studies.append(r)
    write_csv("studies", final_studies + studies_rows, key=lambda r: (r["record_type"], r["study_id"]))
    kept_ids = {r["study_id"] for r in final_studies + studies_rows}
    log = read_csv("screening_log")
    for r in log:
        if r["study_id"] and r["study_id"] not in kept_ids:
            r["notes"] = (r["notes"] + f" 2.0.0: {r['study_id']} was read only on hosts that are never evidence under the source policy; awaiting re-reading.").strip()
            r.update(full_text_decision="not_retrieved", exclusion_reason="other", study_id="")
    write_csv("screening_log", log, key=lambda r: (r["record_type"], r["record_id"]))
    print("dropped facts:", dropped_facts)
    rekey_risk_of_bias({r["trial_id"]: r for r in trial_rows}, {r["study_id"] for r in final_studies})
    print(f"{len(trial_rows)} trials, {len(studies_rows)} clinical records, {len(arm_rows)} arms, {len(out_rows)} outcomes, "
          f"{len(search_rows)} logged queries, {len(screen_rows)} screened clinical records")
    for p in PROBLEMS:
        print("-", p)


V1_ROB_TRIAL = {
    "AlkhazaaliAli2024": ["mashhad-bmmsc-ivit"], "Barczewska2019": ["olsztyn-wjmsc-it"], "Barczewska2020": ["olsztyn-wjmsc-proact"],
    "Berry2019": ["nurown-ph2"], "CorestemChemon2025": ["alsummit"], "Cudkowicz2022": ["nurown-ph3"], "Karussis2010": ["hadassah-ph12-2010"],
    "Mazzini2003": ["novara-intraspinal-bmmsc"], "Nabavi2019": ["royan-bmmsc-ivit"], "Nabavi2021": ["royan-admsc-iv"],
    "Nam2023": ["neuronata-r-surveillance"], "Oh2015": ["corestem-ph1"], "Oh2018": ["corestem-ph2"],
    "Petrou2016": ["nurown-ph12-il", "nurown-ph2a-il"], "Petrou2021": ["hadassah-ph2-2021"], "Shamsaei2023": ["ahvaz-bmmsc-it"],
    "Siwek2018": ["olsztyn-bmmsc-it"], "Staff2016": ["mayo-ph1"], "Sykova2017": ["prague-bmmsc-it-ph12a"],
    "AgueraMorales2025": ["malaga-admsc-ph12"],
}
REPORT_RENAME = {"CorestemChemon2025": "CorestemChemon2025a;CorestemChemon2025b;CorestemChemon2025c"}  # one v1 record became three
ASSESSOR_V2 = "maintainers, design-based from the records read (2.0.0)"


def rekey_risk_of_bias(trials: dict, studies: set) -> None:
    """Clinical judgements move from records to trials; trials with results but no assessment get a design-based
    ROBINS-I (stated as such); animal judgements stay keyed on their study."""
    old = read_csv("risk_of_bias")
    rows, done = [], set()
    for r in old:
        sid = r.get("study_id") or r.get("assessed")
        if r["tool"] == "SYRCLE":
            if sid in studies:
                rows.append({**r, "assessed": sid, "report": ""})
            continue
        for tid in V1_ROB_TRIAL.get(sid, []):
            if tid in trials and trials[tid]["results"] != "none":
                rows.append({**r, "assessed": tid, "report": REPORT_RENAME.get(sid, sid)})
                done.add(tid)
    for tid, t in sorted(trials.items()):
        if t["results"] == "none" or tid in done:
            continue
        if s(t["randomized"]) == "true":
            say(f"trial {tid}: randomised with results but no RoB 2 assessment: needs one by hand")
            continue
        external = t["control_type"] in ("external_matched", "historical")
        template = [
            ("confounding", "serious" if external else "critical",
             "Compared with externally matched or historical patients, who differ in ways matching cannot remove." if external
             else "No concurrent control (no comparator, or the patients' own earlier course); ALS decline is not linear, so changes cannot be attributed to the cells."),
            ("selection of participants", "no_information", "Selection beyond the eligibility criteria was not described in what was read."),
            ("classification of interventions", "low", "The cell product, dose and route are defined by the protocol."),
            ("deviations from intended interventions", "no_information", "Not described in what was read."),
            ("missing data", "no_information", "Completeness of follow-up not described in what was read."),
            ("measurement of outcomes", "serious", "Open label: ALSFRS-R and adverse events were assessed knowing every patient was treated."),
            ("selection of the reported result", "no_information" if t["results"] == "peer_reviewed" else "serious",
             "No registered analysis plan was read." if t["results"] == "peer_reviewed" else "Results known only from a press release or registry entry chosen by the sponsor."),
            ("overall", "serious" if external else "critical",
             "Serious risk from confounding by design (external controls)." if external else "Critical risk from confounding by design (no concurrent control)."),
        ]
        for domain, judgement, support in template:
            rows.append({"assessed": tid, "tool": "ROBINS-I", "domain": domain, "judgement": judgement, "support": support,
                         "assessor": ASSESSOR_V2, "report": "", "notes": ""})
    write_csv("risk_of_bias", rows, key=lambda r: (r["tool"], r["assessed"]))

DP_KEYS = {r["name"]: r["schema"]["primaryKey"] for r in DP["resources"]}

if __name__ == "__main__":
    main()

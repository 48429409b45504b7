"""Datasets 2.1.0 and 2.2.0: the animal evidence, from the verification batches in research/verification-notes/v2-preclinical/.

One-off, kept to show how each row got into the data. Run from the repository root:
    python research/converters/build_v2_preclinical.py
It adds the per-experiment columns to preclinical_studies (an additive schema change), rebuilds the animal records,
experiments, SYRCLE judgements (ten items per study) and the preclinical search and screening logs from the batches,
and applies the source policy exactly as build_v2.py does for the clinical part. What it cannot place it prints.
"""
from __future__ import annotations

import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path("research/converters").resolve()))
import build_v2 as v2  # noqa: E402  (URL placement, identifiers, CSV helpers)

DATA = Path("data")
NOTES = Path(__file__).resolve().parents[1] / "verification-notes" / "v2-preclinical"
# First wins. 2.2.0 added the first four: "onerule" re-read the held-back studies under the one eligibility rule,
# "pmc_figures" adds numbers read in figure legends to experiments already read (kind "update").
BATCHES = ["onerule", "pmc_figures", "new_unmodified", "new_engineered_cellfree",
           "reread", "more_sod1", "more_engineered", "bm_mouse", "rat_engineered", "other_sources", "reviews_models"]
# The studies "onerule" re-read from scratch: the older batches' lines for them (some read on hosts that are never
# evidence, some held back under a rule not applied to positive studies) are ignored, whatever "onerule" decided.
REREAD = {"Kim2010", "Boucherie2009", "Sironi2017", "Suzuki2008", "Habisch2007", "BrainHeartnd", "Wang2019",
          "Cytotherapy2009", "Bonafede2020", "SciRep2015"}
VERSION = "2.2.0"  # the release these batches feed
NEW_IN = {"onerule": "2.2.0", "pmc_figures": "2.2.0", "new_unmodified": "2.2.0", "new_engineered_cellfree": "2.2.0"}


def version_of(d) -> str:
    """The dataset version whose search found a line: the batches of 2.1.0 keep their version."""
    return NEW_IN.get(d.get("_batch"), "2.1.0")
OVERRIDES = json.loads((NOTES / "overrides.json").read_text()) if (NOTES / "overrides.json").exists() else {}
DIRECTIONS = ["favours_msc", "no_difference", "favours_control", "not_measured", "not_reported"]
ROUTES = ["intrathecal", "intravenous", "intramuscular", "intraspinal", "intracerebroventricular", "intracerebral",
          "intranasal", "intra_arterial", "intraperitoneal", "other"]
SYRCLE_ITEMS = ["1 sequence generation", "2 baseline characteristics", "3 allocation concealment", "4 random housing",
                "5 blinding of caregivers and investigators", "6 random outcome assessment", "7 blinding of outcome assessors",
                "8 incomplete outcome data", "9 selective outcome reporting", "10 other sources of bias"]


def f(name, type_="string", desc="", required=False, enum=None, minimum=None, list_of=None):
    return v2_schema.f(name, type_, desc, required, enum, None, minimum, list_of)


import v2_schema  # noqa: E402


def schema(desc: dict) -> None:
    res = {r["name"]: r for r in desc["resources"]}["preclinical_studies"]
    by = {x["name"]: x for x in res["schema"]["fields"]}
    by["route"] = f("route", desc="Route(s) of administration (blank and listed in not_reported when the source read does not say).", list_of=ROUTES)
    by["timing"] = f("timing", desc="Disease stage at the first administration.", required=True, enum=["presymptomatic", "onset", "symptomatic", "late", "not_reported"])
    by["survival_statistic"] = f("survival_statistic", enum=["mean", "median", "not_reported"])
    by["survival_dispersion_type"] = f("survival_dispersion_type", enum=["sd", "se", "iqr", "range", "none"])
    by["species"] = f("species", required=True, enum=["mouse", "rat", "dog", "other"])
    new = [
        f("model_class", desc="The model's genetic or disease class; canine degenerative myelopathy is a spontaneous disease, kept apart.", required=True,
          enum=["SOD1", "TDP-43", "FUS", "C9orf72", "wobbler", "mdf", "canine_DM", "other"]),
        f("sex", enum=["male", "female", "both", "not_reported"]),
        f("product", desc="Cells, engineered or induced cells, or a cell-free product (conditioned medium, secretome, extracellular vesicles).", required=True,
          enum=["cells", "modified_cells", "cell_free"]),
        f("schedule", desc="Single or repeated administration, as read."),
        f("immunosuppression", desc="Whether and how the animals were immunosuppressed, as read."),
        f("control", desc="What the control group received."),
        *[f(f"{o}_direction", desc=f"The source's conclusion on {label}.", required=True, enum=DIRECTIONS)
          for o, label in (("onset", "disease onset"), ("survival", "survival"), ("motor", "motor function"), ("mn_count", "motor neuron counts"))],
        f("survival_n_msc", "integer", "Animals in the MSC group's survival analysis.", minimum=0),
        f("survival_n_control", "integer", "Animals in the control group's survival analysis.", minimum=0),
        f("survival_change_percent", "number", "The change in lifespan the source reports, in % (unweighted; shown, never pooled)."),
        f("location", desc="Where each number was read: abstract, Table 2, Figure 3 legend, or a review's table (secondary)."),
    ]
    order = ["study_id", "experiment", "species", "model", "model_class", "sex", "msc_source", "donor_species", "product", "modification",
             "route", "dose", "schedule", "immunosuppression", "timing", "age_at_treatment_days", "n_msc", "n_control", "control",
             "onset_direction", "survival_direction", "motor_direction", "mn_count_direction", "onset_effect", "survival_msc_days",
             "survival_control_days", "survival_statistic", "survival_dispersion_msc", "survival_dispersion_control",
             "survival_dispersion_type", "survival_n_msc", "survival_n_control", "survival_change_percent", "motor_effect",
             "other_effects", "location", "not_reported", "source_url", "read_url", "verified_from", "notes"]
    fields = {**by, **{x["name"]: x for x in new}}
    res["schema"]["fields"] = [fields[n] for n in order]


STAGE = {"presymptomatic": "presymptomatic", "onset": "onset", "symptomatic": "symptomatic", "late": "late"}


def merge_leads(screen: list[dict]) -> list[dict]:
    """One screening line per lead (see overrides.json "lead_groups"); search notes ("not_records") are dropped."""
    groups = OVERRIDES.get("lead_groups", {})
    drop = tuple(OVERRIDES.get("not_records", []))
    out, merged = [], {}
    for row in screen:
        rid = row["record_id"]
        if row["record_type"] == "preclinical" and drop and rid.startswith(drop):
            continue
        group = next((g for g, prefixes in groups.items() if row["record_type"] == "preclinical" and rid.startswith(tuple(prefixes))), None)
        if group is None:
            out.append(row)
        elif group not in merged:
            merged[group] = {**row, "record_id": group, "notes": f"[{rid}] {row['notes']}"}
            out.append(merged[group])
        else:
            first = merged[group]
            first["search_id"] = first["search_id"] or row["search_id"]
            first["notes"] = (first["notes"] + f" [{rid}] " + row["notes"])[:1500]
    return out


def main():
    desc = json.loads((DATA / "datapackage.json").read_text())
    schema(desc)
    (DATA / "datapackage.json").write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n")
    v2.DP = desc
    v2.COLS = {r["name"]: [x["name"] for x in r["schema"]["fields"]] for r in desc["resources"]}
    v2.DP_KEYS = {r["name"]: r["schema"]["primaryKey"] for r in desc["resources"]}
    lines = defaultdict(list)
    for batch in BATCHES:
        path = NOTES / f"{batch}.jsonl"
        if not path.exists():
            continue
        for i, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if raw.strip():
                d = json.loads(raw)
                d["_batch"], d["_line"] = batch, i
                raw = v2.s(d.get("study_id"))
                sid = v2.ascii_id(OVERRIDES.get("rename_study", {}).get(raw, raw))
                if batch != "onerule" and (sid in REREAD or raw in REREAD) and d.get("kind") in ("record", "experiment", "syrcle", "update"):
                    continue
                if batch != "onerule" and any(v2.s(d.get("record_id")).startswith(x) for x in OVERRIDES.get("superseded_screen", [])):
                    continue
                lines[d.get("kind")].append(d)
    drop = OVERRIDES.get("drop_studies", {})
    rename = OVERRIDES.get("rename_study", {})

    records = {}
    for d in lines["record"]:
        sid = v2.ascii_id(rename.get(d["study_id"], d["study_id"]))
        if sid in drop:
            continue
        if sid in records:
            for k, val in d.items():
                if v2.s(records[sid].get(k)) == "" and v2.s(val) != "":
                    records[sid][k] = val
            continue
        records[sid] = {**d, "study_id": sid}
    for sid, fields in OVERRIDES.get("record_fields", {}).items():  # maintainers' completions, each with its reason
        if sid in records:
            records[sid].update({k: v for k, v in fields.items() if not k.startswith("_")})
            records[sid]["notes"] = (v2.s(records[sid].get("notes")) + " " + fields.get("_why", "")).strip()
    experiments = {}
    for d in lines["experiment"]:
        sid = v2.ascii_id(rename.get(d["study_id"], d["study_id"]))
        if sid in drop:
            continue
        key = (sid, int(d.get("experiment") or 1))
        if key in experiments:
            v2.say(f"experiment {key} given twice ({experiments[key]['_batch']} and {d['_batch']}); first kept")
            continue
        experiments[key] = {**d, "study_id": sid}
    for d in lines["update"]:  # numbers read later (figure legends, tables) for an experiment already read
        sid = v2.ascii_id(rename.get(d["study_id"], d["study_id"]))
        key = (sid, int(d.get("experiment") or 1))
        if key not in experiments:
            v2.say(f"update for {key}: no such experiment")
            continue
        e = experiments[key]
        e.update({k: v for k, v in (d.get("fields") or {}).items() if v is not None})
        e["location"] = "; ".join(x for x in (v2.s(e.get("location")), v2.s(d.get("location"))) if x)
        for k in ("source_url", "read_url"):
            e[k] = list(dict.fromkeys(list(e.get(k) or []) + list(d.get(k) or [])))
        if e.get("verified_from") in ("abstract", "abstract_partial") and d.get("verified_from") in ("full_text", "full_text_partial"):
            e["verified_from"] = "full_text_partial"
        e["notes"] = " ".join(x for x in (v2.s(e.get("notes")), v2.s(d.get("notes"))) if x)
    for key, d in experiments.items():
        if key[0] not in records:
            v2.say(f"experiment {key}: no record line for {key[0]}")

    for sid, d in list(records.items()):  # a record with no authoritative page cannot carry evidence yet
        probe = {"source_url": d.get("source_url"), "read_url": d.get("read_url")}
        v2.place_urls(probe, f"record {sid} (probe)", v2.canonical_for(d))
        if not probe["source_url"]:
            drop[sid] = (f"{v2.s(d.get('title'))[:120]}: no DOI, PubMed, PMC or publisher page could be found for it, so it has no "
                         "authoritative URL yet; its experiments are held back until one is read.")
            del records[sid]
    exp_rows = []
    for (sid, n), d in sorted(experiments.items()):
        if sid not in records:
            continue
        row = {k: None for k in v2.COLS["preclinical_studies"]}
        row.update(study_id=sid, experiment=n, species=d.get("species") or "other", model=v2.s(d.get("strain_model")) or "not reported",
                   model_class=d.get("model_class") or "other", sex=d.get("sex") or "not_reported", msc_source=d.get("msc_source") or "not_reported",
                   donor_species=v2.s(d.get("donor_species")) or "not_reported", product=d.get("product") or "cells",
                   modification=v2.s(d.get("modification")) or "none", route=";".join(x for x in (d.get("route") or []) if x in ROUTES),
                   dose=v2.s(d.get("dose")), schedule=v2.s(d.get("schedule")), immunosuppression=v2.s(d.get("immunosuppression")),
                   timing=STAGE.get(v2.s(d.get("stage")), "not_reported"), age_at_treatment_days=d.get("age_at_treatment_days"),
                   n_msc=d.get("n_msc"), n_control=d.get("n_control"), control=v2.s(d.get("control")),
                   onset_effect=v2.s(d.get("onset_text")), motor_effect=v2.s(d.get("motor_text")),
                   other_effects=v2.s(d.get("mn_text")), survival_msc_days=d.get("survival_msc_days"),
                   survival_control_days=d.get("survival_control_days"),
                   survival_statistic=d.get("survival_statistic") or ("not_reported" if d.get("survival_msc_days") is None else None),
                   survival_dispersion_type=d.get("survival_dispersion_type"), survival_dispersion_msc=d.get("survival_dispersion_msc"),
                   survival_dispersion_control=d.get("survival_dispersion_control"), survival_n_msc=d.get("survival_n_msc"),
                   survival_n_control=d.get("survival_n_control"), survival_change_percent=d.get("survival_change_percent"),
                   location=v2.s(d.get("location")), source_url=d.get("source_url"), read_url=d.get("read_url"),
                   verified_from=d.get("verified_from"), notes=v2.s(d.get("notes")))
        if v2.s(d.get("survival_text")):
            row["notes"] = (f"Survival: {v2.s(d['survival_text'])} " + v2.s(row["notes"])).strip()
        for o in ("onset", "survival", "motor", "mn_count"):
            val = v2.s(d.get(f"{o}_direction"))
            row[f"{o}_direction"] = val if val in DIRECTIONS else "not_reported"
        if row["survival_dispersion_type"] and not (row["survival_dispersion_msc"] or row["survival_dispersion_control"]):
            row["survival_dispersion_type"] = None
        if (row["survival_dispersion_msc"] or row["survival_dispersion_control"]) and not row["survival_dispersion_type"]:
            row["notes"] = (v2.s(row["notes"]) + " A dispersion was printed without saying whether it is an SD or SE; not stored.").strip()
            row["survival_dispersion_msc"] = row["survival_dispersion_control"] = None
        optional = ["route", "dose", "age_at_treatment_days", "n_msc", "n_control", "survival_msc_days", "survival_control_days",
                    "survival_dispersion_msc", "survival_dispersion_control", "survival_dispersion_type", "donor_species", "timing"]
        row["not_reported"] = ";".join(c for c in optional if v2.s(row.get(c)) in ("", "not_reported"))
        rec = records[sid]
        v2.place_urls(row, f"experiment {sid}#{n}", v2.canonical_for(rec))
        if row.pop("_read_only_forbidden", False):
            v2.say(f"experiment {sid}#{n}: read only on a forbidden host: dropped")
            continue
        row.pop("_v1", None)
        exp_rows.append(row)

    # studies: every preclinical record replaced by the re-verified ones
    studies = [r for r in v2.read_csv("studies") if r["record_type"] != "preclinical"]
    rec_rows = []
    for sid, d in sorted(records.items()):
        if not any(r["study_id"] == sid for r in exp_rows):
            continue  # a record with no experiment that could be read is a screening decision, not a study
        row = {k: d.get(k) for k in v2.COLS["studies"]}
        row.update(study_id=sid, record_type="preclinical", trial_id="", record_kind="", first_author=v2.surname(d.get("first_author")),
                   year=v2.s(d.get("year")), publication_type="peer_reviewed", registry_ids="")
        v2.place_urls(row, f"record {sid}", v2.canonical_for(row))
        rec_rows.append(row)
    known = {r["study_id"] for r in rec_rows}

    # SYRCLE: ten items per study; the v1 clinical assessments are kept as they are
    rob = [r for r in v2.read_csv("risk_of_bias") if r["tool"] != "SYRCLE"]
    syrcle = defaultdict(dict)
    for d in lines["syrcle"]:
        sid = v2.ascii_id(rename.get(d["study_id"], d["study_id"]))
        m = re.match(r"\s*(\d+)", v2.s(d.get("item")))
        if sid in known and m and 1 <= int(m.group(1)) <= 10:
            syrcle[sid].setdefault(int(m.group(1)), d)
    for sid in sorted({r["study_id"] for r in exp_rows}):
        for i, item in enumerate(SYRCLE_ITEMS, 1):
            d = syrcle[sid].get(i, {})
            judgement = d.get("judgement") if d.get("judgement") in ("low", "high", "unclear") else "unclear"
            rob.append({"assessed": sid, "tool": "SYRCLE", "domain": item, "judgement": judgement,
                        "support": v2.s(d.get("support")) or "Not reported in what was read.",
                        "assessor": f"maintainers, from the sources read ({version_of(records[sid])})", "report": sid, "notes": ""})
    v2.write_csv("risk_of_bias", rob, key=lambda r: (r["tool"], r["assessed"]))

    # search and screening logs: the preclinical part is rebuilt from the logged queries
    search = [r for r in v2.read_csv("search_log") if not r["search_id"].startswith("2026-12-01-pre-")]
    screen = [r for r in v2.read_csv("screening_log") if r["record_type"] != "preclinical"]
    found_by, counters = {}, defaultdict(int)
    new_search = []
    for d in lines["search"]:
        counters[d["_batch"]] += 1
        sid = f"2026-12-01-pre-{d['_batch'].replace('_', '-')}-{counters[d['_batch']]:03d}"
        for ident in d.get("new_record_ids") or []:
            found_by.setdefault(re.sub(r"^(PMID|DOI|PMC):?", "", v2.s(ident)).lower(), sid)
        new_search.append({"search_id": sid, "review_version": version_of(d), "date": v2.s(d.get("date")) or "2026-12-01", "source": "mixed_stored_pages",
                           "interface": f"the project's search tool, {d.get('corpus', 'pages')} corpus, {d.get('tool', 'search')} (stored copies of public pages, not a live database)",
                           "searcher": f"verification batch '{d['_batch']}'", "query": v2.s(d.get("query")), "purpose": v2.s(d.get("purpose")),
                           "hits": v2.s(d.get("hits")), "notes": ""})

    def first(idents):
        for x in idents:
            if v2.s(x).lower() in found_by:
                return found_by[v2.s(x).lower()]
        return ""

    seen = {r["record_id"].lower() for r in screen}
    for r in rec_rows:
        ids = [r["study_id"], r.get("doi"), r.get("pmid"), r.get("pmcid")]
        screen.append({"record_id": r["study_id"], "source": "databases", "search_id": first(ids), "search_date": "2026-12-01", "duplicate_of": "",
                       "title_abstract_decision": "include", "full_text_decision": "include", "exclusion_reason": "", "record_type": "preclinical",
                       "study_id": r["study_id"], "review_version": version_of(records[r["study_id"]]),
                       "notes": "Animal study (read for " + version_of(records[r["study_id"]]) + ")."})
        seen.update(v2.s(x).lower() for x in ids if v2.s(x))
    for sid, d in sorted(records.items()):  # a record read but with no experiment whose data could be read
        if sid in known or sid.lower() in seen:
            continue
        seen.add(sid.lower())
        ids = [sid, d.get("doi"), d.get("pmid"), d.get("pmcid")]
        seen.update(v2.s(x).lower() for x in ids if v2.s(x))
        screen.append({"record_id": sid, "source": "databases", "search_id": first(ids), "search_date": "2026-12-01", "duplicate_of": "",
                       "title_abstract_decision": "include", "full_text_decision": "not_retrieved", "exclusion_reason": "other",
                       "record_type": "preclinical", "study_id": "", "review_version": version_of(d),
                       "notes": (v2.s(d.get("title"))[:120] + ". Eligible, but no experiment's design or results could be read: awaiting a readable copy. " + v2.s(d.get("notes"))[:300]).strip()})
    for sid, why in drop.items():
        if sid.lower() not in seen:
            seen.add(sid.lower())
            screen.append({"record_id": sid, "source": "databases", "search_id": first([sid]), "search_date": "2026-12-01", "duplicate_of": "",
                           "title_abstract_decision": "include", "full_text_decision": "not_retrieved", "exclusion_reason": "other",
                           "record_type": "preclinical", "study_id": "", "review_version": "2.1.0", "notes": why})
    for d in lines["screen"]:
        rid = v2.s(d.get("record_id"))
        if not rid or rid.lower() in seen or d.get("decision") == "include":
            continue
        seen.add(rid.lower())
        reason = v2.s(d.get("reason")).split(":")[0]
        reason = reason if reason in ("not_msc", "not_als", "not_clinical_or_animal", "no_primary_data", "duplicate_report", "unverifiable_identity") else "other"
        not_retrieved = reason == "unverifiable_identity"
        screen.append({"record_id": rid[:120], "source": "databases", "search_id": first([rid]), "search_date": "2026-12-01", "duplicate_of": "",
                       "title_abstract_decision": "include" if not_retrieved else "exclude", "full_text_decision": "not_retrieved" if not_retrieved else "",
                       "exclusion_reason": reason, "record_type": "preclinical", "study_id": "", "review_version": version_of(d),
                       "notes": (v2.s(d.get("title"))[:120] + ". " + v2.s(d.get("reason")) + ": " + v2.s(d.get("notes"))).strip()[:600]})
    screen = merge_leads(screen)
    for row in screen:
        if row["record_type"] == "preclinical" and not row["search_id"]:
            row["source"] = "other_methods"
            row["notes"] = (row["notes"] + " Identified while reading another record (citation or link), not by a logged query.").strip()
    counts = defaultdict(int)
    for row in screen:
        counts[row["search_id"]] += 1
    for row in search + new_search:
        row["records_identified"] = counts.get(row["search_id"], 0)
    v2.write_csv("search_log", search + new_search, key=lambda r: r["search_id"])
    v2.write_csv("screening_log", screen, key=lambda r: (r["record_type"], r["record_id"]))
    v2.write_csv("studies", studies + rec_rows, key=lambda r: (r["record_type"], r["study_id"]))
    v2.write_csv("preclinical_studies", exp_rows, key=lambda r: (r["study_id"], int(r["experiment"])))
    print(f"{len(rec_rows)} animal studies, {len(exp_rows)} experiments, {len(new_search)} logged queries")
    for p in v2.PROBLEMS:
        print("-", p)


if __name__ == "__main__":
    main()

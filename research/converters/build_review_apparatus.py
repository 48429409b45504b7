"""One-off: search log, screening log, risk-of-bias judgements and GRADE rows for dataset 1.0.0.

Reads data/ and research/verification-notes/. Risk-of-bias judgements are design-based where only an abstract or a
registry record was read, and say so in their support text. Run from the repository root:
    .venv/bin/python research/converters/build_review_apparatus.py && .venv/bin/alsmsc rehash
"""

import csv
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTES = ROOT / "research" / "verification-notes"
VERSION, DATE = "1.0.0", "2026-11-24"
TOOL = "the project's search tool over stored copies of public pages (PubMed, PMC, journal and registry pages); not a live database"


def read(name):
    return list(csv.DictReader((ROOT / "data" / f"{name}.csv").open(encoding="utf-8")))


def write(name, rows):
    fields = next(r for r in json.loads((ROOT / "data" / "datapackage.json").read_text())["resources"] if r["name"] == name)["schema"]["fields"]
    with (ROOT / "data" / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=[f["name"] for f in fields], lineterminator="\n")
        w.writeheader()
        w.writerows({k: r.get(k, "") for k in w.fieldnames} for r in rows)


def jsonl(name):
    return [json.loads(l) for l in (NOTES / name).open(encoding="utf-8")]


# ------------------------------------------------------------------ search log
searches = [
    ("2026-11-24-clinical-a", "Clinical studies from Italy, Israel and the USA named in the verification protocol", 66),
    ("2026-11-24-clinical-b", "Clinical studies from Korea, the Czech Republic, Iran, Poland, Belarus, India and Spain; allogeneic and cell-free products; registered trials", 57),
    ("2026-11-24-preclinical-a", "Animal studies of MSCs in ALS models (first pass)", 72),
    ("2026-11-24-preclinical-b", "Animal studies: survival data and identities (second pass)", 57),
    ("2026-11-24-identifiers", "Missing identifiers, registry dates and further clinical studies", 73),
]
search_rows = [{"search_id": sid, "review_version": VERSION, "date": DATE, "source": "mixed_stored_pages", "interface": TOOL, "query": "",
                "notes": f"{desc}. {n} queries were run; they were not logged one by one in this first version (a PRISMA-S "
                         f"limitation, corrected from the next version on). Topics: research/verification-notes/PROTOCOL.md."}
               for sid, desc, n in searches]
exact = [  # queries run by the maintainer, logged exactly
    ("2026-11-24-maintainer-1", "Berry 2019 NurOwn MSC-NTF randomized phase 2 ALS Neurology ALSFRS-R", 8),
    ("2026-11-24-maintainer-2", "Mazzini 2010 Mesenchymal stem cell transplantation in amyotrophic lateral sclerosis: a Phase I clinical trial Exp Neurol PMID", 8),
    ("2026-11-24-maintainer-3", "Syková Rychmach Drahorádová 2017 Transplantation of mesenchymal stromal cells in patients with amyotrophic lateral sclerosis phase I/IIa Cell Transplant", 8),
    ("2026-11-24-maintainer-4", "Habisch intrathecal application of neuroectodermally converted stem cells into a mouse model of ALS 2007", 8),
    ("2026-11-24-maintainer-5", "Kim H intrathecal human mesenchymal stem cells dose-dependent SOD1 G93A mice Neuroscience Letters 2010", 8),
    ("2026-11-24-maintainer-6", "Uccelli 2012 intravenous mesenchymal stem cells improve survival and motor function in experimental amyotrophic lateral sclerosis Mol Med", 8),
]
search_rows += [{"search_id": sid, "review_version": VERSION, "date": DATE, "source": "mixed_stored_pages", "interface": TOOL, "query": q,
                 "hits": hits, "records_identified": 0, "notes": "Verification of records already identified; no new record."} for sid, q, hits in exact]

# ------------------------------------------------------------------ screening log
studies = {r["study_id"]: r for r in read("studies")}
clinical = read("clinical_studies")
pre_ids = sorted({r["study_id"] for r in read("preclinical_studies")})
batch = {}
for f, sid in (("clinical_A.jsonl", "2026-11-24-clinical-a"), ("clinical_B.jsonl", "2026-11-24-clinical-b"), ("clinical_C.jsonl", "2026-11-24-identifiers")):
    for r in jsonl(f):
        batch.setdefault(re.sub(r"[-_ ]", "", r["study_id"]), sid)


def record_id(s):
    for col, prefix in (("pmid", "PMID:"), ("doi", "DOI:"), ("pmcid", "")):
        if s.get(col):
            return prefix + s[col]
    if s.get("registry_ids") and s["publication_type"] == "registry_only":
        return s["registry_ids"].split(";")[0]
    return "URL:" + s["source_url"].split(";")[0]  # a report without PMID/DOI, e.g. a press release about a registered trial


screen = []
for c in clinical:
    s = studies[c["study_id"]]
    screen.append({"record_id": record_id(s), "source": "registers" if c["design"] == "registry_record" else ("other_methods" if s["publication_type"] in ("press_release", "news") else "databases"),
                   "search_id": batch.get(c["study_id"], "2026-11-24-clinical-b"), "search_date": DATE, "title_abstract_decision": "include",
                   "full_text_decision": "include", "record_type": "clinical", "study_id": c["study_id"], "review_version": VERSION,
                   "notes": f"Included; verified from {c['verified_from'].replace('_', ' ')}."})
screen.append({"record_id": "NCT03268603@second-pass", "source": "registers", "search_id": "2026-11-24-clinical-b", "search_date": DATE,
               "duplicate_of": "NCT03268603", "title_abstract_decision": "not_screened", "record_type": "clinical", "review_version": VERSION,
               "notes": "The same registration found again by the second clinical pass."})
for sid in pre_ids:
    s = studies[sid]
    screen.append({"record_id": record_id(s), "source": "databases", "search_id": "2026-11-24-preclinical-a", "search_date": DATE,
                   "title_abstract_decision": "include", "full_text_decision": "include", "record_type": "preclinical", "study_id": sid,
                   "review_version": VERSION, "notes": f"Included; verified from {s['verified_from'].replace('_', ' ')}."})
excluded = [  # record_id, source, search, record_type, title/abstract, full text, reason, notes
    ("URL:Blanquer2012", "databases", "2026-11-24-clinical-b", "clinical", "include", "exclude", "not_msc", "Blanquer et al. 2012: bone-marrow mononuclear cells, not MSCs (abstract)."),
    ("NCT02286011", "registers", "2026-11-24-clinical-b", "clinical", "exclude", "", "not_msc", "Bone-marrow mononuclear cells, intramuscular (registry record)."),
    ("NCT04849065", "registers", "2026-11-24-clinical-b", "clinical", "exclude", "", "not_msc", "Bone-marrow mononuclear cells (registry record)."),
    ("DOI:10.4103/0028-3886.103185", "databases", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "other", "Prabhakar et al. 2012: 'bone marrow-derived stem cells'; a review lists them as mononuclear cells. Cell type awaiting confirmation."),
    ("URL:Gothelf2017", "databases", "2026-11-24-clinical-a", "clinical", "include", "exclude", "no_primary_data", "Gothelf et al. 2017: laboratory study of MSC-NTF cell microRNA, no clinical data."),
    ("URL:Mazzini2010", "databases", "2026-11-24-clinical-a", "clinical", "include", "not_retrieved", "unverifiable_identity", "Mazzini et al. 2010, Exp Neurol phase I (10 patients, intraspinal): DOI/PMID not found in the sources read; awaiting classification."),
    ("URL:Kim2009", "databases", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "unverifiable_identity", "Kim et al. 2009, J Korean Neurol Assoc 27(2):163-169: no DOI or PMID found; awaiting classification."),
    ("URL:BMMSC-EV-pilot", "databases", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "unverifiable_identity", "A 10-patient MSC extracellular-vesicle pilot read only on an aggregator page; authors, journal and year unknown."),
    ("URL:Minguell2020", "other_methods", "2026-11-24-identifiers", "clinical", "include", "not_retrieved", "unverifiable_identity", "Single-patient report; journal unconfirmed."),
    ("IRCT20200828048551N1", "registers", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "other", "Registration (Ahvaz, 10 participants); registration date not read; probably the registration of Shamsaei et al. 2023."),
    ("URL:IRCT-trial-48162", "registers", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "unverifiable_identity", "IRCT page read but its registration code was cut off."),
    ("NCT06676423", "registers", "2026-11-24-clinical-b", "clinical", "include", "not_retrieved", "other", "Neuronata-R formulation safety study; registry dates not read."),
    ("PMC4791786", "databases", "2026-11-24-preclinical-b", "preclinical", "include", "exclude", "not_msc", "Gubert et al. 2016: bone-marrow mononuclear cells, not MSCs."),
    ("PMC3098614", "databases", "2026-11-24-preclinical-b", "preclinical", "exclude", "", "not_msc", "Neural stem cells."),
    ("PMC3423406", "databases", "2026-11-24-preclinical-b", "preclinical", "exclude", "", "not_msc", "Neural stem cells."),
    ("PMC6437219", "databases", "2026-11-24-preclinical-b", "preclinical", "exclude", "", "not_msc", "Bone-marrow endothelial progenitor cells."),
    ("DOI:10.1186/s13287-018-0843-z", "databases", "2026-11-24-preclinical-b", "preclinical", "exclude", "", "not_msc", "Whole bone-marrow cells."),
    ("DOI:10.1038/srep16953", "databases", "2026-11-24-preclinical-b", "preclinical", "include", "not_retrieved", "other", "Adipose conditioned medium; only the introduction was stored."),
    ("DOI:10.1016/j.neulet.2009.10.074", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Kim et al., Neurosci Lett 468(3): year not shown in the sources read."),
    ("PMID:17510731", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Habisch et al.: year not shown in the sources read."),
    ("DOI:10.1016/j.scr.2017.11.005", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Sironi et al., Stem Cell Res 25: year only from a review table."),
    ("PMC6594176", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Walker et al.: year not shown."),
    ("URL:Vercelli2008", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Vercelli et al., Neurobiol Dis: no identifier found."),
    ("URL:Suzuki2008", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Suzuki et al., Mol Ther 16(12):2002-2010: no identifier found."),
    ("URL:Boido2014", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Boido et al. 2014: no identifier or journal found."),
    ("URL:Choi2013", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Choi et al., Cell Transplant 22(5):855-870: no identifier found."),
    ("DOI:10.1080/14653240902806986", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Cytotherapy 11(3):299 intrathecal hMSC study: authors not shown."),
    ("DOI:10.1186/1742-2094-10-52", "databases", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "J Neuroinflammation 10:52: authors not shown."),
    ("URL:MolTher-GDNF-VEGF", "other_methods", "2026-11-24-preclinical-a", "preclinical", "include", "not_retrieved", "unverifiable_identity", "Known only from a news item."),
]
for rid, src, sid, rtype, ta, ft, reason, note in excluded:
    screen.append({"record_id": rid, "source": src, "search_id": sid, "search_date": DATE, "title_abstract_decision": ta, "full_text_decision": ft,
                   "exclusion_reason": reason, "record_type": rtype, "review_version": VERSION, "notes": note})
for row in search_rows:
    if row["query"] == "":
        row["records_identified"] = sum(1 for s in screen if s.get("search_id") == row["search_id"])

# ------------------------------------------------------------------ risk of bias
rob = []


def add(sid, tool, items):
    for domain, judgement, support in items:
        rob.append({"study_id": sid, "tool": tool, "domain": domain, "judgement": judgement, "support": support,
                    "assessor": "maintainers, from the sources read (design-based where only an abstract or registry record was read)"})


add("Berry2019", "RoB2", [
    ("D1 randomisation process", "some_concerns", "Randomised 3:1; sequence generation and allocation concealment not described in the abstract read."),
    ("D2 deviations from intended interventions", "some_concerns", "Placebo-controlled; blinding procedures not described in what was read."),
    ("D3 missing outcome data", "some_concerns", "Numbers analysed per arm not read."),
    ("D4 measurement of the outcome", "some_concerns", "ALSFRS-R depends on patient report and rater; blinding of assessors not confirmed in what was read."),
    ("D5 selection of the reported result", "some_concerns", "No overall difference; benefit reported in a prespecified subgroup and in responder analyses."),
    ("overall", "some_concerns", "Some concerns in every domain, from an abstract-level reading.")])
add("Cudkowicz2022", "RoB2", [
    ("D1 randomisation process", "some_concerns", "Randomised 1:1; allocation method not read."),
    ("D2 deviations from intended interventions", "low", "Double-blind, placebo-controlled (registry record)."),
    ("D3 missing outcome data", "low", "189 of 196 randomised were treated and analysed; 7 discontinued before treatment (registry flow, Table 1)."),
    ("D4 measurement of the outcome", "low", "Double-blind design; ALSFRS-R assessed without knowledge of allocation per the registry design."),
    ("D5 selection of the reported result", "some_concerns", "A 2022 correction changed the analysis model; subgroup results are emphasised."),
    ("overall", "some_concerns", "Some concerns from randomisation details not read and the analysis correction.")])
add("Oh2018", "RoB2", [
    ("D1 randomisation process", "some_concerns", "Randomised 1:1; allocation method not read."),
    ("D2 deviations from intended interventions", "some_concerns", "Open label: the control arm received riluzole alone, with no sham procedure."),
    ("D3 missing outcome data", "some_concerns", "Analysed at 6 months: 31 of 33 MSC and 25 of 31 control participants (Table 3)."),
    ("D4 measurement of the outcome", "high", "Open label; ALSFRS-R can be influenced by knowing the treatment received."),
    ("D5 selection of the reported result", "some_concerns", "Long-term survival analysis was post hoc."),
    ("overall", "high", "High risk from unblinded outcome assessment.")])
add("AgueraMorales2025", "RoB2", [
    ("D1 randomisation process", "some_concerns", "Randomised and placebo-controlled per the abstract; methods not read."),
    ("D2 deviations from intended interventions", "some_concerns", "Not read."),
    ("D3 missing outcome data", "some_concerns", "Not read."),
    ("D4 measurement of the outcome", "some_concerns", "Not read."),
    ("D5 selection of the reported result", "some_concerns", "Results section not read."),
    ("overall", "some_concerns", "Only the start of the abstract was read.")])
add("CorestemChemon2025", "RoB2", [
    ("D1 randomisation process", "some_concerns", "Randomised 1:2:2 with sham control per the protocol (Nam2022); implementation not reported."),
    ("D2 deviations from intended interventions", "some_concerns", "Not reported in press releases."),
    ("D3 missing outcome data", "some_concerns", "Not reported in press releases."),
    ("D4 measurement of the outcome", "some_concerns", "Quadruple-masked per the registry; not reported in the releases."),
    ("D5 selection of the reported result", "high", "Company press releases; primary endpoint missed and a subgroup described as post hoc in one release and pre-defined in another."),
    ("overall", "high", "Unpublished results known only from press releases.")])
single_arm = [c for c in clinical if c["design"] in ("single_arm", "case_series", "long_term_follow_up") and c["status"] == "published"]
lost = {r["study_id"] for r in read("clinical_outcomes") if r["measure"] == "lost_to_follow_up"}
for c in single_arm:
    comparator = "each patient's own pre-treatment course" if c["control_type"] == "lead_in_self" else "no comparator"
    add(c["study_id"], "ROBINS-I", [
        ("confounding", "critical", f"No concurrent control ({comparator}); ALS decline is not linear, so changes cannot be attributed to the cells."),
        ("selection of participants", "no_information", "Selection beyond the eligibility criteria was not described in what was read."),
        ("classification of interventions", "low", "The cell product, dose and route are defined by the protocol."),
        ("deviations from intended interventions", "no_information", "Not described in what was read."),
        ("missing data", "moderate" if c["study_id"] in lost else "no_information",
         "Losses to follow-up are reported (see outcomes)." if c["study_id"] in lost else "Completeness of follow-up not described in what was read."),
        ("measurement of outcomes", "serious", "Open label: ALSFRS-R and adverse events were assessed knowing every patient was treated."),
        ("selection of the reported result", "no_information", "No registered analysis plan was read."),
        ("overall", "critical", "Critical risk from confounding by design (no concurrent control).")])
for sid, matched in (("Barczewska2020", "PRO-ACT database patients matched 1:1"), ("Nam2023", "propensity-matched PRO-ACT placebo patients")):
    add(sid, "ROBINS-I", [
        ("confounding", "serious", f"External controls ({matched}); unmeasured differences between treated and database patients are likely."),
        ("selection of participants", "serious", "Treated patients were selected for treatment; database controls come from other trials."),
        ("classification of interventions", "low", "Treatment status is clear."),
        ("deviations from intended interventions", "no_information", "Not described in what was read."),
        ("missing data", "no_information", "Not described in what was read."),
        ("measurement of outcomes", "serious", "Outcomes of treated patients were assessed open label; controls were assessed in other trials."),
        ("selection of the reported result", "moderate" if sid == "Nam2023" else "no_information",
         "Sponsor-affiliated authors reporting a post-marketing analysis." if sid == "Nam2023" else "No registered analysis plan was read."),
        ("overall", "serious", "Serious risk from external controls.")])
SYRCLE = ["sequence generation", "baseline characteristics", "allocation concealment", "random housing", "blinding of caregivers",
          "random outcome assessment", "blinding of outcome assessors", "incomplete outcome data", "selective outcome reporting", "other bias"]
for sid in pre_ids:
    items = [(d, "unclear", "Not reported in the abstract read.") for d in SYRCLE]
    if sid == "Gouveia2023":
        items[0] = ("sequence generation", "high", "Not randomised: pet dogs were treated or not by their owners' choice.")
        items[9] = ("other bias", "high", "Treated dogs also received more intensive rehabilitation (co-intervention).")
    items.append(("overall", "high" if sid == "Gouveia2023" else "unclear",
                  "Not randomised, with a co-intervention." if sid == "Gouveia2023" else "Design details not reported in what was read."))
    add(sid, "SYRCLE", items)

# ------------------------------------------------------------------ GRADE
grade = [
    {"outcome_id": "alsfrs_r_change", "outcome": "ALSFRS-R change from baseline (MSC vs control, randomised)", "comparison_key": "md_alsfrs_r_change",
     "starting_level": "high", "risk_of_bias": -1, "inconsistency": 0, "indirectness": 0, "imprecision": -1, "publication_bias": 0, "upgrade": 0,
     "certainty": "low",
     "reasons": "Risk of bias -1: the only trial with whole-population data is open label with unblinded ALSFRS-R assessment. Imprecision -1: a single small trial. Inconsistency not assessable with one trial.",
     "plain_language": "MSCs may slow the decline in daily function over 6 months, but we are not confident: the evidence comes from one small open-label trial."},
    {"outcome_id": "responders", "outcome": "ALSFRS-R responders (MSC vs control, randomised)", "comparison_key": "rr_responders",
     "starting_level": "high", "risk_of_bias": -1, "inconsistency": -1, "indirectness": 0, "imprecision": -1, "publication_bias": 0, "upgrade": 0,
     "certainty": "very_low",
     "reasons": "Risk of bias -1: open-label trial. Inconsistency -1: responder definitions differ and the MSC-NTF phase 3 trial found no difference in responders. Imprecision -1: one trial with per-arm counts.",
     "plain_language": "We do not know whether MSCs make more people respond: the trials define response differently and disagree."},
    {"outcome_id": "serious_adverse_events", "outcome": "Participants with a serious adverse event after MSCs (single-arm)", "comparison_key": "prop_serious_adverse_events",
     "starting_level": "low", "risk_of_bias": -1, "inconsistency": 0, "indirectness": 0, "imprecision": -1, "publication_bias": 0, "upgrade": 0,
     "certainty": "very_low",
     "reasons": "Observational single-arm data start low. Risk of bias -1: no control arm and serious adverse events defined differently between studies. Imprecision -1: few, small studies with a wide interval.",
     "plain_language": "Serious adverse events after MSC treatment were uncommon in small studies, but without a control group we cannot tell whether MSCs add risk."},
]

write("search_log", search_rows)
write("screening_log", sorted(screen, key=lambda r: r["record_id"]))
write("risk_of_bias", sorted(rob, key=lambda r: (r["tool"], r["study_id"])))
write("grade", grade)
print(len(search_rows), "searches;", len(screen), "screening rows;", len(rob), "risk-of-bias rows;", len(grade), "GRADE rows")

"""Dataset 2.0.0 descriptor: the trial level, the source policy and white-space separated URL lists.

One-off: rewrites data/datapackage.json from its 1.x form. Run from the repository root:
    python research/converters/v2_schema.py
"""
import json
import sys
from pathlib import Path

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
DP = ROOT / "data" / "datapackage.json"

REGISTRY_ID = r"(NCT\d{8}|IRCT\d{6,}N?\d*|EUCTR\d{4}-\d{6}-\d{2}(-[A-Z]{2})?|ISRCTN\d{8}|ChiCTR[\w-]+|ACTRN\d{14}|KCT\d{7}|JPRN-[\w-]+|jRCT[a-z]?\d+|CTRI/\d{4}/\d{2,3}/\d{6}|UMIN\d{9}|CTIS\d{4}-\d{6}-\d{2}-\d{2})"
# FirstauthorYYYY; Firstauthornd when the date was not shown; PMIDnnnn for a paper whose authors and year were not
# shown (its PubMed page gave only the abstract); the registry id for registry-only records.
STUDY_ID = r"^[A-Z][A-Za-z]+(\d{4}|nd)[a-z]?$|^PMID\d{1,9}$|^" + REGISTRY_ID + "$"
TRIAL_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
URLS = r"^https?://\S+( https?://\S+)*$"
VERIFIED = ["full_text", "full_text_partial", "abstract", "abstract_partial", "registry", "press_release",
            "regulatory_document", "secondary_source"]
VERIFIED_DESC = ("Exactly what was read: full_text (methods and results of the full paper), full_text_partial (some "
                 "full-text sections, tables or figure legends), abstract (the whole abstract), abstract_partial (an "
                 "abstract cut before its results), registry (a registry record), press_release, regulatory_document, "
                 "secondary_source (only a review, news item or third-party copy; named in notes). One of: " + ", ".join(VERIFIED) + ".")
ROUTES = ["intrathecal", "intravenous", "intramuscular", "intraspinal", "intracerebroventricular", "intracerebral",
          "intranasal", "intra_arterial", "other"]
SOURCES = ["bone_marrow", "adipose", "umbilical_cord", "wharton_jelly", "placenta", "amniotic", "dental_pulp", "other", "not_reported"]
RECORD_KINDS = ["registration", "protocol", "results", "interim_results", "long_term_follow_up", "secondary_analysis",
                "press_release", "conference_abstract", "case_report", "regulatory_document"]
MEASURES = ["alsfrs_r_total", "alsfrs_r_change", "alsfrs_r_slope_pre", "alsfrs_r_slope_post", "alsfrs_r_slope_change",
            "alsfrs_r_slope_pre_as_printed", "alsfrs_r_slope_post_as_printed",
            "responders", "deaths", "survivors", "survival_months_median", "any_sae", "treatment_related_sae",
            "adverse_events_any", "adverse_event_specific", "lost_to_follow_up", "tumour_formation", "fvc_percent",
            "fvc_percent_change", "fvc_percent_slope_pre", "fvc_percent_slope_post", "svc_percent", "cafs",
            "progression_category"]


def f(name, type_="string", desc="", required=False, enum=None, pattern=None, minimum=None, list_of=None):
    field = {"name": name, "type": type_, "description": desc}
    cons = {}
    if required:
        cons["required"] = True
    if enum:
        cons["enum"] = enum
        field["description"] = (desc + " " if desc else "") + "One of: " + ", ".join(enum) + "."
    if list_of:
        field["x-list-of"] = list_of
        pattern = "^(" + "|".join(list_of) + ")(;(" + "|".join(list_of) + "))*$"
        field["description"] = (desc + " " if desc else "") + "A ';'-separated list from: " + ", ".join(list_of) + "."
    if pattern:
        cons["pattern"] = pattern
    if minimum is not None:
        cons["minimum"] = minimum
    if cons:
        field["constraints"] = cons
    return field


def source_fields(row_kind="row"):
    return [
        f("source_url", desc=f"Authoritative URL(s) of this {row_kind}'s source (DOI, PubMed/PMC/Europe PMC, registry, regulator or Cochrane page), separated by spaces; at least one, even when the text was read on a copy.", required=True, pattern=URLS),
        f("read_url", desc="The copy (or copies) actually read, when not the authoritative page itself, separated by spaces; never an AI summary, document-sharing site, content farm or unrelated mirror (data/source_hosts.csv).", pattern=URLS),
        f("verified_from", desc=VERIFIED_DESC, required=True, enum=VERIFIED),
    ]


def resource(name, title, desc, fields, pk, fks=()):
    return {"name": name, "path": f"{name}.csv", "title": title, "description": desc, "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "schema": {"fields": fields, "primaryKey": pk, **({"foreignKeys": list(fks)} if fks else {})}}


def fk(fields, resource_, ref_fields=None):
    return {"fields": fields, "reference": {"resource": resource_, "fields": ref_fields or fields}}


def main():
    desc = json.loads(DP.read_text())
    old = {r["name"]: r for r in desc["resources"]}

    hosts = resource("source_hosts", "Source policy", "Which web hosts may carry evidence: authoritative, secondary (supports, never the only source) or never evidence. A host covers its subdomains.", [
        f("host", desc="Host name (covers its subdomains).", required=True, pattern=r"^[a-z0-9.-]+$"),
        f("category", required=True, enum=["authoritative", "secondary", "never"]),
        f("kind", desc="What sort of site it is (publisher, pubmed, registry, regulator, index, news, ai_summary, ...).", required=True),
        f("notes"),
    ], ["host"])

    trials = resource("trials", "Clinical trials and programme cohorts", "One row per clinical trial (or programme cohort) of MSCs or MSC-derived products in people with ALS. The review counts these, not records; every record links to one.", [
        f("trial_id", desc="Stable lowercase id of the trial (e.g. nurown-ph3).", required=True, pattern=TRIAL_ID),
        f("name", desc="Short human name of the trial.", required=True),
        f("sponsor", desc="Sponsor or lead institution."),
        f("country", desc="Country or countries (';'-separated), or not_reported.", required=True),
        f("product", desc="The product as named by its sponsor (e.g. MSC-NTF (NurOwn)).", required=True),
        f("product_class", desc="Cells, modified (engineered or induced) cells, or a cell-free MSC-derived product (secretome, conditioned medium, extracellular vesicles), analysed as a separate stratum.", required=True, enum=["cells", "modified_cells", "cell_free"]),
        f("phase", desc="Trial phase as stated by the sponsor or registry.", required=True, pattern=r"^(1|1/2|1/2a|2|2a|2b|3|4|not_applicable|not_reported)$"),
        f("design", required=True, enum=["randomized_controlled", "nonrandomized_controlled", "single_arm", "case_series", "case_report", "expanded_access"]),
        f("randomized", "boolean", "Whether allocation was randomised.", required=True),
        f("blinding", enum=["double", "single", "open", "not_reported"], required=True),
        f("control_type", desc="externally matched controls are not enrolled participants.", required=True, enum=["placebo", "sham", "standard_care", "historical", "external_matched", "lead_in_self", "none", "not_reported"]),
        f("route", desc="Route(s) of administration (blank and listed in not_reported when no source read says).", list_of=ROUTES),
        f("cell_source", required=True, enum=SOURCES),
        f("cell_origin", required=True, enum=["autologous", "allogeneic", "not_reported"]),
        f("status", desc="The trial's own state, from its newest authoritative record.", required=True, enum=["ongoing", "completed", "terminated", "withdrawn", "suspended", "unknown"]),
        f("results", desc="The best results available: peer-reviewed, a conference abstract only, a press release only, registry results only, or none.", required=True, enum=["peer_reviewed", "conference_abstract_only", "press_release_only", "registry_only", "none"]),
        f("registry_ids", desc="Registry ids (';'-separated). One id may cover two trials (a phase 1 and a separately enrolled phase 2).", pattern="^" + REGISTRY_ID + "(;" + REGISTRY_ID + ")*$"),
        f("n_enrolled", "integer", "People enrolled who received MSCs or a concurrent control (not externally matched controls).", minimum=0),
        f("n_planned", "integer", "Planned enrolment of a trial that has not reported (registry figure).", minimum=0),
        f("n_msc", "integer", "People who received MSCs.", minimum=0),
        f("n_control", "integer", "People in concurrent control arms.", minimum=0),
        f("n_external_control", "integer", "Externally matched controls (registry or natural-history cohorts); never counted as enrolled.", minimum=0),
        f("n_overlapping", "integer", "How many of this trial's participants are already counted in the trials of overlaps_with (blank when unknown: the trial then adds no one to participant totals).", minimum=0),
        f("dose", desc="Dose and schedule as read."),
        f("n_administrations", "integer", "Number of administrations per participant.", minimum=0),
        f("follow_up_months", "number", "Follow-up of the main analysis (months).", minimum=0),
        f("primary_endpoint", desc="The primary endpoint as registered or published."),
        f("primary_endpoint_met", desc="Whether the primary endpoint was met as the best available results report it: yes, no, safety_only (the primary endpoint is safety), pending (no results yet) or not_reported.", required=True, enum=["yes", "no", "safety_only", "pending", "not_reported"]),
        f("safety_summary", desc="Safety in the maintainers' words, from the sources read."),
        f("efficacy_summary", desc="Efficacy in the maintainers' words, primary endpoint first."),
        f("overlaps_with", desc="Earlier trials whose participants are partly the same people (';'-separated trial ids).", pattern=r"^[a-z0-9-]+(;[a-z0-9-]+)*$"),
        f("overlap_note", desc="Who overlaps with whom, and how it is known."),
        f("not_reported", desc="Columns left blank because no source read reports them (';'-separated).", pattern=r"^[a-z_]+(;[a-z_]+)*$"),
        *source_fields("trial"),
        f("notes", desc="Disagreements between records and which one is used; anything a reader should know."),
    ], ["trial_id"])

    studies = old["studies"]
    sf = []
    for fld in studies["schema"]["fields"]:
        name = fld["name"]
        if name == "study_id":
            fld = f("study_id", desc="Stable citation key: FirstauthorYYYY (+ letter), CompanyYYYY for press releases (Companynd when the date was not shown), or the registry id for registry-only records.", required=True, pattern=STUDY_ID)
        elif name == "registry_ids":
            fld = f("registry_ids", desc="Registry ids (';'-separated).", pattern="^" + REGISTRY_ID + "(;" + REGISTRY_ID + ")*$")
        elif name in ("source_url", "verified_from"):
            continue
        sf.append(fld)
        if name == "record_type":
            sf.append(f("trial_id", desc="The trial(s) this clinical record reports on (';'-separated; required for clinical records: a paper reporting two trials names both).", pattern=r"^[a-z0-9]+(-[a-z0-9]+)*(;[a-z0-9]+(-[a-z0-9]+)*)*$"))
            sf.append(f("record_kind", desc="What kind of record of its trial this is (required for clinical records).", enum=RECORD_KINDS))
    notes = sf.pop()  # keep notes last
    studies["schema"]["fields"] = sf + source_fields("record") + [notes]
    studies["schema"].pop("foreignKeys", None)  # trial_id may list two trials; the validator checks each
    for fld in studies["schema"]["fields"]:
        if fld["name"] == "year":
            fld["constraints"] = {"minimum": 1950}
            fld["description"] = "Year of publication (registry records: year first posted); may be blank only for a registry record whose posting date was not read, or an undated press release (key ending in nd)."

    arms = resource("clinical_arms", "Arms of clinical trials", "One row per arm of a trial, with the counts randomised, treated and analysed kept apart, and the record they were read in.", [
        f("trial_id", required=True, pattern=TRIAL_ID),
        f("arm", desc="Arm name within the trial (msc, control, msc_low, ...).", required=True, pattern=r"^[a-z][a-z0-9_]*$"),
        f("role", required=True, enum=["msc", "control"]),
        f("description", required=True),
        f("n_randomized", "integer", minimum=0), f("n_treated", "integer", minimum=0), f("n_analysed", "integer", minimum=0),
        f("study_id", desc="The record these numbers were read in.", required=True, pattern=STUDY_ID),
        *source_fields("arm"), f("notes"),
    ], ["trial_id", "arm"], [fk(["trial_id"], "trials"), fk(["study_id"], "studies")])

    outcomes = resource("clinical_outcomes", "Clinical outcomes (long format)", "One row per trial x arm x subgroup x measure x timepoint, with the record and the place in it where the number was read. Values that only a secondary source gives are marked so and left out of pooled analyses by default.", [
        f("outcome_id", desc="trial:arm:subgroup:measure(:detail):t<months> (or :none).", required=True, pattern=r"^[a-z0-9-]+:[a-z0-9_]+:[a-z0-9_]+:[a-z_]+(:[a-z0-9_]+)?:(t[-0-9.]+|none)$"),
        f("trial_id", required=True, pattern=TRIAL_ID),
        f("arm", required=True),
        f("subgroup", desc="'all' only for the whole trial population; otherwise the subgroup or cohort as the source names it.", required=True),
        f("measure", required=True, enum=MEASURES),
        f("definition", desc="The source's own definition (e.g. 'SAEs regardless of causality'); required for safety counts."),
        f("detail", desc="Further detail (e.g. the specific adverse event)."),
        f("timepoint_months", "number"),
        f("n", "integer", minimum=0), f("mean", "number"), f("dispersion", "number", minimum=0),
        f("dispersion_type", enum=["sd", "se", "ci95_halfwidth", "iqr", "range", "none"]),
        f("events", "integer", minimum=0), f("total", "integer", minimum=0),
        f("unit", desc="Slopes are per month: 'points/month' (ALSFRS-R) or '% predicted/month' (FVC, SVC).", required=True),
        f("location", desc="Where in the record: abstract, Table 2, Figure 3 legend, registry results...", required=True),
        f("study_id", desc="The record the number was read in.", required=True, pattern=STUDY_ID),
        *source_fields("outcome"), f("notes"),
    ], ["outcome_id"], [fk(["trial_id", "arm"], "clinical_arms"), fk(["study_id"], "studies")])

    def reurl(res):
        fields = []
        for fld in res["schema"]["fields"]:
            if fld["name"] in ("source_url", "verified_from"):
                continue
            fields.append(fld)
        notes = fields.pop()
        assert notes["name"] == "notes"
        res["schema"]["fields"] = fields + source_fields() + [notes]
        return res

    pre = reurl(old["preclinical_studies"])
    for fld in pre["schema"]["fields"]:
        if fld["name"] == "study_id":
            fld["constraints"]["pattern"] = STUDY_ID
    bg = reurl(old["background_facts"])
    for fld in bg["schema"]["fields"]:
        if fld["name"] == "study_id":
            fld["constraints"]["pattern"] = STUDY_ID

    search = old["search_log"]
    for fld in search["schema"]["fields"]:
        if fld["name"] == "source":
            fld["constraints"]["enum"] = ["pubmed", "pmc", "journal_pages", "clinicaltrials_gov", "other_registry", "citation_search", "mixed_stored_pages"]
    sfields = search["schema"]["fields"]
    if not any(x["name"] == "searcher" for x in sfields):
        idx = [x["name"] for x in sfields].index("query")
        sfields.insert(idx, f("searcher", desc="Who ran the query (a maintainer, or a named verification batch)."))
        sfields.insert(idx + 2, f("purpose", desc="What the query was looking for."))

    screen = old["screening_log"]
    for fld in screen["schema"]["fields"]:
        if fld["name"] == "study_id":
            fld["constraints"]["pattern"] = STUDY_ID
        if fld["name"] == "exclusion_reason":
            fld["constraints"]["enum"] = ["not_msc", "not_als", "not_clinical_or_animal", "no_primary_data", "duplicate_report", "unverifiable_identity", "other"]

    rob = old["risk_of_bias"]
    rf = rob["schema"]["fields"]
    rf[0] = f("assessed", desc="What was assessed: a trial_id for RoB2 and ROBINS-I, the study_id of an animal study for SYRCLE.", required=True, pattern=TRIAL_ID[:-1] + "$|" + STUDY_ID)
    rf.insert(-1, f("report", desc="The record(s) of the trial whose results were assessed (';'-separated study_ids)."))
    rob["schema"]["primaryKey"] = ["assessed", "tool", "domain"]
    rob["schema"].pop("foreignKeys", None)

    grade = old["grade"]
    gf = [x for x in grade["schema"]["fields"] if x["name"] not in ("effect_measure", "units", "direction")]
    i = [x["name"] for x in gf].index("comparison_key") + 1
    gf[i:i] = [
        f("effect_measure", desc="The effect measure the certainty is about (e.g. mean difference, risk ratio, proportion).", required=True),
        f("units", desc="Units of the effect (e.g. ALSFRS-R points at 6 months, % of participants).", required=True),
        f("direction", desc="Which direction favours MSCs (e.g. 'above 0 favours MSC'; 'lower is better').", required=True),
    ]
    grade["schema"]["fields"] = gf
    order = [hosts, trials, studies, arms, outcomes, pre, bg, search, screen, rob, grade]
    desc["resources"] = order
    desc["version"] = "2.0.0"
    DP.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()

"""What the dataset's codes mean in words: one label per enum value, used wherever a code reaches a reader.

The codes and their allowed values are the schema's (data/datapackage.json); their labels live here, once, so that
every analysis and page says the same thing for the same code.
"""

SOURCE_LABELS = {
    "bone_marrow": "bone marrow",
    "adipose": "adipose tissue",
    "umbilical_cord": "umbilical cord",
    "wharton_jelly": "Wharton's jelly",
    "placenta": "placenta",
    "amniotic": "amniotic",
    "dental_pulp": "dental pulp",
    "other": "other",
    "not_reported": "not reported",
}
CLASS_LABELS = {"cells": "MSCs", "modified_cells": "modified MSCs", "cell_free": "cell-free (secretome/EVs)"}
RESULTS_LABELS = {
    "peer_reviewed": "peer-reviewed",
    "conference_abstract_only": "conference abstract only",
    "press_release_only": "press release only (not peer reviewed)",
    "registry_only": "registry results only",
    "none": "none yet",
}
REASON_LABELS = {
    "not_msc": "not MSCs",
    "not_als": "not ALS",
    "not_clinical_or_animal": "not a clinical or animal study",
    "no_primary_data": "no primary data",
    "duplicate_report": "duplicate report",
    "unverifiable_identity": "identity could not be verified",
    "other": "other",
}
DIRECTION_LABELS = {"favours_msc": "favours MSC", "no_difference": "no clear difference", "favours_control": "favours control"}
MEASURE_LABELS = {
    "alsfrs_r_total": "ALSFRS-R total score",
    "alsfrs_r_change": "ALSFRS-R change from baseline",
    "alsfrs_r_slope_pre": "ALSFRS-R slope before treatment (points/month)",
    "alsfrs_r_slope_post": "ALSFRS-R slope after treatment (points/month)",
    "alsfrs_r_slope_change": "change in ALSFRS-R slope (points/month)",
    "alsfrs_r_slope_pre_as_printed": "ALSFRS-R slope before treatment, per period as printed",
    "alsfrs_r_slope_post_as_printed": "ALSFRS-R slope after treatment, per period as printed",
    "responders": "responders (as the trial defined them)",
    "deaths": "deaths",
    "survivors": "survivors",
    "survival_months_median": "median survival (months)",
    "any_sae": "participants with any serious adverse event",
    "treatment_related_sae": "participants with a treatment-related serious adverse event",
    "adverse_events_any": "participants with any adverse event",
    "adverse_event_specific": "a specific adverse event",
    "lost_to_follow_up": "lost to follow-up",
    "tumour_formation": "tumour formation",
    "fvc_percent": "forced vital capacity (% predicted)",
    "fvc_percent_change": "change in forced vital capacity (% predicted)",
    "fvc_percent_slope_pre": "FVC slope before treatment (% predicted/month)",
    "fvc_percent_slope_post": "FVC slope after treatment (% predicted/month)",
    "svc_percent": "slow vital capacity (% predicted)",
    "cafs": "combined assessment of function and survival (CAFS)",
    "progression_category": "progression category",
}
MODEL_LABELS = {
    "SOD1": "SOD1",
    "TDP-43": "TDP-43",
    "FUS": "FUS",
    "C9orf72": "C9orf72",
    "wobbler": "wobbler",
    "mdf": "mdf/ocd",
    "canine_DM": "canine degenerative myelopathy",
    "other": "other",
}

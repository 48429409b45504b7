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

"""The questions the review asks of the data: one key per comparison the synthesis publishes.

Kept in the dataset layer because data refer to them (every GRADE row names a comparison key, checked by the rules),
while the analyses layer answers them.
"""

# (key, title, axis title)
COMPARISONS = (
    (
        "md_alsfrs_r_change",
        "ALSFRS-R change from baseline, MSC vs control (randomised)",
        "Mean difference in ALSFRS-R change (points; > 0 favours MSC)",
    ),
    ("rr_responders", "ALSFRS-R responders, MSC vs control (randomised)", "Risk ratio of responding (> 1 favours MSC)"),
    (
        "md_slope_change_single_arm",
        "ALSFRS-R slope after vs before MSCs (single-arm, weak evidence)",
        "Change in ALSFRS-R slope (points/month; > 0 = slower decline)",
    ),
    ("prop_deaths", "Deaths among MSC-treated participants", "Proportion of MSC-treated participants who died during follow-up"),
    (
        "prop_any_sae",
        "Participants with any serious adverse event after MSCs",
        "Proportion of MSC-treated participants with any serious adverse event",
    ),
    (
        "prop_treatment_related_sae",
        "Participants with a treatment-related serious adverse event",
        "Proportion with a serious adverse event judged related to the cells or procedure",
    ),
    ("rom_animal_survival", "Survival in animal models (MSC vs control)", "Ratio of mean survival, MSC vs control (> 1 favours MSC)"),
)
COMPARISON_KEYS = tuple(k for k, _, _ in COMPARISONS)

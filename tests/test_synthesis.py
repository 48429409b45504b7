"""From outcome rows to comparisons: pairing arms, converting SE/SD, refusing to pool too few studies.

All rows here are fixture data made up for the tests; they are never published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsmsc.analyses import synthesis

pytestmark = pytest.mark.fixture_data

# Records (with the trial each reports on) and arms keyed by trial, as in the data package.
STUDIES = pd.DataFrame(
    {
        "study_id": ["A2019", "B2021", "C2022", "Cpress2023"],
        "trial_id": ["a", "b", "c", "c"],
        "year": pd.array([2019, 2021, 2022, 2023], dtype="Int64"),
    }
)
ARMS = pd.DataFrame(
    {
        "trial_id": ["a", "a", "b", "b", "c", "c"],
        "arm": ["msc", "control", "msc", "control", "msc", "msc_high"],
        "role": ["msc", "control", "msc", "control", "msc", "msc"],
    }
)


def row(
    study,
    arm,
    measure,
    t=None,
    n=None,
    mean=None,
    disp=None,
    dtype=None,
    events=None,
    total=None,
    subgroup="all",
    verified="abstract",
    definition=None,
    unit="points",
):
    return {
        "trial_id": study[0].lower(),
        "study_id": study,
        "arm": arm,
        "subgroup": subgroup,
        "measure": measure,
        "timepoint_months": t,
        "n": n,
        "mean": mean,
        "dispersion": disp,
        "dispersion_type": dtype,
        "events": events,
        "total": total,
        "verified_from": verified,
        "definition": definition,
        "unit": unit,
    }


def frame(rows):
    return pd.DataFrame(rows).astype(
        {"n": "Float64", "mean": "Float64", "dispersion": "Float64", "events": "Float64", "total": "Float64", "timepoint_months": "Float64"}
    )


def test_mean_difference_pairs_arms_at_last_common_timepoint_and_converts_sd_and_se():
    out = frame(
        [
            row("A2019", "msc", "alsfrs_r_change", 4, 30, -2.0, 3.0, "sd"),
            row("A2019", "control", "alsfrs_r_change", 4, 25, -4.0, 4.0, "sd"),
            row("A2019", "msc", "alsfrs_r_change", 6, 30, -3.0, 3.0, "sd"),
            row("A2019", "control", "alsfrs_r_change", 6, 25, -6.0, 5.0, "sd"),
            row("B2021", "msc", "alsfrs_r_change", 6, None, -1.5, 0.5, "se"),
            row("B2021", "control", "alsfrs_r_change", 6, None, -2.5, 0.6, "se"),
            row("B2021", "msc", "alsfrs_r_change", 6, None, -1.0, 0.5, "se", subgroup="baseline >= 30"),  # subgroups never pooled
        ]
    )
    c = synthesis.controlled_mean_difference(out, ARMS, STUDIES, "alsfrs_r_change", "t")
    assert c.rows["study"].tolist() == ["a", "b"]
    a, b = c.rows.iloc[0], c.rows.iloc[1]
    assert a["timepoint_months"] == 6 and a["yi"] == pytest.approx(3.0) and a["vi"] == pytest.approx(9 / 30 + 25 / 25)
    assert b["yi"] == pytest.approx(1.0) and b["vi"] == pytest.approx(0.25 + 0.36)
    pooled = synthesis.pool(c)
    assert pooled.pooled and pooled.result.k == 2
    # reference: metafor 4.x, rma(yi = c(3, 1), vi = c(9/30 + 1, 0.61), method = "REML", test = "knha")
    np.testing.assert_allclose(
        [pooled.result.estimate, pooled.result.se, pooled.result.ci_lb, pooled.result.ci_ub],
        [1.8275000000, 0.9850095177, -10.6882325992, 14.3432325992],
        rtol=1e-6,
    )


def test_a_single_study_is_shown_but_not_pooled():
    out = frame([row("A2019", "msc", "responders", 6, events=10, total=20), row("A2019", "control", "responders", 6, events=5, total=20)])
    c = synthesis.pool(synthesis.controlled_risk_ratio(out, ARMS, STUDIES, "responders", "t"))
    assert len(c.rows) == 1 and not c.pooled
    assert c.reason == "only 1 study reports this comparison; pooling needs at least 2"
    assert c.rows.iloc[0]["yi"] == pytest.approx(np.log(2.0))


def test_no_study_gives_a_clear_reason():
    c = synthesis.pool(
        synthesis.animal_survival(
            pd.DataFrame(
                columns=[
                    "study_id",
                    "experiment",
                    "survival_statistic",
                    "survival_msc_days",
                    "survival_control_days",
                    "survival_dispersion_msc",
                    "survival_dispersion_control",
                    "survival_dispersion_type",
                    "survival_n_msc",
                    "survival_n_control",
                    "n_msc",
                    "n_control",
                    "route",
                    "timing",
                    "msc_source",
                ]
            ),
            STUDIES,
        )
    )
    assert c.reason == "no experiment reports mean survival with its dispersion and group sizes; pooling needs at least 2"


def test_safety_proportions_are_per_trial_with_exact_intervals_and_pooled_by_glmm():
    out = frame(
        [
            row("A2019", "msc", "deaths", t=6, events=1, total=20, definition="any death"),
            row("A2019", "msc", "deaths", t=12, events=3, total=20, definition="any death"),  # the latest count is used
            row("B2021", "msc", "deaths", events=0, total=10, definition="any death"),
            row("C2022", "msc", "deaths", t=6, events=1, total=15, definition="any death"),
            row("C2022", "msc_high", "deaths", t=6, events=2, total=15, definition="any death"),  # two MSC arms: one trial
            row("A2019", "control", "deaths", t=12, events=5, total=20, definition="any death"),
        ]
    )  # control arms are ignored
    c = synthesis.pool_proportions(synthesis.single_arm_proportion(out, ARMS, STUDIES, "deaths", "t"))
    assert c.rows["study"].tolist() == ["a", "b", "c"]
    assert c.rows[["events", "total"]].values.tolist() == [[3, 20], [0, 10], [3, 30]]
    zero = c.rows.iloc[1]
    assert synthesis.expit(zero["ci_lb"]) == 0 and synthesis.expit(zero["ci_ub"]) == pytest.approx(1 - 0.025 ** (1 / 10))  # Clopper-Pearson
    assert c.pooled
    # reference: metafor, rma.glmm(measure = "PLO", xi = c(3, 0, 3), ni = c(20, 10, 30)) gives b = -2.19722458
    # (= logit(6/60): tau^2 is estimated at 0, so the pooled proportion is the crude one) and tau2 = 0
    assert c.result.estimate == pytest.approx(-2.19722458, abs=1e-5) and c.result.tau2 == pytest.approx(0, abs=1e-6)


def test_safety_with_no_events_or_one_trial_is_not_pooled_and_says_why():
    none = frame([row("A2019", "msc", "treatment_related_sae", events=0, total=20), row("B2021", "msc", "treatment_related_sae", events=0, total=10)])
    c = synthesis.pool_proportions(synthesis.single_arm_proportion(none, ARMS, STUDIES, "treatment_related_sae", "t"))
    assert not c.pooled and c.reason.startswith("no events in 2 trials (30 participants)")
    one = frame([row("A2019", "msc", "any_sae", events=2, total=20)])
    c = synthesis.pool_proportions(synthesis.single_arm_proportion(one, ARMS, STUDIES, "any_sae", "t"))
    assert not c.pooled and c.reason.startswith("only 1 trial reports")


def test_secondary_values_are_left_out_unless_asked_for():
    out = frame(
        [
            row("A2019", "msc", "deaths", events=1, total=20),
            row("B2021", "msc", "deaths", events=2, total=10, verified="press_release"),
            row("C2022", "msc", "deaths", events=1, total=15, verified="secondary_source"),
        ]
    )
    assert synthesis.usable(out)["study_id"].tolist() == ["A2019"]
    assert len(synthesis.usable(out, synthesis.Settings(include_secondary=True))) == 3


def test_slope_change_imputes_the_stated_correlation_and_the_sensitivity_moves_with_it():
    out = frame(
        [
            row("A2019", "msc", "alsfrs_r_slope_pre", None, 20, -1.8, 1.2, "sd", unit="points/month"),
            row("A2019", "msc", "alsfrs_r_slope_post", 6, 20, -1.0, 0.9, "sd", unit="points/month"),
            row("B2021", "msc", "alsfrs_r_slope_pre", None, 30, -1.4, 1.0, "sd", unit="points/month"),
            row("B2021", "msc", "alsfrs_r_slope_post", 6, 30, -1.1, 1.1, "sd", unit="points/month"),
            row("C2022", "msc", "alsfrs_r_slope_pre_as_printed", None, 25, 1.76, None, None, unit="points/period"),
            row("C2022", "msc", "alsfrs_r_slope_post_as_printed", 6, 25, 1.06, None, None, unit="points/period"),
        ]
    )
    c = synthesis.single_arm_slope_change(out, STUDIES, "t")
    assert c.rows["study"].tolist() == ["a", "b"]  # the per-period pair is listed, never weighted
    r = synthesis.PRE_POST_CORRELATION
    assert c.rows.iloc[0]["vi"] == pytest.approx((1.2**2 + 0.9**2 - 2 * r * 1.2 * 0.9) / 20)
    table = synthesis.slope_table(out)
    assert table["Trial"].tolist() == ["a", "b", "c"]
    assert table["Decline slowed"].tolist() == ["yes", "yes", "yes"]  # the positive 'rate of decrease' fell: slower decline
    assert table["Weighted in the pooled analysis"].tolist() == ["yes", "yes", "no"]
    assert synthesis.slope_sign_test(table) == {"slope_pairs_k": 3, "slope_pairs_slowed": 3, "slope_sign_test_p": pytest.approx(0.25)}
    sens = synthesis.slope_sensitivity(out, STUDIES, correlations=(0.0, 0.9))
    assert sens["Trials"].tolist() == [2, 2] and sens["95% CI"].nunique() == 2  # the result moves with the assumption
    low, high = (synthesis.single_arm_slope_change(out, STUDIES, "t", correlation=r).rows["vi"] for r in (0.0, 0.9))
    assert (high < low).all()  # a higher pre/post correlation means a more precise within-patient change

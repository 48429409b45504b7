"""From outcome rows to comparisons: pairing arms, converting SE/SD, refusing to pool too few studies.

All rows here are fixture data made up for the tests; they are never published.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alsmsc import meta, synthesis

pytestmark = pytest.mark.fixture_data

STUDIES = pd.DataFrame({"study_id": ["A2019", "B2021", "C2022"], "year": [2019, 2021, 2022]})
ARMS = pd.DataFrame({"study_id": ["A2019", "A2019", "B2021", "B2021", "C2022"],
                     "arm": ["msc", "control", "msc", "control", "msc"],
                     "role": ["msc", "control", "msc", "control", "msc"]})


def row(study, arm, measure, t=None, n=None, mean=None, disp=None, dtype=None, events=None, total=None, subgroup="all"):
    return {"study_id": study, "arm": arm, "subgroup": subgroup, "measure": measure, "timepoint_months": t, "n": n,
            "mean": mean, "dispersion": disp, "dispersion_type": dtype, "events": events, "total": total, "verified_from": "abstract"}


def frame(rows):
    return pd.DataFrame(rows).astype({"n": "Float64", "mean": "Float64", "dispersion": "Float64", "events": "Float64",
                                      "total": "Float64", "timepoint_months": "Float64"})


def test_mean_difference_pairs_arms_at_last_common_timepoint_and_converts_sd_and_se():
    out = frame([
        row("A2019", "msc", "alsfrs_r_change", 4, 30, -2.0, 3.0, "sd"), row("A2019", "control", "alsfrs_r_change", 4, 25, -4.0, 4.0, "sd"),
        row("A2019", "msc", "alsfrs_r_change", 6, 30, -3.0, 3.0, "sd"), row("A2019", "control", "alsfrs_r_change", 6, 25, -6.0, 5.0, "sd"),
        row("B2021", "msc", "alsfrs_r_change", 6, None, -1.5, 0.5, "se"), row("B2021", "control", "alsfrs_r_change", 6, None, -2.5, 0.6, "se"),
        row("B2021", "msc", "alsfrs_r_change", 6, None, -1.0, 0.5, "se", subgroup="baseline >= 30"),  # subgroups never pooled
    ])
    c = synthesis.controlled_mean_difference(out, ARMS, STUDIES, "alsfrs_r_change", "t")
    assert c.rows["study"].tolist() == ["A2019", "B2021"]
    a, b = c.rows.iloc[0], c.rows.iloc[1]
    assert a["timepoint_months"] == 6 and a["yi"] == pytest.approx(3.0) and a["vi"] == pytest.approx(9 / 30 + 25 / 25)
    assert b["yi"] == pytest.approx(1.0) and b["vi"] == pytest.approx(0.25 + 0.36)
    pooled = synthesis.pool(c)
    assert pooled.pooled and pooled.result.k == 2
    np.testing.assert_allclose(pooled.result.estimate, meta.rma(c.rows["yi"], c.rows["vi"], knha=True).estimate)


def test_a_single_study_is_shown_but_not_pooled():
    out = frame([row("A2019", "msc", "responders", 6, events=10, total=20), row("A2019", "control", "responders", 6, events=5, total=20)])
    c = synthesis.pool(synthesis.controlled_risk_ratio(out, ARMS, STUDIES, "responders", "t"))
    assert len(c.rows) == 1 and not c.pooled
    assert c.reason == "only 1 study reports this comparison; pooling needs at least 2"
    assert c.rows.iloc[0]["yi"] == pytest.approx(np.log(2.0))


def test_no_study_gives_a_clear_reason():
    c = synthesis.pool(synthesis.animal_survival(pd.DataFrame(columns=["study_id", "experiment", "survival_msc_days", "survival_control_days",
        "survival_dispersion_msc", "survival_dispersion_control", "survival_dispersion_type", "n_msc", "n_control"]), STUDIES))
    assert c.reason == "no study reports this comparison; pooling needs at least 2"


def test_single_arm_proportions_use_the_latest_count_and_zero_cell_correction():
    out = frame([row("A2019", "msc", "serious_adverse_events", events=0, total=20), row("B2021", "msc", "serious_adverse_events", events=2, total=10),
                 row("C2022", "msc", "serious_adverse_events", events=1, total=15), row("A2019", "control", "serious_adverse_events", events=3, total=20)])
    c = synthesis.pool(synthesis.single_arm_proportion(out, ARMS, STUDIES, "serious_adverse_events", "t"))
    assert c.rows["study"].tolist() == ["A2019", "B2021", "C2022"]  # control arms are ignored
    assert c.rows.iloc[0]["yi"] == pytest.approx(np.log(0.5 / 20.5))
    assert c.pooled and len(c.leave_one_out) == 3 and len(c.cumulative) == 2


def test_slope_change_imputes_the_stated_correlation():
    out = frame([row("A2019", "msc", "alsfrs_r_slope_pre", None, 20, -1.8, 1.2, "sd"), row("A2019", "msc", "alsfrs_r_slope_post", 6, 20, -1.0, 0.9, "sd"),
                 row("B2021", "msc", "alsfrs_r_slope_pre", None, None, -1.4, None, "none"), row("B2021", "msc", "alsfrs_r_slope_post", 6, 14, -0.6, None, "none")])
    c = synthesis.single_arm_slope_change(out, STUDIES, "t")
    assert c.rows["study"].tolist() == ["A2019"]  # B2021 gives no SDs: listed in the table, not weighted
    r = synthesis.PRE_POST_CORRELATION
    assert c.rows.iloc[0]["vi"] == pytest.approx((1.2**2 + 0.9**2 - 2 * r * 1.2 * 0.9) / 20)
    assert synthesis.slope_table(out)["SDs reported"].tolist() == ["yes", "no"]

"""The animal synthesis without meta-analysis (SWiM): direction coding, the sign test, unweighted lifespan changes and
the ratio of mean survival, on fixture experiments made up for the tests (never published)."""

from __future__ import annotations

import pandas as pd
import pytest

from alsmsc.analyses import preclinical, synthesis

pytestmark = pytest.mark.fixture_data


def experiment(
    study,
    n,
    survival,
    onset="not_measured",
    motor="not_measured",
    mn="not_measured",
    route="intravenous",
    timing="presymptomatic",
    source="bone_marrow",
    change=None,
    stat=None,
    m1=None,
    m2=None,
    sd1=None,
    sd2=None,
    dtype=None,
    n1=None,
    n2=None,
    model="SOD1",
    species="mouse",
    product="cells",
):
    return {
        "study_id": study,
        "experiment": n,
        "species": species,
        "model": f"{model} fixture",
        "model_class": model,
        "msc_source": source,
        "product": product,
        "modification": "none",
        "route": route,
        "timing": timing,
        "n_msc": n1,
        "n_control": n2,
        "onset_direction": onset,
        "survival_direction": survival,
        "motor_direction": motor,
        "mn_count_direction": mn,
        "survival_statistic": stat,
        "survival_msc_days": m1,
        "survival_control_days": m2,
        "survival_dispersion_msc": sd1,
        "survival_dispersion_control": sd2,
        "survival_dispersion_type": dtype,
        "survival_n_msc": n1,
        "survival_n_control": n2,
        "survival_change_percent": change,
        "verified_from": "abstract",
    }


FIXTURE = pd.DataFrame(
    [
        experiment(
            "FixA2001",
            1,
            "favours_msc",
            onset="favours_msc",
            motor="favours_msc",
            change=7.5,
            stat="mean",
            m1=140,
            m2=130,
            sd1=8,
            sd2=9,
            dtype="sd",
            n1=10,
            n2=10,
        ),
        experiment("FixA2001", 2, "no_difference", motor="favours_msc", route="intrathecal", change=1.0),
        experiment(
            "FixB2002",
            1,
            "favours_msc",
            motor="no_difference",
            timing="symptomatic",
            change=12.0,
            stat="mean",
            m1=150,
            m2=128,
            sd1=2,
            sd2=3,
            dtype="se",
            n1=9,
            n2=8,
        ),
        experiment("FixC2003", 1, "favours_control", onset="no_difference", source="adipose", change=-4.0),
        experiment("FixD2004", 1, "favours_msc", source="adipose", route="intravenous;intrathecal", stat="median", m1=160, m2=140, n1=6, n2=6),
        experiment("FixE2005", 1, "not_measured", motor="favours_msc", model="canine_DM", species="dog"),
    ]
).astype(
    {
        "survival_change_percent": "Float64",
        "n_msc": "Int64",
        "n_control": "Int64",
        "survival_n_msc": "Int64",
        "survival_n_control": "Int64",
        "survival_msc_days": "Float64",
        "survival_control_days": "Float64",
        "survival_dispersion_msc": "Float64",
        "survival_dispersion_control": "Float64",
    }
)
STUDIES = pd.DataFrame(
    {
        "study_id": ["FixA2001", "FixB2002", "FixC2003", "FixD2004", "FixE2005"],
        "trial_id": [None] * 5,
        "year": pd.array([2001, 2002, 2003, 2004, 2005], dtype="Int64"),
    }
)


def test_directions_are_counted_per_outcome_with_a_sign_test():
    table = preclinical.direction_summary(FIXTURE).set_index("Outcome")
    survival = table.loc["Survival"]
    assert (survival["Experiments measuring it"], survival["Favour MSC"], survival["No clear difference"], survival["Favour control"]) == (5, 3, 1, 1)
    assert survival["Share favouring MSC"] == "60%"
    # exact two-sided sign test of 3 benefits against 1 harm (the no-difference experiment carries no direction)
    assert survival["Sign test p (MSC vs control directions)"] == "0.62"
    motor = table.loc["Motor function"]
    # the canine experiment (spontaneous disease, FixE2005) is kept apart: 2 benefits and 1 no-difference remain
    assert (motor["Experiments measuring it"], motor["Favour MSC"]) == (3, 2) and motor["Sign test p (MSC vs control directions)"] == "0.5"
    assert table.loc["Motor neuron counts", "Experiments measuring it"] == 0 and table.loc["Motor neuron counts", "Share favouring MSC"] == "—"
    numbers = preclinical.direction_numbers(FIXTURE)
    assert numbers["pre_survival_k"] == 5 and numbers["pre_survival_favour"] == 3 and numbers["pre_survival_share"] == "60%"


def test_counts_keep_other_models_and_negative_experiments_visible():
    c = preclinical.counts(FIXTURE)
    assert c["n_preclinical_experiments"] == 6 and c["n_preclinical_studies"] == 5
    assert c["n_preclinical_sod1"] == 5 and c["n_preclinical_canine"] == 1 and c["n_preclinical_other_models"] == 0
    assert c["n_preclinical_null_or_negative"] == 3  # A#2 (no difference), C (harm on survival, none on onset), B (motor no difference)
    assert c["n_preclinical_with_survival_numbers"] == 3


def test_subgroups_split_multiple_routes_and_count_each_group():
    sub = preclinical.subgroup_directions(FIXTURE)
    routes = sub[sub["Grouped by"] == "Route"].set_index("Group")
    assert routes.loc["intravenous", "Experiments"] == 4 and routes.loc["intrathecal", "Experiments"] == 2
    sources = sub[sub["Grouped by"] == "Cell source"].set_index("Group")
    assert sources.loc["adipose tissue", "Favour control"] == 1


def test_lifespan_changes_are_shown_unweighted_with_their_median():
    assert preclinical.lifespan_numbers(FIXTURE) == {"pre_lifespan_k": 4, "pre_lifespan_median": "4.25%", "pre_lifespan_range": "-4% to 12%"}


def test_ratio_of_means_uses_only_means_with_dispersion_and_n_and_converts_se():
    c = synthesis.animal_survival(FIXTURE, STUDIES)
    assert c.rows["study"].tolist() == ["FixA2001#1", "FixB2002#1"]  # the median-only experiment is left to the unweighted synthesis
    import numpy as np

    sd1, sd2 = 2 * np.sqrt(9), 3 * np.sqrt(8)  # SEs back to SDs
    expected = 150**-2 * sd1**2 / 9 + 128**-2 * sd2**2 / 8
    assert c.rows.iloc[1]["vi"] == pytest.approx(expected)
    pooled = synthesis.pool(c)
    assert pooled.pooled and synthesis.summary_row(pooled)["Pooled"] == f"{np.exp(pooled.result.estimate):.3g}"
    table = synthesis.survival_subgroups(pooled)
    assert set(table["Grouped by"]) == {"Route", "Timing", "Cell source"}
    assert table["Test for subgroup differences"].str.startswith("not done").all()  # one experiment per subgroup: no test


def test_syrcle_profile_counts_studies_per_item_and_only_animal_studies():
    rows = []
    for study, judgements in {
        "FixA2001": ["low"] + ["unclear"] * 9,
        "FixB2002": ["unclear"] * 6 + ["high"] + ["unclear"] * 3,
        "FixC2003": ["unclear"] * 10,
    }.items():
        rows += [{"assessed": study, "tool": "SYRCLE", "domain": f"{i} item {i}", "judgement": j} for i, j in enumerate(judgements, 1)]
    rows.append({"assessed": "trial-x", "tool": "RoB 2", "domain": "1 randomisation", "judgement": "low"})
    rows.append({"assessed": "NotAnimal1999", "tool": "SYRCLE", "domain": "1 item 1", "judgement": "low"})  # not in the experiments
    rob = pd.DataFrame(rows)
    profile = preclinical.syrcle_profile(rob, FIXTURE).set_index("SYRCLE item")
    assert list(profile.index[:2]) == ["1 item 1", "2 item 2"] and profile.index[-1] == "10 item 10"  # numeric, not text, order
    assert tuple(profile.loc["1 item 1", ["Studies", "Low", "Unclear", "High"]]) == (3, 1, 2, 0)
    assert tuple(profile.loc["7 item 7", ["Low", "Unclear", "High"]]) == (0, 2, 1)
    numbers = preclinical.syrcle_numbers(rob, FIXTURE)
    assert numbers == {
        "n_syrcle_studies": 3,
        "n_syrcle_no_low_item": 2,
        "n_syrcle_random_low": 1,
        "n_syrcle_blinded_assessment_low": 0,
        "n_syrcle_high_any": 1,
    }


def test_screening_summary_applies_one_decision_scheme_to_every_animal_record():
    screen = pd.DataFrame(
        {
            "record_id": ["FixA2001", "FixC2003", "Held1", "Held2", "Rev1", "Cells1", "Clin1"],
            "record_type": ["preclinical"] * 6 + ["clinical"],
            "full_text_decision": ["include", "include", "not_retrieved", "not_retrieved", None, None, "include"],
            "exclusion_reason": [None, None, "unverifiable_identity", "other", "no_primary_data", "not_msc", None],
            "notes": [None, None, "abstract only on a never host", "results not on an allowed page", "review", "BMMC", None],
        }
    ).astype("string")
    summary = preclinical.screening_summary(screen)
    assert summary["Decision"].iloc[0] == "Included" and summary["Records"].iloc[0] == 2
    assert summary["Decision"].iloc[1].startswith("Eligible or possibly eligible, held back") and summary["Records"].iloc[1] == 2
    assert set(summary["Decision"].iloc[2:]) == {"Excluded: no primary data", "Excluded: not msc"}
    assert summary["Records"].sum() == 6  # the clinical record is not counted
    assert preclinical.screening_numbers(screen) == {"n_pre_screened": 6, "n_pre_included_records": 2, "n_pre_held_back": 2, "n_pre_excluded": 2}
    held = preclinical.held_back(screen)
    assert list(held["Record"]) == ["Held1", "Held2"] and held["Why it is held back"].iloc[1] == "results not on an allowed page"


def test_animal_survival_says_in_experiments_what_is_missing_when_it_cannot_pool():
    one = FIXTURE[FIXTURE["study_id"] == "FixA2001"]
    c = synthesis.pool(synthesis.animal_survival(one, STUDIES))
    assert not c.pooled
    assert c.reason == "only 1 experiment reports mean survival with its dispersion and group sizes; pooling needs at least 2"
    none = synthesis.pool(synthesis.animal_survival(FIXTURE[FIXTURE["study_id"] == "FixC2003"], STUDIES))
    assert none.reason.startswith("no experiment reports mean survival")


def test_subgroups_are_also_tested_as_a_meta_regression_with_one_tau2():
    """The grouping as a model (metafor's rma(yi, vi, mods = ~ factor(route))) with its omnibus test; a subgroup of one
    experiment still counts in the model. Fixture effect sizes, not evidence."""
    import pandas as pd

    from alsmsc.stats import regression

    rows = pd.DataFrame(
        {
            "study": ["F1#1", "F2#1", "F3#1", "F4#1", "F5#1", "F6#1"],
            "yi": [0.10, 0.25, 0.05, 0.40, 0.32, 0.12],
            "vi": [0.010, 0.020, 0.015, 0.012, 0.030, 0.020],
            "route": ["intravenous", "intravenous", "intrathecal", "intrathecal", "intrathecal", "intramuscular"],
            "timing": ["presymptomatic"] * 6,
            "source": ["bone_marrow"] * 3 + ["adipose"] * 3,
        }
    )
    c = synthesis.Comparison("fixture", "fixture", "ROM", "log ratio", rows)
    table = synthesis.survival_subgroups(c).set_index("Grouped by")
    x, names = regression.moderator_matrix(rows["route"].tolist(), name="route")
    fit = regression.rma_mods(rows["yi"], rows["vi"], x, names=names, method=synthesis.DEFAULT.tau2_method, knha=synthesis.DEFAULT.knha)
    assert fit.qm_df[0] == 2  # three routes, the intramuscular one a single experiment
    route = set(table.loc[["Route"], "Meta-regression (one tau²)"])
    test = "F(2, 3)" if synthesis.DEFAULT.knha else "QM(2)"
    assert route == {f"{test} = {fit.qm:.2f}, p = {synthesis.fmt.p_value(fit.qm_pval)}"}
    assert set(table.loc[["Timing"], "Meta-regression (one tau²)"]) == {synthesis.fmt.MISSING}  # one timing: nothing to test


def test_small_study_effects_are_tested_only_from_ten_studies():
    """Egger's test runs on an analysis with 10 or more studies and is refused with the count below that. Fixture
    effect sizes, not evidence."""
    import numpy as np
    import pandas as pd

    from alsmsc.stats import publication_bias

    rng = np.random.default_rng(7)
    vi = rng.uniform(0.01, 0.1, 12)
    big = pd.DataFrame({"study": [f"F{i}" for i in range(12)], "year": range(2001, 2013), "yi": rng.normal(0.2, np.sqrt(vi)), "vi": vi})
    many = synthesis.pool(synthesis.Comparison("many", "Twelve fixture studies", "MD", "difference", big))
    few = synthesis.pool(synthesis.Comparison("few", "Three fixture studies", "MD", "difference", big.head(3)))
    table, numbers = synthesis.small_study_effects([many, few])
    e = publication_bias.egger_test(big["yi"], big["vi"], method=synthesis.DEFAULT.tau2_method, knha=synthesis.DEFAULT.knha)
    assert table["Egger's regression test"].tolist() == [
        f"{'t' if e.df else 'z'} = {e.stat:.2f}, p = {synthesis.fmt.p_value(e.pval)}",
        "not done: 3 studies, fewer than the 10 the test needs",
    ]
    assert numbers == {"n_small_study_assessed": 1, "small_study_max_k": 12, "egger_min_studies": 10}

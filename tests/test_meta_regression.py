"""alsmsc.stats.regression and alsmsc.stats.publication_bias against R's metafor: meta-regression (rma with mods), Egger's
test (regtest) and funnel-plot data (funnel), from stored reference values made by tests/reference/metafor_regression.R.
Agreement is required to 1e-6 relative (atol 1e-9)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alsmsc.stats import publication_bias, regression
from alsmsc.stats.meta_analysis import MetaError

REF = json.loads((Path(__file__).parent / "reference" / "metafor_regression.json").read_text())
RTOL, ATOL = 1e-6, 1e-9
CASES = [name for name in REF if isinstance(REF[name], dict) and "formula" in REF[name]]
FIELDS = {  # ours: metafor's
    "b": "b",
    "se": "se",
    "zval": "zval",
    "pval": "pval",
    "ci_lb": "ci_lb",
    "ci_ub": "ci_ub",
    "vcov": "vcov",
    "tau2": "tau2",
    "se_tau2": "se_tau2",
    "i2": "i2",
    "h2": "h2",
    "r2": "r2",
    "qe": "QE",
    "qe_pval": "QEp",
    "qm": "QM",
    "qm_pval": "QMp",
    "fitted": "fitted",
    "residuals": "residuals",
}


def close(ours, theirs, what):
    np.testing.assert_allclose(np.ravel(np.asarray(ours, float)), np.ravel(np.asarray(theirs, float)), rtol=RTOL, atol=ATOL, err_msg=what)


def design(name: str):
    """The moderators of each reference case, built as a user of alsmsc would (formula as metafor spelled it)."""
    cols = REF[name]["columns"]
    if name == "bcg_ablat_year":  # ~ ablat + year
        return np.column_stack([cols["ablat"], cols["year"]]), ["ablat", "year"], True
    if name == "bcg_alloc":  # ~ factor(alloc)
        return *regression.moderator_matrix(cols["alloc"], name="factor(alloc)"), True
    if name == "bcg_alloc_noint":  # ~ factor(alloc) - 1
        return *regression.moderator_matrix(cols["alloc"], name="factor(alloc)", all_levels=True), False
    if name == "bcg_ablat_noint":  # ~ ablat - 1
        return np.array(cols["ablat"])[:, None], ["ablat"], False
    if name == "raudenbush_weeks_tester":  # ~ weeks + factor(tester)
        dummies, dummy_names = regression.moderator_matrix(cols["tester"], name="factor(tester)")
        return np.column_stack([cols["weeks"], dummies]), ["weeks", *dummy_names], True
    if name == "raudenbush_weeks_capped":  # ~ weeks_c, weeks capped at 3: tau² at or near 0
        return np.array(cols["weeks_c"])[:, None], ["weeks_c"], True
    raise AssertionError(f"no design for {name}")


def fit(name: str, key: str, **override):
    control, method, test, level = key.split("_")
    X, names, intercept = design(name)
    kw = dict(names=names, intercept=intercept, method=method, knha=test == "knha", level=int(level) / 100, control=control)
    kw.update(override)
    return regression.rma_mods(REF[name]["yi"], REF[name]["vi"], X, **kw)


def test_reference_covers_every_estimator_control_test_and_level():
    assert REF["metafor_version"] == "3.8.1"
    assert set(CASES) == {"bcg_ablat_year", "bcg_alloc", "bcg_alloc_noint", "bcg_ablat_noint", "raudenbush_weeks_tester", "raudenbush_weeks_capped"}
    keys = set(REF["bcg_ablat_year"]["fits"])
    expected = {f"{c}_{m}_{t}_{lv}" for c in regression.CONTROLS for m in regression.METHODS for t in ("z", "knha") for lv in (95, 90)}
    assert keys == expected
    assert all(set(REF[name]["fits"]) == expected for name in CASES)


FITS = [(name, key) for name in CASES for key in REF[name]["fits"]]


@pytest.mark.parametrize("name,key", FITS, ids=[f"{n}-{k}" for n, k in FITS])
def test_rma_mods_matches_metafor(name, key):
    ref = REF[name]["fits"][key]
    result = fit(name, key)
    assert result.names == ref["names"]
    assert (result.k, result.p, result.qe_df) == (ref["k"], ref["p"], ref["QEdf"])
    assert result.qm_df == ref["QMdf"]
    assert result.ddf == ref["ddf"]
    for ours, theirs in FIELDS.items():
        value, expected = getattr(result, ours), ref[theirs]
        if expected is None:  # metafor's NA/NULL: se_tau2 for FE, R² without an intercept
            assert value is None, f"{name} {key} {ours}: metafor gives none, we give {value}"
        else:
            close(value, expected, f"{name} {key} {ours}")


@pytest.mark.parametrize("name,method", [("raudenbush_weeks_tester", "ML"), ("raudenbush_weeks_tester", "PM"), ("bcg_alloc", "PM")])
def test_the_two_controls_differ_as_metafor_does(name, method):
    """metafor's default iterations stop early (up to 0.14% off in tau²); each control matches its own reference."""
    fits = REF[name]["fits"]
    loose, tight = fits[f"metafor_{method}_z_95"]["tau2"], fits[f"exact_{method}_z_95"]["tau2"]
    assert abs(loose - tight) / tight > 1e-5
    close(fit(name, f"metafor_{method}_z_95").tau2, loose, "metafor control")
    close(fit(name, f"exact_{method}_z_95").tau2, tight, "exact control")
    with pytest.raises(AssertionError):
        close(fit(name, f"metafor_{method}_z_95").tau2, tight, "metafor control against exact reference")


def test_tau2_at_the_boundary_follows_metafor():
    """Capped weeks explain all heterogeneity: DL and PM truncate at 0; Fisher scoring (ML, REML, EB) halves its steps
    towards 0 and metafor's default threshold stops it short of 0 (REML 6.6e-7), which control="metafor" repeats."""
    fits = REF["raudenbush_weeks_capped"]["fits"]
    assert fits["metafor_DL_z_95"]["tau2"] == 0 and fits["metafor_PM_z_95"]["tau2"] == 0
    assert 1e-7 < fits["metafor_REML_z_95"]["tau2"] < 1e-5
    assert fit("raudenbush_weeks_capped", "metafor_DL_z_95").tau2 == 0
    close(fit("raudenbush_weeks_capped", "metafor_REML_z_95").tau2, fits["metafor_REML_z_95"]["tau2"], "REML stopped by threshold")
    assert fit("raudenbush_weeks_capped", "exact_REML_z_95").tau2 < 1e-11


def test_result_as_dict_and_coefficient_rows():
    result = fit("bcg_ablat_year", "exact_REML_knha_95")
    d = result.as_dict()
    assert d["names"] == ["intrcpt", "ablat", "year"] and d["method"] == "REML" and d["knha"] is True
    json.dumps(d)  # plain Python values, ready for a report
    rows = result.coefficients()
    assert [r["name"] for r in rows] == ["intrcpt", "ablat", "year"]
    assert rows[1]["b"] == result.b[1] and rows[1]["ci_ub"] == result.ci_ub[1]


def test_a_one_dimensional_moderator_is_one_column():
    ref = REF["bcg_ablat_noint"]["fits"]["exact_REML_z_95"]
    d = REF["bcg_ablat_noint"]
    result = regression.rma_mods(d["yi"], d["vi"], d["columns"]["ablat"], names=["ablat"], intercept=False)
    close(result.b, ref["b"], "1-D moderator")
    assert result.names == ["ablat"]


# --------------------------------------------------------------------------- moderator_matrix


def test_moderator_matrix_codes_levels_as_r_factor():
    X, names = regression.moderator_matrix(["random", "alternate", "systematic", "random"], name="factor(alloc)")
    assert names == ["factor(alloc)random", "factor(alloc)systematic"]  # reference: first sorted level, "alternate"
    assert X.tolist() == [[1, 0], [0, 0], [0, 1], [1, 0]]
    X, names = regression.moderator_matrix(["iv", "ip", "iv"], reference="iv", name="route")
    assert names == ["routeip"] and X.tolist() == [[0], [1], [0]]
    X, names = regression.moderator_matrix([2.0, 10.0, 2.0, 0.5])
    assert names == ["2", "10"]  # numeric levels sort numerically and print as R prints them
    X, names = regression.moderator_matrix([True, False], name="blind", all_levels=True)
    assert names == ["blindFALSE", "blindTRUE"] and X.tolist() == [[0, 1], [1, 0]]


def test_moderator_matrix_takes_the_name_of_a_named_column():
    class Column(list):
        name = "timing"

    assert regression.moderator_matrix(Column(["early", "late"]))[1] == ["timinglate"]


@pytest.mark.parametrize(
    "column,kwargs,message",
    [
        (["a", "a", "a"], {}, "single level"),
        (["a", None, "b"], {}, "missing in study/studies 2"),
        ([1.0, float("nan"), 2.0], {}, "missing in study/studies 2"),
        (["a", "b"], {"reference": "c"}, "reference level 'c' is not a level"),
    ],
)
def test_moderator_matrix_refuses_bad_columns(column, kwargs, message):
    with pytest.raises(MetaError, match=message):
        regression.moderator_matrix(column, **kwargs)


# --------------------------------------------------------------------------- bad input

BCG = REF["bcg_ablat_year"]
ABLAT = np.array(BCG["columns"]["ablat"], float)


@pytest.mark.parametrize(
    "X,kwargs,message",
    [
        (ABLAT, {"method": "XX"}, "unknown method 'XX'; allowed: FE, DL, HE, SJ, ML, REML, EB, PM"),
        (ABLAT, {"control": "fast"}, "unknown control 'fast'; allowed: exact, metafor"),
        (ABLAT, {"level": 95}, "level must be a confidence level between 0 and 1"),
        (np.column_stack([ABLAT, 2 * ABLAT]), {"names": ["ablat", "twice"]}, "moderator twice is a linear combination"),
        (np.ones((13, 1)), {}, "moderator X1 is a linear combination"),
        (np.ones((13, 1)), {"intercept": False}, "all ones; use intercept=True"),
        (np.column_stack([ABLAT] + [ABLAT**j / 10**j for j in range(2, 14)]), {}, "14 coefficients but only 13 studies"),
        (np.where(np.arange(13) == 4, np.nan, ABLAT), {}, "missing or not a finite number in study/studies 5"),
        (ABLAT[:12], {}, "one row per study \\(13 rows\\)"),
        (np.empty((13, 0)), {}, "needs at least one moderator"),
        (ABLAT, {"names": ["a", "b"]}, "names has 2 entries but there are 1 moderator columns"),
        (np.column_stack([ABLAT, ABLAT**2]), {"names": ["x", "x"]}, "names must be unique"),
        (np.array([["a"]] * 13), {}, "moderators must be numbers"),
    ],
)
def test_rma_mods_refuses_bad_input(X, kwargs, message):
    with pytest.raises(MetaError, match=message):
        regression.rma_mods(BCG["yi"], BCG["vi"], X, **kwargs)


def test_rma_mods_refuses_bad_effect_sizes():
    with pytest.raises(MetaError, match="sampling variances vi must be positive"):
        regression.rma_mods(BCG["yi"], [0.0] + BCG["vi"][1:], ABLAT)
    with pytest.raises(MetaError, match="yi has 13 values but vi has 12"):
        regression.rma_mods(BCG["yi"], BCG["vi"][1:], ABLAT)


def test_paule_mandel_refuses_tau2_beyond_metafors_bracket():
    # fixture data (made up): two extreme outliers among identical studies; metafor stops with "Value of 'tau2.max'
    # too low" for rma(yi, vi, mods = ~ x, method = "PM")
    yi = [0, 0, 0, 0, 0, 0, 1e4, -1e4, 0, 0]
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    with pytest.raises(MetaError, match="too heterogeneous"):
        regression.rma_mods(yi, [0.1] * 10, x, method="PM")


# --------------------------------------------------------------------------- Egger's test

EGGER = [(name, key) for name in ("egger_hackshaw", "egger_bcg") for key in REF[name]["fits"]]


@pytest.mark.parametrize("name,key", EGGER, ids=[f"{n}-{k}" for n, k in EGGER])
def test_egger_test_matches_metafor_regtest(name, key):
    control, method, test = key.split("_")
    d, ref = REF[name], REF[name]["fits"][key]
    result = publication_bias.egger_test(d["yi"], d["vi"], method=method, knha=test == "knha", control=control)
    assert result.k == len(d["yi"])
    assert result.df == ref["ddf"]
    for ours, theirs in [
        ("stat", "zval"),
        ("pval", "pval"),
        ("slope", "slope"),
        ("limit_estimate", "est"),
        ("limit_ci_lb", "ci_lb"),
        ("limit_ci_ub", "ci_ub"),
        ("tau2", "tau2"),
    ]:
        close(getattr(result, ours), ref[theirs], f"{name} {key} {ours}")
    close(result.stat, result.slope / result.slope_se, "stat is slope / se")


def test_egger_test_refuses_fewer_than_ten_studies():
    d = REF["egger_bcg"]
    with pytest.raises(MetaError, match=r"at least 10 studies; got 9\. .*too little power.*Sterne et al\. 2011, BMJ 343:d4002.*13\.3\.5\.4"):
        publication_bias.egger_test(d["yi"][:9], d["vi"][:9])
    assert publication_bias.egger_test(d["yi"][:10], d["vi"][:10]).k == 10


def test_egger_test_refuses_equal_standard_errors_and_bad_options():
    d = REF["egger_bcg"]
    with pytest.raises(MetaError, match="sei is a linear combination"):
        publication_bias.egger_test(d["yi"], [0.1] * len(d["yi"]))
    with pytest.raises(MetaError, match="unknown method"):
        publication_bias.egger_test(d["yi"], d["vi"], method="MH")


# --------------------------------------------------------------------------- funnel plot


@pytest.mark.parametrize("name,level", [(n, lv) for n in ("egger_hackshaw", "egger_bcg") for lv in (95, 90)])
def test_funnel_data_matches_metafor_funnel(name, level):
    d, ref = REF[name], REF[name][f"funnel_{level}"]
    result = publication_bias.funnel_data(d["yi"], d["vi"], ref["estimate"], level=level / 100)
    close(result.yi, ref["x"], "points: effect sizes")
    close(result.sei, ref["y"], "points: standard errors")
    # metafor draws the region from the bottom of the axis (1.1 x the largest standard error) up to 0
    close(result.region_sei, ref["region_sei"][::-1], "region: standard errors")
    close(result.region_lb, ref["region_lb"][::-1], "region: lower edge")
    close(result.region_ub, ref["region_ub"][::-1], "region: upper edge")
    close(result.sei_max, max(ref["region_sei"]), "axis limit")
    assert result.as_dict()["k"] == len(d["yi"])


def test_funnel_data_refuses_fewer_than_ten_studies_and_bad_options():
    d = REF["egger_bcg"]
    with pytest.raises(MetaError, match="A funnel plot needs at least 10 studies; got 5"):
        publication_bias.funnel_data(d["yi"][:5], d["vi"][:5], -0.7)
    with pytest.raises(MetaError, match="level must be a confidence level between 0 and 1"):
        publication_bias.funnel_data(d["yi"], d["vi"], -0.7, level=1.5)
    with pytest.raises(MetaError, match="estimate must be a finite number"):
        publication_bias.funnel_data(d["yi"], d["vi"], float("nan"))

"""alsmsc.stats.heterogeneity (Q-profile intervals for tau², tau, I², H²) and alsmsc.stats.influence (case-deletion
diagnostics) against R's metafor: stored values made by tests/reference/metafor_heterogeneity.R. Agreement is
required to 1e-6 relative (atol 1e-9)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from alsmsc.stats import heterogeneity, influence, meta_analysis, roots
from alsmsc.stats.meta_analysis import MetaError

REF = json.loads((Path(__file__).parent / "reference" / "metafor_heterogeneity.json").read_text())
RTOL, ATOL = 1e-6, 1e-9
DATASETS = [name for name in REF if isinstance(REF[name], dict)]
CI_CASES = [(name, key) for name in DATASETS for key in REF[name]["ci"] if "tol" not in key]
INF_CASES = [(name, key) for name in DATASETS for key in REF[name].get("influence", {})]


def close(ours, theirs, what):
    theirs = np.array([np.nan if t is None else t for t in np.atleast_1d(theirs)], float)
    np.testing.assert_allclose(np.atleast_1d(np.asarray(ours, float)), theirs, rtol=RTOL, atol=ATOL, err_msg=what)


def data(name):
    return REF[name]["yi"], REF[name]["vi"]


def test_reference_covers_the_cases_the_brief_names():
    # every branch of confint's bracketing appears in the stored values, so the comparisons below exercise each
    cis = [ci for name in DATASETS for ci in REF[name]["ci"].values()]
    assert any(ci["ci_null"] for ci in cis)
    assert any(ci["ub_sign"] == ">" for ci in cis)
    assert any(ci["tau2"][1] == 0 and not ci["ci_null"] for ci in cis)
    assert any(ci["tau2"][1] > 0 for ci in cis)
    assert any(any(v["is_infl"]) for name in DATASETS for v in REF[name].get("influence", {}).values())


@pytest.mark.parametrize("control", ["metafor", "exact"])
@pytest.mark.parametrize("name,key", CI_CASES)
def test_tau2_ci_matches_metafor_confint(name, key, control):
    method, level = key.split("_")
    ref = REF[name]["ci"][key]
    res = heterogeneity.tau2_ci(*data(name), method=method, level=int(level) / 100, control=control)
    if control == "metafor":  # metafor's default stopping rule: the estimate column is metafor's own
        est = {f: ref[f][0] for f in ("tau2", "tau", "i2", "h2")}
    else:  # converged estimators: compared with rma(..., control=list(threshold=1e-12, tol=1e-12))
        est = {"tau2": ref["tau2_exact"], "tau": math.sqrt(ref["tau2_exact"]), "i2": ref["i2_exact"], "h2": ref["h2_exact"]}
    for f in ("tau2", "tau", "i2", "h2"):
        iv = getattr(res, f)
        close([iv.estimate, iv.ci_lb, iv.ci_ub], [est[f], *ref[f][1:]], f"{name} {key} {control} {f}")
    assert (res.lb_sign, res.ub_sign, res.ci_null) == (ref["lb_sign"], ref["ub_sign"], ref["ci_null"])
    assert res.method == method and res.level == int(level) / 100 and res.k == len(REF[name]["yi"])


@pytest.mark.parametrize("name", DATASETS)
def test_uniroot_is_r_zeroin_step_for_step(name):
    """Both the default tolerance (eps^0.25, where metafor stops about 1e-5 from the root) and a tight one
    (confint's control=list(tol=1e-10)) give metafor's numbers: the port follows R's iterates, not just the root."""
    ref_default, ref_tight = REF[name]["ci"]["REML_95"], REF[name]["ci"]["REML_95_tol1e-10"]
    default = heterogeneity.tau2_ci(*data(name), method="REML")
    tight = heterogeneity.tau2_ci(*data(name), method="REML", tol=1e-10)
    close([default.tau2.ci_lb, default.tau2.ci_ub], ref_default["tau2"][1:], f"{name} default tol")
    close([tight.tau2.ci_lb, tight.tau2.ci_ub], ref_tight["tau2"][1:], f"{name} tol 1e-10")
    close(tight.i2.ci_ub, ref_tight["i2"][2], f"{name} tol 1e-10 I² upper")


def test_stopping_rule_matters_where_a_bound_is_searched():
    # on dat.bcg the eps^0.25 stopping point is ~1e-5 from the root: a root finder that only met the tolerance
    # (or converged fully) would miss metafor's printed bounds at the 1e-6 level
    ref_default, ref_tight = REF["bcg_RR"]["ci"]["REML_95"]["tau2"], REF["bcg_RR"]["ci"]["REML_95_tol1e-10"]["tau2"]
    assert abs(ref_default[1] - ref_tight[1]) > 1e-6 * ref_tight[1]
    assert abs(ref_default[2] - ref_tight[2]) > 1e-6 * ref_tight[2]


def test_null_set_interval_and_message():
    res = heterogeneity.tau2_ci(*data("yusuf6_OR"), method="DL")
    assert res.ci_null and (res.lb_sign, res.ub_sign) == ("<", "<")
    assert (res.tau2.ci_lb, res.tau2.ci_ub, res.i2.ci_ub, res.h2.ci_ub) == (0.0, 0.0, 0.0, 1.0)
    assert res.messages == ["The upper and lower CI bounds for tau^2 both fall below 0. The CIs are therefore equal to the null/empty set."]


def test_upper_bound_beyond_search_interval_is_marked():
    res = heterogeneity.tau2_ci(*data("bcg_first2_RR"), method="REML")
    assert res.ub_sign == ">" and res.tau2.ci_ub == res.tau2_max == 100.0 and res.tau.ci_ub == 10.0
    assert res.lb_sign == "" and res.tau2.ci_lb == 0.0 and not res.ci_null and res.messages == []


def test_search_interval_follows_the_estimate():
    res = heterogeneity.tau2_ci(*data("bcg_RR"), method="DL")
    assert (res.tau2_min, res.tau2_max) == (0.0, 100.0)
    y, v = np.array(REF["bcg_RR"]["yi"]) * 10, np.array(REF["bcg_RR"]["vi"])  # tau² ~ 30: the bracket is 10 tau²
    wide = heterogeneity.tau2_ci(y, v, method="DL")
    assert wide.tau2_max == pytest.approx(10 * wide.tau2.estimate) and wide.tau2_max > 100
    assert wide.tau2.ci_lb < wide.tau2.estimate < wide.tau2.ci_ub < wide.tau2_max


def test_as_dict():
    d = heterogeneity.tau2_ci(*data("normand_SMD"), method="PM", level=0.9).as_dict()
    assert set(d["tau2"]) == {"estimate", "ci_lb", "ci_ub"}
    close(d["h2"]["ci_lb"], REF["normand_SMD"]["ci"]["PM_90"]["h2"][1], "as_dict h2 lower")
    assert d["method"] == "PM" and d["level"] == 0.9


def test_uniroot_matches_known_root_and_rejects_no_sign_change():
    root, converged = roots.uniroot(lambda x: x**3 - 2, 0.0, 3.0, tol=1e-12)
    assert converged and root == pytest.approx(2 ** (1 / 3), abs=1e-11)
    with pytest.raises(MetaError, match="same sign at both ends"):
        roots.uniroot(lambda x: x**2 + 1, -1.0, 1.0)


@pytest.mark.parametrize(
    "kwargs,message",
    [
        (dict(method="FE"), "common-effect model with no tau²"),
        (dict(level=95), "level must be a confidence level between 0 and 1"),
        (dict(level=0.0), "level must be a confidence level between 0 and 1"),
        (dict(level=1.0), "level must be a confidence level between 0 and 1"),
        (dict(method="XYZ"), "unknown method 'XYZ'; allowed"),
        (dict(control="fast"), "unknown control 'fast'; allowed: exact, metafor"),
        (dict(tol=0.0), "uniroot needs tol > 0"),
        (dict(maxiter=0), "whole number maxiter >= 1"),
    ],
)
def test_tau2_ci_bad_options(kwargs, message):
    with pytest.raises(MetaError, match=message):
        heterogeneity.tau2_ci(*data("bcg_RR"), **kwargs)


@pytest.mark.parametrize(
    "yi,vi,message",
    [
        ([0.1], [0.1], "at least 2 studies"),
        ([0.1, 0.2], [0.1], "give one variance per effect size"),
        ([0.1, 0.2, 0.3], [0.1, 0.0, 0.2], "must be positive"),
        ([0.1, float("nan")], [0.1, 0.1], "not a finite number in study/studies 2"),
    ],
)
def test_tau2_ci_bad_data(yi, vi, message):
    with pytest.raises(MetaError, match=message):
        heterogeneity.tau2_ci(yi, vi)


# --------------------------------------------------------------------------- influence


@pytest.mark.parametrize("name,key", INF_CASES)
def test_influence_matches_metafor(name, key):
    method, test, *exact = key.split("_")
    ref = REF[name]["influence"][key]
    res = influence.influence(*data(name), method=method, knha=test == "knha", control="exact" if exact else "metafor")
    for col in influence.COLUMNS:
        close(getattr(res, col), ref[col], f"{name} {key} {col}")
    assert res.inf == ref["is_infl"]
    assert ["*" if x else "" for x in res.inf] == ref["inf"]
    assert res.k == len(ref["hat"]) and res.method == method and res.knha == (test == "knha") and res.messages == []


def test_influence_flags_and_rows():
    res = influence.influence(*data("normand_SMD"), method="REML", labels=[f"trial {i}" for i in range(1, 10)], control="metafor")
    flagged = [row["label"] for row in res.rows() if row["inf"]]
    assert flagged == ["trial 3"]  # metafor marks study 3 ("*"): |DFFITS| and |DFBETAS| > 1
    row, ref = res.rows()[2], REF["normand_SMD"]["influence"]["REML_z"]
    close([row["rstudent"], row["cook_d"], row["cov_r"]], [ref[c][2] for c in ("rstudent", "cook_d", "cov_r")], "row of study 3")
    assert set(res.as_dict()) >= {"rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "dfbetas", "inf", "labels"}


def test_influence_failed_refit_gives_nan_row_and_message(monkeypatch):
    y, v = data("bcg_RR")
    real = meta_analysis.rma

    def failing(yi, vi, **kw):  # the fit without study 4 fails, as metafor's try() would catch
        if len(yi) == len(y) - 1 and y[3] not in list(yi):
            raise MetaError("did not converge")
        return real(yi, vi, **kw)

    monkeypatch.setattr(meta_analysis, "rma", failing)
    res = influence.influence(y, v, method="REML", control="metafor")
    ref = REF["bcg_RR"]["influence"]["REML_z"]
    assert all(math.isnan(getattr(res, c)[3]) for c in ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "dfbetas"))
    close(res.hat, ref["hat"], "hat is from the full fit")
    close(res.cook_d[:3], ref["cook_d"][:3], "other rows unaffected")
    assert res.messages == ["4: the fit without this study failed (did not converge); its diagnostics are missing"]


@pytest.mark.parametrize(
    "yi,vi,kwargs,message",
    [
        ([0.1, 0.2], [0.1, 0.1], {}, "at least 3 studies"),
        ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], dict(labels=["a", "b"]), "labels has 2 entries but there are 3 studies"),
        ([0.1, 0.2, 0.3], [0.1, -0.1, 0.1], {}, "must be positive"),
        ([0.1, 0.2, 0.3], [0.1, 0.1, 0.1], dict(method="nope"), "unknown method 'NOPE'; allowed"),
    ],
)
def test_influence_bad_input(yi, vi, kwargs, message):
    with pytest.raises(MetaError, match=message):
        influence.influence(yi, vi, **kwargs)

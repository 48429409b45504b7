"""alsmsc.meta against R's metafor: stored reference values (tests/reference/, made by metafor_reference.R) and, where
R with metafor is installed, a live cross-check. Agreement is required to 1e-6 relative."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from alsmsc.stats import meta_analysis

REF_DIR = Path(__file__).parent / "reference"
REF = json.loads((REF_DIR / "metafor_reference.json").read_text())
RTOL, ATOL = 1e-6, 1e-9
FIELDS = ["estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2", "q", "q_pval"]
DATASETS = [k for k in REF if isinstance(REF[k], dict) and "fits" in REF[k]]


def close(ours, theirs, what):
    np.testing.assert_allclose(np.asarray(ours, float), np.asarray(theirs, float), rtol=RTOL, atol=ATOL, err_msg=what)


def effect_sizes(name: str) -> meta_analysis.EffectSizes:
    d, measure = REF[name], name.split("_")[-1]
    cols = {
        "MD": ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
        "SMD": ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
        "ROM": ["m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"],
        "RR": ["ai", "bi", "ci", "di"],
        "OR": ["ai", "bi", "ci", "di"],
        "RD": ["ai", "bi", "ci", "di"],
        "PLO": ["xi", "ni"],
    }[measure]
    return meta_analysis.escalc(measure, **{c: d[c] for c in cols})


@pytest.mark.parametrize("name", DATASETS + ["zero_cells_RR", "zero_cells_OR", "zero_cells_RD"])  # zero_cells_PLO has fits
def test_escalc_matches_metafor(name):
    es = effect_sizes(name)
    ref_y = np.array([np.nan if v is None else v for v in REF[name]["yi"]], float)
    ref_v = np.array([np.nan if v is None else v for v in REF[name]["vi"]], float)
    kept = ~np.isnan(ref_y)  # metafor keeps dropped studies as NA; we drop them
    assert list(es.kept) == list(kept)
    close(es.yi, ref_y[kept], f"{name} yi")
    close(es.vi, ref_v[kept], f"{name} vi")


def test_double_zero_studies_are_dropped_with_a_message():
    es = effect_sizes("zero_cells_RR")
    assert es.kept.tolist() == [True, True, False, True, True]
    assert es.messages == ["study 3 dropped: no events in both arms, so it carries no information on the RR"]


FITS = [(name, key) for name in DATASETS for key in REF[name]["fits"]]


@pytest.mark.parametrize("name,key", FITS, ids=[f"{n}-{k}" for n, k in FITS])
def test_rma_matches_metafor(name, key):
    d = REF[name]
    method, test = key.split("_")
    result = meta_analysis.rma(d["yi"], d["vi"], method=method, knha=(test == "knha"))
    ref = d["fits"][key]
    for field in FIELDS:
        close(getattr(result, field), ref[field], f"{name} {key} {field}")
    close(result.weights, ref["weights"], f"{name} {key} weights")


@pytest.mark.parametrize("name,method", [(n, m) for n in ("bcg_RR", "bcg_OR", "bcg_RD") for m in ("REML", "DL")])
def test_leave_one_out_and_cumulative_match_metafor(name, method):
    d, ref = REF[name], REF[name][f"{method}_l1o_cumul"]
    loo = meta_analysis.leave_one_out(d["yi"], d["vi"], method)
    for field in ("estimate", "tau2", "ci_lb", "ci_ub"):
        close([r[field] for r in loo], ref[f"loo_{field}"], f"{name} leave-one-out {field}")
    cum = meta_analysis.cumulative(d["yi"], d["vi"], d["year"], method)
    for field in ("estimate", "tau2", "ci_lb", "ci_ub"):
        close([r[field] for r in cum], ref[f"cumul_{field}"], f"{name} cumulative {field}")


@pytest.mark.parametrize("name", ["bcg_RR", "bcg_OR", "bcg_RD"])
def test_knapp_hartung_leave_one_out_and_cumulative_match_metafor_from_k_1(name):
    """Cumulative results start at the first study alone, as metafor's cumul() does; at k = 1 Knapp-Hartung has no
    degrees of freedom and metafor gives the normal-theory interval."""
    d, ref = REF[name], REF[name]["REML_knha_l1o_cumul"]
    loo = meta_analysis.leave_one_out(d["yi"], d["vi"], "REML", True)
    for field in ("estimate", "tau2", "ci_lb", "ci_ub"):
        close([r[field] for r in loo], ref[f"loo_{field}"], f"{name} leave-one-out (Knapp-Hartung) {field}")
    cum = meta_analysis.cumulative(d["yi"], d["vi"], d["year"], "REML", True)
    assert cum[0]["k"] == 1 and len(cum) == len(d["yi"])
    for field in ("estimate", "tau2", "ci_lb", "ci_ub"):
        close([r[field] for r in cum], ref[f"cumul_{field}"], f"{name} cumulative (Knapp-Hartung) {field}")


def test_subgroups_match_metafor():
    d, ref = REF["bcg_RR"], REF["bcg_RR_subgroups_REML"]
    res = meta_analysis.subgroups(d["yi"], d["vi"], d["alloc"], "REML")
    assert list(res.groups) == ref["groups"]
    close([r.estimate for r in res.groups.values()], ref["estimate"], "subgroup estimates")
    close([r.se for r in res.groups.values()], ref["se"], "subgroup se")
    close([r.tau2 for r in res.groups.values()], ref["tau2"], "subgroup tau2")
    close(res.q_between, ref["q_between"], "Q between")
    close(res.p_between, ref["p_between"], "p between")


@pytest.mark.parametrize(
    "yi,vi,message",
    [
        ([0.1], [0.1], "at least 2 studies"),
        ([0.1, 0.2], [0.1, 0.0], "must be positive"),
        ([0.1, 0.2], [0.1, -1], "must be positive"),
        ([0.1, float("nan")], [0.1, 0.1], "not a finite number in study/studies 2"),
        ([0.1, 0.2, 0.3], [0.1, 0.1], "yi has 3 values but vi has 2"),
    ],
)
def test_bad_input_gets_a_clear_error(yi, vi, message):
    with pytest.raises(meta_analysis.MetaError, match=message):
        meta_analysis.rma(yi, vi)


def test_unknown_method_and_measure():
    with pytest.raises(meta_analysis.MetaError, match="allowed: FE, DL, REML, PM"):
        meta_analysis.rma([0.1, 0.2], [0.1, 0.1], method="EB")
    with pytest.raises(meta_analysis.MetaError, match="allowed: MD, SMD"):
        meta_analysis.escalc("HR", ai=[1], bi=[1], ci=[1], di=[1])


def test_dl_tau2_is_truncated_at_zero_and_i2_is_not_negative():
    # Homogeneous fixture data: Q < k - 1, where an untruncated estimator would give negative tau² and I².
    r = meta_analysis.rma([0.10, 0.11, 0.09, 0.10], [0.05, 0.06, 0.05, 0.04], method="DL")
    assert r.tau2 == 0.0 and r.i2 == 0.0


# --------------------------------------------------------------------------- live cross-check with R


def r_available() -> bool:
    if not shutil.which("Rscript"):
        return False
    return subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True).returncode == 0


@pytest.mark.slow
def test_live_metafor_cross_check(tmp_path):
    """Runs metafor now (installed by `make test`) on fresh random data and compares every method."""
    if not r_available():
        pytest.fail(
            "Rscript with metafor is needed for the live cross-check: `sudo apt-get install -y r-cran-metafor` (make test installs it when it can)"
        )
    rng = np.random.default_rng(20261124)
    k = 25
    vi = rng.uniform(0.01, 0.3, k)
    yi = rng.normal(0.3, np.sqrt(vi + 0.05))  # fixture data
    np.savetxt(tmp_path / "d.csv", np.column_stack([yi, vi]), delimiter=",", header="yi,vi", comments="", fmt="%.17g")
    script = f"""
suppressPackageStartupMessages(library(metafor)); d <- read.csv("{tmp_path / "d.csv"}")
for (m in c("FE","DL","REML","PM")) for (t in c("z","knha")) {{ if (m=="FE" && t=="knha") next
  r <- rma(d$yi, d$vi, method=m, test=t); p <- predict(r)
  pl <- if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb; pu <- if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub
  cat(m, t, sprintf("%.17g", c(r$b[1], r$se, r$ci.lb, r$ci.ub, pl, pu, r$tau2, r$I2, r$H2, r$QE)), "\\n") }}
"""
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout
    lines = [line.split() for line in out.strip().splitlines()]
    assert len(lines) == 7
    for m, t, *values in lines:
        r = meta_analysis.rma(yi, vi, method=m, knha=(t == "knha"))
        ours = [r.estimate, r.se, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub, r.tau2, r.i2, r.h2, r.q]
        close(ours, [float(v) for v in values], f"live {m} {t}")


GLMM_CASES = {  # fixture data: zero-event trials, heterogeneity, the tau = 0 boundary, all-zero but one
    "zeros_boundary": ([0, 1, 2, 0, 3], [10, 20, 15, 8, 40]),
    "heterogeneous": ([1, 10, 2, 15, 3], [20, 25, 30, 40, 50]),
    "mostly_zero": ([0, 0, 1], [10, 12, 30]),
    "mixed": ([0, 4, 1, 7, 0, 2], [15, 19, 43, 30, 8, 64]),
}


def test_glmm_proportions_match_metafor_rma_glmm():
    """The logistic-normal model against metafor's rma.glmm(measure="PLO") (lme4, nAGQ = 7), run live."""
    if not r_available() or subprocess.run(["Rscript", "-e", "library(lme4)"], capture_output=True).returncode != 0:
        pytest.fail("Rscript with metafor and lme4 is needed: `sudo apt-get install -y r-cran-metafor r-cran-lme4` (make test installs them)")
    script = "suppressPackageStartupMessages(library(metafor))\n" + "".join(
        f"r <- rma.glmm(measure='PLO', xi=c({','.join(map(str, x))}), ni=c({','.join(map(str, n))})); p <- predict(r); "
        f"cat('{name}', sprintf('%.10g', c(r$b[1], r$se, r$tau2, p$pi.lb, p$pi.ub)), '\\n')\n"
        for name, (x, n) in GLMM_CASES.items()
    )
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out.strip().splitlines()}
    assert set(rows) == set(GLMM_CASES)
    for name, (x, n) in GLMM_CASES.items():
        r = meta_analysis.rma_glmm_plo(x, n)
        # glmer stops its optimiser at about 1e-6 relative; agreement to 1e-4 is the meaningful bound here
        np.testing.assert_allclose([r.estimate, r.se, r.tau2, r.pi_lb, r.pi_ub], rows[name], rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("x,n,message", [([1], [10], "at least 2"), ([1, 11], [10, 10], "0 <= events <= total"), ([1, 2], [10], "same length")])
def test_glmm_bad_input_gets_a_clear_error(x, n, message):
    with pytest.raises(meta_analysis.MetaError, match=message):
        meta_analysis.rma_glmm_plo(x, n)

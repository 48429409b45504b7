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
        **{m: ["xi", "ni"] for m in ("PR", "PLO", "PAS", "PFT")},
    }[measure]
    return meta_analysis.escalc(measure, **{c: d[c] for c in cols})


def _nan(values) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], float)


ESCALC = [(name, False) for name in DATASETS] + [(name, True) for name in DATASETS if "yi_drop00" in REF[name]]


@pytest.mark.parametrize("name,drop00", ESCALC)
def test_escalc_matches_metafor(name, drop00):
    measure = name.split("_")[-1]
    cols = {c: REF[name][c] for c in ("m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "bi", "ci", "di", "xi", "ni") if c in REF[name]}
    es = meta_analysis.escalc(measure, drop00=drop00, **cols)
    suffix = "_drop00" if drop00 else ""
    ref_y, ref_v = _nan(REF[name]["yi" + suffix]), _nan(REF[name]["vi" + suffix])
    kept = ~np.isnan(ref_y)  # metafor keeps dropped studies as NA; we drop them
    assert list(es.kept) == list(kept)
    close(es.yi, ref_y[kept], f"{name} yi")
    close(es.vi, ref_v[kept], f"{name} vi")


def test_double_zero_studies_are_kept_by_default_and_dropped_on_request():
    cols = {c: REF["zero_cells_RR"][c] for c in ("ai", "bi", "ci", "di")}
    kept = meta_analysis.escalc("RR", **cols)
    assert kept.kept.all() and kept.yi[2] == 0.0
    assert kept.messages == ["study 3: no events in both arms; kept with 1/2 added to each cell, as metafor does (drop00=True drops it)"]
    dropped = meta_analysis.escalc("RR", drop00=True, **cols)
    assert dropped.kept.tolist() == [True, True, False, True, True]
    assert dropped.messages == ["study 3 dropped: no events in both arms, so it carries no information on the RR"]


FITS = [(name, key, group) for name in DATASETS for group in ("fits", "fits_metafor", "fits_level90") for key in REF[name].get(group, {})]


@pytest.mark.parametrize("name,key,group", FITS, ids=[f"{n}-{k}-{g}" for n, k, g in FITS])
def test_rma_matches_metafor(name, key, group):
    """Every estimator, with and without Knapp-Hartung: exact by default (metafor run to convergence), metafor's own
    default iterations with control="metafor", and a 90% level."""
    d = REF[name]
    method, test = key.split("_")
    control = "metafor" if group == "fits_metafor" else "exact"
    level = 0.90 if group == "fits_level90" else 0.95
    result = meta_analysis.rma(d["yi"], d["vi"], method=method, knha=(test == "knha"), level=level, control=control)
    ref = d[group][key]
    for field in FIELDS:
        close(getattr(result, field), ref[field], f"{name} {key} {group} {field}")
    close(result.weights, ref["weights"], f"{name} {key} {group} weights")


def test_exact_convergence_differs_from_metafor_defaults_where_they_stop_early():
    """The reason for control="exact": on dat.bcg risk differences metafor's default Paule-Mandel stops about 2% from
    the optimum; exact and default results must both be reproduced, and they must differ."""
    d = REF["bcg_RD"]
    exact = meta_analysis.rma(d["yi"], d["vi"], method="PM")
    default = meta_analysis.rma(d["yi"], d["vi"], method="PM", control="metafor")
    assert abs(default.tau2 / exact.tau2 - 1) > 0.01
    close(exact.tau2, d["fits"]["PM_z"]["tau2"], "exact PM")
    close(default.tau2, d["fits_metafor"]["PM_z"]["tau2"], "metafor-default PM")


LOO_FIELDS = ("estimate", "se", "stat", "pval", "tau2", "ci_lb", "ci_ub", "q", "q_pval", "i2", "h2")
CUMUL_FIELDS = ("estimate", "se", "stat", "pval", "tau2", "ci_lb", "ci_ub", "i2", "h2")
L1O = [("REML", False, 0.95, "exact", "REML_l1o_cumul"), ("DL", False, 0.95, "exact", "DL_l1o_cumul"),
       ("PM", True, 0.90, "exact", "PM_knha_level90_l1o_cumul"), ("REML", False, 0.95, "metafor", "REML_metafor_l1o_cumul")]  # fmt: skip


@pytest.mark.parametrize("name", ["bcg_RR", "bcg_OR", "bcg_RD"])
@pytest.mark.parametrize("method,knha,level,control,key", L1O, ids=[c[-1] for c in L1O])
def test_leave_one_out_and_cumulative_match_metafor(name, method, knha, level, control, key):
    """Every column of metafor's leave1out() and cumul(), including z or t, p and H²."""
    d, ref = REF[name], REF[name][key]
    loo = meta_analysis.leave_one_out(d["yi"], d["vi"], method, knha, level=level, control=control)
    for field in LOO_FIELDS:
        close([r[field] for r in loo], ref[f"loo_{field}"], f"{name} leave-one-out {field}")
    cum = meta_analysis.cumulative(d["yi"], d["vi"], d["year"], method, knha, level=level, control=control)
    for field in CUMUL_FIELDS:
        close([r[field] for r in cum], ref[f"cumul_{field}"], f"{name} cumulative {field}")


@pytest.mark.parametrize("name", ["bcg_RR", "bcg_OR", "bcg_RD"])
def test_knapp_hartung_leave_one_out_and_cumulative_match_metafor_from_k_1(name):
    """Cumulative results start at the first study alone, as metafor's cumul() does; at k = 1 Knapp-Hartung has no
    degrees of freedom and metafor gives the normal-theory interval."""
    d, ref = REF[name], REF[name]["REML_knha_l1o_cumul"]
    loo = meta_analysis.leave_one_out(d["yi"], d["vi"], "REML", True)
    for field in LOO_FIELDS:
        close([r[field] for r in loo], ref[f"loo_{field}"], f"{name} leave-one-out (Knapp-Hartung) {field}")
    cum = meta_analysis.cumulative(d["yi"], d["vi"], d["year"], "REML", True)
    assert cum[0]["k"] == 1 and len(cum) == len(d["yi"])
    for field in CUMUL_FIELDS:
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
    with pytest.raises(meta_analysis.MetaError, match="allowed: FE, DL, HE, SJ, ML, REML, EB, PM"):
        meta_analysis.rma([0.1, 0.2], [0.1, 0.1], method="GENQ")
    with pytest.raises(meta_analysis.MetaError, match="allowed: exact, metafor"):
        meta_analysis.rma([0.1, 0.2], [0.1, 0.1], control="fast")
    with pytest.raises(meta_analysis.MetaError, match="between 0 and 1"):
        meta_analysis.rma([0.1, 0.2], [0.1, 0.1], level=0)
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
    """Runs metafor now (installed by `make test`) on fresh random data and compares every method at metafor's default
    iterations (control="metafor") and run to convergence (control="exact")."""
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
ex <- list(threshold=1e-12*var(d$yi), tol=1e-12*var(d$yi), maxiter=10000)
for (ctl in c("metafor", "exact")) for (m in c("FE","DL","HE","SJ","ML","REML","EB","PM")) for (t in c("z","knha")) {{
  if (m=="FE" && t=="knha") next
  r <- rma(d$yi, d$vi, method=m, test=t, control=if (ctl == "exact") ex else list()); p <- predict(r)
  pl <- if (is.null(p$pi.lb)) p$ci.lb else p$pi.lb; pu <- if (is.null(p$pi.ub)) p$ci.ub else p$pi.ub
  cat(ctl, m, t, sprintf("%.17g", c(r$b[1], r$se, r$ci.lb, r$ci.ub, pl, pu, r$tau2, r$I2, r$H2, r$QE)), "\\n") }}
"""
    out = subprocess.run(["Rscript", "-e", script], capture_output=True, text=True, check=True).stdout
    lines = [line.split() for line in out.strip().splitlines()]
    assert len(lines) == 30
    for ctl, m, t, *values in lines:
        r = meta_analysis.rma(yi, vi, method=m, knha=(t == "knha"), control=ctl)
        ours = [r.estimate, r.se, r.ci_lb, r.ci_ub, r.pi_lb, r.pi_ub, r.tau2, r.i2, r.h2, r.q]
        close(ours, [float(v) for v in values], f"live {ctl} {m} {t}")


REFERENCE_SCRIPTS = sorted(REF_DIR.glob("metafor_*.R"))


@pytest.mark.slow
@pytest.mark.parametrize("script", REFERENCE_SCRIPTS, ids=[p.stem for p in REFERENCE_SCRIPTS])
def test_stored_reference_values_are_what_metafor_gives_now(script):
    """Every stored reference file is regenerated by its committed R script with the installed metafor, so no stored
    value can drift from metafor (or be edited by hand) unnoticed."""
    if not r_available():
        pytest.fail("Rscript with metafor is needed: `sudo apt-get install -y r-cran-metafor` (make test installs it)")
    out = subprocess.run(["Rscript", str(script)], capture_output=True, text=True, check=True, timeout=300).stdout
    fresh, stored = json.loads(out), json.loads(script.with_suffix(".json").read_text())

    def numeric(x) -> bool:
        return x is None or (isinstance(x, (int, float)) and not isinstance(x, bool))

    def walk(a, b, path):
        if isinstance(b, dict):
            assert isinstance(a, dict) and set(a) == set(b), f"{script.name}: keys differ at {path}"
            for key in b:
                walk(a[key], b[key], f"{path}.{key}")
        elif isinstance(b, list) and all(numeric(x) for x in b):
            assert isinstance(a, list) and len(a) == len(b) and all(numeric(x) for x in a), f"{script.name}: {path} differs"
            close(_nan(a), _nan(b), f"{script.name}: {path}")
        elif isinstance(b, list):
            assert isinstance(a, list) and len(a) == len(b), f"{script.name}: {path} differs in length"
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif numeric(b) and b is not None:
            assert numeric(a) and a is not None, f"{script.name}: {path} differs"
            close(a, b, f"{script.name}: {path}")
        else:
            assert a == b, f"{script.name}: {path} differs ({a!r} vs {b!r})"

    walk(fresh, stored, "")


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

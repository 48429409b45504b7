"""`alsmsc meta` and `alsmsc escalc` on CSV files, checked against the metafor reference values."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REF = json.loads((Path(__file__).parent / "reference" / "metafor_reference.json").read_text())


def run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "alsmsc", *args], capture_output=True, text=True)


def write_csv(path: Path, header: list[str], rows) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def bcg_csv(tmp_path) -> Path:
    d = REF["bcg_RR"]
    return write_csv(
        tmp_path / "bcg.csv",
        ["study", "yi", "vi", "year"],
        [(f"trial{i + 1}", repr(y), repr(v), yr) for i, (y, v, yr) in enumerate(zip(d["yi"], d["vi"], d["year"]))],
    )


@pytest.mark.parametrize("method,knha", [("REML", False), ("DL", True), ("PM", False), ("FE", False)])
def test_meta_json_matches_metafor(bcg_csv, method, knha):
    proc = run("meta", str(bcg_csv), "--method", method, "--json", *(["--knha"] if knha else []))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert {"k", "method", "estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2", "q", "q_pval"} <= set(out)
    ref = REF["bcg_RR"]["fits"][f"{method}_{'knha' if knha else 'z'}"]
    for key in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2", "q", "q_pval"):
        np.testing.assert_allclose(out[key], ref[key], rtol=1e-6, atol=1e-9, err_msg=key)
    assert out["k"] == 13 and out["method"] == method


def test_meta_default_is_reml_with_leave_one_out_and_cumulative(bcg_csv):
    out = json.loads(run("meta", str(bcg_csv), "--json", "--leave-one-out", "--cumulative").stdout)
    assert out["method"] == "REML"
    ref = REF["bcg_RR"]["REML_l1o_cumul"]
    np.testing.assert_allclose([r["estimate"] for r in out["leave_one_out"]], ref["loo_estimate"], rtol=1e-6)
    np.testing.assert_allclose([r["estimate"] for r in out["cumulative"]], ref["cumul_estimate"], rtol=1e-6)


def test_meta_table_output_is_readable(bcg_csv):
    proc = run("meta", str(bcg_csv))
    assert proc.returncode == 0
    assert "REML" in proc.stdout and "prediction interval" in proc.stdout and "I²" in proc.stdout


@pytest.mark.parametrize(
    "header,rows,message",
    [
        (["study", "yi"], [("a", "0.1")], ":1: missing column(s) vi"),
        (["study", "yi", "vi"], [("a", "0.1", "0.1"), ("b", "oops", "0.1")], ":3:yi: 'oops' is not a number"),
        (["study", "yi", "vi"], [("a", "0.1", "0.1")], "pooling needs at least 2 studies; got 1"),
        (["study", "yi", "vi"], [("a", "0.1", "0.1"), ("b", "0.2", "0")], "sampling variances vi must be positive"),
    ],
)
def test_meta_bad_input(tmp_path, header, rows, message):
    proc = run("meta", str(write_csv(tmp_path / "in.csv", header, rows)))
    assert proc.returncode == 1
    assert message in proc.stderr


def test_escalc_matches_metafor(tmp_path):
    d = REF["zero_cells_RR"]
    path = write_csv(
        tmp_path / "arms.csv",
        ["study", "ai", "bi", "ci", "di"],
        [(f"s{i + 1}", a, b, c, dd) for i, (a, b, c, dd) in enumerate(zip(d["ai"], d["bi"], d["ci"], d["di"]))],
    )
    proc = run("escalc", "RR", str(path))
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(proc.stdout.splitlines()))
    assert [r["study"] for r in rows] == ["s1", "s2", "s3", "s4", "s5"]  # metafor keeps the double-zero study by default
    assert "s3: no events in both arms; kept" in proc.stderr
    np.testing.assert_allclose([float(r["yi"]) for r in rows], d["yi"], rtol=1e-9)
    proc = run("escalc", "RR", str(path), "--drop00")
    rows = list(csv.DictReader(proc.stdout.splitlines()))
    assert [r["study"] for r in rows] == ["s1", "s2", "s4", "s5"]
    assert "s3 dropped: no events in both arms" in proc.stderr
    np.testing.assert_allclose([float(r["yi"]) for r in rows], [y for y in d["yi_drop00"] if y is not None], rtol=1e-9)


def test_escalc_unknown_measure_and_missing_columns(tmp_path):
    path = write_csv(tmp_path / "arms.csv", ["study", "ai"], [("s1", 1)])
    assert run("escalc", "HR", str(path)).returncode == 2
    proc = run("escalc", "OR", str(path))
    assert proc.returncode == 1 and "missing column(s) bi, ci, di" in proc.stderr


# --------------------------------------------------------------------------- the engine's methods, through the CLI

REF_DIR = Path(__file__).parent / "reference"
HET = json.loads((REF_DIR / "metafor_heterogeneity.json").read_text())
REG = json.loads((REF_DIR / "metafor_regression.json").read_text())
RARE = json.loads((REF_DIR / "metafor_rare_events.json").read_text())


def meta_json(*args) -> dict:
    proc = run("meta", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize(
    "args,group,key",
    [
        (["--method", "ML", "--control", "metafor"], "fits_metafor", "ML_z"),
        (["--method", "EB", "--knha"], "fits", "EB_knha"),
        (["--method", "SJ"], "fits", "SJ_z"),
        (["--method", "PM", "--knha", "--level", "90"], "fits_level90", "PM_knha"),
    ],
)
def test_meta_estimators_control_and_level_match_metafor(bcg_csv, args, group, key):
    out, ref = meta_json(str(bcg_csv), *args), REF["bcg_RR"][group][key]
    for field in ("estimate", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "q"):
        np.testing.assert_allclose(out[field], ref[field], rtol=1e-6, err_msg=f"{args} {field}")


def test_meta_q_profile_interval_and_influence_match_metafor(bcg_csv):
    out = meta_json(str(bcg_csv), "--tau2-ci", "--influence")
    ci = HET["bcg_RR"]["ci"]["REML_95"]
    for key in ("tau2", "i2", "h2"):
        np.testing.assert_allclose([out["tau2_ci"][key]["ci_lb"], out["tau2_ci"][key]["ci_ub"]], ci[key][1:], rtol=1e-6, err_msg=key)
    inf = HET["bcg_RR"]["influence"]["REML_z_exact"]
    for key in ("rstudent", "cook_d", "hat", "dffits"):
        np.testing.assert_allclose(out["influence"][key], inf[key], rtol=1e-6, err_msg=key)


def test_meta_regression_with_a_categorical_moderator_matches_metafor(tmp_path):
    d = REG["bcg_alloc"]
    path = write_csv(
        tmp_path / "mods.csv",
        ["study", "yi", "vi", "alloc"],
        [(f"t{i}", repr(y), repr(v), a) for i, (y, v, a) in enumerate(zip(d["yi"], d["vi"], d["columns"]["alloc"]))],
    )
    out, ref = meta_json(str(path), "--mods", "alloc"), d["fits"]["exact_REML_z_95"]
    assert out["names"] == ["intrcpt", "allocrandom", "allocsystematic"]
    np.testing.assert_allclose(out["b"], ref["b"], rtol=1e-6)
    np.testing.assert_allclose(out["se"], ref["se"], rtol=1e-6)
    np.testing.assert_allclose([out["qm"], out["qm_pval"], out["tau2"]], [ref["QM"], ref["QMp"], ref["tau2"]], rtol=1e-6)


@pytest.mark.parametrize("method", ["MH", "PETO"])
def test_meta_mantel_haenszel_and_peto_from_counts_match_metafor(tmp_path, method):
    d = RARE["datasets"]["bcg"]
    path = write_csv(
        tmp_path / "arms.csv", ["study", "ai", "bi", "ci", "di"], [(s, *r) for s, *r in zip(d["labels"], d["ai"], d["bi"], d["ci"], d["di"])]
    )
    case = next(c for c in RARE["cases"] if c["dataset"] == "bcg" and c["method"] == method and c["measure"] == "OR" and c["level"] == 0.95)
    out = meta_json(str(path), "--measure", "OR", "--method", method)
    for field in ("estimate", "se", "ci_lb", "ci_ub", "q", "i2"):
        np.testing.assert_allclose(out[field], case["result"][field], rtol=1e-6, err_msg=field)


@pytest.mark.parametrize(
    "args,message",
    [
        (["--egger"], "at least 10"),
        (["--mods", "nope"], "--mods names column 'nope'"),
        (["--method", "MH"], "--method MH works on arm-level counts"),
        (["--level", "0"], "between 0 and 1"),
    ],
)
def test_meta_refuses_with_a_reason(tmp_path, args, message):
    path = write_csv(tmp_path / "five.csv", ["study", "yi", "vi"], [(f"s{i}", 0.1 * i, 0.05 + 0.01 * i) for i in range(5)])
    proc = run("meta", str(path), *args)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr


def test_meta_glmm_for_odds_ratios_matches_metafor(tmp_path):
    """The logistic-normal model on 2x2 counts (metafor's rma.glmm, UM.FS), where glmer converged (bcg)."""
    d = json.loads((REF_DIR / "metafor_glmm.json").read_text())["bcg"]
    path = write_csv(
        tmp_path / "arms.csv", ["study", "ai", "bi", "ci", "di"], [(f"t{i}", *r) for i, r in enumerate(zip(d["ai"], d["bi"], d["ci"], d["di"]))]
    )
    out, ref = meta_json(str(path), "--measure", "OR", "--method", "GLMM"), d["fits"]["UM.FS"]
    np.testing.assert_allclose([out["estimate"], out["tau2"]], [ref["estimate"], ref["tau2"]], rtol=1e-4)
    np.testing.assert_allclose(out["se"], ref["se"], rtol=1e-4)

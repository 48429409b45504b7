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
    assert [r["study"] for r in rows] == ["s1", "s2", "s4", "s5"]
    assert "s3 dropped: no events in both arms" in proc.stderr
    ref_y = [y for y in d["yi"] if y is not None]
    np.testing.assert_allclose([float(r["yi"]) for r in rows], ref_y, rtol=1e-9)


def test_escalc_unknown_measure_and_missing_columns(tmp_path):
    path = write_csv(tmp_path / "arms.csv", ["study", "ai"], [("s1", 1)])
    assert run("escalc", "HR", str(path)).returncode == 2
    proc = run("escalc", "OR", str(path))
    assert proc.returncode == 1 and "missing column(s) bi, ci, di" in proc.stderr

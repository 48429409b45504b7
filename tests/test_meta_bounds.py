"""Bounded numerics (issue 17): absurd inputs are refused with the study named, iterations are capped, Knapp-Hartung
with no residual variation is refused (metafor would print a standard error of 0), and no input gives a non-finite
result or a hang. The effect sizes here are fixtures, not evidence."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

from alsmsc.stats import meta_analysis, regression
from alsmsc.stats.errors import MetaError
from alsmsc.stats.inputs import EFFECT_LIMIT, VARIANCE_RANGE, VARIANCE_SPAN
from alsmsc.stats.names import METHODS
from alsmsc.stats.rare_events import rma_mh


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "yi,vi,message",
    [
        ([0.5, 0.2, 0.1], [1e300, 1e300, 1e300], r"vi of study 1 is 1e\+300; sampling variances must lie between"),
        ([0.5, 0.2, 0.1], [0.1, 1e-60, 0.2], "vi of study 2 is 1e-60"),
        ([0.5, 1e60, 0.1], [0.1, 0.1, 0.2], "yi of study 2 is 1e\\+60; effect sizes must lie within"),
        ([1.1e45, 2.6e-36, 7.3e44, 1.5e-19], [5.7e-48, 2.2e25, 6.5e3, 9.4e-18], r"span 5.7e-48 \(study 1\) to 2.2e\+25 \(study 2\)"),
    ],
)
def test_absurd_inputs_are_refused_by_every_estimator(method, yi, vi, message):
    with pytest.raises(MetaError, match=message):
        meta_analysis.rma(yi, vi, method=method)


def test_an_sd_of_1e150_is_refused_not_iterated_for_ever():
    es = meta_analysis.escalc("MD", m1i=[1, 2, 3], sd1i=[1e150, 1, 1], n1i=[10, 10, 10], m2i=[0, 0, 0], sd2i=[1, 1, 1], n2i=[10, 10, 10])
    with pytest.raises(MetaError, match="vi of study 1"):
        meta_analysis.rma(es.yi, es.vi, method="REML")


def test_the_limits_are_far_beyond_real_data():
    assert EFFECT_LIMIT >= 1e12 and VARIANCE_RANGE[0] <= 1e-12 and VARIANCE_RANGE[1] >= 1e12 and VARIANCE_SPAN >= 1e8
    # a wide but real spread: a variance of 1e-4 next to one of 1e4 still pools
    res = meta_analysis.rma([0.1, 0.3, -0.2], [1e-4, 1e4, 2.0])
    assert math.isfinite(res.estimate) and res.se > 0


@pytest.mark.parametrize("method", ["FE", "DL", "REML", "PM"])
def test_knapp_hartung_with_identical_effects_is_refused(method):
    with pytest.raises(MetaError, match="Knapp-Hartung is undefined here"):
        meta_analysis.rma([0.5, 0.5, 0.5], [0.1, 0.2, 0.3], method=method, knha=True)
    # the z test is defined and gives tau² 0 and the common value
    res = meta_analysis.rma([0.5, 0.5, 0.5], [0.1, 0.2, 0.3], method=method)
    assert res.estimate == pytest.approx(0.5) and res.tau2 == 0


def test_knapp_hartung_meta_regression_on_the_fitted_line_is_refused():
    x = np.array([[1.0], [2.0], [3.0], [4.0]])
    with pytest.raises(MetaError, match="Knapp-Hartung is undefined here"):
        regression.rma_mods([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.1, 0.3], x, knha=True)


def test_counts_beyond_exact_doubles_are_refused():
    with pytest.raises(MetaError, match="counts above"):
        rma_mh([1, 2], [1e16, 10], [1, 2], [10, 10], measure="OR")


@pytest.mark.parametrize("method", METHODS)
def test_no_input_in_range_gives_a_non_finite_result(method):
    """A seeded sweep over the whole allowed range (tiny to huge, equal values, zeros): each fit is finite or refused."""
    rng = np.random.default_rng(2026)
    refused = fitted = 0
    for i in range(300):
        k = int(rng.integers(2, 7))
        scale = rng.uniform(-48, 36)
        v = 10.0 ** (scale + rng.uniform(0, 12, k))
        y = rng.choice([-1.0, 1.0], k) * 10.0 ** rng.uniform(-50, 49, k) * rng.choice([0, 1], k, p=[0.2, 0.8])
        if i % 7 == 0:
            y[:] = y[0]
        try:
            res = meta_analysis.rma(y, v, method=method, knha=bool(i % 2))
        except MetaError:
            refused += 1
            continue
        fitted += 1
        values = [res.estimate, res.se, res.stat, res.pval, res.ci_lb, res.ci_ub, res.tau2, res.i2, res.h2, res.q]
        assert all(math.isfinite(x) for x in values), (method, y, v, values)
    assert fitted > 0 and refused > 0  # the sweep reaches both sides


def test_the_command_line_refuses_in_one_line_without_a_traceback(tmp_path):
    f = tmp_path / "absurd.csv"
    f.write_text("study,yi,vi\na,0.5,1e300\nb,0.2,1e300\nc,0.1,1e300\n")
    proc = subprocess.run([sys.executable, "-m", "alsmsc", "meta", str(f)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr and "Warning" not in proc.stderr
    assert proc.stderr.strip().count("\n") == 0 and "sampling variances must lie between" in proc.stderr
    same = tmp_path / "same.csv"
    same.write_text("study,yi,vi\na,0.5,0.1\nb,0.5,0.2\nc,0.5,0.3\n")
    proc = subprocess.run([sys.executable, "-m", "alsmsc", "meta", str(same), "--knha"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "Knapp-Hartung is undefined" in proc.stderr

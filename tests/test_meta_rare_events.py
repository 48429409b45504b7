"""alsmsc.stats.rare_events (Mantel-Haenszel and Peto) against R's metafor 3.8.1: stored reference values made by
tests/reference/metafor_rare_events.R. Every returned quantity must agree to 1e-6 relative (atol 1e-9)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from alsmsc.stats import rare_events
from alsmsc.stats.meta_analysis import MetaError

REF = json.loads((Path(__file__).parent / "reference" / "metafor_rare_events.json").read_text())
RTOL, ATOL = 1e-6, 1e-9
CASES = REF["cases"]
IDS = [f"{c['dataset']}-{c['method']}-{c['measure']}-{c['level']}-{'cc' if c['correct'] else 'nocc'}" for c in CASES]
NUMBERS = ["estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "q", "q_pval", "i2", "h2"]
OR_TESTS = ["cochran", "cochran_pval", "cmh", "cmh_pval", "breslow_day", "breslow_day_pval", "tarone", "tarone_pval"]


def data(name: str) -> dict:
    return REF["datasets"][name]


def fit(case: dict):
    d = data(case["dataset"])
    tables = [d[col] for col in ("ai", "bi", "ci", "di")]
    if case["method"] == "PETO":
        return rare_events.rma_peto(*tables, level=case["level"], labels=d["labels"])
    return rare_events.rma_mh(*tables, measure=case["measure"], level=case["level"], correct=case["correct"], labels=d["labels"])


def close(ours, theirs, what: str) -> None:
    if theirs is None:
        assert ours is None, f"{what}: metafor gives NA, we give {ours}"
        return
    assert ours is not None, f"{what}: metafor gives {theirs}, we give None"
    np.testing.assert_allclose(float(ours), float(theirs), rtol=RTOL, atol=ATOL, err_msg=what)


def close_list(ours: list, theirs: list, what: str) -> None:
    assert len(ours) == len(theirs), what
    assert [v is None for v in ours] == [v is None for v in theirs], f"{what}: studies left out differ"
    kept = [i for i, v in enumerate(theirs) if v is not None]
    np.testing.assert_allclose([ours[i] for i in kept], [theirs[i] for i in kept], rtol=RTOL, atol=ATOL, err_msg=what)


def test_reference_comes_from_the_installed_metafor_version():
    assert REF["metafor_version"] == "3.8.1"
    assert {c["dataset"] for c in CASES} == set(REF["datasets"]) == {"bcg", "yusuf1985_table6", "nielweise2007", "zero_cells", "null_or", "one_study"}
    assert {c["level"] for c in CASES} == {0.95, 0.90}


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_matches_metafor(case):
    ours, ref = fit(case), case["result"]
    what = IDS[CASES.index(case)]
    for name in NUMBERS:
        close(getattr(ours, name), ref[name], f"{what} {name}")
    assert ours.k == ref["k"] and ours.k_q == ref["k_q"] and ours.k_pos == ref["k_pos"]
    assert ours.q_df == max(ref["k_q"] - 1, 0)
    assert ours.level == case["level"]
    close_list(ours.weights, ref["weights"], f"{what} weights")
    close_list(ours.yi, ref["yi"], f"{what} yi")
    close_list(ours.vi, ref["vi"], f"{what} vi")
    if case["method"] == "MH":
        assert ours.method == "MH" and ours.measure == case["measure"] and ours.correct is case["correct"]
        for name in OR_TESTS:
            close(getattr(ours, name), ref[name], f"{what} {name}")
    else:
        assert ours.method == "PETO" and ours.measure == "OR"
    if case["measure"] == "RD":
        assert ours.estimate_exp is None and ours.ci_lb_exp is None and ours.ci_ub_exp is None
    else:
        for name, base in (("estimate_exp", "estimate"), ("ci_lb_exp", "ci_lb"), ("ci_ub_exp", "ci_ub")):
            close(getattr(ours, name), math.exp(ref[base]), f"{what} {name}")


def test_as_dict_is_json_ready_and_complete():
    for case in (c for c in CASES if c["dataset"] == "zero_cells"):
        d = fit(case).as_dict()
        text = json.dumps(d, allow_nan=False)  # None for what metafor leaves NA, never NaN
        assert json.loads(text) == d
        assert d["labels"] == data("zero_cells")["labels"] and d["method"] == case["method"]


def test_continuity_correction_changes_only_the_cmh_and_cochran_tests():
    d = data("bcg")
    tables = [d[col] for col in ("ai", "bi", "ci", "di")]
    on, off = rare_events.rma_mh(*tables), rare_events.rma_mh(*tables, correct=False)
    assert on.cmh < off.cmh and on.cochran < off.cochran
    assert (on.estimate, on.se, on.q, on.tarone) == (off.estimate, off.se, off.q, off.tarone)


def test_zero_cell_fixture_names_the_studies_without_information():
    d = data("zero_cells")
    tables = [d[col] for col in ("ai", "bi", "ci", "di")]
    # fixture 3: 0/15 vs 0/16 (no events); fixture 5: 12/12 vs 10/10 (every participant had the event)
    odds = rare_events.rma_mh(*tables, measure="OR", labels=d["labels"]).messages
    assert len(odds) == 2
    assert odds[0].startswith("fixture 3: no events in either arm, so it carries no information on the odds ratio")
    assert odds[1].startswith("fixture 5: every participant had the event in both arms, so it carries no information on the odds ratio")
    risk = rare_events.rma_mh(*tables, measure="RR", labels=d["labels"]).messages
    assert risk[0].startswith("fixture 3: no events in either arm, so it carries no information on the risk ratio")
    assert risk[1].startswith("fixture 5: every participant had the event in both arms; it counts in the Mantel-Haenszel risk ratio")
    diff = rare_events.rma_mh(*tables, measure="RD", labels=d["labels"]).messages
    assert [m.split(";")[0] for m in diff] == ["fixture 3: no events in either arm", "fixture 5: every participant had the event in both arms"]
    assert all("counts in the Mantel-Haenszel risk difference" in m for m in diff)
    peto = rare_events.rma_peto(*tables).messages  # default labels
    assert [m.split(",")[0] for m in peto] == ["study 3: no events in either arm", "study 5: every participant had the event in both arms"]


def test_real_double_zero_studies_are_named():
    nw, yu = data("nielweise2007"), data("yusuf1985_table6")
    msgs = rare_events.rma_mh(*(nw[c] for c in ("ai", "bi", "ci", "di")), labels=nw["labels"]).messages
    assert [m.split(":")[0] for m in msgs] == ["Yucel"]
    msgs = rare_events.rma_peto(*(yu[c] for c in ("ai", "bi", "ci", "di")), labels=yu["labels"]).messages
    assert [m.split(":")[0] for m in msgs] == ["Pitt", "Hutton", "Yusuf"]
    assert rare_events.rma_mh(*(data("bcg")[c] for c in ("ai", "bi", "ci", "di"))).messages == []


# --------------------------------------------------------------------------- bad input

GOOD = dict(ai=[3, 1], bi=[10, 12], ci=[6, 4], di=[8, 9])


def call(fn, **changes):
    args = {**GOOD, **changes}
    kw = {k: v for k, v in args.items() if k not in GOOD}
    return fn(args["ai"], args["bi"], args["ci"], args["di"], **kw)


@pytest.mark.parametrize("fn", [rare_events.rma_mh, rare_events.rma_peto])
@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(ai=[3, -1]), "ai must not be negative (study 2)"),
        (dict(di=[8, float("nan")]), "di is missing or not a finite number in study/studies 2"),
        (dict(ci=[6, float("inf")]), "ci is missing or not a finite number in study/studies 2"),
        (dict(bi=[10]), "bi has 1 values but ai has 2"),
        (dict(bi=["ten", 12]), "bi must be a list of counts"),
        (dict(ai=[[3], [1]]), "ai must be a one-dimensional list of counts"),
        (dict(ai=[], bi=[], ci=[], di=[]), "no studies given"),
        (dict(ai=[3, 0], bi=[10, 0]), "study 2 has an arm with no participants"),
        (dict(level=95), "level must be a confidence level between 0 and 1"),
        (dict(level=True), "level must be a confidence level between 0 and 1"),
        (dict(labels=["only one"]), "labels has 1 entries but there are 2 studies"),
    ],
)
def test_bad_input_is_a_clear_error(fn, changes, message):
    with pytest.raises(MetaError) as err:
        call(fn, **changes)
    assert message in str(err.value)


def test_bad_measure_and_correct():
    with pytest.raises(MetaError, match=r"unknown measure 'HR' .*allowed: OR, RR, RD"):
        call(rare_events.rma_mh, measure="hr")
    with pytest.raises(MetaError, match="correct must be True or False"):
        call(rare_events.rma_mh, correct="yes")


def test_undefined_estimates_are_errors_where_metafor_gives_na():
    ne = REF["no_events_arm1"]
    tables = [ne[c] for c in ("ai", "bi", "ci", "di")]
    assert REF["no_events_arm1_estimate"] == {"OR": None, "RR": None}
    with pytest.raises(MetaError, match=r"odds ratio is 0, so its log is undefined: no study has events in arm 1 \(ai\)"):
        rare_events.rma_mh(*tables, measure="OR")
    with pytest.raises(MetaError, match=r"odds ratio is infinite, .*non-events in arm 1 \(bi\) with events in arm 2"):
        rare_events.rma_mh(tables[2], tables[3], tables[0], tables[1], measure="OR")  # arms swapped
    with pytest.raises(MetaError, match=r"risk ratio is undefined on the log scale: no study has any event in arm 1"):
        rare_events.rma_mh(*tables, measure="RR")
    with pytest.raises(MetaError, match=r"no study has any event in arm 2"):
        rare_events.rma_mh(tables[2], tables[3], tables[0], tables[1], measure="RR")
    # the risk difference and Peto's odds ratio are still defined here
    assert rare_events.rma_mh(*tables, measure="RD").estimate < 0
    assert rare_events.rma_peto(*tables).estimate < 0


def test_nothing_to_pool_is_an_error():
    assert REF["peto_no_events_anywhere"] == "error"  # metafor's rma.peto stops too
    none = dict(ai=[0, 0], bi=[5, 6], ci=[0, 0], di=[7, 8])
    with pytest.raises(MetaError, match="Peto's method needs both outcomes"):
        rare_events.rma_peto(**none)
    with pytest.raises(MetaError, match="risk difference has no standard error"):
        rare_events.rma_mh(**none, measure="RD")

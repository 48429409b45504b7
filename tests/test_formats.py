"""Display decisions, made once: how numbers, intervals, shares, p-values and codes read."""

from __future__ import annotations

import pandas as pd

from alsmsc.formats import numbers as fmt


def test_numbers_intervals_and_shares_read_the_same_everywhere():
    assert fmt.value(0.123456) == "0.123" and fmt.value(1234.5) == "1.23e+03" and fmt.value(None) == "—"
    assert fmt.interval(0.1, 0.25) == "0.1 to 0.25" and fmt.interval(float("nan"), 1) == "—"
    assert fmt.share(3, 4) == "75%" and fmt.share(0, 0) == "—"
    assert fmt.percent(7.5) == "7.5%" and fmt.p_value(0.000491) == "0.00049" and fmt.p_value(float("nan")) == "—"


def test_missing_values_of_every_kind_are_marked_not_printed():
    for missing in (None, float("nan"), pd.NA, pd.NaT):
        assert fmt.value(missing) == "—" and fmt.code(missing) == "not reported"
    assert fmt.code("single_arm") == "single arm" and fmt.code("not_reported") == "not reported"

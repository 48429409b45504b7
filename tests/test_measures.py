"""One table of effect measures: every place that shows an effect asks it (fixture comparisons, never published)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alsmsc.analyses import grade, synthesis
from alsmsc.formats import numbers as fmt
from alsmsc.publish import charts, comparison_outputs, forest
from alsmsc.stats.measures import MEASURES, measure

pytestmark = pytest.mark.fixture_data


def rom_comparison() -> synthesis.Comparison:
    """Two fixture experiments whose pooled log ratio of mean survival is 0.114 (equal weights, no heterogeneity)."""
    rows = pd.DataFrame({"study": ["FixtureA2001#1", "FixtureB2002#1"], "year": [2001, 2002], "yi": [0.104, 0.124], "vi": [0.004, 0.004]})
    c = synthesis.Comparison(
        "rom_animal_survival", "Survival in animal models (MSC vs control)", "ROM", "ratio of mean survival", synthesis._ci(rows)
    )
    return synthesis.pool(c)


def test_a_pooled_ratio_of_means_is_shown_as_a_ratio_everywhere():
    c = rom_comparison()
    assert c.result.estimate == pytest.approx(0.114)
    assert synthesis.summary_row(c)["Pooled"] == "1.12"  # the summary table
    assert comparison_outputs.result_text(c).startswith("1.12 (95% CI ")  # the caption and the chapter's sentence
    assert grade.effect_text(c).startswith("1.12 (95% CI ")  # the certainty table
    spec = charts.spec(forest.forest_plot(c, "Ratio of mean survival"))  # the axis
    values = [row for rows in spec["datasets"].values() for row in rows]
    assert any(math.isclose(r.get("estimate", 0), math.exp(0.114), rel_tol=1e-9) for r in values)
    assert any(r.get("null") == 1.0 for r in values)  # the line of no effect is at 1, not 0
    assert '"type": "log"' in str(spec).replace("'", '"')


@pytest.mark.parametrize(
    "code,null,analysis_null,axis",
    [("MD", 0.0, 0.0, "linear"), ("RR", 1.0, 0.0, "log"), ("OR", 1.0, 0.0, "log"), ("ROM", 1.0, 0.0, "log"), ("PLO", None, None, "linear")],
)
def test_measure_properties(code, null, analysis_null, axis):
    m = measure(code)
    assert (m.null, m.analysis_null, m.axis) == (null, analysis_null, axis)


def test_back_transforms_and_formats():
    assert MEASURES["ROM"].to_reader([0.0])[0] == 1.0
    assert MEASURES["PLO"].to_reader([0.0])[0] == 0.5 and fmt.effect(MEASURES["PLO"], 0.125) == "12.5%"
    assert fmt.effect(MEASURES["MD"], 3.384) == "3.38"
    assert fmt.effect(MEASURES["PLO"], 5.65e-10) == "< 0.001%"  # never "5.65e-08%"
    with pytest.raises(KeyError, match="unknown effect measure 'XYZ'"):
        measure("XYZ")

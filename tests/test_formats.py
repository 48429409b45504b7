"""Display decisions, made once: how numbers, intervals, shares, p-values and codes read."""

from __future__ import annotations

import pandas as pd

from alsmsc.formats import numbers as fmt


def test_numbers_intervals_and_shares_read_the_same_everywhere():
    # never scientific notation: small values read "< 0.001", large ones get thousands separators
    assert fmt.value(0.123456) == "0.123" and fmt.value(0.0000612) == "< 0.001" and fmt.value(-0.00002) == "> -0.001"
    assert fmt.value(123456.7) == "123,457" and fmt.value(1234.5) == "1,234" and fmt.value(999.4) == "999" and fmt.value(None) == "—"
    assert fmt.interval(0.1, 0.25) == "0.1 to 0.25" and fmt.interval(float("nan"), 1) == "—"
    assert fmt.share(3, 4) == "75%" and fmt.share(0, 0) == "—"
    assert fmt.percent(7.5) == "7.5%" and fmt.p_value(0.00491) == "0.0049" and fmt.p_value(0.000061) == "< 0.001" and fmt.p_value(float("nan")) == "—"


def test_missing_values_of_every_kind_are_marked_not_printed():
    for missing in (None, float("nan"), pd.NA, pd.NaT):
        assert fmt.value(missing) == "—" and fmt.code(missing) == "not reported"
    assert fmt.code("single_arm") == "single arm" and fmt.code("not_reported") == "not reported"


def test_placeholder_codes_in_free_text_read_as_words():
    assert fmt.text("not_reported") == "not reported" and fmt.text("not_applicable") == "not applicable"
    assert fmt.text("South Korea") == "South Korea" and fmt.text(None) == "—"


def test_contrast_ratio_matches_wcag_reference_values():
    from alsmsc.formats import colours

    # reference values from the WCAG 2.1 definition: black on white 21:1, #767676 on white 4.54:1, #E69F00 2.25:1
    assert round(colours.contrast("#000000"), 2) == 21.0
    assert round(colours.contrast("#767676"), 2) == 4.54
    assert round(colours.contrast("#E69F00"), 2) == 2.25
    assert colours.contrast("#fff", "#ffffff") == 1.0


def test_every_chart_colour_stands_out_from_the_page():
    from alsmsc.formats import colours

    palette = {name: value for name, value in vars(colours).items() if isinstance(value, str) and value.startswith("#")}
    weak = {name: round(colours.contrast(value), 2) for name, value in palette.items() if name != "WHITE" and colours.contrast(value) < 3}
    assert weak == {}
    assert len(set(colours.CATEGORICAL)) == len(colours.CATEGORICAL) >= 6


def test_code_spans_show_any_text_verbatim():
    from markdown_it import MarkdownIt

    from alsmsc.formats.escape import code

    md = MarkdownIt("commonmark").enable("table")
    for text in ["^[a-z]+$", "a`b", "``x``", "<script>alert(1)</script>", "{raw}`html <b>x</b>`", "`"]:
        rendered = md.render(code(text)).strip()
        assert rendered.startswith("<p><code>") and rendered.endswith("</code></p>"), (text, rendered)
        assert "<script>" not in rendered and "<b>" not in rendered
    row = md.render("| a | b |\n|---|---|\n| " + code("x|y") + " | z |\n")
    assert "<code>x|y</code>" in row and "<td>z</td>" in row  # a pipe in a table cell stays in its cell

"""How numbers are written wherever a reader sees them."""

from __future__ import annotations

import math

MISSING = "—"  # a cell with no value
NOT_REPORTED = "not reported"  # a value the source did not give
# Placeholder codes the data use inside otherwise free-text columns, in words
PLACEHOLDERS = {"not_reported": NOT_REPORTED, "not_applicable": "not applicable"}


def is_missing(x) -> bool:
    """None, NaN, pandas' NA or NaT (checked by type name: this module imports no pandas)."""
    if x is None or type(x).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(x, float) and math.isnan(x)


def value(x, digits: int = 3) -> str:
    """A statistic to ``digits`` significant figures (3 by default), never in scientific notation: below 0.001 in
    size it reads "< 0.001" (or "> -0.001"), and from 1,000 up it is a whole number with thousands separators."""
    if is_missing(x):
        return MISSING
    x = float(x)
    if x != 0 and abs(x) < 0.001:
        return "< 0.001" if x > 0 else "> -0.001"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def interval(lo, hi, digits: int = 3) -> str:
    """A confidence or prediction interval: "0.12 to 0.34"."""
    return MISSING if is_missing(lo) or is_missing(hi) else f"{value(lo, digits)} to {value(hi, digits)}"


def share(part: int, whole: int) -> str:
    """A share of a count, as a whole percentage: "75%" ("—" when the whole is 0)."""
    return MISSING if not whole else f"{100 * part / whole:.0f}%"


def percent(x, digits: int = 3) -> str:
    """A percentage given as a number of percent (7.5 -> "7.5%")."""
    return MISSING if is_missing(x) else f"{float(x):.{digits}g}%"


def p_value(p) -> str:
    """A p-value to two significant figures, and "< 0.001" below that (never scientific notation)."""
    if is_missing(p):
        return MISSING
    return "< 0.001" if float(p) < 0.001 else f"{float(p):.2g}"


def text(v) -> str:
    """Free text from the data: placeholder codes in words, missing values marked."""
    if is_missing(v):
        return MISSING
    return PLACEHOLDERS.get(str(v).strip(), str(v))


def code(v) -> str:
    """A code with no label of its own, in words: "not_reported" -> "not reported"; missing -> "not reported"."""
    return NOT_REPORTED if is_missing(v) else str(v).replace("_", " ")


def effect(measure, x, digits: int = 3) -> str:
    """An effect on its readers' scale (``measure`` from alsmsc.stats.measures): a percentage for proportions,
    otherwise the number; the same policy as :func:`value` (no scientific notation)."""
    if is_missing(x):
        return MISSING
    return f"{value(100 * float(x), digits)}%" if measure.proportion else value(x, digits)

"""How numbers are written wherever a reader sees them."""

from __future__ import annotations

import math

MISSING = "—"  # a cell with no value
NOT_REPORTED = "not reported"  # a value the source did not give


def _missing(x) -> bool:
    """None, NaN, pandas' NA or NaT (checked by type name: this module imports no pandas)."""
    if x is None or type(x).__name__ in ("NAType", "NaTType"):
        return True
    return isinstance(x, float) and math.isnan(x)


def value(x, digits: int = 3) -> str:
    """A statistic to ``digits`` significant figures (3 by default), or the missing mark."""
    return MISSING if _missing(x) else f"{float(x):.{digits}g}"


def interval(lo, hi, digits: int = 3) -> str:
    """A confidence or prediction interval: "0.12 to 0.34"."""
    return MISSING if _missing(lo) or _missing(hi) else f"{value(lo, digits)} to {value(hi, digits)}"


def share(part: int, whole: int) -> str:
    """A share of a count, as a whole percentage: "75%" ("—" when the whole is 0)."""
    return MISSING if not whole else f"{100 * part / whole:.0f}%"


def percent(x, digits: int = 3) -> str:
    """A percentage given as a number of percent (7.5 -> "7.5%")."""
    return MISSING if _missing(x) else f"{float(x):.{digits}g}%"


def p_value(p) -> str:
    """A p-value to two significant figures."""
    return MISSING if _missing(p) else f"{float(p):.2g}"


def code(v) -> str:
    """A code with no label of its own, in words: "not_reported" -> "not reported"; missing -> "not reported"."""
    return NOT_REPORTED if _missing(v) else str(v).replace("_", " ")

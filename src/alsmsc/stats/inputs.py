"""Input checks the engine's modules share: confidence levels, and count columns with the study number in each message."""

from __future__ import annotations

import numpy as np

from alsmsc.stats.errors import MetaError


def count_column(name: str, values, k: int | None, *, whole: bool = False) -> np.ndarray:
    """One column of counts as floats: one-dimensional, ``k`` long (when given), finite, not negative and, for a
    binomial likelihood (``whole=True``), whole numbers."""
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise MetaError(f"{name} must be a list of counts (numbers >= 0)") from None
    if a.ndim != 1:
        raise MetaError(f"{name} must be a one-dimensional list of counts, one per study")
    if k is not None and len(a) != k:
        raise MetaError(f"{name} has {len(a)} values but ai has {k}; every column needs one count per study")
    bad = np.flatnonzero(~np.isfinite(a))
    if len(bad):
        where = ", ".join(str(i + 1) for i in bad[:10])
        raise MetaError(f"{name} is missing or not a finite number in study/studies {where}; leave such studies out")
    neg = np.flatnonzero(a < 0)
    if len(neg):
        raise MetaError(f"{name} must not be negative (study {neg[0] + 1}); counts are numbers >= 0")
    frac = np.flatnonzero(a != np.round(a)) if whole else []
    if len(frac):
        raise MetaError(f"{name} must hold whole numbers >= 0; study/studies {', '.join(str(i + 1) for i in frac[:10])} do not")
    return a


def check_level(level) -> float:
    """A confidence level as a fraction strictly between 0 and 1; the command line turns 95 into 0.95 before this."""
    if isinstance(level, bool) or not isinstance(level, (int, float, np.integer, np.floating)) or not 0 < float(level) < 1:
        raise MetaError(f"level must be a confidence level between 0 and 1 (e.g. 0.95); got {level!r}")
    return float(level)

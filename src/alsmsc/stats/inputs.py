"""Input checks the engine's modules share: confidence levels, and count columns with the study number in each message."""

from __future__ import annotations

import numpy as np

from alsmsc.stats.errors import MetaError

# Far beyond any real effect size or sampling variance, and inside the range where every intermediate of the
# estimators (w³, w²(y - μ)², Σw²) stays a finite double: beyond them Fisher scoring overflows to inf and never ends.
EFFECT_LIMIT = 1e50
VARIANCE_RANGE = (1e-50, 1e50)
VARIANCE_SPAN = 1e12  # beyond it (Σw)² - Σw² cancels to nothing in double precision and I², H² and DL's tau² are noise
COUNT_LIMIT = 1e15  # the largest whole numbers a double holds exactly are about 9e15


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
    huge = np.flatnonzero(a > COUNT_LIMIT)
    if len(huge):
        raise MetaError(f"{name} in study {huge[0] + 1} is {a[huge[0]]:.3g}; counts above {COUNT_LIMIT:.0e} are refused (not a real count)")
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


def check_effects(y: np.ndarray, v: np.ndarray) -> None:
    """Effect sizes and sampling variances inside the ranges the estimators can compute with (see EFFECT_LIMIT)."""
    lo, hi = VARIANCE_RANGE
    big = np.flatnonzero(np.abs(y) > EFFECT_LIMIT)
    if len(big):
        i = big[0]
        raise MetaError(f"yi of study {i + 1} is {y[i]:.3g}; effect sizes must lie within ±{EFFECT_LIMIT:.0e} (far beyond any real one)")
    odd = np.flatnonzero((v < lo) | (v > hi))
    if len(odd):
        i = odd[0]
        raise MetaError(
            f"vi of study {i + 1} is {v[i]:.3g}; sampling variances must lie between {lo:.0e} and {hi:.0e} (far beyond any real one; "
            "outside it the weights overflow)"
        )
    if len(v) and v.max() / v.min() > VARIANCE_SPAN:
        raise MetaError(
            f"the sampling variances span {v.min():.3g} (study {int(v.argmin()) + 1}) to {v.max():.3g} (study {int(v.argmax()) + 1}), more "
            f"than a factor {VARIANCE_SPAN:.0e}: no real meta-analysis has that, and double precision cannot pool it; check them for unit errors"
        )


def check_knha_rss(rss: float) -> None:
    """Knapp-Hartung scales the variance by the weighted residual sum of squares; when that is 0 (all effect sizes on
    the fitted line, e.g. all equal) metafor sets the scale to 0 and reports a standard error of 0, an interval of zero
    width and an infinite test statistic. We refuse instead: no inference can come from that."""
    if rss <= float(np.finfo(float).eps):
        raise MetaError(
            f"Knapp-Hartung is undefined here: the weighted residual sum of squares is {rss:.3g} (the effect sizes are all equal or "
            "all on the fitted line), which would give a standard error of 0; use the z test (no --knha)"
        )

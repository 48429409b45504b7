"""Quantiles and tail probabilities from ``scipy.special`` alone.

``scipy.stats`` costs about a second to import (``python -X importtime``) and ``alsmsc meta`` needs only these few
functions; ``scipy.special`` computes the same values (``scipy.stats`` calls these very routines), so start-up stays
short. Optimisers (``scipy.optimize``) are imported inside the functions that need them for the same reason.
"""

from __future__ import annotations

from scipy import special


def norm_ppf(p):
    """Standard normal quantile."""
    return special.ndtri(p)


def norm_sf(x):
    """Standard normal upper tail, P(Z > x)."""
    return special.ndtr(-x)


def norm_cdf(x):
    return special.ndtr(x)


def t_ppf(p, df):
    """Student t quantile with ``df`` degrees of freedom."""
    return special.stdtrit(df, p)


def t_sf(x, df):
    """Student t upper tail, P(T > x)."""
    return special.stdtr(df, -x)


def chi2_sf(x, df):
    """Chi-squared upper tail, P(X > x)."""
    return special.chdtrc(df, x)


def chi2_isf(p, df):
    """Chi-squared upper quantile: the x with P(X > x) = p."""
    return special.chdtri(df, p)


def f_sf(x, dfn, dfd):
    """F upper tail, P(F > x)."""
    return special.fdtrc(dfn, dfd, x)


def two_sided_crit(level: float, df: float | None = None) -> float:
    """Critical value for a two-sided interval at ``level``: normal, or t with ``df`` degrees of freedom."""
    p = 1 - (1 - level) / 2
    return float(norm_ppf(p) if df is None else t_ppf(p, df))

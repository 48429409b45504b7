"""Small-study effects: Egger's regression test and the data of a funnel plot, matching R's metafor.

Both refuse fewer than 10 studies. With fewer, a test for funnel-plot asymmetry has too little power to tell chance
from real asymmetry, and a funnel plot cannot be judged by eye (Sterne et al. 2011, BMJ 343:d4002; Cochrane Handbook
§13.3.5.4). ``tests/test_meta_regression.py`` compares both with metafor's ``regtest()`` and ``funnel()``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from alsmsc.stats.distributions import two_sided_crit
from alsmsc.stats.inputs import check_level
from alsmsc.stats.meta_analysis import MetaError, _validate
from alsmsc.stats.regression import _check_options, _design, _fit

MIN_STUDIES = 10


def _enough_studies(k: int, what: str) -> None:
    if k < MIN_STUDIES:
        raise MetaError(
            f"{what} needs at least {MIN_STUDIES} studies; got {k}. With fewer, a test for funnel-plot asymmetry has too "
            "little power to tell chance from real asymmetry (Sterne et al. 2011, BMJ 343:d4002; Cochrane Handbook §13.3.5.4)"
        )


@dataclass
class EggerResult:
    """Egger's regression test: a meta-regression of the effect sizes on their standard errors."""

    k: int
    method: str
    knha: bool
    level: float
    stat: float  # z, or t under Knapp-Hartung: the slope on the standard error over its standard error
    df: int | None  # k - 2 under Knapp-Hartung, else None
    pval: float
    slope: float
    slope_se: float
    limit_estimate: float  # the intercept: the effect expected in a study of infinite size (standard error 0)
    limit_se: float
    limit_ci_lb: float
    limit_ci_ub: float
    tau2: float

    def as_dict(self) -> dict:
        return asdict(self)


def egger_test(yi, vi, *, method: str = "REML", knha: bool = False, control: str = "exact", level: float = 0.95) -> EggerResult:
    """Egger's test as metafor's ``regtest(rma(yi, vi, method=method, test="knha" if knha else "z"))`` with its
    defaults (model "rma", predictor "sei"): a mixed-effects meta-regression on the standard error, whose slope
    tests for asymmetry and whose intercept is the limit estimate."""
    method = _check_options(method, level, control)
    y, v = _validate(yi, vi)
    _enough_studies(len(y), "Egger's test")
    X, names = _design(np.sqrt(v)[:, None], len(y), ["sei"], intercept=True)
    fit = _fit(y, v, X, names, True, method, knha, level, control, with_r2=False)
    return EggerResult(
        k=fit.k,
        method=method,
        knha=bool(knha),
        level=float(level),
        stat=fit.zval[1],
        df=fit.ddf,
        pval=fit.pval[1],
        slope=fit.b[1],
        slope_se=fit.se[1],
        limit_estimate=fit.b[0],
        limit_se=fit.se[0],
        limit_ci_lb=fit.ci_lb[0],
        limit_ci_ub=fit.ci_ub[0],
        tau2=fit.tau2,
    )


@dataclass
class FunnelData:
    """What metafor's ``funnel()`` draws for a model without moderators (y axis: standard error)."""

    k: int
    yi: list[float]
    sei: list[float]
    estimate: float  # the vertical reference line
    level: float
    crit: float  # normal quantile of the pseudo-confidence region
    sei_max: float  # bottom of the y axis: 1.1 x the largest standard error, as metafor pads it
    region_sei: list[float]  # from 0 to sei_max
    region_lb: list[float]  # estimate - crit * sei
    region_ub: list[float]  # estimate + crit * sei

    def as_dict(self) -> dict:
        return asdict(self)


def funnel_data(yi, vi, estimate: float, level: float = 0.95, *, n_points: int = 1000) -> FunnelData:
    """Points and pseudo-confidence region of metafor's ``funnel(res)`` (yaxis "sei", addtau2 FALSE): the region is
    estimate ± z × sei on ``n_points`` standard errors (metafor's ``ci.res``, 1000) from 0 to 1.1 × the largest."""
    y, v = _validate(yi, vi)
    _enough_studies(len(y), "A funnel plot")
    check_level(level)
    if not np.isfinite(estimate):
        raise MetaError(f"estimate must be a finite number; got {estimate!r}")
    if int(n_points) < 2:
        raise MetaError(f"n_points must be at least 2; got {n_points!r}")
    sei = np.sqrt(v)
    crit = two_sided_crit(level)
    top = 1.1 * float(sei.max())
    grid = np.linspace(0.0, top, int(n_points))
    return FunnelData(
        k=len(y),
        yi=y.tolist(),
        sei=sei.tolist(),
        estimate=float(estimate),
        level=float(level),
        crit=crit,
        sei_max=top,
        region_sei=grid.tolist(),
        region_lb=(estimate - crit * grid).tolist(),
        region_ub=(estimate + crit * grid).tolist(),
    )

"""Confidence intervals for the heterogeneity of a random-effects meta-analysis: tau², tau, I² and H².

Reproduces metafor's ``confint(rma(yi, vi, method=...))`` for the intercept-only model (``confint.rma.uni``,
``type="QP"``): the Q-profile interval of Viechtbauer (2007) inverts the generalised Q statistic, which follows a
chi-squared distribution with k-1 degrees of freedom at the true tau². The bounds are found as metafor finds them,
including its search interval [tau2.min, tau2.max] and R's ``uniroot`` (Brent's zeroin with tolerance eps^0.25),
so they agree with metafor to rounding, not only to uniroot's tolerance. The interval does not depend on the
estimator; only the estimate column (and, through 10 tau², the search interval) does.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import special

from alsmsc.stats import meta_analysis
from alsmsc.stats.inputs import check_level
from alsmsc.stats.meta_analysis import MetaError
from alsmsc.stats.roots import UNIROOT_MAXITER, UNIROOT_TOL, uniroot


@dataclass
class Interval:
    estimate: float
    ci_lb: float
    ci_ub: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class HeterogeneityCI:
    """Q-profile intervals as metafor's ``confint.rma.uni`` returns them in ``$random``.

    ``lb_sign``/``ub_sign`` are metafor's "<" or ">" marks for a bound that lies outside the searched interval
    [tau2_min, tau2_max] (the bound is then that end of the interval); ``ci_null`` says that both bounds fall below
    tau2_min = 0, so the interval is the null/empty set (printed by metafor as 0 to 0 with a message).
    """

    k: int
    method: str
    level: float
    tau2: Interval
    tau: Interval
    i2: Interval  # percent
    h2: Interval
    lb_sign: str
    ub_sign: str
    ci_null: bool
    tau2_min: float
    tau2_max: float
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def generalised_q(y: np.ndarray, v: np.ndarray, tau2: float) -> float:
    """Q with weights 1/(v + tau²) around their weighted mean: metafor's ``.QE.func`` for an intercept-only model."""
    w = 1 / (v + tau2)
    mu = np.sum(w * y) / w.sum()
    return float(np.sum(w * (y - mu) ** 2))


def typical_variance(v: np.ndarray) -> float:
    """metafor's "typical" within-study variance (k-1) / tr(P) with fixed-effect weights, the scale of I² and H²."""
    w = 1 / v
    return float((len(v) - 1) * w.sum() / (w.sum() ** 2 - np.sum(w**2)))


def tau2_ci(
    yi,
    vi,
    *,
    method: str = "REML",
    level: float = 0.95,
    control: str = "exact",
    tol: float = UNIROOT_TOL,
    maxiter: int = UNIROOT_MAXITER,
) -> HeterogeneityCI:
    """Q-profile confidence intervals for tau², tau, I² and H²: metafor's ``confint(rma(yi, vi, method=method,
    level=level))`` with confint's defaults (type="QP", tau2.min = min(0, tau²), tau2.max = max(100, 10 tau²),
    uniroot tol = eps^0.25, maxiter = 1000; ``tol`` and ``maxiter`` are confint's ``control=list(tol=, maxiter=)``).
    ``method`` and ``control`` go to ``meta_analysis.rma`` for the estimate column (``control="metafor"`` gives
    metafor's default estimate, "exact" the converged one); FE has no tau² to bound."""
    alpha = 1 - check_level(level)
    if not (tol > 0 and int(maxiter) == maxiter and maxiter >= 1):
        raise MetaError(f"uniroot needs tol > 0 and a whole number maxiter >= 1; got tol={tol!r}, maxiter={maxiter!r}")
    if str(method).upper() in ("FE", "EE", "CE"):
        raise MetaError(f"method {method!r} is a common-effect model with no tau²; use a random-effects method such as REML, DL or PM")
    y, v = meta_analysis._validate(yi, vi)
    k, df = len(y), len(y) - 1
    res = meta_analysis.rma(y, v, method=method, level=level, control=control)
    tau2 = float(res.tau2)
    tau2_min = min(0.0, tau2)
    tau2_max = max(100.0, 10 * tau2, 10 * tau2_min)
    crit_u = 2 * float(special.gammainccinv(df / 2, alpha / 2))  # upper alpha/2 quantile of chi²(k-1)
    crit_l = 2 * float(special.gammaincinv(df / 2, alpha / 2))  # lower alpha/2 quantile
    q_at_max, q_at_min = generalised_q(y, v, tau2_max), generalised_q(y, v, tau2_min)
    lb = ub = math.nan
    lb_sign = ub_sign = ""
    ci_null = False
    messages: list[str] = []

    def solve(objective: float, which: str) -> float:
        try:
            root, converged = uniroot(lambda t2: generalised_q(y, v, t2) - objective, tau2_min, tau2_max, tol=tol, maxiter=maxiter)
        except MetaError:
            messages.append(f"Error in iterative search for the {which} bound.")
            return math.nan
        if not converged:
            messages.append(f"uniroot: _NOT_ converged in {maxiter} iterations ({which} bound)")
        return root

    # Q decreases in tau²: the upper bound solves Q = crit_l, the lower bound Q = crit_u (Viechtbauer 2007).
    if q_at_min < crit_l:
        lb = ub = tau2_min
        lb_sign = ub_sign = "<"
        ci_null = tau2_min <= 0
    elif q_at_max > crit_l:
        ub, ub_sign = tau2_max, ">"
    else:
        ub = solve(crit_l, "upper")
    if q_at_max > crit_u:
        lb = ub = tau2_max
        lb_sign = ub_sign = ">"
    elif q_at_min < crit_u:
        lb = tau2_min
        if tau2_min > 0:
            lb_sign = "<"
    else:
        lb = solve(crit_u, "lower")
    if ci_null:
        messages.append(f"The upper and lower CI bounds for tau^2 both fall below {tau2_min:g}. The CIs are therefore equal to the null/empty set.")
    vt = typical_variance(v)

    def root(t2: float) -> float:
        return math.sqrt(t2) if t2 >= 0 else math.nan

    return HeterogeneityCI(
        k=k,
        method=res.method,
        level=float(level),
        tau2=Interval(tau2, lb, ub),
        tau=Interval(root(tau2), root(lb), root(ub)),
        i2=Interval(float(res.i2), 100 * lb / (vt + lb), 100 * ub / (vt + ub)),
        h2=Interval(float(res.h2), lb / vt + 1, ub / vt + 1),
        lb_sign=lb_sign,
        ub_sign=ub_sign,
        ci_null=ci_null,
        tau2_min=tau2_min,
        tau2_max=tau2_max,
        messages=messages,
    )

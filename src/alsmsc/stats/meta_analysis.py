"""Meta-analysis: effect sizes from arm-level data and pooling, matching R's metafor.

Hand-written on numpy/scipy rather than statsmodels because statsmodels' ``combine_effects`` has no REML and no
prediction interval, and differs from metafor on sparse data (it neither truncates the DerSimonian-Laird tau² nor
I² at 0). Each formula follows metafor (Viechtbauer 2010, J Stat Softw 36(3)); ``tests/test_meta.py`` checks every
method against metafor's own output to 1e-6 relative, from stored reference values and, where R is installed, live.

Conventions as in metafor's ``escalc`` and ``rma``:
- ``escalc`` measures: MD, SMD (Hedges' g, exact small-sample correction), ROM (log ratio of means), RR and OR (log
  scale), RD, and single proportions PR (raw), PLO (logit), PAS (arcsine square root) and PFT (Freeman-Tukey double
  arcsine). For RR, OR, RD, PR and PLO, 1/2 is added to every cell of a study that has a zero cell (``add=1/2,
  to="only0"``); PAS and PFT need no correction (metafor's ``add=0`` for them). A study with no events in either arm (or
  events in every participant of both arms) is kept, as metafor's ``drop00=FALSE`` keeps it; ``drop00=True`` drops it
  with a message (the Cochrane Handbook's convention, which the review's own synthesis uses).
- ``rma`` methods: FE (common effect), DL, HE, SJ, ML, REML, EB, PM; ``knha=True`` uses the Knapp-Hartung standard
  error and t quantiles with k-1 degrees of freedom, for the confidence and the prediction interval; ``level`` sets the
  confidence level of every interval.
- Iterative estimators (ML, REML, EB: Fisher scoring; PM: Brent's root finder) converge to the optimum by default
  (``control="exact"``: relative change below 1e-10). ``control="metafor"`` stops where metafor's defaults stop
  (``threshold=1e-5``, ``maxiter=100``, uniroot ``tol=.Machine$double.eps^0.25``), to reproduce its printed output.
- I² and H² for random-effects models use metafor's "typical within-study variance"; for FE they come from Q.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import special

from alsmsc.stats import distributions as dist
from alsmsc.stats.control import control as stopping
from alsmsc.stats.errors import MetaError
from alsmsc.stats.inputs import check_effects, check_knha_rss, check_level
from alsmsc.stats.names import CONTINUOUS, CONTROLS, MEASURES, METHODS, PROPORTIONS, TWO_BY_TWO
from alsmsc.stats.roots import uniroot

__all__ = ["CONTINUOUS", "CONTROLS", "MEASURES", "METHODS", "PROPORTIONS", "TWO_BY_TWO", "MetaError"]  # re-exported


# --------------------------------------------------------------------------- effect sizes


@dataclass
class EffectSizes:
    yi: np.ndarray
    vi: np.ndarray
    measure: str
    kept: np.ndarray  # boolean mask over the input rows
    messages: list[str] = field(default_factory=list)


def _arr(name: str, values, n: int | None = None) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    if a.ndim != 1:
        raise MetaError(f"{name} must be a one-dimensional list of numbers")
    if n is not None and len(a) != n:
        raise MetaError(f"{name} has {len(a)} values but the other inputs have {n}; every column needs one value per study")
    if np.isnan(a).any():
        bad = ", ".join(str(i + 1) for i in np.flatnonzero(np.isnan(a))[:10])
        raise MetaError(f"{name} is missing or not a number in study/studies {bad}")
    return a


def _check_counts(**cols: np.ndarray) -> None:
    for name, a in cols.items():
        if (a < 0).any():
            raise MetaError(f"{name} must not be negative (study {np.flatnonzero(a < 0)[0] + 1})")


def exact_hedges_correction(m: np.ndarray) -> np.ndarray:
    """J(m) = Γ(m/2) / (sqrt(m/2) Γ((m-1)/2)), the exact small-sample correction of Hedges (1981)."""
    return np.exp(special.gammaln(m / 2) - 0.5 * np.log(m / 2) - special.gammaln((m - 1) / 2))


def escalc(
    measure: str,
    *,
    m1i=None,
    sd1i=None,
    n1i=None,
    m2i=None,
    sd2i=None,
    n2i=None,
    ai=None,
    bi=None,
    ci=None,
    di=None,
    xi=None,
    ni=None,
    study_labels: Sequence[str] | None = None,
    drop00: bool = False,
) -> EffectSizes:
    """Effect sizes yi and sampling variances vi, named and computed as metafor's ``escalc`` does (its defaults
    ``add=1/2, to="only0", drop00=FALSE``; ``drop00=True`` drops double-zero studies)."""
    measure = measure.upper()
    if measure not in MEASURES:
        raise MetaError(f"unknown measure {measure!r}; allowed: {', '.join(MEASURES)}")
    messages: list[str] = []
    if measure in CONTINUOUS:
        if any(v is None for v in (m1i, sd1i, n1i, m2i, sd2i, n2i)):
            raise MetaError(f"{measure} needs columns m1i, sd1i, n1i, m2i, sd2i, n2i")
        m1 = _arr("m1i", m1i)
        k = len(m1)
        sd1, n1, m2, sd2, n2 = (_arr(n, v, k) for n, v in (("sd1i", sd1i), ("n1i", n1i), ("m2i", m2i), ("sd2i", sd2i), ("n2i", n2i)))
        if (n1 < 1).any() or (n2 < 1).any():
            raise MetaError("n1i and n2i must be at least 1")
        if (sd1 < 0).any() or (sd2 < 0).any():
            raise MetaError("sd1i and sd2i must not be negative")
        if measure == "MD":
            yi = m1 - m2
            vi = sd1**2 / n1 + sd2**2 / n2
        elif measure == "SMD":
            mi = n1 + n2 - 2
            if (mi < 2).any():
                raise MetaError("SMD needs n1i + n2i >= 4 for the small-sample correction")
            sdp = np.sqrt(((n1 - 1) * sd1**2 + (n2 - 1) * sd2**2) / mi)
            yi = exact_hedges_correction(mi) * (m1 - m2) / sdp
            vi = 1 / n1 + 1 / n2 + yi**2 / (2 * (n1 + n2))
        else:  # ROM
            if (m1 <= 0).any() or (m2 <= 0).any():
                raise MetaError("ROM (ratio of means) needs positive means m1i and m2i")
            yi = np.log(m1 / m2)
            vi = sd1**2 / (n1 * m1**2) + sd2**2 / (n2 * m2**2)
        return EffectSizes(yi, vi, measure, np.ones(k, bool), messages)
    if measure in PROPORTIONS:
        if xi is None or ni is None:
            raise MetaError(f"{measure} needs columns xi (events) and ni (participants)")
        x = _arr("xi", xi)
        n = _arr("ni", ni, len(x))
        _check_counts(xi=x, ni=n)
        if (n <= 0).any():
            raise MetaError(f"ni must be at least 1 (study {np.flatnonzero(n <= 0)[0] + 1})")
        if (x > n).any():
            raise MetaError(f"xi exceeds ni in study {np.flatnonzero(x > n)[0] + 1}")
        if measure in ("PR", "PLO"):  # add = 1/2 to both cells of a study with a zero cell; PAS and PFT take no correction
            zero = (x == 0) | (x == n)
            x = np.where(zero, x + 0.5, x)
            n = np.where(zero, n + 1.0, n)
        p = x / n
        if measure == "PR":
            yi, vi = p, p * (1 - p) / n
        elif measure == "PLO":
            yi, vi = np.log(x / (n - x)), 1 / x + 1 / (n - x)
        elif measure == "PAS":
            yi, vi = np.arcsin(np.sqrt(p)), 1 / (4 * n)
        else:  # PFT
            yi = 0.5 * (np.arcsin(np.sqrt(x / (n + 1))) + np.arcsin(np.sqrt((x + 1) / (n + 1))))
            vi = 1 / (4 * n + 2)
        return EffectSizes(yi, vi, measure, np.ones(len(yi), bool), messages)
    if any(v is None for v in (ai, bi, ci, di)):
        raise MetaError(f"{measure} needs columns ai, bi, ci, di (events and non-events in arms 1 and 2)")
    a = _arr("ai", ai)
    k = len(a)
    b, c, d = (_arr(n, v, k) for n, v in (("bi", bi), ("ci", ci), ("di", di)))
    _check_counts(ai=a, bi=b, ci=c, di=d)
    keep = np.ones(k, bool)
    both_none = (a == 0) & (c == 0)
    both_all = (b == 0) & (d == 0)
    for i in np.flatnonzero(both_none | both_all):
        label = study_labels[i] if study_labels is not None else f"study {i + 1}"
        what = "no events" if both_none[i] else "every participant had the event"
        if drop00:
            keep[i] = False
            messages.append(f"{label} dropped: {what} in both arms, so it carries no information on the {measure}")
        else:
            messages.append(f"{label}: {what} in both arms; kept with 1/2 added to each cell, as metafor does (drop00=True drops it)")
    a, b, c, d = a[keep], b[keep], c[keep], d[keep]
    if (a + b == 0).any() or (c + d == 0).any():
        raise MetaError("each arm needs at least one participant (ai + bi > 0 and ci + di > 0)")
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, v + 0.5, v) for v in (a, b, c, d))
    n1, n2 = a + b, c + d
    if (n1 == 0).any() or (n2 == 0).any():
        raise MetaError("each arm needs at least one participant (ai + bi > 0 and ci + di > 0)")
    if measure == "RR":
        yi = np.log((a / n1) / (c / n2))
        vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
    elif measure == "OR":
        yi = np.log((a * d) / (b * c))
        vi = 1 / a + 1 / b + 1 / c + 1 / d
    else:  # RD
        p1, p2 = a / n1, c / n2
        yi = p1 - p2
        vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
    return EffectSizes(yi, vi, measure, keep, messages)


# --------------------------------------------------------------------------- pooling


@dataclass
class MetaResult:
    k: int
    method: str
    knha: bool
    estimate: float
    se: float
    stat: float  # z, or t under Knapp-Hartung
    pval: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    tau2: float
    i2: float
    h2: float
    q: float
    q_df: int
    q_pval: float
    weights: list[float]  # percent
    level: float = 0.95
    control: str = "exact"

    def as_dict(self) -> dict:
        return asdict(self)


def _validate(yi, vi, min_k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    if y.ndim != 1 or v.ndim != 1:
        raise MetaError("yi and vi must be one-dimensional lists of numbers")
    if len(y) != len(v):
        raise MetaError(f"yi has {len(y)} values but vi has {len(v)}; give one variance per effect size")
    bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(v))
    if len(bad):
        raise MetaError(f"yi or vi is missing or not a finite number in study/studies {', '.join(str(i + 1) for i in bad[:10])}")
    nonpos = np.flatnonzero(v <= 0)
    if len(nonpos):
        raise MetaError(f"sampling variances vi must be positive; study/studies {', '.join(str(i + 1) for i in nonpos[:10])} have vi <= 0")
    check_effects(y, v)
    if len(y) < min_k:
        raise MetaError(f"pooling needs at least {min_k} studies; got {len(y)}")
    return y, v


def _q_stat(y, w):
    mu = np.sum(w * y) / np.sum(w)
    return float(np.sum(w * (y - mu) ** 2))


# metafor's upper bracket for Paule-Mandel is max(TAU2_MAX, 10 mad(y)²).
TAU2_MAX = 100.0


def tau2_dl(y, v) -> float:
    w = 1 / v
    q = _q_stat(y, w)
    c = w.sum() - np.sum(w**2) / w.sum()
    return max(0.0, (q - (len(y) - 1)) / c)


def tau2_he(y, v) -> float:
    """Hedges' estimator: var(y) - mean(v), not truncated (metafor's starting value for ML, REML, EB)."""
    k = len(y)
    rss = np.sum((y - y.mean()) ** 2)
    return float((rss - (k - 1) / k * v.sum()) / (k - 1))


def tau2_sj(y, v) -> float:
    """Sidik-Jonkman: one step from the start tau²₀ = mean((y - ȳ)²), metafor's default tau2.init."""
    t0 = float(np.mean((y - y.mean()) ** 2))
    if t0 <= 0:
        raise MetaError("Sidik-Jonkman needs effect sizes that are not all equal (its starting value is their variance)")
    w = 1 / (v + t0)
    return max(0.0, t0 * _q_stat(y, w) / (len(y) - 1))


def _tau2_max(y) -> float:
    """metafor's upper bracket: max(100, 10 mad(y)²), with R's mad (scaled by 1.4826)."""
    mad = 1.4826 * np.median(np.abs(y - np.median(y)))
    return max(TAU2_MAX, 10 * mad**2)


def tau2_pm(y, v, tau2_max: float | None = None, control: str = "exact") -> float:
    """Paule-Mandel: the tau² where the generalised Q equals k-1, found on [0, tau2_max] with R's uniroot as metafor
    does; ``control="metafor"`` stops at uniroot's tolerance, exact runs it to machine precision."""
    df = len(y) - 1
    tau2_max = _tau2_max(y) if tau2_max is None else tau2_max
    ctl = stopping(control, v)

    def excess(t2):
        return _q_stat(y, 1 / (v + t2)) - df

    if excess(0.0) < 0:
        return 0.0
    if excess(tau2_max) > 0:
        raise MetaError(f"Paule-Mandel: tau² exceeds {tau2_max}; the effect sizes are too heterogeneous for this bracket")
    root, _ = uniroot(excess, 0.0, tau2_max, tol=ctl.tol, maxiter=ctl.maxiter)
    return float(root)


def _loglik(y, v, t2, method: str) -> float:
    """ML or REML log-likelihood of the intercept-only model at tau² (metafor's ll0check compares them)."""
    w = 1 / (v + t2)
    mu = np.sum(w * y) / w.sum()
    rss = np.sum(w * (y - mu) ** 2)
    if method == "ML":
        return float(-0.5 * len(y) * np.log(2 * np.pi) - 0.5 * np.sum(np.log(v + t2)) - 0.5 * rss)
    return float(-0.5 * (len(y) - 1) * np.log(2 * np.pi) - 0.5 * np.sum(np.log(v + t2)) - 0.5 * np.log(w.sum()) - 0.5 * rss)


def _fisher_step(y, v, t2: float, method: str) -> float:
    """One Fisher-scoring step for ML, REML or EB, with P = W - w wᵀ / Σw written out for an intercept-only model."""
    w = 1 / (v + t2)
    sw = w.sum()
    mu = np.sum(w * y) / sw
    py = w * (y - mu)  # P y
    if method == "ML":
        return float((np.sum(py**2) - sw) / np.sum(w**2))
    if method == "EB":
        k = len(y)
        return float((np.sum(w * (y - mu) ** 2) * k / (k - 1) - k) / sw)
    sw2 = np.sum(w**2)
    tr_p = sw - sw2 / sw
    tr_pp = sw2 - 2 * np.sum(w**3) / sw + (sw2 / sw) ** 2
    return float((np.sum(py**2) - tr_p) / tr_pp)


def tau2_fisher(y, v, method: str = "REML", control: str = "exact") -> float:
    """ML, REML or EB by Fisher scoring as metafor does: start at max(0, HE), halve a step that would go below 0, stop
    on a small change; then metafor's check that tau² = 0 is not more likely (ML and REML)."""
    ctl = stopping(control, v)
    t2 = max(0.0, tau2_he(y, v))
    it = 0
    while True:
        it += 1
        old = t2
        with np.errstate(all="ignore"):  # a non-finite step is refused just below
            adj = _fisher_step(y, v, t2, method)
        if not math.isfinite(adj):
            raise MetaError(f"{method} (Fisher scoring) failed: a step of {adj} at tau² = {t2:.6g} (the variances are too extreme); try method DL")
        while t2 + adj < 0:
            adj /= 2
        t2 = t2 + adj
        if ctl.converged(abs(old - t2), t2):
            break
        if it > ctl.maxiter:
            raise MetaError(f"{method} (Fisher scoring) did not converge in {ctl.maxiter} iterations; try method DL or PM")
    if ctl.exact and t2 <= ctl.threshold * 1e6 and _fisher_step(y, v, 0.0, method) <= 0:
        t2 = 0.0  # halving steps only approach the boundary; the score at 0 says the optimum is there
    if method in ("ML", "REML") and t2 > ctl.ll0_threshold and _loglik(y, v, 0.0, method) - _loglik(y, v, t2, method) > ctl.ll0_margin:
        t2 = 0.0  # metafor's ll0check: a local maximum below the likelihood at tau² = 0
    return float(max(0.0, t2))


def tau2_estimate(y, v, method: str = "REML", control: str = "exact") -> float:
    """tau² by ``method`` (one of METHODS)."""
    if method == "FE":
        return 0.0
    if method == "DL":
        return tau2_dl(y, v)
    if method == "HE":
        return max(0.0, tau2_he(y, v))
    if method == "SJ":
        return tau2_sj(y, v)
    if method == "PM":
        return tau2_pm(y, v, control=control)
    if method in ("ML", "REML", "EB"):
        return tau2_fisher(y, v, method, control)
    raise MetaError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def rma(yi, vi, method: str = "REML", knha: bool = False, level: float = 0.95, control: str = "exact") -> MetaResult:
    """Pool effect sizes (metafor's ``rma(yi, vi, method=..., test='knha' if knha else 'z', level=...)``)."""
    method = method.upper()
    if method not in METHODS:
        raise MetaError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    level = check_level(level)
    y, v = _validate(yi, vi)
    k = len(y)
    tau2 = tau2_estimate(y, v, method, control)
    w = 1 / (v + tau2)
    sw = w.sum()
    with np.errstate(all="ignore"):
        mu = float(np.sum(w * y) / sw)
    if not (math.isfinite(tau2) and math.isfinite(mu) and 0 < sw < math.inf):
        raise MetaError(
            f"{method} cannot be computed in double precision for these data (tau² {tau2:.3g}, pooled estimate {mu:.3g}): the sampling "
            f"variances span {v.min():.3g} to {v.max():.3g} and the effect sizes {y.min():.3g} to {y.max():.3g}; check them for unit errors"
        )
    se = math.sqrt(1 / sw)
    wf = 1 / v
    q = _q_stat(y, wf)
    df = k - 1
    q_pval = float(dist.chi2_sf(q, df))
    if knha:
        rss = float(np.sum(w * (y - mu) ** 2))
        check_knha_rss(rss)
        se = math.sqrt(rss / df / sw)
        crit = dist.two_sided_crit(level, df)
        stat = mu / se
        pval = float(2 * dist.t_sf(abs(stat), df))
    else:
        crit = dist.two_sided_crit(level)
        stat = mu / se
        pval = float(2 * dist.norm_sf(abs(stat)))
    pi_half = crit * math.sqrt(se**2 + tau2)
    if method == "FE":
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 else 0.0
        h2 = q / df
    else:
        s2_typical = df * wf.sum() / (wf.sum() ** 2 - np.sum(wf**2))
        i2 = 100 * tau2 / (tau2 + s2_typical)
        h2 = (tau2 + s2_typical) / s2_typical
    return MetaResult(
        k=k,
        method=method,
        knha=knha,
        estimate=mu,
        se=se,
        stat=stat,
        pval=pval,
        ci_lb=mu - crit * se,
        ci_ub=mu + crit * se,
        pi_lb=mu - pi_half,
        pi_ub=mu + pi_half,
        tau2=float(tau2),
        i2=float(i2),
        h2=float(h2),
        q=q,
        q_df=df,
        q_pval=q_pval,
        weights=list((100 * w / sw).astype(float)),
        level=level,
        control=control,
    )


LOO_FIELDS = ("k", "estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2", "q", "q_pval")


def leave_one_out(
    yi, vi, method: str = "REML", knha: bool = False, labels: Sequence[str] | None = None, level: float = 0.95, control: str = "exact"
) -> list[dict]:
    """The pooled result with each study left out in turn, with the columns of metafor's ``leave1out()`` (estimate,
    se, z or t, p, CI, Q, p, tau², I², H²) and the prediction interval (needs k >= 3)."""
    y, v = _validate(yi, vi, min_k=3)
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(y))]
    out = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        r = rma(y[keep], v[keep], method, knha, level, control)
        out.append({"omitted": labels[i], **{k: getattr(r, k) for k in LOO_FIELDS}})
    return out


def cumulative(
    yi,
    vi,
    order: Sequence,
    method: str = "REML",
    knha: bool = False,
    labels: Sequence[str] | None = None,
    level: float = 0.95,
    control: str = "exact",
) -> list[dict]:
    """Pooled results as studies are added in ``order`` (e.g. year; ties keep input order); starts at k = 1, as
    metafor's ``cumul()`` does: the first row is the first study alone (tau² 0, a normal-theory interval even with
    Knapp-Hartung, which has no degrees of freedom at k = 1)."""
    y, v = _validate(yi, vi)
    level = check_level(level)
    idx = np.argsort(np.asarray(order), kind="stable")
    labels = list(labels) if labels is not None else [str(i + 1) for i in range(len(y))]
    first, se = float(y[idx[0]]), math.sqrt(float(v[idx[0]]))
    half = dist.two_sided_crit(level) * se
    out = [
        {
            "added": labels[idx[0]],
            "order": np.asarray(order)[idx[0]].item(),
            **dict(
                k=1,
                estimate=first,
                se=se,
                stat=first / se,
                pval=float(2 * dist.norm_sf(abs(first / se))),
                ci_lb=first - half,
                ci_ub=first + half,
                pi_lb=first - half,
                pi_ub=first + half,
                tau2=0.0,
                i2=0.0,
                h2=1.0,
            ),
        }
    ]
    for j in range(2, len(y) + 1):
        sel = idx[:j]
        r = rma(y[sel], v[sel], method, knha, level, control)
        out.append(
            {
                "added": labels[idx[j - 1]],
                "order": np.asarray(order)[idx[j - 1]].item(),
                **{k: getattr(r, k) for k in ("k", "estimate", "se", "stat", "pval", "ci_lb", "ci_ub", "pi_lb", "pi_ub", "tau2", "i2", "h2")},
            }
        )
    return out


@dataclass
class SubgroupResult:
    groups: dict[str, MetaResult]
    q_between: float
    df_between: int
    p_between: float


def subgroups(yi, vi, groups: Sequence[str], method: str = "REML", knha: bool = False, control: str = "exact") -> SubgroupResult:
    """Separate pooled estimates per subgroup and a test for subgroup differences.

    The test is the Q statistic of a common-effect meta-analysis of the subgroup estimates (the approach of the
    Cochrane Handbook and RevMan, with a separate tau² per subgroup). Subgroups with fewer than 2 studies are left out.
    """
    y, v = _validate(yi, vi)
    g = np.asarray(groups, dtype=object)
    if len(g) != len(y):
        raise MetaError(f"groups has {len(g)} values but there are {len(y)} studies")
    results = {}
    for name in sorted(set(g.tolist()), key=str):
        sel = g == name
        if sel.sum() >= 2:
            results[str(name)] = rma(y[sel], v[sel], method, knha, control=control)
    if len(results) < 2:
        raise MetaError("a subgroup analysis needs at least 2 subgroups with 2 or more studies each")
    est = np.array([r.estimate for r in results.values()])
    var = np.array([r.se**2 for r in results.values()])
    qb = _q_stat(est, 1 / var)
    dfb = len(results) - 1
    return SubgroupResult(results, qb, dfb, float(dist.chi2_sf(qb, dfb)))


# --------------------------------------------------------------------------- rare events: logistic-normal model


@dataclass
class GlmmResult:
    """Random-effects logistic-normal model of proportions (metafor's ``rma.glmm(measure="PLO")``)."""

    k: int
    estimate: float  # pooled logit
    se: float
    ci_lb: float
    ci_ub: float
    pi_lb: float
    pi_ub: float
    tau2: float
    loglik: float

    def as_dict(self) -> dict:
        return asdict(self)


def _agq_loglik(mu: float, tau: float, x: np.ndarray, n: np.ndarray, nodes: np.ndarray, weights: np.ndarray) -> float:
    """Marginal binomial log-likelihood with a normal random intercept, by adaptive Gauss-Hermite quadrature centred
    on each study's conditional mode (as lme4's glmer with nAGQ > 1 computes it)."""
    from scipy.special import expit, gammaln

    const = gammaln(n + 1) - gammaln(x + 1) - gammaln(n - x + 1)
    if tau <= 0:
        eta = mu
        return float(np.sum(const + x * eta - n * np.logaddexp(0, eta)))
    # conditional modes of u (standard normal scale) by Newton's method, vectorised over studies
    u = np.zeros_like(x, dtype=float)
    for _ in range(100):
        p = expit(mu + tau * u)
        grad = tau * (x - n * p) - u
        hess = -(tau**2) * n * p * (1 - p) - 1
        step = grad / hess
        u -= step
        if np.max(np.abs(step)) < 1e-12:
            break
    p = expit(mu + tau * u)
    sigma = 1 / np.sqrt(tau**2 * n * p * (1 - p) + 1)
    z = u[:, None] + np.sqrt(2) * sigma[:, None] * nodes[None, :]
    eta = mu + tau * z
    log_f = x[:, None] * eta - n[:, None] * np.logaddexp(0, eta) - 0.5 * z**2 - 0.5 * math.log(2 * math.pi)
    log_terms = log_f + nodes[None, :] ** 2 + np.log(weights)[None, :]
    top = log_terms.max(axis=1)
    integral = top + np.log(np.exp(log_terms - top[:, None]).sum(axis=1)) + np.log(np.sqrt(2) * sigma)
    return float(np.sum(const + integral))


def rma_glmm_plo(xi, ni, nagq: int = 7, level: float = 0.95) -> GlmmResult:
    """Pool proportions with a random-effects logistic-normal model fitted by maximum likelihood.

    Suited to rare and zero events: each study enters with its exact binomial likelihood, so no continuity correction
    is added and zero-event studies keep their weight. Reproduces metafor's ``rma.glmm(measure="PLO", nAGQ=7)``
    (lme4's glmer with a random intercept per study): adaptive Gauss-Hermite quadrature, ML estimates of the logit and
    tau, the standard error from the numerical Hessian of the deviance over (tau, logit), Wald intervals, and a
    prediction interval on sqrt(se^2 + tau^2). Hand-written because no Python library fits this model exactly.
    """
    from scipy import optimize

    x = np.asarray(xi, dtype=float)
    n = np.asarray(ni, dtype=float)
    if x.ndim != 1 or len(x) != len(n):
        raise MetaError("xi and ni must be lists of the same length")
    if len(x) < 2:
        raise MetaError(f"pooling needs at least 2 studies; got {len(x)}")
    if np.any(~np.isfinite(x)) or np.any(~np.isfinite(n)) or np.any(x < 0) or np.any(n <= 0) or np.any(x > n):
        raise MetaError("each study needs 0 <= events <= total and total > 0")
    nodes, weights = np.polynomial.hermite.hermgauss(nagq)

    def deviance(params):
        tau, mu = params
        return -2 * _agq_loglik(mu, abs(tau), x, n, nodes, weights)

    pooled = math.log((x.sum() + 0.5) / (n.sum() - x.sum() + 0.5))
    best = None
    for tau0 in (0.1, 0.5, 1.0, 2.0):
        fit = optimize.minimize(deviance, x0=[tau0, pooled], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
        if best is None or fit.fun < best.fun:
            best = fit
    tau, mu = abs(best.x[0]), best.x[1]
    # the boundary tau = 0 is a separate candidate (Nelder-Mead can stall near it)
    fe = optimize.minimize_scalar(lambda m: deviance([0.0, m]), bracket=(pooled - 1, pooled + 1))
    if fe.fun <= best.fun + 1e-9:
        tau, mu = 0.0, float(fe.x)
    se = _glmm_se(deviance, tau, mu)
    crit = dist.two_sided_crit(check_level(level))
    pi_half = crit * math.sqrt(se**2 + tau**2)
    return GlmmResult(
        k=len(x),
        estimate=float(mu),
        se=se,
        ci_lb=mu - crit * se,
        ci_ub=mu + crit * se,
        pi_lb=mu - pi_half,
        pi_ub=mu + pi_half,
        tau2=float(tau**2),
        loglik=-deviance([tau, mu]) / 2,
    )


def _glmm_se(deviance, tau: float, mu: float) -> float:
    """SE of the logit from the Hessian of the deviance over (tau, logit), as lme4's vcov(use.hessian=TRUE); at the
    boundary tau = 0 only the logit's own curvature is used."""
    h = 1e-4 * max(1.0, abs(mu))
    if tau <= 1e-8:
        d2 = (deviance([0.0, mu + h]) - 2 * deviance([0.0, mu]) + deviance([0.0, mu - h])) / h**2
        return math.sqrt(2 / d2)
    ht = 1e-4 * max(1.0, tau)
    f = lambda a, b: deviance([tau + a, mu + b])  # noqa: E731
    h_tt = (f(ht, 0) - 2 * f(0, 0) + f(-ht, 0)) / ht**2
    h_mm = (f(0, h) - 2 * f(0, 0) + f(0, -h)) / h**2
    h_tm = (f(ht, h) - f(ht, -h) - f(-ht, h) + f(-ht, -h)) / (4 * ht * h)
    hess = np.array([[h_tt, h_tm], [h_tm, h_mm]])
    cov = 2 * np.linalg.inv(hess)
    return math.sqrt(cov[1, 1])

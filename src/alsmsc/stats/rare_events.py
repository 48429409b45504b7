"""Pooling 2x2 tables with rare events: Mantel-Haenszel (metafor's ``rma.mh``) and Peto's one-step odds ratio
(metafor's ``rma.peto``), matching metafor 3.8.1 with its defaults.

Inverse-variance pooling needs a continuity correction for every table with a zero cell, and that correction biases
sparse data; the Mantel-Haenszel and Peto estimates are computed from the raw counts, so tables with a zero cell need
no correction (metafor's ``add = c(1/2, 0)``, ``to = c("only0", "none")``, ``drop00 = c(TRUE, FALSE)``). Only the
heterogeneity statistics (Q, I², H²) use per-study effect sizes: metafor's ``escalc`` with 1/2 added to every cell of a
table that has a zero cell and tables with no events (or only events) in both arms left out, for RD too.
``tests/test_meta_rare_events.py`` checks every quantity against metafor (tests/reference/metafor_rare_events.R).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from alsmsc.stats.distributions import chi2_sf, norm_sf, two_sided_crit
from alsmsc.stats.inputs import check_level, count_column
from alsmsc.stats.meta_analysis import MetaError

MH_MEASURES = ("OR", "RR", "RD")


@dataclass
class MHResult:
    """metafor's ``rma.mh`` result. ``estimate`` and the interval are on the log scale for OR and RR (``*_exp`` give
    the ratio); ``k_q`` tables have an effect size behind Q, I² and H²; the CMH, Cochran, Breslow-Day and Tarone tests
    are given for OR only (None otherwise), with ``k_pos`` the tables behind the last two."""

    measure: str
    level: float
    correct: bool
    k: int
    k_q: int
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    estimate_exp: float | None
    ci_lb_exp: float | None
    ci_ub_exp: float | None
    q: float
    q_df: int
    q_pval: float
    i2: float
    h2: float
    cmh: float | None
    cmh_pval: float | None
    cochran: float | None
    cochran_pval: float | None
    breslow_day: float | None
    breslow_day_pval: float | None
    tarone: float | None
    tarone_pval: float | None
    k_pos: int | None
    weights: list[float]  # percent, one per input table (metafor's weights.rma.mh)
    yi: list[float | None]  # escalc effect size per input table; None where left out of Q
    vi: list[float | None]
    labels: list[str]
    messages: list[str] = field(default_factory=list)
    method: str = "MH"

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PetoResult:
    """metafor's ``rma.peto`` result: Peto's log odds ratio (``*_exp`` give the odds ratio); ``k_pos`` tables have a
    positive hypergeometric variance and carry information."""

    level: float
    k: int
    k_q: int
    k_pos: int
    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    estimate_exp: float
    ci_lb_exp: float
    ci_ub_exp: float
    q: float
    q_df: int
    q_pval: float
    i2: float
    h2: float
    weights: list[float]  # percent, one per input table (metafor's weights.rma.peto)
    yi: list[float | None]  # escalc(measure="PETO") per input table; None where left out
    vi: list[float | None]
    labels: list[str]
    messages: list[str] = field(default_factory=list)
    measure: str = "OR"
    method: str = "PETO"

    def as_dict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------- input


def _tables(ai, bi, ci, di, labels, level: float):
    check_level(level)
    a = count_column("ai", ai, None)
    k = len(a)
    if k == 0:
        raise MetaError("no studies given; ai, bi, ci and di need one count per study")
    b, c, d = (count_column(n, v, k) for n, v in (("bi", bi), ("ci", ci), ("di", di)))
    empty = np.flatnonzero((a + b == 0) | (c + d == 0))
    if len(empty):
        raise MetaError(f"study {empty[0] + 1} has an arm with no participants; each arm needs ai + bi > 0 and ci + di > 0")
    if labels is None:
        labels = [f"study {i + 1}" for i in range(k)]
    else:
        labels = [str(x) for x in labels]
        if len(labels) != k:
            raise MetaError(f"labels has {len(labels)} entries but there are {k} studies; give one label per study")
    return a, b, c, d, labels


def _escalc(measure: str, a, b, c, d) -> tuple[np.ndarray, np.ndarray]:
    """metafor's ``escalc`` as ``rma.mh``/``rma.peto`` call it (add=1/2, to="only0", drop00=TRUE): NaN where dropped."""
    drop = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
    zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    a, b, c, d = (np.where(zero, x + 0.5, x) for x in (a, b, c, d))
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi, vi = np.log(p1) - np.log(p2), 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "OR":
            yi, vi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2)), 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RD":
            yi, vi = p1 - p2, p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        else:  # PETO
            n = n1 + n2
            xt, yt = a + c, b + d
            v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
            yi, vi = (a - xt * n1 / n) / v, 1 / v
    return np.where(drop, np.nan, yi), np.where(drop, np.nan, vi)


def _no_information(measure: str, a, b, c, d, labels) -> list[str]:
    """Name each table with no events (or only events) in both arms and say what metafor does with it."""
    out = []
    left_out = "so it is left out of Q, I² and H²"
    for i in np.flatnonzero(((a == 0) & (c == 0)) | ((b == 0) & (d == 0))):
        what = "no events in either arm" if a[i] == 0 and c[i] == 0 else "every participant had the event in both arms"
        if measure == "RD":
            out.append(f"{labels[i]}: {what}; it counts in the Mantel-Haenszel risk difference (as 0) but has no effect size of its own, {left_out}")
        elif measure == "RR" and a[i] > 0:
            out.append(f"{labels[i]}: {what}; it counts in the Mantel-Haenszel risk ratio (as 1) but has no log risk ratio of its own, {left_out}")
        else:
            name = "risk ratio" if measure == "RR" else "odds ratio"
            out.append(f"{labels[i]}: {what}, so it carries no information on the {name}; it adds nothing to the pooled estimate, {left_out}")
    return out


def _nan_to_none(x: np.ndarray) -> list[float | None]:
    return [None if math.isnan(v) else float(v) for v in x]


def _heterogeneity(q: float, k_q: int) -> tuple[float, int, float, float, float]:
    """Q's df, p, I² and H² from Q as metafor's rma.mh does (I² = 0 when Q = 0, where metafor gives NaN)."""
    if k_q <= 1:
        return 0.0, 0, 1.0, 0.0, 1.0
    df = k_q - 1
    i2 = max(0.0, 100 * (q - df) / q) if q > 0 else 0.0
    return q, df, float(chi2_sf(q, df)), i2, q / df


# --------------------------------------------------------------------------- Mantel-Haenszel


def rma_mh(ai, bi, ci, di, *, measure: str = "OR", level: float = 0.95, correct: bool = True, labels: Sequence[str] | None = None) -> MHResult:
    """Mantel-Haenszel pooled OR, RR or RD: metafor's ``rma.mh(ai, bi, ci, di, measure=, level=100*level, correct=)``
    with its defaults. Standard errors: Robins-Breslow-Greenland (OR), Greenland-Robins (RR), Sato-Greenland-Robins (RD).
    ``correct`` is the continuity correction of the Cochran-Mantel-Haenszel test."""
    measure = str(measure).upper()
    if measure not in MH_MEASURES:
        raise MetaError(f"unknown measure {measure!r} for the Mantel-Haenszel method; allowed: {', '.join(MH_MEASURES)}")
    if not isinstance(correct, (bool, np.bool_)):
        raise MetaError(f"correct must be True or False (continuity correction of the CMH test); got {correct!r}")
    a, b, c, d, labels = _tables(ai, bi, ci, di, labels, level)
    n1, n2 = a + b, c + d
    n = n1 + n2
    crit = two_sided_crit(level)
    tests: dict[str, float | int | None] = dict.fromkeys(
        ("cmh", "cmh_pval", "cochran", "cochran_pval", "breslow_day", "breslow_day_pval", "tarone", "tarone_pval", "k_pos")
    )

    if measure == "OR":
        p_, q_ = a / n + d / n, b / n + c / n
        r_i, s_i = (a / n) * d, (b / n) * c
        r, s = float(np.sum(r_i)), float(np.sum(s_i))
        if r == 0 or s == 0:
            which = "events in arm 1 (ai) with non-events in arm 2 (di)" if r == 0 else "non-events in arm 1 (bi) with events in arm 2 (ci)"
            raise MetaError(
                f"the Mantel-Haenszel odds ratio is {'0' if r == 0 else 'infinite'}, so its log is undefined: no study has {which} "
                "(metafor returns NA); Peto's method (rma_peto) can still be used"
            )
        psi = r / s
        beta = math.log(psi)
        se = math.sqrt(0.5 * (np.sum(p_ * r_i) / r**2 + np.sum(p_ * s_i + q_ * r_i) / (r * s) + np.sum(q_ * s_i) / s**2))
        weights = s_i
        # Cochran and CMH tests; both sums are positive here because r > 0 and s > 0.
        xt, yt = a + c, b + d
        dev = (abs(float(np.sum(a - (n1 / n) * xt))) - (0.5 if correct else 0.0)) ** 2
        cochran = dev / float(np.sum((n1 / n) * (n2 / n) * (xt * (yt / n))))
        with np.errstate(divide="ignore", invalid="ignore"):  # a table with a single participant has n - 1 = 0
            cmh = dev / float(np.sum(np.where(xt * yt > 0, (n1 / n) * (n2 / n) * (xt * (yt / (n - 1))), 0.0)))
        # Breslow-Day and Tarone: N11 is the expected ai under the common OR psi, the root of a quadratic; written as
        # 2 n1 xt psi / (A + B), algebraically equal to metafor's (A - B) / (2 (psi - 1)) but free of its 0/0 at psi = 1.
        big_a = psi * (n1 + xt) + (n2 - xt)
        big_b = np.sqrt(big_a**2 - 4 * n1 * xt * psi * (psi - 1))
        n11 = 2 * n1 * xt * psi / (big_a + big_b)
        pos = (n11 > 0) & (xt > 0) & (yt > 0)
        n11 = n11[pos]
        n12, n21 = n1[pos] - n11, xt[pos] - n11
        n22 = n11 - n1[pos] - xt[pos] + n[pos]
        var_n11 = 1 / (1 / n11 + 1 / n12 + 1 / n21 + 1 / n22)  # variance of ai given the margins under psi
        bd = max(0.0, float(np.sum((a[pos] - n11) ** 2 / var_n11)))
        ta = max(0.0, bd - float(np.sum(a[pos] - n11)) ** 2 / float(np.sum(var_n11)))
        k_pos = int(pos.sum())
        tests.update(
            cmh=cmh,
            cmh_pval=float(chi2_sf(cmh, 1)),
            cochran=cochran,
            cochran_pval=float(chi2_sf(cochran, 1)),
            breslow_day=bd,
            breslow_day_pval=float(chi2_sf(bd, k_pos - 1)) if k_pos > 1 else None,
            tarone=ta,
            tarone_pval=float(chi2_sf(ta, k_pos - 1)) if k_pos > 1 else None,
            k_pos=k_pos,
        )
    elif measure == "RR":
        if a.sum() == 0 or c.sum() == 0:
            arm = "arm 1 (ai)" if a.sum() == 0 else "arm 2 (ci)"
            raise MetaError(
                f"the Mantel-Haenszel risk ratio is undefined on the log scale: no study has any event in {arm} (metafor returns NA); "
                "use measure 'RD', or Peto's method (rma_peto)"
            )
        r, s = float(np.sum(a * (n2 / n))), float(np.sum(c * (n1 / n)))
        beta = math.log(r / s)
        se = math.sqrt(float(np.sum((n1 / n) * (n2 / n) * (a + c) - (a / n) * c)) / (r * s))
        weights = (c / n) * n1
    else:  # RD, variance of Sato, Greenland & Robins (1989)
        w_sum = float(np.sum(n1 * (n2 / n)))
        beta = float(np.sum(a * (n2 / n) - c * (n1 / n))) / w_sum
        var = (
            beta * float(np.sum(c * (n1 / n) ** 2 - a * (n2 / n) ** 2 + (n1 / n) * (n2 / n) * (n2 - n1) / 2))
            + float(np.sum(a * (n2 - c) / n + c * (n1 - a) / n)) / 2
        ) / w_sum**2
        if not var > 0:
            raise MetaError(
                "the Mantel-Haenszel risk difference has no standard error: every study has no events (or only events) in both arms; "
                "there is nothing to pool"
            )
        se = math.sqrt(var)
        weights = (n1 / n) * n2

    zval = beta / se
    yi, vi = _escalc(measure, a, b, c, d)
    used = ~np.isnan(yi)
    k_q = int(used.sum())
    q = max(0.0, float(np.sum((yi[used] - beta) ** 2 / vi[used]))) if k_q > 1 else 0.0
    q, q_df, q_pval, i2, h2 = _heterogeneity(q, k_q)
    ratio = measure in ("OR", "RR")
    ci_lb, ci_ub = beta - crit * se, beta + crit * se
    return MHResult(
        measure=measure,
        level=float(level),
        correct=bool(correct),
        k=len(a),
        k_q=k_q,
        estimate=beta,
        se=se,
        zval=zval,
        pval=float(2 * norm_sf(abs(zval))),
        ci_lb=ci_lb,
        ci_ub=ci_ub,
        estimate_exp=math.exp(beta) if ratio else None,
        ci_lb_exp=math.exp(ci_lb) if ratio else None,
        ci_ub_exp=math.exp(ci_ub) if ratio else None,
        q=q,
        q_df=q_df,
        q_pval=q_pval,
        i2=i2,
        h2=h2,
        weights=list((100 * weights / weights.sum()).astype(float)),
        yi=_nan_to_none(yi),
        vi=_nan_to_none(vi),
        labels=labels,
        messages=_no_information(measure, a, b, c, d, labels),
        **tests,
    )


# --------------------------------------------------------------------------- Peto


def rma_peto(ai, bi, ci, di, *, level: float = 0.95, labels: Sequence[str] | None = None) -> PetoResult:
    """Peto's one-step log odds ratio, sum(O - E) / sum(V) from the hypergeometric mean E and variance V of each table:
    metafor's ``rma.peto(ai, bi, ci, di, level=100*level)`` with its defaults, and its Q (sum (O-E)²/V - (sum(O-E))²/sum V)."""
    a, b, c, d, labels = _tables(ai, bi, ci, di, labels, level)
    n1, n2 = a + b, c + d
    n = n1 + n2
    xt, yt = a + c, b + d
    e = xt * n1 / n
    with np.errstate(divide="ignore", invalid="ignore"):  # a table with a single participant has n - 1 = 0
        v = np.where(xt * yt > 0, xt * yt * (n1 / n) * (n2 / n) / (n - 1), 0.0)
    sum_v = float(v.sum())
    if sum_v == 0:
        raise MetaError("Peto's method needs both outcomes: in every study either no one or everyone had the event, so there is nothing to pool")
    beta = float(np.sum(a - e)) / sum_v
    se = math.sqrt(1 / sum_v)
    zval = beta / se
    crit = two_sided_crit(level)
    pos = v > 0
    k_pos = int(pos.sum())
    q = max(0.0, float(np.sum((a[pos] - e[pos]) ** 2 / v[pos])) - float(np.sum(a - e)) ** 2 / sum_v)
    yi, vi = _escalc("PETO", a, b, c, d)
    k_q = int((~np.isnan(yi)).sum())
    if k_pos > 1:
        q_df = k_q - 1
        q_pval, i2, h2 = float(chi2_sf(q, q_df)), (max(0.0, 100 * (q - q_df) / q) if q > 0 else 0.0), q / q_df
    else:
        q_df, q_pval, i2, h2 = max(k_q - 1, 0), 1.0, 0.0, 1.0
    ci_lb, ci_ub = beta - crit * se, beta + crit * se
    return PetoResult(
        level=float(level),
        k=len(a),
        k_q=k_q,
        k_pos=k_pos,
        estimate=beta,
        se=se,
        zval=zval,
        pval=float(2 * norm_sf(abs(zval))),
        ci_lb=ci_lb,
        ci_ub=ci_ub,
        estimate_exp=math.exp(beta),
        ci_lb_exp=math.exp(ci_lb),
        ci_ub_exp=math.exp(ci_ub),
        q=q,
        q_df=q_df,
        q_pval=q_pval,
        i2=i2,
        h2=h2,
        weights=list((100 * v / sum_v).astype(float)),
        yi=_nan_to_none(yi),
        vi=_nan_to_none(vi),
        labels=labels,
        messages=_no_information("PETO", a, b, c, d, labels),
    )

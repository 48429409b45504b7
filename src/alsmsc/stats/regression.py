"""Mixed-effects meta-regression, matching R's metafor ``rma(yi, vi, mods = ~ ..., method=, test=, level=)``.

Written on numpy (no statsmodels: it has none of metafor's tau² estimators for meta-regression) following metafor's
``rma.uni`` (3.8-1) step by step: the tau² estimators use its hat/projection matrices, including its use of the
mean-centred effect sizes (which matters only for models without an intercept), its Fisher scoring with step halving
and its check that tau² = 0 is not more likely (``ll0check``). ``tests/test_meta_regression.py`` compares every
returned quantity with metafor to 1e-6 relative.

``control="metafor"`` reproduces metafor's default iterations (Fisher scoring threshold 1e-5, at most 100 iterations,
``uniroot`` tolerance ``.Machine$double.eps^0.25`` for Paule-Mandel), so results agree with a default metafor run to
its last digit; ``control="exact"`` iterates to a relative change below 1e-10 (metafor with threshold and tol 1e-12
gives the same numbers), which is what a report should quote: the default metafor Paule-Mandel tau² can be off in
the fourth decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from alsmsc.stats.control import Control
from alsmsc.stats.control import control as stopping
from alsmsc.stats.distributions import chi2_sf, f_sf, norm_sf, t_sf, two_sided_crit
from alsmsc.stats.inputs import check_knha_rss, check_level
from alsmsc.stats.meta_analysis import MetaError, _tau2_max, _validate
from alsmsc.stats.names import CONTROLS, METHODS
from alsmsc.stats.roots import uniroot


@dataclass
class MetaRegressionResult:
    """A fitted meta-regression; per-coefficient lists follow ``names`` (``intrcpt`` first when there is one)."""

    k: int
    p: int
    method: str
    knha: bool
    level: float
    control: str
    names: list[str]
    b: list[float]
    se: list[float]
    zval: list[float]  # t values under Knapp-Hartung
    pval: list[float]
    ci_lb: list[float]
    ci_ub: list[float]
    vcov: list[list[float]]
    ddf: int | None  # k - p under Knapp-Hartung, else None (normal theory)
    tau2: float
    se_tau2: float | None  # None for FE, as metafor
    i2: float
    h2: float
    r2: float | None  # pseudo R² (%) against the intercept-only model; None without an intercept, as metafor
    qe: float  # test for residual heterogeneity
    qe_df: int
    qe_pval: float
    qm: float  # omnibus test of the moderators (F value under Knapp-Hartung)
    qm_df: list[int | None]  # [m, None] for chi², [m, k - p] for F
    qm_pval: float
    fitted: list[float]
    residuals: list[float]

    def as_dict(self) -> dict:
        return asdict(self)

    def coefficients(self) -> list[dict]:
        """One row per coefficient, as metafor prints them."""
        keys = ("b", "se", "zval", "pval", "ci_lb", "ci_ub")
        return [{"name": n, **{key: getattr(self, key)[j] for key in keys}} for j, n in enumerate(self.names)]


# --------------------------------------------------------------------------- moderators


def _level_name(value) -> str:
    """A level as R's as.character() prints it (2 not 2.0, TRUE not True)."""
    if isinstance(value, (bool, np.bool_)):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (float, np.floating)):
        return str(int(value)) if float(value).is_integer() else format(float(value), ".15g")
    return str(value)


def moderator_matrix(column, reference=None, *, name: str | None = None, all_levels: bool = False) -> tuple[np.ndarray, list[str]]:
    """Dummy (treatment) coding of a categorical moderator, as R's ``model.matrix(~ factor(x))``.

    Returns the 0/1 columns and their names, ``name + level`` as metafor labels them (``name="factor(alloc)"`` gives
    ``factor(alloc)random``; by default the column's own ``.name``, e.g. a pandas Series, else nothing). The reference
    level (no column) is ``reference`` or the first level in sorted order, as R's factor() sorts them (R sorts
    strings by the locale's collation; this sorts by code point, which differs only for mixed-case levels).
    ``all_levels=True`` keeps a column for every level, for a model without intercept (``~ factor(x) - 1``)."""
    values = list(column)
    if name is None:
        name = str(getattr(column, "name", None) or "")
    missing = [i + 1 for i, x in enumerate(values) if x is None or (isinstance(x, (float, np.floating)) and math.isnan(x))]
    if missing:
        raise MetaError(f"moderator {name or 'column'} is missing in study/studies {', '.join(map(str, missing[:10]))}; drop those studies first")
    levels = sorted(set(values))
    if len(levels) < 2:
        raise MetaError(f"moderator {name or 'column'} has a single level ({_level_name(levels[0]) if levels else 'none'}); it needs at least 2")
    if reference is not None:
        if reference not in levels:
            raise MetaError(f"reference level {reference!r} is not a level of {name or 'the column'}; levels: {', '.join(map(_level_name, levels))}")
        levels.remove(reference)
        levels.insert(0, reference)
    keep = levels if all_levels else levels[1:]
    X = np.array([[1.0 if x == lev else 0.0 for lev in keep] for x in values])
    return X, [f"{name}{_level_name(lev)}" for lev in keep]


def _design(X, k: int, names, intercept: bool) -> tuple[np.ndarray, list[str]]:
    try:
        M = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise MetaError(f"moderators must be numbers (use moderator_matrix() for a categorical column): {exc}") from None
    if M.ndim == 1:
        M = M[:, None]
    if M.ndim != 2 or M.shape[0] != k:
        raise MetaError(f"moderators must be a table with one row per study ({k} rows); got shape {M.shape}")
    m = M.shape[1]
    if m == 0:
        raise MetaError("meta-regression needs at least one moderator; without one use meta_analysis.rma()")
    if not np.isfinite(M).all():
        bad = sorted({int(i) + 1 for i in np.argwhere(~np.isfinite(M))[:, 0]})
        raise MetaError(f"a moderator is missing or not a finite number in study/studies {', '.join(map(str, bad[:10]))}")
    names = [f"X{j + 1}" for j in range(m)] if names is None else [str(n) for n in names]
    if len(names) != m:
        raise MetaError(f"names has {len(names)} entries but there are {m} moderator columns")
    if intercept:
        M = np.column_stack([np.ones(k), M])
        names = ["intrcpt", *names]
    if len(set(names)) != len(names):
        raise MetaError(f"coefficient names must be unique; got {', '.join(names)}")
    if not intercept and any(np.all(M[:, j] == 1) for j in range(M.shape[1])):
        raise MetaError("a moderator column is all ones; use intercept=True instead of an explicit intercept column")
    p = M.shape[1]
    if p >= k:
        raise MetaError(f"the model has {p} coefficients but only {k} studies; a meta-regression needs more studies than coefficients")
    for j in range(1, p + 1):  # metafor refuses a model matrix that is not of full rank
        if np.linalg.matrix_rank(M[:, :j]) < j:
            raise MetaError(f"moderator {names[j - 1]} is a linear combination of the columns before it (constant, duplicated or collinear); drop it")
    if np.linalg.eigvalsh(M.T @ M).min() <= 1e-7:
        raise MetaError("the moderators are (nearly) collinear, so the model matrix is not of full rank; drop or rescale a moderator")
    return M, names


# --------------------------------------------------------------------------- tau² estimators


def _inv_xwx(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """(X'WX)^-1 through the QR decomposition of sqrt(W)X, as metafor's .invcalc."""
    r = np.linalg.qr(X * np.sqrt(w)[:, None], mode="r")
    r_inv = np.linalg.inv(r)
    return r_inv @ r_inv.T


def _proj(X: np.ndarray, w: np.ndarray) -> np.ndarray:
    """P = W - W X (X'WX)^-1 X' W."""
    wx = X * w[:, None]
    return np.diag(w) - wx @ _inv_xwx(X, w) @ wx.T


def _loglik0(y, v, X, t2: float, reml: bool) -> float:
    """ML or REML log-likelihood of the centred data, as metafor's ll0check computes it."""
    k, p = X.shape
    w = 1 / (v + t2)
    beta = _inv_xwx(X, w) @ (X.T @ (w * y))
    rss = float(np.sum(w * (y - X @ beta) ** 2))
    if not reml:
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + t2))) - 0.5 * rss
    logdet = np.linalg.slogdet((X * w[:, None]).T @ X)[1]
    return -0.5 * (k - p) * math.log(2 * math.pi) - 0.5 * float(np.sum(np.log(v + t2))) - 0.5 * logdet - 0.5 * rss


def _tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, ctrl: Control) -> tuple[float, float | None]:
    """tau² and its standard error by metafor's rma.uni formulas (estimators on the mean-centred y, as metafor)."""
    k, p = X.shape
    ymc = y - y.mean()
    if method == "FE":
        return 0.0, None
    if method in ("HE", "ML", "REML", "EB"):
        P0 = np.eye(k) - X @ _inv_xwx(X, np.ones(k)) @ X.T
        PV = P0 * v[None, :]
        tr_pv = float(np.trace(PV))
        tau2 = (float(ymc @ P0 @ ymc) - tr_pv) / (k - p)
        if method == "HE":
            t = max(0.0, tau2)
            se = math.sqrt((2 * np.sum(PV * PV.T) + 4 * t * tr_pv + 2 * t**2 * (k - p)) / (k - p) ** 2)
            return t, se
        return _fisher_scoring(ymc, v, X, method, max(0.0, tau2), ctrl)
    if method == "DL":
        P = _proj(X, 1 / v)
        tr_p = float(np.trace(P))
        t = max(0.0, (float(ymc @ P @ ymc) - (k - p)) / tr_p)
        return t, math.sqrt((2 * (k - p) + 4 * t * tr_p + 2 * t**2 * np.sum(P * P)) / tr_p**2)
    if method == "SJ":
        t0 = float(np.mean(ymc**2))  # var(y) (k-1)/k
        P = _proj(X, 1 / (v + t0))
        t = max(0.0, t0 * float(ymc @ P @ ymc) / (k - p))
        PV = P * v[None, :]
        return t, math.sqrt(t0**2 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * t * np.sum(PV * P) + 2 * t**2 * np.sum(P * P)))
    if method == "PM":
        t = _tau2_pm(ymc, v, X, ctrl, tau2_max=_tau2_max(y))
        return t, math.sqrt(2 * k**2 / (k - p) / np.sum(1 / (v + t)) ** 2)
    raise MetaError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")


def _tau2_pm(ymc, v, X, ctrl: Control, tau2_max: float) -> float:
    """Paule-Mandel: the tau² where the generalised Q equals k - p, bracketed on [0, tau2_max] as metafor."""
    target = X.shape[0] - X.shape[1]

    def excess(t2: float) -> float:
        return float(ymc @ _proj(X, 1 / (v + t2)) @ ymc) - target

    f0, f_max = excess(0.0), excess(tau2_max)
    if f0 < 0:
        return 0.0
    if f_max > 0:
        raise MetaError(f"Paule-Mandel: tau² exceeds {tau2_max:g}; the effect sizes are too heterogeneous for this bracket, use REML or DL")
    return max(0.0, uniroot(excess, 0.0, tau2_max, tol=ctrl.tol, maxiter=ctrl.maxiter)[0])


def _fisher_scoring(ymc, v, X, method: str, start: float, ctrl: Control) -> tuple[float, float]:
    """ML, REML and empirical Bayes by metafor's Fisher scoring: start at the truncated HE estimate, halve a step that
    would make tau² negative, then (ML, REML) metafor's ll0check."""
    k, p = X.shape
    t = start
    change, it = math.inf, 0
    while not ctrl.converged(change, t):
        it += 1
        old = t
        w = 1 / (v + t)
        P = _proj(X, w)
        if method == "ML":
            Py = P @ ymc
            adj = (float(Py @ Py) - w.sum()) / np.sum(w**2)
        elif method == "REML":
            Py = P @ ymc
            adj = (float(Py @ Py) - np.trace(P)) / np.sum(P * P)
        else:  # EB
            adj = (float(ymc @ P @ ymc) * k / (k - p) - k) / w.sum()
        adj = 0.0 if math.isnan(adj) else float(adj)
        if not math.isfinite(adj):
            raise MetaError(f"{method} (Fisher scoring) failed: a step of {adj} at tau² = {t:.6g} (the variances are too extreme); try method DL")
        while t + adj < 0:
            adj /= 2
        t += adj
        change = abs(old - t)
        if it > ctrl.maxiter:
            raise MetaError(f"{method} (Fisher scoring) did not converge in {ctrl.maxiter} iterations; try method DL, SJ or PM")
    if method in ("ML", "REML"):
        reml = method == "REML"
        if _loglik0(ymc, v, X, 0.0, reml) - _loglik0(ymc, v, X, t, reml) > ctrl.ll0_margin and t > ctrl.ll0_threshold:
            t = 0.0  # a local maximum less likely than tau² = 0
    t = max(0.0, t)
    w = 1 / (v + t)
    if method == "ML":
        return t, math.sqrt(2 / np.sum(w**2))
    if method == "REML":
        P = _proj(X, w)
        return t, math.sqrt(2 / np.sum(P * P))
    return t, math.sqrt(2 * k**2 / (k - p) / w.sum() ** 2)


# --------------------------------------------------------------------------- the model


def _check_options(method: str, level: float, control: str) -> str:
    method = str(method).upper()
    if method not in METHODS:
        raise MetaError(f"unknown method {method!r}; allowed: {', '.join(METHODS)}")
    check_level(level)
    if control not in CONTROLS:
        raise MetaError(f"unknown control {control!r}; allowed: {', '.join(CONTROLS)}")
    return method


def rma_mods(
    yi,
    vi,
    X,
    *,
    names: Sequence[str] | None = None,
    intercept: bool = True,
    method: str = "REML",
    knha: bool = False,
    level: float = 0.95,
    control: str = "exact",
) -> MetaRegressionResult:
    """Meta-regression of effect sizes on moderators: metafor's ``rma(yi, vi, mods = X, method=method,
    test="knha" if knha else "z", level=100*level)`` (metafor's default method is REML).

    ``X`` holds the moderators, one row per study and no intercept column (``intercept=True`` adds it, named
    ``intrcpt``); ``moderator_matrix()`` codes a categorical one. Studies with a missing value are refused, not
    dropped: drop them explicitly so the reader sees which."""
    method = _check_options(method, level, control)
    y, v = _validate(yi, vi)
    M, coef_names = _design(X, len(y), names, intercept)
    return _fit(y, v, M, coef_names, intercept, method, knha, level, control, with_r2=True)


def _fit(y, v, X, names, intercept: bool, method: str, knha: bool, level: float, control: str, with_r2: bool) -> MetaRegressionResult:
    ctrl = stopping(control, v)
    k, p = X.shape
    tau2, se_tau2 = _tau2(y, v, X, method, ctrl)
    w = 1 / (v + tau2)
    vb = _inv_xwx(X, w)
    beta = vb @ (X.T @ (w * y))
    fitted = X @ beta
    ddf = None
    if knha:
        rss = float(np.sum(w * (y - fitted) ** 2))
        check_knha_rss(rss)
        vb = vb * (rss / (k - p))
        ddf = k - p
    se = np.sqrt(np.diag(vb))
    with np.errstate(divide="ignore", invalid="ignore"):
        zval = beta / se
    btt = np.arange(1, p) if intercept else np.arange(p)
    m = len(btt)
    try:
        qm = float(beta[btt] @ np.linalg.solve(vb[np.ix_(btt, btt)], beta[btt]))
    except np.linalg.LinAlgError:
        qm = math.nan
    if knha:
        qm /= m
        qm_df: list[int | None] = [m, k - p]
        qm_pval = float(f_sf(qm, m, k - p))
        pval = 2 * t_sf(np.abs(zval), k - p)
        crit = two_sided_crit(level, k - p)
    else:
        qm_df = [m, None]
        qm_pval = float(chi2_sf(qm, m))
        pval = 2 * norm_sf(np.abs(zval))
        crit = two_sided_crit(level)
    # residual heterogeneity from the common-effect projection, on centred y as metafor
    P = _proj(X, 1 / v)
    ymc = y - y.mean()
    qe = max(0.0, float(ymc @ P @ ymc))
    vt = (k - p) / float(np.trace(P))
    if method == "FE":
        i2 = max(0.0, 100 * (qe - (k - p)) / qe) if qe > 0 else 0.0
        h2 = qe / (k - p)
    else:
        i2 = 100 * tau2 / (vt + tau2)
        h2 = tau2 / vt + 1
    r2 = _pseudo_r2(y, v, X, method, tau2, control) if (with_r2 and intercept) else None
    return MetaRegressionResult(
        k=k,
        p=p,
        method=method,
        knha=bool(knha),
        level=float(level),
        control=control,
        names=list(names),
        b=beta.tolist(),
        se=se.tolist(),
        zval=zval.tolist(),
        pval=np.asarray(pval, float).tolist(),
        ci_lb=(beta - crit * se).tolist(),
        ci_ub=(beta + crit * se).tolist(),
        vcov=vb.tolist(),
        ddf=ddf,
        tau2=float(tau2),
        se_tau2=None if se_tau2 is None else float(se_tau2),
        i2=float(i2),
        h2=float(h2),
        r2=r2,
        qe=qe,
        qe_df=k - p,
        qe_pval=float(chi2_sf(qe, k - p)),
        qm=qm,
        qm_df=qm_df,
        qm_pval=qm_pval,
        fitted=fitted.tolist(),
        residuals=(y - fitted).tolist(),
    )


def _pseudo_r2(y, v, X, method: str, tau2: float, control: str) -> float | None:
    """metafor's R² (%), its default r2def "1": the proportional reduction of tau² against the intercept-only model
    fitted with the same method; for FE the adjusted R² of the weighted least-squares regression."""
    k, p = X.shape
    if method == "FE":
        if np.var(y) == 0:
            return 0.0
        w = 1 / v
        fitted = X @ (_inv_xwx(X, w) @ (X.T @ (w * y)))
        mss = float(np.sum(w * (fitted - np.sum(w * fitted) / w.sum()) ** 2))
        rss = float(np.sum(w * (y - fitted) ** 2))
        adj = 1 - (1 - mss / (mss + rss)) * (k - 1) / (k - p)
        return max(0.0, 100 * adj)
    try:
        tau2_re, _ = _tau2(y, v, np.ones((k, 1)), method, stopping(control, v))
    except MetaError:
        return None  # metafor gives NA when the intercept-only model fails
    if tau2_re == 0:
        return 0.0
    return max(0.0, 100 * (tau2_re - tau2) / tau2_re)

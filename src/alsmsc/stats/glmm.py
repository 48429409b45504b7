"""Random-effects logistic models for 2×2 tables (odds ratios), matching R's metafor ``rma.glmm(measure="OR")``.

Each study enters with its exact binomial likelihood in both arms, so zero-event arms keep their weight and no
continuity correction is added. metafor fits these models with lme4's ``glmer``; here the same likelihood is written
out and maximised directly:

- ``model="UM.FS"`` (metafor's default): the unconditional model with a fixed intercept per study and a random
  treatment effect, ``glmer(cbind(x, n - x) ~ -1 + treat + study + (group - 1 | study), nAGQ = 7)`` with
  ``group`` = +1/2 in the treatment and -1/2 in the control arm (metafor's ``coding = 1/2``). A study's marginal
  likelihood involves only its own intercept, the log odds ratio and tau, so the intercepts are profiled out study
  by study and only (tau, log OR) are searched.
- ``model="UM.RS"``: random study intercepts instead of fixed ones, ``glmer(... ~ -1 + treat + const + (1 | study) +
  (group - 1 | study))``; metafor sets nAGQ to 1 (the Laplace approximation) because glmer allows more nodes only for
  a single scalar random effect.

Only ``alsmsc.stats`` modules, numpy and scipy.special are imported at module level (``scipy.optimize`` inside the
fitting functions) so that ``alsmsc meta`` starts quickly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import special

from alsmsc.stats import meta_analysis
from alsmsc.stats.distributions import chi2_sf, norm_sf, two_sided_crit
from alsmsc.stats.inputs import check_level, count_column
from alsmsc.stats.meta_analysis import MetaError

MODELS = ("UM.FS", "UM.RS")
DELTA = 1e-4  # lme4's deriv12 step for the finite-difference Hessian behind vcov()
GLM_EPSILON, GLM_MAXIT = 1e-8, 25  # R's glm.control() defaults, for the saturated model behind the Wald test
LOG_2PI = math.log(2 * math.pi)


@dataclass
class GlmmOrResult:
    """Pooled log odds ratio from a logistic-normal model; field names follow metafor's ``rma.glmm`` object."""

    model: str
    nagq: int
    k: int  # studies used (after dropping double-zero studies)
    estimate: float  # pooled log odds ratio
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    pi_lb: float  # prediction interval, as metafor's predict(): estimate ± z sqrt(se² + tau²)
    pi_ub: float
    tau2: float  # variance of the true log odds ratios
    sigma2: float | None  # UM.RS only: variance of the random study intercepts
    vt: float  # metafor's "typical" within-study variance of the escalc log odds ratios (1/2 added to zero cells)
    i2: float  # 100 tau² / (vt + tau²), as metafor does
    h2: float
    loglik: float  # metafor's fit.stats["ll", "ML"]
    qe_wld: float | None  # Wald-type test of heterogeneity (UM.FS only)
    qep_wld: float | None
    qe_lrt: float | None  # likelihood-ratio test of heterogeneity (UM.FS only)
    qep_lrt: float | None
    qe_df: int
    kept: list[bool]  # over the input rows
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _saturated(x: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Binomial log-likelihood of x events out of n at the observed proportion, binomial coefficient included."""
    return special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1) + special.xlogy(x, x / n) + special.xlogy(n - x, 1 - x / n)


@dataclass
class _Arms:
    """Events and totals per study, treatment (t) and control (c) arm."""

    xt: np.ndarray
    nt: np.ndarray
    xc: np.ndarray
    nc: np.ndarray

    def __post_init__(self) -> None:
        # the saturated log-likelihood (binomial coefficients included); binom() is measured from it
        self.const = _saturated(self.xt, self.nt) + _saturated(self.xc, self.nc)

    def binom(self, eta_t, eta_c):
        """Log-likelihood of both arms at the given logits minus the saturated one (minus half the deviance).

        Written as x·d - n·log1p(p̂·expm1(d)) with d the distance from the observed logit, so that a large study
        does not lose digits to cancellation between terms of size n: the finite-difference Hessian needs them."""
        shape = (-1,) + (1,) * (np.ndim(eta_t) - 1)
        return self._arm(self.xt.reshape(shape), self.nt.reshape(shape), eta_t) + self._arm(self.xc.reshape(shape), self.nc.reshape(shape), eta_c)

    @staticmethod
    def _arm(x, n, eta):
        p_hat = x / n
        mid = (x > 0) & (x < n)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(mid, eta - np.log(p_hat / (1 - p_hat)), 0.0)
            # log(1 - p̂ + p̂ e^d): log1p form near d = 0, where it matters, logaddexp form far out, where expm1 overflows
            near = np.log1p(p_hat * np.expm1(np.minimum(d, 1.0)))
            far = np.logaddexp(np.log1p(-p_hat), np.log(p_hat) + d)
            inner = np.where(mid, x * d - n * np.where(np.abs(d) < 1, near, far), 0.0)
        return np.where(mid, inner, np.where(x == 0, -n * np.logaddexp(0, eta), -n * np.logaddexp(0, -eta)))


# --------------------------------------------------------------------------- input


def _tables(ai, bi, ci, di, labels) -> tuple[_Arms, np.ndarray, list[str], list[str]]:
    cols = {}
    k = None
    for name, values in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di)):
        cols[name] = count_column(name, values, k, whole=True)
        k = len(cols[name])
    a, b, c, d = cols["ai"], cols["bi"], cols["ci"], cols["di"]
    labels = [str(i + 1) for i in range(k)] if labels is None else [str(s) for s in labels]
    if len(labels) != k:
        raise MetaError(f"labels has {len(labels)} values but there are {k} studies")
    empty = np.flatnonzero((a + b == 0) | (c + d == 0))
    if len(empty):
        raise MetaError(f"every arm needs at least one participant (ai + bi > 0 and ci + di > 0); study {labels[empty[0]]} has an empty arm")
    # metafor's drop00 = TRUE: a study with no events, or only events, in both arms says nothing about the odds ratio
    none = (a == 0) & (c == 0)
    every = (b == 0) & (d == 0)
    kept = ~(none | every)
    messages = [
        f"study {labels[i]} dropped: {'no events' if none[i] else 'events in every participant'} in both arms, so it carries no information on the OR"
        for i in np.flatnonzero(~kept)
    ]
    if kept.sum() < 2:
        raise MetaError(f"the model needs at least 2 studies with information on the OR; got {int(kept.sum())} after dropping double-zero studies")
    arms = _Arms(a[kept], a[kept] + b[kept], c[kept], c[kept] + d[kept])
    return arms, kept, labels, messages


# --------------------------------------------------------------------------- UM.FS: fixed study intercepts


def _loglik_fs(alpha, theta: float, tau: float, arms: _Arms, nodes, weights) -> np.ndarray:
    """Each study's marginal log-likelihood under UM.FS by adaptive Gauss-Hermite quadrature, as glmer(nAGQ > 1):
    the nodes are centred on the conditional mode of the spherical random effect u and scaled by its curvature there.
    The random log odds ratio is tau·u, entering the treatment arm as +tau·u/2 and the control arm as -tau·u/2."""
    alpha = np.asarray(alpha, dtype=float)
    if tau == 0:
        return arms.const + arms.binom(alpha + theta, alpha)
    nt, nc = arms.nt, arms.nc
    h = tau / 2
    u = _fs_u(alpha, theta, tau, arms)
    pt, pc = special.expit(alpha + theta + h * u), special.expit(alpha - h * u)
    sigma = 1 / np.sqrt(h**2 * (nt * pt * (1 - pt) + nc * pc * (1 - pc)) + 1)
    z = u[:, None] + math.sqrt(2) * sigma[:, None] * nodes[None, :]
    log_f = arms.binom(alpha[:, None] + theta + h * z, alpha[:, None] - h * z) - 0.5 * z**2 - 0.5 * LOG_2PI
    log_terms = log_f + nodes[None, :] ** 2 + np.log(weights)[None, :]
    return arms.const + special.logsumexp(log_terms, axis=1) + np.log(math.sqrt(2) * sigma)


def _fs_u(alpha, theta: float, tau: float, arms: _Arms) -> np.ndarray:
    """Conditional modes of the spherical random effect u per study (damped Newton: the penalised log-likelihood is
    concave, but a full step can overshoot far from the mode)."""
    h = tau / 2
    u = np.zeros_like(alpha)

    def pen(u):
        return arms.binom(alpha + theta + h * u, alpha - h * u) - 0.5 * u**2

    now = pen(u)
    for _ in range(200):
        pt, pc = special.expit(alpha + theta + h * u), special.expit(alpha - h * u)
        grad = h * (arms.xt - arms.nt * pt) - h * (arms.xc - arms.nc * pc) - u
        step = grad / (h**2 * (arms.nt * pt * (1 - pt) + arms.nc * pc * (1 - pc)) + 1)
        for _ in range(60):
            new = pen(u + step)
            worse = new < now - 1e-12 * (1 + np.abs(now))
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        u, now = u + step, new
        if np.max(np.abs(step)) < 1e-13:
            break
    return u


def _fs_mode(alpha, theta: float, tau: float, arms: _Arms) -> tuple[np.ndarray, np.ndarray]:
    """Fitted probabilities (treatment, control) at the conditional modes of the random effects."""
    u = _fs_u(alpha, theta, tau, arms)
    return special.expit(alpha + theta + tau / 2 * u), special.expit(alpha - tau / 2 * u)


def _profile_alpha(loglik, alpha0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Maximise each study's log-likelihood over its own intercept (vectorised Newton with finite-difference
    derivatives and step halving); returns the intercepts and the maximised log-likelihoods."""
    a = alpha0.copy()
    f = loglik(a)
    eps = 1e-5
    for _ in range(100):
        fp, fm = loglik(a + eps), loglik(a - eps)
        g = (fp - fm) / (2 * eps)
        h2 = (fp - 2 * f + fm) / eps**2
        step = np.where(h2 < 0, -g / np.minimum(h2, -1e-12), np.sign(g))
        step = np.clip(step, -5, 5)
        for _ in range(40):
            new = loglik(a + step)
            worse = new < f - 1e-12
            if not worse.any():
                break
            step = np.where(worse, step / 2, step)
        a, f = a + step, np.where(new >= f - 1e-12, new, f)
        if np.max(np.abs(step)) < 1e-10:
            break
    return a, loglik(a)


def _fit_fs(arms: _Arms, nagq: int) -> dict:
    """ML estimates of (tau, log OR) with the study intercepts profiled out: a coarse Nelder-Mead search from the
    common-effect fit, polished by Newton's method on the profile deviance, and the boundary tau = 0 as a separate
    candidate (glmer's optimiser works with tau >= 0 and stops on the boundary when nothing inside does better)."""
    from scipy import optimize

    nodes, weights = np.polynomial.hermite.hermgauss(nagq)
    pooled_c = np.log((arms.xc + arms.xt + 0.5) / (arms.nc + arms.nt - arms.xc - arms.xt + 0.5))
    state = {"alpha": pooled_c.copy()}

    def profile(tau: float, theta: float) -> float:
        alpha, ll = _profile_alpha(lambda a: _loglik_fs(a, theta, tau, arms, nodes, weights), state["alpha"])
        state["alpha"] = alpha
        return float(-2 * ll.sum())

    fe = optimize.minimize_scalar(lambda t: profile(0.0, t), bracket=(-1.0, 1.0), tol=1e-12)
    theta_fe, dev_fe = float(fe.x), float(fe.fun)
    alpha_fe = state["alpha"].copy()
    coarse = optimize.minimize(
        lambda p: profile(abs(p[0]), p[1]),
        x0=[0.5, theta_fe],
        method="Nelder-Mead",
        options={"xatol": 1e-4, "fatol": 1e-8, "initial_simplex": [[0.5, theta_fe], [0.1, theta_fe], [0.5, theta_fe + 0.2]]},
    )
    tau, theta = (float(v) for v in _newton(lambda x: profile(x[0], x[1]), np.array([abs(coarse.x[0]), coarse.x[1]]), n_var=1))
    dev = profile(tau, theta)
    if dev_fe <= dev + 1e-9:
        tau, theta = 0.0, theta_fe
        dev = profile(tau, theta)
    return {"tau": tau, "theta": theta, "alpha": state["alpha"].copy(), "deviance": dev, "theta_fe": theta_fe, "alpha_fe": alpha_fe, "dev_fe": dev_fe}


def _newton(f, x: np.ndarray, n_var: int, h: float = 1e-4, max_iter: int = 50) -> np.ndarray:
    """Polish a minimum of a smooth function by Newton's method with central-difference derivatives, halving steps
    that do not lower it and keeping the first ``n_var`` parameters (standard deviations) >= 0."""
    x = np.asarray(x, dtype=float).copy()
    p = len(x)
    e = np.eye(p) * h
    fx = f(x)
    for _ in range(max_iter):
        fp = np.array([f(x + e[i]) for i in range(p)])
        fm = np.array([f(x - e[i]) for i in range(p)])
        g = (fp - fm) / (2 * h)
        hess = np.diag((fp - 2 * fx + fm) / h**2)
        for i in range(p):
            for j in range(i):
                hess[i, j] = hess[j, i] = (f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j])) / (4 * h**2)
        if not (np.all(np.isfinite(hess)) and np.all(np.isfinite(g))):
            break
        if np.all(np.linalg.eigvalsh(hess) > 0):
            step = -np.linalg.solve(hess, g)
        else:
            step = -g / max(1.0, float(np.abs(np.diag(hess)).max()))
        neg = step[:n_var] < -x[:n_var]
        if neg.any():
            step *= np.min(x[:n_var][neg] / (2 * np.abs(step[:n_var][neg])))
        for _ in range(50):
            new = f(x + step)
            if new <= fx:
                break
            step /= 2
        else:
            break
        x, fx = x + step, new
        if np.max(np.abs(step)) < 1e-10:
            break
    return x


def _deriv12_hessian(f, x: np.ndarray, lower: np.ndarray) -> np.ndarray:
    """lme4's deriv12 Hessian (step DELTA, shortened below a parameter's lower bound), for a function that returns
    one value per study: returns the per-study Hessians, shape (k, p, p)."""
    p = len(x)
    fx = f(x)
    up = np.full(p, DELTA)
    lo = np.where(np.isfinite(lower) & (x - DELTA < lower), x - lower, DELTA)
    hess = np.empty(fx.shape + (p, p))

    def at(*moves):
        y = x.copy()
        for j, sign in moves:
            y[j] = x[j] + (up[j] if sign > 0 else -lo[j])
        return f(y)

    for j in range(p):
        fadd, fsub = at((j, 1)), at((j, -1))
        hess[..., j, j] = fadd / up[j] ** 2 - 2 * fx / (up[j] * lo[j]) + fsub / lo[j] ** 2
        for i in range(j):
            val = (
                at((i, 1), (j, 1)) / (up[i] + up[j]) ** 2
                - at((i, 1), (j, -1)) / (up[i] + lo[j]) ** 2
                - at((i, -1), (j, 1)) / (lo[i] + up[j]) ** 2
                + at((i, -1), (j, -1)) / (lo[i] + lo[j]) ** 2
            )
            hess[..., i, j] = hess[..., j, i] = val
    return hess


def _fs_se(fit: dict, arms: _Arms, nodes, weights) -> float:
    """SE of the log odds ratio as lme4's vcov() gives it: 2·inverse of the finite-difference Hessian of the deviance
    over (tau, log OR, study intercepts), via the Schur complement over the intercepts (each touches one study only).
    At tau = 0 the Hessian has no step below the bound and lme4 falls back to the inverse information given tau,
    which is also used if the Hessian is not positive definite."""
    tau, theta, alpha = fit["tau"], fit["theta"], fit["alpha"]
    if tau > 0:

        def dev(x):
            return -2 * _loglik_fs(alpha + x[2], x[1], x[0], arms, nodes, weights)

        hess = _deriv12_hessian(dev, np.array([tau, theta, 0.0]), lower=np.array([0.0, -np.inf, -np.inf]))
        red = (hess[:, :2, :2] - hess[:, :2, 2, None] * hess[:, None, 2, :2] / hess[:, 2, 2, None, None]).sum(axis=0)
        pd = np.all(hess[:, 2, 2] > 0) and np.all(np.linalg.eigvalsh(red) > 0)
        if pd:
            return math.sqrt(2 * np.linalg.inv(red)[1, 1])
    # lme4's fallback, pp$unsc(): the penalised information with the random effects at their conditional modes
    pt, pc = _fs_mode(alpha, theta, tau, arms)
    wt, wc = arms.nt * pt * (1 - pt), arms.nc * pc * (1 - pc)
    h = tau / 2
    lii = h**2 * (wt + wc) + 1
    ct, ca = h * wt, h * (wt - wc)
    m00, m01, m11 = wt - ct**2 / lii, wt - ct * ca / lii, wt + wc - ca**2 / lii
    return math.sqrt(1 / np.sum(m00 - m01**2 / m11))


# --------------------------------------------------------------------------- UM.RS: random study intercepts


def _rs_mode(params: np.ndarray, arms: _Arms) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Conditional modes of the spherical random effects (v for the study intercept, w for the treatment effect) of
    UM.RS by vectorised 2-D Newton; returns v, w, the treatment and control logits and log det of the curvature."""
    sigma, tau, theta, mu = params
    h = tau / 2
    v = np.zeros_like(arms.xt)
    w = np.zeros_like(arms.xt)
    for _ in range(200):
        eta_t, eta_c = mu + theta + sigma * v + h * w, mu + sigma * v - h * w
        pt, pc = special.expit(eta_t), special.expit(eta_c)
        rt, rc = arms.xt - arms.nt * pt, arms.xc - arms.nc * pc
        wt, wc = arms.nt * pt * (1 - pt), arms.nc * pc * (1 - pc)
        gv, gw = sigma * (rt + rc) - v, h * (rt - rc) - w
        # curvature I + sum over arms of W z z', z_t = (sigma, h), z_c = (sigma, -h)
        a, b, c = 1 + sigma**2 * (wt + wc), sigma * h * (wt - wc), 1 + h**2 * (wt + wc)
        det = a * c - b * b
        dv, dw = (c * gv - b * gw) / det, (a * gw - b * gv) / det
        # the penalised log-likelihood is concave, but a full Newton step can overshoot far from the mode: halve
        # the steps of the studies where it would go down
        now = arms.binom(eta_t, eta_c) - 0.5 * (v**2 + w**2)
        for _ in range(60):
            nv, nw = v + dv, w + dw
            new = arms.binom(mu + theta + sigma * nv + h * nw, mu + sigma * nv - h * nw) - 0.5 * (nv**2 + nw**2)
            worse = new < now - 1e-12 * (1 + np.abs(now))
            if not worse.any():
                break
            dv, dw = np.where(worse, dv / 2, dv), np.where(worse, dw / 2, dw)
        v, w = v + dv, w + dw
        if max(np.max(np.abs(dv)), np.max(np.abs(dw))) < 1e-13:
            break
    eta_t, eta_c = mu + theta + sigma * v + h * w, mu + sigma * v - h * w
    pt, pc = special.expit(eta_t), special.expit(eta_c)
    wt, wc = arms.nt * pt * (1 - pt), arms.nc * pc * (1 - pc)
    logdet = np.log((1 + sigma**2 * (wt + wc)) * (1 + h**2 * (wt + wc)) - (sigma * h * (wt - wc)) ** 2)
    return v, w, eta_t, eta_c, logdet


def _loglik_rs(params: np.ndarray, arms: _Arms) -> np.ndarray:
    """Each study's Laplace-approximated marginal log-likelihood under UM.RS, as glmer(nAGQ = 1) computes it."""
    v, w, eta_t, eta_c, logdet = _rs_mode(params, arms)
    return arms.const + arms.binom(eta_t, eta_c) - 0.5 * (v**2 + w**2) - 0.5 * logdet


def _fit_rs(arms: _Arms) -> dict:
    """ML estimates of (sigma, tau, log OR, mean control logit) under UM.RS: Nelder-Mead then Newton polish, with
    tau = 0 as a separate boundary candidate; SE from lme4's deriv12 Hessian over all four parameters."""
    from scipy import optimize

    def dev(x):
        with np.errstate(over="ignore", invalid="ignore"):
            val = float(-2 * _loglik_rs(np.array([abs(x[0]), abs(x[1]), x[2], x[3]]), arms).sum())
        return val if np.isfinite(val) else np.inf

    # start from the common-effect fit with fixed study intercepts: the Laplace deviance can have a second, spurious
    # minimum near log OR = 0 with a large tau, so several starting values of tau are tried
    pc = (arms.xc + 0.5) / (arms.nc + 1)
    theta0, alpha0, _ = _fit_fe_glm(arms, 0.0, np.log(pc / (1 - pc)))
    mu0, sigma0 = float(np.mean(alpha0)), max(0.1, float(np.std(alpha0)))
    best, x = np.inf, None
    for tau0 in (0.1, 0.5, 1.0):
        coarse = optimize.minimize(dev, x0=[sigma0, tau0, theta0, mu0], method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-9, "maxiter": 5000})
        cand = _newton(dev, np.array([abs(coarse.x[0]), abs(coarse.x[1]), coarse.x[2], coarse.x[3]]), n_var=2)
        if dev(cand) < best:
            best, x = dev(cand), cand
    fe = optimize.minimize(
        lambda y: dev([y[0], 0.0, y[1], y[2]]), x0=[x[0], x[2], x[3]], method="Nelder-Mead", options={"xatol": 1e-5, "fatol": 1e-9}
    )
    y = _newton(lambda y: dev([y[0], 0.0, y[1], y[2]]), np.array([abs(fe.x[0]), fe.x[1], fe.x[2]]), n_var=1)
    if dev([y[0], 0.0, y[1], y[2]]) <= best + 1e-9:
        x = np.array([y[0], 0.0, y[1], y[2]])
    x[:2] = np.abs(x[:2])
    se = None
    if np.all(x[:2] > 0):
        hess = _deriv12_hessian(lambda z: np.array([dev(z)]), x, lower=np.array([0.0, 0.0, -np.inf, -np.inf]))[0]
        if np.all(np.linalg.eigvalsh(hess) > 0):
            se = math.sqrt(2 * np.linalg.inv(hess)[2, 2])
    if se is None:
        # lme4's fallback: the fixed effects' information given the variances, random effects at their modes
        v, w, eta_t, eta_c, _ = _rs_mode(x, arms)
        pt, pc = special.expit(eta_t), special.expit(eta_c)
        wt, wc = arms.nt * pt * (1 - pt), arms.nc * pc * (1 - pc)
        sigma, h = x[0], x[1] / 2
        xwx = np.array([[wt.sum(), wt.sum()], [wt.sum(), (wt + wc).sum()]])
        for i in range(len(wt)):
            zw = np.array([[sigma * wt[i], h * wt[i]], [sigma * (wt[i] + wc[i]), h * (wt[i] - wc[i])]])  # X'WZΛ rows (theta, mu)
            big = np.array([[1 + sigma**2 * (wt[i] + wc[i]), sigma * h * (wt[i] - wc[i])], [sigma * h * (wt[i] - wc[i]), 1 + h**2 * (wt[i] + wc[i])]])
            xwx -= zw @ np.linalg.solve(big, zw.T)
        se = math.sqrt(np.linalg.inv(xwx)[0, 0])
    return {"sigma": float(x[0]), "tau": float(x[1]), "theta": float(x[2]), "mu": float(x[3]), "se": se, "loglik": -dev(x) / 2}


# --------------------------------------------------------------------------- heterogeneity tests (UM.FS)


def _binom_dev(x, n, mu) -> np.ndarray:
    """R's binomial()$dev.resids for counts x out of n at fitted probability mu."""
    y = x / n
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(y > 0, y * np.log(y / mu), 0.0)
        b = np.where(y < 1, (1 - y) * np.log((1 - y) / (1 - mu)), 0.0)
    return 2 * n * (a + b)


def _saturated_glm(x: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """R's glm.fit (IRLS, glm.control defaults) on the saturated model of the arms, as metafor fits it for the
    heterogeneity tests. The model has one parameter per arm, so each IRLS step moves every arm's linear predictor to
    its working response; replaying the iterations reproduces where glm stops for arms with zero (or all) events,
    whose fitted logits run off towards infinity. Returns the final logits, the working weights of the last
    iteration (which summary.glm's vcov uses) and the log-likelihood."""
    eps = np.finfo(float).eps
    y = x / n

    def linkinv(eta):  # binomial()$linkinv clamps at |eta| > 30
        e = np.where(eta < -30, eps, np.where(eta > 30, 1 / eps, np.exp(np.clip(eta, -30, 30))))
        return e / (1 + e)

    def mu_eta(eta):
        e = np.exp(np.clip(eta, -30, 30))
        return np.where(np.abs(eta) > 30, eps, e / (1 + e) ** 2)

    mu = (n * y + 0.5) / (n + 1)
    eta = np.log(mu / (1 - mu))
    mu = linkinv(eta)
    devold = float(_binom_dev(x, n, mu).sum())
    for _ in range(GLM_MAXIT):
        g = mu_eta(eta)
        w = n * g**2 / (mu * (1 - mu))
        eta = eta + (y - mu) / g
        mu = linkinv(eta)
        dev = float(_binom_dev(x, n, mu).sum())
        if abs(dev - devold) / (abs(dev) + 0.1) < GLM_EPSILON:
            break
        devold = dev
    lchoose = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    ll = float(np.sum(lchoose + special.xlogy(x, mu) + special.xlogy(n - x, 1 - mu)))
    return eta, w, ll


def _fit_fe_glm(arms: _Arms, theta0: float, alpha0: np.ndarray) -> tuple[float, np.ndarray, float]:
    """ML fit of the common-effect logistic model with study intercepts (metafor's res.FE, a glm) by Newton's
    method on the exact score and information; returns log OR, intercepts and log-likelihood."""
    theta, alpha = theta0, alpha0.copy()

    def ll(t, a):
        return float(np.sum(arms.const + arms.binom(a + t, a)))

    cur = ll(theta, alpha)
    for _ in range(200):
        pt, pc = special.expit(alpha + theta), special.expit(alpha)
        rt, rc = arms.xt - arms.nt * pt, arms.xc - arms.nc * pc
        wt, wc = arms.nt * pt * (1 - pt), arms.nc * pc * (1 - pc)
        # Newton step on the arrowhead system [[sum wt, wt'], [wt, diag(wt + wc)]] (d theta, d alpha) = (sum rt, rt + rc)
        waa = wt + wc
        dt = (rt.sum() - np.sum(wt * (rt + rc) / waa)) / (wt.sum() - np.sum(wt**2 / waa))
        da = (rt + rc - wt * dt) / waa
        step = 1.0
        while step > 1e-8 and ll(theta + step * dt, alpha + step * da) < cur - 1e-12:
            step /= 2
        theta, alpha = theta + step * dt, alpha + step * da
        new = ll(theta, alpha)
        done = abs(new - cur) < 1e-13 * (1 + abs(new)) and max(abs(dt), np.max(np.abs(da))) < 1e-9
        cur = new
        if done:
            break
    return theta, alpha, cur


def _heterogeneity_fs(arms: _Arms, ll_fe: float) -> tuple[float, float, float]:
    """metafor's QE.Wld (Wald test that the saturated model's per-study log odds ratios are equal) and QE.LRT
    (2·(ll.QE - ll.FE)), both on k - 1 df; returns (QE.Wld, QE.LRT, ll.QE)."""
    k = len(arms.xt)
    eta, w, ll_qe = _saturated_glm(np.concatenate([arms.xt, arms.xc]), np.concatenate([arms.nt, arms.nc]))
    y = eta[:k] - eta[k:]
    wi = 1 / (1 / w[:k] + 1 / w[k:])
    ybar = np.sum(wi * y) / wi.sum()
    q_wld = max(0.0, float(np.sum(wi * (y - ybar) ** 2)))
    q_lrt = max(0.0, 2 * (ll_qe - ll_fe))
    return q_wld, q_lrt, ll_qe


# --------------------------------------------------------------------------- public API


def rma_glmm_or(ai, bi, ci, di, *, model: str = "UM.FS", nagq: int = 7, level: float = 0.95, labels: Sequence[str] | None = None) -> GlmmOrResult:
    """Pool log odds ratios from 2×2 tables with a random-effects logistic model fitted by maximum likelihood.

    Reproduces metafor's ``rma.glmm(measure="OR", ai, bi, ci, di, model=model)`` with its defaults (method "ML",
    coding 1/2, drop00 = TRUE, nAGQ = 7 for UM.FS and 1 for UM.RS, Wald-type z tests and intervals). ``ai``/``bi``
    are events/non-events in the treatment arm, ``ci``/``di`` in the control arm. Studies with no events (or only
    events) in both arms are dropped, as metafor does, and named in ``messages``.
    """
    model = str(model).upper()
    if model not in MODELS:
        raise MetaError(f"unknown model {model!r}; allowed: {', '.join(MODELS)}")
    if not isinstance(nagq, int) or isinstance(nagq, bool) or not 1 <= nagq <= 25:
        raise MetaError(f"nagq must be a whole number of quadrature points from 1 to 25; got {nagq!r}")
    check_level(level)
    arms, kept, labels, messages = _tables(ai, bi, ci, di, labels)
    k = len(arms.xt)
    if model == "UM.RS":
        if nagq > 1:
            messages.append("UM.RS has two random effects per study, so glmer (and metafor) use nAGQ = 1, the Laplace approximation")
        fit = _fit_rs(arms)
        theta, tau2, se, loglik, sigma2 = fit["theta"], fit["tau"] ** 2, fit["se"], fit["loglik"], fit["sigma"] ** 2
        q_wld = q_lrt = qp_wld = qp_lrt = None
        nagq = 1
    else:
        nodes, weights = np.polynomial.hermite.hermgauss(nagq)
        fit = _fit_fs(arms, nagq)
        theta, tau2, sigma2 = fit["theta"], fit["tau"] ** 2, None
        se = _fs_se(fit, arms, nodes, weights)
        _, _, ll_fe = _fit_fe_glm(arms, fit["theta_fe"], fit["alpha_fe"])
        q_wld, q_lrt, ll_qe = _heterogeneity_fs(arms, ll_fe)
        qp_wld, qp_lrt = float(chi2_sf(q_wld, k - 1)), float(chi2_sf(q_lrt, k - 1))
        # metafor's ll.ML = ll.QE - deviance(glmer)/2, and lme4's deviance() of a GLMM is the conditional deviance
        # at the random effects' modes, not the marginal -2 log-likelihood that was maximised
        pt, pc = _fs_mode(fit["alpha"], theta, fit["tau"], arms)
        cond_dev = float(np.sum(_binom_dev(arms.xt, arms.nt, pt) + _binom_dev(arms.xc, arms.nc, pc)))
        loglik = ll_qe - cond_dev / 2
    counts = {name: np.asarray(col, float)[kept] for name, col in (("ai", ai), ("bi", bi), ("ci", ci), ("di", di))}
    es = meta_analysis.escalc("OR", **counts)
    wv = 1 / es.vi
    vt = (len(wv) - 1) / (wv.sum() - np.sum(wv**2) / wv.sum())
    crit = two_sided_crit(level)
    zval = theta / se
    pi_half = crit * math.sqrt(se**2 + tau2)
    return GlmmOrResult(
        model=model,
        nagq=nagq,
        k=k,
        estimate=float(theta),
        se=float(se),
        zval=float(zval),
        pval=float(2 * norm_sf(abs(zval))),
        ci_lb=float(theta - crit * se),
        ci_ub=float(theta + crit * se),
        pi_lb=float(theta - pi_half),
        pi_ub=float(theta + pi_half),
        tau2=float(tau2),
        sigma2=None if sigma2 is None else float(sigma2),
        vt=float(vt),
        i2=float(100 * tau2 / (vt + tau2)),
        h2=float(tau2 / vt + 1),
        loglik=float(loglik),
        qe_wld=q_wld,
        qep_wld=qp_wld,
        qe_lrt=q_lrt,
        qep_lrt=qp_lrt,
        qe_df=k - 1,
        kept=[bool(v) for v in kept],
        messages=messages,
    )

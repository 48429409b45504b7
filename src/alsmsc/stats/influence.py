"""Case-deletion influence diagnostics for an intercept-only meta-analysis.

Reproduces metafor's ``influence(rma(yi, vi, method=..., test=...))`` (``influence.rma.uni``, Viechtbauer & Cheung
2010): each study is left out in turn, the model is refitted with the same method, test and control, and the change
in the pooled estimate, its variance, tau² and Q is scaled as metafor does. A study is marked influential by
metafor's rules: |DFFITS| > 3 sqrt(p/(k-p)), P(chi²₁ <= Cook's distance) > 0.5, hat > 3p/k, or |DFBETAS| > 1 (p = 1).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import special

from alsmsc.stats import meta_analysis
from alsmsc.stats.meta_analysis import MetaError

COLUMNS = ("rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "qe_del", "hat", "weight", "dfbetas")


@dataclass
class InfluenceResult:
    """One entry per study, in input order; metafor's column names with dots as underscores (cook.d -> cook_d,
    QE.del -> qe_del) plus ``dfbetas`` (metafor's ``$dfbs``). ``inf`` is metafor's "*" mark as a boolean. A study
    whose deletion fit fails has NaN everywhere (metafor's NA) and a message."""

    k: int
    method: str
    knha: bool
    control: str
    labels: list[str]
    rstudent: list[float]  # studentised deleted residual
    dffits: list[float]
    cook_d: list[float]
    cov_r: list[float]  # covariance ratio: var(estimate without the study) / var(estimate)
    tau2_del: list[float]
    qe_del: list[float]
    hat: list[float]
    weight: list[float]  # percent
    dfbetas: list[float]
    inf: list[bool]
    messages: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)

    def rows(self) -> list[dict]:
        """One dict per study, as metafor prints ``influence(res)``."""
        cols = {c: getattr(self, c) for c in COLUMNS}
        return [{"label": lab, **{c: vals[i] for c, vals in cols.items()}, "inf": self.inf[i]} for i, lab in enumerate(self.labels)]


def influence(
    yi,
    vi,
    *,
    method: str = "REML",
    knha: bool = False,
    labels: Sequence[str] | None = None,
    control: str = "exact",
) -> InfluenceResult:
    """metafor's ``influence(rma(yi, vi, method=method, test="knha" if knha else "z"))`` for the intercept-only model.

    Defaults as metafor's: each deletion refits with the full model's method, test and control (``control="metafor"``
    stops the iterative estimators where metafor's defaults stop; "exact" converges). Needs k >= 3, so that every
    deletion leaves two studies to pool."""
    y, v = meta_analysis._validate(yi, vi, min_k=3)
    k = len(y)
    if labels is None:
        labels = [str(i + 1) for i in range(k)]
    labels = [str(lab) for lab in labels]
    if len(labels) != k:
        raise MetaError(f"labels has {len(labels)} entries but there are {k} studies; give one label per study")
    full = meta_analysis.rma(y, v, method=method, knha=knha, control=control)
    mu, vb = full.estimate, full.se**2
    w = 1 / (v + full.tau2)
    hat = w / w.sum()  # diagonal of X (X'WX)⁻¹ X'W
    cols = {c: np.full(k, np.nan) for c in COLUMNS}
    cols["hat"], cols["weight"] = hat, 100 * hat
    messages: list[str] = []
    for i in range(k):
        keep = np.arange(k) != i
        try:
            r = meta_analysis.rma(y[keep], v[keep], method=method, knha=knha, control=control)
        except MetaError as e:  # metafor leaves the row NA when the refit fails
            messages.append(f"{labels[i]}: the fit without this study failed ({e}); its diagnostics are missing")
            continue
        t2, mu_del, vb_del_fit = r.tau2, r.estimate, r.se**2
        if knha:  # Knapp-Hartung scale factor of the deletion fit
            wd = 1 / (v[keep] + t2)
            s2w = float(np.sum(wd * (y[keep] - mu_del) ** 2) / (k - 2))
        else:
            s2w = 1.0
        diff = mu - mu_del
        cols["tau2_del"][i] = t2
        cols["qe_del"][i] = r.q
        cols["dffits"][i] = diff / math.sqrt(s2w * hat[i] * (t2 + v[i]))
        # var(estimate) of the full data weighted with the deletion fit's tau²
        vb_del = 1 / np.sum(1 / (v + t2))
        cols["dfbetas"][i] = diff / math.sqrt(s2w * vb_del)
        cols["cook_d"][i] = diff**2 / vb
        cols["cov_r"][i] = vb_del_fit / vb
        resid = y[i] - mu_del
        if abs(resid) < 100 * np.finfo(float).eps:
            resid = 0.0
        cols["rstudent"][i] = resid / math.sqrt(v[i] * s2w + vb_del_fit + t2 * s2w)
    with np.errstate(invalid="ignore"):
        infl = (
            (np.abs(cols["dffits"]) > 3 * math.sqrt(1 / (k - 1)))
            | (special.chdtr(1, cols["cook_d"]) > 0.5)
            | (hat > 3 / k)
            | (np.abs(cols["dfbetas"]) > 1)
        )
    return InfluenceResult(
        k=k,
        method=full.method,
        knha=knha,
        control=control,
        labels=labels,
        **{c: [float(x) for x in cols[c]] for c in COLUMNS},
        inf=[bool(x) for x in infl],
        messages=messages,
    )

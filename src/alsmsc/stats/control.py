"""When an iterative tau² estimator stops: one definition for the intercept-only engine and for meta-regression.

``"metafor"`` is metafor's ``rma.uni`` defaults (Fisher scoring stops at a change of 1e-5 after at most 100 steps;
uniroot tol ``.Machine$double.eps^0.25``; the ll0check margin is that tol), so printed results match metafor's.
``"exact"`` runs to the optimum: a change below 1e-10 of tau² itself, or below a floor far under any sampling variance
(1e-16 of their mean) for tau² at or near 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alsmsc.stats.errors import MetaError
from alsmsc.stats.names import CONTROLS

EPS = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Control:
    exact: bool
    threshold: float  # Fisher scoring stops when |change| <= threshold + rtol * tau²
    rtol: float
    tol: float  # uniroot tolerance (Paule-Mandel)
    maxiter: int
    ll0_margin: float  # ll0check: tau² becomes 0 when the log-likelihood there is higher by more than this ...
    ll0_threshold: float  # ... and tau² exceeds this

    def converged(self, change: float, tau2: float) -> bool:
        return change <= self.threshold + self.rtol * abs(tau2)


def control(name: str, v) -> Control:
    """The stopping rule ``name`` (one of CONTROLS) for sampling variances ``v``."""
    if name not in CONTROLS:
        raise MetaError(f"unknown control {name!r}; allowed: {', '.join(CONTROLS)}")
    if name == "metafor":
        return Control(False, threshold=1e-5, rtol=0.0, tol=EPS**0.25, maxiter=100, ll0_margin=EPS**0.25, ll0_threshold=1e-5)
    floor = 1e-16 * float(np.mean(v))
    return Control(True, threshold=floor, rtol=1e-10, tol=floor, maxiter=10_000, ll0_margin=1e-12, ll0_threshold=floor)

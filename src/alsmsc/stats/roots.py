"""R's root finder, shared by every estimator that metafor solves with ``uniroot`` (Paule-Mandel, the Q-profile
interval). Hand-written because metafor stops where R's ``zeroin`` stops: at metafor's default tolerance scipy's
``brentq`` returns a different point within the same tolerance (about 1e-5 apart), and exact runs need no scipy.optimize
import at all."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from alsmsc.stats.errors import MetaError

EPS = float(np.finfo(float).eps)
UNIROOT_TOL = EPS**0.25  # R's uniroot default tol
UNIROOT_MAXITER = 1000  # R's uniroot default maxiter


def uniroot(f: Callable[[float], float], lower: float, upper: float, *, tol: float = UNIROOT_TOL, maxiter: int = UNIROOT_MAXITER):
    """R's ``uniroot(f, c(lower, upper), tol=, maxiter=)`` without interval extension: Brent's zeroin as in R's
    ``R_zeroin2`` (src/library/stats/src/zeroin.c), step for step, so the root is the one R returns, not merely one
    within ``tol`` of it. Returns (root, converged); raises MetaError when f does not change sign."""
    fa, fb = f(lower), f(upper)
    if math.isnan(fa) or math.isnan(fb):
        raise MetaError("uniroot: the function is not a number at an end of the search interval")
    if np.sign(fa) * np.sign(fb) > 0:
        raise MetaError("uniroot: the function has the same sign at both ends of the search interval")
    a, b = lower, upper
    if fa == 0.0:
        return a, True
    if fb == 0.0:
        return b, True
    c, fc = a, fa
    for _ in range(maxiter + 1):
        prev_step = b - a
        if abs(fc) < abs(fb):  # keep b the best approximation so far
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b, True
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):  # interpolation may be tried
            cb = c - b
            if a == c:  # two distinct points: secant
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return b, False  # R warns "_NOT_ converged" and still returns b

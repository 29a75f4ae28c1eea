"""Structure, polish and exact snapping of a normalized GD output (UNTRUSTED).

Dead units are set to zero, the active set is guessed from the margins, the
KKT equations of that structure are polished (Levenberg-Marquardt), the point
is rationalized (continued fractions) and exact multipliers are solved for
(python-flint); the trusted kind decides each candidate (certificates.kkt_holds).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..kernel.kkt.networks import Data
from .architectures import SearchNetwork
from .certificates import kkt_holds
from .errors import SearchFailure
from .gd import normalize
from .rational import fmat, fr, from_fq


def polish(net: SearchNetwork, theta: np.ndarray, X, y, fixed_zero: list[int], active: list[int],
           lam0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt on: theta = sum_A lam_i y_i grad N(x_i), q_i = 1 (i in A); dead units fixed at 0."""
    from scipy.optimize import least_squares

    free = np.ones(net.n_params, dtype=bool)
    free[fixed_zero] = False
    Xa, ya = X[active], np.asarray(y, dtype=np.float64)[active]
    nf = int(free.sum())

    def full(z):
        th = np.zeros(net.n_params)
        th[free] = z[:nf]
        return th, z[nf:]

    def residual(z):
        th, lam = full(z)
        out, g = net.forward_backward(th, Xa, lam * ya)
        return np.concatenate([(th - g)[free], ya * out - 1.0])

    z0 = np.concatenate([theta[free], lam0])
    if z0.size == 0:
        return theta, lam0
    sol = least_squares(residual, z0, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    return full(sol.x)


def estimate_multipliers(net: SearchNetwork, theta: np.ndarray, X, y, active: list[int]) -> np.ndarray:
    from scipy.optimize import nnls

    cols = [net.forward_backward(theta, X[i:i + 1], np.array([float(y[i])]))[1] for i in active]
    if not cols:
        return np.zeros(0)
    return nnls(np.array(cols).T, theta)[0]


def exact_multipliers(net: SearchNetwork, theta: list[Fraction], data: Data, active: list[int]) -> list[Fraction]:
    """Solve theta = sum_{i in A} lam_i y_i g_i exactly (Clarke choice 0 at zero pre-activations).

    Raises SearchFailure when the least-squares system is singular or theta is not in the span."""
    n, P = len(data.y), len(theta)
    cols = [[data.y[i] * g for g in net.exact.gradient(theta, data.x[i], i, lambda i_, j_: Fraction(0))]
            for i in active]
    lam = [Fraction(0)] * n
    if not cols:
        if all(t == 0 for t in theta):
            return lam
        raise SearchFailure("no active example, but theta* is not zero")
    M = fmat([[cols[c][p] for c in range(len(cols))] for p in range(P)])
    rref, rank = M.rref()
    pivots, r = [], 0
    for c in range(len(cols)):
        if r < rank and rref[r, c] != 0:
            pivots.append(c)
            r += 1
    Mp = fmat([[cols[c][p] for c in pivots] for p in range(P)])
    rhs = fmat([[t] for t in theta])
    try:
        sol = (Mp.transpose() * Mp).solve(Mp.transpose() * rhs)
    except (ZeroDivisionError, ValueError):
        raise SearchFailure("singular system for the exact multipliers") from None
    for k, c in enumerate(pivots):
        lam[active[c]] = from_fq(sol[k, 0])
    return lam


def snap(net: SearchNetwork, theta_hat: np.ndarray, X: np.ndarray, data: Data,
         dens=(10, 100, 1000, 10**4, 10**5, 10**6), active_tols=(1e-3, 1e-2, 5e-2)):
    """Exact rational KKT point near a normalized GD output.

    Returns (theta, lambda, dead parameter indices, distance from theta_hat to the polished point);
    raises SearchFailure when none is found."""
    y = np.asarray(data.y, dtype=np.float64)
    dead = sorted(p for unit in net.dead_units(theta_hat, X) for p in unit)
    th = theta_hat.copy()
    th[dead] = 0.0
    th = normalize(net, th, X, y)
    if th is None:
        raise SearchFailure("pruning dead units broke separation")
    q = y * net.forward_backward(th, X)[0]
    tried = set()
    for tol in active_tols:
        active = [i for i in range(len(y)) if q[i] < 1 + tol]
        if tuple(active) in tried:
            continue
        tried.add(tuple(active))
        lam0 = estimate_multipliers(net, th, X, y, active)
        try:
            pol, lam_f = polish(net, th, X, y, dead, active, lam0)
        except Exception:  # noqa: BLE001 - scipy may fail on degenerate structures: keep the unpolished point
            pol, lam_f = th, lam0
        keep = [i for i, l in zip(active, lam_f) if l > 1e-9]
        for D in dens:
            theta = [fr(t, D) for t in pol]
            net.merge_split_units(pol, theta, D)
            for act in (keep, active):
                try:
                    lam = exact_multipliers(net, theta, data, act)
                except SearchFailure:
                    continue
                if kkt_holds(net, theta, data, lam):
                    return theta, lam, dead, float(np.linalg.norm(pol - theta_hat))
            lam2 = [Fraction(0)] * len(y)
            for i, l in zip(active, lam_f):
                lam2[i] = fr(max(l, 0.0), D * D)
            if kkt_holds(net, theta, data, lam2):
                return theta, lam2, dead, float(np.linalg.norm(pol - theta_hat))
    raise SearchFailure("could not snap the normalized GD output to an exact rational KKT point")



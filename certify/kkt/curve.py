"""A descent curve from a KKT point, and a smaller feasible point (UNTRUSTED; the kernel decides).

Curve: grow a dead unit linearly in t (the architecture's ``grow_candidates``)
and move the other parameters by t^2 delta, with delta the minimum-norm
solution of grad q_i . delta = -gain_i + eta on the active set (this makes the
t^2 coefficient of the norm negative by stationarity); t0 = 2^-k, the first
accepted by the trusted kind.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..kernel.kkt.networks import Data
from ..kernel.kkt.polynomials import Poly
from .architectures import SearchNetwork
from .certificates import curve_evidence, holds
from .errors import SearchFailure
from .rational import fr


def _second_order(net: SearchNetwork, theta: list[Fraction], data: Data, lam: list[Fraction], idx, e, gains):
    """delta (dict parameter -> float) for the t^2 terms, or None when growing this unit cannot lower the norm."""
    margins = net.exact.margins(theta, data)
    active = [i for i, q in enumerate(margins) if q == 1]
    grown = set(idx)
    others = [p for p in range(len(theta)) if p not in grown]
    th_f = np.array([float(t) for t in theta])
    sum_lam = sum(float(v) for v in lam)
    F = sum(float(lam[i]) * float(gains[i]) for i in range(len(gains)))
    e_norm = sum(float(c) ** 2 for c in e.values())
    # norm coefficient of t^2: ||e||^2 + 2 theta*.delta = ||e||^2 + 2 (eta sum lam - F) (stationarity)
    eta = (2 * F - e_norm) / (4 * max(sum_lam, 1e-12))
    if eta <= 0:
        return None
    rows, target = [], []
    for i in active:
        g = net.forward_backward(th_f, np.array([[float(v) for v in data.x[i]]]), np.array([float(data.y[i])]))[1]
        rows.append(g[others])
        target.append(-float(gains[i]) + eta)
    for row in net.kink_rows(theta, data, idx):  # keep zero pre-activations of live units at zero
        rows.append(row[others])
        target.append(0.0)
    delta_o = (np.linalg.lstsq(np.array(rows), np.array(target), rcond=None)[0] if rows
               else np.zeros(len(others)))
    return dict(zip(others, delta_o))


def descent_curve(net: SearchNetwork, theta: list[Fraction], data: Data, lam: list[Fraction]):
    """(curve as a flat list of coefficient lists, t0, polynomials) proven by the trusted kind.

    Raises SearchFailure when no candidate curve is proven."""
    for idx, e, gains in net.grow_candidates(theta, data, lam):
        delta = _second_order(net, theta, data, lam, idx, e, gains)
        if delta is None:
            continue
        for den in (10**4, 10**6, 10**8):
            curve = [[theta[p], e[p]] if p in e else [theta[p], Fraction(0), fr(delta.get(p, 0.0), den)]
                     for p in range(len(theta))]
            for k in range(1, 40):
                t0 = Fraction(1, 2**k)
                ev = {"not_local_optimum": curve_evidence(net, curve, t0)}
                if holds(net, data, theta, ["not_local_optimum"], ev):
                    return curve, t0, [Poly(c) for c in curve]
    raise SearchFailure("exact KKT point found, but no descent curve (it may be a local optimum)")


def curve_point(polys: list[Poly], t0: Fraction) -> list[Fraction]:
    return [p(t0) for p in polys]


def scaled_feasible(net: SearchNetwork, theta_f: np.ndarray, data: Data, den: int = 10**4) -> list[Fraction] | None:
    """A rational feasible point: theta_f scaled to margin slightly above 1, small denominators (or None)."""
    X = np.array([[float(v) for v in r] for r in data.x])
    qmin = float(np.min(np.asarray(data.y, dtype=float) * net.forward_backward(theta_f, X)[0]))
    if not qmin > 0:
        return None
    c = qmin ** (-1.0 / net.homogeneity)
    for eps in (1e-6, 1e-4, 1e-3, 1e-2):
        theta = [Fraction(round(t * c * (1 + eps) * den), den) for t in theta_f]
        if min(net.exact.margins(theta, data)) >= 1:
            return theta
    return None

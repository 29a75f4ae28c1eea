"""Data adjustment for two-layer ReLU networks (UNTRUSTED; the kernel decides the adjusted instance).

On generic data the KKT point GD converges to is algebraic, not rational: at a
KKT point of a two-layer ReLU network |v_j| = ||w_j|| for every neuron, and the
stationarity and margin equations couple theta, lambda and the data.  Instead
of snapping theta with the data fixed, this step keeps a rational theta with
rational neuron norms (w_j = |v_j| u_j, u_j a rational unit vector) and moves
the ACTIVE examples slightly so that the KKT conditions hold exactly.  With
z_i = lambda_i y_i x_i' (i active) the conditions become LINEAR in z:

  stationarity of neuron j:   sum_{i in S_j} z_i = sign(v_j) u_j      (S_j: active examples with u_j.x_i > 0)
  margin of example i:        lambda_i = sum_{j: i in S_j} v_j |v_j| u_j . z_i,   x_i' = y_i z_i / lambda_i

(v_j-stationarity then follows from ||u_j|| = 1).  z is the minimum-norm exact
rational correction of lambda_i y_i x_i (python-flint).  Inactive examples are
kept unless their margin under the rational theta is not above 1 (then they
are scaled up).  The certified instance is the ADJUSTED data; the original data
and the adjustment are recorded in the certificate's provenance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ..arrays import to_numpy
from ..kernel.certificate import rational_str
from ..kernel.kkt.networks import Data
from .architectures import TwoLayerReluSearch
from .certificates import kkt_holds
from .errors import SearchFailure
from .gd import normalize
from .rational import fmat, fr, from_fq, rational_unit
from .snap import estimate_multipliers


def refine(net: TwoLayerReluSearch, theta: np.ndarray, X: np.ndarray, y: np.ndarray, dead: list[int],
           maxiter: int = 500, rounds: int = 6) -> np.ndarray:
    """KKT point of (P) restricted to the activation pattern of ``theta`` (SLSQP), dead units fixed at 0.

    With the pattern M_ij = [w_j . x_i > 0] fixed, (P) becomes the smooth problem
    min 1/2||theta||^2 s.t. y_i sum_j M_ij v_j w_j.x_i >= 1 and sigma_ij w_j.x_i >= 0 (sigma = +-1 by the
    pattern); SLSQP converges there fast, unlike GD's slow convergence in direction.  A point on a kink
    (w_j.x_i = 0) is a Clarke KKT point of (P) when the implied relu'(0) lies in [0, 1]; the exact
    step (adjust_snap) and the trusted checker decide.  Host numpy (scipy)."""
    from scipy.optimize import minimize

    theta = to_numpy(theta)
    m, d, n = net.width, net.input_dim, len(y)
    free = np.ones(net.n_params, dtype=bool)
    free[dead] = False
    alive = [j for j in range(m) if free[j * d]]
    if not alive:
        return theta
    W0, _ = net.parts(theta)
    M = (X @ W0.T > 0).astype(float)  # n x m

    def full(z):
        th = np.zeros(net.n_params)
        th[free] = z
        return th

    def margin(z):
        W, v = net.parts(full(z))
        return y * (((X @ W.T) * M) @ v) - 1.0

    def margin_jac(z):
        W, v = net.parts(full(z))
        gW = (y[:, None, None] * (M * v[None, :])[:, :, None] * X[:, None, :]).reshape(n, m * d)
        gv = y[:, None] * (X @ W.T) * M
        return np.concatenate([gW, gv], axis=1)[:, free]

    def pattern(z):
        W, _ = net.parts(full(z))
        return ((X @ W[alive].T) * (2 * M[:, alive] - 1)).ravel()

    z = theta[free]
    for _ in range(rounds):
        sig = 2 * M[:, alive] - 1
        jp = np.zeros((n, len(alive), net.n_params))
        for c, j in enumerate(alive):
            jp[:, c, j * d:(j + 1) * d] = sig[:, c:c + 1] * X
        jp = jp.reshape(n * len(alive), net.n_params)[:, free]
        res = minimize(lambda z: 0.5 * z @ z, z, jac=lambda z: z, method="SLSQP",
                       constraints=[{"type": "ineq", "fun": margin, "jac": margin_jac},
                                    {"type": "ineq", "fun": pattern, "jac": lambda z: jp}],
                       options={"ftol": 1e-16, "maxiter": maxiter})
        if not np.all(np.isfinite(res.x)) or float(np.min(margin(res.x))) < -1e-6:
            return theta
        z = res.x
        flips = _bad_kinks(net, full(z), X, y, M, alive)
        if not flips:
            break
        for i, j in flips:
            M[i, j] = 1.0 - M[i, j]
    return full(z)


def _bad_kinks(net: TwoLayerReluSearch, th, X, y, M, alive, tol=1e-6):
    """Kinks (w_j.x_i = 0) of the pattern-restricted solution whose implied relu'(0) is not in [0, 1]."""
    W, v = net.parts(th)
    q = y * net.forward_backward(th, X)[0]
    act = [i for i in range(len(y)) if q[i] < 1 + 1e-5]
    lam = np.zeros(len(y))
    lam[act] = estimate_multipliers(net, th, X, y, act)
    bad = []
    for j in alive:
        nw = np.linalg.norm(W[j])
        cos = (X @ W[j]) / np.maximum(np.linalg.norm(X, axis=1) * nw, 1e-300)
        kinks = [i for i in range(len(y)) if abs(cos[i]) < tol]
        if not kinks:
            continue
        strict = (cos > tol) & (lam > 0)
        r = W[j] - v[j] * ((lam * y * strict) @ X)
        c = np.linalg.lstsq(X[kinks].T, r, rcond=None)[0]
        for i, ci in zip(kinks, c):
            if lam[i] > 1e-9:
                s_ = ci / (v[j] * lam[i] * y[i]) if v[j] != 0 else 0.0
                if s_ < -1e-3 or s_ > 1 + 1e-3:
                    bad.append((i, j))
            elif abs(ci) > 1e-6 * max(nw, 1e-300):
                bad.append((i, j))
    return bad


@dataclass
class Adjusted:
    theta: list[Fraction]
    lam: list[Fraction]
    data: Data
    dead: list[int]
    max_rel_change: float
    changed: int
    scaled_inactive: int
    choices: dict = field(default_factory=dict)  # (example, neuron) -> relu'(0) at kinks


def _support(net: TwoLayerReluSearch, th: np.ndarray, X, y, tol: float, kink_tol: float):
    """Live neurons, supporting examples K (positive multiplier estimates) and the neuron groups.

    Groups: live neurons with the same sign and pattern (+1 active, 0 kink, -1 inactive) on K; at a KKT
    point they share a direction.  Returns (alive, K, lambda estimates, groups {key: [alive index]})."""
    n, m = len(y), net.width
    W, v = net.parts(th)
    nrm = np.linalg.norm(W, axis=1)
    scale = float(np.max(np.abs(v))) if np.any(v) else 0.0
    alive = [j for j in range(m) if nrm[j] > 1e-6 * max(scale, 1e-300) and abs(v[j]) > 1e-6 * scale
             and np.any(X @ W[j] > 0)]
    if not alive:
        raise SearchFailure("no live neuron")
    q = y * net.forward_backward(th, X)[0]
    active = [i for i in range(n) if q[i] < 1 + tol]
    lam_f = estimate_multipliers(net, th, X, y, active)
    K = [i for i, l in zip(active, lam_f) if l > 1e-9 * max(1.0, float(np.max(lam_f, initial=0)))]
    if not K:
        raise SearchFailure("no active example with a positive multiplier")
    U = W[alive] / nrm[alive][:, None]
    cos = (X[K] @ U.T) / np.maximum(np.linalg.norm(X[K], axis=1)[:, None], 1e-300)  # |K| x alive
    state = np.where(np.abs(cos) < kink_tol, 0, np.sign(cos)).astype(int)
    groups: dict[tuple, list[int]] = {}
    for c, j in enumerate(alive):
        groups.setdefault((int(np.sign(v[j])), tuple(int(s) for s in state[:, c])), []).append(c)
    if any(1 not in key[1] for key in groups):
        raise SearchFailure("a live neuron is inactive on every supporting example")
    return alive, K, dict(zip(active, lam_f)), groups


def _rational_point(net: TwoLayerReluSearch, th: np.ndarray, alive: list[int], groups: dict, z0f: np.ndarray,
                    den: int):
    """Rational theta with w_j = |v_j| u_g (u_g a rational unit vector per group, v_j rational), the group
    totals V_g = sum v_j^2 and the Clarke choices s_ga at each group's kinks (least squares, clipped)."""
    d, m, k = net.input_dim, net.width, len(z0f)
    W, v = net.parts(th)
    theta = [Fraction(0)] * net.n_params
    ug: list[list[Fraction]] = []
    Vg: list[Fraction] = []
    sg: list[dict[int, Fraction]] = []
    for key, cs in groups.items():
        u = rational_unit(np.sum([W[alive[c]] for c in cs], axis=0), den)
        ug.append(u)
        V = Fraction(0)
        for c in cs:
            j = alive[c]
            vj = fr(v[j], den)
            if vj == 0:
                raise SearchFailure("a live neuron rounds to zero")
            V += vj * vj
            theta[m * d + j] = vj
            theta[j * d:(j + 1) * d] = [abs(vj) * t for t in u]
        Vg.append(V)
        kinks = [a for a in range(k) if key[1][a] == 0]
        choice: dict[int, Fraction] = {}
        if kinks:
            r = key[0] * np.array([float(t) for t in u]) - z0f[[a for a in range(k) if key[1][a] == 1]].sum(axis=0)
            s = np.linalg.lstsq(z0f[kinks].T, r, rcond=None)[0]
            for a, sv in zip(kinks, np.clip(s, 0.0, 1.0)):
                choice[a] = fr(sv, 1000)
        sg.append(choice)
    return theta, ug, Vg, sg


def _exact_correction(gkeys: list, ug: list, sg: list, z0: list[list[Fraction]], d: int) -> list[list[Fraction]]:
    """z = z0 + the minimum-norm exact correction solving the joint system in vec(z): stationarity of each
    group, u_g . z_a = 0 at its kinks (python-flint)."""
    k, zero = len(z0), Fraction(0)
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    for g, key in enumerate(gkeys):
        coef = [Fraction(1) if key[1][a] == 1 else sg[g].get(a, zero) for a in range(k)]
        for c in range(d):
            row = [zero] * (k * d)
            for a in range(k):
                row[a * d + c] = coef[a]
            rows.append(row)
            rhs.append(key[0] * ug[g][c])
        for a in sg[g]:
            row = [zero] * (k * d)
            row[a * d:(a + 1) * d] = ug[g]
            rows.append(row)
            rhs.append(zero)
    flat0 = [t for row in z0 for t in row]
    res = [b - sum((p * t for p, t in zip(row, flat0) if p), zero) for row, b in zip(rows, rhs)]
    rr, rank = fmat(rows).transpose().rref()  # independent rows of C = pivot columns of C^T
    piv, r_ = [], 0
    for c in range(len(rows)):
        if r_ < rank and rr[r_, c] != 0:
            piv.append(c)
            r_ += 1
    Cp = fmat([rows[c] for c in piv])
    try:
        Y = (Cp * Cp.transpose()).solve(fmat([[res[c]] for c in piv]))
    except (ZeroDivisionError, ValueError):
        raise SearchFailure("singular KKT system for the data adjustment") from None
    Delta = Cp.transpose() * Y
    if any(sum((p * from_fq(Delta[i, 0]) for i, p in enumerate(row) if p), zero) != b
           for row, b in zip(rows, res)):
        raise SearchFailure("the neuron patterns are linearly dependent and inconsistent (no exact data adjustment)")
    return [[z0[a][c] + from_fq(Delta[a * d + c, 0]) for c in range(d)] for a in range(k)]


def _scale_inactive(net: TwoLayerReluSearch, theta: list[Fraction], y: tuple, lam: list[Fraction], xs: list,
                    max_rel: float) -> tuple[float, int]:
    """Inactive examples: kept, or scaled up (in place) to margin >= 1; returns (largest scaling - 1, count)."""
    qs = net.exact.margins(theta, Data(tuple(map(tuple, xs)), tuple(y)))
    worst, scaled = 0.0, 0
    for i in range(len(y)):
        if lam[i] == 0 and qs[i] < 1:
            if qs[i] <= 0:
                raise SearchFailure(f"example {i} is not classified correctly by the rounded point")
            c = fr(1.0 / float(qs[i]) * (1 + 1e-6), 10**6)
            while qs[i] * c < 1:
                c *= Fraction(1001, 1000)
            if float(c) - 1 > max_rel:
                raise SearchFailure(f"inactive example {i} would need a relative change of {float(c) - 1:.2g}")
            worst = max(worst, float(c) - 1)
            xs[i] = [c * t for t in xs[i]]  # positive scaling keeps the activation pattern
            scaled += 1
    return worst, scaled


def adjust_snap(net: TwoLayerReluSearch, th: np.ndarray, data: Data, *, den: int = 10**4, tol: float = 1e-5,
                max_rel: float = 1e-2, kink_tol: float = 1e-6) -> Adjusted:
    """Exact KKT point of two-layer ReLU on minimally adjusted rational data (module docstring).

    Raises SearchFailure with the reason when no adjustment within ``max_rel`` is found."""
    X = np.array([[float(v) for v in row] for row in data.x])
    y = np.array(data.y, dtype=float)
    n, d, m = len(y), net.input_dim, net.width
    alive, K, lamd, groups = _support(net, th, X, y, tol, kink_tol)
    gkeys = list(groups)
    z0f = np.array([lamd[i] * y[i] * X[i] for i in K])  # k x d: lambda_i y_i x_i
    theta, ug, Vg, sg = _rational_point(net, th, alive, groups, z0f, den)
    z = _exact_correction(gkeys, ug, sg, [[fr(t, den * 100) for t in row] for row in z0f], d)
    # multipliers and moved examples: lambda_i = sum_g sign_g V_g u_g . z_i, x_i' = y_i z_i / lambda_i
    lam = [Fraction(0)] * n
    xs = [list(row) for row in data.x]
    worst = 0.0
    for a, i in enumerate(K):
        li = sum((key[0] * Vg[g] * sum((p * r for p, r in zip(ug[g], z[a])), Fraction(0))
                  for g, key in enumerate(gkeys) if key[1][a] == 1), Fraction(0))
        if li <= 0:
            raise SearchFailure(f"the adjusted multiplier of example {i} is not positive")
        lam[i] = li
        xs[i] = [data.y[i] * c / li for c in z[a]]
        old = np.array([float(c) for c in data.x[i]])
        new = np.array([float(c) for c in xs[i]])
        worst = max(worst, float(np.linalg.norm(new - old)) / max(float(np.linalg.norm(old)), 1e-300))
    if worst > max_rel:
        raise SearchFailure(f"the data adjustment needed ({worst:.2g} relative) exceeds the allowed {max_rel:.2g}")
    scaled_worst, scaled = _scale_inactive(net, theta, data.y, lam, xs, max_rel)
    choices = {(K[a], alive[c]): sv for g, key in enumerate(gkeys) for a, sv in sg[g].items() for c in groups[key]}
    dead = sorted(p for j in range(m) if j not in alive for p in list(range(j * d, (j + 1) * d)) + [m * d + j])
    return Adjusted(theta, lam, Data(tuple(map(tuple, xs)), tuple(data.y)), dead, max(worst, scaled_worst),
                    len(K), scaled, choices)


def adjusted_point(net: TwoLayerReluSearch, data: Data, th: np.ndarray, X, y, max_adjust: float):
    """refine + adjust_snap: (theta, lambda, adjusted data, choices, provenance extras); SearchFailure if none."""
    dead = sorted(p for unit in net.dead_units(th, X) for p in unit)
    th = th.copy()
    th[dead] = 0.0
    th = normalize(net, th, X, y)
    if th is None:
        raise SearchFailure("pruning dead units broke separation")
    ref = refine(net, th, X, y, dead)
    try:
        out = adjust_snap(net, ref, data, max_rel=max_adjust)
    except SearchFailure as exc:
        raise SearchFailure(f"data adjustment: {exc}") from None
    if not kkt_holds(net, out.theta, out.data, out.lam, out.choices):
        raise SearchFailure("data adjustment: the adjusted point is not an exact KKT point")
    extra = {"data_adjusted": True,
             "data_adjustment": {"note": "the certified instance is the ADJUSTED data in claim.data; the examples "
                                         "with positive multipliers were moved (and inactive examples possibly "
                                         "scaled) so that the KKT conditions hold exactly at a rational point",
                                 "max_relative_change": out.max_rel_change, "examples_moved": out.changed,
                                 "inactive_examples_scaled": out.scaled_inactive,
                                 "original_x": [[rational_str(v) for v in row] for row in data.x]},
             "distance_normalized_gd_to_refined": float(np.linalg.norm(ref - th))}
    return out.theta, out.lam, out.data, out.choices, extra

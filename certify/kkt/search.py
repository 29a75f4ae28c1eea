"""Untrusted search for certified KKT points of the max-margin problem.

NOT TRUSTED: nothing here is believed; every output is decided by the exact
checker (certify.kkt.check), which never imports this module.

Pipeline (docs/kkt.md):

1. gradient descent on the exponential or logistic loss from a seeded random
   initialization (numpy, or cupy arrays when asked; the array module
   follows the input);
2. normalization to margin 1 (theta / q_min^(1/h), h the homogeneity);
3. structure guess: dead units (relu neurons inactive on every example, or
   negligible units), active examples (normalized margin close to 1);
4. polish: Levenberg-Marquardt on the KKT equations for that structure;
5. rationalization (continued fractions with growing denominators) and exact
   multipliers (independent active columns, exact rational least squares);
6. a descent curve (grow a dead unit along the best direction, shrink the
   rest at order t^2), a smaller feasible point, and for linear networks an
   exact hard-margin SVM dual certificate;
7. the certificate dict, checked by the trusted checker before it is returned.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from ..arrays import array_module, get_xp, to_numpy
from ..certificate import rational_str
from . import check as trusted
from .polynomials import Poly
from .networks import Architecture, Data, end_to_end, margins, norm_sq, output_gradient, params_to_json

# --------------------------------------------------------------------------- float networks


def _relu_parts(arch: Architecture, theta):
    m, d = arch.width, arch.input_dim
    return theta[: m * d].reshape(m, d), theta[m * d:]


def _linear_layers(arch: Architecture, theta):
    out, off = [], 0
    for rows, cols in arch.layer_shapes:
        out.append(theta[off: off + rows * cols].reshape(rows, cols))
        off += rows * cols
    return out


def forward_backward(arch: Architecture, theta, X, g=None):
    """Network outputs on the rows of X; with g also sum_i g_i grad N(x_i) (flat)."""
    xp = array_module(theta)
    if arch.type == "two_layer_relu":
        W, v = _relu_parts(arch, theta)
        Z = X @ W.T
        A = xp.maximum(Z, 0)
        out = A @ v
        if g is None:
            return out, None
        gv = A.T @ g
        gZ = (g[:, None] * v[None, :]) * (Z > 0)
        gW = gZ.T @ X
        return out, xp.concatenate([gW.ravel(), gv])
    if arch.type == "diagonal_linear":
        U = theta.reshape(arch.depth, arch.input_dim)
        beta = xp.prod(U, axis=0)
        out = X @ beta
        if g is None:
            return out, None
        gb = X.T @ g
        grads = []
        for l in range(arch.depth):
            others = xp.prod(xp.concatenate([U[:l], U[l + 1:]], axis=0), axis=0)
            grads.append(gb * others)
        return out, xp.concatenate(grads)
    mats = _linear_layers(arch, theta)
    hs = [X]
    for W in mats:
        hs.append(hs[-1] @ W.T)
    out = hs[-1][:, 0]
    if g is None:
        return out, None
    delta = g[:, None]
    grads = [None] * len(mats)
    for l in range(len(mats) - 1, -1, -1):
        grads[l] = (delta.T @ hs[l]).ravel()
        delta = delta @ mats[l]
    return out, xp.concatenate(grads)


def _loss_weights(q, loss: str, xp):
    """(log loss, normalized weights w_i = -dLoss/dq_i / Loss)."""
    if loss == "exp":
        logs = -q
    else:  # logistic: log(log(1 + e^-q)), stable for large q
        s = xp.logaddexp(0.0, -q)
        logs = xp.where(q > 30, -q, xp.log(xp.maximum(s, 1e-300)))
    mx = xp.max(logs)
    log_total = mx + xp.log(xp.sum(xp.exp(logs - mx)))
    if loss == "exp":
        logd = -q
    else:
        logd = -xp.logaddexp(0.0, q)  # log sigmoid(-q)
    return log_total, xp.exp(logd - log_total)


@dataclass
class GDResult:
    theta: np.ndarray
    steps: int
    min_margin: float
    seconds: float


def gradient_descent(arch: Architecture, X, y, *, seed: int, loss: str = "exp", steps: int = 3000,
                     lr: float = 0.02, init_scale: float = 0.5, backend: str = "numpy",
                     target_margin: float = 1e4) -> GDResult:
    """Loss-normalized GD: theta <- theta - lr * grad Loss / (Loss * ||theta||^(h-2)).

    (For h-homogeneous networks this keeps the angular step size of order lr;
    it is gradient descent with an adaptive step.)  Stops after ``steps`` or
    once the minimum margin exceeds ``target_margin``.
    """
    xp = get_xp(backend)
    rng = np.random.default_rng(seed)
    theta0 = init_scale * rng.standard_normal(arch.n_params) / math.sqrt(max(arch.input_dim, 1))
    theta = xp.asarray(theta0)
    Xd = xp.asarray(np.asarray(X, dtype=np.float64))
    yd = xp.asarray(np.asarray(y, dtype=np.float64))
    h = arch.homogeneity
    t0 = time.perf_counter()
    k = 0
    for k in range(1, steps + 1):
        out, _ = forward_backward(arch, theta, Xd)
        q = yd * out
        _, w = _loss_weights(q, loss, xp)
        _, grad = forward_backward(arch, theta, Xd, -w * yd)
        scale = float(xp.linalg.norm(theta)) ** (h - 2) if h > 2 else 1.0
        theta = theta - (lr / max(scale, 1e-12)) * grad
        if k % 50 == 0:
            qmin = float(xp.min(yd * forward_backward(arch, theta, Xd)[0]))
            if qmin > target_margin or not math.isfinite(qmin):
                break
    q = yd * forward_backward(arch, theta, Xd)[0]
    return GDResult(to_numpy(theta).astype(np.float64), k, float(xp.min(q)), time.perf_counter() - t0)


def normalize(arch: Architecture, theta: np.ndarray, X, y) -> np.ndarray | None:
    q = np.asarray(y) * forward_backward(arch, theta, X)[0]
    qmin = float(np.min(q))
    if not qmin > 0:
        return None
    return theta / qmin ** (1.0 / arch.homogeneity)


# --------------------------------------------------------------------------- structure and polish


def dead_units(arch: Architecture, theta: np.ndarray, X, rel_tol: float = 1e-3) -> list[list[int]]:
    """Groups of parameter indices of units to set to exactly zero."""
    d = arch.input_dim
    total = float(np.dot(theta, theta))
    units = []
    if arch.type == "two_layer_relu":
        W, v = _relu_parts(arch, theta)
        for j in range(arch.width):
            idx = list(range(j * d, (j + 1) * d)) + [arch.width * d + j]
            inactive = bool(np.all(X @ W[j] <= 0))
            if inactive or float(np.dot(theta[idx], theta[idx])) <= rel_tol * total:
                units.append(idx)
    elif arch.type == "diagonal_linear":
        for k in range(d):
            idx = [l * d + k for l in range(arch.depth)]
            if float(np.dot(theta[idx], theta[idx])) <= rel_tol * total:
                units.append(idx)
    return units


def polish(arch: Architecture, theta: np.ndarray, X, y, fixed_zero: list[int], active: list[int],
           lam0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Levenberg-Marquardt on: theta = sum_A lam_i y_i grad N(x_i), q_i = 1 (i in A); dead units fixed at 0."""
    from scipy.optimize import least_squares

    free = np.ones(arch.n_params, dtype=bool)
    free[fixed_zero] = False
    Xa, ya = X[active], np.asarray(y, dtype=np.float64)[active]
    nf = int(free.sum())

    def full(z):
        th = np.zeros(arch.n_params)
        th[free] = z[:nf]
        return th, z[nf:]

    def residual(z):
        th, lam = full(z)
        out, g = forward_backward(arch, th, Xa, lam * ya)
        return np.concatenate([(th - g)[free], ya * out - 1.0])

    z0 = np.concatenate([theta[free], lam0])
    if z0.size == 0:
        return theta, lam0
    sol = least_squares(residual, z0, method="trf", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000)
    th, lam = full(sol.x)
    return th, lam


def estimate_multipliers(arch: Architecture, theta: np.ndarray, X, y, active: list[int]) -> np.ndarray:
    from scipy.optimize import nnls

    cols = []
    for i in active:
        g = forward_backward(arch, theta, X[i:i + 1], np.array([float(y[i])]))[1]
        cols.append(g)
    if not cols:
        return np.zeros(0)
    lam, _ = nnls(np.array(cols).T, theta)
    return lam


# --------------------------------------------------------------------------- exact pieces


def fr(x: float, max_den: int) -> Fraction:
    return Fraction(float(x)).limit_denominator(max_den)


def exact_multipliers(arch: Architecture, theta: list[Fraction], data: Data, active: list[int]) -> list[Fraction] | None:
    """Solve theta = sum_{i in A} lam_i y_i g_i exactly (Clarke choice 0 at zero pre-activations)."""
    from flint import fmpq_mat

    n, P = len(data.y), len(theta)
    cols = [[data.y[i] * g for g in output_gradient(arch, theta, data.x[i], i, lambda i_, j_: Fraction(0))]
            for i in active]
    lam = [Fraction(0)] * n
    if not cols:
        return lam if all(t == 0 for t in theta) else None
    M = fmpq_mat(P, len(cols), [_fq(cols[c][p]) for p in range(P) for c in range(len(cols))])
    rref, rank = M.rref()
    pivots, r = [], 0
    for c in range(len(cols)):
        if r < rank and rref[r, c] != 0:
            pivots.append(c)
            r += 1
    Mp = fmpq_mat(P, len(pivots), [_fq(cols[c][p]) for p in range(P) for c in pivots])
    rhs = fmpq_mat(P, 1, [_fq(t) for t in theta])
    try:
        sol = (Mp.transpose() * Mp).solve(Mp.transpose() * rhs)
    except (ZeroDivisionError, ValueError):
        return None
    for k, c in enumerate(pivots):
        v = sol[k, 0]
        lam[active[c]] = Fraction(int(v.p), int(v.q))
    return lam


def _fq(x: Fraction):
    from flint import fmpq

    return fmpq(x.numerator, x.denominator)


def clarke_choices(arch: Architecture, theta: list[Fraction], data: Data, lam: list[Fraction],
                   given: dict | None = None) -> list[dict]:
    """relu'(0) choices at every zero pre-activation with lambda_i > 0: ``given[(i, j)]`` or 0."""
    given = given or {}
    out = []
    if arch.type != "two_layer_relu":
        return out
    d = arch.input_dim
    for i, li in enumerate(lam):
        if li == 0:
            continue
        for j in range(arch.width):
            z = sum((a * b for a, b in zip(theta[j * d:(j + 1) * d], data.x[i])), Fraction(0))
            if z == 0:
                out.append({"example": i, "neuron": j,
                            "value": rational_str(Fraction(given[(i, j)])) if (i, j) in given else 0})
    return out


def kkt_evidence(arch, theta, data, lam, choices: dict | None = None) -> dict:
    return {"multipliers": [rational_str(v) for v in lam],
            "clarke_choices": clarke_choices(arch, theta, data, lam, choices)}


def kkt_holds(arch, theta, data, lam, choices: dict | None = None) -> bool:
    try:
        trusted.check_kkt(trusted.Instance(arch, data, theta), kkt_evidence(arch, theta, data, lam, choices))
        return True
    except Exception:  # noqa: BLE001 - the search just tries the next candidate
        return False


def _rational_sqrt(x: Fraction) -> Fraction | None:
    a, b = int_root(x.numerator, 2), int_root(x.denominator, 2)
    return Fraction(a, b) if a is not None and b is not None else None


def _merge_split_neurons(arch: Architecture, pol: np.ndarray, theta: list[Fraction], D: int) -> None:
    """Neurons sharing one direction g (w_j = v_j g at a KKT point) split a total T = sum v_j^2.

    GD's split is generally irrational; keep T and g, and replace the split
    (v_j / sqrt(T)) by a nearby rational point of the unit sphere (in place).
    """
    d, m = arch.input_dim, arch.width
    W, v = pol[: m * d].reshape(m, d), pol[m * d:]
    alive = [j for j in range(m) if abs(v[j]) > 1e-9]
    groups: list[list[int]] = []
    for j in alive:
        gj = W[j] / v[j]
        for grp in groups:
            k = grp[0]
            if np.sign(v[k]) == np.sign(v[j]) and np.linalg.norm(W[k] / v[k] - gj) < 1e-6 * max(1, np.linalg.norm(gj)):
                grp.append(j)
                break
        else:
            groups.append([j])
    for grp in groups:
        if len(grp) < 2:
            continue
        T = fr(float(np.sum(v[grp] ** 2)), D)
        r = _rational_sqrt(T)
        if r is None:
            continue
        g = [fr(c, D) for c in np.mean([W[j] / v[j] for j in grp], axis=0)]
        c = rational_unit(np.abs(v[grp]), D)
        s = 1 if v[grp[0]] > 0 else -1
        for j, cj in zip(grp, c):
            vj = s * r * abs(cj)
            theta[m * d + j] = vj
            theta[j * d:(j + 1) * d] = [vj * gk for gk in g]


def snap(arch: Architecture, theta_hat: np.ndarray, X: np.ndarray, data: Data,
         dens=(10, 100, 1000, 10**4, 10**5, 10**6), active_tols=(1e-3, 1e-2, 5e-2)):
    """Exact rational KKT point near a normalized GD output, or None.

    Returns (theta, lambda, dead parameter indices, distance from theta_hat to the polished point).
    """
    y = np.asarray(data.y, dtype=np.float64)
    dead = sorted(p for unit in dead_units(arch, theta_hat, X) for p in unit)
    th = theta_hat.copy()
    th[dead] = 0.0
    th = normalize(arch, th, X, y)
    if th is None:
        return None
    q = y * forward_backward(arch, th, X)[0]
    tried = set()
    for tol in active_tols:
        active = [i for i in range(len(y)) if q[i] < 1 + tol]
        if tuple(active) in tried:
            continue
        tried.add(tuple(active))
        lam0 = estimate_multipliers(arch, th, X, y, active)
        try:
            pol, lam_f = polish(arch, th, X, y, dead, active, lam0)
        except Exception:  # noqa: BLE001
            pol, lam_f = th, lam0
        keep = [i for i, l in zip(active, lam_f) if l > 1e-9]
        for D in dens:
            theta = [fr(t, D) for t in pol]
            if arch.type == "two_layer_relu":
                _merge_split_neurons(arch, pol, theta, D)
            for act in (keep, active):
                lam = exact_multipliers(arch, theta, data, act)
                if lam is not None and kkt_holds(arch, theta, data, lam):
                    return theta, lam, dead, float(np.linalg.norm(pol - theta_hat))
            lam2 = [Fraction(0)] * len(y)
            for i, l in zip(active, lam_f):
                lam2[i] = fr(max(l, 0.0), D * D)
            if kkt_holds(arch, theta, data, lam2):
                return theta, lam2, dead, float(np.linalg.norm(pol - theta_hat))
    return None


# --------------------------------------------------------------------------- descent curve


def _unit_candidates(arch: Architecture, theta: list[Fraction], data: Data, lam: list[Fraction]):
    """(indices, direction e, gain_i) for growing a dead unit: theta* + t e has margin gain t^2 gain_i."""
    d = arch.input_dim
    X = np.array([[float(v) for v in row] for row in data.x])
    y = np.array(data.y, dtype=float)
    lamf = np.array([float(v) for v in lam])
    if arch.type == "two_layer_relu":
        for j in range(arch.width):
            idx = list(range(j * d, (j + 1) * d)) + [arch.width * d + j]
            if any(theta[p] != 0 for p in idx):
                continue
            rng = np.random.default_rng(0)
            dirs = [X[i] / np.linalg.norm(X[i]) for i in range(len(y)) if lamf[i] > 0 and np.linalg.norm(X[i]) > 0]
            dirs += list(rng.standard_normal((2000, d)))
            best = (-np.inf, None, 1.0)
            for u in dirs:
                u = u / max(np.linalg.norm(u), 1e-300)
                for sg in (1.0, -1.0):
                    u2 = u.copy()
                    for _ in range(50):  # projected ascent on F(u) = sg * sum lam y relu(u.x)
                        act = (X @ u2) > 0
                        grad = sg * ((lamf * y * act) @ X)
                        u2 = u2 + 0.1 * grad
                        u2 = u2 / max(np.linalg.norm(u2), 1e-300)
                    val = sg * float(np.sum(lamf * y * np.maximum(X @ u2, 0)))
                    if val > best[0]:
                        best = (val, u2, sg)
            val, u, sg = best
            if val <= 1:
                continue
            uq = [fr(c, 1000) for c in u]
            b = Fraction(math.sqrt(sum(float(c) ** 2 for c in uq))).limit_denominator(1000) * int(sg)
            e = {p: c for p, c in zip(idx[:d], uq)}
            e[idx[d]] = b
            gains = [data.y[i] * b * max(sum((a * c for a, c in zip(uq, data.x[i])), Fraction(0)), Fraction(0))
                     for i in range(len(y))]
            yield idx, e, gains
            return
    elif arch.type == "diagonal_linear" and arch.depth == 2:
        for k in range(d):
            idx = [k, d + k]
            if any(theta[p] != 0 for p in idx):
                continue
            g = sum(float(lam[i]) * data.y[i] * float(data.x[i][k]) for i in range(len(y)))
            if abs(g) <= 1:
                continue
            sg = 1 if g > 0 else -1
            e = {k: Fraction(1), d + k: Fraction(sg)}
            gains = [data.y[i] * sg * data.x[i][k] for i in range(len(y))]
            yield idx, e, gains


def descent_curve(arch: Architecture, theta: list[Fraction], data: Data, lam: list[Fraction]):
    """(curve as flat list of coefficient lists, t0) certified by the trusted checker, or None."""
    inst = trusted.Instance(arch, data, theta)
    active = [i for i, q in enumerate(inst.margins) if q == 1]
    for idx, e, gains in _unit_candidates(arch, theta, data, lam):
        others = [p for p in range(len(theta)) if p not in set(idx)]
        th_f = np.array([float(t) for t in theta])
        rows, target = [], []
        sum_lam = sum(float(v) for v in lam)
        F = sum(float(lam[i]) * float(gains[i]) for i in range(len(gains)))
        e_norm = sum(float(c) ** 2 for c in e.values())
        # norm coefficient of t^2: ||e||^2 + 2 theta*.delta = ||e||^2 + 2 (eta sum lam - F) (stationarity)
        eta = (2 * F - e_norm) / (4 * max(sum_lam, 1e-12))
        if eta <= 0:
            continue
        for i in active:
            g = forward_backward(arch, th_f, np.array([[float(v) for v in data.x[i]]]), np.array([float(data.y[i])]))[1]
            rows.append(g[others])
            target.append(-float(gains[i]) + eta)
        if arch.type == "two_layer_relu":  # keep zero pre-activations of live neurons at zero
            d = arch.input_dim
            for j in range(arch.width):
                wj = theta[j * d:(j + 1) * d]
                if j * d in idx or all(v == 0 for v in wj):
                    continue
                for i in range(len(data.y)):
                    if sum((a * b for a, b in zip(wj, data.x[i])), Fraction(0)) == 0:
                        row = np.zeros(len(theta))
                        row[j * d:(j + 1) * d] = [float(v) for v in data.x[i]]
                        rows.append(row[others])
                        target.append(0.0)
        if rows:
            J = np.array(rows)
            delta_o = np.linalg.lstsq(J, np.array(target), rcond=None)[0]
        else:
            delta_o = np.zeros(len(others))
        delta = dict(zip(others, delta_o))
        for den in (10**4, 10**6, 10**8):
            curve = []
            for p in range(len(theta)):
                if p in e:
                    curve.append([theta[p], e[p]])
                else:
                    curve.append([theta[p], Fraction(0), fr(delta.get(p, 0.0), den)])
            polys = [Poly(c) for c in curve]
            for k in range(1, 40):
                t0 = Fraction(1, 2**k)
                try:
                    trusted.check_not_local(inst, {"curve": params_to_json(arch, curve, lambda c: [rational_str(a) for a in Poly(c).c] or ["0"]), "t0": rational_str(t0)})
                    return curve, t0, polys
                except Exception:  # noqa: BLE001
                    continue
    return None


def curve_point(polys, t0: Fraction) -> list[Fraction]:
    return [p(t0) for p in polys]


# --------------------------------------------------------------------------- smaller feasible point


def scaled_feasible(arch: Architecture, theta_f: np.ndarray, data: Data, den: int = 10**4) -> list[Fraction] | None:
    """A rational feasible point: theta_f scaled to margin slightly above 1, small denominators."""
    X = np.array([[float(v) for v in r] for r in data.x])
    qmin = float(np.min(np.asarray(data.y, dtype=float) * forward_backward(arch, theta_f, X)[0]))
    if not qmin > 0:
        return None
    c = qmin ** (-1.0 / arch.homogeneity)
    for eps in (1e-6, 1e-4, 1e-3, 1e-2):
        theta = [Fraction(round(t * c * (1 + eps) * den), den) for t in theta_f]
        if min(margins(arch, theta, data)) >= 1:
            return theta
    return None


# --------------------------------------------------------------------------- linear networks


def exact_svm(data: Data, active_guess: list[int]) -> tuple[list[Fraction], list[Fraction]] | None:
    """Exact hard-margin SVM (no bias) from a guessed support set: (beta, alpha) or None."""
    from flint import fmpq_mat

    n, d = len(data.y), len(data.x[0])
    for support in _support_guesses(data, active_guess):
        k = len(support)
        G = fmpq_mat(k, k, [_fq(data.y[a] * data.y[b] * sum((p * q for p, q in zip(data.x[a], data.x[b])), Fraction(0)))
                            for a in support for b in support])
        try:
            sol = G.solve(fmpq_mat(k, 1, [1] * k))
        except (ZeroDivisionError, ValueError):
            continue
        alpha = [Fraction(0)] * n
        for t, a in enumerate(support):
            alpha[a] = Fraction(int(sol[t, 0].p), int(sol[t, 0].q))
        if any(a < 0 for a in alpha):
            continue
        beta = [sum((alpha[i] * data.y[i] * data.x[i][c] for i in range(n)), Fraction(0)) for c in range(d)]
        if all(data.y[i] * sum((b * x for b, x in zip(beta, data.x[i])), Fraction(0)) >= 1 for i in range(n)):
            return beta, alpha
    return None


def _support_guesses(data: Data, guess: list[int]):
    yield guess
    from scipy.optimize import minimize

    X = np.array([[float(v) for v in r] for r in data.x])
    y = np.array(data.y, dtype=float)
    res = minimize(lambda b: 0.5 * b @ b, np.ones(X.shape[1]), jac=lambda b: b,
                   constraints=[{"type": "ineq", "fun": lambda b: y * (X @ b) - 1, "jac": lambda b: y[:, None] * X}],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    q = y * (X @ res.x)
    yield [i for i in range(len(y)) if q[i] < 1 + 1e-6]


def int_root(n: int, k: int) -> int | None:
    if n < 0:
        return None
    lo, hi = 0, 1
    while hi**k <= n:
        hi *= 2
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if mid**k <= n:
            lo = mid
        else:
            hi = mid
    return lo if lo**k == n else None


def rational_unit(v: np.ndarray, den: int = 1000) -> list[Fraction]:
    """A rational point on the unit sphere near v/|v| (inverse stereographic projection)."""
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    flip = v[0] > 0
    if flip:
        v = -v
    p = [fr(c / (1 - v[0]), den) for c in v[1:]]  # project from the pole (1, 0, ..., 0)
    s = sum(c * c for c in p)
    out = [(s - 1) / (s + 1)] + [2 * c / (s + 1) for c in p]
    return [-c for c in out] if flip else out


def balanced_factorization(arch: Architecture, beta: list[Fraction], directions: list[np.ndarray]) -> list[Fraction] | None:
    """Rank-one balanced W_1..W_L with W_L...W_1 = beta^T, when ||beta|| = sigma^L with sigma rational."""
    L = arch.depth
    b2 = sum(b * b for b in beta)
    num, den = int_root(b2.numerator, 2 * L), int_root(b2.denominator, 2 * L)
    if num is None or den is None:
        return None
    sigma = Fraction(num, den)
    nb = sigma**L
    us = [rational_unit(u) for u in directions]
    flat: list[Fraction] = []
    # W_1 = (sigma/||beta||) u_1 beta^T ; W_l = sigma u_l u_{l-1}^T ; W_L = sigma u_{L-1}^T
    k1 = sigma / nb
    flat.extend(k1 * a * b for a in us[0] for b in beta)
    for l in range(1, L - 1):
        flat.extend(sigma * a * b for a in us[l] for b in us[l - 1])
    flat.extend(sigma * b for b in us[L - 2])
    return flat


def svm_evidence(alpha: list[Fraction]) -> dict:
    return {"dual": [rational_str(a) for a in alpha]}


# --------------------------------------------------------------------------- certificates


def certificate(arch: Architecture, data: Data, theta: list[Fraction], proves: list[str], evidence: dict,
                statement: str, provenance: dict | None = None) -> dict:
    arch_json: dict[str, Any] = {"type": arch.type, "input_dim": arch.input_dim}
    if arch.type == "two_layer_relu":
        arch_json["width"] = arch.width
    else:
        arch_json["depth"] = arch.depth
    if arch.type == "fully_connected_linear":
        arch_json["hidden_widths"] = list(arch.hidden_widths)
    cert = {
        "format": "certify-certificate",
        "version": 1,
        "kind": trusted.KIND,
        "claim": {
            "statement": statement,
            "architecture": arch_json,
            "data": {"x": [[rational_str(v) for v in row] for row in data.x], "y": list(data.y)},
            "point": params_to_json(arch, theta, rational_str),
            "proves": proves,
        },
        "evidence": evidence,
    }
    if provenance:
        cert["provenance"] = provenance
    return cert


def curve_json(arch: Architecture, curve: list[list[Fraction]]) -> dict:
    return params_to_json(arch, curve, lambda c: [rational_str(a) for a in Poly(c).c] or ["0"])


STATEMENT = ("For the max-margin problem min 1/2||theta||^2 s.t. y_i N_theta(x_i) >= 1 on the stated data and "
             "architecture, the point theta* satisfies every sub-claim listed in 'proves'.")


STATEMENT_ADJUSTED = (STATEMENT + " The data is the search's rational adjustment of the user's data (original data "
                      "and the size of the change in 'provenance', which is not checked): the claim is about "
                      "the adjusted data.")


@dataclass
class SearchOutcome:
    ok: bool
    message: str
    certificate: dict | None = None
    seed: int | None = None
    log: list[str] = field(default_factory=list)
    seconds: float = 0.0


def search(arch: Architecture, data: Data, *, seeds, loss: str = "exp", steps: int = 3000, lr: float = 0.02,
           init_scale: float = 0.5, backend: str = "numpy", want_curve: bool = True,
           time_limit: float | None = None, adjust_data: bool = False, max_adjust: float = 1e-2,
           progress=None) -> SearchOutcome:
    """Try seeds in order; return the first certificate the trusted checker accepts."""
    start = time.perf_counter()
    X = np.array([[float(v) for v in row] for row in data.x])
    y = np.array(data.y, dtype=float)
    log: list[str] = []
    better: list[Fraction] | None = None
    for seed in seeds:
        if progress is not None:
            progress(seed)
        if time_limit is not None and time.perf_counter() - start > time_limit:
            log.append("time limit reached")
            break
        gd = gradient_descent(arch, X, y, seed=seed, loss=loss, steps=steps, lr=lr, init_scale=init_scale,
                              backend=backend)
        th = normalize(arch, gd.theta, X, y) if math.isfinite(gd.min_margin) else None
        if th is None:
            log.append(f"seed {seed}: GD did not separate the data (min margin {gd.min_margin:.3g})")
            continue
        cand = scaled_feasible(arch, th, data)
        if cand is not None and (better is None or norm_sq(cand) < norm_sq(better)):
            better = cand
        provenance = {"search": "certify kkt search", "seed": seed, "loss": loss, "steps": gd.steps, "lr": lr,
                      "init_scale": init_scale, "init": "theta0 = init_scale * N(0, I) / sqrt(input_dim), "
                      "numpy.random.default_rng(seed)", "update": "theta <- theta - lr * grad Loss / "
                      "(Loss * ||theta||^(h-2))", "stop": "after max_steps, or at a multiple of 50 steps once the "
                      "minimum margin exceeds 1e4", "max_steps": steps, "gd_min_margin": gd.min_margin,
                      "note": "theta* is the exact KKT point found near the normalized GD output (distance below); "
                      "the checker does not re-run GD"}
        if arch.type == "fully_connected_linear":
            out = _finish_linear(arch, data, th, X, y, provenance)
        else:
            out = _finish_nonconvex(arch, data, th, X, y, provenance, want_curve, better, adjust_data, max_adjust)
        if isinstance(out, str):
            log.append(f"seed {seed}: {out}")
            continue
        return SearchOutcome(True, f"seed {seed}: certified", out, seed, log, time.perf_counter() - start)
    return SearchOutcome(False, "no certificate found", None, None, log, time.perf_counter() - start)


def _adjusted_point(arch, data, th, X, y, max_adjust):
    """refine + adjust_snap: (theta, lambda, adjusted data, choices, provenance extras) or a reason."""
    dead = sorted(p for unit in dead_units(arch, th, X) for p in unit)
    th = th.copy()
    th[dead] = 0.0
    th = normalize(arch, th, X, y)
    if th is None:
        return "pruning dead units broke separation"
    ref = refine(arch, th, X, y, dead)
    out = adjust_snap(arch, ref, data, max_rel=max_adjust)
    if isinstance(out, str):
        return "data adjustment: " + out
    if not kkt_holds(arch, out.theta, out.data, out.lam, out.choices):
        return "data adjustment: the adjusted point is not an exact KKT point"
    extra = {"data_adjusted": True,
             "data_adjustment": {"note": "the certified instance is the ADJUSTED data in claim.data; the examples "
                                         "with positive multipliers were moved (and inactive examples possibly "
                                         "scaled) so that the KKT conditions hold exactly at a rational point",
                                 "max_relative_change": out.max_rel_change, "examples_moved": out.changed,
                                 "inactive_examples_scaled": out.scaled_inactive,
                                 "original_x": [[rational_str(v) for v in row] for row in data.x]},
             "distance_normalized_gd_to_refined": float(np.linalg.norm(ref - th))}
    return out.theta, out.lam, out.data, out.choices, extra


def _finish_nonconvex(arch, data, th, X, y, provenance, want_curve, better, adjust_data=False, max_adjust=1e-2):
    snapped = snap(arch, th, X, data)
    choices: dict = {}
    if snapped is None:
        if not (adjust_data and arch.type == "two_layer_relu"):
            hint = " (generic data has irrational KKT points; try --adjust-data)" if arch.type == "two_layer_relu" else ""
            return "could not snap the normalized GD output to an exact rational KKT point" + hint
        got = _adjusted_point(arch, data, th, X, y, max_adjust)
        if isinstance(got, str):
            return "could not snap to an exact rational KKT point, and " + got
        theta, lam, data, choices, extra = got
        better = None  # computed for the original data
        dead = [p for p in range(len(theta)) if theta[p] == 0]
        provenance = dict(provenance, **extra)
        provenance["note"] = ("theta* is an exact KKT point for the adjusted data, near the normalized GD output "
                              "refined with the activation pattern fixed; the checker does not re-run GD")
    else:
        theta, lam, dead, dist = snapped
        provenance = dict(provenance, distance_normalized_gd_to_theta_star=dist, dead_parameters=len(dead))
    proves = ["kkt_point"]
    evidence: dict[str, Any] = {"kkt_point": kkt_evidence(arch, theta, data, lam, choices)}
    if want_curve:
        found = descent_curve(arch, theta, data, lam)
        if found is None:
            return "exact KKT point found, but no descent curve (it may be a local optimum)"
        curve, t0, polys = found
        proves.append("not_local_optimum")
        evidence["not_local_optimum"] = {"curve": curve_json(arch, curve), "t0": rational_str(t0)}
        cands = [curve_point(polys, t0)] + ([better] if better is not None else [])
        best = min(cands, key=norm_sq)
        if norm_sq(best) < norm_sq(theta):
            proves.append("not_global_optimum")
            evidence["not_global_optimum"] = {"point": params_to_json(arch, best, rational_str)}
    statement = STATEMENT_ADJUSTED if provenance.get("data_adjusted") else STATEMENT
    cert = certificate(arch, data, theta, proves, evidence, statement, provenance)
    trusted.check(cert)  # raises if the certificate does not prove its claim
    return cert


def _finish_linear(arch, data, th, X, y, provenance):
    beta_f = np.asarray(end_to_end(arch, list(th)), dtype=float)
    q = y * (X @ beta_f)
    guess = [i for i in range(len(y)) if q[i] < 1 + 1e-3]
    svm = exact_svm(data, guess)
    if svm is None:
        return "could not solve the hard-margin SVM exactly"
    beta, alpha = svm
    mats = _linear_layers(arch, th)
    dirs = []
    for l in range(arch.depth - 1):  # left singular vector of W_{l+1}: direction of hidden layer l+1
        u, _, _ = np.linalg.svd(mats[l])
        dirs.append(u[:, 0] * np.sign(u[:, 0].sum() or 1.0))
    theta = balanced_factorization(arch, beta, dirs)
    if theta is None:
        b2 = sum(b * b for b in beta)
        return (f"the max-margin predictor has ||beta||^2 = {rational_str(b2)}, not a {2 * arch.depth}-th power of "
                f"a rational, so this search builds no rational balanced KKT point")
    active = [i for i in range(len(y)) if alpha[i] != 0]
    lam = exact_multipliers(arch, theta, data, active)
    if lam is None or not kkt_holds(arch, theta, data, lam):
        return "exact multipliers not found for the balanced factorization"
    evidence = {"kkt_point": kkt_evidence(arch, theta, data, lam), "global_optimum": svm_evidence(alpha)}
    cert = certificate(arch, data, theta, ["kkt_point", "global_optimum"], evidence, STATEMENT, provenance)
    trusted.check(cert)
    return cert


# --------------------------------------------------------------------------- data adjustment (two-layer ReLU)
#
# On generic data the KKT point GD converges to is algebraic, not rational: at a
# KKT point of a two-layer ReLU network |v_j| = ||w_j|| for every neuron, and the
# stationarity and margin equations couple theta, lambda and the data.  Instead
# of snapping theta with the data fixed, this step keeps a rational theta with
# rational neuron norms (w_j = |v_j| u_j, u_j a rational unit vector) and moves
# the ACTIVE examples slightly so that the KKT conditions hold exactly.  With
# z_i = lambda_i y_i x_i' (i active) the conditions become LINEAR in z:
#
#   stationarity of neuron j:   sum_{i in S_j} z_i = sign(v_j) u_j      (S_j: active examples with u_j.x_i > 0)
#   margin of example i:        lambda_i = sum_{j: i in S_j} v_j |v_j| u_j . z_i,   x_i' = y_i z_i / lambda_i
#
# (v_j-stationarity then follows from ||u_j|| = 1).  z is the minimum-norm exact
# rational correction of lambda_i y_i x_i (python-flint).  Inactive examples are
# kept unless their margin under the rational theta is not above 1 (then they
# are scaled up).  The certified instance is the ADJUSTED data; the original data
# and the adjustment are recorded in the certificate's provenance.


def refine(arch: Architecture, theta: np.ndarray, X: np.ndarray, y: np.ndarray, dead: list[int],
           maxiter: int = 500, rounds: int = 6) -> np.ndarray:
    """KKT point of (P) restricted to the activation pattern of ``theta`` (SLSQP), dead units fixed at 0.

    With the pattern M_ij = [w_j . x_i > 0] fixed, (P) becomes the smooth problem
    min 1/2||theta||^2 s.t. y_i sum_j M_ij v_j w_j.x_i >= 1 and sigma_ij w_j.x_i >= 0 (sigma = +-1 by the
    pattern); SLSQP converges there fast, unlike GD's slow convergence in direction.  A point on a kink
    (w_j.x_i = 0) is a Clarke KKT point of (P) when the implied relu'(0) lies in [0, 1]; the exact
    step (adjust_snap) and the trusted checker decide.  Host numpy (scipy)."""
    from scipy.optimize import minimize

    theta = to_numpy(theta)
    m, d, n = arch.width, arch.input_dim, len(y)
    free = np.ones(arch.n_params, dtype=bool)
    free[dead] = False
    alive = [j for j in range(m) if free[j * d]]
    if not alive:
        return theta
    W0, _ = _relu_parts(arch, theta)
    M = (X @ W0.T > 0).astype(float)  # n x m

    def full(z):
        th = np.zeros(arch.n_params)
        th[free] = z
        return th

    def margin(z):
        W, v = _relu_parts(arch, full(z))
        return y * (((X @ W.T) * M) @ v) - 1.0

    def margin_jac(z):
        W, v = _relu_parts(arch, full(z))
        gW = (y[:, None, None] * (M * v[None, :])[:, :, None] * X[:, None, :]).reshape(n, m * d)
        gv = y[:, None] * (X @ W.T) * M
        return np.concatenate([gW, gv], axis=1)[:, free]

    def pattern(z):
        W, _ = _relu_parts(arch, full(z))
        return ((X @ W[alive].T) * (2 * M[:, alive] - 1)).ravel()

    z = theta[free]
    for _ in range(rounds):
        sig = 2 * M[:, alive] - 1
        jp = np.zeros((n, len(alive), arch.n_params))
        for c, j in enumerate(alive):
            jp[:, c, j * d:(j + 1) * d] = sig[:, c:c + 1] * X
        jp = jp.reshape(n * len(alive), arch.n_params)[:, free]
        res = minimize(lambda z: 0.5 * z @ z, z, jac=lambda z: z, method="SLSQP",
                       constraints=[{"type": "ineq", "fun": margin, "jac": margin_jac},
                                    {"type": "ineq", "fun": pattern, "jac": lambda z: jp}],
                       options={"ftol": 1e-16, "maxiter": maxiter})
        if not np.all(np.isfinite(res.x)) or float(np.min(margin(res.x))) < -1e-6:
            return theta
        z = res.x
        flips = _bad_kinks(arch, full(z), X, y, M, alive)
        if not flips:
            break
        for i, j in flips:
            M[i, j] = 1.0 - M[i, j]
    return full(z)


def _bad_kinks(arch, th, X, y, M, alive, tol=1e-6):
    """Kinks (w_j.x_i = 0) of the pattern-restricted solution whose implied relu'(0) is not in [0, 1]."""
    W, v = _relu_parts(arch, th)
    q = y * forward_backward(arch, th, X)[0]
    act = [i for i in range(len(y)) if q[i] < 1 + 1e-5]
    lam = np.zeros(len(y))
    lam[act] = estimate_multipliers(arch, th, X, y, act)
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


def _fmat(rows: list[list[Fraction]]):
    from flint import fmpq_mat

    r, c = len(rows), len(rows[0]) if rows else 0
    return fmpq_mat(r, c, [_fq(v) for row in rows for v in row])


def _from_fq(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


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


def adjust_snap(arch: Architecture, th: np.ndarray, data: Data, *, den: int = 10**4, tol: float = 1e-5,
                max_rel: float = 1e-2, kink_tol: float = 1e-6) -> Adjusted | str:
    """Exact KKT point of two-layer ReLU on minimally adjusted rational data (see the comment above)."""
    if arch.type != "two_layer_relu":
        return "data adjustment is implemented for two_layer_relu only"
    X = np.array([[float(v) for v in row] for row in data.x])
    y = np.array(data.y, dtype=float)
    n, d, m = len(y), arch.input_dim, arch.width
    W, v = _relu_parts(arch, th)
    nrm = np.linalg.norm(W, axis=1)
    scale = float(np.max(np.abs(v))) if np.any(v) else 0.0
    alive = [j for j in range(m) if nrm[j] > 1e-6 * max(scale, 1e-300) and abs(v[j]) > 1e-6 * scale
             and np.any(X @ W[j] > 0)]
    if not alive:
        return "no live neuron"
    q = y * forward_backward(arch, th, X)[0]
    active = [i for i in range(n) if q[i] < 1 + tol]
    lam_f = estimate_multipliers(arch, th, X, y, active)
    K = [i for i, l in zip(active, lam_f) if l > 1e-9 * max(1.0, float(np.max(lam_f, initial=0)))]
    if not K:
        return "no active example with a positive multiplier"
    lamd = dict(zip(active, lam_f))
    U = W[alive] / nrm[alive][:, None]
    pre = X[K] @ U.T  # |K| x alive
    cos = pre / np.maximum(np.linalg.norm(X[K], axis=1)[:, None], 1e-300)
    state = np.where(np.abs(cos) < kink_tol, 0, np.sign(cos)).astype(int)  # +1 active, 0 kink, -1 inactive
    # groups of alive neurons with the same sign and pattern on K (at a KKT point they share a direction)
    groups: dict[tuple, list[int]] = {}
    for c, j in enumerate(alive):
        groups.setdefault((int(np.sign(v[j])), tuple(int(s) for s in state[:, c])), []).append(c)
    gkeys = list(groups)
    if any(1 not in key[1] for key in gkeys):
        return "a live neuron is inactive on every supporting example"
    k = len(K)
    z0f = np.array([lamd[i] * y[i] * X[i] for i in K])  # k x d
    # rational theta: w_j = |v_j| u_g, u_g a rational unit vector, v_j rational
    theta = [Fraction(0)] * arch.n_params
    ug: list[list[Fraction]] = []
    Vg: list[Fraction] = []
    sg: list[dict[int, Fraction]] = []  # Clarke choices s_ga at kinks
    for key in gkeys:
        cs = groups[key]
        direction = np.sum([W[alive[c]] for c in cs], axis=0)
        u = rational_unit(direction, den)
        ug.append(u)
        V = Fraction(0)
        for c in cs:
            j = alive[c]
            vj = fr(v[j], den)
            if vj == 0:
                return "a live neuron rounds to zero"
            V += vj * vj
            theta[m * d + j] = vj
            theta[j * d:(j + 1) * d] = [abs(vj) * t for t in u]
        Vg.append(V)
        kinks = [a for a in range(k) if key[1][a] == 0]
        choice: dict[int, Fraction] = {}
        if kinks:
            uf = np.array([float(t) for t in u])
            r = key[0] * uf - z0f[[a for a in range(k) if key[1][a] == 1]].sum(axis=0)
            s = np.linalg.lstsq(z0f[kinks].T, r, rcond=None)[0]
            for a, sv in zip(kinks, np.clip(s, 0.0, 1.0)):
                choice[a] = fr(sv, 1000)
        sg.append(choice)
    # joint exact system in vec(z): stationarity of each group, u_g . z_a = 0 at kinks
    z0 = [[fr(t, den * 100) for t in row] for row in z0f]
    rows: list[list[Fraction]] = []
    rhs: list[Fraction] = []
    zero = Fraction(0)
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
    C = _fmat(rows)
    rr, rank = C.transpose().rref()  # independent rows of C = pivot columns of C^T
    piv, r_ = [], 0
    for c in range(len(rows)):
        if r_ < rank and rr[r_, c] != 0:
            piv.append(c)
            r_ += 1
    Cp = _fmat([rows[c] for c in piv])
    try:
        Y = (Cp * Cp.transpose()).solve(_fmat([[res[c]] for c in piv]))
    except (ZeroDivisionError, ValueError):
        return "singular KKT system for the data adjustment"
    Delta = Cp.transpose() * Y
    if any(sum((p * _from_fq(Delta[i, 0]) for i, p in enumerate(row) if p), zero) != b
           for row, b in zip(rows, res)):
        return "the neuron patterns are linearly dependent and inconsistent (no exact data adjustment)"
    z = [[z0[a][c] + _from_fq(Delta[a * d + c, 0]) for c in range(d)] for a in range(k)]
    # multipliers and adjusted examples
    lam = [Fraction(0)] * n
    xs = [list(row) for row in data.x]
    max_rel = 0.0 if max_rel is None else max_rel
    worst = 0.0
    for a, i in enumerate(K):
        li = Fraction(0)
        for g, key in enumerate(gkeys):
            if key[1][a] == 1:
                li += key[0] * Vg[g] * sum((p * r for p, r in zip(ug[g], z[a])), Fraction(0))
        if li <= 0:
            return f"the adjusted multiplier of example {i} is not positive"
        lam[i] = li
        xi = [data.y[i] * c / li for c in z[a]]
        old = np.array([float(c) for c in data.x[i]])
        rel = float(np.linalg.norm(np.array([float(c) for c in xi]) - old)) / max(float(np.linalg.norm(old)), 1e-300)
        worst = max(worst, rel)
        xs[i] = xi
    if worst > max_rel:
        return f"the data adjustment needed ({worst:.2g} relative) exceeds the allowed {max_rel:.2g}"
    # inactive examples: keep, or scale up to margin >= 1 (pattern unchanged by positive scaling)
    adj = Data(xs, list(data.y))
    qs = margins(arch, theta, adj)
    scaled = 0
    for i in range(n):
        if lam[i] == 0 and qs[i] < 1:
            if qs[i] <= 0:
                return f"example {i} is not classified correctly by the rounded point"
            c = fr(1.0 / float(qs[i]) * (1 + 1e-6), 10**6)
            while qs[i] * c < 1:
                c *= Fraction(1001, 1000)
            if float(c) - 1 > max_rel:
                return f"inactive example {i} would need a relative change of {float(c) - 1:.2g}"
            worst = max(worst, float(c) - 1)
            adj.x[i] = [c * t for t in adj.x[i]]
            scaled += 1
    choices = {(K[a], alive[c]): sv for g, key in enumerate(gkeys) for a, sv in sg[g].items()
               for c in groups[key]}
    return Adjusted(theta, lam, adj, sorted(p for j in range(m) if j not in alive
                                            for p in list(range(j * d, (j + 1) * d)) + [m * d + j]),
                    worst, len(K), scaled, choices)

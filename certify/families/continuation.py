"""Following a family in s = 1/sqrt(k): Newton in the rescaled unknowns, tangents, the smallest eigenvalue of
the scaled Hessian compression along the curve, and the transition point.

UNTRUSTED.  Uses the kernel's graded evaluations (certify.kernel.families.system) at single points, in
binary64, only as a fast and accurate function evaluator; every number it produces is re-checked by
the kernel.  All functions are vectorized over a batch of s values.
"""
from __future__ import annotations

import numpy as np

from certify.kernel.families.graded import Powers
from certify.kernel.families.landscape import Point
from certify.kernel.families.system import Pattern, curvature, equations
from certify.kernel.interval import Interval


def _mid(x: Interval) -> np.ndarray:
    return 0.5 * (x.lo + x.hi)


def _powers(s: np.ndarray, track: bool = False) -> Powers:
    s = np.asarray(s, dtype=np.float64)
    return Powers(s, s, order=1 if track else 0)


def system(pat: Pattern, psi: np.ndarray, s: np.ndarray, want_ds: bool = False):
    """(G, J) at the points (psi[i], s[i]) (float midpoints); with want_ds also dG/ds at fixed psi."""
    psi = np.atleast_2d(psi)
    P = _powers(s, want_ds)
    E = equations(pat, Point(Interval.point(psi), np.zeros_like(psi) if want_ds else None), P)
    out = (_mid(E.G), _mid(E.J))
    return out + ((_mid(E.dG),) if want_ds else ())


def newton(pat: Pattern, psi: np.ndarray, s: np.ndarray, iterations: int = 25, tol: float = 1e-15) -> np.ndarray:
    """Newton's method on G(., s) = 0 for every s of the batch (rows of psi are the starting points)."""
    psi = np.array(np.atleast_2d(psi), dtype=np.float64)
    s = np.atleast_1d(np.asarray(s, dtype=np.float64))
    last = np.inf
    for _ in range(iterations):
        G, J = system(pat, psi, s)
        step = np.linalg.solve(J, G[..., None])[..., 0]
        psi = psi - step
        size = float(np.max(np.abs(step) / (1.0 + np.abs(psi))))
        if size < tol or (size < 1e-12 and size >= 0.5 * last):  # converged, or stalled at rounding level
            break
        last = size
    return psi


def tangent(pat: Pattern, psi: np.ndarray, s: np.ndarray) -> np.ndarray:
    """d psi*/ds = -J^-1 dG/ds along the curve (implicit function theorem)."""
    G, J, dG = system(pat, psi, s, want_ds=True)
    return -np.linalg.solve(J, dG[..., None])[..., 0]


def follow(pat: Pattern, start: np.ndarray, s_max: float, step: float = 0.01) -> tuple[np.ndarray, np.ndarray]:
    """Natural continuation from s = 0 to s_max (solutions at s = 0, step, 2 step, ..., s_max), with a
    tangent predictor.  Returns (s values, psi rows)."""
    grid = np.arange(0.0, s_max + step, step)
    grid[-1] = s_max
    psi = newton(pat, np.asarray(start, dtype=np.float64), np.zeros(1))[0]
    out = [psi]
    for a, b in zip(grid[:-1], grid[1:]):
        w = tangent(pat, psi[None], np.array([a]))[0]
        psi = newton(pat, (psi + (b - a) * w)[None], np.array([b]))[0]
        out.append(psi)
    return grid, np.array(out)


def points(pat: Pattern, grid: np.ndarray, psis: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polished points and tangents at the batch s (cubic Hermite prediction from the continuation grid)."""
    s = np.asarray(s, dtype=np.float64)
    idx = np.clip(np.searchsorted(grid, s) - 1, 0, grid.size - 2)
    a, b = grid[idx], grid[idx + 1]
    wa = tangent(pat, psis[idx], a)
    wb = tangent(pat, psis[idx + 1], b)
    h = (b - a)[:, None]
    u = ((s - a) / (b - a))[:, None]
    h00, h10, h01, h11 = 2 * u**3 - 3 * u**2 + 1, u**3 - 2 * u**2 + u, -2 * u**3 + 3 * u**2, u**3 - u**2
    guess = h00 * psis[idx] + h10 * h * wa + h01 * psis[idx + 1] + h11 * h * wb
    psi = newton(pat, guess, s)
    return psi, tangent(pat, psi, s)


def lambda_min(pat: Pattern, psi: np.ndarray, s: np.ndarray, loss_power: int) -> np.ndarray:
    """Float smallest eigenvalue of the scaled Hessian compression at the points (one per s)."""
    cu = curvature(pat, Point(Interval.point(np.atleast_2d(psi))), _powers(s), loss_power)
    C = _mid(cu.C)
    return np.linalg.eigvalsh(0.5 * (C + np.swapaxes(C, 1, 2)))[:, 0]


def hessian_eigenvalue(pat: Pattern, psi: np.ndarray, s: np.ndarray, loss_power: int) -> np.ndarray:
    """Float lambda_min of the unscaled compression (= lambda_min of the Hessian of F_k at integer k): the
    generalized eigenproblem C~ x = lambda S^2 x, S = diag(s on the growing cell's parameters, 1 otherwise)."""
    import scipy.linalg as sl

    cu = curvature(pat, Point(Interval.point(np.atleast_2d(psi))), _powers(s), loss_power)
    C = _mid(cu.C)
    big = pat.big_q()
    out = []
    for i, si in enumerate(np.atleast_1d(s)):
        S2 = np.diag(np.where(big == 1, si * si, 1.0))
        out.append(sl.eigh(0.5 * (C[i] + C[i].T), S2, eigvals_only=True)[0] if si > 0 else np.nan)
    return np.array(out)


def loss(pat: Pattern, psi: np.ndarray, s: np.ndarray, loss_power: int) -> np.ndarray:
    cu = curvature(pat, Point(Interval.point(np.atleast_2d(psi))), _powers(s), loss_power)
    return _mid(cu.loss)


def transition(pat: Pattern, grid: np.ndarray, psis: np.ndarray, loss_power: int, tol: float = 1e-15) -> float:
    """The s at which lambda_min of the scaled Hessian compression changes sign along the curve (the last
    sign change on the continuation grid, refined by the secant/bisection method)."""
    lam = lambda_min(pat, psis, grid, loss_power)
    sign = np.nonzero((lam[:-1] > 0) & (lam[1:] <= 0))[0]
    if sign.size == 0:
        raise ValueError("no change of sign of lambda_min on the continuation grid")
    i = int(sign[-1])
    a, b = grid[i], grid[i + 1]
    fa, fb = lam[i], lam[i + 1]
    for _ in range(200):
        m = b - fb * (b - a) / (fb - fa) if fb != fa else 0.5 * (a + b)
        if not a < m < b:
            m = 0.5 * (a + b)
        psi, _ = points(pat, grid, psis, np.array([m]))
        fm = lambda_min(pat, psi, np.array([m]), loss_power)[0]
        if fm > 0:
            a, fa = m, fm
        else:
            b, fb = m, fm
        if b - a < tol * max(1.0, b):
            break
    return 0.5 * (a + b)

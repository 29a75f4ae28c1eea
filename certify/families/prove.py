"""Producing a family certificate (UNTRUSTED): continuation, transition point, adaptive covers, the limit
box at s = 0, and the claimed enclosures; written through certify.publishing (kernel re-check)."""
from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np

from certify.kernel.families import cover as K
from certify.kernel.families.graded import Powers
from certify.kernel.families.landscape import Point
from certify.kernel.families.system import curvature
from certify.kernel.interval import Interval

from . import continuation as C
from .build import Builder, geometric, join, s_of_k
from .table import FAMILIES, Family

KIND = "relu-spurious-minimum-family"


def _limit(fam: Family, pat, psi0: np.ndarray, loss_power: int) -> tuple[dict, dict]:
    """The limit box at s = 0 (tiny radius) and claimed limit enclosures, a little wider than the kernel's."""
    r = np.maximum(1e-13, 1e-13 * np.abs(psi0))
    for _ in range(20):
        try:
            box = K.limit_box_check(pat, psi0, r)
            break
        except Exception:  # noqa: BLE001 - grow and retry
            r = r * 4.0
    else:
        raise RuntimeError("no Krawczyk box at s = 0")
    P = Powers(np.zeros(1), np.zeros(1))
    cu = curvature(pat, Point(box), P, loss_power)
    loss = (float(cu.loss.lo[0]), float(cu.loss.hi[0]))
    limits = {"loss": _widen(loss)}
    for name, X, small in (("hessian_min_eigenvalue", cu.C[0], pat.big_q() == 0),
                           ("m_min_eigenvalue", cu.M[0], pat.big_m() == 0)):
        est = _schur_estimate(X, small)
        lo, hi = est - 1e-15 * max(1.0, abs(est)), est + 1e-15 * max(1.0, abs(est))
        for _ in range(40):  # as tight as the kernel proves it
            try:
                K.schur_bounds(X, small, lo, hi)
                break
            except Exception:  # noqa: BLE001
                lo, hi = est - 2 * (est - lo), est + 2 * (hi - est)
        else:
            raise RuntimeError(f"no enclosure of the limit {name}")
        limits[name] = (lo, hi)
    return {"center": [float(x) for x in psi0], "radius": [float(x) for x in r]}, limits


def _widen(iv: tuple[float, float]) -> tuple[float, float]:
    lo, hi = iv
    w = max(hi - lo, 1e-16 * max(abs(lo), abs(hi)))
    return (float(np.nextafter(lo - w, -np.inf)), float(np.nextafter(hi + w, np.inf)))


def _schur_estimate(X: Interval, small: np.ndarray) -> float:
    mid = 0.5 * (X.lo + X.hi)
    mid = 0.5 * (mid + mid.T)
    A = mid[np.ix_(~small, ~small)]
    B = mid[np.ix_(~small, small)]
    D = mid[np.ix_(small, small)]
    S = D - B.T @ np.linalg.solve(A, B)
    return float(np.linalg.eigvalsh(0.5 * (S + S.T))[0])


def initial_minimum_grid(s_end: float, s_star: float) -> np.ndarray:
    """A first partition of [0, s_end]: wide pieces where the family is far from its transition s_star (the
    adaptive splitting refines it where the kernel's tests need it)."""
    pts = [0.0]
    while pts[-1] < s_end:
        s = pts[-1]
        gap = s_star - s
        w = 0.04 if gap > 0.2 else (0.02 if gap > 0.1 else (0.01 if gap > 0.05 else 0.004))
        pts.append(min(s + w, s_end))
    if len(pts) > 2 and pts[-1] - pts[-2] < 0.3 * (pts[-2] - pts[-3]):
        pts.pop(-2)
    return np.array(pts)


def produce(name: str, k_min: int | None = None, k_max: int | None = None, transition: bool = True,
            saddle_from: float | None = None, log=print, step: float = 0.01) -> tuple[dict, dict, dict]:
    """(claim fields, evidence, provenance extras) for the family ``name``."""
    fam = FAMILIES[name]
    k_min = fam.k_min if k_min is None else k_min
    saddle_from = fam.saddle_from if saddle_from is None else saddle_from
    pat = fam.pattern()
    lp = 2 if fam.loss_scale == "k" else 0
    t0 = time.time()
    s_top = s_of_k(saddle_from) if transition else s_of_k(k_min)
    grid, psis = C.follow(pat, np.array(fam.start, dtype=np.float64), s_top + 0.005, step)
    log(f"{name}: continued to s = {s_top:.4f} in {time.time() - t0:.1f} s")
    B = Builder(pat, grid, psis, lp, log=log)
    parts = []
    s0 = 0.0 if k_max is None else float(np.nextafter(s_of_k(k_max), 0.0))
    if transition:
        s_star = C.transition(pat, grid, psis, lp)
        k_star = 1.0 / s_star**2
        log(f"{name}: lambda_min changes sign at s* = {s_star!r} (k* = {k_star!r})")
        s_m = s_star - 0.07
        s_end = float(np.nextafter(s_of_k(saddle_from), 1.0))
        s_b = s_a = None
        for eps in (2e-11, 1e-10, 5e-10, 2e-9, 1e-8):  # the positive definite side, as close to s* as it goes
            try:
                s_b = float(s_star - eps)
                mgrid = np.concatenate([initial_minimum_grid(s_m, s_star)[:-1],
                                        geometric(s_m, s_b, True, max(eps, 2e-7), 0.004, ratio=3.0)])
                mgrid = mgrid[mgrid >= s0]
                mgrid[0] = s0
                minimum = B.cover(mgrid, "minimum")
                break
            except RuntimeError as exc:
                log(f"  (minimum side at eps = {eps}: {exc})")
        else:
            raise RuntimeError("no minimum cover")
        for eps in (2e-11, 1e-10, 5e-10, 2e-9, 1e-8):  # the saddle side
            try:
                s_a = float(s_star + eps)
                saddle = B.cover(geometric(s_a, s_end, False, max(eps, 2e-7), 0.008, ratio=3.0), "saddle")
                break
            except RuntimeError as exc:
                log(f"  (saddle side at eps = {eps}: {exc})")
        else:
            raise RuntimeError("no saddle cover")
        parts += [minimum, B.cover(np.array([s_b, s_a]), "follow"), saddle]
        klo = _k_at_most(s_a)
        khi = _k_at_least(s_b)
        trans = {"saddle_from": saddle_from, "k_star": [klo, khi]}
    else:
        s_end = float(np.nextafter(s_of_k(k_min), 1.0))
        grid_end = C.lambda_min(pat, psis[-1:], grid[-1:], lp)
        g = initial_minimum_grid(s_end, s_end + (0.1 if grid_end[0] > 0.01 else 0.03))
        g = g[g >= s0]
        g[0] = s0
        parts.append(B.cover(g, "minimum"))
        trans = None
    cov = join(parts)
    log(f"{name}: cover of {len(cov.natures)} pieces in {time.time() - t0:.1f} s")
    claim = {"blocks": list(fam.blocks), "teacher": "identity", "input_dimensions": "all", "k_min": k_min,
             "k_max": "infinity" if k_max is None else k_max, "loss_scale": fam.loss_scale, "limits": None,
             "transition": trans}
    evidence = {
        "unknowns": {"reference": list(pat.ref), "exponents": list(pat.expo)},
        "equations": {"combination": [list(r) for r in pat.L], "divide": list(pat.div)},
        "cover": {"breakpoints": [float(x) for x in cov.breakpoints],
                  "centers": cov.centers.tolist(), "slopes": cov.slopes.tolist(),
                  "radii": cov.radii.tolist(), "natures": cov.natures},
        "limit": None,
    }
    if k_max is None:
        box, limits = _limit(fam, pat, psis[0], lp)
        evidence["limit"] = box
        claim["limits"] = {k: [float(a), float(b)] for k, (a, b) in limits.items()}
    extras = {"family": name, "seconds": round(time.time() - t0, 1)}
    return claim, evidence, extras


def _k_at_most(s: float) -> float:
    """A binary64 k with k <= 1/s^2 (exactly): the saddle side ends at k_star[0] <= 1/s_a^2."""
    k = 1.0 / (s * s)
    from fractions import Fraction
    while Fraction(s) ** 2 * Fraction(k) > 1:
        k = float(np.nextafter(k, 0.0))
    return k


def _k_at_least(s: float) -> float:
    k = 1.0 / (s * s)
    from fractions import Fraction
    while Fraction(s) ** 2 * Fraction(k) < 1:
        k = float(np.nextafter(k, np.inf))
    return k


def write(name: str, out: Path, overwrite: bool = False, log=print, **kw) -> dict:
    from certify.publishing import build_certificate, check_writable, publish, published_line
    from certify.provenance import environment  # noqa: F401  (build_certificate records versions)

    check_writable(out, overwrite)
    claim, evidence, extras = produce(name, log=log, **kw)
    prov = {"produced_by": f"certify families prove --family {name}", **extras,
            "method": "Newton continuation in s = 1/sqrt(k) with the kernel's graded evaluations; adaptive "
                      "pieces split until every per-piece proof succeeds"}
    cert = build_certificate(KIND, claim, evidence, prov)
    proof = publish(cert, out, overwrite=overwrite)
    log(published_line(out, proof))
    return cert

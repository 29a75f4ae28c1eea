"""Search for teacher-ball certificates (untrusted producer): the S = I minimum of the stored dense
certificates, Newton-polished; a log-bisection on the Frobenius radius rho (two significant digits); for each
rho a ball radius r in the scaled coordinates and a number of shells m (Lemma A' of docs/teacher-ball.md) chosen
from the kernel's own bounds (centre_bounds once, region_bounds per trial radius: the Hessian bound profiled
over the y-ball), Lemma A alone (m = 1) when the shells find nothing.  Every certificate written is re-checked
by the kernel (certify.publishing.publish).
"""
from __future__ import annotations

import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..kernel.certificate import NotProven, rational_str
from ..kernel.teacher_ball.kind import KIND, MAX_SHELLS, centre_bounds, region_bounds, shell_radii
from ..teacher_box.prove import largest_proven_rho

def identity_point(k: int, minima: Path) -> np.ndarray:
    """The lowest-loss S = I spurious-minimum certificate for k in the folder ``minima``, Newton-polished."""
    from ..spurious_minima.search import newton_polish
    from ..teacher_box.prove import identity_point as stored

    x = stored(k, Path(minima))
    with np.errstate(all="ignore"):
        W, g = newton_polish(x[None].copy(), np.eye(k), 40)
    return W[0] if g[0] < 1e-12 else x


def choose_radius(cb: dict, rho: Fraction):
    """(r, bounds) with g < mu r, or None: r from mu(r) ~ a - c_x r (a = mu at a tiny r): r = 2 g / a, at most
    a / (2 c_x), refined once with the bounds at that r."""
    try:
        b = region_bounds(cb, rho, 1e-12)
    except NotProven:
        return None
    a, g, c = b["mu"], b["g"], max(cb["c_x"], 1e-12)
    if not (a > 0 and g < a * a / (4 * c)):
        return None
    for r in (min(2.0 * g / a, a / (2 * c)), a / (2 * c), 1.2 * g / a):
        r = float(min(max(r, 1e-14), 0.5))
        try:
            b = region_bounds(cb, rho, r)
        except NotProven:
            continue
        if b["mu"] > 0 and b["g"] < 0.999 * b["mu"] * r and b["loss_lo"] - b["g"] ** 2 / (2 * b["mu"]) > 0:
            return r, b
    return None


def choose_shells(cb: dict, rho: Fraction, m_max: int = MAX_SHELLS):
    """(r, m, bounds) for the Theorem with shells (docs/teacher-ball.md), or None: the Hessian bound mu(s) is
    profiled at s = i h, i = 1..m_max, h = (mu at a tiny r) / c_x / m_max, until it is no longer positive; the
    r = j h with the largest relative margin of sum_{i <= j} h mu_i over g(r) is taken with m = j shells and
    re-evaluated at the kernel's own shell radii.  ``bounds`` are those of the whole region with mu = min_j mu_j."""
    try:
        b0 = region_bounds(cb, rho, 1e-12)
    except NotProven:
        return None
    if not b0["mu"] > 0:
        return None
    h = min(0.5, b0["mu"] / max(cb["c_x"], 1e-12)) / m_max
    mus, cands = [], []
    for i in range(1, m_max + 1):
        try:
            b = region_bounds(cb, rho, i * h)
        except NotProven:
            break
        if not b["mu"] > 0:
            break
        mus.append(b["mu"])
        margin = (h * sum(mus) - b["g"]) / b["g"] if b["g"] > 0 else math.inf
        if margin > 1e-3 and b["loss_lo"] - b["g"] ** 2 / (2 * min(mus)) > 0:
            cands.append((margin, i))
    for _, m in sorted(cands, reverse=True)[:8]:  # the largest margins first; re-evaluated at the kernel's radii
        r = float(m * h)
        try:
            radii = shell_radii(r, m)
            bs = [region_bounds(cb, rho, s) for s in radii]
        except NotProven:
            continue
        b = dict(bs[-1], mu=min(x["mu"] for x in bs))
        integral = sum((s - s0) * x["mu"] for s0, s, x in zip([0.0] + radii[:-1], radii, bs))
        if b["mu"] > 0 and b["g"] < 0.999 * integral and b["loss_lo"] - b["g"] ** 2 / (2 * b["mu"]) > 0:
            return r, m, b
    return None


def search_rho(k: int, minima: Path, lo: float = 1e-4, hi: float = 0.2, steps: int = 14, log=print,
               shells: bool = True):
    """Log-bisection on rho (two significant digits) from the S = I minimum in ``minima``; returns
    (point, rho, r, m, bounds) for the largest rho proven (m the number of shells; ``shells`` False: m = 1)."""
    x0 = identity_point(k, minima)
    cb = centre_bounds(k, x0)

    def choose(cb, rho):
        """The shells search (choose_shells), else Lemma A alone (choose_radius, m = 1)."""
        got = choose_shells(cb, rho) if shells else None
        if got is None:
            one = choose_radius(cb, rho)
            got = None if one is None else (one[0], 1, one[1])
        return got

    rho, (r, m, bounds) = largest_proven_rho(k, lo, hi, steps, 1.05, lambda rho: choose(cb, rho), log,
                                             f"k={k}: rho_F = ")
    return x0, rho, r, m, bounds


def build(k: int, point: np.ndarray, rho: Fraction, r: float, radius: float, provenance: dict | None = None,
          shells: int = 1) -> dict:
    from ..publishing import build_certificate

    claim = {"k": int(k), "rho": rational_str(rho)}
    evidence = {"point": [[float(v) for v in row] for row in point], "ball_radius": float(r), "radius": float(radius)}
    if shells != 1:
        evidence["shells"] = int(shells)
    return build_certificate(KIND.name, claim, evidence, provenance)


def file_name(k: int) -> str:
    return f"teacher-ball-k{k:02d}.json"


def prove_and_write(k: int, out_dir: Path, minima: Path, overwrite: bool = False, log=print) -> str:
    """Search rho for k and write the certificate; returns "written", or "exists" (kept: nothing is
    searched).  Raises NotProven / FileNotFoundError / PublishError when nothing could be written."""
    from ..publishing import publish, published_line

    path = Path(out_dir) / file_name(k)
    if path.exists() and not overwrite:
        log(f"k={k}: {path} exists, kept (--overwrite to redo)")
        return "exists"
    t = time.time()
    point, rho, r, m, b = search_rho(k, minima, log=log)
    dist = b["normJ_W"] * float(rho) + b["normQ"] * min(r, b["g"] / b["mu"])
    radius = min(1.0, float(np.nextafter(dist * (1 + 2.0**-20), np.inf)))
    provenance = {
        "search": "log-bisection on the Frobenius radius rho (2 significant digits); point: the lowest-loss stored "
                  "S = I minimum, Newton-polished; ball radius r and the number of shells m from the kernel's bounds "
                  "(the Hessian bound profiled at s = i r / m; Lemma A' of docs/teacher-ball.md)",
        "search_seconds": round(time.time() - t, 1),
        "estimates": {key: float(b[key]) for key in ("mu", "g", "Lambda1", "c_x", "Lambda_G", "rem_H", "rem_g")},
    }
    cert = build(k, point, rho, r, radius, provenance, shells=m)
    proof = publish(cert, path, overwrite=overwrite)
    log(published_line(path, proof))
    return "written"

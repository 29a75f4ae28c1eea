"""Search for teacher-ball certificates (untrusted producer): the S = I minimum of the stored dense
certificates, Newton-polished; a log-bisection on the Frobenius radius rho (two significant digits); for each
rho a ball radius r in the scaled coordinates chosen from the kernel's own bounds (centre_bounds once,
region_bounds per trial).  Every certificate written is re-checked by the kernel (certify.publishing.publish).
"""
from __future__ import annotations

import math
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..kernel.certificate import NotProven, rational_str
from ..kernel.teacher_ball.kind import KIND, centre_bounds, region_bounds

def identity_point(k: int, minima: Path) -> np.ndarray:
    """The lowest-loss S = I spurious-minimum certificate for k in the folder ``minima``, Newton-polished."""
    from ..spurious_minima.search import newton_polish
    from ..teacher_box.prove import identity_point as stored

    x = stored(k, Path(minima))
    with np.errstate(all="ignore"):
        W, g = newton_polish(x[None].copy(), np.eye(k), 40)
    return W[0] if g[0] < 1e-12 else x


def two_digits_down(x: float) -> Fraction:
    """The largest m / 10^q <= x with 10 <= m <= 99."""
    q = -math.floor(math.log10(x)) + 1
    return Fraction(math.floor(x * 10**q), 10**q)


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


def search_rho(k: int, minima: Path, lo: float = 1e-4, hi: float = 0.2, steps: int = 14, log=print):
    """Log-bisection on rho (two significant digits) from the S = I minimum in ``minima``; returns
    (point, rho, r, bounds) for the largest rho proven."""
    x0 = identity_point(k, minima)
    cb = centre_bounds(k, x0)
    best = None
    a, b = lo, hi
    first = two_digits_down(a)
    got = choose_radius(cb, first)
    if got is None:
        raise NotProven(f"k={k}: not even rho = {rational_str(first)} proven")
    best = (first, *got)
    for _ in range(steps):
        m = math.sqrt(a * b)
        rho = two_digits_down(m)
        if rho <= best[0]:
            a = m
            continue
        got = choose_radius(cb, rho)
        if got is not None:
            best = (rho, *got)
            a = float(rho)
        else:
            b = float(rho)
        if log:
            log(f"  k={k}: rho_F = {float(rho):.3g} {'proven' if got else 'failed'}")
        if b / a < 1.05:
            break
    rho, r, bounds = best
    return x0, rho, r, bounds


def build(k: int, point: np.ndarray, rho: Fraction, r: float, radius: float, provenance: dict | None = None) -> dict:
    from ..publishing import build_certificate

    claim = {"k": int(k), "rho": rational_str(rho)}
    evidence = {"point": [[float(v) for v in row] for row in point], "ball_radius": float(r), "radius": float(radius)}
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
    point, rho, r, b = search_rho(k, minima, log=log)
    dist = b["normJ_W"] * float(rho) + b["normQ"] * b["g"] / b["mu"]
    radius = min(1.0, float(np.nextafter(dist * (1 + 2.0**-20), np.inf)))
    provenance = {
        "search": "log-bisection on the Frobenius radius rho (2 significant digits); point: the lowest-loss stored "
                  "S = I minimum, Newton-polished; ball radius r from the kernel's bounds (r = 2 g / mu, at most "
                  "mu / (2 c_x))",
        "search_seconds": round(time.time() - t, 1),
        "estimates": {key: float(b[key]) for key in ("mu", "g", "Lambda1", "c_x", "Lambda_G", "rem_H", "rem_g")},
    }
    cert = build(k, point, rho, r, radius, provenance)
    proof = publish(cert, path, overwrite=overwrite)
    log(published_line(path, proof))
    return "written"

"""Build ``relu-one-more-neuron`` certificates from certified spurious minima.

UNTRUSTED (a producer; the kernel never imports it).  For a proven minimum
certificate: enclose W* (point +- the proven distance), choose the neuron
with the most negative M_ii - 1/2 (split ratio alpha = 1/2 by default),
find by bisection the largest t where the kernel's remainder bound still
proves descent, claim half of it (rounded down to two digits) as t0, and
claim the proven margins rounded down to three digits (so a bound that
moves by an ulp when the minimum's checker changes does not break the
certificate).  The certificate goes through certify.publishing, which
re-checks it with the kernel before writing.
"""
from __future__ import annotations

import copy
import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..kernel.certificate import load_certificate, rational_str
from ..kernel.checking import check_data, parse_claim
from ..kernel.interval import Interval
from ..kernel.overparameterization.bounds import same_dimension_bound, split_bound
from ..kernel.overparameterization.kind import DENSE, KIND, MINIMUM_KINDS, quantities, rational_enclosure
from ..publishing import build_certificate

KIND_NAME = KIND.name


def round_down(x: float, digits: int) -> float:
    """The largest binary64 value of a decimal with ``digits`` significant digits that is <= x (x > 0)."""
    if not (x > 0 and math.isfinite(x)):
        raise ValueError(f"cannot round {x!r}")
    e = math.floor(math.log10(x)) - digits + 1
    m = math.floor(x / 10.0**e)
    while m > 0:
        v = float(f"{m}e{e}")
        if v <= x:
            return v
        m -= 1
    raise ValueError(f"cannot round {x!r}")  # pragma: no cover


@dataclass
class Plan:
    neuron: int
    alpha: Fraction
    t0: float
    norm_margin: float | None  # None: part (a) not claimed (margin not proven positive)
    split_margin: float
    t_max: float  # largest t (bisection) where the bound proves descent
    norm_margin_bound: float  # the proven lower bound of k - sum |w_i*| (may be <= 0)


def largest_t(nq, i: int, alpha: Fraction, iterations: int = 60) -> float:
    """Bisection for the largest t with Q(t) < 0 (Q is increasing in t)."""
    a = rational_enclosure(alpha)
    w_lo = float(nq.norms[i].lo)
    hi = math.sqrt(float(alpha) * (1 - float(alpha))) * w_lo
    lo = 0.0

    def ok(t: float) -> bool:
        try:
            return float(split_bound(nq, i, a, t).q.hi) < 0
        except Exception:  # noqa: BLE001 - t too large for the bound's conditions
            return False

    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        if mid <= 0:
            break
        if ok(mid):
            lo = mid
        else:
            hi = mid
    if lo <= 0:
        raise ValueError("no t0 > 0 proves descent along the split curve")
    return lo


def plan(minimum: dict, alpha: Fraction = Fraction(1, 2), neuron: int | None = None) -> Plan:
    """Choose neuron, t0 and claimed margins for a (proven) minimum certificate."""
    proof = check_data(copy.deepcopy(minimum))
    mkind, mclaim = parse_claim(copy.deepcopy(minimum))
    dist = proof.bounds["distance_to_critical_point"]
    if mkind.name == DENSE:
        nq = quantities(mclaim.point, None, dist)
    else:
        nq = quantities(mclaim.values, tuple(mclaim.blocks), dist)
    units = nq.lam.shape[0]
    if neuron is None:
        neuron = int(np.argmin(nq.lam.hi))
    if not 0 <= neuron < units:
        raise ValueError(f"neuron {neuron} out of range 0..{units - 1}")
    m1 = float(nq.norm_margin.lo)
    m2 = -float(nq.lam.hi[neuron])
    if not m2 > 0:
        raise ValueError(f"1/2 - M_ii not proven positive (>= {m2:.3e}) for neuron {neuron}: nothing to claim")
    t_max = largest_t(nq, neuron, alpha)
    return Plan(neuron, alpha, round_down(0.5 * t_max, 2), round_down(m1, 3) if m1 > 0 else None,
                round_down(m2, 3), t_max, m1)


def split_hessian(W: np.ndarray, i: int) -> np.ndarray:
    """Float H'_ii = sum_{i' != i} Hess_w f(w_i, w_i') - sum_j Hess_w f(w_i, e_j) (docs, Lemma 6):
    Hess_u f(u, x) = |x| sin(theta) / (2 pi |u|) (I - u^ u^T + n n^T), n the unit vector of span(u, x)
    orthogonal to u.  Untrusted (used only to choose the direction delta)."""
    n, k = W.shape
    w = W[i]
    X = np.concatenate([np.delete(W, i, axis=0), np.eye(k)])
    sign = np.concatenate([np.ones(n - 1), -np.ones(k)])
    nu = np.linalg.norm(w)
    uh = w / nu
    nx = np.linalg.norm(X, axis=1)
    c = (X @ uh) / nx
    s = np.sqrt(np.maximum(1.0 - c * c, 1e-300))
    nb = (X / nx[:, None] - c[:, None] * uh[None, :]) / s[:, None]
    coef = sign * nx * s / (2 * math.pi * nu)
    return (coef.sum() * (np.eye(k) - np.outer(uh, uh)) + (nb * coef[:, None]).T @ nb)


def split_direction(W: np.ndarray, i: int) -> np.ndarray:
    """Unit eigenvector of the most negative eigenvalue of H'_ii restricted to w_i^perp (float)."""
    k = W.shape[1]
    uh = W[i] / np.linalg.norm(W[i])
    P = np.eye(k) - np.outer(uh, uh)
    H = split_hessian(W, i)
    ev, V = np.linalg.eigh(P @ H @ P)
    d = V[:, int(np.argmin(ev))]
    d = d - (d @ uh) * uh
    return d / np.linalg.norm(d)


def plan_same_dimension(minimum: dict, p: Plan, iterations: int = 50) -> dict:
    """Part (c) for a dense minimum: delta, t0 (half the largest proven t, 2 digits) and the curvature
    margin (proven bound rounded down to 3 digits), for the neuron and alpha of the plan."""
    proof = check_data(copy.deepcopy(minimum))
    mkind, mclaim = parse_claim(copy.deepcopy(minimum))
    if mkind.name != DENSE:
        raise ValueError("part (c) (same dimension) is only supported for a dense minimum")
    dist = proof.bounds["distance_to_critical_point"]
    W = mclaim.point
    X = Interval.around(W, dist)
    a = rational_enclosure(p.alpha)
    delta = split_direction(W, p.neuron)

    def bound(t):
        try:
            return same_dimension_bound(X, p.neuron, a, delta, t)
        except Exception:  # noqa: BLE001 - t too large for the bound's conditions
            return None

    sb0 = bound(1e-12)
    if sb0 is None or not -float(sb0.curvature.hi) > 0:
        raise ValueError("delta^T H'_ii delta < 0 not proven for the chosen direction")
    lo, hi = 0.0, 0.5 * float(np.linalg.norm(W[p.neuron]))
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        sb = bound(mid)
        if sb is not None and float(sb.q.hi) < 0:
            lo = mid
        else:
            hi = mid
    if lo <= 0:
        raise ValueError("no t0 > 0 proves descent along the same-dimension split curve")
    return {"direction": [float(v) for v in delta], "t0": round_down(0.5 * lo, 2),
            "curvature_margin": round_down(-float(sb0.curvature.hi), 3), "t_max": lo}


def build(minimum: dict, p: Plan, source: str | None = None, same_dimension: dict | None = None) -> dict:
    mkind, mclaim = parse_claim(copy.deepcopy(minimum))
    n = mclaim.n if mkind.name == DENSE else mclaim.k
    claim = {"n": n, "k": mclaim.k, "neuron": p.neuron, "alpha": rational_str(p.alpha), "t0": p.t0,
             "norm_margin": p.norm_margin, "split_margin": p.split_margin}
    if same_dimension is not None:  # part (c); absent: exactly the certificate without it
        claim["same_dimension"] = {key: same_dimension[key] for key in ("direction", "t0", "curvature_margin")}
    provenance = {
        "neuron_choice": "most negative M_ii - 1/2 over the enclosure",
        "t0_choice": f"half of the largest proven t ({p.t_max:.6g}), rounded down to 2 digits",
    }
    if source is not None:
        provenance["minimum_file"] = source
    if same_dimension is not None:
        provenance["same_dimension_choice"] = (
            "delta: unit eigenvector (float) of the most negative eigenvalue of H'_ii restricted to w_i^perp; "
            f"t0: half of the largest proven t ({same_dimension['t_max']:.6g}), rounded down to 2 digits")
    return build_certificate(KIND_NAME, claim, {"minimum": minimum}, provenance)


def minimum_files(paths) -> list[tuple[Path, Path]]:
    """(file, relative output path) for every minimum certificate under the given files/folders."""
    out: list[tuple[Path, Path]] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [(f, f.relative_to(p)) for f in sorted(p.rglob("*.json")) if f.is_file()]
        else:
            out.append((p, Path(p.name)))
    return out


def is_minimum(path: Path) -> bool:
    """A minimum certificate this kind can build on (a symmetric certificate of a saddle is not)."""
    try:
        cert = load_certificate(path)
        if cert.get("kind") not in MINIMUM_KINDS:
            return False
        return cert.get("kind") == DENSE or cert.get("claim", {}).get("nature") == "minimum"
    except Exception:  # noqa: BLE001
        return False


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_dense_minimum(path: Path) -> bool:
    """A dense relu-spurious-minimum certificate (part (c) needs the dense point)."""
    try:
        return load_certificate(path).get("kind") == DENSE
    except Exception:  # noqa: BLE001
        return False

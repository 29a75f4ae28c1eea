"""Untrusted search for certified KKT points of the max-margin problem: the driver.

NOT TRUSTED: nothing here is believed; every output is decided by the trusted
kind (certify.kernel.kkt.kind), which never imports the search.

Pipeline (docs/kkt.md), one module per step:

1. gradient descent on the exponential or logistic loss from a seeded random
   initialization, normalization to margin 1 (certify.kkt.gd; the float
   networks are the architecture classes of certify.kkt.architectures);
2. structure guess, polish, rationalization and exact multipliers
   (certify.kkt.snap), or for two-layer ReLU the data adjustment
   (certify.kkt.adjust);
3. a descent curve and a smaller feasible point (certify.kkt.curve);
4. for fully-connected linear networks, an exact hard-margin SVM dual
   certificate and a balanced factorization (certify.kkt.linear);
5. the certificate, built by certify.publishing.build_certificate and checked
   by the trusted kind (certify.kkt.certificates).

A step that finds nothing raises :class:`~certify.kkt.errors.SearchFailure`;
the driver logs the reason and tries the next seed.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Callable, Iterable

import numpy as np

from ..kernel.certificate import CertificateError, NotProven
from ..kernel.kkt.networks import Data, norm_sq
from .architectures import SearchNetwork
from .certificates import certificate, curve_evidence, kkt_evidence, verdict
from .curve import curve_point, descent_curve, scaled_feasible
from .errors import SearchFailure
from .gd import gradient_descent, normalize
from .snap import snap


@dataclass
class SearchOutcome:
    ok: bool
    message: str
    certificate: dict | None = None
    seed: int | None = None
    log: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _provenance(seed: int, loss: str, gd, lr: float, init_scale: float, steps: int) -> dict:
    return {"search": "certify kkt search", "seed": seed, "loss": loss, "steps": gd.steps, "lr": lr,
            "init_scale": init_scale, "init": "theta0 = init_scale * N(0, I) / sqrt(input_dim), "
            "numpy.random.default_rng(seed)", "update": "theta <- theta - lr * grad Loss / "
            "(Loss * ||theta||^(h-2))", "stop": "after max_steps, or at a multiple of 50 steps once the "
            "minimum margin exceeds 1e4", "max_steps": steps, "gd_min_margin": gd.min_margin,
            "note": "theta* is the exact KKT point found near the normalized GD output (distance below); "
            "the checker does not re-run GD"}


def search(net: SearchNetwork, data: Data, *, seeds: Iterable[int], loss: str = "exp", steps: int = 3000,
           lr: float = 0.02, init_scale: float = 0.5, backend: str = "numpy", want_curve: bool = True,
           time_limit: float | None = None, adjust_data: bool = False, max_adjust: float = 1e-2,
           progress: Callable[[int], None] | None = None) -> SearchOutcome:
    """Try seeds in order; return the first certificate the trusted kind proves."""
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
        gd = gradient_descent(net, X, y, seed=seed, loss=loss, steps=steps, lr=lr, init_scale=init_scale,
                              backend=backend)
        th = normalize(net, gd.theta, X, y) if math.isfinite(gd.min_margin) else None
        if th is None:
            log.append(f"seed {seed}: GD did not separate the data (min margin {gd.min_margin:.3g})")
            continue
        cand = scaled_feasible(net, th, data)
        if cand is not None and (better is None or norm_sq(cand) < norm_sq(better)):
            better = cand
        provenance = _provenance(seed, loss, gd, lr, init_scale, steps)
        try:
            if net.exact.svm_global_optimum:
                from .linear import finish_linear

                cert = finish_linear(net, data, th, X, y, provenance)
            else:
                cert = finish_nonconvex(net, data, th, X, y, provenance, want_curve, better, adjust_data,
                                        max_adjust)
        except SearchFailure as exc:
            log.append(f"seed {seed}: {exc}")
            continue
        return SearchOutcome(True, f"seed {seed}: certified", cert, seed, log, time.perf_counter() - start)
    return SearchOutcome(False, "no certificate found", None, None, log, time.perf_counter() - start)


def _exact_point(net: SearchNetwork, data: Data, th, X, y, provenance: dict, adjust_data: bool, max_adjust: float):
    """(theta, lambda, data, Clarke choices, provenance, data_changed): snapped, or on adjusted data."""
    try:
        theta, lam, dead, dist = snap(net, th, X, data)
        return theta, lam, data, {}, dict(provenance, distance_normalized_gd_to_theta_star=dist,
                                         dead_parameters=len(dead)), False
    except SearchFailure as exc:
        if not (adjust_data and net.adjustable):
            hint = " (generic data has irrational KKT points; try --adjust-data)" if net.adjustable else ""
            raise SearchFailure(f"{exc}{hint}") from None
        reason = exc
    from .adjust import adjusted_point

    try:
        theta, lam, data, choices, extra = adjusted_point(net, data, th, X, y, max_adjust)
    except SearchFailure as exc:
        raise SearchFailure(f"{reason}, and {exc}") from None
    provenance = dict(provenance, **extra)
    provenance["note"] = ("theta* is an exact KKT point for the adjusted data, near the normalized GD output "
                          "refined with the activation pattern fixed; the checker does not re-run GD")
    return theta, lam, data, choices, provenance, True


def finish_nonconvex(net: SearchNetwork, data: Data, th, X, y, provenance: dict, want_curve: bool,
                     better: list[Fraction] | None, adjust_data: bool = False, max_adjust: float = 1e-2) -> dict:
    """KKT point, descent curve and smaller point for a normalized GD output; SearchFailure if none."""
    theta, lam, data, choices, provenance, changed = _exact_point(net, data, th, X, y, provenance, adjust_data,
                                                                 max_adjust)
    if changed:
        better = None  # computed for the original data
    proves = ["kkt_point"]
    evidence: dict[str, Any] = {"kkt_point": kkt_evidence(net, theta, data, lam, choices)}
    if want_curve:
        curve, t0, polys = descent_curve(net, theta, data, lam)
        proves.append("not_local_optimum")
        evidence["not_local_optimum"] = curve_evidence(net, curve, t0)
        best = min([curve_point(polys, t0)] + ([better] if better is not None else []), key=norm_sq)
        if norm_sq(best) < norm_sq(theta):
            proves.append("not_global_optimum")
            evidence["not_global_optimum"] = {"point": net.params_json(best)}
    try:
        verdict(net, data, theta, proves, evidence)
    except (CertificateError, NotProven) as exc:
        raise SearchFailure(f"the trusted kind rejects the assembled evidence: {exc}") from None
    return certificate(net, data, theta, proves, evidence, provenance)

"""Certificates of kind ``relu-spurious-minimum-symmetric`` for compact points (UNTRUSTED producer).

A compact point (block sizes p, values ``vals``, the layout of
data/sys2021-minima.json) is polished by Newton's method in the
compact parameters (certify.spurious_symmetric.compact), classified in floating
point (minimum or saddle, from the block spectra), and handed to the trusted
kernel with a box radius chosen by trying powers of two; only what the
kernel proves is written (certify.publishing.publish re-checks it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import compact as C

KIND_NAME = "relu-spurious-minimum-symmetric"
GLOBAL_LOSS = 1e-8  # float loss below which a point is taken for the global minimum


def kernel_available() -> bool:
    """True once the trusted kind is registered (certify/kernel/registry.py)."""
    try:
        from ..kernel.registry import BUILTIN_KINDS, get_kind

        if KIND_NAME not in BUILTIN_KINDS:
            return False
        get_kind(KIND_NAME)
        return True
    except Exception:  # noqa: BLE001 - not written yet, or not importable
        return False


@dataclass
class Outcome:
    """What happened to one compact point."""
    k: int
    p: tuple
    vals: np.ndarray
    estimates: dict
    nature: str | None = None  # "minimum" / "saddle" (proven) or None
    path: Path | None = None
    bounds: dict = field(default_factory=dict)
    summary: str = ""
    reason: str = ""  # why nothing was written
    seconds: float = 0.0  # kernel time of the successful check
    kept: bool = False  # a certificate for this point was already there (skipped before certifying)

    @property
    def certified(self) -> bool:
        return self.nature is not None


def claim_fields(k: int, p, all_dims: bool, nature: str) -> dict:
    return {"k": int(k), "blocks": [int(x) for x in p], "teacher": "identity",
            "input_dimensions": "all" if all_dims else "k", "nature": nature}


def build(k: int, p, vals, radius: float, all_dims: bool, nature: str, provenance: dict | None) -> dict:
    from ..publishing import build_certificate

    vals = np.asarray(vals, dtype=np.float64)
    evidence = {"values": [[float(x) for x in row] for row in vals], "radius": float(radius)}
    return build_certificate(KIND_NAME, claim_fields(k, p, all_dims, nature), evidence, provenance)


def estimate(p, vals) -> dict:
    """Float estimates (untrusted) used to choose the nature and the first radius."""
    est = C.summary(p, vals)
    est["k"] = int(sum(int(x) for x in p))
    return est


def float_nature(est: dict, all_dims: bool) -> str | None:
    """'minimum' / 'saddle' as float64 sees it, or None (global minimum, or undecided)."""
    if not est["loss"] > GLOBAL_LOSS:
        return None
    lam = est["hessian_min_eigenvalue"]
    if lam < -1e-9:
        return "saddle"
    if lam > 1e-12 and (est["m_min_eigenvalue"] > 1e-12 or not all_dims):
        return "minimum"
    return None


def first_exponent(est: dict, nature: str) -> int:
    """The kernel needs |grad F|_F < mu r (r a Frobenius radius, mu the proven curvature): start with
    r = 2^e about 8 |grad| / mu, with |grad| raised to what the enclosure will give."""
    mu = est["hessian_min_eigenvalue"] if nature == "minimum" else est["restricted_min_eigenvalue"]
    mu = max(abs(mu), 1e-12)
    # measured: the kernel's enclosure of |grad F|_F is ~100x the float value, and at least ~3e-16 k^2
    g = max(100.0 * est["grad_norm"], 3e-16 * est.get("k", 1) ** 2, 1e-300)
    return min(max(math.ceil(math.log2(8.0 * g / mu)), -60), MAX_EXPONENT)


MAX_EXPONENT = -4  # the kernel accepts radii up to 0.1


def certify_point(k: int, p, vals, all_dims: bool, nature: str, provenance: dict | None, est: dict,
                  max_tries: int = 10, tighten: bool = False):
    """(certificate, proof, seconds) for the first radius 2^e the kernel proves.

    The exponent moves up when the kernel says the gradient is not small enough for the radius, down
    when positive definiteness fails on the box; NotProven with the last reason when nothing works.
    ``tighten``: after a success, also try up to 6 smaller radii and keep the one with the largest
    proven curvature (worth it at large k, where the window of working radii is narrow)."""
    import time

    from ..kernel.certificate import CertificateError, NotProven
    from ..kernel.checking import check_data

    last = None
    e = first_exponent(est, nature)
    tried = set()
    while len(tried) < max_tries and e not in tried and -80 <= e <= MAX_EXPONENT:
        tried.add(e)
        cert = build(k, p, vals, 2.0**e, all_dims, nature, provenance)
        t0 = time.perf_counter()
        try:
            proof = check_data(cert)
        except (NotProven, CertificateError) as exc:
            last = exc
            e = e + 2 if "gradient norm" in str(exc) else e - 3
            continue
        secs = time.perf_counter() - t0
        if tighten:  # a smaller box gives a larger proven curvature while the gradient condition still holds
            key = "hessian_min_eigenvalue_lower_bound" if nature == "minimum" else \
                "fixed_space_hessian_min_eigenvalue_lower_bound"
            for e2 in range(e - 1, max(e - 7, -81), -1):
                cert2 = build(k, p, vals, 2.0**e2, all_dims, nature, provenance)
                t0 = time.perf_counter()
                try:
                    proof2 = check_data(cert2)
                except (NotProven, CertificateError) as exc:
                    if "gradient norm" in str(exc) and e2 < e - 3:
                        break  # below the working window
                    continue
                if proof2.bounds.get(key, 0.0) > proof.bounds.get(key, 0.0):
                    cert, proof, secs = cert2, proof2, time.perf_counter() - t0
        return cert, proof, secs
    raise NotProven(f"no radius 2^e worked ({nature}, tried e in {sorted(tried)}): {last}")


def polish(p, vals, max_steps: int = 60) -> C.Polished:
    return C.newton(p, np.asarray(vals, dtype=np.float64), max_steps=max_steps)


def certify_compact(p, vals, all_dims: bool = True, provenance: dict | None = None, polish_first: bool = True,
                    natures=("minimum", "saddle"), tighten: bool = False, existing=None) -> Outcome:
    """Polish, classify and certify one compact point (nothing written).  ``existing(loss, nature)``,
    if given, names the file this point would be written to; when one of them exists already the
    point is not certified again (the Outcome says ``kept``)."""
    from ..kernel.certificate import NotProven

    p = tuple(int(x) for x in p)
    k = sum(p)
    vals = np.asarray(vals, dtype=np.float64)
    if polish_first:
        vals = polish(p, vals).vals
    est = estimate(p, vals)
    out = Outcome(k, p, vals, est)
    if existing is not None:
        for nature in natures:
            there = existing(est["loss"], nature)
            if there is not None and Path(there).exists():
                out.path, out.kept, out.reason = Path(there), True, f"{there} exists, kept (--overwrite to redo)"
                return out
    if not est["loss"] > GLOBAL_LOSS:
        out.reason = f"float loss {est['loss']:.3e}: the global minimum (nothing spurious to certify)"
        return out
    guess = float_nature(est, all_dims)
    order = [guess] + [n for n in natures if n != guess] if guess else list(natures)
    prov = dict(provenance or {})
    prov.update({"polish": "Newton in the compact parameters (certify.spurious_symmetric.compact)",
                 "estimates": {key: est[key] for key in ("loss", "grad_norm", "hessian_min_eigenvalue",
                                                           "m_min_eigenvalue", "restricted_min_eigenvalue")},
                 "estimates_note": "float64, untrusted: grad_norm is |grad F|_F, eigenvalues orthonormal-basis"})
    reasons = []
    for nature in order:
        if nature not in natures:
            continue
        try:
            cert, proof, secs = certify_point(k, p, vals, all_dims, nature, prov, est, tighten=tighten)
        except NotProven as exc:
            reasons.append(str(exc))
            continue
        out.nature, out.bounds, out.summary, out.seconds = nature, dict(proof.bounds), proof.summary, secs
        out.cert = cert  # type: ignore[attr-defined]
        return out
    out.reason = "; ".join(reasons) or "nothing tried"
    return out


def block_tag(p) -> str:
    return "-".join(str(int(x)) for x in p)


def file_name(k: int, p, loss: float, width: int = 3, nature: str = "minimum") -> str:
    tag = "" if nature == "minimum" else "-saddle"
    return f"relu-sym-k{k:0{width}d}-p{block_tag(p)}-loss{loss:.8f}{tag}.json"


def write(outcome: Outcome, path: Path, overwrite: bool, log=print) -> Path | None:
    from ..publishing import PublishError, publish, published_line

    try:
        proof = publish(outcome.cert, path, overwrite=overwrite)  # type: ignore[attr-defined]
    except PublishError as exc:
        outcome.reason = str(exc)
        log(str(exc))
        return None
    outcome.path = Path(path)
    log(published_line(path, proof))
    return Path(path)

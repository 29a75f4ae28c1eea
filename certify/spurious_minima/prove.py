"""Turn search candidates into certificates (untrusted producer).

A candidate becomes a certificate only if the trusted checker, run here on
the exact data about to be written, proves it; the radius is chosen by
trying a short list of powers of two.  Files are written atomically and an
existing file is never replaced unless ``overwrite`` is set.
"""
from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np

from ..kernel.certificate import CertificateError, NotProven
from ..kernel.checking import check_data
from ..kernel.spurious_minima.kind import KIND
from ..publishing import PublishError, build_certificate, publish, published_line
from .candidates import CANDIDATES_FORMAT
from .search import MinimumClass, SearchConfig


def build(point: np.ndarray, radius: float, all_dims: bool, provenance: dict) -> dict:
    n, k = point.shape
    claim = {"n": int(n), "k": int(k), "teacher": "identity", "input_dimensions": "all" if all_dims else "k"}
    evidence = {"point": [[float(x) for x in row] for row in point], "radius": float(radius)}
    return build_certificate(KIND.name, claim, evidence, provenance)


def certify_candidate(point: np.ndarray, min_eig: float, all_dims: bool, provenance: dict):
    """Find a radius for which the trusted checker proves the candidate.

    Returns (certificate dict, proof) or raises NotProven with the last reason."""
    n, k = point.shape
    # the checker's gradient bound is ~ rounding level times the problem size
    g_est = 1e-13 * math.sqrt(n * k)
    mu = max(min_eig, 1e-12)
    e0 = max(-44, math.ceil(math.log2(16.0 * g_est / mu)))
    last = None
    for e in range(e0, min(e0 + 24, -2), 4):
        cert = build(point, 2.0**e, all_dims, provenance)
        try:
            return cert, check_data(cert)
        except (NotProven, CertificateError) as exc:
            last = exc
    raise NotProven(f"no radius worked: {last}")


def file_name(n: int, k: int, loss: float) -> str:
    return f"relu-k{k:02d}-n{n:02d}-loss{loss:.8f}.json"


def certify_and_write(point: np.ndarray, min_eig: float, loss: float, all_dims: bool, provenance: dict,
                      out_dir: Path, overwrite: bool, log, what: str) -> str:
    """Certify one candidate and write it; returns "written", "exists" (a file of that name is there
    and ``overwrite`` is not set: skipped before any work) or "failed" (the reason logged)."""
    n, k = point.shape
    path = out_dir / file_name(n, k, loss)
    if path.exists() and not overwrite:
        log(f"{what}: {path} exists, kept (--overwrite to redo)")
        return "exists"
    try:
        cert, proof = certify_candidate(point, min_eig, all_dims, provenance)
    except NotProven as exc:
        log(f"{what} NOT certified: {exc}")
        return "failed"
    try:
        publish(cert, path, overwrite=overwrite)
    except PublishError as exc:
        log(str(exc))
        return "failed"
    log(published_line(path, proof))
    return "written"


def existing_for(out_dir: Path, n: int, k: int) -> list[Path]:
    """Dense certificates for (n, k) already in ``out_dir`` (named by file_name)."""
    return sorted(Path(out_dir).glob(f"relu-k{k:02d}-n{n:02d}-loss*.json"))


def prove_classes(classes: list[MinimumClass], cfg: SearchConfig, out_dir: Path, all_dims: bool = True,
                  overwrite: bool = False, max_per_k: int | None = None, log=print) -> Counter:
    """Certify the spurious classes of one search (lowest loss first, at most ``max_per_k``, saying how
    many are left out); returns the tally of outcomes ("written", "exists", "failed")."""
    tally: Counter = Counter()
    spurious = [c for c in classes if c.label == "spurious" and (c.min_eig_m > 0 or not all_dims)]
    if max_per_k is not None and len(spurious) > max_per_k:
        log(f"k={cfg.k}: {len(spurious)} spurious classes found; certifying the {max_per_k} of lowest loss "
            f"(--max-per-k), {len(spurious) - max_per_k} left out")
    for c in spurious[:max_per_k]:
        provenance = {
            "search": "batched gradient descent + Newton polishing",
            "seed": cfg.seed, "run": c.runs[0], "runs_in_class": c.count, "runs_total": cfg.runs,
            "lr": cfg.lr, "init_std": cfg.init_std, "loss_estimate": c.loss,
            "hessian_min_eigenvalue_estimate": c.min_eig, "m_min_eigenvalue_estimate": c.min_eig_m,
        }
        tally[certify_and_write(c.point, c.min_eig, c.loss, all_dims, provenance, out_dir, overwrite, log,
                                what=f"k={cfg.k}: class with loss {c.loss:.8f}")] += 1
    return tally


def symmetric_family_point(k: int) -> np.ndarray | None:
    """The fully symmetric critical point w_i = a e_i + b (1 - e_i) (isotropy the
    diagonal S_k), polished by Newton from a ~ -1 + 2/k, b ~ 2/k.  Untrusted;
    returns None if Newton does not converge."""
    from . import landscape as L
    from .search import newton_polish

    W = np.full((1, k, k), 2.0 / k)
    W[0, np.arange(k), np.arange(k)] = -1.0 + 2.0 / k
    with np.errstate(all="ignore"):
        W, g = newton_polish(W, L.identity_teacher(k), 60)
    return W[0] if g[0] < 1e-12 and np.all(np.isfinite(W[0])) else None


def prove_symmetric_family(ks: list[int], out_dir: Path, all_dims: bool = True, overwrite: bool = False,
                           log=print) -> Counter:
    """Certify the dense symmetric family for each k; returns the tally of outcomes ("written",
    "exists", "failed"; a k where the family is no spurious minimum counts as "failed")."""
    from . import landscape as L
    from .search import GLOBAL_LOSS

    tally: Counter = Counter()
    for k in ks:
        if k <= 2:
            # k = 1: the ansatz starts at w = e_1, k = 2 at the permutation matrix: both are the global
            # minimum (loss 0, a neuron parallel to a teacher: not even a smooth point of F)
            log(f"k={k}: the symmetric point w_i = a e_i + b (1 - e_i) is the global minimum here "
                "(a permutation of the teacher, loss 0): nothing spurious to certify")
            tally["failed"] += 1
            continue
        W = symmetric_family_point(k)
        if W is None:
            log(f"k={k}: Newton did not converge to the symmetric critical point")
            tally["failed"] += 1
            continue
        V = L.identity_teacher(k)
        loss = float(L.loss(W[None], V)[0])
        if not loss > GLOBAL_LOSS:
            log(f"k={k}: the symmetric critical point is the global minimum (loss 0): nothing to certify")
            tally["failed"] += 1
            continue
        lam = float(np.linalg.eigvalsh(L.hessian(W[None], V)[0])[0])
        lam_m = float(np.linalg.eigvalsh(L.m_matrix(W[None], V)[0])[0])
        if lam <= 0 or (all_dims and lam_m <= 0):
            log(f"k={k}: symmetric critical point (loss {loss:.8f}) is not a minimum "
                f"(lambda_min(H) = {lam:.3e}, lambda_min(M) = {lam_m:.3e}); nothing written")
            tally["failed"] += 1
            continue
        provenance = {
            "search": "Newton from the symmetric ansatz w_i = a e_i + b (1 - e_i), a = -1 + 2/k, b = 2/k",
            "a": float(W[0, 0]), "b": float(W[0, 1]) if k > 1 else 0.0,
            "loss_estimate": loss, "hessian_min_eigenvalue_estimate": lam, "m_min_eigenvalue_estimate": lam_m,
        }
        tally[certify_and_write(W, lam, loss, all_dims, provenance, out_dir, overwrite, log,
                                what=f"k={k}: symmetric minimum")] += 1
    return tally


# ------------------------------------------------------------------ candidates files


def prove_candidates_file(path: Path, out_dir: Path, all_dims: bool = True, overwrite: bool = False,
                          max_per_k: int | None = None, log=print) -> Counter:
    """Certify the candidates of one or more searches stored in a candidates file: all of them, or
    the ``max_per_k`` lowest-loss ones per search (saying how many are left out); a candidate that
    is not a minimum for every d >= k when that is claimed is reported, never dropped silently.
    Returns the tally of outcomes ("written", "exists", "failed", "left_out")."""
    import json

    data = json.loads(Path(path).read_text())
    if not isinstance(data, dict) or data.get("format") != CANDIDATES_FORMAT or data.get("kind") != KIND.name:
        raise ValueError(f"not a {CANDIDATES_FORMAT} file for {KIND.name}")
    tally: Counter = Counter()
    for s in data["searches"]:
        cands = sorted(s["candidates"], key=lambda c: c["loss"])
        if all_dims:
            bad = [c for c in cands if not c["min_eig_m"] > 0]
            for c in bad:
                log(f"k={s['k']}: class with loss {c['loss']:.8f} has lambda_min(M) = {c['min_eig_m']:.3e} <= 0: "
                    "not a minimum for every d >= k (certify it with --dims k)")
            tally["failed"] += len(bad)
            cands = [c for c in cands if c["min_eig_m"] > 0]
        if max_per_k is not None and len(cands) > max_per_k:
            log(f"k={s['k']}: {len(cands)} candidates; certifying the {max_per_k} of lowest loss (--max-per-k), "
                f"{len(cands) - max_per_k} left out")
            tally["left_out"] += len(cands) - max_per_k
            cands = cands[:max_per_k]
        for c in cands:
            point = np.array(c["point"], dtype=np.float64)
            provenance = {
                "search": f"batched gradient descent ({s['backend']}) + Newton polishing",
                "seed": s["seed"], "run": c["runs"][0], "runs_in_class": len(c["runs"]), "runs_total": s["runs"],
                "lr": s["lr"], "init_std": s["init_std"], "loss_estimate": c["loss"],
                "hessian_min_eigenvalue_estimate": c["min_eig"], "m_min_eigenvalue_estimate": c["min_eig_m"],
            }
            tally[certify_and_write(point, c["min_eig"], c["loss"], all_dims, provenance, out_dir, overwrite, log,
                                    what=f"k={s['k']}: class with loss {c['loss']:.8f}")] += 1
    return tally

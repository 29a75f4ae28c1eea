"""Random Xavier teachers at experimental sizes: gradient descent from Xavier initialisations, classification
of the end points, and certification of every spurious minimum reached (untrusted producer).

For each cell (k, d): ``teachers`` teachers V in R^(k x d) with i.i.d. N(0, 1/d) entries (the Xavier teacher
of the corollary in docs/teacher-ball.md; or the identity teacher [I_k, 0] as the reference row), and for
each teacher ``runs`` runs of gradient descent on F_V over W in R^(k x d) (n = k students), started at
i.i.d. N(0, 1/d) entries (Xavier, as in certify/spurious_minima/search.py for d = k), with the step 5/k of
Safran, Yehudai & Shamir (2021), until |grad F| <= gd_tol or ``steps`` steps.

End points.  With S = (V V^T)^(1/2) and Q = S^(-1) V (orthonormal rows), an end point W is written
W = X Q + W_perp, X = W Q^T in R^(k x k) (the reduced coordinates of docs/spurious-minima.md, "Given
teachers"); for d = k, X = W and the teacher is V itself.  X is polished by Newton's method for the reduced
loss (teacher rows S, or V for d = k) and classified:

* ``global``: F_V(W) < 1e-8 after gradient descent;
* ``spurious``: a critical point (polished |grad| < 1e-9) with |W_perp| < 1e-5, F > 1e-8, and
  lambda_min(H) > 1e-9, lambda_min(M) > 1e-9 (float estimates; only certificates prove anything);
* ``saddle``: a critical point of that form with a negative eigenvalue of H or M;
* ``other``: anything else (not converged, or a critical point off the embedded form).

Spurious end points of one teacher are grouped into classes (same loss to 1e-9 and the same multiset of
entries to 1e-6: permutations of the students).  With ``certify`` each class is certified by the trusted
kernel through the dense kind with the given teacher (claim.teacher = V, teacher_reduction = S for d > k);
a run counts as "certified" when its class was.  Nothing here is trusted: a class the kernel does not prove
is counted as not certified.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

GLOBAL_LOSS = 1e-8
CRITICAL = 1e-9
EIG_TOL = 1e-9
PERP_TOL = 1e-5


@dataclass
class CellConfig:
    k: int
    d: int
    teachers: int = 10
    runs: int = 20
    seed: int = 0
    identity: bool = False  # the reference teacher [I_k, 0] instead of random ones
    steps: int = 20000
    lr: float | None = None
    gd_tol: float = 1e-7
    newton_steps: int = 30
    backend: str = "numpy"

    def __post_init__(self):
        if self.lr is None:
            from ...spurious_minima.search import default_lr

            self.lr = default_lr(self.k)


@dataclass
class TeacherOutcome:
    index: int
    labels: dict  # label -> number of runs
    classes: int  # distinct spurious classes
    classes_certified: int
    runs_certified: int
    min_singular_value: float
    max_singular_value: float
    files: list = field(default_factory=list)


def teacher_rng(cfg: CellConfig, t: int) -> np.random.Generator:
    """One seeded stream per (seed, k, d, teacher): the teacher, then the initialisations."""
    return np.random.default_rng(np.random.SeedSequence([cfg.seed, cfg.k, cfg.d, t, int(cfg.identity)]))


def sample_teacher(cfg: CellConfig, rng: np.random.Generator) -> np.ndarray:
    if cfg.identity:
        V = np.zeros((cfg.k, cfg.d))
        V[:, :cfg.k] = np.eye(cfg.k)
        return V
    return rng.standard_normal((cfg.k, cfg.d)) / math.sqrt(cfg.d)


def sym_sqrt(G: np.ndarray) -> np.ndarray:
    """(G)^(1/2) for a symmetric positive definite G (float; exactly symmetric result)."""
    w, U = np.linalg.eigh(G)
    S = (U * np.sqrt(np.maximum(w, 0.0))) @ U.T
    return (S + S.T) / 2


def reduce_teacher(V: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(teacher rows for the reduced problem, Q): V itself and None for d = k; else S = (V V^T)^(1/2) and
    Q = S^(-1) V."""
    k, d = V.shape
    if d == k:
        return V, None
    S = sym_sqrt(V @ V.T)
    return S, np.linalg.solve(S, V)


def classify_runs(W: np.ndarray, V: np.ndarray, cfg: CellConfig):
    """Labels, polished reduced points X, losses and eigenvalue estimates for the end points W (B, k, d)."""
    from ...spurious_minima import landscape as L
    from ...spurious_minima.search import newton_polish

    B = W.shape[0]
    T, Q = reduce_teacher(V)
    loss_gd = L.loss(W, V)
    if Q is None:
        X, perp = W.copy(), np.zeros(B)
    else:
        X = W @ Q.T
        perp = np.sqrt(np.sum((W - X @ Q) ** 2, axis=(1, 2)))
    labels = np.array(["other"] * B, dtype=object)
    labels[loss_gd < GLOBAL_LOSS] = "global"
    lam = np.full(B, np.nan)
    lam_m = np.full(B, np.nan)
    loss = loss_gd.copy()
    todo = np.nonzero((labels == "other") & (perp < PERP_TOL))[0]
    if todo.size:
        with np.errstate(all="ignore"):
            Xp, g = newton_polish(X[todo], T, cfg.newton_steps)
            X[todo] = Xp
            loss[todo] = L.loss(Xp, T)
            ok = (g < CRITICAL) & np.isfinite(loss[todo]) & (loss[todo] > GLOBAL_LOSS)
            for idx, good in zip(todo, ok):
                if not good:
                    continue
                try:
                    lam[idx] = np.linalg.eigvalsh(L.hessian(X[idx:idx + 1], T)[0])[0]
                    lam_m[idx] = np.linalg.eigvalsh(L.m_matrix(X[idx:idx + 1], T)[0])[0]
                except np.linalg.LinAlgError:
                    continue
                worst = min(lam[idx], lam_m[idx]) if Q is not None else lam[idx]
                if lam[idx] > EIG_TOL and (Q is None or lam_m[idx] > EIG_TOL):
                    labels[idx] = "spurious"
                elif worst < -EIG_TOL:
                    labels[idx] = "saddle"
    return labels, X, loss, lam, lam_m, T


def group_classes(labels, X, loss) -> list[list[int]]:
    """Run indices of the spurious end points, grouped by (loss, sorted entries): permutations of students."""
    classes: list[list[int]] = []
    keys: list[tuple[float, np.ndarray]] = []
    for b in np.nonzero(labels == "spurious")[0]:
        key = np.sort(X[b].ravel())
        for c, (l0, k0) in enumerate(keys):
            if abs(l0 - loss[b]) <= 1e-9 * max(1.0, abs(l0)) and np.max(np.abs(k0 - key)) < 1e-6:
                classes[c].append(int(b))
                break
        else:
            keys.append((float(loss[b]), key))
            classes.append([int(b)])
    return classes


def certificate_for(V: np.ndarray, T: np.ndarray, point: np.ndarray, radius: float, provenance: dict | None):
    """The dense-kind certificate for the teacher V (k x d) at the reduced point (k x k)."""
    from ...publishing import build_certificate

    k, d = V.shape
    # d = k: the experiment's own dimension (no M needed); d > k: the extra coordinates need M > 0
    claim = {"n": k, "k": k, "teacher": V.tolist(), "input_dimensions": "k" if d == k else "all"}
    evidence = {"point": point.tolist(), "radius": float(radius)}
    if d > k:
        evidence["teacher_reduction"] = T.tolist()
    return build_certificate("relu-spurious-minimum", claim, evidence, provenance)


def certify_point(V: np.ndarray, T: np.ndarray, point: np.ndarray, min_eig: float, provenance: dict | None):
    """(certificate, proof) for the first radius 2^e the kernel proves, or (None, reason)."""
    from ...kernel.certificate import CertificateError, NotProven
    from ...kernel.checking import check_data

    k = point.shape[0]
    g_est = 1e-13 * k
    e0 = max(-44, math.ceil(math.log2(16.0 * g_est / max(min_eig, 1e-12))))
    last = "no radius tried"
    for e in range(e0, min(e0 + 24, -2), 4):
        cert = certificate_for(V, T, point, 2.0**e, provenance)
        try:
            return cert, check_data(cert)
        except (NotProven, CertificateError) as exc:
            last = str(exc)
    return None, last


def run_cell(cfg: CellConfig, certify: bool = True, out_dir: Path | None = None, overwrite: bool = False,
             log=print) -> dict:
    """One (k, d) cell: every teacher, every run; returns the cell's statistics (JSON-ready).  Certificates
    are written only when ``out_dir`` is given (through certify.publishing.publish: kernel re-check,
    atomic write)."""
    from ...arrays import get_xp, to_numpy
    from ...progress import progress
    from ...publishing import PublishError, publish
    from ...spurious_minima.search import gradient_descent

    xp = get_xp(cfg.backend)
    t0 = time.time()
    gd_seconds = certify_seconds = 0.0
    outcomes = []
    bar = progress(total=cfg.teachers, desc=f"k={cfg.k} d={cfg.d}{' identity' if cfg.identity else ''}",
                   unit="teacher")
    for t in range(cfg.teachers):
        rng = teacher_rng(cfg, t)
        V = sample_teacher(cfg, rng)
        W0 = rng.standard_normal((cfg.runs, cfg.k, cfg.d)) / math.sqrt(cfg.d)
        s = time.time()
        W, _, _ = gradient_descent(xp.asarray(W0), xp.asarray(V), cfg.lr, cfg.steps, cfg.gd_tol)
        W = to_numpy(W)
        gd_seconds += time.time() - s
        labels, X, loss, lam, lam_m, T = classify_runs(W, V, cfg)
        classes = group_classes(labels, X, loss)
        sv = np.linalg.svd(V, compute_uv=False)
        outcome = TeacherOutcome(t, {lab: int(np.sum(labels == lab)) for lab in ("global", "spurious", "saddle", "other")},
                                 len(classes), 0, 0, float(sv[-1]), float(sv[0]))
        if certify:
            s = time.time()
            for c, members in enumerate(classes):
                b = min(members, key=lambda i: loss[i])
                provenance = None
                if out_dir is not None:
                    provenance = {
                        "experiment": "random Xavier teacher, V_ij ~ N(0, 1/d), seeded; gradient descent from "
                                      "Xavier initialisations (N(0, 1/d)), step 5/k; Newton polishing in the "
                                      "reduced coordinates X = W (V V^T)^(-1/2) V^T",
                        "seed": cfg.seed, "k": cfg.k, "d": cfg.d, "teacher_index": t, "identity": cfg.identity,
                        "runs_in_class": len(members), "runs_per_teacher": cfg.runs, "lr": cfg.lr,
                        "loss_estimate": float(loss[b]), "hessian_min_eigenvalue_estimate": float(lam[b]),
                        "m_min_eigenvalue_estimate": float(lam_m[b]),
                    }
                cert, proof = certify_point(V, T, X[b], float(lam[b]), provenance)
                if cert is None:
                    log(f"k={cfg.k} d={cfg.d} teacher {t} class {c} (loss {loss[b]:.8f}): NOT certified: {proof}")
                    continue
                outcome.classes_certified += 1
                outcome.runs_certified += len(members)
                if out_dir is not None:
                    name = (f"k{cfg.k:02d}-d{cfg.d:03d}{'-identity' if cfg.identity else ''}"
                            f"/teacher{t:03d}-loss{loss[b]:.8f}.json")
                    try:
                        publish(cert, Path(out_dir) / name, overwrite=overwrite)
                        outcome.files.append(name)
                    except PublishError as exc:
                        log(str(exc))
            certify_seconds += time.time() - s
        outcomes.append(outcome)
        bar.update(1)
    bar.close()
    runs_total = cfg.teachers * cfg.runs
    count = lambda lab: sum(o.labels[lab] for o in outcomes)  # noqa: E731
    return {
        "k": cfg.k, "d": cfg.d, "identity": cfg.identity, "teachers": cfg.teachers, "runs_per_teacher": cfg.runs,
        "runs": runs_total, "seed": cfg.seed, "lr": cfg.lr, "steps": cfg.steps, "gd_tol": cfg.gd_tol,
        "certified": certify,
        "labels": {lab: count(lab) for lab in ("global", "spurious", "saddle", "other")},
        "runs_certified": sum(o.runs_certified for o in outcomes),
        "teachers_with_spurious": sum(o.labels["spurious"] > 0 for o in outcomes),
        "teachers_certified": sum(o.classes_certified > 0 for o in outcomes),
        "classes": sum(o.classes for o in outcomes),
        "classes_certified": sum(o.classes_certified for o in outcomes),
        "min_singular_value": min(o.min_singular_value for o in outcomes),
        "wall_seconds": round(time.time() - t0, 1),
        "gd_seconds": round(gd_seconds, 1),
        "certify_seconds": round(certify_seconds, 1),
        "per_teacher": [asdict(o) for o in outcomes],
    }


# ----------------------------------------------------------------------------- statistics


def wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The Wilson score interval for x successes in n trials (95 % by default); (0, 1) for n = 0."""
    if n == 0:
        return 0.0, 1.0
    p = x / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


STATS_FORMAT = "certify-random-teachers"


def empty_stats() -> dict:
    return {"format": STATS_FORMAT, "version": 1, "cells": []}


def cell_key(cell: dict) -> tuple:
    return (cell["k"], cell["d"], bool(cell["identity"]))

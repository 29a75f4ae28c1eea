"""Search for spurious local minima: batched gradient descent + Newton polishing.

UNTRUSTED.  Proposes candidates; nothing here is relied on by the checker.

Pipeline (per k):
1. ``runs`` seeded random initializations, entries N(0, init_std^2)
   (default init_std = 1/sqrt(k), Xavier for d = k inputs);
2. batched gradient descent (numpy, or cupy when ``backend='cupy'``) with
   step ``lr`` (default min(0.5, 5/k), see ``default_lr``) until
   |grad F| <= ``gd_tol`` or ``steps`` steps;
3. Newton polishing on the host until the gradient is at rounding level;
4. classification: global (loss ~ 0), spurious minimum (loss > 0, Hessian
   positive definite), saddle (a negative Hessian eigenvalue), unconverged;
5. grouping of minima into classes equivalent under the symmetry group
   S_n x S_k (permutations of students; simultaneous permutations of
   teacher neurons and coordinates), W -> P W Q^T.
"""
from __future__ import annotations

import contextlib
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..arrays import get_xp, to_numpy
from . import landscape as L

GLOBAL_LOSS = 1e-8  # loss below which a run counts as a global minimum
CONVERGED_GRAD = 1e-9  # gradient norm after polishing that counts as critical
EIG_TOL = 1e-9  # |lambda| below this: degenerate, not classified as min or saddle


def default_lr(k: int) -> float:
    """Step size: 5/k as in Safran, Yehudai & Shamir (2021), capped at 0.5."""
    return min(0.5, 5.0 / k)


@dataclass
class SearchConfig:
    k: int
    n: int | None = None  # students; default n = k
    runs: int = 500
    seed: int = 0
    steps: int = 20000
    lr: float | None = None
    init_std: float | None = None
    gd_tol: float = 1e-7
    newton_steps: int = 30
    backend: str = "numpy"
    batch: int = 500
    progress: bool = True

    def __post_init__(self):
        if self.n is None:
            self.n = self.k
        if self.lr is None:
            self.lr = default_lr(self.k)
        if self.init_std is None:
            self.init_std = 1.0 / math.sqrt(self.k)


@dataclass
class MinimumClass:
    label: str  # "spurious" or "global"
    loss: float
    min_eig: float  # smallest Hessian eigenvalue (d = k)
    min_eig_m: float  # smallest eigenvalue of M (extra input dimensions)
    point: np.ndarray  # representative (n, k)
    grad_norm: float
    runs: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.runs)


@dataclass
class SearchResult:
    config: SearchConfig
    labels: list[str]  # per run: global / spurious / saddle / unconverged
    classes: list[MinimumClass]
    gd_seconds: float
    gd_steps: int  # steps taken by the batch loop (max over batches)
    gd_run_steps: int  # sum over runs of steps actually taken

    @property
    def spurious_fraction(self) -> float:
        return self.labels.count("spurious") / max(1, len(self.labels))

    @property
    def throughput(self) -> float:
        """Runs x GD steps per second."""
        return self.gd_run_steps / self.gd_seconds if self.gd_seconds > 0 else float("nan")


def initial_points(cfg: SearchConfig) -> np.ndarray:
    rng = np.random.default_rng(cfg.seed)
    return rng.standard_normal((cfg.runs, cfg.n, cfg.k)) * cfg.init_std


def gradient_descent(W, V, lr: float, steps: int, tol: float, progress=None, check_every: int = 50):
    """Batched GD; a run stops once its gradient norm is <= ``tol`` (converged
    runs are dropped from the batch, so the cost follows the active runs).

    Returns (W, steps_taken_per_run, loop_steps)."""
    xp = get_xp("cupy") if type(W).__module__.startswith("cupy") else np
    B = W.shape[0]
    W = W.copy()
    taken = np.zeros(B, dtype=np.int64)
    idx = np.arange(B)  # runs still active
    Wa = W
    step = 0
    while step < steps and idx.size:
        todo = min(check_every, steps - step)
        for _ in range(todo):
            G = L.gradient(Wa, V)
            Wa = Wa - lr * G
        taken[idx] += todo
        step += todo
        gnorm = to_numpy(xp.sqrt(xp.sum(G * G, axis=(1, 2))))
        keep = ~(gnorm <= tol) & np.isfinite(gnorm)
        W[idx] = Wa
        if not keep.all():
            idx = idx[keep]
            Wa = Wa[xp.asarray(keep)]
        if progress is not None:
            progress.update(todo)
            progress.set_postfix_str(f"active={int(idx.size)}")
    return W, taken, step


def newton_polish(W, V, steps: int = 30):
    """Batched Newton iterations (numpy or cupy, following W), keeping the best
    gradient seen per run; each run stops by itself (3 steps without
    improvement, or |grad| < 1e-15), so its result does not depend on the
    batch.  Returns (W, gradient norms)."""
    xp = get_xp("cupy") if type(W).__module__.startswith("cupy") else np
    B, n, k = W.shape

    def gnorm(X):
        return xp.sqrt(xp.sum(L.gradient(X, V) ** 2, axis=(1, 2)))

    best = W.copy()
    best_g = gnorm(W)
    active = xp.isfinite(best_g) & (best_g >= 1e-15)  # each run stops on its own ...
    stalled = xp.zeros(B, dtype=np.int64)  # ... after `patience` steps without improvement
    patience = 3
    # singular or non-smooth points give inf/nan steps; those are discarded below
    quiet = np.errstate(all="ignore") if xp is np else contextlib.nullcontext()
    with quiet:
        for _ in range(steps):
            G = L.gradient(W, V).reshape(B, n * k)
            H = L.hessian(W, V)
            try:
                delta = xp.linalg.solve(H, G[..., None])[..., 0]
            except np.linalg.LinAlgError:  # numpy refuses exactly singular matrices
                delta = (xp.linalg.pinv(H) @ G[..., None])[..., 0]
            W = xp.where(active[:, None, None], W - delta.reshape(B, n, k), W)
            g = gnorm(W)
            better = active & xp.isfinite(g) & (g < best_g)
            best[better] = W[better]
            best_g = xp.where(better, g, best_g)
            stalled = xp.where(better, 0, stalled + 1)
            active = active & (stalled < patience) & (best_g >= 1e-15)
            W = xp.where(xp.isfinite(W), W, best)
            if not bool(active.any()):
                break
    return best, best_g


def orbit_key(W: np.ndarray) -> np.ndarray:
    """An invariant of W under W -> P W Q^T (P, Q permutations): sorted entries."""
    return np.sort(W.ravel())


def same_orbit(a: MinimumClass, W: np.ndarray, loss: float, tol: float = 1e-6) -> bool:
    if abs(a.loss - loss) > 1e-9 * max(1.0, abs(loss)):
        return False
    return bool(np.max(np.abs(orbit_key(a.point) - orbit_key(W))) < tol)


def hessian_chunk(n: int, k: int, gpu: bool) -> int:
    """Points per batched Hessian: the Hessian code holds ~8 arrays of chunk*(n k)^2
    doubles; budget 1 GB on the host, 16 GB on a GPU."""
    budget = (16 if gpu else 1) * 2**30
    return int(max(1, min(1024 if gpu else 64, budget // (8 * 8 * (n * k) ** 2))))


def smallest_eigenvalues(W, V, chunk: int):
    """Smallest eigenvalues of H and M for each point (batched, numpy or cupy)."""
    xp = get_xp("cupy") if type(W).__module__.startswith("cupy") else np
    lam, lam_m = [], []
    for s in range(0, W.shape[0], chunk):
        part = W[s:s + chunk]
        lam.append(to_numpy(xp.linalg.eigvalsh(L.hessian(part, V))[:, 0]))
        lam_m.append(to_numpy(xp.linalg.eigvalsh(L.m_matrix(part, V))[:, 0]))
    if not lam:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(lam), np.concatenate(lam_m)


def classify(loss: np.ndarray, grad_norm: np.ndarray, eigs: np.ndarray) -> list[str]:
    """Per run: global / spurious / saddle / unconverged."""
    labels = []
    for b in range(loss.size):
        if loss[b] < GLOBAL_LOSS:
            labels.append("global")
        elif not (grad_norm[b] < CONVERGED_GRAD) or not np.isfinite(eigs[b]):
            labels.append("unconverged")
        elif eigs[b] > EIG_TOL:
            labels.append("spurious")
        elif eigs[b] < -EIG_TOL:
            labels.append("saddle")
        else:
            labels.append("unconverged")
    return labels


def group(W, labels, loss, eigs, eigs_m, grad_norm, run_ids) -> list[MinimumClass]:
    classes: list[MinimumClass] = []
    for b, lab in enumerate(labels):
        if lab not in ("spurious", "global"):
            continue
        for c in classes:
            if c.label == lab and (lab == "global" or same_orbit(c, W[b], float(loss[b]))):
                c.runs.append(int(run_ids[b]))
                if grad_norm[b] < c.grad_norm:  # keep the best-polished representative
                    c.point, c.grad_norm = W[b].copy(), float(grad_norm[b])
                break
        else:
            classes.append(MinimumClass(lab, float(loss[b]), float(eigs[b]), float(eigs_m[b]),
                                        W[b].copy(), float(grad_norm[b]), [int(run_ids[b])]))
    classes.sort(key=lambda c: (c.label != "spurious", c.loss))
    return classes


def search(cfg: SearchConfig) -> SearchResult:
    xp = get_xp(cfg.backend)
    V_host = L.identity_teacher(cfg.k)
    V = xp.asarray(V_host)
    W0 = initial_points(cfg)
    bar = None
    if cfg.progress:  # shown only on a terminal outside CI (certify.progress)
        from ..progress import progress

        n_batches = math.ceil(cfg.runs / cfg.batch)
        bar = progress(total=cfg.steps * n_batches, desc=f"k={cfg.k} GD", unit="step")
    finals, taken_all = [], []
    gd_seconds, loop_steps = 0.0, 0
    for start in range(0, cfg.runs, cfg.batch):
        W = xp.asarray(W0[start:start + cfg.batch])
        t0 = time.perf_counter()
        W, taken, steps = gradient_descent(W, V, cfg.lr, cfg.steps, cfg.gd_tol, progress=bar)
        if xp is not np:
            xp.cuda.Stream.null.synchronize()
        gd_seconds += time.perf_counter() - t0
        if bar is not None and steps < cfg.steps:
            bar.update(cfg.steps - steps)
        loop_steps = max(loop_steps, steps)
        finals.append(to_numpy(W))
        taken_all.append(taken)
    if bar is not None:
        bar.close()
    W = np.concatenate(finals)
    taken = np.concatenate(taken_all)
    chunk = hessian_chunk(cfg.n, cfg.k, gpu=xp is not np)
    loss0 = L.loss(W, V_host)
    grad_norm = np.sqrt(np.sum(L.gradient(W, V_host) ** 2, axis=(1, 2)))
    idx = np.nonzero(loss0 >= GLOBAL_LOSS)[0]  # candidates for polishing (not global)
    for s in range(0, idx.size, chunk):
        part = idx[s:s + chunk]
        Wp, gp = newton_polish(xp.asarray(W[part]), V, cfg.newton_steps)
        W[part], grad_norm[part] = to_numpy(Wp), to_numpy(gp)
    loss = L.loss(W, V_host)
    eigs = np.full(cfg.runs, np.nan)
    eigs_m = np.full(cfg.runs, np.nan)
    idx = np.nonzero(loss >= GLOBAL_LOSS)[0]
    eigs[idx], eigs_m[idx] = smallest_eigenvalues(xp.asarray(W[idx]), V, chunk)
    labels = classify(loss, grad_norm, eigs)
    classes = group(W, labels, loss, eigs, eigs_m, grad_norm, np.arange(cfg.runs))
    return SearchResult(cfg, labels, classes, gd_seconds, loop_steps, int(taken.sum()))


def summary(result: SearchResult) -> str:
    cfg = result.config
    labs = result.labels
    lines = [
        f"k={cfg.k} n={cfg.n}: {cfg.runs} runs (seed {cfg.seed}, lr {cfg.lr:g}, init N(0, {cfg.init_std:.4g}^2)); "
        f"spurious {labs.count('spurious')} ({100 * result.spurious_fraction:.1f}%), "
        f"global {labs.count('global')}, saddle {labs.count('saddle')}, unconverged {labs.count('unconverged')}; "
        f"GD {result.gd_seconds:.1f}s, {result.throughput:.3g} run-steps/s",
    ]
    spurious = [c for c in result.classes if c.label == "spurious"]
    lines.append(f"  {len(spurious)} distinct spurious classes (up to S_n x S_k symmetry):")
    for i, c in enumerate(spurious, 1):
        lines.append(
            f"  #{i:<3d} loss {c.loss:.10f}  runs {c.count:4d}  lambda_min(H) {c.min_eig:.4e}  "
            f"lambda_min(M) {c.min_eig_m:.4e}{'' if c.min_eig_m > 0 else '  (not a minimum for d > k)'}"
        )
    return "\n".join(lines)

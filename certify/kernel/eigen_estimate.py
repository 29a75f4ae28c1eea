"""An UNTRUSTED estimate of the smallest eigenvalue of a large symmetric matrix.

Lives in the kernel only because certify.kernel.definite calls it to choose the shift of Rump's test;
no verdict depends on its correctness (every shift is decided by Rump's theorem alone).  Small
matrices: numpy's eigvalsh.  Large ones: a float32 blocked Cholesky factor drives Lanczos on its
inverse.  Imports only numpy.
"""
from __future__ import annotations

import numpy as np

def estimate_min_eigenvalue(mid: np.ndarray, tol: float = 0.0, iterations: int = 80, seed: int = 0) -> float | None:
    """UNTRUSTED estimate of lambda_min(mid) for a symmetric matrix (it only chooses the shift of
    Rump's test; soundness never depends on it).  Small matrices: eigvalsh.  Large ones: a float32
    blocked Cholesky factor L of mid - s0 I (s0 = 0, else small negative shifts) drives Lanczos on
    (L L^T)^{-1}; the Ritz vector is scored by its Rayleigh quotient with the float64 matrix
    (>= lambda_min up to rounding, accurate to second order in the vector).  Stops when the
    estimate moves less than ``tol``.  Returns None when no factor could be formed."""
    n = mid.shape[0]
    if n <= 1000:
        with np.errstate(all="ignore"):
            try:
                return float(np.linalg.eigvalsh(mid)[0])
            except np.linalg.LinAlgError:
                return None
    scale = float(np.mean(np.abs(np.diag(mid)))) or 1.0
    for s0 in (0.0, -1e-6 * scale, -1e-4 * scale, -1e-2 * scale):
        a32 = mid.astype(np.float32)
        a32[np.arange(n), np.arange(n)] -= np.float32(s0)
        solver = _Float32CholeskySolver.factor(a32, bs=256 if n <= 4096 else 512)
        if solver is not None:
            return _lanczos_min_ritz(mid, solver.solve, iterations, seed, tol)
    return None


def _lanczos_min_ritz(mid: np.ndarray, apply_inverse, iterations: int, seed: int, tol: float) -> float | None:
    """Lanczos (full reorthogonalization) on an approximate inverse of mid; the Ritz vector of its
    largest Ritz value is scored by its Rayleigh quotient with mid itself (float64).  Untrusted."""
    n = mid.shape[0]
    rng = np.random.default_rng(seed)
    q = rng.standard_normal(n)
    q /= np.linalg.norm(q)
    basis = [q]
    alphas: list[float] = []
    betas: list[float] = []
    theta_prev = None
    theta = None
    for it in range(1, iterations + 1):
        w = apply_inverse(basis[-1][:, None])[:, 0]
        if not np.all(np.isfinite(w)):
            break
        alphas.append(float(basis[-1] @ w))
        Q = np.array(basis)
        w -= Q.T @ (Q @ w)  # full reorthogonalization, twice
        w -= Q.T @ (Q @ w)
        beta = float(np.linalg.norm(w))
        if it % 4 == 0 or beta == 0.0 or it == iterations:
            T = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
            vals, vecs = np.linalg.eigh(T)
            y = Q.T @ vecs[:, -1]
            y /= np.linalg.norm(y)
            theta = float(y @ (mid @ y))
            if theta_prev is not None and abs(theta - theta_prev) <= max(tol, 1e-13 * abs(theta)):
                break
            theta_prev = theta
        if beta == 0.0:
            break
        betas.append(beta)
        basis.append(w / beta)
    return theta


class _Float32CholeskySolver:
    """(L L^T)^{-1} X for a lower-triangular float32 L, by blocked substitution (numpy has no
    triangular solve): inverses of the diagonal blocks, then matrix products.  Untrusted."""

    def __init__(self, lower: np.ndarray, inverses: list, bs: int):
        """Keep the factor (the lower triangle of ``lower``), the float32 inverses of its diagonal blocks and
        the block size ``bs``."""
        self.L = lower
        self.n = lower.shape[0]
        self.bs = bs
        self.starts = list(range(0, self.n, bs))
        self.inv = inverses

    @classmethod
    def factor(cls, a: np.ndarray, bs: int = 512) -> "_Float32CholeskySolver | None":
        """Blocked right-looking Cholesky of the float32 array a, in place (its lower triangle
        becomes L; the strict upper triangle is left as it was and never read).  float32 products
        (sgemm) do the bulk of the work.  None if a pivot block is not positive definite."""
        n = a.shape[0]
        inverses = []
        for s in range(0, n, bs):
            e = min(n, s + bs)
            try:
                l11 = np.linalg.cholesky(a[s:e, s:e].astype(np.float64))
            except np.linalg.LinAlgError:
                return None
            if not np.all(np.isfinite(l11)):
                return None
            a[s:e, s:e] = l11
            inv = np.linalg.inv(l11).astype(np.float32)
            inverses.append(inv)
            if e < n:
                a[e:, s:e] = a[e:, s:e] @ inv.T  # L21 = A21 L11^{-T}
                l21 = a[e:, s:e]
                for r in range(e, n, bs):  # A22 -= L21 L21^T, lower block triangle only
                    re = min(n, r + bs)
                    a[r:re, e:re] -= l21[r - e:re - e] @ l21[:re - e].T
        return cls(a, inverses, bs)

    def solve(self, x: np.ndarray) -> np.ndarray:
        """Approximately (L L^T)^{-1} x for x of shape (n, m): forward substitution with L, then back
        substitution with L^T, block by block through the stored inverses, in float32; returned as
        float64.  Untrusted: no error bound."""
        L, bs = self.L, self.bs
        y = np.empty(x.shape, dtype=np.float32)
        for b, s in enumerate(self.starts):
            e = min(self.n, s + bs)
            rhs = x[s:e].astype(np.float32)
            if s:
                rhs -= L[s:e, :s] @ y[:s]
            y[s:e] = self.inv[b] @ rhs
        z = np.empty_like(y)
        for b in range(len(self.starts) - 1, -1, -1):
            s = self.starts[b]
            e = min(self.n, s + bs)
            rhs = y[s:e].copy()
            if e < self.n:
                rhs -= L[e:, s:e].T @ z[e:]
            z[s:e] = self.inv[b].T @ rhs
        return z.astype(np.float64)

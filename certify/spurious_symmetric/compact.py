"""Float loss, gradient and Hessian of F restricted to Fix(G_p), in compact parameters.

UNTRUSTED (producer side).  Nothing here is relied on by the checker; the
trusted claim kind ``relu-spurious-minimum-symmetric`` encloses everything
itself.  Cost is O(m^3) per evaluation (m = number of blocks), whatever k is:
k enters only as the block sizes p_i, i.e. as multiplicities of orbit sums.

Compact layout (data/README.md, sys2021-minima.json): block sizes
p = (p_1, ..., p_m), sum k, and ``vals`` of shape (m, m + 1).  The k x k
matrix A has the student neurons as its COLUMNS; for a row index in block i
and a column index in block j: A = vals[i][j] if i != j, vals[i][i] on the
diagonal, vals[i][m] inside block i off the diagonal (unused if p_i = 1).
W = A^T (rows are neurons).

For a neuron r of block j let X[i, j] be its entry at a coordinate of block i
other than r itself (X[i, j] = vals[i][j] for i != j, X[j, j] = vals[j][m]) and
D[j] = vals[j][j] its own coordinate.  Orbit sums (multiplicities p_i):

  |w_j|^2       = sum_i p_i X[i,j]^2 - X[j,j]^2 + D[j]^2
  <w_r, w_r'>   = sum_i p_i X[i,j] X[i,j'] + (D[j] - X[j,j]) X[j,j'] + (D[j'] - X[j',j']) X[j',j]
                  (r in block j, r' in block j', r != r'; also j = j')
  <w_r, e_c>    = X[i,j] (c in block i, c != r; p_i - [i = j] of them), D[j] (c = r)

and F = 1/2 [ sum_j p_j |w_j|^2 / 2 + sum_{j,j'} p_j (p_j' - [j = j']) f(j, j')
              - 2 sum_j p_j (sum_i (p_i - [i=j]) f(w_j, X[i,j]) + f(w_j, D[j])) + k/2 + k(k-1)/(2 pi) ]
with f(w, w') = (sqrt(|w|^2 |w'|^2 - u^2) + (pi - acos(u / (|w||w'|))) u) / (2 pi), u = <w, w'>.

The compact parameters theta are the entries of vals, row by row, without
vals[i][m] where p_i = 1 (dim = m^2 + #{i : p_i >= 2}).  The gradient is taken
by the complex step (exact to rounding: F is real-analytic where every neuron
is non-zero and no pair is parallel), the Hessian by central differences of
that gradient.  Because the parameters are coordinates of Fix(G_p) along the
orbit-indicator vectors u_a, grad_theta F = U^T grad F and
Hess_theta F = U^T H U with U^T U = diag(orbit sizes).

Full spectrum of H without k^4 work (``hessian_spectrum``): H commutes with
G_p, hence also with the smaller group G_p' of a finer partition p' (each
block split into (1, 1, p_i - 2)), so it maps Fix(G_p') into itself; every
irreducible type occurring in R^{k x k} under G_p has a vector fixed by G_p'
(its Young diagram has first row >= p_i - 2), so the eigenvalues of H on
Fix(G_p') are all the distinct eigenvalues of H.  They are those of
diag(s)^-1/2 U'^T H U' diag(s)^-1/2, the compact Hessian for p' scaled by the
orbit sizes s.  The extra-dimension matrix M (k x k) is block-constant: its
eigenvalues are those of the m x m matrix on block indicators and, per block
with p_i >= 2, M_rr - M_rr' (r != r' in block i).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TWO_PI = 2.0 * math.pi
STEP = 1e-200  # complex step: exact to rounding, no cancellation


# --------------------------------------------------------------------------- layout


def as_blocks(p) -> np.ndarray:
    p = np.asarray(p, dtype=np.float64)
    if p.ndim != 1 or p.size < 1 or not np.all(p >= 1):
        raise ValueError(f"block sizes must be a non-empty list of sizes >= 1, got {p}")
    return p


def free_mask(p) -> np.ndarray:
    """(m, m+1) booleans: which entries of vals are parameters."""
    p = as_blocks(p)
    m = p.size
    mask = np.ones((m, m + 1), dtype=bool)
    mask[:, m] = p >= 2
    return mask


def dimension(p) -> int:
    return int(free_mask(p).sum())


def to_params(p, vals) -> np.ndarray:
    vals = np.asarray(vals)
    return vals[..., free_mask(p)]


def to_vals(p, theta) -> np.ndarray:
    theta = np.asarray(theta)
    mask = free_mask(p)
    out = np.zeros(theta.shape[:-1] + mask.shape, dtype=theta.dtype)
    out[..., mask] = theta
    return out


def orbit_sizes(p) -> np.ndarray:
    """Number of entries of the k x k matrix along each compact parameter."""
    p = as_blocks(p)
    m = p.size
    s = np.empty((m, m + 1))
    s[:, :m] = p[:, None] * p[None, :]  # off-diagonal blocks: p_i p_j entries
    s[np.arange(m), np.arange(m)] = p  # diagonal
    s[:, m] = p * (p - 1)  # off-diagonal inside block i
    return s[free_mask(p)]


def dense_matrix(p, vals) -> np.ndarray:
    """The k x k point W = A^T (rows are neurons); only for small k (tests, dense certificates)."""
    p = [int(x) for x in p]
    vals = np.asarray(vals, dtype=np.float64)
    m = len(p)
    blk = np.repeat(np.arange(m), p)
    A = vals[blk[:, None], blk[None, :]]
    same = blk[:, None] == blk[None, :]
    A = np.where(same, vals[blk, m][:, None], A)
    A[np.arange(len(blk)), np.arange(len(blk))] = vals[blk, blk]
    return A.T.copy()


def orbit_matrix(p) -> np.ndarray:
    """U: (k*k, dim) indicators of the orbits, in the row-major order of W (tests only)."""
    p = [int(x) for x in p]
    m, k = len(p), sum(p)
    mask = free_mask(p)
    cols = []
    for i in range(m):
        for j in range(m + 1):
            if not mask[i, j]:
                continue
            v = np.zeros((m, m + 1))
            v[i, j] = 1.0
            cols.append(dense_matrix(p, v).ravel())
    return np.array(cols).T.reshape(k * k, -1)


# --------------------------------------------------------------------------- loss


def _f(n1, n2, u, s2=None):
    """E[relu(w.x) relu(w'.x)] from |w|^2, |w'|^2 and <w, w'> (complex-step safe).

    ``s2`` = |w|^2 |w'|^2 - u^2 when the caller has it without cancellation.  The
    angle is taken by half-angle arctangents (accurate for nearly parallel and
    nearly antiparallel pairs, where arccos loses half the digits)."""
    nn = np.sqrt(n1 * n2)
    s = np.sqrt(n1 * n2 - u * u if s2 is None else s2)
    pos = np.real(u) >= 0
    with np.errstate(all="ignore"):
        phi = np.where(pos, np.pi - 2.0 * np.arctan(s / (nn + u)), 2.0 * np.arctan(s / (nn - u)))  # pi - theta
    return (s + phi * u) / TWO_PI


def loss_vals(p, vals):
    """F at compact points; vals (..., m, m+1), real or complex; returns (...)."""
    p = as_blocks(p)
    m = p.size
    k = p.sum()
    vals = np.asarray(vals)
    eye = np.eye(m, dtype=bool)
    X = np.where(eye, vals[..., :, m][..., :, None], vals[..., :, :m])  # X[i, j]
    D = np.diagonal(vals[..., :, :m], axis1=-2, axis2=-1)  # (..., m)
    Xjj = np.diagonal(X, axis1=-2, axis2=-1)
    N = np.einsum("i,...ij->...j", p, X * X) - Xjj**2 + D**2  # |w_j|^2
    corr = (D - Xjj)[..., :, None] * X  # (D_j - X_jj) X[j, j'] at [j, j']
    U = np.einsum("i,...ij,...il->...jl", p, X, X) + corr + corr.swapaxes(-1, -2)
    mult = p[:, None] * (p[None, :] - eye)  # pairs of distinct neurons per block pair
    ff = _f(N[..., :, None], N[..., None, :], U)
    ff = np.where(mult > 0, ff, 0.0)
    student = 0.5 * np.sum(p * N, axis=-1) + np.sum(mult * ff, axis=(-1, -2))
    cnt = p[:, None] - eye  # (p_i - [i = j])
    R = np.sum(cnt * X * X, axis=-2)  # |w_j|^2 - D_j^2, summed without cancellation
    ft = _f(N[..., None, :], 1.0, X, R[..., None, :] + D[..., None, :] ** 2 - X * X)  # generic teacher of block i
    ft = np.where(cnt > 0, ft, 0.0)
    cross = np.sum(p * (np.sum(cnt * ft, axis=-2) + _f(N, 1.0, D, R)), axis=-1)
    teacher = k / 2.0 + k * (k - 1) / TWO_PI
    return 0.5 * (student - 2.0 * cross + teacher)


def loss(p, theta):
    return loss_vals(p, to_vals(p, theta))


def gradient(p, theta) -> np.ndarray:
    """grad_theta F by the complex step; theta (..., dim) -> (..., dim)."""
    theta = np.asarray(theta, dtype=np.float64)
    dim = theta.shape[-1]
    z = theta[..., None, :] + 1j * STEP * np.eye(dim)  # (..., dim, dim)
    with np.errstate(all="ignore"):
        return np.imag(loss(p, z)) / STEP


def hessian(p, theta, h: float = 1e-5) -> np.ndarray:
    """Hess_theta F by central differences of the complex-step gradient; (dim, dim), symmetrized.

    The step along parameter a is h / sqrt(orbit size): the same Euclidean length
    of the k x k point for every parameter (a parameter spread over 10^8 entries
    moves as much as one spread over one)."""
    theta = np.asarray(theta, dtype=np.float64)
    dim = theta.size
    steps = h / np.sqrt(orbit_sizes(p))
    E = np.diag(steps)
    G = gradient(p, np.concatenate([theta + E, theta - E]))
    H = (G[:dim] - G[dim:]) / (2.0 * steps[:, None])
    return 0.5 * (H + H.T)


def dense_gradient_norm(p, theta) -> float:
    """|grad F| of the k x k point (Euclidean), from the compact gradient and the orbit sizes."""
    g = gradient(p, theta)
    return float(np.sqrt(np.sum(g * g / orbit_sizes(p))))


# --------------------------------------------------------------------------- Newton


@dataclass
class Polished:
    p: tuple
    vals: np.ndarray  # (m, m+1) float64
    grad_norm: float  # |grad F| of the k x k point (float estimate)
    loss: float
    steps: int


def newton(p, vals, max_steps: int = 60, patience: int = 3) -> Polished:
    """Newton's method on F|Fix(G_p) in the compact parameters; keeps the best gradient seen."""
    p_t = tuple(float(x) for x in p)
    theta = to_params(p, np.asarray(vals, dtype=np.float64)).astype(np.float64)
    best, best_g = theta.copy(), dense_gradient_norm(p, theta)
    stalled = 0
    steps = 0
    with np.errstate(all="ignore"):
        for steps in range(1, max_steps + 1):
            g = gradient(p, theta)
            H = hessian(p, theta)
            try:
                delta = np.linalg.solve(H, g)
            except np.linalg.LinAlgError:
                delta = np.linalg.lstsq(H, g, rcond=None)[0]
            theta = theta - delta
            gn = dense_gradient_norm(p, theta)
            if np.isfinite(gn) and gn < best_g:
                best, best_g, stalled = theta.copy(), gn, 0
            else:
                stalled += 1
                if not np.all(np.isfinite(theta)):
                    theta = best.copy()
            if stalled >= patience or best_g == 0.0:
                break
    vals_out = to_vals(p, best)
    return Polished(p_t, vals_out, best_g, float(loss(p, best)), steps)


# --------------------------------------------------------------------------- spectra


def refine(p, vals):
    """The same point in the finer partition p' (each block of size >= 2 split into 1, 1, rest).

    Returns (p', vals', parent) with parent[i'] = the block of p that block i' comes from."""
    p = [int(x) for x in as_blocks(p)]
    vals = np.asarray(vals, dtype=np.float64)
    m = len(p)
    new_p, parent, own = [], [], []  # own: is the sub-block a singleton split off
    for i, s in enumerate(p):
        parts = [s] if s == 1 else ([1, 1] + ([s - 2] if s > 2 else []))
        for q in parts:
            new_p.append(q)
            parent.append(i)
    mp = len(new_p)
    out = np.zeros((mp, mp + 1))
    for a in range(mp):
        for b in range(mp):
            i, j = parent[a], parent[b]
            if i != j:
                out[a, b] = vals[i, j]
            elif a == b:
                out[a, b] = vals[i, i]
            else:
                out[a, b] = vals[i, m]  # same original block, different sub-blocks: off-diagonal value
        out[a, mp] = vals[parent[a], m] if new_p[a] >= 2 else 0.0
    return new_p, out, parent


def hessian_spectrum(p, vals) -> np.ndarray:
    """Every distinct eigenvalue of the full k^2 x k^2 Hessian H (float estimate), via Fix(G_p')."""
    q, vq, _ = refine(p, vals)
    theta = to_params(q, vq)
    H = hessian(q, theta)
    s = 1.0 / np.sqrt(orbit_sizes(q))
    return np.linalg.eigvalsh(s[:, None] * H * s[None, :])


def restricted_spectrum(p, vals) -> np.ndarray:
    """Eigenvalues of H on Fix(G_p) (the trivial isotypic block), orbit-normalized."""
    theta = to_params(p, vals)
    H = hessian(p, theta)
    s = 1.0 / np.sqrt(orbit_sizes(p))
    return np.linalg.eigvalsh(s[:, None] * H * s[None, :])


def m_spectrum(p, vals) -> np.ndarray:
    """Eigenvalues of the extra-dimension matrix M (k x k), each distinct value once."""
    pb = as_blocks(p)
    m = pb.size
    vals = np.asarray(vals, dtype=np.float64)
    eye = np.eye(m, dtype=bool)
    X = np.where(eye, vals[:, m][:, None], vals[:, :m])
    D = np.diag(vals[:, :m]).copy()
    Xjj = np.diag(X).copy()
    N = (pb[:, None] * X * X).sum(0) - Xjj**2 + D**2
    corr = (D - Xjj)[:, None] * X
    U = np.einsum("i,ij,il->jl", pb, X, X) + corr + corr.T
    nrm = np.sqrt(N)
    c = np.clip(U / (nrm[:, None] * nrm[None, :]), -1.0, 1.0)
    th = np.arccos(c)
    s_ss = np.sqrt(1.0 - c * c)
    ct = np.clip(X / nrm[None, :], -1.0, 1.0)  # neuron j with a generic teacher of block i
    s_t = np.sqrt(1.0 - ct * ct)
    s_own = np.sqrt(np.clip(1.0 - (D / nrm) ** 2, 0.0, 1.0))
    cnt_s = pb[:, None] - eye  # other neurons of block j' seen from block j (j' = column)
    ssum = (cnt_s.T * nrm[None, :] * s_ss).sum(1)  # sum_{r' != r} |w_r'| sin
    tsum = ((pb[:, None] - eye) * s_t).sum(0) + s_own
    diag = 0.5 + (ssum - tsum) / (TWO_PI * nrm)
    off = (np.pi - th) / TWO_PI  # M_rr' for r in block j, r' in block j'
    T = off * pb[None, :] + np.diag(diag - np.diag(off))  # M on block indicators (r in j) -> sum over j'
    lam = list(np.linalg.eigvals(T).real)
    for j in range(m):
        if pb[j] >= 2:
            lam.append(diag[j] - off[j, j])
    return np.sort(np.array(lam))


def summary(p, vals) -> dict:
    """Float estimates for one compact point."""
    theta = to_params(p, vals)
    hs = hessian_spectrum(p, vals)
    return {
        "loss": float(loss(p, theta)),
        "grad_norm": dense_gradient_norm(p, theta),
        "hessian_min_eigenvalue": float(hs[0]),
        "hessian_negative_eigenvalues": int(np.sum(hs < 0)),  # distinct values, not multiplicities
        "m_min_eigenvalue": float(m_spectrum(p, vals)[0]),
        "restricted_min_eigenvalue": float(restricted_spectrum(p, vals)[0]),
    }

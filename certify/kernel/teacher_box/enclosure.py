"""Rigorous enclosures of the teacher-student loss, gradient, Hessian and M, jointly over a box of
student points AND a box of teachers.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval (binary64 interval arithmetic with
proven outward rounding; acos through python-flint's arb) and numpy.

Problem (docs/teachers.md): n students W in R^{n x k} (rows w_i), a teacher S in R^{k x k} (rows
s_j, any matrix: the formulas do not use symmetry), input x ~ N(0, I_k),

    F_S(W) = 1/2 [ sum_{i,i'} f(w_i, w_i') - 2 sum_{i,j} f(w_i, s_j) + sum_{j,j'} f(s_j, s_j') ],
    f(w, v) = |w||v| (sin t + (pi - t) cos t) / (2 pi),  t = angle(w, v),  f(w, w) = |w|^2/2.

With g(w, v) = grad_w f(w, v) = (|v| sin t w^ + (pi - t) v) / (2 pi):

    grad_{w_i} F = w_i/2 + sum_{i' != i} g(w_i, w_i') - sum_j g(w_i, s_j)

and, with c = cos t, s = sin t, n_wv = (v^ - c w^)/s, m_wv = (w^ - c v^)/s,

    d_w g(w, v) = |v| s / (2 pi |w|) (I - w^ w^T + n_wv n_wv^T)
    d_v g(w, v) = ((pi - t) I + s (w^ v^T + n_wv m_wv^T)) / (2 pi)
    H_ii  = I/2 + sum_{i' != i} d_w g(w_i, w_i') - sum_j d_w g(w_i, s_j),   H_ii' = d_v g(w_i, w_i').

For the embedding into R^{n x d}, d > k, with the teacher [S, 0] (zeros in the new coordinates)
the Hessian at an embedded point is H plus (d - k) copies of the n x n matrix

    M_ii  = 1/2 + (sum_{i' != i} |w_i'| s_ii' - sum_j |s_j| s_ij) / (2 pi |w_i|),
    M_ii' = (pi - t_ii') / (2 pi).

These are the formulas of docs/spurious-minima.md with the teacher rows e_j replaced by s_j
(|s_j| no longer 1; the teacher-teacher constant now depends on S).  They hold where every
|w_i| > 0, |s_j| > 0 and every pair (w_i, w_i'), (w_i, s_j) has sin > 0.  ``enclose`` proves
those conditions on the whole joint box it is given (NotProven otherwise), so every enclosure it
returns contains the true value at every (W, S) of the box.

``want`` may also name "dsigma": the derivative of grad F with respect to the k(k+1)/2 free
entries sigma_e of a SYMMETRIC teacher, e = (j, l), j <= l in row-major order (S_jl = S_lj =
sigma_e).  Since the teacher part of grad_{w_i} F is -sum_j g(w_i, s_j),

    d grad_{w_i} F / d S_jl = -(d_v g(w_i, s_j))[:, l],
    d grad_{w_i} F / d sigma_e = -(d_v g(w_i, s_j))[:, l] - [j != l] (d_v g(w_i, s_l))[:, j],

returned as an (n*k, k(k+1)/2) interval matrix (rows in the order of the flattened W).
"dloss_sigma" is the derivative of F in sigma: with g(v, w) = grad_v f(v, w) (f is symmetric),

    dF/ds_j = s_j/2 + sum_{j' != j} g(s_j, s_j') - sum_i g(s_j, w_i),
    dF/dsigma_e = (dF/ds_j)_l + [j != l] (dF/ds_l)_j,

a (k(k+1)/2,) interval vector.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..interval import Interval, NotProven, pi as pi_enclosure


@dataclass
class Enclosures:
    loss: Interval | None = None
    grad: Interval | None = None  # (n, k)
    hess: Interval | None = None  # (n*k, n*k)
    m_matrix: Interval | None = None  # (n, n)
    dsigma: Interval | None = None  # (n*k, k(k+1)/2)
    dloss_sigma: Interval | None = None  # (k(k+1)/2,)


def free_entries(k: int) -> tuple[np.ndarray, np.ndarray]:
    """(j, l) of the free entries of a symmetric k x k matrix: j <= l, row-major."""
    return np.triu_indices(k)


def _clip_cos(c: Interval) -> Interval:
    """Intersect with [-1, 1] (a cosine lies there; sound and never empty unless c misses [-1, 1])."""
    lo = np.maximum(c.lo, -1.0)
    hi = np.minimum(c.hi, 1.0)
    if np.any(lo > hi):
        raise NotProven("cosine enclosure misses [-1, 1]")
    return Interval(lo, hi)


def _sumsq(A: Interval) -> Interval:
    """Row sums of squares of an (m, k) interval matrix -> (m,)."""
    return A.sqr().sum(axis=1)


def _unit_rows(A: Interval, what: str) -> tuple[Interval, Interval, Interval]:
    n2 = _sumsq(A)
    if np.any(n2.lo <= 0):
        raise NotProven(f"a {what} may be zero on the box (norm not bounded away from 0)")
    nrm = n2.sqrt()
    return n2, nrm, A / nrm.reshape(A.shape[0], 1)


def _student_pairs(X: Interval, nrm: Interval, what: Interval, PI: Interval):
    n = X.shape[0]
    I, J = np.nonzero(~np.eye(n, dtype=bool))  # row-major: pair p = (I[p], J[p]), i != i'
    if I.size == 0:
        return I, J, None, None, None
    dots = (X[I] * X[J]).sum(axis=1)
    c = _clip_cos(dots / (nrm[I] * nrm[J]))
    s2 = 1.0 - c.sqr()
    if np.any(s2.lo <= 0):
        raise NotProven("two student neurons may be parallel on the box")
    return I, J, c, s2.sqrt(), PI - c.acos()


def _teacher_pairs(what: Interval, shat: Interval, PI: Interval):
    n, k = what.shape
    c = _clip_cos((what.reshape(n, 1, k) * shat.reshape(1, k, k)).sum(axis=2))  # (n, k): cos(w_i, s_j)
    s2 = 1.0 - c.sqr()
    if np.any(s2.lo <= 0):
        raise NotProven("a student neuron may be parallel to a teacher neuron on the box")
    return c, s2.sqrt(), PI - c.acos()


def teacher_constant(T: Interval) -> Interval:
    """sum_{j,j'} f(s_j, s_j') over the teacher box T (k, k)."""
    k = T.shape[0]
    PI = pi_enclosure()
    tn2, tn, shat = _unit_rows(T, "teacher neuron")
    total = tn2.sum(axis=0) * 0.5
    if k > 1:
        I, J = np.nonzero(~np.eye(k, dtype=bool))
        c = _clip_cos((shat[I] * shat[J]).sum(axis=1))
        s = (1.0 - c.sqr()).sqrt()
        f = tn[I] * tn[J] * (s + (PI - c.acos()) * c) / (PI * 2.0)
        total = total + f.sum(axis=0)
    return total


def enclose(X: Interval, T: Interval, want: tuple[str, ...] = ("loss", "grad", "hess", "m")) -> Enclosures:
    """Enclosures over the joint box X (an (n, k) interval matrix of students) x T (a (k, k)
    interval matrix of teacher rows)."""
    n, k = X.shape
    if T.shape != (k, k):
        raise NotProven("teacher box has the wrong shape")
    PI = pi_enclosure()
    TWO_PI = PI * 2.0
    out = Enclosures()

    nrm2, nrm, what = _unit_rows(X, "student neuron")
    tn2, tn, shat = _unit_rows(T, "teacher neuron")
    c_t, s_t, pmt_t = _teacher_pairs(what, shat, PI)  # (n, k) each
    I, J, c_s, s_s, pmt_s = _student_pairs(X, nrm, what, PI)
    P = I.size

    def per_student(vals: Interval) -> Interval:
        return vals.reshape(n, n - 1, *vals.shape[1:]).sum(axis=1)

    if "loss" in want:
        f_t = nrm.reshape(n, 1) * tn.reshape(1, k) * (s_t + pmt_t * c_t) / TWO_PI  # f(w_i, s_j)
        total = nrm2.sum(axis=0) * 0.5 - f_t.reshape(n * k).sum(axis=0) * 2.0
        if P:
            f_s = nrm[I] * nrm[J] * (s_s + pmt_s * c_s) / TWO_PI
            total = total + f_s.sum(axis=0)
        out.loss = (total + teacher_constant(T)) * 0.5

    if "grad" in want:
        # sum_j g(w_i, s_j) = (w^_i sum_j |s_j| s_ij + sum_j (pi - t_ij) s_j) / (2 pi)
        tsum = (tn.reshape(1, k) * s_t).sum(axis=1).reshape(n, 1)
        tvec = (pmt_t.reshape(n, k, 1) * T.reshape(1, k, k)).sum(axis=1)  # (n, k)
        grad = X * 0.5 - (what * tsum + tvec) / TWO_PI
        if P:
            g_s = (what[I] * (nrm[J] * s_s).reshape(P, 1) + X[J] * pmt_s.reshape(P, 1)) / TWO_PI
            grad = grad + per_student(g_s)
        out.grad = grad

    if "hess" in want:
        eye = Interval.point(np.eye(k))
        proj = eye - what.reshape(n, k, 1) * what.reshape(n, 1, k)  # I - w^ w^T
        beta = tn.reshape(1, k) * s_t / (TWO_PI * nrm.reshape(n, 1))  # (n, k)
        n_t = (shat.reshape(1, k, k) - c_t.reshape(n, k, 1) * what.reshape(n, 1, k)) / s_t.reshape(n, k, 1)
        diag = (beta.reshape(n, k, 1, 1) * _outer(n_t)).sum(axis=1) * -1.0  # (n, k, k)
        coef = beta.sum(axis=1) * -1.0
        if P:
            alpha = nrm[J] * s_s / (TWO_PI * nrm[I])
            n_s = (what[J] - c_s.reshape(P, 1) * what[I]) / s_s.reshape(P, 1)
            m_s = (what[I] - c_s.reshape(P, 1) * what[J]) / s_s.reshape(P, 1)
            diag = diag + per_student(alpha.reshape(P, 1, 1) * _outer(n_s))
            coef = coef + per_student(alpha)
            off = (
                eye.reshape(1, k, k) * pmt_s.reshape(P, 1, 1)
                + (what[I].reshape(P, k, 1) * what[J].reshape(P, 1, k) + n_s.reshape(P, k, 1) * m_s.reshape(P, 1, k))
                * s_s.reshape(P, 1, 1)
            ) / TWO_PI
        diag = diag + proj * coef.reshape(n, 1, 1) + Interval.point(0.5 * np.eye(k)).reshape(1, k, k)
        lo = np.zeros((n, k, n, k))
        hi = np.zeros((n, k, n, k))
        ar = np.arange(n)
        lo[ar, :, ar, :] = diag.lo
        hi[ar, :, ar, :] = diag.hi
        if P:
            lo[I, :, J, :] = off.lo
            hi[I, :, J, :] = off.hi
        out.hess = Interval(lo.reshape(n * k, n * k), hi.reshape(n * k, n * k))

    if "m" in want:
        num = (tn.reshape(1, k) * s_t).sum(axis=1) * -1.0
        if P:
            num = num + per_student(nrm[J] * s_s)
        mdiag = num / (TWO_PI * nrm) + 0.5
        lo = np.zeros((n, n))
        hi = np.zeros((n, n))
        ar = np.arange(n)
        lo[ar, ar] = mdiag.lo
        hi[ar, ar] = mdiag.hi
        if P:
            moff = pmt_s / TWO_PI
            lo[I, J] = moff.lo
            hi[I, J] = moff.hi
        out.m_matrix = Interval(lo, hi)

    if "dsigma" in want:
        # column l of d_v g(w_i, s_j): ((pi - t_ij) e_l + s_ij (w^_i sh_jl + n_ij m_ijl)) / (2 pi)
        n_t = (shat.reshape(1, k, k) - c_t.reshape(n, k, 1) * what.reshape(n, 1, k)) / s_t.reshape(n, k, 1)
        m_t = (what.reshape(n, 1, k) - c_t.reshape(n, k, 1) * shat.reshape(1, k, k)) / s_t.reshape(n, k, 1)
        # col[i, j, p, l]
        rank2 = (what.reshape(n, 1, k, 1) * shat.reshape(1, k, 1, k)
                 + n_t.reshape(n, k, k, 1) * m_t.reshape(n, k, 1, k)) * s_t.reshape(n, k, 1, 1)
        eye4 = np.zeros((1, 1, k, k))
        eye4[0, 0] = np.eye(k)
        col = (rank2 + Interval.point(eye4) * pmt_t.reshape(n, k, 1, 1)) / TWO_PI
        jj, ll = free_entries(k)
        d = col[:, jj, :, ll] * -1.0  # (E, n, p): -(d_v g(w_i, s_j))[p, l]
        off = jj != ll
        extra = col[:, ll[off], :, jj[off]]  # (E_off, n, p): (d_v g(w_i, s_l))[p, j]
        lo, hi = d.lo.copy(), d.hi.copy()
        e2 = d[off] - extra
        lo[off], hi[off] = e2.lo, e2.hi
        E = jj.size
        out.dsigma = Interval(lo.reshape(E, n * k).T.copy(), hi.reshape(E, n * k).T.copy())

    if "dloss_sigma" in want:
        # g(s_j, w_i) = (|w_i| sin t_ij sh_j + (pi - t_ij) w_i) / (2 pi)
        a = (nrm.reshape(n, 1) * s_t).sum(axis=0).reshape(k, 1)  # sum_i |w_i| s_ij
        b = (pmt_t.reshape(n, k, 1) * X.reshape(n, 1, k)).sum(axis=0)  # sum_i (pi - t_ij) w_i, (k, k)
        dF = T * 0.5 - (shat * a + b) / TWO_PI
        if k > 1:
            I2, J2 = np.nonzero(~np.eye(k, dtype=bool))
            c = _clip_cos((shat[I2] * shat[J2]).sum(axis=1))
            s2 = 1.0 - c.sqr()
            if np.any(s2.lo <= 0):
                raise NotProven("two teacher neurons may be parallel on the box")
            st = s2.sqrt()
            gtt = (shat[I2] * (tn[J2] * st).reshape(-1, 1) + T[J2] * (PI - c.acos()).reshape(-1, 1)) / TWO_PI
            dF = dF + gtt.reshape(k, k - 1, k).sum(axis=1)
        jj, ll = free_entries(k)
        d = dF[jj, ll]
        off = jj != ll
        lo, hi = d.lo.copy(), d.hi.copy()
        e2 = d[off] + dF[ll[off], jj[off]]
        lo[off], hi[off] = e2.lo, e2.hi
        out.dloss_sigma = Interval(lo, hi)
    return out


def _outer(v: Interval) -> Interval:
    """v v^T for a stack of vectors (..., k) -> (..., k, k); squares on the diagonal (tighter)."""
    k = v.shape[-1]
    out = v.reshape(*v.shape, 1) * v.reshape(*v.shape[:-1], 1, k)
    sq = v.sqr()
    lo, hi = out.lo.copy(), out.hi.copy()
    ar = np.arange(k)
    lo[..., ar, ar] = sq.lo
    hi[..., ar, ar] = sq.hi
    return Interval(lo, hi)

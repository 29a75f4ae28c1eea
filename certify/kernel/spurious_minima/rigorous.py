"""Rigorous enclosures of the teacher-student loss, gradient, Hessian and M.

TRUSTED (docs/trust.md).  Imports only certify.interval (binary64 interval
arithmetic with proven outward rounding; acos through python-flint's arb).

Problem (docs/spurious-minima.md): student W in R^{n x k} (rows w_i),
teacher V = I_k (rows v_j = e_j), input x ~ N(0, I_k),

    F(W) = 1/2 E[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2]
         = 1/2 [ sum_{i,i'} f(w_i, w_i') - 2 sum_{i,j} f(w_i, v_j) + sum_{j,j'} f(v_j, v_j') ],
    f(w, v) = |w||v| (sin t + (pi - t) cos t) / (2 pi),  t = angle(w, v),  f(w, w) = |w|^2/2.

With g(w, v) = grad_w f(w, v) = (|v| sin t w^ + (pi - t) v) / (2 pi):

    grad_{w_i} F = w_i/2 + sum_{i' != i} g(w_i, w_i') - sum_j g(w_i, v_j)

and, with c = cos t, s = sin t, n_wv = (v^ - c w^)/s, m_wv = (w^ - c v^)/s,

    d_w g(w, v) = |v| s / (2 pi |w|) (I - w^ w^T + n_wv n_wv^T)
    d_v g(w, v) = ((pi - t) I + s (w^ v^T + n_wv m_wv^T)) / (2 pi)
    H_ii  = I/2 + sum_{i' != i} d_w g(w_i, w_i') - sum_j d_w g(w_i, v_j),   H_ii' = d_v g(w_i, w_i').

For the embedding into R^{n x d}, d > k (zeros in the new coordinates), the
Hessian is H plus (d - k) copies of the n x n matrix

    M_ii  = 1/2 + (sum_{i' != i} |w_i'| s_ii' - sum_j s_ij) / (2 pi |w_i|),
    M_ii' = (pi - t_ii') / (2 pi).

These formulas hold where every |w_i| > 0 and every pair (w_i, w_i'),
(w_i, v_j) has s > 0 (F is real-analytic there).  ``enclose`` proves those
conditions on the whole box it is given (NotProven otherwise), so every
enclosure it returns contains the true value at every point of the box.
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


def enclose(X: Interval, want: tuple[str, ...] = ("loss", "grad", "hess", "m")) -> Enclosures:
    """Enclosures over the box X (an (n, k) interval matrix) for teacher V = I_k."""
    n, k = X.shape
    PI = pi_enclosure()
    TWO_PI = PI * 2.0
    out = Enclosures()

    nrm2 = X.sqr().sum(axis=1)  # (n,)
    if np.any(nrm2.lo <= 0):
        raise NotProven("a student neuron may be zero on the box (|w_i| not bounded away from 0)")
    nrm = nrm2.sqrt()
    what = X / nrm.reshape(n, 1)  # unit vectors w^_i, (n, k)

    # ---- teacher pairs (i, j): v_j = e_j, |v_j| = 1, cos = w_ij / |w_i|
    c_t = what  # (n, k)
    s2_t = 1.0 - c_t.sqr()
    if np.any(s2_t.lo <= 0):
        raise NotProven("a student neuron may be parallel to a teacher neuron on the box")
    s_t = s2_t.sqrt()
    th_t = c_t.acos()
    pmt_t = PI - th_t  # pi - theta, (n, k)

    # ---- student pairs (i, i'), i != i', in row-major order: pair p = (I[p], J[p])
    I, J = np.nonzero(~np.eye(n, dtype=bool))
    P = I.size
    if P:
        dots = (X[I] * X[J]).sum(axis=1)  # (P,)
        c_s = dots / (nrm[I] * nrm[J])
        s2_s = 1.0 - c_s.sqr()
        if np.any(s2_s.lo <= 0):
            raise NotProven("two student neurons may be parallel on the box")
        s_s = s2_s.sqrt()
        th_s = c_s.acos()
        pmt_s = PI - th_s

    def per_student(vals: Interval) -> Interval:
        """Sum over i' != i of a pair quantity of shape (P, ...) -> (n, ...)."""
        return vals.reshape(n, n - 1, *vals.shape[1:]).sum(axis=1)

    if "loss" in want:
        f_t = nrm.reshape(n, 1) * (s_t + pmt_t * c_t) / TWO_PI  # f(w_i, e_j)
        total = nrm2.sum(axis=0) * 0.5 - f_t.reshape(n * k).sum(axis=0) * 2.0
        if P:
            f_s = nrm[I] * nrm[J] * (s_s + pmt_s * c_s) / TWO_PI
            total = total + f_s.sum(axis=0)
        teacher_const = 0.5 * k + (k * (k - 1)) / TWO_PI if k > 1 else Interval.point(0.5 * k)
        out.loss = (total + teacher_const) * 0.5

    if "grad" in want:
        # teacher part: sum_j g(w_i, e_j) = (w^_i sum_j s_ij + (pi - theta_i.)) / (2 pi)
        tsum = s_t.sum(axis=1).reshape(n, 1)
        grad = X * 0.5 - (what * tsum + pmt_t) / TWO_PI
        if P:
            g_s = (what[I] * (nrm[J] * s_s).reshape(P, 1) + X[J] * pmt_s.reshape(P, 1)) / TWO_PI
            grad = grad + per_student(g_s)
        out.grad = grad

    if "hess" in want:
        eye = np.eye(k)
        proj = Interval.point(eye) - what.reshape(n, k, 1) * what.reshape(n, 1, k)  # I - w^w^T
        # teacher: beta_ij = s_ij / (2 pi |w_i|), n_ij = (e_j - c_ij w^_i) / s_ij
        beta = s_t / (TWO_PI * nrm.reshape(n, 1))  # (n, k)
        n_t = (Interval.point(eye).reshape(1, k, k) - c_t.reshape(n, k, 1) * what.reshape(n, 1, k)) / s_t.reshape(n, k, 1)
        nn_t = n_t.reshape(n, k, k, 1) * n_t.reshape(n, k, 1, k)  # (n, j, k, k)
        diag = (beta.reshape(n, k, 1, 1) * nn_t).sum(axis=1) * -1.0  # (n, k, k)
        coef = beta.sum(axis=1) * -1.0  # (n,)
        if P:
            alpha = nrm[J] * s_s / (TWO_PI * nrm[I])  # (P,)
            n_s = (what[J] - c_s.reshape(P, 1) * what[I]) / s_s.reshape(P, 1)  # n_{w_i w_i'}
            m_s = (what[I] - c_s.reshape(P, 1) * what[J]) / s_s.reshape(P, 1)  # m_{w_i w_i'}
            nn_s = n_s.reshape(P, k, 1) * n_s.reshape(P, 1, k)
            diag = diag + per_student(alpha.reshape(P, 1, 1) * nn_s)
            coef = coef + per_student(alpha)
            off = (
                Interval.point(eye).reshape(1, k, k) * pmt_s.reshape(P, 1, 1)
                + (what[I].reshape(P, k, 1) * what[J].reshape(P, 1, k) + n_s.reshape(P, k, 1) * m_s.reshape(P, 1, k))
                * s_s.reshape(P, 1, 1)
            ) / TWO_PI
        diag = diag + proj * coef.reshape(n, 1, 1) + Interval.point(0.5 * eye).reshape(1, k, k)
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
        num = s_t.sum(axis=1) * -1.0  # (n,)
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
    return out

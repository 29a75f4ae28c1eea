"""Loss, gradient and Hessian of the teacher-student objective, in floating point.

UNTRUSTED (search side).  Batched over many points and written once for
numpy and cupy: the array module follows the input.  Formulas:
docs/spurious-minima.md (the same as certify/kernel/teacher_student.py, which is
the trusted, independent implementation).

Shapes: W is (B, n, d) (a batch of students), V is (k, d) (the teacher).
"""
from __future__ import annotations

import math

from ..arrays import array_module

TWO_PI = 2.0 * math.pi


def identity_teacher(k: int, d: int | None = None, xp=None):
    """V = [I_k, 0] in R^{k x d} (orthonormal teacher)."""
    import numpy as np

    xp = xp or np
    d = k if d is None else d
    V = xp.zeros((k, d))
    V[:, :k] = xp.eye(k)
    return V


def _pairs(W, V):
    """Norms, cosines, sines and angles of all (student, student) and (student, teacher) pairs."""
    xp = array_module(W)
    nw = xp.sqrt(xp.sum(W * W, axis=-1))  # (B, n)
    nv = xp.sqrt(xp.sum(V * V, axis=-1))  # (k,)
    c_ss = xp.clip((W @ xp.swapaxes(W, -1, -2)) / (nw[..., :, None] * nw[..., None, :]), -1.0, 1.0)
    c_st = xp.clip((W @ V.T) / (nw[..., :, None] * nv[None, None, :]), -1.0, 1.0)
    return nw, nv, c_ss, c_st


def loss(W, V):
    """F(W) for each point of the batch, shape (B,)."""
    xp = array_module(W)
    nw, nv, c_ss, c_st = _pairs(W, V)
    th_ss, th_st = xp.arccos(c_ss), xp.arccos(c_st)
    s_ss, s_st = xp.sqrt(1.0 - c_ss**2), xp.sqrt(1.0 - c_st**2)
    n = W.shape[-2]
    off = 1.0 - xp.eye(n)
    f_ss = nw[..., :, None] * nw[..., None, :] * (s_ss + (math.pi - th_ss) * c_ss) / TWO_PI
    f_ss = f_ss * off + xp.eye(n) * (nw[..., :, None] ** 2) / 2.0
    f_st = nw[..., :, None] * nv * (s_st + (math.pi - th_st) * c_st) / TWO_PI
    cv = xp.clip((V @ V.T) / (nv[:, None] * nv[None, :]), -1.0, 1.0)
    th_vv = xp.arccos(cv)
    f_vv = nv[:, None] * nv[None, :] * (xp.sqrt(1.0 - cv**2) + (math.pi - th_vv) * cv) / TWO_PI
    kk = V.shape[0]
    f_vv = f_vv * (1.0 - xp.eye(kk)) + xp.eye(kk) * (nv[:, None] ** 2) / 2.0
    return 0.5 * (f_ss.sum(axis=(-1, -2)) - 2.0 * f_st.sum(axis=(-1, -2)) + f_vv.sum())


def gradient(W, V):
    """grad F at each point, shape (B, n, d)."""
    xp = array_module(W)
    nw, nv, c_ss, c_st = _pairs(W, V)
    n = W.shape[-2]
    off = 1.0 - xp.eye(n)
    s_ss = xp.sqrt(1.0 - c_ss**2) * off
    s_st = xp.sqrt(1.0 - c_st**2)
    A = (math.pi - xp.arccos(c_ss)) * off  # (B, n, n)
    C = math.pi - xp.arccos(c_st)  # (B, n, k)
    coef = (xp.sum(s_ss * nw[..., None, :], axis=-1) - xp.sum(s_st * nv, axis=-1)) / TWO_PI
    what = W / nw[..., None]
    return 0.5 * W + coef[..., None] * what + (A @ W - C @ V) / TWO_PI


def hessian(W, V):
    """Hessian of F at each point, shape (B, n*d, n*d) (row-major in (i, coordinate))."""
    xp = array_module(W)
    B, n, d = W.shape
    nw, nv, c_ss, c_st = _pairs(W, V)
    eye_n = xp.eye(n)
    off = 1.0 - eye_n
    s_ss = xp.sqrt(1.0 - c_ss**2)
    s_st = xp.sqrt(1.0 - c_st**2)
    th_ss = xp.arccos(c_ss)
    what = W / nw[..., None]  # (B, n, d)
    vhat = V / nv[:, None]  # (k, d)
    eye_d = xp.eye(d)
    proj = eye_d - what[..., :, None] * what[..., None, :]  # (B, n, d, d)

    safe_s = xp.where(off > 0, s_ss, 1.0)
    # n_{w_i w_i'} = (w^_i' - c w^_i)/s : (B, i, i', d)
    n_ss = (what[:, None, :, :] - c_ss[..., None] * what[:, :, None, :]) / safe_s[..., None]
    m_ss = (what[:, :, None, :] - c_ss[..., None] * what[:, None, :, :]) / safe_s[..., None]
    alpha = nw[:, None, :] * s_ss / (TWO_PI * nw[:, :, None]) * off  # (B, i, i')
    n_st = (vhat[None, None, :, :] - c_st[..., None] * what[:, :, None, :]) / s_st[..., None]  # (B, i, j, d)
    beta = nv[None, None, :] * s_st / (TWO_PI * nw[:, :, None])  # (B, i, j)

    coef = alpha.sum(axis=-1) - beta.sum(axis=-1)  # (B, n)
    diag = 0.5 * eye_d + coef[..., None, None] * proj
    # sum_j alpha_ij n_ij n_ij^T as a batched matrix product (B, i, d, j) @ (B, i, j, d)
    diag = diag + xp.swapaxes(n_ss * alpha[..., None], -1, -2) @ n_ss
    diag = diag - xp.swapaxes(n_st * beta[..., None], -1, -2) @ n_st

    # off-diagonal blocks: ((pi - t) I + s (w^_i w^_i'^T + n m^T)) / (2 pi), the rank-2 part as one matmul
    left = xp.stack([xp.broadcast_to(what[:, :, None, :], n_ss.shape), n_ss], axis=-1)  # (B, i, i', d, 2)
    right = xp.stack([xp.broadcast_to(what[:, None, :, :], m_ss.shape), m_ss], axis=-1)
    H = (left * (s_ss / TWO_PI)[..., None, None]) @ xp.swapaxes(right, -1, -2)  # (B, i, i', d, d)
    ar_d = xp.arange(d)
    H[..., ar_d, ar_d] += ((math.pi - th_ss) / TWO_PI)[..., None]
    ar_n = xp.arange(n)
    H[:, ar_n, ar_n] = diag
    return H.transpose(0, 1, 3, 2, 4).reshape(B, n * d, n * d)


def m_matrix(W, V):
    """The n x n matrix M (Hessian block of each extra input coordinate), shape (B, n, n)."""
    xp = array_module(W)
    nw, nv, c_ss, c_st = _pairs(W, V)
    n = W.shape[-2]
    eye_n = xp.eye(n)
    off = 1.0 - eye_n
    s_ss = xp.sqrt(1.0 - c_ss**2) * off
    s_st = xp.sqrt(1.0 - c_st**2)
    num = xp.sum(s_ss * nw[..., None, :], axis=-1) - xp.sum(s_st * nv, axis=-1)
    diag = 0.5 + num / (TWO_PI * nw)
    return (math.pi - xp.arccos(c_ss)) / TWO_PI * off + eye_n * diag[..., None, :]

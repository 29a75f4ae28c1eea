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

from ..interval import Interval, NotProven, SymmetricMidRad, gamma_upper, pi as pi_enclosure, symmetric_part
from ..interval import round_down as _down, round_up as _up


@dataclass
class Enclosures:
    loss: Interval | None = None
    grad: Interval | None = None  # (n, k)
    hess: SymmetricMidRad | None = None  # (n*k, n*k): midpoint and radius-norm bound
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
        total = nrm2.sum_pairwise(axis=0) * 0.5 - f_t.reshape(n * k).sum_pairwise(axis=0) * 2.0
        if P:
            f_s = nrm[I] * nrm[J] * (s_s + pmt_s * c_s) / TWO_PI
            total = total + f_s.sum_pairwise(axis=0)
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
        if P:
            out.hess = _hessian(X, nrm, what, s_t, c_t, I, J, c_s, s_s, pmt_s, PI, TWO_PI)
        else:
            out.hess = _hessian_single(X, nrm, what, s_t, c_t, TWO_PI)

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



# --------------------------------------------------------------------------- the Hessian, dense

# Every factor used below is at most 2^50 in magnitude (checked), and an entry takes at most
# 2n + 10 < 2^20 roundings; an underflow adds at most eta/2 = 2^-1075 per rounding, multiplied
# by at most two further factors: at most 2^20 * 2^-1075 * 2^100 < 2^-900 per entry.
_MAX_FACTOR = 2.0**50
_TINY = 2.0**-900




def _umul(a, b):
    """Upper bound of a*b for nonnegative a, b (broadcasting)."""
    return _up(np.multiply(a, b))


def _uadd(*terms):
    acc = terms[0]
    for t in terms[1:]:
        acc = _up(np.add(acc, t))
    return acc


def _usum(a, axis):
    """Upper bound of the sum of nonnegative values along an axis (a loop of rounded-up additions)."""
    a = np.moveaxis(np.asarray(a, dtype=np.float64), axis, 0)
    acc = a[0].copy() if a.shape[0] else np.zeros(a.shape[1:])
    for t in range(1, a.shape[0]):
        acc = _up(acc + a[t])
    return acc


def _umatmul(a, b):
    """Upper bound of a @ b for nonnegative a (n, m) and b (m, ...), term by term, rounded up."""
    return _usum(_umul(a.T.reshape(a.shape[1], a.shape[0], *([1] * (b.ndim - 1))), b[:, None]), 0)


def _inflate(f, m):
    """For F = fl(sum of m products of nonnegative factors, any order, <= m roundings per term):
    exact <= F (1 + 2 gamma_m) + tiny (docs/spurious-minima.md, "Rounding of the dense Hessian")."""
    return _up(_up(f * _up(1.0 + 2.0 * gamma_upper(m))) + _TINY)


def _guard(*arrays):
    for a in arrays:
        if not np.all(np.isfinite(a)) or (a.size and float(np.max(np.abs(a))) > _MAX_FACTOR):
            raise NotProven("Hessian factors not finite or above 2^50 (point too close to a non-smooth point)")


def gram_enclosure(wm, wr, vm, vr) -> tuple[np.ndarray, np.ndarray]:
    """Midpoint-radius enclosure of G_i = sum_l w_il v_il v_il^T (p, q entries) for every
    w_il in [wm - wr, wm + wr] and v_il in [vm - vr, vm + vr] (wm, wr: (n, m); vm, vr: (n, m, k)).

    Returns (mid, err), mid = fl(V_i^T diag(wm_i) V_i) by BLAS (any order), err >= |G_i - mid|
    entrywise.  Proof (docs/spurious-minima.md, "Rounding of the dense Hessian"): with
    a-bar = |am| + ar, |w v_p v_q - wm vm_p vm_q| <= wr vb_p vb_q + |wm| (vr_p vb_q + |vm_p| vr_q);
    the computed mid has error <= gamma_{m+1} sum |wm| |vm_p| |vm_q| (one product, then a
    length-m dot product); each nonnegative sum S is computed as fl(S) and bounded by
    fl(S) (1 + 2 gamma_{m+1}) + 2^-900 (underflow), rounded up."""
    wa, va = np.abs(wm), np.abs(vm)
    vb = _up(va + vr)
    m_ops = wm.shape[1] + 1

    def bmm(coef, left, right):  # fl(sum_l coef[i, l] left[i, l, p] right[i, l, q]), (n, k, k)
        return np.matmul((coef[:, :, None] * left).transpose(0, 2, 1), right)

    mid = bmm(wm, vm, vm)
    err = _uadd(_inflate(bmm(wr, vb, vb), m_ops), _inflate(bmm(wa, vr, vb), m_ops),
                _inflate(bmm(wa, va, vr), m_ops),
                _umul(gamma_upper(m_ops), _inflate(bmm(wa, va, va), m_ops)))
    return mid, err


def _hessian(X, nrm, what, s_t, c_t, I, J, c_s, s_s, pmt_s, PI, TWO_PI) -> SymmetricMidRad:
    """The Hessian over the box, as an exactly symmetric midpoint and a proven bound on the 2-norm
    of its radius (docs/spurious-minima.md, "The dense Hessian check", with the error analysis).

    Block form (x = w^_i, y = w^_i', c, s, theta of the pair; n = (y - c x)/s, m = (x - c y)/s):
      H_ii' = a I + sigma (x y^T + n m^T),  a = (pi - theta)/(2 pi), sigma = s/(2 pi);
      H_ii  = (1/2 + A_i) I - A_i x x^T + sum_l omega_il u_il u_il^T
    with A_i = sum_i' alpha_ii' - sum_j beta_ij, alpha_ii' = |w_i'| s/(2 pi |w_i|),
    beta_ij = s_ij/(2 pi |w_i|); (omega, u) = (alpha_ii', n_ii') over students and
    (-beta_ij, n_ij = (e_j - c_ij x)/s_ij) over teachers.
    Off-diagonal blocks: midpoints for i < i' only (block rows, O(n k^2) temporaries), mirrored
    (H_i'i = H_ii'^T); their radius is never formed: its row sums are bounded from O(n^2 k)
    numbers.  Diagonal blocks: interval arithmetic plus one BLAS Gram sum with a proven bound."""
    n, k = X.shape
    N = n * k
    P = I.size
    TWO_PI_NRM = TWO_PI * nrm  # (n,)

    # ---- per ordered pair (P,) and per (student, teacher) scalars, intervals
    a_p = pmt_s / TWO_PI
    sig_p = s_s / TWO_PI
    alpha = nrm[J] * s_s / TWO_PI_NRM[I]  # (P,)
    beta = s_t / TWO_PI_NRM.reshape(n, 1)  # (n, k)
    A = alpha.reshape(n, n - 1).sum(axis=1) - beta.sum(axis=1)  # (n,)
    # unit vectors n_ii' = (w^_i' - c w^_i)/s and n_ij = (e_j - c_ij w^_i)/s_ij, stacked per student i
    n_s = (what[J] - c_s.reshape(P, 1) * what[I]) / s_s.reshape(P, 1)  # (P, k)
    m_s = (what[I] - c_s.reshape(P, 1) * what[J]) / s_s.reshape(P, 1)  # (P, k)
    n_t = (Interval.point(np.eye(k)).reshape(1, k, k) - c_t.reshape(n, k, 1) * what.reshape(n, 1, k)) \
        / s_t.reshape(n, k, 1)  # (n, k, k)
    m = n - 1 + k
    vec_lo = np.concatenate([n_s.lo.reshape(n, n - 1, k), n_t.lo], axis=1)  # (n, m, k)
    vec_hi = np.concatenate([n_s.hi.reshape(n, n - 1, k), n_t.hi], axis=1)
    wt_lo = np.concatenate([alpha.lo.reshape(n, n - 1), -beta.hi], axis=1)  # weights alpha, -beta
    wt_hi = np.concatenate([alpha.hi.reshape(n, n - 1), -beta.lo], axis=1)

    def square(vals: Interval) -> tuple[np.ndarray, np.ndarray]:
        """(mid, rad) of an (n, n) symmetric array from ordered-pair values, zero diagonal: the
        value of the pair i < i' is used for both (i, i') and (i', i)."""
        mv, rv = vals.mid_rad()
        mid = np.zeros((n, n))
        rad = np.zeros((n, n))
        up = I < J
        for (r, c) in ((I[up], J[up]), (J[up], I[up])):
            mid[r, c] = mv[up]
            rad[r, c] = rv[up]
        return mid, rad

    am, ar = square(a_p)
    sm, sr = square(sig_p)
    # n_ii', m_ii' for every ordered pair from the pair i < i' (n_i'i = m_ii', m_i'i = n_ii'), (n, n, k)
    up = I < J
    (nm_, nr_), (mm_, mr_) = n_s.mid_rad(), m_s.mid_rad()
    Nm, Nr, Mm, Mr = (np.zeros((n, n, k)) for _ in range(4))
    for dst, a_src, b_src in ((Nm, nm_, mm_), (Nr, nr_, mr_), (Mm, mm_, nm_), (Mr, mr_, nr_)):
        dst[I[up], J[up]] = a_src[up]
        dst[J[up], I[up]] = b_src[up]
    xm, xr = what.mid_rad()
    xa = np.abs(xm)
    xb = _up(xa + xr)  # >= |w^| on the box
    vm, vr = Interval(vec_lo, vec_hi, _checked=True).mid_rad()
    wm, wr = Interval(wt_lo, wt_hi, _checked=True).mid_rad()
    Na, Ma = np.abs(Nm), np.abs(Mm)
    Nb, Mb = _up(Na + Nr), _up(Ma + Mr)
    _guard(am, ar, sm, sr, xm, xr, xb, Nm, Nr, Nb, Mm, Mr, Mb, vm, vr, _up(np.abs(vm) + vr), wm, wr)
    sma, ama = np.abs(sm), np.abs(am)

    # ---- diagonal blocks: sum_l w_il v_il v_il^T by BLAS with a proven bound, the rest in intervals
    gram_mid, err = gram_enclosure(wm, wr, vm, vr)
    _guard(gram_mid, err)
    gram = Interval(_down(gram_mid - err), _up(gram_mid + err))
    eye = np.eye(k)
    XX = what.reshape(n, k, 1) * what.reshape(n, 1, k)
    diag_iv = (gram - XX * A.reshape(n, 1, 1)
               + Interval.point(eye).reshape(1, k, k) * (A + 0.5).reshape(n, 1, 1))
    lo = np.maximum(diag_iv.lo, diag_iv.lo.transpose(0, 2, 1))  # the true blocks are symmetric
    hi = np.minimum(diag_iv.hi, diag_iv.hi.transpose(0, 2, 1))
    if np.any(lo > hi):
        raise NotProven("Hessian diagonal block enclosure contains no symmetric matrix")
    dmid, drad = Interval(lo, hi, _checked=True).mid_rad()
    row_rad = _usum(drad, 2)  # (n, k): row sums of the diagonal blocks' radii

    # ---- off-diagonal blocks: midpoint, by block rows, i < i' only, mirrored
    mid = np.empty((N, N))
    for i in range(n):
        r0, r1 = i * k, (i + 1) * k
        mid[r0:r1, r0:r1] = dmid[i]
        if i == n - 1:
            break
        js = slice(i + 1, n)
        zb = sm[i, js, None] * xm[js]  # fl(sigma y), (m, k)
        chunk = xm[i][:, None, None] * zb[None]  # x_p (sigma y_q): (k, m, k)
        zb = sm[i, js, None] * Mm[i, js]  # fl(sigma m)
        chunk += Nm[i, js].T[:, :, None] * zb[None]  # n_p (sigma m_q)
        diag_idx = np.arange(k)
        chunk[diag_idx, :, diag_idx] += am[i, js][None, :]
        mid[r0:r1, r1:] = chunk.reshape(k, -1)
        mid[r1:, r0:r1] = chunk.transpose(1, 2, 0).reshape(-1, k)  # the mirror image (k x k transposes)

    # ---- row sums of the off-diagonal radius (symmetric by construction; docs for the terms)
    S_xb, S_xa, S_xr = _usum(xb, 1), _usum(xa, 1), _usum(xr, 1)  # (n,)
    S_mb, S_ma, S_mr = _usum(Mb, 2), _usum(Ma, 2), _usum(Mr, 2)  # (n, n)
    col = lambda vec: vec[:, None]  # noqa: E731
    # a delta_pq
    off = np.broadcast_to(col(_usum(ar, 1)), (n, k)).copy()
    # sigma x_p y_q: sr xbar ybar + |sm| (xr |ym| + |xm| yr + xr yr)
    off = _uadd(off, _umul(xb, col(_umatmul(sr, S_xb))),
                _umul(xr, col(_umatmul(sma, _uadd(S_xa, S_xr)))),
                _umul(xa, col(_umatmul(sma, S_xr))))
    # sigma n_p m_q: sr nbar mbar + |sm| (nr |mm| + |nm| mr + nr mr), summed over i'
    off = _uadd(off, _usum(_umul(Nb, (_umul(sr, S_mb))[:, :, None]), 1),
                _usum(_umul(Nr, _umul(sma, _uadd(S_ma, S_mr))[:, :, None]), 1),
                _usum(_umul(Na, _umul(sma, S_mr)[:, :, None]), 1))
    # rounding of the midpoint: gamma_6 times the row sums of |terms| at the midpoint
    absrow = _uadd(col(_usum(ama, 1)), _umul(xa, col(_umatmul(sma, S_xa))),
                   _usum(_umul(Na, _umul(sma, S_ma)[:, :, None]), 1))
    off = _uadd(off, _umul(gamma_upper(6), absrow), _umul(float(N), _TINY))
    total = _uadd(row_rad, off)
    if not np.all(np.isfinite(total)):
        raise NotProven("non-finite Hessian radius bound")
    rad_norm = float(np.max(total))  # ||R||_2 <= ||R||_inf for the symmetric nonnegative radius R
    return SymmetricMidRad(mid, rad_norm)


def _hessian_single(X, nrm, what, s_t, c_t, TWO_PI) -> SymmetricMidRad:
    """n = 1: the Hessian is the one diagonal block (no student pairs)."""
    n, k = X.shape
    TWO_PI_NRM = TWO_PI * nrm
    beta = s_t / TWO_PI_NRM.reshape(n, 1)
    h = 1.0 / (TWO_PI_NRM.reshape(n, 1) * s_t)
    t = h * c_t
    A = beta.sum(axis=1) * -1.0
    kappa = (h * c_t.sqr()).sum(axis=1) * -1.0 - A
    v = t * -1.0
    eye = np.eye(k)
    blk = (what.reshape(n, k, 1) * what.reshape(n, 1, k) * kappa.reshape(n, 1, 1)
           - what.reshape(n, k, 1) * v.reshape(n, 1, k) - v.reshape(n, k, 1) * what.reshape(n, 1, k)
           + Interval.point(eye).reshape(1, k, k) * (A + 0.5).reshape(n, 1, 1)
           - Interval.point(eye).reshape(1, k, k) * h.reshape(n, 1, k))
    s = symmetric_part(blk.reshape(k, k))
    m, r = s.mid_rad()
    rows = _usum(r, 1)
    return SymmetricMidRad(m, float(np.max(rows)))

"""The two-layer ReLU teacher-student loss: rigorous enclosures of F, grad F, the Hessian H and the
extra-dimension matrix M over a box of students, for a teacher given exactly or as a box.

TRUSTED (docs/trust.md).  The one implementation of the loss in the kernel: the dense
(``relu-spurious-minimum``), teacher-box and one-more-neuron kinds all call it.  Imports only the
kernel's interval arithmetic (binary64, proven outward rounding; acos through python-flint's arb)
and numpy.  (The symmetric kind evaluates the same loss in the compact parameters of a fixed-point
space; tests/spurious_symmetric cross-checks those formulas against this module.)

Problem (docs/spurious-minima.md): students W in R^{n x k} (rows w_i), teacher rows s_1..s_t in
R^k (the identity teacher is s_j = e_j, t = k), input x ~ N(0, I_k):

    F(W) = 1/2 [ sum_{i,i'} f(w_i, w_i') - 2 sum_{i,j} f(w_i, s_j) + sum_{j,j'} f(s_j, s_j') ],
    f(w, v) = |w||v| (sin t + (pi - t) cos t) / (2 pi),  t = angle(w, v),  f(w, w) = |w|^2/2.

With g(w, v) = grad_w f(w, v) = (|v| sin t w^ + (pi - t) v) / (2 pi):

    grad_{w_i} F = w_i/2 + sum_{i' != i} g(w_i, w_i') - sum_j g(w_i, s_j)

and, with c = cos t, s = sin t, n_wv = (v^ - c w^)/s, m_wv = (w^ - c v^)/s (unit vectors),

    A(w, v) = d_w g(w, v) = |v| s / (2 pi |w|) (I - w^ w^T + n_wv n_wv^T)
    B(w, v) = d_v g(w, v) = ((pi - t) I + s (w^ v^T + n_wv m_wv^T)) / (2 pi)
    H_ii  = I/2 + sum_{i' != i} A(w_i, w_i') - sum_j A(w_i, s_j),   H_ii' = B(w_i, w_i').

For the embedding into R^{n x d}, d > k (zeros in the new coordinates; teacher [S, 0]) the Hessian
at an embedded point is H plus (d - k) copies of the n x n matrix

    M_ii  = 1/2 + (sum_{i' != i} |w_i'| s_ii' - sum_j |s_j| s_ij) / (2 pi |w_i|),
    M_ii' = (pi - t_ii') / (2 pi).

These formulas hold where every |w_i| > 0, |s_j| > 0 and every pair (w_i, w_i'), (w_i, s_j) has
sin > 0 (F is real-analytic there).  :func:`pairs` proves those conditions on the whole box it is
given (NotProven otherwise), so every enclosure returned here contains the true value at every
(W, S) of the box.

Teacher derivatives (for boxes of SYMMETRIC teachers, docs/teachers.md): with the k(k+1)/2 free
entries sigma_e = S_jl (j <= l, row-major; S_jl = S_lj = sigma_e),

    d grad_{w_i} F / d sigma_e = -B(w_i, s_j)[:, l] - [j != l] B(w_i, s_l)[:, j],
    dF/dsigma_e = (dF/ds_j)_l + [j != l] (dF/ds_l)_j,
    dF/ds_j = s_j/2 + sum_{j' != j} g(s_j, s_j') - sum_i g(s_j, w_i)   (f is symmetric).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .definite import SymmetricMidRad
from .interval import Interval, NotProven, gamma_upper, pi as pi_enclosure
from .interval import round_down as _down, round_up as _up

WANTS = frozenset({"loss", "grad", "hess", "hess_entries", "m", "dgrad_dteacher", "dloss_dteacher"})


# ----------------------------------------------------------------------------- pair quantities


@dataclass(frozen=True)
class Pairs:
    """Everything the formulas need about the neurons, enclosed over the box.

    Students: ``nrm2``, ``nrm`` (|w_i|^2, |w_i|, shape (n,)), ``what`` (w_i/|w_i|, (n, k)).
    Teacher: ``T`` (rows s_j, (t, k)), ``tnrm`` (|s_j|, (t,)), ``shat`` ((t, k)); ``identity`` when the
    teacher is exactly I_k (then tnrm = 1, shat = T = I exactly).
    Student-teacher pairs (n, t): cosine ``c_t``, sine ``s_t``, pi - angle ``pmt_t``.
    Ordered student pairs i != i' in row-major order, p = (I[p], J[p]): ``c_s``, ``s_s``, ``pmt_s`` (P,)."""

    n: int
    k: int
    t: int
    identity: bool
    PI: Interval
    nrm2: Interval
    nrm: Interval
    what: Interval
    T: Interval
    tnrm: Interval
    shat: Interval
    c_t: Interval
    s_t: Interval
    pmt_t: Interval | None
    I: np.ndarray
    J: np.ndarray
    c_s: Interval | None
    s_s: Interval | None
    pmt_s: Interval | None

    def per_student(self, vals: Interval) -> Interval:
        """sum over i' != i of an ordered-pair quantity of shape (P, ...) -> (n, ...) (needs n >= 2)."""
        return vals.reshape(self.n, self.n - 1, *vals.shape[1:]).sum(axis=1)


def clip_unit(c: Interval) -> Interval:
    """An enclosure of a cosine intersected with [-1, 1] (where every cosine lies); NotProven if it
    misses [-1, 1] altogether."""
    lo, hi = np.maximum(c.lo, -1.0), np.minimum(c.hi, 1.0)
    if np.any(lo > hi):
        raise NotProven("cosine enclosure misses [-1, 1]")
    return Interval(lo, hi, _checked=True)


def _sine_and_angle(c: Interval, what: str, angles: bool = True) -> tuple[Interval, Interval | None]:
    """(sin t, pi - t) for t = acos(c), proving sin t > 0 (the two vectors are not parallel); the second
    is None when ``angles`` is False."""
    s2 = 1.0 - c.sqr()
    if np.any(s2.lo <= 0):
        raise NotProven(f"{what} may be parallel on the box (sin of their angle not bounded away from 0)")
    return s2.sqrt(), (pi_enclosure() - c.acos()) if angles else None


def _unit_rows(A: Interval, what: str) -> tuple[Interval, Interval, Interval]:
    """(|a|^2, |a|, a/|a|) per row, proving |a| > 0 on the box."""
    n2 = A.sqr().sum(axis=1)
    if np.any(n2.lo <= 0):
        raise NotProven(f"a {what} may be zero on the box (|w_i| not bounded away from 0)")
    nrm = n2.sqrt()
    return n2, nrm, A / nrm.reshape(A.shape[0], 1)


def pairs(X: Interval, teacher: Interval | None = None, angles: bool = True) -> Pairs:
    """Norms, unit vectors, cosines, sines and pi - angles over the box X (n, k) of students, for the
    identity teacher (``teacher`` None) or the teacher rows in the interval matrix ``teacher`` (t, k).
    With ``angles`` False the pi - angle fields are None (they cost one arb acos per pair).
    Raises NotProven unless every student and teacher row is proven nonzero and every student-student
    and student-teacher pair proven non-parallel on the whole box."""
    n, k = X.shape
    PI = pi_enclosure()
    nrm2, nrm, what = _unit_rows(X, "student neuron")
    if teacher is None:
        T = Interval.point(np.eye(k))
        tnrm = Interval.point(np.ones(k))
        shat = T
        c_t = clip_unit(what)  # cos(w_i, e_j) = w_ij / |w_i|, computed once
    else:
        if teacher.lo.ndim != 2 or teacher.shape[1] != k:
            raise NotProven("teacher box has the wrong shape")
        T = teacher
        _, tnrm, shat = _unit_rows(T, "teacher neuron")
        t = T.shape[0]
        c_t = clip_unit((what.reshape(n, 1, k) * shat.reshape(1, t, k)).sum(axis=2))
    s_t, pmt_t = _sine_and_angle(c_t, "a student neuron and a teacher neuron", angles)
    I, J = np.nonzero(~np.eye(n, dtype=bool))  # ordered pairs i != i', row-major
    c_s = s_s = pmt_s = None
    if I.size:
        c_s = clip_unit((X[I] * X[J]).sum(axis=1) / (nrm[I] * nrm[J]))
        s_s, pmt_s = _sine_and_angle(c_s, "two student neurons", angles)
    return Pairs(n, k, T.shape[0], teacher is None, PI, nrm2, nrm, what, T, tnrm, shat, c_t, s_t, pmt_t,
                 I, J, c_s, s_s, pmt_s)


def teacher_constant(q: Pairs) -> Interval:
    """sum_{j,j'} f(s_j, s_j') (the loss of the zero student, times 2): k/2 + k(k-1)/(2 pi) for the
    identity teacher, enclosed from the teacher rows otherwise.  For a teacher box it also requires
    every two teacher rows to be proven non-parallel (NotProven otherwise), although f is defined for
    parallel rows too: a restriction of the formula used, which can make a check fail, never pass."""
    t = q.t
    if q.identity:
        return 0.5 * t + Interval.point(float(t) * (t - 1)) / (q.PI * 2.0) if t > 1 else Interval.point(0.5 * t)
    total = q.tnrm.sqr().sum(axis=0) * 0.5
    if t > 1:
        I, J = np.nonzero(~np.eye(t, dtype=bool))
        c = clip_unit((q.shat[I] * q.shat[J]).sum(axis=1))
        s, pmt = _sine_and_angle(c, "two teacher neurons")
        total = total + (q.tnrm[I] * q.tnrm[J] * (s + pmt * c) / (q.PI * 2.0)).sum(axis=0)
    return total


# ----------------------------------------------------------------------------- the enclosures


@dataclass
class Enclosures:
    """What :func:`enclose` returns (None where not asked for)."""

    loss: Interval | None = None  # scalar
    grad: Interval | None = None  # (n, k)
    hess: SymmetricMidRad | None = None  # (n k, n k): exactly symmetric midpoint + bound on ||radius||_2
    hess_entries: Interval | None = None  # (n k, n k): entrywise enclosure
    m_matrix: Interval | None = None  # (n, n)
    dgrad_dteacher: Interval | None = None  # (n k, k(k+1)/2), symmetric teachers
    dloss_dteacher: Interval | None = None  # (k(k+1)/2,)
    pairs: Pairs | None = None


def enclose(X: Interval, want=("loss", "grad", "hess", "m"), *, teacher: Interval | None = None) -> Enclosures:
    """Enclosures, valid at every point of the box X (n, k) of students and (if given) every teacher in
    the box ``teacher`` (t, k), of the quantities named in ``want`` (a subset of WANTS):
    "loss" F, "grad" grad F (n, k), "hess" the Hessian as a SymmetricMidRad (memory-lean; large n k),
    "hess_entries" the Hessian as an entrywise interval matrix (small n k), "m" the matrix M, and for a
    square teacher box of symmetric teachers "dgrad_dteacher", "dloss_dteacher" (module docstring)."""
    unknown = set(want) - WANTS
    if unknown:
        raise ValueError(f"unknown enclosure(s) {sorted(unknown)}")
    q = pairs(X, teacher)
    n, k, t = q.n, q.k, q.t
    TWO_PI = q.PI * 2.0
    P = q.I.size
    out = Enclosures(pairs=q)

    if "loss" in want:
        f_t = q.nrm.reshape(n, 1) * (q.s_t + q.pmt_t * q.c_t) / TWO_PI  # f(w_i, s_j) / |s_j|
        if not q.identity:
            f_t = f_t * q.tnrm.reshape(1, t)
        total = q.nrm2.sum_pairwise(axis=0) * 0.5 - f_t.reshape(n * t).sum_pairwise(axis=0) * 2.0
        if P:
            f_s = q.nrm[q.I] * q.nrm[q.J] * (q.s_s + q.pmt_s * q.c_s) / TWO_PI
            total = total + f_s.sum_pairwise(axis=0)
        out.loss = (total + teacher_constant(q)) * 0.5

    if "grad" in want:
        # sum_j g(w_i, s_j) = (w^_i sum_j |s_j| s_ij + sum_j (pi - t_ij) s_j) / (2 pi)
        if q.identity:
            tsum, tvec = q.s_t.sum(axis=1), q.pmt_t  # sum_j (pi - t_ij) e_j is the row pmt_t[i]
        else:
            tsum = (q.tnrm.reshape(1, t) * q.s_t).sum(axis=1)
            tvec = (q.pmt_t.reshape(n, t, 1) * q.T.reshape(1, t, k)).sum(axis=1)
        grad = X * 0.5 - (q.what * tsum.reshape(n, 1) + tvec) / TWO_PI
        if P:
            g_s = (q.what[q.I] * (q.nrm[q.J] * q.s_s).reshape(P, 1) + X[q.J] * q.pmt_s.reshape(P, 1)) / TWO_PI
            grad = grad + q.per_student(g_s)
        out.grad = grad

    if "hess" in want:
        out.hess = _hessian_midrad(q)
    if "hess_entries" in want:
        out.hess_entries = _hessian_entries(q)
    if "m" in want:
        out.m_matrix = _m_matrix(q)
    if "dgrad_dteacher" in want:
        out.dgrad_dteacher = _dgrad_dteacher(q)
    if "dloss_dteacher" in want:
        out.dloss_dteacher = _dloss_dteacher(q, X)
    return out


def _teacher_weights(q: Pairs) -> tuple[Interval, Interval]:
    """(beta, n_t): beta_ij = |s_j| s_ij / (2 pi |w_i|) (n, t) and the unit vectors
    n_ij = (s^_j - c_ij w^_i) / s_ij (n, t, k) of the student-teacher terms of H_ii."""
    n, k, t = q.n, q.k, q.t
    beta = q.s_t / (q.PI * 2.0 * q.nrm).reshape(n, 1)
    if not q.identity:
        beta = beta * q.tnrm.reshape(1, t)
    n_t = (q.shat.reshape(1, t, k) - q.c_t.reshape(n, t, 1) * q.what.reshape(n, 1, k)) / q.s_t.reshape(n, t, 1)
    return beta, n_t


def _m_matrix(q: Pairs) -> Interval:
    """M over the box: M_ii = 1/2 + (sum_{i' != i} |w_i'| s_ii' - sum_j |s_j| s_ij) / (2 pi |w_i|),
    M_ii' = (pi - t_ii') / (2 pi)."""
    n = q.n
    tsum = q.s_t if q.identity else q.tnrm.reshape(1, q.t) * q.s_t
    num = tsum.sum(axis=1) * -1.0
    if q.I.size:
        num = num + q.per_student(q.nrm[q.J] * q.s_s)
    mdiag = num / (q.PI * 2.0 * q.nrm) + 0.5
    lo, hi = np.zeros((n, n)), np.zeros((n, n))
    ar = np.arange(n)
    lo[ar, ar], hi[ar, ar] = mdiag.lo, mdiag.hi
    if q.I.size:
        moff = q.pmt_s / (q.PI * 2.0)
        lo[q.I, q.J], hi[q.I, q.J] = moff.lo, moff.hi
    return Interval(lo, hi)


# ----------------------------------------------------------------------------- Hessian, entrywise


def _outer(v: Interval) -> Interval:
    """v v^T for a stack of vectors (..., k) -> (..., k, k), with squares on the diagonal (tighter)."""
    k = v.shape[-1]
    out = v.reshape(*v.shape, 1) * v.reshape(*v.shape[:-1], 1, k)
    sq = v.sqr()
    lo, hi = out.lo.copy(), out.hi.copy()
    ar = np.arange(k)
    lo[..., ar, ar], hi[..., ar, ar] = sq.lo, sq.hi
    return Interval(lo, hi, _checked=True)


def _hessian_entries(q: Pairs) -> Interval:
    """H over the box as an entrywise interval matrix (n k, n k), block by block from the formulas of
    the module docstring (H_ii = (1/2 + A_i) I - A_i w^ w^T + sum alpha n n^T - sum beta n_t n_t^T with
    A_i = sum_i' alpha_ii' - sum_j beta_ij; H_ii' = B(w_i, w_i')).  Memory O((n k)^2): for small n k."""
    n, k = q.n, q.k
    TWO_PI = q.PI * 2.0
    P = q.I.size
    eye = Interval.point(np.eye(k))
    proj = eye - q.what.reshape(n, k, 1) * q.what.reshape(n, 1, k)  # I - w^ w^T
    beta, n_t = _teacher_weights(q)
    diag = (beta.reshape(n, q.t, 1, 1) * _outer(n_t)).sum(axis=1) * -1.0  # (n, k, k)
    coef = beta.sum(axis=1) * -1.0
    if P:
        alpha = q.nrm[q.J] * q.s_s / (TWO_PI * q.nrm[q.I])
        n_s = (q.what[q.J] - q.c_s.reshape(P, 1) * q.what[q.I]) / q.s_s.reshape(P, 1)
        m_s = (q.what[q.I] - q.c_s.reshape(P, 1) * q.what[q.J]) / q.s_s.reshape(P, 1)
        diag = diag + q.per_student(alpha.reshape(P, 1, 1) * _outer(n_s))
        coef = coef + q.per_student(alpha)
        off = (eye.reshape(1, k, k) * q.pmt_s.reshape(P, 1, 1)
               + (q.what[q.I].reshape(P, k, 1) * q.what[q.J].reshape(P, 1, k)
                  + n_s.reshape(P, k, 1) * m_s.reshape(P, 1, k)) * q.s_s.reshape(P, 1, 1)) / TWO_PI
    diag = diag + proj * coef.reshape(n, 1, 1) + Interval.point(0.5 * np.eye(k)).reshape(1, k, k)
    lo, hi = np.zeros((n, k, n, k)), np.zeros((n, k, n, k))
    ar = np.arange(n)
    lo[ar, :, ar, :], hi[ar, :, ar, :] = diag.lo, diag.hi
    if P:
        lo[q.I, :, q.J, :], hi[q.I, :, q.J, :] = off.lo, off.hi
    return Interval(lo.reshape(n * k, n * k), hi.reshape(n * k, n * k))


# ----------------------------------------------------------------------------- Hessian, midpoint-radius

# Every factor used below is at most 2^50 in magnitude (checked), and an entry takes at most
# 2n + 10 < 2^20 roundings (for n < 2^19; the dense kind allows n <= 200); an underflow adds at
# most eta/2 = 2^-1075 per rounding, multiplied by at most two further factors: at most
# 2^20 * 2^-1075 * 2^100 < 2^-900 per entry.
_MAX_FACTOR = 2.0**50
_TINY = 2.0**-900


def _umul(a, b):
    """Upper bound of a*b for nonnegative a, b (broadcasting)."""
    return _up(np.multiply(a, b))


def _uadd(*terms):
    """Upper bound of the sum of the given nonnegative arrays (rounded up after each addition)."""
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
    """NotProven unless every array is finite with entries at most 2^50 (the premise of _TINY)."""
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

    def bmm(coef, left, right):
        """fl(sum_l coef[i, l] left[i, l, p] right[i, l, q]) for every i, p, q, shape (n, k, k): one rounded
        product, then a batched BLAS matmul (any order).  Its rounding error is bounded by the caller."""
        return np.matmul((coef[:, :, None] * left).transpose(0, 2, 1), right)

    mid = bmm(wm, vm, vm)
    err = _uadd(_inflate(bmm(wr, vb, vb), m_ops), _inflate(bmm(wa, vr, vb), m_ops),
                _inflate(bmm(wa, va, vr), m_ops),
                _umul(gamma_upper(m_ops), _inflate(bmm(wa, va, va), m_ops)))
    return mid, err


def _hessian_midrad(q: Pairs) -> SymmetricMidRad:
    """The Hessian over the box, as an exactly symmetric midpoint and a proven bound on the 2-norm
    of its radius (docs/spurious-minima.md, "The dense Hessian check", with the error analysis).

    Block form (x = w^_i, y = w^_i', c, s, theta of the pair; n = (y - c x)/s, m = (x - c y)/s):
      H_ii' = a I + sigma (x y^T + n m^T),  a = (pi - theta)/(2 pi), sigma = s/(2 pi);
      H_ii  = (1/2 + A_i) I - A_i x x^T + sum_l omega_il u_il u_il^T
    with A_i = sum_i' alpha_ii' - sum_j beta_ij, alpha_ii' = |w_i'| s/(2 pi |w_i|),
    beta_ij = |s_j| s_ij/(2 pi |w_i|); (omega, u) = (alpha_ii', n_ii') over students and
    (-beta_ij, n_ij = (s^_j - c_ij x)/s_ij) over teachers.
    Off-diagonal blocks: midpoints for i < i' only (block rows, O(n k^2) temporaries), mirrored
    (H_i'i = H_ii'^T); their radius is never formed: its row sums are bounded from O(n^2 k)
    numbers.  Diagonal blocks: interval arithmetic plus one BLAS Gram sum with a proven bound."""
    n, k, t = q.n, q.k, q.t
    N = n * k
    I, J = q.I, q.J
    P = I.size
    TWO_PI = q.PI * 2.0
    beta, n_t = _teacher_weights(q)
    if P == 0:  # n = 1: one diagonal block, no student pairs
        A = beta.sum(axis=1) * -1.0
        diag_iv = ((beta.reshape(n, t, 1, 1) * _outer(n_t)).sum(axis=1) * -1.0
                   - q.what.reshape(n, k, 1) * q.what.reshape(n, 1, k) * A.reshape(n, 1, 1)
                   + Interval.point(np.eye(k)).reshape(1, k, k) * (A + 0.5).reshape(n, 1, 1))
        return _symmetric_blocks_midrad(diag_iv, None)

    a_p = q.pmt_s / TWO_PI
    sig_p = q.s_s / TWO_PI
    alpha = q.nrm[J] * q.s_s / (TWO_PI * q.nrm)[I]  # (P,)
    A = alpha.reshape(n, n - 1).sum(axis=1) - beta.sum(axis=1)  # (n,)
    what, c_s, s_s = q.what, q.c_s, q.s_s
    n_s = (what[J] - c_s.reshape(P, 1) * what[I]) / s_s.reshape(P, 1)  # (P, k)
    m_s = (what[I] - c_s.reshape(P, 1) * what[J]) / s_s.reshape(P, 1)  # (P, k)
    vec_lo = np.concatenate([n_s.lo.reshape(n, n - 1, k), n_t.lo], axis=1)  # (n, n - 1 + t, k)
    vec_hi = np.concatenate([n_s.hi.reshape(n, n - 1, k), n_t.hi], axis=1)
    wt_lo = np.concatenate([alpha.lo.reshape(n, n - 1), -beta.hi], axis=1)  # weights alpha, -beta
    wt_hi = np.concatenate([alpha.hi.reshape(n, n - 1), -beta.lo], axis=1)

    def square(vals: Interval) -> tuple[np.ndarray, np.ndarray]:
        """(mid, rad) of an (n, n) symmetric array from ordered-pair values, zero diagonal: the
        value of the pair i < i' is used for both (i, i') and (i', i)."""
        mv, rv = vals.mid_rad()
        mid, rad = np.zeros((n, n)), np.zeros((n, n))
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
    XX = what.reshape(n, k, 1) * what.reshape(n, 1, k)
    diag_iv = (gram - XX * A.reshape(n, 1, 1)
               + Interval.point(np.eye(k)).reshape(1, k, k) * (A + 0.5).reshape(n, 1, 1))

    # ---- off-diagonal blocks: midpoint, by block rows, i < i' only, mirrored
    def off_rows(mid: np.ndarray) -> None:
        """Write the midpoints of the off-diagonal blocks H_ii' = a I + sigma (x y^T + n m^T), i < i', block
        row by block row, into ``mid`` and their transposes into the blocks H_i'i, so that ``mid`` stays
        exactly symmetric.  An entry is x_p (sigma y_q) + n_p (sigma m_q) (+ a on the diagonal) in
        floating point: its rounding errors are the gamma_6 term of the radius bound."""
        for i in range(n - 1):
            r0, r1 = i * k, (i + 1) * k
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
    return _symmetric_blocks_midrad(diag_iv, (off_rows, off))


def _symmetric_blocks_midrad(diag_iv: Interval, offdiag) -> SymmetricMidRad:
    """Assemble the SymmetricMidRad of H from the diagonal blocks (an (n, k, k) interval array, made
    symmetric by intersecting each block with its transpose: the true blocks are symmetric) and,
    when n > 1, (fill, row_bounds): a function writing the off-diagonal midpoint blocks into the
    (n k, n k) midpoint, and upper bounds (n, k) of the row sums of the off-diagonal radius.
    ||R||_2 <= ||R||_inf for the symmetric nonnegative radius R."""
    n, k, _ = diag_iv.shape
    lo = np.maximum(diag_iv.lo, diag_iv.lo.transpose(0, 2, 1))
    hi = np.minimum(diag_iv.hi, diag_iv.hi.transpose(0, 2, 1))
    if np.any(lo > hi):
        raise NotProven("Hessian diagonal block enclosure contains no symmetric matrix")
    dmid, drad = Interval(lo, hi, _checked=True).mid_rad()
    total = _usum(drad, 2)  # (n, k): row sums of the diagonal blocks' radii
    mid = np.zeros((n * k, n * k))
    for i in range(n):
        mid[i * k:(i + 1) * k, i * k:(i + 1) * k] = dmid[i]
    if offdiag is not None:
        fill, row_bounds = offdiag
        fill(mid)
        total = _uadd(total, row_bounds)
    if not np.all(np.isfinite(total)):
        raise NotProven("non-finite Hessian radius bound")
    return SymmetricMidRad(mid, float(np.max(total)))


# ----------------------------------------------------------------------------- teacher derivatives


def free_entries(k: int) -> tuple[np.ndarray, np.ndarray]:
    """(j, l) of the free entries of a symmetric k x k matrix: j <= l, row-major."""
    return np.triu_indices(k)


def _dgrad_dteacher(q: Pairs) -> Interval:
    """d grad F / d sigma over the box, (n k, k(k+1)/2) (module docstring; square teacher)."""
    n, k, t = q.n, q.k, q.t
    if t != k:
        raise NotProven("teacher derivatives need a square teacher")
    c_t, s_t, what, shat = q.c_t, q.s_t, q.what, q.shat
    # column l of B(w_i, s_j): ((pi - t_ij) e_l + s_ij (w^_i sh_jl + n_ij m_ijl)) / (2 pi)
    n_t = (shat.reshape(1, k, k) - c_t.reshape(n, k, 1) * what.reshape(n, 1, k)) / s_t.reshape(n, k, 1)
    m_t = (what.reshape(n, 1, k) - c_t.reshape(n, k, 1) * shat.reshape(1, k, k)) / s_t.reshape(n, k, 1)
    rank2 = (what.reshape(n, 1, k, 1) * shat.reshape(1, k, 1, k)
             + n_t.reshape(n, k, k, 1) * m_t.reshape(n, k, 1, k)) * s_t.reshape(n, k, 1, 1)  # [i, j, p, l]
    eye4 = np.zeros((1, 1, k, k))
    eye4[0, 0] = np.eye(k)
    col = (rank2 + Interval.point(eye4) * q.pmt_t.reshape(n, k, 1, 1)) / (q.PI * 2.0)
    jj, ll = free_entries(k)
    d = col[:, jj, :, ll] * -1.0  # (E, n, p): -(B(w_i, s_j))[p, l]
    off = jj != ll
    extra = col[:, ll[off], :, jj[off]]  # (E_off, n, p): (B(w_i, s_l))[p, j]
    lo, hi = d.lo.copy(), d.hi.copy()
    e2 = d[off] - extra
    lo[off], hi[off] = e2.lo, e2.hi
    E = jj.size
    return Interval(lo.reshape(E, n * k).T.copy(), hi.reshape(E, n * k).T.copy())


def _dloss_dteacher(q: Pairs, X: Interval) -> Interval:
    """dF / d sigma over the box, (k(k+1)/2,) (module docstring; square teacher)."""
    n, k, t = q.n, q.k, q.t
    if t != k:
        raise NotProven("teacher derivatives need a square teacher")
    TWO_PI = q.PI * 2.0
    # g(s_j, w_i) = (|w_i| sin t_ij s^_j + (pi - t_ij) w_i) / (2 pi)
    a = (q.nrm.reshape(n, 1) * q.s_t).sum(axis=0).reshape(k, 1)  # sum_i |w_i| s_ij
    b = (q.pmt_t.reshape(n, k, 1) * X.reshape(n, 1, k)).sum(axis=0)  # sum_i (pi - t_ij) w_i, (k, k)
    dF = q.T * 0.5 - (q.shat * a + b) / TWO_PI
    if k > 1:
        I2, J2 = np.nonzero(~np.eye(k, dtype=bool))
        c = clip_unit((q.shat[I2] * q.shat[J2]).sum(axis=1))
        st, pmt = _sine_and_angle(c, "two teacher neurons")
        gtt = (q.shat[I2] * (q.tnrm[J2] * st).reshape(-1, 1) + q.T[J2] * pmt.reshape(-1, 1)) / TWO_PI
        dF = dF + gtt.reshape(k, k - 1, k).sum(axis=1)
    jj, ll = free_entries(k)
    d = dF[jj, ll]
    off = jj != ll
    lo, hi = d.lo.copy(), d.hi.copy()
    e2 = d[off] + dF[ll[off], jj[off]]
    lo[off], hi[off] = e2.lo, e2.hi
    return Interval(lo, hi)


# ----------------------------------------------------------------------------- directional derivatives
#
# Forward-mode (tangent) enclosures of H and of D = d grad F / d sigma along m directions
# (docs/teacher-ball.md, "Tangents").  For a direction (W', T') of the students and the teacher rows,
# with a dot for d/dt at t = 0 of (W + t W', T + t T'):
#     |w|' = w^.w',  w^' = (w' - w^ |w|') / |w|,  c' = w^'.v^ + w^.v^',  s' = -c c' / s,  (pi - t)' = c' / s,
#     n' = (v^' - c' w^ - c w^') / s - n s' / s,  m' = (w^' - c' v^ - c v^') / s - m s' / s,
#     alpha' = alpha (|v|'/|v| + s'/s - |w|'/|w|),
# and the product rule in every formula of _hessian_entries and _dgrad_dteacher.


def _outer2(a: Interval, b: Interval) -> Interval:
    """a b^T for stacks of vectors (..., k) -> (..., k, k)."""
    k = a.shape[-1]
    return a.reshape(*a.shape, 1) * b.reshape(*b.shape[:-1], 1, k)


def _outer_sum(X: Interval, Y: Interval) -> Interval:
    """sum_l X[..., l, :] Y[..., l, :]^T -> (..., k, k), leading axes broadcast, in midpoint-radius form by BLAS:
    for x in [Xm +- Xr], y in [Ym +- Yr], |sum x y^T - sum Xm Ym^T| <= sum (|Xm| Yr + Xr (|Ym| + Yr)), and the
    computed fl(sum Xm Ym^T) errs by at most gamma_{L+1} sum |Xm||Ym| (any order: Higham); every nonnegative
    sum S computed in floating point is bounded by fl(S)(1 + 2 gamma) + 2^-900 (_inflate; factors <= 2^50)."""
    Xm, Xr = X.mid_rad()
    Ym, Yr = Y.mid_rad()
    _guard(Xm, Xr, Ym, Yr)
    L = max(X.shape[-2], Y.shape[-2])
    T = lambda a: np.swapaxes(a, -1, -2)  # noqa: E731
    aX, aY = np.abs(Xm), np.abs(Ym)
    mid = np.matmul(T(Xm), Ym)
    rad = _uadd(_inflate(np.matmul(T(aX), Yr), L + 1), _inflate(np.matmul(T(Xr), _up(aY + Yr)), L + 1),
                _umul(gamma_upper(L + 1), _inflate(np.matmul(T(aX), aY), L + 1)))
    _guard(mid, rad)
    return Interval(_down(mid - rad), _up(mid + rad))


def _stack(*xs: Interval) -> Interval:
    """Stack intervals of equal (broadcast) shape (..., k) along a new axis -2 -> (..., L, k)."""
    shape = np.broadcast_shapes(*(x.shape for x in xs))
    lo = np.stack([np.broadcast_to(x.lo, shape) for x in xs], axis=-2)
    hi = np.stack([np.broadcast_to(x.hi, shape) for x in xs], axis=-2)
    return Interval(lo, hi, _checked=True)


def _dot(a: Interval, b: Interval) -> Interval:
    """sum over the last axis of a * b (broadcasting)."""
    return (a * b).sum(axis=len(np.broadcast_shapes(a.shape, b.shape)) - 1)


def _unit_tangents(nrm: Interval, hat: Interval, dvec: Interval) -> tuple[Interval, Interval]:
    """(|a|', a^') for rows a with norms nrm (r,), unit vectors hat (r, k) and tangents dvec (m, r, k)."""
    dn = _dot(hat.reshape(1, *hat.shape), dvec)  # (m, r)
    dhat = (dvec - hat.reshape(1, *hat.shape) * dn.reshape(*dn.shape, 1)) / nrm.reshape(1, -1, 1)
    return dn, dhat


def _angle_tangents(c, s, dc):
    """(s', (pi - t)') from c' : s' = -c c'/s, (pi - t)' = c'/s (c, s broadcast against dc)."""
    return dc * c * (-1.0) / s, dc / s


def tangent_enclosures(X: Interval, teacher: Interval, dX: Interval, dT: Interval, want=("hess", "dgrad")):
    """Directional derivatives, over the box X (n, k) of students and the box ``teacher`` (k, k) of teacher
    rows, of the Hessian H (entrywise, (m, n k, n k)) and of D = d grad F / d sigma ((m, n k, k(k+1)/2), for
    symmetric teachers as in _dgrad_dteacher), along m directions: student tangents dX (m, n, k) and
    teacher-row tangents dT (m, k, k).  Every returned interval contains the exact derivative at every
    point of the boxes (the formulas are those of the module docstring differentiated; sums of outer products
    by _outer_sum; NotProven where a norm or a sine is not bounded away from 0).  Returns a dict with "hess"
    and/or "dgrad"."""
    q = pairs(X, teacher)
    n, k, t = q.n, q.k, q.t
    m = dX.shape[0]
    if t != k or dX.shape != (m, n, k) or dT.shape != (m, k, k):
        raise NotProven("tangent enclosures need a square teacher and matching tangent shapes")
    TWO_PI = q.PI * 2.0
    out = {}
    dnrm, dwhat = _unit_tangents(q.nrm, q.what, dX)  # (m, n), (m, n, k)
    dtnrm, dshat = _unit_tangents(q.tnrm, q.shat, dT)  # (m, t), (m, t, k)
    what, shat = q.what, q.shat
    # student-teacher pairs (i, j): (n, t) and tangents (m, n, t)
    dc_t = _dot(dwhat.reshape(m, n, 1, k), shat.reshape(1, 1, t, k)) + _dot(what.reshape(1, n, 1, k),
                                                                           dshat.reshape(m, 1, t, k))
    ds_t, dpmt_t = _angle_tangents(q.c_t, q.s_t, dc_t)
    n_t = (shat.reshape(1, t, k) - q.c_t.reshape(n, t, 1) * what.reshape(n, 1, k)) / q.s_t.reshape(n, t, 1)
    m_t = (what.reshape(n, 1, k) - q.c_t.reshape(n, t, 1) * shat.reshape(1, t, k)) / q.s_t.reshape(n, t, 1)
    dn_t = ((dshat.reshape(m, 1, t, k) - dc_t.reshape(m, n, t, 1) * what.reshape(1, n, 1, k)
             - q.c_t.reshape(1, n, t, 1) * dwhat.reshape(m, n, 1, k))
            - n_t.reshape(1, n, t, k) * ds_t.reshape(m, n, t, 1)) / q.s_t.reshape(1, n, t, 1)
    dm_t = ((dwhat.reshape(m, n, 1, k) - dc_t.reshape(m, n, t, 1) * shat.reshape(1, 1, t, k)
             - q.c_t.reshape(1, n, t, 1) * dshat.reshape(m, 1, t, k))
            - m_t.reshape(1, n, t, k) * ds_t.reshape(m, n, t, 1)) / q.s_t.reshape(1, n, t, 1)
    if "hess" in want:
        N = n * k
        eye = Interval.point(np.eye(k))
        beta = q.tnrm.reshape(1, t) * q.s_t / (TWO_PI * q.nrm).reshape(n, 1)  # (n, t)
        dbeta = beta.reshape(1, n, t) * (dtnrm.reshape(m, 1, t) / q.tnrm.reshape(1, 1, t)
                                         + ds_t / q.s_t.reshape(1, n, t) - dnrm.reshape(m, n, 1) / q.nrm.reshape(1, n, 1))
        # sum_j beta' n n^T + beta (n' n^T + n n'^T) = sum_j (beta' n + beta n') n^T + (beta n) n'^T
        bn = beta.reshape(n, t, 1) * n_t
        ddiag = (_outer_sum(dbeta.reshape(m, n, t, 1) * n_t.reshape(1, n, t, k) + beta.reshape(1, n, t, 1) * dn_t,
                            n_t.reshape(1, n, t, k))
                 + _outer_sum(bn.reshape(1, n, t, k), dn_t)) * -1.0  # (m, n, k, k)
        coef = beta.sum(axis=1) * -1.0  # (n,)
        dcoef = dbeta.sum(axis=2) * -1.0  # (m, n)
        P = q.I.size
        if P:
            I, J = q.I, q.J
            dc_s = _dot(dwhat[:, I], what[J].reshape(1, P, k)) + _dot(what[I].reshape(1, P, k), dwhat[:, J])
            ds_s, dpmt_s = _angle_tangents(q.c_s, q.s_s, dc_s)  # (m, P)
            alpha = q.nrm[J] * q.s_s / (TWO_PI * q.nrm[I])
            dalpha = alpha.reshape(1, P) * (dnrm[:, J] / q.nrm[J].reshape(1, P) + ds_s / q.s_s.reshape(1, P)
                                            - dnrm[:, I] / q.nrm[I].reshape(1, P))
            n_s = (what[J] - q.c_s.reshape(P, 1) * what[I]) / q.s_s.reshape(P, 1)
            m_s = (what[I] - q.c_s.reshape(P, 1) * what[J]) / q.s_s.reshape(P, 1)
            dn_s = (dwhat[:, J] - dc_s.reshape(m, P, 1) * what[I].reshape(1, P, k) - q.c_s.reshape(1, P, 1) * dwhat[:, I]
                    - n_s.reshape(1, P, k) * ds_s.reshape(m, P, 1)) / q.s_s.reshape(1, P, 1)
            dm_s = (dwhat[:, I] - dc_s.reshape(m, P, 1) * what[J].reshape(1, P, k) - q.c_s.reshape(1, P, 1) * dwhat[:, J]
                    - m_s.reshape(1, P, k) * ds_s.reshape(m, P, 1)) / q.s_s.reshape(1, P, 1)
            # per student i: sum over partners i' (ordered pairs grouped (n, n - 1), row-major)
            an = alpha.reshape(P, 1) * n_s
            X1 = (dalpha.reshape(m, P, 1) * n_s.reshape(1, P, k) + alpha.reshape(1, P, 1) * dn_s).reshape(m, n, n - 1, k)
            ddiag = ddiag + _outer_sum(X1, n_s.reshape(1, n, n - 1, k)) + _outer_sum(an.reshape(1, n, n - 1, k),
                                                                                   dn_s.reshape(m, n, n - 1, k))
            coef = coef + q.per_student(alpha)
            dcoef = dcoef + dalpha.reshape(m, n, n - 1).sum(axis=2)
            # off-diagonal blocks ((pi - t) I + s (w^_I w^_J^T + n m^T)) / (2 pi), differentiated:
            # (pi - t)' I + s' (w^_I w^_J^T + n m^T) + s (w^_I' w^_J^T + w^_I w^_J'^T + n' m^T + n m'^T)
            sv = q.s_s.reshape(1, P, 1)
            dsv = ds_s.reshape(m, P, 1)
            Xs = _stack(dwhat[:, I] * sv, what[I].reshape(1, P, k) * sv, dn_s * sv, n_s.reshape(1, P, k) * sv,
                        what[I].reshape(1, P, k) * dsv, n_s.reshape(1, P, k) * dsv)
            Ys = _stack(what[J].reshape(1, P, k), dwhat[:, J], m_s.reshape(1, P, k), dm_s,
                        what[J].reshape(1, P, k), m_s.reshape(1, P, k))
            doff = (_outer_sum(Xs, Ys) + eye.reshape(1, 1, k, k) * dpmt_s.reshape(m, P, 1, 1)) / TWO_PI
        proj = eye - _outer2(what, what)  # (n, k, k)
        dproj = (_outer2(dwhat, what.reshape(1, n, k)) + _outer2(what.reshape(1, n, k), dwhat)) * -1.0
        ddiag = ddiag + dproj * coef.reshape(1, n, 1, 1) + proj.reshape(1, n, k, k) * dcoef.reshape(m, n, 1, 1)
        lo, hi = np.zeros((m, n, k, n, k)), np.zeros((m, n, k, n, k))
        ar = np.arange(n)
        lo[:, ar, :, ar, :] = np.moveaxis(ddiag.lo, 1, 0)
        hi[:, ar, :, ar, :] = np.moveaxis(ddiag.hi, 1, 0)
        if P:
            lo[:, I, :, J, :] = np.moveaxis(doff.lo, 1, 0)
            hi[:, I, :, J, :] = np.moveaxis(doff.hi, 1, 0)
        out["hess"] = Interval(lo.reshape(m, N, N), hi.reshape(m, N, N))
    if "dgrad" in want:
        # column l of B(w_i, s_j) = ((pi - t_ij) e_l + s_ij (w^_i s^_jl + n_ij m_ijl)) / (2 pi), differentiated
        sv = q.s_t.reshape(1, n, t, 1)
        dsv = ds_t.reshape(m, n, t, 1)
        wv = what.reshape(1, n, 1, k)
        Xs = _stack(dwhat.reshape(m, n, 1, k) * sv, wv * sv, dn_t * sv, n_t.reshape(1, n, t, k) * sv, wv * dsv,
                    n_t.reshape(1, n, t, k) * dsv)
        Ys = _stack(shat.reshape(1, 1, t, k), dshat.reshape(m, 1, t, k), m_t.reshape(1, n, t, k), dm_t,
                    shat.reshape(1, 1, t, k), m_t.reshape(1, n, t, k))
        eye4 = Interval.point(np.eye(k)).reshape(1, 1, 1, k, k)
        dcol = (_outer_sum(Xs, Ys) + eye4 * dpmt_t.reshape(m, n, t, 1, 1)) / TWO_PI  # (m, i, j, p, l)
        jj, ll = free_entries(k)
        d = dcol[:, :, jj, :, ll] * -1.0  # (E, m, n, p)
        off = jj != ll
        lo, hi = d.lo.copy(), d.hi.copy()
        e2 = d[off] - dcol[:, :, ll[off], :, jj[off]]
        lo[off], hi[off] = e2.lo, e2.hi
        E = jj.size
        out["dgrad"] = Interval(np.moveaxis(lo.reshape(E, m, n * k), 0, 2).copy(),
                                np.moveaxis(hi.reshape(E, m, n * k), 0, 2).copy())
    return out

"""Centred (first-order Taylor) enclosures of the Hessian H and of D = d(grad F)/d sigma over a
joint box, to intersect with the direct enclosures of certify.kernel.teacher_student.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval and numpy.

Why.  Evaluating H's formulas directly in interval arithmetic over a box loses every
cancellation (w^ = w/|w|, cos, sin = sqrt(1 - cos^2), n = (v^ - c w^)/s, ... each add width), and
overestimates the true variation of H by about two orders of magnitude on the boxes used here.

How (docs/teachers.md, "Centred enclosure of H").  H is a sum of pair terms, each a function of
one pair z = (u, v) in R^{2k}:

    A(u, v) = d_w g(u, v) = alpha (I - u^ u^T + n n^T),   alpha = |v| s / (2 pi |u|),
    B(u, v) = d_v g(u, v) = ((pi - t) I + s (u^ v^T + n m^T)) / (2 pi),

H_ii = I/2 + sum_{i' != i} A(w_i, w_i') - sum_j A(w_i, s_j), H_ii' = B(w_i, w_i'), and
D[(i, p), (j, l)] = -B(w_i, s_j)[p, l] - [j != l] B(w_i, s_l)[p, j].
For z in a box Z with centre z_c and |z_q - z_cq| <= w_q, the mean-value theorem gives, entry
by entry, A(z) - A(z_c) = sum_q dA/dz_q(xi) (z_q - z_cq) with xi in Z, so

    |A(z) - A(z_c)|_ab <= sum_q sup_Z |dA_ab/dz_q| w_q.

dA/dz_q is expanded by the product rule into the first derivatives of the scalar and vector
factors (alpha, s, pi - t, u^, v^, n, m), which are computed by forward-mode differentiation in
interval arithmetic over Z (class Dual), and bounded by the triangle inequality:

    |dA_ab| w <= |d alpha|_w |I - u^u^T + nn^T|_ab + |alpha| (|du^_a|_w |u^_b| + |u^_a| |du^_b|_w
                 + |dn_a|_w |n_b| + |n_a| |dn_b|_w),
    |dB_ab| w <= (|d(pi - t)|_w [a = b] + |ds|_w |u^_a v^_b + n_a m_b|
                 + |s| (|du^_a|_w |v^_b| + |u^_a| |dv^_b|_w + |dn_a|_w |m_b| + |n_a| |dm_b|_w)) / (2 pi),

where |dy|_w = sum_q sup_Z |dy/dz_q| w_q and |y| = sup_Z |y|.  Every bound is computed in
outward-rounded interval arithmetic and its upper endpoint taken.
"""
from __future__ import annotations

import numpy as np

from ..interval import Interval, NotProven, pi as pi_enclosure


class Dual:
    """An interval value over a box and interval enclosures of its partial derivatives (last axis)."""

    __slots__ = ("v", "d")

    def __init__(self, v: Interval, d: Interval):
        """A value enclosure ``v`` (shape S) and ``d`` (shape S + (q,)): enclosures of its q partial
        derivatives in the box coordinates."""
        self.v = v
        self.d = d

    def _ex(self, x: Interval) -> Interval:  # broadcast a value against the derivative axis
        """``x`` with a trailing axis of length 1, to broadcast a value against the derivative axis."""
        return x.reshape(*x.shape, 1)

    def __add__(self, o: "Dual") -> "Dual":
        """The sum rule: (u + w, du + dw)."""
        return Dual(self.v + o.v, self.d + o.d)

    def __sub__(self, o: "Dual") -> "Dual":
        """The difference rule: (u - w, du - dw)."""
        return Dual(self.v - o.v, self.d - o.d)

    def __mul__(self, o: "Dual") -> "Dual":
        """The product rule: (u w, du w + dw u), entrywise."""
        return Dual(self.v * o.v, self.d * self._ex(o.v) + o.d * self._ex(self.v))

    def __truediv__(self, o: "Dual") -> "Dual":
        """The quotient rule: (q, (du - dw q) / w) with q = u / w; NotProven if w may be 0 on the box."""
        q = self.v / o.v
        return Dual(q, (self.d - o.d * self._ex(q)) / self._ex(o.v))

    def scale(self, c: Interval) -> "Dual":
        """Multiplication by an interval c constant on the box: (u c, du c)."""
        return Dual(self.v * c, self.d * self._ex(c))

    def sqrt(self) -> "Dual":
        """(sqrt u, du / (2 sqrt u)); NotProven unless sqrt u is proven > 0 on the box (so the derivative
        exists there)."""
        r = self.v.sqrt()
        if np.any(r.lo <= 0):
            raise NotProven("square root near 0 in a centred enclosure")
        return Dual(r, self.d / self._ex(r * 2.0))

    def sum_last(self) -> "Dual":
        """Sum over the last value axis (the axis before the derivative axis)."""
        return Dual(self.v.sum(axis=self.v.lo.ndim - 1), self.d.sum(axis=self.d.lo.ndim - 2))

    def expand(self) -> "Dual":
        """(..., ) -> (..., 1) to broadcast against a vector."""
        return Dual(self.v.reshape(*self.v.shape, 1), self.d.reshape(*self.d.shape[:-1], 1, self.d.shape[-1]))

    def width(self, w: np.ndarray) -> np.ndarray:
        """Upper bound of sum_q sup |dy/dz_q| w_q (w broadcast over the last axis)."""
        return (Interval.point(self.d.mag()) * Interval.point(w)).sum(axis=self.d.lo.ndim - 1).hi

    def mag(self) -> np.ndarray:
        """Upper bounds of |y| over the box (sup_Z |y|), entrywise."""
        return self.v.mag()


def _clip(c: Interval) -> Interval:
    """The cosine enclosure intersected with [-1, 1] (where every cosine lies); NotProven if the two are
    disjoint."""
    lo, hi = np.maximum(c.lo, -1.0), np.minimum(c.hi, 1.0)
    if np.any(lo > hi):
        raise NotProven("cosine enclosure misses [-1, 1]")
    return Interval(lo, hi)


def pair_widths(U: Interval, V: Interval, wu: np.ndarray, wv: np.ndarray):
    """For P pairs (boxes U, V of shape (P, k), half-widths wu, wv >= |z - z_c|): upper bounds
    (WA, WB), each (P, k, k), of |A(z) - A(z_c)| and |B(z) - B(z_c)| over the pair boxes."""
    P, k = U.shape
    PI = pi_enclosure()
    eye = np.eye(k)
    zero = np.zeros((k, k))
    du = Interval.point(np.broadcast_to(np.concatenate([eye, zero], axis=1), (P, k, 2 * k)))
    dv = Interval.point(np.broadcast_to(np.concatenate([zero, eye], axis=1), (P, k, 2 * k)))
    u = Dual(U, du)
    v = Dual(V, dv)
    w = np.concatenate([wu, wv], axis=1).reshape(P, 1, 2 * k)  # (P, 1, 2k)
    w1 = w.reshape(P, 2 * k)

    nu = (u * u).sum_last().sqrt()  # (P,)
    nv = (v * v).sum_last().sqrt()
    uh = u / nu.expand()
    vh = v / nv.expand()
    c = (uh * vh).sum_last()
    c = Dual(_clip(c.v), c.d)
    one = Dual(Interval.point(np.ones(P)), Interval.point(np.zeros((P, 2 * k))))
    s2 = one - c * c
    if np.any(s2.v.lo <= 0):
        raise NotProven("a pair may be parallel on the box (centred enclosure)")
    s = s2.sqrt()
    pmt_d = c.d / s.v.reshape(P, 1)  # d(pi - acos c) = dc / s
    n = (vh - uh * c.expand()) / s.expand()
    m = (uh - vh * c.expand()) / s.expand()
    alpha = (nv * s) / nu.scale(PI * 2.0)

    def I(x):
        """Point intervals of the binary64 array x (exact data for outward-rounded bounds)."""
        return Interval.point(x)

    def outer(a, b):  # |a_a| * |b_b| for nonneg arrays (P, k)
        """The interval products a[:, p] b[:, q] of two nonnegative (P, k) arrays, shape (P, k, k) (an outer
        product per pair), outward rounded."""
        return I(a).reshape(P, k, 1) * I(b).reshape(P, 1, k)

    # widths of the factors
    d_alpha = Dual(alpha.v, alpha.d).width(w1.reshape(P, 2 * k))
    d_uh, d_vh = uh.width(w), vh.width(w)
    d_n, d_m = n.width(w), m.width(w)
    d_s = s.width(w1)
    d_pmt = (I(pmt_d.mag()) * I(w1)).sum(axis=1).hi
    m_uh, m_vh, m_n, m_m = uh.mag(), vh.mag(), n.mag(), m.mag()
    m_alpha, m_s = alpha.mag(), s.mag()

    proj = I(np.broadcast_to(eye, (P, k, k))) - uh.v.reshape(P, k, 1) * uh.v.reshape(P, 1, k) \
        + n.v.reshape(P, k, 1) * n.v.reshape(P, 1, k)
    WA = I(d_alpha).reshape(P, 1, 1) * I(proj.mag()) + I(m_alpha).reshape(P, 1, 1) * (
        outer(d_uh, m_uh) + outer(m_uh, d_uh) + outer(d_n, m_n) + outer(m_n, d_n))
    rank2 = uh.v.reshape(P, k, 1) * vh.v.reshape(P, 1, k) + n.v.reshape(P, k, 1) * m.v.reshape(P, 1, k)
    WB = (I(np.broadcast_to(eye, (P, k, k))) * I(d_pmt).reshape(P, 1, 1)
          + I(d_s).reshape(P, 1, 1) * I(rank2.mag())
          + I(m_s).reshape(P, 1, 1) * (outer(d_uh, m_vh) + outer(m_uh, d_vh) + outer(d_n, m_m) + outer(m_n, d_m))
          ) / (PI * 2.0)
    return WA.hi, WB.hi


def centred_radii(X: Interval, T: Interval, x_c: np.ndarray, S_c: np.ndarray, hessian: bool = True):
    """(RH, RD): upper bounds of |H(x, S) - H(x_c, S_c)| (nk x nk) and |D(x, S) - D(x_c, S_c)|
    (nk x k(k+1)/2) for every (x, S) in X x T, for the box X (n, k) of students and the box T (k, k)
    of square teachers; NotProven unless x_c in X and S_c in T.  With hessian=False only RD is
    computed (RH is None); with hessian=True n must be >= 2 (the teacher-box kind has n = k >= 2)."""
    n, k = X.shape
    if not (np.all(X.contains(x_c)) and np.all(T.contains(S_c))):
        raise NotProven("centre outside the box")
    up = lambda a: np.nextafter(a, np.inf)  # noqa: E731
    wx = np.maximum(up(X.hi - x_c), up(x_c - X.lo))
    wt = np.maximum(up(T.hi - S_c), up(T.lo * -1.0 + S_c))
    # teacher pairs (i, j)
    It, Jt = np.repeat(np.arange(n), k), np.tile(np.arange(k), n)
    WA_t, WB_t = pair_widths(X[It], T[Jt], wx[It], wt[Jt])
    RH = None
    if hessian:
        # student pairs (i, i'), i != i'
        I, J = np.nonzero(~np.eye(n, dtype=bool))
        WA_s, WB_s = pair_widths(X[I], X[J], wx[I], wx[J])
        RH = np.zeros((n, k, n, k))
        # diagonal blocks: sums of A widths (upper-rounded sums through Interval)
        diag = (Interval.point(WA_s).reshape(n, n - 1, k, k).sum(axis=1)
                + Interval.point(WA_t).reshape(n, k, k, k).sum(axis=1))
        ar = np.arange(n)
        RH[ar, :, ar, :] = diag.hi
        RH[I, :, J, :] = WB_s
        RH = RH.reshape(n * k, n * k)
    # D: column e = (j, l): WB_t[i, j][p, l] + [j != l] WB_t[i, l][p, j]
    Wt = WB_t.reshape(n, k, k, k)  # [i, j, p, l]
    jj, ll = np.triu_indices(k)
    RD = Wt[:, jj, :, ll]  # (E, n, p)
    off = jj != ll
    RD = RD.copy()
    RD[off] = (Interval.point(RD[off]) + Interval.point(Wt[:, ll[off], :, jj[off]])).hi
    E = jj.size
    return RH, RD.reshape(E, n * k).T.copy()

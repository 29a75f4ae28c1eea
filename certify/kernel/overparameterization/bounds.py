"""Rigorous bounds for one more neuron: the norm-sum margin and the split-neuron curve.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval (binary64
interval arithmetic with proven outward rounding) and numpy.

Everything below is proven in docs/overparameterization.md; the lemma numbers
refer to that page.  X is an (n, k) interval matrix (the rows are the student
neurons w_1..w_n in R^k, teacher V = I_k) that contains the unknown critical
point W*; every bound holds for every W in X, so in particular at W*.

Zero neuron (Lemma 1): F_{n+1}(W, t e) = F_n(W) + t (sum_i |w_i| - k)/(2 pi) + t^2/4
for a unit e orthogonal to R^k, so ``norm_margin`` = k - sum_i |w_i| > 0 gives descent.

Split neuron (Lemmas 2-5): for neuron i, a in (0, 1), b = 1 - a, and
u1 = a w_i + t e, u2 = b w_i - t e,

    phi(t) = F_{n+1}(t) - F_n(W) = S(t) + sum_{x} sign_x C_x(t)

with S the self-interaction of the two copies and C_x the change of the cross
terms with x = w_i' (i' != i, sign +1) or x = v_j (sign -1).  For every
0 < t <= t0 with t0^2 < a b |w_i|^2 (Lemma 5):

    phi(t) <= t^2 Q,  Q = lam / (2 a b) + C_self t0 + K t0^2,

    lam    = M_ii - 1/2 = (sum_{i'} |w_i'| s_ii' - sum_j s_ij) / (2 pi |w_i|)
    C_self = rho(t0) |w_i|^3 / (6 pi (a b |w_i|^2 - t0^2)^3),
             rho(t0) = sqrt((a b |w_i|^2 - t0^2)^2 + t0^2 |w_i|^2)
    K      = (a^-3 + b^-3) / (2 pi |w_i|^3) * (sum_{i'} |w_i'| / (8 s_ii') + sum_j s_ij / 4)

with s the sines of the angles between w_i and the other neurons / teachers.
Q < 0 proves phi(t) < 0 on the whole interval 0 < t <= t0.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..interval import Interval, NotProven, pi as pi_enclosure
from ..teacher_student import pairs


@dataclass
class NeuronQuantities:
    """Enclosures over the box X, vectorized over the neurons i (shape (n,))."""

    norms: Interval  # |w_i|
    norm_margin: Interval  # k - sum_i |w_i| (scalar)
    lam: Interval  # M_ii - 1/2
    cross_sum: Interval  # sum_{i'} |w_i'| / (8 s_ii') + sum_j s_ij / 4


def neuron_quantities(X: Interval) -> NeuronQuantities:
    """Norm margin, lam_i = M_ii - 1/2 and the cross-remainder sums for every neuron over the box X
    (teacher I_k), from the pair quantities of certify.kernel.teacher_student (which prove every
    neuron nonzero and every pair non-parallel on X)."""
    n, k = X.shape
    q = pairs(X, angles=False)
    margin = (q.nrm.sum(axis=0) * -1.0) + float(k)
    teach_sin = q.s_t.sum(axis=1)  # (n,): sum_j sin(w_i, e_j)
    teach_rem = teach_sin * 0.25
    if n > 1:
        stud_sin = q.per_student(q.nrm[q.J] * q.s_s)
        stud_rem = q.per_student(q.nrm[q.J] / (q.s_s * 8.0))
    else:
        stud_sin = stud_rem = Interval.point(np.zeros(n))
    lam = (stud_sin - teach_sin) / (q.nrm * (q.PI * 2.0))
    return NeuronQuantities(q.nrm, margin, lam, stud_rem + teach_rem)


@dataclass
class SplitBound:
    lam: Interval  # M_ii - 1/2 (scalar interval)
    c_self: Interval
    k_cross: Interval
    q: Interval  # Q = lam/(2ab) + C_self t0 + K t0^2; phi(t) <= Q.hi t^2 on (0, t0]


def split_bound(nq: NeuronQuantities, i: int, a: Interval, t0: float) -> SplitBound:
    """The bound of Lemma 5 for neuron i, split ratio a (an enclosure of the exact alpha), up to t0."""
    PI = pi_enclosure()
    b = 1.0 - a
    if not (a.lo > 0 and b.lo > 0):
        raise NotProven("alpha not proven inside (0, 1)")
    if not (t0 > 0 and np.isfinite(t0)):
        raise NotProven("t0 must be positive")
    w = nq.norms[i]
    w2 = w.sqr()
    w3 = w2 * w
    ab = a * b
    t0i = Interval.point(t0)
    t02 = t0i.sqr()
    g = ab * w2 - t02  # a b |w|^2 - t0^2
    if not g.lo > 0:
        raise NotProven(f"t0 = {t0!r} is too large: t0^2 < alpha (1 - alpha) |w_i|^2 is not proven")
    rho = (g.sqr() + t02 * w2).sqrt()
    c_self = rho * w3 / (g * g * g * (PI * 6.0))
    inv3 = 1.0 / (a * a * a) + 1.0 / (b * b * b)
    k_cross = inv3 * nq.cross_sum[i] / (w3 * (PI * 2.0))
    lam = nq.lam[i]
    q = lam / (ab * 2.0) + c_self * t0i + k_cross * t02
    return SplitBound(lam, c_self, k_cross, q)


# ----------------------------------------------------------------------------- block-constant (symmetric) points


def compact_neuron_quantities(blocks: tuple[int, ...], V: Interval) -> NeuronQuantities:
    """The same quantities for a block-constant point (docs/overparameterization.md, "Symmetric minima"),
    per block b (every neuron of a block has the same norm, lam and remainder sums), in O(m^3) work
    independent of k, as whole-array interval operations.

    Layout (that of relu-spurious-minimum-symmetric and of the data file): blocks p_0..p_{m-1}, V an
    (m, m+1) interval matrix; for a student c in block b and a coordinate r in block a:
    w_c[r] = V[a, b] (a != b), V[b, b] (r = c), V[b, m] (r in block b, r != c; only if p_b >= 2).
    Multiplicities are exact integers (< 2^53) and each inner product is a sum of cells times them:
    |w_b|^2 = sum_{a != b} p_a V[a,b]^2 + V[b,b]^2 + (p_b - 1) V[b,m]^2; another neuron of block b
    (p_b - 1 of them): sum_{a != b} p_a V[a,b]^2 + 2 V[b,b] V[b,m] + (p_b - 2) V[b,m]^2; a neuron of block
    b' != b (p_b' of them): sum_{a not in {b,b'}} p_a V[a,b] V[a,b'] + (V[b,b] + (p_b - 1) V[b,m]) V[b,b']
    + V[b',b] (V[b',b'] + (p_b' - 1) V[b',m]).
    """
    m = len(blocks)
    p = np.array([int(x) for x in blocks], dtype=np.float64)  # exact integers
    k = float(p.sum())
    PI = pi_enclosure()
    off = ~np.eye(m, dtype=bool)
    pm1 = p - 1.0
    X = V[:, :m]  # X[a, b] = V[a, b]
    d = Interval(np.diag(V.lo[:, :m]).copy(), np.diag(V.hi[:, :m]).copy(), _checked=True)
    o = V[:, m]
    p_off = Interval.point(np.where(off, p[:, None], 0.0))  # p_a off the diagonal, 0 on it

    sq_cols = (X.sqr() * p_off).sum_pairwise(axis=0)  # sum_{a != b} p_a V[a,b]^2
    norms2 = sq_cols + d.sqr() + o.sqr() * Interval.point(pm1)
    if not np.all(norms2.lo > 0):
        raise NotProven("a student neuron may be zero on the box")
    norms = norms2.sqrt()

    def sines(cos: Interval) -> Interval:
        """sqrt(1 - cos^2), after proving 1 - cos^2 > 0 (no two vectors parallel) for every entry."""
        s2 = 1.0 - cos.sqr()
        if not np.all(s2.lo > 0):
            raise NotProven("a student neuron may be parallel to another neuron or to a teacher on the box")
        return s2.sqrt()

    # teachers of a neuron of block b: the coordinate values V[a, b] (x p_a, a != b), V[b, b] (x 1), V[b, m] (x p_b - 1)
    s_x = sines(X / norms.reshape(1, m))  # (m, m)
    s_o = sines(o / norms)
    t_sin = (s_x * Interval.point(np.where(off, p[:, None], 1.0))).sum_pairwise(axis=0) + s_o * Interval.point(pm1)
    t_rem = t_sin * 0.25

    # other students: dot products (m, m); row b, column b2: a neuron of block b with one of block b2
    Xo = Interval(np.where(off, X.lo, 0.0), np.where(off, X.hi, 0.0), _checked=True)  # V[a, b], a != b
    gram = (Xo.reshape(m, m, 1) * Xo.reshape(m, 1, m) * Interval.point(p.reshape(m, 1, 1))).sum_pairwise(axis=0)
    lead = (d + o * Interval.point(pm1)).reshape(m, 1) * X  # (V[b,b] + (p_b - 1) V[b,m]) V[b, b2]
    cross = gram + lead + Interval(lead.lo.T.copy(), lead.hi.T.copy(), _checked=True)
    big = p >= 2
    within = d * o * 2.0 + o.sqr() * Interval.point(p - 2.0) + sq_cols  # another neuron of the same block
    w_lo = np.where(big, within.lo, 0.0)  # p_b = 1: no partner in the block (multiplicity 0; cosine 0)
    w_hi = np.where(big, within.hi, 0.0)
    dot = Interval(np.where(off, cross.lo, np.diag(w_lo)), np.where(off, cross.hi, np.diag(w_hi)), _checked=True)
    nn = norms.reshape(m, 1) * norms.reshape(1, m)
    nn = Interval(np.where(off, nn.lo, np.diag(norms2.lo)), np.where(off, nn.hi, np.diag(norms2.hi)), _checked=True)
    s_s = sines(dot / nn)
    mu = Interval.point(np.where(off, p.reshape(1, m), np.diag(pm1)))  # p_b2 others, p_b - 1 in the block
    n2 = norms.reshape(1, m) * mu
    s_sin = (n2 * s_s).sum_pairwise(axis=1)
    s_rem = (n2 / (s_s * 8.0)).sum_pairwise(axis=1)
    lam = (s_sin - t_sin) / (norms * (PI * 2.0))
    total = (norms * Interval.point(p)).sum_pairwise(axis=0)
    return NeuronQuantities(norms, float(k) - total, lam, s_rem + t_rem)


# ----------------------------------------------------------------------------- (c) same dimension d = k


@dataclass
class SameDimensionBound:
    curvature: Interval  # delta^T H'_ii delta / (2 a b) at W (scalar), over the box
    c_self: Interval  # S(t) <= c_self.hi t^3 on (0, t0]
    hess_upper: float  # (U_a + U_b) / 2: upper bound of the second-order cross terms over the segments
    q: Interval  # Q_c = c_self t0 + hess_upper; phi(t) <= Q_c.hi t^2 on (0, t0]


def _hessian_form(uu: Interval, ux: Interval, ud: Interval, xx: Interval, xd: Interval, dd: Interval) -> Interval:
    """delta^T (d^2/du^2) f(u, x) delta from the Gram entries (Lemma 6):
    sqrt(G)/(2 pi uu) * (dd - ud^2/uu + (xd uu - ux ud)^2/(uu G)),  G = uu xx - ux^2 = |u|^2 |x|^2 sin^2."""
    PI = pi_enclosure()
    G = uu * xx - ux.sqr()
    if not np.all(G.lo > 0):
        raise NotProven("a split copy may be parallel to another neuron or a teacher on the segment "
                        "(t0 too large, or a degenerate point)")
    br = dd - ud.sqr() / uu + (xd * uu - ux * ud).sqr() / (uu * G)
    return G.sqrt() / (uu * (PI * 2.0)) * br


def same_dimension_bound(X: Interval, i: int, a: Interval, delta: np.ndarray, t0: float) -> SameDimensionBound:
    """Part (c), docs/overparameterization.md Lemmas 6-8: the split curve u1 = a w + t delta,
    u2 = b w - t delta (b = 1 - a) with delta in R^k (d = k), uniformly over the box X (n, k) of W.
    phi(t) <= Q t^2 for every 0 < t <= t0, Q = C_self t0 + (U_a + U_b)/2, where U_c is an upper bound of
    sum_x sign_x delta^T Hess_u f(u, x) delta over the segment u = c w + s delta, s between 0 and +-t0."""
    PI = pi_enclosure()
    n, k = X.shape
    b = 1.0 - a
    if not (a.lo > 0 and b.lo > 0):
        raise NotProven("alpha not proven inside (0, 1)")
    if not (t0 > 0 and np.isfinite(t0)):
        raise NotProven("t0 must be positive")
    delta = np.asarray(delta, dtype=np.float64)
    if delta.shape != (k,) or not np.all(np.isfinite(delta)) or not np.any(delta != 0):
        raise NotProven("the direction must be a finite non-zero vector of length k")
    D = Interval.point(delta)
    dd = D.sqr().sum(axis=0)
    w = X[i]
    ww = w.sqr().sum(axis=0)
    wd = (w * D).sum(axis=0)
    # the other students (sign +1) and the teachers e_j (sign -1)
    others = [j for j in range(n) if j != i]
    E = np.eye(k)
    XA = Interval(np.concatenate([X.lo[others], E]), np.concatenate([X.hi[others], E]), _checked=True)
    sign = np.concatenate([np.ones(len(others)), -np.ones(k)])
    plus, minus = sign > 0, sign < 0
    xx = XA.sqr().sum(axis=1)
    wx = (XA * w.reshape(1, k)).sum(axis=1)
    xd = (XA * D.reshape(1, k)).sum(axis=1)

    def signed_sum(form: Interval) -> Interval:
        """An enclosure of sum over the other students minus sum over the teachers of a per-neuron form."""
        total = Interval.point(0.0)
        if plus.any():
            total = total + form[plus].sum(axis=0)
        return total - form[minus].sum(axis=0)

    ab = a * b
    curvature = signed_sum(_hessian_form(ww, wx, wd, xx, xd, dd)) / (ab * 2.0)
    if not curvature.hi < 0:  # decided before the segments: no t0 can help
        raise NotProven(f"delta^T H'_ii delta < 0 not proven for neuron {i} and the stated direction (upper bound "
                        f"of delta^T H'_ii delta / (2 alpha (1 - alpha)): {float(curvature.hi):.3e}): nothing to claim")
    hess = 0.0
    for c, seg in ((a, Interval(0.0, t0)), (b, Interval(-t0, 0.0))):
        uu = c.sqr() * ww + c * seg * wd * 2.0 + seg.sqr() * dd
        if not uu.lo > 0:
            raise NotProven("a split copy may vanish on the segment (t0 too large)")
        ux = c * wx + seg * xd
        ud = c * wd + seg * dd
        U = signed_sum(_hessian_form(uu, ux, ud, xx, xd, dd))
        hess = float((Interval.point(hess) + U).hi)
    hess = float((Interval.point(hess) * 0.5).hi)
    # self-interaction: S(t) = rho (sin th - th cos th)/(2 pi), rho sin th = t P, rho cos th = u1.u2
    T = Interval(0.0, t0)
    P2 = ww * dd - wd.sqr()  # |w|^2 |delta|^2 - (w.delta)^2 >= 0 (Cauchy-Schwarz)
    if not P2.hi >= 0:
        raise NotProven("inconsistent enclosure of |w|^2 |delta|^2 - (w.delta)^2")  # pragma: no cover
    P = Interval(np.maximum(P2.lo, 0.0), P2.hi, _checked=True).sqrt()
    cc = ab * ww + T * (b - a) * wd - T.sqr() * dd  # u1.u2 over 0 <= t <= t0
    if not cc.lo > 0:
        raise NotProven(f"t0 = {t0!r} is too large: u1.u2 > 0 (the angle of the two copies below pi/2) "
                        "is not proven on (0, t0]")
    n1 = a.sqr() * ww + T * a * wd * 2.0 + T.sqr() * dd
    n2 = b.sqr() * ww - T * b * wd * 2.0 + T.sqr() * dd
    rho = (n1 * n2).sqrt()
    c_self = rho * P * P * P / (cc * cc * cc * (PI * 6.0))
    q = c_self * t0 + hess
    return SameDimensionBound(curvature, c_self, hess, q)

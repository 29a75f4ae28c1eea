"""The per-piece proofs of a family certificate: parametric Krawczyk, pencil positive-definiteness
tests, directions of negative curvature, and the limits at s = 0.

TRUSTED (docs/trust.md).  Imports only the kernel and numpy.  Theorems: docs/families.md, sections
"Pieces", "Parametric Krawczyk", "Positive definiteness on a piece", "Limits".

A piece is an s-interval [s_a, s_b] (0 <= s_a < s_b <= 1) with a centre s_c in it, a point psi_c, a
slope w and radii r (all binary64).  Write t = s - s_c (an interval T containing [s_a - s_c, s_b - s_c])
and psi~(s) = psi_c + t w.  Every quantity Q(psi, s) (G, its Jacobian J, the scaled Hessian
compression C, the scaled M, the loss formula) is enclosed in the second-order centred form

    Q(psi~(s) + delta, s)  in  Q(psi_c + delta, s_c) + Q'(psi_c + delta, s_c) T + Q''(hull) T^2 / 2,

where Q', Q'' are the derivatives along the line (psi, s) -> (psi + w dt, s + dt): the first two terms
enclosed at the single point s = s_c (over the box of delta), Q'' over the hull (every point
psi~(s) + delta with s in the piece).  (Taylor's theorem with the Lagrange remainder along the segment
from s_c to s, for each fixed delta.)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..definite import cholesky_succeeds, symmetric_part
from ..interval import Interval, NotProven, norm2_upper_nonneg, round_down, round_up
from .graded import Powers
from .landscape import Point
from .system import Pattern, curvature, equations


@dataclass
class Pieces:
    """The s-intervals of the pieces and the data of their lines (arrays over pieces)."""

    s_lo: np.ndarray  # (N,)
    s_hi: np.ndarray
    centers: np.ndarray  # (N, n) psi_c
    slopes: np.ndarray  # (N, n) w
    radii: np.ndarray  # (N, n) r > 0

    @property
    def n(self) -> int:
        """The number of pieces."""
        return self.s_lo.size

    def s_centre(self) -> np.ndarray:
        """A binary64 point of each piece (the midpoint, rounded)."""
        return np.minimum(np.maximum(0.5 * self.s_lo + 0.5 * self.s_hi, self.s_lo), self.s_hi)

    def t_interval(self) -> Interval:
        """T containing s - s_c for every s of the piece (outward rounded)."""
        sc = self.s_centre()
        return Interval(round_down(self.s_lo - sc), round_up(self.s_hi - sc))


def _matvec(R: np.ndarray, X: Interval) -> Interval:
    """R X for float matrices R (N, n, n) and interval vectors X (N, n) (outward rounded sums)."""
    N, n = X.shape
    return (Interval.point(R) * X.reshape(N, 1, n)).sum_pairwise(2)


def _matmat(R: np.ndarray, J: Interval) -> Interval:
    """R J for float matrices R (N, n, n) and interval matrices J (N, n, n) (outward rounded sums)."""
    N, n, _ = J.shape
    return (Interval.point(R).reshape(N, n, n, 1) * J.reshape(N, 1, n, n)).sum_pairwise(2)


def _hull(pc: Pieces, box: Interval) -> Interval:
    """psi~(s) + box over the piece: psi_c + T w + box."""
    T = pc.t_interval()
    return Interval.point(pc.centers) + Interval.point(pc.slopes) * T.reshape(pc.n, 1) + box


def _powers(pc: Pieces, hull: bool) -> Powers:
    """The hull (every s of the piece, second derivatives) or the centre (s = s_c, first derivatives)."""
    if hull:
        return Powers(pc.s_lo, pc.s_hi, order=2)
    sc = pc.s_centre()
    return Powers(sc, sc, order=1)


def _taylor(c0: Interval, c1: Interval, c2: Interval, T: Interval, shape) -> Interval:
    """c0 + c1 T + c2 T^2 / 2 (T of shape (N,), broadcast over ``shape``)."""
    t = T.reshape(*shape)
    return c0 + c1 * t + (c2 * 0.5) * T.sqr().reshape(*shape)


def _poly_t(coeffs: list, T: Interval, shape) -> Interval:
    """sum_j coeffs[j] T^j with T^2 enclosed as T.sqr() and T^3 as T.sqr() T."""
    t = T.reshape(*shape)
    t2 = T.sqr().reshape(*shape)
    out = coeffs[0] + coeffs[1] * t + coeffs[2] * t2
    if len(coeffs) > 3:
        out = out + coeffs[3] * (t2 * t)
    return out


@dataclass
class KrawczykResult:
    """The Krawczyk test per piece: ok, the enclosure K - psi~(s) of psi*(s) - psi~(s), the relative margin."""
    ok: np.ndarray  # (N,) bool
    offset: Interval  # (N, n) K - psi~(s): encloses psi*(s) - psi~(s)
    margin: np.ndarray  # (N,) min_i (r_i - |K_i|) / r_i


def krawczyk(pat: Pattern, pc: Pieces) -> KrawczykResult:
    """Parametric Krawczyk test on every piece (docs/families.md, "Parametric Krawczyk"): with
    X(s) = psi~(s) + [-r, r], t = s - s_c,

        G(psi~(s), s) in G_c + G_1 t + G_2 t^2 / 2,   J(X(s), s) in J_c + J_1 t + J_2 t^2 / 2

    (centred forms) and the preconditioner R(t) = R_0 + t R_1, R_0 = mid(J_c)^-1, R_1 = -R_0 mid(J_1) R_0
    (any float matrices), the Krawczyk operator of X(s) is

        K - psi~(s) = -R(t) G(psi~(s), s) + (I - R(t) J(X(s), s)) [-r, r],

    enclosed by expanding R(t) G and R(t) J in powers of t.  If it lies within (-r, r) componentwise, then
    for every s of the piece G(., s) has exactly one zero in X(s), and it lies in psi~(s) + K."""
    N, n = pc.centers.shape
    box = Interval(-pc.radii, pc.radii)
    Pc = _powers(pc, False)
    at = equations(pat, Point(Interval.point(pc.centers), pc.slopes), Pc, want_J=False)
    on = equations(pat, Point(Interval.point(pc.centers) + box, pc.slopes), Pc)
    hull = equations(pat, Point(_hull(pc, box), pc.slopes), _powers(pc, True))
    T = pc.t_interval()
    mid, _ = on.J.mid_rad()
    d1mid, _ = on.dJ.mid_rad()
    R0 = np.zeros_like(mid)
    singular = np.zeros(N, dtype=bool)
    for i in range(N):
        try:
            R0[i] = np.linalg.inv(mid[i])
        except np.linalg.LinAlgError:
            singular[i] = True
    bad = ~np.isfinite(R0).all(axis=(1, 2))
    singular |= bad
    R0[singular] = 0.0
    R1 = -np.einsum("nij,njk,nkl->nil", R0, d1mid, R0)  # float: any matrix will do
    R1[~np.isfinite(R1).all(axis=(1, 2))] = 0.0
    G2 = hull.d2G * 0.5
    J2 = hull.d2J * 0.5
    RG = _poly_t([_matvec(R0, at.G), _matvec(R0, at.dG) + _matvec(R1, at.G),
                  _matvec(R0, G2) + _matvec(R1, at.dG), _matvec(R1, G2)], T, (N, 1))
    RJ = _poly_t([_matmat(R0, on.J), _matmat(R0, on.dJ) + _matmat(R1, on.J),
                  _matmat(R0, J2) + _matmat(R1, on.dJ), _matmat(R1, J2)], T, (N, 1, 1))
    E = Interval.point(np.broadcast_to(np.eye(n), (N, n, n)).copy()) - RJ
    K = (E * box.reshape(N, 1, n)).sum_pairwise(2) - RG
    size = np.maximum(np.abs(K.lo), np.abs(K.hi))
    ok = np.all(size < pc.radii, axis=1) & ~singular
    margin = np.min((pc.radii - size) / pc.radii, axis=1)
    return KrawczykResult(ok, K, margin)


@dataclass
class CurvatureResult:
    """For every s of each piece: C(s) in C_c + C_1 t + C_2 t^2 (C_2: half the second derivative), the
    same for M; the loss formula enclosed over the piece."""

    C_c: Interval  # (N, nq, nq) at the centre
    C_1: Interval  # first derivative at the centre
    C_2: Interval  # half the second derivative over the hull
    M_c: Interval
    M_1: Interval
    M_2: Interval
    loss: Interval  # (N,)


def curvatures(pat: Pattern, pc: Pieces, offset: Interval, loss_power: int) -> CurvatureResult:
    """Centred-form enclosures of C, M and the loss at psi*(s) in psi~(s) + offset, for every s of each piece."""
    N = pc.n
    cen = curvature(pat, Point(Interval.point(pc.centers) + offset, pc.slopes), _powers(pc, False), loss_power)
    hul = curvature(pat, Point(_hull(pc, offset), pc.slopes), _powers(pc, True), loss_power)
    T = pc.t_interval()
    loss = _taylor(cen.loss, cen.dloss, hul.d2loss, T, (N,))
    return CurvatureResult(cen.C, cen.dC, hul.d2C * 0.5, cen.M, cen.dM, hul.d2M * 0.5, loss)


def _endpoint_matrices(A: Interval, B: Interval, E: Interval, delta: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """For A' + t B' + t^2 E' (A' in A, B' in B, E' in E, |t| <= delta): the two point matrices
    mid(A) -/+ delta mid(B) (exactly symmetric floats) and a radius matrix R >= 0 with
    |A' + t B' + t^2 E' - (mid(A) + t mid(B))| <= R, the rounding of the endpoints included."""
    As, Bs = symmetric_part(A), symmetric_part(B)
    emag = round_up(E.mag() * round_up(delta * delta))
    am, ar = As.mid_rad()
    bm, br = Bs.mid_rad()
    out = []
    for sign in (-1.0, 1.0):
        e = Interval.point(am) + Interval.point(bm) * (sign * delta)
        em, er = e.mid_rad()
        em = 0.5 * (em + em.T)  # a + a^T is exactly symmetric; halving is exact
        er = round_up(er + round_up(np.abs(em - 0.5 * (e.lo + e.hi))))
        rad = round_up(round_up(round_up(ar + round_up(br * delta)) + er) + emag)
        out.append((em, np.maximum(rad, rad.T)))
    return out


def pencil_lower_bound(A: Interval, B: Interval, E: Interval, delta: float) -> float:
    """A proven mu > 0 with lambda_min(A' + t B' + t^2 E') > mu for all A' in A, B' in B, E' in E (the sums
    symmetric), |t| <= delta (docs/families.md, "Positive definiteness on a piece": lambda_min of the pencil
    mid(A) + t mid(B) is concave in t, so it is at least its minimum over the two endpoints; the rest is
    Weyl).  Raises NotProven if not proven."""
    ends = _endpoint_matrices(A, B, E, delta)
    ests = []
    for em, rad in ends:
        if not np.all(np.isfinite(em)):
            raise NotProven("non-finite Hessian enclosure")
        ests.append(float(np.linalg.eigvalsh(em)[0]) - norm2_upper_nonneg(rad))
    target = min(ests)
    if not target > 0:
        raise NotProven("not positive definite on the piece")
    for shift in [0.98 * target, 0.9 * target, 0.5 * target, 0.25 * target, 0.1 * target]:
        if all(cholesky_succeeds(em, norm2_upper_nonneg(rad), shift) for em, rad in ends):
            return float(shift)
    raise NotProven("positive definiteness could not be proven (Cholesky test failed)")


def negative_curvature_upper(A: Interval, B: Interval, E: Interval, T: Interval) -> float:
    """An upper bound of max over the piece of v^T (A' + t B' + t^2 E') v / v^T v for the float unit vector v of
    the smallest eigenvalue of mid(A) (any float v is sound: only the enclosure is relied on)."""
    am, _ = symmetric_part(A).mid_rad()
    if not np.all(np.isfinite(am)):
        return float("nan")
    v = np.linalg.eigh(am)[1][:, 0]
    n = v.size
    V = Interval.point(v)
    vv = (V.reshape(n, 1) * V.reshape(1, n))

    def quad(X: Interval) -> Interval:
        """The enclosure of v^T X v (sums outward rounded)."""
        return (X * vv).reshape(n * n).sum_pairwise(0)

    num = quad(A) + quad(B) * T + quad(E) * T.sqr()
    den = V.sqr().sum_pairwise(0)
    return float((num / den).hi)


def limit_box_check(pat: Pattern, center: np.ndarray, radius: np.ndarray) -> Interval:
    """Krawczyk at the single point s = 0: returns the enclosure K of the unique zero of G(., 0) in
    center + [-radius, radius] (docs/families.md, "Limits")."""
    pc = Pieces(np.zeros(1), np.zeros(1), center.reshape(1, -1), np.zeros_like(center).reshape(1, -1),
                radius.reshape(1, -1))
    res = krawczyk(pat, pc)
    if not res.ok[0]:
        raise NotProven("Krawczyk's test failed at s = 0 (the limit point): radius too small or too large")
    return Interval.point(center.reshape(1, -1)) + res.offset


def schur_bounds(X: Interval, small: np.ndarray, lo: float, hi: float) -> None:
    """Prove lo < lambda_min(D - B^T A^-1 B) < hi for every matrix [[A, B], [B^T, D]] in X (A: the rows and
    columns where small is False; D: where it is True): X - lo E is positive definite (E the 0/1 diagonal
    of the small coordinates; this also proves A > 0), and a fixed vector x has x^T (X - hi E) x < 0
    (docs/families.md, "Limits").  Raises NotProven otherwise."""
    n = X.shape[0]
    E = np.diag(small.astype(np.float64))
    Xs = symmetric_part(X)
    lower = Xs - Interval.point(E) * float(lo)
    mid, rad = lower.mid_rad()
    if not cholesky_succeeds(0.5 * (mid + mid.T), norm2_upper_nonneg(np.maximum(rad, rad.T)), 0.0):
        raise NotProven(f"the limit eigenvalue is not proven > {lo!r}")
    upper = Xs - Interval.point(E) * float(hi)
    um, _ = upper.mid_rad()
    x = np.linalg.eigh(0.5 * (um + um.T))[1][:, 0]
    V = Interval.point(x)
    q = (upper * (V.reshape(n, 1) * V.reshape(1, n))).reshape(n * n).sum_pairwise(0)
    if not q.hi < 0.0:
        raise NotProven(f"the limit eigenvalue is not proven < {hi!r}")

"""Claim kind ``relu-spurious-minimum-teacher-ball``: a spurious strict local minimum for EVERY symmetric
teacher S in the Frobenius ball ||S - I||_F <= rho (which contains the spectral ball ||S - I||_2 <= rho/sqrt(k)).

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and python-flint.

Claim (docs/teacher-ball.md, "Theorem").  For every symmetric k x k matrix S with ||S - I||_F <= rho, the
two-layer ReLU teacher-student loss F_S (n = k students, teacher rows s_j, embedded in R^d as [S, 0]) has a
strict local minimum x*_S with F_S(x*_S) > 0 within Euclidean distance ``radius`` of ``point``, for every
input dimension d >= k.

How (docs/teacher-ball.md, "The check").  Free entries sigma_e = S_jl - delta_jl (j <= l), weights w_e = 1
on the diagonal and 2 off it, so ||S - I||_F^2 = sum_e w_e sigma_e^2 =: ||sigma||_W^2.  With x0 = ``point``,
H0, D0 = d grad F/d sigma at (x0, I), any binary64 matrices J (N x E; the check takes -H0^{-1} D0) and Q
(N x N; the check takes the inverse transposed Cholesky factor of H0), the point map x~(sigma) = x0 + J sigma
and the coordinates x = x~(sigma) + Q y, |y| <= ``ball_radius`` = r:

  mu  = mu0 - Lambda1 rho - c_x r - rem_H           <= lambda_min(Q^T H(x, S) Q) on the whole region,
  g   = |Q^T grad F0| + ||Q^T K0||_F rho + Lambda_G rho^2 / 2 + ||Q|| rem_g  >= |Q^T grad F_S(x~(sigma))|,
  loss_lo = F0 - |grad psi(0)|_W* rho - L2          <= F_S(x~(sigma)),

where mu0 <= lambda_min(Q^T H0 Q); K0 = H0 J + D0; Lambda1, c_x, Lambda_G bound the first-order (third-
derivative) terms through the matrix-variance inequality ||sum_e sigma_e A_e|| <= ||sigma||_W ||sum_e
A_e^2 / w_e||^{1/2}; rem_H, rem_g are second- and third-order remainders from the pair majorants
(majorants.py), and L2 = max(0, -lambda_min(D^2 psi(0); W)) rho^2/2 + (third-order majorant)/6 for
psi(sigma) = F_S(sigma)(x~(sigma)).  If g < mu r, loss_lo - g^2/(2 mu) > 0, M >= mu_M I > 0 on the hull box of the region, and
||J||_W rho + ||Q|| g/mu <= ``radius``, the claim holds (box argument in the y coordinates, every sigma).
With ``shells`` = m > 1 (docs/teacher-ball.md, Lemma A' and the Theorem with shells) mu is computed for each
y-ball radius s_j = j r / m, and g < sum_j (s_j - s_{j-1}) mu_j replaces g < mu r (mu -> min_j mu_j elsewhere).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb

from ..box_argument import loss_lower_bound
from ..certificate import (CertificateError, as_rational, get_binary64, get_binary64_array, get_int, get_object,
                           rational_str, require)
from ..contract import ClaimKind, Proven
from ..definite import min_eigenvalue_lower_bound
from ..interval import Interval, NotProven, frac_up, norm2_upper
from ..interval import round_down as _down, round_up as _up
from ..teacher_student import enclose, free_entries, tangent_enclosures
from ..teacher_box.kind import corollary_d0 as box_corollary_d0, corollary_prec, int_above, matmul_point
from .linalg import add_up, frob, frob_interval, gemm, lam_max_upper, mul_up, symmetric_mid, usum
from .majorants import pair_majorants

MAX_K = 20
MAX_SHELLS = 64
MAX_RATIONAL_CHARS = 64
DEFAULT_DELTA = Fraction(1, 100)


@dataclass(frozen=True)
class TeacherBallClaim:
    k: int
    rho: Fraction
    point: np.ndarray  # (k, k)
    ball_radius: float
    radius: float
    shells: int = 1  # m of the Theorem with shells (docs/teacher-ball.md); 1 = Lemma A


def corollary_d0(k: int, rho: Fraction, delta: Fraction = DEFAULT_DELTA) -> int:
    """The least integer d0 >= k (sqrt(k) + t)^2 / rho^2, t = sqrt(2 ln(2/delta)) (docs/teacher-ball.md,
    Corollary), or one more: the box's d0 arithmetic with the factor k.  CertificateError unless 0 < delta < 1
    and 0 < rho < 1."""
    return box_corollary_d0(k, rho, delta, factor=k)


def frobenius_beta(k: int, d) -> arb:
    """beta_k(d) = k(k+1)/4 + k(9k^2 + 22k + 21)/(8d) + 5k(k^3 + 6k^2 + 21k + 20)/(8d^2) as an arb (d an integer
    or arb > 0): E ||S - I||_F^2 <= beta_k(d)/d for S = (V V^T)^(1/2), V with i.i.d. N(0, 1/d) entries
    (docs/teacher-ball.md, Corollary 2: Lemmas D and E)."""
    k_, d_ = arb(k), arb(d)
    return (k_ * (k_ + 1) / 4 + k_ * (9 * k_ * k_ + 22 * k_ + 21) / (8 * d_)
            + 5 * k_ * (k_ ** 3 + 6 * k_ * k_ + 21 * k_ + 20) / (8 * d_ * d_))


def corollary_d0_frobenius(k: int, rho: Fraction, delta: Fraction = DEFAULT_DELTA) -> int:
    """An integer d0 >= k for which (sqrt(beta_k(d0)) + t)^2 <= rho^2 d0 is proven, t = sqrt(2 ln(1/delta))
    (docs/teacher-ball.md, Corollary 2: then the condition holds for every d >= d0, because
    (sqrt(beta_k(d)) + t)/sqrt(d) decreases in d).  Found by the fixed-point iteration
    d <- ceil((sqrt(beta_k(d)) + t)^2 / rho^2) from d = max(k, ceil((sqrt(k(k+1)/4) + t)^2 / rho^2)), which
    then steps down while the condition stays proven: d0 is the least d >= k at which arb (at
    corollary_prec(rho) bits) proves it, unless the iteration overshot by more than 64 (it does not for
    rho < 1/10: beta_k varies by less than 1e-3 there).  CertificateError unless 0 < delta < 1 and 0 < rho < 1;
    NotProven if no d is proven within 64 steps."""
    from flint import ctx

    if not (0 < delta < 1) or not (0 < rho < 1):
        raise CertificateError("corollary needs 0 < delta < 1 and 0 < rho < 1")
    with ctx.workprec(corollary_prec(rho)):
        t = (2 * (arb(delta.denominator) / arb(delta.numerator)).log()).sqrt()
        r2 = (arb(rho.numerator) / arb(rho.denominator)) ** 2

        def lhs(d: int) -> arb:
            """(sqrt(beta_k(d)) + t)^2; the condition at d is lhs(d) <= rho^2 d."""
            return (frobenius_beta(k, d).sqrt() + t) ** 2

        d = max(k, int_above(((arb(k * (k + 1)) / 4).sqrt() + t) ** 2 / r2) - 1)
        for _ in range(64):
            v = lhs(d)
            if v <= r2 * d:  # arb: True only when it holds for every point of both enclosures
                for _ in range(64):  # step down to the least proven d (the condition is monotone in d)
                    if d - 1 < k or not lhs(d - 1) <= r2 * (d - 1):
                        break
                    d -= 1
                return d
            d = max(d + 1, int_above(v / r2))
        raise NotProven("corollary: d0 of the Frobenius concentration bound not found")


# ----------------------------------------------------------------------------- the bounds


def _weights(k: int) -> np.ndarray:
    """The weights w_e of the free entries, in the order of free_entries(k): 1.0 on the diagonal (j = l), 2.0
    off it, so that ||S - I||_F^2 = sum_e w_e sigma_e^2 (module docstring); exact."""
    jj, ll = free_entries(k)
    return np.where(jj == ll, 1.0, 2.0)


def _teacher_direction(k: int, e: int) -> np.ndarray:
    """E_e = dS/dsigma_e for the free entry e = (j, l): the symmetric k x k matrix with 1 at (j, l) and (l, j)
    (a single 1 when j = l), 0 elsewhere; exact."""
    jj, ll = free_entries(k)
    T = np.zeros((k, k))
    T[jj[e], ll[e]] = 1.0
    T[ll[e], jj[e]] = 1.0
    return T


class _Accumulator:
    """sum_e A_e^T A_e / w_e for float matrices A_e, with a Frobenius error bound (linalg module docstring:
    each entry is a sum of products over (e, l), every term through at most p + E + 1 roundings), and
    eps = sqrt(sum_e eps_e^2 / w_e) for the given errors of the A_e themselves."""

    def __init__(self, size: int, inner: int):
        """An empty sum: S = 0 (size x size), T = eps2 = 0, no terms.  ``inner`` is the inner dimension p of the
        products A_e^T A_e (the number of rows of each A_e), counted in the rounding bound of :meth:`bound`."""
        self.S = np.zeros((size, size))
        self.T = 0.0  # >= sum_e ||A_e||_F^2 / w_e
        self.eps2 = 0.0  # >= sum_e eps_e^2 / w_e
        self.count = 0
        self.inner = inner

    def add(self, A: np.ndarray, eps: float, w: float) -> None:
        """Adds one term: S += fl(A^T A / w) (BLAS, round to nearest; its error is bounded in :meth:`bound`),
        T += frob(A)^2 / w and eps2 += eps^2 / w (both rounded up).  A is the binary64 matrix that stands for an
        exact A_e with ||A_e - A||_F <= eps: the caller's claim, not checked here.  w is the weight w_e
        (1 or 2, so that the division is exact up to underflow; one rounding is counted for it in :meth:`bound`).
        NotProven (from frob) if A is not finite."""
        self.S += (A.T @ A) / w
        f = frob(A)
        self.T = add_up(self.T, float(_up(mul_up(f, f) / w)))
        self.eps2 = add_up(self.eps2, float(_up(mul_up(eps, eps) / w)))
        self.count += 1

    def bound(self, weights=None) -> float:
        """A proven upper bound of sup_{||s||_W <= 1} ... = sqrt(lambda_max(S; W)) + sqrt(eps2) (callers)."""
        if not np.all(np.isfinite(self.S)):
            raise NotProven("non-finite accumulated matrix")
        r = self.inner + self.count + 2  # the products, the accumulation, the division by w
        n = self.S.shape[0]
        err = add_up(mul_up(gamma_r(r), self.T), mul_up(float(r) * 2.0**-1074, float(n) + 1.0))
        M, e2 = symmetric_mid(self.S)
        c = lam_max_upper(M, add_up(err, e2), weights)
        return add_up(float(_up(math.sqrt(c))), float(_up(math.sqrt(self.eps2))))


def gamma_r(r: int) -> float:
    """An upper bound of gamma_r = r u / (1 - r u), u = 2^-53 (interval.gamma_upper: 2 r u rounded up);
    NotProven unless r u < 1/2."""
    from ..interval import gamma_upper

    return gamma_upper(r)


def _transform(Kmid: np.ndarray, Krad_frob: float, Q: np.ndarray, normQ: float) -> tuple[np.ndarray, float]:
    """(Q^T Kmid Q in binary64, e) with ||Q^T K Q - result||_F <= e for every K with ||K - Kmid||_F <= Krad_frob
    (normQ >= ||Q||_2; ||Q^T X||_F <= ||Q||_2 ||X||_F)."""
    Y, e1 = gemm(Kmid, Q)
    Z, e2 = gemm(Q.T, Y)
    e = add_up(mul_up(normQ, e1), e2, mul_up(normQ, normQ, Krad_frob))
    return Z, e


def _symmetrized(Z: np.ndarray, e: float) -> tuple[np.ndarray, float]:
    """((Z + Z^T)/2, e'): an exactly symmetric float matrix within e' >= e + |Z - result|_F of the target."""
    Zs = (Z + Z.T) / 2
    Zs = np.triu(Zs) + np.triu(Zs, 1).T
    return Zs, add_up(e, frob(_up(np.abs(Z - Zs))))


def centre_bounds(k: int, point: np.ndarray, chunk: int | None = None) -> dict:
    """The bounds of the check that do not depend on rho and r (module docstring): enclosures at the centre
    (x0, I), the point map J, the scaling Q, mu0, the norms of J and Q, and the first-order constants
    Lambda1, c_x, Lambda_G (the expensive part: tangents of H along E + N directions).  NotProven where an
    enclosure fails."""
    n = k
    N, E = n * k, k * (k + 1) // 2
    w = _weights(k)
    I = np.eye(k)
    X0 = Interval.point(point)
    at = enclose(X0, ("loss", "grad", "hess_entries", "dgrad_dteacher", "dloss_dteacher"), teacher=Interval.point(I))
    Hm = at.hess_entries.mid_rad()[0]
    Hm = (Hm + Hm.T) / 2
    Dm = at.dgrad_dteacher.mid_rad()[0]
    with np.errstate(all="ignore"):
        try:
            J = -np.linalg.solve(Hm, Dm)
            L = np.linalg.cholesky(Hm)
            Q = np.linalg.inv(L).T
        except np.linalg.LinAlgError:
            raise NotProven("the Hessian at the point is not positive definite (Cholesky failed)") from None
    if not (np.all(np.isfinite(J)) and np.all(np.isfinite(Q))):
        raise NotProven("point map or scaling not finite")
    # mu0 <= lambda_min(Q^T H0 Q)
    HQ = matmul_point(at.hess_entries, Q)  # H0 Q
    QHQ = matmul_point(Interval(HQ.lo.T.copy(), HQ.hi.T.copy()), Q)  # (H0 Q)^T Q = Q^T H0 Q
    try:
        mu0 = min_eigenvalue_lower_bound(QHQ)
    except NotProven:
        raise NotProven("Q^T H0 Q not proven positive definite") from None
    # norms of Q and J
    from .linalg import spectral_upper

    normQ = spectral_upper(Q)
    normJ = spectral_upper(J)
    JtJ, e = gemm(J.T, J)
    M, e2 = symmetric_mid(JtJ)
    normJ_W = float(_up(math.sqrt(lam_max_upper(M, add_up(e, e2), w))))  # sup |J sigma| / ||sigma||_W
    # per-student block norms (spectral norms of k x E / k x N row blocks)
    rho_J = np.zeros(n)
    rho_Q = np.zeros(n)
    for i in range(n):
        Ji = J[i * k:(i + 1) * k]
        G, e = gemm(Ji, Ji.T / w[:, None])  # J_i W^-1 J_i^T (halving exact unless subnormal: + E eta |J_i|)
        e = add_up(e, mul_up(frob(Ji), float(E), 2.0**-1074))
        M, e2 = symmetric_mid(G)
        rho_J[i] = float(_up(math.sqrt(lam_max_upper(M, add_up(e, e2)))))
        Qi = Q[i * k:(i + 1) * k]
        G, e = gemm(Qi, Qi.T)
        M, e2 = symmetric_mid(G)
        rho_Q[i] = float(_up(math.sqrt(lam_max_upper(M, add_up(e, e2)))))
    # gradient at the centre, K0 = H0 J + D0
    gQ = matmul_point(at.grad.reshape(1, N), Q)
    g0 = norm2_upper(gQ)
    K0 = matmul_point(at.hess_entries, J) + at.dgrad_dteacher
    QK0 = matmul_point(Interval(K0.lo.T.copy(), K0.hi.T.copy()), Q)  # (Q^T K0)^T
    nK0 = frob_interval(QK0)
    # grad psi(0) = J^T grad F0 + dF/dsigma
    gpsi = matmul_point(at.grad.reshape(1, N), J).reshape(E) + at.dloss_dteacher
    gm = gpsi.mag()
    gpsi_w = float(_up(math.sqrt(usum(_up(_up(gm * gm) / w)))))
    # D^2 psi(0) = J^T H0 J + J^T D0 + D0^T J + P^T H_T P (E x E), with H_T the Hessian of F in the teacher rows:
    # F(W; T) is symmetric in the students W and the teacher rows T, so H_T is the Hessian formula with the roles
    # exchanged (students T = I, teacher rows W = x0); P maps sigma to the teacher matrix (columns E_e)
    HJ = matmul_point(at.hess_entries, J)  # H0 J (N x E)
    JHJ = matmul_point(Interval(HJ.lo.T.copy(), HJ.hi.T.copy()), J)  # (H0 J)^T J = J^T H0 J
    JD = matmul_point(Interval(at.dgrad_dteacher.lo.T.copy(), at.dgrad_dteacher.hi.T.copy()), J)  # D0^T J
    HT = enclose(Interval.point(I), ("hess_entries",), teacher=X0).hess_entries  # (k^2 x k^2), rows of T
    jj, ll = free_entries(k)
    idx = [sorted({int(jj[e]) * k + int(ll[e]), int(ll[e]) * k + int(jj[e])}) for e in range(E)]
    lo, hi = np.zeros((E, E)), np.zeros((E, E))
    for e in range(E):
        for f in range(E):
            acc = Interval.point(0.0)
            for a_ in idx[e]:
                for b_ in idx[f]:
                    acc = acc + HT[a_, b_]
            lo[e, f], hi[e, f] = float(acc.lo), float(acc.hi)
    psi2 = JHJ + JD + Interval(JD.lo.T.copy(), JD.hi.T.copy()) + Interval(lo, hi)
    pm, pr = psi2.mid_rad()
    M2, e2 = symmetric_mid((pm + pm.T) / 2)
    e2 = add_up(e2, frob(pr), frob(_up(np.abs(pm - (pm + pm.T) / 2))))
    # lambda_min(D^2 psi(0); W) >= -lambda_max(-D^2 psi(0); W)
    psi2_min = -lam_max_upper(-M2, e2, w)

    # ---- first-order terms: tangents of H (and D) along (J_e, E_e) and along (Q_q, 0)
    m_chunk = chunk or max(1, min(64, int(1.5e6 // k**4)))  # tangent arrays of m k^4 numbers
    acc1 = _Accumulator(N, N)  # sum_e Khat_e^2 / w_e   (Khat symmetric: Khat^T Khat = Khat^2)
    accG = _Accumulator(E, N)  # sum_e B_e^T B_e / w_e,  B_e = Q^T (K_e J + Dd_e)
    accX = _Accumulator(N, N)  # sum_q Uhat_q^2
    dirs_t = [(J[:, e].reshape(n, k), _teacher_direction(k, e)) for e in range(E)]
    for s0 in range(0, E, m_chunk):
        part = dirs_t[s0:s0 + m_chunk]
        dX = Interval.point(np.stack([d[0] for d in part]))
        dT = Interval.point(np.stack([d[1] for d in part]))
        tan = tangent_enclosures(X0, Interval.point(I), dX, dT, want=("hess", "dgrad"))
        for a, e in enumerate(range(s0, s0 + len(part))):
            Kmid0, Krad = tan["hess"][a].mid_rad()
            Kmid = (Kmid0 + Kmid0.T) / 2  # the exact K_e is symmetric; |K_e - Kmid| <= Krad + |Kmid0 - Kmid|
            Krad_f = add_up(frob(Krad), frob(_up(np.abs(Kmid0 - Kmid))))
            Khat, ek = _transform(Kmid, Krad_f, Q, normQ)
            acc1.add(*_symmetrized(Khat, ek), w[e])
            Dmid, Drad = tan["dgrad"][a].mid_rad()
            KJ, ekj = gemm(Kmid, J)
            Te = KJ + Dmid
            eT = add_up(ekj, mul_up(Krad_f, normJ), frob(Drad), mul_up(2.0**-52, frob(Te)))
            Be, eb = gemm(Q.T, Te)
            accG.add(Be, add_up(eb, mul_up(normQ, eT)), w[e])
    dirs_x = [Q[:, q].reshape(n, k) for q in range(N)]
    zeroT = np.zeros((k, k))
    for s0 in range(0, N, m_chunk):
        part = dirs_x[s0:s0 + m_chunk]
        dX = Interval.point(np.stack(part))
        dT = Interval.point(np.stack([zeroT] * len(part)))
        tan = tangent_enclosures(X0, Interval.point(I), dX, dT, want=("hess",))
        for a in range(len(part)):
            Umid0, Urad = tan["hess"][a].mid_rad()
            Umid = (Umid0 + Umid0.T) / 2
            Urad_f = add_up(frob(Urad), frob(_up(np.abs(Umid0 - Umid))))
            Uhat, eu = _transform(Umid, Urad_f, Q, normQ)
            accX.add(*_symmetrized(Uhat, eu), 1.0)
    Lam1 = acc1.bound()
    LamG = accG.bound(w)
    cx = accX.bound()
    return {"k": k, "point": point, "at": at, "J": J, "Q": Q, "w": w, "mu0": mu0, "normQ": normQ, "normJ_W": normJ_W,
            "rho_J": rho_J, "rho_Q": rho_Q, "g0": g0, "nK0": nK0, "gpsi_w": gpsi_w, "psi2_min": psi2_min,
            "psi2_max": lam_max_upper(M2, e2, w),
            "Lambda1": Lam1, "c_x": cx, "Lambda_G": LamG}


def region_bounds(cb: dict, rho: Fraction, r: float) -> dict:
    """The bounds for the teacher ball of radius rho and the y-ball radius r, from centre_bounds: the pair
    majorant remainders, mu, g, the loss bounds, and M over the region."""
    k, at, Q = cb["k"], cb["at"], cb["Q"]
    n = k
    rho_up = frac_up(rho)
    mu0, normQ, normJ_W, rho_J, rho_Q = cb["mu0"], cb["normQ"], cb["normJ_W"], cb["rho_J"], cb["rho_Q"]
    g0, nK0, gpsi_w, Lam1, cx, LamG = cb["g0"], cb["nK0"], cb["gpsi_w"], cb["Lambda1"], cb["c_x"], cb["Lambda_G"]


    # ---- remainders from the pair majorants
    q = at.pairs
    rad_full = _up(_up(rho_J * rho_up) + _up(rho_Q * r))  # |delta_i| on the region
    rad_path = _up(rho_J * rho_up)  # |delta_i| along the point map (y = 0)
    if not np.all(rad_full < q.nrm.lo):  # written so that a NaN fails too
        raise NotProven("the region reaches a zero student neuron")
    It = np.repeat(np.arange(n), k)
    maj_t = pair_majorants(q.nrm[It], Interval.point(np.ones(n * k)), q.c_t.reshape(n * k),
                           rad_full[It], np.full(n * k, rho_up))
    maj_s = pair_majorants(q.nrm[q.I], q.nrm[q.J], q.c_s, rad_full[q.I], rad_full[q.J]) if q.I.size else None
    dx = add_up(mul_up(normJ_W, rho_up), mul_up(normQ, r))  # >= |J sigma + Q y|
    Dx2 = mul_up(dx, dx)  # >= sum_i |delta_i|^2 on the region

    def teacher_sum(mj, a_i, b_tot):
        """sum_j (P a^2 + Q a b_j + R b_j^2) over j with sum_j b_j^2 <= b_tot^2, per student (n,)."""
        P = mj.P.reshape(n, k)
        Qc = mj.Q.reshape(n, k)
        R = mj.R.reshape(n, k)
        sP = np.array([usum(P[i]) for i in range(n)])
        sQ = np.array([float(_up(math.sqrt(usum(_up(Qc[i] ** 2))))) for i in range(n)])
        mR = R.max(axis=1)
        return _up(_up(_up(sP * a_i) * a_i) + _up(_up(_up(sQ * a_i) * b_tot) + _up(_up(mR * b_tot) * b_tot)))

    # Hessian remainder: c_i with u^T Rem u <= sum_i c_i |u_i|^2
    cA_t = teacher_sum(maj_t["A"], rad_full, rho_up)
    c = _up(0.5 * cA_t)
    if maj_s is not None:
        Ps = np.maximum(maj_s["A"].P, maj_s["A2"].P)
        Qs = np.maximum(maj_s["A"].Q, maj_s["A2"].Q)
        Rs = np.maximum(maj_s["A"].R, maj_s["A2"].R)
        Ps, Qs, Rs = _up(Ps + maj_s["B"].P), _up(Qs + maj_s["B"].Q), _up(Rs + maj_s["B"].R)
        ai, aj = rad_full[q.I], rad_full[q.J]
        direct = _up(_up(_up(Ps * ai) * ai) + _up(_up(_up(Qs * ai) * aj) + _up(_up(Rs * aj) * aj)))
        per = np.array([usum(direct[q.I == i]) for i in range(n)])
        # structured alternative: sum_i' |delta_i'|^2 <= Dx2
        sPs = np.array([usum(Ps[q.I == i]) for i in range(n)])
        sQs = np.array([float(_up(math.sqrt(usum(_up(Qs[q.I == i] ** 2))))) for i in range(n)])
        mRs = np.array([float(Rs[q.I == i].max()) for i in range(n)])
        structured = _up(_up(_up(sPs * rad_full) * rad_full) + _up(_up(_up(sQs * rad_full) * dx) + _up(mRs * Dx2)))
        c = _up(c + _up(0.5 * np.minimum(per, structured)))
    # u^T Rem u <= (Q y)^T C (Q y) <= lambda_max(Q^T C Q) |y|^2,  C = diag(c_i) (x) I_k
    cq = np.repeat(c, k)
    CQ = cq[:, None] * Q  # rounding: |error| <= u |c| |Q| entrywise
    G, eG = gemm(Q.T, CQ)
    M, e2 = symmetric_mid(G)
    eC = add_up(eG, e2, mul_up(normQ, 2.0**-52, float(cq.max()), frob(Q)))
    remH = min(lam_max_upper(M, eC), mul_up(float(c.max()), normQ, normQ))
    # gradient remainder (third order, along the path): |R3_i| per student
    a0 = rad_path
    tA = teacher_sum(maj_t["A"], a0, rho_up)
    # sum_j d2B_ij(a_i, b_j) b_j <= |P^B_i.|_2 a_i^2 rho + max Q^B a_i rho^2 + max R^B rho^3
    PB = maj_t["B"].P.reshape(n, k)
    QB = maj_t["B"].Q.reshape(n, k)
    RB = maj_t["B"].R.reshape(n, k)
    nPB = np.array([float(_up(math.sqrt(usum(_up(PB[i] ** 2))))) for i in range(n)])
    tB = _up(_up(_up(_up(nPB * a0) * a0) * rho_up) + _up(_up(_up(QB.max(axis=1) * a0) * rho_up) * rho_up)
             + _up(_up(_up(RB.max(axis=1) * rho_up) * rho_up) * rho_up))
    r3 = _up(_up(tA * a0) + tB)
    r3_t = _up(r3 / 6.0)  # the student-teacher part alone, per student (blocks i only)
    rs_joint = 0.0
    if maj_s is not None:
        ai, aj = a0[q.I], a0[q.J]
        d2s = _up(_up(_up(Ps * ai) * ai) + _up(_up(_up(Qs * ai) * aj) + _up(_up(Rs * aj) * aj)))
        nrm = _up(np.sqrt(_up(_up(ai * ai) + _up(aj * aj))))
        r3 = _up(r3 + np.array([usum(_up(d2s * nrm)[q.I == i]) for i in range(n)]))
        rs_joint = _student_pairs_joint(n, q.I, q.J, Ps, Qs, Rs, a0, mul_up(normJ_W, rho_up))
    r3 = _up(r3 / 6.0)
    remg_per = float(_up(math.sqrt(usum(_up(r3 * r3)))))
    # docs/teacher-ball.md, "Sharper third-order gradient remainder": |R3| <= |R_T| + |R_S|
    remg_joint = add_up(float(_up(math.sqrt(usum(_up(r3_t * r3_t))))), rs_joint)
    remg = min(remg_per, remg_joint)
    # loss along the point map: psi(sigma) = F_S(sigma)(x~(sigma)) >= psi(0) + grad psi(0) sigma
    # + 1/2 min(0, lambda_min(D^2 psi(0); W)) rho^2 - (1/6) C3, where C3 bounds |D^3 psi| pair by pair:
    # |D^3 f[d, d, d]| = |d^T (Dh[d]) d| <= (max(d1 A, d1 A(v, w)) + d1 B)(a, b) (a^2 + b^2)
    def d1h(mj):
        """Coefficients (p, q) per pair with ||Dh[delta]||_2 <= p a + q b on the pair region, h = [[A(w, v), B],
        [B^T, A(v, w)]] the pair Hessian: the entrywise maximum of the two diagonal blocks' coefficients plus B's
        (||[[X, 0], [0, Y]]|| = max(||X||, ||Y||), ||[[0, Z], [Z^T, 0]]|| = ||Z||).  The sums are rounded to
        nearest: every caller rounds the result up."""
        return (np.maximum(mj["A"].p, mj["A2"].p) + mj["B"].p, np.maximum(mj["A"].q, mj["A2"].q) + mj["B"].q)

    pt_, qt_ = (_up(x).reshape(n, k) for x in d1h(maj_t))
    # student-teacher: sum_j (p a + q b_j)(a^2 + b_j^2) <= sum p a^3 + max p a rho^2 + |q|_2 rho a^2 + max q rho^3
    C3 = usum(np.array([add_up(mul_up(usum(pt_[i]), a0[i], a0[i], a0[i]), mul_up(float(pt_[i].max()), a0[i], rho_up, rho_up),
                               mul_up(float(_up(math.sqrt(usum(_up(qt_[i] * qt_[i]))))), rho_up, a0[i], a0[i]),
                               mul_up(float(qt_[i].max()), rho_up, rho_up, rho_up)) for i in range(n)]))
    if maj_s is not None:
        ps_, qs_ = (_up(x) for x in d1h(maj_s))
        ai, aj = a0[q.I], a0[q.J]
        t3 = _up(_up(_up(ps_ * ai) + _up(qs_ * aj)) * _up(_up(ai * ai) + _up(aj * aj)))
        C3 = add_up(C3, float(_up(0.5 * usum(t3))))  # unordered pairs: half the ordered sum
    if k > 1:
        one = Interval.point(np.ones(1))
        tt = pair_majorants(one, one, Interval.point(np.zeros(1)), np.full(1, rho_up), np.full(1, rho_up))
        ptt, qtt = d1h(tt)
        cmax = float(_up(max(float(ptt[0]), float(qtt[0]))))
        # sum_{j < j'} (p b_j + q b_j')(b_j^2 + b_j'^2) <= 2 c (k - 1) sum_j b_j^3 <= 2 c (k - 1) rho^3
        C3 = add_up(C3, mul_up(2.0 * (k - 1), cmax, rho_up, rho_up, rho_up))
    quad = mul_up(0.5, max(0.0, -cb["psi2_min"]), rho_up, rho_up)
    L2 = add_up(quad, float(_up(C3 / 6.0)))  # psi(0) - psi(sigma) - |grad psi| rho <= L2 (kept as "L2")
    mu = float(_down(mu0 - add_up(mul_up(Lam1, rho_up), mul_up(cx, r), remH)))
    g = add_up(g0, mul_up(nK0, rho_up), mul_up(0.5, LamG, rho_up, rho_up), mul_up(normQ, remg))
    loss_lo = float(_down(float(at.loss.lo) - add_up(mul_up(gpsi_w, rho_up), L2)))
    quad_hi = mul_up(0.5, max(0.0, cb["psi2_max"]), rho_up, rho_up)
    loss_hi = add_up(float(at.loss.hi), mul_up(gpsi_w, rho_up), L2, quad_hi)
    # M over the region: M at the centre, and the change of each entry by the mean-value theorem with the
    # majorants' first-derivative coefficients (docs/teacher-ball.md, "M over the region")
    mu_m = _m_lower_bound(cb, maj_t, maj_s, rad_full, rho_up)
    return {"mu0": mu0, "Lambda1": Lam1, "c_x": cx, "Lambda_G": LamG, "rem_H": remH, "rem_g": remg,
            "g0": g0, "nK0": nK0, "normQ": normQ, "normJ_W": normJ_W, "mu": mu, "g": g, "mu_m": mu_m,
            "loss_lo": loss_lo, "loss_hi": loss_hi, "L2": L2}


def _student_pairs_joint(n: int, I: np.ndarray, J: np.ndarray, P: np.ndarray, Qc: np.ndarray, R: np.ndarray,
                         a: np.ndarray, A: float) -> float:
    """An upper bound of |R_S|, the third-order remainder of the student-student pair terms of grad F along the
    point map (docs/teacher-ball.md, "Sharper third-order gradient remainder"): (1/6) sqrt(m2) A^2 max_i C_i with
    C_i = sum_{i' != i} c_ii', c_ii' = lambda_max([[P, Q/2], [Q/2, R]]) of the ordered pair's second-derivative
    majorant of the pair Hessian (the smaller of the two orderings), m2 = min(A^2, the largest a_i^2 + a_i'^2),
    where a_i >= |d_i| per student and A >= (sum_i |d_i|^2)^(1/2).  Inputs: the ordered pairs (I, J) and their
    coefficient arrays P, Qc, R (nonnegative; upper bounds), a (n,) and A (nonnegative).  Every operation is
    rounded up (all quantities nonnegative); NotProven (from usum) on a non-finite value."""
    half_sum = _up(_up(P + R) / 2.0)
    half_diff = np.abs(P - R) / 2.0  # exact unless subnormal: rounded up below
    root = _up(np.sqrt(_up(_up(_up(half_diff) * _up(half_diff)) + _up(_up(Qc / 2.0) * _up(Qc / 2.0)))))
    c = _up(half_sum + root)
    Cm = np.zeros((n, n))
    Cm[I, J] = c
    have = np.zeros((n, n), dtype=bool)
    have[I, J] = True
    if not np.array_equal(have, have.T):  # every unordered pair must come in both orderings
        raise NotProven("student pairs not in both orderings")
    Csym = np.minimum(Cm, Cm.T)
    Cmax = max(usum(Csym[i]) for i in range(n))
    sq = np.sort(_up(a * a))[::-1]
    pair_max = add_up(float(sq[0]), float(sq[1])) if n > 1 else float(sq[0])
    m2 = min(mul_up(A, A), pair_max)
    return float(_up(mul_up(float(_up(math.sqrt(m2))), A, A, Cmax) / 6.0))


def _m_lower_bound(cb: dict, maj_t: dict, maj_s: dict | None, rad: np.ndarray, rho_up: float) -> float:
    """lambda_min(M) lower bound over the region: M_ii' = (pi - t_ii')/(2 pi) changes by at most
    (p rho_i + q rho_i')/(2 pi) (pmt majorant), and M_ii = 1/2 + N_i / (2 pi |w_i|) with
    N_i = sum_i' |w_i'| s_ii' - sum_j |s_j| s_ij changing by at most sum_i' (p rho_i + q rho_i')
    + sum_j p rho_i + |q_i.|_2 rho (|v| s majorants; sum_j |s_j - e_j|^2 <= rho^2), and 1/|w_i| within
    [1/(|w_i| + rho_i), 1/(|w_i| - rho_i)]; Rump's test on the resulting interval matrix."""
    k = cb["k"]
    n = k
    q = cb["at"].pairs
    PI = q.PI
    vt = maj_t["vs"]
    pt, qt = vt.p.reshape(n, k), vt.q.reshape(n, k)
    dN = np.array([add_up(mul_up(usum(pt[i]), rad[i]), mul_up(float(_up(math.sqrt(usum(_up(qt[i] ** 2))))), rho_up))
                   for i in range(n)])
    N0 = (q.tnrm.reshape(1, k) * q.s_t).sum(axis=1) * -1.0
    lo, hi = np.zeros((n, n)), np.zeros((n, n))
    if maj_s is not None:
        I, J = q.I, q.J
        vs = maj_s["vs"]
        dvs = _up(_up(vs.p * rad[I]) + _up(vs.q * rad[J]))
        dN = _up(dN + np.array([usum(dvs[I == i]) for i in range(n)]))
        N0 = N0 + q.per_student(q.nrm[J] * q.s_s)
        pm = maj_s["pmt"]
        dpm = _up(_up(pm.p * rad[I]) + _up(pm.q * rad[J]))
        moff = (q.pmt_s + Interval(-dpm, dpm)) / (PI * 2.0)
        lo[I, J], hi[I, J] = moff.lo, moff.hi
    Nr = N0 + Interval(-dN, dN)
    inv_w = Interval(1.0 / _up(q.nrm.hi + rad), 1.0 / _down(q.nrm.lo - rad))
    inv_w = Interval(_down(inv_w.lo), _up(inv_w.hi))
    mdiag = Nr * inv_w / (PI * 2.0) + 0.5
    ar = np.arange(n)
    lo[ar, ar], hi[ar, ar] = mdiag.lo, mdiag.hi
    try:
        return min_eigenvalue_lower_bound(Interval(lo, hi))
    except NotProven:
        raise NotProven("M not proven positive definite on the region: every d >= k not proven") from None


def ball_bounds(k: int, point: np.ndarray, rho: Fraction, r: float) -> dict:
    """Every bound of the check (module docstring) for the ball of radius rho and the y-ball radius r; raises
    NotProven where an enclosure fails."""
    return region_bounds(centre_bounds(k, point), rho, r)




def shell_radii(r: float, m: int) -> list[float]:
    """The radii s_1 < ... < s_m = r of the Theorem with shells (docs/teacher-ball.md): s_j = fl(r j / m) and s_m
    = r exactly.  Any strictly increasing radii with s_m = r serve the Theorem (the check uses exactly these
    binary64 numbers, in exact rational arithmetic); NotProven if rounding made them not strictly increasing."""
    s = [float(r * j / m) for j in range(1, m)] + [float(r)]
    if not all(a < b for a, b in zip([0.0] + s[:-1], s)):
        raise NotProven("shell radii not strictly increasing (ball_radius too small for this many shells)")
    return s


def check_ball(c: TeacherBallClaim) -> dict:
    """Decides the claim c by the Theorem with shells of docs/teacher-ball.md (m = c.shells; m = 1 is the
    Theorem with Lemma A).  The bounds are computed for the whole region Omega (y-ball radius r = ball_radius):
    they prove (1) (pair_majorants and region_bounds raise NotProven where a pair may be degenerate) and (5)
    (mu_M > 0 by Rump's test, else NotProven).  For each shell radius s_j (shell_radii) the Hessian bound mu_j
    of region_bounds(rho, s_j) is taken; this function then decides (2') every mu_j > 0, (3) g < sum_j
    (s_j - s_{j-1}) mu_j (exact rational arithmetic on the binary64 numbers), (4) loss_lo - g^2/(2 mu_*) > 0
    with mu_* = min_j mu_j (loss_lower_bound) and (6) ||J||_W rho + ||Q|| min(r, g/mu_*) <= radius (rounded
    up).  Returning means all hold: the bounds of the whole region with ``mu`` = mu_*, ``loss_min`` (a lower
    bound of F_S(x*_S) for every S in the ball) and ``distance`` (an upper bound of |x*_S - point|).  Raises
    NotProven at the first condition that fails."""
    r = c.ball_radius
    cb = centre_bounds(c.k, c.point)
    b = region_bounds(cb, c.rho, r)
    radii = shell_radii(r, c.shells)
    mus = [region_bounds(cb, c.rho, s)["mu"] for s in radii[:-1]] + [b["mu"]]
    j_bad = next((j for j, m in enumerate(mus) if not m > 0), None)
    if j_bad is not None:
        raise NotProven(f"Hessian lower bound not positive on the region of shell {j_bad + 1}/{c.shells} (mu0 "
                        f"{b['mu0']:.3g} - Lambda1 rho {b['Lambda1'] * float(c.rho):.3g} - c_x r "
                        f"{b['c_x'] * radii[j_bad]:.3g} - remainder at r {b['rem_H']:.3g}): rho or ball_radius too large")
    mu, g = min(mus), b["g"]
    if not (math.isfinite(g) and g >= 0):
        raise NotProven("gradient bound not finite")
    integral = sum((Fraction(s) - Fraction(s0)) * Fraction(m) for s0, s, m in zip([0.0] + radii[:-1], radii, mus))
    if not Fraction(g) < integral:
        raise NotProven(f"gradient bound {g:.3e} over the teacher ball is not below sum_j (s_j - s_j-1) mu_j = "
                        f"{float(integral):.3e} (rho too large for this ball_radius, or ball_radius too small)")
    loss = loss_lower_bound(b["loss_lo"], g, mu)
    if not loss > 0:
        raise NotProven(f"loss at the critical point not proven > 0 (lower bound {loss:.3e})")
    dist = add_up(mul_up(b["normJ_W"], frac_up(c.rho)), mul_up(b["normQ"], min(r, float(_up(g / mu)))))
    if not dist <= c.radius:
        raise NotProven(f"proven distance bound {dist:.3e} exceeds the claimed radius {c.radius!r}")
    return dict(b, mu=mu, shell_mu=mus, loss_min=loss, distance=dist)


# ----------------------------------------------------------------------------- the kind


class TeacherBall(ClaimKind):
    name = "relu-spurious-minimum-teacher-ball"
    version = 1
    title = ("a spurious strict local minimum of the two-layer ReLU teacher-student loss for EVERY symmetric "
             "teacher S with ||S - I||_F <= rho (n = k, every d >= k)")
    theorem = "docs/teacher-ball.md"
    trusted_modules = ("certify.kernel.teacher_ball.kind", "certify.kernel.teacher_ball.majorants",
                       "certify.kernel.teacher_ball.linalg")
    claim_fields = frozenset({"k", "rho"})
    evidence_fields = frozenset({"point", "ball_radius", "radius", "shells"})
    limits = {"k": MAX_K, "characters per rational": MAX_RATIONAL_CHARS, "shells": MAX_SHELLS}
    max_file_bytes = 256 * 1024  # a k x k point, k <= 20, and three numbers: a few kB
    bounds = {
        "loss": "[lo, hi]: lo <= F_S(x*_S) <= hi for every S in the ball",
        "hessian_min_eigenvalue_lower_bound": "mu: Q^T H_S(x) Q >= mu I on the whole region (y coordinates)",
        "m_min_eigenvalue_lower_bound": "M_S(x) >= mu_M I on the hull box of the region (every d >= k)",
        "gradient_norm_at_point": "g >= sup_S |Q^T grad F_S(x~(S))| (y coordinates)",
        "distance_to_critical_point": "the proven bound of |x*_S - point| (every S in the ball)",
        "spectral_radius": "rho / sqrt(k) rounded down: the ball contains every symmetric S with ||S - I||_2 <= it",
        "corollary_d0": "an integer d0 >= k (sqrt(k) + sqrt(2 ln 200))^2 / rho^2, at most one above the least (its arithmetic is checked); "
                        "with the cited singular-value bound of Davidson and Szarek (docs/teacher-ball.md, Corollary) it "
                        "gives: for every d >= d0 a teacher with i.i.d. N(0, 1/d) entries has a spurious local "
                        "minimum with probability >= 0.99",
        "corollary_d0_frobenius": "the least integer d0 >= k at which (sqrt(beta_k(d0)) + sqrt(2 ln 100))^2 <= rho^2 d0 is "
                                  "proven (arb; beta_k of docs/teacher-ball.md, Corollary 2); with the cited "
                                  "Gaussian concentration inequality (Tsirelson-Ibragimov-Sudakov) and Lemmas C-E "
                                  "proven in that document it gives: for every d >= d0 a teacher with i.i.d. "
                                  "N(0, 1/d) entries has a spurious local minimum with probability >= 0.99",
    }
    cli_group = "teacher-ball"
    cli_module = "certify.teacher_ball.cli"

    def statement(self, c: TeacherBallClaim) -> str:
        """The claim of the parsed certificate c in words (k and rho exact); proves nothing."""
        return (
            f"For every symmetric {c.k}x{c.k} matrix S with ||S - I||_F <= rho = {rational_str(c.rho)} (Frobenius "
            f"norm; this contains every symmetric S with ||S - I||_2 <= rho/sqrt({c.k})), the two-layer ReLU "
            f"teacher-student loss F_S(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(s_j.x))^2], x ~ N(0, I_d), with "
            f"n = {c.k} students and teacher rows s_j (S embedded in R^d as [S, 0]), has a strict local minimum "
            f"with F_S > 0 (hence spurious: F_S = 0 at W = [S, 0]) within Euclidean distance `radius` of "
            f"`point`, for every input dimension d >= {c.k}."
        )

    def parse(self, cert: dict) -> TeacherBallClaim:
        """Validates the certificate before any arithmetic: claim.k an integer with 2 <= k <= MAX_K; claim.rho an
        exact rational (a JSON integer, or a string "p/q" of at most MAX_RATIONAL_CHARS characters) with
        0 < rho < 1; ``point`` a k x k array of finite binary64 numbers; finite binary64 ``ball_radius`` in
        (0, 1/2] and ``radius`` in (0, 1]; optional ``shells`` a JSON integer 1 <= m <= MAX_SHELLS (absent: 1).
        Returns the TeacherBallClaim; CertificateError otherwise."""
        claim = get_object(cert, "claim")
        k = get_int(claim, "k", "claim", lo=2, hi=MAX_K)
        raw = require(claim, "rho", "claim")
        if isinstance(raw, str) and len(raw) > MAX_RATIONAL_CHARS:
            raise CertificateError(f"claim.rho: rational longer than {MAX_RATIONAL_CHARS} characters")
        rho = as_rational(raw, "claim.rho")
        if not (0 < rho < 1):
            raise CertificateError(f"claim.rho must satisfy 0 < rho < 1, got {rational_str(rho)}")
        point = get_binary64_array(cert, "point", (k, k))
        r = get_binary64(cert, "ball_radius")
        R = get_binary64(cert, "radius")
        if not (0.0 < r <= 0.5) or not (0.0 < R <= 1.0):
            raise CertificateError("need 0 < ball_radius <= 0.5 and 0 < radius <= 1")
        m = get_int(cert, "shells", lo=1, hi=MAX_SHELLS) if "shells" in cert else 1
        return TeacherBallClaim(k, rho, point, r, R, m)

    def check(self, c: TeacherBallClaim) -> Proven:
        """Proves the claim c: check_ball (NotProven unless every condition of the Theorem holds), then the
        corollary's d0 (corollary_d0 and corollary_d0_frobenius, arb) and the spectral radius rho/sqrt(k) (rho rounded down, divided by
        sqrt(k) rounded up, the quotient rounded down).  Returns Proven with the summary text and the bounds named
        in ``bounds``; the probability statement of the corollary rests on the cited theorem, not on this check."""
        b = check_ball(c)
        d0 = corollary_d0(c.k, c.rho)
        d0_f = corollary_d0_frobenius(c.k, c.rho)
        spectral = float(_down(float(_down(float(c.rho))) / float(_up(math.sqrt(c.k)))))
        bounds = {"loss": [b["loss_min"], b["loss_hi"]], "hessian_min_eigenvalue_lower_bound": b["mu"],
                  "m_min_eigenvalue_lower_bound": b["mu_m"], "gradient_norm_at_point": b["g"],
                  "distance_to_critical_point": b["distance"], "spectral_radius": spectral, "corollary_d0": d0,
                  "corollary_d0_frobenius": d0_f}
        text = (f"spurious local minimum for every symmetric teacher with ||S - I||_F <= {rational_str(c.rho)} "
                f"(~{float(c.rho):.3g}; spectral radius {spectral:.3g}), n=k={c.k}, every d >= k: "
                f"F in [{b['loss_min']:.4g}, {b['loss_hi']:.4g}], lambda_min(Q^T H Q) >= {b['mu']:.3g}, "
                f"lambda_min(M) >= {b['mu_m']:.3g}; d0 = {d0_f} for delta = 1/100 by Frobenius concentration "
                f"(d0 = {d0} by the spectral bound): the probability statement for random teachers, d >= d0, "
                f"follows with the cited Gaussian concentration inequality (docs/teacher-ball.md, Corollary 2), "
                f"resp. the cited Davidson-Szarek bound (Corollary)")
        return Proven(text, bounds)

    def describe(self, c: TeacherBallClaim) -> str:
        """A human-readable summary of the claim and the evidence (floats printed for display only, not rounded
        outward); proves nothing."""
        lines = [f"teacher ball: symmetric {c.k}x{c.k} S with ||S - I||_F <= rho = {rational_str(c.rho)} "
                 f"(~{float(c.rho):.6g}; contains ||S - I||_2 <= {float(c.rho) / math.sqrt(c.k):.6g}); n = k = {c.k}; "
                 f"every d >= k",
                 f"ball_radius (y coordinates) {c.ball_radius!r}, radius {c.radius!r}, shells {c.shells}",
                 "point (rows w_i):"]
        with np.printoptions(precision=6, suppress=True, linewidth=120):
            lines.append(str(c.point))
        return "\n".join(lines)


KIND = TeacherBall()

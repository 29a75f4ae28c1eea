"""Claim kind ``relu-spurious-minimum-teacher-box``: a spurious strict local minimum for EVERY
symmetric teacher S in the entrywise box |S - I| <= rho.

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and python-flint.

Claim (docs/teachers.md, "Theorem").  For every symmetric k x k matrix S with |S_ij - delta_ij|
<= rho for all i, j, the two-layer ReLU teacher-student loss F_S with n = k students and teacher
rows s_j (embedded in R^d as [S, 0]) has a strict local minimum x*_S with F_S(x*_S) > 0 (hence
spurious: F_S(S) = 0 is the global minimum), within Euclidean distance ``radius`` of the
``point`` of a sub-box that contains S, for every input dimension d >= k.

Certificate evidence: ``sub_boxes``, a list of teacher sub-boxes, each with exact rational
bounds [lo_e, hi_e] of the k(k+1)/2 free entries sigma_e = S_jl (j <= l, row-major), a point
x_c (k x k binary64), an inner ball radius r and a claimed distance bound ``radius``.

Covering (exact, with fractions): for every free entry e the distinct intervals [lo_e, hi_e] used
by the sub-boxes, sorted, must tile [delta_e - rho, delta_e + rho] (first lo = delta_e - rho,
each hi = the next lo, last hi = delta_e + rho, every lo < hi), and the sub-boxes must be
pairwise distinct with their number equal to the product of the numbers of pieces: then they
are exactly the cells of a product grid, whose union is the whole box.

Per sub-box (docs/teachers.md, "Affine point map"): with c the binary64 centre of the sub-box
(checked to lie in it), the checker computes in floating point J = -H^{-1} D (H the Hessian of
F_{S_c} at x_c, D the derivative of grad F in sigma) -- any matrix J is sound, this one makes
the first-order term vanish -- and proves, for x~(S) = x_c + J (sigma(S) - c):
(1) H_S(x) >= mu I on X x T, where the box X contains the ball of radius r around x~(S) for every
    S in the sub-box T;
(2) |grad F_S(x~(S))| <= g < mu r for every S in T, by the mean-value form
    grad F_S(x~(S)) in grad F_{S_c}(x_c) + (H(X, T) J + D(X, T)) (sigma - c);
(3) F_S(x~(S)) - g^2 / (2 mu) > 0, with the mean-value form
    F_S(x~(S)) in F_{S_c}(x_c) + (grad F(X, T) J + dF/dsigma(X, T)) (sigma - c);
(4) M_S(x) >= mu_M I > 0 on X x T (every d >= k);
(5) |x*_S - x_c| <= | |J| |sigma - c| |_2 + g / mu <= radius.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import arb

from ..certificate import (CertificateError, as_rational, get_binary64, get_binary64_array, get_int, get_object,
                           only_fields, rational_str, require, within_limit)
from ..contract import ClaimKind, Proven
from ..definite import min_eigenvalue_lower_bound
from ..interval import Interval, NotProven, frac_down, frac_up, norm2_upper, row_sums_upper
from ..interval import round_down as _down, round_up as _up
from .centred import centred_radii
from ..box_argument import gradient_condition, loss_lower_bound
from ..teacher_student import enclose, free_entries

MAX_K = 30
MAX_SUB_BOXES = 1024
MAX_WORK = 2**25  # sub-boxes * k^4 (the joint enclosure of one sub-box costs ~ k^4)
MAX_RATIONAL_CHARS = 64
SUB_BOX_FIELDS = frozenset({"entries", "point", "ball_radius", "radius"})
DEFAULT_DELTA = Fraction(1, 100)

_U = 2.0**-53
_ETA = 2.0**-1074




@dataclass(frozen=True)
class SubBox:
    lo: tuple[Fraction, ...]  # per free entry (j <= l, row-major)
    hi: tuple[Fraction, ...]
    point: np.ndarray  # (k, k)
    ball_radius: float
    radius: float


@dataclass(frozen=True)
class TeacherBoxClaim:
    k: int
    rho: Fraction
    sub_boxes: tuple[SubBox, ...]


# ----------------------------------------------------------------------------- covering


def check_cover(k: int, rho: Fraction, boxes: tuple[SubBox, ...]) -> list[int]:
    """Prove exactly that the sub-boxes cover {sigma : |sigma_e - delta_e| <= rho}; returns the
    number of pieces per free entry.  Raises CertificateError otherwise."""
    jj, ll = free_entries(k)
    pieces = []
    for e in range(jj.size):
        centre = Fraction(1) if jj[e] == ll[e] else Fraction(0)
        used = sorted({(b.lo[e], b.hi[e]) for b in boxes})
        where = f"free entry ({jj[e]}, {ll[e]})"
        if used[0][0] != centre - rho:
            raise CertificateError(f"sub-boxes do not cover the box: {where} starts at {rational_str(used[0][0])}, "
                                   f"not at {rational_str(centre - rho)}")
        if used[-1][1] != centre + rho:
            raise CertificateError(f"sub-boxes do not cover the box: {where} ends at {rational_str(used[-1][1])}, "
                                   f"not at {rational_str(centre + rho)}")
        for (a, b), (c, d) in zip(used, used[1:]):
            if b != c:
                kind = "a gap" if b < c else "overlapping pieces"
                raise CertificateError(f"sub-boxes do not form a grid: {where} has {kind} at "
                                       f"[{rational_str(a)}, {rational_str(b)}] / [{rational_str(c)}, {rational_str(d)}]")
        for a, b in used:
            if not a < b:
                raise CertificateError(f"{where}: empty piece [{rational_str(a)}, {rational_str(b)}]")
        pieces.append(len(used))
    cells = 1
    for p in pieces:
        cells *= p
        if cells > len(boxes):
            break
    keys = {(b.lo, b.hi) for b in boxes}
    if len(keys) != len(boxes):
        raise CertificateError("two sub-boxes are the same cell")
    if cells != len(boxes):
        raise CertificateError(f"sub-boxes do not cover the box: the grid has {cells if cells <= len(boxes) else 'more'}"
                               f" cells, the certificate lists {len(boxes)} sub-boxes")
    return pieces


# ----------------------------------------------------------------------------- rigorous helpers


def matmul_point(A: Interval, B: np.ndarray) -> Interval:
    """An enclosure of {A' B : A' in A} for an interval matrix A (m, p) and a binary64 matrix B
    (p, q), by BLAS in midpoint-radius form (docs/teachers.md, "Rigorous matrix product"):
    with (Am, Ar) = mid_rad(A), C = fl(Am B), P = fl(|Am| |B|), Q = fl(Ar |B|), g = gamma_p,
    the exact set lies in C +- [(1 + 2g) (g (P + 2 p eta) + Q + 2 p eta) + 2 p eta], every operation
    rounded upward (2 p eta: twice the underflow term of the analysis, as in docs/teachers.md).
    NotProven if B is not finite, p u >= 1/4, or a product overflows."""
    Am, Ar = A.mid_rad()
    B = np.asarray(B, dtype=np.float64)
    p = B.shape[0]
    if not np.all(np.isfinite(B)) or p * _U >= 0.25:
        raise NotProven("matrix product: non-finite factor or inner dimension too large")
    absB = np.abs(B)
    C = Am @ B
    P = np.abs(Am) @ absB
    Q = Ar @ absB
    if not (np.all(np.isfinite(C)) and np.all(np.isfinite(P)) and np.all(np.isfinite(Q))):
        raise NotProven("matrix product overflowed")
    g = float(_up(_up(p * _U) / _down(1.0 - p * _U)))  # gamma_p (p*u exact: p small integer)
    peta = float(_up(p * _ETA * 2.0))
    one2g = float(_up(1.0 + _up(2.0 * g)))
    t = _up(_up(g * _up(P + peta)) + _up(Q + peta))
    rad = _up(_up(one2g * t) + peta)
    return Interval(_down(C - rad), _up(C + rad))


def corollary_prec(rho: Fraction) -> int:
    """The working precision (bits) of the corollaries' d0 arithmetic: 200 plus four per bit of rho's numerator
    and denominator, so that an enclosure of d0 (of size about k^2 / rho^2) is far narrower than 1 even for a
    64-character rho."""
    return 200 + 4 * (rho.numerator.bit_length() + rho.denominator.bit_length())


def int_above(v: arb) -> int:
    """floor(u) + 1 for the upper endpoint u of the enclosure v: an integer above every point of v; NotProven
    if v is not finite."""
    if not v.is_finite():
        raise NotProven("corollary: non-finite d0")
    return int(v.upper().floor().unique_fmpz()) + 1


def _d0(k: int, rho: Fraction, delta: Fraction, factor: int = 1) -> int:
    """An integer >= factor ((sqrt(k) + t) / rho)^2 with t = sqrt(2 ln(2/delta)): int_above an arb enclosure at
    corollary_prec(rho) bits.  It is the least such integer unless [value, u] contains an integer (then it is
    one more; "for every d >= d0" stays true).  ``factor`` is 1 for the box (docs/teachers.md, Corollary) and k
    for the Frobenius ball (docs/teacher-ball.md, Corollary)."""
    from flint import ctx

    with ctx.workprec(corollary_prec(rho)):
        t = (2 * (arb(2) / (arb(delta.numerator) / arb(delta.denominator))).log()).sqrt()
        r = arb(rho.numerator) / arb(rho.denominator)
        return int_above(arb(factor) * ((arb(k).sqrt() + t) / r) ** 2)


def corollary_d0(k: int, rho: Fraction, delta: Fraction = DEFAULT_DELTA, factor: int = 1) -> int:
    """d0(k, rho, delta) of docs/teachers.md, "Corollary" (see :func:`_d0`; ``factor`` = k gives the Frobenius
    ball's d0 of docs/teacher-ball.md, Corollary); CertificateError unless 0 < delta < 1 and 0 < rho < 1."""
    if not (0 < delta < 1) or not (0 < rho < 1):
        raise CertificateError("corollary needs 0 < delta < 1 and 0 < rho < 1")
    return _d0(k, rho, delta, factor)


# ----------------------------------------------------------------------------- the kind


class TeacherBox(ClaimKind):
    name = "relu-spurious-minimum-teacher-box"
    version = 1
    title = ("a spurious strict local minimum of the two-layer ReLU teacher-student loss for EVERY symmetric "
             "teacher S with |S - I| <= rho entrywise (n = k, every d >= k)")
    theorem = "docs/teachers.md"
    trusted_modules = ("certify.kernel.teacher_box.kind",
                       "certify.kernel.teacher_box.centred")
    claim_fields = frozenset({"k", "rho"})
    evidence_fields = frozenset({"sub_boxes"})
    limits = {"k": MAX_K, "sub-boxes": MAX_SUB_BOXES, "sub-boxes * k^4": MAX_WORK,
              "characters per rational": MAX_RATIONAL_CHARS}
    max_file_bytes = 16 * 1024 * 1024  # sub-boxes * k^4 <= 2^25 bounds the content to a few MB
    bounds = {
        "loss": "[lo, hi]: lo <= F_S(x*_S) <= hi for every S in the box",
        "hessian_min_eigenvalue_lower_bound": "mu: H_S(x) >= mu I on every sub-box's joint box",
        "m_min_eigenvalue_lower_bound": "M_S(x) >= mu_M I on every sub-box's joint box (every d >= k)",
        "gradient_norm_at_point": "max over sub-boxes of sup_S |grad F_S(x~(S))| at the sub-box's point map x~(S)",
        "distance_to_critical_point": "max over sub-boxes of the proven bound of |x*_S - point|",
        "sub_boxes": "number of sub-boxes",
        "corollary_d0": "an integer d0 >= ((sqrt(k) + sqrt(2 ln 200)) / rho)^2, at most one above the least (its arithmetic is checked); "
                        "with the cited singular-value bound of Davidson and Szarek (docs/teachers.md, Corollary) it "
                        "gives: for every d >= d0 a teacher with i.i.d. N(0, 1/d) entries has a spurious local "
                        "minimum with probability >= 0.99",
    }
    cli_group = "teacher-box"
    cli_aliases = ("teachers",)
    cli_module = "certify.teacher_box.cli"

    def statement(self, c: TeacherBoxClaim) -> str:
        """The claim in words, built from k and rho; claim.statement must equal it."""
        return (
            f"For every symmetric {c.k}x{c.k} matrix S with |S_ij - delta_ij| <= rho = {rational_str(c.rho)} for all "
            f"i, j, the two-layer ReLU teacher-student loss F_S(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j "
            f"relu(s_j.x))^2], x ~ N(0, I_d), with n = {c.k} students and teacher rows s_j (S embedded in R^d as "
            f"[S, 0]), has a strict local minimum with F_S > 0 (hence spurious: F_S = 0 at W = [S, 0]) within "
            f"Euclidean distance `radius` of the `point` of a sub-box in `sub_boxes` that contains S, for every "
            f"input dimension d >= {c.k}."
        )

    def parse(self, cert: dict) -> TeacherBoxClaim:
        """Validate k (2..30), rho (a rational in (0, 1)) and the sub-boxes (their number and sub-boxes * k^4
        limited first; per sub-box: k(k+1)/2 pairs of rationals of at most 64 characters, a k x k binary64
        point, 0 < ball_radius <= 0.5, 0 < radius <= 1, no other field), then prove the covering exactly
        (:func:`check_cover`) before any floating-point work.  CertificateError otherwise."""
        claim = get_object(cert, "claim")
        k = get_int(claim, "k", "claim", lo=2, hi=MAX_K)
        rho = _rational(require(claim, "rho", "claim"), "claim.rho")
        if not (0 < rho < 1):
            raise CertificateError(f"claim.rho must satisfy 0 < rho < 1, got {rational_str(rho)}")
        raw = require(cert, "sub_boxes")
        if not isinstance(raw, list) or not raw:
            raise CertificateError("field 'sub_boxes' must be a non-empty list")
        within_limit(len(raw), MAX_SUB_BOXES, "number of sub-boxes")
        within_limit(len(raw) * k**4, MAX_WORK, "sub-boxes * k^4")
        E = k * (k + 1) // 2
        boxes = []
        for b, obj in enumerate(raw):
            ctx = f"sub_boxes[{b}]"
            only_fields(obj, SUB_BOX_FIELDS, ctx)
            entries = require(obj, "entries", ctx)
            if not isinstance(entries, list) or len(entries) != E:
                raise CertificateError(f"{ctx}.entries must be a list of {E} [lo, hi] pairs (free entries j <= l)")
            lo, hi = [], []
            for e, pair in enumerate(entries):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise CertificateError(f"{ctx}.entries[{e}] must be a pair [lo, hi]")
                lo.append(_rational(pair[0], f"{ctx}.entries[{e}][0]"))
                hi.append(_rational(pair[1], f"{ctx}.entries[{e}][1]"))
            point = get_binary64_array(obj, "point", (k, k), ctx)
            r = get_binary64(obj, "ball_radius", ctx)
            R = get_binary64(obj, "radius", ctx)
            if not (0.0 < r <= 0.5) or not (0.0 < R <= 1.0):
                raise CertificateError(f"{ctx}: need 0 < ball_radius <= 0.5 and 0 < radius <= 1")
            boxes.append(SubBox(tuple(lo), tuple(hi), point, r, R))
        boxes = tuple(boxes)
        check_cover(k, rho, boxes)  # exact; before any floating-point work
        return TeacherBoxClaim(k, rho, boxes)

    def check(self, c: TeacherBoxClaim) -> Proven:
        """Prove conditions (1)-(5) of the module docstring for every sub-box (:func:`check_sub_box`; the
        first failure raises NotProven naming the sub-box); returns the worst bounds over the sub-boxes
        and the corollary's d0."""
        worst = None
        for b, box in enumerate(c.sub_boxes):
            try:
                res = check_sub_box(c.k, box)
            except NotProven as exc:
                raise NotProven(f"sub-box {b}: {exc}") from None
            worst = res if worst is None else {
                "loss": [min(worst["loss"][0], res["loss"][0]), max(worst["loss"][1], res["loss"][1])],
                "hessian_min_eigenvalue_lower_bound": min(worst["hessian_min_eigenvalue_lower_bound"],
                                                          res["hessian_min_eigenvalue_lower_bound"]),
                "m_min_eigenvalue_lower_bound": min(worst["m_min_eigenvalue_lower_bound"],
                                                    res["m_min_eigenvalue_lower_bound"]),
                "gradient_norm_at_point": max(worst["gradient_norm_at_point"], res["gradient_norm_at_point"]),
                "distance_to_critical_point": max(worst["distance_to_critical_point"],
                                                  res["distance_to_critical_point"]),
            }
        d0 = corollary_d0(c.k, c.rho)
        bounds = dict(worst, sub_boxes=len(c.sub_boxes), corollary_d0=d0)
        text = (f"spurious local minimum for every symmetric teacher with |S - I| <= {rational_str(c.rho)} "
                f"(~{float(c.rho):.3g}), n=k={c.k}, every d >= k, {len(c.sub_boxes)} sub-box(es): "
                f"F in [{worst['loss'][0]:.4g}, {worst['loss'][1]:.4g}], "
                f"lambda_min(H) >= {worst['hessian_min_eigenvalue_lower_bound']:.3g}, "
                f"lambda_min(M) >= {worst['m_min_eigenvalue_lower_bound']:.3g}; d0 = {d0} for delta = 1/100 (the "
                f"probability statement for random teachers, d >= d0, follows with the cited Davidson-Szarek bound: "
                f"docs/teachers.md, Corollary)")
        return Proven(text, bounds)

    def describe(self, c: TeacherBoxClaim) -> str:
        """The teacher box, the free entries that are split, and the radii (and the bounds of up to 4 split
        entries) of the first 8 sub-boxes, for ``certify show`` (no checking)."""
        jj, ll = free_entries(c.k)
        split = [e for e in range(jj.size) if len({(b.lo[e], b.hi[e]) for b in c.sub_boxes}) > 1]
        lines = [f"teacher box: symmetric {c.k}x{c.k} S with |S - I| <= rho = {rational_str(c.rho)} "
                 f"(~{float(c.rho):.6g}) entrywise; n = k = {c.k} students; every d >= k",
                 f"sub-boxes: {len(c.sub_boxes)}; free entries split: "
                 + (", ".join(f"({jj[e]}, {ll[e]})" for e in split) or "none")]
        for b, box in enumerate(c.sub_boxes[:8]):
            where = "; ".join(f"S_{jj[e]}{ll[e]} in [{rational_str(box.lo[e])}, {rational_str(box.hi[e])}]"
                              for e in split[:4])
            lines.append(f"  [{b}] ball_radius {box.ball_radius!r}, radius {box.radius!r}" + (f", {where}" if where else ""))
        if len(c.sub_boxes) > 8:
            lines.append(f"  ... ({len(c.sub_boxes) - 8} more)")
        return "\n".join(lines)


def _rational(value, where: str) -> Fraction:
    """An exact rational (:func:`as_rational`) whose string form has at most MAX_RATIONAL_CHARS
    characters; a JSON integer is not length-checked here (CertificateError otherwise)."""
    if isinstance(value, str) and len(value) > MAX_RATIONAL_CHARS:
        raise CertificateError(f"{where}: rational longer than {MAX_RATIONAL_CHARS} characters")
    return as_rational(value, where)


def sub_box_teacher(k: int, lo, hi) -> tuple[Interval, np.ndarray, np.ndarray]:
    """(T, S_c, mag_delta): the sub-box as an outward-rounded symmetric interval matrix, a binary64
    centre inside it, and upper bounds of |sigma_e - c_e| over the sub-box (per free entry)."""
    jj, ll = free_entries(k)
    tlo = np.zeros((k, k))
    thi = np.zeros((k, k))
    cen = np.zeros((k, k))
    mag = np.zeros(jj.size)
    for e in range(jj.size):
        a, b = lo[e], hi[e]
        c = float((a + b) / 2)
        if not (a <= Fraction(c) <= b):
            raise NotProven("sub-box too narrow for a binary64 centre")
        for (p, q) in ((jj[e], ll[e]), (ll[e], jj[e])):
            tlo[p, q] = frac_down(a)
            thi[p, q] = frac_up(b)
            cen[p, q] = c
        mag[e] = frac_up(max(Fraction(c) - a, b - Fraction(c)))
    return Interval(tlo, thi), cen, mag


def _intersect(direct: Interval, centre: Interval, rad: np.ndarray) -> Interval:
    """direct AND [centre - rad, centre + rad] (both contain the true set, so does the intersection)."""
    lo = np.maximum(direct.lo, _down(centre.lo - rad))
    hi = np.minimum(direct.hi, _up(centre.hi + rad))
    if np.any(lo > hi):
        raise NotProven("empty intersection of two enclosures (internal inconsistency)")
    return Interval(lo, hi)


def sub_box_bounds(k: int, box: SubBox) -> dict:
    """The bounds of conditions (1)-(5) for one sub-box (module docstring), without deciding them:
    mu, mu_M, g (an upper bound of |grad F_S(x~(S))| for every S in the sub-box), loss_box_lo and
    loss_box_hi (bounds of F_S(x~(S)) for every S in the sub-box, by the mean-value form) and
    shift_norm (>= |x~(S) - x_c|).  Raises NotProven where an enclosure fails (e.g. H not proven PD,
    or the Hessian at the point numerically singular)."""
    T, S_c, mag = sub_box_teacher(k, box.lo, box.hi)
    x_c, r = box.point, box.ball_radius
    at_c = enclose(Interval.point(x_c), ("loss", "grad", "hess_entries", "dgrad_dteacher"), teacher=Interval.point(S_c))
    # the point map (any J is sound; this one cancels the first-order term)
    Hm, _ = at_c.hess_entries.mid_rad()
    Dm, _ = at_c.dgrad_dteacher.mid_rad()
    with np.errstate(all="ignore"):
        try:
            J = -np.linalg.solve(Hm, Dm)
        except np.linalg.LinAlgError:
            raise NotProven("Hessian at the point is singular") from None
    if not np.all(np.isfinite(J)):
        raise NotProven("point map is not finite")
    shift = row_sums_upper(_up(np.abs(J) * mag))  # >= |J (sigma - c)| per coordinate
    X = Interval.around(x_c.ravel(), _up(shift + r)).reshape(k, k)
    on = enclose(X, ("grad", "hess_entries", "m", "dgrad_dteacher", "dloss_dteacher"), teacher=T)
    # centred enclosures of H and D (centred.py), intersected entrywise with the direct ones
    RH, RD = centred_radii(X, T, x_c, S_c)
    hess = _intersect(on.hess_entries, at_c.hess_entries, RH)
    dsigma = _intersect(on.dgrad_dteacher, at_c.dgrad_dteacher, RD)
    try:
        mu = min_eigenvalue_lower_bound(hess)
    except NotProven:
        raise NotProven("Hessian not proven positive definite on the joint box (points x teachers): "
                        "rho or the ball radius too large, or not a minimum") from None
    try:
        mu_m = min_eigenvalue_lower_bound(on.m_matrix)
    except NotProven:
        raise NotProven("M not proven positive definite on the joint box: every d >= k not proven") from None
    dphi = matmul_point(hess, J) + dsigma  # (k*k, E): d/dsigma of grad F_S(x~(S))
    var = row_sums_upper(_up(dphi.mag() * mag))
    g0 = at_c.grad.reshape(k * k)
    grad = Interval(_down(g0.lo - var), _up(g0.hi + var))
    g = norm2_upper(grad)
    shift_norm = norm2_upper(Interval.point(shift))
    # F_S(x~(S)) in F_{S_c}(x_c) + (grad F(X, T) J + dF/dsigma(X, T)) (sigma - c)   (mean value)
    dl = matmul_point(on.grad.reshape(1, k * k), J).reshape(-1) + on.dloss_dteacher
    lvar = float(row_sums_upper(_up(dl.mag() * mag).reshape(1, -1))[0])
    loss_lo = float(_down(float(at_c.loss.lo) - lvar))
    loss_hi = float(_up(float(at_c.loss.hi) + lvar))  # F_S(x*_S) <= F_S(x~(S)) (x*_S minimises F_S on the ball)
    return {"mu": mu, "mu_m": mu_m, "g": g, "loss_box_lo": loss_lo, "loss_box_hi": loss_hi, "shift_norm": shift_norm}


def check_sub_box(k: int, box: SubBox) -> dict:
    """Decide conditions (1)-(5) of the module docstring for one sub-box; returns its bounds."""
    b = sub_box_bounds(k, box)
    mu, mu_m, g, r = b["mu"], b["mu_m"], b["g"], box.ball_radius
    if not gradient_condition(g, mu, r):  # the box argument (certify.kernel.box_argument), for every S
        raise NotProven(f"gradient bound {g:.3e} over the teacher sub-box is not below mu*r = {mu * r:.3e} "
                        "(rho too large for this radius, or radius too small)")
    loss_lo = float(loss_lower_bound(b["loss_box_lo"], g, mu))
    if not loss_lo > 0.0:
        raise NotProven(f"loss at the critical point not proven > 0 (lower bound {loss_lo:.3e})")
    dist = float(_up(b["shift_norm"] + float(_up(g / mu))))
    if not dist <= box.radius:
        raise NotProven(f"proven distance bound {dist:.3e} exceeds the claimed radius {box.radius!r}")
    return {"loss": [loss_lo, b["loss_box_hi"]], "hessian_min_eigenvalue_lower_bound": mu,
            "m_min_eigenvalue_lower_bound": mu_m, "gradient_norm_at_point": g, "distance_to_critical_point": dist}


KIND = TeacherBox()

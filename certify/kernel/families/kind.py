"""Claim kind ``relu-spurious-minimum-family``: a symmetric family of spurious minima for every k in a range.

TRUSTED (docs/trust.md).  Imports only the kernel, the standard library, numpy and python-flint.
Theorem and proofs: docs/families.md.

Claim.  For a block pattern p(k) (block sizes c or k - c, exactly one of them growing with k) and a
range of k (k_min <= k <= k_max, or every k >= k_min): for every integer k in the range, the teacher-
student loss F_k (n = k students, teacher I_k) has a spurious strict local minimum fixed by G_p(k),
for every input dimension d >= k, the only G_p(k)-fixed critical point in the stated box; optionally
the limits of the (scaled) loss and of the smallest Hessian eigenvalues as k -> infinity, and the
real k at which the family turns from saddle to minimum.

Evidence.  The unknowns psi of the compact parameters phi_a = ref_a + s^(e_a) psi_a (s = 1/sqrt(k));
the equations G = s^(-div) L g (g: the per-entry gradient); a cover of an s-range by pieces (binary64
breakpoints; per piece a point, a slope and radii, and its nature); a small box at s = 0 for the limits.

Check (docs/families.md, "The theorem"): exact checks of the cover (gap-free, ordered, reaching the
claimed range, natures in order) before any arithmetic; then, on every piece, the parametric Krawczyk
test (existence, uniqueness, continuity of the family), the pencil test of positive definiteness of the
scaled Hessian compression and of the scaled M ("minimum" pieces) or a direction of negative curvature
("saddle" pieces), the loss formula > 0; and, for an infinite range, Krawczyk at s = 0 and the claimed
limit enclosures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..certificate import (CertificateError, as_binary64, get_binary64_array, get_int, get_object, get_str,
                           only_fields, require, within_limit)
from ..contract import ClaimKind, Proven
from ..interval import Interval, NotProven
from .cover import (Pieces, curvatures, krawczyk, limit_box_check, negative_curvature_upper,
                    pencil_lower_bound, schur_bounds)
from .graded import Powers
from .landscape import Cells, Point, layout
from .system import Pattern, curvature, refine

MAX_PIECES = 1000
MAX_WORK = 6000  # pieces x compact parameters of Fix(G_q): the check costs about 1.5 ms per unit (2 cores)
MAX_BLOCKS = 3
MAX_CONSTANT_BLOCK = 12
MAX_EXPONENT = 8
MAX_COEFFICIENT = 16
MAX_K = 2**52  # a finite k_max (and every k bound) must be an exact binary64 integer
NATURES = ("minimum", "follow", "saddle")
LIMIT_NAMES = ("loss", "hessian_min_eigenvalue", "m_min_eigenvalue")
_BLOCK = re.compile(r"(k|k-[1-9][0-9]?|[1-9][0-9]?)")


@dataclass(frozen=True)
class FamilyClaim:
    """The typed claim: what parse validated (sizes, range, limits, transition) and the evidence arrays."""
    blocks: tuple[str, ...]
    pattern: Pattern
    k_min: int
    k_max: int | None  # None: every k >= k_min
    loss_scale: str  # "k" (report k F) or "1" (report F)
    limits: dict | None  # name -> (lo, hi) binary64 (infinite ranges)
    transition: tuple | None  # (k_saddle, k_star_lo, k_star_hi) binary64 values
    breakpoints: np.ndarray  # (N + 1,) ascending s
    centers: np.ndarray
    slopes: np.ndarray
    radii: np.ndarray
    natures: tuple[str, ...]
    limit_center: np.ndarray | None
    limit_radius: np.ndarray | None

    @property
    def loss_power(self) -> int:
        """2 when k F is claimed (the loss formula divided by s^2), 0 for F."""
        return 2 if self.loss_scale == "k" else 0


def _parse_block(text, i: int) -> tuple[int, int]:
    """A block 'k', 'k-c' or 'c' as its size c0 + c1 k, i.e. (c0, c1)."""
    if not isinstance(text, str) or not _BLOCK.fullmatch(text):
        raise CertificateError(f"claim.blocks[{i}] must be a string 'k', 'k-c' (c < 100) or a positive "
                               f"integer below 100, got {text!r}")
    if text == "k":
        return (0, 1)
    if text.startswith("k-"):
        return (-int(text[2:]), 1)
    c = int(text)
    if c > MAX_CONSTANT_BLOCK:
        raise CertificateError(f"claim.blocks[{i}]: constant blocks are at most {MAX_CONSTANT_BLOCK}")
    return (c, 0)


def _number(value, where: str, lo: float | None = None) -> float:
    """A binary64 JSON number (>= lo when given)."""
    x = as_binary64(value, where)
    if lo is not None and not x >= lo:
        raise CertificateError(f"{where} must be >= {lo}, got {x!r}")
    return x


def _pair(obj, where: str) -> tuple[float, float]:
    """A list [lo, hi] of binary64 numbers with lo <= hi."""
    if not isinstance(obj, list) or len(obj) != 2:
        raise CertificateError(f"{where} must be a list [lo, hi]")
    lo, hi = as_binary64(obj[0], f"{where}[0]"), as_binary64(obj[1], f"{where}[1]")
    if not lo <= hi:
        raise CertificateError(f"{where}: lo > hi")
    return lo, hi


def _int_matrix(value, rows: int, cols: int, where: str, bound: int) -> tuple:
    """A rows x cols list of integers of absolute value <= bound, as a tuple of tuples."""
    if not isinstance(value, list) or len(value) != rows:
        raise CertificateError(f"{where} must be a list of {rows} rows")
    out = []
    for i, row in enumerate(value):
        if not isinstance(row, list) or len(row) != cols:
            raise CertificateError(f"{where}[{i}] must be a list of {cols} integers")
        for j, x in enumerate(row):
            if type(x) is not int or abs(x) > bound:
                raise CertificateError(f"{where}[{i}][{j}] must be an integer of absolute value <= {bound}")
        out.append(tuple(row))
    return tuple(out)


def _in_range(value, lo: int, hi: int, where: str) -> bool:
    """Every entry of the list is an integer in [lo, hi] (raises otherwise)."""
    if not isinstance(value, list):
        raise CertificateError(f"{where} must be a list of integers")
    for j, x in enumerate(value):
        if type(x) is not int or not lo <= x <= hi:
            raise CertificateError(f"{where}[{j}] must be an integer in [{lo}, {hi}], got {x!r}")
    return True


def _determinant(rows: tuple) -> Fraction:
    """Exact determinant (Fraction Gaussian elimination)."""
    a = [[Fraction(x) for x in r] for r in rows]
    n = len(a)
    det = Fraction(1)
    for c in range(n):
        p = next((r for r in range(c, n) if a[r][c] != 0), None)
        if p is None:
            return Fraction(0)
        if p != c:
            a[c], a[p] = a[p], a[c]
            det = -det
        det *= a[c][c]
        for r in range(c + 1, n):
            f = a[r][c] / a[c][c]
            for j in range(c, n):
                a[r][j] -= f * a[c][j]
    return det


def _s2k_at_least(s: float, k: float) -> bool:
    """s^2 k >= 1 exactly (s, k binary64): s >= 1/sqrt(k)."""
    return Fraction(s) ** 2 * Fraction(k) >= 1


def _s2k_at_most(s: float, k: float) -> bool:
    """s^2 k <= 1 exactly (s, k binary64): s <= 1/sqrt(k)."""
    return Fraction(s) ** 2 * Fraction(k) <= 1


def _fmt(x: float) -> str:
    """A binary64 number as it is written in statements (shortest repr)."""
    return repr(float(x))


class SpuriousMinimumFamily(ClaimKind):
    """The claim kind (docs/families.md); one instance, KIND."""
    name = "relu-spurious-minimum-family"
    version = 1
    title = ("a symmetric family of spurious strict local minima of the two-layer ReLU teacher-student loss, "
             "proven for every k of a range (finite or infinite) at once, with its limits and transition")
    theorem = "docs/families.md"
    trusted_modules = ("certify.kernel.families.kind", "certify.kernel.families.cover",
                       "certify.kernel.families.system", "certify.kernel.families.landscape",
                       "certify.kernel.families.graded")
    claim_fields = frozenset({"blocks", "teacher", "input_dimensions", "k_min", "k_max", "loss_scale", "limits",
                              "transition"})
    evidence_fields = frozenset({"unknowns", "equations", "cover", "limit"})
    limits = {"number of pieces": MAX_PIECES, "pieces x parameters": MAX_WORK, "number of blocks": MAX_BLOCKS,
              "constant block size": MAX_CONSTANT_BLOCK}
    max_file_bytes = 8 * 1024 * 1024  # at most 1000 pieces of at most a few parameters: about 0.1 MB written per 100 pieces
    bounds = {
        "pieces": "the number of pieces of the cover",
        "k_range": "[k_min, k_max] of the integer claim (k_max null: infinity)",
        "scaled_loss": "[lo, hi] enclosing k F_k(W*_k) (loss_scale 'k') or F_k(W*_k) ('1') for every k of the range",
        "hessian_min_eigenvalue_lower_bound": "lambda_min(Hessian of F_k at W*_k) >= this for every integer k of the "
                                              "range",
        "m_min_eigenvalue_lower_bound": "lambda_min(M at W*_k) >= this for every integer k of the range",
        "krawczyk_margin": "smallest relative margin of the Krawczyk inclusions over the pieces",
        "limit_loss": "[lo, hi] (claimed, proven) containing lim k F_k(W*_k) (or lim F_k)",
        "limit_hessian_min_eigenvalue": "[lo, hi] (claimed, proven) containing lim lambda_min(Hessian at W*_k)",
        "limit_m_min_eigenvalue": "[lo, hi] (claimed, proven) containing lim lambda_min(M at W*_k)",
        "transition": "[k_lo, k_hi]: negative eigenvalue for real k <= k_lo, positive definite for real k >= k_hi",
        "saddle_curvature_upper_bound": "largest proven upper bound of the negative curvature on the saddle pieces",
    }
    cli_group = "families"
    cli_module = "certify.families.cli"

    # ------------------------------------------------------------------ statement
    def statement(self, c: FamilyClaim) -> str:
        """The exact claim in words, built from the typed claim."""
        rng = (f"every integer k with {c.k_min} <= k <= {c.k_max}" if c.k_max is not None
               else f"every integer k >= {c.k_min}")
        p = "[" + ", ".join(c.blocks) + "]"
        text = (f"For {rng}, the two-layer ReLU teacher-student loss F_k(W) = 1/2 E_x[(sum_i relu(w_i.x) - "
                f"sum_j relu(v_j.x))^2], x ~ N(0, I_d), with n = k students and the orthonormal teacher V = I_k "
                f"(embedded in R^d), has a strict local minimum W*_k with F_k(W*_k) > 0 (hence spurious: the "
                f"global minimum is 0), fixed by Delta(S_p1 x ... x S_pm) for the blocks p(k) = {p} (permuting "
                f"students and input coordinates together inside blocks), for every input dimension d >= k. "
                f"Its compact values (layout of docs/spurious-symmetric.md) are phi_a = ref_a + s^(e_a) psi_a "
                f"with s = 1/sqrt(k) and ref, e from `unknowns`, and psi lies in the box of every piece of "
                f"`cover` whose s-interval contains 1/sqrt(k); W*_k is the only critical point of F_k fixed by "
                f"this group whose psi lies in that box.")
        if c.limits is not None:
            lo, hi = c.limits["loss"]
            what = "k F_k(W*_k)" if c.loss_scale == "k" else "F_k(W*_k)"
            text += (f" As k -> infinity, {what} converges to a limit in [{_fmt(lo)}, {_fmt(hi)}]")
            for name, words in (("hessian_min_eigenvalue", "the smallest eigenvalue of the Hessian of F_k at W*_k"),
                                ("m_min_eigenvalue", "the smallest eigenvalue of M (extra input dimensions) at W*_k")):
                lo, hi = c.limits[name]
                text += f", {words} to a limit in [{_fmt(lo)}, {_fmt(hi)}]"
            text += "."
        if c.transition is not None:
            ks, klo, khi = c.transition
            text += (f" Continued to real k (the compact formulas are defined for real k), the critical point is "
                     f"followed without interruption for every real k >= {_fmt(ks)}; the smallest eigenvalue of "
                     f"its Hessian compressed to the refined symmetry (docs/spurious-symmetric.md, Lemma 3) is "
                     f"negative for every real k in [{_fmt(ks)}, {_fmt(klo)}] and positive for every real "
                     f"k >= {_fmt(khi)}: the family turns from saddle to minimum at some k* in "
                     f"({_fmt(klo)}, {_fmt(khi)}).")
        return text

    # ------------------------------------------------------------------ parse
    def parse(self, cert: dict) -> FamilyClaim:
        """Validate every field (limits first, before any arithmetic); raise CertificateError otherwise."""
        claim = get_object(cert, "claim")
        raw = require(claim, "blocks", "claim")
        if not isinstance(raw, list) or not raw:
            raise CertificateError("claim.blocks must be a non-empty list")
        within_limit(len(raw), MAX_BLOCKS, "number of blocks")
        sizes = tuple(_parse_block(b, i) for i, b in enumerate(raw))
        if sum(c1 for _, c1 in sizes) != 1:
            raise CertificateError("claim.blocks: exactly one block must grow with k ('k' or 'k-c')")
        if sum(c0 for c0, _ in sizes) != 0:
            raise CertificateError("claim.blocks must add up to k")
        if get_str(claim, "teacher", "claim") != "identity":
            raise CertificateError("claim.teacher must be 'identity' (V = I_k)")
        if get_str(claim, "input_dimensions", "claim") != "all":
            raise CertificateError("claim.input_dimensions must be 'all' (every d >= k)")
        k_min = get_int(claim, "k_min", "claim", lo=2, hi=MAX_K)
        kmx = require(claim, "k_max", "claim")
        if kmx == "infinity":
            k_max = None
        else:
            k_max = get_int(claim, "k_max", "claim", lo=k_min, hi=MAX_K)
        loss_scale = get_str(claim, "loss_scale", "claim")
        if loss_scale not in ("k", "1"):
            raise CertificateError("claim.loss_scale must be 'k' (k F_k) or '1' (F_k)")
        lim_obj = require(claim, "limits", "claim")
        limits = None
        if k_max is None:
            if not isinstance(lim_obj, dict):
                raise CertificateError("claim.limits must be an object {loss, hessian_min_eigenvalue, "
                                       "m_min_eigenvalue} for an infinite range")
            only_fields(lim_obj, LIMIT_NAMES, "claim.limits")
            limits = {name: _pair(require(lim_obj, name, "claim.limits"), f"claim.limits.{name}")
                      for name in LIMIT_NAMES}
        elif lim_obj is not None:
            raise CertificateError("claim.limits must be null for a finite range")
        tr = require(claim, "transition", "claim")
        transition = None
        if tr is not None:
            if not isinstance(tr, dict):
                raise CertificateError("claim.transition must be null or an object {saddle_from, k_star}")
            only_fields(tr, {"saddle_from", "k_star"}, "claim.transition")
            ks = _number(require(tr, "saddle_from", "claim.transition"), "claim.transition.saddle_from", 2.0)
            klo, khi = _pair(require(tr, "k_star", "claim.transition"), "claim.transition.k_star")
            if not (ks < klo < khi <= k_min):
                raise CertificateError("claim.transition: need saddle_from < k_star[0] < k_star[1] <= k_min")
            transition = (ks, klo, khi)

        # ---- evidence: sizes first (limits before any arithmetic)
        p = Cells(sizes)
        n = layout(p).n
        cover = get_object(cert, "cover")
        only_fields(cover, {"breakpoints", "centers", "slopes", "radii", "natures"}, "cover")
        bp = require(cover, "breakpoints", "cover")
        if not isinstance(bp, list) or len(bp) < 2:
            raise CertificateError("cover.breakpoints must be a list of at least two numbers")
        N = within_limit(len(bp) - 1, MAX_PIECES, "number of pieces")
        within_limit(N * layout(refine(p)[0]).n, MAX_WORK, "pieces x parameters")
        breakpoints = get_binary64_array(cover, "breakpoints", (N + 1,), "cover")
        centers = get_binary64_array(cover, "centers", (N, n), "cover")
        slopes = get_binary64_array(cover, "slopes", (N, n), "cover")
        radii = get_binary64_array(cover, "radii", (N, n), "cover")
        nat = require(cover, "natures", "cover")
        if not isinstance(nat, list) or len(nat) != N or any(x not in NATURES for x in nat):
            raise CertificateError(f"cover.natures must be a list of {N} of {NATURES}")
        unk = get_object(cert, "unknowns")
        only_fields(unk, {"reference", "exponents"}, "unknowns")
        ref = require(unk, "reference", "unknowns")
        _in_range(ref, -1, 1, "unknowns.reference")
        if len(ref) != n:
            raise CertificateError(f"unknowns.reference must have {n} entries (one per compact parameter)")
        expo = require(unk, "exponents", "unknowns")
        _in_range(expo, 0, MAX_EXPONENT, "unknowns.exponents")
        if len(expo) != n:
            raise CertificateError(f"unknowns.exponents must have {n} entries")
        eq = get_object(cert, "equations")
        only_fields(eq, {"combination", "divide"}, "equations")
        L = _int_matrix(require(eq, "combination", "equations"), n, n, "equations.combination", MAX_COEFFICIENT)
        div = require(eq, "divide", "equations")
        _in_range(div, 0, MAX_EXPONENT, "equations.divide")
        if len(div) != n:
            raise CertificateError(f"equations.divide must have {n} entries")
        lim = require(cert, "limit")
        limit_center = limit_radius = None
        if k_max is None:
            if not isinstance(lim, dict):
                raise CertificateError("field 'limit' must be an object {center, radius} for an infinite range")
            only_fields(lim, {"center", "radius"}, "limit")
            limit_center = get_binary64_array(lim, "center", (n,), "limit")
            limit_radius = get_binary64_array(lim, "radius", (n,), "limit")
        elif lim is not None:
            raise CertificateError("field 'limit' must be null for a finite range")

        lay = layout(p)
        for a, prm in enumerate(lay.params):
            if (prm[0] == "d") != (ref[a] != 0):
                raise CertificateError("unknowns.reference must be -1 or 1 exactly on the d parameters (every "
                                       "student near +-its own teacher) and 0 elsewhere")
            if ref[a] != 0 and expo[a] < 1:
                raise CertificateError("unknowns.exponents must be >= 1 where the reference is nonzero")
        q, _, parent = refine(p)
        pat = Pattern(p, q, parent, tuple(ref), tuple(expo), L, tuple(div))
        return FamilyClaim(tuple(raw), pat, k_min, k_max, loss_scale, limits, transition, breakpoints, centers,
                           slopes, radii, tuple(nat), limit_center, limit_radius)

    # ------------------------------------------------------------------ exact checks
    def _check_cover_structure(self, c: FamilyClaim) -> tuple[int, int]:
        """Exact checks (no arithmetic on values): returns (m, a) with pieces [0, m) minimum, [m, a) follow,
        [a, N) saddle."""
        bp = c.breakpoints
        N = bp.size - 1
        if not (bp[0] >= 0.0 and bp[-1] <= 1.0):
            raise CertificateError("cover.breakpoints must lie in [0, 1] (s = 1/sqrt(k))")
        if not np.all(bp[1:] > bp[:-1]):
            raise CertificateError("cover.breakpoints must be strictly increasing (pieces sorted, no overlap, "
                                   "no empty piece)")
        if not np.all(c.radii > 0):
            raise CertificateError("cover.radii must be > 0")
        if _determinant(c.pattern.L) == 0:
            raise CertificateError("equations.combination must be invertible")
        nat = c.natures
        m = next((i for i, x in enumerate(nat) if x != "minimum"), N)
        a = next((i for i in range(m, N) if nat[i] == "saddle"), N)
        if any(x != "follow" for x in nat[m:a]) or any(x != "saddle" for x in nat[a:]):
            raise CertificateError("cover.natures must be 'minimum' pieces (small s, large k), then 'follow', then "
                                   "'saddle' pieces")
        if m == 0:
            raise CertificateError("the cover has no 'minimum' piece")
        if c.transition is None and m != N:
            raise CertificateError("'follow' and 'saddle' pieces need a claimed transition")
        if c.k_max is None:
            if bp[0] != 0.0:
                raise CertificateError("for an infinite range the cover must start at s = 0 (k = infinity)")
        elif not (bp[0] > 0.0 and _s2k_at_most(bp[0], c.k_max)):
            raise CertificateError(f"the cover does not reach k_max = {c.k_max}: its first breakpoint "
                                   f"{bp[0]!r} is above 1/sqrt(k_max) (or is 0 for a finite range)")
        if not _s2k_at_least(bp[m], c.k_min):
            raise CertificateError(f"the 'minimum' pieces stop short of k_min = {c.k_min}: they end at s = "
                                   f"{bp[m]!r} < 1/sqrt(k_min)")
        if c.transition is not None:
            ks, klo, khi = c.transition
            if not (m < a < N):
                raise CertificateError("a transition needs 'minimum', 'follow' and 'saddle' pieces")
            if not _s2k_at_least(bp[m], khi):
                raise CertificateError("the 'minimum' pieces do not reach k_star[1] (positive definite side)")
            if not _s2k_at_most(bp[a], klo):
                raise CertificateError("the 'saddle' pieces do not reach k_star[0] (saddle side)")
            if not _s2k_at_least(bp[N], ks):
                raise CertificateError("the 'saddle' pieces do not reach saddle_from")
        # the refinement splits the growing block b(k) = k + c0 into (b - 2, 1, 1): its formulas need every orbit
        # size > 0 (b - 2 > 1, i.e. k > 3 - c0) on the whole cover, and Lemma 3 needs b >= 4 at the integers claimed
        for c0, c1 in c.pattern.p.sizes:
            if c1 and not Fraction(bp[-1]) ** 2 * (3 - c0) < 1:
                raise CertificateError("the growing block must have size > 3 for every real k of the cover")
            if c1 and c.k_min + c0 < 4:
                raise CertificateError("the growing block must have size >= 4 at k_min (the compression lemma)")
        return m, a

    # ------------------------------------------------------------------ check
    def check(self, c: FamilyClaim) -> Proven:
        """Prove the claim (docs/families.md, section 12) or raise NotProven / CertificateError."""
        m, a = self._check_cover_structure(c)
        bp = c.breakpoints
        N = bp.size - 1
        pat = c.pattern
        if c.limits is not None:
            self._check_limits(c)  # cheap (one point), so first
        pc = Pieces(bp[:-1].copy(), bp[1:].copy(), c.centers, c.slopes, c.radii)
        kr = krawczyk(pat, pc)
        if not np.all(kr.ok):
            i = int(np.nonzero(~kr.ok)[0][0])
            raise NotProven(f"Krawczyk's test failed on piece {i} (s in [{bp[i]!r}, {bp[i + 1]!r}]): the existence "
                            "of a unique critical point in its box is not proven (radius too small or too large, "
                            "or the piece too wide)")
        self._check_connected(pc, kr)
        cu = curvatures(pat, pc, kr.offset, c.loss_power)
        T = pc.t_interval()
        delta = np.maximum(np.abs(T.lo), np.abs(T.hi))
        mu_h = mu_m = np.inf  # over the pieces that hold integer k of the claim (s_lo <= 1/sqrt(k_min))
        for i in range(m):
            where = f"piece {i} (s in [{bp[i]!r}, {bp[i + 1]!r}])"
            integer = _s2k_at_most(bp[i], c.k_min)
            try:
                mu = pencil_lower_bound(cu.C_c[i], cu.C_1[i], cu.C_2[i], float(delta[i]))
            except NotProven:
                raise NotProven(f"Hessian not proven positive definite on {where}: not a minimum there, or the "
                                "piece too wide") from None
            try:
                mm = pencil_lower_bound(cu.M_c[i], cu.M_1[i], cu.M_2[i], float(delta[i]))
            except NotProven:
                raise NotProven(f"M not proven positive definite on {where}: the claim for every d >= k is not "
                                "proven") from None
            if integer:
                mu_h, mu_m = min(mu_h, mu), min(mu_m, mm)
        loss = cu.loss[:m]
        if not np.all(loss.lo > 0.0):
            i = int(np.nonzero(~(loss.lo > 0.0))[0][0])
            raise NotProven(f"loss at the critical point not proven > 0 on piece {i}")
        worst_neg = -np.inf
        for i in range(a, N):
            neg = negative_curvature_upper(cu.C_c[i], cu.C_1[i], cu.C_2[i], T[i])
            if not neg < 0.0:
                raise NotProven(f"no direction of negative curvature proven on saddle piece {i} (s in "
                                f"[{bp[i]!r}, {bp[i + 1]!r}])")
            worst_neg = max(worst_neg, neg)
        bounds = {
            "pieces": N,
            "k_range": [c.k_min, c.k_max],
            "scaled_loss": [float(loss.lo.min()), float(loss.hi.max())],
            "hessian_min_eigenvalue_lower_bound": float(mu_h),
            "m_min_eigenvalue_lower_bound": float(mu_m),
            "krawczyk_margin": float(kr.margin.min()),
        }
        what = "k F" if c.loss_scale == "k" else "F"
        rng = f"{c.k_min} <= k <= {c.k_max}" if c.k_max is not None else f"k >= {c.k_min}"
        text = (f"family p = [{', '.join(c.blocks)}], every integer {rng}, every d >= k: spurious minimum, "
                f"{what} in [{bounds['scaled_loss'][0]:.6g}, {bounds['scaled_loss'][1]:.6g}], "
                f"lambda_min(H) >= {mu_h:.3g}, lambda_min(M) >= {mu_m:.3g}, {N} pieces")
        if c.limits is not None:
            for name in LIMIT_NAMES:
                bounds[f"limit_{name}"] = list(c.limits[name])
            lo, hi = c.limits["loss"]
            text += f"; lim {what} in [{lo:.10g}, {hi:.10g}]"
            lo, hi = c.limits["hessian_min_eigenvalue"]
            text += f", lim lambda_min(H) in [{lo:.10g}, {hi:.10g}]"
        if c.transition is not None:
            ks, klo, khi = c.transition
            bounds["transition"] = [klo, khi]
            bounds["saddle_curvature_upper_bound"] = float(worst_neg)
            text += f"; saddle for real k in [{ks:.6g}, {klo:.12g}], minimum for real k >= {khi:.12g}"
        return Proven(text, bounds)

    def _check_connected(self, pc: Pieces, kr) -> None:
        """At each shared breakpoint s_j, the enclosure psi~_i(s_j) + K_i of one piece's critical point lies in
        the open box of the other piece at s_j (either way): by uniqueness in that box the two critical points
        coincide, so the family is one continuous curve over the whole cover (docs/families.md, "Pieces")."""
        sc = pc.s_centre()

        def at(i: int, s: float) -> Interval:
            """The line of piece i at s (interval)."""
            return Interval.point(pc.centers[i]) + Interval.point(pc.slopes[i]) * (Interval.point(s) - sc[i])

        def inside(inner: Interval, i: int, s: float) -> bool:
            """inner lies in the open box of piece i at s."""
            line = at(i, s)
            return bool(np.all(inner.lo > (line - Interval.point(pc.radii[i])).hi)
                        and np.all(inner.hi < (line + Interval.point(pc.radii[i])).lo))

        for i in range(pc.n - 1):
            s = float(pc.s_hi[i])
            if not (inside(at(i, s) + kr.offset[i], i + 1, s) or inside(at(i + 1, s) + kr.offset[i + 1], i, s)):
                raise NotProven(f"pieces {i} and {i + 1} do not connect: at s = {s!r} neither critical point is "
                                "proven inside the other piece's box")

    def _check_limits(self, c: FamilyClaim) -> None:
        """Krawczyk at s = 0 in the limit box (which must lie in the first piece's box at s = 0, so that it holds
        lim psi*(s)); then the claimed limit enclosures over that box at s = 0."""
        pat = c.pattern
        K = limit_box_check(pat, c.limit_center, c.limit_radius)
        sc = 0.5 * c.breakpoints[0] + 0.5 * c.breakpoints[1]
        first = Interval.point(c.centers[0]) + Interval.point(c.slopes[0]) * (Interval.point(0.0) - sc)
        if not (np.all(K.lo[0] > (first - Interval.point(c.radii[0])).hi)
                and np.all(K.hi[0] < (first + Interval.point(c.radii[0])).lo)):
            raise NotProven("the limit box is not inside the box of the first piece at s = 0")
        cu = curvature(pat, Point(K), Powers(np.zeros(1), np.zeros(1)), c.loss_power)
        lo, hi = c.limits["loss"]
        if not (cu.loss.lo[0] >= lo and cu.loss.hi[0] <= hi):
            raise NotProven(f"the limit of the loss is enclosed in [{cu.loss.lo[0]!r}, {cu.loss.hi[0]!r}], not "
                            f"within the claimed [{lo!r}, {hi!r}]")
        small_h = pat.big_q() == 0
        small_m = pat.big_m() == 0
        for name, X, small in (("hessian_min_eigenvalue", cu.C[0], small_h), ("m_min_eigenvalue", cu.M[0], small_m)):
            lo, hi = c.limits[name]
            try:
                schur_bounds(X, small, lo, hi)
            except NotProven as exc:
                raise NotProven(f"limit {name}: {exc} (claimed [{lo!r}, {hi!r}])") from None

    def describe(self, c: FamilyClaim) -> str:
        """The claim's data in readable form (no checking)."""
        bp = c.breakpoints
        lines = [
            "problem: two-layer ReLU teacher-student, n = k, teacher V = I_k, every d >= k",
            f"blocks:  {list(c.blocks)} (symmetry Delta(S_p1 x ... x S_pm))",
            f"range:   {c.k_min} <= k <= {'infinity' if c.k_max is None else c.k_max}",
            f"unknowns: reference {list(c.pattern.ref)}, exponents {list(c.pattern.expo)}",
            f"equations: combination {[list(r) for r in c.pattern.L]}, divide {list(c.pattern.div)}",
            f"cover:   {bp.size - 1} pieces in s = 1/sqrt(k) from {float(bp[0])!r} to {float(bp[-1])!r}; natures: "
            + ", ".join(f"{x} x{c.natures.count(x)}" for x in NATURES if x in c.natures),
        ]
        if c.transition:
            lines.append(f"transition: saddle from k = {c.transition[0]!r}, k* in {list(c.transition[1:])}")
        if c.limits:
            lines.append(f"limits: {c.limits}")
        return "\n".join(lines)


KIND = SpuriousMinimumFamily()

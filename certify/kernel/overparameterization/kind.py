"""Claim kind ``relu-one-more-neuron``: a certified spurious minimum stops being a minimum when
one student neuron is added (n -> n + 1, teacher I_k, every input dimension d >= k + 1).

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and the standard library.

The certificate EMBEDS the certificate of the spurious minimum (field
``minimum``, a complete ``relu-spurious-minimum`` certificate, or a
``relu-spurious-minimum-symmetric`` one of nature "minimum").  The checker
re-decides it with certify.kernel.checking (so a changed, malformed or
unproven minimum is rejected) and takes from it what that check proved: the
stored point x~ and |x* - x~| <= dist, hence W* lies in the box
Interval.around(x~, dist) (dense), or in the box of compact values of
half-widths dist / sqrt(D_s) (symmetric: |W* - W~|_F <= dist, value s occurs
D_s times).  Every bound below is then proven uniformly over that box
(certify.kernel.overparameterization.bounds), so it holds at the unknown
exact W*.  ``claim.norm_margin`` may be null: part (a) is then not claimed.

Theorem (docs/overparameterization.md).  Let W* be a critical point of F_n
(teacher I_k) with every w_i* != 0, not parallel to any teacher or other
student, and let e be a unit vector orthogonal to R^k (d >= k + 1).
(a) F_{n+1}(W*, t e) = F_n(W*) - t (k - sum_i |w_i*|)/(2 pi) + t^2/4, so if
    k - sum_i |w_i*| >= m1 > 0 the loss drops for every 0 < t < 2 m1/pi and
    (W*, 0) is not a local minimum of F_{n+1}.
(b) For a neuron i and alpha in (0, 1) the split point is a critical point
    of F_{n+1} with value F_n(W*); along u1 = alpha w_i* + t e,
    u2 = (1 - alpha) w_i* - t e, F_{n+1}(t) - F_n(W*) <= Q t^2 for
    0 < t <= t0 with the explicit Q of bounds.py; Q < 0 proves the loss is
    strictly below the split point's value on (0, t0], so the split point is
    not a local minimum; it is not a local maximum either (moving the other
    rows of a strict local minimum of F_n raises the loss), hence a saddle.
(c) Optional (``claim.same_dimension``, dense minima only): the same in
    input dimension d = k along u1 = alpha w_i* + t delta,
    u2 = (1 - alpha) w_i* - t delta for a stated delta in R^k (exact binary64;
    orthogonality to w_i* is not needed): F_{n+1}(t) - F_n(W*) <= Q_c t^2
    on (0, t0] with the Q_c of bounds.same_dimension_bound, Q_c < 0 proven.
    Absent (or null), nothing is claimed and statement, bounds and summary are
    exactly those of the kind without it.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from ..certificate import (
    CertificateError,
    NotProven,
    as_binary64,
    as_rational,
    get_binary64,
    get_binary64_array,
    get_int,
    get_object,
    only_fields,
    rational_str,
    require,
)
from ..checking import check_data, parse_claim
from ..contract import ClaimKind, Proven
from ..interval import Interval, pi as pi_enclosure
from ..interval import round_down as _down, round_up as _up
from ..spurious_minima.kind import SpuriousMinimumClaim
from ..spurious_symmetric.kind import SymmetricClaim
from .bounds import compact_neuron_quantities, neuron_quantities, same_dimension_bound, split_bound

MAX_ALPHA_CHARS = 100  # an exact rational alpha "p/q": at most this many characters
MAX_T0 = 1.0
DENSE = "relu-spurious-minimum"  # point (n, k), distance |x* - x~|_2
SYMMETRIC = "relu-spurious-minimum-symmetric"  # blocks p, values (m, m+1), distance |W* - W~|_F in Fix(G_p)
MINIMUM_KINDS = (DENSE, SYMMETRIC)  # kinds whose proven result encloses W*; sizes are limited by their own parse
SAME_DIMENSION_FIELDS = frozenset({"direction", "t0", "curvature_margin"})




def parse_alpha(value: Any) -> Fraction:
    """alpha: a JSON number (exact binary64) or an exact rational string "p/q", strictly in (0, 1)."""
    if isinstance(value, str):
        if len(value) > MAX_ALPHA_CHARS:
            raise CertificateError(f"claim.alpha: rational with more than {MAX_ALPHA_CHARS} characters")
        alpha = as_rational(value, "claim.alpha")
    elif type(value) is float or type(value) is int:
        alpha = Fraction(as_binary64(value, "claim.alpha"))
    else:
        raise CertificateError(f"claim.alpha: expected a number or a rational string 'p/q', got {value!r}")
    if not (0 < alpha < 1):
        raise CertificateError(f"claim.alpha must lie strictly between 0 and 1, got {rational_str(alpha)}")
    return alpha


def rational_enclosure(x: Fraction) -> Interval:
    """A binary64 interval containing the exact rational x."""
    f = float(x)  # correctly rounded (to nearest)
    if Fraction(f) == x:
        return Interval.point(f)
    return Interval(_down(f), _up(f))


def _positive(obj: dict, key: str, hi: float) -> float:
    """claim.<key> as a finite binary64 value in (0, hi]; CertificateError otherwise."""
    v = get_binary64(obj, key, "claim")
    if not (0.0 < v <= hi):
        raise CertificateError(f"claim.{key} must be in (0, {hi!r}], got {v!r}")
    return v


@dataclass(frozen=True)
class SameDimension:
    """Part (c): the split curve in d = k along the stated direction delta (a private copy)."""

    direction: np.ndarray  # (k,) exact binary64, finite, not zero
    t0: float
    curvature_margin: float  # claimed lower bound of -delta^T H'_ii delta / (2 alpha (1 - alpha))


def parse_same_dimension(claim: dict, k: int, blocks) -> SameDimension | None:
    """claim.same_dimension: absent or null (part (c) not claimed), or {direction, t0, curvature_margin}."""
    if claim.get("same_dimension") is None:
        return None
    ctx = "claim.same_dimension"
    sd = get_object(claim, "same_dimension", "claim")
    only_fields(sd, SAME_DIMENSION_FIELDS, ctx)
    if blocks is not None:
        raise CertificateError(f"{ctx}: part (c) is only supported for a dense (relu-spurious-minimum) minimum")
    direction = get_binary64_array(sd, "direction", (k,), ctx)
    if not np.all(np.isfinite(direction)):
        raise CertificateError(f"{ctx}.direction: non-finite entry")  # pragma: no cover - as_binary64 refuses
    if not np.any(direction != 0):
        raise CertificateError(f"{ctx}.direction must not be the zero vector")
    t0 = get_binary64(sd, "t0", ctx)
    if not (0.0 < t0 <= MAX_T0):
        raise CertificateError(f"{ctx}.t0 must be in (0, {MAX_T0!r}], got {t0!r}")
    m = get_binary64(sd, "curvature_margin", ctx)
    if not (0.0 < m and math.isfinite(m)):
        raise CertificateError(f"{ctx}.curvature_margin must be positive and finite, got {m!r}")
    return SameDimension(direction.copy(), t0, m)


@dataclass(frozen=True)
class OneMoreNeuronClaim:
    n: int
    k: int
    neuron: int
    alpha: Fraction
    t0: float
    norm_margin: float | None  # None: part (a) not claimed
    split_margin: float
    minimum: dict  # the embedded certificate (a private deep copy)
    minimum_kind: str
    point: np.ndarray  # dense: (n, k) rows; symmetric: the (m, m+1) compact values
    blocks: tuple[int, ...] | None  # symmetric only: block sizes p (neuron = block index)
    minimum_claim: Any
    same_dimension: SameDimension | None = None  # part (c); None: not claimed


def _compact_radii(blocks: tuple[int, ...], dist: float) -> np.ndarray:
    """Upper bounds of dist / sqrt(D) for each entry of the (m, m+1) compact values (D = its multiplicity
    in W: p_a p_b off the diagonal, p_b on it, p_b (p_b - 1) in the last column; unused entries get dist)."""
    m = len(blocks)
    p = np.array(blocks, dtype=np.float64)
    D = np.ones((m, m + 1))
    D[:, :m] = np.outer(p, p)
    D[np.arange(m), np.arange(m)] = p
    D[:, m] = np.where(p >= 2, p * (p - 1), 1.0)  # exact integers (< 2^53 for k <= 10^5)
    return (Interval.point(np.full((m, m + 1), dist)) / Interval.point(D).sqrt()).hi


def quantities(point: np.ndarray, blocks: tuple[int, ...] | None, dist: float):
    """Norms, margin, lam and remainder sums over an enclosure of W* (point +- the proven distance)."""
    if blocks is None:
        return neuron_quantities(Interval.around(point, dist))  # the box contains the ball |W - x~| <= dist
    # |W* - W~|_F <= dist and compact value s occurs D_s times in W, so |delta_s| <= dist / sqrt(D_s)
    return compact_neuron_quantities(blocks, Interval.around(point, _compact_radii(blocks, dist)))


class OneMoreNeuron(ClaimKind):
    name = "relu-one-more-neuron"
    version = 1
    title = ("one more student neuron turns a certified spurious minimum of the two-layer ReLU loss "
             "(teacher I_k) into a non-minimum, for every input dimension d >= k + 1")
    theorem = "docs/overparameterization.md"
    trusted_modules = ("certify.kernel.overparameterization", "certify.kernel.overparameterization.kind",
                       "certify.kernel.overparameterization.bounds")
    claim_fields = frozenset({"n", "k", "neuron", "alpha", "t0", "norm_margin", "split_margin", "same_dimension"})
    evidence_fields = frozenset({"minimum"})
    limits = {"alpha (characters)": MAX_ALPHA_CHARS}  # sizes: the embedded kind's own limits
    max_file_bytes = 2 * 1024 * 1024  # an embedded dense minimum (<= 1 MB) and a direction
    bounds = {
        "norm_margin_lower_bound": "k - sum_i |w_i*| >= this (zero neuron)",
        "zero_neuron_descent_up_to": "F_{n+1}(W*, t e) < F_n(W*) for every 0 < t < this (= 2 margin/pi, rounded down)",
        "split_margin_lower_bound": "1/2 - M_ii(W*) >= this for the stated neuron i (split neuron)",
        "t0": "the split curve is strictly below the split point's value for every 0 < t <= t0",
        "split_decrease_coefficient": "q > 0 with F_{n+1}(t) <= F_n(W*) - q t^2 for every 0 < t <= t0",
        "minimum_loss": "[lo, hi] enclosing F_n(W*), from the embedded minimum's check",
        "minimum_distance_to_critical_point": "|W* - point| upper bound, from the embedded minimum's check",
        "same_dimension_curvature_margin": "(c) -delta^T H'_ii(W*) delta / (2 alpha (1 - alpha)) >= this",
        "same_dimension_t0": "(c) the d = k split curve is strictly below the split point's value for 0 < t <= this",
        "same_dimension_decrease_coefficient": "(c) q > 0 with F_{n+1}(t) <= F_n(W*) - q t^2 for 0 < t <= t0 (d = k)",
    }
    cli_group = "overparameterization"
    cli_aliases = ("overparam",)
    cli_module = "certify.overparameterization.cli"

    # ------------------------------------------------------------------ parse
    def parse(self, cert: dict) -> OneMoreNeuronClaim:
        """Validate the embedded ``minimum`` first (kind relu-spurious-minimum, or the symmetric kind claiming
        a minimum; parsed by the kernel's envelope policy on a private deep copy, with its own limits),
        then n and k (equal to the minimum's), neuron (a row of the dense point, or a block of the
        symmetric one), alpha in (0, 1), t0 in (0, 1], norm_margin (null, or in (0, k]), split_margin in
        (0, 1/2] and the optional same_dimension (dense minimum only).  CertificateError otherwise."""
        claim = get_object(cert, "claim")
        minimum = get_object(cert, "minimum")
        mkind = minimum.get("kind")
        if mkind not in MINIMUM_KINDS:  # checked first: never recurse into this kind
            raise CertificateError(f"minimum: kind must be one of {MINIMUM_KINDS}, got {mkind!r}")
        minimum = copy.deepcopy(minimum)  # the claim owns its copy: what is parsed is what is checked
        try:
            kind, mclaim = parse_claim(minimum)  # the embedded kind enforces its own limits
        except CertificateError as exc:
            raise CertificateError(f"embedded minimum: {exc}") from None
        if isinstance(mclaim, SpuriousMinimumClaim):  # the typed claims of the two minimum kinds
            point, mn, mk, blocks, units = mclaim.point, mclaim.n, mclaim.k, None, mclaim.n
        elif isinstance(mclaim, SymmetricClaim):
            if mclaim.nature != "minimum":
                raise CertificateError("embedded minimum: the symmetric certificate claims a saddle, not a minimum")
            point, mn, mk, blocks, units = mclaim.values, mclaim.k, mclaim.k, mclaim.blocks, len(mclaim.blocks)
        else:  # pragma: no cover - MINIMUM_KINDS and the registry say otherwise
            raise CertificateError(f"embedded minimum: unexpected claim of kind {mkind}")
        n = get_int(claim, "n", "claim", lo=1)
        k = get_int(claim, "k", "claim", lo=1)
        if (n, k) != (mn, mk):
            raise CertificateError(f"claim.n = {n}, claim.k = {k} do not match the embedded minimum "
                                   f"(n = {mn}, k = {mk})")
        neuron = get_int(claim, "neuron", "claim", lo=0, hi=units - 1)
        alpha = parse_alpha(require(claim, "alpha", "claim"))
        t0 = _positive(claim, "t0", MAX_T0)
        # null: part (a) is not claimed (e.g. at large k, where the margin is below the enclosure's width)
        norm_margin = None if require(claim, "norm_margin", "claim") is None else _positive(claim, "norm_margin", float(k))
        split_margin = _positive(claim, "split_margin", 0.5)
        same_dimension = parse_same_dimension(claim, k, blocks)
        return OneMoreNeuronClaim(n, k, neuron, alpha, t0, norm_margin, split_margin, minimum, kind.name,
                                  point.copy(), blocks, mclaim, same_dimension)

    def statement(self, c: OneMoreNeuronClaim) -> str:
        """The claim in words: part (a) (or "not claimed"), part (b), and part (c) when same_dimension is
        given; claim.statement must equal it."""
        return (
            f"Let W* be the spurious strict local minimum of the two-layer ReLU teacher-student loss F_n "
            f"(n = {c.n} students, orthonormal teacher V = I_{c.k}) certified by the embedded certificate "
            f"`minimum`, and F_(n+1) the same loss with one more student, for any input dimension d >= k + 1 "
            f"and any unit vector e orthogonal to R^k. "
            + (f"(a) Zero neuron: sum_i |w_i*| <= k - {c.norm_margin!r}, hence F_(n+1)(W*, t e) < F_n(W*) for "
               f"every 0 < t < 2*{c.norm_margin!r}/pi, so (W*, 0) is not a local minimum of F_(n+1). "
               if c.norm_margin is not None else "(a) Zero neuron: not claimed. ") +
            f"(b) Split neuron: 1/2 - M_ii(W*) >= {c.split_margin!r} for {self._which(c)}, and with alpha = {rational_str(c.alpha)} the split point "
            f"(W* with w_i* replaced by the two neurons alpha w_i*, (1 - alpha) w_i*) is a critical point of "
            f"F_(n+1) and a saddle: F_(n+1) at (alpha w_i* + t e, (1 - alpha) w_i* - t e, the other rows of W*) "
            f"is < F_n(W*) for every 0 < t <= {c.t0!r}."
            + ("" if c.same_dimension is None else self._statement_c(c))
        )

    @staticmethod
    def _statement_c(c: OneMoreNeuronClaim) -> str:
        """Part (c) of the statement: input dimension d = k, along the stated delta."""
        sd = c.same_dimension
        return (
            f" (c) Same dimension: let delta in R^k be the vector claim.same_dimension.direction (exact binary64 "
            f"values; delta need not be orthogonal to w_i*) and H'_ii the Hessian block of F_n at W* in w_i "
            f"without its 1/2 I. Then -delta^T H'_ii delta / (2 alpha (1 - alpha)) >= {sd.curvature_margin!r}, "
            f"and in input dimension d = k (hence in every d >= k) F_(n+1) at (alpha w_i* + t delta, "
            f"(1 - alpha) w_i* - t delta, the other rows of W*) is < F_n(W*) for every 0 < t <= {sd.t0!r}; "
            f"so the split point is a saddle of F_(n+1) for every d >= k."
        )

    @staticmethod
    def _which(c: OneMoreNeuronClaim) -> str:
        """The split neuron in words: row i of the dense point, or every neuron of block i of the symmetric one."""
        if c.blocks is None:
            return f"i = {c.neuron} (row {c.neuron} of the minimum's point, counting from 0)"
        return (f"every neuron i of block {c.neuron} (blocks p = {list(c.blocks)} of the symmetric minimum, "
                f"counting from 0; by the symmetry they all have the same M_ii)")

    # ------------------------------------------------------------------ check
    def check(self, c: OneMoreNeuronClaim) -> Proven:
        """Re-decide the embedded minimum (NotProven unless it is proven) and take its distance bound, so W*
        lies in the box (dense) or compact box (symmetric) around the stored point; over that box prove
        (a) k - sum_i |w_i*| >= norm_margin (when claimed), (b) 1/2 - M_ii >= split_margin > 0 and
        Q < 0 up to t0, and (c) when claimed.  Returns the bounds; NotProven where a step fails."""
        try:
            mproof = check_data(copy.deepcopy(c.minimum))
        except (CertificateError, NotProven) as exc:
            raise NotProven(f"embedded minimum not proven: {exc}") from None
        dist = mproof.bounds.get("distance_to_critical_point")
        if type(dist) is not float or not math.isfinite(dist) or dist < 0:
            raise NotProven("embedded minimum: its check gave no distance to the critical point")
        nq = quantities(c.point, c.blocks, dist)

        # (a) zero neuron
        m1 = float(nq.norm_margin.lo)
        if c.norm_margin is not None:
            if not m1 > 0:
                raise NotProven(f"sum_i |w_i*| < k not proven (k - sum >= {m1:.3e} only): nothing to claim "
                                "for the zero neuron (at the global minimum W = I the sum equals k)")
            if not m1 >= c.norm_margin:
                raise NotProven(f"claimed norm_margin {c.norm_margin!r} is too large: proven k - sum_i |w_i*| "
                                f">= {m1!r}")
            descent = float(((Interval.point(m1) * 2.0) / pi_enclosure()).lo)

        # (b) split neuron
        sb = split_bound(nq, c.neuron, rational_enclosure(c.alpha), c.t0)
        m2 = -float(sb.lam.hi)
        if not m2 > 0:
            raise NotProven(f"M_ii - 1/2 < 0 not proven for neuron {c.neuron} (upper bound {-m2:.3e}): "
                            "nothing to claim for the split neuron")
        if not m2 >= c.split_margin:
            raise NotProven(f"claimed split_margin {c.split_margin!r} is too large: proven 1/2 - M_ii >= {m2!r}")
        q = -float(sb.q.hi)
        if not q > 0:
            raise NotProven(f"t0 = {c.t0!r} is too large: the remainder bound (C_self <= {float(sb.c_self.hi):.3g}, "
                            f"K <= {float(sb.k_cross.hi):.3g}) does not prove descent up to t0")
        if c.same_dimension is not None:
            part_c_bounds, part_c_text = self._check_c(c, dist)
        lo, hi = mproof.bounds.get("loss", [float("nan")] * 2)
        bounds = {
            "split_margin_lower_bound": m2,
            "t0": c.t0,
            "split_decrease_coefficient": q,
            "minimum_loss": [lo, hi],
            "minimum_distance_to_critical_point": dist,
        }
        if c.norm_margin is not None:
            bounds["norm_margin_lower_bound"] = m1
            bounds["zero_neuron_descent_up_to"] = descent
        if c.same_dimension is not None:
            bounds.update(part_c_bounds)
        part_a = (f"k - sum|w_i*| >= {m1:.4g} (zero-neuron descent for 0 < t < {descent:.3g}); "
                  if c.norm_margin is not None else "zero neuron not claimed; ")
        text = (f"one more neuron, n={c.n} -> {c.n + 1}, k={c.k}"
                f"{'' if c.blocks is None else f' (blocks {list(c.blocks)})'}, every d >= k+1: " + part_a +
                f"{'neuron' if c.blocks is None else 'block'} {c.neuron}, alpha={rational_str(c.alpha)}: 1/2 - M_ii >= {m2:.4g}, "
                f"F_(n+1)(t) <= F_n(W*) - {q:.3g} t^2 for 0 < t <= {c.t0:.3g}")
        if c.same_dimension is not None:
            text += part_c_text
        return Proven(text, bounds)

    @staticmethod
    def _check_c(c: OneMoreNeuronClaim, dist: float) -> tuple[dict, str]:
        """Part (c): curvature margin and Q_c < 0 over the enclosure of W* (dense only)."""
        sd = c.same_dimension
        if c.blocks is not None:  # pragma: no cover - refused by parse
            raise NotProven("part (c) is only supported for a dense minimum")
        try:
            sb = same_dimension_bound(Interval.around(c.point, dist), c.neuron, rational_enclosure(c.alpha),
                                      sd.direction, sd.t0)
        except NotProven as exc:
            raise NotProven(f"(c) same dimension: {exc}") from None
        m3 = -float(sb.curvature.hi)
        if not m3 > 0:
            raise NotProven(f"(c) delta^T H'_ii delta < 0 not proven for neuron {c.neuron} and the stated direction "
                            f"(upper bound of delta^T H'_ii delta / (2 alpha (1 - alpha)): {-m3:.3e}): nothing to claim")
        if not m3 >= sd.curvature_margin:
            raise NotProven(f"(c) claimed curvature_margin {sd.curvature_margin!r} is too large: proven "
                            f"-delta^T H'_ii delta / (2 alpha (1 - alpha)) >= {m3!r}")
        q3 = -float(sb.q.hi)
        if not q3 > 0:
            raise NotProven(f"(c) t0 = {sd.t0!r} is too large: the remainder bound (C_self <= "
                            f"{float(sb.c_self.hi):.3g}, second-order terms <= {sb.hess_upper:.3g}) does not prove "
                            "descent up to t0")
        bounds = {"same_dimension_curvature_margin": m3, "same_dimension_t0": sd.t0,
                  "same_dimension_decrease_coefficient": q3}
        text = (f"; (c) d = k along the stated delta: -delta^T H'_ii delta/(2 alpha(1-alpha)) >= {m3:.4g}, "
                f"F_(n+1)(t) <= F_n(W*) - {q3:.3g} t^2 for 0 < t <= {sd.t0:.3g}")
        return bounds, text

    def describe(self, c: OneMoreNeuronClaim) -> str:
        """The claimed margins, the split neuron, alpha, t0, part (c) when claimed, and the embedded
        minimum's own description, for ``certify show`` (no checking)."""
        from ..registry import get_kind

        lines = [
            f"problem: n={c.n} -> n+1={c.n + 1} students, teacher V=I_{c.k}, every d >= k+1",
            f"zero neuron: claimed k - sum_i |w_i*| >= {c.norm_margin!r}" if c.norm_margin is not None
            else "zero neuron: not claimed",
            f"split neuron: {self._which(c)}, alpha = {rational_str(c.alpha)}, "
            f"claimed 1/2 - M_ii >= {c.split_margin!r}, t0 = {c.t0!r}",
            f"embedded minimum ({c.minimum_kind}):",
            get_kind(c.minimum_kind).describe(c.minimum_claim),
        ]
        if c.same_dimension is not None:  # absent: the description is exactly that of the kind without (c)
            sd = c.same_dimension
            lines.insert(3, f"same dimension d = k: direction delta (|delta| = {float(np.linalg.norm(sd.direction)):.6g}), "
                            f"claimed -delta^T H'_ii delta/(2 alpha(1-alpha)) >= {sd.curvature_margin!r}, t0 = {sd.t0!r}")
        return "\n".join(lines)


KIND = OneMoreNeuron()

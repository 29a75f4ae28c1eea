"""Claim kind ``relu-spurious-minimum-symmetric``: a symmetric spurious minimum (or saddle) at any k.

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and python-flint.
Theorem and proofs: docs/spurious-symmetric.md.  Nothing of size k^2 x k^2
(or k x k) is ever formed: every quantity is a closed-form expression in the
compact parameters with k entering only through exact integer multiplicities,
so the cost does not depend on k.

Claim.  Teacher V = I_k, n = k students, block sizes p (sum k), G_p =
Delta(S_p1 x ... x S_pm).  The stored `values` give a block-constant point
W~ of Fix(G_p); `radius` rho > 0 is a Frobenius distance in Fix(G_p).
Checks (docs/spurious-symmetric.md, Theorem):

 (i)   On the box B = {phi : |phi_a - phi~_a| <= rho / sqrt(D_a)} of compact
       parameters (D_a = orbit size of parameter a; B contains the Frobenius
       ball of radius rho in Fix(G_p)), every pair of neurons (and neuron and
       teacher) is proven non-parallel, so F is real-analytic there.
 (ii)  "minimum": lambda_min(H(W)) >= mu > 0 for every W in B, proven on the
       compression of H to Fix(G_q), q the refinement of p with two marked
       indices per block (Lemma 3: this compression has the same smallest
       eigenvalue as H); |grad F(W~)|_F < mu rho (box argument in Fix(G_p)
       with the Frobenius metric) => exactly one critical point W* of
       F|Fix(G_p) in the ball, |W* - W~| <= |grad|/mu, loss bounds; symmetric
       criticality => grad F(W*) = 0; H(W*) >= mu I; F(W*) > 0; for "all"
       input dimensions, M(W) >= mu_M I on B.
 (iii) "saddle": the unique critical point of F|Fix(G_p) in B by the box
       argument (if the Hessian of F|Fix(G_p) is proven >= mu_fix > 0 on B) or
       else by Krawczyk's test in the orthonormal coordinates of Fix(G_p);
       then v^T H(W) v < 0 for a fixed direction v of Fix(G_q) at every W in B
       (not a local minimum) and e_a^T H(W) e_a > 0 for a coordinate direction
       (not a local maximum).

Format version 2.  Version 1 had the same fields and the same check, but its
statement put "for every input dimension d >= k" after the uniqueness clause,
which is proven only among G_p-fixed points in d = k; version 2 says which
clause holds where (``statement``).  A version-1 file is rejected with the
command that rewrites it (certify.spurious_symmetric.migrate).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..certificate import (CertificateError, get_binary64, get_binary64_array, get_choice, get_int, get_object,
                           require, within_limit)
from ..contract import ClaimKind, Proven, describe_with_matrix
from ..definite import min_eigenvalue_lower_bound, symmetric_part
from ..interval import Interval, NotProven, norm2_upper
from ..interval import round_up as _up
from .compact import (IV, _ONE, compress, enclose, enclose_point_arb, group_sum, layout, refinement,
                      values_to_theta)
from ..box_argument import box_argument, every_input_dimension, spurious_minimum_bounds

MAX_K = 100_000  # multiplicities up to k^2 = 10^10 (exact in binary64)
MAX_BLOCKS = 6
MAX_RADIUS = 0.1
INPUT_DIMENSIONS = ("k", "all")
NATURES = ("minimum", "saddle")




@dataclass(frozen=True)
class SymmetricClaim:
    k: int
    blocks: tuple[int, ...]
    all_dims: bool
    nature: str  # "minimum" | "saddle"
    values: np.ndarray  # (m, m + 1) binary64
    radius: float


def _pd_lower_bound(t: IV) -> float:
    """min_eigenvalue_lower_bound (Rump's test) of the interval matrix t, refused at once when the
    midpoint of its symmetric part is not positive definite in floating point (the test could not
    succeed; saves its retries).  The shift is chosen from that midpoint's smallest eigenvalue, as
    min_eigenvalue_lower_bound would choose it."""
    h = t.interval()
    mid, _ = symmetric_part(h).mid_rad()
    if not np.all(np.isfinite(mid)):
        raise NotProven("not positive definite (midpoint matrix)")
    ev = float(np.linalg.eigvalsh(mid)[0])
    if not ev > 0:
        raise NotProven("not positive definite (midpoint matrix)")
    return min_eigenvalue_lower_bound(h, target=ev)


def _inv_sqrt(sizes: np.ndarray) -> IV:
    """Enclosures of 1/sqrt(D) for exact integers D >= 1."""
    return _ONE / IV.point(sizes).sqrt()


def _scaled(h: IV, sizes: np.ndarray) -> IV:
    """D^{-1/2} h D^{-1/2}: the matrix of the quadratic form in an orthonormal basis."""
    s = _inv_sqrt(sizes)
    n = sizes.size
    return h * (s.reshape(n, 1) * s.reshape(1, n))


def _frobenius_dual_norm_upper(g: IV, sizes: np.ndarray) -> float:
    """Upper bound of sqrt(sum_a g_a^2 / D_a) = |grad F|_F for g = Q^T grad F (grad F in Fix)."""
    total = (g.sqr() / IV.point(sizes)).sum_last()  # a sum of squares: >= 0
    return float(_up(np.sqrt(max(float(total.hi), 0.0))))


class SymmetricSpuriousMinimum(ClaimKind):
    name = "relu-spurious-minimum-symmetric"
    version = 2  # 2: the statement says which clause holds in d = k and which for every d >= k
    version_help = {1: "run `certify spurious-symmetric migrate FILE... --out DIR` (statement-only change: the data and "
                       "the check are those of version 1; docs/spurious-symmetric.md, \"Versions\")"}
    title = ("a symmetric spurious strict local minimum (or saddle) of the two-layer ReLU teacher-student loss "
             "(teacher I_k, n = k), checked in the compact parameters of its symmetry, in time independent of k")
    theorem = "docs/spurious-symmetric.md"
    trusted_modules = ("certify.kernel.spurious_symmetric.kind", "certify.kernel.spurious_symmetric.compact")
    claim_fields = frozenset({"k", "blocks", "teacher", "input_dimensions", "nature"})
    evidence_fields = frozenset({"values", "radius"})
    limits = {"k": MAX_K, "number of blocks m": MAX_BLOCKS}
    max_file_bytes = 64 * 1024  # at most 6 x 7 values: a few kB
    bounds = {
        "loss": "[lo, hi] enclosing F(W*) at the critical point W*",
        "hessian_min_eigenvalue_lower_bound": "mu: lambda_min(H(W)) >= mu for every W in the box (minimum)",
        "m_min_eigenvalue_lower_bound": "mu_M: lambda_min(M(W)) >= mu_M on the box (claims for every d >= k)",
        "fixed_space_hessian_min_eigenvalue_lower_bound":
            "mu_fix: the Hessian of F restricted to Fix(G_p) is >= mu_fix (Frobenius metric) on the box (saddle)",
        "negative_curvature_upper_bound":
            "v^T H(W) v / |v|^2 <= this < 0 for a fixed direction v at every W in the box (saddle)",
        "positive_curvature_lower_bound":
            "e^T H(W) e / |e|^2 >= this > 0 for a fixed direction e at every W in the box (saddle)",
        "distance_to_critical_point": "|W* - W~|_F upper bound",
        "gradient_norm_at_point": "|grad F(W~)|_F upper bound",
    }
    cli_group = "spurious-symmetric"
    cli_module = "certify.spurious_symmetric.cli"

    # ------------------------------------------------------------------ statement
    def statement(self, c: SymmetricClaim) -> str:
        """Each clause says exactly what check proves (docs/spurious-symmetric.md, Theorem): existence,
        nature and uniqueness among the symmetric critical points in input dimension d = k; with "all",
        the padded point's nature and loss for every d >= k (nothing about uniqueness there)."""
        sym = (f"fixed by Delta(S_p1 x ... x S_pm) (permuting students and input coordinates together inside "
               f"blocks of sizes p = {list(c.blocks)})")
        head = (f"The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
                f"x ~ N(0, I_d), with n = k = {c.k} students and the orthonormal teacher V = I_{c.k} "
                f"(embedded in R^d): in input dimension d = k, F has ")
        where = ("within Frobenius distance `radius` of the block-constant point given by `values` (compact layout "
                 "of docs/spurious-symmetric.md); W* is the only critical point of F (d = k) fixed by that symmetry "
                 "within that distance")
        if c.nature == "minimum":
            what = (f"a strict local minimum W* with F(W*) > 0 (hence spurious: the global minimum is 0), "
                    f"{sym}, {where}")
            padded = "a strict local minimum of F with the same loss"
        else:
            what = (f"a critical point W* that is a saddle (not a local minimum: its Hessian has a negative "
                    f"eigenvalue; not a local maximum), {sym}, {where}")
            padded = ("a saddle of F (a critical point that is neither a local minimum nor a local maximum) "
                      "with the same loss")
        if not c.all_dims:
            return head + what + "."
        return (head + what + f"; and for every input dimension d >= k the point W* (padded with zeros) is "
                f"{padded}.")

    # ------------------------------------------------------------------ parse
    def parse(self, cert: dict) -> SymmetricClaim:
        """Validate k (<= MAX_K), the blocks (at most MAX_BLOCKS positive integers summing to k), the
        teacher, input dimensions, nature, the (m, m + 1) binary64 values (unused entries 0.0) and the
        radius (in (0, MAX_RADIUS]); returns the typed claim.  Raises CertificateError otherwise."""
        claim = get_object(cert, "claim")
        k = get_int(claim, "k", "claim", lo=1)
        within_limit(k, MAX_K, "claim.k")
        raw = require(claim, "blocks", "claim")
        if not isinstance(raw, list) or not raw:
            raise CertificateError("claim.blocks must be a non-empty list of positive integers")
        within_limit(len(raw), MAX_BLOCKS, "number of blocks m")
        for i, b in enumerate(raw):
            if type(b) is not int or b < 1:
                raise CertificateError(f"claim.blocks[{i}] must be a positive integer, got {b!r}")
        blocks = tuple(raw)
        if sum(blocks) != k:
            raise CertificateError(f"claim.blocks sum to {sum(blocks)}, not claim.k = {k}")
        get_choice(claim, "teacher", ("identity",), "claim")  # V = I_k
        dims = get_choice(claim, "input_dimensions", INPUT_DIMENSIONS, "claim")
        nature = get_choice(claim, "nature", NATURES, "claim")
        m = len(blocks)
        values = get_binary64_array(cert, "values", (m, m + 1))
        for i, b in enumerate(blocks):
            if b == 1 and values[i, m] != 0.0:
                raise CertificateError(f"values[{i}][{m}] is unused (block {i} has size 1) and must be 0.0, "
                                       f"got {values[i, m]!r}")
        radius = get_binary64(cert, "radius")
        if not (0.0 < radius <= MAX_RADIUS):
            raise CertificateError(f"radius must be in (0, {MAX_RADIUS}], got {radius!r}")
        return SymmetricClaim(k, blocks, dims == "all", nature, values, radius)

    # ------------------------------------------------------------------ check
    def check(self, c: SymmetricClaim) -> Proven:
        """Prove the claim (module docstring, checks (i)-(iii); docs/spurious-symmetric.md, Theorem) or
        raise NotProven: the point enclosure in arb, the box enclosure of the Hessian (and M) in Fix(G_q),
        Rump's test, the box argument (or Krawczyk's test and the curvature directions for a saddle)."""
        p = c.blocks
        ref = refinement(p)
        lp, lq = layout(p), layout(ref.q)
        phi = values_to_theta(p, c.values)  # compact point in Fix(G_p)
        rho = c.radius

        # gradient of F|Fix(G_p) at the point, and its Frobenius dual norm (= |grad F(W~)|_F)
        # (arb at 256 bits: at a point this is tight for every k; see compact.enclose_point_arb)
        at_point = enclose_point_arb(ref.q, phi[ref.parent])
        g_p = group_sum(p, IV.of(at_point.grad))  # R^T (Q_q^T grad F) = Q_p^T grad F
        g = _frobenius_dual_norm_upper(g_p, lp.sizes)

        # the box B: half-widths rho / sqrt(D_a) rounded up, so B contains the Frobenius ball
        half = _inv_sqrt(lp.sizes).scale(rho).hi
        box_p = Interval.around(phi, half)
        box_q = box_p[ref.parent]
        on_box = enclose(ref.q, box_q, want_hess=True, want_m=c.all_dims and c.nature == "minimum",
                         want_grad=False)
        h_q = IV.of(on_box.hess)

        if c.nature == "saddle":
            return self._check_saddle(c, ref, lp, lq, phi, at_point, g_p, g, h_q)
        try:
            mu = _pd_lower_bound(_scaled(h_q, lq.sizes))
        except NotProven:
            raise NotProven("Hessian not proven positive definite on the whole box (compression to Fix(G_q), "
                            "which has the same smallest eigenvalue): radius too large, or not a minimum") from None

        # the box argument in Fix(G_p) with the Frobenius metric (certify.kernel.box_argument): |g| < mu rho
        bounds = spurious_minimum_bounds(g, mu, rho, at_point.loss)
        (loss_lo, loss_hi), dist = bounds["loss"], bounds["distance_to_critical_point"]
        dims = "every d >= k" if c.all_dims else "d = k"
        text = (f"symmetric spurious local minimum, k={c.k}, p={list(p)}, {dims}: loss in "
                f"[{loss_lo:.10g}, {loss_hi:.10g}], lambda_min(H) >= {mu:.4g}, |W* - W~| <= {dist:.2e}")
        if c.all_dims:
            text += every_input_dimension(lambda: _pd_lower_bound(IV.of(on_box.m_scaled)), bounds)
        return Proven(text, bounds)

    def _check_saddle(self, c, ref, lp, lq, phi, at_point, g_p, g, h_q) -> Proven:
        """Existence/uniqueness of the critical point of F|Fix(G_p) by the box argument (if F|Fix(G_p)
        is proven strongly convex on the box) or else by Krawczyk's test; then a fixed direction of
        negative curvature and one of positive curvature of the full Hessian on the whole box."""
        rho = c.radius
        t_p = _scaled(compress(c.blocks, h_q), lp.sizes)  # Hessian of F|Fix(G_p), orthonormal basis
        bounds: dict = {"gradient_norm_at_point": g}
        route = None
        try:  # F|Fix(G_p) strongly convex on the box and |g| < mu rho
            mu = _pd_lower_bound(t_p)
            dist, loss_lo, loss_hi = box_argument(g, mu, rho, at_point.loss)
            route = "box argument"
            bounds["fixed_space_hessian_min_eigenvalue_lower_bound"] = mu
        except NotProven:
            pass
        if route is None:
            route = "Krawczyk"
            grad_psi = (g_p * _inv_sqrt(lp.sizes)).interval()  # gradient in orthonormal coordinates sqrt(D) phi
            offset = _krawczyk_offset(grad_psi, t_p.interval(), rho)  # encloses psi* - psi~
            dist = norm2_upper(offset)
            if not dist <= rho:
                raise NotProven("Krawczyk's enclosure of the critical point reaches beyond the radius")
            around = Interval.point(phi) + offset * _inv_sqrt(lp.sizes).interval()  # encloses phi*
            loss = enclose(ref.q, around[ref.parent]).loss
            loss_lo, loss_hi = float(loss.lo), float(loss.hi)
        bounds["loss"] = [loss_lo, loss_hi]
        bounds["distance_to_critical_point"] = dist

        neg = _negative_curvature_upper(h_q, lq.sizes)
        if not neg < 0.0:
            raise NotProven("no direction of negative curvature proven on the box: may be a local minimum")
        bounds["negative_curvature_upper_bound"] = neg
        pos = float(np.max(np.diag(_scaled(h_q, lq.sizes).lo)))  # e_a^T H e_a / |e_a|^2 >= pos
        if not pos > 0.0:
            raise NotProven("no direction of positive curvature proven on the box: may be a local maximum")
        bounds["positive_curvature_lower_bound"] = pos
        dims = "every d >= k" if c.all_dims else "d = k"
        text = (f"symmetric saddle ({route}), k={c.k}, p={list(c.blocks)}, {dims}: loss in "
                f"[{loss_lo:.10g}, {loss_hi:.10g}], lambda_min(H) <= {neg:.4g} < 0 < {pos:.4g} <= lambda_max(H), "
                f"|W* - W~| <= {dist:.2e}")
        return Proven(text, bounds)

    def describe(self, c: SymmetricClaim) -> str:
        """The claim's data in readable form (no checking)."""
        lines = [
            f"problem: two-layer ReLU teacher-student, n = k = {c.k}, teacher V = I_k, "
            f"input dimensions: {'every d >= k' if c.all_dims else 'd = k'}",
            f"nature:  {c.nature}",
            f"blocks:  {list(c.blocks)} (symmetry Delta(S_p1 x ... x S_pm))",
            f"radius:  {c.radius!r} (Frobenius distance inside Fix(G_p))",
            "values (row i = coordinate block, column j = neuron block, last column = off-diagonal in block):",
        ]
        return describe_with_matrix(lines, c.values, 8)


def _matmul_point(R: np.ndarray, X: Interval) -> Interval:
    """R @ X for a float matrix R (n, n) and an interval matrix (n, j) or vector (n,), outward rounded."""
    n = R.shape[0]
    Xm = X.reshape(n, -1)
    prod = Interval.point(R).reshape(n, n, 1) * Xm.reshape(1, n, Xm.shape[1])
    out = prod.sum(axis=1)
    return out.reshape(*((n,) + X.shape[1:]))


def _krawczyk_offset(f0: Interval, jac: Interval, rho: float) -> Interval:
    """Krawczyk's test for f: R^n -> R^n on X = psi~ + [-rho, rho]^n, with f0 containing f(psi~)
    and jac containing f'(psi) for every psi in X.  With R ~ mid(jac)^-1 (any float matrix),
    K - psi~ = -R f0 + (I - R jac)[-rho, rho]^n.  If K lies in the interior of X, f has exactly
    one zero in X, and it lies in K.  Returns the enclosure K - psi~ of (zero - psi~)."""
    mid, _ = jac.mid_rad()
    n = mid.shape[0]
    try:
        R = np.linalg.inv(0.5 * (mid + mid.T))
    except np.linalg.LinAlgError:
        raise NotProven("Krawczyk: singular midpoint Jacobian") from None
    if not np.all(np.isfinite(R)):
        raise NotProven("Krawczyk: singular midpoint Jacobian")
    E = Interval(np.full(n, -rho), np.full(n, rho))
    C = Interval.point(np.eye(n)) - _matmul_point(R, jac)
    K = (C * E.reshape(1, n)).sum(axis=1) - _matmul_point(R, f0)  # (I - R jac) E - R f0
    if not (np.all(K.lo > -rho) and np.all(K.hi < rho)):
        raise NotProven("Krawczyk's test failed: the existence of a unique symmetric critical point in the box "
                        "is not proven (radius too small or too large, or not near a critical point)")
    return K


def _negative_curvature_upper(h_q: IV, sizes: np.ndarray) -> float:
    """Upper bound of max over the box of v^T H v / |v|_F^2 for the fixed direction v = D^{-1/2} e,
    e the eigenvector of the smallest eigenvalue of the midpoint of D^{-1/2} H D^{-1/2} (any float v
    is sound: only the enclosure of the quotient is relied on)."""
    t = _scaled(h_q, sizes)
    mid = 0.5 * t.lo + 0.5 * t.hi
    mid = 0.5 * (mid + mid.T)
    if not np.all(np.isfinite(mid)):
        return float("nan")
    e = np.linalg.eigh(mid)[1][:, 0]
    v = e / np.sqrt(sizes)  # float direction; exactness not needed
    n = v.size
    V = IV.point(v)
    num = (h_q * (V.reshape(n, 1) * V.reshape(1, n))).reshape(n * n).sum_last()
    den = V.sqr().scale(sizes).sum_last()
    return float((num / den).hi)


KIND = SymmetricSpuriousMinimum()

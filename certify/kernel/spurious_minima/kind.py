"""Claim kind ``relu-spurious-minimum``: a spurious strict local minimum near a stored point.

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and python-flint.

Claim.  For the teacher-student objective F of docs/spurious-minima.md with
n >= k students and the orthonormal teacher V = I_k, or a given teacher matrix of rank k (a k x k
matrix T, or a k x d matrix V reduced rigorously to a box around (V V^T)^{1/2}: teachers.py; in
every case min F = 0): F has a strict local
minimum x* with F(x*) > 0 (so it is not a global minimum, whose value is 0)
within Euclidean distance ``radius`` of the stored point x~; when
``input_dimensions`` is "all", the embedded point (zeros in the extra
coordinates) is a strict local minimum with the same loss for every input
dimension d >= k.

Theorem used (docs/spurious-minima.md, Theorem 1; certify.kernel.box_argument).  Let B be the
box of half-width r around x~ (it contains the closed ball of radius r).  If
(1) F is C^2 on B and H(x) >= mu I with mu > 0 for every x in B, and
(2) |grad F(x~)| < mu r,
then F has exactly one critical point x* in the ball, a strict local minimum,
with |x* - x~| <= |grad F(x~)|/mu and
F(x~) - |grad F(x~)|^2/(2 mu) <= F(x*) <= F(x~) (the proof is in certify.kernel.box_argument).
For every d > k: at an embedded critical point the gradient in the extra
coordinates vanishes and the Hessian is H (+) (d - k) copies of M; if M >= mu_M I
with mu_M > 0 on B (so at x*), the embedded x* is a strict local minimum.

Each quantity is enclosed by certify.kernel.teacher_student (interval
arithmetic with proven rounding; the dense Hessian as an exactly symmetric
midpoint plus a proven bound on the 2-norm of its radius); positive
definiteness of every symmetric matrix in the enclosure is proven by Rump's
floating-point Cholesky test (certify.kernel.definite.min_eigenvalue_lower_bound_midrad
for H, min_eigenvalue_lower_bound for M).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..certificate import (CertificateError, get_binary64, get_binary64_array, get_choice, get_int, get_object,
                           within_limit)
from ..contract import ClaimKind, Proven, describe_with_matrix
from ..definite import min_eigenvalue_lower_bound, min_eigenvalue_lower_bound_midrad
from ..interval import Interval, NotProven, norm2_upper
from ..box_argument import every_input_dimension, spurious_minimum_bounds
from ..teacher_student import enclose
from .teachers import MAX_TEACHER_ENTRIES, REDUCTION_FIELD, GivenTeacher, parse_teacher, teacher_box

MAX_PARAMETERS = 10000  # n*k; the Hessian is (n k) x (n k): k = n = 100 needs about 2.4 GB (docs/spurious-minima.md)
MAX_STUDENTS = 200  # n; the pair quantities are O(n^2 k)
INPUT_DIMENSIONS = ("k", "all")


@dataclass(frozen=True)
class SpuriousMinimumClaim:
    n: int
    k: int
    all_dims: bool  # every d >= k (else d = k only)
    point: np.ndarray  # (n, k) binary64
    radius: float
    teacher: GivenTeacher | None = None  # None: the identity teacher (teachers.py)


class SpuriousMinimum(ClaimKind):
    name = "relu-spurious-minimum"
    version = 1
    title = "a spurious strict local minimum of the two-layer ReLU teacher-student loss (teacher I_k or a given teacher)"
    theorem = "docs/spurious-minima.md"
    trusted_modules = ("certify.kernel.spurious_minima.kind", "certify.kernel.spurious_minima.teachers")
    claim_fields = frozenset({"n", "k", "teacher", "input_dimensions"})
    evidence_fields = frozenset({"point", "radius", REDUCTION_FIELD})
    limits = {"parameters (n*k)": MAX_PARAMETERS, "students (n)": MAX_STUDENTS,
              "teacher entries (k*d)": MAX_TEACHER_ENTRIES}
    max_file_bytes = 2 * 1024 * 1024  # n k <= 10 000 numbers, a k x d teacher (<= 20 000) and its reduction
    bounds = {
        "loss": "[lo, hi] enclosing F(x*) at the critical point x*",
        "hessian_min_eigenvalue_lower_bound": "mu: H(x) >= mu I on the whole box",
        "distance_to_critical_point": "|x* - x~| upper bound",
        "gradient_norm_at_point": "|grad F(x~)| upper bound",
        "m_min_eigenvalue_lower_bound": "M(x) >= mu_M I on the whole box (claims for every d >= k)",
        "teacher_gram_min_eigenvalue_lower_bound": "given teacher: lambda_min(V V^T) lower bound (rank k)",
        "teacher_reduction_error": "k x d teacher: ||(V V^T)^(1/2) - teacher_reduction||_2 upper bound",
    }
    cli_group = "spurious-minima"
    cli_aliases = ("spurious",)
    cli_module = "certify.spurious_minima.cli"

    def statement(self, c: SpuriousMinimumClaim) -> str:
        """The claim in words, built from n, k, the teacher and input_dimensions; claim.statement must
        equal it."""
        dims = "for every input dimension d >= k" if c.all_dims else "for input dimension d = k"
        t = c.teacher
        if t is not None and t.square:
            return (
                f"The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
                f"x ~ N(0, I_d), with n = {c.n} students and the teacher whose {c.k} rows are the rows of the "
                f"{c.k}x{c.k} matrix T = `claim.teacher` (embedded in R^d as [T, 0]), has a strict local minimum "
                f"with F > 0 (hence spurious: the global minimum is 0) within Euclidean distance `radius` of "
                f"`point`, {dims}; so does, up to an orthogonal change of input coordinates, every teacher V in "
                f"R^({c.k} x d) with V V^T = T T^T."
            )
        if t is not None:
            return (
                f"The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
                f"x ~ N(0, I_{t.d}), with n = {c.n} students and the teacher V = `claim.teacher` in "
                f"R^({c.k} x {t.d}) (rows v_j), has a strict local minimum W* with F > 0 (hence spurious: the "
                f"global minimum is 0) of the form W* = X* (V V^T)^(-1/2) V with X* in R^({c.n} x {c.k}) within "
                f"Euclidean distance `radius` of `point`; so does the teacher [V, 0] in every input dimension "
                f"d > {t.d}."
            )
        return (
            f"The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
            f"x ~ N(0, I_d), with n = {c.n} students and the orthonormal teacher V = I_{c.k} (embedded in R^d), "
            f"has a strict local minimum with F > 0 (hence spurious: the global minimum is 0) within Euclidean "
            f"distance `radius` of `point`, {dims}."
        )

    def parse(self, cert: dict) -> SpuriousMinimumClaim:
        """Validate the claim (1 <= k <= n <= 200, n k <= 10 000, teacher "identity", input_dimensions "k"
        or "all") and the evidence (``point``: n x k finite binary64 numbers; ``radius`` in (0, 0.5]),
        the size limits before the point is read; CertificateError otherwise."""
        claim = get_object(cert, "claim")
        k = get_int(claim, "k", "claim", lo=1, hi=MAX_PARAMETERS)
        n = get_int(claim, "n", "claim", lo=1, hi=MAX_PARAMETERS)
        within_limit(n, MAX_STUDENTS, "n (students)")
        within_limit(n * k, MAX_PARAMETERS, "n*k (parameters)")
        if n < k:
            raise CertificateError(
                f"claim.n = {n} < claim.k = {k}: with fewer students than teachers the global minimum of F is "
                "positive, so F > 0 does not show a minimum is spurious (this kind needs n >= k)"
            )
        teacher = parse_teacher(cert, claim, k)
        dims = get_choice(claim, "input_dimensions", INPUT_DIMENSIONS, "claim")
        if teacher is not None and not teacher.square and dims != "all":
            raise CertificateError("a k x d teacher with d > k needs claim.input_dimensions = 'all' (the extra "
                                   "d - k input coordinates need M > 0)")
        point = get_binary64_array(cert, "point", (n, k))
        radius = get_binary64(cert, "radius")
        if not (0.0 < radius <= 0.5):
            raise CertificateError(f"radius must be in (0, 0.5], got {radius!r}")
        return SpuriousMinimumClaim(n, k, dims == "all", point, radius, teacher)

    def check(self, c: SpuriousMinimumClaim) -> Proven:
        """Prove the claim (module docstring): g >= |grad F(x~)| from an enclosure at the point; mu > 0 with
        H(x) >= mu I on the whole box of half-width ``radius`` by Rump's test; then the box argument
        (g < mu r, and F(x*) > 0 proven); for "all", also M(x) >= mu_M I with mu_M > 0 on the box.
        Returns the bounds; NotProven where a step fails."""
        n, k, all_dims, point, radius = c.n, c.k, c.all_dims, c.point, c.radius
        T, teacher_bounds = (None, {}) if c.teacher is None else teacher_box(c.teacher)
        given = {} if T is None else {"teacher": T}  # the identity teacher: enclose's default
        at_point = enclose(Interval.point(point), want=("loss", "grad"), **given)
        g = norm2_upper(at_point.grad)  # >= |grad F(x~)|

        box = Interval.around(point, radius)
        on_box = enclose(box, want=("hess", "m") if all_dims else ("hess",), **given)
        try:
            mu = min_eigenvalue_lower_bound_midrad(on_box.hess)
        except NotProven:
            raise NotProven("Hessian not proven positive definite on the whole box "
                            "(radius too large, or not a minimum)") from None

        bounds = {**spurious_minimum_bounds(g, mu, radius, at_point.loss), **teacher_bounds}
        (loss_lo, loss_hi), dist = bounds["loss"], bounds["distance_to_critical_point"]
        who = "" if c.teacher is None else f"teacher {k}x{c.teacher.d}, "
        where = "every d >= k" if all_dims else "d = k"
        if c.teacher is not None and not c.teacher.square:
            where = f"d = {c.teacher.d} (and above, zero-padded)"
        text = (f"spurious local minimum, {who}n={n}, k={k}, "
                f"{where}: loss in [{loss_lo:.10g}, {loss_hi:.10g}], "
                f"lambda_min(H) >= {mu:.4g}, |x* - x~| <= {dist:.2e}")
        if all_dims:
            text += every_input_dimension(lambda: min_eigenvalue_lower_bound(on_box.m_matrix), bounds)
        return Proven(text, bounds)

    def describe(self, c: SpuriousMinimumClaim) -> str:
        """The claim's data for ``certify show``: sizes, teacher, input dimensions, radius and the point
        (printed rounded to 6 decimals; no checking)."""
        who = f"V=I_{c.k}" if c.teacher is None else f"a given {c.k}x{c.teacher.d} matrix"
        lines = [
            f"problem: two-layer ReLU teacher-student, n={c.n} students, teacher {who}, "
            f"input dimensions: {'every d >= k' if c.all_dims else 'd = k'}",
            f"radius:  {c.radius!r} (box half-width around the point)",
            "point (rows w_i):",
        ]
        return describe_with_matrix(lines, c.point, 6)


KIND = SpuriousMinimum()

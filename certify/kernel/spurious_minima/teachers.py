"""Given teachers for the dense kind ``relu-spurious-minimum``: parsing, and the rigorous reduction
of a k x d teacher to a box of k x k teachers.

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and the standard library.

``claim.teacher`` is ``"identity"`` (V = I_k, unchanged) or a matrix given row by row, every entry
a JSON number (binary64, exact) or a rational string "p/q":

* a k x k matrix T: the teacher rows t_j in R^k, embedded in R^d as [T, 0] (any square matrix of
  rank k; the checker proves lambda_min(T T^T) > 0);
* a k x d matrix V, d > k: the teacher itself, with the evidence field ``teacher_reduction``, a
  symmetric k x k binary64 matrix S~ close to S = (V V^T)^{1/2}.  The checker proves
  ||S - S~||_2 <= eps (docs/spurious-minima.md, "Given teachers", Lemma R):

      for symmetric A >= a I, B >= b I (a, b > 0):  ||A^{1/2} - B^{1/2}||_2 <= ||A - B||_2 / (sqrt a + sqrt b),

  with A = V V^T (enclosed in interval arithmetic), B = S~^2, sqrt b >= sigma where Rump's test
  proves S~ >= sigma I, sigma > 0, and a >= sigma^2 - ||A - B||_2 > 0 (Weyl; this also proves that
  V has rank k).  The check then runs with the interval teacher S~ +- eps (entrywise, since
  |X_ij| <= ||X||_2), which contains S; by the reduction lemma the loss with the teacher V is the
  loss with the teacher [S, 0] up to the orthogonal change of coordinates W -> W R^T.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..certificate import CertificateError, as_binary64, as_rational, get_binary64_array, require
from ..definite import min_eigenvalue_lower_bound
from ..interval import Interval, NotProven, frac_down, frac_up, norm2_upper
from ..interval import round_down as _down, round_up as _up

MAX_TEACHER_ENTRIES = 20000  # k * d; the Gram matrix V V^T costs k^2 d interval operations
MAX_RATIONAL_CHARS = 64
IDENTITY = "identity"
REDUCTION_FIELD = "teacher_reduction"


@dataclass(frozen=True)
class GivenTeacher:
    """A teacher given as a matrix: exact entries (k rows of length d) and, for d > k, the binary64
    symmetric k x k matrix ``reduction`` (S~) from the certificate."""

    k: int
    d: int
    entries: tuple[tuple[Fraction, ...], ...]
    reduction: np.ndarray | None

    @property
    def square(self) -> bool:
        """True for a square teacher T (d == k: the teacher rows themselves, no reduction), False for a k x d
        teacher V with d > k (reduced through ``reduction``)."""
        return self.d == self.k


def _entry(value, where: str) -> Fraction:
    """One teacher entry as an exact rational: a JSON string must be a rational "p/q" or "p" of at most
    MAX_RATIONAL_CHARS characters (as_rational); anything else must be a JSON number that is a finite binary64
    value, taken exactly (as_binary64: bools, NaN, infinities, inexact integers and other types refused).
    CertificateError otherwise."""
    if isinstance(value, str):
        if len(value) > MAX_RATIONAL_CHARS:
            raise CertificateError(f"{where}: rational longer than {MAX_RATIONAL_CHARS} characters")
        return as_rational(value, where)
    return Fraction(as_binary64(value, where))  # a binary64 number is an exact rational


def parse_teacher(cert: dict, claim: dict, k: int) -> GivenTeacher | None:
    """``claim.teacher``: None for "identity", else a GivenTeacher (limits checked before any
    arithmetic).  Also validates the presence or absence of ``teacher_reduction``."""
    value = require(claim, "teacher", "claim")
    if isinstance(value, str):
        if value != IDENTITY:
            raise CertificateError(f"claim.teacher must be 'identity' (V = I_k) or a k x d matrix, got {value!r}")
        if REDUCTION_FIELD in cert:
            raise CertificateError(f"field '{REDUCTION_FIELD}' is only for a k x d teacher matrix with d > k")
        return None
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise CertificateError(f"claim.teacher must be 'identity' or a matrix (a list of k = {k} rows), "
                               f"got {type(value).__name__}")
    if len(value) != k:
        raise CertificateError(f"claim.teacher: expected k = {k} rows, got {len(value)}")
    d = len(value[0])
    if d < k:
        raise CertificateError(f"claim.teacher: a k x d teacher needs d >= k = {k} columns, got {d}")
    if k * d > MAX_TEACHER_ENTRIES:
        raise CertificateError(f"claim.teacher: k*d = {k * d} entries exceed this checker's limit of "
                               f"{MAX_TEACHER_ENTRIES}")
    rows = []
    for j, row in enumerate(value):
        if len(row) != d:
            raise CertificateError(f"claim.teacher[{j}]: expected length {d}, got {len(row)}")
        rows.append(tuple(_entry(x, f"claim.teacher[{j}][{l}]") for l, x in enumerate(row)))
    reduction = None
    if d > k:
        reduction = get_binary64_array(cert, REDUCTION_FIELD, (k, k))
        if not np.array_equal(reduction, reduction.T):
            raise CertificateError(f"{REDUCTION_FIELD} must be an exactly symmetric {k}x{k} matrix")
    elif REDUCTION_FIELD in cert:
        raise CertificateError(f"field '{REDUCTION_FIELD}' is only for a k x d teacher matrix with d > k")
    return GivenTeacher(k, d, tuple(rows), reduction)


def entries_box(t: GivenTeacher) -> Interval:
    """The teacher's exact entries, enclosed in binary64 intervals (exact for binary64 entries)."""
    lo = np.array([[frac_down(x) for x in row] for row in t.entries])
    hi = np.array([[frac_up(x) for x in row] for row in t.entries])
    return Interval(lo, hi)


def gram(V: Interval) -> Interval:
    """V V^T over the interval matrix V (k, d): a loop of d outward-rounded interval updates."""
    k, d = V.shape
    acc = V[:, 0].reshape(k, 1) * V[:, 0].reshape(1, k)
    for l in range(1, d):
        col = V[:, l]
        acc = acc + col.reshape(k, 1) * col.reshape(1, k)
    return acc


def teacher_box(t: GivenTeacher) -> tuple[Interval, dict]:
    """An interval k x k teacher box that contains the teacher rows the claim is about: T itself for
    a square teacher, (V V^T)^{1/2} for a k x d one (module docstring).  Returns (box, info) with
    info the proven numbers (``teacher_gram_min_eigenvalue_lower_bound`` and, for d > k,
    ``teacher_reduction_error``).  NotProven if the teacher is not proven of rank k."""
    T = entries_box(t)
    if t.square:
        try:
            lam = min_eigenvalue_lower_bound(gram(T))
        except NotProven:
            raise NotProven("the teacher matrix is singular, or too close to singular to prove rank k "
                            "(lambda_min(T T^T) not proven > 0)") from None
        return T, {"teacher_gram_min_eigenvalue_lower_bound": lam}
    G = gram(T)  # contains V V^T
    S = t.reduction
    try:
        sigma = min_eigenvalue_lower_bound(Interval.point(S))
    except NotProven:
        raise NotProven("teacher_reduction is not proven positive definite") from None
    Sp = Interval.point(S)
    S2 = (Sp.reshape(t.k, t.k, 1) * Sp.reshape(1, t.k, t.k)).sum(axis=1)  # S~^2, enclosed
    delta = norm2_upper(G - S2)  # >= ||V V^T - S~^2||_F >= ||.||_2
    a_sq = _down(sigma * sigma)  # <= lambda_min(S~^2) = sigma_min(S~)^2
    b = _down(a_sq - delta)  # <= lambda_min(V V^T) (Weyl)
    if not b > 0:
        raise NotProven("the teacher V is singular (rank < k), or teacher_reduction is too far from "
                        f"(V V^T)^(1/2) to prove it (||V V^T - S~^2|| <= {delta:.3e}, lambda_min(S~^2) >= {a_sq:.3e})")
    eps = _up(delta / _down(sigma + _down(float(np.sqrt(b)))))
    if not np.isfinite(eps):
        raise NotProven("non-finite teacher reduction error")
    return Interval(_down(S - eps), _up(S + eps)), {"teacher_gram_min_eigenvalue_lower_bound": b,
                                                    "teacher_reduction_error": eps}


def teacher_json(t: GivenTeacher) -> list:
    """The matrix as it would be written (exact)."""
    return [[float(x) if Fraction(float(x)) == x else f"{x.numerator}/{x.denominator}" for x in row]
            for row in t.entries]

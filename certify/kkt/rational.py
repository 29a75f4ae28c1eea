"""Rational helpers of the search (UNTRUSTED): rounding, roots, rational unit vectors, flint matrices."""
from __future__ import annotations

from fractions import Fraction

import numpy as np


def fr(x: float, max_den: int) -> Fraction:
    """The continued-fraction approximation of x with denominator at most max_den."""
    return Fraction(float(x)).limit_denominator(max_den)


def fq(x: Fraction):
    from flint import fmpq

    return fmpq(x.numerator, x.denominator)


def from_fq(v) -> Fraction:
    return Fraction(int(v.p), int(v.q))


def fmat(rows: list[list[Fraction]]):
    """A python-flint rational matrix from rows of Fractions."""
    from flint import fmpq_mat

    r, c = len(rows), len(rows[0]) if rows else 0
    return fmpq_mat(r, c, [fq(v) for row in rows for v in row])


def int_root(n: int, k: int) -> int | None:
    """The integer k-th root of n when n is a perfect k-th power, else None."""
    if n < 0:
        return None
    lo, hi = 0, 1
    while hi**k <= n:
        hi *= 2
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if mid**k <= n:
            lo = mid
        else:
            hi = mid
    return lo if lo**k == n else None


def rational_sqrt(x: Fraction) -> Fraction | None:
    a, b = int_root(x.numerator, 2), int_root(x.denominator, 2)
    return Fraction(a, b) if a is not None and b is not None else None


def rational_unit(v: np.ndarray, den: int = 1000) -> list[Fraction]:
    """A rational point on the unit sphere near v/|v| (inverse stereographic projection)."""
    v = np.asarray(v, dtype=float)
    v = v / np.linalg.norm(v)
    flip = v[0] > 0
    if flip:
        v = -v
    p = [fr(c / (1 - v[0]), den) for c in v[1:]]  # project from the pole (1, 0, ..., 0)
    s = sum(c * c for c in p)
    out = [(s - 1) / (s + 1)] + [2 * c / (s + 1) for c in p]
    return [-c for c in out] if flip else out

"""Exact integrals of the square of an affine function over a polytope given by points and rows.

TRUSTED (docs/networks.md, Lemmas 6 and 7, section 5).  Exact rationals (fmpq) only.

:func:`square_integral` triangulates the convex hull of given points of a polytope
P = {x : a_r . x <= b_r} by the pulling construction of Lemma 7 (faces are found as the sets
of points tight for a row of P, so the simplices never overlap and lie in the hull, whatever
points are given) and returns the exact total volume and the exact integral of f^2 over the
simplices (Lemma 6).  The caller compares the total volume with the volume the simplices
must fill (section 5): that comparison is what makes missing points harmless.
"""
from __future__ import annotations

from math import factorial

from flint import fmpq

from ..certificate import CertificateError
from .objects import ZERO, dot


def rank(vectors: list[list[fmpq]]) -> int:
    """The exact rank of a list of vectors (Gaussian elimination over Q)."""
    rows = [list(v) for v in vectors]
    r = 0
    ncols = len(rows[0]) if rows else 0
    for c in range(ncols):
        pivot = next((i for i in range(r, len(rows)) if rows[i][c] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        for i in range(r + 1, len(rows)):
            if rows[i][c] != 0:
                f = rows[i][c] / rows[r][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[r])]
        r += 1
    return r


def det(m: list[list[fmpq]]) -> fmpq:
    """The exact determinant of a square matrix (Gaussian elimination over Q)."""
    a = [list(row) for row in m]
    n, sign, out = len(a), 1, fmpq(1)
    for c in range(n):
        pivot = next((i for i in range(c, n) if a[i][c] != 0), None)
        if pivot is None:
            return ZERO
        if pivot != c:
            a[c], a[pivot] = a[pivot], a[c]
            sign = -sign
        out *= a[c][c]
        for i in range(c + 1, n):
            if a[i][c] != 0:
                f = a[i][c] / a[c][c]
                a[i] = [x - f * y for x, y in zip(a[i], a[c])]
    return out if sign > 0 else -out


def affine_dim(points: list[tuple], idx: frozenset) -> int:
    """The dimension of the affine hull of the points with the given indices (-1 for none)."""
    if not idx:
        return -1
    ids = sorted(idx)
    base = points[ids[0]]
    diffs = [[p - q for p, q in zip(points[i], base)] for i in ids[1:]]
    return rank(diffs) if diffs else 0


def triangulate(points: list[tuple], rows: list[tuple], budget: list[int]) -> list[tuple[int, ...]]:
    """Lemma 7: d-simplices (tuples of point indices) with disjoint interiors inside conv(points), from
    the faces that rows of P cut out; empty when the points span less than dimension d.  ``budget`` is
    a one-element list counting face computations (CertificateError when exhausted)."""
    d = len(points[0]) if points else 0
    tight = []
    for a, b in rows:
        tight.append(frozenset(i for i, p in enumerate(points) if dot(a, p) == b))
    memo: dict = {}

    def faces(S: frozenset, dim: int) -> list[tuple[int, ...]]:
        """Simplices (tuples of dim + 1 point indices) triangulating the face conv(S) of dimension ``dim`` by
        pulling its lowest-index point v0: v0 joined to the triangulations of the (dim - 1)-faces that
        rows of P cut out of S and that do not contain v0.  Memoized; each new (S, dim) charges
        len(rows) + 1 to ``budget`` (CertificateError when it is exhausted)."""
        key = (S, dim)
        if key in memo:
            return memo[key]
        budget[0] -= len(rows) + 1
        if budget[0] < 0:
            raise CertificateError("the L2 triangulation exceeds this checker's work limit (too many vertices or "
                                   "rows in the leaves)")
        v0 = min(S)
        if dim == 0:
            out = [(v0,)]
        else:
            found = []
            for T in tight:
                F = S & T
                if v0 not in F and F not in found and affine_dim(points, F) == dim - 1:
                    found.append(F)
            out = [simplex + (v0,) for F in found for simplex in faces(F, dim - 1)]
        memo[key] = out
        return out

    everything = frozenset(range(len(points)))
    if affine_dim(points, everything) < d:
        return []
    return faces(everything, d)


def square_integral(points: list[tuple], rows: list[tuple], f: tuple, budget: list[int]) -> tuple[fmpq, fmpq]:
    """(total volume, integral of f^2) over the simplices of :func:`triangulate` (Lemma 6), exactly;
    f is an affine form (d coefficients, then the constant)."""
    d = len(f) - 1
    vol_total, integral = ZERO, ZERO
    scale = fmpq(1, factorial(d))
    for simplex in triangulate(points, rows, budget):
        v = [points[i] for i in simplex]
        vol = det([[p - q for p, q in zip(vi, v[0])] for vi in v[1:]]) * scale
        vol = vol if vol >= 0 else -vol
        vals = [dot(f[:d], vi) + f[d] for vi in v]
        s = ZERO
        for x in vals:
            s += x
        sq = ZERO
        for x in vals:
            sq += x * x
        vol_total += vol
        integral += vol * (sq + s * s) / ((d + 1) * (d + 2))
    return vol_total, integral

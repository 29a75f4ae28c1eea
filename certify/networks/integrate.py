"""The producer's own exact L2 integral (UNTRUSTED), computed independently of the kernel's triangulation.

For each leaf of a split tree with ``vertices``: the Delaunay triangulation of the exact vertices
(scipy, combinatorics from floating point, every volume and value then exact), and Lemma 6 of
docs/networks.md on each simplex.  The kernel recomputes the value its own way (pulling
triangulation, total-volume check); the two agreeing is a cross-check, the kernel decides.
"""
from __future__ import annotations

from math import factorial

import numpy as np
from flint import fmpq, fmpq_mat

from .exact import Q, ZERO, dot


def simplex_square_integral(v: list, f: list) -> tuple[fmpq, fmpq]:
    d = len(v) - 1
    M = fmpq_mat([[p - q for p, q in zip(vi, v[0])] for vi in v[1:]])
    vol = M.det() / factorial(d)
    vol = -vol if vol < 0 else vol
    vals = [dot(f[:-1], vi) + f[-1] for vi in v]
    s = sum(vals, ZERO)
    sq = sum((x * x for x in vals), ZERO)
    return vol, vol * (sq + s * s) / ((d + 1) * (d + 2))


def leaf_integral(points: list, f: list) -> tuple[fmpq, fmpq]:
    """(volume, integral of f^2) over conv(points), exactly."""
    d = len(f) - 1
    pts = [tuple(Q(c) for c in p) for p in points]
    if len(pts) < d + 1:
        return ZERO, ZERO
    if d == 1:
        lo, hi = min(p[0] for p in pts), max(p[0] for p in pts)
        return simplex_square_integral([(lo,), (hi,)], f) if hi > lo else (ZERO, ZERO)
    from scipy.spatial import Delaunay, QhullError

    X = np.array([[float(c) for c in p] for p in pts])
    if np.linalg.matrix_rank(X[1:] - X[0], tol=1e-12) < d:
        return ZERO, ZERO
    try:
        tri = Delaunay(X)
    except QhullError:
        return ZERO, ZERO
    vol, integral = ZERO, ZERO
    for s in tri.simplices:
        a, b = simplex_square_integral([pts[i] for i in s], f)
        vol += a
        integral += b
    return vol, integral


def l2_of_tree(nodes: list, net, target) -> tuple[fmpq, fmpq]:
    """(total volume, integral) from a built split tree for l2_error: N - T on each leaf is evaluated at
    the leaf's vertices (exact values of the networks, no tree logic)."""
    total_v, total_i = ZERO, ZERO
    for node in nodes:
        if "leaf" not in node:
            continue
        pts = [[Q(c) for c in p] for p in node["leaf"]["vertices"]]
        if len(pts) < net.d + 1:
            continue
        # f = N - T is affine on the leaf: interpolate it from d + 1 affinely independent vertices
        d = net.d
        base = None
        for combo in _independent(pts, d):
            base = combo
            break
        if base is None:
            continue
        M = fmpq_mat([list(p) + [1] for p in base])
        vals = fmpq_mat([[net.value(p) - target.value(p)] for p in base])
        coef = M.solve(vals)
        f = [coef[i, 0] for i in range(d + 1)]
        v, i = leaf_integral(pts, f)
        total_v += v
        total_i += i
    return total_v, total_i


def _independent(pts: list, d: int):
    import itertools

    for combo in itertools.combinations(pts, d + 1):
        M = fmpq_mat([[p - q for p, q in zip(c, combo[0])] for c in combo[1:]])
        if M.rank() == d:
            yield combo
            return

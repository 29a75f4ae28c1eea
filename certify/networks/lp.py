"""Exact rational linear programming for the producer (UNTRUSTED: the kernel re-checks every multiplier).

:func:`implication` finds y >= 0 with y^T A = a and y^T b <= beta (a proof of a.x <= beta on
{x : A x <= b}, docs/networks.md Lemma 2) by a two-phase simplex method with Bland's rule on
the problem  minimize b^T y  subject to  A^T y = a, y >= 0  (d equality rows, m columns), in
python-flint fmpq arithmetic.  It stops as soon as a feasible y with b^T y <= beta is found.
:func:`farkas` finds y >= 0 with y^T A = 0, y^T b = -1 (a proof that the polyhedron is empty).
"""
from __future__ import annotations

from flint import fmpq

ZERO = fmpq(0)


class Unbounded(Exception):
    pass


def _pivot(T: list, basis: list, r: int, j: int) -> None:
    piv = T[r][j]
    row = [v / piv for v in T[r]]
    T[r] = row
    for i in range(len(T)):
        if i != r and T[i][j] != 0:
            f = T[i][j]
            Ti = T[i]
            T[i] = [x - f * y if y != 0 else x for x, y in zip(Ti, row)]
    basis[r] = j


def _solve(M: list, rhs: list, cost: list, stop: fmpq | None):
    """min cost.y s.t. M y = rhs, y >= 0 (M: k rows of n entries).  Returns (y, value) or None (infeasible);
    raises Unbounded.  With ``stop``, returns the first feasible basic solution with value <= stop."""
    k, n = len(M), len(M[0]) if M else 0
    T = []
    for i in range(k):
        s = -1 if rhs[i] < 0 else 1
        T.append([s * v for v in M[i]] + [fmpq(1) if t == i else ZERO for t in range(k)] + [s * rhs[i]])
    basis = [n + i for i in range(k)]
    width = n + k

    def run(c: list, allowed: int, stop_at) -> None:
        while True:
            cb = [c[b] for b in basis]
            value = sum((cb[i] * T[i][width] for i in range(len(T))), ZERO)
            if stop_at is not None and value <= stop_at:
                return
            enter = None
            for j in range(allowed):
                red = c[j] - sum((cb[i] * T[i][j] for i in range(len(T)) if T[i][j] != 0), ZERO)
                if red < 0:
                    enter = j
                    break
            if enter is None:
                return
            best = None
            for i in range(len(T)):
                if T[i][enter] > 0:
                    ratio = T[i][width] / T[i][enter]
                    if best is None or ratio < best[0] or (ratio == best[0] and basis[i] < basis[best[1]]):
                        best = (ratio, i)
            if best is None:
                raise Unbounded()
            _pivot(T, basis, best[1], enter)

    run([ZERO] * n + [fmpq(1)] * k + [ZERO], width, None)
    if sum((T[i][width] for i in range(k) if basis[i] >= n), ZERO) != 0:
        return None
    for i in range(len(T) - 1, -1, -1):  # drive artificial variables out of the basis, drop redundant rows
        if basis[i] >= n:
            j = next((j for j in range(n) if T[i][j] != 0), None)
            if j is None:
                del T[i]
                del basis[i]
            else:
                _pivot(T, basis, i, j)
    c = list(cost) + [ZERO] * k
    run(c, n, stop)
    y = [ZERO] * n
    for i, b in enumerate(basis):
        y[b] = T[i][width]
    return y, sum((cost[j] * y[j] for j in range(n)), ZERO)


def implication(rows: list, a: tuple, beta: fmpq):
    """y (list of (row, value) pairs, value > 0) with sum y_r A_r = a and sum y_r b_r <= beta, or None."""
    if not rows:
        return [] if all(v == 0 for v in a) and beta >= 0 else None
    d = len(a)
    M = [[r[0][i] for r in rows] for i in range(d)]
    try:
        sol = _solve(M, list(a), [r[1] for r in rows], beta)
    except Unbounded:
        sol = None  # P is empty; the caller closes the node with farkas()
    if sol is None or not sol[1] <= beta:
        return None
    return [(r, v) for r, v in enumerate(sol[0]) if v != 0]


def farkas(rows: list, d: int):
    """y with sum y_r A_r = 0 and sum y_r b_r = -1 (the rows are infeasible), or None."""
    if not rows:
        return None
    M = [[r[0][i] for r in rows] for i in range(d)] + [[r[1] for r in rows]]
    sol = _solve(M, [ZERO] * d + [fmpq(-1)], [ZERO] * len(rows), None)
    if sol is None:
        return None
    return [(r, v) for r, v in enumerate(sol[0]) if v != 0]

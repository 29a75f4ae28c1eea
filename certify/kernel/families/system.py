"""A block pattern p(k) as a function of k: its rescaled equations, Jacobian, scaled Hessian compression
and scaled M, and the loss at a critical point -- all as graded enclosures (certify.kernel.families.graded).

TRUSTED (docs/trust.md).  Imports only the kernel and numpy.  Mathematics: docs/families.md, sections
"The rescaled equations", "The Hessian after congruence" and "The loss at a critical point".

Notation.  p-cells: the block pattern (sizes c0 + c1 k), q-cells: its refinement (every block of
size >= 4 for every k of the family split into (size - 2, 1, 1), blocks of size 2 or 3 into
singletons).  The unknowns psi are attached to the compact parameters of Fix(G_p):
phi_a = ref_a + s^(e_a) psi_a.  The per-entry gradient g_a = (dF/dphi_a) / D_a (D_a the orbit size:
the gradient of F at any entry of the orbit of a, by equivariance) splits as

    g_a = D1_(coord a) / 4 + r_a,

where D1 is the degree-1 Hermite residual (constant on coordinate cells) and r_a the rest.  The
equations are G_i = s^(-div_i) sum_a L_ia g_a with an invertible integer matrix L; the D1 parts are
combined exactly (their coefficient sum per coordinate cell is an integer), so a row whose D1 parts
cancel is free of them.  For s > 0, G(psi, s) = 0 <=> grad F|Fix(G_p) = 0 (L invertible, s^div > 0).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..interval import Interval, pi as pi_enclosure
from .graded import Graded, Powers
from .landscape import Cells, Point, evaluate, kpolys, layout


@dataclass(frozen=True)
class Pattern:
    """A block pattern p(k) with its rescaling and its equations (all structure, no values)."""

    p: Cells
    q: Cells
    parent: tuple  # q-parameter -> p-parameter
    ref: tuple  # per p-parameter: -1, 0 or 1
    expo: tuple  # per p-parameter: the power of s of its deviation
    L: tuple  # rows of the integer combination matrix (n_p x n_p)
    div: tuple  # per row: the power of s it is divided by

    @property
    def n(self) -> int:
        """The number of unknowns (compact parameters of Fix(G_p))."""
        return layout(self.p).n

    def big_q(self) -> np.ndarray:
        """Per q-parameter: 1 if its student cell grows with k (congruence factor s), else 0."""
        lay = layout(self.q)
        out = []
        for prm in lay.params:
            b = prm[2] if prm[0] == "x" else prm[1]
            out.append(self.q.sizes[b][1])
        return np.array(out, dtype=np.int64)

    def big_m(self) -> np.ndarray:
        """Per student q-cell: 1 if it grows with k (congruence factor s for M), else 0."""
        return np.array([c1 for _, c1 in self.q.sizes], dtype=np.int64)


@lru_cache(maxsize=32)
def refine(p: Cells) -> tuple[Cells, tuple, tuple]:
    """(q, parent_cell, parent): the refinement of docs/spurious-symmetric.md, Lemma 3, for sizes c0 + c1 k;
    a growing block is split into (size - 2, 1, 1) (the kind checks that size >= 4 on its range)."""
    q, par = [], []
    for i, (c0, c1) in enumerate(p.sizes):
        if c1 == 1 or c0 >= 4:
            cells = [(c0 - 2, c1), (1, 0), (1, 0)]
        else:
            cells = [(1, 0)] * c0
        q += cells
        par += [i] * len(cells)
    qc = Cells(tuple(q))
    lp, lq = layout(p), layout(qc)
    parent = []
    for prm in lq.params:
        if prm[0] == "x":
            i, j = par[prm[1]], par[prm[2]]
            parent.append(lp.index[("x", i, j)] if i != j else lp.index[("o", i)])
        elif prm[0] == "d":
            parent.append(lp.index[("d", par[prm[1]])])
        else:
            parent.append(lp.index[("o", par[prm[1]])])
    return qc, tuple(par), tuple(parent)


def _shift(g: Graded, dv) -> Graded:
    """s^dv times g (a change of valuation only)."""
    return Graded(g.x, np.add(g.v, dv), g.P, g.d, g.d2)


def _orbits(cells: Cells, P: Powers) -> Graded:
    """The orbit sizes D_a of the parameters as graded values."""
    return kpolys(list(layout(cells).orbit), P)


@dataclass
class Equations:
    """G = s^(-div) L g, its Jacobian in psi, and their derivatives along the line (None when not tracked)."""
    G: Interval  # (N, n) values of G over the evaluation
    dG: Interval | None  # first and second derivatives along the line (when the evaluation tracks them)
    d2G: Interval | None
    J: Interval | None  # (N, n, n) dG/dpsi
    dJ: Interval | None
    d2J: Interval | None


def equations(pat: Pattern, pt: Point, P: Powers, want_J: bool = True) -> Equations:
    """G_i = s^(-div_i) sum_a L_ia g_a and its Jacobian J_ib = dG_i/dpsi_b over the box pt (per piece)."""
    lay = layout(pat.p)
    n = lay.n
    L = evaluate(pat.p, np.array(pat.ref, dtype=np.float64), np.array(pat.expo), pt, P, want_hess=want_J)
    D = _orbits(pat.p, P)
    rest = (L.grad_d0 + L.grad_k) * 0.5 / D  # r_a (F level, per entry)
    rows, jrows = [], []
    expo = np.array(pat.expo)
    for i in range(n):
        coef: dict = {}
        acc = jac = None
        for a in range(n):
            c = pat.L[i][a]
            if c == 0:
                continue
            term = rest[a] * float(c)
            acc = term if acc is None else acc + term
            if want_J:
                jt = L.hess_rest[a] * (0.5 * c) / D[a]
                jac = jt if jac is None else jac + jt
            r = lay.params[a][1]  # the coordinate cell of parameter a
            coef[r] = coef.get(r, 0) + c
        for r, c in coef.items():
            if c != 0:  # the D1 parts: (1/4) c D1_r, combined exactly
                acc = acc + L.d1[r] * (0.25 * c)
                if want_J:
                    jac = jac + L.d1_grads[r] * (0.25 * c)
        rows.append(_shift(acc, -pat.div[i]))
        if want_J:
            jrows.append(_shift(jac, expo - pat.div[i]))  # d/dpsi_b = s^(e_b) d/dphi_b
    G, dG, d2G = _collect([r.value_and_derivatives() for r in rows], axis=1)
    J = dJ = d2J = None
    if want_J:
        J, dJ, d2J = _collect([r.value_and_derivatives() for r in jrows], axis=1)
    return Equations(G, dG, d2G, J, dJ, d2J)


def _collect(triples: list, axis: int) -> tuple:
    """Stack (value, derivative, second derivative) triples of the rows along ``axis``."""
    out = []
    for j in range(3):
        parts = [t[j] for t in triples]
        if any(p is None for p in parts):
            out.append(None)
            continue
        out.append(Interval(np.stack([p.lo for p in parts], axis=axis), np.stack([p.hi for p in parts], axis=axis),
                            _checked=True))
    return tuple(out)


@dataclass
class Curvature:
    """The scaled Hessian compression, the scaled M and the loss formula, with derivatives along the line."""
    C: Interval  # (N, nq, nq): S D^-1/2 Hess_q F D^-1/2 S, S = diag(s^big)
    dC: Interval | None  # (first and second derivatives along the line, when tracked)
    d2C: Interval | None
    M: Interval  # (N, m, m): S' (compressed M) S'
    dM: Interval | None
    d2M: Interval | None
    loss: Interval  # (N,): s^(-loss_power) F at the critical point (formula of docs/families.md)
    dloss: Interval | None
    d2loss: Interval | None


def curvature(pat: Pattern, pt: Point, P: Powers, loss_power: int) -> Curvature:
    """The scaled Hessian compression, the scaled M and the loss formula at a critical point, over the box
    pt of p-unknowns (evaluated in Fix(G_q) at the G_p-fixed points; docs/families.md)."""
    qc = pat.q
    lq = layout(qc)
    par = np.array(pat.parent)
    qpt = Point(pt.psi[:, par], None if pt.slope is None else np.asarray(pt.slope)[:, par])
    ref = np.array(pat.ref, dtype=np.float64)[par]
    expo = np.array(pat.expo)[par]
    L = evaluate(qc, ref, expo, qpt, P, want_hess=True, want_m=True)
    nq = lq.n
    D = _orbits(qc, P)
    rD = D.sqrt()
    big = pat.big_q()
    H = (L.hess_rest + L.hess_d1) * 0.5
    C = H / (rD.reshape(nq, 1) * rD.reshape(1, nq))
    C = _shift(C, big.reshape(nq, 1) + big.reshape(1, nq))
    bm = pat.big_m()
    mq = qc.m
    M = _shift(L.m2 * 0.5, bm.reshape(mq, 1) + bm.reshape(1, mq))
    Cs = C.value_and_derivatives()
    Ms = M.value_and_derivatives()
    # the loss at a critical point: 2F = D0^2/(2 pi) + (1/4) sum_a q_a D1_a^2 + rest, with each D1_a replaced by
    # -4 r_b (b: a q-parameter of coordinate cell a whose rest r_b has the largest valuation) when that is
    # of higher order: at a critical point g_b = D1_a/4 + r_b = 0.
    rest = (L.grad_d0 + L.grad_k) * 0.5 / D
    PI = pi_enclosure()
    total = L.d0.sqr() / (Graded.const(PI, P) * 2.0) + L.rest
    for a in range(mq):
        d1a = L.d1[a]
        best = d1a
        for b, prm in enumerate(lq.params):
            if prm[1] == a:
                cand = rest[b] * -4.0
                if _order(cand) > _order(best):
                    best = cand
        total = total + L.sizes[a] * best.sqr() * 0.25
    Ls = _shift(total * 0.5, -loss_power).value_and_derivatives()
    return Curvature(*Cs, *Ms, *Ls)


def _order(g: Graded) -> int:
    """The smallest valuation of a graded value (its order in s)."""
    v = np.asarray(g.v)
    return int(v.min()) if v.size else 0

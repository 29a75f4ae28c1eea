"""Rigorous enclosures of F, its gradient and Hessian on block-constant matrices, and of M.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval (binary64
interval arithmetic with proven outward rounding; acos through arb) and numpy.
The mathematics is docs/spurious-symmetric.md; summary:

Partition q = (q_1, ..., q_m) of the k indices into cells (consecutive).
Fix(G_q) is the space of block-constant k x k matrices W (rows = students):
for a student c in cell b and a coordinate r in cell a, W[c, r] is
x[a][b] (a != b), d[b] (r = c) or o[b] (r in cell b, r != c; only if q_b >= 2).
These are the compact parameters theta (``Layout``), one per "cell" of
index pairs; the cell of parameter s has D_s index pairs (its orbit size).
W = sum_s theta_s Q_s with 0/1 matrices Q_s of disjoint supports, so
grad_theta F = Q^T grad F, Hess_theta F = Q^T H Q and Q^T Q = diag(D).

Every inner product of two rows, |w_c|^2, <w_c, w_c'> and <w_c, e_r>, is a
quadratic (or linear) form u(theta) = theta^T S_u theta / 2 with an exact
integer matrix S_u (multiplicities q_a), so grad u = S_u theta, Hess u = S_u.
With f(n1, n2, t) = (sqrt(n1 n2 - t^2) + (pi - acos(t / sqrt(n1 n2))) t) / (2 pi)
(the arc-cosine kernel E[relu(w.x) relu(v.x)] for |w|^2 = n1, |v|^2 = n2,
w.v = t),

  F = 1/2 [ sum_b q_b n_b / 2 + sum_{c != c'} f(n_c, n_c', t_cc')
            - 2 sum_{c, r} f(n_c, 1, W[c, r]) + k/2 + k(k-1)/(2 pi) ]

where every sum over students/coordinates is a sum over cell pairs times an
exact integer multiplicity.  The chain rule gives grad and Hessian from the
closed-form partial derivatives of f (S = sqrt(n1 n2 - t^2), theta = acos):

  f_1 = S/(4 pi n1), f_2 = S/(4 pi n2), f_t = (pi - theta)/(2 pi),
  f_11 = (2t^2 - n1 n2)/(8 pi n1^2 S), f_22 = (2t^2 - n1 n2)/(8 pi n2^2 S),
  f_12 = 1/(8 pi S), f_1t = -t/(4 pi n1 S), f_2t = -t/(4 pi n2 S), f_tt = 1/(2 pi S).

All of it is valid where every S > 0 (no two rows parallel, no row parallel to
a teacher e_r, every row nonzero); ``enclose`` proves S > 0 on the whole box
it is given (NotProven otherwise), so each returned enclosure contains the
true value at every point of the box.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from flint import arb

from ..interval import Interval, NotProven, pi as pi_enclosure


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    """The compact parameters of Fix(G_q) for cell sizes q (structure only, no values)."""

    q: tuple[int, ...]
    params: tuple[tuple, ...]  # ("x", a, b) | ("d", b) | ("o", b), row by row as in `values`
    index: dict  # param -> position
    sizes: np.ndarray  # D_s (float64, exact integers): number of matrix entries in the cell of s

    @property
    def n(self) -> int:
        return len(self.params)

    def column(self, b: int) -> list[int]:
        """Positions of the parameters that student cell b's rows depend on."""
        m = len(self.q)
        cols = [self.index[("x", a, b)] for a in range(m) if a != b] + [self.index[("d", b)]]
        if self.q[b] >= 2:
            cols.append(self.index[("o", b)])
        return cols


@lru_cache(maxsize=64)
def layout(q: tuple[int, ...]) -> Layout:
    m = len(q)
    params = []
    sizes = []
    for a in range(m):
        for b in range(m):
            if a != b:
                params.append(("x", a, b))
                sizes.append(q[a] * q[b])
            else:
                params.append(("d", b))
                sizes.append(q[b])
        if q[a] >= 2:
            params.append(("o", a))
            sizes.append(q[a] * (q[a] - 1))
    index = {p: s for s, p in enumerate(params)}
    return Layout(tuple(q), tuple(params), index, np.array(sizes, dtype=np.float64))


def values_to_theta(q: tuple[int, ...], values: np.ndarray) -> np.ndarray:
    """The compact vector theta of an (m, m+1) `values` array (layout of the certificate)."""
    lay = layout(q)
    m = len(q)
    out = np.empty(lay.n)
    for s, p in enumerate(lay.params):
        if p[0] == "x":
            out[s] = values[p[1], p[2]]
        elif p[0] == "d":
            out[s] = values[p[1], p[1]]
        else:
            out[s] = values[p[1], m]
    return out


# ------------------------------------------------------------------- refinement


@dataclass(frozen=True)
class Refinement:
    """The finer partition q of p: each block of size >= 4 split into (p_i - 2, 1, 1), each
    block of size 2 or 3 into singletons.  G_q is the pointwise stabilizer in G_p of two
    marked indices per block (docs/spurious-symmetric.md, Lemma 3)."""

    p: tuple[int, ...]
    q: tuple[int, ...]
    parent_cell: tuple[int, ...]  # q-cell -> p-block
    parent: np.ndarray  # q-parameter -> p-parameter (the embedding Fix(G_p) in Fix(G_q) copies values)


@lru_cache(maxsize=64)
def refinement(p: tuple[int, ...]) -> Refinement:
    q: list[int] = []
    par: list[int] = []
    for i, size in enumerate(p):
        cells = [size - 2, 1, 1] if size >= 4 else [1] * size
        q += cells
        par += [i] * len(cells)
    lp, lq = layout(tuple(p)), layout(tuple(q))
    parent = np.empty(lq.n, dtype=np.int64)
    for s, prm in enumerate(lq.params):
        if prm[0] == "x":
            i, j = par[prm[1]], par[prm[2]]
            parent[s] = lp.index[("x", i, j)] if i != j else lp.index[("o", i)]
        elif prm[0] == "d":
            parent[s] = lp.index[("d", par[prm[1]])]
        else:
            parent[s] = lp.index[("o", par[prm[1]])]
    return Refinement(tuple(p), tuple(q), tuple(par), parent)


# ------------------------------------------------------------------- quadratic forms


def _form(lay: Layout, local: list[int], terms: dict) -> np.ndarray:
    """Symmetric integer matrix S (len(local)^2) with theta^T S theta / 2 = sum c theta_i theta_j."""
    pos = {g: l for l, g in enumerate(local)}
    S = np.zeros((len(local), len(local)))
    for (gi, gj), c in terms.items():
        if c == 0:
            continue
        a, b = pos[gi], pos[gj]
        if a == b:
            S[a, a] += 2 * c
        else:
            S[a, b] += c
            S[b, a] += c
    return S


def _norm_terms(lay: Layout, b: int) -> dict:
    q, m, ix = lay.q, len(lay.q), lay.index
    t = {(ix[("x", a, b)], ix[("x", a, b)]): q[a] for a in range(m) if a != b}
    t[(ix[("d", b)], ix[("d", b)])] = 1
    if q[b] >= 2:
        t[(ix[("o", b)], ix[("o", b)])] = q[b] - 1
    return t


def _dot_terms(lay: Layout, b: int, g: int) -> dict:
    """<w_c, w_c'> for c in cell b, c' in cell g, c != c' (b == g allowed if q_b >= 2)."""
    q, m, ix = lay.q, len(lay.q), lay.index
    t: dict = {}

    def add(i, j, c):
        key = (i, j) if i <= j else (j, i)
        t[key] = t.get(key, 0) + c

    if b == g:
        for a in range(m):
            if a != b:
                add(ix[("x", a, b)], ix[("x", a, b)], q[a])
        add(ix[("d", b)], ix[("o", b)], 2)
        add(ix[("o", b)], ix[("o", b)], q[b] - 2)
        return t
    for a in range(m):
        if a not in (b, g):
            add(ix[("x", a, b)], ix[("x", a, g)], q[a])
    add(ix[("d", b)], ix[("x", b, g)], 1)  # coordinate r = c
    if q[b] >= 2:
        add(ix[("o", b)], ix[("x", b, g)], q[b] - 1)
    add(ix[("x", g, b)], ix[("d", g)], 1)  # coordinate r = c'
    if q[g] >= 2:
        add(ix[("x", g, b)], ix[("o", g)], q[g] - 1)
    return t


@dataclass(frozen=True)
class Terms:
    """All terms of F over Fix(G_q), grouped and padded for vectorized evaluation."""

    lay: Layout
    # student pairs (unordered cell pairs b <= g): indices (P, L), forms (P, L, L), multiplicity (P,)
    s_cells: np.ndarray  # (P, 2)
    s_idx: np.ndarray
    s_n1: np.ndarray
    s_n2: np.ndarray
    s_t: np.ndarray
    s_mult: np.ndarray
    # teacher pairs: (student cell b, parameter of W[c, r]): indices (T, L1), norm form, t position
    t_cell: np.ndarray  # (T,)
    t_idx: np.ndarray
    t_n1: np.ndarray
    t_pos: np.ndarray  # local position of the single parameter that is W[c, r]
    t_mult: np.ndarray
    # norms: (m, L1)
    n_idx: np.ndarray
    n_form: np.ndarray
    n_mult: np.ndarray


@lru_cache(maxsize=64)
def terms(q: tuple[int, ...]) -> Terms:
    lay = layout(q)
    m, n = len(q), lay.n
    cols = [lay.column(b) for b in range(m)]
    L1 = max(len(c) for c in cols)
    L = 2 * L1

    def pad(idx, width):
        return idx + [n] * (width - len(idx))

    def padS(S, width):
        out = np.zeros((width, width))
        out[: S.shape[0], : S.shape[1]] = S
        return out

    s_cells, s_idx, s_n1, s_n2, s_t, s_mult = [], [], [], [], [], []
    for b in range(m):
        for g in range(b, m):
            if b == g and q[b] < 2:
                continue
            local = cols[b] if b == g else cols[b] + cols[g]
            s_cells.append((b, g))
            s_idx.append(pad(local, L))
            s_n1.append(padS(_form(lay, local, _norm_terms(lay, b)), L))
            s_n2.append(padS(_form(lay, local, _norm_terms(lay, g)), L))
            s_t.append(padS(_form(lay, local, _dot_terms(lay, b, g)), L))
            # ordered pairs of distinct students: q_b q_g each way, or q_b (q_b - 1) inside a cell
            s_mult.append(q[b] * (q[b] - 1) if b == g else 2 * q[b] * q[g])

    t_cell, t_idx, t_n1, t_pos, t_mult = [], [], [], [], []
    n_idx, n_form, n_mult = [], [], []
    for b in range(m):
        local = cols[b]
        Sn = padS(_form(lay, local, _norm_terms(lay, b)), L1)
        n_idx.append(pad(local, L1))
        n_form.append(Sn)
        n_mult.append(q[b])
        for a in range(m):
            entries = []
            if a != b:
                entries.append((lay.index[("x", a, b)], q[a] * q[b]))
            else:
                entries.append((lay.index[("d", b)], q[b]))
                if q[b] >= 2:
                    entries.append((lay.index[("o", b)], q[b] * (q[b] - 1)))
            for s, mult in entries:
                t_cell.append(b)
                t_idx.append(pad(local, L1))
                t_n1.append(Sn)
                t_pos.append(local.index(s))
                t_mult.append(mult)

    f = lambda x: np.array(x, dtype=np.float64)  # noqa: E731  (multiplicities <= k^2 < 2^53: exact)
    i = lambda x: np.array(x, dtype=np.int64)  # noqa: E731
    return Terms(lay, i(s_cells).reshape(-1, 2), i(s_idx).reshape(-1, L), f(s_n1).reshape(-1, L, L),
                 f(s_n2).reshape(-1, L, L), f(s_t).reshape(-1, L, L), f(s_mult),
                 i(t_cell), i(t_idx), f(t_n1), i(t_pos), f(t_mult), i(n_idx), f(n_form), f(n_mult))


# ------------------------------------------------------------------- interval helpers


def _matvec(S: np.ndarray, x: Interval) -> Interval:
    """Batched S @ x for exact matrices S (P, L, L) and interval vectors x (P, L)."""
    P, L, _ = S.shape
    acc = Interval.point(np.zeros((P, L)))
    for l in range(L):
        col = S[:, :, l]
        if not np.any(col):
            continue
        acc = acc + Interval.point(col) * x[:, l].reshape(P, 1)
    return acc


def _dot(x: Interval, y: Interval) -> Interval:
    """Batched sum_l x[:, l] y[:, l]."""
    return (x * y).sum(axis=1)


def _outer(x: Interval, y: Interval) -> Interval:
    P, L = x.shape
    return x.reshape(P, L, 1) * y.reshape(P, 1, L)


def _sym_outer(x: Interval, y: Interval) -> Interval:
    o = _outer(x, y)
    return o + Interval(np.swapaxes(o.lo, 1, 2), np.swapaxes(o.hi, 1, 2), _checked=True)


def _col(v: Interval) -> Interval:
    return v.reshape(v.shape[0], 1)


def _mat(v: Interval) -> Interval:
    return v.reshape(v.shape[0], 1, 1)


@dataclass
class Kernel:
    """f and its partial derivatives (each an interval vector over the terms)."""

    f: Interval
    S: Interval
    pmt: Interval  # pi - theta
    f1: Interval
    ft: Interval
    f11: Interval
    f1t: Interval
    ftt: Interval
    f2: Interval | None = None
    f22: Interval | None = None
    f12: Interval | None = None
    f2t: Interval | None = None


def _arb_lower(x: arb) -> float:
    """A binary64 value <= every point of the ball x."""
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.lower())
    return v if arb(v) <= x.lower() else float(np.nextafter(v, -np.inf))


def _arb_upper(x: arb) -> float:
    """A binary64 value >= every point of the ball x."""
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.upper())
    return v if arb(v) >= x.upper() else float(np.nextafter(v, np.inf))


def _asin(x: Interval) -> Interval:
    """asin on [lo, hi] within [-1, 1] (increasing), enclosed with arb on exact endpoints."""
    if np.any(x.lo < -1.0) or np.any(x.hi > 1.0):
        raise NotProven("asin of an interval leaving [-1, 1]")
    lo = np.empty_like(x.lo)
    hi = np.empty_like(x.hi)
    for t, (a, b) in enumerate(zip(x.lo.ravel(), x.hi.ravel())):
        lo.reshape(-1)[t] = _arb_lower(arb(float(a)).asin())
        hi.reshape(-1)[t] = _arb_upper(arb(float(b)).asin())
    return Interval(lo, hi)


def _clip_unit(x: Interval, lo_bound: float) -> Interval:
    """Intersect with [lo_bound, 1], for a quantity known to lie there (a cosine or a sine)."""
    lo = np.maximum(x.lo, lo_bound)
    hi = np.minimum(x.hi, 1.0)
    if np.any(lo > hi):
        raise NotProven("a cosine/sine enclosure misses its range")
    return Interval(lo, hi, _checked=True)


def _pi_minus_angle(t: Interval, S: Interval, R: Interval, PI: Interval) -> Interval:
    """pi - theta for theta = angle with cos theta = t/R, sin theta = S/R (S > 0, R > 0).

    Near theta = 0 or pi, acos(t/R) loses accuracy; there theta = asin(S/R) (t > 0) or
    theta = pi - asin(S/R) (t < 0), with S computed without cancellation."""
    c = _clip_unit(t / R, -1.0)
    out_lo = np.empty_like(c.lo)
    out_hi = np.empty_like(c.hi)
    pos = c.lo > 0.5  # theta in (0, pi/3): theta = asin(s)
    neg = c.hi < -0.5  # theta in (2 pi/3, pi): pi - theta = asin(s)
    mid = ~(pos | neg)
    if np.any(pos | neg):
        s = _clip_unit(S / R, 0.0)
        a = _asin(s)
        if np.any(pos):
            v = PI - a[pos]
            out_lo[pos], out_hi[pos] = v.lo, v.hi
        if np.any(neg):
            out_lo[neg], out_hi[neg] = a.lo[neg], a.hi[neg]
    if np.any(mid):
        v = PI - c[mid].acos()
        out_lo[mid], out_hi[mid] = v.lo, v.hi
    return Interval(out_lo, out_hi)


def _kernel(n1: Interval, n2: Interval | None, t: Interval, PI: Interval, want_hess: bool, what: str,
            S2: Interval | None = None) -> Kernel:
    """f(n1, n2, t) and its partial derivatives; n2 None means n2 = 1 exactly.  S2 (optional) is an
    enclosure of n1 n2 - t^2 computed without cancellation."""
    P = n1 if n2 is None else n1 * n2
    if S2 is None:
        S2 = P - t.sqr()
    if np.any(S2.lo <= 0):
        raise NotProven(f"{what}: two vectors may be parallel on the box (sin of their angle not "
                        "bounded away from 0)")
    S = S2.sqrt()
    pmt = _pi_minus_angle(t, S, P.sqrt(), PI)
    TWO_PI = PI * 2.0
    FOUR_PI = PI * 4.0
    k = Kernel(f=(S + pmt * t) / TWO_PI, S=S, pmt=pmt, f1=S / (FOUR_PI * n1), ft=pmt / TWO_PI,
               f11=None, f1t=None, ftt=None)  # type: ignore[arg-type]
    if n2 is not None:
        k.f2 = S / (FOUR_PI * n2)
    if want_hess:
        EIGHT_PI_S = PI * 8.0 * S
        num = t.sqr() * 2.0 - P
        k.f11 = num / (EIGHT_PI_S * n1.sqr())
        k.f1t = -(t / (FOUR_PI * n1 * S))
        k.ftt = 1.0 / (TWO_PI * S)
        if n2 is not None:
            k.f22 = num / (EIGHT_PI_S * n2.sqr())
            k.f12 = 1.0 / EIGHT_PI_S
            k.f2t = -(t / (FOUR_PI * n2 * S))
    return k


# ------------------------------------------------------------------- enclosures


@dataclass
class Enclosures:
    loss: Interval  # scalar
    grad: Interval  # (n,) = Q^T grad F
    hess: Interval | None = None  # (n, n) = Q^T H Q
    m_scaled: Interval | None = None  # (m, m) = D'^{-1/2} Q'^T M Q' D'^{-1/2} (student cells)


def _scatter_vec(n: int, idx: np.ndarray, local: Interval) -> Interval:
    lo = np.zeros(n + 1)
    hi = np.zeros(n + 1)
    acc = Interval(lo, hi, _checked=True)
    for p in range(idx.shape[0]):
        J = idx[p]
        real = J < n
        Jr = J[real]
        cur = Interval(acc.lo[Jr], acc.hi[Jr], _checked=True) + local[p][real]
        acc.lo[Jr] = cur.lo
        acc.hi[Jr] = cur.hi
    return acc[:n]


def _scatter_mat(n: int, idx: np.ndarray, local: Interval) -> Interval:
    acc = Interval(np.zeros((n + 1, n + 1)), np.zeros((n + 1, n + 1)), _checked=True)
    for p in range(idx.shape[0]):
        J = idx[p]
        real = np.nonzero(J < n)[0]
        Jr = J[real]
        blk = np.ix_(Jr, Jr)
        cur = Interval(acc.lo[blk], acc.hi[blk], _checked=True) + local[p][np.ix_(real, real)]
        acc.lo[blk] = cur.lo
        acc.hi[blk] = cur.hi
    return acc[:n, :n]


def enclose(q: tuple[int, ...], theta: Interval, want_hess: bool = False, want_m: bool = False) -> Enclosures:
    """Enclosures of F, Q^T grad F (and Q^T H Q, the scaled compression of M) over the box
    theta (an interval vector in the compact parameters of Fix(G_q)), teacher V = I_k."""
    T = terms(tuple(q))
    lay = T.lay
    n, m = lay.n, len(q)
    k = int(sum(q))
    if theta.shape != (n,):
        raise NotProven("internal: parameter vector of the wrong length")
    PI = pi_enclosure()
    ext = Interval(np.append(theta.lo, 0.0), np.append(theta.hi, 0.0), _checked=True)

    # ---- norms n_b (one per student cell)
    xn = ext[T.n_idx]  # (m, L1)
    gn = _matvec(T.n_form, xn)  # grad of n_b (local)
    nb = _dot(xn, gn) * 0.5
    if np.any(nb.lo <= 0):
        raise NotProven("a student neuron may be zero on the box")

    # ---- teacher terms f(n_b, 1, W[c, r])
    xt = ext[T.t_idx]
    n_t = nb[T.t_cell]
    tt = xt[np.arange(T.t_pos.size), T.t_pos]
    # n_b - W[c, r]^2 = the quadratic form of n_b with the coefficient of W[c, r]^2 lowered by one
    # (exact integers): a sum of squares, enclosed without cancellation
    xt_others = Interval(xt.lo.copy(), xt.hi.copy(), _checked=True)
    ar = np.arange(T.t_pos.size)
    xt_others.lo[ar, T.t_pos] = 0.0
    xt_others.hi[ar, T.t_pos] = 0.0
    # n_b is diagonal in the parameters: n_b = sum_s c_s theta_s^2 with c_s = S[s, s] / 2 (integers)
    c_self = T.t_n1[ar, T.t_pos, T.t_pos] * 0.5 - 1.0  # >= 0: W[c, r] has multiplicity c_s >= 1 in n_b
    S2t = _dot(xt_others, _matvec(T.t_n1, xt_others)) * 0.5 + tt.sqr() * c_self
    S2t = Interval(np.maximum(S2t.lo, 0.0), S2t.hi, _checked=True)  # a sum of squares
    kt = _kernel(n_t, None, tt, PI, want_hess, "a student neuron and a teacher neuron", S2=S2t)
    g1t = gn[T.t_cell]  # grad n_b, local on column b (same local index order as t_idx)

    # ---- student pairs
    have_s = T.s_idx.shape[0] > 0
    if have_s:
        xs = ext[T.s_idx]
        g1s = _matvec(T.s_n1, xs)
        g2s = _matvec(T.s_n2, xs)
        gts = _matvec(T.s_t, xs)
        n1s = nb[T.s_cells[:, 0]]
        n2s = nb[T.s_cells[:, 1]]
        ts = _dot(xs, gts) * 0.5
        ks = _kernel(n1s, n2s, ts, PI, want_hess, "two student neurons")

    # ---- loss: F = 1/2 [sum_b q_b n_b/2 + sum mult f_s - 2 sum mult f_t + k/2 + k(k-1)/(2 pi)]
    total = (nb * T.n_mult * 0.5).sum(axis=0) - (kt.f * T.t_mult).sum(axis=0) * 2.0
    if have_s:
        total = total + (ks.f * T.s_mult).sum(axis=0)
    total = total + 0.5 * k + Interval.point(float(k) * (k - 1)) / (PI * 2.0)
    loss = total * 0.5

    # ---- gradient (Q^T grad F): the overall factor 1/2 is folded into the coefficients
    e_t = np.zeros(T.t_idx.shape)
    e_t[np.arange(T.t_pos.size), T.t_pos] = 1.0
    Et = Interval.point(e_t)
    half_n = Interval.point(T.n_mult * 0.25)  # 1/2 * q_b / 2
    ct = Interval.point(T.t_mult * -1.0)  # 1/2 * (-2 mult)
    loc_n = gn * _col(half_n)
    loc_t = (g1t * _col(kt.f1) + Et * _col(kt.ft)) * _col(ct)
    grad = _scatter_vec(n, T.n_idx, loc_n) + _scatter_vec(n, T.t_idx, loc_t)
    if have_s:
        cs = Interval.point(T.s_mult * 0.5)
        loc_s = (g1s * _col(ks.f1) + g2s * _col(ks.f2) + gts * _col(ks.ft)) * _col(cs)
        grad = grad + _scatter_vec(n, T.s_idx, loc_s)
    out = Enclosures(loss=loss, grad=grad)

    if want_hess:
        Hn = Interval.point(T.n_form) * _mat(half_n)
        Ht = (Interval.point(T.t_n1) * _mat(kt.f1) + _outer(g1t, g1t) * _mat(kt.f11)
              + _sym_outer(g1t, Et) * _mat(kt.f1t) + _outer(Et, Et) * _mat(kt.ftt)) * _mat(ct)
        H = _scatter_mat(n, T.n_idx, Hn) + _scatter_mat(n, T.t_idx, Ht)
        if have_s:
            Hs = (Interval.point(T.s_n1) * _mat(ks.f1) + Interval.point(T.s_n2) * _mat(ks.f2)
                  + Interval.point(T.s_t) * _mat(ks.ft)
                  + _outer(g1s, g1s) * _mat(ks.f11) + _outer(g2s, g2s) * _mat(ks.f22)
                  + _sym_outer(g1s, g2s) * _mat(ks.f12) + _sym_outer(g1s, gts) * _mat(ks.f1t)
                  + _sym_outer(g2s, gts) * _mat(ks.f2t) + _outer(gts, gts) * _mat(ks.ftt)) * _mat(cs)
            H = H + _scatter_mat(n, T.s_idx, Hs)
        out.hess = H

    if want_m:
        out.m_scaled = _m_scaled(q, T, nb, kt, ks if have_s else None, PI)
    return out


def _m_scaled(q, T: Terms, nb: Interval, kt: Kernel, ks: Kernel | None, PI: Interval) -> Interval:
    """D'^{-1/2} Q'^T M Q' D'^{-1/2} for the student-cell indicators Q' (D' = diag(q)):
    M_cc = 1/2 + (sum_{c' != c} S_cc' - sum_r S_cr) / (2 pi n_c),  M_cc' = (pi - theta_cc') / (2 pi)."""
    m = len(q)
    TWO_PI = PI * 2.0
    qf = np.array(q, dtype=np.float64)
    # sum over r of S_cr: teacher terms of cell b carry multiplicity mult = q_b * (#coordinates)
    per_b = Interval.point(T.t_mult / qf[T.t_cell]) * kt.S  # exact quotient (integer count)
    lo = np.zeros((m, m))
    hi = np.zeros((m, m))
    acc_S = [Interval.point(0.0) for _ in range(m)]
    for r in range(T.t_cell.size):
        b = int(T.t_cell[r])
        acc_S[b] = acc_S[b] - per_b[r]
    if ks is not None:
        for s in range(T.s_cells.shape[0]):
            b, g = int(T.s_cells[s, 0]), int(T.s_cells[s, 1])
            if b == g:
                acc_S[b] = acc_S[b] + ks.S[s] * float(q[b] - 1)
                # (q_b (q_b - 1) off-diagonal entries of the cell) / q_b
                _add(lo, hi, b, b, ks.pmt[s] / TWO_PI * float(q[b] - 1))
            else:
                acc_S[b] = acc_S[b] + ks.S[s] * float(q[g])
                acc_S[g] = acc_S[g] + ks.S[s] * float(q[b])
                v = ks.pmt[s] / TWO_PI * Interval.point(float(q[b]) * float(q[g])).sqrt()
                _add(lo, hi, b, g, v)
                _add(lo, hi, g, b, v)
    for b in range(m):
        d = acc_S[b] / (TWO_PI * nb[b]) + 0.5
        _add(lo, hi, b, b, d)
    return Interval(lo, hi)


def _add(lo: np.ndarray, hi: np.ndarray, i: int, j: int, v: Interval) -> None:
    cur = Interval(lo[i, j], hi[i, j], _checked=True) + v
    lo[i, j] = cur.lo
    hi[i, j] = cur.hi


# ------------------------------------------------------------- point enclosure in arb (high precision)


def _arb_interval(values: list) -> Interval:
    return Interval(np.array([_arb_lower(v) for v in values]), np.array([_arb_upper(v) for v in values]))


def enclose_point_arb(q: tuple[int, ...], theta: np.ndarray, prec: int = 256) -> Enclosures:
    """F and Q^T grad F at one point theta (binary64 compact parameters of Fix(G_q)), enclosed with
    python-flint's arb balls at `prec` bits (same formulas as ``enclose``).  At a point there is no
    interval dependency, and at 256 bits the cancellation between the O(k^2)-sized terms (which
    costs binary64 intervals ~1e-16 k^2 of width) is harmless, so the enclosures are tight for
    every k.  Returned as binary64 intervals (rounded outward)."""
    from flint import ctx

    T = terms(tuple(q))
    lay = T.lay
    n, m = lay.n, len(q)
    k = int(sum(q))
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (n,) or not np.all(np.isfinite(theta)):
        raise NotProven("internal: parameter vector of the wrong length or not finite")
    old = ctx.prec
    ctx.prec = prec
    try:
        th = [arb(float(x)) for x in theta] + [arb(0)]
        PI = arb.pi()
        grad = [arb(0) for _ in range(n)]

        def local_grad(S: np.ndarray, J: np.ndarray) -> list:
            out = []
            for i in range(J.size):
                acc = arb(0)
                for l in np.nonzero(S[i])[0]:
                    acc += int(S[i, l]) * th[J[l]]
                out.append(acc)
            return out

        def scatter(J: np.ndarray, coef: arb, vec: list) -> None:
            for i in range(J.size):
                if J[i] < n:
                    grad[J[i]] += coef * vec[i]

        def check_finite(x: arb, what: str) -> arb:
            if not x.is_finite():
                raise NotProven(f"non-finite arb enclosure ({what})")
            return x

        nb, gnb = [], []
        total = arb(0)
        for b in range(m):
            J = T.n_idx[b]
            g = local_grad(T.n_form[b], J)
            val = sum((th[J[i]] * g[i] for i in range(J.size)), arb(0)) / 2
            if not val > 0:
                raise NotProven("a student neuron may be zero")
            nb.append(val)
            gnb.append(g)
            total += int(T.n_mult[b]) * val / 2
            scatter(J, arb(int(T.n_mult[b])) / 4, g)

        def kernel(n1: arb, n2: arb, t: arb, what: str):
            P = n1 * n2
            S2 = P - t * t
            if not S2 > 0:
                raise NotProven(f"{what}: two vectors may be parallel")
            S = S2.sqrt()
            pmt = check_finite(PI - (t / P.sqrt()).acos(), what)
            return (S + pmt * t) / (2 * PI), S / (4 * PI * n1), S / (4 * PI * n2), pmt / (2 * PI)

        for r in range(T.t_cell.size):
            b = int(T.t_cell[r])
            J = T.t_idx[r]
            pos = int(T.t_pos[r])
            f, f1, _, ft = kernel(nb[b], arb(1), th[J[pos]], "a student neuron and a teacher neuron")
            mult = int(T.t_mult[r])
            total -= 2 * mult * f
            scatter(J, -mult * f1, gnb[b])
            if J[pos] < n:
                grad[J[pos]] += -mult * ft

        for s in range(T.s_cells.shape[0]):
            b, g_ = int(T.s_cells[s, 0]), int(T.s_cells[s, 1])
            J = T.s_idx[s]
            g1 = local_grad(T.s_n1[s], J)
            g2 = local_grad(T.s_n2[s], J)
            gt = local_grad(T.s_t[s], J)
            t = sum((th[J[i]] * gt[i] for i in range(J.size)), arb(0)) / 2
            f, f1, f2, ft = kernel(nb[b], nb[g_], t, "two student neurons")
            mult = int(T.s_mult[s])
            total += mult * f
            half = arb(mult) / 2
            scatter(J, half * f1, g1)
            scatter(J, half * f2, g2)
            scatter(J, half * ft, gt)

        total += arb(k) / 2 + arb(k * (k - 1)) / (2 * PI)
        loss = check_finite(total / 2, "loss")
        for x in grad:
            check_finite(x, "gradient")
        return Enclosures(loss=_arb_interval([loss])[0], grad=_arb_interval(grad))
    finally:
        ctx.prec = old

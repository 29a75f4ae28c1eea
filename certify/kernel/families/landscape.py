"""The loss of a symmetric family in graded form: F, its gradient, Hessian and M, for real k.

TRUSTED (docs/trust.md).  Imports only the kernel, numpy and python-flint.
Mathematics: docs/families.md (sections "Cells and compact parameters", "The loss split
by Hermite degree", "Pair functions"); every formula below is written out there.

Cells.  A partition of the k students (and, the same way, of the k input coordinates) into
cells of sizes c0 + c1 k (c1 in {0, 1}; exactly one cell grows with k).  The compact
parameters of Fix(G_q) are those of docs/spurious-symmetric.md: x[a][b] (coordinate cell a
!= student cell b), d[b] (a student's own coordinate), o[b] (other coordinates of its own
cell; present when the cell can have two members).  Each parameter is
phi_a = ref_a + s^(e_a) psi_a with ref_a in {-1, 0, 1} (nonzero exactly on the d's: every
student is near +-(its own teacher)) and an even exponent e_a >= 0 (psi_a: the rescaled
unknowns).

The loss split by Hermite degree (docs/families.md): with kappa2(c) = kappa(c) - 1/(2 pi) - c/4,
kappa(c) = (sqrt(1-c^2) + (pi - acos c) c) / (2 pi),

  2F = D0^2 / (2 pi) + |D1|^2 / 4 + sum_b q_b Gamma_b + sum_{c != c'} phi(w_c, w_c')
       - 2 sum_{c, r != own(c)} phi(w_c, e_r),

D0 = sum_c |w_c| - k, D1 = sum_c w_c - sum_r e_r (a vector), phi(w, v) = |w||v| kappa2(cos),
Gamma_b = kappa2(1) (|w_c|^2 + 1) - 2 phi(w_c, e_own(c)) (one student c of cell b).
Each term has its natural size in s, without cancellation between terms of different
pairs, so its graded enclosure is tight as s -> 0.

Everything is returned at the "2F level" (twice the loss); the kind halves it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..interval import Interval, NotProven, pi as pi_enclosure
from .graded import (Graded, Powers, _plus, asin_over, asin_over_prime, asin_over_second, omega, omega_prime,
                     omega_second)


# ------------------------------------------------------------------------------- cells and layout


@dataclass(frozen=True)
class Cells:
    """Cell sizes c0 + c1 k (one pair per cell)."""

    sizes: tuple[tuple[int, int], ...]

    @property
    def m(self) -> int:
        """The number of cells."""
        return len(self.sizes)

    def has_pairs(self, b: int) -> bool:
        """The cell can hold two students (for every k of a family: it grows, or c0 >= 2)."""
        c0, c1 = self.sizes[b]
        return c1 == 1 or c0 >= 2


def _pmul(a: tuple, b: tuple) -> tuple:
    """The product of two integer polynomials in k (coefficients, low first)."""
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return tuple(out)


def _padd(a: tuple, b: tuple) -> tuple:
    """The sum of two integer polynomials in k."""
    n = max(len(a), len(b))
    return tuple((a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n))


@dataclass(frozen=True)
class Layout:
    """The compact parameters of Fix(G_q) for cells with sizes c0 + c1 k (structure only)."""
    cells: Cells
    params: tuple[tuple, ...]  # ("x", a, b) | ("d", b) | ("o", b)
    index: dict
    orbit: tuple[tuple, ...]  # orbit size of each parameter: a polynomial in k (coefficients, low first)

    @property
    def n(self) -> int:
        """The number of compact parameters."""
        return len(self.params)

    def size(self, b: int) -> tuple:
        """The size of cell b as (c0, c1)."""
        return self.cells.sizes[b]

    def column(self, b: int) -> list[int]:
        """Positions of the parameters of a student of cell b: x[a][b] (a != b), d[b], o[b]."""
        m = self.cells.m
        cols = [self.index[("x", a, b)] for a in range(m) if a != b] + [self.index[("d", b)]]
        if self.cells.has_pairs(b):
            cols.append(self.index[("o", b)])
        return cols

    def coordinate_cell(self, s: int) -> int:
        """The coordinate cell of parameter s (x[a][b]: a; d[b], o[b]: b)."""
        p = self.params[s]
        return p[1]


@lru_cache(maxsize=64)
def layout(cells: Cells) -> Layout:
    """The parameters of docs/spurious-symmetric.md for these cells, with their orbit sizes (polynomials in k)."""
    m = cells.m
    params, orbit = [], []
    for a in range(m):
        for b in range(m):
            if a != b:
                params.append(("x", a, b))
                orbit.append(_pmul(cells.sizes[a], cells.sizes[b]))
            else:
                params.append(("d", b))
                orbit.append(cells.sizes[b])
        if cells.has_pairs(a):
            params.append(("o", a))
            orbit.append(_pmul(cells.sizes[a], _padd(cells.sizes[a], (-1,))))
    return Layout(cells, tuple(params), {p: s for s, p in enumerate(params)}, tuple(orbit))


def kpolys(polys: list, P: Powers) -> Graded:
    """Graded values of polynomials in k (integer coefficients, low first, degree <= 2):
    c0 + c1 k + c2 k^2 = s^(-2 deg) (c_deg + c_(deg-1) s^2 + c_(deg-2) s^4); zero -> exact zero."""
    n = len(polys)
    lead = np.zeros((3, n))
    v = np.zeros(n, dtype=np.int64)
    zero = np.zeros(n, dtype=bool)
    for i, p in enumerate(polys):
        p = list(p)
        while p and p[-1] == 0:
            p.pop()
        if not p:
            zero[i] = True
            continue
        if len(p) > 3 or any(abs(c) >= 2**52 for c in p):
            raise NotProven("internal: multiplicity polynomial out of range")
        deg = len(p) - 1
        v[i] = -2 * deg
        for j in range(deg + 1):
            lead[j, i] = p[deg - j]  # coefficient of s^(2j) in X
    x = Interval.point(np.broadcast_to(lead[0], (P.n, n)).copy())
    d = d2 = None
    for j in (1, 2):
        if np.any(lead[j]):
            c = Interval.point(lead[j])
            e = np.full(n, 2 * j)
            x = x + P.power(e, 1) * c
            if P.order >= 1:
                d = _plus(d, P.power(e, 1, 1) * c)
            if P.order == 2:
                d2 = _plus(d2, P.power(e, 1, 2) * c)
    return Graded(x, np.where(zero, 1 << 20, v), P, d, d2)


# ------------------------------------------------------------------------------- quadratic forms


def _form(local: list[int], terms: dict) -> tuple[np.ndarray, np.ndarray]:
    """(S0, S1), S = S0 + k S1 symmetric, with theta^T S theta / 2 = sum coef theta_i theta_j over
    ``terms`` {(i, j): (c0, c1)} (coefficient c0 + c1 k)."""
    pos = {g: l for l, g in enumerate(local)}
    S0 = np.zeros((len(local), len(local)))
    S1 = np.zeros((len(local), len(local)))
    for (gi, gj), (c0, c1) in terms.items():
        a, b = pos[gi], pos[gj]
        for S, c in ((S0, c0), (S1, c1)):
            if c == 0:
                continue
            if a == b:
                S[a, a] += 2 * c
            else:
                S[a, b] += c
                S[b, a] += c
    return S0, S1


def _add(t: dict, i: int, j: int, c: tuple) -> None:
    """Add the coefficient c = (c0, c1) to the term theta_i theta_j of a quadratic form."""
    key = (i, j) if i <= j else (j, i)
    old = t.get(key, (0, 0))
    t[key] = (old[0] + c[0], old[1] + c[1])


def _minus(c: tuple, d: int) -> tuple:
    """c0 + c1 k - d as (c0 - d, c1)."""
    return (c[0] - d, c[1])


def _off_terms(lay: Layout, b: int) -> dict:
    """v_b = |w_c|^2 - d_b^2 = sum_{a != b} q_a x[a][b]^2 + (q_b - 1) o_b^2."""
    ix, m = lay.index, lay.cells.m
    t: dict = {}
    for a in range(m):
        if a != b:
            _add(t, ix[("x", a, b)], ix[("x", a, b)], lay.size(a))
    if lay.cells.has_pairs(b):
        _add(t, ix[("o", b)], ix[("o", b)], _minus(lay.size(b), 1))
    return t


def _dot_terms(lay: Layout, b: int, g: int) -> dict:
    """t = <w_c, w_c'> for c in cell b, c' in cell g, c != c'."""
    ix, m = lay.index, lay.cells.m
    t: dict = {}
    if b == g:
        for a in range(m):
            if a != b:
                _add(t, ix[("x", a, b)], ix[("x", a, b)], lay.size(a))
        _add(t, ix[("d", b)], ix[("o", b)], (2, 0))
        _add(t, ix[("o", b)], ix[("o", b)], _minus(lay.size(b), 2))
        return t
    for a in range(m):
        if a not in (b, g):
            _add(t, ix[("x", a, b)], ix[("x", a, g)], lay.size(a))
    _add(t, ix[("d", b)], ix[("x", b, g)], (1, 0))
    if lay.cells.has_pairs(b):
        _add(t, ix[("o", b)], ix[("x", b, g)], _minus(lay.size(b), 1))
    _add(t, ix[("x", g, b)], ix[("d", g)], (1, 0))
    if lay.cells.has_pairs(g):
        _add(t, ix[("x", g, b)], ix[("o", g)], _minus(lay.size(g), 1))
    return t


def _graded_form(S0: np.ndarray, S1: np.ndarray, P: Powers) -> Graded:
    """S0 + k S1 entrywise as graded values (k = s^-2)."""
    lead = np.where(S1 != 0, S1, S0)
    v = np.where(S1 != 0, -2, np.where(S0 != 0, 0, 1 << 20))
    x = Interval.point(np.broadcast_to(lead, (P.n,) + lead.shape).copy())
    d = d2 = None
    mask = (S1 != 0) & (S0 != 0)
    if np.any(mask):  # X = S1 + S0 s^2 where both are nonzero
        c = Interval.point(np.where(mask, S0, 0.0))
        e = np.where(mask, 2, 0)
        x = x + P.power(e, S0.ndim) * c
        if P.order >= 1:
            d = P.power(e, S0.ndim, 1) * c
        if P.order == 2:
            d2 = P.power(e, S0.ndim, 2) * c
    return Graded(x, v, P, d, d2)


@dataclass(frozen=True)
class Structure:
    """Everything about the terms of 2F that depends only on the cells (no values)."""

    lay: Layout
    cols: tuple
    # student pairs
    s_cells: tuple  # (b, g) with b <= g
    s_local: tuple  # local parameter lists
    s_forms: tuple  # per pair: dict name -> (S0, S1) for "n1", "n2", "t"
    s_mult: tuple  # multiplicity polynomial (ordered pairs of distinct students)
    # teacher pairs (student cell b, parameter a of its column other than d_b)
    t_cell: tuple
    t_param: tuple
    t_mult: tuple  # number of (student, coordinate) pairs
    t_count: tuple  # coordinates per student
    # own-teacher groups
    v_forms: tuple  # per cell: (S0, S1) of v_b over its column


@lru_cache(maxsize=64)
def structure(cells: Cells) -> Structure:
    """Every term of 2F for these cells: forms, multiplicities and local parameter lists (no values)."""
    lay = layout(cells)
    m = cells.m
    cols = tuple(tuple(lay.column(b)) for b in range(m))
    ix = lay.index
    s_cells, s_local, s_forms, s_mult = [], [], [], []
    for b in range(m):
        for g in range(b, m):
            if b == g and not cells.has_pairs(b):
                continue
            local = list(cols[b]) if b == g else list(cols[b]) + list(cols[g])
            forms = {}
            for name, cell in (("n1", b), ("n2", g)):
                terms = _off_terms(lay, cell)
                _add(terms, ix[("d", cell)], ix[("d", cell)], (1, 0))
                forms[name] = _form(local, terms)
            forms["t"] = _form(local, _dot_terms(lay, b, g))
            s_cells.append((b, g))
            s_local.append(tuple(local))
            s_forms.append(forms)
            qb, qg = cells.sizes[b], cells.sizes[g]
            s_mult.append(_pmul(qb, _padd(qb, (-1,))) if b == g else _pmul((2,), _pmul(qb, qg)))
    t_cell, t_param, t_mult, t_count = [], [], [], []
    for b in range(m):
        for s in cols[b]:
            kind = lay.params[s]
            if kind[0] == "d":
                continue
            count = lay.size(kind[1]) if kind[0] == "x" else _padd(lay.size(b), (-1,))
            t_cell.append(b)
            t_param.append(s)
            t_count.append(count)
            t_mult.append(_pmul(count, lay.size(b)))
    v_forms = tuple(_form(list(cols[b]), _off_terms(lay, b)) for b in range(m))
    return Structure(lay, cols, tuple(s_cells), tuple(s_local), tuple(s_forms), tuple(s_mult),
                     tuple(t_cell), tuple(t_param), tuple(t_mult), tuple(t_count), v_forms)


# ------------------------------------------------------------------------------- graded arrays


def stack(items: list) -> Graded:
    """Stack graded values of equal entry shape along a new last axis."""
    P = items[0].P
    shape = items[0].shape
    lo = np.stack([g.x.lo for g in items], axis=-1)
    hi = np.stack([g.x.hi for g in items], axis=-1)
    v = np.stack([np.broadcast_to(g.v, shape) for g in items], axis=-1)
    zero = np.zeros(items[0].x.shape)

    def ders(name):
        """Stack one derivative component (None stands for 0)."""
        if all(getattr(g, name) is None for g in items):
            return None
        parts = [getattr(g, name) for g in items]
        return Interval(np.stack([zero if a is None else a.lo for a in parts], axis=-1),
                        np.stack([zero if a is None else a.hi for a in parts], axis=-1), _checked=True)

    return Graded(Interval(lo, hi, _checked=True), v, P, ders("d"), ders("d2"))


def _chain(U: Graded, Fm: Graded) -> Graded:
    """U Fm U^T for U of entry shape (L, K) and a symmetric Fm (K, K): the second-order chain-rule term
    sum_{i,j} Fm_ij grad u_i grad u_j^T (columns of U: the gradients of the scalars u_i)."""
    L, K = U.shape[-2:]
    W = (U.reshape(L, K, 1) * Fm.reshape(1, K, K)).sum(axis=1)  # (L, K)
    return (W.reshape(L, 1, K) * U.reshape(1, L, K)).sum(axis=2)


def _rowprod(S: Graded, x: Graded) -> Graded:
    """S_ij x_j (entry shapes (L, L) and (L,)), to be summed over j."""
    L = x.shape[-1]
    return S * x.reshape(1, L)


def _sum_last(x: Graded) -> Graded:
    """Sum over the last entry axis."""
    return x.sum(axis=len(x.shape) - 1)


def _outer(a: Graded, b: Graded) -> Graded:
    """The outer product a b^T of two graded vectors."""
    return a.reshape(a.shape[0], 1) * b.reshape(1, b.shape[0])


def _unit(L: int, i: int, P: Powers) -> Graded:
    """The unit vector e_i of length L (exact)."""
    e = np.zeros(L)
    e[i] = 1.0
    return Graded.const(e, P)


def _special(f, fprime, fsecond, arg: Graded) -> Graded:
    """f(arg) as a graded value of valuation 0 (f monotone, enclosed on the interval value of arg), with
    the derivatives f'(arg) arg' and f''(arg) arg'^2 + f'(arg) arg'' when they are tracked."""
    y, dy, d2y = arg.value_and_derivatives()
    d = d2 = None
    if dy is not None:
        fp = fprime(y)
        d = fp * dy
        if arg.P.order == 2:
            d2 = fsecond(y) * dy.sqr()
            if d2y is not None:
                d2 = d2 + fp * d2y
    return Graded(f(y), 0, arg.P, d, d2)


# ------------------------------------------------------------------------------- pair functions


@dataclass
class Pair:
    """phi(n1, n2, t) = sqrt(n1 n2) kappa2(t / sqrt(n1 n2)) and its partial derivatives (graded).
    For a teacher pair n2 = 1 and the n2-derivatives are absent."""

    f: Graded
    f1: Graded
    ft: Graded
    f11: Graded
    f1t: Graded
    ftt: Graded
    f2: Graded | None = None
    f22: Graded | None = None
    f12: Graded | None = None
    f2t: Graded | None = None


def _pair(n1: Graded, n2: Graded | None, t: Graded, PI: Interval, what: str) -> Pair:
    """Near-orthogonal pair (docs/families.md, "Pair functions"): with P = n1 n2, c = t/sqrt(P),
    w = sqrt(1 - c^2), g = asin(c)/c:
      phi = t^2 (g - 1/(1+w)) / (2 pi sqrt(P)),   phi_t = c g / (2 pi),   phi_tt = 1 / (2 pi sqrt(P) w),
      phi_1 = -t^2 / (4 pi n1 sqrt(P) (1+w)),     phi_1t = -c / (4 pi n1 w),
      phi_11 = sqrt(P) c^2 (1/(1+w) + 1/w) / (8 pi n1^2),   phi_12 = sqrt(P) c^2 / (8 pi n1 n2 w (1+w))."""
    P = n1 if n2 is None else n1 * n2
    rP = P.sqrt()
    c = t / rP
    c2 = c.sqr()
    if not np.all(c2.value().hi < 1.0):
        raise NotProven(f"{what}: two vectors may be parallel on the box")
    one = Graded.const(1.0, t.P)
    w = (one - c2).sqrt()
    g = _special(asin_over, asin_over_prime, asin_over_second, c2)
    inv1w = one / (one + w)
    TWO_PI, FOUR_PI, EIGHT_PI = PI * 2.0, PI * 4.0, PI * 8.0
    t2 = t.sqr()
    out = Pair(
        f=t2 * (g - inv1w) / (rP * TWO_PI),
        ft=c * g / TWO_PI,
        ftt=one / (rP * w * TWO_PI),
        f1=-(t2 / (n1 * rP * (one + w) * FOUR_PI)),
        f1t=-(c / (n1 * w * FOUR_PI)),
        f11=rP * c2 * (inv1w + one / w) / (n1.sqr() * EIGHT_PI),
    )
    if n2 is not None:
        out.f2 = -(t2 / (n2 * rP * (one + w) * FOUR_PI))
        out.f2t = -(c / (n2 * w * FOUR_PI))
        out.f22 = rP * c2 * (inv1w + one / w) / (n2.sqr() * EIGHT_PI)
        out.f12 = rP * c2 / (n1 * n2 * w * (one + w) * EIGHT_PI)
    return out


@dataclass
class Group:
    """Gamma(u, v) = kappa2(1) (u^2 + v + 1) - 2 phi(w, e) for a student w with |w.e| = u, |w|^2 - u^2 = v."""

    f: Graded
    fu: Graded
    fv: Graded
    fuu: Graded
    fuv: Graded
    fvv: Graded


def _group(tau: Graded, u: Graded, v: Graded, PI: Interval) -> Group:
    """docs/families.md ("The own-teacher group"): n = u^2 + v, xi^2 = v / u^2, omega = omega(xi^2),
    K = kappa2(1) = 1/4 - 1/(2 pi), tau = u - 1:
      Gamma    = K (tau^2 + v) + v / (pi (sqrt(n) + u)) - v^(3/2) omega / (pi u^2)
      Gamma_u  = 2 K tau - v / (pi sqrt(n) (sqrt(n) + u)) - xi^3 (omega - 1/(1 + xi^2)) / pi
      Gamma_v  = K + 1/(2 pi sqrt(n)) - sqrt(v) / (2 pi n)
      Gamma_uu = 2 K + v / (pi n^(3/2)) - 2 xi^3 / (pi u (1 + xi^2)^2)
      Gamma_uv = -u / (2 pi n^(3/2)) + u sqrt(v) / (pi n^2)
      Gamma_vv = -1/(4 pi n^(3/2)) - 1/(4 pi sqrt(v) n) + sqrt(v) / (2 pi n^2)."""
    P = tau.P
    one = Graded.const(1.0, P)
    K = Graded.const(Interval.point(0.25) - Interval.point(1.0) / (PI * 2.0), P)
    pi = Graded.const(PI, P)
    n = u.sqr() + v
    rn = n.sqrt()
    rv = v.sqrt()
    xi2 = v / u.sqr()
    xi3 = rv * v / (u.sqr() * u)
    om = _special(omega, omega_prime, omega_second, xi2)
    n32 = n * rn
    return Group(
        f=K * (tau.sqr() + v) + v / (pi * (rn + u)) - v * rv * om / (pi * u.sqr()),
        fu=K * tau * 2.0 - v / (pi * rn * (rn + u)) - xi3 * (om - one / (one + xi2)) / pi,
        fv=K + one / (pi * rn * 2.0) - rv / (pi * n * 2.0),
        fuu=K * 2.0 + v / (pi * n32) - xi3 * 2.0 / (pi * u * (one + xi2).sqr()),
        fuv=-(u / (pi * n32 * 2.0)) + u * rv / (pi * n.sqr()),
        fvv=-(one / (pi * n32 * 4.0)) - one / (pi * rv * n * 4.0) + rv / (pi * n.sqr() * 2.0),
    )


# ------------------------------------------------------------------------------- evaluation


@dataclass
class Landscape:
    """Graded enclosures at the 2F level, per piece, at every point of the box of unknowns and every s of
    the piece (and, on a hull evaluation, derivatives along the line of the evaluation).

    d0 = D0; d1 = D1 per coordinate cell (m,); rest = 2F - D0^2/(2 pi) - sum_a q_a D1_a^2 / 4;
    grad_d0 = D0 grad(D0) / pi, grad_k = the gradient of rest (n,); d1_grads[a] = grad(D1_a) (n,);
    sizes = q_b (m,); hess_rest = the Hessian of 2F minus hess_d1 = (1/2) sum_a q_a grad(D1_a) grad(D1_a)^T;
    m2 = the compression of 2M to student cells (m, m), unscaled."""

    d0: Graded
    d1: Graded
    rest: Graded
    grad_d0: Graded
    grad_k: Graded
    d1_grads: list
    sizes: Graded
    hess_rest: Graded | None = None
    hess_d1: Graded | None = None
    m2: Graded | None = None


class _Accumulator:
    """A graded vector or matrix over all n parameters, built by adding local pieces."""

    def __init__(self, shape, P):
        """Starts at exact zeros of the entry shape ``shape`` (valuation _BIG, no derivatives) on the evaluation P."""
        self.g = Graded.zeros(shape, P)

    def add(self, local: list[int], part: Graded) -> None:
        """Add a local vector or matrix at the given parameter positions (distinct: a repeated position
        would lose a contribution in the fancy-indexed write-back, so it is refused)."""
        if len(set(local)) != len(local):
            raise NotProven("internal: a local piece lists a parameter position twice")
        cur = self.g
        idx = (np.array(local),) if len(cur.shape) == 1 else np.ix_(local, local)
        new = cur[idx] + part
        lo, hi = cur.x.lo.copy(), cur.x.hi.copy()
        v = np.broadcast_to(cur.v, cur.shape).copy()
        full = (slice(None),) + idx
        lo[full], hi[full] = new.x.lo, new.x.hi
        v[idx] = np.broadcast_to(new.v, new.shape)

        def merged(old, part):
            """Write one component of the updated entries (None stands for 0)."""
            if part is None:
                return old
            dlo = np.zeros(lo.shape) if old is None else old.lo.copy()
            dhi = np.zeros(hi.shape) if old is None else old.hi.copy()
            dlo[full], dhi[full] = part.lo, part.hi
            return Interval(dlo, dhi, _checked=True)

        self.g = Graded(Interval(lo, hi, _checked=True), v, cur.P, merged(cur.d, new.d), merged(cur.d2, new.d2))


@dataclass
class Point:
    """The unknowns of an evaluation: psi (Interval (N, n), a box per piece) and, on hull evaluations,
    the slope w (N, n) of the line psi~(s) = psi_c + (s - s_c) w, so that d psi / ds = w."""

    psi: Interval
    slope: np.ndarray | None = None


def parameters(cells: Cells, ref: np.ndarray, expo: np.ndarray, pt: Point, P: Powers) -> tuple[Graded, Graded]:
    """(phi, dev): phi_a = ref_a + s^(e_a) psi_a (valuation 0 where ref_a != 0, else e_a) and the deviation
    dev_a = s^(e_a) psi_a (valuation e_a); derivatives (e_a s^(e_a - 1) psi_a + s^(e_a) w_a and w_a) when tracked."""
    n = layout(cells).n
    psi = pt.psi
    if psi.shape != (P.n, n):
        raise NotProven("internal: unknowns of the wrong shape")
    expo = np.asarray(expo)
    w = None
    if P.order >= 1:
        w = Interval.point(np.zeros((P.n, n)) if pt.slope is None else np.asarray(pt.slope, dtype=np.float64))
    dev = Graded(psi, expo, P, w)  # psi'' = 0 on a line
    spow = P.power(expo, 1)
    scaled = Interval.point(np.asarray(ref, dtype=np.float64)) + spow * psi
    sel = np.asarray(ref) != 0
    x = Interval(np.where(sel, scaled.lo, psi.lo), np.where(sel, scaled.hi, psi.hi), _checked=True)
    d = d2 = None
    if P.order >= 1:  # (ref + s^e psi)' = e s^(e-1) psi + s^e w
        p1 = P.power(expo, 1, 1)
        ds = p1 * psi + spow * w
        d = Interval(np.where(sel, ds.lo, w.lo), np.where(sel, ds.hi, w.hi), _checked=True)
    if P.order == 2:  # (ref + s^e psi)'' = e (e-1) s^(e-2) psi + 2 e s^(e-1) w
        d2s = P.power(expo, 1, 2) * psi + (p1 * w) * 2.0
        d2 = Interval(np.where(sel, d2s.lo, 0.0), np.where(sel, d2s.hi, 0.0), _checked=True)
    return Graded(x, np.where(sel, 0, expo), P, d, d2), dev


def evaluate(cells: Cells, ref: np.ndarray, expo: np.ndarray, pt: Point, P: Powers,
             want_hess: bool = False, want_m: bool = False) -> Landscape:
    """Graded enclosures of the parts of 2F, its gradient, Hessian and 2M (see :class:`Landscape`), at
    every point of the box pt.psi (per piece) and every s of the piece's interval, teacher I_k."""
    st = structure(cells)
    lay = st.lay
    m, n = cells.m, lay.n
    PI = pi_enclosure()
    ref = np.asarray(ref, dtype=np.float64)
    expo = np.asarray(expo, dtype=np.int64)
    phi, dev = parameters(cells, ref, expo, pt, P)
    sizes = kpolys([cells.sizes[b] for b in range(m)], P)  # q_b

    # ---- per student cell: u = |d_b|, tau = u - 1, v = |w|^2 - d^2, n = u^2 + v, local gradients
    cell = []
    for b in range(m):
        col = list(st.cols[b])
        a_d = lay.index[("d", b)]
        dpos = col.index(a_d)
        sgn = float(ref[a_d])
        d = phi[a_d]
        if sgn not in (1.0, -1.0) or not np.all((d.x * sgn).lo > 0):
            raise NotProven("a student's own-coordinate entry may change sign on the box")
        tau = dev[a_d] * sgn
        u = d * sgn
        Sv = _graded_form(*st.v_forms[b], P)
        x = phi[np.array(col)]
        gv = _sum_last(_rowprod(Sv, x))  # grad v (local)
        v = _sum_last(x * gv) * 0.5
        ed = _unit(len(col), dpos, P)
        gn = gv + ed * (d * 2.0)  # grad n = grad v + 2 d e_d
        Sn = Sv + _outer(ed, ed) * 2.0
        cell.append(dict(col=col, dpos=dpos, sgn=sgn, tau=tau, u=u, v=v, gv=gv, gn=gn, n=u.sqr() + v,
                         Sv=Sv, Sn=Sn, ed=ed, nm1=tau * (tau + 2.0) + v))

    # ---- D0 = sum_b q_b (n_b - 1) / (sqrt(n_b) + 1);  D1_a = sum_{b != a} q_b x[a][b] + (d_a - 1) + (q_a - 1) o_a
    d0 = None
    for b in range(m):
        term = sizes[b] * cell[b]["nm1"] / (cell[b]["n"].sqrt() + 1.0)
        d0 = term if d0 is None else d0 + term
    d1_list, gD1 = [], []
    for a in range(m):
        a_d = lay.index[("d", a)]
        acc = dev[a_d] if ref[a_d] == 1.0 else phi[a_d] - 1.0  # d_a - 1 (exact cancellation when ref = 1)
        coeff = {a_d: (1,)}
        for b in range(m):
            if b != a:
                s_ = lay.index[("x", a, b)]
                acc = acc + sizes[b] * phi[s_]
                coeff[s_] = cells.sizes[b]
        if cells.has_pairs(a):
            s_ = lay.index[("o", a)]
            acc = acc + kpolys([_padd(cells.sizes[a], (-1,))], P)[0] * phi[s_]
            coeff[s_] = _padd(cells.sizes[a], (-1,))
        d1_list.append(acc)
        idx = sorted(coeff)
        g = _Accumulator((n,), P)
        g.add(idx, kpolys([coeff[s_] for s_ in idx], P))
        gD1.append(g.g)
    d1 = stack(d1_list)

    groups = [_group(c["tau"], c["u"], c["v"], PI) for c in cell]
    pairs = []
    for i, (b, g) in enumerate(st.s_cells):
        local = list(st.s_local[i])
        x = phi[np.array(local)]
        forms = {k_: _graded_form(*st.s_forms[i][k_], P) for k_ in ("n1", "n2", "t")}
        grads = {k_: _sum_last(_rowprod(forms[k_], x)) for k_ in forms}
        t = _sum_last(x * grads["t"]) * 0.5
        pr = _pair(cell[b]["n"], cell[g]["n"], t, PI, "two student neurons")
        pairs.append(dict(local=local, forms=forms, grads=grads, pr=pr, mult=kpolys([st.s_mult[i]], P)[0]))
    tpairs = []
    for i, b in enumerate(st.t_cell):
        s_ = st.t_param[i]
        pr = _pair(cell[b]["n"], None, phi[s_], PI, "a student neuron and a teacher neuron")
        tpairs.append(dict(b=b, pos=cell[b]["col"].index(s_), pr=pr,
                           mult=kpolys([st.t_mult[i]], P)[0], count=kpolys([st.t_count[i]], P)[0]))

    # ---- rest of 2F: sum_b q_b Gamma_b + sum mult phi (student pairs) - 2 sum mult phi (teacher pairs)
    rest = None
    for b in range(m):
        term = sizes[b] * groups[b].f
        rest = term if rest is None else rest + term
    for p_ in pairs:
        rest = rest + p_["mult"] * p_["pr"].f
    for p_ in tpairs:
        rest = rest - p_["mult"] * p_["pr"].f * 2.0

    # ---- gradients
    gk = _Accumulator((n,), P)
    for b in range(m):
        c, G = cell[b], groups[b]
        gk.add(c["col"], (c["ed"] * (G.fu * c["sgn"]) + c["gv"] * G.fv) * sizes[b])
    for p_ in pairs:
        pr, gr = p_["pr"], p_["grads"]
        gk.add(p_["local"], (gr["n1"] * pr.f1 + gr["n2"] * pr.f2 + gr["t"] * pr.ft) * p_["mult"])
    for p_ in tpairs:
        c, pr = cell[p_["b"]], p_["pr"]
        e = _unit(len(c["col"]), p_["pos"], P)
        gk.add(c["col"], (c["gn"] * pr.f1 + e * pr.ft) * (p_["mult"] * -2.0))
    gD0 = _Accumulator((n,), P)
    for b in range(m):
        c = cell[b]
        gD0.add(c["col"], c["gn"] * (sizes[b] / (c["n"].sqrt() * 2.0)))
    piG = Graded.const(PI, P)
    out = Landscape(d0=d0, d1=d1, rest=rest, grad_d0=gD0.g * d0 / piG, grad_k=gk.g, d1_grads=gD1, sizes=sizes)

    if want_hess:
        H = _Accumulator((n, n), P)
        for b in range(m):
            c, G = cell[b], groups[b]
            U = stack([c["ed"] * c["sgn"], c["gv"]])
            Fm = stack([stack([G.fuu, G.fuv]), stack([G.fuv, G.fvv])])
            H.add(c["col"], (_chain(U, Fm) + c["Sv"] * G.fv) * sizes[b])
        for p_ in pairs:
            pr, gr, fo = p_["pr"], p_["grads"], p_["forms"]
            U = stack([gr["n1"], gr["n2"], gr["t"]])
            Fm = stack([stack([pr.f11, pr.f12, pr.f1t]), stack([pr.f12, pr.f22, pr.f2t]),
                        stack([pr.f1t, pr.f2t, pr.ftt])])
            H.add(p_["local"], (_chain(U, Fm) + fo["n1"] * pr.f1 + fo["n2"] * pr.f2 + fo["t"] * pr.ft)
                  * p_["mult"])
        for p_ in tpairs:
            c, pr = cell[p_["b"]], p_["pr"]
            e = _unit(len(c["col"]), p_["pos"], P)
            U = stack([c["gn"], e])
            Fm = stack([stack([pr.f11, pr.f1t]), stack([pr.f1t, pr.ftt])])
            H.add(c["col"], (_chain(U, Fm) + c["Sn"] * pr.f1) * (p_["mult"] * -2.0))
        # D0^2/(2 pi): (grad D0 grad D0^T + D0 Hess D0) / pi, Hess D0 = sum_b q_b (S_n/(2 sqrt n) - grad n grad n^T/(4 n^(3/2)))
        HD0 = _Accumulator((n, n), P)
        for b in range(m):
            c = cell[b]
            rn = c["n"].sqrt()
            HD0.add(c["col"], (c["Sn"] / (rn * 2.0) - _outer(c["gn"], c["gn"]) / (c["n"] * rn * 4.0)) * sizes[b])
        out.hess_rest = H.g + (_outer(gD0.g, gD0.g) + HD0.g * d0) / piG
        hd1 = None
        for a in range(m):
            term = _outer(gD1[a], gD1[a]) * (sizes[a] * 0.5)
            hd1 = term if hd1 is None else hd1 + term
        out.hess_d1 = hd1

    if want_m:
        out.m2 = _m_matrix(cells, cell, groups, pairs, st, tpairs, sizes, d0, PI, P)
    return out


def _m_matrix(cells, cell, groups, pairs, st, tpairs, sizes, d0, PI, P) -> Graded:
    """The compression of 2M to student cells (docs/families.md, "M"): per single student,
    2M_cc = D0/(pi |w_c|) + 1/2 + 2 Gamma_v + 4 sum_{c' != c} phi_1(c, c') - 4 sum_{r != own} phi_1(c, e_r),
    2M_cc' = 1/2 + 2 phi_t(c, c'); compressed: [b, b] = 2M_cc + (q_b - 1) 2M_cc' (c, c' in b),
    [b, g] = sqrt(q_b q_g) 2M_cc' (c in b, c' in g)."""
    m = cells.m
    half = Graded.const(0.5, P)
    piG = Graded.const(PI, P)
    diag = [half + d0 / (cell[b]["n"].sqrt() * piG) + groups[b].fv * 2.0 for b in range(m)]
    off = {}
    for i, (b, g) in enumerate(st.s_cells):
        pr = pairs[i]["pr"]
        if b == g:
            diag[b] = diag[b] + kpolys([_padd(cells.sizes[b], (-1,))], P)[0] * pr.f1 * 4.0
        else:
            diag[b] = diag[b] + sizes[g] * pr.f1 * 4.0
            diag[g] = diag[g] + sizes[b] * pr.f2 * 4.0
        off[(b, g)] = half + pr.ft * 2.0
    for p_ in tpairs:
        diag[p_["b"]] = diag[p_["b"]] - p_["count"] * p_["pr"].f1 * 4.0
    rows = []
    for b in range(m):
        row = []
        for g in range(m):
            if b == g:
                val = diag[b]
                if (b, b) in off:
                    val = val + kpolys([_padd(cells.sizes[b], (-1,))], P)[0] * off[(b, b)]
            else:
                val = (sizes[b] * sizes[g]).sqrt() * off[(min(b, g), max(b, g))]
            row.append(val)
        rows.append(stack(row))
    return _transpose(stack(rows))  # stack puts the row index last


def _transpose(g: Graded) -> Graded:
    """Swap the two entry axes of a graded matrix."""
    def t(a):
        """Transpose one component."""
        return None if a is None else Interval(np.swapaxes(a.lo, 1, 2), np.swapaxes(a.hi, 1, 2), _checked=True)
    return Graded(t(g.x), np.swapaxes(np.broadcast_to(g.v, g.shape), 0, 1), g.P, t(g.d), t(g.d2))

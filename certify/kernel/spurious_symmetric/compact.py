"""Rigorous enclosures of F, its gradient and Hessian on block-constant matrices, and of M.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval, numpy and python-flint.
The mathematics is docs/spurious-symmetric.md (Lemma 4 and "Rigour"); summary:

Partition q = (q_1, ..., q_m) of the k indices into cells (consecutive).
Fix(G_q) is the space of block-constant k x k matrices W (rows = students):
for a student c in cell b and a coordinate r in cell a, W[c, r] is
x[a][b] (a != b), d[b] (r = c) or o[b] (r in cell b, r != c; only if q_b >= 2).
These are the compact parameters theta (``Layout``), one per "cell" of
index pairs; the cell of parameter s has D_s index pairs (its orbit size).
W = sum_s theta_s Q_s with 0/1 matrices Q_s of disjoint supports, so
grad_theta F = Q^T grad F, Hess_theta F = Q^T H Q and Q^T Q = diag(D).

Every parameter s belongs to exactly one student cell ("column") cb(s)
(x[a][b], d[b] and o[b] to cell b).  The forms, with exact integer coefficients:

  n_b  = |w_c|^2     = sum_{s in column b} c_s theta_s^2        (c_s = q_a, 1, q_b - 1),
  t_bg = <w_c, w_c'> = sum_e coef_e theta_i theta_j             (a short list per student pair),
  <w_c, e_r> = W[c, r] = theta_s   (one teacher term per parameter s, multiplicity q_cb(s) c_s).

With f(n1, n2, t) the arc-cosine kernel E[relu(w.x) relu(v.x)] (docs/spurious-symmetric.md, Lemma 4),

  F = sum_b (q_b / 4) n_b + sum_terms w f(n1, n2, t) + k/4 + k(k-1)/(4 pi),

w = mu_bg / 2 for a student pair (mu = ordered pairs of distinct students) and w = -q_b c_s for the
teacher term of parameter s (n2 = 1, t = theta_s).  The chain rule, grouped by form:

  grad F = A[cb] grad_n + sum_pairs W grad t + (w f_t)_s                              (W = w f_t),
  Hess F = diag(A[cb] 2c) + Gamma[cb, cb] grad_n grad_n^T + sum_pairs (z grad t^T + grad t z^T + W S_t)
           + (grad_n v^T + v grad_n^T on each column) + diag(w f_tt of the teacher terms),

where grad_n (a vector over all parameters) holds 2 c_s theta_s, the gradient of the one norm form
containing s; A_b = q_b/4 + sum of w f_1 (w f_2) over the terms whose n1 (n2) is n_b; Gamma the sums
of w f_11, w f_22 (diagonal) and w f_12 (the two cells of a pair; twice on the diagonal for a pair
inside one cell); z = w f_1t grad n1 + w f_2t grad n2 + (w f_tt / 2) grad t; v_s = w f_1t of the
teacher term of s.  All of it is valid where every S > 0 (no two rows parallel, no row parallel
to a teacher e_r, every row nonzero); ``enclose`` proves S > 0 on the whole box it is given
(NotProven otherwise), so each returned enclosure contains the true value at every point of it.

Arithmetic (docs/rigor.md): ``IV`` is binary64 interval arithmetic with the outward rounding of
certify.kernel.interval (same theorem); a sum of many contributions into each target is a loop of
such additions (``_Plan``); acos / asin are enclosed with arb on exact endpoints.  Index arrays,
coefficient codes and plans depend only on which cells have size >= 2 and are cached per such
pattern; the sizes q enter as exact integers (at most k^2 <= 10^10 < 2^53).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from flint import arb, ctx

from ..interval import Interval, NotProven, arb_lower, arb_upper, pi as pi_enclosure

_NEG, _POS = -np.inf, np.inf


def _dn(x):
    """The next binary64 below x (elementwise): a lower bound of the exact result rounded to x."""
    return np.nextafter(x, _NEG)


def _up(x):
    """The next binary64 above x (elementwise): an upper bound of the exact result rounded to x."""
    return np.nextafter(x, _POS)


# ----------------------------------------------------------------------------- lean interval arrays


class IV:
    """Interval arrays for the hot path: [lo, hi] with binary64 endpoints, lo <= hi, always finite.

    The operations are those of :class:`certify.kernel.interval.Interval`, with the same proof (IEEE
    round to nearest, then one ulp outward with nextafter), without its per-object overhead.  Every
    arithmetic result is made by :meth:`checked`, which raises NotProven unless lo + hi is finite in
    every entry (true only if both ends are finite; an overflow of that sum only refuses more).  So
    an IV never holds a NaN or an infinity, and each result encloses every exact value."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi):
        """Unchecked: only for arrays already known finite with lo <= hi (see ``checked``)."""
        self.lo = lo
        self.hi = hi

    @staticmethod
    def checked(lo, hi, what: str = "interval") -> "IV":
        """IV(lo, hi) after checking that every endpoint is finite."""
        if not np.isfinite(lo + hi).all():
            raise NotProven(f"non-finite value in interval computation ({what})")
        return IV(lo, hi)

    @staticmethod
    def of(x: Interval) -> "IV":
        """The same intervals (an Interval is finite with lo <= hi by construction)."""
        return IV(x.lo, x.hi)

    @staticmethod
    def point(x) -> "IV":
        """Exact binary64 values (checked finite)."""
        a = np.asarray(x, dtype=np.float64)
        return IV.checked(a, a, "input")

    def interval(self) -> Interval:
        """As an :class:`Interval` (whose constructor checks finiteness and lo <= hi again)."""
        return Interval(self.lo, self.hi)

    @property
    def shape(self):
        """The array shape."""
        return np.shape(self.lo)

    def __getitem__(self, idx) -> "IV":
        """The selected entries (exact)."""
        return IV(self.lo[idx], self.hi[idx])

    def reshape(self, *shape) -> "IV":
        """The same intervals in another shape (exact)."""
        return IV(self.lo.reshape(*shape), self.hi.reshape(*shape))

    def __neg__(self) -> "IV":
        """-x = [-hi, -lo] (exact)."""
        return IV(-self.hi, -self.lo)

    def __add__(self, o: "IV") -> "IV":
        """x + y: [lo + lo', hi + hi'] rounded outward (broadcast)."""
        return IV.checked(_dn(self.lo + o.lo), _up(self.hi + o.hi), "add")

    def __sub__(self, o: "IV") -> "IV":
        """x - y: [lo - hi', hi - lo'] rounded outward (broadcast)."""
        return IV.checked(_dn(self.lo - o.hi), _up(self.hi - o.lo), "sub")

    def __mul__(self, o: "IV") -> "IV":
        """x y: the smallest and largest of the four endpoint products, rounded outward (broadcast)."""
        a, b, c, d = self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi
        lo = np.minimum(np.minimum(a, b), np.minimum(c, d))
        hi = np.maximum(np.maximum(a, b), np.maximum(c, d))
        return IV.checked(_dn(lo), _up(hi), "mul")

    def scale(self, c) -> "IV":
        """c x for EXACT binary64 constants c of any sign (broadcast): the product of a point and an
        interval is between c lo and c hi."""
        a, b = self.lo * c, self.hi * c
        return IV.checked(_dn(np.minimum(a, b)), _up(np.maximum(a, b)), "scale")

    def __truediv__(self, o: "IV") -> "IV":
        """x / y for y not containing 0 (NotProven otherwise): extreme endpoint quotients, rounded outward."""
        if not ((o.lo > 0) | (o.hi < 0)).all():
            raise NotProven("division by an interval that contains 0")
        a, b, c, d = self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi
        lo = np.minimum(np.minimum(a, b), np.minimum(c, d))
        hi = np.maximum(np.maximum(a, b), np.maximum(c, d))
        return IV.checked(_dn(lo), _up(hi), "div")

    def sqr(self) -> "IV":
        """x^2 (lower end 0 when the interval contains 0)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b))
        return IV.checked(np.maximum(_dn(lo), 0.0), _up(np.maximum(a, b)), "sqr")

    def sqrt(self) -> "IV":
        """sqrt(x) for x >= 0 (NotProven if lo < 0): increasing, endpoints rounded outward."""
        if (self.lo < 0).any():
            raise NotProven("square root of an interval reaching below 0")
        return IV.checked(np.maximum(_dn(np.sqrt(self.lo)), 0.0), _up(np.sqrt(self.hi)), "sqrt")

    def sum_last(self) -> "IV":
        """Sum over the last axis by pairwise (tree) interval additions."""
        lo, hi = self.lo, self.hi
        while lo.shape[-1] > 1:
            n = lo.shape[-1]
            h = n // 2
            nlo = _dn(lo[..., :h] + lo[..., h:2 * h])
            nhi = _up(hi[..., :h] + hi[..., h:2 * h])
            if n % 2:
                nlo = np.concatenate([nlo, lo[..., 2 * h:]], axis=-1)
                nhi = np.concatenate([nhi, hi[..., 2 * h:]], axis=-1)
            lo, hi = nlo, nhi
        return IV.checked(lo[..., 0], hi[..., 0], "sum")


def cat(*xs: IV) -> IV:
    """Concatenation of 1-D interval vectors."""
    return IV(np.concatenate([x.lo for x in xs]), np.concatenate([x.hi for x in xs]))


_PI = pi_enclosure()
PI = IV(_PI.lo, _PI.hi)
_ONE = IV(np.float64(1.0), np.float64(1.0))
INV_2PI = _ONE / PI.scale(2.0)  # enclosures of 1/(2 pi), 1/(4 pi), 1/(8 pi)
INV_4PI = _ONE / PI.scale(4.0)
INV_8PI = _ONE / PI.scale(8.0)


@dataclass(frozen=True)
class Plan:
    """A summation plan: out[o] = the sum of src[j] over the sources j with target[j] = o, computed
    as a loop of interval additions.  Targets are ranked by their number of sources (most first);
    step t adds the (t+1)-th source of each of the first len(steps[t]) ranked targets."""

    n_out: int
    steps: tuple  # steps[t][r]: the source added at step t to the target of rank r
    rank: np.ndarray  # target -> rank; a target without a source keeps the exact 0 it starts with


def make_plan(targets, n_out: int) -> Plan:
    """The plan summing sources into ``targets`` (one target index per source, 0 <= target < n_out;
    a source with target -1 is not used)."""
    targets = np.asarray(targets, dtype=np.int64).ravel()
    used = targets >= 0
    counts = np.bincount(targets[used], minlength=n_out)
    perm = np.argsort(-counts, kind="stable")
    rank = np.empty(n_out, dtype=np.int64)
    rank[perm] = np.arange(n_out)
    order = np.argsort(targets, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    pos = np.full(targets.size, -1, dtype=np.int64)
    order = order[used[order]]
    pos[order] = np.arange(order.size) - starts[targets[order]]
    steps = []
    for t in range(int(counts.max()) if order.size else 0):
        sel = np.nonzero(pos == t)[0]
        ranks = rank[targets[sel]]  # the targets with more than t sources have ranks 0 .. n_t - 1
        if not np.array_equal(np.sort(ranks), np.arange(sel.size)):  # pragma: no cover - by construction
            raise AssertionError("summation plan: a step does not cover its ranks exactly once")
        src = np.empty(sel.size, dtype=np.int64)
        src[ranks] = sel
        steps.append(src)
    if sum(st.size for st in steps) != int(used.sum()):  # pragma: no cover - by construction
        raise AssertionError("summation plan: a source is not used exactly once")
    return Plan(n_out, tuple(steps), rank)


def apply_plan(plan: Plan, src: IV) -> IV:
    """The sums of ``plan`` over the flat interval vector ``src``: the first source is copied, each
    further one added with outward rounding.  An overflow leaves an infinite upper (lower) end that
    stays infinite through later additions of finite values, so one finiteness check at the end
    covers every step."""
    lo = np.zeros(plan.n_out)
    hi = np.zeros(plan.n_out)
    if plan.steps:
        first = plan.steps[0]
        lo[:first.size] = src.lo[first]
        hi[:first.size] = src.hi[first]
        for idx in plan.steps[1:]:
            m = idx.size
            lo[:m] = _dn(lo[:m] + src.lo[idx])
            hi[:m] = _up(hi[:m] + src.hi[idx])
    return IV.checked(lo[plan.rank], hi[plan.rank], "sum")


@lru_cache(maxsize=64)
def _lower_mask(n: int) -> np.ndarray:
    """The strictly lower triangle of an n x n matrix, as a boolean mask."""
    return np.tri(n, k=-1, dtype=bool)


def mirror_upper(h: IV) -> IV:
    """The symmetric matrix whose upper triangle (diagonal included) is that of h (entries copied)."""
    low = _lower_mask(h.lo.shape[0])
    return IV(np.where(low, h.lo.T, h.lo), np.where(low, h.hi.T, h.hi))


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Layout:
    """The compact parameters of Fix(G_q) for cell sizes q."""

    q: tuple[int, ...]
    params: tuple[tuple, ...]  # ("x", a, b) | ("d", b) | ("o", b), row by row as in `values`
    index: dict  # param -> position
    sizes: np.ndarray  # D_s (float64, exact integers): number of matrix entries in the cell of s

    @property
    def n(self) -> int:
        """dim Fix(G_q): the number of compact parameters."""
        return len(self.params)

    def column(self, b: int) -> list[int]:
        """Positions of the parameters that student cell b's rows depend on."""
        m = len(self.q)
        cols = [self.index[("x", a, b)] for a in range(m) if a != b] + [self.index[("d", b)]]
        if self.q[b] >= 2:
            cols.append(self.index[("o", b)])
        return cols


def _q_ext(q) -> np.ndarray:
    """[q_0, ..., q_{m-1}, 1, 0] in binary64 (exact integers): code index m is 1, m + 1 is 0."""
    return np.array(list(q) + [1, 0], dtype=np.float64)


def _eval(code: np.ndarray, Q: np.ndarray) -> np.ndarray:
    """The integers mul * Q[i1] * (Q[i2] + off) of codes (..., 4) = (i1, i2, off, mul), all exact in
    binary64 (each is at most 2 k^2 <= 2 * 10^10 < 2^53)."""
    return code[..., 3] * Q[code[..., 0].astype(np.int64)] * (Q[code[..., 1].astype(np.int64)] + code[..., 2])


@dataclass(frozen=True)
class Pattern:
    """Everything about Fix(G_q) that depends only on m and on which cells have size >= 2:
    parameter lists, index arrays, integer coefficient codes (see ``_eval``) and summation plans."""

    m: int
    params: tuple
    index: dict
    size_code: np.ndarray  # (n, 4): D_s
    cb: np.ndarray  # (n,) the student cell (column) of each parameter
    c_code: np.ndarray  # (n, 4): c_s, the coefficient of theta_s^2 in n_cb(s)
    cols: tuple  # column b: its parameters
    n_plan: Plan  # c theta^2 (n) -> cells
    s2_src: np.ndarray  # c theta^2 of the other parameters of the column of s, for each s
    s2_plan: Plan  # (s2_src sources, then (c_s - 1) theta_s^2 for each s) -> parameters
    pairs: np.ndarray  # (P, 2) student cell pairs b <= g (b = g only for a cell of size >= 2)
    self_pairs: np.ndarray  # the pairs with b = g
    mult_code: np.ndarray  # (P, 4): ordered pairs of distinct students: 2 q_b q_g, or q_b (q_b - 1)
    e_i: np.ndarray  # (E,) dot forms: t_pair = sum_e coef_e theta_{e_i} theta_{e_j}, e_i <= e_j
    e_j: np.ndarray
    e_code: np.ndarray  # (E, 4)
    e_pair: np.ndarray  # (E,)
    e_plan: Plan  # (E,) -> pairs
    J: np.ndarray  # (P, L) parameters of column b, then of column g if g != b; padded with n
    row_j: np.ndarray  # (P, L, 2): (grad t)_l = sum over the two slots of coef * theta[row_j]
    row_code: np.ndarray  # (P, L, 2, 4) (padding: coefficient 0, theta[n] = 0)
    on_b: np.ndarray  # (P, L) 1.0 where J is in column b (grad n1 lives there), else 0
    on_g: np.ndarray  # (P, L) 1.0 where J is in column g (grad n2; the same as on_b for g = b)
    grad_plan: Plan  # (P, L) -> parameters (padding not used)
    same_i: np.ndarray  # (V,) every (i, j) with cb(i) = cb(j)
    same_j: np.ndarray
    hess_plan: Plan  # sources of Hess F (see enclose) -> i * n + j with i <= j (padding not used)
    zt_diag: np.ndarray  # flat (P, L, L) positions of the real diagonal entries l1 = l2
    same_diag: np.ndarray  # positions in (same_i, same_j) with i = j
    a_plan: Plan  # q_b / 4 (m), teacher w f1 (n), pair w f1 (P), pair w f2 (P) -> cells
    g_plan: Plan  # teacher w f11 (n), pair w f11, w f22, w f12 (P each), self-pair w f12 -> b * m + g
    m_code: np.ndarray  # (P, 2, 4): coefficient of pair S into cell b (q_g, or q_b - 1) and into g (q_b, or 0)
    m_plan: Plan  # pair S (into b), pair S (into g), teacher -c S -> cells


@lru_cache(maxsize=256)
def pattern(big: tuple[bool, ...]) -> Pattern:
    """The Pattern for cells with ``big[b]`` = (q_b >= 2)."""
    m = len(big)
    ONE, ZERO = m, m + 1
    params, size_code = [], []
    for a in range(m):
        for b in range(m):
            if a != b:
                params.append(("x", a, b))
                size_code.append((a, b, 0, 1))  # q_a q_b
            else:
                params.append(("d", b))
                size_code.append((b, ONE, 0, 1))  # q_b
        if big[a]:
            params.append(("o", a))
            size_code.append((a, a, -1, 1))  # q_a (q_a - 1)
    index = {p: s for s, p in enumerate(params)}
    n = len(params)
    cb = np.array([p[2] if p[0] == "x" else p[1] for p in params], dtype=np.int64)
    c_code = [(ONE, p[1], 0, 1) if p[0] == "x" else (ONE, ONE, 0, 1) if p[0] == "d" else (ONE, p[1], -1, 1)
              for p in params]
    cols = tuple(tuple([index[("x", a, b)] for a in range(m) if a != b] + [index[("d", b)]]
                       + ([index[("o", b)]] if big[b] else [])) for b in range(m))
    s2_src = [o for s in range(n) for o in cols[cb[s]] if o != s]
    s2_tgt = [s for s in range(n) for o in cols[cb[s]] if o != s]

    pairs, mult_code, e_i, e_j, e_code, e_pair = [], [], [], [], [], []
    for b in range(m):
        for g in range(b, m):
            if b == g and not big[b]:
                continue
            if b == g:  # <w_c, w_c'>, c != c' in cell b
                mult_code.append((b, b, -1, 1))
                entries = [(index[("x", a, b)], index[("x", a, b)], (ONE, a, 0, 1)) for a in range(m) if a != b]
                entries += [(index[("d", b)], index[("o", b)], (ONE, ONE, 0, 2)),
                            (index[("o", b)], index[("o", b)], (ONE, b, -2, 1))]
            else:
                mult_code.append((b, g, 0, 2))
                entries = [(index[("x", a, b)], index[("x", a, g)], (ONE, a, 0, 1))
                           for a in range(m) if a not in (b, g)]
                entries.append((index[("d", b)], index[("x", b, g)], (ONE, ONE, 0, 1)))  # coordinate r = c
                if big[b]:
                    entries.append((index[("o", b)], index[("x", b, g)], (ONE, b, -1, 1)))
                entries.append((index[("x", g, b)], index[("d", g)], (ONE, ONE, 0, 1)))  # coordinate r = c'
                if big[g]:
                    entries.append((index[("x", g, b)], index[("o", g)], (ONE, g, -1, 1)))
            for i, j, code in entries:
                e_i.append(min(i, j))
                e_j.append(max(i, j))
                e_code.append(code)
                e_pair.append(len(pairs))
            pairs.append((b, g))
    P = len(pairs)
    L = 2 * max(len(col) for col in cols)
    J = np.full((P, L), n, dtype=np.int64)
    row_j = np.full((P, L, 2), n, dtype=np.int64)
    row_code = np.zeros((P, L, 2, 4))
    row_code[..., 0], row_code[..., 1], row_code[..., 3] = ZERO, ONE, 1  # Q[ZERO] * (1) = 0
    on_b = np.zeros((P, L))
    on_g = np.zeros((P, L))
    for s, (b, g) in enumerate(pairs):
        local = cols[b] if b == g else cols[b] + cols[g]
        J[s, :len(local)] = local
        on_b[s, :len(cols[b])] = 1.0
        on_g[s, len(local) - len(cols[g]):len(local)] = 1.0
        pos = {par: l for l, par in enumerate(local)}
        fill = [0] * L
        for e in range(len(e_i)):
            if e_pair[e] != s:
                continue
            i, j, code = e_i[e], e_j[e], e_code[e]
            # grad of c theta_i theta_j: c theta_j in row i, c theta_i in row j; of c theta_i^2: 2 c theta_i
            slots = [(i, i, code[:3] + (2 * code[3],))] if i == j else [(i, j, code), (j, i, code)]
            for row, other, cd in slots:
                l = pos[row]
                row_j[s, l, fill[l]] = other
                row_code[s, l, fill[l]] = cd
                fill[l] += 1
        if max(fill) > 2:  # pragma: no cover - by construction every row has at most two terms
            raise AssertionError("a row of a dot form with more than two terms")

    def upper(i, j):
        """The flat upper-triangle index of the Hessian entry (i, j) (i, j swapped if needed); -1 where
        i or j is the padding index n."""
        i, j = np.minimum(i, j), np.maximum(i, j)
        return np.where((i < n) & (j < n), i * n + j, -1)

    e_i_a, e_j_a = np.array(e_i, dtype=np.int64), np.array(e_j, dtype=np.int64)
    same = [(i, j) for col in cols for i in col for j in col]
    same_i = np.array([i for i, _ in same], dtype=np.int64)
    same_j = np.array([j for _, j in same], dtype=np.int64)
    same_diag = np.nonzero(same_i == same_j)[0]
    zt_t = upper(J[:, :, None], J[:, None, :]).ravel()
    zt_diag = np.nonzero(((J[:, :, None] == J[:, None, :]) & (J[:, :, None] < n)).ravel())[0]
    hess_targets = np.concatenate([zt_t, upper(e_i_a, e_j_a), upper(same_i, same_j), np.arange(n) * (n + 1),
                                   zt_t[zt_diag], upper(same_i[same_diag], same_j[same_diag])])
    pa = np.array(pairs, dtype=np.int64).reshape(P, 2)
    bb, gg = pa[:, 0], pa[:, 1]
    self_pairs = np.nonzero(bb == gg)[0]
    m_code = np.zeros((P, 2, 4))
    for s, (b, g) in enumerate(pairs):
        # sum over c' != c of S_cc' for c in cell b: q_g S_bg per other cell g, (q_b - 1) S_bb in the cell
        m_code[s] = [(ONE, b, -1, 1), (ZERO, ONE, 0, 1)] if b == g else [(ONE, g, 0, 1), (ONE, b, 0, 1)]
    arr = lambda x: np.array(x, dtype=np.float64).reshape(-1, 4)  # noqa: E731
    return Pattern(
        m=m, params=tuple(params), index=index, size_code=arr(size_code), cb=cb, c_code=arr(c_code), cols=cols,
        n_plan=make_plan(cb, m), s2_src=np.array(s2_src, dtype=np.int64),
        s2_plan=make_plan(np.concatenate([s2_tgt, np.arange(n)]), n),
        pairs=pa, self_pairs=self_pairs, mult_code=arr(mult_code), e_i=e_i_a, e_j=e_j_a, e_code=arr(e_code),
        e_pair=np.array(e_pair, dtype=np.int64), e_plan=make_plan(e_pair, P), J=J, row_j=row_j, row_code=row_code,
        on_b=on_b, on_g=on_g, grad_plan=make_plan(np.where(J < n, J, -1).ravel(), n), same_i=same_i, same_j=same_j,
        hess_plan=make_plan(hess_targets, n * n), zt_diag=zt_diag, same_diag=same_diag,
        a_plan=make_plan(np.concatenate([np.arange(m), cb, bb, gg]), m),
        g_plan=make_plan(np.concatenate([cb * (m + 1), bb * (m + 1), gg * (m + 1), bb * m + gg,
                                         bb[self_pairs] * (m + 1)]), m * m),
        m_code=m_code, m_plan=make_plan(np.concatenate([bb, gg, cb]), m))


def _big(q) -> tuple[bool, ...]:
    """The pattern of q: which cells have size >= 2."""
    return tuple(int(x) >= 2 for x in q)


def layout(q: tuple[int, ...]) -> Layout:
    """The compact parameters of Fix(G_q) and their orbit sizes D_s (exact integers)."""
    pat = pattern(_big(q))
    return Layout(tuple(int(x) for x in q), pat.params, pat.index, _eval(pat.size_code, _q_ext(q)))


@lru_cache(maxsize=256)
def _values_index(big: tuple[bool, ...]) -> np.ndarray:
    """For each compact parameter, its flat position in the (m, m+1) `values` array."""
    w = len(big) + 1
    return np.array([p[1] * w + (p[2] if p[0] == "x" else p[1] if p[0] == "d" else w - 1)
                     for p in pattern(big).params], dtype=np.int64)


def values_to_theta(q: tuple[int, ...], values: np.ndarray) -> np.ndarray:
    """The compact vector theta of an (m, m+1) `values` array (layout of the certificate)."""
    return np.asarray(values, dtype=np.float64).ravel()[_values_index(_big(q))]


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


def _cells(p) -> tuple[list[int], list[int]]:
    """The refined cells q of p (Refinement) and each cell's block."""
    q: list[int] = []
    par: list[int] = []
    for i, size in enumerate(p):
        cells = [size - 2, 1, 1] if size >= 4 else [1] * size
        q += cells
        par += [i] * len(cells)
    return q, par


@lru_cache(maxsize=256)
def _embedding(kinds: tuple[int, ...]) -> tuple[np.ndarray, Plan]:
    """The map q-parameter -> p-parameter, and the plan of R^T (summing q-parameters into their
    p-parameter).  Both depend only on each block's class: size 1, 2, 3 or >= 4 (given as 4)."""
    q, par = _cells(kinds)
    lp, lq = pattern(_big(kinds)), pattern(_big(q))
    parent = np.empty(len(lq.params), dtype=np.int64)
    for s, prm in enumerate(lq.params):
        if prm[0] == "x":
            i, j = par[prm[1]], par[prm[2]]
            parent[s] = lp.index[("x", i, j)] if i != j else lp.index[("o", i)]
        elif prm[0] == "d":
            parent[s] = lp.index[("d", par[prm[1]])]
        else:
            parent[s] = lp.index[("o", par[prm[1]])]
    parent.setflags(write=False)
    return parent, make_plan(parent, len(lp.params))


def _kinds(p) -> tuple[int, ...]:
    """Each block's size class: 1, 2, 3, or 4 for every size >= 4 (all the refinement depends on)."""
    return tuple(min(int(x), 4) for x in p)


def refinement(p: tuple[int, ...]) -> Refinement:
    """The refinement q of p (Lemma 3) and the embedding of the compact parameters."""
    q, par = _cells(p)
    return Refinement(tuple(p), tuple(q), tuple(par), _embedding(_kinds(p))[0])


def group_sum(p: tuple[int, ...], x: IV) -> IV:
    """R^T x for an interval vector x over the compact parameters of Fix(G_q), q = refinement(p).q:
    the sum of x over the q-parameters of each p-parameter (R[s, a] = [parent[s] = a])."""
    return apply_plan(_embedding(_kinds(p))[1], x)


@lru_cache(maxsize=64)
def _compress_plan(kinds: tuple[int, ...]) -> Plan:
    """The plan of R^T h R: entry (s, s') of h goes to (parent[s], parent[s'])."""
    parent, _ = _embedding(kinds)
    n_p = int(parent.max()) + 1
    return make_plan((parent[:, None] * n_p + parent[None, :]).ravel(), n_p * n_p)


def compress(p: tuple[int, ...], h: IV) -> IV:
    """R^T h R for an (n_q, n_q) interval matrix h (the Hessian of F restricted to Fix(G_p))."""
    plan = _compress_plan(_kinds(p))
    n_p = int(round(plan.n_out ** 0.5))
    return apply_plan(plan, h.reshape(-1)).reshape(n_p, n_p)


# ------------------------------------------------------------------- angles


def _clip(x: IV, lo_bound: float) -> IV:
    """Intersect with [lo_bound, 1], for a quantity known to lie there (a cosine or a sine)."""
    lo = np.maximum(x.lo, lo_bound)
    hi = np.minimum(x.hi, 1.0)
    if (lo > hi).any():
        raise NotProven("a cosine/sine enclosure misses its range")
    return IV(lo, hi)


def _pi_minus_angle(t: IV, S: IV, R: IV) -> IV:
    """pi - theta for the angle theta with cos theta = t/R, sin theta = S/R (S > 0, R > 0), enclosed
    with arb at both (exact) endpoints by monotonicity: acos(-c), increasing in the cosine c, where
    |c| <= 1/2; near theta = 0 (c > 1/2) pi - asin(s), and near theta = pi (c < -1/2) asin(s), in
    the sine s = S/R (accurate there: S is computed without cancellation)."""
    c = _clip(t / R, -1.0)
    pos = c.lo > 0.5
    neg = c.hi < -0.5
    if (pos | neg).any():
        s = _clip(S / R, 0.0)
        s_lo, s_hi = s.lo.tolist(), s.hi.tolist()
    else:
        s_lo = s_hi = [0.0] * c.lo.size
    pi = arb.pi()
    out_lo, out_hi = [], []
    for cl, ch, sl, sh, p, ng in zip(c.lo.tolist(), c.hi.tolist(), s_lo, s_hi, pos.tolist(), neg.tolist()):
        if p:  # pi - asin(s), decreasing in s
            lo, hi = pi - arb(sh).asin(), pi - arb(sl).asin()
        elif ng:  # asin(s), increasing in s
            lo, hi = arb(sl).asin(), arb(sh).asin()
        else:  # acos(-c), increasing in c
            lo, hi = arb(-cl).acos(), arb(-ch).acos()
        out_lo.append(arb_lower(lo))
        out_hi.append(arb_upper(hi))
    return IV.checked(np.array(out_lo), np.array(out_hi), "angle")


# ------------------------------------------------------------------- enclosures over a box


@dataclass
class Enclosures:
    """Interval enclosures returned by ``enclose`` and ``enclose_point_arb`` (None: not computed)."""

    loss: Interval | None  # scalar
    grad: Interval | None  # (n,) = Q^T grad F
    hess: Interval | None = None  # (n, n) = Q^T H Q
    m_scaled: Interval | None = None  # (m, m) = D'^{-1/2} Q'^T M Q' D'^{-1/2} (student cells)


def enclose(q: tuple[int, ...], theta: Interval, want_hess: bool = False, want_m: bool = False,
            want_grad: bool = True) -> Enclosures:
    """Enclosures of F, Q^T grad F (and Q^T H Q, the scaled compression of M) over the box
    theta (an interval vector in the compact parameters of Fix(G_q)), teacher V = I_k.
    With ``want_grad=False`` the loss and the gradient are not computed (None)."""
    q = tuple(int(x) for x in q)
    pat = pattern(_big(q))
    n, m, P = len(pat.params), len(q), pat.pairs.shape[0]
    k = sum(q)
    if theta.shape != (n,):
        raise NotProven("internal: parameter vector of the wrong length")
    Q = _q_ext(q)
    c = _eval(pat.c_code, Q)  # c_s >= 1
    th = IV(np.append(theta.lo, 0.0), np.append(theta.hi, 0.0))  # index n: the constant 0
    thn = th[:n]
    sq = thn.sqr()
    csq = sq.scale(c)

    # ---- the forms: n_b, grad_n, n_cb(s) - theta_s^2 (a sum of squares: no cancellation), t, grad t
    nb = apply_plan(pat.n_plan, csq)
    if not (nb.lo > 0).all():
        raise NotProven("a student neuron may be zero on the box")
    gn = thn.scale(2.0 * c)
    S2t = apply_plan(pat.s2_plan, cat(csq[pat.s2_src], sq.scale(c - 1.0)))
    if not (S2t.lo > 0).all():
        raise NotProven("a student neuron and a teacher neuron: two vectors may be parallel on the box (sin of "
                        "their angle not bounded away from 0)")
    n1t = nb[pat.cb]
    ones = IV(np.ones(n), np.ones(n))
    N1, N2, T, Pr, S2 = n1t, ones, thn, n1t, S2t  # teacher terms: n2 = 1, t = theta_s, n1 n2 = n1
    if P:
        prod = th[pat.e_i] * th[pat.e_j]
        same = pat.e_i == pat.e_j
        if same.any():
            sqe = th[pat.e_i[same]].sqr()
            prod.lo[same], prod.hi[same] = sqe.lo, sqe.hi
        ts = apply_plan(pat.e_plan, prod.scale(_eval(pat.e_code, Q)))
        rows = th[pat.row_j].scale(_eval(pat.row_code, Q))
        gt = rows[..., 0] + rows[..., 1]  # (P, L): grad t on the parameters J
        n1s, n2s = nb[pat.pairs[:, 0]], nb[pat.pairs[:, 1]]
        Ps = n1s * n2s
        S2s = Ps - ts.sqr()
        if not (S2s.lo > 0).all():
            raise NotProven("two student neurons: two vectors may be parallel on the box (sin of their angle not "
                            "bounded away from 0)")
        N1, N2, T, Pr, S2 = cat(n1t, n1s), cat(ones, n2s), cat(thn, ts), cat(n1t, Ps), cat(S2t, S2s)

    # ---- f and its partial derivatives for all n + P terms (Lemma 4), times the term's coefficient w
    S = S2.sqrt()
    pmt = _pi_minus_angle(T, S, Pr.sqrt())
    w = np.concatenate([-(Q[pat.cb] * c), _eval(pat.mult_code, Q) * 0.5])  # exact
    ft = pmt * INV_2PI
    f1 = S / N1 * INV_4PI
    f2 = S / N2 * INV_4PI
    w1, w2, wt = f1.scale(w), f2.scale(w), ft.scale(w)
    A = apply_plan(pat.a_plan, cat(IV.point(Q[:m] * 0.25), w1[:n], w1[n:], w2[n:]))
    out = Enclosures(loss=None, grad=None)
    if want_grad:
        f = (S + pmt * T) * INV_2PI
        const = IV.point(0.25 * k) + IV.point(float(k) * (k - 1)) * INV_4PI  # k/4 + k(k-1)/(4 pi)
        out.loss = cat(nb.scale(Q[:m] * 0.25), f.scale(w), const.reshape(1)).sum_last().interval()
        grad = A[pat.cb] * gn + wt[:n]
        if P:
            grad = grad + apply_plan(pat.grad_plan, (gt * wt[n:].reshape(P, 1)).reshape(-1))
        out.grad = grad.interval()

    if want_hess:
        iS = _ONE / S
        f12 = iS * INV_8PI
        num = T.sqr().scale(2.0) - Pr
        w11 = (num * f12 / N1.sqr()).scale(w)
        w22 = (num * f12 / N2.sqr()).scale(w)
        w12 = f12.scale(w)
        w1t = (T * iS * INV_4PI / N1).scale(-w)
        w2t = (T * iS * INV_4PI / N2).scale(-w)
        wtt = (iS * INV_2PI).scale(w)
        gam = apply_plan(pat.g_plan, cat(w11[:n], w11[n:], w22[n:], w12[n:], w12[n:][pat.self_pairs]))
        gam = mirror_upper(gam.reshape(m, m))
        gv = gn[pat.same_i] * w1t[:n][pat.same_j]  # grad_n v^T on each column
        diag = A[pat.cb] * IV.point(2.0 * c) + wtt[:n]
        if P:
            gnJ = cat(gn, IV(np.zeros(1), np.zeros(1)))[pat.J]
            z = (gnJ.scale(pat.on_b) * w1t[n:].reshape(P, 1) + gnJ.scale(pat.on_g) * w2t[n:].reshape(P, 1)
                 + gt * wtt[n:].scale(0.5).reshape(P, 1))
            zt = (z.reshape(P, -1, 1) * gt.reshape(P, 1, -1)).reshape(-1)
            ws = wt[n:][pat.e_pair].scale(np.where(pat.e_i == pat.e_j, 2.0, 1.0) * _eval(pat.e_code, Q))  # W S_t
            src = cat(zt, ws, gv, diag, zt[pat.zt_diag], gv[pat.same_diag])
        else:
            src = cat(gv, diag, gv[pat.same_diag])
        H = apply_plan(pat.hess_plan, src).reshape(n, n)
        H = H + IV(gam.lo[pat.cb][:, pat.cb], gam.hi[pat.cb][:, pat.cb]) * (gn.reshape(n, 1) * gn.reshape(1, n))
        out.hess = mirror_upper(H).interval()

    if want_m:
        out.m_scaled = _m_scaled(pat, Q, c, nb, S, ft, n).interval()
    return out


def _m_scaled(pat: Pattern, Q: np.ndarray, c: np.ndarray, nb: IV, S: IV, ft: IV, n: int) -> IV:
    """D'^{-1/2} Q'^T M Q' D'^{-1/2} for the student-cell indicators Q' (D' = diag(q)):
    M_cc = 1/2 + (sum_{c' != c} S_cc' - sum_r S_cr) / (2 pi n_c),  M_cc' = (pi - theta_cc') / (2 pi);
    so [b, b] = M_cc + (q_b - 1)(pi - theta_bb)/(2 pi) and [b, g] = sqrt(q_b q_g)(pi - theta_bg)/(2 pi).
    The teacher term of parameter s of column b carries q_b c_s of the k q_b pairs (c, r), so
    sum_r S_cr = sum_{s in column b} c_s S_s."""
    m = pat.m
    mc = _eval(pat.m_code, Q)  # (P, 2)
    Sp = S[n:]
    acc = apply_plan(pat.m_plan, cat(Sp.scale(mc[:, 0]), Sp.scale(mc[:, 1]), S[:n].scale(-c)))
    d = acc * INV_2PI / nb + IV.point(np.full(m, 0.5))
    lo = np.zeros((m, m))
    hi = np.zeros((m, m))
    fp = ft[n:]
    bb, gg = pat.pairs[:, 0], pat.pairs[:, 1]
    sp = pat.self_pairs
    if sp.size:
        extra = fp[sp].scale(Q[bb[sp]] - 1.0)
        add = IV(d.lo[bb[sp]], d.hi[bb[sp]]) + extra
        d.lo[bb[sp]], d.hi[bb[sp]] = add.lo, add.hi
    off = np.nonzero(bb != gg)[0]
    if off.size:
        v = fp[off] * IV.point(Q[bb[off]] * Q[gg[off]]).sqrt()  # q_b q_g <= k^2: exact
        lo[bb[off], gg[off]], hi[bb[off], gg[off]] = v.lo, v.hi
        lo[gg[off], bb[off]], hi[gg[off], bb[off]] = v.lo, v.hi
    lo[np.arange(m), np.arange(m)] = d.lo
    hi[np.arange(m), np.arange(m)] = d.hi
    return IV(lo, hi)


# ------------------------------------------------------------- point enclosure in arb (high precision)


@lru_cache(maxsize=256)
def _point_lists(big: tuple[bool, ...]) -> tuple:
    """Python lists for enclose_point_arb: per pair, its dot-form entries and its gradient rows."""
    pat = pattern(big)
    n = len(pat.params)
    entries = [[] for _ in range(pat.pairs.shape[0])]
    for e in range(pat.e_i.size):
        entries[int(pat.e_pair[e])].append(e)
    rows = []  # per pair: (parameter i, [(j, flat position of the coefficient in row_code), ...]) (no padding)
    L = pat.J.shape[1]
    for s in range(pat.pairs.shape[0]):
        rs = []
        for l in range(L):
            if pat.J[s, l] < n:
                slots = [(int(pat.row_j[s, l, e]), (s * L + l) * 2 + e) for e in range(2) if pat.row_j[s, l, e] < n]
                rs.append((int(pat.J[s, l]), slots))
        rows.append(rs)
    return pat.cb.tolist(), [tuple(x) for x in pat.pairs.tolist()], entries, rows


def _arb_interval(values: list) -> Interval:
    """Binary64 intervals containing the arb balls (ends rounded outward)."""
    return Interval(np.array([arb_lower(v) for v in values]), np.array([arb_upper(v) for v in values]))


def enclose_point_arb(q: tuple[int, ...], theta: np.ndarray, prec: int = 256) -> Enclosures:
    """F and Q^T grad F at one point theta (binary64 compact parameters of Fix(G_q)), enclosed with
    python-flint's arb balls at `prec` bits (the formulas of ``enclose``, grouped by form the same
    way).  At a point there is no interval dependency, and at 256 bits the cancellation between the
    O(k^2)-sized terms (which costs binary64 intervals ~1e-16 k^2 of width) is harmless, so the
    enclosures are tight for every k.  Returned as binary64 intervals (rounded outward)."""
    q = tuple(int(x) for x in q)
    big = _big(q)
    pat = pattern(big)
    n, m = len(pat.params), len(q)
    k = sum(q)
    theta = np.asarray(theta, dtype=np.float64)
    if theta.shape != (n,) or not np.all(np.isfinite(theta)):
        raise NotProven("internal: parameter vector of the wrong length or not finite")
    Q = _q_ext(q)
    cb, pairs, entries, rows = _point_lists(big)
    ints = lambda code: _eval(code, Q).astype(np.int64).ravel().tolist()  # noqa: E731  (exact integers)
    c, mult, ecoef, rc = ints(pat.c_code), ints(pat.mult_code), ints(pat.e_code), ints(pat.row_code)
    e_i, e_j = pat.e_i.tolist(), pat.e_j.tolist()
    old = ctx.prec
    ctx.prec = prec
    try:
        th = [arb(x) for x in theta.tolist()] + [arb(0)]
        pi = arb.pi()
        two_pi, four_pi = 2 * pi, 4 * pi

        def finite(x: arb, what: str) -> arb:
            """x, after checking that the ball is finite."""
            if not x.is_finite():
                raise NotProven(f"non-finite arb enclosure ({what})")
            return x

        def kernel(n1: arb, n2: arb, t: arb, what: str):
            """f, f_1, f_2, f_t at (n1, n2, t) (Lemma 4); NotProven unless S^2 = n1 n2 - t^2 > 0."""
            P = n1 * n2
            S2 = P - t * t
            if not S2 > 0:
                raise NotProven(f"{what}: two vectors may be parallel")
            S = S2.sqrt()
            pmt = finite(pi - (t / P.sqrt()).acos(), what)
            return (S + pmt * t) / two_pi, S / (four_pi * n1), S / (four_pi * n2), pmt / two_pi

        nb = [arb(0) for _ in range(m)]
        for s in range(n):
            nb[cb[s]] += c[s] * (th[s] * th[s])
        for b in range(m):
            if not nb[b] > 0:
                raise NotProven("a student neuron may be zero")
        A = [arb(int(q[b])) / 4 for b in range(m)]
        total = sum((A[b] * nb[b] for b in range(m)), arb(0))  # sum_b (q_b / 4) n_b
        grad = [arb(0) for _ in range(n)]
        one = arb(1)
        for s in range(n):  # teacher terms, w = -q_b c_s
            b = cb[s]
            f, f1, _, ft = kernel(nb[b], one, th[s], "a student neuron and a teacher neuron")
            w = -int(q[b]) * c[s]
            total += w * f
            A[b] += w * f1
            grad[s] += w * ft
        for p, (b, g) in enumerate(pairs):  # student pairs, w = mu / 2
            t = sum((ecoef[e] * (th[e_i[e]] * th[e_j[e]]) for e in entries[p]), arb(0))
            f, f1, f2, ft = kernel(nb[b], nb[g], t, "two student neurons")
            w = arb(mult[p]) / 2
            total += w * f
            A[b] += w * f1
            A[g] += w * f2
            W = w * ft
            for i, slots in rows[p]:
                grad[i] += W * sum((rc[r] * th[j] for j, r in slots), arb(0))
        for s in range(n):
            grad[s] += A[cb[s]] * (2 * c[s] * th[s])
        total += arb(k) / 4 + arb(k * (k - 1)) / (2 * two_pi)
        loss = finite(total, "loss")
        for x in grad:
            finite(x, "gradient")
        return Enclosures(loss=_arb_interval([loss])[0], grad=_arb_interval(grad))
    finally:
        ctx.prec = old

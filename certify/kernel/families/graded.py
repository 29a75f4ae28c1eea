"""Graded interval arithmetic in s = 1/sqrt(k), and the two special functions of the family checks.

TRUSTED (docs/trust.md).  Imports only certify.kernel.interval, numpy and python-flint.
Theorem and proofs: docs/families.md (section "Graded arithmetic").

A *graded value* ``Graded(x, v)`` stands for the real numbers s^v * X, elementwise, where
X is an interval array (binary64, outward rounded) that encloses a continuous function of
the unknowns and of s over a box of unknowns and an interval of s (one interval of s per
"piece": the leading axis of X), and v is an integer array (one valuation per entry, the
same for every piece).  Multiplicities such as k - 1 = s^-2 (1 - s^2) are graded values
with v = -2; a small unknown such as x = s^2 beta has v = 2.  Products add valuations,
sums keep the smaller one (the other operand is multiplied by the interval s^d, d >= 0).
So k never appears as an interval: every X stays bounded and continuous up to s = 0, and
a quantity whose true size is s^v is enclosed to an absolute width of order (width of the
s-interval) * s^v, not of order k times it.

Exact zeros (padding, missing terms) have valuation >= ZERO; adding them never lowers a
valuation.  A graded value is turned back into an interval by :meth:`Graded.value`, which
multiplies X by s^v (for v < 0 only on pieces with s > 0).

The special functions (both monotone, proofs in docs/families.md):

* ``asin_over(y)`` = asin(sqrt(y)) / sqrt(y) = integral_0^1 (1 - y u^2)^(-1/2) du, increasing
  on 0 <= y < 1 (value 1 at y = 0);
* ``omega(y)`` = (sqrt(y) - atan(sqrt(y))) / y^(3/2) = integral_0^1 u^2 / (1 + y u^2) du,
  decreasing on y >= 0 (value 1/3 at y = 0).

Each is enclosed at the interval's endpoints, by a power series with a proven remainder
for small arguments and by python-flint's arb otherwise, and by monotonicity on the interval.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np
from flint import arb, ctx

from ..interval import Interval, NotProven, arb_lower, arb_upper

ZERO = 1 << 16  # valuations >= ZERO mark exact zeros
_BIG = 1 << 20  # the valuation given to an exact zero
_MAX_POWER = 64  # largest power of s formed


def _down(x):
    """The next binary64 below x (elementwise)."""
    return np.nextafter(x, -np.inf)


def _up(x):
    """The next binary64 above x (elementwise)."""
    return np.nextafter(x, np.inf)


class Powers:
    """The powers s^j (j = 0 .. _MAX_POWER) of the s-interval of each piece and their first and second
    derivatives j s^(j-1), j (j-1) s^(j-2) (outward rounded; 0 <= s_lo <= s_hi <= 1, so each is monotone in s
    and its range is given by the endpoints).

    ``order``: the derivatives in s that graded values carry on this evaluation: 0 (values only), 1 or 2."""

    def __init__(self, s_lo: np.ndarray, s_hi: np.ndarray, order: int = 0):
        """Tabulates, per piece, enclosures of s^j, j s^(j-1) and j (j-1) s^(j-2) (j = 0 .. _MAX_POWER) over
        s in [s_lo, s_hi]: lower ends from s_lo and upper ends from s_hi (each is nondecreasing in s >= 0), every
        product rounded down resp. up, lower ends clamped at 0.  NotProven unless s_lo and s_hi are 1-D of the same
        shape with 0 <= s_lo <= s_hi <= 1 (a NaN fails these tests) and order is 0, 1 or 2.  ``positive``: every
        piece has s_lo > 0."""
        s_lo = np.asarray(s_lo, dtype=np.float64)
        s_hi = np.asarray(s_hi, dtype=np.float64)
        if s_lo.ndim != 1 or s_lo.shape != s_hi.shape or not (np.all(s_lo >= 0) and np.all(s_lo <= s_hi)):
            raise NotProven("malformed s-intervals")
        if not (np.all(np.isfinite(s_hi)) and np.all(s_hi <= 1.0)):
            raise NotProven("s-interval outside [0, 1]")
        n = s_lo.size
        tables = []
        for factor in (lambda j: 1, lambda j: j, lambda j: j * (j - 1)):
            lo = np.zeros((n, _MAX_POWER + 1))
            hi = np.zeros((n, _MAX_POWER + 1))
            tables.append((lo, hi))
        lo0, hi0 = tables[0]
        lo0[:, 0] = hi0[:, 0] = 1.0
        for j in range(1, _MAX_POWER + 1):  # s <= 1: no overflow; underflow only rounds toward 0
            lo0[:, j] = np.maximum(_down(lo0[:, j - 1] * s_lo), 0.0)
            hi0[:, j] = _up(hi0[:, j - 1] * s_hi)
        for j in range(1, _MAX_POWER + 1):  # j s^(j-1) and j (j-1) s^(j-2): exact integer factors
            tables[1][0][:, j] = np.maximum(_down(lo0[:, j - 1] * j), 0.0)
            tables[1][1][:, j] = _up(hi0[:, j - 1] * j)
            if j >= 2:
                tables[2][0][:, j] = np.maximum(_down(lo0[:, j - 2] * (j * (j - 1))), 0.0)
                tables[2][1][:, j] = _up(hi0[:, j - 2] * (j * (j - 1)))
        self.tables = tables
        self.n = n
        self.positive = bool(np.all(s_lo > 0))
        self.s = Interval(s_lo, s_hi)
        if order not in (0, 1, 2):
            raise NotProven("internal: derivative order")
        self.order = order
        self._cache: dict = {}

    def _gather(self, d: np.ndarray, ndim: int, which: int) -> Interval:
        """The table entries (s^d, its first or second derivative) for an integer array d, cached by d."""
        d = np.asarray(d)
        key = (d.shape, d.tobytes(), ndim, which)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        d = np.where(d >= ZERO // 2, 0, d)  # multiplies an exact zero: any factor will do
        if np.any(d < 0) or np.any(d > _MAX_POWER):
            raise NotProven("internal: power of s out of range")
        lo, hi = self.tables[which]
        shape = (self.n,) + d.shape + (1,) * (ndim - d.ndim)
        out = Interval(lo[:, d].reshape(shape), hi[:, d].reshape(shape), _checked=True)
        self._cache[key] = out
        return out

    def power(self, d: np.ndarray, ndim: int, which: int = 0) -> Interval:
        """The interval s^d (which = 0), its derivative d s^(d-1) (1) or second derivative d (d-1) s^(d-2) (2),
        for an integer array d >= 0, with shape (N,) + d.shape (+ trailing 1s up to ``ndim``)."""
        return self._gather(d, ndim, which)


def _plus(a: Interval | None, b: Interval | None) -> Interval | None:
    """a + b where None stands for 0."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _times(a: Interval | None, b) -> Interval | None:
    """a b where None stands for 0."""
    return None if a is None else a * b


class Graded:
    """s^v X elementwise (see the module docstring).  x: Interval of shape (N,) + S, v: int array of shape S
    (broadcastable against x's trailing shape).  d, d2: None, or Intervals enclosing the first and second
    derivatives of the X-function in s along the line of the evaluation (docs/families.md, "Centred
    forms"); None means 0 (or not tracked: P.order says which derivatives an evaluation carries)."""

    __slots__ = ("x", "v", "P", "d", "d2")

    def __init__(self, x: Interval, v, P: Powers, d: Interval | None = None, d2: Interval | None = None):
        """Stores X (shape (N,) + S), the valuations v (as int64) and the derivative enclosures d, d2 of X along
        the evaluation's line as given: nothing is checked (the operations of this class and the callers keep
        them consistent)."""
        self.x = x
        self.v = np.asarray(v, dtype=np.int64)
        self.P = P
        self.d = d
        self.d2 = d2

    # -- construction --------------------------------------------------------------
    @staticmethod
    def const(value, P: Powers, v=0) -> "Graded":
        """A constant (float array, or an Interval without the piece axis), valuation v, derivatives 0."""
        if isinstance(value, Interval):
            lo = np.broadcast_to(value.lo, (P.n,) + value.lo.shape)
            hi = np.broadcast_to(value.hi, (P.n,) + value.hi.shape)
            return Graded(Interval(lo, hi, _checked=True), v, P)
        a = np.asarray(value, dtype=np.float64)
        x = np.broadcast_to(a, (P.n,) + a.shape)
        vv = np.where(a == 0.0, _BIG, np.asarray(v, dtype=np.int64))
        return Graded(Interval(x, x, _checked=True), vv, P)

    @staticmethod
    def zeros(shape, P: Powers) -> "Graded":
        """Exact zeros of the given entry shape."""
        z = np.zeros((P.n,) + tuple(shape))
        return Graded(Interval(z, z, _checked=True), np.full(tuple(shape), _BIG), P)

    # -- shape ---------------------------------------------------------------------
    @property
    def shape(self):
        """The entry shape (without the piece axis)."""
        return self.x.shape[1:]

    def _as(self, nd: int, x: Interval | None) -> Interval | None:
        """An array of this value's shape with its entry axes right-aligned to ``nd`` entry dimensions."""
        if x is None:
            return None
        own = len(self.shape)
        if own == nd:
            return x
        return x.reshape(*((self.P.n,) + (1,) * (nd - own) + self.shape))

    def _parts(self, nd: int) -> tuple:
        """(X, X', X'') right-aligned to nd entry dimensions."""
        return self._as(nd, self.x), self._as(nd, self.d), self._as(nd, self.d2)

    def _vfull(self) -> np.ndarray:
        """The valuations broadcast to the entry shape."""
        return np.broadcast_to(self.v, self.shape)

    def __getitem__(self, idx) -> "Graded":
        """The entries ``idx`` of the entry shape (the piece axis kept whole): X, the valuations and the
        derivatives indexed alike."""
        idx = idx if isinstance(idx, tuple) else (idx,)
        full = (slice(None),) + idx
        return Graded(self.x[full], self._vfull()[idx], self.P, None if self.d is None else self.d[full],
                      None if self.d2 is None else self.d2[full])

    def reshape(self, *shape) -> "Graded":
        """The same values with another entry shape."""
        def r(a):
            """Reshape one component (None stays None)."""
            return None if a is None else a.reshape(self.P.n, *shape)
        return Graded(r(self.x), self._vfull().reshape(*shape), self.P, r(self.d), r(self.d2))

    # -- arithmetic ----------------------------------------------------------------
    def _coerce(self, other) -> "Graded":
        """A graded value for a number or array (valuation 0, derivatives 0)."""
        return other if isinstance(other, Graded) else Graded.const(other, self.P)

    def _aligned(self, dv: np.ndarray, nd: int) -> tuple:
        """(X s^dv and its first and second derivatives) for dv >= 0: the summand brought to a smaller
        valuation.  (X s^a)' = X' s^a + X a s^(a-1), (X s^a)'' = X'' s^a + 2 X' a s^(a-1) + X a (a-1) s^(a-2)."""
        x, d, d2 = self._parts(nd)
        dv = np.where(dv >= ZERO // 2, 0, dv)  # exact zeros: no factor needed
        if not np.any(dv):
            return x, d, d2
        order = self.P.order
        full = np.broadcast_to(dv, np.broadcast_shapes(dv.shape, x.shape[1:]))
        if full.size > 8 and np.count_nonzero(full) * 3 < full.size:
            mask = full != 0
            tgt = (x.shape[0],) + full.shape

            def bc(a):
                """Broadcast one component to the full entry shape."""
                return None if a is None else Interval(np.broadcast_to(a.lo, tgt), np.broadcast_to(a.hi, tgt),
                                                      _checked=True)

            xb, db, d2b = bc(x), bc(d), bc(d2)

            def sub(a):
                """The masked entries of one component."""
                return None if a is None else Interval(a.lo[:, mask], a.hi[:, mask], _checked=True)

            parts = self._shift(sub(xb), sub(db), sub(d2b), full[mask], 1, order)

            def put(a, part):
                """Component ``a`` (full entry shape) with its masked entries replaced by ``part`` (the shifted
                values) and the others kept; ``a`` unchanged when part is None.  For a None ``a`` (a derivative
                that is 0) the unmasked entries are zeros."""
                if part is None:
                    return a
                base = Interval(np.zeros(tgt), np.zeros(tgt), _checked=True) if a is None else a
                lo, hi = base.lo.copy(), base.hi.copy()
                lo[:, mask], hi[:, mask] = part.lo, part.hi
                if a is not None:
                    keep = ~mask
                    lo[:, keep], hi[:, keep] = a.lo[:, keep], a.hi[:, keep]
                return Interval(lo, hi, _checked=True)

            return put(xb, parts[0]), put(db, parts[1]), put(d2b, parts[2])
        return self._shift(x, d, d2, dv, nd, order)

    def _shift(self, x, d, d2, dv, nd, order) -> tuple:
        """(X s^dv, (X s^dv)', (X s^dv)'') from X, X', X'' by the product rule (derivatives up to ``order``)."""
        P = self.P
        pw = P.power(dv, nd)
        xs = x * pw
        if order == 0:
            return xs, None, None
        p1 = P.power(dv, nd, 1)
        ds = _plus(x * p1, _times(d, pw))
        if order == 1:
            return xs, ds, None
        p2 = P.power(dv, nd, 2)
        d2s = _plus(_plus(x * p2, _times(d, p1 * 2.0)), _times(d2, pw))
        return xs, ds, d2s

    def __add__(self, other) -> "Graded":
        """The sum s^va Xa + s^vb Xb (Lemma G): per entry both operands are brought to v = min(va, vb), the one of
        larger valuation multiplied by the interval s^(va - v) or s^(vb - v) (derivatives by the product rule;
        exact zeros unshifted), then X, X', X'' are added in interval arithmetic.  A number, array or Interval
        operand is a constant (Graded.const: valuation 0, derivatives 0; a number entry 0.0 is an exact zero)."""
        o = self._coerce(other)
        va, vb = np.broadcast_arrays(self.v, o.v)
        v = np.minimum(va, vb)
        nd = max(len(self.shape), len(o.shape))
        xa, da, d2a = self._aligned(va - v, nd)
        xb, db, d2b = o._aligned(vb - v, nd)
        return Graded(xa + xb, v, self.P, _plus(da, db), _plus(d2a, d2b))

    __radd__ = __add__

    def __neg__(self) -> "Graded":
        """-s^v X: X and its derivatives negated (exact), the valuation unchanged."""
        return Graded(-self.x, self.v, self.P, None if self.d is None else -self.d,
                      None if self.d2 is None else -self.d2)

    def __sub__(self, other) -> "Graded":
        """self - other, as self + (-other) (other coerced as in __add__)."""
        return self + (-self._coerce(other))

    def __rsub__(self, other) -> "Graded":
        """other - self for a number, array or Interval ``other`` (coerced to a constant graded value)."""
        return self._coerce(other) - self

    def __mul__(self, other) -> "Graded":
        """The product s^(va + vb) Xa Xb (valuations add), derivatives by the product rule: (ab)' = a'b + ab' and,
        when P.order == 2, (ab)'' = a''b + 2a'b' + ab''.  An Interval operand is taken as constant in s
        (valuation 0, derivatives 0; that it does not depend on s is the caller's responsibility): X, X', X''
        are multiplied by it; a number or array becomes Graded.const (an entry 0.0 gives an exact zero)."""
        if not isinstance(other, Graded):
            if isinstance(other, Interval):
                return Graded(self.x * other, self.v, self.P, _times(self.d, other), _times(self.d2, other))
            return self * Graded.const(other, self.P)
        nd = max(len(self.shape), len(other.shape))
        xa, da, d2a = self._parts(nd)
        xb, db, d2b = other._parts(nd)
        d = _plus(_times(da, xb), _times(db, xa))  # (ab)' = a'b + ab'
        d2 = None
        if self.P.order == 2:  # (ab)'' = a''b + 2a'b' + ab''
            cross = None if (da is None or db is None) else (da * db) * 2.0
            d2 = _plus(_plus(_times(d2a, xb), _times(d2b, xa)), cross)
        return Graded(xa * xb, np.add(self.v, other.v), self.P, d, d2)

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Graded":
        """The quotient s^(va - vb) Xa / Xb, derivatives by the quotient rule: q' = (a' - q b')/b and, when
        P.order == 2, q'' = (a'' - 2 q' b' - q b'')/b.  NotProven if a divisor entry is an exact zero (valuation
        >= ZERO) or if an interval of Xb contains 0 (Interval division)."""
        o = self._coerce(other)
        if np.any(np.asarray(o.v) >= ZERO):
            raise NotProven("internal: division by an exact zero")
        nd = max(len(self.shape), len(o.shape))
        xa, da, d2a = self._parts(nd)
        xb, db, d2b = o._parts(nd)
        q = xa / xb
        d = d2 = None
        if da is not None or db is not None:  # q' = (a' - q b') / b
            d = _plus(da, None if db is None else -(q * db)) / xb
            if self.P.order == 2:  # q'' = (a'' - 2 q' b' - q b'') / b
                num = _plus(_plus(d2a, None if db is None else -((d * db) * 2.0)),
                            None if d2b is None else -(q * d2b))
                d2 = None if num is None else num / xb
        elif d2a is not None or d2b is not None:
            num = _plus(d2a, None if d2b is None else -(q * d2b))
            d2 = num / xb
        return Graded(q, np.subtract(self.v, o.v), self.P, d, d2)

    def __rtruediv__(self, other) -> "Graded":
        """other / self for a number, array or Interval ``other`` (see __truediv__)."""
        return self._coerce(other) / self

    def sqr(self) -> "Graded":
        """The square s^(2v) X^2 (tighter than a product when X contains 0)."""
        d = None if self.d is None else (self.x * self.d) * 2.0  # (x^2)' = 2 x x'
        d2 = None
        if self.P.order == 2:  # (x^2)'' = 2 (x'^2 + x x'')
            d2 = _plus(None if self.d is None else self.d.sqr(), _times(self.d2, self.x))
            d2 = None if d2 is None else d2 * 2.0
        return Graded(self.x.sqr(), 2 * self.v, self.P, d, d2)

    def sqrt(self) -> "Graded":
        """sqrt(s^v X) = s^(v/2) sqrt(X) for even v (X must be >= 0; > 0 where a derivative is needed)."""
        v = self._vfull()
        if np.any((v % 2 != 0) & (v < ZERO)):
            raise NotProven("internal: square root of an odd power of s")
        r = self.x.sqrt()
        d = None if self.d is None else self.d / (r * 2.0)  # r' = x' / (2 r)
        d2 = None
        if self.P.order == 2 and (self.d is not None or self.d2 is not None):  # r'' = (x'' - 2 r'^2) / (2 r)
            num = _plus(self.d2, None if d is None else -(d.sqr() * 2.0))
            d2 = num / (r * 2.0)
        return Graded(r, np.where(v >= ZERO, _BIG, v // 2), self.P, d, d2)

    def sum(self, axis: int) -> "Graded":
        """Sum along an axis of the entry shape: every term is brought to the smallest valuation along
        the axis (times s^(v - v_min)), then the intervals are summed pairwise (outward rounded)."""
        v = self._vfull()
        vmin = v.min(axis=axis, keepdims=True)
        nd = len(self.shape)
        parts = self._aligned(v - vmin, nd)
        ax = axis + 1  # the piece axis comes first

        def total(a):
            """Pairwise sum of one component along the axis."""
            if a is None:
                return None
            return a.sum_pairwise(ax) if a.shape[ax] > 1 else a[(slice(None),) * ax + (0,)]

        return Graded(total(parts[0]), np.squeeze(vmin, axis=axis), self.P, total(parts[1]), total(parts[2]))

    def value(self) -> Interval:
        """The interval s^v X (valuations < 0 only where every s-interval excludes 0)."""
        return self.value_and_derivatives()[0]

    def value_and_derivatives(self) -> tuple:
        """(Q, Q', Q'') for Q = s^v X as intervals (derivatives None when not tracked).  Negative valuations
        only where every s-interval excludes 0: there Q = N / s^a with N = X s^pos, and
        Q' = (N' - Q a s^(a-1)) / s^a,  Q'' = (N'' - 2 Q' a s^(a-1) - Q a (a-1) s^(a-2)) / s^a."""
        v = self._vfull()
        nd = len(self.shape)
        real = v < ZERO
        if np.any(real & (v < 0)):
            if not self.P.positive:
                raise NotProven("a quantity of negative order in s (it grows without bound as k -> infinity) "
                                "cannot be enclosed on a piece reaching s = 0")
            neg = np.where(real & (v < 0), -v, 0)
            pos = np.where(real & (v > 0), v, 0)
            den = self.P.power(neg, nd)
            num, dnum, d2num = self._aligned(pos, nd)
            val = num / den
            if self.P.order == 0:
                return val, None, None
            p1 = self.P.power(neg, nd, 1)
            d = _plus(dnum, -(val * p1)) / den
            if self.P.order == 1:
                return val, d, None
            p2 = self.P.power(neg, nd, 2)
            d2 = _plus(_plus(d2num, -((d * p1) * 2.0)), -(val * p2)) / den
            return val, d, d2
        return self._aligned(np.where(real, v, 0), nd)

    def at_least(self, w) -> bool:
        """True when every non-zero entry has valuation >= w."""
        v = self._vfull()
        return bool(np.all((v >= w) | (v >= ZERO)))


# --------------------------------------------------------------------------------- special functions


def _interval_of_fraction(q: Fraction) -> tuple[float, float]:
    """Binary64 bounds lo <= q <= hi of a rational."""
    f = float(q)  # correctly rounded
    lo = f if Fraction(f) <= q else float(_down(f))
    hi = f if Fraction(f) >= q else float(_up(f))
    return lo, hi


@lru_cache(maxsize=None)
def _series(name: str, terms: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficient bounds (lo, hi arrays) of the power series in y of asin_over or omega."""
    lo, hi = [], []
    for n in range(terms):
        if name == "asin_over":  # binom(2n, n) / (4^n (2n + 1))
            q = Fraction(_binom(2 * n, n), 4**n * (2 * n + 1))
        elif name == "asin_over'":  # (n + 1) a_(n+1): the derivative's series
            q = Fraction((n + 1) * _binom(2 * n + 2, n + 1), 4 ** (n + 1) * (2 * n + 3))
        elif name == "asin_over2":  # (n + 2)(n + 1) a_(n+2): the second derivative's series
            q = Fraction((n + 2) * (n + 1) * _binom(2 * n + 4, n + 2), 4 ** (n + 2) * (2 * n + 5))
        elif name == "omega2":  # (-1)^n (n + 2)(n + 1) / (2n + 7)
            q = Fraction((-1) ** n * (n + 2) * (n + 1), 2 * n + 7)
        elif name == "omega":  # (-1)^n / (2n + 3)
            q = Fraction((-1) ** n, 2 * n + 3)
        else:  # omega': (-1)^(n+1) (n + 1) / (2n + 5)
            q = Fraction((-1) ** (n + 1) * (n + 1), 2 * n + 5)
        a, b = _interval_of_fraction(q)
        lo.append(a)
        hi.append(b)
    return np.array(lo), np.array(hi)


def _binom(n: int, r: int) -> int:
    """The binomial coefficient (exact integer)."""
    from math import comb

    return comb(n, r)


def _horner(y: np.ndarray, name: str, terms: int) -> Interval:
    """Interval Horner sum_{n < terms} a_n y^n at the points y (y >= 0)."""
    clo, chi = _series(name, terms)
    Y = Interval(y, y, _checked=True)
    acc = Interval(np.full(y.shape, clo[-1]), np.full(y.shape, chi[-1]), _checked=True)
    for n in range(terms - 2, -1, -1):
        acc = acc * Y + Interval(np.full(y.shape, clo[n]), np.full(y.shape, chi[n]), _checked=True)
    return acc


_SERIES_MAX = 0.25  # series used for 0 <= y <= 1/4, with _terms(y) terms: remainder factor y^T <= 2^-64


def _terms(y: np.ndarray) -> int:
    """A number T of series terms with max(y)^T <= 2^-64 (max(y) <= 1/4: T <= 32; small y: fewer)."""
    top = float(np.max(y)) if y.size else 0.0
    if top <= 2.0**-64:
        return 2
    return int(min(32, max(2, np.ceil(64.0 / -np.log2(top)))))


def _power_up(y: np.ndarray, n: int) -> np.ndarray:
    """An upper bound of y^n (y >= 0), by n rounded-up multiplications."""
    acc = np.ones(y.shape)
    for _ in range(n):
        acc = _up(acc * y)
    return acc


def _arb_binary64(r: arb) -> tuple[float, float]:
    """Binary64 bounds (lo, hi) of the arb ball r (interval.arb_lower/arb_upper); NotProven if r is not finite."""
    if not r.is_finite():
        raise NotProven("special function: arb enclosure is not finite")
    return arb_lower(r), arb_upper(r)


def _arb_bounds(values: np.ndarray, f) -> tuple[np.ndarray, np.ndarray]:
    """Binary64 bounds of f(y) (an arb function) at each point y of values (128-bit balls)."""
    lo = np.empty(values.shape)
    hi = np.empty(values.shape)
    old = ctx.prec
    ctx.prec = 128
    try:
        for t, y in enumerate(values.ravel()):
            lo.reshape(-1)[t], hi.reshape(-1)[t] = _arb_binary64(f(arb(float(y))))
    finally:
        ctx.prec = old
    return lo, hi


def _point_series(y: np.ndarray, name: str, factor, alternating: bool, closed) -> tuple[np.ndarray, np.ndarray]:
    """Bounds (lo, hi) at points y of the function whose Taylor coefficients _horner evaluates as ``name``.
    For y <= _SERIES_MAX: T = _terms(y) terms enclosed by _horner, and the remainder bounded by
    tail = factor(T) * y^T + 2^-1070 (factor(T) None: y^T + 2^-1070), rounded up; the caller proves that
    bound (its comment).  ``alternating``: |remainder| <= tail, so [s.lo - tail, s.hi + tail]; otherwise the
    remainder is a sum of nonnegative terms in [0, tail], so [s.lo, s.hi + tail].  For larger y:
    ``closed(values)`` (arb closed forms, 128 bits)."""
    lo = np.empty(y.shape)
    hi = np.empty(y.shape)
    small = y <= _SERIES_MAX
    if np.any(small):
        ys = y[small]
        T = _terms(ys)
        s = _horner(ys, name, T)
        power, f = _power_up(ys, T), factor(T)
        tail = _up((power if f is None else _up(power * f)) + 2.0**-1070)
        lo[small] = _down(s.lo - tail) if alternating else s.lo
        hi[small] = _up(s.hi + tail)
    big = ~small
    if np.any(big):
        lo[big], hi[big] = closed(y[big])
    return lo, hi


def _point_asin_over(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of asin(sqrt(y))/sqrt(y) at points 0 <= y < 1."""
    # tail: a_n <= 1 decreasing, sum_{n >= T} a_n y^n <= y^T / (1 - y) <= (4/3) y^T
    return _point_series(y, "asin_over", lambda T: 4.0 / 3.0, False,
                         lambda v: _arb_bounds(v, lambda z: z.sqrt().asin() / z.sqrt()))


def _point_omega(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of (sqrt(y) - atan(sqrt(y))) / y^(3/2) at points y >= 0."""
    # alternating series with terms y^n/(2n+3) decreasing in n: |remainder| <= y^T / (2T + 3) <= y^T
    return _point_series(y, "omega", lambda T: None, True,
                         lambda v: _arb_bounds(v, lambda z: (z.sqrt() - z.sqrt().atan()) / (z * z.sqrt())))


def _point_asin_over_prime(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the derivative g'(y) = (1/sqrt(1 - y) - g(y)) / (2y) of asin_over, at points 0 <= y < 1."""
    # tail: n a_n <= 1/2, sum_{n > T} n a_n y^(n-1) <= y^T / (2 (1 - y)) <= (2/3) y^T
    return _point_series(y, "asin_over'", lambda T: 2.0 / 3.0, False, lambda v: _arb_bounds(
        v, lambda z: ((1 - z).rsqrt() - z.sqrt().asin() / z.sqrt()) / (2 * z)))


def _omega_prime_closed(z: arb) -> arb:
    """omega' at the arb ball z (closed form): (xi^3/(1 + xi^2) - 3 (xi - atan xi)) / (2 xi^5), xi = sqrt(z)."""
    xi = z.sqrt()
    return (xi * z / (1 + z) - 3 * (xi - xi.atan())) / (2 * z * z * xi)


def _point_omega_prime(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of omega'(y) = (xi^3/(1 + xi^2) - 3 (xi - atan xi)) / (2 xi^5), xi = sqrt(y), at points y >= 0."""
    # alternating, terms (n+1) y^n / (2n+5) decreasing for y <= 1/4: |remainder| <= y^T
    return _point_series(y, "omega'", lambda T: None, True, lambda v: _arb_bounds(v, _omega_prime_closed))


def _point_second(y: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the second derivative of asin_over or omega at points y >= 0 (y < 1 for asin_over)."""
    closed = lambda v: _arb_series_second(v, name)  # noqa: E731
    if name == "asin_over2":
        # n (n-1) a_n <= n^2 (a_n <= 1) and n^2 y^(n-2) decreases by a factor <= 0.27 for y <= 1/4, n >= T + 2:
        # remainder <= 1.37 (T + 2)^2 y^T
        return _point_series(y, name, lambda T: _up(1.37 * (T + 2) ** 2), False, closed)
    # alternating, terms (n+2)(n+1) y^n / (2n+7) decreasing for y <= 1/4: |remainder| <= (T + 2) y^T
    return _point_series(y, name, lambda T: float(T + 2), True, closed)


def _arb_series_second(values: np.ndarray, name: str) -> tuple[np.ndarray, np.ndarray]:
    """f''(y) = 2 [x^2] f(y + x) by python-flint's power series in arb (128 bits), y > 1/4."""
    from flint import arb_series

    lo = np.empty(values.shape)
    hi = np.empty(values.shape)
    old = ctx.prec
    ctx.prec = 128
    try:
        for t, y in enumerate(values.ravel()):
            x = arb_series([arb(float(y)), 1], prec=3)
            r = x.sqrt()
            f = r.asin() / r if name == "asin_over2" else (r - r.atan()) / (x * r)
            lo.reshape(-1)[t], hi.reshape(-1)[t] = _arb_binary64(2 * f.coeffs()[2])
    finally:
        ctx.prec = old
    return lo, hi


def _by_monotonicity(y: Interval, point, increasing: bool) -> Interval:
    """The enclosure of a monotone function f over the interval y clipped below at 0 (y is a square: values
    below 0 are not attained), from ``point`` (bounds of f at points): increasing f lies in
    [lower bound at y.lo, upper bound at y.hi], decreasing f in [lower bound at y.hi, upper bound at y.lo]."""
    ylo = np.maximum(y.lo, 0.0)
    left, right = (ylo, y.hi) if increasing else (y.hi, ylo)
    lo, _ = point(left)
    _, hi = point(right)
    return Interval(lo, hi)


def asin_over_second(y: Interval) -> Interval:
    """Enclosure of the second derivative of asin_over over y within [0, 1) (increasing: its derivative,
    (15/8) integral of u^6 (1 - y u^2)^(-7/2), is positive)."""
    if not np.all(y.hi < 1.0):
        raise NotProven("asin of an argument that may reach 1 (two vectors may be parallel)")
    return _by_monotonicity(y, lambda v: _point_second(v, "asin_over2"), increasing=True)


def omega_second(y: Interval) -> Interval:
    """Enclosure of the second derivative of omega (> 0) over y >= 0 (decreasing: its derivative,
    -6 integral of u^8 / (1 + y u^2)^4, is negative)."""
    return _by_monotonicity(y, lambda v: _point_second(v, "omega2"), increasing=False)


def asin_over_prime(y: Interval) -> Interval:
    """Enclosure of the derivative of asin_over over y within [0, 1) (increasing: g'' > 0)."""
    if not np.all(y.hi < 1.0):
        raise NotProven("asin of an argument that may reach 1 (two vectors may be parallel)")
    return _by_monotonicity(y, _point_asin_over_prime, increasing=True)


def omega_prime(y: Interval) -> Interval:
    """Enclosure of omega'(y) < 0 over y >= 0 (increasing: omega'' > 0)."""
    return _by_monotonicity(y, _point_omega_prime, increasing=True)


def asin_over(y: Interval) -> Interval:
    """Enclosure of asin(sqrt(y))/sqrt(y) over y (an interval within [0, 1)), by monotonicity."""
    if not np.all(y.hi < 1.0):
        raise NotProven("asin of an argument that may reach 1 (two vectors may be parallel)")
    return _by_monotonicity(y, _point_asin_over, increasing=True)


def omega(y: Interval) -> Interval:
    """Enclosure of (sqrt(y) - atan(sqrt(y))) / y^(3/2) over y (y >= 0), by monotonicity (decreasing)."""
    if not np.all(np.isfinite(y.hi)):
        raise NotProven("omega of a non-finite argument")
    return _by_monotonicity(y, _point_omega, increasing=False)

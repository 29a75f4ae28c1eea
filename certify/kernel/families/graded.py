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

from ..interval import Interval, NotProven

ZERO = 1 << 16  # valuations >= ZERO mark exact zeros
_BIG = 1 << 20  # the valuation given to an exact zero
_MAX_POWER = 64  # largest power of s formed


def _down(x):
    return np.nextafter(x, -np.inf)


def _up(x):
    return np.nextafter(x, np.inf)


class Powers:
    """The powers s^j (j = 0 .. _MAX_POWER) of the s-interval of each piece, and their derivatives j s^(j-1).

    ``lo``/``hi`` (and ``dlo``/``dhi``) have shape (N, _MAX_POWER + 1); 0 <= s_lo <= s_hi <= 1, so
    s^j lies in [s_lo^j, s_hi^j] and j s^(j-1) in [j s_lo^(j-1), j s_hi^(j-1)] (outward rounded)."""

    def __init__(self, s_lo: np.ndarray, s_hi: np.ndarray):
        s_lo = np.asarray(s_lo, dtype=np.float64)
        s_hi = np.asarray(s_hi, dtype=np.float64)
        if s_lo.ndim != 1 or s_lo.shape != s_hi.shape or not (np.all(s_lo >= 0) and np.all(s_lo <= s_hi)):
            raise NotProven("malformed s-intervals")
        if not (np.all(np.isfinite(s_hi)) and np.all(s_hi <= 1.0)):
            raise NotProven("s-interval outside [0, 1]")
        n = s_lo.size
        lo = np.empty((n, _MAX_POWER + 1))
        hi = np.empty((n, _MAX_POWER + 1))
        lo[:, 0] = hi[:, 0] = 1.0
        for j in range(1, _MAX_POWER + 1):  # s <= 1: no overflow; underflow only rounds toward 0
            lo[:, j] = np.maximum(_down(lo[:, j - 1] * s_lo), 0.0)
            hi[:, j] = _up(hi[:, j - 1] * s_hi)
        dlo = np.zeros_like(lo)
        dhi = np.zeros_like(hi)
        for j in range(1, _MAX_POWER + 1):  # j s^(j-1), j exact
            dlo[:, j] = np.maximum(_down(lo[:, j - 1] * j), 0.0)
            dhi[:, j] = _up(hi[:, j - 1] * j)
        self.lo, self.hi, self.dlo, self.dhi = lo, hi, dlo, dhi
        self.n = n
        self.positive = bool(np.all(s_lo > 0))
        self.s = Interval(s_lo, s_hi)
        self.track = False  # derivatives in s are formed only when True (hull evaluations)
        self._cache: dict = {}

    def _gather(self, d: np.ndarray, ndim: int, deriv: bool) -> Interval:
        d = np.asarray(d)
        key = (d.shape, d.tobytes(), ndim, deriv)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        d = np.where(d >= ZERO // 2, 0, d)  # multiplies an exact zero: any factor will do
        if np.any(d < 0) or np.any(d > _MAX_POWER):
            raise NotProven("internal: power of s out of range")
        lo, hi = (self.dlo, self.dhi) if deriv else (self.lo, self.hi)
        shape = (self.n,) + d.shape + (1,) * (ndim - d.ndim)
        out = Interval(lo[:, d].reshape(shape), hi[:, d].reshape(shape), _checked=True)
        self._cache[key] = out
        return out

    def power(self, d: np.ndarray, ndim: int) -> Interval:
        """The interval s^d (d >= 0 integer array) with shape (N,) + d.shape (+ trailing 1s up to ``ndim``)."""
        return self._gather(d, ndim, False)

    def dpower(self, d: np.ndarray, ndim: int) -> Interval:
        """The interval d s^(d-1), the derivative of s^d (0 where d = 0)."""
        return self._gather(d, ndim, True)


def _plus(a: Interval | None, b: Interval | None) -> Interval | None:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


class Graded:
    """s^v X elementwise (see the module docstring).  x: Interval of shape (N,) + S, v: int array of shape S
    (broadcastable against x's trailing shape).  d: None, or an Interval enclosing dX/ds (the derivative
    of the X-function along the line of the evaluation, see docs/families.md "Centred forms"); None
    means that X does not depend on s (derivative 0)."""

    __slots__ = ("x", "v", "P", "d")

    def __init__(self, x: Interval, v, P: Powers, d: Interval | None = None):
        self.x = x
        self.v = np.asarray(v, dtype=np.int64)
        self.P = P
        self.d = d

    # -- construction --------------------------------------------------------------
    @staticmethod
    def const(value, P: Powers, v=0) -> "Graded":
        """A constant (float array, or an Interval without the piece axis), valuation v, derivative 0."""
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
        z = np.zeros((P.n,) + tuple(shape))
        return Graded(Interval(z, z, _checked=True), np.full(tuple(shape), _BIG), P)

    # -- shape ---------------------------------------------------------------------
    @property
    def shape(self):
        return self.x.shape[1:]

    def _x_as(self, nd: int, x: Interval | None = None) -> Interval | None:
        """x (or the given same-shaped array) with its entry axes right-aligned to ``nd`` entry dimensions."""
        x = self.x if x is None else x
        own = len(self.shape)
        if own == nd:
            return x
        shape = (self.P.n,) + (1,) * (nd - own) + self.shape
        return x.reshape(*shape)

    def _d_as(self, nd: int) -> Interval | None:
        return None if self.d is None else self._x_as(nd, self.d)

    def _vfull(self) -> np.ndarray:
        return np.broadcast_to(self.v, self.shape)

    def __getitem__(self, idx) -> "Graded":
        idx = idx if isinstance(idx, tuple) else (idx,)
        full = (slice(None),) + idx
        return Graded(self.x[full], self._vfull()[idx], self.P, None if self.d is None else self.d[full])

    def reshape(self, *shape) -> "Graded":
        d = None if self.d is None else self.d.reshape(self.P.n, *shape)
        return Graded(self.x.reshape(self.P.n, *shape), self._vfull().reshape(*shape), self.P, d)

    # -- arithmetic ----------------------------------------------------------------
    def _coerce(self, other) -> "Graded":
        return other if isinstance(other, Graded) else Graded.const(other, self.P)

    def _aligned(self, dv: np.ndarray, nd: int) -> tuple[Interval, Interval | None]:
        """(X s^dv, its derivative) for dv >= 0 (the summand brought to a smaller valuation)."""
        x, d = self._x_as(nd), self._d_as(nd)
        dv = np.where(dv >= ZERO // 2, 0, dv)  # exact zeros: no factor needed
        if not np.any(dv):
            return x, d
        full = np.broadcast_to(dv, np.broadcast_shapes(dv.shape, x.shape[1:]))
        if full.size > 8 and np.count_nonzero(full) * 3 < full.size:
            return self._aligned_sparse(x, d, full)
        pw = self.P.power(dv, nd)
        xs = x * pw
        if not self.P.track:
            return xs, None
        ds = x * self.P.dpower(dv, nd)
        return xs, ds if d is None else ds + d * pw

    def _aligned_sparse(self, x: Interval, d: Interval | None, dv: np.ndarray) -> tuple[Interval, Interval | None]:
        """_aligned for a mostly-zero dv: the same products, formed only where dv != 0."""
        mask = dv != 0
        xb = Interval(np.broadcast_to(x.lo, (x.shape[0],) + dv.shape),
                      np.broadcast_to(x.hi, (x.shape[0],) + dv.shape), _checked=True)
        sub = Interval(xb.lo[:, mask], xb.hi[:, mask], _checked=True)
        pw = self.P.power(dv[mask], 1)
        part = sub * pw
        lo, hi = xb.lo.copy(), xb.hi.copy()
        lo[:, mask], hi[:, mask] = part.lo, part.hi
        xs = Interval(lo, hi, _checked=True)
        if not self.P.track:
            return xs, None
        dpart = sub * self.P.dpower(dv[mask], 1)
        if d is None:
            dlo, dhi = np.zeros(lo.shape), np.zeros(hi.shape)
        else:
            db = Interval(np.broadcast_to(d.lo, lo.shape), np.broadcast_to(d.hi, hi.shape), _checked=True)
            dlo, dhi = db.lo.copy(), db.hi.copy()
            dpart = dpart + Interval(db.lo[:, mask], db.hi[:, mask], _checked=True) * pw
        dlo[:, mask], dhi[:, mask] = dpart.lo, dpart.hi
        return xs, Interval(dlo, dhi, _checked=True)

    def __add__(self, other) -> "Graded":
        o = self._coerce(other)
        va, vb = np.broadcast_arrays(self.v, o.v)
        v = np.minimum(va, vb)
        nd = max(len(self.shape), len(o.shape))
        xa, da = self._aligned(va - v, nd)
        xb, db = o._aligned(vb - v, nd)
        return Graded(xa + xb, v, self.P, _plus(da, db))

    __radd__ = __add__

    def __neg__(self) -> "Graded":
        return Graded(-self.x, self.v, self.P, None if self.d is None else -self.d)

    def __sub__(self, other) -> "Graded":
        return self + (-self._coerce(other))

    def __rsub__(self, other) -> "Graded":
        return self._coerce(other) - self

    def __mul__(self, other) -> "Graded":
        if not isinstance(other, Graded):
            if isinstance(other, Interval):
                return Graded(self.x * other, self.v, self.P, None if self.d is None else self.d * other)
            return self * Graded.const(other, self.P)
        nd = max(len(self.shape), len(other.shape))
        xa, xb = self._x_as(nd), other._x_as(nd)
        da, db = self._d_as(nd), other._d_as(nd)
        d = _plus(None if da is None else da * xb, None if db is None else xa * db)
        return Graded(xa * xb, np.add(self.v, other.v), self.P, d)

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Graded":
        o = self._coerce(other)
        if np.any(np.asarray(o.v) >= ZERO):
            raise NotProven("internal: division by an exact zero")
        nd = max(len(self.shape), len(o.shape))
        xa, xb = self._x_as(nd), o._x_as(nd)
        q = xa / xb
        da, db = self._d_as(nd), o._d_as(nd)
        d = None
        if da is not None or db is not None:  # (a/b)' = (a' - (a/b) b') / b
            num = _plus(da, None if db is None else -(q * db))
            d = num / xb
        return Graded(q, np.subtract(self.v, o.v), self.P, d)

    def __rtruediv__(self, other) -> "Graded":
        return self._coerce(other) / self

    def sqr(self) -> "Graded":
        d = None if self.d is None else (self.x * self.d) * 2.0
        return Graded(self.x.sqr(), 2 * self.v, self.P, d)

    def sqrt(self) -> "Graded":
        """sqrt(s^v X) = s^(v/2) sqrt(X) for even v (X must be >= 0; > 0 where a derivative is needed)."""
        v = self._vfull()
        if np.any((v % 2 != 0) & (v < ZERO)):
            raise NotProven("internal: square root of an odd power of s")
        r = self.x.sqrt()
        d = None if self.d is None else self.d / (r * 2.0)
        return Graded(r, np.where(v >= ZERO, _BIG, v // 2), self.P, d)

    def sum(self, axis: int) -> "Graded":
        """Sum along an axis of the entry shape: every term is brought to the smallest valuation along
        the axis (times s^(v - v_min)), then the intervals are summed pairwise (outward rounded)."""
        v = self._vfull()
        vmin = v.min(axis=axis, keepdims=True)
        nd = len(self.shape)
        x, d = self._aligned(v - vmin, nd)
        ax = axis + 1  # the piece axis comes first
        out_x = x.sum_pairwise(ax) if x.shape[ax] > 1 else x[(slice(None),) * ax + (0,)]
        out_d = None
        if d is not None:
            out_d = d.sum_pairwise(ax) if d.shape[ax] > 1 else d[(slice(None),) * ax + (0,)]
        return Graded(out_x, np.squeeze(vmin, axis=axis), self.P, out_d)

    def value(self) -> Interval:
        """The interval s^v X (valuations < 0 only where every s-interval excludes 0)."""
        return self.value_and_derivative()[0]

    def value_and_derivative(self) -> tuple[Interval, Interval | None]:
        """(s^v X, its derivative v s^(v-1) X + s^v X') as intervals; the derivative is None when
        no derivative is tracked.  Negative valuations only where every s-interval excludes 0."""
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
            num, dnum = self._aligned(pos, nd)
            val = num / den
            if not self.P.track:
                return val, None
            # (num / s^a)' = num' / s^a - (num / s^a) (a s^(a-1)) / s^a
            der = -(val * self.P.dpower(neg, nd))
            if dnum is not None:
                der = dnum + der
            return val, der / den
        pos = np.where(real, v, 0)
        return self._aligned(pos, nd)

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
        elif name == "omega":  # (-1)^n / (2n + 3)
            q = Fraction((-1) ** n, 2 * n + 3)
        else:  # omega': (-1)^(n+1) (n + 1) / (2n + 5)
            q = Fraction((-1) ** (n + 1) * (n + 1), 2 * n + 5)
        a, b = _interval_of_fraction(q)
        lo.append(a)
        hi.append(b)
    return np.array(lo), np.array(hi)


def _binom(n: int, r: int) -> int:
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


def _arb_bounds(values: np.ndarray, f) -> tuple[np.ndarray, np.ndarray]:
    """Binary64 bounds of f(y) (an arb function) at each point y of values (128-bit balls)."""
    lo = np.empty(values.shape)
    hi = np.empty(values.shape)
    old = ctx.prec
    ctx.prec = 128
    try:
        for t, y in enumerate(values.ravel()):
            r = f(arb(float(y)))
            if not r.is_finite():
                raise NotProven("special function: arb enclosure is not finite")
            a, b = float(r.lower()), float(r.upper())  # rounded to nearest: move one ulp out if inexact
            lo.reshape(-1)[t] = a if arb(a) <= r.lower() else float(_down(a))
            hi.reshape(-1)[t] = b if arb(b) >= r.upper() else float(_up(b))
    finally:
        ctx.prec = old
    return lo, hi


def _point_asin_over(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of asin(sqrt(y))/sqrt(y) at points 0 <= y < 1."""
    lo = np.empty(y.shape)
    hi = np.empty(y.shape)
    small = y <= _SERIES_MAX
    if np.any(small):
        ys = y[small]
        T = _terms(ys)
        s = _horner(ys, "asin_over", T)
        # tail: a_n <= 1 decreasing, sum_{n >= T} a_n y^n <= y^T / (1 - y) <= (4/3) y^T
        tail = _up(_up(_power_up(ys, T) * (4.0 / 3.0)) + 2.0**-1070)
        lo[small] = s.lo
        hi[small] = _up(s.hi + tail)
    big = ~small
    if np.any(big):
        a, b = _arb_bounds(y[big], lambda z: z.sqrt().asin() / z.sqrt())
        lo[big], hi[big] = a, b
    return lo, hi


def _point_omega(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of (sqrt(y) - atan(sqrt(y))) / y^(3/2) at points y >= 0."""
    lo = np.empty(y.shape)
    hi = np.empty(y.shape)
    small = y <= _SERIES_MAX
    if np.any(small):
        ys = y[small]
        T = _terms(ys)
        s = _horner(ys, "omega", T)
        # alternating series with terms y^n/(2n+3) decreasing in n: |remainder| <= y^T / (2T + 3) <= y^T
        tail = _up(_power_up(ys, T) + 2.0**-1070)
        lo[small] = _down(s.lo - tail)
        hi[small] = _up(s.hi + tail)
    big = ~small
    if np.any(big):
        a, b = _arb_bounds(y[big], lambda z: (z.sqrt() - z.sqrt().atan()) / (z * z.sqrt()))
        lo[big], hi[big] = a, b
    return lo, hi


def _point_asin_over_prime(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of the derivative g'(y) = (1/sqrt(1 - y) - g(y)) / (2y) of asin_over, at points 0 <= y < 1."""
    lo = np.empty(y.shape)
    hi = np.empty(y.shape)
    small = y <= _SERIES_MAX
    if np.any(small):
        ys = y[small]
        T = _terms(ys)
        s = _horner(ys, "asin_over'", T)
        # tail: n a_n <= 1/2, sum_{n > T} n a_n y^(n-1) <= y^T / (2 (1 - y)) <= (2/3) y^T
        tail = _up(_up(_power_up(ys, T) * (2.0 / 3.0)) + 2.0**-1070)
        lo[small] = s.lo
        hi[small] = _up(s.hi + tail)
    big = ~small
    if np.any(big):
        a, b = _arb_bounds(y[big], lambda z: ((1 - z).rsqrt() - z.sqrt().asin() / z.sqrt()) / (2 * z))
        lo[big], hi[big] = a, b
    return lo, hi


def _point_omega_prime(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bounds of omega'(y) = (xi^3/(1 + xi^2) - 3 (xi - atan xi)) / (2 xi^5), xi = sqrt(y), at points y >= 0."""
    lo = np.empty(y.shape)
    hi = np.empty(y.shape)
    small = y <= _SERIES_MAX
    if np.any(small):
        ys = y[small]
        T = _terms(ys)
        s = _horner(ys, "omega'", T)
        # alternating, terms (n+1) y^n / (2n+5) decreasing for y <= 1/4: |remainder| <= y^T
        tail = _up(_power_up(ys, T) + 2.0**-1070)
        lo[small] = _down(s.lo - tail)
        hi[small] = _up(s.hi + tail)
    big = ~small
    if np.any(big):
        def f(z):
            xi = z.sqrt()
            return (xi * z / (1 + z) - 3 * (xi - xi.atan())) / (2 * z * z * xi)
        a, b = _arb_bounds(y[big], f)
        lo[big], hi[big] = a, b
    return lo, hi


def asin_over_prime(y: Interval) -> Interval:
    """Enclosure of the derivative of asin_over over y within [0, 1) (increasing: g'' > 0)."""
    ylo = np.maximum(y.lo, 0.0)
    if not np.all(y.hi < 1.0):
        raise NotProven("asin of an argument that may reach 1 (two vectors may be parallel)")
    lo, _ = _point_asin_over_prime(ylo)
    _, hi = _point_asin_over_prime(y.hi)
    return Interval(lo, hi)


def omega_prime(y: Interval) -> Interval:
    """Enclosure of omega'(y) < 0 over y >= 0 (increasing: omega'' > 0)."""
    ylo = np.maximum(y.lo, 0.0)
    lo, _ = _point_omega_prime(ylo)
    _, hi = _point_omega_prime(y.hi)
    return Interval(lo, hi)


def asin_over(y: Interval) -> Interval:
    """Enclosure of asin(sqrt(y))/sqrt(y) over y (an interval within [0, 1)), by monotonicity."""
    ylo = np.maximum(y.lo, 0.0)  # y is a square: values below 0 are not attained
    if not np.all(y.hi < 1.0):
        raise NotProven("asin of an argument that may reach 1 (two vectors may be parallel)")
    lo, _ = _point_asin_over(ylo)
    _, hi = _point_asin_over(y.hi)
    return Interval(lo, hi)


def omega(y: Interval) -> Interval:
    """Enclosure of (sqrt(y) - atan(sqrt(y))) / y^(3/2) over y (y >= 0), by monotonicity (decreasing)."""
    ylo = np.maximum(y.lo, 0.0)
    if not np.all(np.isfinite(y.hi)):
        raise NotProven("omega of a non-finite argument")
    lo, _ = _point_omega(y.hi)
    _, hi = _point_omega(ylo)
    return Interval(lo, hi)

"""Vectorized interval arithmetic in binary64 with proven outward rounding.

TRUSTED (docs/trust.md).  Small on purpose: read it whole.

Theorem used (IEEE 754, round to nearest): for binary64 a, b and
o in {+, -, *, /, sqrt}, the computed r = fl(a o b) satisfies
nextafter(r, -inf) <= a o b <= nextafter(r, +inf) whenever r is finite
(the rounding error is at most half an ulp, and nextafter moves one ulp;
this also holds in the subnormal range).  Every operation below computes
candidate endpoints in round-to-nearest and then moves the lower endpoint
one ulp down and the upper one ulp up, so the result interval contains
every exact value.  numpy's elementwise +, -, *, / and sqrt on float64 are
the IEEE operations.  Reductions are written as loops of such operations,
never as np.sum / matmul (whose order is unspecified).

Any NaN or infinite endpoint, a division by an interval containing 0, or a
square root of an interval reaching below 0 raises NotProven.

Positive definiteness (Rump's test) is in certify.kernel.definite; the
untrusted eigenvalue estimate that only chooses its shift is in
certify.kernel.eigen_estimate.  ``acos`` is
enclosed with python-flint's arb on exact endpoint values (acos is
decreasing, so the image of [lo, hi] is [acos(hi), acos(lo)]).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from flint import arb

from .certificate import NotProven  # noqa: F401  (re-exported)


_INF = np.inf


def _down(x: np.ndarray) -> np.ndarray:
    """One ulp towards -inf, entrywise (np.nextafter): below the exact value of an operation whose
    round-to-nearest result is x (the theorem of the module docstring).  NaN stays NaN."""
    return np.nextafter(x, -_INF)


def _up(x: np.ndarray) -> np.ndarray:
    """One ulp towards +inf, entrywise (np.nextafter): above the exact value of an operation whose
    round-to-nearest result is x.  NaN stays NaN."""
    return np.nextafter(x, _INF)


def round_down(x):
    """The next binary64 below x (elementwise): below the exact value of an operation whose
    round-to-nearest result is x.  A Python float for a scalar, an array for an array."""
    r = np.nextafter(x, -_INF)
    return float(r) if np.ndim(r) == 0 else r


def round_up(x):
    """The next binary64 above x (elementwise); see round_down."""
    r = np.nextafter(x, _INF)
    return float(r) if np.ndim(r) == 0 else r


def frac_down(q: Fraction) -> float:
    """The greatest binary64 <= the rational q (float(q) is correctly rounded; the next binary64 below it when
    it lies above q)."""
    f = float(q)
    return f if Fraction(f) <= q else float(_down(f))


def frac_up(q: Fraction) -> float:
    """The least binary64 >= the rational q (float(q) is correctly rounded; the next binary64 above it when it
    lies below q)."""
    f = float(q)
    return f if Fraction(f) >= q else float(_up(f))


def _finite(lo: np.ndarray, hi: np.ndarray, what: str) -> None:
    """NotProven unless every endpoint in ``lo`` and ``hi`` is finite (no NaN, no infinity); ``what``
    names the operation in the message."""
    if not (np.isfinite(lo).all() and np.isfinite(hi).all()):  # .all(): no np.all wrapper cost
        raise NotProven(f"non-finite value in interval computation ({what})")


class Interval:
    """An array of closed intervals [lo, hi] (binary64 endpoints, lo <= hi)."""

    __slots__ = ("lo", "hi")

    def __init__(self, lo, hi=None, _checked: bool = False):
        """The intervals [lo, hi] (hi = lo when omitted), stored as float64 arrays (not copied when they
        already are).  Unless ``_checked`` (internal: the caller knows the endpoints are finite with
        lo <= hi), NotProven for a non-finite endpoint, a shape mismatch or some lo > hi.  Values that are
        not binary64 (a large int, a Fraction) are silently rounded by numpy: pass binary64 data only."""
        lo = np.asarray(lo, dtype=np.float64)
        hi = lo if hi is None else np.asarray(hi, dtype=np.float64)
        if not _checked:
            _finite(lo, hi, "input")
            if lo.shape != hi.shape or (lo > hi).any():
                raise NotProven("malformed interval (lo > hi or shape mismatch)")
        self.lo = lo
        self.hi = hi

    # -- construction -------------------------------------------------------
    @staticmethod
    def point(x) -> "Interval":
        """The degenerate intervals [x, x] (NotProven if an entry is not finite).  Exact only for binary64
        x: anything else is silently rounded by numpy (see the constructor)."""
        return Interval(x)  # hi is lo: __mul__ takes the two-product path

    @staticmethod
    def around(x, r) -> "Interval":
        """The box [x - r, x + r] (outward rounded), r >= 0."""
        x = np.asarray(x, dtype=np.float64)
        r = np.asarray(r, dtype=np.float64)
        if np.any(r < 0):
            raise NotProven("negative radius")
        return Interval(_down(x - r), _up(x + r))

    @staticmethod
    def _make(lo, hi, what) -> "Interval":
        """An Interval from endpoints computed by an operation, after checking that they are finite
        (NotProven otherwise); lo <= hi is not re-checked (the operations guarantee it)."""
        _finite(lo, hi, what)
        return Interval(lo, hi, _checked=True)

    # -- shape --------------------------------------------------------------
    @property
    def shape(self):
        """The shape of the array of intervals."""
        return self.lo.shape

    def __getitem__(self, idx) -> "Interval":
        """The sub-array ``self[idx]`` (numpy indexing applied to both endpoint arrays)."""
        return Interval(self.lo[idx], self.hi[idx], _checked=True)

    def reshape(self, *shape) -> "Interval":
        """The same intervals in another shape (numpy reshape of both endpoint arrays)."""
        return Interval(self.lo.reshape(*shape), self.hi.reshape(*shape), _checked=True)

    # -- arithmetic -----------------------------------------------------------
    @staticmethod
    def _coerce(other) -> "Interval":
        """``other`` itself if it is an Interval, else the point intervals of its value(s)
        (:meth:`point`: exact for binary64 numbers)."""
        return other if isinstance(other, Interval) else Interval.point(other)

    def __neg__(self) -> "Interval":
        """-x = [-hi, -lo], exactly (negation is exact in binary64)."""
        return Interval(-self.hi, -self.lo, _checked=True)

    def __add__(self, other) -> "Interval":
        """x + y: endpoint sums rounded to nearest, then moved one ulp outward; NotProven on overflow.  A
        number or array operand is taken as point intervals."""
        o = Interval._coerce(other)
        return Interval._make(_down(self.lo + o.lo), _up(self.hi + o.hi), "add")

    __radd__ = __add__

    def __sub__(self, other) -> "Interval":
        """x - y = [x.lo - y.hi, x.hi - y.lo], outward rounded; NotProven on overflow."""
        o = Interval._coerce(other)
        return Interval._make(_down(self.lo - o.hi), _up(self.hi - o.lo), "sub")

    def __rsub__(self, other) -> "Interval":
        """other - x for a number or array ``other`` (point intervals)."""
        return Interval._coerce(other) - self

    def __mul__(self, other) -> "Interval":
        """x * y: the minimum and maximum of the four endpoint products, outward rounded; NotProven on
        overflow."""
        o = Interval._coerce(other)
        if o.lo is o.hi:  # point operand (a number or array coerced, or Interval.point): two products suffice
            a, b = self.lo * o.lo, self.hi * o.lo
            return Interval._make(_down(np.minimum(a, b)), _up(np.maximum(a, b)), "mul")
        p = (self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi)
        lo = np.minimum(np.minimum(p[0], p[1]), np.minimum(p[2], p[3]))
        hi = np.maximum(np.maximum(p[0], p[1]), np.maximum(p[2], p[3]))
        return Interval._make(_down(lo), _up(hi), "mul")

    __rmul__ = __mul__

    def __truediv__(self, other) -> "Interval":
        """x / y, outward rounded (min and max of the four endpoint quotients); NotProven unless every
        interval of y lies entirely above 0 or entirely below 0, or on overflow."""
        o = Interval._coerce(other)
        if not ((o.lo > 0) | (o.hi < 0)).all():
            raise NotProven("division by an interval that contains 0")
        q = (self.lo / o.lo, self.lo / o.hi, self.hi / o.lo, self.hi / o.hi)
        lo = np.minimum(np.minimum(q[0], q[1]), np.minimum(q[2], q[3]))
        hi = np.maximum(np.maximum(q[0], q[1]), np.maximum(q[2], q[3]))
        return Interval._make(_down(lo), _up(hi), "div")

    def __rtruediv__(self, other) -> "Interval":
        """other / x for a number or array ``other`` (point intervals); see :meth:`__truediv__`."""
        return Interval._coerce(other) / self

    def sqr(self) -> "Interval":
        """x**2 (tighter than x*x when the interval contains 0)."""
        a, b = self.lo * self.lo, self.hi * self.hi
        hi = np.maximum(a, b)
        lo = np.where((self.lo <= 0) & (self.hi >= 0), 0.0, np.minimum(a, b))
        return Interval._make(np.maximum(_down(lo), 0.0), _up(hi), "sqr")

    def sqrt(self) -> "Interval":
        """The square root, outward rounded, with the lower endpoint clamped at 0; NotProven if some lo < 0
        (an interval reaching below 0 is refused, not intersected with [0, inf))."""
        if (self.lo < 0).any():
            raise NotProven("square root of an interval reaching below 0")
        return Interval._make(np.maximum(_down(np.sqrt(self.lo)), 0.0), _up(np.sqrt(self.hi)), "sqrt")

    def acos(self) -> "Interval":
        """arccos, enclosed with arb on the exact endpoints (acos is decreasing: the image of [lo, hi] is
        [acos(hi), acos(lo)]), each end rounded outward to binary64; NotProven if an interval is not
        inside [-1, 1]."""
        if (self.lo < -1.0).any() or (self.hi > 1.0).any():
            raise NotProven("acos of an interval leaving [-1, 1]")
        # fresh 1-D outputs, filled in the C order of ravel() and reshaped back: correct for any memory
        # layout of the input (np.empty_like would keep a Fortran layout, whose reshape(-1) is a copy)
        flat_lo, flat_hi = self.lo.ravel(), self.hi.ravel()
        out_lo, out_hi = np.empty(flat_lo.size), np.empty(flat_hi.size)
        for t in range(flat_lo.size):
            out_lo[t] = arb_lower(arb(float(flat_hi[t])).acos())
            out_hi[t] = arb_upper(arb(float(flat_lo[t])).acos())
        return Interval._make(out_lo.reshape(self.lo.shape), out_hi.reshape(self.hi.shape), "acos")

    def sum(self, axis: int) -> "Interval":
        """Sum along an axis, as a loop of outward-rounded additions (the axis must not be empty: an empty
        one raises IndexError, not NotProven)."""
        lo = np.moveaxis(self.lo, axis, 0)
        hi = np.moveaxis(self.hi, axis, 0)
        acc = Interval(lo[0], hi[0], _checked=True)
        for t in range(1, lo.shape[0]):
            acc = acc + Interval(lo[t], hi[t], _checked=True)
        return acc

    def sum_pairwise(self, axis: int) -> "Interval":
        """Sum along an axis by pairwise (tree) summation of outward-rounded additions: sound like
        :meth:`sum` (every step is an interval addition), log2(n) vectorized steps, and usually
        tighter (about log2(n) instead of n widenings of the running sum).  The axis must not be empty."""
        lo = np.moveaxis(self.lo, axis, 0)
        hi = np.moveaxis(self.hi, axis, 0)
        acc = Interval(lo, hi, _checked=True)
        while acc.shape[0] > 1:
            m = acc.shape[0]
            half = m // 2
            paired = acc[:half] + acc[half:2 * half]
            if m % 2:
                paired = Interval(np.concatenate([paired.lo, acc.lo[2 * half:]]),
                                  np.concatenate([paired.hi, acc.hi[2 * half:]]), _checked=True)
            acc = paired
        return acc[0]

    # -- bounds -------------------------------------------------------------
    def mag(self) -> np.ndarray:
        """Upper bound of |x| for x in the interval."""
        return np.maximum(np.abs(self.lo), np.abs(self.hi))

    def mid_rad(self) -> tuple[np.ndarray, np.ndarray]:
        """(m, r) with [lo, hi] contained in [m - r, m + r]: r is bounded from the m actually computed, so
        this holds however m was rounded.  r is not checked for overflow (it is inf only when hi - lo is
        about the largest binary64 number)."""
        mid = 0.5 * self.lo + 0.5 * self.hi  # no overflow; halvings exact except for subnormal endpoints
        rad = _up(np.maximum(_up(self.hi - mid), _up(mid - self.lo)))
        return mid, rad

    def contains(self, x) -> np.ndarray:
        """Boolean array: lo <= x <= hi entrywise (x taken as float64)."""
        x = np.asarray(x, dtype=np.float64)
        return (self.lo <= x) & (x <= self.hi)

    def __repr__(self) -> str:
        """The endpoint arrays, for debugging."""
        return f"Interval(lo={self.lo!r}, hi={self.hi!r})"


def arb_lower(x: arb) -> float:
    """A binary64 value <= every point of the ball x (NotProven if x is not finite)."""
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.lower())  # lower() is an exact 53-bit value at the default precision
    return v if arb(v) <= x.lower() else float(np.nextafter(v, -_INF))


def arb_upper(x: arb) -> float:
    """A binary64 value >= every point of the ball x (NotProven if x is not finite)."""
    if not x.is_finite():
        raise NotProven("arb enclosure is not finite")
    v = float(x.upper())
    return v if arb(v) >= x.upper() else float(np.nextafter(v, _INF))


def pi() -> Interval:
    """An enclosure of pi."""
    p = arb.pi()
    return Interval(arb_lower(p), arb_upper(p))


# ----------------------------------------------------------------------------- norms


def sum_upper(values: np.ndarray) -> float:
    """An upper bound of the exact sum of the given binary64 values (1-D)."""
    acc = 0.0
    for v in np.asarray(values, dtype=np.float64).ravel():
        acc = float(_up(np.float64(acc) + np.float64(v)))
    if not np.isfinite(acc):
        raise NotProven("non-finite sum")
    return acc


def norm2_upper(x: Interval) -> float:
    """Upper bound of sup ||x||_2 over the interval vector (all entries)."""
    m = x.mag().ravel()
    sq = _up(m * m)
    s = sum_upper(sq)
    return float(_up(np.sqrt(s)))


def row_sums_upper(a: np.ndarray) -> np.ndarray:
    """Upper bounds of the exact row sums of a nonnegative binary64 matrix."""
    a = np.asarray(a, dtype=np.float64)
    acc = np.zeros(a.shape[0])
    for t in range(a.shape[1]):
        acc = _up(acc + a[:, t])
    if not np.all(np.isfinite(acc)):
        raise NotProven("non-finite row sum")
    return acc


def norm2_upper_nonneg(r: np.ndarray) -> float:
    """Upper bound of ||R||_2 for a nonnegative matrix R: max(||R||_1, ||R||_inf)
    (since ||R||_2 <= sqrt(||R||_1 ||R||_inf))."""
    r = np.asarray(r, dtype=np.float64)
    if r.size == 0:
        return 0.0
    return float(max(row_sums_upper(r).max(), row_sums_upper(r.T).max()))


# ----------------------------------------------------------------------------- rounding error of sums

UNIT_ROUNDOFF = 2.0**-53  # u of binary64 (round to nearest)
SMALLEST_SUBNORMAL = 2.0**-1074  # eta: the smallest positive binary64 number
_U = UNIT_ROUNDOFF


def gamma_upper(m: int) -> float:
    """An upper bound of gamma_m = m u / (1 - m u) (Higham), for m u < 1/2."""
    if not 0 <= m * _U < 0.5:
        raise NotProven("too many operations for the gamma_m rounding bound")
    return float(_up(_up(2.0 * m) * _U))  # m u / (1 - m u) <= 2 m u when m u <= 1/2

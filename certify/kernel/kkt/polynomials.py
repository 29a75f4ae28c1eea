"""Exact univariate polynomials over the rationals and their signs on (0, t0].

TRUSTED (docs/kkt.md).  Exact arithmetic only: ``fractions.Fraction`` for the
ring operations, python-flint's exact ``fmpq_poly`` / ``fmpz_poly`` for the
Sturm sequences; no floating point anywhere.  Small on purpose: read it whole.

A polynomial is a :class:`Poly` holding a tuple of ``Fraction`` coefficients
in ascending powers of ``t`` (trailing zeros removed; the zero polynomial has
no coefficients).

Theorem used (Sturm, 1829; e.g. Basu-Pollack-Roy, *Algorithms in Real
Algebraic Geometry*, Thm. 2.50): let q be a non-zero real polynomial,
q_0 = q, q_1 = q', q_{k+1} = -rem(q_{k-1}, q_k) until the remainder is zero,
and V(c) the number of sign changes (zeros dropped) in q_0(c), q_1(c), ....
If a < b and q(a) != 0, q(b) != 0, the number of *distinct* real roots of q
in (a, b) is V(a) - V(b).  (This holds whether or not q is square-free: the
sequence is the square-free one multiplied by gcd(q, q'), which does not
vanish at a or b.)  Multiplying a member of the sequence by a positive
constant changes no sign (and rem(aA, bB) = a rem(A, B) for a, b > 0), so each
member is replaced by the primitive integer polynomial that is a positive
rational multiple of it: its coefficients stay as small as the
subresultants', and the arithmetic runs in python-flint's exact integers.

:func:`sign_on_interval` decides the sign of p on (0, t0]: it writes
p = t^k q with q(0) != 0 (t^k > 0 on (0, t0], so p and q have the same sign
and roots there), requires q(t0) != 0 and V(0) - V(t0) = 0 (no root of q in
(0, t0)), so q has no root in (0, t0] and, being continuous, has the sign of
q(t0) on the whole interval.  Otherwise a root lies in (0, t0] and the sign
is not constant: it raises NotProven.
"""
from __future__ import annotations

from fractions import Fraction
from math import isqrt
from typing import Iterable, Union

from flint import fmpq, fmpq_poly, fmpz_poly

from ..certificate import NotProven

Number = Union[int, Fraction]


class Poly:
    """A polynomial with rational coefficients, ascending powers of t."""

    __slots__ = ("c",)

    def __init__(self, coeffs: Iterable[Number] = ()):
        """The polynomial sum_i coeffs[i] t^i; each coefficient is converted to a Fraction exactly (a float
        would be taken at its exact binary value: callers pass ints and Fractions), trailing zeros
        removed."""
        c = [Fraction(a) for a in coeffs]
        while c and c[-1] == 0:
            c.pop()
        self.c: tuple[Fraction, ...] = tuple(c)

    # ------------------------------------------------------------ basics
    @staticmethod
    def const(a: Number) -> "Poly":
        """The constant polynomial a."""
        return Poly((a,))

    def is_zero(self) -> bool:
        """True for the zero polynomial (no coefficients)."""
        return not self.c

    @property
    def degree(self) -> int:
        """Degree; -1 for the zero polynomial."""
        return len(self.c) - 1

    def __repr__(self) -> str:
        """The coefficients as exact strings, ascending powers, for debugging."""
        return f"Poly({[str(a) for a in self.c]})"

    def __eq__(self, other) -> bool:
        """Equal coefficient tuples; an int or Fraction compares as a constant polynomial, anything else is
        unequal."""
        if isinstance(other, (int, Fraction)):
            other = Poly.const(other)
        return isinstance(other, Poly) and self.c == other.c

    def __hash__(self) -> int:
        """The hash of the coefficient tuple (equal polynomials hash equally; a constant Poly and the equal
        int need not)."""
        return hash(self.c)

    @staticmethod
    def lift(x) -> "Poly":
        """``x`` as a Poly: x itself, or the constant polynomial of an int or Fraction; a bool, a float or
        anything else raises TypeError (no inexact number enters through an operator)."""
        if isinstance(x, Poly):
            return x
        if isinstance(x, (int, Fraction)) and not isinstance(x, bool):
            return Poly.const(x)
        raise TypeError(f"cannot combine a polynomial with {type(x).__name__}")

    # ------------------------------------------------------------ ring operations
    def __add__(self, other) -> "Poly":
        """The exact sum (an int or Fraction operand is lifted to a constant)."""
        o = Poly.lift(other)
        n = max(len(self.c), len(o.c))
        a = self.c + (Fraction(0),) * (n - len(self.c))
        b = o.c + (Fraction(0),) * (n - len(o.c))
        return Poly(x + y for x, y in zip(a, b))

    __radd__ = __add__

    def __neg__(self) -> "Poly":
        """The negated polynomial."""
        return Poly(-x for x in self.c)

    def __sub__(self, other) -> "Poly":
        """The exact difference self - other."""
        return self + (-Poly.lift(other))

    def __rsub__(self, other) -> "Poly":
        """The exact difference other - self."""
        return Poly.lift(other) - self

    def __mul__(self, other) -> "Poly":
        """The exact product (schoolbook multiplication; an int or Fraction operand is lifted)."""
        o = Poly.lift(other)
        if not self.c or not o.c:
            return Poly()
        out = [Fraction(0)] * (len(self.c) + len(o.c) - 1)
        for i, x in enumerate(self.c):
            if x == 0:
                continue
            for j, y in enumerate(o.c):
                out[i + j] += x * y
        return Poly(out)

    __rmul__ = __mul__

    def __call__(self, t: Number) -> Fraction:
        """Exact value at a rational t (Horner)."""
        t = Fraction(t)
        acc = Fraction(0)
        for a in reversed(self.c):
            acc = acc * t + a
        return acc

    def derivative(self) -> "Poly":
        """The derivative d/dt, exactly."""
        return Poly(i * a for i, a in enumerate(self.c) if i > 0)

    def rem(self, divisor: "Poly") -> "Poly":
        """Remainder of division by a non-zero polynomial."""
        if divisor.is_zero():
            raise ZeroDivisionError("polynomial division by zero")
        r = list(self.c)
        d = divisor.c
        lead = d[-1]
        while len(r) >= len(d):
            if r[-1] != 0:
                f = r[-1] / lead
                off = len(r) - len(d)
                for k, dk in enumerate(d):
                    r[off + k] -= f * dk
            r.pop()  # the leading coefficient is now exactly zero
            while r and r[-1] == 0:
                r.pop()
        return Poly(r)

    def strip_t(self) -> tuple[int, "Poly"]:
        """(k, q) with self = t^k q and q(0) != 0 (self non-zero)."""
        k = 0
        while k < len(self.c) and self.c[k] == 0:
            k += 1
        return k, Poly(self.c[k:])


def _to_flint(p: Poly) -> fmpq_poly:
    """The same polynomial as a python-flint ``fmpq_poly`` (exact)."""
    return fmpq_poly([fmpq(a.numerator, a.denominator) for a in p.c])


def _primitive(p: fmpq_poly) -> fmpz_poly:
    """A positive multiple of p with coprime integer coefficients (p non-zero).

    ``numer()`` is p times its positive common denominator; dividing by the
    (positive) content keeps every sign.  Keeping the members primitive keeps
    their coefficients as small as the subresultants (no exponential growth)."""
    z = p.numer()
    c = z.content()
    return z if c == 1 else fmpz_poly([a // c for a in z.coeffs()])


def sturm_sequence(q: Poly) -> list[fmpz_poly]:
    """q, q', -rem(...), ... (each a positive multiple of the classical member)."""
    if q.is_zero():
        raise ValueError("Sturm sequence of the zero polynomial")
    seq = [_primitive(_to_flint(q))]
    d = _to_flint(q).derivative()
    if d == 0:
        return seq
    seq.append(_primitive(d))
    while True:
        # exact remainder over Q; a positive multiple of a member gives a positive multiple of the remainder
        r = -(fmpq_poly(seq[-2]) % fmpq_poly(seq[-1]))
        if r == 0:
            return seq
        seq.append(_primitive(r))


def sturm_work(p: Poly) -> int:
    """An estimate of the cost of :func:`sign_on_interval` on p (used only to refuse, never to decide).

    With D the degree and H the height in bits of the primitive integer
    multiple of p (after removing the factor t^k), the cost measured on the
    2-core development machine is about D^3 H^1.25 / 3.8e8 seconds (fitted on
    random dense polynomials, D = 8..64, H = 15..86000 bits; within a factor
    1.5).  Returns the integer D^3 H isqrt(isqrt(H)) (0 for constants)."""
    if p.is_zero():
        return 0
    _, q = p.strip_t()
    if q.degree < 1:
        return 0
    h = max(int(_primitive(_to_flint(q)).height_bits()), 1)
    return q.degree ** 3 * h * isqrt(isqrt(h))


def sign_changes(seq: list[fmpz_poly], t: Number) -> int:
    """V(t) of Sturm's theorem: the number of sign changes of the sequence evaluated exactly at the
    rational t, zeros dropped."""
    t = Fraction(t)
    at = fmpq(t.numerator, t.denominator)
    signs = [v > 0 for v in (p(at) for p in seq) if v != 0]
    return sum(1 for a, b in zip(signs, signs[1:]) if a != b)


def count_roots_open(q: Poly, a: Number, b: Number) -> int:
    """Number of distinct real roots of q in (a, b); requires a < b, q(a) != 0 != q(b)."""
    a, b = Fraction(a), Fraction(b)
    if not a < b:
        raise ValueError("count_roots_open needs a < b")
    if q(a) == 0 or q(b) == 0:
        raise ValueError("count_roots_open needs q(a) != 0 and q(b) != 0")
    seq = sturm_sequence(q)
    return sign_changes(seq, a) - sign_changes(seq, b)


def sign_on_interval(p: Poly, t0: Fraction) -> int:
    """The constant sign of p on (0, t0]: +1, -1, or 0 when p is the zero polynomial.

    Raises NotProven when p has a root in (0, t0] (its sign is then not
    constant, or it vanishes somewhere).  Requires t0 > 0.
    """
    t0 = Fraction(t0)
    if not t0 > 0:
        raise NotProven(f"t0 must be positive, got {t0}")
    if p.is_zero():
        return 0
    _, q = p.strip_t()
    end = q(t0)
    if end == 0:
        raise NotProven(f"root at t = t0 = {t0}")
    if q.degree >= 1 and count_roots_open(q, 0, t0) > 0:
        raise NotProven(f"root inside (0, {t0}]")
    return 1 if end > 0 else -1

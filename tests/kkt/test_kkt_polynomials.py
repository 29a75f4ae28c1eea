"""Exact polynomial arithmetic and Sturm root counting (certify.kernel.kkt.polynomials)."""
from fractions import Fraction as F
import random

import pytest

from certify.kernel.certificate import NotProven
from certify.kernel.kkt.polynomials import Poly, count_roots_open, sign_on_interval


def from_roots(roots, extra=(1,)):
    p = Poly(extra)
    for r in roots:
        p = p * Poly((-F(r), 1))
    return p


def test_ring_operations_and_evaluation():
    p = Poly((1, 2, 3))  # 1 + 2t + 3t^2
    q = Poly((F(-1, 2), 1))
    assert (p * q)(F(1, 3)) == p(F(1, 3)) * q(F(1, 3))
    assert (p + q - p) == q
    assert (p - p).is_zero() and (p - p).degree == -1
    assert p.derivative() == Poly((2, 6))
    assert Poly((0, 0, 5, 1)).strip_t() == (2, Poly((5, 1)))


def test_sturm_counts_distinct_roots_against_known_roots():
    rng = random.Random(1)
    for _ in range(200):
        roots = [F(rng.randint(-30, 30), rng.randint(1, 7)) for _ in range(rng.randint(1, 5))]
        roots += roots[: rng.randint(0, 2)]  # repeated roots: Sturm counts distinct ones
        extra = (1, 0, 1) if rng.random() < 0.5 else (rng.randint(1, 5),)  # t^2 + 1 has no real root
        p = from_roots(roots, extra)
        a, b = F(rng.randint(-20, 0), 3), F(rng.randint(1, 20), 3)
        if p(a) == 0 or p(b) == 0:
            continue
        expected = len({r for r in roots if a < r < b})
        assert count_roots_open(p, a, b) == expected


def test_sign_on_interval():
    t0 = F(1, 2)
    assert sign_on_interval(Poly(), t0) == 0
    assert sign_on_interval(Poly((0, 0, 1)), t0) == 1  # t^2 > 0 on (0, t0]
    assert sign_on_interval(Poly((0, -1, 0, 1)), t0) == -1  # t^3 - t < 0 on (0, 1/2]
    with pytest.raises(NotProven, match="root inside"):
        sign_on_interval(from_roots([F(1, 3)]), t0)
    with pytest.raises(NotProven, match="root at t = t0"):
        sign_on_interval(from_roots([F(1, 2)]), t0)
    with pytest.raises(NotProven, match="root inside"):
        sign_on_interval(from_roots([F(1, 4), F(1, 4)]), t0)  # double root: sign constant but a zero
    with pytest.raises(NotProven):
        sign_on_interval(Poly((1,)), F(0))
    # a root just beyond t0 is fine
    assert sign_on_interval(from_roots([F(501, 1000)]), t0) == -1


def test_sturm_members_are_primitive_positive_multiples():
    """The sequence keeps integer coefficients small (primitive) and only positive rescalings."""
    from functools import reduce
    from math import gcd

    from flint import fmpq

    from certify.kernel.kkt.polynomials import sturm_sequence

    p = from_roots([F(1, 3), F(2, 7), F(-5, 2)], (F(3, 4),))
    seq = sturm_sequence(p)
    assert len(seq) == 4
    for member in seq:
        assert reduce(gcd, [int(c) for c in member.coeffs()]) == 1
    # the first member is p times a positive constant: same sign at every sample point
    for t in (F(-3), F(0), F(1, 5), F(1, 2), F(4)):
        assert (p(t) > 0) == (seq[0](fmpq(t.numerator, t.denominator)) > 0)


def test_sturm_work_grows_with_degree_and_height():
    from certify.kernel.kkt.polynomials import sturm_work

    small = from_roots([F(1, 3), F(2, 7)])
    assert sturm_work(Poly()) == 0 and sturm_work(Poly((5,))) == 0 and sturm_work(Poly((0, 0, 7))) == 0
    assert 0 < sturm_work(small) < sturm_work(small * small) < sturm_work(small * small * Poly((F(10**50 + 1, 3), 1)))

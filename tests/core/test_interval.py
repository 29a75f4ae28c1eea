"""certify.kernel.interval: outward-rounded binary64 interval arithmetic and Rump's PD test.

Containment is checked against exact rational results (fractions.Fraction,
every binary64 value converts exactly) or high-precision mpmath values.
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import numpy as np
import pytest

from certify.kernel.definite import (SymmetricMidRad, cholesky_succeeds, cholesky_succeeds_midrad,
                                     min_eigenvalue_lower_bound, min_eigenvalue_lower_bound_midrad, symmetric_part)
from certify.kernel.eigen_estimate import estimate_min_eigenvalue
from certify.kernel.interval import Interval, NotProven, gamma_upper, norm2_upper, norm2_upper_nonneg, pi, sum_upper

# overflow/invalid-value warnings are expected where non-finite results must be refused
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

TINY = 5e-324  # smallest positive subnormal
MIN_NORMAL = 2.2250738585072014e-308

EDGE = [
    0.0, -0.0, TINY, -TINY, 3 * TINY, MIN_NORMAL, -MIN_NORMAL, MIN_NORMAL / 3, 1e-310,
    1.0, -1.0, 0.1, -0.3, 1 / 3, 2.0**-52, 1 + 2.0**-52, 1e-200, 1e200, -1e150, 1e300, -1e300,
    1.7976931348623157e308 / 4,
]


def _random_values(rng, n):
    """Random binary64 values over the whole exponent range, incl. subnormals and huge ones."""
    bits = rng.integers(0, 2**63, size=n, dtype=np.uint64) | (rng.integers(0, 2, size=n, dtype=np.uint64) << 63)
    vals = bits.view(np.float64)
    vals = vals[np.isfinite(vals)]
    sub = rng.uniform(-1, 1, size=n // 4) * MIN_NORMAL  # subnormals
    mid = rng.standard_normal(n // 4) * 10.0 ** rng.integers(-5, 5, size=n // 4)
    return np.concatenate([vals, sub, mid, np.array(EDGE)])


def _F(x) -> Fraction:
    return Fraction(float(x))


def _assert_contains(iv: Interval, exact: Fraction):
    assert _F(iv.lo) <= exact <= _F(iv.hi), (float(iv.lo), float(exact), float(iv.hi))


def _pairs(rng, n=400):
    vals = _random_values(rng, n)
    a = rng.choice(vals, size=n)
    b = rng.choice(vals, size=n)
    return a, b


# --------------------------------------------------------------------------- point operations


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_point_operations_contain_exact_result(op):
    rng = np.random.default_rng({"add": 1, "sub": 2, "mul": 3, "div": 4}[op])
    a, b = _pairs(rng, 600)
    checked = 0
    for x, y in zip(a, b):
        X, Y = Interval.point(x), Interval.point(y)
        fx, fy = _F(x), _F(y)
        if op == "div" and y == 0:
            with pytest.raises(NotProven):
                X / Y
            continue
        exact = {"add": lambda: fx + fy, "sub": lambda: fx - fy, "mul": lambda: fx * fy, "div": lambda: fx / fy}[op]()
        try:
            r = {"add": lambda: X + Y, "sub": lambda: X - Y, "mul": lambda: X * Y, "div": lambda: X / Y}[op]()
        except NotProven:
            # only allowed when the exact result (nearly) overflows binary64
            assert abs(exact) > Fraction(1.7976931348623157e308) / 2
            continue
        _assert_contains(r, exact)
        # the enclosure is tight: at most a few ulps wide
        if abs(exact) > Fraction(MIN_NORMAL):
            width = _F(r.hi) - _F(r.lo)
            assert width <= abs(exact) * Fraction(2) ** -49
        checked += 1
    assert checked > 400


def test_exact_operations_still_widen_outward():
    # 1 + 1 = 2 exactly; the enclosure must still contain 2 and be one ulp either side at most
    r = Interval.point(1.0) + 1.0
    assert r.lo < 2.0 < r.hi
    assert r.lo == np.nextafter(2.0, 0) and r.hi == np.nextafter(2.0, 3)


def test_subnormal_underflow_is_enclosed():
    # the exact product is far below the smallest subnormal, but positive
    r = Interval.point(1e-200) * Interval.point(1e-200)
    assert r.lo <= 0.0 < r.hi
    assert _F(r.lo) <= Fraction(1e-200) ** 2 <= _F(r.hi)
    r = Interval.point(TINY) / 3.0
    _assert_contains(r, Fraction(TINY) / 3)
    r = Interval.point(TINY) - TINY * 2
    _assert_contains(r, -Fraction(TINY))


def test_overflow_raises_not_proven():
    big = Interval.point(1.7976931348623157e308)
    with pytest.raises(NotProven):
        big + big
    with pytest.raises(NotProven):
        big * 2.0
    with pytest.raises(NotProven):
        big.sqr()
    with pytest.raises(NotProven):
        Interval.point(1.0) / 1e-320


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_interval_operations_contain_all_exact_combinations(op):
    rng = np.random.default_rng(10 + ["add", "sub", "mul", "div"].index(op))
    for _ in range(150):
        a = np.sort(rng.standard_normal(2) * 10.0 ** rng.integers(-3, 4))
        b = np.sort(rng.standard_normal(2) * 10.0 ** rng.integers(-3, 4))
        if op == "div" and b[0] <= 0 <= b[1]:
            b = np.abs(b) + 0.5
            b.sort()
        A, B = Interval(a[0], a[1]), Interval(b[0], b[1])
        r = {"add": lambda: A + B, "sub": lambda: A - B, "mul": lambda: A * B, "div": lambda: A / B}[op]()
        xs = [_F(a[0]), _F(a[1]), (_F(a[0]) + _F(a[1])) / 2]
        ys = [_F(b[0]), _F(b[1]), (_F(b[0]) + 2 * _F(b[1])) / 3]
        for x in xs:
            for y in ys:
                exact = {"add": x + y, "sub": x - y, "mul": x * y, "div": None}[op] if op != "div" else x / y
                _assert_contains(r, exact)


def test_vectorized_operations_match_elementwise():
    rng = np.random.default_rng(5)
    lo = rng.standard_normal((3, 4))
    hi = lo + rng.uniform(0, 1, (3, 4))
    X = Interval(lo, hi)
    Y = Interval(np.abs(hi) + 1, np.abs(hi) + 2)
    Z = X * Y - X / Y
    for i in range(3):
        for j in range(4):
            x = Interval(lo[i, j], hi[i, j])
            y = Interval(abs(hi[i, j]) + 1, abs(hi[i, j]) + 2)
            z = x * y - x / y
            assert Z.lo[i, j] == z.lo and Z.hi[i, j] == z.hi


def test_reverse_operations_with_scalars():
    x = Interval(2.0, 3.0)
    r = 1.0 - x
    assert r.lo <= -2.0 and r.hi >= -1.0 and r.hi < 0
    r = 6.0 / x
    assert r.lo <= 2.0 and r.hi >= 3.0 and r.lo > 1.9
    r = 2.0 * x + 1.0
    assert r.lo <= 5.0 and r.hi >= 7.0 and r.lo > 4.9
    r = -x
    assert r.lo == -3.0 and r.hi == -2.0


# --------------------------------------------------------------------------- sqr, sqrt


def test_sqr_contains_exact_square_and_is_nonnegative():
    rng = np.random.default_rng(20)
    vals = _random_values(rng, 400)
    vals = vals[np.abs(vals) < 1e150]
    for x in vals:
        r = Interval.point(x).sqr()
        _assert_contains(r, _F(x) ** 2)
        assert r.lo >= 0.0
    # intervals straddling 0: the square's lower end is 0, not negative
    r = Interval(-2.0, 3.0).sqr()
    assert r.lo == 0.0 and r.hi >= 9.0
    r = Interval(-3.0, -2.0).sqr()
    assert r.lo <= 4.0 <= 9.0 <= r.hi and r.lo > 3.9


def test_sqrt_contains_exact_root():
    rng = np.random.default_rng(21)
    vals = np.abs(_random_values(rng, 400))
    for x in vals:
        r = Interval.point(x).sqrt()
        lo, hi = _F(r.lo), _F(r.hi)
        assert lo >= 0
        assert lo * lo <= _F(x) <= hi * hi


@pytest.mark.parametrize("lo,hi", [(-1.0, 4.0), (-TINY, 1.0), (-1e-300, -1e-300), (-4.0, -1.0)])
def test_sqrt_of_negative_raises(lo, hi):
    with pytest.raises(NotProven):
        Interval(lo, hi).sqrt()


# --------------------------------------------------------------------------- division by zero


@pytest.mark.parametrize("lo,hi", [(-1.0, 1.0), (0.0, 1.0), (-1.0, 0.0), (0.0, 0.0), (-0.0, 2.0), (-TINY, TINY)])
def test_division_by_interval_containing_zero_raises(lo, hi):
    with pytest.raises(NotProven):
        Interval(1.0, 2.0) / Interval(lo, hi)
    with pytest.raises(NotProven):
        3.0 / Interval(lo, hi)


def test_division_by_zero_in_one_entry_of_a_vector_raises():
    with pytest.raises(NotProven):
        Interval([1.0, 1.0]) / Interval([2.0, 0.0])


# --------------------------------------------------------------------------- acos, pi


def test_acos_encloses_high_precision_value():
    mpmath.mp.prec = 300
    try:
        rng = np.random.default_rng(30)
        xs = list(rng.uniform(-1, 1, 200)) + [-1.0, 1.0, 0.0, -0.0, 0.5, -0.5, 1 - 2.0**-53, -1 + 2.0**-53,
                                               TINY, 1e-300, np.nextafter(1.0, 0)]
        for x in xs:
            r = Interval.point(x).acos()
            exact = mpmath.acos(mpmath.mpf(float(x)))
            assert mpmath.mpf(float(r.lo)) <= exact <= mpmath.mpf(float(r.hi)), x
            assert float(r.hi) - float(r.lo) <= 4e-15 * max(1.0, abs(float(exact)))
        # an interval argument: acos is decreasing, the image is [acos(hi), acos(lo)]
        r = Interval(-0.25, 0.75).acos()
        for t in np.linspace(-0.25, 0.75, 11):
            v = mpmath.acos(mpmath.mpf(float(t)))
            assert mpmath.mpf(float(r.lo)) <= v <= mpmath.mpf(float(r.hi))
    finally:
        mpmath.mp.prec = 53


@pytest.mark.parametrize("lo,hi", [(-1.5, 0.0), (0.0, 1.0 + 2.0**-52), (2.0, 3.0)])
def test_acos_outside_domain_raises(lo, hi):
    with pytest.raises(NotProven):
        Interval(lo, hi).acos()


def test_pi_enclosure():
    mpmath.mp.prec = 300
    try:
        p = pi()
        assert mpmath.mpf(float(p.lo)) <= mpmath.pi <= mpmath.mpf(float(p.hi))
        assert float(p.lo) < math.pi * (1 + 1e-15) and float(p.hi) > math.pi * (1 - 1e-15)
        assert float(p.hi) - float(p.lo) <= 2 * 2.0**-51
    finally:
        mpmath.mp.prec = 53


# --------------------------------------------------------------------------- construction


@pytest.mark.parametrize("lo,hi", [
    (np.nan, 1.0), (0.0, np.nan), (np.inf, np.inf), (-np.inf, 0.0), (0.0, np.inf),
    ([1.0, np.nan], [2.0, 3.0]), ([1.0, 2.0], [2.0, np.inf]),
])
def test_non_finite_input_raises(lo, hi):
    with pytest.raises(NotProven):
        Interval(lo, hi)


@pytest.mark.parametrize("x", [np.nan, np.inf, -np.inf])
def test_non_finite_point_raises(x):
    with pytest.raises(NotProven):
        Interval.point(x)
    with pytest.raises(NotProven):
        Interval(x)


def test_malformed_interval_raises():
    with pytest.raises(NotProven):
        Interval(2.0, 1.0)
    with pytest.raises(NotProven):
        Interval([1.0, 2.0], [3.0])
    with pytest.raises(NotProven):
        Interval.around(1.0, -1e-3)
    with pytest.raises(NotProven):
        Interval.around(1.0, np.nan)


def test_around_contains_box_endpoints():
    rng = np.random.default_rng(40)
    x = rng.standard_normal(50)
    r = 10.0 ** rng.uniform(-17, -1, 50)
    box = Interval.around(x, r)
    for xi, ri, lo, hi in zip(x, r, box.lo, box.hi):
        assert _F(lo) <= _F(xi) - _F(ri) and _F(xi) + _F(ri) <= _F(hi)


def test_sum_and_mid_rad_and_contains():
    rng = np.random.default_rng(41)
    vals = rng.standard_normal((7, 3)) * 1e3
    X = Interval(vals, vals + 0.5)
    s = X.sum(axis=0)
    for j in range(3):
        exact_lo = sum(_F(v) for v in vals[:, j])
        exact_hi = sum(_F(v) for v in vals[:, j] + 0.5)
        assert _F(s.lo[j]) <= exact_lo and exact_hi <= _F(s.hi[j])
    m, r = X.mid_rad()
    for lo, hi, mm, rr in zip(X.lo.ravel(), X.hi.ravel(), m.ravel(), r.ravel()):
        assert _F(mm) - _F(rr) <= _F(lo) and _F(hi) <= _F(mm) + _F(rr)
    assert X.contains(vals + 0.25).all()
    assert not X.contains(vals - 0.25).any()
    assert np.all(X.mag() >= np.abs(vals))


def test_mid_rad_on_subnormal_and_huge_intervals():
    for lo, hi in [(TINY, 3 * TINY), (-TINY, TINY), (-1e308, 1e308), (0.0, TINY)]:
        X = Interval(lo, hi)
        m, r = X.mid_rad()
        assert np.isfinite(m) and np.isfinite(r)
        assert _F(m) - _F(r) <= _F(lo) and _F(hi) <= _F(m) + _F(r)


def test_sum_upper_and_norms():
    rng = np.random.default_rng(42)
    vals = rng.standard_normal(100) * 10.0 ** rng.integers(-10, 10, 100)
    assert Fraction(sum_upper(vals)) >= sum(_F(v) for v in vals)
    x = Interval(vals - 1e-3, vals + 1e-3)
    n2 = norm2_upper(x)
    exact_sq = sum(max(abs(_F(a)), abs(_F(b))) ** 2 for a, b in zip(x.lo, x.hi))
    assert Fraction(n2) ** 2 >= exact_sq
    assert n2 <= float(np.sqrt(float(exact_sq))) * (1 + 1e-12)
    R = np.abs(rng.standard_normal((6, 6)))
    assert norm2_upper_nonneg(R) >= np.linalg.norm(R, 2)
    assert norm2_upper_nonneg(np.zeros((0, 0))) == 0.0
    with pytest.raises(NotProven):
        sum_upper([1.7976931348623157e308, 1.7976931348623157e308])


# --------------------------------------------------------------------------- positive definiteness


def _exact_lambda_min(A: np.ndarray) -> mpmath.mpf:
    """lambda_min of the binary64 matrix A, computed with 120-digit arithmetic."""
    with mpmath.workdps(120):
        ev = mpmath.eigsy(mpmath.matrix(A.tolist()), eigvals_only=True)
        return min(ev[i] for i in range(A.shape[0]))


def _random_spd(rng, n, eigs):
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = (Q * eigs) @ Q.T
    return (A + A.T) / 2


@pytest.mark.parametrize("n,cond", [(2, 10.0), (5, 1e3), (12, 1e6), (30, 1e2)])
def test_min_eigenvalue_lower_bound_proves_spd(n, cond):
    rng = np.random.default_rng(n)
    eigs = np.geomspace(1.0 / cond, 1.0, n) * rng.uniform(0.5, 2.0)
    A = _random_spd(rng, n, eigs)
    mu = min_eigenvalue_lower_bound(Interval.point(A))
    true = _exact_lambda_min(A)
    assert 0 < mu
    assert mpmath.mpf(mu) <= true
    assert mu >= 0.5 * float(true)  # not uselessly loose for a well-conditioned point matrix


def test_min_eigenvalue_lower_bound_is_sound_for_interval_matrices():
    rng = np.random.default_rng(50)
    n = 8
    A = _random_spd(rng, n, np.linspace(0.1, 2.0, n))
    rad = np.full((n, n), 1e-3)
    H = Interval(A - rad, A + rad)
    mu = min_eigenvalue_lower_bound(H)
    assert 0 < mu <= 0.1 - 1e-3 * n + 1e-12  # Weyl: the box contains A - 1e-3*J (lambda_min 0.1 - 8e-3)
    for _ in range(200):  # random symmetric vertices of the interval matrix
        S = rng.choice([-1.0, 1.0], size=(n, n))
        S = np.triu(S) + np.triu(S, 1).T
        B = A + 1e-3 * S
        assert mu <= np.linalg.eigvalsh(B)[0] + 1e-12


def test_wrong_target_still_gives_sound_bound():
    rng = np.random.default_rng(51)
    A = _random_spd(rng, 6, np.array([1.0, 2, 3, 4, 5, 6]))
    for target in [1e6, 3.0, 1e-8]:
        mu = min_eigenvalue_lower_bound(Interval.point(A), target=target)
        assert 0 < mu and mpmath.mpf(mu) <= _exact_lambda_min(A)


@pytest.mark.parametrize("smallest", [-1.0, -1e-10, -1e-300])
def test_rejects_indefinite_matrix(smallest):
    rng = np.random.default_rng(52)
    A = _random_spd(rng, 6, np.array([smallest, 1, 2, 3, 4, 5]))
    assert _exact_lambda_min(A) < 0 or smallest > -1e-14  # rounding may move a tiny eigenvalue
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval.point(A))


@pytest.mark.parametrize("A", [
    np.array([[1.0, 1.0], [1.0, 1.0]]),  # exactly singular
    np.zeros((3, 3)),
    np.diag([1.0, 2.0, 0.0]),
    np.array([[0.0, 1.0], [1.0, 0.0]]),
    np.array([[4.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 5.0]]),  # singular, positive diagonal
])
def test_rejects_singular_and_indefinite_exact_matrices(A):
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval.point(A))
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval.point(A), target=0.5)


def test_rejects_interval_matrix_containing_an_indefinite_matrix():
    n = 3
    mid = 0.1 * np.eye(n)
    rad = np.full((n, n), 0.2)  # contains 0.1 I - 0.2 J, lambda_min = 0.1 - 0.6 < 0
    assert np.linalg.eigvalsh(mid - 0.2 * np.ones((n, n)))[0] < 0
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval(mid - rad, mid + rad))
    # the same midpoint with a radius too small to matter is proven
    small = np.full((n, n), 1e-4)
    mu = min_eigenvalue_lower_bound(Interval(mid - small, mid + small))
    assert 0 < mu <= 0.1 - 3e-4 + 1e-15


def test_rejects_interval_matrix_with_radius_just_above_margin():
    # mid = I (lambda_min 1), an entrywise radius 0.4 on a 3x3 contains I - 0.4 J (lambda_min -0.2)
    mid = np.eye(3)
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval(mid - 0.4, mid + 0.4))
    mu = min_eigenvalue_lower_bound(Interval(mid - 0.3, mid + 0.3))  # I - 0.3 J: lambda_min 0.1
    assert 0 < mu <= 0.1


def test_symmetric_part_and_cholesky_test_edge_cases():
    with pytest.raises(NotProven):
        symmetric_part(Interval(np.array([[1.0, 0.0], [1.0, 1.0]])))  # no symmetric member
    assert not cholesky_succeeds(np.array([[1.0, 0.5], [0.4, 1.0]]), 0.0, 0.0)  # not symmetric
    assert not cholesky_succeeds(np.array([[np.nan]]), 0.0, 0.0)
    assert not cholesky_succeeds(np.zeros((0, 0)), 0.0, 0.0)
    assert cholesky_succeeds(np.eye(4), 0.0, 0.5)
    assert not cholesky_succeeds(np.eye(4), 0.0, 1.0)  # lambda_min(I - I) = 0 is not > 0
    assert not cholesky_succeeds(np.eye(4), 1.0, 0.0)  # radius norm 1 can reach the singular I - I



# --------------------------------------------------------------- midpoint + radius-norm matrices (dense check)


def _spd(n, lam_min, seed=0):
    rng = np.random.default_rng(seed)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.concatenate([[lam_min], rng.uniform(lam_min, 10.0, n - 1)])
    A = (Q * lam) @ Q.T
    return np.triu(A) + np.triu(A, 1).T  # exactly symmetric


def test_gamma_upper_bounds_gamma_m():
    u = Fraction(1, 2**53)
    for m in (1, 2, 6, 100, 10**6):
        g = Fraction(gamma_upper(m))
        assert g >= m * u / (1 - m * u)
        assert g <= 3 * m * u
    with pytest.raises(NotProven):
        gamma_upper(2**52)


def test_symmetric_midrad_validates_its_input():
    A = _spd(5, 1.0)
    S = SymmetricMidRad(A, 1e-3)
    assert S.shape == (5, 5)
    assert np.all(S.lo <= A - 1e-3) and np.all(A + 1e-3 <= S.hi)
    B = A.copy()
    B[0, 1] = np.nextafter(B[0, 1], 1.0)  # one ulp off symmetry
    with pytest.raises(NotProven, match="symmetric"):
        SymmetricMidRad(B, 0.0)
    B = A.copy()
    B[2, 3] = B[3, 2] = np.nan
    with pytest.raises(NotProven):
        SymmetricMidRad(B, 0.0)
    B = A.copy()
    B[1, 1] = np.inf
    with pytest.raises(NotProven):
        SymmetricMidRad(B, 0.0)
    for bad in (-1.0, np.nan, np.inf):
        with pytest.raises(NotProven, match="radius"):
            SymmetricMidRad(A, bad)
    with pytest.raises(NotProven):
        SymmetricMidRad(np.zeros((2, 3)), 0.0)


def test_symmetry_check_catches_a_far_off_diagonal_tile():
    n = 1300  # several 512-tiles
    A = np.random.default_rng(3).standard_normal((n, n))
    A = A + A.T
    B = A.copy()
    B[1200, 3] += 1e-9
    with pytest.raises(NotProven, match="symmetric"):
        SymmetricMidRad(B, 0.0)
    SymmetricMidRad(A, 0.0)


@pytest.mark.parametrize("n,lam_min", [(3, 1e-3), (40, 0.05), (120, 1e-4)])
def test_midrad_bound_is_sound_and_close(n, lam_min):
    A = _spd(n, lam_min, seed=n)
    lam = np.linalg.eigvalsh(A)[0]
    for rad in (0.0, 1e-3 * lam_min):
        mu = min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, rad))
        assert 0 < mu <= lam - rad + 1e-12 * abs(lam) * n
        assert mu >= lam - 1.2 * rad - 1e-6 * lam  # the untrusted estimate makes it tight


def test_midrad_agrees_with_interval_version():
    A = _spd(30, 0.02, seed=7)
    mu_iv = min_eigenvalue_lower_bound(Interval.point(A))
    mu_mr = min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, 0.0))
    assert mu_mr >= mu_iv > 0


@pytest.mark.slow
def test_midrad_large_matrix_uses_the_iterative_estimate():
    """n > 1000: no eigendecomposition; the float32-Cholesky + Lanczos estimate is close."""
    n = 1100
    B = np.random.default_rng(11).standard_normal((n, n)) / np.sqrt(n)
    A = np.diag(np.linspace(0.02, 10.0, n)) + 1e-3 * (B + B.T)
    lam = np.linalg.eigvalsh(A)[0]
    est = estimate_min_eigenvalue(A, tol=1e-12)
    assert abs(est - lam) < 1e-8
    mu = min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, 1e-7))
    assert lam - 1.2e-7 - 1e-8 <= mu <= lam - 1e-7


@pytest.mark.parametrize("smallest", [-1.0, -1e-8, 0.0])
def test_midrad_rejects_indefinite_and_singular(smallest):
    n = 20
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    lam = np.concatenate([[smallest], rng.uniform(0.5, 2.0, n - 1)])
    A = (Q * lam) @ Q.T
    A = np.triu(A) + np.triu(A, 1).T
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, 0.0))


def test_midrad_rejects_when_radius_reaches_lambda_min():
    A = _spd(25, 0.01, seed=5)
    lam = np.linalg.eigvalsh(A)[0]
    min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, 0.9 * lam))
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound_midrad(SymmetricMidRad(A, 1.01 * lam))


def test_rump_midrad_refuses_overflow_nan_and_restores_the_diagonal():
    A = _spd(6, 1.0)
    S = SymmetricMidRad(A.copy(), 0.0)
    before = S.mid.copy()
    assert cholesky_succeeds_midrad(S, 0.5)
    assert not cholesky_succeeds_midrad(S, 100.0)  # fails: lambda_min < 100
    assert np.array_equal(S.mid, before)  # diagonal restored after success and failure
    assert not cholesky_succeeds_midrad(S, np.nan)
    assert not cholesky_succeeds_midrad(S, np.inf)
    # entries beyond 2^400 are refused (no overflow inside the factorization)
    big = A * 2.0**401
    assert not cholesky_succeeds_midrad(SymmetricMidRad(big, 0.0), 1.0)
    # an overflowing factorization that LAPACK would "complete" with NaN is refused
    H = np.array([[1e308, 1e308], [1e308, 1e308]])
    assert not cholesky_succeeds_midrad(SymmetricMidRad(H, 0.0), 0.0)
    assert np.array_equal(S.mid, before)


def test_rump_midrad_matches_point_test():
    """The in-place midpoint test decides exactly like cholesky_succeeds on the same data."""
    rng = np.random.default_rng(9)
    for _ in range(20):
        A = _spd(15, 10.0 ** rng.uniform(-6, -1), seed=int(rng.integers(1 << 30)))
        lam = np.linalg.eigvalsh(A)[0]
        rad = float(lam * rng.uniform(0, 1.2))
        for shift in (0.0, 0.5 * lam, lam - rad, 0.999 * lam):
            assert cholesky_succeeds(A, rad, shift) == cholesky_succeeds_midrad(SymmetricMidRad(A.copy(), rad), shift)


@pytest.mark.parametrize("m", [1, 2, 3, 7, 64, 1001])
def test_sum_pairwise_contains_exact_sum_and_is_no_wider(m):
    rng = np.random.default_rng(m)
    lo = rng.standard_normal((m, 3)) * 10.0 ** rng.integers(-300, 300, size=(m, 3)).clip(-200, 200)
    hi = lo + np.abs(rng.standard_normal((m, 3))) * 1e-3 * np.abs(lo)
    x = Interval(lo, hi)
    s = x.sum_pairwise(axis=0)
    t = x.sum(axis=0)
    assert s.shape == t.shape == (3,)
    for j in range(3):
        exact_lo = sum(Fraction(float(v)) for v in lo[:, j])
        exact_hi = sum(Fraction(float(v)) for v in hi[:, j])
        assert Fraction(float(s.lo[j])) <= exact_lo and exact_hi <= Fraction(float(s.hi[j]))
    y = Interval(np.full(m, 0.1), np.full(m, 0.1))  # many equal terms: pairwise widens far less
    assert (y.sum_pairwise(axis=0).hi - y.sum_pairwise(axis=0).lo) <= (y.sum(axis=0).hi - y.sum(axis=0).lo)
    with pytest.raises(NotProven):
        Interval(np.full(4, 1e308), np.full(4, 1e308)).sum_pairwise(axis=0)


def test_acos_does_not_depend_on_the_memory_layout():
    """A Fortran-ordered (transposed) input gives the same enclosure as its C-ordered copy (a kernel
    function must not depend on how numpy lays out an array)."""
    rng = np.random.default_rng(3)
    a = rng.uniform(-0.9, 0.9, (4, 5))
    f = np.asfortranarray(a)
    assert not f.flags["C_CONTIGUOUS"]
    r_f, r_c = Interval(f, f).acos(), Interval(a, a).acos()
    assert np.array_equal(r_f.lo, r_c.lo) and np.array_equal(r_f.hi, r_c.hi)
    t = Interval(a.T, a.T).acos()  # a transposed view
    assert np.array_equal(t.lo, r_c.lo.T) and np.array_equal(t.hi, r_c.hi.T)


def test_teacher_student_enclosures_do_not_depend_on_the_memory_layout():
    from certify.kernel.teacher_student import enclose

    rng = np.random.default_rng(4)
    W = rng.standard_normal((5, 5))
    c = enclose(Interval.point(W), ("loss", "grad", "hess_entries", "m"))
    f = enclose(Interval.point(np.asfortranarray(W)), ("loss", "grad", "hess_entries", "m"))
    for a, b in ((c.loss, f.loss), (c.grad, f.grad), (c.hess_entries, f.hess_entries), (c.m_matrix, f.m_matrix)):
        assert np.array_equal(a.lo, b.lo) and np.array_equal(a.hi, b.hi)


def test_interval_times_point_takes_the_two_product_path_and_encloses_every_product():
    # Interval.point / a number operand has hi is lo: __mul__ uses two products; the result must contain x * c
    # for x at both ends and inside [lo, hi], whatever the sign of c, and equal the four-product enclosure
    rng = np.random.default_rng(7)
    lo = rng.standard_normal(300) * 10.0 ** rng.integers(-3, 3, 300)
    hi = lo + np.abs(rng.standard_normal(300))
    X = Interval(lo, hi)
    for c in (-3.7, -1.0, -0.0, 0.0, 2.0**-60, 0.3, 1e10):
        C = Interval.point(np.full(300, c))
        assert C.lo is C.hi
        r = X * C
        general = X * Interval(np.full(300, c), np.full(300, c).copy())  # lo is not hi: the four-product path
        assert np.array_equal(r.lo, general.lo) and np.array_equal(r.hi, general.hi)
        for t in (0.0, 0.37, 1.0):
            for i in range(0, 300, 37):
                x = _F(lo[i]) + Fraction(t) * (_F(hi[i]) - _F(lo[i]))
                assert _F(r.lo[i]) <= x * _F(c) <= _F(r.hi[i])
    n = X * 2.5  # a number operand, coerced to a point: the same enclosure as the point interval
    p = X * Interval.point(2.5)
    assert np.array_equal(n.lo, p.lo) and np.array_equal(n.hi, p.hi)
    with pytest.raises(NotProven):
        X * float("nan")

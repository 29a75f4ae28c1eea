"""Adversarial audit of the trusted hermite-expansion checker.

Three groups: (1) the mathematics the checker relies on, checked against
independent mpmath computations (plain floating-point quadrature, not the
checker's own arb routes); (2) hexfloat parsing edge cases; (3) crafted
certificates that try to make the checker accept a false or malformed claim.
"""
from __future__ import annotations

import copy
import math
from fractions import Fraction

import mpmath as mp
import pytest
from flint import acb, arb

from certify.hermite import numbers, produce
from certify.hermite.profiles import PROFILES
from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data
from certify.kernel.hermite import activations as A
from certify.kernel.hermite import hexfloat
from certify.kernel.hermite import kind as checker
from certify.kernel.hermite.activations import ACTIVATIONS
from certify.kernel.hermite.expansion import compute_expansion
from certify.kernel.hermite.rigorous import sinh_kernel_integrals, working_precision

from helpers import restate  # noqa: E402
from test_hermite_check import REJECTED, rejected  # noqa: E402  (assert_rejected, as-is)


@pytest.fixture(scope="module")
def sig() -> dict:
    return produce.certificate("sigmoid", 24, False).certificate


@pytest.fixture(scope="module")
def relu() -> dict:
    return produce.certificate("relu", 30, False).certificate


def value(s: str) -> Fraction:
    m, e = hexfloat.parse(s, "test")
    return Fraction(m) * Fraction(2) ** e


def to_hex(v: Fraction, up: bool) -> str:
    """v rounded to 53 bits, toward +inf if up else -inf."""
    if v == 0:
        return "0x0p+0"
    e = v.numerator.bit_length() - v.denominator.bit_length() - 60
    m = v / Fraction(2) ** e
    m = math.ceil(m) if up else math.floor(m)
    return numbers.format_pair(*numbers.round_pair(m, e, up))


# ============================================================================ (1) the mathematics

@pytest.fixture(autouse=True)
def _thirty_digits(mp_dps):
    """The reference quadratures of this module run at 30 digits (restored after each test)."""
    mp_dps(30)


def _h(n, x):
    return mp.hermite(n, x / mp.sqrt(2)) * mp.mpf(2) ** (-mp.mpf(n) / 2) / mp.sqrt(mp.factorial(n))


def _phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


def _sig(x):
    return 1 / (1 + mp.exp(-x))


FUNCS = {  # sigma, sigma' written independently of the checker
    "relu": (lambda x: max(x, 0), lambda x: 1 if x > 0 else 0),
    "abs": (lambda x: abs(x), lambda x: 1),
    "erf": (mp.erf, lambda x: 2 / mp.sqrt(mp.pi) * mp.exp(-x * x)),
    "gelu": (lambda x: x * mp.ncdf(x), lambda x: mp.ncdf(x) + x * _phi(x)),
    "sigmoid": (_sig, lambda x: _sig(x) * (1 - _sig(x))),
    "tanh": (mp.tanh, lambda x: 1 - mp.tanh(x) ** 2),
    "softplus": (lambda x: mp.log(1 + mp.exp(x)), _sig),
    "silu": (lambda x: x * _sig(x), lambda x: _sig(x) + x * _sig(x) * (1 - _sig(x))),
}
BREAKS = [-mp.inf, -8, -2, 0, 2, 8, mp.inf]


def _gauss(f):
    return mp.quad(lambda x: f(x) * _phi(x), BREAKS)


def _inside(ref, ball: arb, slack=mp.mpf(10) ** -24) -> bool:
    lo = mp.mpf(ball.lower().str(40, radius=False))
    hi = mp.mpf(ball.upper().str(40, radius=False))
    return lo - slack <= ref <= hi + slack


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_every_route_agrees_with_plain_mpmath_quadrature(name):
    """E sigma^2, E sigma'^2 and a_0..a_4 of each activation against mpmath quadrature of the
    defining integrals (independent of the closed forms, T1 identities, Fourier route and acb)."""
    f, fp = FUNCS[name]
    exp = compute_expansion(ACTIVATIONS[name], 4, False, 128)
    assert _inside(_gauss(lambda x: f(x) ** 2), exp.second_moment)
    assert _inside(_gauss(lambda x: fp(x) ** 2), exp.derivative_second_moment)
    for n in range(5):
        assert _inside(_gauss(lambda x: f(x) * _h(n, x)), exp.coefficients[n]), (name, n)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "softplus", "silu"])
def test_fourier_route_at_moderate_degree_against_mpmath(name):
    f, _ = FUNCS[name]
    exp = compute_expansion(ACTIVATIONS[name], 34, False, 256)
    with mp.workdps(60):
        pts = [-mp.inf] + list(mp.linspace(-30, 30, 61)) + [mp.inf]
        for n in (17, 20, 33, 34):
            ref = mp.quad(lambda x: f(x) * _h(n, x) * _phi(x), pts)
            assert _inside(ref, exp.coefficients[n], mp.mpf(10) ** -40), (name, n)


def test_reference_sanity_values():
    s = compute_expansion(ACTIVATIONS["sigmoid"], 3, False, 128)
    t = compute_expansion(ACTIVATIONS["tanh"], 1, False, 128)
    assert abs(float(s.coefficients[1].mid()) - 0.2066210) < 1e-7
    assert abs(float(s.coefficients[3].mid()) + 0.0254733) < 1e-7
    assert abs(float(s.second_moment.mid()) - 0.2933790) < 1e-7
    assert abs(float(t.coefficients[1].mid()) - 0.605706) < 1e-6


@pytest.mark.parametrize("lam", [math.pi, math.pi / 2])
def test_sinh_kernel_integrals_against_mpmath(lam):
    """J_n(lam) = int_0^inf w^n e^{-w^2/2}/sinh(lam w) dw (T2/T3) against direct quadrature."""
    with working_precision(160):
        lam_arb = arb.pi() if lam == math.pi else arb.pi() / 2
        js = sinh_kernel_integrals(lam_arb, lam, 15, 160)
    lam_mp = mp.pi if lam == math.pi else mp.pi / 2
    for n in (1, 3, 7, 15):
        ref = mp.quad(lambda w: w ** n * mp.exp(-w * w / 2) / mp.sinh(lam_mp * w), [0, 1, 4, mp.inf])
        assert _inside(ref, js[n]), n


@pytest.mark.parametrize("lam", [math.pi, math.pi / 2])
def test_trapezoid_strip_bound_m_n_dominates_the_integral(lam):
    """T3's M_n = e^{a^2/2}(1+a^2)^{n/2}[2/c + 4G_n/(1-e^{-2 lam})] bounds int |g_n(x+iy)| dx
    on the strip |y| < a (checked at y near the edge, a = 0.95 pi/lam as the checker may pick)."""
    with mp.workdps(15):
        lam_mp = mp.mpf(lam)
        a = mp.mpf(0.95) * mp.pi / lam_mp
        c = mp.sin(lam_mp * a) / a
        for n in (1, 3, 9):
            g_n = mp.quad(lambda x: x ** n * mp.exp(-x * x / 2), [0, mp.inf])
            m_n = mp.exp(a * a / 2) * (1 + a * a) ** (mp.mpf(n) / 2) * (2 / c + 4 * g_n / (1 - mp.exp(-2 * lam_mp)))
            for y in (0, 0.999 * a):
                z = lambda x: x + 1j * y  # noqa: E731
                integral = mp.quad(lambda x: abs(z(x) ** n * mp.exp(-z(x) ** 2 / 2) / mp.sinh(lam_mp * z(x))),
                                   [-mp.inf, -4, -1, 0, 1, 4, mp.inf])
                assert integral <= m_n, (n, y)


def test_integrands_are_non_finite_on_boxes_with_poles_or_branch_cuts():
    """rigor.md's acb.integral pitfall: with analytic=True an integrand must not return a finite
    value on a box where it is not holomorphic.  The checker's meromorphic integrands get this
    from division by a ball containing 0; softplus through log(analytic=True)."""
    with working_precision(64):
        near_i_pi = acb(arb(0, 0.01), arb(3.14159265, 0.01))  # pole of sigmoid at i pi
        assert not A.sigmoid_prime_acb(near_i_pi, True).is_finite()
        assert not A.silu_prime_acb(near_i_pi, True).is_finite()
        assert not A.tanh_prime_acb(acb(arb(0, 0.01), arb(1.5707963, 0.01)), True).is_finite()
        on_cut = acb(arb(1, 0.01), arb(3.14159265, 0.01))  # 1 + e^z < 0 there
        assert not A.softplus_acb(on_cut, True).is_finite()
        assert A.softplus_acb(acb(arb(0.5, 0.01), arb(0, 0.01)), True).is_finite()


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_growth_constants_used_for_the_gaussian_tails(name):
    """T4 needs |f(x)| <= A + B|x| + C x^2 for every real x; the constants hard-coded in the
    kernel's raw routes (activations.py) and those of the cross-check route
    (certify/hermite/profiles.py) are checked on a wide grid."""
    f, fp = FUNCS[name]
    profile = PROFILES[name]  # the cross-check route's constants (producer side)
    a0, b0 = profile.growth
    a1, b1 = profile.derivative_growth
    route_bounds = {  # the (A, B, C) passed to gaussian_expectation by the raw routes
        "sigmoid": [(lambda x: fp(x) ** 2, (1 / 16, 0, 0))],
        "tanh": [(lambda x: fp(x) ** 2, (1, 0, 0))],
        "softplus": [(f, (1, 1, 0)), (lambda x: f(x) ** 2, (2, 0, 2))],
        "silu": [(lambda x: fp(x) ** 2, (2, 0, 2))],
    }.get(name, [])
    for k in range(-400, 401):
        x = mp.mpf(k) / 8
        assert abs(f(x)) <= a0 + b0 * abs(x)
        assert abs(fp(x)) <= a1 + b1 * abs(x)
        for g, (ca, cb, cc) in route_bounds:
            assert abs(g(x)) <= ca + cb * abs(x) + cc * x * x


def test_odd_even_zero_pattern_is_the_true_symmetry():
    """Exact zeros (which a [0, 0] claim may use) only where a symmetry forces them:
    sigmoid - 1/2, tanh, erf odd; relu - x/2, |x|, GELU - x/2, softplus - x/2, SiLU - x/2 even."""
    n = 12
    for name, zero_parity, from_n in (("sigmoid", 0, 2), ("tanh", 0, 0), ("erf", 0, 0),
                                      ("relu", 1, 3), ("abs", 1, 1), ("gelu", 1, 3),
                                      ("softplus", 1, 3), ("silu", 1, 3)):
        exp = compute_expansion(ACTIVATIONS[name], n, False, 96)
        for k, a in enumerate(exp.coefficients):
            should_be_zero = k >= from_n and k % 2 == zero_parity
            assert a.is_zero() == should_be_zero, (name, k, a)


# ============================================================================ (2) hexfloat parsing


@pytest.mark.parametrize("text", [
    "0x1p+0\n",  # AUDIT FINDING (minor): '$' accepted a trailing newline
    "0x1p+0\n\n", " 0x1p+0", "0x1p+0 ", "0X1p+0", "0x1P+0", "0x1.P+0", "0x1.p+0", "0x1", "1p+0", "0x1e5",
    "+0x1p+0", "--0x1p+0", "0x1.00000000000000p+0", "0x1p+9999999", "0x1p-99999999999", "0x1p100001",
    "0x1p-100001", "inf", "nan", "-inf", "0x1.8p-3\x00", "0x１p+0", "0x1p+٣", "", "0x", "0xp+0", "0x10p+0",
])
def test_malformed_hexfloats_are_rejected(text):
    with pytest.raises(CertificateError):
        hexfloat.parse(text, "x")


@pytest.mark.parametrize("text,expected", [
    ("0x0p+0", Fraction(0)), ("-0x0p+0", Fraction(0)), ("0x0.0000000000001p-1022", Fraction(1, 2**1074)),
    ("0x1p-100000", Fraction(1, 2**100000)), ("-0x1.8p+100000", -Fraction(3, 2) * 2**100000),
    ("0xf.fffffffffffffp+0", Fraction(int("f" * 14, 16), 2**52)),
    ("0x1.921fb54442d18p+1", Fraction(0x1921fb54442d18, 2**51)), ("0x1p+000001", Fraction(2)),
])
def test_hexfloat_values_are_exact(text, expected):
    assert value(text) == expected


def test_hexfloat_round_trips_binary64_including_subnormals():
    for x in (5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -0.1, 1 / 3, 1e-310):
        s = x.hex()
        assert value(s) == Fraction(x) and float.fromhex(s) == x


# ============================================================================ (3) crafted certificates


def test_interval_overlapping_the_ball_but_missing_the_value_is_rejected(sig):
    for key, n in (("coefficients", 5), ("tails", 9), ("dual_coefficients", 11)):
        cert = copy.deepcopy(sig)
        lo, hi = map(value, cert["claim"][key][n])
        w = hi - lo
        cert["claim"][key][n] = [to_hex(lo + w * 3 / 5, False), to_hex(hi + w * 3 / 5, True)]
        rejected(cert, f"claim.{key}[{n}]")


def test_zero_claims(relu, sig):
    # true zeros (symmetry) are accepted, also written as -0
    cert = copy.deepcopy(sig)
    cert["claim"]["coefficients"][4] = ["-0x0p+0", "0x0p+0"]
    check_data(cert)
    # [0, 0] for a non-zero coefficient, tail or dual coefficient is rejected
    for key, n in (("coefficients", 1), ("coefficients", 2), ("tails", 29), ("dual_coefficients", 2)):
        cert = copy.deepcopy(relu)
        cert["claim"][key][n] = ["0x0p+0", "0x0p+0"]
        rejected(cert, "exactly 0")
    # the ReLU tail eps(1) is not 0 even though a_3 = 0
    cert = copy.deepcopy(relu)
    cert["claim"]["tails"][1] = ["0x0p+0", "0x0p+0"]
    rejected(cert, "exactly 0")
    # tiny one-signed intervals around a true zero: not an enclosure
    for pair in (["0x1p-5000", "0x1.0000000001p-5000"], ["-0x1.0000000001p-5000", "-0x1p-5000"]):
        cert = copy.deepcopy(relu)
        cert["claim"]["coefficients"][3] = pair
        rejected(cert, "claim.coefficients[3]")


def test_relative_width_boundary():
    # exactly 1e-10 relative width is allowed; wider by one unit is not (checked on exact integers)
    m = 10**10
    checker.check_tight((m, 0), (m + 1, 0), "w")
    with pytest.raises(NotProven):
        checker.check_tight((m, 0), (m + 2, 0), "w")
    with pytest.raises(NotProven):
        checker.check_tight((-m - 2, 0), (-m, 0), "w")
    with pytest.raises(CertificateError):
        checker.check_tight((2, 0), (1, 0), "w")  # lo > hi


def test_normalization_flip_and_activation_swap_are_rejected(sig, relu):
    cert = copy.deepcopy(sig)
    cert["claim"]["normalized"] = True
    restate(cert)
    rejected(cert)
    for other in ("softplus", "silu", "tanh"):
        cert = copy.deepcopy(sig)
        cert["claim"]["activation"] = other
        restate(cert)
        rejected(cert)
    cert = copy.deepcopy(relu)
    cert["claim"]["activation"] = "abs"
    restate(cert)
    rejected(cert)


def test_normalized_second_moment_must_enclose_one():
    cert = produce.certificate("erf", 10, True).certificate
    check_data(cert)
    cert["claim"]["second_moment"] = ["0x1p+0", "0x1p+0"]
    check_data(cert)  # exactly 1: true
    cert["claim"]["second_moment"] = ["0x1.0000000000001p+0", "0x1.0000000001p+0"]
    rejected(cert, "second_moment")


def test_list_lengths_must_match_the_degree(sig):
    for key in ("coefficients", "tails", "dual_coefficients"):
        for delta in (-1, 1):
            cert = copy.deepcopy(sig)
            lst = cert["claim"][key]
            cert["claim"][key] = lst[:-1] if delta < 0 else lst + [lst[-1]]
            rejected(cert, "N+1")


def test_truncated_but_consistent_certificate_is_a_true_weaker_claim(sig):
    cert = copy.deepcopy(sig)
    for key in ("coefficients", "tails", "dual_coefficients"):
        cert["claim"][key] = cert["claim"][key][:11]
    cert["claim"]["degree"] = 10
    restate(cert)
    assert "N=10" in check_data(cert).summary


def test_decay_bound_failing_at_a_single_n_is_rejected(sig):
    """Raise c until the bound first fails at some n in the middle; the checker must name it."""
    cert = copy.deepcopy(sig)
    d = cert["claim"]["decay_bound"]
    c = Fraction(d["c"]) * Fraction(1005, 1000)
    d["c"] = f"{c.numerator}/{c.denominator}"
    restate(cert)
    msg = rejected(cert, "decay bound")
    assert "at n = " in msg
    # and C a hair too small
    cert = copy.deepcopy(sig)
    d = cert["claim"]["decay_bound"]
    big_c = Fraction(d["C"]) * Fraction(999, 1000)
    d["C"] = f"{big_c.numerator}/{big_c.denominator}"
    restate(cert)
    rejected(cert, "decay bound")


@pytest.mark.parametrize("decay", [
    {"form": "C*exp(-c*n^alpha)", "C": "1", "c": "0", "alpha": "0"},  # alpha must be > 0
    {"form": "C*exp(-c*n^alpha)", "C": "0", "c": "0", "alpha": "1"},  # C > 0
    {"form": "C*exp(-c*n^alpha)", "C": "1", "c": "-1", "alpha": "1"},  # c >= 0
    {"form": "C*exp(-c*n^alpha)", "C": "1", "c": "1", "alpha": "3"},  # alpha <= 2
    {"form": "C*(n+1)^(-beta)", "C": "1", "beta": "11"},
    {"form": "C*(n+1)^(-beta)", "C": "1", "beta": "-1"},
    {"form": "C*(n+1)^(-beta)", "C": "1", "beta": "1", "c": "0"},  # unknown field
    {"form": "C*(n+1)^(-beta)", "C": "1", "beta": "1/2\n"},
    {"form": "C*(n+1)^(-beta)", "C": "9" * 5000, "beta": "1"},  # too many digits: clean error
    {"form": "C*(n+1)^(-beta)", "C": 1.5, "beta": "1"},
    {"form": "C*(n+1)^(-beta)", "C": True, "beta": "1"},
    {"form": "C*exp(-c*n)", "C": "1", "c": "1"},
])
def test_malformed_decay_bounds_are_clean_rejections(sig, decay):
    cert = copy.deepcopy(sig)
    cert["claim"]["decay_bound"] = decay
    try:
        restate(cert)
    except Exception:  # noqa: BLE001 - statement() may not format a malformed field; keep the old text
        pass
    with pytest.raises(CertificateError):
        check_data(cert)


def test_generous_decay_bound_is_accepted(sig):
    cert = copy.deepcopy(sig)
    cert["claim"]["decay_bound"] = {"form": "C*(n+1)^(-beta)", "C": "1", "beta": "0"}
    restate(cert)
    check_data(cert)


@pytest.mark.parametrize("prec", [63, 20001, 10**9, -1, 100.0, True, "200", None])
def test_precision_hint_out_of_range_is_rejected(sig, prec):
    cert = copy.deepcopy(sig)
    cert["method"]["precision_bits"] = prec
    rejected(cert, "precision_bits")


@pytest.mark.parametrize("name,degree,prec", [("sigmoid", 60, 64), ("gelu", 200, 64), ("tanh", 60, 64),
                                              ("softplus", 40, 64), ("silu", 40, 70), ("relu", 20, 64)])
def test_low_precision_hint_proves_or_rejects_cleanly(name, degree, prec):
    """Low precision only widens balls: the verdict is a clean rejection (or, where the
    precision still suffices, the same true claim), never an internal error."""
    cert = produce.certificate(name, degree, False).certificate
    cert["method"]["precision_bits"] = prec
    try:
        check_data(cert)
    except REJECTED:
        pass


def test_statement_must_match_exactly(sig):
    for change in (lambda s: s + " ", lambda s: s.replace("<=", "<"), lambda s: s.replace("24", "2400"),
                   lambda s: s.replace("sigmoid", "tanh")):
        cert = copy.deepcopy(sig)
        cert["claim"]["statement"] = change(cert["claim"]["statement"])
        rejected(cert, "statement")


def test_a_decay_key_of_the_other_form_is_rejected(sig):
    """'beta' belongs to the power-law form; on the exponential form it is an unknown field
    (unknown claim fields in general: test_hermite_check.test_unknown_activation_and_extra_fields_are_rejected)."""
    cert = copy.deepcopy(sig)
    cert["claim"]["decay_bound"]["beta"] = "1"
    rejected(cert, "unknown field")


def test_endpoints_must_be_hexfloat_strings(sig):
    for bad in ([0.5, 0.5], ["0x1p-1"], ["0x1p-1", "0x1p-1", "0x1p-1"], "0x1p-1", [["0x1p-1"], "0x1p-1"],
                [None, None], {"lo": "0x1p-1", "hi": "0x1p-1"}):
        cert = copy.deepcopy(sig)
        cert["claim"]["coefficients"][1] = bad
        rejected(cert)


def test_unrealistic_degree_and_types_are_rejected(sig):
    for degree in (-1, 20001, 2.0, True, "24", None):
        cert = copy.deepcopy(sig)
        cert["claim"]["degree"] = degree
        rejected(cert, "degree")
    for flag in (1, 0, "true", None):
        cert = copy.deepcopy(sig)
        cert["claim"]["normalized"] = flag
        rejected(cert, "normalized")

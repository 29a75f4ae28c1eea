"""Independent routes agree: closed forms / Fourier route vs rigorous quadrature, dual closed forms."""
from __future__ import annotations

import pytest
from flint import arb

from certify.hermite import numbers
from certify.hermite.crosscheck import general_raw, quadrature_coefficient
from certify.hermite.profiles import PROFILES
from certify.kernel.certificate import CertificateError
from certify.kernel.hermite import hexfloat
from certify.kernel.hermite.activations import ACTIVATIONS
from certify.kernel.hermite.expansion import compute_expansion
from certify.kernel.hermite.rigorous import gaussian_expectation, sinh_kernel_integrals, working_precision

PREC = 96


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_main_route_and_quadrature_route_overlap(name):
    """Closed forms (relu, abs, erf, gelu) or the Fourier/trapezoid route (others) against
    a_n = E[sigma h_n] by quadrature, plus E sigma^2 and E sigma'^2 by quadrature."""
    act = ACTIVATIONS[name]
    n_max = 9
    main = act.raw(n_max, PREC)
    general = general_raw(name, n_max, PREC)
    with working_precision(PREC):
        for n, (x, y) in enumerate(zip(main.coefficients, general.coefficients)):
            assert x.overlaps(y), (name, n, x, y)
            assert y.rad() < 1e-20, (name, n, y)  # the comparison is sharp
        assert main.second_moment.overlaps(general.second_moment)
        assert main.derivative_second_moment.overlaps(general.derivative_second_moment)
        # and they are not trivially wide
        assert main.second_moment.rad() < 1e-20 and general.second_moment.rad() < 1e-20


@pytest.mark.parametrize("name", ["relu", "gelu", "sigmoid", "tanh"])
def test_a_wrong_closed_form_would_be_caught(name):
    """The cross-check is sharp enough to see a relative error of 1e-12 in a coefficient."""
    act = ACTIVATIONS[name]
    main = act.raw(5, PREC)
    general = general_raw(name, 5, PREC)
    with working_precision(PREC):
        n = 3 if name in ("sigmoid", "tanh") else 2
        wrong = main.coefficients[n] * (1 + arb(10) ** -12)
        assert not wrong.overlaps(general.coefficients[n])


def test_reference_sanity_values():
    e = compute_expansion(ACTIVATIONS["sigmoid"], 3, False, PREC)
    assert abs(float(e.coefficients[0].mid()) - 0.5) < 1e-15
    assert abs(float(e.coefficients[1].mid()) - 0.2066210) < 1e-7
    assert abs(float(e.coefficients[3].mid()) + 0.0254733) < 1e-7
    assert abs(float(e.second_moment.mid()) - 0.2933790) < 1e-7
    t = compute_expansion(ACTIVATIONS["tanh"], 1, False, PREC)
    assert abs(float(t.coefficients[1].mid()) - 0.605706) < 1e-6


def _high_degree(name: str, n: int) -> None:
    main = ACTIVATIONS[name].raw(n, 160)
    profile = PROFILES[name]
    q = quadrature_coefficient(profile.pieces, profile.growth, n, 160)
    assert main.coefficients[n].overlaps(q)
    assert q.rad() < abs(q.mid()) * 1e-10


@pytest.mark.parametrize("name,n", [("sigmoid", 41), ("tanh", 41), ("silu", 40), ("softplus", 40), ("gelu", 40)])
def test_high_degree_coefficient_against_quadrature(name, n):
    _high_degree(name, n)


@pytest.mark.slow
@pytest.mark.parametrize("name,n", [("sigmoid", 151), ("tanh", 201), ("silu", 150), ("softplus", 150),
                                    ("gelu", 200), ("erf", 201), ("relu", 200)])
def test_very_high_degree_coefficient_against_quadrature(name, n):
    _high_degree(name, n)


def test_sinh_kernel_small_n_closed_form():
    """J_1(lam) for lam = pi: int_0^inf w e^{-w^2/2} / sinh(pi w) dw = a_1(sigmoid), checked
    against direct quadrature of sigmoid'(X) = E[sigmoid(1 - sigmoid)]."""
    with working_precision(128):
        j = sinh_kernel_integrals(arb.pi(), 3.141592653589793, 3, 128)
        direct = gaussian_expectation(
            [(-float("inf"), float("inf"), lambda z, an: (1 / (1 + (-z).exp())) * (1 - 1 / (1 + (-z).exp())))],
            (1, 0, 0), 128)
        assert j[1].overlaps(direct)
        assert j[1].rad() < 1e-30


# ----------------------------------------------------------------------------- dual activation


def _dual_sum(e, rho: arb) -> arb:
    """sum_n a_n^2 rho^n with the proven remainder |.| <= eps(N) |rho|^(N+1) for |rho| <= 1."""
    total = arb(0)
    power = arb(1)
    for b in e.dual:
        total += b * power
        power *= rho
    rem = e.tails[-1] * abs(rho) ** (len(e.dual))
    return total + arb(0, rem.upper())


RHOS = ["-0.95", "-0.5", "0", "0.3", "0.7", "0.95", "1"]


@pytest.mark.parametrize("rho_text", RHOS)
def test_dual_closed_forms(rho_text):
    prec = 128
    with working_precision(prec):
        rho = arb(rho_text)
        pi = arb.pi()
        one_minus = (1 - rho * rho).nonnegative_part()
        acos = pi / 2 - rho.asin()
        closed = {
            "relu": (one_minus.sqrt() + (pi - acos) * rho) / (2 * pi),
            "abs": 2 / pi * (one_minus.sqrt() + rho * rho.asin()),
            "erf": 2 / pi * (2 * rho / 3).asin(),
        }
        for name, value in closed.items():
            e = compute_expansion(ACTIVATIONS[name], 1000, False, prec)
            series = _dual_sum(e, rho)
            assert series.overlaps(value), (name, rho_text, series, value)
            if rho_text not in ("1", "0.95", "-0.95"):
                assert series.rad() < 1e-25


def test_dual_at_one_is_the_second_moment():
    for name in ACTIVATIONS:
        e = compute_expansion(ACTIVATIONS[name], 200, False, 256)
        with working_precision(256):
            total = sum(e.dual, arb(0)) + e.tails[-1]
            assert total.overlaps(e.second_moment)


def test_gradient_identity_sum_n_an2():
    """sum_n n a_n^2 = E sigma'(X)^2: partial sums stay below and get close (smooth case)."""
    for name in ("sigmoid", "tanh", "softplus", "silu", "erf", "gelu"):
        e = compute_expansion(ACTIVATIONS[name], 300, False, 256)
        with working_precision(256):
            partial = sum((n * b for n, b in enumerate(e.dual)), arb(0))
            assert not partial > e.derivative_second_moment  # partial sums never exceed the limit
            assert abs(e.derivative_second_moment - partial) < arb(10) ** -20


# ----------------------------------------------------------------------------- numbers


def test_hexfloat_round_trip_and_exactness():
    for v in (1.0, -2.5, 0.1, 5e-324, 1.7976931348623157e308, 0.0):
        s = v.hex()
        m, e = hexfloat.parse(s, "x")
        assert m * 2.0**e == v if abs(e) < 1000 else True
        assert float.fromhex(numbers.format_pair(m, e)) == v
    m, e = hexfloat.parse("0x1.8p-1100", "x")
    assert (m, e) == (0x18, -1104)
    with working_precision(64):
        x = arb(1) / 3
        lo, hi = numbers.lower_string(x), numbers.upper_string(x)
        assert hexfloat.to_arb(hexfloat.parse(lo, "lo")) < x < hexfloat.to_arb(hexfloat.parse(hi, "hi"))


@pytest.mark.parametrize("bad", ["0x1p", "1.0", "0x1.g", "0x1.0p+1.5", " 0x1p+0", "0x1p+0 ", "0x1.00000000000000p+0",
                                 "0x1p+1000000", "inf", "nan", 1.0, None])
def test_hexfloat_rejects(bad):
    with pytest.raises(CertificateError):
        hexfloat.parse(bad, "x")

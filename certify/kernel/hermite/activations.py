"""The activations known to the hermite-expansion checker, and how each is enclosed.

TRUSTED (the checker computes with these definitions).  Imports only
python-flint, the standard library and trusted certify modules.

Each activation provides ``raw(N, prec) -> Raw``: balls for E sigma(X)^2,
a_0..a_N and E sigma'(X)^2 of the *raw* (unnormalized) activation, computed by
the route stated in its docstring.  Everything else (tails, dual coefficients,
normalization) is derived in :mod:`certify.hermite.expansion`.

How to add an activation (see docs/hermite.md): write a ``raw`` function
(closed form, an identity reducing it to a known one, or the general
quadrature route :func:`general_raw`), give the quadrature ``pieces`` and
growth constants used by the cross-check tests, and add an ``Activation``
entry to ``ACTIVATIONS``.  Nothing else in the checker changes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flint import acb, arb

from .rigorous import (
    gaussian_expectation,
    quadrature_coefficient,
    sinh_family_odd_coefficients,
    working_precision,
)

INF = float("inf")


@dataclass
class Raw:
    """Balls for the raw activation: E sigma^2, a_0..a_N, E sigma'^2."""

    second_moment: arb
    coefficients: list
    derivative_second_moment: arb


@dataclass(frozen=True)
class Activation:
    name: str
    formula: str  # used verbatim in the certificate's statement
    raw: Callable[[int, int], Raw]
    pieces: tuple  # quadrature pieces of sigma (general route / cross-checks)
    growth: tuple  # (A, B): |sigma(x)| <= A + B|x|
    derivative_pieces: tuple  # quadrature pieces of sigma'
    derivative_growth: tuple  # (A, B): |sigma'(x)| <= A + B|x|
    decay: str  # "power" (kinked) | "root-exponential" (analytic in a strip) | "exponential" (entire)
    lipschitz: str  # documentation only: the Lipschitz constant L (E sigma'^2 <= L^2)
    required_degree: int  # the degree issue 3 asks certificates to reach (stored ones reach 1000)


# ----------------------------------------------------------------- closed forms


def _relu_coefficients(n_max: int) -> list:
    """a_0 = 1/sqrt(2 pi), a_1 = 1/2, odd n >= 3: 0,
    a_{2m+2} = (-1)^m (2m-1)!! / (sqrt(2 pi) sqrt((2m+2)!)), i.e. a_2 = 1/(2 sqrt(pi)) and
    a_{n+2} = -a_n (n-1) / sqrt((n+1)(n+2)) for even n >= 2."""
    a = [arb(0)] * (n_max + 1)
    a[0] = 1 / (2 * arb.pi()).sqrt()
    if n_max >= 1:
        a[1] = arb(1) / 2
    if n_max >= 2:
        a[2] = a[0] / arb(2).sqrt()
    for n in range(2, n_max - 1, 2):
        a[n + 2] = -a[n] * (n - 1) / arb((n + 1) * (n + 2)).sqrt()
    return a


def relu_raw(n_max: int, prec: int) -> Raw:
    """ReLU(x) = max(x, 0): closed form above; E ReLU^2 = 1/2; ReLU' = 1_{x>0}, E ReLU'^2 = 1/2."""
    with working_precision(prec):
        return Raw(arb(1) / 2, _relu_coefficients(n_max), arb(1) / 2)


def abs_raw(n_max: int, prec: int) -> Raw:
    """|x| = 2 ReLU(x) - x: a_n = 2 a_n(ReLU) except a_1 = 0; E = 1; E (sign x)^2 = 1."""
    with working_precision(prec):
        a = [2 * v for v in _relu_coefficients(n_max)]
        if n_max >= 1:
            a[1] = arb(0)
        return Raw(arb(1), a, arb(1))


def erf_raw(n_max: int, prec: int) -> Raw:
    """erf: odd only, a_{2m+1} = (2/sqrt(3 pi)) (-2/3)^m (2m-1)!! / sqrt((2m+1)!), i.e.
    a_{n+2} = -(2/3) a_n n / sqrt((n+1)(n+2)); E erf^2 = (2/pi) arcsin(2/3);
    erf' = (2/sqrt(pi)) e^{-x^2}, E erf'^2 = (4/pi) E e^{-2X^2} = 4/(pi sqrt(5))."""
    with working_precision(prec):
        pi = arb.pi()
        a = [arb(0)] * (n_max + 1)
        if n_max >= 1:
            a[1] = 2 / (3 * pi).sqrt()
        for n in range(1, n_max - 1, 2):
            a[n + 2] = -2 * a[n] * n / (3 * arb((n + 1) * (n + 2)).sqrt())
        second = 2 / pi * (arb(2) / 3).asin()
        dsecond = 4 / (pi * arb(5).sqrt())
        return Raw(second, a, dsecond)


def gelu_raw(n_max: int, prec: int) -> Raw:
    """GELU(x) = x Phi(x): a_0 = 1/(2 sqrt(pi)), a_1 = 1/2, other odd 0,
    a_{2j} = (1/(2 sqrt(pi))) (-1/2)^{j-1} (2j-3)!! ((2j+1)/2) / sqrt((2j)!) (j >= 1), i.e.
    with c_j = (-1/2)^{j-1} (2j-3)!! / sqrt((2j)!): c_1 = 1/sqrt(2),
    c_{j+1} = -c_j (2j-1) / (2 sqrt((2j+1)(2j+2))), a_{2j} = c_j (2j+1) / (4 sqrt(pi));
    E GELU^2 = 1/3 + 1/(2 sqrt(3) pi);  GELU' = Phi + x phi and, by Stein's identity,
    E GELU'^2 = E Phi^2 + E phi^2 + E X^2 phi^2 = 1/3 + 2/(3 sqrt(3) pi)."""
    with working_precision(prec):
        pi = arb.pi()
        sqrt_pi = pi.sqrt()
        a = [arb(0)] * (n_max + 1)
        a[0] = 1 / (2 * sqrt_pi)
        if n_max >= 1:
            a[1] = arb(1) / 2
        c = 1 / arb(2).sqrt()
        for j in range(1, n_max // 2 + 1):
            a[2 * j] = c * (2 * j + 1) / (4 * sqrt_pi)
            c = -c * (2 * j - 1) / (2 * arb((2 * j + 1) * (2 * j + 2)).sqrt())
        sqrt3 = arb(3).sqrt()
        second = arb(1) / 3 + 1 / (2 * sqrt3 * pi)
        dsecond = arb(1) / 3 + 2 / (3 * sqrt3 * pi)
        return Raw(second, a, dsecond)


# ----------------------------------------------------------------- the sinh family (Fourier route)


def _sigmoid_acb(z: acb) -> acb:
    return 1 / (1 + (-z).exp())


def _sigmoid_prime_acb(z, analytic):
    s = _sigmoid_acb(z)
    return s * (1 - s)


def _tanh_prime_acb(z, analytic):
    t = z.tanh()
    return 1 - t * t


def _silu_prime_acb(z, analytic):
    s = _sigmoid_acb(z)
    return s + z * s * (1 - s)


def _sigmoid_odd(n_max: int, prec: int) -> list:
    """a_n(sigmoid) for odd n <= n_max by the Fourier route (rigorous.T2/T3); even entries 0."""
    return sinh_family_odd_coefficients(arb.pi(), 3.141592653589793, n_max, prec)


def sigmoid_raw(n_max: int, prec: int) -> Raw:
    """sigmoid(x) = 1/(1+e^{-x}) = 1/2 + tanh(x/2)/2: a_0 = 1/2, even n >= 2: 0 (sigmoid - 1/2
    is odd), odd n: Fourier route.  E sigmoid^2 = 1/2 - a_1 because sigmoid' = sigmoid - sigmoid^2
    and E sigmoid(X) = 1/2, E sigmoid'(X) = a_1 (T1).  E sigmoid'^2 by quadrature (T6)."""
    with working_precision(prec):
        s = _sigmoid_odd(max(n_max, 1), prec)
        a = s[: n_max + 1]
        a[0] = arb(1) / 2
        second = arb(1) / 2 - s[1]
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: _sigmoid_prime_acb(z, an) ** 2)], (1 / 16, 0, 0), prec)
    return Raw(second, a, dsecond)


def tanh_raw(n_max: int, prec: int) -> Raw:
    """tanh: odd, a_n for odd n by the Fourier route (T2/T3) with lam = pi/2;
    E tanh^2 = 1 - E sech^2 = 1 - a_1 (T1); E tanh'^2 = E sech^4 by quadrature (T6)."""
    with working_precision(prec):
        a = sinh_family_odd_coefficients(arb.pi() / 2, 1.5707963267948966, max(n_max, 1), prec)
        second = 1 - a[1]
        a = a[: n_max + 1]
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: _tanh_prime_acb(z, an) ** 2)], (1, 0, 0), prec)
    return Raw(second, a, dsecond)


def _softplus_acb(z, analytic):
    return (1 + z.exp()).log(analytic=analytic)


def softplus_raw(n_max: int, prec: int) -> Raw:
    """softplus(x) = log(1+e^x), softplus' = sigmoid: a_n = a_{n-1}(sigmoid)/sqrt(n) for n >= 1 (T1);
    a_0 = E softplus(X) and E softplus(X)^2 by quadrature (T6, the log's branch cut is
    honoured through the analytic flag; |softplus(x)| <= 1 + |x|);
    E softplus'^2 = E sigmoid^2 = 1/2 - a_1(sigmoid)."""
    with working_precision(prec):
        s = _sigmoid_odd(max(n_max, 2), prec)
        s[0] = arb(1) / 2
        a = [arb(0)] * (n_max + 1)
        for n in range(1, n_max + 1):
            a[n] = s[n - 1] / arb(n).sqrt()
        dsecond = arb(1) / 2 - s[1]
    a[0] = gaussian_expectation([(-INF, INF, _softplus_acb)], (1, 1, 0), prec)
    second = gaussian_expectation([(-INF, INF, lambda z, an: _softplus_acb(z, an) ** 2)], (2, 0, 2), prec)
    return Raw(second, a, dsecond)


def silu_raw(n_max: int, prec: int) -> Raw:
    """SiLU(x) = x sigmoid(x): x h_n = sqrt(n+1) h_{n+1} + sqrt(n) h_{n-1} gives
    a_n(SiLU) = sqrt(n+1) a_{n+1}(sigmoid) + sqrt(n) a_{n-1}(sigmoid);
    E SiLU^2 = E X^2 sigmoid - E X^2 sigmoid' = 1/2 - a_1 - sqrt(6) a_3 (sigmoid coefficients;
    X^2 = 1 + sqrt(2) h_2 and T1); E SiLU'^2 by quadrature (T6, |SiLU'| <= 1 + |x|)."""
    with working_precision(prec):
        s = _sigmoid_odd(max(n_max + 1, 3), prec)
        s[0] = arb(1) / 2
        a = [arb(0)] * (n_max + 1)
        for n in range(0, n_max + 1):
            a[n] = arb(n + 1).sqrt() * s[n + 1] + (arb(n).sqrt() * s[n - 1] if n >= 1 else 0)
        second = arb(1) / 2 - s[1] - arb(6).sqrt() * s[3]
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: _silu_prime_acb(z, an) ** 2)], (2, 0, 2), prec)
    return Raw(second, a, dsecond)


# ----------------------------------------------------------------- the general route


def general_raw(act: "Activation", n_max: int, prec: int) -> Raw:
    """Any activation given only by its quadrature pieces: every a_n, E sigma^2 and
    E sigma'^2 by rigorous quadrature (T5, T6).  O(N^2) evaluations: fine for N of a few
    hundred at modest precision; used by the cross-check tests."""
    a = [quadrature_coefficient(act.pieces, act.growth, n, prec) for n in range(n_max + 1)]
    a0, b0 = act.growth
    second = gaussian_expectation(
        [(lo, hi, (lambda f: lambda z, an: f(z, an) ** 2)(f)) for lo, hi, f in act.pieces],
        (2 * a0 * a0, 0, 2 * b0 * b0),
        prec,
    )
    a1, b1 = act.derivative_growth
    dsecond = gaussian_expectation(
        [(lo, hi, (lambda f: lambda z, an: f(z, an) ** 2)(f)) for lo, hi, f in act.derivative_pieces],
        (2 * a1 * a1, 0, 2 * b1 * b1),
        prec,
    )
    return Raw(second, a, dsecond)


# ----------------------------------------------------------------- quadrature pieces


def _erf_acb(z, analytic):
    return z.erf()


def _gelu_acb(z, analytic):
    return z * (1 + (z / arb(2).sqrt()).erf()) / 2


def _gelu_prime_acb(z, analytic):
    return (1 + (z / arb(2).sqrt()).erf()) / 2 + z * (-z * z / 2).exp() / (2 * arb.pi()).sqrt()


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", "ReLU(x) = max(x, 0)", relu_raw,
                   ((0.0, INF, lambda z, an: z),), (0, 1),
                   ((0.0, INF, lambda z, an: acb(1)),), (1, 0),
                   "power", "1", 1000),
        Activation("abs", "|x|", abs_raw,
                   ((-INF, 0.0, lambda z, an: -z), (0.0, INF, lambda z, an: z)), (0, 1),
                   ((-INF, 0.0, lambda z, an: acb(-1)), (0.0, INF, lambda z, an: acb(1))), (1, 0),
                   "power", "1", 1000),
        Activation("erf", "erf(x)", erf_raw,
                   ((-INF, INF, _erf_acb),), (1, 0),
                   ((-INF, INF, lambda z, an: 2 / arb.pi().sqrt() * (-z * z).exp()),), (2, 0),
                   "exponential", "2/sqrt(pi)", 1000),
        Activation("gelu", "GELU(x) = x Phi(x)", gelu_raw,
                   ((-INF, INF, _gelu_acb),), (0, 1),
                   ((-INF, INF, _gelu_prime_acb),), (2, 0),
                   "exponential", "1.1289 (at x = sqrt(2))", 1000),
        Activation("sigmoid", "sigmoid(x) = 1/(1 + exp(-x))", sigmoid_raw,
                   ((-INF, INF, lambda z, an: _sigmoid_acb(z)),), (1, 0),
                   ((-INF, INF, _sigmoid_prime_acb),), (1, 0),
                   "root-exponential", "1/4", 300),
        Activation("tanh", "tanh(x)", tanh_raw,
                   ((-INF, INF, lambda z, an: z.tanh()),), (1, 0),
                   ((-INF, INF, _tanh_prime_acb),), (1, 0),
                   "root-exponential", "1", 300),
        Activation("softplus", "softplus(x) = log(1 + exp(x))", softplus_raw,
                   ((-INF, INF, _softplus_acb),), (1, 1),
                   ((-INF, INF, lambda z, an: _sigmoid_acb(z)),), (1, 0),
                   "root-exponential", "1", 300),
        Activation("silu", "SiLU(x) = x sigmoid(x)", silu_raw,
                   ((-INF, INF, lambda z, an: z * _sigmoid_acb(z)),), (0, 1),
                   ((-INF, INF, _silu_prime_acb),), (1, 1),
                   "root-exponential", "1.0998 (at x = 2.3994)", 300),
    )
}


def get_activation(name: str) -> Activation:
    from ..certificate import CertificateError

    if name not in ACTIVATIONS:
        raise CertificateError(f"unknown activation {name!r} (known: {', '.join(ACTIVATIONS)})")
    return ACTIVATIONS[name]


__all__ = ["ACTIVATIONS", "Activation", "Raw", "get_activation", "general_raw"]

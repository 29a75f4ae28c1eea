"""The activations known to the hermite-expansion checker, and how each is enclosed.

TRUSTED (the checker computes with these definitions).  Imports only
python-flint, the standard library and the kernel.

Each activation provides ``raw(N, prec) -> Raw``: balls for E sigma(X)^2,
a_0..a_N and E sigma'(X)^2 of the *raw* (unnormalized) activation, computed by
the route stated in its docstring.  Everything else (tails, dual coefficients,
normalization) is derived in :mod:`certify.kernel.hermite.expansion`.  Its
``route`` selects the resource limits of the kind (certify.kernel.hermite.kind):
closed forms cost O(N) ball operations, the Fourier route O(N^1.5) trapezoid
nodes times O(N) power sums plus quadratures whose cost grows like prec^3.

Only what deciding needs lives here.  The producer's data on each activation
(decay form, Lipschitz note, quadrature pieces for the cross-check route) is in
certify/hermite/profiles.py.  How to add an activation: docs/hermite.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flint import acb, arb

from ..certificate import CertificateError
from .rigorous import gaussian_expectation, sinh_family_odd_coefficients, working_precision

INF = float("inf")
CLOSED_FORM = "closed form"  # O(N) ball operations at the working precision
FOURIER = "Fourier route"  # trapezoid sums (T2/T3) and quadratures (T6): the costly route


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
    route: str  # CLOSED_FORM or FOURIER: selects the resource limits


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


def sigmoid_acb(z: acb) -> acb:
    """sigmoid(z) = 1 / (1 + e^{-z}) on an acb ball; a ball containing a pole (z = i pi (2m + 1)) gives a
    non-finite result (a division by a ball containing 0)."""
    return 1 / (1 + (-z).exp())


def sigmoid_prime_acb(z, analytic):
    """sigmoid'(z) = s (1 - s), s = sigmoid(z): a T6 integrand.  ``analytic`` is ignored: the function
    is meromorphic, and a ball containing a pole already gives a non-finite value."""
    s = sigmoid_acb(z)
    return s * (1 - s)


def tanh_prime_acb(z, analytic):
    """tanh'(z) = 1 - tanh(z)^2: a T6 integrand (meromorphic; ``analytic`` ignored as in
    :func:`sigmoid_prime_acb`)."""
    t = z.tanh()
    return 1 - t * t


def silu_prime_acb(z, analytic):
    """SiLU'(z) = s + z s (1 - s), s = sigmoid(z): a T6 integrand (meromorphic; ``analytic`` ignored as
    in :func:`sigmoid_prime_acb`)."""
    s = sigmoid_acb(z)
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
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: sigmoid_prime_acb(z, an) ** 2)], (1 / 16, 0, 0), prec)
    return Raw(second, a, dsecond)


def tanh_raw(n_max: int, prec: int) -> Raw:
    """tanh: odd, a_n for odd n by the Fourier route (T2/T3) with lam = pi/2;
    E tanh^2 = 1 - E sech^2 = 1 - a_1 (T1); E tanh'^2 = E sech^4 by quadrature (T6)."""
    with working_precision(prec):
        a = sinh_family_odd_coefficients(arb.pi() / 2, 1.5707963267948966, max(n_max, 1), prec)
        second = 1 - a[1]
        a = a[: n_max + 1]
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: tanh_prime_acb(z, an) ** 2)], (1, 0, 0), prec)
    return Raw(second, a, dsecond)


def softplus_acb(z, analytic):
    """softplus(z) = log(1 + e^z) with the principal logarithm: a T6 integrand that passes ``analytic``
    to acb.log, so a ball meeting the branch cut gives a non-finite value when holomorphy is asked."""
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
    a[0] = gaussian_expectation([(-INF, INF, softplus_acb)], (1, 1, 0), prec)
    second = gaussian_expectation([(-INF, INF, lambda z, an: softplus_acb(z, an) ** 2)], (2, 0, 2), prec)
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
    dsecond = gaussian_expectation([(-INF, INF, lambda z, an: silu_prime_acb(z, an) ** 2)], (2, 0, 2), prec)
    return Raw(second, a, dsecond)


# ----------------------------------------------------------------- the table

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", "ReLU(x) = max(x, 0)", relu_raw, CLOSED_FORM),
        Activation("abs", "|x|", abs_raw, CLOSED_FORM),
        Activation("erf", "erf(x)", erf_raw, CLOSED_FORM),
        Activation("gelu", "GELU(x) = x Phi(x)", gelu_raw, CLOSED_FORM),
        Activation("sigmoid", "sigmoid(x) = 1/(1 + exp(-x))", sigmoid_raw, FOURIER),
        Activation("tanh", "tanh(x)", tanh_raw, FOURIER),
        Activation("softplus", "softplus(x) = log(1 + exp(x))", softplus_raw, FOURIER),
        Activation("silu", "SiLU(x) = x sigmoid(x)", silu_raw, FOURIER),
    )
}


def get_activation(name: str) -> Activation:
    """The activation called ``name``; CertificateError (naming the known ones) otherwise."""
    if name not in ACTIVATIONS:
        raise CertificateError(f"unknown activation {name[:60]!r} (known: {', '.join(ACTIVATIONS)})")
    return ACTIVATIONS[name]

"""What the producer knows about each activation beyond what the checker needs (UNTRUSTED).

The checker's definition of an activation (name, formula, route to its
enclosures) is certify/kernel/hermite/activations.py.  Here, for the producer
and the cross-check tests: the decay form used to fit the decay bound, a
Lipschitz note, the degree the stored certificates must reach, and the
quadrature pieces and growth constants of sigma and sigma' used by the general
quadrature route (certify/hermite/crosscheck.py).
"""
from __future__ import annotations

from dataclasses import dataclass

from flint import acb, arb

from ..kernel.hermite.activations import (
    ACTIVATIONS,
    sigmoid_acb,
    sigmoid_prime_acb,
    silu_prime_acb,
    softplus_acb,
    tanh_prime_acb,
)

INF = float("inf")


@dataclass(frozen=True)
class Profile:
    decay: str  # "power" (kinked) | "root-exponential" (analytic in a strip) | "exponential" (entire)
    lipschitz: str  # documentation only: the Lipschitz constant L (E sigma'^2 <= L^2)
    required_degree: int  # the degree issue 3 asks certificates to reach (stored ones reach 1000)
    pieces: tuple  # quadrature pieces (lo, hi, f(z, analytic)) of sigma
    growth: tuple  # (A, B): |sigma(x)| <= A + B|x|
    derivative_pieces: tuple  # quadrature pieces of sigma'
    derivative_growth: tuple  # (A, B): |sigma'(x)| <= A + B|x|


def _erf_acb(z, analytic):
    return z.erf()


def _gelu_acb(z, analytic):
    return z * (1 + (z / arb(2).sqrt()).erf()) / 2


def _gelu_prime_acb(z, analytic):
    return (1 + (z / arb(2).sqrt()).erf()) / 2 + z * (-z * z / 2).exp() / (2 * arb.pi()).sqrt()


PROFILES: dict[str, Profile] = {
    "relu": Profile("power", "1", 1000,
                    ((0.0, INF, lambda z, an: z),), (0, 1),
                    ((0.0, INF, lambda z, an: acb(1)),), (1, 0)),
    "abs": Profile("power", "1", 1000,
                   ((-INF, 0.0, lambda z, an: -z), (0.0, INF, lambda z, an: z)), (0, 1),
                   ((-INF, 0.0, lambda z, an: acb(-1)), (0.0, INF, lambda z, an: acb(1))), (1, 0)),
    "erf": Profile("exponential", "2/sqrt(pi)", 1000,
                   ((-INF, INF, _erf_acb),), (1, 0),
                   ((-INF, INF, lambda z, an: 2 / arb.pi().sqrt() * (-z * z).exp()),), (2, 0)),
    "gelu": Profile("exponential", "1.1289 (at x = sqrt(2))", 1000,
                    ((-INF, INF, _gelu_acb),), (0, 1),
                    ((-INF, INF, _gelu_prime_acb),), (2, 0)),
    "sigmoid": Profile("root-exponential", "1/4", 300,
                       ((-INF, INF, lambda z, an: sigmoid_acb(z)),), (1, 0),
                       ((-INF, INF, sigmoid_prime_acb),), (1, 0)),
    "tanh": Profile("root-exponential", "1", 300,
                    ((-INF, INF, lambda z, an: z.tanh()),), (1, 0),
                    ((-INF, INF, tanh_prime_acb),), (1, 0)),
    "softplus": Profile("root-exponential", "1", 300,
                        ((-INF, INF, softplus_acb),), (1, 1),
                        ((-INF, INF, lambda z, an: sigmoid_acb(z)),), (1, 0)),
    "silu": Profile("root-exponential", "1.0998 (at x = 2.3994)", 300,
                    ((-INF, INF, lambda z, an: z * sigmoid_acb(z)),), (0, 1),
                    ((-INF, INF, silu_prime_acb),), (1, 1)),
}

assert set(PROFILES) == set(ACTIVATIONS), "every activation of the kernel needs a producer profile"

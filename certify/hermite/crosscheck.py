"""The general quadrature route, for cross-checks (UNTRUSTED: the checker never uses it).

Any activation given only by its quadrature pieces (certify/hermite/profiles.py):
every a_n, E sigma^2 and E sigma'^2 by rigorous quadrature.  The balls are
rigorous (T5, T6 of docs/hermite.md), but the checker does not rely on them:
the tests compare them with the checker's own routes (closed forms, Fourier
route) to catch a wrong formula.  A new activation whose checker route needs
this quadrature must bring it into the kernel (certify/kernel/hermite/).

(T5) Cramer's inequality |He_n(x)| e^{-x^2/4} <= 1.0865 sqrt(n!), i.e.
     |h_n(x)| <= 1.0865 e^{x^2/4} for real x.
"""
from __future__ import annotations

import math

from flint import acb, arb

from ..kernel.hermite.activations import Raw
from ..kernel.hermite.rigorous import (
    finite,
    gaussian_expectation,
    integrate_pieces,
    plus_minus,
    working_precision,
)
from .profiles import PROFILES

CRAMER = arb("1.0865")  # T5 (the sharp constant is 1.086435...); arb("1.0865") is a ball around it


def quarter_cutoff(prec: int) -> int:
    """T with e^{-T^2/4} below 2^-(prec+30)."""
    return int(math.ceil(math.sqrt(4.0 * (prec + 30) * math.log(2.0)))) + 1


def hermite_acb(n: int, z: acb) -> acb:
    """h_n(z) by the three-term recurrence h_{k+1} = (z h_k - sqrt(k) h_{k-1}) / sqrt(k+1)."""
    prev, cur = acb(0), acb(1)
    for k in range(n):
        prev, cur = cur, (z * cur - arb(k).sqrt() * prev) / arb(k + 1).sqrt()
    return cur


def quadrature_coefficient(pieces, growth: tuple, n: int, prec: int) -> arb:
    """a_n = int sigma(x) h_n(x) phi(x) dx by quadrature (T6), with |sigma(x)| <= A + B|x|
    (growth = (A, B)) and the tail bound from T5:
    int_{|x|>T} (A + B|x|) 1.0865 e^{x^2/4} phi(x) dx <= (2 * 1.0865/sqrt(2 pi)) (2A/T + 2B) e^{-T^2/4}.
    Slow (O(n) per evaluation point)."""
    cut = quarter_cutoff(prec + 4 * n)
    with working_precision(prec + 20 + n // 2):
        inv_sqrt_2pi = 1 / (2 * arb.pi()).sqrt()
        integral = integrate_pieces(
            pieces, lambda z: hermite_acb(n, z) * (-z * z / 2).exp(), cut, prec + n // 2
        )
        a_, b_ = (arb(v) for v in growth)
        t = arb(cut)
        tail = 2 * CRAMER.upper() * inv_sqrt_2pi * (2 * a_ / t + 2 * b_) * (-t * t / 4).exp()
        value = integral * inv_sqrt_2pi + plus_minus(tail)
    with working_precision(prec):
        return finite(+value, f"a_{n} by quadrature")


def _squared(pieces) -> list:
    return [(lo, hi, (lambda f: lambda z, an: f(z, an) ** 2)(f)) for lo, hi, f in pieces]


def general_raw(name: str, n_max: int, prec: int) -> Raw:
    """Every a_n, E sigma^2 and E sigma'^2 of activation `name` by rigorous quadrature (T5, T6).
    O(N^2) evaluations: fine for N of a few hundred at modest precision."""
    p = PROFILES[name]
    a = [quadrature_coefficient(p.pieces, p.growth, n, prec) for n in range(n_max + 1)]
    a0, b0 = p.growth
    second = gaussian_expectation(_squared(p.pieces), (2 * a0 * a0, 0, 2 * b0 * b0), prec)
    a1, b1 = p.derivative_growth
    dsecond = gaussian_expectation(_squared(p.derivative_pieces), (2 * a1 * a1, 0, 2 * b1 * b1), prec)
    return Raw(second, a, dsecond)

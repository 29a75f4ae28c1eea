"""Tails, dual coefficients and normalization from an activation's raw balls.

TRUSTED (imports only python-flint and the kernel).
Definitions (X ~ N(0,1), h_n orthonormal Hermite, a_n = E[sigma h_n]):
  eps(n) = sum_{i>n} a_i^2 = E sigma^2 - sum_{i<=n} a_i^2       (Parseval)
  dual coefficients b_n = a_n^2, so that E[sigma(X) sigma(Y)] = sum_n b_n rho^n
  for standard normals X, Y with correlation rho (Mehler's formula).
  Normalized activation sigma / sqrt(E sigma^2): a_n / sqrt(E), eps(n) / E,
  b_n / E, E sigma'^2 / E and second moment exactly 1.
"""
from __future__ import annotations

from dataclasses import dataclass

from flint import arb

from ..interval import NotProven
from .rigorous import finite, working_precision


@dataclass
class Expansion:
    activation: str
    normalized: bool
    degree: int
    prec: int
    second_moment: arb
    derivative_second_moment: arb
    coefficients: list
    tails: list
    dual: list


def compute_expansion(act, degree: int, normalized: bool, prec: int) -> Expansion:
    """Balls for everything a hermite-expansion certificate states (see module docstring)."""
    raw = act.raw(degree, prec)
    if len(raw.coefficients) != degree + 1:
        raise NotProven("internal: wrong number of coefficients")
    with working_precision(prec):
        second = finite(raw.second_moment, "E sigma^2")
        if not second > 0:
            raise NotProven("E sigma^2 is not proven positive")
        dsecond = finite(raw.derivative_second_moment, "E sigma'^2")
        coefficients = [finite(a, f"a_{n}") for n, a in enumerate(raw.coefficients)]
        dual = [a**2 for a in coefficients]
        tails = []
        partial = arb(0)
        for b in dual:
            partial += b
            tails.append(second - partial)
        if normalized:
            root = second.sqrt()
            coefficients = [a / root for a in coefficients]
            tails = [t / second for t in tails]
            dual = [b / second for b in dual]
            dsecond = dsecond / second
            second = arb(1)
        for n, t in enumerate(tails):
            finite(t, f"eps({n})")
        return Expansion(act.name, normalized, degree, prec, second, dsecond, coefficients, tails, dual)

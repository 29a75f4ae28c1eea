"""Rigorous ball arithmetic for Hermite expansions (python-flint arb/acb).

TRUSTED (used by the checker).  Imports only python-flint, numpy, the standard
library and certify.kernel.interval.  Every function returns arb balls that contain
the exact mathematical value; a NaN or infinite ball is never a result (it
raises NotProven).  Floating point (math/numpy) is used only to *choose*
parameters (step sizes, cut-offs); the bounds are then evaluated in arb, so a
poor choice can only make a ball wide, never wrong.

Notation: X ~ N(0, 1), phi its density, h_n = He_n / sqrt(n!) the orthonormal
probabilists' Hermite polynomials, a_n = E[sigma(X) h_n(X)].

Theorems used (stated where used):

(T1) Gaussian integration by parts.  If sigma is absolutely continuous with
     sigma, sigma' of polynomial growth, then (h_n phi)' = -sqrt(n) h_{n-1} phi
     gives a_n(sigma) = a_{n-1}(sigma') / sqrt(n) for n >= 1.
(T2) Fourier route.  For f in L^1 with integrable Fourier transform
     F(w) = int f(x) e^{-iwx} dx, Fubini and E[e^{iwX} h_m(X)] = (iw)^m
     e^{-w^2/2} / sqrt(m!) (generating function of He_m) give
     a_m(f) = (1/2pi) int F(w) (iw)^m e^{-w^2/2} dw / sqrt(m!).
     With f = sech^2 (F(w) = pi w / sinh(pi w / 2)) and T1, for odd n:
       a_n(tanh)    = (-1)^((n-1)/2) J_n(pi/2) / sqrt(n!),
       a_n(sigmoid) = (-1)^((n-1)/2) J_n(pi)   / sqrt(n!)   (sigmoid' = sech^2(x/2)/4),
     where J_n(lam) = int_0^inf w^n e^{-w^2/2} / sinh(lam w) dw; even n >= 2 give 0.
(T3) Trapezoidal rule for analytic integrands (Trefethen & Weideman, SIAM
     Review 56 (2014), Thm 5.1).  If g is analytic in the strip |Im z| < a,
     g(z) -> 0 uniformly as |z| -> inf in the strip, and int |g(x+iy)| dx <= M
     for all |y| < a, then |h sum_{j in Z} g(jh) - int_R g| <= 2M / (e^{2 pi a/h} - 1).
(T4) Gaussian tails: for T > 0, int_T^inf phi = Phibar(T) <= phi(T)/T and
     int_T^inf x^2 phi = T phi(T) + Phibar(T).
(T5) Cramer's inequality (used only by the untrusted cross-check route,
     certify/hermite/crosscheck.py; listed here to keep the numbering of docs/hermite.md).
(T6) acb.integral (FLINT's acb_calc_integrate) returns a ball containing the
     integral when the integrand honours the `analytic` flag (it returns a
     non-finite value on boxes where it is not holomorphic).
"""
from __future__ import annotations

import contextlib
import math
from typing import Callable, Sequence

import numpy as np
from flint import acb, arb, ctx

from ..interval import NotProven

LN2 = math.log(2.0)


@contextlib.contextmanager
def working_precision(prec: int):
    """Run with ctx.prec = prec bits and restore the previous precision after."""
    old = ctx.prec
    ctx.prec = int(prec)
    try:
        yield
    finally:
        ctx.prec = old


def finite(x: arb, what: str) -> arb:
    """``x`` itself when the ball is finite; NotProven naming ``what`` otherwise."""
    if not x.is_finite():
        raise NotProven(f"non-finite enclosure of {what}")
    return x


def plus_minus(r: arb) -> arb:
    """A ball containing [-r, r] (r >= 0 certainly, else NotProven)."""
    if not r >= 0:
        raise NotProven("negative or undetermined error radius")
    return arb(0, r.upper())


def zero_to(t: arb) -> arb:
    """A ball containing [0, t] (t >= 0 certainly, else NotProven)."""
    if not t >= 0:
        raise NotProven("negative or undetermined tail bound")
    return arb(0).union(t.upper())


def sqrt_factorials(nmax: int) -> list[arb]:
    """sqrt(n!) for n = 0..nmax."""
    out = [arb(1)]
    for n in range(1, nmax + 1):
        out.append(out[-1] * arb(n).sqrt())
    return out


# --------------------------------------------------------------------------- T2 + T3


def _choose_trapezoid(lam: float, nmax: int, prec: int) -> tuple[float, int, int, int]:
    """Float estimates only: strip half-width a, step h = hm/4096, number of nodes J."""
    target = (prec + 24) * LN2  # wanted: absolute error of a_n below 2^-(prec+24)
    n = np.arange(1, nmax + 1, 2, dtype=np.float64)
    half_lgam = np.array([math.lgamma(k + 1) / 2 for k in n])
    log_g = np.array([math.lgamma((k + 1) / 2) for k in n]) + (n - 1) / 2 * LN2
    best = None
    for kappa in (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        a = kappa * math.pi / lam
        c = math.sin(lam * a) / a
        log_m = a * a / 2 + n / 2 * np.log1p(a * a) + np.logaddexp(
            math.log(2 / c), math.log(4 / (1 - math.exp(-2 * lam))) + log_g
        )
        need = float(np.max(log_m - half_lgam)) + target + 2.0
        h = 2 * math.pi * a / need
        if best is None or h > best[1]:
            best = (a, h)
    a, h = best
    hm = max(1, int(h * 4096))
    h = hm / 4096
    # truncation point X = J h with X^2 > nmax and the tail bound below 2^-target
    x = math.sqrt(nmax) + 1.0
    while True:
        if x * x > nmax + 1:
            log_tail = n * math.log(x) - x * x / 2 - np.log(x - n / x) - (lam * x - LN2) - half_lgam
            if float(np.max(log_tail)) < -target:
                break
        x += 0.25
    jmax = int(math.ceil(x / h))
    a_bits = float(np.float64(a))  # the exact binary64 value used below
    return a_bits, hm, jmax, 12


def sinh_kernel_integrals(lam: arb, lam_float: float, nmax: int, prec: int) -> dict[int, arb]:
    """Enclosures of J_n = int_0^inf w^n e^{-w^2/2} / sinh(lam w) dw for odd n <= nmax.

    Method (T3): g_n(z) = z^n e^{-z^2/2} / sinh(lam z) is analytic for
    |Im z| < pi/lam (the zero of sinh at 0 is cancelled by z^n, n >= 1) and
    even, so 2 J_n = int_R g_n.  On |Im z| <= a < pi/lam:
      |sinh(lam z)|^2 = sinh^2(lam x) + sin^2(lam y) >= c^2 |z|^2 with
      c = sin(lam a)/a (sin t / t decreases on (0, pi]; sinh t >= t; c <= lam),
      and |sinh(lam z)| >= sinh(lam |x|) >= (1 - e^{-2 lam}) e^{lam|x|}/2 for |x| >= 1.
    Hence int |g_n(x+iy)| dx <= M_n with
      M_n = e^{a^2/2} (1+a^2)^{n/2} [ 2/c + 4 G_n / (1 - e^{-2 lam}) ],
      G_n = int_0^inf x^n e^{-x^2/2} dx  (G_1 = 1, G_{n+2} = (n+1) G_n),
    using |z|^n <= (1+a^2)^{n/2} max(1,|x|)^n and |e^{-z^2/2}| <= e^{a^2/2} e^{-x^2/2}.
    With step h and nodes x_j = j h, j = 1..J, X = J h > sqrt(n):
      J_n = h g_n(0)/2 + h sum_{j=1..J} g_n(x_j) + R_n + E_n,
      0 <= R_n <= int_X^inf g_n <= X^n e^{-X^2/2} / ((X - n/X) sinh(lam X))
    (g_n decreases beyond sqrt(n); log(x^n e^{-x^2/2}) is concave), and
    |E_n| <= M_n / (e^{2 pi a / h} - 1); g_n(0) = 1/lam if n = 1, else 0.
    """
    if nmax < 1:
        return {}
    with working_precision(prec):
        a_f, hm, jmax, hexp = _choose_trapezoid(lam_float, nmax, prec)
        a = arb(a_f)
        h = arb((hm, -hexp))
        if not (lam * a < arb.pi() and a > 0):
            raise NotProven("trapezoid strip leaves the domain of analyticity")
        c = (lam * a).sin() / a
        if not c > 0:
            raise NotProven("could not bound sinh away from 0 in the strip")
        odd = range(1, nmax + 1, 2)
        sums = {n: arb(0) for n in odd}
        for j in range(1, jmax + 1):
            x = arb((j * hm, -hexp))
            x2 = x * x
            p = (-x2 / 2).exp() / (lam * x).sinh() * x
            for n in odd:
                sums[n] += p
                p *= x2
        big_x = arb((jmax * hm, -hexp))
        one_minus = 1 - (-2 * lam).exp()
        trap_den = (2 * arb.pi() * a / h).exp() - 1
        ea = (a * a / 2).exp()
        pa = (1 + a * a).sqrt()
        sinh_x = (lam * big_x).sinh()
        gauss_x = (-big_x * big_x / 2).exp()
        out: dict[int, arb] = {}
        g_n = arb(1)  # G_n for n = 1
        for n in odd:
            m_n = ea * pa**n * (2 / c + 4 * g_n / one_minus)
            err = m_n / trap_den
            gap = big_x - n / big_x
            if not gap > 0:
                raise NotProven("trapezoid truncation point too small")
            tail = big_x**n * gauss_x / (gap * sinh_x)
            value = h * sums[n]
            if n == 1:
                value += h / (2 * lam)
            value = value + zero_to(tail) + plus_minus(err)
            out[n] = finite(value, f"J_{n}")
            g_n = g_n * (n + 1)
        return out


def sinh_family_odd_coefficients(lam: arb, lam_float: float, nmax: int, prec: int) -> list[arb]:
    """b_n = (-1)^((n-1)/2) J_n(lam) / sqrt(n!) for odd n <= nmax, 0 for even n.

    By T2, a_n(tanh) = b_n(pi/2) and a_n(sigmoid) = b_n(pi) for every odd n."""
    integrals = sinh_kernel_integrals(lam, lam_float, nmax, prec)
    with working_precision(prec):
        sf = sqrt_factorials(nmax)
        out = [arb(0)] * (nmax + 1)
        for n, value in integrals.items():
            sign = -1 if (n // 2) % 2 else 1
            out[n] = sign * value / sf[n]
        return out


# --------------------------------------------------------------------------- T4, T6

Piece = tuple[float, float, Callable]  # (lo, hi, f(z: acb, analytic: bool) -> acb), lo/hi may be +-inf


def gaussian_cutoff(prec: int) -> int:
    """T with e^{-T^2/2} below 2^-(prec+30) (a float choice: the tail bound T4 is then proven)."""
    return int(math.ceil(math.sqrt(2.0 * (prec + 30) * LN2))) + 1


def integrate_pieces(pieces: Sequence[Piece], weight: Callable, cut: int, prec: int) -> arb:
    """Sum over the pieces of int f(x) weight(x) dx on [max(lo, -cut), min(hi, cut)] (T6)."""
    total = arb(0)
    for lo, hi, f in pieces:
        lo = max(lo, -cut)
        hi = min(hi, cut)
        if lo >= hi:
            continue

        def integrand(z, analytic, f=f):
            """f(z, analytic) * weight(z): the integrand handed to acb.integral; f reports non-holomorphy (T6),
            and the callers' weight is entire."""
            return f(z, analytic) * weight(z)

        value = acb.integral(integrand, lo, hi, abs_tol=arb((1, -(prec + 40))))
        total += finite(value.real, "a quadrature")
    return total


def gaussian_expectation(pieces: Sequence[Piece], growth: tuple, prec: int) -> arb:
    """E f(X) for a piecewise-analytic f with |f(x)| <= A + B|x| + C x^2 (growth = (A, B, C)).

    Quadrature (T6) on [-T, T] and the tail bound (T4)
    int_{|x|>T} (A + B|x| + C x^2) phi <= 2 phi(T) (A/T + B + C (T + 1/T)).
    """
    cut = gaussian_cutoff(prec)
    with working_precision(prec + 20):
        inv_sqrt_2pi = 1 / (2 * arb.pi()).sqrt()
        integral = integrate_pieces(pieces, lambda z: (-z * z / 2).exp(), cut, prec)
        a_, b_, c_ = (arb(v) for v in growth)
        t = arb(cut)
        phi_t = (-t * t / 2).exp() * inv_sqrt_2pi
        tail = 2 * phi_t * (a_ / t + b_ + c_ * (t + 1 / t))
        value = integral * inv_sqrt_2pi + plus_minus(tail)
    with working_precision(prec):
        return finite(+value, "a Gaussian expectation")

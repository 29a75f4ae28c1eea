"""Claim kind ``hermite-expansion``: certified Hermite expansions and tail bounds of activations.

TRUSTED (docs/trust.md).  Imports only python-flint, the standard library and
the kernel (certificate, contract, interval, hermite.{hexfloat, rigorous,
activations, expansion}).  Never the producer.

What a valid certificate proves (X ~ N(0,1), h_n = He_n/sqrt(n!),
a_n = E[sigma(X) h_n(X)], eps(n) = sum_{i>n} a_i^2; sigma is the named
activation, divided by sqrt(E sigma(X)^2) when "normalized"):

1. The true values lie in the claimed intervals: E sigma(X)^2, E sigma'(X)^2,
   a_n, eps(n) and the dual-activation coefficients a_n^2 for 0 <= n <= N.
   Every interval is tight: lo = hi = 0 (and the value is proven to be exactly
   0), or lo, hi of one sign with hi - lo <= 1e-10 min(|lo|, |hi|).  So a value
   changed in its 8th significant digit is either no longer an enclosure or too
   wide, and is rejected.
2. For every 0 <= n <= N: eps(n) <= E[sigma'(X)^2] / (n+1).  (Theorem:
   sum_i i a_i^2 = E sigma'^2 by Gaussian integration by parts, and
   (n+1) eps(n) <= sum_{i>n} i a_i^2; hence also eps(n) <= L^2/(n+1) for an
   L-Lipschitz sigma.)  Checked with the checker's own enclosures.
3. For every 0 <= n <= N: eps(n) <= C exp(-c n^alpha) (form "C*exp(-c*n^alpha)")
   or eps(n) <= C (n+1)^(-beta) (form "C*(n+1)^(-beta)"), with the rational
   constants of the certificate, checked n by n.

The enclosures are recomputed from scratch at the precision given in
method.precision_bits (a hint: it changes only speed and tightness, never
soundness).  Degree and precision are bounded by :data:`LIMITS` before any
arithmetic, per route of the activation (closed forms are cheap; the Fourier
route and its quadratures are not), so that every accepted file is decided in
seconds.  The theorems behind each activation's enclosures are listed in
rigorous.py (T1-T6), activations.py and docs/hermite.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from ..certificate import (
    CertificateError,
    as_rational,
    get_bool,
    get_int,
    get_object,
    get_str,
    only_fields,
    rational_str,
    require,
    within_limit,
)
from ..contract import ClaimKind, Proven
from ..interval import NotProven
from . import hexfloat
from .activations import CLOSED_FORM, FOURIER, Activation, get_activation
from .expansion import compute_expansion
from .rigorous import working_precision

BASIS = "orthonormal probabilists' Hermite polynomials h_n = He_n/sqrt(n!), X ~ N(0,1)"
NUMBER_FORMAT = "hexfloat"
REL_WIDTH = 10**10  # intervals must satisfy (hi - lo) * REL_WIDTH <= min(|lo|, |hi|)
FORM_EXP = "C*exp(-c*n^alpha)"
FORM_POWER = "C*(n+1)^(-beta)"

# ----------------------------------------------------------------------------- resource limits
# Checked in parse, before any arithmetic.  Measured on the 2-core machine (docs/hermite.md,
# "Limits"): the slowest accepted file of each route is decided in about 10 s when idle.
MIN_PREC = 64
MAX_DEGREE = 20000  # closed forms: O(N) ball operations
MAX_PREC = 20000
FOURIER_MAX_DEGREE = 3000  # Fourier route: O(N^1.5) trapezoid nodes x O(N) power sums
FOURIER_MAX_PREC = 1536  # its quadratures cost about prec^3
FOURIER_MAX_WORK = 1_500_000  # degree * precision_bits on the Fourier route
LIMITS = {
    "degree": MAX_DEGREE,
    "precision_bits": MAX_PREC,
    "degree (Fourier route: sigmoid, tanh, softplus, silu)": FOURIER_MAX_DEGREE,
    "precision_bits (Fourier route)": FOURIER_MAX_PREC,
    "degree * precision_bits (Fourier route)": FOURIER_MAX_WORK,
}

Pair = tuple[int, int]  # the exact number m * 2**e


def max_degree(act: Activation) -> int:
    """The largest degree accepted for this activation (from LIMITS; producers use it too)."""
    return FOURIER_MAX_DEGREE if act.route == FOURIER else MAX_DEGREE


def max_precision(act: Activation, degree: int) -> int:
    """The largest precision_bits accepted for this activation at this degree (from LIMITS)."""
    if act.route == FOURIER:
        return min(FOURIER_MAX_PREC, FOURIER_MAX_WORK // max(degree, 1))
    return MAX_PREC


def check_limits(act: Activation, degree: int, prec: int) -> None:
    """The resource limits of :data:`LIMITS` (pure integer comparisons)."""
    within_limit(degree, MAX_DEGREE, "claim.degree")
    within_limit(prec, MAX_PREC, "method.precision_bits")
    if act.route == FOURIER:
        route = f"({act.name}, {FOURIER})"
        within_limit(degree, FOURIER_MAX_DEGREE, f"claim.degree {route}")
        within_limit(prec, FOURIER_MAX_PREC, f"method.precision_bits {route}")
        within_limit(degree * prec, FOURIER_MAX_WORK, f"claim.degree * method.precision_bits {route}")
    elif act.route != CLOSED_FORM:  # pragma: no cover - a new route must get its own limits
        raise CertificateError(f"activation {act.name}: no resource limits for route {act.route!r}")


# ----------------------------------------------------------------------------- the typed claim


@dataclass(frozen=True)
class Enclosure:
    """A claimed interval [lo, hi] of exact dyadic numbers (and the strings it was written as)."""

    lo: Pair
    hi: Pair
    text: tuple[str, str]

    @property
    def is_zero(self) -> bool:
        """True when the claimed interval is exactly [0, 0] (both mantissas are 0)."""
        return self.lo[0] == 0 and self.hi[0] == 0

    def show(self, digits: int) -> str:
        """The interval in decimal with ``digits`` significant digits (display only, at 64 bits)."""
        with working_precision(64):
            return (f"[{hexfloat.to_arb(self.lo).str(digits, radius=False)}, "
                    f"{hexfloat.to_arb(self.hi).str(digits, radius=False)}]")


@dataclass(frozen=True)
class DecayBound:
    """eps(n) <= C exp(-c n^alpha) (FORM_EXP) or eps(n) <= C (n+1)^(-beta) (FORM_POWER)."""

    form: str
    C: Fraction
    c: Fraction | None = None
    alpha: Fraction | None = None
    beta: Fraction | None = None

    def text(self) -> str:
        """The bound in words with its exact rational constants (it is part of the statement)."""
        if self.form == FORM_EXP:
            return (f"eps(n) <= {rational_str(self.C)} * exp(-({rational_str(self.c)}) * "
                    f"n^({rational_str(self.alpha)}))")
        return f"eps(n) <= {rational_str(self.C)} * (n+1)^(-({rational_str(self.beta)}))"

    def at(self, n: int) -> arb:
        """A ball containing the bound at n (at the current working precision)."""
        big_c = arb(self.C.numerator) / self.C.denominator
        if self.form == FORM_EXP:
            if n == 0:
                return big_c
            alpha = arb(self.alpha.numerator) / self.alpha.denominator
            small_c = arb(self.c.numerator) / self.c.denominator
            return big_c * (-small_c * (alpha * arb(n).log()).exp()).exp()
        beta = arb(self.beta.numerator) / self.beta.denominator
        return big_c * (-beta * arb(n + 1).log()).exp()


@dataclass(frozen=True)
class HermiteClaim:
    activation: Activation
    normalized: bool
    degree: int
    decay: DecayBound
    second_moment: Enclosure
    derivative_second_moment: Enclosure
    coefficients: tuple[Enclosure, ...]
    tails: tuple[Enclosure, ...]
    dual_coefficients: tuple[Enclosure, ...]
    precision_bits: int  # method.precision_bits: a hint, never part of the statement


def statement(activation_formula: str, normalized: bool, degree: int, decay: DecayBound) -> str:
    """The claim in words; a certificate's "statement" must be exactly this text."""
    what = f"sigma = {activation_formula}"
    if normalized:
        what = f"sigma = s / sqrt(E s(X)^2) (so that E sigma(X)^2 = 1), where s = {activation_formula}"
    return (
        f"For {what}, X ~ N(0,1) and h_n = He_n/sqrt(n!): the intervals enclose E sigma(X)^2, "
        f"E sigma'(X)^2, a_n = E[sigma(X) h_n(X)], eps(n) = sum_(i>n) a_i^2 and the dual-activation "
        f"coefficients a_n^2 for 0 <= n <= {degree}; and for every such n, "
        f"eps(n) <= E[sigma'(X)^2]/(n+1) and {decay.text()}."
    )


# ----------------------------------------------------------------------------- parsing


def check_tight(lo: Pair, hi: Pair, where: str) -> None:
    """lo <= hi, and [lo, hi] is exactly [0, 0] or of one sign with relative width <= 1e-10."""
    (m1, e1), (m2, e2) = lo, hi
    e = min(e1, e2)
    big1, big2 = m1 << (e1 - e), m2 << (e2 - e)
    if big1 > big2:
        raise CertificateError(f"{where}: lower end above upper end")
    if big1 == 0 and big2 == 0:
        return
    if not (big1 > 0 or big2 < 0):
        raise NotProven(f"{where}: interval contains 0 but is not exactly [0, 0]; its relative width is unbounded")
    if (big2 - big1) * REL_WIDTH > min(abs(big1), abs(big2)):
        raise NotProven(f"{where}: interval is wider than the allowed relative width 1e-10")


def parse_enclosure(value, where: str) -> Enclosure:
    """A claimed interval [lo, hi] of two hexfloat strings, read exactly (:func:`hexfloat.parse`) and
    checked by :func:`check_tight` (CertificateError if malformed or lo > hi; NotProven if it contains 0
    without being [0, 0], or is too wide)."""
    if not isinstance(value, list) or len(value) != 2:
        raise CertificateError(f"{where}: expected an interval [lo, hi] of two hexfloat strings, got {str(value)[:60]}")
    lo = hexfloat.parse(value[0], f"{where}[0]")
    hi = hexfloat.parse(value[1], f"{where}[1]")
    check_tight(lo, hi, where)
    return Enclosure(lo, hi, (value[0], value[1]))


def _enclosure_list(claim: dict, key: str, length: int) -> tuple[Enclosure, ...]:
    """claim.<key>: a list of exactly ``length`` (= N + 1) claimed intervals, each read by
    :func:`parse_enclosure`."""
    value = require(claim, key, "claim")
    if not isinstance(value, list):
        raise CertificateError(f"field 'claim.{key}' must be a list of {length} intervals")
    if len(value) != length:
        raise CertificateError(f"field 'claim.{key}' has {len(value)} intervals; degree N needs N+1 = {length}")
    return tuple(parse_enclosure(v, f"claim.{key}[{i}]") for i, v in enumerate(value))


def _rational(obj: dict, key: str, lo: Fraction | None, hi: Fraction | None, strict_lo: bool) -> Fraction:
    """claim.decay_bound.<key> as an exact rational, > lo (``strict_lo``) or >= lo, and <= hi, for the
    bounds given; CertificateError otherwise."""
    value = as_rational(require(obj, key, "claim.decay_bound"), f"claim.decay_bound.{key}")
    if lo is not None and (value <= lo if strict_lo else value < lo):
        raise CertificateError(f"claim.decay_bound.{key} must be {'>' if strict_lo else '>='} {lo}, got {value}")
    if hi is not None and value > hi:
        raise CertificateError(f"claim.decay_bound.{key} must be <= {hi}, got {value}")
    return value


def parse_decay_bound(claim: dict) -> DecayBound:
    """claim.decay_bound: the form and its rational constants (unknown fields rejected)."""
    decay = get_object(claim, "decay_bound", "claim")
    form = get_str(decay, "form", "claim.decay_bound")
    if form == FORM_EXP:
        only_fields(decay, {"form", "C", "c", "alpha"}, "claim.decay_bound")
        return DecayBound(
            form,
            C=_rational(decay, "C", Fraction(0), None, True),
            c=_rational(decay, "c", Fraction(0), None, False),
            alpha=_rational(decay, "alpha", Fraction(0), Fraction(2), True),
        )
    if form == FORM_POWER:
        only_fields(decay, {"form", "C", "beta"}, "claim.decay_bound")
        return DecayBound(
            form,
            C=_rational(decay, "C", Fraction(0), None, True),
            beta=_rational(decay, "beta", Fraction(0), Fraction(10), False),
        )
    raise CertificateError(f"claim.decay_bound.form must be {FORM_EXP!r} or {FORM_POWER!r}, got {form[:60]!r}")


# ----------------------------------------------------------------------------- proving


def _contains(claimed: Enclosure, ball: arb, where: str) -> None:
    """Prove that the claimed interval contains the true value, given a ball ``ball`` that contains it: a
    claimed [0, 0] needs the ball to be exactly 0; otherwise the ball must be finite and lo <= every
    point of it <= hi (arb's certain comparisons).  NotProven otherwise."""
    if claimed.is_zero:
        if ball.is_zero():
            return
        raise NotProven(f"{where}: claimed to be exactly 0, which is not proven (enclosure {ball.str(5)})")
    if not ball.is_finite():
        raise NotProven(f"{where}: no finite enclosure")
    lo, hi = hexfloat.to_arb(claimed.lo), hexfloat.to_arb(claimed.hi)
    if not (lo <= ball and ball <= hi):
        raise NotProven(
            f"{where}: the claimed interval [{lo.str(12, radius=False)}, {hi.str(12, radius=False)}] "
            f"is not proven to contain the value (checker's enclosure {ball.str(12)})"
        )


DECAY_PREC = 96  # first try for the decay bound; enough for any margin above ~1e-20 relative


def _below_decay_bound(tail: arb, decay: DecayBound, n: int, prec: int) -> bool:
    """tail <= decay bound at n, proven with a ball of the bound at DECAY_PREC bits, else at prec.

    Any precision gives a rigorous ball, so a certain comparison at the low precision is a
    proof; only an undecided one needs the full precision (evaluating the bound 20000 times
    at 20000 bits would take half a minute)."""
    with working_precision(min(prec, DECAY_PREC)):
        if tail <= decay.at(n):
            return True
    if prec <= DECAY_PREC:
        return False
    with working_precision(prec):
        return bool(tail <= decay.at(n))


class HermiteExpansion(ClaimKind):
    name = "hermite-expansion"
    version = 1
    title = ("proven enclosures of the Hermite coefficients, tails and dual coefficients of an activation, "
             "and proven tail-decay bounds")
    theorem = "docs/hermite.md"
    trusted_modules = (
        "certify.kernel.hermite.kind",
        "certify.kernel.hermite.expansion",
        "certify.kernel.hermite.activations",
        "certify.kernel.hermite.rigorous",
        "certify.kernel.hermite.hexfloat",
    )
    claim_fields = frozenset({
        "activation", "normalized", "degree", "basis", "number_format", "second_moment",
        "derivative_second_moment", "coefficients", "tails", "dual_coefficients", "decay_bound",
    })
    evidence_fields = frozenset({"method"})
    limits = LIMITS
    max_file_bytes = 8 * 1024 * 1024  # degree <= 20000 enclosures: about 4 MB
    bounds = {
        "activation": "the activation's name (claim.activation); not a number",
        "normalized": "true when sigma = s / sqrt(E s(X)^2); not a number",
        "degree": "N: every enclosure and inequality is proven for 0 <= n <= N",
        "tail_at_degree": "[lo, hi] (hexfloat strings, exact): the proven enclosure of eps(N), "
                          "relative width <= 1e-10 or exactly [0, 0]",
        "decay_bound": "the decay bound proven for every n <= N, in words (exact rational constants)",
    }
    cli_group = "hermite"
    cli_module = "certify.hermite.cli"

    def parse(self, cert: dict) -> HermiteClaim:
        """Validate the claim: the activation (known), normalized, degree >= 0 and method.precision_bits
        >= 64, with the route's resource limits checked before anything of size N is read; the fixed
        basis and number-format strings; the decay bound; and the N + 1 claimed intervals of each list
        (CertificateError; NotProven for an interval that is too wide or contains 0 without being [0, 0])."""
        claim = get_object(cert, "claim")
        act = get_activation(get_str(claim, "activation", "claim"))
        normalized = get_bool(claim, "normalized", "claim")
        degree = get_int(claim, "degree", "claim", lo=0)
        method = get_object(cert, "method")
        only_fields(method, {"precision_bits"}, "method")
        prec = get_int(method, "precision_bits", "method", lo=MIN_PREC)
        check_limits(act, degree, prec)  # before anything of size N or any ball arithmetic
        if get_str(claim, "basis", "claim") != BASIS:
            raise CertificateError(f"claim.basis must be {BASIS!r}")
        if get_str(claim, "number_format", "claim") != NUMBER_FORMAT:
            raise CertificateError(f"claim.number_format must be {NUMBER_FORMAT!r}")
        decay = parse_decay_bound(claim)
        n1 = degree + 1
        return HermiteClaim(
            activation=act,
            normalized=normalized,
            degree=degree,
            decay=decay,
            second_moment=parse_enclosure(require(claim, "second_moment", "claim"), "claim.second_moment"),
            derivative_second_moment=parse_enclosure(
                require(claim, "derivative_second_moment", "claim"), "claim.derivative_second_moment"),
            coefficients=_enclosure_list(claim, "coefficients", n1),
            tails=_enclosure_list(claim, "tails", n1),
            dual_coefficients=_enclosure_list(claim, "dual_coefficients", n1),
            precision_bits=prec,
        )

    def statement(self, c: HermiteClaim) -> str:
        """The claim in words (:func:`statement`); claim.statement must equal it."""
        return statement(c.activation.formula, c.normalized, c.degree, c.decay)

    def check(self, c: HermiteClaim) -> Proven:
        """Recompute every enclosure and prove claims 1-3 of the module docstring."""
        exp = compute_expansion(c.activation, c.degree, c.normalized, c.precision_bits)
        with working_precision(c.precision_bits):
            _contains(c.second_moment, exp.second_moment, "claim.second_moment")
            _contains(c.derivative_second_moment, exp.derivative_second_moment, "claim.derivative_second_moment")
            for key, claimed, balls in (
                ("coefficients", c.coefficients, exp.coefficients),
                ("tails", c.tails, exp.tails),
                ("dual_coefficients", c.dual_coefficients, exp.dual),
            ):
                if len(claimed) != len(balls):  # pragma: no cover - parse and compute agree on N
                    raise NotProven(f"claim.{key}: {len(claimed)} intervals, {len(balls)} computed")
                for n, (interval, ball) in enumerate(zip(claimed, balls)):
                    _contains(interval, ball, f"claim.{key}[{n}]")
            for n, tail in enumerate(exp.tails):
                if not tail * (n + 1) <= exp.derivative_second_moment:
                    raise NotProven(f"eps({n}) <= E[sigma'(X)^2]/({n}+1) could not be proven")
                if not _below_decay_bound(tail, c.decay, n, c.precision_bits):
                    raise NotProven(f"decay bound {c.decay.text()} fails (or is not proven) at n = {n}")
        name = c.activation.name + (" (normalized)" if c.normalized else "")
        n = c.degree
        last = c.tails[-1]
        summary = (
            f"{name}, N={n}: a_0..a_{n} and eps(0..{n}) enclosed (rel. width <= 1e-10), eps({n}) in "
            f"{last.show(8)}; for all n <= {n}: eps(n) <= E[sigma'^2]/(n+1) and {c.decay.text()}"
        )
        bounds = {
            "activation": c.activation.name,
            "normalized": c.normalized,
            "degree": n,
            "tail_at_degree": list(last.text),
            "decay_bound": c.decay.text(),
        }
        return Proven(summary, bounds)

    def describe(self, c: HermiteClaim) -> str:
        """Activation, degree, precision hint, the claimed moments, the decay bound and a table of a_n and
        eps(n) at selected n, for ``certify show`` (no checking)."""
        n = c.degree
        lines = [
            f"activation: {c.activation.name}  ({c.activation.formula})"
            + ("  normalized to E sigma^2 = 1" if c.normalized else ""),
            f"degree N:   {n}     precision hint: {c.precision_bits} bits",
            f"E sigma^2:  {c.second_moment.show(10)}",
            f"E sigma'^2: {c.derivative_second_moment.show(10)}",
            f"decay:      {c.decay.text()}",
            "   n  a_n                                    eps(n)",
        ]
        shown = sorted(set(range(min(n, 10) + 1)) | {k for k in (20, 50, 100, 200, 300, 500, 1000) if k <= n} | {n})
        for k in shown:
            lines.append(f"{k:4d}  {c.coefficients[k].show(10):38s} {c.tails[k].show(10)}")
        return "\n".join(lines)


KIND = HermiteExpansion()

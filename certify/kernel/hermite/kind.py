"""Checker for kind "hermite-expansion": certified Hermite expansions and tail bounds.

TRUSTED.  Imports only python-flint, the standard library and trusted certify
modules (certificate, interval, checking, hermite.{hexfloat, rigorous,
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
soundness).  The theorems behind each activation's enclosures are listed in
certify/hermite/rigorous.py (T1-T6), certify/hermite/activations.py and
docs/hermite.md.
"""
from __future__ import annotations

from fractions import Fraction

from flint import arb

from ..certificate import CertificateError, as_rational, get_bool, get_int, get_object, get_str, require
from ..checking import Proven
from ..interval import NotProven
from . import hexfloat
from .activations import get_activation
from .expansion import Expansion, compute_expansion
from .rigorous import working_precision

KIND = "hermite-expansion"
BASIS = "orthonormal probabilists' Hermite polynomials h_n = He_n/sqrt(n!), X ~ N(0,1)"
NUMBER_FORMAT = "hexfloat"
REL_WIDTH = 10**10  # intervals must satisfy (hi - lo) * REL_WIDTH <= min(|lo|, |hi|)
MAX_DEGREE = 20000
MIN_PREC, MAX_PREC = 64, 20000
CLAIM_KEYS = {
    "statement", "activation", "normalized", "degree", "basis", "number_format",
    "second_moment", "derivative_second_moment", "coefficients", "tails",
    "dual_coefficients", "decay_bound",
}
FORM_EXP = "C*exp(-c*n^alpha)"
FORM_POWER = "C*(n+1)^(-beta)"

Pair = tuple[int, int]


# --------------------------------------------------------------------------- statement


def decay_text(decay: dict) -> str:
    if decay["form"] == FORM_EXP:
        return f"eps(n) <= {decay['C']} * exp(-({decay['c']}) * n^({decay['alpha']}))"
    return f"eps(n) <= {decay['C']} * (n+1)^(-({decay['beta']}))"


def statement(activation_formula: str, normalized: bool, degree: int, decay: dict) -> str:
    """The claim in words; a certificate's "statement" must be exactly this text."""
    what = f"sigma = {activation_formula}"
    if normalized:
        what = f"sigma = s / sqrt(E s(X)^2) (so that E sigma(X)^2 = 1), where s = {activation_formula}"
    return (
        f"For {what}, X ~ N(0,1) and h_n = He_n/sqrt(n!): the intervals enclose E sigma(X)^2, "
        f"E sigma'(X)^2, a_n = E[sigma(X) h_n(X)], eps(n) = sum_(i>n) a_i^2 and the dual-activation "
        f"coefficients a_n^2 for 0 <= n <= {degree}; and for every such n, "
        f"eps(n) <= E[sigma'(X)^2]/(n+1) and {decay_text(decay)}."
    )


# --------------------------------------------------------------------------- parsing


def _interval(value, where: str) -> tuple[Pair, Pair]:
    if not isinstance(value, list) or len(value) != 2:
        raise CertificateError(f"{where}: expected an interval [lo, hi] of two hexfloat strings, got {str(value)[:60]}")
    lo = hexfloat.parse(value[0], f"{where}[0]")
    hi = hexfloat.parse(value[1], f"{where}[1]")
    _check_tight(lo, hi, where)
    return lo, hi


def _check_tight(lo: Pair, hi: Pair, where: str) -> None:
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


def _interval_list(claim: dict, key: str, length: int) -> list:
    value = require(claim, key, "claim")
    if not isinstance(value, list):
        raise CertificateError(f"field 'claim.{key}' must be a list of {length} intervals")
    if len(value) != length:
        raise CertificateError(f"field 'claim.{key}' has {len(value)} intervals; degree N needs N+1 = {length}")
    return [_interval(v, f"claim.{key}[{i}]") for i, v in enumerate(value)]


def _rational(obj: dict, key: str, lo: Fraction | None, hi: Fraction | None, strict_lo: bool) -> Fraction:
    value = as_rational(require(obj, key, "claim.decay_bound"), f"claim.decay_bound.{key}")
    if lo is not None and (value <= lo if strict_lo else value < lo):
        raise CertificateError(f"claim.decay_bound.{key} must be {'>' if strict_lo else '>='} {lo}, got {value}")
    if hi is not None and value > hi:
        raise CertificateError(f"claim.decay_bound.{key} must be <= {hi}, got {value}")
    return value


def _decay(claim: dict) -> tuple[dict, dict]:
    """(the field as written, the constants as Fractions)."""
    decay = get_object(claim, "decay_bound", "claim")
    form = get_str(decay, "form", "claim.decay_bound")
    if form == FORM_EXP:
        keys = {"form", "C", "c", "alpha"}
        consts = {
            "C": _rational(decay, "C", Fraction(0), None, True),
            "c": _rational(decay, "c", Fraction(0), None, False),
            "alpha": _rational(decay, "alpha", Fraction(0), Fraction(2), True),
        }
    elif form == FORM_POWER:
        keys = {"form", "C", "beta"}
        consts = {
            "C": _rational(decay, "C", Fraction(0), None, True),
            "beta": _rational(decay, "beta", Fraction(0), Fraction(10), False),
        }
    else:
        raise CertificateError(f"claim.decay_bound.form must be {FORM_EXP!r} or {FORM_POWER!r}, got {form!r}")
    extra = set(decay) - keys
    if extra:
        raise CertificateError(f"unknown field(s) in claim.decay_bound: {', '.join(sorted(extra))}")
    return decay, consts


class Parsed:
    """A syntactically valid claim (nothing proven yet)."""

    def __init__(self, cert: dict):
        claim = get_object(cert, "claim")
        extra = set(claim) - CLAIM_KEYS
        if extra:
            raise CertificateError(f"unknown field(s) in claim: {', '.join(sorted(extra))}")
        self.activation = get_activation(get_str(claim, "activation", "claim"))
        self.normalized = get_bool(claim, "normalized", "claim")
        self.degree = get_int(claim, "degree", "claim", lo=0, hi=MAX_DEGREE)
        if get_str(claim, "basis", "claim") != BASIS:
            raise CertificateError(f"claim.basis must be {BASIS!r}")
        if get_str(claim, "number_format", "claim") != NUMBER_FORMAT:
            raise CertificateError(f"claim.number_format must be {NUMBER_FORMAT!r}")
        method = get_object(cert, "method")
        self.prec = get_int(method, "precision_bits", "method", lo=MIN_PREC, hi=MAX_PREC)
        self.decay, self.consts = _decay(claim)
        expected = statement(self.activation.formula, self.normalized, self.degree, self.decay)
        if get_str(claim, "statement", "claim") != expected:
            raise CertificateError(f"claim.statement does not match the claim's fields; expected: {expected!r}")
        n1 = self.degree + 1
        self.second_moment = _interval(require(claim, "second_moment", "claim"), "claim.second_moment")
        self.derivative_second_moment = _interval(
            require(claim, "derivative_second_moment", "claim"), "claim.derivative_second_moment"
        )
        self.coefficients = _interval_list(claim, "coefficients", n1)
        self.tails = _interval_list(claim, "tails", n1)
        self.dual = _interval_list(claim, "dual_coefficients", n1)


# --------------------------------------------------------------------------- proving


def _contains(claimed: tuple[Pair, Pair], ball: arb, where: str) -> None:
    lo, hi = claimed
    if lo[0] == 0 and hi[0] == 0:
        if ball.is_zero():
            return
        raise NotProven(f"{where}: claimed to be exactly 0, which is not proven (enclosure {ball.str(5)})")
    if not ball.is_finite():
        raise NotProven(f"{where}: no finite enclosure")
    if not (hexfloat.to_arb(lo) <= ball and ball <= hexfloat.to_arb(hi)):
        raise NotProven(
            f"{where}: the claimed interval [{hexfloat.to_arb(lo).str(12, radius=False)}, {hexfloat.to_arb(hi).str(12, radius=False)}] "
            f"is not proven to contain the value (checker's enclosure {ball.str(12)})"
        )


def _decay_bound(consts: dict, form: str, n: int) -> arb:
    big_c = arb(consts["C"].numerator) / consts["C"].denominator
    if form == FORM_EXP:
        if n == 0:
            return big_c
        alpha = arb(consts["alpha"].numerator) / consts["alpha"].denominator
        small_c = arb(consts["c"].numerator) / consts["c"].denominator
        return big_c * (-small_c * (alpha * arb(n).log()).exp()).exp()
    beta = arb(consts["beta"].numerator) / consts["beta"].denominator
    return big_c * (-beta * arb(n + 1).log()).exp()


def prove(parsed: Parsed) -> Expansion:
    """Recompute every enclosure and prove claims 1-3 (raises NotProven otherwise)."""
    exp = compute_expansion(parsed.activation, parsed.degree, parsed.normalized, parsed.prec)
    with working_precision(parsed.prec):
        _contains(parsed.second_moment, exp.second_moment, "claim.second_moment")
        _contains(parsed.derivative_second_moment, exp.derivative_second_moment, "claim.derivative_second_moment")
        for key, claimed, balls in (
            ("coefficients", parsed.coefficients, exp.coefficients),
            ("tails", parsed.tails, exp.tails),
            ("dual_coefficients", parsed.dual, exp.dual),
        ):
            for n, (c, b) in enumerate(zip(claimed, balls)):
                _contains(c, b, f"claim.{key}[{n}]")
        form = parsed.decay["form"]
        for n, tail in enumerate(exp.tails):
            if not tail * (n + 1) <= exp.derivative_second_moment:
                raise NotProven(f"eps({n}) <= E[sigma'(X)^2]/({n}+1) could not be proven")
            if not tail <= _decay_bound(parsed.consts, form, n):
                raise NotProven(f"decay bound {decay_text(parsed.decay)} fails (or is not proven) at n = {n}")
    return exp


def check(cert: dict) -> Proven:
    """Decide a hermite-expansion certificate (see the module docstring for what it proves)."""
    if cert.get("kind") != KIND:
        raise CertificateError(f"not a {KIND} certificate")
    parsed = Parsed(cert)
    prove(parsed)
    name = parsed.activation.name + (" (normalized)" if parsed.normalized else "")
    lo, hi = parsed.tails[-1]
    tail_text = f"[{hexfloat.to_arb(lo).str(8, radius=False)}, {hexfloat.to_arb(hi).str(8, radius=False)}]"
    n = parsed.degree
    summary = (
        f"{name}, N={n}: a_0..a_{n} and eps(0..{n}) enclosed (rel. width <= 1e-10), eps({n}) in {tail_text}; "
        f"for all n <= {n}: eps(n) <= E[sigma'^2]/(n+1) and {decay_text(parsed.decay)}"
    )
    bounds = {
        "activation": parsed.activation.name,
        "normalized": parsed.normalized,
        "degree": n,
        "tail_at_degree": list(cert["claim"]["tails"][-1]),
        "decay_bound": decay_text(parsed.decay),
    }
    return Proven(summary, bounds)


def describe(cert: dict) -> str:
    """A readable view of the claim (nothing is checked here)."""
    parsed = Parsed(cert)

    def show(pair_interval) -> str:
        lo, hi = pair_interval
        with working_precision(64):
            return f"[{hexfloat.to_arb(lo).str(10, radius=False)}, {hexfloat.to_arb(hi).str(10, radius=False)}]"

    n = parsed.degree
    lines = [
        f"activation: {parsed.activation.name}  ({parsed.activation.formula})"
        + ("  normalized to E sigma^2 = 1" if parsed.normalized else ""),
        f"degree N:   {n}     precision hint: {parsed.prec} bits",
        f"E sigma^2:  {show(parsed.second_moment)}",
        f"E sigma'^2: {show(parsed.derivative_second_moment)}",
        f"decay:      {decay_text(parsed.decay)}",
        "   n  a_n                                    eps(n)",
    ]
    shown = sorted(set(list(range(min(n, 10) + 1)) + [k for k in (20, 50, 100, 200, 300, 500, 1000) if k <= n] + [n]))
    for k in shown:
        lines.append(f"{k:4d}  {show(parsed.coefficients[k]):38s} {show(parsed.tails[k])}")
    return "\n".join(lines)

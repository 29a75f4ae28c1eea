"""Producer of hermite-expansion certificates (UNTRUSTED: chooses precision, fits constants).

Nothing here is relied on for soundness: the checker (certify.kernel.hermite.kind)
recomputes every enclosure and re-proves every inequality.  This module uses the
kernel's public functions (to compute the same balls, and the kind's limits so
that it never produces a file the checker would refuse), never the reverse.
Certificates are built by certify.publishing.build_certificate and written by
certify.publishing.publish (re-check, atomic write, never a silent overwrite).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from fractions import Fraction

from flint import arb

from ..kernel.certificate import rational_str
from ..kernel.hermite.activations import ACTIVATIONS, Activation, get_activation
from ..kernel.hermite.expansion import Expansion, compute_expansion
from ..kernel.hermite.kind import (
    BASIS,
    FORM_EXP,
    FORM_POWER,
    KIND,
    MIN_PREC,
    NUMBER_FORMAT,
    max_degree,
    max_precision,
    parse_decay_bound,
)
from ..kernel.hermite.rigorous import working_precision
from ..progress import progress
from ..publishing import build_certificate
from .numbers import lower_string, upper_string
from .profiles import PROFILES

TARGET_REL_BITS = 50  # aim: every ball's relative radius below 2^-50 (claims allow 1e-10)
WIDEN = 2.0**-46  # claims are widened by this relative amount beyond the balls
DEFAULT_DEGREE = 1000  # degree of the stored certificates (issue 3 asks >= 1000 or >= 300)
ALL = tuple(ACTIVATIONS)


class ProduceError(Exception):
    """The request is beyond what the checker accepts (its limits), or could not be reached."""


@dataclass
class Result:
    expansion: Expansion
    certificate: dict
    seconds: float
    observed: dict


# --------------------------------------------------------------------------- precision


def _log2_abs(x: arb) -> float:
    m = x.mid()
    if m == 0:
        return -math.inf
    return float(abs(m).log() / arb(2).log())


def _tight(x: arb) -> bool:
    if x.is_zero():
        return True
    if not x.is_finite() or x.contains(0):
        return False
    return bool(x.rad() <= abs(x.mid()) * arb(2) ** (-TARGET_REL_BITS))


def _all_tight(e: Expansion) -> bool:
    balls = [e.second_moment, e.derivative_second_moment, *e.coefficients, *e.tails, *e.dual]
    return all(_tight(b) for b in balls)


def _slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else 0.0


def initial_precision(act: Activation, degree: int) -> int:
    """Guess the working precision: eps(N) is computed as E - sum a_i^2, so it needs about
    -log2(eps(N)) + 50 bits; eps(N) is about the size of the last coefficients squared.
    A cheap 128-bit run resolves coefficients down to about 2^-150; smaller ones are
    extrapolated with the activation's decay form (log|a_n| linear in log n, sqrt(n) or n)."""
    raw = act.raw(degree, 128)
    resolved = [(n, _log2_abs(a)) for n, a in enumerate(raw.coefficients)
                if n >= 1 and not a.is_zero() and not a.contains(0)]
    if not resolved:
        return 256
    last_n, last_log = resolved[-1]
    if last_n < degree - 3 and len(resolved) >= 4:
        decay = PROFILES[act.name].decay
        xform = {"power": lambda n: math.log(n + 1), "root-exponential": math.sqrt}.get(decay, float)
        tail = resolved[len(resolved) // 2:]
        slope = _slope([xform(n) for n, _ in tail], [lg for _, lg in tail])
        last_log = last_log + min(slope, 0.0) * (xform(degree) - xform(last_n))
    return int(TARGET_REL_BITS + 40 + max(0.0, -2 * last_log) + 2 * max(1, degree).bit_length())


def check_request(name: str, degree: int, prec: int | None = None) -> Activation:
    """Refuse, before any work, a degree or precision the checker would not accept."""
    act = get_activation(name)
    if not 0 <= degree <= max_degree(act):
        raise ProduceError(f"degree {degree} for {name}: the checker accepts 0 <= N <= {max_degree(act)} "
                           f"for this activation ({act.route}; see `certify hermite list`)")
    if prec is not None and not MIN_PREC <= prec <= max_precision(act, degree):
        raise ProduceError(f"precision {prec} bits for {name} at N = {degree}: the checker accepts "
                           f"{MIN_PREC}..{max_precision(act, degree)} bits here")
    return act


def compute(name: str, degree: int, normalized: bool, prec: int | None = None) -> Expansion:
    """Balls tight to 2^-50 relative, raising the precision until they are (within the checker's limits)."""
    act = check_request(name, degree, prec)
    limit = max_precision(act, degree)
    prec = prec or initial_precision(act, degree)
    if prec > limit:
        raise ProduceError(f"{name} at N = {degree} needs about {prec} bits of precision; the checker accepts "
                           f"at most {limit} at this degree (a smaller --degree fits)")
    with progress(desc=f"{name} N={degree}", unit=" precision") as bar:
        for _ in range(12):
            bar.set_postfix_str(f"{prec} bits")
            e = compute_expansion(act, degree, normalized, prec)
            bar.update()
            if _all_tight(e):
                return e
            if prec >= limit:
                break
            prec = min(limit, prec + max(64, prec // 4))
    raise ProduceError(f"could not reach relative accuracy 2^-{TARGET_REL_BITS} for {name} at N = {degree} "
                       f"within {prec} bits (the checker accepts at most {limit} here)")


# --------------------------------------------------------------------------- numbers


def enclosure(x: arb) -> list[str]:
    """[lo, hi] hexfloat strings around the ball x, widened by WIDEN (relative)."""
    if x.is_zero():
        return ["0x0p+0", "0x0p+0"]
    with working_precision(64):  # roundings below only move lo down and hi up
        lo, hi = x.lower(), x.upper()
        lo = lo - abs(lo) * WIDEN
        hi = hi + abs(hi) * WIDEN
        return [lower_string(lo), upper_string(hi)]


def _ln(x: arb) -> float:
    return float(x.mid().log())


def _round_up(x: float, digits: int = 8) -> Fraction:
    """A rational >= x with about `digits` significant digits."""
    if x <= 0:
        return Fraction(0)
    k = digits - 1 - math.floor(math.log10(x))
    scale = Fraction(10) ** k
    return Fraction(math.ceil(Fraction(x) * scale * (1 + Fraction(1, 10**7)))) / scale


def _round_down(x: float, digits: int = 6) -> Fraction:
    if x <= 0:
        return Fraction(0)
    k = digits - 1 - math.floor(math.log10(x))
    scale = Fraction(10) ** k
    return Fraction(math.floor(Fraction(x) * scale)) / scale


def observed_decay(decay: str, tails: list[arb]) -> dict:
    """Least-squares fit of log eps(n) over the upper part of the range (a report, unchecked)."""
    degree = len(tails) - 1
    start = max(1, degree // 4)
    ns = list(range(start, degree + 1))
    if len(ns) < 2:
        return {"model": "too few points"}
    ys = [_ln(tails[n]) for n in ns]
    if decay == "power":
        beta = -_slope([math.log(n + 1) for n in ns], ys)
        return {"model": "eps(n) ~ K (n+1)^(-beta)", "beta": round(beta, 6), "fit_range": [start, degree]}
    alpha = 0.5 if decay == "root-exponential" else 1.0
    c = -_slope([n**alpha for n in ns], ys)
    return {"model": "eps(n) ~ K exp(-c n^alpha)", "alpha": alpha, "c": round(c, 6), "fit_range": [start, degree]}


def fit_decay_bound(decay: str, tails: list[arb]) -> dict:
    """Constants of a decay bound that holds for every n in range (the checker re-proves it).

    The form is fixed by the activation's smoothness: a power law C (n+1)^(-beta) for
    kinked activations, C exp(-c sqrt(n)) for activations analytic in a strip, C exp(-c n)
    for entire ones.  The rate (beta or c) is the observed least-squares rate over the
    upper three quarters of the range, rounded down to 4 significant digits; C is the
    smallest constant that then works at every n <= N, rounded up."""
    obs = observed_decay(decay, tails)
    logs = [_ln(t) for t in tails]
    if decay == "power":
        beta = _round_down(obs.get("beta", 0.0), 4)
        need = max(lg + float(beta) * math.log(n + 1) for n, lg in enumerate(logs))
        big_c = _round_up(math.exp(need) * (1 + 1e-6))
        return {"form": FORM_POWER, "C": rational_str(big_c), "beta": rational_str(beta)}
    alpha = Fraction(1, 2) if decay == "root-exponential" else Fraction(1)
    c = _round_down(obs.get("c", 0.0), 4)
    need = max(lg + float(c) * n ** float(alpha) for n, lg in enumerate(logs))
    big_c = _round_up(math.exp(need) * (1 + 1e-6))
    return {"form": FORM_EXP, "C": rational_str(big_c), "c": rational_str(c), "alpha": rational_str(alpha)}


# --------------------------------------------------------------------------- certificates


def certificate(name: str, degree: int, normalized: bool, prec: int | None = None) -> Result:
    """Compute, fit and build a complete certificate (not written; see certify.publishing.publish)."""
    t0 = time.perf_counter()
    e = compute(name, degree, normalized, prec)
    decay_form = PROFILES[name].decay
    decay = fit_decay_bound(decay_form, e.tails)
    obs = observed_decay(decay_form, e.tails)
    claim = {
        "activation": name,
        "normalized": normalized,
        "degree": degree,
        "basis": BASIS,
        "number_format": NUMBER_FORMAT,
        "second_moment": enclosure(e.second_moment),
        "derivative_second_moment": enclosure(e.derivative_second_moment),
        "coefficients": [enclosure(a) for a in e.coefficients],
        "tails": [enclosure(t) for t in e.tails],
        "dual_coefficients": [enclosure(b) for b in e.dual],
        "decay_bound": decay,
    }
    provenance = {
        "precision_note": "method.precision_bits is a hint for the checker; every enclosure is recomputed",
        "observed_decay": obs,
        "produce_seconds": None,
    }
    cert = build_certificate(KIND.name, claim, {"method": {"precision_bits": e.prec}}, provenance)
    seconds = time.perf_counter() - t0
    cert["provenance"]["produce_seconds"] = round(seconds, 3)
    return Result(e, cert, seconds, obs)


def default_degree(name: str) -> int:
    return max(DEFAULT_DEGREE, PROFILES[name].required_degree)


def certificate_name(name: str, normalized: bool) -> str:
    return f"{name}{'-normalized' if normalized else ''}.json"


def table(result: Result, rows: int | None = None) -> str:
    """A readable table of the expansion (values rounded for display only)."""
    e = result.expansion
    n_max = e.degree
    if rows is None or rows >= n_max + 1:
        shown = list(range(n_max + 1))
    else:
        milestones = [k + d for k in (20, 50, 100, 200, 300, 500, 1000, 2000) for d in (0, 1)]
        shown = sorted(set(list(range(min(n_max, rows) + 1)) + [n_max] + [k for k in milestones if k <= n_max]))
    decay = parse_decay_bound(result.certificate["claim"])
    name = e.activation + (" (normalized)" if e.normalized else "")
    with working_precision(e.prec):
        lines = [
            f"{name}: Hermite expansion to degree {n_max} (working precision {e.prec} bits)",
            f"E sigma^2   = {e.second_moment.str(12, radius=False)}",
            f"E sigma'^2  = {e.derivative_second_moment.str(12, radius=False)}",
            f"decay bound (proven for all n <= {n_max}): {decay.text()}",
            f"observed decay: {result.observed}",
            f"{'n':>6}  {'a_n':>20}  {'eps(n)':>14}  {'E[sigma_prime^2]/(n+1)':>22}  {'decay bound':>12}",
        ]
        for n in shown:
            lines.append(
                f"{n:>6}  {e.coefficients[n].str(12, radius=False):>20}  {e.tails[n].str(6, radius=False):>14}  "
                f"{(e.derivative_second_moment / (n + 1)).str(6, radius=False):>22}  "
                f"{decay.at(n).str(4, radius=False):>12}"
            )
    return "\n".join(lines)

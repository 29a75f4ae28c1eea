"""Claim kind ``kkt-max-margin``: KKT points of the max-margin problem, and what they are not.

TRUSTED (docs/kkt.md).  Exact rational arithmetic only (``fractions.Fraction``
and the polynomials of certify.kernel.kkt.polynomials); no floating point.
Imports only the standard library and the kernel (python-flint through
polynomials) -- never the search.

The instance: an architecture (one class per architecture in
certify.kernel.kkt.networks.NETWORKS), data (x_i, y_i) with rational x_i and
y_i in {+1, -1}, and a rational point theta*.  The problem

    (P)   minimize  1/2 ||theta||^2   subject to   q_i(theta) = y_i N_theta(x_i) >= 1  (all i).

The claim lists in ``claim.proves`` which of these properties of theta* are
proven (each with evidence under ``evidence``); the statement is built from
the fields and names exactly those properties:

``kkt_point``  theta* is a KKT point of (P) in Clarke's sense.
    Checked exactly: q_i(theta*) >= 1; lambda_i >= 0; lambda_i (q_i - 1) = 0;
    theta* = sum_i lambda_i y_i g_i with g_i in Clarke's subdifferential of
    theta -> N_theta(x_i) at theta*.  For two_layer_relu g_i is the gradient
    with relu'(0) replaced by the certificate's choice s_ij in [0, 1] at each
    zero pre-activation w_j . x_i = 0 (the neurons have disjoint parameters,
    so Clarke's subdifferential is exactly the set of these vectors for
    s in [0,1]^Z); the linear architectures are polynomial, g_i is the gradient.

``not_local_optimum``  theta* is not a local minimizer of (P).
    Evidence: a curve theta(t) with polynomial entries (rational coefficients)
    and rational t0 > 0.  Checked: theta(0) = theta* coefficient by
    coefficient; every relu pre-activation w_j(t) . x_i has constant sign on
    (0, t0] (so the network output is a polynomial there); q_i(theta(t)) - 1
    is the zero polynomial or positive on (0, t0]; ||theta(t)||^2 - ||theta*||^2
    is negative on (0, t0].  Signs on (0, t0] are decided by exact Sturm
    sequences (certify.kernel.kkt.polynomials.sign_on_interval).  Theorem:
    theta(t) -> theta* as t -> 0+, so every neighbourhood of theta* holds
    feasible points of strictly smaller objective.

``not_global_optimum``  a rational theta' with q_i(theta') >= 1 for all i and
    ||theta'||^2 < ||theta*||^2 (exact).

``global_optimum`` (fully_connected_linear only)  theta* = (W_1..W_L) is a
    global minimizer of (P).  Evidence: rationals alpha_i.  Checked exactly,
    with beta* := (W_L ... W_1)^T:  alpha_i >= 0; beta* = sum_i alpha_i y_i x_i;
    y_i beta*.x_i >= 1; alpha_i (y_i beta*.x_i - 1) = 0; (||theta*||^2 / L)^L
    = ||beta*||^2.  Theorem (docs/kkt.md (d)): beta* solves the hard-margin
    SVM without bias, every factorization of a predictor beta has
    1/2 ||theta||^2 >= (L/2) ||beta||^(2/L) (AM-GM), and the checked identity
    says theta* attains this bound for beta*.

Resource limits (:data:`LIMITS`) are checked while parsing, before any
arithmetic on the numbers, and the Sturm work is bounded before each Sturm
sequence: a file within them is decided in seconds (docs/kkt.md, "Limits").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Mapping

from ..certificate import (CertificateError, NotProven, as_rational, get_object, only_fields, rational_str, require,
                           within_limit)
from ..contract import ClaimKind, Proven
from .networks import Data, Network, TwoLayerRelu, curve_sign, dot, norm_sq, parse_data, parse_network
from .polynomials import Poly, sign_on_interval, sturm_work

CLAIMS = ("kkt_point", "not_local_optimum", "not_global_optimum", "global_optimum")

# what the statement says for each property (exactly what its check proves)
PROPERTIES = {
    "kkt_point": "is a KKT point of (P) (Clarke stationarity with multipliers lambda_i >= 0 and complementary slackness)",
    "not_local_optimum": "is not a local minimizer of (P)",
    "not_global_optimum": "is not a global minimizer of (P)",
    "global_optimum": "is a global minimizer of (P)",
}

MAX_INPUT_DIM = 1000
MAX_WIDTH = 1000
MAX_DEPTH = 16
MAX_PARAMETERS = 20_000
MAX_EXAMPLES = 2000
MAX_EVALUATION = 200_000  # examples x parameters: the exact outputs and gradients cost O(n P)
MAX_DIGITS = 1000  # characters of one rational "p/q" (or digits of a JSON integer)
MAX_TOTAL_DIGITS = 400_000  # all rationals of the certificate together
MAX_LONG_DIGITS = 50_000  # rationals longer than 12 characters or with a denominator of more than 4 digits
# A sum of rationals with unrelated long denominators grows: the sum over the examples for one parameter
# costs up to (characters)^2 (measured: 50 ms per parameter at 45,000 characters of 1000-character
# multipliers).  Short rationals (at most 12 characters, denominator of at most 4 digits) cannot grow a
# sum's denominator beyond lcm(1..10^4), about 4,300 digits: they count as the constant SHORT_ALLOWANCE.
MAX_PARAMS_X_LONG_SQ = 600_000_000_000  # parameters x (characters of long rationals + SHORT_ALLOWANCE)^2
SHORT_ALLOWANCE = 5000
MAX_CURVE_DEGREE = 16
MAX_CURVE_POLY_DEGREE = 64  # homogeneity x curve degree: the degree of the margin polynomials
MAX_CURVE_EVALUATION = 1_000_000  # examples x parameters x (curve polynomial degree + 1)
MAX_STURM_WORK = 6_000_000_000  # sum of D^3 H^1.25 over the Sturm sequences (about 15 s; polynomials.sturm_work)

LIMITS = {
    "input dimension": MAX_INPUT_DIM,
    "width of any layer": MAX_WIDTH,
    "depth": MAX_DEPTH,
    "parameters": MAX_PARAMETERS,
    "examples": MAX_EXAMPLES,
    "examples x parameters": MAX_EVALUATION,
    "characters per rational": MAX_DIGITS,
    "characters of all rationals": MAX_TOTAL_DIGITS,
    "characters of long rationals (> 12 characters, or a denominator > 9999)": MAX_LONG_DIGITS,
    "parameters x (characters of long rationals + 5000)^2": MAX_PARAMS_X_LONG_SQ,
    "curve degree": MAX_CURVE_DEGREE,
    "curve polynomial degree (homogeneity x curve degree)": MAX_CURVE_POLY_DEGREE,
    "examples x parameters x (curve polynomial degree + 1)": MAX_CURVE_EVALUATION,
    "Sturm work (sum over the sign decisions of D^3 H^1.25)": MAX_STURM_WORK,
}


def _q(x: Fraction) -> str:
    """The exact rational "p/q", or a placeholder naming its size when it is longer than Python prints
    (messages and bounds never fail on a huge number)."""
    bits = x.numerator.bit_length() + x.denominator.bit_length()
    if bits > 12_000:  # about 3600 digits: below int -> str's default limit of 4300 digits
        return f"<exact rational of about {bits * 30103 // 100000} digits, not printed>"
    return rational_str(x)


class _Reader:
    """Exact rationals, counted against the per-number and total size limits before conversion."""

    def __init__(self) -> None:
        """Start with no characters counted."""
        self.total = 0
        self.long = 0  # characters of rationals longer than 12 characters or with a denominator > 9999

    def rational(self, value: Any, where: str) -> Fraction:
        """An exact rational (:func:`as_rational`), its size counted first: its characters (for a JSON
        integer, an upper bound of its decimal digits) against MAX_DIGITS, the running total against
        MAX_TOTAL_DIGITS and, unless it is short (at most 12 characters, at most 4 after a "/"), the total
        of the long ones against MAX_LONG_DIGITS.  CertificateError when a limit is exceeded."""
        if isinstance(value, str):
            size = len(value)
            short = size <= 12 and len(value.partition("/")[2]) <= 4
        elif type(value) is int:
            size = (abs(value).bit_length() * 30103) // 100000 + 2  # >= its decimal digits
            short = size <= 12
        else:
            size, short = 0, True  # as_rational rejects it
        if not short:
            self.long += size
            if self.long > MAX_LONG_DIGITS:
                raise CertificateError(f"{where}: the long rationals (> 12 characters, or a denominator > 9999) of "
                                       f"this certificate exceed this checker's limit of {MAX_LONG_DIGITS} "
                                       f"characters in total")
        if size > MAX_DIGITS:
            raise CertificateError(f"{where}: a rational of {size} characters exceeds this checker's limit of "
                                   f"{MAX_DIGITS}")
        self.total += size
        if self.total > MAX_TOTAL_DIGITS:
            raise CertificateError(f"{where}: the rationals of this certificate exceed this checker's limit of "
                                   f"{MAX_TOTAL_DIGITS} characters in total")
        return as_rational(value, where)

    def curve_entry(self, value: Any, where: str) -> Poly:
        """A curve entry: a non-empty list of rational coefficients, ascending powers of t."""
        if not isinstance(value, list) or not 1 <= len(value) <= MAX_CURVE_DEGREE + 1:
            raise CertificateError(f"{where}: expected a list of 1 to {MAX_CURVE_DEGREE + 1} rational coefficients "
                                   f"(ascending powers of t; this checker's curve degree limit is {MAX_CURVE_DEGREE}), "
                                   f"got {value!r}"[:300])
        return Poly(self.rational(c, f"{where}[{k}]") for k, c in enumerate(value))


class _SturmBudget:
    """The Sturm work of one check, bounded before each Sturm sequence is computed."""

    def __init__(self) -> None:
        """Start with no Sturm work used."""
        self.used = 0

    def __call__(self, p: Poly) -> None:
        """Charge sturm_work(p) before p's Sturm sequence is computed; CertificateError once the total
        exceeds MAX_STURM_WORK."""
        self.used += sturm_work(p)
        if self.used > MAX_STURM_WORK:
            raise CertificateError(f"the curve's polynomials exceed this checker's Sturm work limit "
                                   f"({MAX_STURM_WORK}, polynomials.sturm_work): use a lower degree or "
                                   f"smaller coefficients")


# --------------------------------------------------------------------------- the typed claim


@dataclass(frozen=True)
class KktPointEvidence:
    multipliers: tuple[Fraction, ...]
    choices: Mapping[tuple[int, int], Fraction]  # (example, neuron) -> relu'(0) in [0, 1]


@dataclass(frozen=True)
class CurveEvidence:
    curve: tuple[Poly, ...]
    t0: Fraction


@dataclass(frozen=True)
class BetterPointEvidence:
    point: tuple[Fraction, ...]


@dataclass(frozen=True)
class SvmDualEvidence:
    dual: tuple[Fraction, ...]


@dataclass(frozen=True)
class KktClaim:
    network: Network
    data: Data
    theta: tuple[Fraction, ...]
    proves: tuple[str, ...]
    evidence: Mapping[str, Any] = field(default_factory=dict)  # claim name -> its parsed evidence

    @property
    def n(self) -> int:
        """The number of examples."""
        return len(self.data.y)


class Instance:
    """theta* on the data, with its exact squared norm and margins (computed once)."""

    def __init__(self, network: Network, data: Data, theta: tuple[Fraction, ...]):
        """Keep the instance and compute ||theta*||^2 and the margins y_i N_theta*(x_i), exactly (relu signs
        decided exactly)."""
        self.network = network
        self.data = data
        self.theta = list(theta)
        self.norm_sq = norm_sq(self.theta)
        self.margins = network.margins(self.theta, data)

    @property
    def n(self) -> int:
        """The number of examples."""
        return len(self.data.y)

    def require_feasible(self) -> None:
        """NotProven unless every margin y_i N_theta*(x_i) is >= 1 (theta* is feasible for (P))."""
        for i, q in enumerate(self.margins):
            if q < 1:
                raise NotProven(f"theta* is not feasible: margin y_{i} N(x_{i}) = {_q(q)} < 1")


# --------------------------------------------------------------------------- parsing the evidence


def _parse_kkt_point(net: Network, c: KktClaim, ev: Any, read: _Reader) -> KktPointEvidence:
    """evidence.kkt_point: one rational multiplier per example (their signs are checked by
    :func:`prove_kkt_point`) and optional Clarke choices {example, neuron, value}: two_layer_relu
    only, at most examples x width of them, indices in range, value in [0, 1], at most one per
    (example, neuron).  CertificateError otherwise."""
    ctx = "evidence.kkt_point"
    only_fields(ev, ("multipliers", "clarke_choices"), ctx)
    raw = require(ev, "multipliers", ctx)
    if not isinstance(raw, list) or len(raw) != c.n:
        raise CertificateError(f"{ctx}.multipliers must be a list of {c.n} rationals, one per example")
    lam = tuple(read.rational(v, f"{ctx}.multipliers[{i}]") for i, v in enumerate(raw))
    raw = ev.get("clarke_choices", [])
    where = f"{ctx}.clarke_choices"
    if not isinstance(raw, list):
        raise CertificateError(f"{where} must be a list of {{'example', 'neuron', 'value'}} objects")
    if raw and not net.clarke_choices:
        raise CertificateError(f"{where}: Clarke choices apply only to two_layer_relu ({net.name} is smooth)")
    width = net.width if isinstance(net, TwoLayerRelu) else 0
    within_limit(len(raw), c.n * width, f"{where}: number of choices (at most examples x width)")
    choices: dict[tuple[int, int], Fraction] = {}
    for k, ch in enumerate(raw):
        at = f"{where}[{k}]"
        only_fields(ch, ("example", "neuron", "value"), at)
        i, j = require(ch, "example", at), require(ch, "neuron", at)
        if type(i) is not int or not 0 <= i < c.n:
            raise CertificateError(f"{at}.example must be an integer in [0, {c.n}), got {i!r}")
        if type(j) is not int or not 0 <= j < width:
            raise CertificateError(f"{at}.neuron must be an integer in [0, {width}), got {j!r}")
        s = read.rational(require(ch, "value", at), f"{at}.value")
        if not 0 <= s <= 1:
            raise CertificateError(f"{at}.value: relu'(0) must be chosen in [0, 1], got {_q(s)}")
        if (i, j) in choices:
            raise CertificateError(f"{at}: second choice for example {i}, neuron {j}")
        choices[(i, j)] = s
    return KktPointEvidence(lam, choices)


def _parse_curve(net: Network, c: KktClaim, ev: Any, read: _Reader) -> CurveEvidence:
    """evidence.not_local_optimum: a rational t0 > 0 and the curve theta(t), one polynomial per parameter
    (1 to MAX_CURVE_DEGREE + 1 rational coefficients each), within the curve-degree and evaluation
    limits.  CertificateError otherwise."""
    ctx = "evidence.not_local_optimum"
    only_fields(ev, ("curve", "t0"), ctx)
    t0 = read.rational(require(ev, "t0", ctx), f"{ctx}.t0")
    if not t0 > 0:
        raise CertificateError(f"{ctx}.t0 must be positive, got {_q(t0)}")
    curve = tuple(net.parse_params(require(ev, "curve", ctx), f"{ctx}.curve", read.curve_entry))
    degree = max((p.degree for p in curve), default=0)
    within_limit(net.homogeneity * degree, MAX_CURVE_POLY_DEGREE,
                 f"{ctx}.curve: curve polynomial degree (homogeneity {net.homogeneity} x curve degree {degree})")
    within_limit(c.n * net.n_params * (net.homogeneity * degree + 1), MAX_CURVE_EVALUATION,
                 f"{ctx}.curve: examples x parameters x (curve polynomial degree + 1)")
    return CurveEvidence(curve, t0)


def _parse_better(net: Network, c: KktClaim, ev: Any, read: _Reader) -> BetterPointEvidence:
    """evidence.not_global_optimum: the point theta', a rational parameter object of the architecture."""
    ctx = "evidence.not_global_optimum"
    only_fields(ev, ("point",), ctx)
    return BetterPointEvidence(tuple(net.parse_params(require(ev, "point", ctx), f"{ctx}.point", read.rational)))


def _parse_dual(net: Network, c: KktClaim, ev: Any, read: _Reader) -> SvmDualEvidence:
    """evidence.global_optimum (fully_connected_linear only): one rational alpha_i per example (their
    signs are checked by :func:`prove_global_optimum`).  CertificateError otherwise."""
    ctx = "evidence.global_optimum"
    if not net.svm_global_optimum:
        raise CertificateError(f"{ctx}: the global-optimality certificate applies only to fully_connected_linear "
                               f"networks, not {net.name}")
    only_fields(ev, ("dual",), ctx)
    raw = require(ev, "dual", ctx)
    if not isinstance(raw, list) or len(raw) != c.n:
        raise CertificateError(f"{ctx}.dual must be a list of {c.n} rationals alpha_i, one per example")
    return SvmDualEvidence(tuple(read.rational(v, f"{ctx}.dual[{i}]") for i, v in enumerate(raw)))


EVIDENCE_PARSERS = {
    "kkt_point": _parse_kkt_point,
    "not_local_optimum": _parse_curve,
    "not_global_optimum": _parse_better,
    "global_optimum": _parse_dual,
}


# --------------------------------------------------------------------------- the checks (public: producers use them)


def prove_kkt_point(inst: Instance, ev: KktPointEvidence) -> tuple[str, dict]:
    """theta* is a KKT point of (P) (Clarke sense); see the module docstring."""
    net = inst.network
    for (i, j), _ in sorted(ev.choices.items()):
        z = net.pre_activation(inst.theta, j, inst.data.x[i])
        if z != 0:
            raise CertificateError(f"evidence.kkt_point.clarke_choices: example {i}, neuron {j} has pre-activation "
                                   f"{_q(z)} != 0; a Clarke choice applies only at 0")
    inst.require_feasible()
    lam = ev.multipliers
    for i, (li, qi) in enumerate(zip(lam, inst.margins)):
        if li < 0:
            raise NotProven(f"multiplier lambda_{i} = {_q(li)} is negative")
        if li != 0 and qi != 1:
            raise NotProven(f"complementary slackness fails for example {i}: lambda_{i} = {_q(li)} > 0 "
                            f"but the margin is {_q(qi)} != 1")

    def choice(i: int, j: int) -> Fraction:
        """relu'(0) for neuron j on example i, whose pre-activation is exactly 0: the certificate's choice;
        CertificateError if none is stated."""
        if (i, j) not in ev.choices:
            raise CertificateError(f"evidence.kkt_point.clarke_choices: no choice of relu'(0) stated for example "
                                   f"{i}, neuron {j} (its pre-activation is exactly 0 and lambda_{i} > 0)")
        return ev.choices[(i, j)]

    total = [Fraction(0)] * len(inst.theta)
    for i, li in enumerate(lam):
        if li == 0:
            continue
        g = net.gradient(inst.theta, inst.data.x[i], i, choice)
        c = li * inst.data.y[i]
        total = [a + c * b for a, b in zip(total, g)]
    for p, (a, b) in enumerate(zip(inst.theta, total)):
        if a != b:
            raise NotProven(f"stationarity fails at parameter {net.param_name(p)}: theta* has {_q(a)} "
                            f"but sum_i lambda_i y_i dN(x_i) has {_q(b)}")
    active = sum(1 for li in lam if li != 0)
    return f"is a KKT point ({active} positive multiplier(s), sum lambda = {_q(sum(lam))})", {}


def prove_not_local_optimum(inst: Instance, ev: CurveEvidence) -> tuple[str, dict]:
    """A polynomial curve from theta*, feasible with smaller norm on (0, t0]."""
    net, curve, t0 = inst.network, list(ev.curve), ev.t0
    inst.require_feasible()
    for p, (c, a) in enumerate(zip(curve, inst.theta)):
        if c(0) != a:
            raise NotProven(f"curve does not start at theta*: {net.param_name(p)}(0) = {_q(c(0))}, "
                            f"theta* has {_q(a)}")
    budget = _SturmBudget()
    qs = net.margins(curve, inst.data, curve_sign(t0, budget))
    for i, q in enumerate(qs):
        slack = Poly.lift(q) - 1
        budget(slack)
        try:
            s = sign_on_interval(slack, t0)
        except NotProven as exc:
            raise NotProven(f"margin of example {i} minus 1 is not of constant sign on (0, {_q(t0)}] ({exc}); "
                            f"the curve may leave the feasible set (choose a smaller t0)") from None
        if s < 0:
            raise NotProven(f"the curve leaves the feasible set: margin of example {i} is < 1 on (0, {_q(t0)}]")
    change = Poly.lift(norm_sq(curve)) - inst.norm_sq
    budget(change)
    try:
        s = sign_on_interval(change, t0)
    except NotProven as exc:
        raise NotProven(f"||theta(t)||^2 - ||theta*||^2 is not of constant sign on (0, {_q(t0)}] ({exc}); "
                        f"choose a smaller t0") from None
    if s > 0:
        raise NotProven(f"the curve increases the norm: ||theta(t)||^2 > ||theta*||^2 on (0, {_q(t0)}]")
    if s == 0:
        raise NotProven("the curve keeps the norm constant: ||theta(t)||^2 = ||theta*||^2")
    degree = max((c.degree for c in curve), default=0)
    return (f"is not a local optimum (feasible curve of degree {degree} with smaller norm on (0, {_q(t0)}])",
            {"t0": _q(t0)})


def prove_not_global_optimum(inst: Instance, ev: BetterPointEvidence) -> tuple[str, dict]:
    """A feasible rational point with strictly smaller norm."""
    inst.require_feasible()
    other = list(ev.point)
    for i, q in enumerate(inst.network.margins(other, inst.data)):
        if q < 1:
            raise NotProven(f"the better point is not feasible: margin of example {i} is {_q(q)} < 1")
    n2 = norm_sq(other)
    if not n2 < inst.norm_sq:
        raise NotProven(f"the other point is not smaller: ||theta'||^2 = {_q(n2)} >= ||theta*||^2 = {_q(inst.norm_sq)}")
    return (f"is not a global optimum (feasible theta' with ||theta'||^2 = {_q(n2)} < {_q(inst.norm_sq)})",
            {"better_norm_sq": _q(n2)})


def prove_global_optimum(inst: Instance, ev: SvmDualEvidence) -> tuple[str, dict]:
    """Global optimality for fully-connected linear networks (see the module docstring)."""
    net, alpha = inst.network, ev.dual
    inst.require_feasible()
    beta = net.end_to_end(inst.theta)
    for i, a in enumerate(alpha):
        if a < 0:
            raise NotProven(f"dual variable alpha_{i} = {_q(a)} is negative")
    for k in range(net.input_dim):
        combo = dot([alpha[i] * inst.data.y[i] for i in range(inst.n)], [x[k] for x in inst.data.x])
        if combo != beta[k]:
            raise NotProven(f"dual certificate fails: beta*[{k}] = {_q(beta[k])} but sum_i alpha_i y_i x_i[{k}] "
                            f"= {_q(combo)}")
    for i, (a, q) in enumerate(zip(alpha, inst.margins)):  # margins of theta* are those of beta*
        if a != 0 and q != 1:
            raise NotProven(f"complementary slackness fails for example {i}: alpha_{i} = {_q(a)} > 0 "
                            f"but y_{i} beta*.x_{i} = {_q(q)} != 1")
    b2 = norm_sq(beta)
    L = net.depth
    lhs = (inst.norm_sq / L) ** L
    if lhs != b2:
        raise NotProven(f"theta* does not attain the minimal factorization norm of its predictor: "
                        f"(||theta*||^2/L)^L = {_q(lhs)} != ||beta*||^2 = {_q(b2)} (layers not balanced)")
    return (f"is a global optimum (beta* = W_L...W_1 solves the hard-margin SVM, ||beta*||^2 = {_q(b2)}, "
            f"and (||theta*||^2/{L})^{L} = ||beta*||^2)"), {"svm_norm_sq": _q(b2)}


PROVERS = {
    "kkt_point": prove_kkt_point,
    "not_local_optimum": prove_not_local_optimum,
    "not_global_optimum": prove_not_global_optimum,
    "global_optimum": prove_global_optimum,
}


def prove(c: KktClaim) -> Proven:
    """Every property of ``c.proves``, in order; raises NotProven / CertificateError at the first failure."""
    inst = Instance(c.network, c.data, c.theta)
    parts = []
    bounds: dict[str, Any] = {"norm_sq": _q(inst.norm_sq), "examples": inst.n, "parameters": c.network.n_params}
    for p in c.proves:
        text, more = PROVERS[p](inst, c.evidence[p])
        parts.append(text)
        bounds.update(more)
    summary = (f"{c.network.describe()}, {inst.n} examples, {c.network.n_params} parameters: theta* "
               f"(||theta*||^2 = {_q(inst.norm_sq)}) " + "; ".join(parts))
    return Proven(summary, bounds)


# --------------------------------------------------------------------------- the kind


class KktMaxMargin(ClaimKind):
    name = "kkt-max-margin"
    version = 2
    title = "a KKT point of the max-margin problem of a homogeneous network, and whether it is a local/global optimum"
    theorem = "docs/kkt.md"
    trusted_modules = ("certify.kernel.kkt.kind", "certify.kernel.kkt.networks", "certify.kernel.kkt.polynomials")
    claim_fields = frozenset({"architecture", "data", "point", "proves"})
    evidence_fields = frozenset({"evidence"})
    limits = LIMITS
    bounds = {
        "norm_sq": "||theta*||^2 (exact rational)",
        "examples": "number of examples n",
        "parameters": "number of parameters of the network",
        "t0": "the curve is feasible with smaller norm on (0, t0] (exact rational)",
        "better_norm_sq": "||theta'||^2 of the stated feasible point, < ||theta*||^2 (exact rational)",
        "svm_norm_sq": "||beta*||^2 of the max-margin linear predictor (exact rational)",
    }
    # how this checker treats older format versions (printed with the version error)
    version_help = {1: "kkt-max-margin version 1 (free-text statement) is no longer read: rebuild it with "
                       "`certify kkt migrate FILE... --out DIR` (same data and evidence; docs/kkt.md, \"Old files\")"}
    cli_group = "kkt"
    cli_module = "certify.kkt.cli"

    def parse(self, cert: dict) -> KktClaim:
        """Validate the architecture and its parameter count, the data (examples x parameters limited before
        it is read), theta*, claim.proves (a non-empty list of distinct known properties) and the evidence
        of exactly those properties; every rational is counted against the size limits as it is read, and
        the parameters x long-rationals limit is checked last.  CertificateError otherwise."""
        claim = get_object(cert, "claim")
        net = parse_network(require(claim, "architecture", "claim"), "claim.architecture",
                            MAX_INPUT_DIM, MAX_WIDTH, MAX_DEPTH)
        within_limit(net.n_params, MAX_PARAMETERS, "claim.architecture: parameters")
        raw_x = require(claim, "data", "claim")
        n = len(raw_x["x"]) if isinstance(raw_x, dict) and isinstance(raw_x.get("x"), list) else 0
        within_limit(n * net.n_params, MAX_EVALUATION, "claim.data: examples x parameters")
        read = _Reader()
        data = parse_data(raw_x, net.input_dim, read.rational, MAX_EXAMPLES)
        theta = tuple(net.parse_params(require(claim, "point", "claim"), "claim.point", read.rational))
        proves = require(claim, "proves", "claim")
        if not isinstance(proves, list) or not proves:
            raise CertificateError(f"claim.proves must be a non-empty list of claims from {list(CLAIMS)}")
        for p in proves:
            if not isinstance(p, str) or p not in CLAIMS:
                raise CertificateError(f"claim.proves: unknown claim {p!r} (known: {list(CLAIMS)})")
        if len(set(proves)) != len(proves):
            raise CertificateError("claim.proves lists a claim twice")
        evidence = get_object(cert, "evidence")
        extra = sorted(set(evidence) - set(proves))
        if extra:
            raise CertificateError(f"evidence given for claim(s) {extra} not listed in claim.proves")
        c = KktClaim(net, data, theta, tuple(proves))
        parsed = {p: EVIDENCE_PARSERS[p](net, c, get_object(evidence, p, "evidence"), read) for p in proves}
        within_limit(net.n_params * (read.long + SHORT_ALLOWANCE) ** 2, MAX_PARAMS_X_LONG_SQ,
                     f"parameters ({net.n_params}) x (characters of long rationals ({read.long}) + "
                     f"{SHORT_ALLOWANCE})^2")
        return KktClaim(net, data, theta, tuple(proves), parsed)

    def statement(self, c: KktClaim) -> str:
        """The claim in words: problem (P) on the data, the network formula, and exactly the properties of
        claim.proves (in the order of CLAIMS); claim.statement must equal it."""
        props = [PROPERTIES[p] for p in CLAIMS if p in c.proves]
        said = props[0] if len(props) == 1 else ", ".join(props[:-1]) + " and " + props[-1]
        return (f"For the max-margin problem (P): minimize 1/2 ||theta||^2 subject to y_i N_theta(x_i) >= 1 for "
                f"the {c.n} examples (x_i, y_i) of claim.data, where N_theta is {c.network.formula()}, the point "
                f"theta* of claim.point {said}.")

    def check(self, c: KktClaim) -> Proven:
        """Prove every property of claim.proves (:func:`prove`)."""
        return prove(c)

    def describe(self, c: KktClaim) -> str:
        """Network, data, ||theta*||^2 and the first 12 margins (computed exactly), the claimed properties,
        t0 and the first 12 multipliers when given, for ``certify show`` (nothing is proven)."""
        margins = c.network.margins(list(c.theta), c.data)
        lines = [f"network: {c.network.describe()} ({c.network.n_params} parameters)",
                 f"data:    {c.n} examples in dimension {c.network.input_dim} "
                 f"({sum(1 for y in c.data.y if y > 0)} labelled +1)",
                 f"point:   ||theta*||^2 = {_q(norm_sq(c.theta))}; margins "
                 + ", ".join(_q(q) for q in margins[:12]) + (" ..." if c.n > 12 else ""),
                 f"claims:  {', '.join(c.proves)}"]
        if "not_local_optimum" in c.evidence:
            lines.append(f"curve:   t0 = {_q(c.evidence['not_local_optimum'].t0)}")
        if "kkt_point" in c.evidence:
            lines.append("lambda:  " + ", ".join(_q(v) for v in c.evidence["kkt_point"].multipliers[:12]))
        return "\n".join(lines)


KIND = KktMaxMargin()

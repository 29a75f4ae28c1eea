"""Checker for ``kkt-max-margin`` certificates (KKT points of the max-margin problem).

TRUSTED (docs/kkt.md).  Exact rational arithmetic only (``fractions.Fraction``
and the polynomials of certify.kkt.polynomials); no floating point.  Imports
only the standard library, certify.certificate, certify.interval
(NotProven), certify.checking (Proven) and the trusted certify.kkt modules
``networks`` and ``polynomials`` -- never the search.

The instance: an architecture (certify.kkt.networks), data (x_i, y_i) with
rational x_i and y_i in {+1, -1}, and a rational point theta*.  The problem

    (P)   minimize  1/2 ||theta||^2   subject to   q_i(theta) = y_i N_theta(x_i) >= 1  (all i).

Sub-claims (``claim.proves``, each with evidence under ``evidence``):

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
    sequences (certify.kkt.polynomials.sign_on_interval).  Theorem: theta(t)
    -> theta* as t -> 0+, so every neighbourhood of theta* holds feasible
    points of strictly smaller objective.

``not_global_optimum``  a rational theta' with q_i(theta') >= 1 for all i and
    ||theta'||^2 < ||theta*||^2 (exact).

``global_optimum`` (fully_connected_linear only)  theta* = (W_1..W_L) is a
    global minimizer of (P).  Evidence: rationals alpha_i.  Checked exactly,
    with beta* := (W_L ... W_1)^T:  alpha_i >= 0; beta* = sum_i alpha_i y_i x_i;
    y_i beta*.x_i >= 1; alpha_i (y_i beta*.x_i - 1) = 0; (||theta*||^2 / L)^L
    = ||beta*||^2.  Theorem: (1) for any beta with y_i beta.x_i >= 1,
    ||beta|| ||beta*|| >= beta.beta* = sum alpha_i y_i beta.x_i >= sum alpha_i
    = sum alpha_i y_i beta*.x_i = ||beta*||^2, so ||beta|| >= ||beta*|| (the
    hard-margin SVM without bias is solved by beta*).  (2) For any
    factorization W_L...W_1 = beta^T: ||beta|| <= prod ||W_l||_2 <= prod ||W_l||_F,
    and by AM-GM 1/2 sum ||W_l||_F^2 >= (L/2) (prod ||W_l||_F^2)^(1/L) >=
    (L/2) ||beta||^(2/L).  Hence every feasible theta has 1/2||theta||^2 >=
    (L/2)||beta_theta||^(2/L) >= (L/2)||beta*||^(2/L) = 1/2||theta*||^2, the last
    equality being the checked identity (||theta*||^2/L)^L = ||beta*||^2
    (compared as rationals: no square roots are taken).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..certificate import CertificateError, as_rational, get_object, get_str, rational_str, require
from ..checking import Proven
from ..certificate import NotProven
from .networks import (
    Architecture,
    Data,
    curve_leaf,
    curve_sign,
    end_to_end,
    margins,
    norm_sq,
    output_gradient,
    parse_architecture,
    parse_data,
    parse_params,
)
from .polynomials import Poly, sign_on_interval

KIND = "kkt-max-margin"
CLAIMS = ("kkt_point", "not_local_optimum", "not_global_optimum", "global_optimum")
CLAIM_KEYS = ("statement", "architecture", "data", "point", "proves")


def _q(x: Fraction) -> str:
    return rational_str(x)


# --------------------------------------------------------------------------- instance


class Instance:
    def __init__(self, arch: Architecture, data: Data, theta: list[Fraction]):
        self.arch = arch
        self.data = data
        self.theta = theta
        self.norm_sq = norm_sq(theta)
        self.margins = margins(arch, theta, data)

    @property
    def n(self) -> int:
        return len(self.data.y)

    def require_feasible(self) -> None:
        for i, q in enumerate(self.margins):
            if q < 1:
                raise NotProven(f"theta* is not feasible: margin y_{i} N(x_{i}) = {_q(q)} < 1")


def parse_instance(cert: dict) -> tuple[Instance, list[str]]:
    if cert.get("kind") != KIND:
        raise CertificateError(f"kind must be {KIND!r}, got {cert.get('kind')!r}")
    claim = get_object(cert, "claim")
    extra = sorted(set(claim) - set(CLAIM_KEYS))
    if extra:
        raise CertificateError(f"claim: unknown field(s) {extra} (allowed: {list(CLAIM_KEYS)})")
    if "statement" in claim:
        get_str(claim, "statement", "claim")
    arch = parse_architecture(require(claim, "architecture", "claim"))
    data = parse_data(require(claim, "data", "claim"), arch.input_dim)
    theta = parse_params(arch, require(claim, "point", "claim"), "claim.point")
    proves = require(claim, "proves", "claim")
    if not isinstance(proves, list) or not proves:
        raise CertificateError(f"claim.proves must be a non-empty list of claims from {list(CLAIMS)}")
    for p in proves:
        if p not in CLAIMS:
            raise CertificateError(f"claim.proves: unknown claim {p!r} (known: {list(CLAIMS)})")
    if len(set(proves)) != len(proves):
        raise CertificateError("claim.proves lists a claim twice")
    return Instance(arch, data, theta), list(proves)


# --------------------------------------------------------------------------- (a) KKT point


def check_kkt(inst: Instance, ev: dict) -> str:
    """theta* is a KKT point of (P) (Clarke sense); see the module docstring."""
    ctx = "evidence.kkt_point"
    extra = sorted(set(ev) - {"multipliers", "clarke_choices"})
    if extra:
        raise CertificateError(f"{ctx}: unknown field(s) {extra}")
    lam_raw = require(ev, "multipliers", ctx)
    if not isinstance(lam_raw, list) or len(lam_raw) != inst.n:
        raise CertificateError(f"{ctx}.multipliers must be a list of {inst.n} rationals, one per example")
    lam = [as_rational(v, f"{ctx}.multipliers[{i}]") for i, v in enumerate(lam_raw)]
    choices = _parse_choices(inst, ev.get("clarke_choices", []), lam, f"{ctx}.clarke_choices")

    inst.require_feasible()
    for i, (li, qi) in enumerate(zip(lam, inst.margins)):
        if li < 0:
            raise NotProven(f"multiplier lambda_{i} = {_q(li)} is negative")
        if li != 0 and qi != 1:
            raise NotProven(f"complementary slackness fails for example {i}: lambda_{i} = {_q(li)} > 0 "
                            f"but the margin is {_q(qi)} != 1")

    def choice(i: int, j: int) -> Fraction:
        if (i, j) not in choices:
            raise CertificateError(f"{ctx}.clarke_choices: no choice of relu'(0) stated for example {i}, "
                                   f"neuron {j} (its pre-activation is exactly 0 and lambda_{i} > 0)")
        return choices[(i, j)]

    total = [Fraction(0)] * len(inst.theta)
    for i, li in enumerate(lam):
        if li == 0:
            continue
        g = output_gradient(inst.arch, inst.theta, inst.data.x[i], i, choice)
        c = li * inst.data.y[i]
        total = [a + c * b for a, b in zip(total, g)]
    for p, (a, b) in enumerate(zip(inst.theta, total)):
        if a != b:
            raise NotProven(f"stationarity fails at parameter {_param_name(inst.arch, p)}: theta* has {_q(a)} "
                            f"but sum_i lambda_i y_i dN(x_i) has {_q(b)}")
    active = sum(1 for li in lam if li != 0)
    return f"is a KKT point ({active} positive multiplier(s), sum lambda = {_q(sum(lam))})"


def _parse_choices(inst: Instance, raw: Any, lam: list[Fraction], ctx: str) -> dict[tuple[int, int], Fraction]:
    if not isinstance(raw, list):
        raise CertificateError(f"{ctx} must be a list of {{'example', 'neuron', 'value'}} objects")
    if raw and inst.arch.type != "two_layer_relu":
        raise CertificateError(f"{ctx}: Clarke choices apply only to two_layer_relu ({inst.arch.type} is smooth)")
    out: dict[tuple[int, int], Fraction] = {}
    d, m = inst.arch.input_dim, inst.arch.width
    for k, c in enumerate(raw):
        where = f"{ctx}[{k}]"
        if not isinstance(c, dict) or set(c) != {"example", "neuron", "value"}:
            raise CertificateError(f"{where} must be an object with exactly 'example', 'neuron', 'value'")
        i, j = c["example"], c["neuron"]
        if type(i) is not int or not 0 <= i < inst.n:
            raise CertificateError(f"{where}.example must be an integer in [0, {inst.n}), got {i!r}")
        if type(j) is not int or not 0 <= j < m:
            raise CertificateError(f"{where}.neuron must be an integer in [0, {m}), got {j!r}")
        s = as_rational(c["value"], f"{where}.value")
        if not 0 <= s <= 1:
            raise CertificateError(f"{where}.value: relu'(0) must be chosen in [0, 1], got {_q(s)}")
        if (i, j) in out:
            raise CertificateError(f"{where}: second choice for example {i}, neuron {j}")
        z = sum((a * b for a, b in zip(inst.theta[j * d:(j + 1) * d], inst.data.x[i])), Fraction(0))
        if z != 0:
            raise CertificateError(f"{where}: example {i}, neuron {j} has pre-activation {_q(z)} != 0; "
                                   f"a Clarke choice applies only at 0")
        out[(i, j)] = s
    return out


def _param_name(arch: Architecture, p: int) -> str:
    d = arch.input_dim
    if arch.type == "two_layer_relu":
        return f"w[{p // d}][{p % d}]" if p < arch.width * d else f"v[{p - arch.width * d}]"
    if arch.type == "diagonal_linear":
        return f"u[{p // d}][{p % d}]"
    off = 0
    for l, (rows, cols) in enumerate(arch.layer_shapes):
        if p < off + rows * cols:
            r, c = divmod(p - off, cols)
            return f"W[{l}][{r}][{c}]"
        off += rows * cols
    return f"#{p}"


# --------------------------------------------------------------------------- (b) not a local optimum


def check_not_local(inst: Instance, ev: dict) -> tuple[str, Fraction]:
    """A polynomial curve from theta*, feasible with smaller norm on (0, t0]."""
    ctx = "evidence.not_local_optimum"
    extra = sorted(set(ev) - {"curve", "t0"})
    if extra:
        raise CertificateError(f"{ctx}: unknown field(s) {extra}")
    t0 = as_rational(require(ev, "t0", ctx), f"{ctx}.t0")
    if not t0 > 0:
        raise CertificateError(f"{ctx}.t0 must be positive, got {_q(t0)}")
    curve = parse_params(inst.arch, require(ev, "curve", ctx), f"{ctx}.curve", leaf=curve_leaf)
    inst.require_feasible()
    for p, (c, a) in enumerate(zip(curve, inst.theta)):
        if c(0) != a:
            raise NotProven(f"curve does not start at theta*: {_param_name(inst.arch, p)}(0) = {_q(c(0))}, "
                            f"theta* has {_q(a)}")
    qs = margins(inst.arch, curve, inst.data, curve_sign(t0))
    for i, q in enumerate(qs):
        slack = Poly.lift(q) - 1
        try:
            s = sign_on_interval(slack, t0)
        except NotProven as exc:
            raise NotProven(f"margin of example {i} minus 1 is not of constant sign on (0, {_q(t0)}] ({exc}); "
                            f"the curve may leave the feasible set (choose a smaller t0)") from None
        if s < 0:
            raise NotProven(f"the curve leaves the feasible set: margin of example {i} is < 1 on (0, {_q(t0)}]")
    change = Poly.lift(norm_sq(curve)) - inst.norm_sq
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
    return f"is not a local optimum (feasible curve of degree {degree} with smaller norm on (0, {_q(t0)}])", t0


# --------------------------------------------------------------------------- (c) not a global optimum


def check_not_global(inst: Instance, ev: dict) -> tuple[str, Fraction]:
    """A feasible rational point with strictly smaller norm."""
    ctx = "evidence.not_global_optimum"
    extra = sorted(set(ev) - {"point"})
    if extra:
        raise CertificateError(f"{ctx}: unknown field(s) {extra}")
    other = parse_params(inst.arch, require(ev, "point", ctx), f"{ctx}.point")
    inst.require_feasible()
    for i, q in enumerate(margins(inst.arch, other, inst.data)):
        if q < 1:
            raise NotProven(f"the better point is not feasible: margin of example {i} is {_q(q)} < 1")
    n2 = norm_sq(other)
    if not n2 < inst.norm_sq:
        raise NotProven(f"the other point is not smaller: ||theta'||^2 = {_q(n2)} >= ||theta*||^2 = {_q(inst.norm_sq)}")
    return f"is not a global optimum (feasible theta' with ||theta'||^2 = {_q(n2)} < {_q(inst.norm_sq)})", n2


# --------------------------------------------------------------------------- (d) global optimum (linear)


def check_global_linear(inst: Instance, ev: dict) -> tuple[str, Fraction]:
    """Global optimality for fully-connected linear networks (see module docstring)."""
    ctx = "evidence.global_optimum"
    if inst.arch.type != "fully_connected_linear":
        raise CertificateError(f"{ctx}: the global-optimality certificate applies only to fully_connected_linear "
                               f"networks, not {inst.arch.type}")
    extra = sorted(set(ev) - {"dual"})
    if extra:
        raise CertificateError(f"{ctx}: unknown field(s) {extra}")
    raw = require(ev, "dual", ctx)
    if not isinstance(raw, list) or len(raw) != inst.n:
        raise CertificateError(f"{ctx}.dual must be a list of {inst.n} rationals alpha_i, one per example")
    alpha = [as_rational(v, f"{ctx}.dual[{i}]") for i, v in enumerate(raw)]
    inst.require_feasible()
    beta = end_to_end(inst.arch, inst.theta)
    d = inst.arch.input_dim
    for i, a in enumerate(alpha):
        if a < 0:
            raise NotProven(f"dual variable alpha_{i} = {_q(a)} is negative")
    combo = [sum((alpha[i] * inst.data.y[i] * inst.data.x[i][k] for i in range(inst.n)), Fraction(0))
             for k in range(d)]
    for k in range(d):
        if combo[k] != beta[k]:
            raise NotProven(f"dual certificate fails: beta*[{k}] = {_q(beta[k])} but sum_i alpha_i y_i x_i[{k}] "
                            f"= {_q(combo[k])}")
    for i, (a, q) in enumerate(zip(alpha, inst.margins)):  # margins of theta* are those of beta*
        if a != 0 and q != 1:
            raise NotProven(f"complementary slackness fails for example {i}: alpha_{i} = {_q(a)} > 0 "
                            f"but y_{i} beta*.x_{i} = {_q(q)} != 1")
    b2 = sum((b * b for b in beta), Fraction(0))
    L = inst.arch.depth
    lhs = (inst.norm_sq / L) ** L
    if lhs != b2:
        raise NotProven(f"theta* does not attain the minimal factorization norm of its predictor: "
                        f"(||theta*||^2/L)^L = {_q(lhs)} != ||beta*||^2 = {_q(b2)} (layers not balanced)")
    return (f"is a global optimum (beta* = W_L...W_1 solves the hard-margin SVM, ||beta*||^2 = {_q(b2)}, "
            f"and (||theta*||^2/{L})^{L} = ||beta*||^2)"), b2


# --------------------------------------------------------------------------- entry points


def check(cert: dict) -> Proven:
    inst, proves = parse_instance(cert)
    evidence = get_object(cert, "evidence")
    extra = sorted(set(evidence) - set(proves))
    if extra:
        raise CertificateError(f"evidence given for claim(s) {extra} not listed in claim.proves")
    parts = []
    bounds: dict[str, Any] = {"norm_sq": _q(inst.norm_sq), "examples": inst.n, "parameters": inst.arch.n_params}
    for claim in proves:
        ev = get_object(evidence, claim, "evidence")
        if claim == "kkt_point":
            parts.append(check_kkt(inst, ev))
        elif claim == "not_local_optimum":
            text, t0 = check_not_local(inst, ev)
            parts.append(text)
            bounds["t0"] = _q(t0)
        elif claim == "not_global_optimum":
            text, n2 = check_not_global(inst, ev)
            parts.append(text)
            bounds["better_norm_sq"] = _q(n2)
        else:
            text, b2 = check_global_linear(inst, ev)
            parts.append(text)
            bounds["svm_norm_sq"] = _q(b2)
    summary = (f"{inst.arch.describe()}, {inst.n} examples, {inst.arch.n_params} parameters: theta* "
               f"(||theta*||^2 = {_q(inst.norm_sq)}) " + "; ".join(parts))
    return Proven(summary, bounds)


def describe(cert: dict) -> str:
    """Readable summary of the instance and the evidence (no checking)."""
    inst, proves = parse_instance(cert)
    lines = [f"network: {inst.arch.describe()} ({inst.arch.n_params} parameters)",
             f"data:    {inst.n} examples in dimension {inst.arch.input_dim} "
             f"({sum(1 for y in inst.data.y if y > 0)} labelled +1)",
             f"point:   ||theta*||^2 = {_q(inst.norm_sq)}; margins "
             + ", ".join(_q(q) for q in inst.margins[:12]) + (" ..." if inst.n > 12 else ""),
             f"claims:  {', '.join(proves)}"]
    ev = cert.get("evidence")
    if isinstance(ev, dict):
        nl = ev.get("not_local_optimum")
        if isinstance(nl, dict) and "t0" in nl:
            lines.append(f"curve:   t0 = {nl['t0']}")
        kk = ev.get("kkt_point")
        if isinstance(kk, dict) and isinstance(kk.get("multipliers"), list):
            lines.append("lambda:  " + ", ".join(str(v) for v in kk["multipliers"][:12]))
    prov = cert.get("provenance")
    if isinstance(prov, dict):
        lines.append("provenance (not checked): " + ", ".join(f"{k}={v}" for k, v in list(prov.items())[:12]))
    return "\n".join(lines)

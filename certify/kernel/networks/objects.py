"""Networks, targets and domains in exact rationals (python-flint ``fmpq``), and their parsing.

TRUSTED (docs/networks.md, sections 1-2).  Imports only the standard library,
python-flint and the kernel core.  No floating point anywhere.

* An *affine form* over x in Q^d is a tuple of d + 1 fmpq: coefficients, then the constant.
* A *row* is a pair (a, b) of a d-tuple and a constant: the half-space a.x <= b.
* :class:`Network` holds the layers (W_l, b_l); :meth:`Network.cell_map` forms the affine
  pre-activations Z_l of Lemma 1 layer by layer from the signs already decided, has the sign of
  every neuron of a layer proven (a callback) before the next layer is formed, and returns the
  affine map of the output on the cell.
* :class:`Target` is the k-th smallest of affine forms (max, min, median, order
  statistics, |x_1|, an affine function), another network, or nothing.
* :class:`Domain` is R^d, a box or a polytope, given by its domain rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flint import fmpq, fmpq_mat

from ..certificate import CertificateError, as_rational, get_int, get_str, only_fields, require, within_limit

ZERO = fmpq(0)
ONE = fmpq(1)

MAX_CHARS = 400  # characters of one rational: every binary64 number fits
MAX_TOTAL_CHARS = 20_000_000  # all rationals of a certificate together
MAX_LAYERS = 64
MAX_WIDTH = 256
MAX_NEURONS = 4096
MAX_INPUT_DIM = 64
MAX_DIGIT_DEPTH = 3000  # sum over layers of the longest rational of the layer (growth of exact values)


def q_str(x: fmpq) -> str:
    """The exact rational "p/q" ("p" for an integer); long ones are summarised (messages never fail)."""
    p, q = int(x.p), int(x.q)
    if p.bit_length() + q.bit_length() > 3000:
        return f"<rational of about {(p.bit_length() + q.bit_length()) * 30103 // 100000} digits>"
    return str(p) if q == 1 else f"{p}/{q}"


class Reader:
    """Reads exact rationals as fmpq, counting characters against the per-number and total limits."""

    def __init__(self) -> None:
        """Start with no characters counted."""
        self.total = 0

    def rational(self, value: Any, where: str) -> fmpq:
        """An exact rational (JSON integer or string "p/q"), within the size limits."""
        if isinstance(value, str):
            size = len(value)
        elif type(value) is int:
            size = (abs(value).bit_length() * 30103) // 100000 + 2
        else:
            size = 0  # as_rational rejects it
        if size > MAX_CHARS:
            raise CertificateError(f"{where}: a rational of {size} characters exceeds this checker's limit of "
                                   f"{MAX_CHARS}")
        self.total += size
        if self.total > MAX_TOTAL_CHARS:
            raise CertificateError(f"{where}: the rationals of this certificate exceed this checker's limit of "
                                   f"{MAX_TOTAL_CHARS} characters in total")
        f = as_rational(value, where)
        return fmpq(f.numerator, f.denominator)

    def vector(self, value: Any, n: int, where: str) -> tuple[fmpq, ...]:
        """A list of exactly n rationals."""
        if not isinstance(value, list) or len(value) != n:
            raise CertificateError(f"{where}: expected a list of {n} rationals")
        return tuple(self.rational(v, f"{where}[{i}]") for i, v in enumerate(value))

    def matrix(self, value: Any, rows: int, cols: int, where: str) -> tuple[tuple[fmpq, ...], ...]:
        """A list of ``rows`` lists of ``cols`` rationals (the shape is checked before any entry is read)."""
        if not isinstance(value, list) or len(value) != rows:
            raise CertificateError(f"{where}: expected a list of {rows} rows")
        for r, row in enumerate(value):
            if not isinstance(row, list) or len(row) != cols:
                raise CertificateError(f"{where}[{r}]: expected a list of {cols} rationals")
        return tuple(self.vector(row, cols, f"{where}[{r}]") for r, row in enumerate(value))


def longest(value: Any) -> int:
    """Characters of the longest rational in a nested list (before conversion; for the digit-depth limit)."""
    if isinstance(value, list):
        return max((longest(v) for v in value), default=0)
    if isinstance(value, str):
        return len(value)
    if type(value) is int:
        return len(str(abs(value))) if abs(value) < 10**MAX_CHARS else MAX_CHARS + 1
    return 0


def dot(a, b) -> fmpq:
    """Exact sum of products."""
    acc = ZERO
    for p, q in zip(a, b):
        acc += p * q
    return acc


# --------------------------------------------------------------------------- networks


class Network:
    """A ReLU network: layers (W_l, b_l), ReLU after every layer but the last, one output."""

    def __init__(self, d: int, layers: list[tuple[tuple, tuple]]):
        """Keep the input dimension d and the parsed layers [(W rows, b)] (shapes already checked by
        :func:`parse_network`), with the widths n_1, ..., n_K (n_K = 1), the hidden widths, their sum
        and every W_l as an exact ``fmpq_mat``."""
        self.d = d
        self.layers = layers  # [(W rows, b)]
        self.widths = [len(b) for _, b in layers]  # n_1, ..., n_K (n_K = 1)
        self.hidden = self.widths[:-1]
        self.n_hidden = sum(self.hidden)
        self._mats = [fmpq_mat([list(row) for row in W]) for W, _ in layers]

    def size_text(self) -> str:
        """Sizes in words, for statements and messages."""
        h = len(self.hidden)
        if h == 0:
            return f"input dimension {self.d}, no hidden layer (affine)"
        return (f"input dimension {self.d}, {h} hidden layer{'s' if h != 1 else ''} of width"
                f"{'s' if h != 1 else ''} {', '.join(map(str, self.hidden))}")

    def work(self) -> int:
        """Sum over layers of n_l * n_(l-1) * (d + 1): the cost of forming the affine maps of one cell."""
        prev, total = self.d, 0
        for n in self.widths:
            total += n * prev * (self.d + 1)
            prev = n
        return total

    def cell_map(self, active: Callable[[int, tuple], bool]) -> tuple:
        """Lemma 1: the affine map that N equals on a cell.  For every hidden neuron in order (k = 0, 1, ...)
        ``active(k, Z)`` receives the neuron's affine pre-activation Z, formed from the signs decided
        before it, must prove the neuron's sign on the cell (or raise), and returns True for sign +
        (relu(Z) = Z) and False for sign - (relu(Z) = 0).  Returns the output's affine form."""
        d = self.d
        H = fmpq_mat(d, d + 1, [ONE if j == i else ZERO for i in range(d) for j in range(d + 1)])
        k = 0
        for l, (_, b) in enumerate(self.layers):
            Z = self._mats[l] * H
            forms = [tuple(Z[i, j] for j in range(d)) + (Z[i, d] + b[i],) for i in range(len(b))]
            if l == len(self.layers) - 1:
                return forms[0]
            rows = []
            for form in forms:
                rows.append(list(form) if active(k, form) else [ZERO] * (d + 1))
                k += 1
            H = fmpq_mat(rows)
        raise AssertionError("unreachable")  # pragma: no cover

    def pre_activations(self, x: tuple) -> list[fmpq]:
        """The exact pre-activations of every hidden neuron at the point x, in order."""
        h, out = list(x), []
        for W, b in self.layers[:-1]:
            z = [dot(row, h) + c for row, c in zip(W, b)]
            out.extend(z)
            h = [v if v > 0 else ZERO for v in z]
        return out

    def value(self, x: tuple) -> fmpq:
        """N(x), exactly."""
        h = list(x)
        for W, b in self.layers[:-1]:
            h = [max(dot(row, h) + c, ZERO) for row, c in zip(W, b)]
        W, b = self.layers[-1]
        return dot(W[0], h) + b[0]


def parse_network(obj: Any, where: str, read: Reader, d: int | None = None) -> Network:
    """A network object {"input_dim", "layers": [{"weights", "bias"}, ...]}; sizes checked before entries."""
    only_fields(obj, ("input_dim", "layers"), where)
    dim = get_int(obj, "input_dim", where, lo=1)
    within_limit(dim, MAX_INPUT_DIM, f"{where}.input_dim")
    if d is not None and dim != d:
        raise CertificateError(f"{where}.input_dim must be {d} (the input dimension of claim.network), got {dim}")
    layers = require(obj, "layers", where)
    if not isinstance(layers, list) or not layers:
        raise CertificateError(f"{where}.layers must be a non-empty list of {{'weights', 'bias'}} objects")
    within_limit(len(layers), MAX_LAYERS, f"{where}: number of layers")
    widths, prev, depth_chars = [], dim, 0
    for l, layer in enumerate(layers):
        at = f"{where}.layers[{l}]"
        only_fields(layer, ("weights", "bias"), at)
        W, b = require(layer, "weights", at), require(layer, "bias", at)
        if not isinstance(W, list) or not isinstance(b, list) or len(W) != len(b) or not b:
            raise CertificateError(f"{at}: 'weights' (rows) and 'bias' must be non-empty lists of equal length")
        within_limit(len(b), MAX_WIDTH, f"{at}: width")
        if l == len(layers) - 1 and len(b) != 1:
            raise CertificateError(f"{at}: the last layer must have exactly one output, got {len(b)}")
        widths.append((len(b), prev))
        prev = len(b)
        depth_chars += max(longest(W), longest(b))
    within_limit(sum(n for n, _ in widths[:-1]), MAX_NEURONS, f"{where}: hidden neurons")
    within_limit(depth_chars, MAX_DIGIT_DEPTH, f"{where}: digit depth (sum over layers of the longest rational)")
    parsed = []
    for l, (layer, (n, m)) in enumerate(zip(layers, widths)):
        at = f"{where}.layers[{l}]"
        parsed.append((read.matrix(layer["weights"], n, m, f"{at}.weights"), read.vector(layer["bias"], n, f"{at}.bias")))
    return Network(dim, parsed)


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class Target:
    """T: the k-th smallest of the affine forms ``pieces`` (kind 'statistic'), a network, or none."""

    type: str
    k: int = 0
    pieces: tuple = ()
    network: Network | None = None
    order: int = 0  # for max/min/median/order_statistic: k as an order statistic of the inputs

    def text(self, d: int) -> str:
        """T(x) in words, for the statement."""
        xs = f"x_1, ..., x_{d}" if d > 2 else ", ".join(f"x_{i + 1}" for i in range(d))
        if self.type in ("max", "min"):
            return f"{self.type}({xs})"
        if self.type == "median":
            return f"median({xs})"
        if self.type == "order_statistic":
            return f"the {self.order}-th smallest of {xs}"
        if self.type == "abs":
            return "|x_1|"
        if self.type == "affine":
            a = self.pieces[0]
            return "the affine function " + affine_text(a)
        if self.type == "network":
            return f"M(x), where M is the ReLU network of claim.target.network ({self.network.size_text()})"
        return "nothing"

    @property
    def lattice(self) -> bool:
        """True for order statistics of the inputs (the targets the modular method proves)."""
        return self.type in ("max", "min", "median", "order_statistic")


def affine_text(a: tuple) -> str:
    """An affine form as text: "c_1 x_1 + ... + c" (exact)."""
    d = len(a) - 1
    terms = [f"{q_str(c)} x_{i + 1}" for i, c in enumerate(a[:d]) if c != 0]
    terms.append(q_str(a[d]))
    return " + ".join(terms)


def parse_target(obj: Any, d: int, read: Reader) -> Target:
    """claim.target: {"type": max|min|median|order_statistic|abs|affine|network|none, ...}."""
    where = "claim.target"
    kind = get_str(obj, "type", where)
    unit = [tuple(ONE if j == i else ZERO for j in range(d)) + (ZERO,) for i in range(d)]
    if kind in ("max", "min", "median"):
        only_fields(obj, ("type",), where)
        if kind == "median" and d % 2 == 0:
            raise CertificateError(f"{where}: the median is defined here for an odd number of inputs, d = {d}")
        k = {"max": d, "min": 1, "median": (d + 1) // 2}[kind]
        return Target(kind, k, tuple(unit), order=k)
    if kind == "order_statistic":
        only_fields(obj, ("type", "k"), where)
        k = get_int(obj, "k", where, lo=1, hi=d)
        return Target(kind, k, tuple(unit), order=k)
    if kind == "abs":
        only_fields(obj, ("type",), where)
        if d != 1:
            raise CertificateError(f"{where}: 'abs' is |x_1| for input dimension 1, got d = {d}")
        return Target(kind, 2, (unit[0], (-ONE, ZERO)))
    if kind == "affine":
        only_fields(obj, ("type", "coefficients", "constant"), where)
        a = read.vector(require(obj, "coefficients", where), d, f"{where}.coefficients")
        c = read.rational(require(obj, "constant", where), f"{where}.constant")
        return Target(kind, 1, (a + (c,),))
    if kind == "network":
        only_fields(obj, ("type", "network"), where)
        return Target(kind, network=parse_network(require(obj, "network", where), f"{where}.network", read, d))
    if kind == "none":
        only_fields(obj, ("type",), where)
        return Target(kind)
    raise CertificateError(f"{where}.type: unknown target {kind!r} (known: max, min, median, order_statistic, "
                           f"abs, affine, network, none)")


# --------------------------------------------------------------------------- domains


@dataclass(frozen=True)
class Domain:
    """D = {x : a.x <= b for every domain row}; R^d has no rows."""

    type: str
    rows: tuple  # ((a, b), ...)
    box: tuple = ()  # ((lo, hi), ...) for a box

    def text(self, d: int) -> str:
        """D in words, for the statement."""
        if self.type == "all":
            return f"R^{d}"
        if self.type == "box":
            if all(lo == 0 and hi == 1 for lo, hi in self.box):
                return f"the unit cube [0, 1]^{d}"
            if d <= 8:
                return "the box " + " x ".join(f"[{q_str(lo)}, {q_str(hi)}]" for lo, hi in self.box)
            return f"the box of claim.domain ({d} intervals)"
        return f"the polytope {{x : A x <= b}} of claim.domain ({len(self.rows)} inequalities)"

    @property
    def unit_cube(self) -> bool:
        """True when D is the box [0, 1]^d."""
        return self.type == "box" and all(lo == 0 and hi == 1 for lo, hi in self.box)


MAX_DOMAIN_ROWS = 1000


def parse_domain(obj: Any, d: int, read: Reader) -> Domain:
    """claim.domain: {"type": "all"} | {"type": "box", "bounds": [[lo, hi], ...]} | {"type": "polytope", "A", "b"}."""
    where = "claim.domain"
    kind = get_str(obj, "type", where)
    if kind == "all":
        only_fields(obj, ("type",), where)
        return Domain("all", ())
    if kind == "box":
        only_fields(obj, ("type", "bounds"), where)
        bounds = read.matrix(require(obj, "bounds", where), d, 2, f"{where}.bounds")
        rows = []
        for i, (lo, hi) in enumerate(bounds):
            if not lo < hi:
                raise CertificateError(f"{where}.bounds[{i}]: need lo < hi, got [{q_str(lo)}, {q_str(hi)}]")
            e = tuple(ONE if j == i else ZERO for j in range(d))
            rows += [(e, hi), (tuple(-v for v in e), -lo)]
        return Domain("box", tuple(rows), tuple(bounds))
    if kind == "polytope":
        only_fields(obj, ("type", "A", "b"), where)
        A, b = require(obj, "A", where), require(obj, "b", where)
        if not isinstance(A, list) or not A:
            raise CertificateError(f"{where}.A must be a non-empty list of rows")
        within_limit(len(A), MAX_DOMAIN_ROWS, f"{where}: number of inequalities")
        A = read.matrix(A, len(A), d, f"{where}.A")
        b = read.vector(b, len(A), f"{where}.b")
        return Domain("polytope", tuple(zip(A, b)))
    raise CertificateError(f"{where}.type: unknown domain {kind!r} (known: all, box, polytope)")

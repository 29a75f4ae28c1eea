"""Exact evaluation of bias-free homogeneous networks (rationals or polynomials in t).

TRUSTED (docs/kkt.md).  Imports only the standard library, certify.certificate,
certify.interval (NotProven) and certify.kkt.polynomials.  No floating point:
every value is a ``fractions.Fraction`` or a :class:`~certify.kkt.polynomials.Poly`.

Architectures (input x in Q^d, scalar output, no biases):

* ``two_layer_relu``       N(x) = sum_j v_j relu(w_j . x), parameters
  ``w`` (width x d) and ``v`` (width); homogeneous of degree 2.
* ``diagonal_linear``      N(x) = sum_k (u_1k u_2k ... u_Lk) x_k, parameters
  ``u`` (depth L >= 2 rows of length d); homogeneous of degree L.
* ``fully_connected_linear``  N(x) = W_L ... W_1 x with W_1 (h_1 x d),
  W_l (h_l x h_{l-1}), W_L (1 x h_{L-1}); parameter ``W`` (list of L
  matrices given as lists of rows); homogeneous of degree L.

Parameters are handled as one flat list in a fixed order: w row by row then
v; u row by row; W_1 row by row, then W_2, ..., W_L.  ||theta||^2 is the sum
of squares of this list.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable

from ..certificate import CertificateError, as_rational, get_int, get_object, get_str, require
from ..certificate import NotProven
from .polynomials import Poly, sign_on_interval

ARCHITECTURES = ("two_layer_relu", "diagonal_linear", "fully_connected_linear")
MAX_DIM = 100_000
MAX_PARAMETERS = 1_000_000
MAX_CURVE_DEGREE = 16


@dataclass(frozen=True)
class Architecture:
    type: str
    input_dim: int
    width: int = 0  # two_layer_relu
    depth: int = 0  # diagonal_linear, fully_connected_linear
    hidden_widths: tuple[int, ...] = ()  # fully_connected_linear: h_1 .. h_{L-1}

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """fully_connected_linear: shapes (rows, cols) of W_1 .. W_L."""
        dims = (self.input_dim,) + self.hidden_widths + (1,)
        return [(dims[l + 1], dims[l]) for l in range(self.depth)]

    @property
    def n_params(self) -> int:
        if self.type == "two_layer_relu":
            return self.width * (self.input_dim + 1)
        if self.type == "diagonal_linear":
            return self.depth * self.input_dim
        return sum(r * c for r, c in self.layer_shapes)

    @property
    def homogeneity(self) -> int:
        return 2 if self.type == "two_layer_relu" else self.depth

    def describe(self) -> str:
        d = self.input_dim
        if self.type == "two_layer_relu":
            return f"two-layer ReLU network, d={d}, width {self.width}"
        if self.type == "diagonal_linear":
            return f"diagonal linear network, d={d}, depth {self.depth}"
        return f"fully-connected linear network, d={d}, depth {self.depth}, hidden widths {list(self.hidden_widths)}"


def _only_keys(obj: dict, allowed: tuple[str, ...], ctx: str) -> None:
    extra = sorted(set(obj) - set(allowed))
    if extra:
        raise CertificateError(f"{ctx}: unknown field(s) {extra} (allowed: {list(allowed)})")


def parse_architecture(obj: dict, ctx: str = "claim.architecture") -> Architecture:
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx} must be a JSON object")
    kind = get_str(obj, "type", ctx)
    if kind not in ARCHITECTURES:
        raise CertificateError(f"{ctx}.type: unknown architecture {kind!r} (known: {', '.join(ARCHITECTURES)})")
    d = get_int(obj, "input_dim", ctx, lo=1, hi=MAX_DIM)
    if kind == "two_layer_relu":
        _only_keys(obj, ("type", "input_dim", "width"), ctx)
        arch = Architecture(kind, d, width=get_int(obj, "width", ctx, lo=1, hi=MAX_DIM))
    elif kind == "diagonal_linear":
        _only_keys(obj, ("type", "input_dim", "depth"), ctx)
        arch = Architecture(kind, d, depth=get_int(obj, "depth", ctx, lo=2, hi=1000))
    else:
        _only_keys(obj, ("type", "input_dim", "depth", "hidden_widths"), ctx)
        depth = get_int(obj, "depth", ctx, lo=2, hi=1000)
        hw = require(obj, "hidden_widths", ctx)
        if not isinstance(hw, list) or len(hw) != depth - 1:
            raise CertificateError(f"{ctx}.hidden_widths must be a list of depth - 1 = {depth - 1} integers")
        for i, h in enumerate(hw):
            if type(h) is not int or not 1 <= h <= MAX_DIM:
                raise CertificateError(f"{ctx}.hidden_widths[{i}] must be an integer in [1, {MAX_DIM}], got {h!r}")
        arch = Architecture(kind, d, depth=depth, hidden_widths=tuple(hw))
    if arch.n_params > MAX_PARAMETERS:
        raise CertificateError(f"{ctx}: {arch.n_params} parameters, more than the {MAX_PARAMETERS} allowed")
    return arch


# --------------------------------------------------------------------------- parameters


def _matrix(value: Any, rows: int, cols: int, where: str, leaf: Callable[[Any, str], Any]) -> list:
    if not isinstance(value, list) or len(value) != rows:
        raise CertificateError(f"{where}: expected a list of {rows} rows, got "
                               f"{'length ' + str(len(value)) if isinstance(value, list) else type(value).__name__}")
    out = []
    for r, row in enumerate(value):
        if not isinstance(row, list) or len(row) != cols:
            raise CertificateError(f"{where}[{r}]: expected a list of {cols} entries, got "
                                   f"{'length ' + str(len(row)) if isinstance(row, list) else type(row).__name__}")
        out.extend(leaf(x, f"{where}[{r}][{c}]") for c, x in enumerate(row))
    return out


def _vector(value: Any, n: int, where: str, leaf: Callable[[Any, str], Any]) -> list:
    if not isinstance(value, list) or len(value) != n:
        raise CertificateError(f"{where}: expected a list of {n} entries, got "
                               f"{'length ' + str(len(value)) if isinstance(value, list) else type(value).__name__}")
    return [leaf(x, f"{where}[{i}]") for i, x in enumerate(value)]


def parse_params(arch: Architecture, obj: Any, ctx: str, leaf: Callable[[Any, str], Any] = as_rational) -> list:
    """The parameter object of ``arch`` as a flat list (see module docstring)."""
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx} must be a JSON object")
    d = arch.input_dim
    if arch.type == "two_layer_relu":
        _only_keys(obj, ("w", "v"), ctx)
        return (_matrix(require(obj, "w", ctx), arch.width, d, f"{ctx}.w", leaf)
                + _vector(require(obj, "v", ctx), arch.width, f"{ctx}.v", leaf))
    if arch.type == "diagonal_linear":
        _only_keys(obj, ("u",), ctx)
        return _matrix(require(obj, "u", ctx), arch.depth, d, f"{ctx}.u", leaf)
    _only_keys(obj, ("W",), ctx)
    layers = require(obj, "W", ctx)
    if not isinstance(layers, list) or len(layers) != arch.depth:
        raise CertificateError(f"{ctx}.W: expected a list of depth = {arch.depth} matrices")
    flat: list = []
    for l, (rows, cols) in enumerate(arch.layer_shapes):
        flat.extend(_matrix(layers[l], rows, cols, f"{ctx}.W[{l}]", leaf))
    return flat


def curve_leaf(value: Any, where: str) -> Poly:
    """A curve entry: a non-empty list of rational coefficients, ascending powers of t."""
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CURVE_DEGREE + 1:
        raise CertificateError(f"{where}: expected a list of 1 to {MAX_CURVE_DEGREE + 1} rational coefficients "
                               f"(ascending powers of t), got {value!r}"[:300])
    return Poly(as_rational(c, f"{where}[{k}]") for k, c in enumerate(value))


def params_to_json(arch: Architecture, flat: list, leaf: Callable[[Any], Any]) -> dict:
    """Inverse of parse_params (used for display and by writers)."""
    d = arch.input_dim
    if arch.type == "two_layer_relu":
        m = arch.width
        return {"w": [[leaf(flat[j * d + k]) for k in range(d)] for j in range(m)],
                "v": [leaf(flat[m * d + j]) for j in range(m)]}
    if arch.type == "diagonal_linear":
        return {"u": [[leaf(flat[l * d + k]) for k in range(d)] for l in range(arch.depth)]}
    out, off = [], 0
    for rows, cols in arch.layer_shapes:
        out.append([[leaf(flat[off + r * cols + c]) for c in range(cols)] for r in range(rows)])
        off += rows * cols
    return {"W": out}


# --------------------------------------------------------------------------- data


@dataclass
class Data:
    x: list[list[Fraction]]
    y: list[int]


def parse_data(obj: Any, d: int, ctx: str = "claim.data") -> Data:
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx} must be a JSON object")
    _only_keys(obj, ("x", "y"), ctx)
    xs = require(obj, "x", ctx)
    ys = require(obj, "y", ctx)
    if not isinstance(xs, list) or not 1 <= len(xs) <= MAX_DIM:
        raise CertificateError(f"{ctx}.x must be a non-empty list of examples (at most {MAX_DIM})")
    if not isinstance(ys, list) or len(ys) != len(xs):
        raise CertificateError(f"{ctx}.y must be a list of {len(xs)} labels, one per example in {ctx}.x")
    x = _matrix(xs, len(xs), d, f"{ctx}.x", as_rational)
    rows = [x[i * d:(i + 1) * d] for i in range(len(xs))]
    labels = []
    for i, v in enumerate(ys):
        q = as_rational(v, f"{ctx}.y[{i}]")
        if q not in (1, -1):
            raise CertificateError(f"{ctx}.y[{i}]: labels must be +1 or -1, got {v!r}")
        labels.append(int(q))
    return Data(rows, labels)


# --------------------------------------------------------------------------- evaluation

SignFn = Callable[[Any, int, int], int]


def exact_sign(z: Any, i: int, j: int) -> int:
    z = Fraction(z)
    return (z > 0) - (z < 0)


def curve_sign(t0: Fraction) -> SignFn:
    """Sign of a pre-activation polynomial on (0, t0] (NotProven if it changes)."""

    def sign(z: Poly, i: int, j: int) -> int:
        try:
            return sign_on_interval(Poly.lift(z), t0)
        except NotProven as exc:
            raise NotProven(f"pre-activation of neuron {j} on example {i} changes sign on (0, {t0}]: {exc}") from None

    return sign


def dot(a: list, b: list):
    acc = Fraction(0)
    for p, q in zip(a, b):
        acc = acc + p * q
    return acc


def end_to_end(arch: Architecture, flat: list) -> list:
    """For the linear architectures: beta with N(x) = beta . x."""
    d = arch.input_dim
    if arch.type == "diagonal_linear":
        beta = []
        for k in range(d):
            prod = flat[k]
            for l in range(1, arch.depth):
                prod = prod * flat[l * d + k]
            beta.append(prod)
        return beta
    if arch.type == "fully_connected_linear":
        mats = layers(arch, flat)
        row = mats[-1][0]  # W_L is 1 x h_{L-1}
        for W in reversed(mats[:-1]):
            cols = len(W[0])
            row = [dot(row, [W[r][c] for r in range(len(W))]) for c in range(cols)]
        return row
    raise ValueError("end_to_end: not a linear architecture")


def layers(arch: Architecture, flat: list) -> list[list[list]]:
    out, off = [], 0
    for rows, cols in arch.layer_shapes:
        out.append([flat[off + r * cols:off + (r + 1) * cols] for r in range(rows)])
        off += rows * cols
    return out


def outputs(arch: Architecture, flat: list, data: Data, sign: SignFn = exact_sign) -> list:
    """N_theta(x_i) for every example (Fractions, or Polys for a curve)."""
    d = arch.input_dim
    if arch.type == "two_layer_relu":
        m = arch.width
        w = [flat[j * d:(j + 1) * d] for j in range(m)]
        v = flat[m * d:]
        outs = []
        for i, x in enumerate(data.x):
            acc = Fraction(0)
            for j in range(m):
                z = dot(w[j], x)
                if sign(z, i, j) > 0:
                    acc = acc + v[j] * z
            outs.append(acc)
        return outs
    beta = end_to_end(arch, flat)
    return [dot(beta, x) for x in data.x]


def margins(arch: Architecture, flat: list, data: Data, sign: SignFn = exact_sign) -> list:
    """y_i N_theta(x_i)."""
    return [yi * o for yi, o in zip(data.y, outputs(arch, flat, data, sign))]


def norm_sq(flat: list):
    acc = Fraction(0)
    for p in flat:
        acc = acc + p * p
    return acc


def output_gradient(arch: Architecture, flat: list, x: list[Fraction], i: int,
                    choice: Callable[[int, int], Fraction]) -> list[Fraction]:
    """An element of Clarke's subdifferential of theta -> N_theta(x) (exact rationals).

    For two_layer_relu the derivative of relu at a zero pre-activation of
    neuron j is ``choice(i, j)`` (a value in [0, 1] chosen by the caller);
    the other architectures are polynomial in theta and this is the gradient.
    """
    d = arch.input_dim
    if arch.type == "two_layer_relu":
        m = arch.width
        gw, gv = [], []
        for j in range(m):
            wj = flat[j * d:(j + 1) * d]
            vj = flat[m * d + j]
            z = dot(wj, x)
            s = Fraction(1) if z > 0 else Fraction(0) if z < 0 else choice(i, j)
            gw.extend(vj * s * xk for xk in x)
            gv.append(z if z > 0 else Fraction(0))
        return gw + gv
    if arch.type == "diagonal_linear":
        L = arch.depth
        g = []
        for l in range(L):
            for k in range(d):
                prod = x[k]
                for m_ in range(L):
                    if m_ != l:
                        prod = prod * flat[m_ * d + k]
                g.append(prod)
        return g
    mats = layers(arch, flat)
    L = arch.depth
    # below[l] = W_l ... W_1 x  (below[0] = x);  above[l] = W_L ... W_{l+2} as a row (length h_{l+1})
    below = [list(x)]
    for W in mats:
        below.append([dot(row, below[-1]) for row in W])
    above: list[list] = [None] * L  # type: ignore[list-item]
    above[L - 1] = [Fraction(1)]
    for l in range(L - 2, -1, -1):
        W = mats[l + 1]
        above[l] = [dot(above[l + 1], [W[r][c] for r in range(len(W))]) for c in range(len(W[0]))]
    g = []
    for l in range(L):
        a, b = above[l], below[l]
        for r in range(len(a)):
            g.extend(a[r] * bc for bc in b)
    return g

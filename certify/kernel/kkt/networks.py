"""Exact evaluation of bias-free homogeneous networks: one class per architecture.

TRUSTED (docs/kkt.md).  Imports only the standard library and the kernel.  No
floating point: every value is a ``fractions.Fraction`` or a
:class:`~certify.kernel.kkt.polynomials.Poly` (a curve theta(t)).

Architectures (input x in Q^d, scalar output, no biases), registered in
:data:`NETWORKS` (name -> class; nothing else branches on the name):

* :class:`TwoLayerRelu`  ``two_layer_relu``: N(x) = sum_j v_j relu(w_j . x),
  parameters ``w`` (width x d) and ``v`` (width); homogeneous of degree 2.
* :class:`DiagonalLinear`  ``diagonal_linear``: N(x) = sum_k (u_1k ... u_Lk) x_k,
  parameters ``u`` (depth L >= 2 rows of length d); homogeneous of degree L.
* :class:`FullyConnectedLinear`  ``fully_connected_linear``: N(x) = W_L ... W_1 x
  with W_1 (h_1 x d), W_l (h_l x h_{l-1}), W_L (1 x h_{L-1}); parameter ``W``
  (list of L matrices given as lists of rows); homogeneous of degree L.

Parameters are handled as one flat list in a fixed order: w row by row then
v; u row by row; W_1 row by row, then W_2, ..., W_L.  ||theta||^2 is the sum
of squares of this list.

Each class parses its architecture and parameter objects (unknown fields
rejected), computes the exact outputs N_theta(x_i) and an element of Clarke's
subdifferential of theta -> N_theta(x) (the gradient for the polynomial
architectures).  Resource limits are the caller's (certify.kernel.kkt.kind).
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, ClassVar

from ..certificate import CertificateError, NotProven, get_int, only_fields, require
from .polynomials import Poly, sign_on_interval

Leaf = Callable[[Any, str], Any]
SignFn = Callable[[Any, int, int], int]
Choice = Callable[[int, int], Fraction]


def dot(a: list, b: list):
    """sum_i a_i b_i, exactly (Fractions or Polys; zip stops at the shorter list)."""
    acc = Fraction(0)
    for p, q in zip(a, b):
        acc = acc + p * q
    return acc


def norm_sq(flat: list):
    """sum_i p_i^2, exactly: ||theta||^2 of a flat parameter list (Fractions or Polys)."""
    acc = Fraction(0)
    for p in flat:
        acc = acc + p * p
    return acc


def exact_sign(z: Any, i: int, j: int) -> int:
    """The sign (+1, 0 or -1) of the exact rational z; ``i`` and ``j`` (example, neuron) are unused here
    (a SignFn receives them for the messages of :func:`curve_sign`)."""
    return (z > 0) - (z < 0)


def curve_sign(t0: Fraction, budget: Callable[[Poly], None] | None = None) -> SignFn:
    """Sign of a pre-activation polynomial on (0, t0] (NotProven if it changes)."""

    def sign(z: Poly, i: int, j: int) -> int:
        """The constant sign on (0, t0] of the pre-activation polynomial z of neuron j on example i (0 for
        the zero polynomial), after charging its Sturm work to ``budget``; NotProven if z has a root in
        (0, t0]."""
        z = Poly.lift(z)
        if budget is not None:
            budget(z)
        try:
            return sign_on_interval(z, t0)
        except NotProven as exc:
            raise NotProven(f"pre-activation of neuron {j} on example {i} changes sign on (0, {t0}]: {exc}") from None

    return sign


def matrix(value: Any, rows: int, cols: int, where: str, leaf: Leaf) -> list:
    """A list of ``rows`` lists of ``cols`` leaves, flattened row by row."""
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


def vector(value: Any, n: int, where: str, leaf: Leaf) -> list:
    """A list of exactly ``n`` leaves, each read by ``leaf``; CertificateError on a wrong type or
    length."""
    if not isinstance(value, list) or len(value) != n:
        raise CertificateError(f"{where}: expected a list of {n} entries, got "
                               f"{'length ' + str(len(value)) if isinstance(value, list) else type(value).__name__}")
    return [leaf(x, f"{where}[{i}]") for i, x in enumerate(value)]


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Data:
    x: tuple[tuple[Fraction, ...], ...]
    y: tuple[int, ...]


def parse_data(obj: Any, d: int, leaf: Leaf, max_examples: int, ctx: str = "claim.data") -> Data:
    """Examples x_i (rationals) and labels y_i in {+1, -1}; the count is checked before any entry is read."""
    only_fields(obj, ("x", "y"), ctx)
    xs = require(obj, "x", ctx)
    ys = require(obj, "y", ctx)
    if not isinstance(xs, list) or not xs:
        raise CertificateError(f"{ctx}.x must be a non-empty list of examples")
    if len(xs) > max_examples:
        raise CertificateError(f"{ctx}.x: {len(xs)} examples exceed this checker's limit of {max_examples}")
    if not isinstance(ys, list) or len(ys) != len(xs):
        raise CertificateError(f"{ctx}.y must be a list of {len(xs)} labels, one per example in {ctx}.x")
    x = matrix(xs, len(xs), d, f"{ctx}.x", leaf)
    rows = tuple(tuple(x[i * d:(i + 1) * d]) for i in range(len(xs)))
    labels = []
    for i, v in enumerate(ys):
        q = leaf(v, f"{ctx}.y[{i}]")
        if q not in (1, -1):
            raise CertificateError(f"{ctx}.y[{i}]: labels must be +1 or -1, got {v!r}")
        labels.append(int(q))
    return Data(rows, tuple(labels))


# --------------------------------------------------------------------------- architectures


class Network:
    """One architecture (subclass per architecture, registered in NETWORKS).

    Class attributes: ``name`` (the JSON ``type``), ``fields`` (its
    architecture keys), ``clarke_choices`` (True when relu'(0) choices apply:
    the network is not smooth in theta), ``svm_global_optimum`` (True when the
    ``global_optimum`` certificate of docs/kkt.md (d) applies)."""

    name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    clarke_choices: ClassVar[bool] = False
    svm_global_optimum: ClassVar[bool] = False
    input_dim: int

    # sizes, for the resource limits (read before any parameter is parsed)
    @property
    def n_params(self) -> int:
        """The number of parameters: the length of the flat list."""
        raise NotImplementedError

    @property
    def homogeneity(self) -> int:
        """The degree L with N_{c theta} = c^L N_theta for every c > 0."""
        raise NotImplementedError

    @property
    def n_layers(self) -> int:
        """The number of layers of parameters (2 unless a subclass says otherwise)."""
        return 2

    @property
    def widest(self) -> int:
        """The largest layer width (input dimension included)."""
        return self.input_dim

    def describe(self) -> str:
        """The architecture in a few words (summaries, ``certify show``)."""
        raise NotImplementedError

    def formula(self) -> str:
        """N_theta in words, as the statement names it."""
        raise NotImplementedError

    def parse_params(self, obj: Any, ctx: str, leaf: Leaf) -> list:
        """The flat parameter list of the parameter object ``obj`` (unknown fields rejected, shapes checked),
        each entry read by ``leaf``; CertificateError otherwise."""
        raise NotImplementedError

    def param_name(self, p: int) -> str:
        """The name of flat parameter ``p`` (e.g. "w[0][1]"), for messages."""
        raise NotImplementedError

    def outputs(self, flat: list, data: Data, sign: SignFn = exact_sign) -> list:
        """N_theta(x_i) for every example (Fractions, or Polys for a curve)."""
        beta = self.end_to_end(flat)
        return [dot(beta, x) for x in data.x]

    def end_to_end(self, flat: list) -> list:
        """Linear architectures: beta with N(x) = beta . x."""
        raise NotImplementedError

    def gradient(self, flat: list, x: tuple, i: int, choice: Choice) -> list:
        """An element of Clarke's subdifferential of theta -> N_theta(x) (exact rationals)."""
        raise NotImplementedError

    def margins(self, flat: list, data: Data, sign: SignFn = exact_sign) -> list:
        """y_i N_theta(x_i)."""
        return [yi * o for yi, o in zip(data.y, self.outputs(flat, data, sign))]


@dataclass(frozen=True)
class TwoLayerRelu(Network):
    input_dim: int
    width: int

    name: ClassVar[str] = "two_layer_relu"
    fields: ClassVar[tuple[str, ...]] = ("width",)
    clarke_choices: ClassVar[bool] = True

    @classmethod
    def parse(cls, obj: dict, d: int, ctx: str, max_width: int, max_depth: int) -> "TwoLayerRelu":
        """The architecture object's ``width`` (1 <= width <= max_width), for input dimension d; max_depth
        is not used."""
        return cls(d, get_int(obj, "width", ctx, lo=1, hi=max_width))

    @property
    def n_params(self) -> int:
        """width * (d + 1): w (width x d), then v (width)."""
        return self.width * (self.input_dim + 1)

    @property
    def homogeneity(self) -> int:
        """2: N is homogeneous of degree 2 in (w, v)."""
        return 2

    @property
    def widest(self) -> int:
        """max(d, width)."""
        return max(self.input_dim, self.width)

    def describe(self) -> str:
        """The architecture in a few words."""
        return f"two-layer ReLU network, d={self.input_dim}, width {self.width}"

    def formula(self) -> str:
        """N_theta in words, with d and the width, as the statement names it."""
        return (f"the two-layer ReLU network N_theta(x) = sum_j v_j relu(w_j . x) without biases, input dimension "
                f"{self.input_dim}, width {self.width}, theta = (w, v)")

    def parse_params(self, obj: Any, ctx: str, leaf: Leaf) -> list:
        """The parameters {"w": width x d, "v": width}, flattened as w row by row, then v."""
        only_fields(obj, ("w", "v"), ctx)
        return (matrix(require(obj, "w", ctx), self.width, self.input_dim, f"{ctx}.w", leaf)
                + vector(require(obj, "v", ctx), self.width, f"{ctx}.v", leaf))

    def param_name(self, p: int) -> str:
        """The name "w[j][k]" or "v[j]" of flat parameter p."""
        d = self.input_dim
        return f"w[{p // d}][{p % d}]" if p < self.width * d else f"v[{p - self.width * d}]"

    def pre_activation(self, flat: list, j: int, x: tuple):
        """w_j . x, exactly, for the parameters ``flat`` and the example x."""
        d = self.input_dim
        return dot(flat[j * d:(j + 1) * d], x)

    def outputs(self, flat: list, data: Data, sign: SignFn = exact_sign) -> list:
        """N_theta(x_i) = sum_j v_j relu(w_j . x_i) for every example, exactly: relu(z) is z when
        ``sign(z, i, j)`` > 0, else 0 (the exact sign for rationals; for a curve, a sign proven constant
        on (0, t0], so the output there is the polynomial returned)."""
        m, d = self.width, self.input_dim
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

    def gradient(self, flat: list, x: tuple, i: int, choice: Choice) -> list:
        """relu'(z) is 1 / 0 for z > 0 / z < 0 and ``choice(i, j)`` in [0, 1] at z = 0."""
        m, d = self.width, self.input_dim
        gw, gv = [], []
        for j in range(m):
            vj = flat[m * d + j]
            z = dot(flat[j * d:(j + 1) * d], x)
            s = Fraction(1) if z > 0 else Fraction(0) if z < 0 else choice(i, j)
            gw.extend(vj * s * xk for xk in x)
            gv.append(z if z > 0 else Fraction(0))
        return gw + gv


class _DepthL:
    """A linear network of depth L (``self.depth``): homogeneous of degree L, L layers of parameters."""

    depth: int

    @property
    def homogeneity(self) -> int:
        """The degree of homogeneity of N_theta in theta: L."""
        return self.depth

    @property
    def n_layers(self) -> int:
        """The number of parameter layers: L."""
        return self.depth


@dataclass(frozen=True)
class DiagonalLinear(_DepthL, Network):
    input_dim: int
    depth: int

    name: ClassVar[str] = "diagonal_linear"
    fields: ClassVar[tuple[str, ...]] = ("depth",)

    @classmethod
    def parse(cls, obj: dict, d: int, ctx: str, max_width: int, max_depth: int) -> "DiagonalLinear":
        """The architecture object's ``depth`` (2 <= depth <= max_depth), for input dimension d; max_width is
        not used."""
        return cls(d, get_int(obj, "depth", ctx, lo=2, hi=max_depth))

    @property
    def n_params(self) -> int:
        """depth * d: the rows u_1, ..., u_L."""
        return self.depth * self.input_dim


    def describe(self) -> str:
        """The architecture in a few words."""
        return f"diagonal linear network, d={self.input_dim}, depth {self.depth}"

    def formula(self) -> str:
        """N_theta in words, with d and L, as the statement names it."""
        return (f"the diagonal linear network N_theta(x) = sum_k u_1k ... u_Lk x_k, input dimension "
                f"{self.input_dim}, depth L = {self.depth}, theta = u")

    def parse_params(self, obj: Any, ctx: str, leaf: Leaf) -> list:
        """The parameters {"u": depth x d}, flattened row by row."""
        only_fields(obj, ("u",), ctx)
        return matrix(require(obj, "u", ctx), self.depth, self.input_dim, f"{ctx}.u", leaf)

    def param_name(self, p: int) -> str:
        """The name "u[l][k]" of flat parameter p."""
        return f"u[{p // self.input_dim}][{p % self.input_dim}]"

    def end_to_end(self, flat: list) -> list:
        """beta_k = u_1k u_2k ... u_Lk, exactly (N(x) = beta . x)."""
        d = self.input_dim
        beta = []
        for k in range(d):
            prod = flat[k]
            for l in range(1, self.depth):
                prod = prod * flat[l * d + k]
            beta.append(prod)
        return beta

    def gradient(self, flat: list, x: tuple, i: int, choice: Choice) -> list:
        """The gradient of the polynomial map theta -> N_theta(x): dN/du_lk = x_k prod_{m != l} u_mk, in the
        flat order (``i`` and ``choice`` are not used)."""
        d, L = self.input_dim, self.depth
        g = []
        for l in range(L):
            for k in range(d):
                prod = x[k]
                for m in range(L):
                    if m != l:
                        prod = prod * flat[m * d + k]
                g.append(prod)
        return g


@dataclass(frozen=True)
class FullyConnectedLinear(_DepthL, Network):
    input_dim: int
    depth: int
    hidden_widths: tuple[int, ...]

    name: ClassVar[str] = "fully_connected_linear"
    fields: ClassVar[tuple[str, ...]] = ("depth", "hidden_widths")
    svm_global_optimum: ClassVar[bool] = True

    @classmethod
    def parse(cls, obj: dict, d: int, ctx: str, max_width: int, max_depth: int) -> "FullyConnectedLinear":
        """The architecture object's ``depth`` (2 <= depth <= max_depth) and ``hidden_widths`` (depth - 1
        integers in [1, max_width]), for input dimension d; CertificateError otherwise."""
        depth = get_int(obj, "depth", ctx, lo=2, hi=max_depth)
        hw = require(obj, "hidden_widths", ctx)
        if not isinstance(hw, list) or len(hw) != depth - 1:
            raise CertificateError(f"{ctx}.hidden_widths must be a list of depth - 1 = {depth - 1} integers")
        for i, h in enumerate(hw):
            if type(h) is not int or not 1 <= h <= max_width:
                raise CertificateError(f"{ctx}.hidden_widths[{i}] must be an integer in [1, {max_width}], got {h!r}")
        return cls(d, depth, tuple(hw))

    @property
    def layer_shapes(self) -> list[tuple[int, int]]:
        """Shapes (rows, cols) of W_1 .. W_L."""
        dims = (self.input_dim,) + self.hidden_widths + (1,)
        return [(dims[l + 1], dims[l]) for l in range(self.depth)]

    @property
    def n_params(self) -> int:
        """The total number of entries of W_1, ..., W_L."""
        return sum(r * c for r, c in self.layer_shapes)


    @property
    def widest(self) -> int:
        """max(d, hidden widths)."""
        return max((self.input_dim,) + self.hidden_widths)

    def describe(self) -> str:
        """The architecture in a few words."""
        return (f"fully-connected linear network, d={self.input_dim}, depth {self.depth}, "
                f"hidden widths {list(self.hidden_widths)}")

    def formula(self) -> str:
        """N_theta in words, with d, L and the hidden widths, as the statement names it."""
        return (f"the fully-connected linear network N_theta(x) = W_L ... W_1 x, input dimension {self.input_dim}, "
                f"depth L = {self.depth}, hidden widths {list(self.hidden_widths)}, theta = (W_1, ..., W_L)")

    def parse_params(self, obj: Any, ctx: str, leaf: Leaf) -> list:
        """The parameters {"W": [W_1, ..., W_L]} with the shapes of :attr:`layer_shapes`, flattened matrix
        by matrix, row by row."""
        only_fields(obj, ("W",), ctx)
        layers = require(obj, "W", ctx)
        if not isinstance(layers, list) or len(layers) != self.depth:
            raise CertificateError(f"{ctx}.W: expected a list of depth = {self.depth} matrices")
        flat: list = []
        for l, (rows, cols) in enumerate(self.layer_shapes):
            flat.extend(matrix(layers[l], rows, cols, f"{ctx}.W[{l}]", leaf))
        return flat

    def param_name(self, p: int) -> str:
        """The name "W[l][r][c]" of flat parameter p (0-based l; "#p" if p is out of range)."""
        off = 0
        for l, (rows, cols) in enumerate(self.layer_shapes):
            if p < off + rows * cols:
                r, c = divmod(p - off, cols)
                return f"W[{l}][{r}][{c}]"
            off += rows * cols
        return f"#{p}"

    def layers(self, flat: list) -> list[list[list]]:
        """The flat list cut into the matrices W_1, ..., W_L (each a list of rows)."""
        out, off = [], 0
        for rows, cols in self.layer_shapes:
            out.append([flat[off + r * cols:off + (r + 1) * cols] for r in range(rows)])
            off += rows * cols
        return out

    def end_to_end(self, flat: list) -> list:
        """beta = (W_L ... W_1)^T as a list of d exact values (N(x) = beta . x)."""
        mats = self.layers(flat)
        row = mats[-1][0]  # W_L is 1 x h_{L-1}
        for W in reversed(mats[:-1]):
            row = [dot(row, [W[r][c] for r in range(len(W))]) for c in range(len(W[0]))]
        return row

    def gradient(self, flat: list, x: tuple, i: int, choice: Choice) -> list:
        """The gradient of the polynomial map theta -> N_theta(x), exactly: dN/dW_l[r][c] =
        (W_L ... W_(l+1))[r] (W_(l-1) ... W_1 x)[c], in the flat order (``i`` and ``choice`` are not
        used)."""
        mats = self.layers(flat)
        L = self.depth
        # below[l] = W_l ... W_1 x (below[0] = x);  above[l] = W_L ... W_{l+2} as a row (length h_{l+1})
        below = [list(x)]
        for W in mats:
            below.append([dot(row, below[-1]) for row in W])
        above: list = [None] * L
        above[L - 1] = [Fraction(1)]
        for l in range(L - 2, -1, -1):
            W = mats[l + 1]
            above[l] = [dot(above[l + 1], [W[r][c] for r in range(len(W))]) for c in range(len(W[0]))]
        g = []
        for l in range(L):
            for a in above[l]:
                g.extend(a * bc for bc in below[l])
        return g


NETWORKS: dict[str, type] = {cls.name: cls for cls in (TwoLayerRelu, DiagonalLinear, FullyConnectedLinear)}


def parse_network(obj: Any, ctx: str, max_dim: int, max_width: int, max_depth: int) -> Network:
    """The architecture object: ``type`` chooses the class in NETWORKS; unknown fields rejected."""
    if not isinstance(obj, dict):
        raise CertificateError(f"{ctx} must be a JSON object")
    name = require(obj, "type", ctx)
    if not isinstance(name, str) or name not in NETWORKS:
        raise CertificateError(f"{ctx}.type: unknown architecture {name!r} (known: {', '.join(NETWORKS)})")
    cls = NETWORKS[name]
    only_fields(obj, ("type", "input_dim") + cls.fields, ctx)
    d = get_int(obj, "input_dim", ctx, lo=1, hi=max_dim)
    return cls.parse(obj, d, ctx, max_width, max_depth)


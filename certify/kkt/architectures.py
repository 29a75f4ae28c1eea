"""Search side of each architecture: float forward/backward, structure guesses, candidates.

UNTRUSTED.  One class per architecture, registered in :data:`SEARCH_NETWORKS`
(name -> class), each wrapping its trusted twin from
certify.kernel.kkt.networks (``self.exact``: exact outputs and Clarke
gradients, used to build evidence that the kernel then decides).  Nothing
else in certify/kkt branches on an architecture's name: the search asks the
class (``forward_backward``, ``dead_units``, ``grow_candidates``, ...) or the
trusted class's capabilities (``clarke_choices``, ``svm_global_optimum``).

Arrays are numpy or cupy; the module follows the input (certify.arrays).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, Callable, ClassVar, Iterator

import numpy as np

from ..arrays import array_module
from ..kernel.kkt.networks import Data, DiagonalLinear, FullyConnectedLinear, Network, TwoLayerRelu
from ..kernel.certificate import rational_str
from ..kernel.kkt.kind import MAX_DEPTH, MAX_WIDTH
from .rational import fr, rational_sqrt, rational_unit


class SearchNetwork:
    """Base class: the float side of one architecture; ``exact`` is the trusted network."""

    name: ClassVar[str]
    exact_class: ClassVar[type]
    adjustable: ClassVar[bool] = False  # the data-adjustment step (certify.kkt.adjust) applies

    def __init__(self, exact: Network):
        if not isinstance(exact, self.exact_class):
            raise TypeError(f"{type(self).__name__} wraps a {self.exact_class.__name__}")
        self.exact = exact

    @classmethod
    def sizes_from_options(cls, width: int, depth: int, hidden_widths: str | None) -> dict:
        """The architecture's sizes from the CLI options (``--width``, ``--depth``, ``--hidden-widths``);
        ValueError naming the bad option."""
        raise NotImplementedError

    # ------------------------------------------------------------------ sizes
    @property
    def input_dim(self) -> int:
        return self.exact.input_dim

    @property
    def n_params(self) -> int:
        return self.exact.n_params

    @property
    def homogeneity(self) -> int:
        return self.exact.homogeneity

    def describe(self) -> str:
        return self.exact.describe()

    # ------------------------------------------------------------------ JSON (the producer writes these)
    def architecture_json(self) -> dict:
        out: dict[str, Any] = {"type": self.name, "input_dim": self.input_dim}
        for f in self.exact.fields:
            v = getattr(self.exact, f)
            out[f] = list(v) if isinstance(v, tuple) else v
        return out

    def params_json(self, flat: list, leaf: Callable[[Any], Any] = rational_str) -> dict:
        raise NotImplementedError

    def curve_json(self, curve: list[list[Fraction]]) -> dict:
        return self.params_json(curve, lambda c: _coefficients(c))

    # ------------------------------------------------------------------ float network
    def forward_backward(self, theta, X, g=None):
        """Outputs on the rows of X; with g also sum_i g_i grad N(x_i) (flat)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ structure and candidates (defaults: none)
    def dead_units(self, theta: np.ndarray, X, rel_tol: float = 1e-3) -> list[list[int]]:
        """Groups of parameter indices of units to set to exactly zero."""
        return []

    def merge_split_units(self, pol: np.ndarray, theta: list[Fraction], den: int) -> None:
        """Make a rationalized point exactly KKT-compatible where the float point is irrational (in place)."""

    def clarke_choices(self, theta: list[Fraction], data: Data, lam: list[Fraction],
                       given: dict | None = None) -> list[dict]:
        """relu'(0) choices for the evidence (smooth architectures: none)."""
        return []

    def grow_candidates(self, theta: list[Fraction], data: Data, lam: list[Fraction]) -> Iterator:
        """(indices, direction e, gain_i): growing a dead unit, theta* + t e has margin gain t^2 gain_i."""
        return iter(())

    def kink_rows(self, theta: list[Fraction], data: Data, grown: list[int]) -> list[np.ndarray]:
        """Linear constraints (rows over all parameters, target 0) keeping zero pre-activations at zero."""
        return []


def _coefficients(c) -> list[str]:
    from ..kernel.kkt.polynomials import Poly

    return [rational_str(a) for a in Poly(c).c] or ["0"]


class TwoLayerReluSearch(SearchNetwork):
    name = TwoLayerRelu.name
    exact_class = TwoLayerRelu
    adjustable = True

    @classmethod
    def sizes_from_options(cls, width: int, depth: int, hidden_widths: str | None) -> dict:
        if not 1 <= width <= MAX_WIDTH:
            raise ValueError(f"--width must be between 1 and {MAX_WIDTH}")
        return {"width": width}

    @property
    def width(self) -> int:
        return self.exact.width

    def parts(self, theta):
        m, d = self.width, self.input_dim
        return theta[: m * d].reshape(m, d), theta[m * d:]

    def unit(self, j: int) -> list[int]:
        d = self.input_dim
        return list(range(j * d, (j + 1) * d)) + [self.width * d + j]

    def params_json(self, flat: list, leaf: Callable[[Any], Any] = rational_str) -> dict:
        m, d = self.width, self.input_dim
        return {"w": [[leaf(flat[j * d + k]) for k in range(d)] for j in range(m)],
                "v": [leaf(flat[m * d + j]) for j in range(m)]}

    def forward_backward(self, theta, X, g=None):
        xp = array_module(theta)
        W, v = self.parts(theta)
        Z = X @ W.T
        A = xp.maximum(Z, 0)
        out = A @ v
        if g is None:
            return out, None
        gv = A.T @ g
        gZ = (g[:, None] * v[None, :]) * (Z > 0)
        gW = gZ.T @ X
        return out, xp.concatenate([gW.ravel(), gv])

    def dead_units(self, theta: np.ndarray, X, rel_tol: float = 1e-3) -> list[list[int]]:
        total = float(np.dot(theta, theta))
        W, _ = self.parts(theta)
        units = []
        for j in range(self.width):
            idx = self.unit(j)
            if bool(np.all(X @ W[j] <= 0)) or float(np.dot(theta[idx], theta[idx])) <= rel_tol * total:
                units.append(idx)
        return units

    def merge_split_units(self, pol: np.ndarray, theta: list[Fraction], den: int) -> None:
        """Neurons sharing one direction g (w_j = v_j g at a KKT point) split a total T = sum v_j^2.

        GD's split is generally irrational; keep T and g, and replace the split
        (v_j / sqrt(T)) by a nearby rational point of the unit sphere."""
        d, m = self.input_dim, self.width
        W, v = pol[: m * d].reshape(m, d), pol[m * d:]
        groups: list[list[int]] = []
        for j in (j for j in range(m) if abs(v[j]) > 1e-9):
            gj = W[j] / v[j]
            for grp in groups:
                k = grp[0]
                if np.sign(v[k]) == np.sign(v[j]) and np.linalg.norm(W[k] / v[k] - gj) < 1e-6 * max(1, np.linalg.norm(gj)):
                    grp.append(j)
                    break
            else:
                groups.append([j])
        for grp in (g for g in groups if len(g) >= 2):
            r = rational_sqrt(fr(float(np.sum(v[grp] ** 2)), den))
            if r is None:
                continue
            g = [fr(c, den) for c in np.mean([W[j] / v[j] for j in grp], axis=0)]
            s = 1 if v[grp[0]] > 0 else -1
            for j, cj in zip(grp, rational_unit(np.abs(v[grp]), den)):
                vj = s * r * abs(cj)
                theta[m * d + j] = vj
                theta[j * d:(j + 1) * d] = [vj * gk for gk in g]

    def clarke_choices(self, theta: list[Fraction], data: Data, lam: list[Fraction],
                       given: dict | None = None) -> list[dict]:
        """A choice at every zero pre-activation with lambda_i > 0: ``given[(i, j)]`` or 0."""
        given = given or {}
        out = []
        for i, li in enumerate(lam):
            if li == 0:
                continue
            for j in range(self.width):
                if self.exact.pre_activation(theta, j, data.x[i]) == 0:
                    out.append({"example": i, "neuron": j,
                                "value": rational_str(Fraction(given[(i, j)])) if (i, j) in given else 0})
        return out

    def grow_candidates(self, theta: list[Fraction], data: Data, lam: list[Fraction]) -> Iterator:
        """Grow the first dead neuron along the unit u maximizing sum_i lambda_i y_i relu(u.x_i) (if > 1)."""
        d = self.input_dim
        X = np.array([[float(v) for v in row] for row in data.x])
        y = np.array(data.y, dtype=float)
        lamf = np.array([float(v) for v in lam])
        for j in range(self.width):
            idx = self.unit(j)
            if any(theta[p] != 0 for p in idx):
                continue
            val, u, sg = _best_relu_direction(X, y, lamf, d)
            if val <= 1:
                continue
            uq = [fr(c, 1000) for c in u]
            b = Fraction(math.sqrt(sum(float(c) ** 2 for c in uq))).limit_denominator(1000) * int(sg)
            e = {p: c for p, c in zip(idx[:d], uq)}
            e[idx[d]] = b
            gains = [data.y[i] * b * max(sum((a * c for a, c in zip(uq, data.x[i])), Fraction(0)), Fraction(0))
                     for i in range(len(y))]
            yield idx, e, gains
            return

    def kink_rows(self, theta: list[Fraction], data: Data, grown: list[int]) -> list[np.ndarray]:
        d, rows = self.input_dim, []
        for j in range(self.width):
            wj = theta[j * d:(j + 1) * d]
            if j * d in grown or all(v == 0 for v in wj):
                continue
            for i in range(len(data.y)):
                if self.exact.pre_activation(theta, j, data.x[i]) == 0:
                    row = np.zeros(len(theta))
                    row[j * d:(j + 1) * d] = [float(v) for v in data.x[i]]
                    rows.append(row)
        return rows


def _best_relu_direction(X: np.ndarray, y: np.ndarray, lamf: np.ndarray, d: int):
    """(value, unit u, sign) maximizing sign * sum_i lambda_i y_i relu(u.x_i) by projected ascent from many starts."""
    rng = np.random.default_rng(0)
    dirs = [X[i] / np.linalg.norm(X[i]) for i in range(len(y)) if lamf[i] > 0 and np.linalg.norm(X[i]) > 0]
    dirs += list(rng.standard_normal((2000, d)))
    best = (-np.inf, None, 1.0)
    for u in dirs:
        u = u / max(np.linalg.norm(u), 1e-300)
        for sg in (1.0, -1.0):
            u2 = u.copy()
            for _ in range(50):
                act = (X @ u2) > 0
                u2 = u2 + 0.1 * sg * ((lamf * y * act) @ X)
                u2 = u2 / max(np.linalg.norm(u2), 1e-300)
            val = sg * float(np.sum(lamf * y * np.maximum(X @ u2, 0)))
            if val > best[0]:
                best = (val, u2, sg)
    return best


class DiagonalLinearSearch(SearchNetwork):
    name = DiagonalLinear.name
    exact_class = DiagonalLinear

    @classmethod
    def sizes_from_options(cls, width: int, depth: int, hidden_widths: str | None) -> dict:
        return {"depth": _depth_option(depth)}

    @property
    def depth(self) -> int:
        return self.exact.depth

    def params_json(self, flat: list, leaf: Callable[[Any], Any] = rational_str) -> dict:
        d = self.input_dim
        return {"u": [[leaf(flat[l * d + k]) for k in range(d)] for l in range(self.depth)]}

    def forward_backward(self, theta, X, g=None):
        xp = array_module(theta)
        U = theta.reshape(self.depth, self.input_dim)
        out = X @ xp.prod(U, axis=0)
        if g is None:
            return out, None
        gb = X.T @ g
        grads = [gb * xp.prod(xp.concatenate([U[:l], U[l + 1:]], axis=0), axis=0) for l in range(self.depth)]
        return out, xp.concatenate(grads)

    def dead_units(self, theta: np.ndarray, X, rel_tol: float = 1e-3) -> list[list[int]]:
        d, total = self.input_dim, float(np.dot(theta, theta))
        units = []
        for k in range(d):
            idx = [l * d + k for l in range(self.depth)]
            if float(np.dot(theta[idx], theta[idx])) <= rel_tol * total:
                units.append(idx)
        return units

    def grow_candidates(self, theta: list[Fraction], data: Data, lam: list[Fraction]) -> Iterator:
        """Depth 2: a dead coordinate k with |sum_i lambda_i y_i x_ik| > 1 grows as (t, +-t)."""
        if self.depth != 2:
            return
        d = self.input_dim
        for k in range(d):
            if theta[k] != 0 or theta[d + k] != 0:
                continue
            g = sum(float(lam[i]) * data.y[i] * float(data.x[i][k]) for i in range(len(data.y)))
            if abs(g) <= 1:
                continue
            sg = 1 if g > 0 else -1
            yield [k, d + k], {k: Fraction(1), d + k: Fraction(sg)}, [data.y[i] * sg * data.x[i][k]
                                                                    for i in range(len(data.y))]


class FullyConnectedLinearSearch(SearchNetwork):
    name = FullyConnectedLinear.name
    exact_class = FullyConnectedLinear

    @classmethod
    def sizes_from_options(cls, width: int, depth: int, hidden_widths: str | None) -> dict:
        depth = _depth_option(depth)
        try:
            hw = tuple(int(s) for s in hidden_widths.split(",")) if hidden_widths else (2,) * (depth - 1)
        except ValueError:
            raise ValueError(f"--hidden-widths: expected comma-separated integers, got {hidden_widths!r}") from None
        if len(hw) != depth - 1 or any(not 1 <= h <= MAX_WIDTH for h in hw):
            raise ValueError(f"--hidden-widths: need depth - 1 = {depth - 1} integers in [1, {MAX_WIDTH}], "
                             f"got {hidden_widths!r}")
        return {"depth": depth, "hidden_widths": hw}

    @property
    def depth(self) -> int:
        return self.exact.depth

    def layers(self, theta) -> list:
        out, off = [], 0
        for rows, cols in self.exact.layer_shapes:
            out.append(theta[off: off + rows * cols].reshape(rows, cols))
            off += rows * cols
        return out

    def params_json(self, flat: list, leaf: Callable[[Any], Any] = rational_str) -> dict:
        out, off = [], 0
        for rows, cols in self.exact.layer_shapes:
            out.append([[leaf(flat[off + r * cols + c]) for c in range(cols)] for r in range(rows)])
            off += rows * cols
        return {"W": out}

    def forward_backward(self, theta, X, g=None):
        xp = array_module(theta)
        mats = self.layers(theta)
        hs = [X]
        for W in mats:
            hs.append(hs[-1] @ W.T)
        out = hs[-1][:, 0]
        if g is None:
            return out, None
        delta = g[:, None]
        grads: list = [None] * len(mats)
        for l in range(len(mats) - 1, -1, -1):
            grads[l] = (delta.T @ hs[l]).ravel()
            delta = delta @ mats[l]
        return out, xp.concatenate(grads)


def _depth_option(depth: int) -> int:
    if not 2 <= depth <= MAX_DEPTH:
        raise ValueError(f"--depth must be between 2 and {MAX_DEPTH}")
    return depth


SEARCH_NETWORKS: dict[str, type] = {cls.name: cls for cls in
                                    (TwoLayerReluSearch, DiagonalLinearSearch, FullyConnectedLinearSearch)}


def make_network(name: str, input_dim: int, **sizes) -> SearchNetwork:
    """The search network ``name`` (a key of SEARCH_NETWORKS) with its trusted twin, e.g.
    ``make_network("two_layer_relu", 2, width=4)``, ``make_network("fully_connected_linear", 3, depth=3,
    hidden_widths=(2, 2))``."""
    if name not in SEARCH_NETWORKS:
        raise ValueError(f"unknown architecture {name!r} (known: {', '.join(SEARCH_NETWORKS)})")
    cls = SEARCH_NETWORKS[name]
    if "hidden_widths" in sizes:
        sizes["hidden_widths"] = tuple(sizes["hidden_widths"])
    return cls(cls.exact_class(input_dim, **sizes))

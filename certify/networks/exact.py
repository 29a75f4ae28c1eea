"""Networks, targets and domains on the producer side (UNTRUSTED), in exact fmpq arithmetic.

The kernel reads its own copy of everything (certify.kernel.networks); this module builds the
JSON claim fields, evaluates networks and targets exactly (for counterexamples, re-evaluated
independently of any tree) and in floating point (for searches).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq

ZERO, ONE = fmpq(0), fmpq(1)


def Q(x: Any) -> fmpq:
    """An exact fmpq from an int, Fraction, fmpq, float (exactly) or "p/q" string."""
    if isinstance(x, fmpq):
        return x
    if isinstance(x, (float, np.floating)):
        f = Fraction(float(x))
        return fmpq(f.numerator, f.denominator)
    if isinstance(x, str):
        f = Fraction(x)
        return fmpq(f.numerator, f.denominator)
    f = Fraction(x)
    return fmpq(f.numerator, f.denominator)


def qs(x: Any) -> str | int:
    """JSON form of an exact rational: an integer when it is one, else "p/q"."""
    x = Q(x)
    p, q = int(x.p), int(x.q)
    return p if q == 1 and abs(p) < 2**53 else (str(p) if q == 1 else f"{p}/{q}")


def dot(a, b) -> fmpq:
    acc = ZERO
    for p, q in zip(a, b):
        if p != 0 and q != 0:
            acc += p * q
    return acc


@dataclass
class Net:
    """A ReLU network: layers (W, b) of fmpq, ReLU after all but the last, one output."""

    d: int
    layers: list  # [(W rows, b)]
    meta: dict = field(default_factory=dict)  # e.g. the modular stage structure of a construction

    @property
    def hidden(self) -> list[int]:
        return [len(b) for _, b in self.layers[:-1]]

    @property
    def n_hidden(self) -> int:
        return sum(self.hidden)

    @property
    def depth(self) -> int:
        return len(self.layers) - 1

    @property
    def width(self) -> int:
        return max(self.hidden, default=0)

    def to_json(self) -> dict:
        return {"input_dim": self.d,
                "layers": [{"weights": [[qs(v) for v in row] for row in W], "bias": [qs(v) for v in b]}
                           for W, b in self.layers]}

    @classmethod
    def from_json(cls, obj: dict) -> "Net":
        return cls(obj["input_dim"], [([[Q(v) for v in row] for row in L["weights"]], [Q(v) for v in L["bias"]])
                                      for L in obj["layers"]])

    def value(self, x) -> fmpq:
        """N(x) exactly."""
        h = [Q(v) for v in x]
        for W, b in self.layers[:-1]:
            h = [max(dot(row, h) + c, ZERO) for row, c in zip(W, b)]
        W, b = self.layers[-1]
        return dot(W[0], h) + b[0]

    def pre_activations(self, x) -> list:
        h, out = [Q(v) for v in x], []
        for W, b in self.layers[:-1]:
            z = [dot(row, h) + c for row, c in zip(W, b)]
            out += z
            h = [max(v, ZERO) for v in z]
        return out

    def floats(self) -> list:
        return [(np.array([[float(v) for v in row] for row in W]), np.array([float(v) for v in b]))
                for W, b in self.layers]

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        """N on the rows of X in float64 (for searches only)."""
        h = X.T
        fl = self.floats()
        for W, b in fl[:-1]:
            h = np.maximum(W @ h + b[:, None], 0.0)
        W, b = fl[-1]
        return (W @ h + b[:, None])[0]


@dataclass
class Target:
    """The producer's target: the k-th smallest of affine pieces, a network, or none."""

    type: str  # max | min | median | order_statistic | abs | affine | network | none
    k: int = 0
    pieces: list = field(default_factory=list)  # affine forms (d coefficients, constant)
    network: Net | None = None
    order: int = 0
    json: dict = field(default_factory=dict)

    def value(self, x) -> fmpq:
        x = [Q(v) for v in x]
        if self.type == "network":
            return self.network.value(x)
        vals = sorted(dot(p[:-1], x) + p[-1] for p in self.pieces)
        return vals[self.k - 1]

    def evaluate(self, X: np.ndarray) -> np.ndarray:
        if self.type == "network":
            return self.network.evaluate(X)
        P = np.array([[float(v) for v in p] for p in self.pieces])
        vals = X @ P[:, :-1].T + P[:, -1]
        return np.sort(vals, axis=1)[:, self.k - 1]


def make_target(kind: str, d: int, k: int | None = None, other: Net | None = None,
                coefficients=None, constant=0) -> Target:
    unit = [[ONE if j == i else ZERO for j in range(d)] + [ZERO] for i in range(d)]
    if kind in ("max", "min", "median", "order_statistic"):
        if kind == "median" and d % 2 == 0:
            raise ValueError(f"the median needs an odd number of inputs, got d = {d}")
        kk = {"max": d, "min": 1, "median": (d + 1) // 2}.get(kind, k)
        if kk is None or not 1 <= kk <= d:
            raise ValueError(f"order statistic k must be in 1..{d}")
        js = {"type": kind} if kind != "order_statistic" else {"type": kind, "k": kk}
        return Target(kind, kk, unit, order=kk, json=js)
    if kind == "abs":
        if d != 1:
            raise ValueError("the target abs is |x_1| for d = 1")
        return Target(kind, 2, [unit[0], [-ONE, ZERO]], json={"type": "abs"})
    if kind == "affine":
        a = [Q(v) for v in coefficients]
        return Target(kind, 1, [a + [Q(constant)]],
                      json={"type": "affine", "coefficients": [qs(v) for v in a], "constant": qs(constant)})
    if kind == "network":
        if other.d != d:
            raise ValueError(f"the target network has input dimension {other.d}, not {d}")
        return Target(kind, network=other, json={"type": "network", "network": other.to_json()})
    if kind == "none":
        return Target("none", json={"type": "none"})
    raise ValueError(f"unknown target {kind!r}")


@dataclass
class Domain:
    type: str  # all | box | polytope
    rows: list  # [(a, b)]: a.x <= b
    box: list = field(default_factory=list)
    json: dict = field(default_factory=dict)

    def contains(self, x, strict: bool = False) -> bool:
        x = [Q(v) for v in x]
        return all((dot(a, x) < b) if strict else (dot(a, x) <= b) for a, b in self.rows)


def make_domain(kind: str, d: int, bounds=None, A=None, b=None) -> Domain:
    if kind == "all":
        return Domain("all", [], json={"type": "all"})
    if kind == "box":
        bounds = [(Q(lo), Q(hi)) for lo, hi in bounds]
        rows = []
        for i, (lo, hi) in enumerate(bounds):
            e = [ONE if j == i else ZERO for j in range(d)]
            rows += [(e, hi), ([-v for v in e], -lo)]
        return Domain("box", rows, bounds, json={"type": "box", "bounds": [[qs(lo), qs(hi)] for lo, hi in bounds]})
    if kind == "polytope":
        A = [[Q(v) for v in row] for row in A]
        b = [Q(v) for v in b]
        return Domain("polytope", list(zip(A, b)),
                      json={"type": "polytope", "A": [[qs(v) for v in r] for r in A], "b": [qs(v) for v in b]})
    raise ValueError(f"unknown domain {kind!r}")


def unit_cube(d: int) -> Domain:
    return make_domain("box", d, [(0, 1)] * d)

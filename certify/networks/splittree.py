"""The split-tree producer (UNTRUSTED): case splits on activation signs and target pieces, with exact
multipliers from certify.networks.lp (docs/networks.md, section 3).

:func:`build_tree` walks the activation-pattern tree depth first.  At each node every hidden
neuron's affine pre-activation (from the signs decided so far) is proven <= 0 or >= 0 on the
node's region by an implication certificate; a neuron whose sign is not constant there splits
the region on its pre-activation (both halves then have non-empty interior, so every leaf is
full-dimensional).  Leaves get the target's piece, the property's data (identity, bound,
vertices for the L2 integral, a witness point for region counts), or -- when the identity or
bound fails -- a :class:`Counterexample`: an exact rational input where N and the target differ,
re-evaluated exactly with the networks (not with the tree).
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from flint import fmpq, fmpq_mat

from .exact import ONE, ZERO, Domain, Net, Q, Target, dot, qs
from .lp import farkas, implication


class Counterexample(Exception):
    """N(x) != T(x) (or |N - T| > epsilon) at the exact rational point x."""

    def __init__(self, point, n_value, t_value, note: str = ""):
        self.point, self.n_value, self.t_value, self.note = list(point), n_value, t_value, note
        super().__init__(f"N(x) = {qs(n_value)} but T(x) = {qs(t_value)} at x = ({', '.join(str(qs(v)) for v in point)})")


class TooLarge(Exception):
    """The tree would exceed the requested node limit."""


@dataclass
class Stats:
    nodes: int = 0
    leaves: int = 0
    lps: int = 0
    seconds: float = 0.0


def _mult_json(y) -> list:
    return [[r, qs(v)] for r, v in y]


def _rationalize(x: np.ndarray, den: int = 1 << 20) -> list:
    return [Q(Fraction(float(v)).limit_denominator(den)) for v in x]


def chebyshev(rows: list, d: int, bound: float = 1e3):
    """A float point deep inside {rows} (Chebyshev centre, radius capped), or None if the LP fails."""
    from scipy.optimize import linprog

    if not rows:
        return np.zeros(d), bound
    A = np.array([[float(v) for v in a] for a, _ in rows])
    b = np.array([float(v) for _, v in rows])
    norms = np.linalg.norm(A, axis=1)
    res = linprog(np.r_[np.zeros(d), -1.0], A_ub=np.c_[A, norms], b_ub=b,
                  bounds=[(-bound, bound)] * d + [(0, 1.0)], method="highs")
    if res.status != 0:
        return None, 0.0
    return res.x[:d], res.x[d]


def vertices(rows: list, d: int) -> list:
    """All vertices of the bounded polytope {rows}, exactly (float screening, exact solve and check)."""
    A = np.array([[float(v) for v in a] for a, _ in rows])
    b = np.array([float(v) for _, v in rows])
    found: dict = {}
    for S in itertools.combinations(range(len(rows)), d):
        M = A[list(S)]
        if abs(np.linalg.det(M)) < 1e-12:
            continue
        x = np.linalg.solve(M, b[list(S)])
        if np.any(A @ x > b + 1e-7 * (1 + np.abs(b))):
            continue
        Me = fmpq_mat([[rows[s][0][j] for j in range(d)] for s in S])
        rhs = fmpq_mat([[rows[s][1]] for s in S])
        try:
            sol = Me.solve(rhs)
        except ZeroDivisionError:
            continue
        p = tuple(sol[i, 0] for i in range(d))
        if all(dot(a, p) <= bb for a, bb in rows):
            found[p] = True
    return list(found)


class TreeBuilder:
    """Builds the node list of a split-tree certificate for (net, target, domain, property)."""

    def __init__(self, net: Net, target: Target, domain: Domain, prop: str, epsilon=None,
                 max_nodes: int = 200_000, time_limit: float | None = None):
        self.net, self.target, self.domain, self.prop = net, target, domain, prop
        self.epsilon = Q(epsilon) if epsilon is not None else None
        self.max_nodes, self.time_limit = max_nodes, time_limit
        self.d = net.d
        self.nodes: list = []
        self.leaf_rows: list = []  # (signs, rows, affine map of N) per leaf, for region counts
        self.stats = Stats()
        self._mats = {id(n): [fmpq_mat([list(r) for r in W]) for W, _ in n.layers]
                      for n in (net, target.network) if n is not None}
        self._start = time.perf_counter()

    # ------------------------------------------------------------------ proofs

    def _prove_le(self, rows, g):
        """Multiplier proving g <= 0 on rows, or None."""
        self.stats.lps += 1
        return implication(rows, tuple(g[:-1]), -g[-1])

    def _sign(self, rows, z, hint: float | None):
        """(sign, multiplier) proving the sign of z on rows, or None if z changes sign there."""
        order = ("-", "+") if hint is None or hint <= 0 else ("+", "-")
        for s in order:
            y = self._prove_le(rows, z if s == "-" else [-v for v in z])
            if y is not None:
                return s, y
        return None

    # ------------------------------------------------------------------ cells

    def _cell(self, net: Net, rows, known: dict, offset: int, center):
        """Walk the neurons of one network; returns ("split", k, z) or ("done", output form)."""
        d = self.d
        H = fmpq_mat(d, d + 1, [ONE if j == i else ZERO for i in range(d) for j in range(d + 1)])
        mats = self._mats[id(net)]
        k = offset
        for l, (_, b) in enumerate(net.layers):
            Z = mats[l] * H
            forms = [[Z[i, j] for j in range(d)] + [Z[i, d] + b[i]] for i in range(len(b))]
            if l == len(net.layers) - 1:
                return ("done", forms[0])
            rows_next = []
            for z in forms:
                if k not in known:
                    hint = None if center is None else float(sum(float(v) * c for v, c in zip(z, center)) + float(z[-1]))
                    got = self._sign(rows, z, hint)
                    if got is None:
                        return ("split", k, z)
                    known[k] = got
                rows_next.append(z if known[k][0] == "+" else [ZERO] * (d + 1))
                k += 1
            H = fmpq_mat(rows_next)
        raise AssertionError("unreachable")

    def _new(self) -> int:
        if len(self.nodes) >= self.max_nodes:
            raise TooLarge(f"the split tree exceeds {self.max_nodes} nodes")
        if self.time_limit is not None and time.perf_counter() - self._start > self.time_limit:
            raise TooLarge(f"the split tree takes longer than {self.time_limit:.0f} s")
        self.nodes.append(None)
        return len(self.nodes) - 1

    def _split(self, idx: int, rows, known: dict, h, k=None) -> None:
        """Split node idx on h (scaled to a leading coefficient of magnitude 1); neuron k (if given) gets its
        sign in each child from the new row."""
        lead = next(abs(v) for v in h[:-1] if v != 0)
        hs = [v / lead for v in h]
        r = len(rows)
        children = []
        for side in ("le", "ge"):
            row = (hs[:-1], -hs[-1]) if side == "le" else ([-v for v in hs[:-1]], hs[-1])
            kn = dict(known)
            if k is not None:
                kn[k] = ("-" if side == "le" else "+", [(r, lead)])
            children.append((rows + [row], kn))
        le = self._visit(*children[0])
        ge = self._visit(*children[1])
        self.nodes[idx] = {"split": [qs(v) for v in hs], "children": [le, ge]}

    def _visit(self, rows, known: dict) -> int:
        idx = self._new()
        self.stats.nodes += 1
        center, radius = chebyshev(rows, self.d)
        if center is None or radius <= 1e-12:
            y = farkas(rows, self.d)
            if y is not None:
                self.nodes[idx] = {"infeasible": _mult_json(y)}
                return idx
            if center is None:
                center = None
        got = self._cell(self.net, rows, known, 0, center)
        if got[0] == "split":
            self._split(idx, rows, known, got[2], got[1])
            return idx
        n_map = got[1]
        T = self.target
        leaf: dict = {}
        if T.type == "network":
            got = self._cell(T.network, rows, known, self.net.n_hidden, center)
            if got[0] == "split":
                self._split(idx, rows, known, got[2], got[1])
                return idx
            t_map = got[1]
        elif T.type == "none":
            t_map = None
        else:
            res = self._piece(rows, center)
            if res[0] == "split":
                self._split(idx, rows, known, res[1])
                return idx
            _, i, order, proofs = res
            t_map = T.pieces[i]
            leaf.update({"piece": i, "order": order, "order_proofs": [_mult_json(y) for y in proofs]})
        n_total = self.net.n_hidden + (T.network.n_hidden if T.type == "network" else 0)
        leaf = {"signs": "".join(known[k][0] for k in range(n_total)),
                "sign_proofs": [_mult_json(known[k][1]) for k in range(n_total)], **leaf}
        self._property(leaf, rows, n_map, t_map, center)
        self.leaf_rows.append((leaf["signs"], list(rows), n_map))
        self.stats.leaves += 1
        self.nodes[idx] = {"leaf": leaf}
        return idx

    def _piece(self, rows, center):
        """("ok", i, order, proofs) with T = piece i on the region, or ("split", h)."""
        T = self.target
        m = len(T.pieces)
        if center is None:
            center = np.zeros(self.d)
        vals = [float(sum(float(v) * c for v, c in zip(p[:-1], center)) + float(p[-1])) for p in T.pieces]
        i = sorted(range(m), key=lambda j: (vals[j], j))[T.k - 1]
        li = T.pieces[i]
        need_lt = T.k - 1
        order, proofs, ties = ["="] * m, [[] for _ in range(m)], []
        for j in range(m):
            if j == i:
                continue
            diff = [p - q for p, q in zip(T.pieces[j], li)]
            lt = self._prove_le(rows, diff)  # l_j <= l_i
            gt = self._prove_le(rows, [-v for v in diff])  # l_j >= l_i
            if lt is not None and gt is not None:
                ties.append((j, lt, gt))
            elif lt is not None:
                order[j], proofs[j] = "<", lt
            elif gt is not None:
                order[j], proofs[j] = ">", gt
            else:
                return ("split", diff)
        have = order.count("<")
        for j, lt, gt in ties:
            if have < need_lt:
                order[j], proofs[j] = "<", lt
                have += 1
            else:
                order[j], proofs[j] = ">", gt
        if have != need_lt:  # the float centre chose a wrong piece: fall back to splitting on a pair
            for j in range(m):
                if j != i:
                    return ("split", [p - q for p, q in zip(T.pieces[j], li)])
        return ("ok", i, "".join(order), proofs)

    # ------------------------------------------------------------------ properties

    def _property(self, leaf: dict, rows, n_map, t_map, center) -> None:
        prop = self.prop
        if prop == "equals":
            if list(n_map) != list(t_map):
                raise self._counterexample(rows, [p - q for p, q in zip(n_map, t_map)], center, ZERO)
        elif prop == "within":
            diff = [p - q for p, q in zip(n_map, t_map)]
            e = self.epsilon
            up = self._prove_le(rows, diff[:-1] + [diff[-1] - e])
            lo = self._prove_le(rows, [-v for v in diff[:-1]] + [-diff[-1] - e])
            if up is None or lo is None:
                raise self._counterexample(rows, diff if up is None else [-v for v in diff], center, e)
            leaf["bound"] = [_mult_json(up), _mult_json(lo)]
        elif prop == "l2_error":
            leaf["vertices"] = [[qs(v) for v in p] for p in vertices(rows, self.d)]
        elif prop == "regions":
            vs = vertices(rows, self.d)
            if vs:
                c = [sum((p[i] for p in vs), ZERO) / len(vs) for i in range(self.d)]
                leaf["witness"] = [qs(v) for v in c]

    def _counterexample(self, rows, f, center, e) -> Counterexample:
        """A point of the domain where f = N - T (or T - N) exceeds e, re-evaluated exactly."""
        from scipy.optimize import linprog

        d = self.d
        cands = []
        if center is not None:
            cands.append(np.asarray(center))
        if rows:
            A = np.array([[float(v) for v in a] for a, _ in rows])
            b = np.array([float(v) for _, v in rows])
            res = linprog(-np.array([float(v) for v in f[:-1]]), A_ub=A, b_ub=b, bounds=[(-1e6, 1e6)] * d,
                          method="highs")
            if res.status == 0:
                v = res.x
                for t in (0.0, 1e-6, 1e-3, 0.1, 0.5):
                    cands.append(v + t * ((center if center is not None else v) - v))
        else:
            g = np.array([float(v) for v in f[:-1]])
            cands.append(g / max(np.linalg.norm(g), 1e-300) * 10)
        for c in cands:
            for den in (1 << 4, 1 << 10, 1 << 20, 1 << 40):
                p = _rationalize(c, den)
                if not self.domain.contains(p):
                    continue
                n, t = self.net.value(p), self.target.value(p)
                if abs(n - t) > e:
                    return Counterexample(p, n, t)
        return Counterexample([], ZERO, ZERO, "no exact point found")

    def build(self) -> list:
        self.stats = Stats()
        self.nodes, self.leaf_rows = [], []
        self._start = time.perf_counter()
        self._visit(list(self.domain.rows), {})
        self.stats.seconds = time.perf_counter() - self._start
        return self.nodes

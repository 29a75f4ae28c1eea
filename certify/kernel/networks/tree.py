"""The split-tree certificate: parsing its structure and checking it (docs/networks.md, sections 3, 5, 6).

TRUSTED.  Exact rationals (fmpq) only; the checker verifies given multipliers, never solves an LP.

A tree is a list of nodes, node 0 the root (region = the domain):

    {"split": [a_1, ..., a_d, c], "children": [i, j]}   child i: h <= 0, child j: h >= 0 (i, j > own index)
    {"infeasible": y}                                     Farkas: y >= 0, y^T A = 0, y^T b < 0
    {"leaf": {"signs", "sign_proofs", ["piece", "order", "order_proofs"], ["bound"], ["vertices"], ["witness"]}}

A multiplier y is a list of [row, value] pairs (distinct rows, values >= 0) over the node's rows:
the domain rows, then one row per split on the path from the root (a.x <= -c for the first
child, -a.x <= c for the second).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flint import fmpq

from ..certificate import CertificateError, NotProven, get_int, only_fields, require, within_limit
from .geometry import square_integral
from .objects import ZERO, Domain, Network, Reader, Target, dot, q_str

MAX_MULTIPLIER = 10_000  # pairs in one multiplier
MAX_VERTICES = 64  # points of one L2 leaf
MAX_DEPTH_TREE = 5_000  # splits on one path
LEAF_FIELDS = ("signs", "sign_proofs", "piece", "order", "order_proofs", "bound", "vertices", "witness")

Mult = tuple  # ((row, fmpq), ...)


@dataclass(frozen=True)
class Leaf:
    signs: str
    sign_proofs: tuple
    piece: int | None = None
    order: str | None = None
    order_proofs: tuple | None = None
    bound: tuple | None = None
    vertices: tuple | None = None
    witness: tuple | None = None


@dataclass(frozen=True)
class Tree:
    d: int
    nodes: tuple  # ("split", h, (i, j)) | ("infeasible", y) | ("leaf", Leaf)
    path_rows: int = 0  # sum over leaves and infeasible nodes of their depth (rows beyond the domain's)
    vertex_rows: int = 0  # sum over leaves of (depth + 1) x (number of vertices)

    @property
    def leaves(self) -> int:
        """The number of leaf nodes."""
        return sum(1 for n in self.nodes if n[0] == "leaf")


def parse_multiplier(value: Any, where: str, read: Reader) -> Mult:
    """A list of [row, y] pairs: distinct non-negative row indices, rationals y >= 0."""
    if not isinstance(value, list):
        raise CertificateError(f"{where}: a multiplier must be a list of [row, value] pairs")
    within_limit(len(value), MAX_MULTIPLIER, f"{where}: pairs in one multiplier")
    out, seen = [], set()
    for t, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2 or type(pair[0]) is not int or not 0 <= pair[0] < 10**9:
            raise CertificateError(f"{where}[{t}]: expected [row, value] with a non-negative integer row")
        if pair[0] in seen:
            raise CertificateError(f"{where}[{t}]: row {pair[0]} appears twice")
        seen.add(pair[0])
        y = read.rational(pair[1], f"{where}[{t}][1]")
        if y < 0:
            raise CertificateError(f"{where}[{t}]: multiplier {q_str(y)} is negative (must be >= 0)")
        out.append((pair[0], y))
    return tuple(out)


def _multipliers(value: Any, where: str, read: Reader) -> tuple:
    """A list of at most 100 000 multipliers, each read by :func:`parse_multiplier`."""
    if not isinstance(value, list):
        raise CertificateError(f"{where}: expected a list of multipliers")
    within_limit(len(value), 100_000, f"{where}: number of multipliers")
    return tuple(parse_multiplier(v, f"{where}[{i}]", read) for i, v in enumerate(value))


def _points(value: Any, d: int, where: str, read: Reader, limit: int) -> tuple:
    """A non-empty list of at most ``limit`` points of Q^d (exact rationals)."""
    if not isinstance(value, list) or not value:
        raise CertificateError(f"{where}: expected a non-empty list of points")
    within_limit(len(value), limit, f"{where}: number of points")
    return tuple(read.vector(p, d, f"{where}[{i}]") for i, p in enumerate(value))


def _string(leaf: dict, key: str, at: str, chars: str) -> str:
    """Field ``key`` of a leaf: a string of the characters in ``chars`` only (its length is checked
    later); CertificateError otherwise."""
    s = require(leaf, key, at)
    if not isinstance(s, str) or any(c not in chars for c in s):
        raise CertificateError(f"{at}.{key} must be a string of the characters {' '.join(chars)}")
    return s


def parse_leaf(obj: Any, d: int, at: str, read: Reader) -> Leaf:
    """A leaf's fields (their lengths are checked against the networks by :meth:`Check.leaf_maps`)."""
    only_fields(obj, LEAF_FIELDS, at)
    signs = _string(obj, "signs", at, "+-")
    proofs = _multipliers(require(obj, "sign_proofs", at), f"{at}.sign_proofs", read)
    piece = order = order_proofs = bound = vertices = witness = None
    if "piece" in obj or "order" in obj or "order_proofs" in obj:
        piece = get_int(obj, "piece", at, lo=0)
        order = _string(obj, "order", at, "<>=")
        order_proofs = _multipliers(require(obj, "order_proofs", at), f"{at}.order_proofs", read)
    if "bound" in obj:
        bound = _multipliers(obj["bound"], f"{at}.bound", read)
        if len(bound) != 2:
            raise CertificateError(f"{at}.bound must be [y_upper, y_lower] (two multipliers)")
    if "vertices" in obj:
        vertices = _points(obj["vertices"], d, f"{at}.vertices", read, MAX_VERTICES)
    if "witness" in obj:
        witness = read.vector(obj["witness"], d, f"{at}.witness")
    return Leaf(signs, proofs, piece, order, order_proofs, bound, vertices, witness)


def parse_tree(value: Any, d: int, where: str, read: Reader, max_nodes: int) -> Tree:
    """The node list; checks that it is one tree rooted at node 0 (each other node the child of exactly
    one split with a smaller index), before any arithmetic."""
    if not isinstance(value, list) or not value:
        raise CertificateError(f"{where}: expected a non-empty list of nodes")
    within_limit(len(value), max_nodes, f"{where}: number of nodes")
    n = len(value)
    parent = [-1] * n
    for i, node in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(node, dict) or len(node) == 0:
            raise CertificateError(f"{at}: a node must be an object with 'split', 'infeasible' or 'leaf'")
        if "split" in node:
            only_fields(node, ("split", "children"), at)
            ch = require(node, "children", at)
            if not isinstance(ch, list) or len(ch) != 2 or any(type(c) is not int for c in ch):
                raise CertificateError(f"{at}.children must be two node indices")
            for c in ch:
                if not i < c < n:
                    raise CertificateError(f"{at}.children: {c} is not a node after this one (indices {i + 1}..{n - 1})")
                if parent[c] >= 0:
                    raise CertificateError(f"{at}.children: node {c} is already the child of node {parent[c]}")
                parent[c] = i
        elif "infeasible" not in node and "leaf" not in node:
            raise CertificateError(f"{at}: a node must be an object with 'split', 'infeasible' or 'leaf'")
    for i in range(1, n):
        if parent[i] < 0:
            raise CertificateError(f"{where}[{i}]: node {i} is the child of no split (the nodes must form one tree)")
    depth = [0] * n
    nodes = []
    for i, node in enumerate(value):
        at = f"{where}[{i}]"
        if i:
            depth[i] = depth[parent[i]] + 1
            within_limit(depth[i], MAX_DEPTH_TREE, f"{at}: depth in the tree")
        if "split" in node:
            h = read.vector(node["split"], d + 1, f"{at}.split")
            if all(v == 0 for v in h[:d]):
                raise CertificateError(f"{at}.split: the coefficients of h are all zero (a split must be on a "
                                       f"non-constant affine function)")
            nodes.append(("split", h, tuple(node["children"])))
        elif "infeasible" in node:
            only_fields(node, ("infeasible",), at)
            nodes.append(("infeasible", parse_multiplier(node["infeasible"], f"{at}.infeasible", read)))
        else:
            only_fields(node, ("leaf",), at)
            nodes.append(("leaf", parse_leaf(node["leaf"], d, f"{at}.leaf", read)))
    closed = [i for i, v in enumerate(nodes) if v[0] != "split"]
    vertex_rows = sum((depth[i] + 1) * len(nodes[i][1].vertices or ()) for i in closed if nodes[i][0] == "leaf")
    return Tree(d, tuple(nodes), sum(depth[i] for i in closed), vertex_rows)


# --------------------------------------------------------------------------- checking


def combine(rows: list, y: Mult, d: int, where: str) -> tuple[list, fmpq]:
    """(y^T A, y^T b) over the node's rows (CertificateError for a row that does not exist)."""
    acc, rhs = [ZERO] * d, ZERO
    for r, v in y:
        if r >= len(rows):
            raise CertificateError(f"{where}: row {r} does not exist (this node has {len(rows)} rows)")
        a, b = rows[r]
        for t in range(d):
            acc[t] += v * a[t]
        rhs += v * b
    return acc, rhs


def prove_nonpositive(rows: list, y: Mult, g: tuple, where: str) -> None:
    """Lemma 2: g(x) = a.x + c <= 0 on {rows}, from y >= 0 with y^T A = a and y^T b <= -c (else NotProven)."""
    d = len(g) - 1
    acc, rhs = combine(rows, y, d, where)
    if any(p != q for p, q in zip(acc, g[:d])):
        raise NotProven(f"{where}: the multipliers do not reproduce the inequality's coefficients")
    if not rhs <= -g[d]:
        raise NotProven(f"{where}: the multipliers prove only a bound {q_str(rhs + g[d])} above zero")


def neg(g: tuple) -> tuple:
    """-g, entry by entry (an affine form, or the coefficients of a row)."""
    return tuple(-v for v in g)


def sub(f: tuple, g: tuple) -> tuple:
    """f - g, entry by entry (affine forms)."""
    return tuple(p - q for p, q in zip(f, g))


class Check:
    """One split-tree check: the network N, the target T, the domain rows, the property."""

    def __init__(self, net: Network, target: Target, domain: Domain, prop: str, epsilon: fmpq | None = None,
                 where: str = "proof.nodes"):
        """The check of ``prop`` for N against ``target`` on ``domain`` (``epsilon`` for 'within'; ``where``
        names the nodes in messages).  Every leaf states n_signs signs: the hidden neurons of N, then
        those of a target network."""
        self.net, self.target, self.domain, self.prop, self.epsilon = net, target, domain, prop, epsilon
        self.where = where
        self.n_signs = net.n_hidden + (target.network.n_hidden if target.type == "network" else 0)

    def leaf_maps(self, leaf: Leaf, rows: list, at: str) -> tuple[tuple, tuple | None]:
        """Lemmas 1, 2 and 4: the affine maps of N and T on the leaf's region (signs and order proven)."""
        if len(leaf.signs) != self.n_signs or len(leaf.sign_proofs) != self.n_signs:
            raise CertificateError(f"{at}: 'signs' and 'sign_proofs' must have one entry per hidden neuron "
                                   f"({self.n_signs}), got {len(leaf.signs)} and {len(leaf.sign_proofs)}")

        def active(offset: int):
            """The ``active`` callback of :meth:`Network.cell_map` for a network whose hidden neurons start at
            ``offset`` in the leaf's signs."""
            def prove(k: int, z: tuple) -> bool:
                """Prove the leaf's sign of hidden neuron offset + k on the leaf's region from its sign_proofs
                multiplier (Lemma 2): z <= 0 for '-', -z <= 0 for '+'; NotProven otherwise.  Returns True for '+'
                (relu(z) = z there) and False for '-' (relu(z) = 0)."""
                s = leaf.signs[offset + k]
                prove_nonpositive(rows, leaf.sign_proofs[offset + k], z if s == "-" else neg(z),
                                  f"{at}: sign {s} of hidden neuron {offset + k}")
                return s == "+"
            return prove

        n_map = self.net.cell_map(active(0))
        T = self.target
        if T.type == "network":
            if leaf.piece is not None:
                raise CertificateError(f"{at}: 'piece' given but the target is a network")
            return n_map, T.network.cell_map(active(self.net.n_hidden))
        if T.type == "none":
            if leaf.piece is not None:
                raise CertificateError(f"{at}: 'piece' given but the claim has no target")
            return n_map, None
        m = len(T.pieces)
        if leaf.piece is None:
            raise CertificateError(f"{at}: missing 'piece', 'order' and 'order_proofs' (which piece of the target)")
        i = leaf.piece
        if not i < m or len(leaf.order) != m or len(leaf.order_proofs) != m or leaf.order[i] != "=" \
                or leaf.order.count("=") != 1:
            raise CertificateError(f"{at}: 'piece' must be below {m} and 'order' / 'order_proofs' must have {m} "
                                   f"entries with '=' exactly at the piece")
        if leaf.order.count("<") != T.k - 1:
            raise NotProven(f"{at}: the order has {leaf.order.count('<')} pieces below piece {i}; the target is "
                            f"the {T.k}-th smallest, which needs {T.k - 1}")
        li = T.pieces[i]
        for j, c in enumerate(leaf.order):
            if c == "<":
                prove_nonpositive(rows, leaf.order_proofs[j], sub(T.pieces[j], li), f"{at}: order of piece {j}")
            elif c == ">":
                prove_nonpositive(rows, leaf.order_proofs[j], sub(li, T.pieces[j]), f"{at}: order of piece {j}")
            elif leaf.order_proofs[j]:
                raise CertificateError(f"{at}: order_proofs[{i}] (the piece itself) must be empty")
        return n_map, li

    def run(self, tree: Tree) -> dict:
        """Theorem A (and sections 5, 6): check every node; returns what the property needs (volume and
        integral for l2_error, the leaf patterns and witnesses for regions, the intervals for pieces)."""
        if tree.d != self.net.d:
            raise CertificateError(f"{self.where}: the tree is over R^{tree.d}, the network over R^{self.net.d}")
        out = {"leaves": 0, "volume": ZERO, "integral": ZERO, "patterns": {}, "intervals": []}
        budget = [20_000_000]
        rows: list = list(self.domain.rows)
        base = len(rows)
        stack: list = [(0, None)]
        while stack:
            i, row = stack.pop()
            if i < 0:  # leaving a split: drop the row it added
                rows.pop()
                continue
            if row is not None:
                rows.append(row)
                stack.append((-1, None))
            node = tree.nodes[i]
            at = f"{self.where}[{i}]"
            if node[0] == "split":
                h = node[1]
                le, ge = node[2]
                stack.append((ge, (neg(h[:-1]), h[-1])))
                stack.append((le, (h[:-1], -h[-1])))
            elif node[0] == "infeasible":
                acc, rhs = combine(rows, node[1], tree.d, f"{at}.infeasible")
                if any(v != 0 for v in acc) or not rhs < 0:
                    raise NotProven(f"{at}: the Farkas multipliers do not prove the region empty (need y^T A = 0 "
                                    f"and y^T b < 0; got y^T b = {q_str(rhs)})")
            else:
                self.leaf(node[1], rows, base, at, out, budget)
        return out

    def leaf(self, leaf: Leaf, rows: list, base: int, at: str, out: dict, budget: list) -> None:
        """One leaf of Theorem A, with what the property asks of it."""
        out["leaves"] += 1
        n_map, t_map = self.leaf_maps(leaf, rows, at)
        prop = self.prop
        extra = {"within": leaf.bound, "l2_error": leaf.vertices, "regions": leaf.witness}
        for name, value in extra.items():
            if value is not None and name != prop:
                raise CertificateError(f"{at}: field {'bound' if name == 'within' else 'vertices' if name == 'l2_error' else 'witness'} "
                                       f"is not used by the property {prop!r}")
        if prop == "equals":
            if n_map != t_map:
                raise NotProven(f"{at}: N and the target are different affine maps on this leaf (N = "
                                f"{_fmt(n_map)}, T = {_fmt(t_map)})")
        elif prop == "within":
            if leaf.bound is None:
                raise CertificateError(f"{at}: missing 'bound' (two multipliers proving |N - T| <= epsilon)")
            e = self.epsilon
            diff = sub(n_map, t_map)
            prove_nonpositive(rows, leaf.bound[0], diff[:-1] + (diff[-1] - e,), f"{at}: N - T <= epsilon")
            prove_nonpositive(rows, leaf.bound[1], neg(diff)[:-1] + (-diff[-1] - e,), f"{at}: T - N <= epsilon")
        elif prop == "l2_error":
            if leaf.vertices is None:
                raise CertificateError(f"{at}: missing 'vertices' (points of the leaf's region for the L2 integral)")
            for k, p in enumerate(leaf.vertices):
                for r, (a, b) in enumerate(rows):
                    if not dot(a, p) <= b:
                        raise NotProven(f"{at}.vertices[{k}] violates row {r} of the leaf's region")
            vol, integral = square_integral(list(leaf.vertices), list(rows), sub(n_map, t_map), budget)
            out["volume"] += vol
            out["integral"] += integral
        elif prop == "regions":
            out["patterns"].setdefault(leaf.signs, [])
            if leaf.witness is not None:
                out["patterns"][leaf.signs].append((leaf.witness, at))
        elif prop == "pieces":
            lo, hi = None, None
            for a, b in rows:
                if a[0] > 0 and (hi is None or b / a[0] < hi):
                    hi = b / a[0]
                elif a[0] < 0 and (lo is None or b / a[0] > lo):
                    lo = b / a[0]
                elif a[0] == 0 and b < 0:
                    return  # empty
            if lo is None or hi is None or lo < hi:
                out["intervals"].append((lo, hi, n_map))


def _fmt(form: tuple | None) -> str:
    """An affine form as short text (its first 6 entries) for messages; "none" for None."""
    if form is None:
        return "none"
    return "(" + ", ".join(q_str(v) for v in form[:6]) + (", ..." if len(form) > 6 else "") + ")"


def count_regions(check: Check, result: dict) -> int:
    """Section 6: every distinct leaf pattern has a witness p in int D whose strict pattern it is; returns
    the number of distinct patterns."""
    net, domain = check.net, check.domain
    for signs, witnesses in sorted(result["patterns"].items()):
        if not witnesses:
            raise NotProven(f"activation pattern {signs} of the tree's leaves has no witness point (a leaf with "
                            f"this pattern must carry 'witness')")
        p, at = witnesses[0]
        for r, (a, b) in enumerate(domain.rows):
            if not dot(a, p) < b:
                raise NotProven(f"{at}.witness is not in the interior of the domain (row {r})")
        z = net.pre_activations(p)
        for i, (s, v) in enumerate(zip(signs, z)):
            if not (v > 0 if s == "+" else v < 0):
                raise NotProven(f"{at}.witness: hidden neuron {i} has pre-activation {q_str(v)} there, not "
                                f"strictly of sign {s}")
    return len(result["patterns"])


def count_pieces(result: dict, domain: Domain) -> int:
    """Section 6 (d = 1): the leaves' intervals of positive length tile the domain; 1 + the number of
    consecutive intervals whose affine maps differ."""
    ivs = sorted(result["intervals"], key=lambda t: (t[0] is not None, t[0] if t[0] is not None else ZERO))
    if not ivs:
        raise NotProven("no leaf of positive length")
    lo_d = max((b / a[0] for a, b in domain.rows if a[0] < 0), default=None)
    hi_d = min((b / a[0] for a, b in domain.rows if a[0] > 0), default=None)
    if ivs[0][0] != lo_d or ivs[-1][1] != hi_d:
        raise NotProven("the leaves' intervals do not reach the ends of the domain")
    count = 1
    for (lo1, hi1, m1), (lo2, hi2, m2) in zip(ivs, ivs[1:]):
        if hi1 is None or lo2 is None or hi1 != lo2:
            raise NotProven("the leaves' intervals do not tile the domain end to end")
        if m1 != m2:
            count += 1
    return count

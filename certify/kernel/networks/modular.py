"""The modular certificate: block lemmas proven by small split trees, composed symbolically (docs/networks.md,
section 4 and Lemma 5).

TRUSTED.  Exact rationals (fmpq) and sets of input indices (Python int bitmasks) only.

    "proof": {"method": "modular", "stages": [stage_1, ..., stage_(K-1)]}
    stage_s = {"values": [value, ...], "readout": {"weights": C_s, "bias": c_s},
               "next": {"weights": A_(s+1), "bias": a_(s+1)}}          (readout/next absent for s = K-1)
    value   = {"op": "max"|"min", "args": [indices into v^(s-1)], "proof": {"nodes": [...]}}
            | {"op": ..., "args": [...], "same_as": [s', j']}           (1-based stage s', 0-based j')

Checked: W_(s+1) = A_(s+1) C_s and b_(s+1) = A_(s+1) c_s + a_(s+1); for each value, the neurons it reads
depend only on its args and the local one-hidden-layer network equals op(args) on all of R^|args|
(a split tree, or an identical earlier lemma); the composed normal form of the output equals the
target's (all subsets of size d - k + 1 for the k-th smallest).
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb

from ..certificate import CertificateError, NotProven, get_str, only_fields, require, within_limit
from .objects import ONE, ZERO, Domain, Network, Reader, Target, q_str
from .tree import Check, Tree, parse_tree

MAX_LEMMA_NODES = 2_000
MAX_ARGS = 8
MAX_NORMAL_FORM = 2_000  # sets in the normal form of one value (and of the target)
MAX_SET_WORK = 20_000_000  # subset tests of the whole composition


@dataclass(frozen=True)
class Value:
    op: str
    args: tuple[int, ...]
    proof: Tree | None
    same_as: tuple[int, int] | None


@dataclass(frozen=True)
class Stage:
    values: tuple[Value, ...]
    readout: tuple | None  # (C rows, c)
    next: tuple | None  # (A rows, a)


@dataclass(frozen=True)
class Modular:
    stages: tuple[Stage, ...]

    @property
    def lemma_nodes(self) -> int:
        """The number of nodes of all lemma split trees (values with their own proof)."""
        return sum(len(v.proof.nodes) for s in self.stages for v in s.values if v.proof is not None)

    @property
    def proofs(self) -> int:
        """The number of values proven by their own split tree (not ``same_as``)."""
        return sum(1 for s in self.stages for v in s.values if v.proof is not None)


def parse_modular(obj: dict, net: Network, read: Reader, max_nodes: int) -> Modular:
    """The stages, their sizes checked against the network before any entry is read."""
    K = len(net.layers)
    stages = require(obj, "stages", "proof")
    if not isinstance(stages, list) or len(stages) != K - 1 or K < 2:
        raise CertificateError(f"proof.stages must be a list of one stage per hidden layer ({K - 1}); a network "
                               f"without hidden layers has no modular proof")
    out, prev, total = [], net.d, 0
    for t, st in enumerate(stages):
        at = f"proof.stages[{t}]"
        last = t == K - 2
        only_fields(st, ("values",) if last else ("values", "readout", "next"), at)
        vals = require(st, "values", at)
        if not isinstance(vals, list) or not vals or (last and len(vals) != 1):
            raise CertificateError(f"{at}.values must be a non-empty list" + (" of exactly one value (the output)"
                                                                            if last else ""))
        within_limit(len(vals), 4 * 256, f"{at}: number of values")
        values = []
        for j, v in enumerate(vals):
            vat = f"{at}.values[{j}]"
            op = get_str(v, "op", vat)
            if op not in ("max", "min"):
                raise CertificateError(f"{vat}.op must be 'max' or 'min', got {op!r}")
            args = require(v, "args", vat)
            if not isinstance(args, list) or not 1 <= len(args) <= MAX_ARGS or any(type(a) is not int for a in args) \
                    or len(set(args)) != len(args) or any(not 0 <= a < prev for a in args):
                raise CertificateError(f"{vat}.args must be 1 to {MAX_ARGS} distinct indices below {prev}")
            if "same_as" in v:
                only_fields(v, ("op", "args", "same_as"), vat)
                ref = v["same_as"]
                if not isinstance(ref, list) or len(ref) != 2 or any(type(r) is not int for r in ref):
                    raise CertificateError(f"{vat}.same_as must be [stage, value] (stage counted from 1)")
                values.append(Value(op, tuple(args), None, (ref[0], ref[1])))
            else:
                only_fields(v, ("op", "args", "proof"), vat)
                p = require(v, "proof", vat)
                only_fields(p, ("nodes",), f"{vat}.proof")
                tree = parse_tree(require(p, "nodes", f"{vat}.proof"), len(args), f"{vat}.proof.nodes", read,
                                  MAX_LEMMA_NODES)
                total += len(tree.nodes)
                within_limit(total, max_nodes, "proof: nodes of all lemmas")
                values.append(Value(op, tuple(args), tree, None))
        m = len(values)
        readout = nxt = None
        if not last:
            n_s, n_next = net.widths[t], net.widths[t + 1]
            for key in ("readout", "next"):
                only_fields(require(st, key, at), ("weights", "bias"), f"{at}.{key}")
            r, x = st["readout"], st["next"]
            readout = (read.matrix(require(r, "weights", f"{at}.readout"), m, n_s, f"{at}.readout.weights"),
                       read.vector(require(r, "bias", f"{at}.readout"), m, f"{at}.readout.bias"))
            nxt = (read.matrix(require(x, "weights", f"{at}.next"), n_next, m, f"{at}.next.weights"),
                   read.vector(require(x, "bias", f"{at}.next"), n_next, f"{at}.next.bias"))
        out.append(Stage(tuple(values), readout, nxt))
        prev = m
    return Modular(tuple(out))


def _minimal(sets: set[int], budget: list[int]) -> frozenset[int]:
    """The inclusion-minimal members (Lemma 5's mu)."""
    kept: list[int] = []
    for s in sorted(sets, key=lambda v: (bin(v).count("1"), v)):
        budget[0] -= len(kept) + 1
        if budget[0] < 0:
            raise CertificateError(f"the normal forms exceed this checker's work limit ({MAX_SET_WORK} subset tests)")
        if not any(t & s == t for t in kept):
            kept.append(s)
    if len(kept) > MAX_NORMAL_FORM:
        raise CertificateError(f"a normal form of {len(kept)} sets exceeds this checker's limit of {MAX_NORMAL_FORM}")
    return frozenset(kept)


def compose(op: str, forms: list[frozenset[int]], budget: list[int]) -> frozenset[int]:
    """Lemma 5: the normal form of max or min of values with the given normal forms."""
    if op == "max":
        return _minimal(set().union(*forms), budget)
    acc = forms[0]
    for f in forms[1:]:
        budget[0] -= len(acc) * len(f)
        if budget[0] < 0 or len(acc) * len(f) > 50 * MAX_NORMAL_FORM:
            raise CertificateError("the normal forms exceed this checker's work limit")
        acc = _minimal({s | t for s in acc for t in f}, budget)
    return acc


def _local(net: Network, t: int, stage: Stage, stages: tuple, j: int, value: Value, where: str):
    """The local one-hidden-layer network of value j of stage t (0-based) and its identity key."""
    K = len(net.layers)
    A, a = net.layers[0] if t == 0 else stages[t - 1].next
    C, c = net.layers[K - 1] if t == K - 2 else stage.readout
    used = [i for i, w in enumerate(C[j]) if w != 0]
    if not used:
        raise NotProven(f"{where}: this value reads no neuron (it is the constant {q_str(c[j])})")
    for i in used:
        for u, w in enumerate(A[i]):
            if w != 0 and u not in value.args:
                raise NotProven(f"{where}: neuron {i} of hidden layer {t + 1} reads input {u}, which is not among "
                                f"the args {list(value.args)}")
    hidden = (tuple(tuple(A[i][u] for u in value.args) for i in used), tuple(a[i] for i in used))
    out = ((tuple(C[j][i] for i in used),), (c[j],))
    key = (value.op, hidden, out)
    return Network(len(value.args), [hidden, out]), key


def check_modular(net: Network, target: Target, proof: Modular) -> dict:
    """Theorem B: N = target on all of R^d.  Returns counts for the summary."""
    K = len(net.layers)
    d = net.d
    # 1. the factorizations W_(s+1) = A_(s+1) C_s, b_(s+1) = A_(s+1) c_s + a_(s+1)
    for t, st in enumerate(proof.stages[:-1]):
        (C, c), (A, a) = st.readout, st.next
        W, b = net.layers[t + 1]
        for i, (row_w, row_a) in enumerate(zip(W, A)):
            for col in range(len(row_w)):
                s = ZERO
                for k, w in enumerate(row_a):
                    if w != 0:
                        s += w * C[k][col]
                if s != row_w[col]:
                    raise NotProven(f"proof.stages[{t}]: W_{t + 2}[{i}][{col}] = {q_str(row_w[col])} but "
                                    f"(next x readout)[{i}][{col}] = {q_str(s)}")
            s = a[i]
            for k, w in enumerate(row_a):
                s += w * c[k]
            if s != b[i]:
                raise NotProven(f"proof.stages[{t}]: b_{t + 2}[{i}] = {q_str(b[i])} but next.weights x readout.bias "
                                f"+ next.bias = {q_str(s)}")
    # 2. the lemmas
    proven: dict[tuple[int, int], tuple] = {}
    for t, st in enumerate(proof.stages):
        for j, v in enumerate(st.values):
            at = f"proof.stages[{t}].values[{j}]"
            local, key = _local(net, t, st, proof.stages, j, v, at)
            if v.proof is not None:
                k = len(v.args)
                unit = tuple(tuple(ONE if q == p else ZERO for q in range(k)) + (ZERO,) for p in range(k))
                local_target = Target(v.op, k if v.op == "max" else 1, unit, order=k if v.op == "max" else 1)
                try:
                    Check(local, local_target, Domain("all", ()), "equals", where=f"{at}.proof.nodes").run(v.proof)
                except NotProven as exc:
                    raise NotProven(f"lemma {v.op}({list(v.args)}) of stage {t + 1}: {exc}") from None
                proven[(t + 1, j)] = key
            else:
                ref = v.same_as
                if ref not in proven:
                    raise CertificateError(f"{at}.same_as: {list(ref)} is not an earlier value with its own proof")
                if proven[ref] != key:
                    raise NotProven(f"{at}.same_as {list(ref)}: the local network or op differs from the proven one")
    # 3. the normal forms
    budget = [MAX_SET_WORK]
    forms = [frozenset({1 << i}) for i in range(d)]
    for st in proof.stages:
        forms = [compose(v.op, [forms[u] for u in v.args], budget) for v in st.values]
    final = forms[0]
    size = d - target.order + 1
    want = comb(d, size)
    if len(final) != want or any(bin(s).count("1") != size for s in final):
        shown = sorted(sorted(i + 1 for i in range(d) if s >> i & 1) for s in final)[:5]
        raise NotProven(f"the composed network is max over {len(final)} min-terms (e.g. {shown}), not the "
                        f"{target.order}-th smallest of the {d} inputs (all {want} subsets of size {size})")
    return {"lemmas": len(proven), "values": sum(len(s.values) for s in proof.stages)}

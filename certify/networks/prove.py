"""From a network, a target, a domain and a property to a certificate (UNTRUSTED producer).

:func:`prove` chooses the method (modular for an identity with an order statistic when the
network carries its stage structure, a split tree otherwise), fills in the property's number
(the L2 value, the region count) computed on the producer side, and returns the certificate
fields; every certificate is then re-checked by the kernel when published.
:func:`search_counterexample` looks for an input where N and the target differ (random
rational points, then local search on float evaluations, every hit re-evaluated exactly).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .exact import Domain, Net, Q, Target, ZERO, dot, qs
from .integrate import l2_of_tree
from .modular import modular_proof
from .splittree import Counterexample, TreeBuilder, vertices


@dataclass
class Outcome:
    claim: dict
    evidence: dict
    stats: dict = field(default_factory=dict)


def _stages_ok(net: Net) -> bool:
    st = net.meta.get("stages")
    return bool(st) and len(st) == len(net.layers) - 1


def prove(net: Net, target: Target, domain: Domain, prop: dict, method: str = "auto",
          max_nodes: int = 200_000, time_limit: float | None = None) -> Outcome:
    """The certificate fields for the claim; raises Counterexample when the identity or bound is false,
    TooLarge when the tree outgrows the limits, ValueError for a claim this producer cannot handle."""
    ptype = prop["type"]
    if method == "auto":
        method = "modular" if (ptype == "equals" and target.type in ("max", "min", "median", "order_statistic")
                               and _stages_ok(net)) else "split_tree"
    t0 = time.perf_counter()
    claim = {"network": net.to_json(), "target": target.json, "domain": domain.json, "property": dict(prop)}
    if method == "modular":
        if not _stages_ok(net):
            raise ValueError("the modular method needs the network's stage structure (constructions and ONNX files "
                             "exported by certify carry it); use --method split_tree")
        cx = zero_one_counterexample(net, target)
        if cx is not None:
            raise cx
        proof, st = modular_proof(net, net.meta["stages"])
        return Outcome(claim, {"proof": proof}, {"method": "modular", **st, "seconds": time.perf_counter() - t0})
    inner = ptype if ptype != "regions" else ("regions" if prop.get("notion") == "activation" else "pieces")
    b = TreeBuilder(net, target, domain, inner, epsilon=prop.get("epsilon"), max_nodes=max_nodes,
                    time_limit=time_limit)
    nodes = b.build()
    stats = {"method": "split_tree", "nodes": len(nodes), "leaves": b.stats.leaves, "lps": b.stats.lps}
    if ptype == "l2_error":
        vol, value = l2_of_tree(nodes, net, target)
        if vol != 1:
            raise ValueError(f"the producer's own triangulation has volume {vol}, not 1")
        claim["property"]["value"] = qs(value)
        stats["l2_error"] = float(value)
    elif inner == "regions":
        patterns = {s for s, _, _ in b.leaf_rows}
        missing = [s for s in patterns if not any(
            "witness" in n["leaf"] and n["leaf"]["signs"] == s for n in nodes if "leaf" in n)]
        if missing:
            raise ValueError(f"{len(missing)} activation pattern(s) have no strict witness point (a neuron is "
                             f"identically zero on a leaf); this network's regions cannot be counted this way")
        claim["property"]["count"] = len(patterns)
        stats["count"] = len(patterns)
    elif inner == "pieces":
        ivs = []
        for _, rows, n_map in b.leaf_rows:
            vs = vertices(rows, 1)
            if len(vs) == 2 and vs[0] != vs[1]:
                ivs.append((min(vs)[0], n_map))
        ivs.sort(key=lambda t: t[0])
        count = 1 + sum(1 for (_, m1), (_, m2) in zip(ivs, ivs[1:]) if list(m1) != list(m2))
        claim["property"]["count"] = count
        stats["count"] = count
    stats["seconds"] = time.perf_counter() - t0
    return Outcome(claim, {"proof": {"method": "split_tree", "nodes": nodes}}, stats)


def search_counterexample(net: Net, target: Target, domain: Domain, epsilon=0, samples: int = 4000,
                          seed: int = 0, scale: float = 4.0) -> Counterexample | None:
    """An exact rational x in the domain with |N(x) - T(x)| > epsilon, or None if none was found
    (finding none proves nothing)."""
    rng = np.random.default_rng(seed)
    d = net.d
    e = Q(epsilon)
    if domain.type == "box":
        lo = np.array([float(a) for a, _ in domain.box])
        hi = np.array([float(b) for _, b in domain.box])
    else:
        lo, hi = -scale * np.ones(d), scale * np.ones(d)
    X = lo + (hi - lo) * rng.random((samples, d))
    # points on small grids too: ties and 0/1 inputs are where selection networks go wrong
    grid = rng.integers(0, 3, size=(samples // 4, d)) / 2.0
    X = np.vstack([X, lo + (hi - lo) * grid])
    gap = np.abs(net.evaluate(X) - target.evaluate(X))
    for idx in np.argsort(-gap)[:50]:
        x = X[idx]
        for den in (2, 16, 1 << 10, 1 << 20):
            p = [Q(Fraction(float(v)).limit_denominator(den)) for v in x]
            if domain.type != "all" and not domain.contains(p):
                continue
            n, t = net.value(p), target.value(p)
            if abs(n - t) > e:
                return Counterexample(p, n, t)
    return None


def zero_one_counterexample(net: Net, target: Target, limit: int = 16, samples: int = 20000,
                            seed: int = 0) -> Counterexample | None:
    """A 0/1 input where N and an order-statistic target differ (every 0/1 input for d <= limit, random
    ones beyond).  For a network composed of max/min gates the 0-1 principle (docs/networks.md, Lemma 5)
    says that a false identity always fails at such a point."""
    d = net.d
    if d <= limit:
        X = ((np.arange(2 ** d)[:, None] >> np.arange(d)) & 1).astype(float)
    else:
        X = np.random.default_rng(seed).integers(0, 2, size=(samples, d)).astype(float)
    gap = np.abs(net.evaluate(X) - target.evaluate(X))
    for idx in np.argsort(-gap)[:20]:
        p = [Q(int(v)) for v in X[idx]]
        n, t = net.value(p), target.value(p)
        if n != t:
            return Counterexample(p, n, t)
    return None

"""The modular-certificate producer (UNTRUSTED; docs/networks.md section 4).

From a network's stage structure (``Net.meta["stages"]``, written by the constructions and kept
in exported ONNX metadata) it proves each distinct block lemma once with a small split tree
(certify.networks.splittree) and refers to it (``same_as``) wherever the same local network
occurs again.
"""
from __future__ import annotations

from .exact import Net, make_domain, make_target, qs
from .splittree import TreeBuilder


def _mat(M) -> list:
    return [[qs(v) for v in row] for row in M]


def modular_proof(net: Net, stages: list) -> tuple[dict, dict]:
    """(proof JSON, statistics) for a network with the given stage structure."""
    K = len(net.layers)
    if len(stages) != K - 1:
        raise ValueError(f"the stage structure has {len(stages)} stages, the network {K - 1} hidden layers")
    seen: dict = {}
    out, lemmas, nodes = [], 0, 0
    for t, st in enumerate(stages):
        A, a = net.layers[0] if t == 0 else stages[t - 1]["next"]
        C, c = net.layers[K - 1] if t == K - 2 else st["readout"]
        values = []
        for j, (op, args) in enumerate(st["values"]):
            used = [i for i, w in enumerate(C[j]) if w != 0]
            hidden = ([[A[i][u] for u in args] for i in used], [a[i] for i in used])
            output = ([[C[j][i] for i in used]], [c[j]])
            key = (op, tuple(tuple(r) for r in hidden[0]), tuple(hidden[1]), tuple(output[0][0]), tuple(output[1]))
            entry = {"op": op, "args": list(args)}
            if key in seen:
                entry["same_as"] = list(seen[key])
            else:
                local = Net(len(args), [hidden, output])
                builder = TreeBuilder(local, make_target(op, len(args)), make_domain("all", len(args)), "equals",
                                      max_nodes=2000)
                entry["proof"] = {"nodes": builder.build()}
                seen[key] = (t + 1, j)
                lemmas += 1
                nodes += len(entry["proof"]["nodes"])
            values.append(entry)
        stage = {"values": values}
        if t < K - 2:
            stage["readout"] = {"weights": _mat(st["readout"][0]), "bias": [qs(v) for v in st["readout"][1]]}
            stage["next"] = {"weights": _mat(st["next"][0]), "bias": [qs(v) for v in st["next"][1]]}
        out.append(stage)
    return {"method": "modular", "stages": out}, {"lemmas": lemmas, "nodes": nodes}

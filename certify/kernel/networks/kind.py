"""Claim kind ``relu-network-exact``: what a ReLU network with rational weights computes, proven exactly.

TRUSTED (docs/networks.md).  Exact rationals only (python-flint fmpq); the checker verifies
multipliers, covers and identities written by the producer and never solves an LP.

Claim fields: ``network`` (the network N), ``target`` (T: max, min, median, an order
statistic, |x_1|, an affine function, another network, or none), ``domain`` (R^d, a box, a
polytope) and ``property``:

    equals      N(x) = T(x) on D                      (split tree, or modular for order statistics)
    within      |N(x) - T(x)| <= epsilon on D          (split tree)
    regions     the number of activation regions in D, or (d = 1) of maximal affine pieces
    l2_error    the exact integral of (N - T)^2 over [0, 1]^d

Evidence: ``proof`` = {"method": "split_tree", "nodes": [...]} (certify.kernel.networks.tree) or
{"method": "modular", "stages": [...]} (certify.kernel.networks.modular).  Every size limit is
checked in :meth:`ReluNetworkExact.parse`, before any arithmetic.
"""
from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Any

from flint import fmpq

from ..certificate import CertificateError, NotProven, get_int, get_object, get_str, only_fields, require, within_limit
from ..contract import ClaimKind, Proven
from . import objects as O
from .modular import MAX_NORMAL_FORM, Modular, check_modular, parse_modular
from .objects import Domain, Network, Reader, Target, q_str
from .tree import Check, Tree, count_pieces, count_regions, parse_tree

MAX_TREE_NODES = 200_000
MAX_TREE_DIM = 8  # input dimension of a split tree
MAX_GEOMETRY_DIM = 4  # input dimension for l2_error and region counts
MAX_WORK = 60_000_000  # leaves x sum_l n_l n_(l-1) (d + 1), over N and a target network
MAX_PATH_ROWS = 3_000_000  # sum over closed nodes of the rows their path adds (multiplier look-ups, pieces)
MAX_VERTEX_ROWS = 2_000_000  # sum over L2 leaves of (rows x vertices) (feasibility and tightness tests)

RELU_LIMITS = {
    "input dimension": O.MAX_INPUT_DIM,
    "input dimension of a split tree": MAX_TREE_DIM,
    "input dimension for l2_error and region counts": MAX_GEOMETRY_DIM,
    "layers": O.MAX_LAYERS,
    "width of a layer": O.MAX_WIDTH,
    "hidden neurons": O.MAX_NEURONS,
    "nodes of a split tree (or of all lemmas)": MAX_TREE_NODES,
    "characters of one rational": O.MAX_CHARS,
    "characters of all rationals": O.MAX_TOTAL_CHARS,
    "digit depth (sum over layers of the longest rational)": O.MAX_DIGIT_DEPTH,
    "work of a split tree (leaves x sum_l n_l n_(l-1) (d + 1))": MAX_WORK,
    "sets in the normal form of a modular value or target": MAX_NORMAL_FORM,
    "path rows of a split tree (sum over leaves of their depth)": MAX_PATH_ROWS,
    "rows x vertices of the L2 leaves": MAX_VERTEX_ROWS,
}

PROPERTIES = ("equals", "within", "regions", "l2_error")


@dataclass(frozen=True)
class Claim:
    net: Network
    target: Target
    domain: Domain
    prop: str  # equals | within | regions | pieces | l2_error
    number: Any  # epsilon, count or value
    proof: Tree | Modular


def parse_property(obj: Any, read: Reader) -> tuple[str, Any]:
    """claim.property -> (name, number); 'regions' with notion affine_pieces becomes 'pieces'."""
    where = "claim.property"
    kind = get_str(obj, "type", where)
    if kind == "equals":
        only_fields(obj, ("type",), where)
        return "equals", None
    if kind == "within":
        only_fields(obj, ("type", "epsilon"), where)
        e = read.rational(require(obj, "epsilon", where), f"{where}.epsilon")
        if e < 0:
            raise CertificateError(f"{where}.epsilon must be >= 0, got {q_str(e)}")
        return "within", e
    if kind == "regions":
        only_fields(obj, ("type", "notion", "count"), where)
        notion = get_str(obj, "notion", where)
        if notion not in ("activation", "affine_pieces"):
            raise CertificateError(f"{where}.notion must be 'activation' or 'affine_pieces', got {notion!r}")
        count = get_int(obj, "count", where, lo=0)
        return ("regions" if notion == "activation" else "pieces"), count
    if kind == "l2_error":
        only_fields(obj, ("type", "value"), where)
        return "l2_error", read.rational(require(obj, "value", where), f"{where}.value")
    raise CertificateError(f"{where}.type: unknown property {kind!r} (known: {', '.join(PROPERTIES)})")


class ReluNetworkExact(ClaimKind):
    name = "relu-network-exact"
    version = 1
    title = ("a ReLU network with rational weights equals max/min/median/another network on a domain, is within "
             "epsilon of it, has an exact number of linear regions, or has an exact L2 error on [0, 1]^d")
    theorem = "docs/networks.md"
    trusted_modules = ("certify.kernel.networks.kind", "certify.kernel.networks.objects",
                       "certify.kernel.networks.tree", "certify.kernel.networks.modular",
                       "certify.kernel.networks.geometry")
    claim_fields = frozenset({"network", "target", "domain", "property"})
    evidence_fields = frozenset({"proof"})
    limits = RELU_LIMITS
    bounds = {
        "method": "split_tree or modular",
        "leaves": "leaves of the split tree (split_tree)",
        "nodes": "nodes of the split tree, or of all lemmas (modular)",
        "lemmas": "block lemmas proven by their own split tree (modular)",
        "count": "the proven number of regions (regions)",
        "l2_error": "the exact integral of (N - T)^2 over [0, 1]^d, 'p/q' (l2_error)",
    }
    cli_group = "networks"
    cli_module = "certify.networks.cli"

    def parse(self, cert: dict) -> Claim:
        """Validate network, target, domain and property, and their combination (a region count has target
        'none' and d <= 4; affine pieces need d = 1; l2_error the unit cube), then the proof, every size
        limit checked before its entries are read: a split tree (d <= 8, leaves x work, path rows, vertex
        rows) or a modular proof ('equals' with max, min, median or an order statistic only).
        CertificateError otherwise."""
        claim = get_object(cert, "claim")
        read = Reader()
        net = O.parse_network(require(claim, "network", "claim"), "claim.network", read)
        d = net.d
        target = O.parse_target(get_object(claim, "target", "claim"), d, read)
        domain = O.parse_domain(get_object(claim, "domain", "claim"), d, read)
        prop, number = parse_property(get_object(claim, "property", "claim"), read)
        if (prop in ("regions", "pieces")) != (target.type == "none"):
            raise CertificateError("claim.target: a region count has target 'none', every other property a target")
        if prop in ("regions", "pieces", "l2_error"):
            within_limit(d, MAX_GEOMETRY_DIM, f"input dimension for {prop}")
        if prop == "pieces" and d != 1:
            raise CertificateError("claim.property: notion 'affine_pieces' is for input dimension 1")
        if prop == "l2_error" and not domain.unit_cube:
            raise CertificateError("claim.domain: l2_error is defined on the unit cube [0, 1]^d (box with bounds "
                                   "[0, 1])")
        p = get_object(cert, "proof")
        method = get_str(p, "method", "proof")
        if method == "split_tree":
            only_fields(p, ("method", "nodes"), "proof")
            within_limit(d, MAX_TREE_DIM, "input dimension of a split tree")
            nodes = require(p, "nodes", "proof")
            n_leaves = sum(1 for v in nodes if isinstance(v, dict) and "leaf" in v) if isinstance(nodes, list) else 0
            work = net.work() + (target.network.work() if target.type == "network" else 0)
            within_limit(n_leaves * work, MAX_WORK, "work of the split tree (leaves x sum_l n_l n_(l-1) (d + 1))")
            proof = parse_tree(nodes, d, "proof.nodes", read, MAX_TREE_NODES)
            within_limit(proof.path_rows, MAX_PATH_ROWS, "path rows of the split tree (sum over leaves of depth)")
            within_limit(proof.vertex_rows * (len(domain.rows) + 1), MAX_VERTEX_ROWS,
                         "rows x vertices of the L2 leaves")
        elif method == "modular":
            only_fields(p, ("method", "stages"), "proof")
            if prop != "equals" or not target.lattice:
                raise CertificateError("proof.method 'modular' proves only 'equals' with max, min, median or an "
                                       "order statistic of the inputs")
            within_limit(comb(d, d - target.order + 1), MAX_NORMAL_FORM,
                         "sets in the normal form of the target (d choose d - k + 1)")
            proof = parse_modular(p, net, read, MAX_TREE_NODES)
        else:
            raise CertificateError(f"proof.method must be 'split_tree' or 'modular', got {method!r}")
        return Claim(net, target, domain, prop, number, proof)

    def statement(self, c: Claim) -> str:
        """The claim in words for the property (N = T on D, |N - T| <= epsilon on D, the number of activation
        regions or of maximal affine pieces, or the exact squared L2 error on [0, 1]^d); claim.statement
        must equal it."""
        d = c.net.d
        head = f"The ReLU network N of claim.network ({c.net.size_text()}, exact rational weights, one output)"
        dom = c.domain.text(d)
        T = c.target.text(d)
        if c.prop == "equals":
            return f"{head} satisfies N(x) = {T} for every x in {dom}."
        if c.prop == "within":
            return f"{head} satisfies |N(x) - {T}| <= {q_str(c.number)} for every x in {dom}."
        if c.prop == "regions":
            return (f"{head} has exactly {c.number} activation regions in {dom}: sign patterns s of its "
                    f"{c.net.n_hidden} hidden neurons for which the set of interior points x of the domain with "
                    f"s_i z_i(x) > 0 for every neuron i is non-empty, z_i the pre-activations.")
        if c.prop == "pieces":
            return f"{head}: {dom} is the union of exactly {c.number} maximal intervals on each of which N is affine."
        return (f"{head} satisfies: the integral over [0, 1]^{d} of (N(x) - {T})^2 dx is exactly {q_str(c.number)} "
                f"(the squared L2 error under the uniform distribution on [0, 1]^{d}).")

    def check(self, c: Claim) -> Proven:
        """Decide the claim: a modular proof by Theorem B (N = T on all of R^d); a split tree by Theorem A at
        every node, then, for the property, the count of regions (a witness per leaf pattern) or of affine
        pieces compared with the claimed number, or the total volume of the leaves' simplices (exactly 1)
        and the integral compared with the claimed value.  NotProven otherwise."""
        if isinstance(c.proof, Modular):
            info = check_modular(c.net, c.target, c.proof)
            return Proven(f"N = {c.target.text(c.net.d)} on R^{c.net.d} ({c.net.size_text()}; modular: "
                          f"{info['values']} values, {info['lemmas']} lemma(s) with {c.proof.lemma_nodes} nodes)",
                          {"method": "modular", "nodes": c.proof.lemma_nodes, "lemmas": info["lemmas"]})
        check = Check(c.net, c.target, c.domain, c.prop, c.number if c.prop == "within" else None)
        result = check.run(c.proof)
        bounds = {"method": "split_tree", "leaves": result["leaves"], "nodes": len(c.proof.nodes)}
        what = {"equals": "N = T", "within": f"|N - T| <= {q_str(c.number) if c.prop == 'within' else ''}"}
        if c.prop == "regions":
            n = count_regions(check, result)
            if n != c.number:
                raise NotProven(f"the tree shows {n} activation regions, the claim says {c.number}")
            bounds["count"] = n
            text = f"{n} activation regions"
        elif c.prop == "pieces":
            n = count_pieces(result, c.domain)
            if n != c.number:
                raise NotProven(f"the tree shows {n} maximal affine pieces, the claim says {c.number}")
            bounds["count"] = n
            text = f"{n} maximal affine pieces"
        elif c.prop == "l2_error":
            if result["volume"] != 1:
                raise NotProven(f"the leaves' simplices have total volume {q_str(result['volume'])}, not 1: the "
                                f"vertices do not fill [0, 1]^{c.net.d}")
            if result["integral"] != c.number:
                raise NotProven(f"the integral of (N - T)^2 over [0, 1]^{c.net.d} is {q_str(result['integral'])}, "
                                f"not {q_str(c.number)}")
            bounds["l2_error"] = q_str(result["integral"])
            text = f"integral of (N - T)^2 = {q_str(result['integral'])} (~{float(result['integral']):.6g})"
        else:
            text = what[c.prop] + f", T = {c.target.text(c.net.d)}"
        return Proven(f"{text} on {c.domain.text(c.net.d)} ({c.net.size_text()}; split tree: "
                      f"{result['leaves']} leaves, {len(c.proof.nodes)} nodes)", bounds)

    def describe(self, c: Claim) -> str:
        """Network size, target, domain, property (with its number) and the size of the proof, for
        ``certify show`` (no checking)."""
        lines = [f"network:  {c.net.size_text()}, {c.net.n_hidden} hidden neurons",
                 f"target:   {c.target.text(c.net.d)}",
                 f"domain:   {c.domain.text(c.net.d)}",
                 f"property: {c.prop}" + (f" ({q_str(c.number)})" if isinstance(c.number, fmpq) else
                                          f" ({c.number})" if c.number is not None else "")]
        if isinstance(c.proof, Modular):
            lines.append(f"proof:    modular, {len(c.proof.stages)} stages, {c.proof.proofs} lemma(s), "
                         f"{c.proof.lemma_nodes} nodes")
        else:
            lines.append(f"proof:    split tree, {len(c.proof.nodes)} nodes, {c.proof.leaves} leaves")
        return "\n".join(lines)


KIND = ReluNetworkExact()

"""relu-network-exact: certificates built by the producer are PROVEN; tampered ones are rejected cleanly,
each next to the valid case it breaks (docs/networks.md)."""
from __future__ import annotations

import copy
import json
import math
import time
from fractions import Fraction

import pytest
from helpers import assert_proven, assert_rejected, decide, load

from certify.networks.cli import construction
from certify.networks.exact import make_domain, make_target
from certify.networks.prove import prove
from certify.publishing import build_certificate


class _Args:
    neurons, seed = 6, 0


def make(name: str, d: int, method: str = "auto") -> dict:
    stem, net, target, domain, prop = construction(name, d, _Args())
    out = prove(net, target, domain, prop, method=method)
    return build_certificate("relu-network-exact", out.claim, out.evidence)


@pytest.fixture(scope="module")
def max_tree():
    return make("max", 3, "split_tree")


@pytest.fixture(scope="module")
def max_mod():
    return make("max", 8)


@pytest.fixture(scope="module")
def l2_cert():
    return make("approx-max", 3)


def c(x):
    return copy.deepcopy(x)


def nodes(cert):
    return cert["proof"]["nodes"]


def first(cert, key):
    return next(i for i, n in enumerate(nodes(cert)) if key in n)


# --------------------------------------------------------------------------- acceptance


@pytest.mark.parametrize("name,d,method", [("max", 3, "split_tree"), ("max", 8, "auto"), ("min", 5, "auto"),
                                           ("median", 5, "auto"), ("median", 3, "split_tree"), ("deep-box", 2, "auto"),
                                           ("approx-max", 3, "auto"), ("approx-max-within", 3, "auto"),
                                           ("regions", 2, "auto"), ("pieces", 1, "auto")])
def test_producer_certificates_are_proven(name, d, method):
    assert_proven(make(name, d, method))


def test_l2_value_is_the_exact_integral(l2_cert):
    v = assert_proven(l2_cert)
    assert v.bounds["l2_error"] == "1643/655360"


def test_stored_max32_is_modular_and_fast():
    cert = load("networks/max/max-d32.json")
    t = time.perf_counter()
    v = assert_proven(cert)
    assert time.perf_counter() - t < 2
    assert v.bounds["method"] == "modular" and v.bounds["lemmas"] == 1


# --------------------------------------------------------------------------- the network itself


def _one_ulp(cert, layer=0):
    W = cert["claim"]["network"]["layers"][layer]["weights"]
    for row in W:
        for j, v in enumerate(row):
            if v == 1:
                f = Fraction(math.nextafter(1.0, 2.0))
                row[j] = f"{f.numerator}/{f.denominator}"
                return cert
    raise AssertionError("no weight 1")


def test_weight_moved_by_one_ulp_split_tree(max_tree):
    assert_rejected(_one_ulp(c(max_tree)))


def test_weight_moved_by_one_ulp_modular(max_mod):
    assert_rejected(_one_ulp(c(max_mod)))
    assert_rejected(_one_ulp(c(max_mod), layer=1), "W_2")


def test_stored_max5_two_hidden_layers_is_proven_and_a_moved_weight_is_not():
    """max of 5 with two hidden layers (docs/results/networks.md): the stored certificate is PROVEN; a first-layer
    weight moved by one ulp, or an output weight 1/2 moved by 1/1024, is rejected."""
    cert = load("networks/max/max-d05-two-hidden.json")
    t = time.perf_counter()
    v = assert_proven(cert)
    assert time.perf_counter() - t < 5
    layers = cert["claim"]["network"]["layers"]
    assert len(layers) == 3 and cert["claim"]["target"]["type"] == "max" and v.bounds["method"] == "split_tree"
    assert_rejected(_one_ulp(c(cert)))
    moved = c(cert)
    out = moved["claim"]["network"]["layers"][2]["weights"][0]
    k = out.index("1/2")
    out[k] = "513/1024"
    assert_rejected(moved)


def test_wrong_target_modular(max_mod):
    cert = c(max_mod)
    cert["claim"]["target"] = {"type": "min"}
    assert_rejected(cert, "min-terms")


def test_median_network_is_not_max():
    cert = make("median", 5)
    cert["claim"]["target"] = {"type": "max"}
    assert_rejected(cert, "not the 5-th smallest")


# --------------------------------------------------------------------------- split trees


def test_missing_branch(max_tree):
    cert = c(max_tree)
    i = first(cert, "leaf")
    nodes(cert)[i] = {"infeasible": []}
    assert_rejected(cert, "Farkas")


def test_farkas_vector_that_does_not_certify():
    cert = make("max", 2, "split_tree")
    # a leaf region that is not empty, "proven" empty with a multiplier of one row
    i = first(cert, "leaf")
    nodes(cert)[i] = {"infeasible": [[0, "1"]]}
    assert_rejected(cert, "Farkas")


def test_flipped_sign(max_tree):
    cert = c(max_tree)
    leaf = nodes(cert)[first(cert, "leaf")]["leaf"]
    s = leaf["signs"]
    leaf["signs"] = ("-" if s[0] == "+" else "+") + s[1:]
    assert_rejected(cert, "sign")


def test_wrong_order_count(max_tree):
    cert = c(max_tree)
    leaf = nodes(cert)[first(cert, "leaf")]["leaf"]
    leaf["order"] = leaf["order"].replace("<", ">", 1)
    assert_rejected(cert)


def test_split_on_other_hyperplane_breaks_the_cover(max_tree):
    cert = c(max_tree)
    i = first(cert, "split")
    h = nodes(cert)[i]["split"]
    nodes(cert)[i]["split"] = [h[1], h[0]] + h[2:]
    assert_rejected(cert)


def test_negative_multiplier_and_missing_row(max_tree):
    cert = c(max_tree)
    leaf = nodes(cert)[first(cert, "leaf")]["leaf"]
    k = next(j for j, y in enumerate(leaf["sign_proofs"]) if y)
    leaf["sign_proofs"][k][0][1] = "-1"
    assert_rejected(cert, "negative")
    cert = c(max_tree)
    leaf = nodes(cert)[first(cert, "leaf")]["leaf"]
    leaf["sign_proofs"][k][0][0] = 999
    assert_rejected(cert, "does not exist")


def test_tree_structure(max_tree):
    cert = c(max_tree)
    i = first(cert, "split")
    nodes(cert)[i]["children"] = [nodes(cert)[i]["children"][0]] * 2
    assert_rejected(cert, "already the child")
    cert = c(max_tree)
    nodes(cert).append({"leaf": nodes(cert)[first(cert, "leaf")]["leaf"]})
    assert_rejected(cert, "child of no split")
    cert = c(max_tree)
    nodes(cert)[i]["split"] = ["0"] * len(nodes(cert)[i]["split"])
    assert_rejected(cert, "all zero")


def test_equals_false_leaf():
    cert = make("max", 2, "split_tree")
    cert["claim"]["target"] = {"type": "min"}
    assert_rejected(cert)


# --------------------------------------------------------------------------- properties


def test_wrong_l2_value(l2_cert):
    cert = c(l2_cert)
    cert["claim"]["property"]["value"] = "1643/655361"
    assert_rejected(cert, "not 1643/655361")


def test_leaves_that_do_not_cover_the_cube(l2_cert):
    cert = c(l2_cert)
    leaf = next(n["leaf"] for n in nodes(cert) if "leaf" in n and len(n["leaf"]["vertices"]) > 3)
    leaf["vertices"].pop()
    assert_rejected(cert, "volume")


def test_vertex_outside_its_leaf(l2_cert):
    cert = c(l2_cert)
    leaf = next(n["leaf"] for n in nodes(cert) if "leaf" in n)
    leaf["vertices"][0] = ["2"] * 3
    assert_rejected(cert, "violates")


def test_within_epsilon_too_small():
    cert = make("approx-max-within", 3)
    cert["claim"]["property"]["epsilon"] = "1/1000"
    assert_rejected(cert, "epsilon")


def test_region_count_and_witnesses():
    cert = make("regions", 2)
    n = cert["claim"]["property"]["count"]
    bad = c(cert)
    bad["claim"]["property"]["count"] = n + 1
    assert_rejected(bad, "activation regions")
    bad = c(cert)
    for node in nodes(bad):
        if "leaf" in node:
            del node["leaf"]["witness"]
            break
    assert_rejected(bad, "witness")
    bad = c(cert)
    leaf = next(n["leaf"] for n in nodes(bad) if "leaf" in n)
    leaf["witness"] = ["2", "0"]  # on the boundary of the box: not interior
    assert_rejected(bad, "witness")


def test_piece_count():
    cert = make("pieces", 1)
    cert["claim"]["property"]["count"] -= 1
    assert_rejected(cert, "pieces")


# --------------------------------------------------------------------------- limits, refused quickly


def _fast(cert, *fragments):
    t = time.perf_counter()
    assert_rejected(cert, *fragments)
    assert time.perf_counter() - t < 1.0


def test_huge_rational_is_refused(max_tree):
    cert = c(max_tree)
    cert["claim"]["network"]["layers"][0]["bias"][0] = "1" * 20000 + "/3"
    _fast(cert, "limit")


def test_deep_and_wide_networks_are_refused():
    layer = {"weights": [["1"]], "bias": ["0"]}
    net = {"input_dim": 1, "layers": [layer] * 65}
    cert = {"format": "certify-certificate", "version": 1, "kind": "relu-network-exact",
            "claim": {"statement": "", "network": net, "target": {"type": "abs"}, "domain": {"type": "all"},
                      "property": {"type": "equals"}}, "proof": {"method": "split_tree", "nodes": [{"infeasible": []}]}}
    _fast(cert, "limit")
    wide = {"input_dim": 1, "layers": [{"weights": [["1"]] * 300, "bias": ["0"] * 300},
                                       {"weights": [["1"] * 300], "bias": ["0"]}]}
    cert["claim"]["network"] = wide
    _fast(cert, "limit")


def test_work_limit_is_refused():
    W = [["1"] * 8 for _ in range(256)]
    net = {"input_dim": 8, "layers": [{"weights": W, "bias": ["0"] * 256},
                                      {"weights": [["1"] * 256 for _ in range(256)], "bias": ["0"] * 256},
                                      {"weights": [["1"] * 256], "bias": ["0"]}]}
    leaf = {"leaf": {"signs": "", "sign_proofs": []}}
    cert = {"format": "certify-certificate", "version": 1, "kind": "relu-network-exact",
            "claim": {"statement": "", "network": net, "target": {"type": "max"}, "domain": {"type": "all"},
                      "property": {"type": "equals"}},
            "proof": {"method": "split_tree", "nodes": [leaf] * 200}}
    _fast(cert, "limit")


def test_malformed_fields_are_rejected(max_tree):
    for path, value, frag in [(("claim", "target"), {"type": "mode"}, "unknown target"),
                              (("claim", "domain"), {"type": "ball"}, "unknown domain"),
                              (("claim", "property"), {"type": "equals", "x": 1}, "unknown field"),
                              (("proof",), {"method": "lp", "nodes": []}, "method")]:
        cert = c(max_tree)
        obj = cert
        for k in path[:-1]:
            obj = obj[k]
        obj[path[-1]] = value
        assert_rejected(cert, frag)
    cert = c(max_tree)
    cert["claim"]["network"]["layers"][0]["weights"][0][0] = 0.5  # a float is not an exact rational
    assert_rejected(cert, "exact rational")
    text = json.dumps(max_tree).replace('"signs": "', '"signs": NaN, "x": "', 1)
    assert "checker error" not in decide(text).message and not decide(text).proven

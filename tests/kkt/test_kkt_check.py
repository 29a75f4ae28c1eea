"""The trusted kkt-max-margin checker: what it must accept and what it must reject."""
import copy
import json
from pathlib import Path

import pytest
from helpers import assert_rejected, decide, restate
from helpers import load as load_certificate_json

from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data, check_file
from certify.kernel.kkt.kind import KIND

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certificates" / "kkt"
STORED = ["relu_wide_angle.json", "diagonal_depth2.json", "linear_depth3.json", "relu_gd_wide_angle.json",
          "relu_clusters_adjusted.json"]


def load(name):
    return load_certificate_json(f"kkt/{name}")


def verdict(tmp_path, cert, keep_statement=False):
    """The kernel's verdict (the statement rebuilt from the fields unless ``keep_statement``)."""
    return decide(cert if keep_statement else restate(cert))


def rejected(tmp_path, cert, *fragments, keep_statement=False):
    """Rejected cleanly with every fragment in the message (tests/helpers.py)."""
    assert_rejected(cert, *fragments, restated=not keep_statement)
    return verdict(tmp_path, cert, keep_statement)


# ---------------------------------------------------------------- accepted


@pytest.mark.parametrize("name", STORED)
def test_stored_certificates_are_proven(name):
    v = check_file(CERTS / name)
    assert v.proven, v.message


def test_stored_certificates_cover_the_deliverables():
    kinds = {n: load(n)["claim"] for n in STORED}
    assert kinds["relu_wide_angle.json"]["architecture"]["type"] == "two_layer_relu"
    assert kinds["diagonal_depth2.json"]["architecture"]["type"] == "diagonal_linear"
    for n in ("relu_wide_angle.json", "diagonal_depth2.json"):
        assert set(kinds[n]["proves"]) == {"kkt_point", "not_local_optimum", "not_global_optimum"}
    assert set(kinds["linear_depth3.json"]["proves"]) == {"kkt_point", "global_optimum"}
    gd = load("relu_gd_wide_angle.json")
    assert "not_local_optimum" in gd["claim"]["proves"] and isinstance(gd["provenance"]["seed"], int)


def test_summary_states_what_was_proven():
    proof = check_data(load("linear_depth3.json"))
    assert "global optimum" in proof.summary and proof.bounds["svm_norm_sq"] == "1/64"


# ---------------------------------------------------------------- Deliver 7 rejections


def test_tampered_multiplier_rejected(tmp_path):
    c = load("relu_wide_angle.json")
    c["evidence"]["kkt_point"]["multipliers"][0] = "2"
    rejected(tmp_path, c, "stationarity fails")
    c["evidence"]["kkt_point"]["multipliers"][0] = "-1"
    rejected(tmp_path, c, "negative")


def test_multiplier_on_inactive_example_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["kkt_point"]["multipliers"][2] = "1/10"  # example 2 has margin 2
    rejected(tmp_path, c, "complementary slackness")


def test_wrong_label_rejected(tmp_path):
    c = load("relu_wide_angle.json")
    c["claim"]["data"]["y"][0] = -1
    rejected(tmp_path, c, "not feasible")
    c = load("diagonal_depth2.json")
    c["claim"]["data"]["y"][2] = -1
    rejected(tmp_path, c, "not feasible")


def test_curve_leaving_feasible_set_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1", "-1"], ["0"]], [["1", "-1"], ["0"]]]}
    rejected(tmp_path, c, "leaves the feasible set")


def test_curve_increasing_norm_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1"], ["0", "1"]], [["1"], ["0", "1"]]]}
    rejected(tmp_path, c, "increases the norm")


def test_curve_constant_norm_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1"], ["0"]], [["1"], ["0"]]]}
    rejected(tmp_path, c, "norm constant")


def test_t0_with_root_inside_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    # margin of example 2 along the curve: 2(1-t^2)^2 - t^2, equal to 1 at t ~ 0.468 < 1/2
    c["evidence"]["not_local_optimum"]["t0"] = "1/2"
    rejected(tmp_path, c, "example 2", "root inside")


def test_relu_pre_activation_sign_change_rejected(tmp_path):
    c = load("relu_wide_angle.json")
    c["evidence"]["not_local_optimum"]["t0"] = "2"  # w_0(t).x_0 = 1 - 3t^2/10 vanishes at t ~ 1.83
    rejected(tmp_path, c, "changes sign")


def test_curve_not_starting_at_point_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = ["11/10", "0", "-1"]
    rejected(tmp_path, c, "does not start at theta*")


def test_better_point_not_smaller_or_infeasible_rejected(tmp_path):
    c = load("diagonal_depth2.json")
    c["evidence"]["not_global_optimum"]["point"] = {"u": [["1", "0"], ["1", "0"]]}
    rejected(tmp_path, c, "not smaller")
    c["evidence"]["not_global_optimum"]["point"] = {"u": [["1/2", "0"], ["1/2", "0"]]}
    rejected(tmp_path, c, "not feasible")


def test_unbalanced_linear_point_rejected(tmp_path):
    c = load("linear_depth3.json")
    W = c["claim"]["point"]["W"]
    from fractions import Fraction as F
    W[0] = [[str(F(v) * 2) for v in row] for row in W[0]]
    W[1] = [[str(F(v) / 2) for v in row] for row in W[1]]  # same predictor, larger norm
    c["claim"]["proves"] = ["global_optimum"]
    del c["evidence"]["kkt_point"]
    rejected(tmp_path, c, "not balanced")


def test_tampered_svm_dual_rejected(tmp_path):
    c = load("linear_depth3.json")
    c["evidence"]["global_optimum"]["dual"][2] = "1/1000"
    rejected(tmp_path, c, "dual certificate fails")
    c = load("linear_depth3.json")
    c["evidence"]["global_optimum"]["dual"] = ["-1/128", "1/128", "0"]
    rejected(tmp_path, c, "negative")


def test_global_optimum_only_for_linear(tmp_path):
    c = load("relu_wide_angle.json")
    c["claim"]["proves"].append("global_optimum")
    c["evidence"]["global_optimum"] = {"dual": [0, 0, 0]}
    rejected(tmp_path, c, "applies only to fully_connected_linear")


def test_clarke_choices_checked(tmp_path):
    c = load("relu_wide_angle.json")
    ch = c["evidence"]["kkt_point"]["clarke_choices"]
    ch[0]["value"] = "3/2"
    rejected(tmp_path, c, "in [0, 1]")
    c = load("relu_wide_angle.json")
    c["evidence"]["kkt_point"]["clarke_choices"] = []
    rejected(tmp_path, c, "no choice of relu'(0)")
    c = load("relu_wide_angle.json")
    c["evidence"]["kkt_point"]["clarke_choices"].append({"example": 0, "neuron": 0, "value": 0})
    rejected(tmp_path, c, "pre-activation 1 != 0")
    c = load("relu_wide_angle.json")
    # example 2, neuron 0 has pre-activation 0; choosing relu'(0) = 1 breaks stationarity
    for e in c["evidence"]["kkt_point"]["clarke_choices"]:
        if e["example"] == 2 and e["neuron"] == 0:
            e["value"] = 1
    rejected(tmp_path, c, "stationarity fails")


# ---------------------------------------------------------------- malformed input


@pytest.mark.parametrize("mutate, fragment", [
    (lambda c: c["claim"]["point"]["u"][0].__setitem__(0, 1.0), "expected an exact rational"),
    (lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "0.5"), "expected an exact rational"),
    (lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "1/0"), "zero denominator"),
    (lambda c: c["claim"]["point"]["u"][0].__setitem__(0, True), "expected an exact rational"),
    (lambda c: c["claim"]["data"]["x"][0].append("1"), "expected a list of 2 entries"),
    (lambda c: c["claim"]["point"]["u"].append(["1", "0"]), "expected a list of 2 rows"),
    (lambda c: c["claim"]["data"]["y"].pop(), "one per example"),
    (lambda c: c["claim"]["data"]["y"].__setitem__(0, 2), "labels must be +1 or -1"),
    (lambda c: c["claim"]["data"]["y"].__setitem__(0, 0), "labels must be +1 or -1"),
    (lambda c: c["claim"]["architecture"].__setitem__("type", "resnet"), "unknown architecture 'resnet'"),
    (lambda c: c["claim"]["architecture"].__setitem__("depth", 1), "must be >= 2"),
    (lambda c: c["claim"]["architecture"].__setitem__("input_dim", 3), "expected a list of 3 entries"),
    (lambda c: c["claim"].pop("point"), "missing field 'claim.point'"),
    (lambda c: c["claim"].pop("architecture"), "missing field 'claim.architecture'"),
    (lambda c: c["claim"].__setitem__("proves", []), "non-empty list"),
    (lambda c: c["claim"].__setitem__("proves", ["kkt_point", "kkt_point"]), "twice"),
    (lambda c: c["claim"].__setitem__("proves", ["is_great"]), "unknown claim"),
    (lambda c: c["claim"].__setitem__("proves", ["kkt_point"]), "not listed in claim.proves"),
    (lambda c: c.pop("evidence"), "missing field 'evidence'"),
    (lambda c: c["evidence"]["kkt_point"].pop("multipliers"), "missing field 'evidence.kkt_point.multipliers'"),
    (lambda c: c["evidence"]["kkt_point"]["multipliers"].pop(), "one per example"),
    (lambda c: c["evidence"]["not_local_optimum"].__setitem__("t0", "0"), "t0 must be positive"),
    (lambda c: c["evidence"]["not_local_optimum"].__setitem__("t0", 0.25), "expected an exact rational"),
    (lambda c: c["evidence"]["not_local_optimum"]["curve"]["u"][0].__setitem__(0, []), "coefficients"),
    (lambda c: c["evidence"]["not_local_optimum"]["curve"]["u"][0].__setitem__(0, ["1"] * 40), "coefficients"),
    (lambda c: c["evidence"]["kkt_point"].__setitem__("clarke_choices", [{"example": 0, "neuron": 0, "value": 0}]),
     "apply only to two_layer_relu"),
    (lambda c: c["claim"].__setitem__("extra", 1), "unknown field"),
    (lambda c: c["claim"]["point"].__setitem__("w", []), "unknown field"),
    (lambda c: c.__setitem__("version", 3), "format version 3"),
    (lambda c: c.__setitem__("version", 1), "format version 1"),
    (lambda c: c.pop("version"), "missing field 'version'"),
])
def test_malformed_rejected_with_clear_message(tmp_path, mutate, fragment):
    c = load("diagonal_depth2.json")
    mutate(c)
    rejected(tmp_path, c, fragment)


def test_malformed_relu_fields(tmp_path):
    c = load("relu_wide_angle.json")
    c["claim"]["point"]["v"] = ["1", "1", "0"]
    rejected(tmp_path, c, "claim.point.v", "4 entries")
    c = load("relu_wide_angle.json")
    c["claim"]["architecture"]["width"] = "4"
    rejected(tmp_path, c, "must be an integer")
    c = load("linear_depth3.json")
    c["claim"]["architecture"]["hidden_widths"] = [2]
    rejected(tmp_path, c, "hidden_widths")


def test_checker_does_not_import_search():
    import ast

    for mod in ("kind.py", "networks.py", "polynomials.py"):
        tree = ast.parse((ROOT / "certify" / "kernel" / "kkt" / mod).read_text())
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names.add(("." * node.level) + (node.module or ""))
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        allowed = {"__future__", "fractions", "dataclasses", "typing", "math", "flint", "..certificate",
                   "..contract", ".networks", ".polynomials"}
        assert names <= allowed, (mod, names - allowed)
        assert "float(" not in (ROOT / "certify" / "kernel" / "kkt" / mod).read_text(), mod

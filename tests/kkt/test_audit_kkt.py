"""Adversarial audit of the trusted kkt-max-margin checker (certify/kernel/kkt: kind.py, networks.py,
polynomials.py): Sturm-sequence signs against independent ground truth, Clarke
choices at zero pre-activations, curve logic, the linear global-optimality
identity, and malformed / oversized inputs.  Every attack here must be rejected
(or, for true claims, accepted) cleanly."""
from __future__ import annotations

import copy
import itertools
import json
import random
from fractions import Fraction as F
from pathlib import Path

import pytest
from helpers import assert_rejected
from helpers import load as load_certificate_json
from helpers import restate as restated

from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data, check_file
from certify.kernel.kkt.kind import KIND
from certify.kernel.kkt.polynomials import Poly, count_roots_open, sign_on_interval

ROOT = Path(__file__).resolve().parents[2]
CERTS = ROOT / "certificates" / "kkt"
REJECTED = (CertificateError, NotProven)


def load(name):
    return load_certificate_json(f"kkt/{name}")


def accepted(cert):
    return check_data(restated(cert))


def rejected(cert, *fragments):
    """Rejected cleanly after the statement is rebuilt from the (mutated) fields (tests/helpers.py)."""
    restated(cert)
    return assert_rejected(cert, *fragments, restated=False)


def envelope(claim: dict, evidence: dict) -> dict:
    return {"format": "certify-certificate", "version": 2, "kind": "kkt-max-margin",
            "claim": {"statement": "audit", **claim}, "evidence": evidence}


# ============================================================================ Sturm signs


def poly_from_roots(lead: F, roots: list[tuple[F, int]], k: int = 0) -> Poly:
    p = Poly.const(lead)
    for r, mult in roots:
        for _ in range(mult):
            p = p * Poly((-r, 1))
    return p * Poly([0] * k + [1])


def true_sign_on(lead: F, roots: list[tuple[F, int]], k: int, t0: F):
    """Ground truth from the known real roots: None if some root lies in (0, t0]."""
    if any(0 < r <= t0 for r, _ in roots):
        return None
    t = t0  # no root in (0, t0]: the sign at t0 is the sign everywhere there
    val = lead * t**k
    for r, mult in roots:
        val *= (t - r) ** mult
    return 1 if val > 0 else -1


def test_sign_on_interval_against_known_roots():
    rng = random.Random(11)
    t0s = [F(1, 2), F(1), F(1, 1000), F(3, 7)]
    for trial in range(400):
        t0 = rng.choice(t0s)
        roots = []
        for _ in range(rng.randint(0, 4)):
            # roots near and at the ends of (0, t0], and outside it
            r = rng.choice([t0, t0 / 2, t0 * F(999, 1000), t0 * F(1001, 1000), -t0, F(0), 2 * t0,
                            t0 * F(rng.randint(1, 99), 100), -F(rng.randint(1, 9), 7)])
            if r == 0:
                continue
            roots.append((r, rng.randint(1, 3)))
        k = rng.randint(0, 3)
        lead = F(rng.choice([-3, -1, 1, 2]), rng.randint(1, 5))
        # an irreducible quadratic factor t^2 + c (c > 0) never changes the sign
        p = poly_from_roots(lead, roots, k)
        if rng.random() < 0.3:
            p = p * Poly((F(rng.randint(1, 5), 3), 0, 1))
        expected = true_sign_on(lead, roots, k, t0)
        if expected is None:
            with pytest.raises(NotProven):
                sign_on_interval(p, t0)
        else:
            assert sign_on_interval(p, t0) == expected, (roots, k, t0)


def test_sign_on_interval_edge_cases():
    t = Poly((0, 1))
    assert sign_on_interval(Poly(), F(1)) == 0  # the zero polynomial
    assert sign_on_interval(Poly((0, 0, 0)), F(1)) == 0  # zeros are stripped
    assert sign_on_interval(t * t * t, F(1)) == 1  # root only at 0
    assert sign_on_interval(-(t * t), F(1)) == -1
    with pytest.raises(NotProven, match="t0"):
        sign_on_interval(t - F(1, 2), F(1, 2))  # root exactly at t0
    with pytest.raises(NotProven):
        sign_on_interval((t - F(1, 4)) * (t - F(1, 4)), F(1, 2))  # double root: sign never negative, still refused
    with pytest.raises(NotProven):
        sign_on_interval(t * (t - F(1, 3)) * (t - F(1, 3)), F(1))
    assert sign_on_interval((t - F(1, 4)) * (t - F(1, 4)), F(1, 5)) == 1
    with pytest.raises(NotProven):
        sign_on_interval(t, F(0))
    with pytest.raises(NotProven):
        sign_on_interval(t, F(-1))
    # a huge t0 and huge coefficients are exact, not rounded
    big = F(10**300 + 1, 10**300)
    assert sign_on_interval(t - big, F(1)) == -1
    with pytest.raises(NotProven):
        sign_on_interval(t - big, big)
    assert sign_on_interval(t * t + 1, F(10**1000)) == 1


def test_sturm_counts_distinct_roots_with_multiplicities():
    t = Poly((0, 1))
    p = (t - F(1, 3)) * (t - F(1, 3)) * (t - F(1, 3)) * (t - F(2, 3)) * (t * t + 1)
    assert count_roots_open(p, 0, 1) == 2
    assert count_roots_open(p, F(1, 2), 1) == 1
    assert count_roots_open(p, -5, F(1, 4)) == 0


# ============================================================================ Clarke choices

# Hand-made two-layer ReLU KKT point where Clarke's choice matters:
# x_0 = (5/4, 0), x_1 = (-3/5, 4/5), y = (1, 1); neuron 0: w = (4/5, 3/5), v = 1 (active on x_0,
# exactly zero on x_1); neuron 1: w = (-3/5, 4/5), v = 1 (active on x_1); neuron 2 dead (0, 0).
# lambda = (1, 1).  Stationarity for w_0: (4/5, 3/5) = 1*(5/4, 0) + s*(-3/5, 4/5) forces s = 3/4.


def clarke_cert(s0="3/4", extra_choices=None) -> dict:
    choices = [{"example": 1, "neuron": 0, "value": s0},
               {"example": 0, "neuron": 2, "value": "1/2"},
               {"example": 1, "neuron": 2, "value": 1}]
    if extra_choices is not None:
        choices = extra_choices
    return envelope(
        {"architecture": {"type": "two_layer_relu", "input_dim": 2, "width": 3},
         "data": {"x": [["5/4", "0"], ["-3/5", "4/5"]], "y": [1, 1]},
         "point": {"w": [["4/5", "3/5"], ["-3/5", "4/5"], ["0", "0"]], "v": ["1", "1", "0"]},
         "proves": ["kkt_point"]},
        {"kkt_point": {"multipliers": ["1", "1"], "clarke_choices": choices}})


def test_clarke_choice_strictly_inside_the_interval_is_accepted():
    assert "KKT point" in accepted(clarke_cert()).summary


def test_wrong_clarke_choices_are_rejected():
    for s in ("1/2", "1", "0", "7/10"):
        rejected(clarke_cert(s), "stationarity")
    for s in ("3/2", "-1/4"):
        rejected(clarke_cert(s), "[0, 1]")


def test_every_zero_pre_activation_with_positive_multiplier_needs_a_choice():
    full = clarke_cert()["evidence"]["kkt_point"]["clarke_choices"]
    for drop in range(len(full)):
        cert = clarke_cert(extra_choices=[c for k, c in enumerate(full) if k != drop])
        rejected(cert, "no choice")


def test_choice_at_a_non_zero_pre_activation_or_twice_is_rejected():
    full = clarke_cert()["evidence"]["kkt_point"]["clarke_choices"]
    rejected(clarke_cert(extra_choices=full + [{"example": 0, "neuron": 0, "value": "1"}]), "!= 0")
    rejected(clarke_cert(extra_choices=full + [dict(full[0])]), "second choice")
    for bad in ({"example": 1, "neuron": 3, "value": "0"}, {"example": 2, "neuron": 0, "value": "0"},
                {"example": True, "neuron": 0, "value": "0"}, {"example": 1, "neuron": 0},
                {"example": 1, "neuron": 0, "value": "0", "x": 1}, {"example": 1.0, "neuron": 0, "value": "0"}):
        rejected(clarke_cert(extra_choices=[bad] + full[1:]))


def test_dead_neuron_choices_do_not_matter_but_are_bounded():
    # v_2 = 0: every s in [0, 1] gives the same (zero) gradient, and they are accepted
    for s in ("0", "1", "1/3"):
        choices = clarke_cert()["evidence"]["kkt_point"]["clarke_choices"]
        choices[1]["value"] = s
        assert accepted(clarke_cert(extra_choices=choices))


def test_clarke_choices_rejected_for_smooth_architectures():
    cert = load("linear_depth3.json")
    cert["evidence"]["kkt_point"]["clarke_choices"] = [{"example": 0, "neuron": 0, "value": "0"}]
    rejected(cert, "apply only to two_layer_relu")


def test_complementary_slackness_and_negative_multipliers():
    cert = clarke_cert()
    cert["evidence"]["kkt_point"]["multipliers"] = ["-1", "1"]
    rejected(cert)
    cert = load("relu_wide_angle.json")
    cert["claim"]["point"]["v"][3] = "-2"  # margin of example 2 becomes 2 while lambda_2 = 1
    cert["claim"]["point"]["w"][3] = ["0", "-1"]
    rejected(cert)


# ============================================================================ not a local optimum


def diag_cert() -> dict:
    return load("diagonal_depth2.json")


def test_constant_curve_is_rejected():
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1"], ["0"]], [["1"], ["0"]]]}
    rejected(cert, "keeps the norm constant")


def test_curve_that_leaves_feasibility_at_higher_order_is_rejected():
    # u = v = (1 - t^2, 0): margin (1 - t^2)^2 < 1 on (0, t0]
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1", "0", "-1"], ["0"]], [["1", "0", "-1"], ["0"]]]}
    rejected(cert, "leaves the feasible set")


def test_curve_starting_elsewhere_or_with_bad_t0_is_rejected():
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = ["1", "1"]  # still starts at 1 ...
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = ["1/2", "1"]  # ... now it does not
    rejected(cert, "does not start")
    for t0 in ("0", "-1/4", "1/0", 0.25, "0.25", None, "1/4\n"):
        cert = diag_cert()
        cert["evidence"]["not_local_optimum"]["t0"] = t0
        rejected(cert)


def test_curve_degree_and_shape_limits():
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = ["1"] + ["0"] * 17  # degree 17 > 16
    rejected(cert, "1 to 17")
    assert "curve degree limit" in rejected(diag_cert_with_degree(17))
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = []
    rejected(cert)
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = "1"
    rejected(cert)


def diag_cert_with_degree(degree: int) -> dict:
    cert = diag_cert()
    cert["evidence"]["not_local_optimum"]["curve"]["u"][0][0] = ["1"] + ["0"] * degree
    return cert


def test_relu_curve_with_identically_zero_pre_activations_is_handled_exactly():
    # the stored relu certificate keeps neuron 3's pre-activation on example 0 identically 0
    # along the curve; replacing the growing direction by one that changes sign is refused
    cert = load("relu_wide_angle.json")
    assert accepted(copy.deepcopy(cert))
    cert["evidence"]["not_local_optimum"]["curve"]["w"][2] = [["0", "3/5"], ["0", "-4/5", "0", "10"]]
    rejected(cert, "pre-activation of neuron 2 on example 1 changes sign")


def test_not_local_optimum_requires_a_feasible_point():
    cert = diag_cert()
    cert["claim"]["point"]["u"] = [["1/2", "0"], ["1", "0"]]
    cert["evidence"]["not_local_optimum"]["curve"] = {"u": [[["1/2", "0", "-1"], ["0", "1"]],
                                                            [["1", "0", "-1"], ["0", "1"]]]}
    cert["claim"]["proves"] = ["not_local_optimum"]
    del cert["evidence"]["kkt_point"], cert["evidence"]["not_global_optimum"]
    rejected(cert, "not feasible")


# ============================================================================ linear global optimum


def lin_cert() -> dict:
    return load("linear_depth3.json")


def test_rescaled_layers_keep_beta_but_break_the_balance_identity():
    cert = lin_cert()
    W = cert["claim"]["point"]["W"]
    W[0] = [[str(F(x) * 2) for x in row] for row in W[0]]
    W[2] = [[str(F(x) / 2) for x in row] for row in W[2]]
    cert["claim"]["proves"] = ["global_optimum"]
    del cert["evidence"]["kkt_point"]
    rejected(cert, "not balanced")


def test_balanced_but_suboptimal_predictor_is_rejected():
    # scaling every layer by 2^(1/3) is irrational; instead scale theta by (2, 2, 2): beta * 8,
    # norm * 4 -> (4|theta|^2/3)^3 = 64 (|theta|^2/3)^3 = 64 |beta|^2 = |8 beta|^2: identity holds,
    # but beta* is no longer the SVM solution (margins 8, not 1) -> dual / slackness checks fail
    cert = lin_cert()
    W = cert["claim"]["point"]["W"]
    cert["claim"]["point"]["W"] = [[[str(F(x) * 2) for x in row] for row in M] for M in W]
    cert["claim"]["proves"] = ["global_optimum"]
    del cert["evidence"]["kkt_point"]
    rejected(cert)


def test_dual_variables_must_be_exact_and_nonnegative():
    for dual in (["1/128", "1/128", "1/1000"], ["-1/128", "1/128", "0"], ["1/128", "1/128"],
                 ["1/128", "1/128", "0", "0"], [0.0078125, "1/128", "0"]):
        cert = lin_cert()
        cert["evidence"]["global_optimum"]["dual"] = dual
        rejected(cert)


def test_global_optimum_claim_refused_for_other_architectures():
    cert = diag_cert()
    cert["claim"]["proves"] = ["global_optimum"]
    cert["evidence"] = {"global_optimum": {"dual": ["1", "0", "0"]}}
    rejected(cert, "only to fully_connected_linear")


def test_linear_shapes_and_hidden_widths_are_checked():
    for arch_change in ({"hidden_widths": [2]}, {"hidden_widths": [2, 3]}, {"hidden_widths": [2, 0]},
                        {"hidden_widths": [2, True]}, {"depth": 1, "hidden_widths": []}, {"input_dim": 2}):
        cert = lin_cert()
        cert["claim"]["architecture"].update(arch_change)
        rejected(cert)
    cert = lin_cert()
    cert["claim"]["point"]["W"][2] = [["5/26", "6/13"], ["0", "0"]]  # W_L must be 1 x h
    rejected(cert)


# ============================================================================ data, labels, envelope


@pytest.mark.parametrize("labels", [[1, -1, 2], [1, -1, 0], [1, -1, "1/2"], [1, -1, True], [1, -1],
                                    [1, -1, 1, 1], [1, -1, 1.0], [1, -1, None]])
def test_labels_must_be_plus_minus_one(labels):
    cert = diag_cert()
    cert["claim"]["data"]["y"] = labels
    rejected(cert)


def test_equivalent_label_spellings_mean_the_same_number():
    cert = diag_cert()
    cert["claim"]["data"]["y"] = ["1", "-2/2", "3/3"]
    assert accepted(cert)


@pytest.mark.parametrize("mutate", [
    lambda c: c["claim"]["data"]["x"].append(["1", "1"]),
    lambda c: c["claim"]["data"]["x"][0].append("1"),
    lambda c: c["claim"]["data"].update(x=[]),
    lambda c: c["claim"]["data"].update(z=1),
    lambda c: c["claim"].update(proves=["kkt_point", "kkt_point"]),
    lambda c: c["claim"].update(proves=[]),
    lambda c: c["claim"].update(proves=[["kkt_point"]]),
    lambda c: c["claim"].update(proves=[{"a": 1}]),
    lambda c: c["claim"].update(proves="kkt_point"),
    lambda c: c["claim"].update(extra=1),
    lambda c: c["evidence"].update(global_optimum={"dual": []}),
    lambda c: c["evidence"].pop("kkt_point"),
    lambda c: c["evidence"]["kkt_point"].update(extra=1),
    lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "9" * 5000),  # > 4300 digits
    lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "1/" + "3" * 9000),
    lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "1" * 10001),
    lambda c: c["claim"]["architecture"].update(input_dim=100001),
    lambda c: c["claim"]["architecture"].update(input_dim=1001),
    lambda c: c["claim"]["architecture"].update(depth=1001),
    lambda c: c["claim"]["architecture"].update(depth=17),
    lambda c: c["claim"]["point"]["u"][0].__setitem__(0, "1/" + "3" * 1000),
    lambda c: c["claim"]["architecture"].update(type="two_layer_relu"),
    lambda c: c["claim"].update(statement=7),
])
def test_malformed_instances_are_clean_rejections(mutate, tmp_path):
    cert = diag_cert()
    mutate(cert)
    rejected(cert)
    p = tmp_path / "c.json"
    p.write_text(json.dumps(cert))
    v = check_file(p)
    assert not v.proven and "checker error" not in v.message, v.message


def test_parameter_count_limit():
    cert = envelope({"architecture": {"type": "two_layer_relu", "input_dim": 100000, "width": 100000},
                     "data": {"x": [["0"]], "y": [1]}, "point": {"w": [], "v": []}, "proves": ["kkt_point"]},
                    {"kkt_point": {"multipliers": ["0"]}})
    rejected(cert, "input_dim")
    cert["claim"]["architecture"].update(input_dim=1000, width=1000)
    rejected(cert, "parameters")


def test_huge_but_legal_numbers_are_exact():
    """Multiplying the diagonal instance's data by a huge power of ten (far beyond binary64's range,
    within the 1000-character limit per rational), and the point and multipliers accordingly, keeps a
    true claim true (exact rationals, no overflow)."""
    cert = diag_cert()
    s = F(10**450)
    cert["claim"]["data"]["x"] = [[str(F(v) * s * s) for v in row] for row in cert["claim"]["data"]["x"]]
    cert["claim"]["point"]["u"] = [[str(F(v) / s) for v in row] for row in cert["claim"]["point"]["u"]]
    cert["claim"]["proves"] = ["kkt_point"]
    cert["evidence"] = {"kkt_point": {"multipliers": [str(F(v) / (s * s)) for v in
                                                      cert["evidence"]["kkt_point"]["multipliers"]]}}
    # u = lambda v.x and v = lambda u.x: with x -> s^2 x, u -> u/s, lambda -> lambda/s^2 still hold
    assert accepted(cert)

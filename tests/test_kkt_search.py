"""Untrusted search pieces: whatever they produce is decided by the trusted checker."""
from fractions import Fraction as F

import numpy as np

from certify.checking import check_data
from certify.kkt.instances import random_unit_dataset
from certify.kkt.networks import Architecture, Data
from certify.kkt.search import gradient_descent, int_root, rational_unit, search


def test_rational_helpers():
    u = rational_unit(np.array([0.6, -0.8, 0.1]))
    assert sum(c * c for c in u) == 1 and abs(float(u[0]) - 0.6 / np.sqrt(1.01)) < 1e-2
    assert int_root(3**12, 4) == 27 and int_root(10, 2) is None
    data = random_unit_dataset(5, 3, seed=1)
    assert all(sum(c * c for c in x) == 1 for x in data.x) and set(data.y) <= {1, -1}


def test_gd_is_seeded_and_separates():
    arch = Architecture("two_layer_relu", 2, width=4)
    X = np.array([[1.0, 0.0], [-0.28, 0.96]])
    y = np.array([1.0, 1.0])
    a = gradient_descent(arch, X, y, seed=5, steps=500)
    b = gradient_descent(arch, X, y, seed=5, steps=500)
    assert np.array_equal(a.theta, b.theta) and a.min_margin > 0


def test_relu_search_certifies_not_local_optimum():
    arch = Architecture("two_layer_relu", 2, width=4)
    data = Data([[F(1), F(0)], [F(-7, 25), F(24, 25)]], [1, 1])
    out = search(arch, data, seeds=range(0, 10))
    assert out.ok, out.log
    proof = check_data(out.certificate)
    assert "not a local optimum" in proof.summary
    assert out.certificate["provenance"]["seed"] == out.seed


def test_linear_search_certifies_global_optimum():
    arch = Architecture("fully_connected_linear", 3, depth=3, hidden_widths=(2, 2))
    data = Data([[F(40, 3), F(-8, 3), F(8, 3)], [F(8, 3), F(-40, 3), F(-8, 3)], [F(16), F(24), F(-8)]], [1, -1, 1])
    out = search(arch, data, seeds=range(0, 3), want_curve=False)
    assert out.ok, out.log
    assert "global optimum" in check_data(out.certificate).summary


def test_linear_search_reports_irrational_norm():
    arch = Architecture("fully_connected_linear", 2, depth=2, hidden_widths=(3,))
    data = Data([[F(1), F(4)], [F(2), F(-1)]], [1, 1])
    out = search(arch, data, seeds=range(0, 1))
    assert not out.ok and "not a 4-th power" in out.log[0]

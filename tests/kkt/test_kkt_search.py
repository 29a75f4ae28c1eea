"""Untrusted search pieces: whatever they produce is decided by the trusted checker."""
from fractions import Fraction as F

import numpy as np

from certify.kernel.checking import check_data
from certify.kernel.kkt.networks import Data
from certify.kkt.architectures import make_network
from certify.kkt.gd import gradient_descent
from certify.kkt.instances import random_unit_dataset
from certify.kkt.rational import int_root, rational_unit
from certify.kkt.search import search


def test_rational_helpers():
    u = rational_unit(np.array([0.6, -0.8, 0.1]))
    assert sum(c * c for c in u) == 1 and abs(float(u[0]) - 0.6 / np.sqrt(1.01)) < 1e-2
    assert int_root(3**12, 4) == 27 and int_root(10, 2) is None
    data = random_unit_dataset(5, 3, seed=1)
    assert all(sum(c * c for c in x) == 1 for x in data.x) and set(data.y) <= {1, -1}


def test_gd_is_seeded_and_separates():
    arch = make_network("two_layer_relu", 2, width=4)
    X = np.array([[1.0, 0.0], [-0.28, 0.96]])
    y = np.array([1.0, 1.0])
    a = gradient_descent(arch, X, y, seed=5, steps=500)
    b = gradient_descent(arch, X, y, seed=5, steps=500)
    assert np.array_equal(a.theta, b.theta) and a.min_margin > 0


def test_relu_search_certifies_not_local_optimum():
    arch = make_network("two_layer_relu", 2, width=4)
    data = Data(((F(1), F(0)), (F(-7, 25), F(24, 25))), (1, 1))
    out = search(arch, data, seeds=range(0, 10))
    assert out.ok, out.log
    proof = check_data(out.certificate)
    assert "not a local optimum" in proof.summary
    assert out.certificate["provenance"]["seed"] == out.seed


def test_linear_search_certifies_global_optimum():
    arch = make_network("fully_connected_linear", 3, depth=3, hidden_widths=(2, 2))
    data = Data(((F(40, 3), F(-8, 3), F(8, 3)), (F(8, 3), F(-40, 3), F(-8, 3)), (F(16), F(24), F(-8))), (1, -1, 1))
    out = search(arch, data, seeds=range(0, 3), want_curve=False)
    assert out.ok, out.log
    assert "global optimum" in check_data(out.certificate).summary


def test_linear_search_reports_irrational_norm():
    arch = make_network("fully_connected_linear", 2, depth=2, hidden_widths=(3,))
    data = Data(((F(1), F(4)), (F(2), F(-1))), (1, 1))
    out = search(arch, data, seeds=range(0, 1))
    assert not out.ok and "not a 4-th power" in out.log[0]


def test_failures_are_exceptions_with_the_reason():
    import pytest

    from certify.kkt.errors import SearchFailure
    from certify.kkt.linear import exact_svm
    from certify.kkt.snap import exact_multipliers

    net = make_network("diagonal_linear", 2, depth=2)
    data = Data(((F(1), F(0)), (F(-1), F(0))), (1, 1))  # not separable: no SVM
    with pytest.raises(SearchFailure, match="hard-margin SVM"):
        exact_svm(data, [0, 1])
    with pytest.raises(SearchFailure, match="theta"):
        exact_multipliers(net, [F(1), F(0), F(1), F(0)], data, [])


def test_search_network_matches_its_trusted_twin():
    """The float forward/backward of each search class agrees with the exact outputs and gradients."""
    rng = np.random.default_rng(3)
    for net in (make_network("two_layer_relu", 3, width=4), make_network("diagonal_linear", 3, depth=3),
                make_network("fully_connected_linear", 3, depth=3, hidden_widths=(2, 4))):
        theta = [F(int(v), 7) for v in rng.integers(-9, 10, net.n_params)]
        x = tuple(F(int(v), 5) for v in rng.integers(-9, 10, 3))
        data = Data((x,), (1,))
        th = np.array([float(t) for t in theta])
        X = np.array([[float(v) for v in x]])
        out, grad = net.forward_backward(th, X, np.array([1.0]))
        assert abs(out[0] - float(net.exact.outputs(theta, data)[0])) < 1e-12
        exact = net.exact.gradient(theta, x, 0, lambda i, j: F(0))
        assert np.allclose(grad, [float(g) for g in exact], atol=1e-12)
        assert net.exact.margins(theta, data) == [net.exact.outputs(theta, data)[0]]

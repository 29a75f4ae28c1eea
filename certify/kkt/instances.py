"""Hand-made instances and datasets (untrusted; the checker decides every certificate).

* :func:`relu_wide_angle` -- two-layer ReLU: two positive unit examples at
  about 106 degrees, each fitted by its own neuron, one negative example
  fitted by a fourth neuron, one dead neuron.  Growing the dead neuron along
  the bisector (3/5, 4/5) while shrinking the two fitting neurons lowers the
  norm: sum_i lambda_i y_i relu(u.x_i) = 6/5 > 1.
* :func:`diagonal_depth2` -- the worked example of the reference (x = (1, 2))
  with a mirrored negative example and an inactive third example.
* :func:`linear_depth3` -- a fully-connected linear network of depth 3 whose
  balanced rank-one KKT point is certified globally optimal.
* :func:`random_unit_dataset` -- rational points on the unit sphere (inverse
  stereographic projection of small random rationals), for the search.
"""
from __future__ import annotations

from fractions import Fraction as F

import numpy as np

from ..kernel.kkt.networks import Data
from .architectures import make_network
from .certificates import certificate, curve_evidence, kkt_evidence, svm_evidence
from .snap import exact_multipliers


def relu_wide_angle() -> dict:
    net = make_network("two_layer_relu", 2, width=4)
    data = Data(((F(1), F(0)), (F(-7, 25), F(24, 25)), (F(0), F(-1))), (1, 1, -1))
    w = [[1, 0], [F(-7, 25), F(24, 25)], [0, 0], [0, -1]]
    v = [1, 1, 0, -1]
    theta = [F(a) for row in w for a in row] + [F(a) for a in v]
    lam = [F(1), F(1), F(1)]
    c = F(3, 10)  # neurons 0 and 1 scaled by (1 - c t^2); neuron 2 grows as t (3/5, 4/5), v = t
    curve = ([[F(1), 0, -c], [F(0)]] + [[F(-7, 25), 0, F(7, 25) * c], [F(24, 25), 0, -F(24, 25) * c]]
             + [[F(0), F(3, 5)], [F(0), F(4, 5)]] + [[F(0)], [F(-1)]]
             + [[F(1), 0, -c], [F(1), 0, -c], [F(0), F(1)], [F(-1)]])
    a = F(13, 10)  # one neuron a (3/5, 4/5), a for both positive examples: margin a^2 3/5 = 1.014
    better = [F(0), F(0), F(0), F(0), a * F(3, 5), a * F(4, 5), F(0), F(-1), F(0), F(0), a, F(-1)]
    evidence = {
        "kkt_point": kkt_evidence(net, theta, data, lam),
        "not_local_optimum": curve_evidence(net, curve, F(1, 2)),
        "not_global_optimum": {"point": net.params_json(better)},
    }
    return certificate(net, data, theta, ["kkt_point", "not_local_optimum", "not_global_optimum"], evidence,
                       {"source": "hand-made (certify.kkt.instances.relu_wide_angle)"})


def diagonal_depth2() -> dict:
    net = make_network("diagonal_linear", 2, depth=2)
    data = Data(((F(1), F(2)), (F(-1), F(-2)), (F(2), F(-1))), (1, -1, 1))
    theta = [F(1), F(0), F(1), F(0)]
    lam = [F(1, 2), F(1, 2), F(0)]
    curve = [[F(1), 0, F(-1)], [F(0), F(1)], [F(1), 0, F(-1)], [F(0), F(1)]]  # u = v = (1 - t^2, t)
    better = [F(4, 5), F(1, 2), F(4, 5), F(1, 2)]
    evidence = {
        "kkt_point": kkt_evidence(net, theta, data, lam),
        "not_local_optimum": curve_evidence(net, curve, F(1, 4)),
        "not_global_optimum": {"point": net.params_json(better)},
    }
    return certificate(net, data, theta, ["kkt_point", "not_local_optimum", "not_global_optimum"], evidence,
                       {"source": "hand-made (certify.kkt.instances.diagonal_depth2; kkt.md worked example)"})


def linear_depth3() -> dict:
    """beta* = (1/12, 1/12, 1/24), ||beta*|| = 1/8 = (1/2)^3; support vectors x0 (y=+1), x1 (y=-1)."""
    net = make_network("fully_connected_linear", 3, depth=3, hidden_widths=(2, 2))
    data = Data(((F(40, 3), F(-8, 3), F(8, 3)), (F(8, 3), F(-40, 3), F(-8, 3)), (F(16), F(24), F(-8))), (1, -1, 1))
    beta = [F(1, 12), F(1, 12), F(1, 24)]
    alpha = [F(1, 128), F(1, 128), F(0)]
    sigma, nb = F(1, 2), F(1, 8)
    u1, u2 = [F(3, 5), F(4, 5)], [F(5, 13), F(12, 13)]
    theta = ([sigma / nb * a * b for a in u1 for b in beta] + [sigma * a * b for a in u2 for b in u1]
             + [sigma * b for b in u2])
    lam = exact_multipliers(net, theta, data, [0, 1])
    evidence = {"kkt_point": kkt_evidence(net, theta, data, lam), "global_optimum": svm_evidence(alpha)}
    return certificate(net, data, theta, ["kkt_point", "global_optimum"], evidence,
                       {"source": "hand-made (certify.kkt.instances.linear_depth3)"})


def random_unit_dataset(n: int, d: int, seed: int, labels: str = "random", den: int = 8) -> Data:
    """n rational unit vectors in Q^d (d >= 2) with labels +1 ('positive') or random signs."""
    rng = np.random.default_rng(seed)
    xs = []
    for _ in range(n):
        p = [F(int(rng.integers(-2 * den, 2 * den + 1)), den) for _ in range(d - 1)]
        s = sum(c * c for c in p)
        xs.append([(s - 1) / (s + 1)] + [2 * c / (s + 1) for c in p])
    if labels == "positive":
        ys = [1] * n
    else:
        ys = [int(v) for v in rng.choice([-1, 1], size=n)]
    return Data(tuple(map(tuple, xs)), tuple(ys))


HAND_MADE = {
    "relu_wide_angle.json": relu_wide_angle,
    "diagonal_depth2.json": diagonal_depth2,
    "linear_depth3.json": linear_depth3,
}


def clusters_dataset(n: int, d: int, seed: int, k: int = 2, noise: float = 0.25, den: int = 100,
                     labels: str = "positive") -> Data:
    """n examples around k random unit centres in R^d (Gaussian noise of size noise/sqrt(d)), rounded to 1/den.

    Labels +1 ('positive') or cluster c labelled -1 when c % 3 == 2 ('mixed').  Not tuned: centres, cluster
    memberships and noise come from numpy.random.default_rng(seed)."""
    rng = np.random.default_rng(seed)
    C = rng.standard_normal((k, d))
    C /= np.linalg.norm(C, axis=1)[:, None]
    ci = rng.integers(0, k, n)
    X = C[ci] + noise * rng.standard_normal((n, d)) / np.sqrt(d)
    xs = [[F(int(round(v * den)), den) for v in row] for row in X]
    ys = [1 if labels == "positive" or c % 3 != 2 else -1 for c in ci]
    return Data(tuple(map(tuple, xs)), tuple(ys))

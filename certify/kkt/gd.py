"""Gradient descent on the exponential or logistic loss, and normalization to margin 1 (UNTRUSTED).

Arrays are numpy or cupy (``backend``); the architecture's float network is
``net.forward_backward`` (certify.kkt.architectures).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from ..arrays import get_xp, to_numpy
from .architectures import SearchNetwork


def loss_weights(q, loss: str, xp):
    """(log loss, normalized weights w_i = -dLoss/dq_i / Loss), in log space (no underflow)."""
    if loss == "exp":
        logs = -q
    else:  # logistic: log(log(1 + e^-q)), stable for large q
        s = xp.logaddexp(0.0, -q)
        logs = xp.where(q > 30, -q, xp.log(xp.maximum(s, 1e-300)))
    mx = xp.max(logs)
    log_total = mx + xp.log(xp.sum(xp.exp(logs - mx)))
    logd = -q if loss == "exp" else -xp.logaddexp(0.0, q)  # log sigmoid(-q)
    return log_total, xp.exp(logd - log_total)


@dataclass
class GDResult:
    theta: np.ndarray
    steps: int
    min_margin: float
    seconds: float


def gradient_descent(net: SearchNetwork, X, y, *, seed: int, loss: str = "exp", steps: int = 3000,
                     lr: float = 0.02, init_scale: float = 0.5, backend: str = "numpy",
                     target_margin: float = 1e4) -> GDResult:
    """Loss-normalized GD: theta <- theta - lr * grad Loss / (Loss * ||theta||^(h-2)).

    (For h-homogeneous networks this keeps the angular step size of order lr;
    it is gradient descent with an adaptive step.)  Stops after ``steps`` or
    once the minimum margin exceeds ``target_margin``.
    """
    xp = get_xp(backend)
    rng = np.random.default_rng(seed)
    theta = xp.asarray(init_scale * rng.standard_normal(net.n_params) / math.sqrt(max(net.input_dim, 1)))
    Xd = xp.asarray(np.asarray(X, dtype=np.float64))
    yd = xp.asarray(np.asarray(y, dtype=np.float64))
    h = net.homogeneity
    t0 = time.perf_counter()
    k = 0
    for k in range(1, steps + 1):
        out, _ = net.forward_backward(theta, Xd)
        _, w = loss_weights(yd * out, loss, xp)
        _, grad = net.forward_backward(theta, Xd, -w * yd)
        scale = float(xp.linalg.norm(theta)) ** (h - 2) if h > 2 else 1.0
        theta = theta - (lr / max(scale, 1e-12)) * grad
        if k % 50 == 0:
            qmin = float(xp.min(yd * net.forward_backward(theta, Xd)[0]))
            if qmin > target_margin or not math.isfinite(qmin):
                break
    q = yd * net.forward_backward(theta, Xd)[0]
    return GDResult(to_numpy(theta).astype(np.float64), k, float(xp.min(q)), time.perf_counter() - t0)


def normalize(net: SearchNetwork, theta: np.ndarray, X, y) -> np.ndarray | None:
    """theta / q_min^(1/h) (minimum margin 1), or None when the data is not separated."""
    q = np.asarray(y) * net.forward_backward(theta, X)[0]
    qmin = float(np.min(q))
    if not qmin > 0:
        return None
    return theta / qmin ** (1.0 / net.homogeneity)

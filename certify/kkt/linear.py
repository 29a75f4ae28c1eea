"""Fully-connected linear networks: exact hard-margin SVM and a balanced factorization (UNTRUSTED).

The max-margin predictor beta is solved exactly from a guessed support set
(exact Gram solve; SLSQP to guess it), then a balanced rank-one factorization
W_1 = (sigma/||beta||) u_1 beta^T, W_l = sigma u_l u_{l-1}^T, W_L = sigma u_{L-1}^T
with sigma = ||beta||^(1/L) (||beta||^2 must be a 2L-th power of a rational)
and u_l rational unit vectors near GD's singular vectors.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..kernel.kkt.networks import Data
from .architectures import FullyConnectedLinearSearch
from .certificates import certificate, kkt_evidence, kkt_holds, svm_evidence
from .errors import SearchFailure
from .rational import fmat, from_fq, int_root, rational_unit
from .snap import exact_multipliers


def exact_svm(data: Data, active_guess: list[int]) -> tuple[list[Fraction], list[Fraction]]:
    """Exact hard-margin SVM (no bias) from a guessed support set: (beta, alpha); SearchFailure if none."""
    n, d = len(data.y), len(data.x[0])
    for support in _support_guesses(data, active_guess):
        G = fmat([[data.y[a] * data.y[b] * sum((p * q for p, q in zip(data.x[a], data.x[b])), Fraction(0))
                   for b in support] for a in support])
        try:
            sol = G.solve(fmat([[Fraction(1)] for _ in support]))
        except (ZeroDivisionError, ValueError):
            continue
        alpha = [Fraction(0)] * n
        for t, a in enumerate(support):
            alpha[a] = from_fq(sol[t, 0])
        if any(a < 0 for a in alpha):
            continue
        beta = [sum((alpha[i] * data.y[i] * data.x[i][c] for i in range(n)), Fraction(0)) for c in range(d)]
        if all(data.y[i] * sum((b * x for b, x in zip(beta, data.x[i])), Fraction(0)) >= 1 for i in range(n)):
            return beta, alpha
    raise SearchFailure("could not solve the hard-margin SVM exactly")


def _support_guesses(data: Data, guess: list[int]):
    yield guess
    from scipy.optimize import minimize

    X = np.array([[float(v) for v in r] for r in data.x])
    y = np.array(data.y, dtype=float)
    res = minimize(lambda b: 0.5 * b @ b, np.ones(X.shape[1]), jac=lambda b: b,
                   constraints=[{"type": "ineq", "fun": lambda b: y * (X @ b) - 1, "jac": lambda b: y[:, None] * X}],
                   method="SLSQP", options={"ftol": 1e-14, "maxiter": 500})
    q = y * (X @ res.x)
    yield [i for i in range(len(y)) if q[i] < 1 + 1e-6]


def balanced_factorization(net: FullyConnectedLinearSearch, beta: list[Fraction],
                           directions: list[np.ndarray]) -> list[Fraction]:
    """Rank-one balanced W_1..W_L with W_L...W_1 = beta^T, when ||beta|| = sigma^L with sigma rational."""
    L = net.depth
    b2 = sum(b * b for b in beta)
    num, den = int_root(b2.numerator, 2 * L), int_root(b2.denominator, 2 * L)
    if num is None or den is None:
        raise SearchFailure(f"the max-margin predictor has ||beta||^2 = {b2}, not a {2 * L}-th power of a "
                            f"rational, so this search builds no rational balanced KKT point")
    sigma = Fraction(num, den)
    us = [rational_unit(u) for u in directions]
    k1 = sigma / sigma**L
    flat: list[Fraction] = [k1 * a * b for a in us[0] for b in beta]
    for l in range(1, L - 1):
        flat.extend(sigma * a * b for a in us[l] for b in us[l - 1])
    flat.extend(sigma * b for b in us[L - 2])
    return flat


def finish_linear(net: FullyConnectedLinearSearch, data: Data, th: np.ndarray, X, y, provenance: dict) -> dict:
    """KKT point + global optimality certificate from a normalized GD output; SearchFailure if none."""
    beta_f = np.asarray(net.exact.end_to_end(list(th)), dtype=float)
    q = y * (X @ beta_f)
    beta, alpha = exact_svm(data, [i for i in range(len(y)) if q[i] < 1 + 1e-3])
    dirs = []
    for W in net.layers(th)[:-1]:  # left singular vector of W_{l+1}: direction of hidden layer l+1
        u, _, _ = np.linalg.svd(W)
        dirs.append(u[:, 0] * np.sign(u[:, 0].sum() or 1.0))
    theta = balanced_factorization(net, beta, dirs)
    lam = exact_multipliers(net, theta, data, [i for i in range(len(y)) if alpha[i] != 0])
    if not kkt_holds(net, theta, data, lam):
        raise SearchFailure("exact multipliers not found for the balanced factorization")
    evidence = {"kkt_point": kkt_evidence(net, theta, data, lam), "global_optimum": svm_evidence(alpha)}
    return certificate(net, data, theta, ["kkt_point", "global_optimum"], evidence, provenance)

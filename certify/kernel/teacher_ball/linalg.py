"""Rigorous bounds around floating-point matrix products for the teacher-ball kind: Frobenius-norm error
bounds of BLAS products, and proven upper bounds of largest eigenvalues (Rump's test).

TRUSTED (docs/trust.md).  Imports only the kernel and numpy.

Facts used (docs/rigor.md, docs/teacher-ball.md "Floating-point products"):

* Higham, Accuracy and Stability, Section 3.5 (any order, blocking, FMA): for binary64 matrices A (m x p),
  B (p x q), |fl(AB) - AB| <= gamma_p |A||B| + p eta entrywise (eta = 2^-1074: underflow), hence
  ||fl(AB) - AB||_F <= gamma_p ||A||_F ||B||_F + p eta sqrt(m q), since || |A||B| ||_F <= ||A||_F ||B||_F.
* A sum of products computed in any order, each term passing through at most r roundings, errs by at most
  gamma_r times the sum of the absolute values of the terms, plus r eta per entry.
* Weyl: |lambda_i(A) - lambda_i(B)| <= ||A - B||_2 <= ||A - B||_F for symmetric A, B.
* Rump's test (certify.kernel.definite.cholesky_succeeds): a successful floating-point Cholesky proves a
  symmetric matrix, and every symmetric matrix within the given 2-norm radius of it, positive definite.
"""
from __future__ import annotations

import math

import numpy as np

from ..definite import cholesky_succeeds
from ..interval import Interval, NotProven, gamma_upper

_INF = np.inf
ETA = 2.0**-1074


def _u(x):
    """The next binary64 above x (elementwise, numpy nextafter toward +inf): an upper bound of the exact
    result of one operation whose round-to-nearest result is x."""
    return np.nextafter(x, _INF)


def usum(x) -> float:
    """An upper bound of the exact sum of the NONNEGATIVE binary64 values of x (any shape): fl(sum) by numpy
    (any order) errs by at most gamma_{n-1} times the exact sum (Higham, Lemma 3.1 / eq. (4.4); additions are
    exact when the result is subnormal), so the sum is at most fl(sum) (1 + 2 gamma_n), rounded up."""
    a = np.asarray(x, dtype=np.float64).ravel()
    if a.size == 0:
        return 0.0
    if not (np.all(np.isfinite(a)) and float(a.min()) >= 0.0):
        raise NotProven("usum needs finite nonnegative values")
    v = float(_u(_u(float(np.sum(a))) * _u(1.0 + 2.0 * gamma_upper(a.size))))
    if not math.isfinite(v):
        raise NotProven("non-finite sum")
    return v


def frob(a) -> float:
    """An upper bound of the Frobenius norm of the binary64 array a."""
    a = np.abs(np.asarray(a, dtype=np.float64))
    return float(_u(math.sqrt(usum(_u(a * a)))))


def frob_interval(x: Interval) -> float:
    """An upper bound of the Frobenius norm of every array in the interval array x."""
    return frob(x.mag())


def up(x: float) -> float:
    """The next binary64 above the float x, as a Python float (rounding up; see _u)."""
    return float(_u(x))


def add_up(*xs: float) -> float:
    """An upper bound of the exact sum of the floats xs: summed left to right from 0.0, each partial sum
    rounded up (valid for any signs; a NaN or an overflow to inf propagates to the result)."""
    acc = 0.0
    for x in xs:
        acc = float(_u(acc + x))
    return acc


def mul_up(*xs: float) -> float:
    """An upper bound of the exact product of the NONNEGATIVE floats xs: multiplied left to right from 1.0,
    each partial product rounded up.  The signs are not checked: with a negative factor the result is not an
    upper bound (the callers in the teacher-ball kernel pass nonnegative norms, counts and error bounds)."""
    acc = 1.0
    for x in xs:
        acc = float(_u(acc * x))
    return acc


def gemm(A: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, float]:
    """(fl(A B), e) with ||fl(A B) - A B||_F <= e (Higham, module docstring)."""
    C = A @ B
    if not np.all(np.isfinite(C)):
        raise NotProven("matrix product overflowed")
    p = A.shape[-1]
    e = add_up(mul_up(gamma_upper(p), frob(A), frob(B)), mul_up(float(p) * ETA, math.sqrt(C.size) + 1.0))
    return C, e


def symmetric_mid(A: np.ndarray) -> tuple[np.ndarray, float]:
    """(M, e): M exactly symmetric (the upper triangle of A mirrored) and ||M - A||_F <= e."""
    M = np.triu(A) + np.triu(A, 1).T
    diff = Interval.point(A) - Interval.point(A.T)  # contains A - A^T exactly; M - A is its lower triangle
    return M, frob_interval(diff)


def lam_max_upper(M: np.ndarray, rad: float, weights: np.ndarray | None = None) -> float:
    """A proven c >= lambda_max(A; W) for every symmetric A with ||A - M||_2 <= rad (M exactly symmetric),
    where lambda_max(A; W) = max x^T A x / x^T W x and W = diag(weights) (weights >= 1, exact; identity if
    None): Rump's test proves c W - A > 0.  The candidates are tried from the float estimate upward."""
    n = M.shape[0]
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (n,) or not np.all((w == 1.0) | (w == 2.0)):
        raise NotProven("largest-eigenvalue bound: the weights must be 1 or 2 (so that c w is exact)")
    if not (np.all(np.isfinite(M)) and np.array_equal(M, M.T) and math.isfinite(rad) and rad >= 0):
        raise NotProven("largest-eigenvalue bound: malformed matrix or radius")
    try:
        est = float(np.max(np.linalg.eigvalsh(M / np.sqrt(np.outer(w, w)))))
    except np.linalg.LinAlgError:
        est = float(np.max(np.sum(np.abs(M), axis=1)))
    trace = float(np.sum(np.abs(np.diag(M))))
    slack = 2.0 * (rad + 2.0 * (n + 2) * 2.0**-53 * (trace + abs(est) * float(w.sum())) + 1e-300)
    base = max(est, 0.0)
    for c in [base + slack, base * 1.001 + 2 * slack, base * 1.01 + 4 * slack, base * 1.1 + 8 * slack,
              base * 2 + 16 * slack]:
        c = float(c)
        B = -M
        diag = np.nextafter(c * w - np.diag(M), -_INF)  # c w exact (w in {1, 2}); rounded down
        B = B.copy()
        B[np.arange(n), np.arange(n)] = diag
        if cholesky_succeeds(B, rad, 0.0):
            return c
    raise NotProven("largest eigenvalue could not be bounded (Cholesky test failed)")


def spectral_upper(A: np.ndarray) -> float:
    """A proven upper bound of ||A||_2 for a binary64 matrix A: sqrt of a proven lambda_max(A^T A)."""
    G, e = gemm(A.T, A)
    M, e2 = symmetric_mid(G)
    return float(_u(math.sqrt(lam_max_upper(M, add_up(e, e2)))))

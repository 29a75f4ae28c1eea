"""The dense kind ``relu-spurious-minimum`` with a given teacher (a k x k matrix T, or a k x d matrix V with
its reduction (V V^T)^(1/2)): valid certificates pass, and what must be rejected is rejected cleanly."""
from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np
import pytest
from helpers import assert_proven, assert_rejected, load

from certify.kernel.interval import Interval, NotProven
from certify.kernel.spurious_minima.teachers import GivenTeacher, gram, teacher_box
from certify.publishing import build_certificate
from certify.spurious_minima import landscape as L
from certify.spurious_minima.search import newton_polish

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

K = 6
X0 = np.array(load("spurious_minima/relu-k06-n06-loss0.02508058.json")["point"])


def sym_sqrt(G: np.ndarray) -> np.ndarray:
    w, U = np.linalg.eigh(G)
    S = (U * np.sqrt(w)) @ U.T
    return (S + S.T) / 2


def polished(S: np.ndarray) -> np.ndarray:
    W, g = newton_polish(X0[None].copy(), S, 40)
    assert g[0] < 1e-13
    return W[0]


def cert(teacher, point, radius=2.0**-30, reduction=None, dims="all") -> dict:
    evidence = {"point": np.asarray(point).tolist(), "radius": radius}
    if reduction is not None:
        evidence["teacher_reduction"] = np.asarray(reduction).tolist()
    claim = {"n": K, "k": K, "teacher": teacher, "input_dimensions": dims}
    return build_certificate("relu-spurious-minimum", claim, evidence)


@pytest.fixture(scope="module")
def near_identity():
    """(S, point): a symmetric teacher S = I + E, ||E||_2 ~ 1e-3, and its polished spurious minimum."""
    rng = np.random.default_rng(1)
    A = rng.normal(size=(K, K))
    S = np.eye(K) + 1e-3 * (A + A.T) / 2
    return S, polished(S)


@pytest.fixture(scope="module")
def wide_teacher(near_identity):
    """(V, S~, point): V = [S, 0] R in R^(6 x 18) (R a random rotation), S~ its float reduction."""
    S, point = near_identity
    rng = np.random.default_rng(2)
    R, _ = np.linalg.qr(rng.normal(size=(3 * K, 3 * K)))
    V = np.hstack([S, np.zeros((K, 2 * K))]) @ R
    return V, sym_sqrt(V @ V.T), point


# --------------------------------------------------------------------------- accepted


def test_identity_as_a_matrix_is_proven_like_the_identity():
    old = load("spurious_minima/relu-k06-n06-loss0.02508058.json")
    v = assert_proven(cert(np.eye(K).tolist(), X0, old["radius"]))
    assert "teacher 6x6" in v.message and v.bounds["teacher_gram_min_eigenvalue_lower_bound"] > 0.99
    assert abs(v.bounds["loss"][0] - 0.02508058) < 1e-8


def test_square_teacher_and_the_same_teacher_as_exact_rationals(near_identity):
    S, point = near_identity
    v = assert_proven(cert(S.tolist(), point))
    lo, hi = v.bounds["loss"]
    assert lo <= L.loss(point[None], S)[0] <= hi
    exact = [[f"{Fraction(x).numerator}/{Fraction(x).denominator}" for x in row] for row in S]
    assert assert_proven(cert(exact, point)).bounds["loss"] == v.bounds["loss"]


def test_k_by_d_teacher_with_its_reduction(wide_teacher):
    V, St, point = wide_teacher
    v = assert_proven(cert(V.tolist(), point, reduction=St))
    assert 0 < v.bounds["teacher_reduction_error"] < 1e-12
    assert "teacher 6x18" in v.message and "d = 18" in v.message
    # the claimed minimum of F_V: W* = X* (V V^T)^(-1/2) V, critical for the float landscape too
    W = point @ np.linalg.solve(St, V)
    assert np.abs(L.gradient(W[None], V)[0]).max() < 1e-12
    assert abs(L.loss(W[None], V)[0] - v.bounds["loss"][0]) < 1e-10


def test_teacher_box_contains_the_exact_reduction(wide_teacher):
    V, St, _ = wide_teacher
    t = GivenTeacher(K, V.shape[1], tuple(tuple(Fraction(x) for x in row) for row in V), St)
    box, info = teacher_box(t)
    assert np.all(box.contains(sym_sqrt(V @ V.T)))
    G = gram(Interval.point(V))
    assert np.all(G.contains(V @ V.T)) and np.all(G.hi - G.lo < 1e-14)


# --------------------------------------------------------------------------- rejected (issue 18)


def test_rejects_a_singular_teacher():
    T = np.eye(K)
    T[5] = T[4]  # two equal rows: rank 5
    assert_rejected(cert(T.tolist(), X0), "singular")
    T = np.eye(K)
    T[5] = 0.5 * T[4] + 0.5 * T[3]  # rank 5, rows not parallel
    assert_rejected(cert(T.tolist(), X0), "singular")


def test_rejects_a_rank_deficient_k_by_d_teacher(wide_teacher):
    V, St, point = wide_teacher
    V = V.copy()
    V[5] = V[4]  # rank 5: V V^T singular, whatever reduction is given
    G = V @ V.T
    assert_rejected(cert(V.tolist(), point, reduction=sym_sqrt(G + 1e-12 * np.eye(K))), "singular")
    assert_rejected(cert(V.tolist(), point, reduction=sym_sqrt(G + 1e-3 * np.eye(K))), "singular")


def test_rejects_a_point_that_is_a_minimum_for_the_identity_but_not_for_the_teacher():
    """X0 is a proven spurious minimum for T = I; for T = I + E, ||E|| = 0.02, it is not even critical."""
    rng = np.random.default_rng(3)
    A = rng.normal(size=(K, K))
    E = (A + A.T) / 2
    S = np.eye(K) + 0.02 * E / np.linalg.norm(E, 2)
    old = load("spurious_minima/relu-k06-n06-loss0.02508058.json")
    assert_proven(cert(np.eye(K).tolist(), X0, old["radius"]))
    assert_rejected(cert(S.tolist(), X0, old["radius"]), "gradient")
    assert_rejected(cert(S.tolist(), X0, 2.0**-8))  # a large radius does not help (H not PD, or g >= mu r)


def test_rejects_a_wrong_or_missing_reduction(wide_teacher):
    V, St, point = wide_teacher
    assert_rejected(cert(V.tolist(), point, reduction=np.eye(K) * 1.5), "too far")  # a wrong S~
    assert_rejected(cert(V.tolist(), point, reduction=-St), "positive definite")
    bad = St.copy()
    bad[0, 1] += 1e-9  # not symmetric
    assert_rejected(cert(V.tolist(), point, reduction=St) | {"teacher_reduction": bad.tolist()}, "symmetric")
    c = cert(V.tolist(), point, reduction=St)
    del c["teacher_reduction"]
    assert_rejected(c, "teacher_reduction")
    c = cert(np.eye(K).tolist(), X0)
    c["teacher_reduction"] = np.eye(K).tolist()  # only for k x d teachers
    assert_rejected(c, "only for a k x d teacher")
    c = load("spurious_minima/relu-k06-n06-loss0.02508058.json")
    c["teacher_reduction"] = np.eye(K).tolist()  # not with the identity teacher either
    assert_rejected(c, "only for a k x d teacher")


def test_rejects_a_k_by_d_teacher_claimed_for_d_equals_k_only(wide_teacher):
    V, St, point = wide_teacher
    c = cert(V.tolist(), point, reduction=St)
    c["claim"]["input_dimensions"] = "k"
    assert_rejected(c, "input_dimensions")


def test_rejects_a_moved_teacher(near_identity):
    """The certificate's teacher is changed after the fact: the point is no longer certified."""
    S, point = near_identity
    c = cert(S.tolist(), point)
    c["claim"]["teacher"][0][1] += 1e-3
    c["claim"]["teacher"][1][0] += 1e-3
    assert_rejected(c, "gradient")


@pytest.mark.parametrize("teacher,words", [
    ("gaussian", "identity"), (None, "matrix"), ([], "matrix"), ([[1.0] * K] * 5, "expected k = 6 rows"),
    ([[1.0] * 5] * K, "d >= k"), ([[1.0] * K] * 5 + [[1.0] * 7], "expected length 6"),
([["1/0"] * K] * K, "zero denominator"),
    ([["0.5"] * K] * K, "rational"), ([[True] * K] * K, "expected a number"),
    ([["1/" + "3" * 80] * K] * K, "longer than"), ([[1.0] * 4000] * K, "limit"),
])
def test_rejects_malformed_teachers(teacher, words):
    c = load("spurious_minima/relu-k06-n06-loss0.02508058.json")
    c["claim"]["teacher"] = copy.deepcopy(teacher)
    assert_rejected(c, words)


def test_rejects_a_nan_literal_in_the_teacher():
    from certify.publishing import dumps

    c = load("spurious_minima/relu-k06-n06-loss0.02508058.json")
    c["claim"]["teacher"] = np.eye(K).tolist()
    text = dumps(c).replace("[\n    1.0,", "[\n    NaN,", 1)
    assert "NaN" in text
    assert_rejected(text, "non-finite")


def test_singular_teacher_box_is_not_proven():
    T = np.eye(K)
    T[0] = 0.0
    t = GivenTeacher(K, K, tuple(tuple(Fraction(x) for x in row) for row in T), None)
    with pytest.raises(NotProven, match="singular"):
        teacher_box(t)

"""The ``relu-spurious-minimum-teacher-ball`` kind: what it proves (float cross-checks of the claim for sampled
teachers in the ball), the pieces it is built from (tangents, majorants, rigorous products, eigenvalue bounds,
the corollary's arithmetic), and above all what it must reject."""
from __future__ import annotations

import copy
import math
from fractions import Fraction

import numpy as np
import pytest
from helpers import CERTIFICATES

MINIMA = CERTIFICATES / "spurious_minima"  # the S = I minima the producer starts from
from helpers import assert_proven, assert_rejected

from certify.kernel.interval import Interval, NotProven
from certify.kernel.teacher_ball import kind as tb
from certify.kernel.teacher_ball.linalg import gemm, lam_max_upper, usum
from certify.kernel.teacher_ball.majorants import pair_majorants
from certify.kernel.teacher_student import enclose, free_entries, tangent_enclosures
from certify.spurious_minima import landscape as L
from certify.spurious_minima.search import newton_polish

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

K = 6
RHO = Fraction(1, 2000)


@pytest.fixture(scope="module")
def ball_cert() -> dict:
    """A proven k = 6 certificate for ||S - I||_F <= 1/2000, built as the producer builds it."""
    from certify.teacher_ball.prove import build, choose_radius, identity_point

    x0 = identity_point(K, MINIMA)
    cb = tb.centre_bounds(K, x0)
    r, b = choose_radius(cb, RHO)
    dist = b["normJ_W"] * float(RHO) + b["normQ"] * b["g"] / b["mu"]
    return build(K, x0, RHO, r, float(np.nextafter(dist * 1.0001, 1.0)))


def fresh(cert):
    return copy.deepcopy(cert)


def random_teacher_in_ball(rng, rho: float, spectral: bool = False) -> np.ndarray:
    A = rng.normal(size=(K, K))
    E = (A + A.T) / 2
    E *= rho / (np.linalg.norm(E, 2) if spectral else np.linalg.norm(E))
    return np.eye(K) + E


# --------------------------------------------------------------------------- accepted, and what it means


def test_certificate_is_proven_with_its_bounds(ball_cert):
    v = assert_proven(fresh(ball_cert))
    b = v.bounds
    assert 0.024 < b["loss"][0] <= 0.02508 <= b["loss"][1] < 0.026
    assert 0 < b["hessian_min_eigenvalue_lower_bound"] < 1 and 0 < b["m_min_eigenvalue_lower_bound"] < 0.2
    assert b["distance_to_critical_point"] <= ball_cert["radius"]
    assert abs(b["spectral_radius"] - float(RHO) / math.sqrt(K)) < 1e-12
    assert b["spectral_radius"] <= float(RHO) / math.sqrt(K)
    assert b["corollary_d0"] == tb.corollary_d0(K, RHO)
    assert b["corollary_d0_frobenius"] == tb.corollary_d0_frobenius(K, RHO) < b["corollary_d0"] / 4
    assert "cited Davidson-Szarek" in v.message and "cited Gaussian concentration" in v.message
    assert f"d0 = {b['corollary_d0_frobenius']} for delta = 1/100 by Frobenius concentration" in v.message


def test_the_claim_holds_for_sampled_teachers_in_the_ball(ball_cert):
    """For teachers on the sphere ||S - I||_F = rho (and its spectral sub-ball), Newton from the point finds a
    critical point within `radius` with lambda_min(H) > 0, lambda_min(M) > 0 and F > 0 (the float picture)."""
    rng = np.random.default_rng(0)
    x0 = np.array(ball_cert["point"])
    for t in range(8):
        S = random_teacher_in_ball(rng, float(RHO), spectral=t % 2 == 1)
        W, g = newton_polish(x0[None].copy(), S, 30)
        assert g[0] < 1e-12
        assert np.linalg.norm(W[0] - x0) <= ball_cert["radius"]
        assert np.linalg.eigvalsh(L.hessian(W, S)[0])[0] > 0 and np.linalg.eigvalsh(L.m_matrix(W, S)[0])[0] > 0
        assert L.loss(W, S)[0] > 0.02


def test_corollary_d0_is_a_safe_ceiling():
    import mpmath

    mpmath.mp.dps = 300  # the last rho (63 characters) gives a d0 of 123 digits: still within one of the least
    for k, rho in ((6, Fraction(33, 50000)), (20, Fraction(1, 100)), (9, Fraction(1, 3)), (20, Fraction(1, 10**60))):
        d0 = tb.corollary_d0(k, rho)
        t = mpmath.sqrt(2 * mpmath.log(200))
        exact = k * ((mpmath.sqrt(k) + t) / (mpmath.mpf(rho.numerator) / rho.denominator)) ** 2
        assert d0 >= exact and d0 - 2 < exact
    assert tb.corollary_d0(6, Fraction(1, 1000), Fraction(1, 10)) < tb.corollary_d0(6, Fraction(1, 1000))


# --------------------------------------------------------------------------- rejected (issue 18 and more)


def test_rejects_a_ball_reaching_singular_teachers(ball_cert):
    c = fresh(ball_cert)
    c["claim"]["rho"] = "1"  # ||S - I||_F <= 1 contains S = I - e_1 e_1^T (singular)
    assert_rejected(c, "0 < rho < 1")
    c["claim"]["rho"] = "9/10"
    assert_rejected(c)


def test_rejects_a_ball_radius_too_large(ball_cert):
    """The point and radii certify rho = 1/2000; the same evidence for a twenty times larger ball (which contains
    teachers outside the proven set) is not proven."""
    c = fresh(ball_cert)
    c["claim"]["rho"] = "1/100"
    msg = assert_rejected(c)
    assert any(w in msg for w in ("Hessian lower bound", "gradient", "M not proven"))


def test_rejects_a_teacher_outside_the_stated_set(ball_cert):
    """A teacher just outside the stated ball (rho raised by 40 %) with otherwise unchanged evidence."""
    c = fresh(ball_cert)
    c["claim"]["rho"] = str(RHO * Fraction(7, 5))
    assert_rejected(c)


def test_rejects_y_ball_radius_too_small_or_too_large(ball_cert):
    c = fresh(ball_cert)
    c["ball_radius"] = ball_cert["ball_radius"] / 1000
    assert_rejected(c, "gradient")
    c = fresh(ball_cert)
    c["ball_radius"] = 1e-2  # c_x r alone exceeds mu0
    msg = assert_rejected(c)
    assert "Hessian lower bound" in msg or "M not proven" in msg
    c["ball_radius"] = 0.5  # the region reaches w = 0
    assert_rejected(c, "zero student")


def test_rejects_a_claimed_radius_below_the_proven_distance(ball_cert):
    c = fresh(ball_cert)
    c["radius"] = ball_cert["radius"] / 100
    assert_rejected(c, "distance")


def test_rejects_a_moved_point_and_the_global_minimum(ball_cert):
    c = fresh(ball_cert)
    c["point"][0][0] += 1e-3
    assert_rejected(c)
    c = fresh(ball_cert)
    c["point"] = np.eye(K).tolist()  # F = 0 and parallel pairs: not a smooth point
    assert_rejected(c)


def test_rejects_a_saddle_presented_as_a_minimum(saddle_point):
    c = {"format": "certify-certificate", "version": 1, "kind": tb.KIND.name,
         "claim": {"statement": "", "k": K, "rho": "1/100000"},
         "point": saddle_point.tolist(), "ball_radius": 1e-6, "radius": 0.1}
    assert_rejected(c)


@pytest.mark.parametrize("field,value,words", [
    ("rho", "-1/1000", "0 < rho < 1"), ("rho", "0", "0 < rho < 1"), ("rho", "0.001", "rational"),
    ("rho", 0.001, "rational"), ("rho", "1/0", "zero denominator"), ("rho", "1/" + "9" * 80, "longer"),
    ("k", 7, "point"), ("k", 1, ">= 2"), ("k", 21, "<= 20"), ("k", True, "integer"),
])
def test_rejects_bad_claim_fields(ball_cert, field, value, words):
    c = fresh(ball_cert)
    c["claim"][field] = value
    assert_rejected(c, words)


@pytest.mark.parametrize("where,value", [("ball_radius", 0.0), ("ball_radius", 0.6), ("radius", 1.5),
                                         ("radius", -1.0), ("ball_radius", "1e-6"), ("point", None)])
def test_rejects_malformed_evidence(ball_cert, where, value):
    c = fresh(ball_cert)
    c[where] = value
    assert_rejected(c)


def test_rejects_nan_changed_statement_and_unknown_fields(ball_cert):
    from certify.publishing import dumps

    text = dumps(fresh(ball_cert)).replace('"ball_radius": ', '"ball_radius": NaN, "x": ', 1)
    assert_rejected(text, restated=False)
    c = fresh(ball_cert)
    c["claim"]["statement"] = c["claim"]["statement"].replace("strict local minimum", "global minimum")
    assert_rejected(c, "statement", restated=False)
    c = fresh(ball_cert)
    c["sub_boxes"] = []
    assert_rejected(c, "unknown field")


# --------------------------------------------------------------------------- the pieces


def _pairhess(w, v):
    k = len(w)

    def A(w, v):
        nw, nv = np.linalg.norm(w), np.linalg.norm(v)
        wh, vh = w / nw, v / nv
        c = wh @ vh
        s = np.sqrt(1 - c * c)
        n = (vh - c * wh) / s
        return nv * s / (2 * np.pi * nw) * (np.eye(k) - np.outer(wh, wh) + np.outer(n, n))

    def B(w, v):
        nw, nv = np.linalg.norm(w), np.linalg.norm(v)
        wh, vh = w / nw, v / nv
        c = wh @ vh
        s = np.sqrt(1 - c * c)
        n, m = (vh - c * wh) / s, (wh - c * vh) / s
        return ((np.pi - np.arccos(c)) * np.eye(k) + s * (np.outer(wh, vh) + np.outer(n, m))) / (2 * np.pi)

    b = B(w, v)
    return A(w, v), b, A(v, w)


def test_pair_majorants_bound_sampled_second_derivatives():
    """||D^2 h[delta, delta]|| (finite differences) stays below the majorant for sampled points of the pair
    region and directions, including small angles; and the bound is not vacuous."""
    rng = np.random.default_rng(1)
    k = 5
    worst = 0.0
    for trial in range(25):
        w0, v0 = rng.normal(size=k), rng.normal(size=k)
        if trial % 3 == 0:
            v0 = w0 + 0.25 * rng.normal(size=k)
        a, b = 0.01 * rng.random(), 0.01 * rng.random()
        nw0, nv0 = np.linalg.norm(w0), np.linalg.norm(v0)
        c0 = w0 @ v0 / (nw0 * nv0)
        try:
            M = pair_majorants(Interval.point(np.array([nw0])), Interval.point(np.array([nv0])),
                               Interval.point(np.array([c0])), np.array([a]), np.array([b]))
        except NotProven:
            continue
        for _ in range(6):
            pw, pv = rng.normal(size=k), rng.normal(size=k)
            w = w0 + pw * a * rng.random() / np.linalg.norm(pw)
            v = v0 + pv * b * rng.random() / np.linalg.norm(pv)
            dw, dv = rng.normal(size=k), rng.normal(size=k)
            dw *= a / np.linalg.norm(dw)
            dv *= b / np.linalg.norm(dv)
            eps = 0.05
            hp, h0, hm = _pairhess(w + eps * dw, v + eps * dv), _pairhess(w, v), _pairhess(w - eps * dw, v - eps * dv)
            for name, idx in (("A", 0), ("B", 1), ("A2", 2)):
                d2 = np.linalg.norm((hp[idx] - 2 * h0[idx] + hm[idx]) / eps**2, 2)
                bound = M[name].d2(a, b)[0]
                assert d2 <= bound * (1 + 1e-6)
                worst = max(worst, d2 / bound)
    assert worst > 0.02


def test_tangent_enclosures_match_finite_differences():
    from certify.teacher_ball.prove import identity_point

    x = identity_point(K, MINIMA)
    rng = np.random.default_rng(2)
    A = rng.normal(size=(K, K))
    S = np.eye(K) + 0.05 * (A + A.T)
    dX, dT = rng.normal(size=(3, K, K)), rng.normal(size=(3, K, K))
    out = tangent_enclosures(Interval.point(x), Interval.point(S), Interval.point(dX), Interval.point(dT))
    h = 1e-6

    def D(x, S):
        return enclose(Interval.point(x), teacher=Interval.point(S), want=("dgrad_dteacher",)).dgrad_dteacher.mid_rad()[0]

    for a in range(3):
        fd = (L.hessian((x + h * dX[a])[None], S + h * dT[a])[0] - L.hessian((x - h * dX[a])[None], S - h * dT[a])[0]) / (2 * h)
        assert np.abs(fd - 0.5 * (out["hess"].lo[a] + out["hess"].hi[a])).max() < 1e-8
        fdD = (D(x + h * dX[a], S + h * dT[a]) - D(x - h * dX[a], S - h * dT[a])) / (2 * h)
        assert np.abs(fdD - 0.5 * (out["dgrad"].lo[a] + out["dgrad"].hi[a])).max() < 1e-8
        assert np.all(out["hess"].hi[a] - out["hess"].lo[a] < 1e-10)


def test_outer_sum_encloses_exact_rational_sums():
    from certify.kernel.teacher_student import _outer_sum

    rng = np.random.default_rng(3)
    Xm, Ym = rng.normal(size=(2, 4, 3)), rng.normal(size=(2, 4, 3))
    Xr, Yr = np.abs(rng.normal(size=Xm.shape)) * 1e-9, np.abs(rng.normal(size=Ym.shape)) * 1e-9
    out = _outer_sum(Interval(Xm - Xr, Xm + Xr), Interval(Ym - Yr, Ym + Yr))
    for _ in range(5):
        x = np.clip(Xm + rng.uniform(-1, 1, Xm.shape) * Xr, Xm - Xr, Xm + Xr)
        y = np.clip(Ym + rng.uniform(-1, 1, Ym.shape) * Yr, Ym - Yr, Ym + Yr)
        for b in range(2):
            for p in range(3):
                for q in range(3):
                    exact = sum(Fraction(x[b, l, p]) * Fraction(y[b, l, q]) for l in range(4))
                    assert Fraction(out.lo[b, p, q]) <= exact <= Fraction(out.hi[b, p, q])


def test_rigorous_sum_product_and_eigenvalue_bounds():
    rng = np.random.default_rng(4)
    x = np.abs(rng.normal(size=1000))
    assert Fraction(usum(x)) >= sum(Fraction(v) for v in x)
    A, B = rng.normal(size=(6, 9)), rng.normal(size=(9, 5))
    C, e = gemm(A, B)
    err2 = sum((Fraction(C[i, j]) - sum(Fraction(A[i, l]) * Fraction(B[l, j]) for l in range(9))) ** 2
               for i in range(6) for j in range(5))
    assert err2 <= Fraction(e) ** 2
    G = rng.normal(size=(7, 7))
    M = G @ G.T
    M = np.triu(M) + np.triu(M, 1).T
    w = np.array([1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 1.0])
    c = lam_max_upper(M, 1e-9, w)
    lam = np.linalg.eigvalsh(M / np.sqrt(np.outer(w, w)))[-1]
    assert lam <= c <= 1.2 * lam + 1e-6
    with pytest.raises(NotProven):
        lam_max_upper(M * np.nan, 0.0)


def test_free_entry_directions_are_the_frobenius_weights():
    k = 4
    jj, ll = free_entries(k)
    w = tb._weights(k)
    rng = np.random.default_rng(5)
    sigma = rng.normal(size=jj.size)
    S = np.zeros((k, k))
    for e in range(jj.size):
        S += sigma[e] * tb._teacher_direction(k, e)
    assert abs(np.linalg.norm(S) ** 2 - float(np.sum(w * sigma**2))) < 1e-12


# --------------------------------------------------------------------------- shells (Lemma A') and the joint rem_g


STORED_K6 = CERTIFICATES / "teacher_ball" / "teacher-ball-k06.json"


@pytest.fixture(scope="module")
def shells_cert() -> dict:
    """The stored k = 6 certificate, which needs its shells (Lemma A' of docs/teacher-ball.md)."""
    import json

    cert = json.loads(STORED_K6.read_text())
    assert cert.get("shells", 1) > 1
    return cert


def test_stored_k6_certificate_is_proven_with_its_shells(shells_cert):
    v = assert_proven(fresh(shells_cert))
    assert v.bounds["hessian_min_eigenvalue_lower_bound"] > 0
    assert v.bounds["distance_to_critical_point"] <= shells_cert["radius"]


def test_rejects_the_shells_certificate_without_its_shells(shells_cert):
    """Lemma A alone (one shell) does not prove this rho with this ball radius: the Hessian bound at the rim of
    the y-ball is too small for g < mu r."""
    c = fresh(shells_cert)
    del c["shells"]
    assert_rejected(c, "gradient bound")
    c = fresh(shells_cert)
    c["shells"] = 1
    assert_rejected(c, "gradient bound")
    c = fresh(shells_cert)
    c["shells"] = 2
    assert_rejected(c, "gradient bound")


@pytest.mark.parametrize("value,words", [(0, ">= 1"), (-3, ">= 1"), (65, "<= 64"), (10**30, "<= 64"),
                                         (12.0, "integer"), (1.5, "integer"), ("12", "integer"), (True, "integer"),
                                         (None, "integer"), ([12], "integer")])
def test_rejects_malformed_shells(shells_cert, value, words):
    c = fresh(shells_cert)
    c["shells"] = value
    assert_rejected(c, "shells", words)


def test_rejects_shells_with_a_larger_ball_or_a_smaller_radius(shells_cert):
    c = fresh(shells_cert)
    c["claim"]["rho"] = str(Fraction(shells_cert["claim"]["rho"]) * Fraction(6, 5))
    assert_rejected(c)
    c = fresh(shells_cert)
    c["ball_radius"] = shells_cert["ball_radius"] * 2  # the rim shells lose positive definiteness
    assert_rejected(c, "not positive")
    c = fresh(shells_cert)
    c["radius"] = shells_cert["radius"] / 10
    assert_rejected(c, "distance")


def test_shell_radii_increase_to_the_ball_radius_or_are_refused():
    s = tb.shell_radii(3e-4, 12)
    assert len(s) == 12 and s[-1] == 3e-4 and all(a < b for a, b in zip([0.0] + s[:-1], s))
    assert tb.shell_radii(0.25, 1) == [0.25]
    with pytest.raises(NotProven, match="strictly increasing"):
        tb.shell_radii(5e-324, 2)


def test_rejects_subnormal_ball_radius_with_shells_cleanly(shells_cert):
    c = fresh(shells_cert)
    c["ball_radius"] = 5e-324
    assert_rejected(c)


def test_joint_student_pair_bound_needs_both_orderings():
    I, J = np.array([0, 1]), np.array([1, 2])
    one = np.ones(2)
    with pytest.raises(NotProven, match="both orderings"):
        tb._student_pairs_joint(3, I, J, one, one, one, np.ones(3), 1.0)


def test_third_order_gradient_remainder_bounds_sampled_remainders():
    """rem_g (the smaller of the per-student and the joint bound) exceeds the Euclidean norm of the third-order
    Taylor remainder of phi(sigma) = grad F_S(sigma)(x0 + J sigma) at sampled sigma on the sphere ||sigma||_W = rho
    (the remainder from a degree-4 fit of phi(t sigma), t in {-1, -1/2, 0, 1/2, 1}: the cubic plus quartic part)."""
    import json

    k = 6
    x0 = np.array(json.loads(STORED_K6.read_text())["point"])
    cb = tb.centre_bounds(k, x0)
    J, w = cb["J"], cb["w"]
    jj, ll = free_entries(k)
    rho = Fraction(25, 10000)
    b = tb.region_bounds(cb, rho, 1e-12)

    def phi(s):
        S = np.eye(k)
        S[jj, ll] += s
        S[ll, jj] = S[jj, ll]
        return L.gradient((x0 + (J @ s).reshape(k, k))[None], S)[0].ravel()

    ts = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    A = np.vander(ts, 5, increasing=True)
    rng = np.random.default_rng(3)
    worst = 0.0
    for _ in range(40):
        s = rng.normal(size=len(w))
        s *= float(rho) / np.sqrt((w * s * s).sum())
        C = np.linalg.solve(A, np.array([phi(t * s) for t in ts]))
        worst = max(worst, float(np.linalg.norm(C[3] + C[4])))
    assert 0 < worst < b["rem_g"]

"""The family kernel's arithmetic (docs/families.md): graded values, the special functions, the Hermite-split
loss against the symmetric kind's compact enclosures at integer k, derivatives along lines, and the s = 0
limit system derived in the docs."""
from __future__ import annotations

import math

import mpmath as mp
import numpy as np
import pytest

from certify.families import continuation as C
from certify.families.table import FAMILIES
from certify.kernel.certificate import NotProven
from certify.kernel.families import landscape as Lm
from certify.kernel.families.graded import Graded, Powers, asin_over, asin_over_prime, omega, omega_prime
from certify.kernel.families.system import curvature, equations, refine
from certify.kernel.interval import Interval
from certify.kernel.spurious_symmetric import compact as SC

PI = math.pi


def mid(x: Interval) -> np.ndarray:
    return 0.5 * (x.lo + x.hi)


# ----------------------------------------------------------------------------- graded arithmetic


def test_graded_valuations_and_exact_zeros():
    P = Powers(np.array([0.0, 0.1]), np.array([0.01, 0.2]))
    k_minus_3 = Lm.kpolys([(-3, 1)], P)[0]  # k - 3 = s^-2 (1 - 3 s^2)
    assert int(k_minus_3.v) == -2
    x = Graded(Interval.point(np.array([2.0, 2.0])), 2, P)  # s^2 * 2
    prod = k_minus_3 * x.sqr()  # (k - 3) 4 s^4 = 4 s^2 (1 - 3 s^2)
    assert int(prod.v) == 2
    val = prod.value()
    s = np.array([0.005, 0.15])
    exact = 4 * s**2 * (1 - 3 * s**2)
    assert np.all(val.lo <= exact) and np.all(exact <= val.hi)
    zero = Graded.const(0.0, P)
    assert int((zero + x).v) == 2  # an exact zero never lowers a valuation
    with pytest.raises(NotProven):
        (k_minus_3 * x).value()  # valuation 0: fine; but k alone on a piece reaching s = 0 is not
        k_minus_3.value()


def test_graded_sum_aligns_valuations():
    P = Powers(np.array([0.1]), np.array([0.1]))
    a = Graded(Interval.point(np.array([[1.0, 3.0, 5.0]])), np.array([0, 2, 4]), P)
    total = a.sum(axis=0).value()
    from fractions import Fraction

    s = Fraction(0.1)
    exact = 1 + 3 * s**2 + 5 * s**4
    assert Fraction(total.lo[0]) <= exact <= Fraction(total.hi[0]) and total.hi[0] - total.lo[0] < 1e-14


@pytest.mark.parametrize("y", [0.0, 1e-14, 3e-3, 0.2, 0.25, 0.2500001, 0.6, 0.95])
def test_special_functions_enclose_mpmath(y):
    mp.mp.dps = 40
    z = mp.mpf(y)

    def g(t):
        return mp.asin(mp.sqrt(t)) / mp.sqrt(t) if t > 0 else mp.mpf(1)

    def om(t):
        return (mp.sqrt(t) - mp.atan(mp.sqrt(t))) / t ** mp.mpf(1.5) if t > 0 else mp.mpf(1) / 3

    cases = [(asin_over, g(z)), (omega, om(z)),
             (asin_over_prime, mp.diff(g, z) if y > 0 else mp.mpf(1) / 6),
             (omega_prime, mp.diff(om, z) if y > 0 else mp.mpf(-1) / 5)]
    for f, ref in cases:
        I = f(Interval(np.array([y]), np.array([y])))
        assert I.lo[0] <= ref <= I.hi[0], f.__name__
        assert I.hi[0] - I.lo[0] < 1e-14


def test_special_functions_monotone_on_intervals():
    y = Interval(np.array([0.01, 0.3]), np.array([0.2, 0.9]))
    for f, fl in ((asin_over, lambda t: mp.asin(mp.sqrt(t)) / mp.sqrt(t)),
                  (omega, lambda t: (mp.sqrt(t) - mp.atan(mp.sqrt(t))) / t ** mp.mpf(1.5))):
        I = f(y)
        for i in range(2):
            for t in np.linspace(y.lo[i], y.hi[i], 7):
                assert I.lo[i] <= fl(mp.mpf(t)) <= I.hi[i]
    with pytest.raises(NotProven):
        asin_over(Interval(np.array([0.5]), np.array([1.0])))


# ----------------------------------------------------------------------------- against the symmetric kind


def _compare(p: tuple, values: np.ndarray, k: int, ref_p, expo_p) -> None:
    ref = SC.refinement(p)
    phi_q = SC.values_to_theta(p, values)[ref.parent]
    e = SC.enclose(ref.q, Interval.point(phi_q), want_hess=True, want_m=True)
    cells = Lm.Cells(tuple((c, 0) for c in ref.q))  # integer k: every cell size constant
    lay = Lm.layout(cells)
    assert lay.params == SC.layout(ref.q).params
    refq = np.array([ref_p[a] for a in ref.parent], dtype=float)
    expq = np.array([expo_p[a] for a in ref.parent])
    s = 1 / math.sqrt(k)
    P = Powers(np.array([s]), np.array([s]))
    psi = (phi_q - refq) / s**expq
    L = Lm.evaluate(cells, refq, expq, Lm.Point(Interval.point(psi[None])), P, want_hess=True, want_m=True)
    sizes = np.array(ref.q, dtype=float)
    d1 = mid(L.d1.value())[0]
    loss = 0.5 * (mid(L.d0.value())[0] ** 2 / (2 * PI) + 0.25 * np.sum(sizes * d1**2) + mid(L.rest.value())[0])
    tight = SC.enclose_point_arb(ref.q, phi_q)  # 256-bit balls (binary64 intervals lose ~1e-16 k^2 here)
    assert loss == pytest.approx(float(mid(tight.loss)), rel=1e-11, abs=1e-15)
    grad_d1 = sum(mid((L.d1_grads[a] * (L.sizes[a] * L.d1[a] * 0.5)).value())[0] for a in range(len(ref.q)))
    grad = 0.5 * (mid(L.grad_d0.value())[0] + grad_d1 + mid(L.grad_k.value())[0])
    scale = np.abs(mid(e.hess)).max()
    assert np.allclose(grad, mid(tight.grad), atol=1e-12 * scale)
    H = 0.5 * mid((L.hess_rest + L.hess_d1).value())[0]
    assert np.allclose(H, mid(e.hess), rtol=1e-11, atol=1e-12 * scale)
    assert np.allclose(0.5 * mid(L.m2.value())[0], mid(e.m_scaled), atol=1e-12)


# points of the families (any point would do: the split is an identity), from the stored per-k certificates and
# the published record (data/sys2021-minima.json, p = (2, 18) and (4, 16) at k = 20)
POINTS = {
    ("delta-s-k-minus-1", 7): [[-0.6327039049152542, 0.2616910758354652, 0.0],
                               [0.18599104632000957, 0.9969227987935689, -0.035080155932389]],
    ("delta-s-k-minus-1", 60): [[-0.9112, 0.0331, 0.0], [0.0218, 1.0001, -0.0003]],
    ("delta-s-k", 9): [[-0.7519, 0.2216]],
    ("two-k-minus-2", 20): [[-0.8215, 0.0946, 0.0819], [0.0647, 1.0048, -0.0078]],
    ("four-k-minus-4", 20): [[-0.8407, 0.0974, 0.0832], [0.0666, 1.0050, -0.0179]],  # published p = (4, 16)
}


@pytest.mark.parametrize("name,k", sorted(POINTS))
def test_hermite_split_matches_the_symmetric_kind(name, k):
    """At integer k the graded Hermite-split formulas are F_k restricted, its gradient, the compressed Hessian and
    M: the same numbers as certify.kernel.spurious_symmetric.compact (a different formula)."""
    pat = FAMILIES[name].pattern()
    sizes = tuple(c0 + c1 * k for c0, c1 in pat.p.sizes)
    values = np.array(POINTS[(name, k)], dtype=float)
    if values.shape[1] == 2:  # p = (k): [[d, o]]
        values = np.array([[values[0, 0], values[0, 1]]])
    _compare(sizes, values, k, pat.ref, pat.expo)


def test_derivatives_along_a_line_match_finite_differences():
    fam = FAMILIES["delta-s-k-minus-1"]
    pat = fam.pattern()
    s = 0.2
    psi = np.array([4.01, 1.88, 1.28, 1.38, -1.44])  # near the family at k = 25 (any point will do)
    w = np.linspace(0.3, -0.7, pat.n)

    def G(sv, p):
        return mid(equations(pat, Lm.Point(Interval.point(p[None])), Powers(np.array([sv]), np.array([sv])),
                             want_J=False).G)[0]

    def Cq(sv, p):
        return mid(curvature(pat, Lm.Point(Interval.point(p[None])), Powers(np.array([sv]), np.array([sv])), 2).C)[0]

    P = Powers(np.array([s]), np.array([s]), order=2)
    E = equations(pat, Lm.Point(Interval.point(psi[None]), w[None]), P)
    cu = curvature(pat, Lm.Point(Interval.point(psi[None]), w[None]), P, 2)
    h = 1e-6
    assert np.allclose(mid(E.dG)[0], (G(s + h, psi + h * w) - G(s - h, psi - h * w)) / (2 * h), atol=1e-7)
    assert np.allclose(mid(cu.dC)[0], (Cq(s + h, psi + h * w) - Cq(s - h, psi - h * w)) / (2 * h), atol=1e-6)
    h2 = 1e-4  # second derivatives along the line
    g2 = (G(s + h2, psi + h2 * w) - 2 * G(s, psi) + G(s - h2, psi - h2 * w)) / h2**2
    c2 = (Cq(s + h2, psi + h2 * w) - 2 * Cq(s, psi) + Cq(s - h2, psi - h2 * w)) / h2**2
    assert np.allclose(mid(E.d2G)[0], g2, atol=1e-5)
    assert np.allclose(mid(cu.d2C)[0], c2, atol=1e-4 * max(1.0, np.abs(c2).max()))
    J = np.zeros((pat.n, pat.n))
    for j in range(pat.n):
        e = np.zeros(pat.n)
        e[j] = h
        J[:, j] = (G(s, psi + e) - G(s, psi - e)) / (2 * h)
    assert np.allclose(mid(E.J)[0], J, atol=1e-7)


# ----------------------------------------------------------------------------- the limit system (docs section 5)


def test_limit_system_of_delta_s_k_minus_1():
    pat = FAMILIES["delta-s-k-minus-1"].pattern()
    psi0 = np.array([2 + 8 / PI + 8 / PI**2, 2, 4 / PI, 8 / PI, -4 / PI])
    G, J = C.system(pat, psi0[None], np.zeros(1))
    assert np.abs(G).max() < 1e-14
    a, b, g, d, e = psi0
    derived = np.array([
        [0.25, -0.25 - b / PI, 1 / (2 * PI), -1 / (2 * PI), 0],
        [0, 0.25, 0, 0, 0],
        [0, -1 / (2 * PI), 0.5, 0, 0.25],
        [-1 / (2 * PI), b / (2 * PI), 0.25 + g / (2 * PI), 1 / (2 * PI), 0.25],
        [0, 0, 0.25, 0, 0.25]])
    assert np.allclose(J[0], derived, atol=1e-14)
    assert np.linalg.det(J[0]) == pytest.approx((PI - 2) / (512 * PI**2), rel=1e-10)
    # G at another psi: the closed forms of docs/families.md
    psi = np.array([3.0, 1.5, 0.7, -0.4, 0.9])
    a, b, g, d, e = psi
    G, _ = C.system(pat, psi[None], np.zeros(1))
    closed = [a / 4 - b / 4 + (g - d - b * b) / (2 * PI), b / 4 - 0.5, g / 2 + e / 4 - b / (2 * PI),
              -a / (2 * PI) + (g + e) / 4 + d / (2 * PI) + (b * b + g * g) / (4 * PI), (g + e) / 4]
    assert np.allclose(G[0], closed, atol=1e-14)


def test_limit_system_of_delta_s_k():
    pat = FAMILIES["delta-s-k"].pattern()
    A, B = 2.7, 1.3
    G, J = C.system(pat, np.array([[A, B]]), np.zeros(1))
    assert np.allclose(G[0], [-0.5 + A / (2 * PI) + B / 4 - B * B / (4 * PI), B / 4 - 0.5], atol=1e-14)
    G, J = C.system(pat, np.array([[2.0, 2.0]]), np.zeros(1))
    assert np.abs(G).max() < 1e-15 and np.linalg.det(J[0]) == pytest.approx(1 / (8 * PI), rel=1e-12)


# p = (a, k - a): a defective students, each with the Delta S_{k-1} limit (read off the pattern; the kernel's
# enclosures of the stored certificates contain these values); a = 2, 4 and the kind's largest, 12
@pytest.mark.parametrize("name,limit", [("delta-s-k-minus-1", 0.5 - 2 / PI**2), ("delta-s-k", 0.5 - 1 / PI)]
                         + [(n, a * (0.5 - 2 / PI**2)) for n, a in (("two-k-minus-2", 2), ("four-k-minus-4", 4),
                                                                    ("twelve-k-minus-12", 12))])
def test_limit_of_the_loss(name, limit):
    fam = FAMILIES[name]
    pat = fam.pattern()
    lp = 2 if fam.loss_scale == "k" else 0
    psi = C.newton(pat, np.array(fam.start)[None], np.zeros(1))
    assert C.loss(pat, psi, np.zeros(1), lp)[0] == pytest.approx(limit, rel=1e-13)
    P = Powers(np.zeros(1), np.zeros(1))
    cu = curvature(pat, Lm.Point(Interval.point(psi)), P, lp)
    assert cu.loss.lo[0] <= limit <= cu.loss.hi[0]


def test_refinement_of_a_growing_block():
    q, par, parent = refine(Lm.Cells(((1, 0), (-1, 1))))
    assert q.sizes == ((1, 0), (-3, 1), (1, 0), (1, 0)) and Lm.layout(q).n == 17
    q, _, _ = refine(Lm.Cells(((0, 1),)))
    assert q.sizes == ((-2, 1), (1, 0), (1, 0)) and Lm.layout(q).n == 10

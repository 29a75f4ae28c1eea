"""The arithmetic of the symmetric kind's hot path (certify/kernel/spurious_symmetric/compact.py):
the lean interval arrays ``IV`` and the summation plans against exact rationals, and the box
enclosures (gradient, Hessian, M) against the dense float formulas at points of the box, for block
patterns with cells of size 1, 2 (a dot-form coefficient q_b - 2 = 0) and larger."""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from symmetric_testing import cell_matrix

from certify.kernel.certificate import NotProven
from certify.kernel.interval import Interval
from certify.kernel.spurious_symmetric import compact as C
from certify.spurious_minima import landscape as L

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflows on purpose (then NotProven)
RNG = np.random.default_rng(20261203)


def _random_iv(shape, scale=1.0, rng=RNG):
    a = rng.standard_normal(shape) * scale
    b = a + np.abs(rng.standard_normal(shape)) * scale * 10.0 ** rng.integers(-12, 0, size=shape)
    return C.IV(a, b)


def _points(x: C.IV):
    """Exact rationals: both ends and the midpoint of each entry."""
    lo, hi = x.lo.ravel(), x.hi.ravel()
    return [[Fraction(float(a)), Fraction(float(b)), (Fraction(float(a)) + Fraction(float(b))) / 2] for a, b in zip(lo, hi)]


def _contains(r: C.IV, values, idx):
    return Fraction(float(r.lo.ravel()[idx])) <= values <= Fraction(float(r.hi.ravel()[idx]))


# ----------------------------------------------------------------------------- IV against exact rationals


@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_iv_binary_operations_enclose_the_exact_results(op):
    for trial in range(20):
        x, y = _random_iv(8), _random_iv(8)
        if op == "div":
            y = C.IV(np.abs(y.lo) + 0.5, np.abs(y.hi) + 0.5) if trial % 2 else C.IV(-np.abs(y.hi) - 0.5, -np.abs(y.lo) - 0.5)
        r = {"add": x + y, "sub": x - y, "mul": x * y, "div": x / y}[op]
        for i, (px, py) in enumerate(zip(_points(x), _points(y))):
            for a, b in itertools.product(px, py):
                exact = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op]
                assert _contains(r, exact, i), (op, i)


def test_iv_scale_sqr_sqrt_sum_enclose_the_exact_results():
    x = _random_iv(9)
    c = np.array([3.0, -2.0, 0.0, 1e10, -0.5, 7.0, 1.0, -1.0, 2.0 ** -30])
    s, q = x.scale(c), x.sqr()
    for i, px in enumerate(_points(x)):
        for a in px:
            assert _contains(s, Fraction(float(c[i])) * a, i)
            assert _contains(q, a * a, i)
    pos = C.IV(np.abs(x.lo), np.abs(x.lo) + np.abs(x.hi))
    r = pos.sqrt()
    for i, px in enumerate(_points(pos)):
        for a in px:
            assert Fraction(float(r.lo[i])) ** 2 <= a <= Fraction(float(r.hi[i])) ** 2
    y = _random_iv((3, 7))
    t = y.sum_last()
    for row in range(3):
        assert Fraction(float(t.lo[row])) <= sum(Fraction(float(v)) for v in y.lo[row])
        assert sum(Fraction(float(v)) for v in y.hi[row]) <= Fraction(float(t.hi[row]))


def test_iv_refuses_what_it_cannot_enclose():
    with pytest.raises(NotProven, match="contains 0"):
        C.IV(np.array([1.0]), np.array([2.0])) / C.IV(np.array([-1.0]), np.array([1.0]))
    with pytest.raises(NotProven, match="below 0"):
        C.IV(np.array([-1e-300]), np.array([1.0])).sqrt()
    big = C.IV(np.array([1e308]), np.array([1e308]))
    for overflow in (lambda: big * big, lambda: big + big, lambda: big.scale(10.0), lambda: big.sqr(),
                     lambda: C.IV(np.array([1.0]), np.array([1.0])) / C.IV(np.array([1e-310]), np.array([1e-310]))):
        with pytest.raises(NotProven, match="non-finite"):
            overflow()
    with pytest.raises(NotProven):
        C.IV.point([0.0, np.nan])


# ----------------------------------------------------------------------------- summation plans


def test_plan_sums_enclose_the_exact_sums():
    for n_out, n_src in ((1, 1), (5, 40), (30, 200), (7, 0)):
        targets = RNG.integers(-1, n_out, size=n_src)  # -1: the source is not used
        plan = C.make_plan(targets, n_out)
        src = _random_iv(n_src)
        out = C.apply_plan(plan, src)
        assert out.lo.shape == (n_out,)
        for o in range(n_out):
            sel = np.nonzero(targets == o)[0]
            lo = sum((Fraction(float(src.lo[j])) for j in sel), Fraction(0))
            hi = sum((Fraction(float(src.hi[j])) for j in sel), Fraction(0))
            assert Fraction(float(out.lo[o])) <= lo and hi <= Fraction(float(out.hi[o]))
            if sel.size == 0:
                assert out.lo[o] == 0.0 and out.hi[o] == 0.0  # no source: exactly 0
            if sel.size == 1:
                assert out.lo[o] == src.lo[sel[0]] and out.hi[o] == src.hi[sel[0]]  # copied, not rounded


def test_plan_overflow_is_not_proven():
    plan = C.make_plan([0, 0, 0], 1)
    with pytest.raises(NotProven, match="non-finite"):
        C.apply_plan(plan, C.IV(np.full(3, 1e308), np.full(3, 1e308)))
    with pytest.raises(NotProven, match="non-finite"):
        C.apply_plan(plan, C.IV(np.full(3, -1e308), np.full(3, -1e308)))


def test_group_sum_and_compress_are_r_transpose():
    for p in ((1, 6), (2, 5), (3, 4), (6, 1, 12), (4, 4)):
        ref = C.refinement(p)
        n_p = C.layout(p).n
        R = np.zeros((ref.parent.size, n_p))
        R[np.arange(ref.parent.size), ref.parent] = 1.0
        x = RNG.integers(-50, 50, size=ref.parent.size).astype(float)  # the float sums are exact
        g = C.group_sum(p, C.IV(x, x))
        assert np.all(g.lo <= R.T @ x) and np.all(R.T @ x <= g.hi) and np.all(g.hi - g.lo < 1e-12)
        h = RNG.integers(-50, 50, size=(ref.parent.size,) * 2).astype(float)
        c = C.compress(p, C.IV(h, h))
        assert np.all(c.lo <= R.T @ h @ R) and np.all(R.T @ h @ R <= c.hi) and np.all(c.hi - c.lo < 1e-11)


def test_values_to_theta_and_layout_follow_the_certificate_layout():
    p = (3, 1, 5)
    vals = np.arange(12, dtype=float).reshape(3, 4)
    lay = C.layout(p)
    th = C.values_to_theta(p, vals)
    for s, prm in enumerate(lay.params):
        expect = vals[prm[1], prm[2]] if prm[0] == "x" else vals[prm[1], prm[1]] if prm[0] == "d" else vals[prm[1], 3]
        assert th[s] == expect
    sizes = {("x", 0, 1): 3, ("d", 2): 5, ("o", 2): 20, ("o", 0): 6, ("x", 2, 0): 15}
    for prm, D in sizes.items():
        assert lay.sizes[lay.index[prm]] == D
    assert C.layout((7, 1, 8)).params == C.layout((3, 1, 5)).params  # the pattern is shared


# ----------------------------------------------------------------------------- box enclosures vs dense formulas




def _random_point(q, rng):
    """A generic block-constant point: diagonal ~ 1, the rest small (no parallel rows)."""
    lay = C.layout(tuple(q))
    th = np.empty(lay.n)
    for s, prm in enumerate(lay.params):
        th[s] = 1.0 + 0.3 * rng.standard_normal() if prm[0] == "d" else 0.25 * rng.standard_normal()
    return th


@pytest.mark.parametrize("q", [(1, 4, 1, 1), (1, 1, 3, 1, 1), (1, 1, 1, 2, 1, 1), (2, 1, 1), (2,), (1, 1), (3, 1, 2, 1)])
def test_box_enclosures_contain_the_dense_values_at_points_of_the_box(q):
    rng = np.random.default_rng(sum(q) * 31 + len(q))
    k = sum(q)
    V = L.identity_teacher(k)
    Q = cell_matrix(q)
    th = _random_point(q, rng)
    box = Interval.around(th, 1e-4 * (1 + np.abs(th)))
    e = C.enclose(q, box, want_hess=True, want_m=True)
    blk = np.repeat(np.arange(len(q)), q)
    Qs = np.zeros((len(q), k))
    Qs[blk, np.arange(k)] = 1.0
    Dm = np.sqrt(np.outer(np.array(q, float), np.array(q, float)))
    corners = [box.lo, box.hi, 0.5 * (box.lo + box.hi)] + [box.lo + rng.random(th.size) * (box.hi - box.lo) for _ in range(3)]
    for pt in corners:
        W = (Q.T @ pt).reshape(k, k)
        F = L.loss(W[None], V)[0]
        g = Q @ L.gradient(W[None], V)[0].ravel()
        H = Q @ L.hessian(W[None], V)[0] @ Q.T
        M = (Qs @ L.m_matrix(W[None], V)[0] @ Qs.T) / Dm
        tol = 1e-12
        assert e.loss.lo - tol <= F <= e.loss.hi + tol
        assert np.all(e.grad.lo - tol * (1 + np.abs(g)) <= g) and np.all(g <= e.grad.hi + tol * (1 + np.abs(g)))
        scale = 1e-12 * (1 + np.abs(H).max())
        assert np.all(e.hess.lo - scale <= H) and np.all(H <= e.hess.hi + scale), q
        assert np.all(e.m_scaled.lo - tol <= M) and np.all(M <= e.m_scaled.hi + tol)
    # and the enclosures are tight (widths of the order of the box)
    assert np.max(e.hess.hi - e.hess.lo) < 1e-1 * (1 + np.abs(e.hess.lo).max())
    # the Hessian enclosure is exactly symmetric; the point enclosure (arb) lies inside the box one
    assert np.array_equal(e.hess.lo, e.hess.lo.T) and np.array_equal(e.hess.hi, e.hess.hi.T)
    a = C.enclose_point_arb(q, th)
    assert e.loss.lo <= a.loss.lo and a.loss.hi <= e.loss.hi
    assert np.all(e.grad.lo <= a.grad.lo) and np.all(a.grad.hi <= e.grad.hi)


def test_box_enclosure_refuses_parallel_or_zero_neurons():
    q = (1, 4, 1, 1)
    lay = C.layout(q)
    th = np.zeros(lay.n)
    for prm, s in lay.index.items():
        if prm[0] == "d":
            th[s] = 1.0  # W = I: every student parallel to its teacher
    with pytest.raises(NotProven, match="parallel"):
        C.enclose(q, Interval.around(th, 1e-6), want_hess=True)
    with pytest.raises(NotProven, match="zero"):
        C.enclose(q, Interval.around(np.zeros(lay.n), 1e-6))
    with pytest.raises(NotProven, match="parallel|zero"):
        C.enclose_point_arb(q, th)
    with pytest.raises(NotProven):
        C.enclose_point_arb(q, np.full(lay.n, np.nan))

"""Float landscape (untrusted), rigorous enclosures (trusted), the M matrix,
and the search's determinism and symmetry grouping.

An independent high-precision reference (mpmath, written from the formulas
of docs/spurious-minima.md) is used to test the rigorous enclosures: its
loss is checked against finite differences, and the rigorous intervals must
contain its values.
"""
from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest

from certify.kernel.interval import Interval, NotProven
from certify.spurious_minima import landscape as L
from certify.kernel.teacher_student import enclose
from certify.spurious_minima.search import (
    MinimumClass,
    SearchConfig,
    classify,
    group,
    orbit_key,
    same_orbit,
    search,
)

# --------------------------------------------------------------------------- helpers


def _random_W(seed, n, d):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)) / np.sqrt(d) + 0.1


def _num_grad(W, V, h=1e-6):
    g = np.zeros_like(W)
    for idx in np.ndindex(W.shape):
        E = np.zeros_like(W)
        E[idx] = h
        g[idx] = (L.loss((W + E)[None], V)[0] - L.loss((W - E)[None], V)[0]) / (2 * h)
    return g


def _num_hess(W, V, h=1e-6):
    n, d = W.shape
    H = np.zeros((n * d, n * d))
    for a, idx in enumerate(np.ndindex(W.shape)):
        E = np.zeros_like(W)
        E[idx] = h
        H[:, a] = ((L.gradient((W + E)[None], V)[0] - L.gradient((W - E)[None], V)[0]) / (2 * h)).ravel()
    return H


# -- mpmath reference for V = I_k (d = k), straight from the documented formulas

MP_PREC = 400


def _mp(W):
    return [[mpmath.mpf(float(x)) for x in row] for row in W]


def _mp_norm(w):
    return mpmath.sqrt(mpmath.fsum(x * x for x in w))


def _mp_angle(w, nw, v, nv):
    c = mpmath.fsum(a * b for a, b in zip(w, v)) / (nw * nv)
    return c, mpmath.sqrt(1 - c * c), mpmath.acos(c)


def mp_loss(W):
    n, k = len(W), len(W[0])
    nrm = [_mp_norm(w) for w in W]
    two_pi = 2 * mpmath.pi
    tot = mpmath.fsum(x * x for x in nrm) / 2
    for i in range(n):
        for i2 in range(n):
            if i != i2:
                c, s, t = _mp_angle(W[i], nrm[i], W[i2], nrm[i2])
                tot += nrm[i] * nrm[i2] * (s + (mpmath.pi - t) * c) / two_pi
        for j in range(k):
            c = W[i][j] / nrm[i]
            s, t = mpmath.sqrt(1 - c * c), mpmath.acos(c)
            tot -= 2 * nrm[i] * (s + (mpmath.pi - t) * c) / two_pi
    tot += mpmath.mpf(k) / 2 + mpmath.mpf(k * (k - 1)) / two_pi
    return tot / 2


def mp_grad(W):
    n, k = len(W), len(W[0])
    nrm = [_mp_norm(w) for w in W]
    two_pi = 2 * mpmath.pi
    G = []
    for i in range(n):
        what = [x / nrm[i] for x in W[i]]
        g = [x / 2 for x in W[i]]
        for i2 in range(n):
            if i2 != i:
                c, s, t = _mp_angle(W[i], nrm[i], W[i2], nrm[i2])
                g = [g[a] + (nrm[i2] * s * what[a] + (mpmath.pi - t) * W[i2][a]) / two_pi for a in range(k)]
        for j in range(k):
            c = what[j]
            s, t = mpmath.sqrt(1 - c * c), mpmath.acos(c)
            g = [g[a] - (s * what[a] + (mpmath.pi - t) * (1 if a == j else 0)) / two_pi for a in range(k)]
        G.append(g)
    return G


def mp_hess(W, h=mpmath.mpf(10) ** -40):
    """Central differences of mp_grad at 400 bits: error ~ h^2 = 1e-80."""
    n, k = len(W), len(W[0])
    H = [[None] * (n * k) for _ in range(n * k)]
    for a in range(n * k):
        Wp = [row[:] for row in W]
        Wm = [row[:] for row in W]
        Wp[a // k][a % k] += h
        Wm[a // k][a % k] -= h
        gp, gm = mp_grad(Wp), mp_grad(Wm)
        for b in range(n * k):
            H[b][a] = (gp[b // k][b % k] - gm[b // k][b % k]) / (2 * h)
    return H


def mp_m(W):
    n, k = len(W), len(W[0])
    nrm = [_mp_norm(w) for w in W]
    two_pi = 2 * mpmath.pi
    M = [[None] * n for _ in range(n)]
    for i in range(n):
        num = mpmath.mpf(0)
        for i2 in range(n):
            if i2 != i:
                c, s, t = _mp_angle(W[i], nrm[i], W[i2], nrm[i2])
                num += nrm[i2] * s
                M[i][i2] = (mpmath.pi - t) / two_pi
        for j in range(k):
            c = W[i][j] / nrm[i]
            num -= mpmath.sqrt(1 - c * c)
        M[i][i] = mpmath.mpf(1) / 2 + num / (two_pi * nrm[i])
    return M


@pytest.fixture
def mp_prec():
    old = mpmath.mp.prec
    mpmath.mp.prec = MP_PREC
    yield
    mpmath.mp.prec = old


def _iv_contains(iv: Interval, ref) -> None:
    lo, hi = np.atleast_1d(iv.lo).ravel(), np.atleast_1d(iv.hi).ravel()
    ref = list(np.array(ref, dtype=object).ravel()) if isinstance(ref, list) else [ref]
    assert len(ref) == lo.size
    for a, r, b in zip(lo, ref, hi):
        assert mpmath.mpf(float(a)) <= r <= mpmath.mpf(float(b)), (float(a), float(r), float(b))


SHAPES = [(4, 3, 5), (6, 6, 6)]  # (n, k, d)


# --------------------------------------------------------------------------- float landscape


@pytest.mark.parametrize("n,k,d", SHAPES)
def test_gradient_matches_finite_differences(n, k, d):
    V = L.identity_teacher(k, d)
    W = _random_W(n * 100 + d, n, d)
    g = L.gradient(W[None], V)[0]
    gn = _num_grad(W, V)
    assert g.shape == (n, d)
    assert np.max(np.abs(g - gn)) < 1e-7 * max(1.0, np.max(np.abs(g)))
    assert np.max(np.abs(g)) > 1e-3  # not a trivial comparison of zeros


@pytest.mark.parametrize("n,k,d", SHAPES)
def test_hessian_matches_finite_differences(n, k, d):
    V = L.identity_teacher(k, d)
    W = _random_W(n * 100 + d + 1, n, d)
    H = L.hessian(W[None], V)[0]
    Hn = _num_hess(W, V)
    assert H.shape == (n * d, n * d)
    assert np.max(np.abs(H - Hn)) < 1e-6
    assert np.max(np.abs(H - H.T)) < 1e-12


def test_hessian_matches_finite_differences_at_the_spurious_minimum(spurious_point):
    V = L.identity_teacher(6)
    H = L.hessian(spurious_point[None], V)[0]
    assert np.max(np.abs(H - _num_hess(spurious_point, V))) < 1e-6
    assert np.linalg.eigvalsh(H)[0] > 1e-3


@pytest.mark.parametrize("n,k,d", SHAPES)
def test_loss_matches_monte_carlo(n, k, d):
    V = L.identity_teacher(k, d)
    W = _random_W(n * 100 + d + 2, n, d)
    F = float(L.loss(W[None], V)[0])
    rng = np.random.default_rng(123)
    N = 1_000_000
    vals = []
    for _ in range(4):
        X = rng.standard_normal((N // 4, d))
        diff = np.maximum(X @ W.T, 0).sum(axis=1) - np.maximum(X @ V.T, 0).sum(axis=1)
        vals.append(0.5 * diff * diff)
    vals = np.concatenate(vals)
    mean, se = vals.mean(), vals.std(ddof=1) / np.sqrt(N)
    assert abs(mean - F) < 5 * se
    assert se < 0.01 * F  # the test has power: a 5% error in F would be caught


def test_loss_is_zero_at_global_minimum():
    for k in (3, 6):
        V = L.identity_teacher(k)
        assert abs(L.loss(np.eye(k)[None], V)[0]) < 1e-12
        P = np.eye(k)[np.random.default_rng(k).permutation(k)]
        assert abs(L.loss(P[None], V)[0]) < 1e-12
        # embedded in d = k + 2, still zero; the gradient vanishes too
        V2 = L.identity_teacher(k, k + 2)
        W2 = np.hstack([np.eye(k), np.zeros((k, 2))])
        assert abs(L.loss(W2[None], V2)[0]) < 1e-12
        assert np.max(np.abs(L.gradient(W2[None], V2)[0])) < 1e-12
    # a nearby point has strictly positive loss
    assert L.loss((np.eye(6) + 0.01)[None], L.identity_teacher(6))[0] > 1e-6


def test_batched_equals_single():
    n, k, d = 4, 3, 5
    V = L.identity_teacher(k, d)
    Ws = np.stack([_random_W(s, n, d) for s in range(5)])
    for fn in (L.loss, L.gradient, L.hessian, L.m_matrix):
        batch = fn(Ws, V)
        for b in range(5):
            single = fn(Ws[b:b + 1], V)[0]
            np.testing.assert_allclose(batch[b], single, rtol=1e-13, atol=1e-15)
    assert not np.allclose(L.loss(Ws, V), L.loss(Ws, V)[0])  # distinct points really differ


# --------------------------------------------------------------------------- rigorous enclosures


def test_mp_reference_is_consistent(mp_prec):
    """The reference's gradient is the derivative of its loss (so the reference itself is right)."""
    W = _mp(_random_W(7, 3, 3))
    G = mp_grad(W)
    h = mpmath.mpf(10) ** -40
    for i in range(3):
        for a in range(3):
            Wp = [row[:] for row in W]
            Wm = [row[:] for row in W]
            Wp[i][a] += h
            Wm[i][a] -= h
            fd = (mp_loss(Wp) - mp_loss(Wm)) / (2 * h)
            assert abs(fd - G[i][a]) < mpmath.mpf(10) ** -60
    # and it agrees with the float landscape
    Wf = _random_W(7, 3, 3)
    assert abs(float(mp_loss(W)) - L.loss(Wf[None], L.identity_teacher(3))[0]) < 1e-14


@pytest.mark.parametrize("n,k", [(4, 3), (6, 6)])
def test_point_enclosures_contain_high_precision_values(n, k, mp_prec):
    Wf = _random_W(n * 10 + k, n, k)
    enc = enclose(Interval.point(Wf))
    W = _mp(Wf)
    _iv_contains(enc.loss, mp_loss(W))
    _iv_contains(enc.grad, mp_grad(W))
    _iv_contains(enc.m_matrix, mp_m(W))
    _iv_contains(enc.hess, mp_hess(W))
    for iv in (enc.loss, enc.grad, enc.hess, enc.m_matrix):
        assert np.all(np.isfinite(iv.lo)) and np.max(iv.hi - iv.lo) < 1e-11
    assert enc.hess.shape == (n * k, n * k) and enc.m_matrix.shape == (n, n) and enc.grad.shape == (n, k)


@pytest.mark.parametrize("n,k", [(4, 3), (6, 6)])
def test_point_enclosures_contain_float_values(n, k):
    Wf = _random_W(n * 10 + k + 1, n, k)
    V = L.identity_teacher(k)
    enc = enclose(Interval.point(Wf))
    tol = 1e-12
    for iv, val in [(enc.loss, L.loss(Wf[None], V)[0]), (enc.grad, L.gradient(Wf[None], V)[0]),
                    (enc.hess, L.hessian(Wf[None], V)[0]), (enc.m_matrix, L.m_matrix(Wf[None], V)[0])]:
        assert np.all(iv.lo - tol <= val) and np.all(val <= iv.hi + tol)
        assert np.max(iv.hi - iv.lo) < 1e-11


def test_box_enclosures_contain_values_inside_the_box(mp_prec):
    n, k, r = 4, 3, 1e-6
    Wf = _random_W(99, n, k)
    enc = enclose(Interval.around(Wf, r))
    rng = np.random.default_rng(5)
    samples = [Wf + r * rng.choice([-1.0, 1.0], size=Wf.shape) for _ in range(2)]
    samples += [Wf + r * rng.uniform(-1, 1, size=Wf.shape)]
    for S in samples:
        W = _mp(S)
        _iv_contains(enc.loss, mp_loss(W))
        _iv_contains(enc.grad, mp_grad(W))
        _iv_contains(enc.m_matrix, mp_m(W))
        _iv_contains(enc.hess, mp_hess(W))
    for iv in (enc.loss, enc.grad, enc.m_matrix):
        width = np.max(iv.hi - iv.lo)
        assert 1e-9 < width < 1e-3  # really a box enclosure, but not a useless one
    # the Hessian is a symmetric midpoint +- rho, rho a proven bound on the 2-norm of the whole
    # (12 x 12) radius matrix (docs/spurious-minima.md, "The dense Hessian check"), so each
    # entry's width is 2 rho: wider entrywise than an interval matrix, never looser for Rump's test
    width = np.max(enc.hess.hi - enc.hess.lo)
    assert 1e-9 < width < 1e-2


def test_enclosure_refuses_non_smooth_points(global_point):
    with pytest.raises(NotProven, match="parallel"):
        enclose(Interval.point(global_point))
    W = _random_W(3, 3, 3)
    W[1] = 2 * W[0]  # two parallel students
    with pytest.raises(NotProven, match="parallel"):
        enclose(Interval.point(W))
    W = _random_W(3, 3, 3)
    W[2] = 0.0  # a zero neuron
    with pytest.raises(NotProven, match="zero"):
        enclose(Interval.point(W))
    W = _random_W(3, 3, 3)
    with pytest.raises(NotProven):  # a box reaching a zero neuron
        enclose(Interval.around(W, 1.0))


# --------------------------------------------------------------------------- the M matrix


@pytest.mark.parametrize("where", ["spurious", "random"])
def test_embedded_hessian_spectrum_is_H_plus_two_copies_of_M(where, spurious_point):
    k = 6
    W = spurious_point if where == "spurious" else _random_W(17, 6, 6)
    V = L.identity_teacher(k)
    Vd = L.identity_teacher(k, k + 2)
    Wd = np.hstack([W, np.zeros((6, 2))])
    Hd = L.hessian(Wd[None], Vd)[0]
    Hk = L.hessian(W[None], V)[0]
    M = L.m_matrix(W[None], V)[0]
    expected = np.sort(np.concatenate([np.linalg.eigvalsh(Hk), np.linalg.eigvalsh(M), np.linalg.eigvalsh(M)]))
    got = np.linalg.eigvalsh(Hd)
    assert np.max(np.abs(got - expected)) < 1e-10
    # the extra block really is M (coordinate k of every student), and the loss is unchanged
    idx = [i * (k + 2) + k for i in range(6)]
    assert np.max(np.abs(Hd[np.ix_(idx, idx)] - M)) < 1e-12
    assert abs(L.loss(Wd[None], Vd)[0] - L.loss(W[None], V)[0]) < 1e-14
    if where == "spurious":
        assert np.max(np.abs(L.gradient(Wd[None], Vd)[0])) < 1e-12


# --------------------------------------------------------------------------- search


def test_search_is_deterministic_and_finds_the_spurious_class(search_result, spurious_class):
    again = search(SearchConfig(k=6, runs=300, seed=0, progress=False))
    assert again.labels == search_result.labels
    assert len(again.classes) == len(search_result.classes)
    for a, b in zip(again.classes, search_result.classes):
        assert a.label == b.label and a.runs == b.runs and a.loss == b.loss
        assert np.array_equal(a.point, b.point)
    assert search_result.labels.count("spurious") >= 1
    assert spurious_class.min_eig > 0 and spurious_class.min_eig_m > 0
    assert spurious_class.grad_norm < 1e-9
    V = L.identity_teacher(6)
    assert np.linalg.eigvalsh(L.hessian(spurious_class.point[None], V)[0])[0] > 1e-3
    assert abs(L.loss(spurious_class.point[None], V)[0] - 0.0250805810024) < 1e-10


def test_search_other_seed_differs():
    a = search(SearchConfig(k=6, runs=20, seed=1, progress=False))
    b = search(SearchConfig(k=6, runs=20, seed=2, progress=False))
    assert len(a.labels) == len(b.labels) == 20
    assert a.classes and b.classes
    pa = np.stack([c.point for c in a.classes])
    pb = np.stack([c.point for c in b.classes])
    assert pa.shape != pb.shape or not np.array_equal(pa, pb)


def test_classify_labels(spurious_point, saddle_point, global_point):
    V = L.identity_teacher(6)
    W = np.stack([spurious_point, saddle_point, global_point, spurious_point])
    loss = L.loss(W, V)
    eigs = np.full(4, np.nan)
    eigs[:2] = np.linalg.eigvalsh(L.hessian(W[:2], V))[:, 0]
    eigs[3] = eigs[0]
    grad_norm = np.array([0.0, 0.0, 0.0, 1e-3])  # the last run has not converged
    labels = classify(loss, grad_norm, eigs)
    assert labels == ["spurious", "saddle", "global", "unconverged"]
    assert eigs[0] > 0 and eigs[1] < 0


def test_saddle_fixture_is_a_critical_saddle(saddle_point):
    V = L.identity_teacher(6)
    assert np.linalg.norm(L.gradient(saddle_point[None], V)[0]) < 1e-12
    assert L.loss(saddle_point[None], V)[0] > 1e-3
    assert np.linalg.eigvalsh(L.hessian(saddle_point[None], V)[0])[0] < -1e-3


def _perm(rng, m):
    return np.eye(m)[rng.permutation(m)]


def test_orbit_grouping_under_permutations(spurious_class):
    W = spurious_class.point
    V = L.identity_teacher(6)
    rng = np.random.default_rng(3)
    for _ in range(5):
        P, Q = _perm(rng, 6), _perm(rng, 6)
        W2 = P @ W @ Q.T
        loss2 = float(L.loss(W2[None], V)[0])
        assert abs(loss2 - spurious_class.loss) < 1e-14
        assert np.array_equal(orbit_key(W2), orbit_key(W))
        assert same_orbit(spurious_class, W2, loss2)
        # the spectrum of the Hessian is invariant too
        e1 = np.linalg.eigvalsh(L.hessian(W[None], V)[0])
        e2 = np.linalg.eigvalsh(L.hessian(W2[None], V)[0])
        assert np.max(np.abs(e1 - e2)) < 1e-12
    # a different point is not in the orbit
    other = W + 1e-3 * rng.standard_normal(W.shape)
    assert not same_orbit(spurious_class, other, float(L.loss(other[None], V)[0]))
    assert not same_orbit(spurious_class, W, spurious_class.loss + 1e-6)


def test_group_merges_permuted_copies(spurious_class):
    W = spurious_class.point
    V = L.identity_teacher(6)
    rng = np.random.default_rng(4)
    W2 = _perm(rng, 6) @ W @ _perm(rng, 6).T
    W3 = W + 1e-3  # not in the orbit
    Ws = np.stack([W, W2, W3])
    loss = L.loss(Ws, V)
    classes = group(Ws, ["spurious"] * 3, loss, np.ones(3), np.ones(3), np.zeros(3), np.array([10, 11, 12]))
    assert len(classes) == 2
    assert sorted(len(c.runs) for c in classes) == [1, 2]
    assert isinstance(classes[0], MinimumClass)


def test_newton_polish_of_a_run_does_not_depend_on_the_batch():
    from certify.spurious_minima.search import newton_polish

    V = L.identity_teacher(6)
    rng = np.random.default_rng(0)
    W0 = rng.standard_normal((40, 6, 6)) / np.sqrt(6)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        Wb, gb = newton_polish(W0, V, 60)
        for b in range(4):
            Ws, gs = newton_polish(W0[b:b + 1], V, 60)
            np.testing.assert_allclose(Ws[0], Wb[b], atol=1e-8)

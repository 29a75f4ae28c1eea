"""Corollary 2 of docs/teacher-ball.md (the random-teacher dimension d0 from the concentration of ||S - I||_F):
the identities behind Lemmas D and E checked exactly, the kernel's d0 against an independent high-precision
computation, a Monte Carlo cross-check of E ||S - I||_F^2 <= beta_k(d)/d, and the arguments it must refuse."""
from __future__ import annotations

from collections import Counter
from fractions import Fraction

import numpy as np
import pytest
from flint import arb, fmpq, fmpq_poly

from certify.kernel.certificate import CertificateError
from certify.kernel.teacher_ball import kind as tb


def test_lemma_d_the_quartic_lies_below_the_square_root():
    """u - p(u^2 - 1) = u (u - 1)^4 (5u^3 + 20u^2 + 29u + 16)/16 exactly, p(x) = 1 + x/2 - x^2/8 + x^3/16 - 5x^4/16,
    and the cubic factor has positive coefficients, so the difference is >= 0 for u >= 0."""
    u = fmpq_poly([0, 1])
    x = u * u - 1
    p = 1 + x / 2 - x * x / 8 + x ** 3 / 16 - fmpq(5, 16) * x ** 4
    cubic = fmpq_poly([16, 29, 20, 5])
    assert u - p == u * (u - 1) ** 4 * cubic / 16
    assert all(c > 0 for c in cubic.coeffs())
    # and a smaller quartic coefficient would fail at lambda = 0 (u = 0 is where p must not exceed 0)
    p_bad = 1 + x / 2 - x * x / 8 + x ** 3 / 16 - fmpq(9, 32) * x ** 4
    assert p_bad(0) > 0


def _pairings(items):
    if not items:
        yield []
        return
    a = items[0]
    for i in range(1, len(items)):
        for rest in _pairings(items[1:i] + items[i + 1:]):
            yield [(a, items[i])] + rest


def _classes(n, pairs):
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    return len({find(i) for i in range(n)})


def wishart_trace_moment(p: int) -> Counter:
    """E tr (G G^T)^p for G (k x d) with i.i.d. N(0, 1) entries, as {(a, b): coefficient of k^a d^b}, by Isserlis'
    theorem: factor 2j is g[i_j, a_j] and factor 2j + 1 is g[i_(j+1 mod p), a_j]; a pairing joins the row indices
    and the column indices of its two factors."""
    row = lambda t: t // 2 if t % 2 == 0 else (t // 2 + 1) % p  # noqa: E731
    poly = Counter()
    for m in _pairings(list(range(2 * p))):
        poly[(_classes(p, [(row(a), row(b)) for a, b in m]), _classes(p, [(a // 2, b // 2) for a, b in m]))] += 1
    return poly


def _poly(k, d, coeffs):
    return sum(c * Fraction(k) ** a * Fraction(d) ** b for (a, b), c in coeffs.items())


def test_lemma_e_the_wishart_moments_by_enumerating_pairings():
    m = {p: wishart_trace_moment(p) for p in (1, 2, 3, 4)}
    assert sum(m[4].values()) == 105  # (2p - 1)!! pairings
    for k in range(1, 8):
        for d in (1, 2, 3, 5, 8, 13, 100):
            M = [None] + [_poly(k, d, m[p]) for p in (1, 2, 3, 4)]
            assert M[1] == k * d and M[2] == k * d * (k + d + 1)
            assert M[3] == k * d * (k * k + 3 * k * d + d * d + 3 * k + 3 * d + 4)
            assert M[4] == k * d * (k ** 3 + 6 * k * k * d + 6 * k * d * d + d ** 3 + 6 * k * k + 17 * k * d
                                    + 6 * d * d + 21 * k + 21 * d + 20)
            W = [Fraction(k)] + [M[p] / Fraction(d) ** p for p in (1, 2, 3, 4)]  # E tr W^p, W = G G^T / d
            X2 = W[2] - 2 * W[1] + W[0]
            X3 = W[3] - 3 * W[2] + 3 * W[1] - W[0]
            X4 = W[4] - 4 * W[3] + 6 * W[2] - 4 * W[1] + W[0]
            assert W[1] - W[0] == 0 and X2 == Fraction(k * (k + 1), d)
            assert X3 == Fraction(k * (k * k + 3 * k + 4), d * d)
            assert X4 == Fraction(k * (2 * k * k + 5 * k + 5), d * d) + Fraction(k * (k ** 3 + 6 * k * k + 21 * k + 20), d ** 3)
            # beta_k(d)/d = E tr X^2 / 4 - E tr X^3 / 8 + 5 E tr X^4 / 8 (the proof of Corollary 2)
            beta = Fraction(1, 4) * X2 - Fraction(1, 8) * X3 + Fraction(5, 8) * X4
            assert beta * d == (Fraction(k * (k + 1), 4) + Fraction(k * (9 * k * k + 22 * k + 21), 8 * d)
                                + Fraction(5 * k * (k ** 3 + 6 * k * k + 21 * k + 20), 8 * d * d))
            b = tb.frobenius_beta(k, d) / d  # the kernel's enclosure overlaps the exact value and is tight
            assert b.overlaps(arb(fmpq(beta.numerator, beta.denominator))) and float(b.rad()) < 1e-12 * float(beta)


def test_e_frobenius_squared_is_below_beta_over_d_monte_carlo():
    """A floating-point cross-check of the whole chain (no proof): the sampled mean of ||S - I||_F^2 lies below
    beta_k(d)/d, and near its leading term k(k + 1)/(4d) for large d."""
    rng = np.random.default_rng(1)
    for k, d in ((6, 30), (6, 300), (10, 1000)):
        G = rng.standard_normal((3000, k, d)) / np.sqrt(d)
        lam = np.linalg.eigvalsh(G @ G.transpose(0, 2, 1))
        f2 = ((np.sqrt(np.clip(lam, 0, None)) - 1) ** 2).sum(axis=1)
        bound = float(tb.frobenius_beta(k, d).mid()) / d
        assert f2.mean() + 6 * f2.std() / np.sqrt(len(f2)) < bound
        if d >= 300:
            assert f2.mean() > 0.85 * k * (k + 1) / (4 * d)


def _condition_holds(k: int, rho: Fraction, d: int) -> bool:
    """(sqrt(beta_k(d)) + sqrt(2 ln 100))^2 <= rho^2 d, computed independently of the kernel with mpmath at 300
    digits (enough for the 123-digit d0 below)."""
    import mpmath

    with mpmath.workdps(300):
        beta = (mpmath.mpf(k * (k + 1)) / 4 + mpmath.mpf(k * (9 * k * k + 22 * k + 21)) / (8 * d)
                + mpmath.mpf(5 * k * (k ** 3 + 6 * k * k + 21 * k + 20)) / (8 * d * d))
        r = mpmath.mpf(rho.numerator) / rho.denominator
        return bool((mpmath.sqrt(beta) + mpmath.sqrt(2 * mpmath.log(100))) ** 2 <= r * r * d)


def test_d0_frobenius_is_the_least_proven_dimension():
    for k, rho in ((6, Fraction(17, 20000)), (7, Fraction(7, 2000)), (20, Fraction(39, 5000)), (9, Fraction(1, 3)),
                   (2, Fraction(9, 10))):
        d0 = tb.corollary_d0_frobenius(k, rho)
        assert d0 >= k and _condition_holds(k, rho, d0) and (d0 == k or not _condition_holds(k, rho, d0 - 1))
        # and it is 2 to 7 times below the spectral-norm corollary's d0
        assert 1.9 < tb.corollary_d0(k, rho) / d0 < 7
    assert tb.corollary_d0_frobenius(6, Fraction(1, 1000), Fraction(1, 10)) < tb.corollary_d0_frobenius(6, Fraction(1, 1000))


def test_d0_frobenius_for_a_tiny_rho_is_exact_at_120_digits():
    """rho = 10^-60 (a 63-character rational, inside the kind's limit): d0 has 123 digits; the working precision
    grows with rho's size, so d0 is still the least proven integer (an earlier fixed 200 bits stepped by 1 across
    an enclosure 10^62 wide and gave up)."""
    k, rho = 20, Fraction(1, 10**60)
    d0 = tb.corollary_d0_frobenius(k, rho)
    assert len(str(d0)) == 123 and _condition_holds(k, rho, d0) and not _condition_holds(k, rho, d0 - 1)


@pytest.mark.parametrize("rho, delta", [(Fraction(1), Fraction(1, 100)), (Fraction(0), Fraction(1, 100)),
                                        (Fraction(1, 10), Fraction(0)), (Fraction(1, 10), Fraction(1)),
                                        (Fraction(-1, 10), Fraction(1, 100))])
def test_d0_frobenius_refuses_arguments_outside_the_corollary(rho, delta):
    with pytest.raises(CertificateError):
        tb.corollary_d0_frobenius(6, rho, delta)


def test_table_and_plot_report_both_d0(run_cli, tmp_path):
    """`certify teacher-ball table` re-checks the stored k = 6, 7, 8 balls and writes both d0 per row (the kernel's
    bounds), Corollary 2's below the spectral one; `plot --rows` draws them."""
    from helpers import CERTIFICATES

    rows_file = tmp_path / "rows.json"
    rc, out, err = run_cli("teacher-ball", "table", CERTIFICATES / "teacher_ball", "--json", rows_file)
    assert rc == 0, err
    assert "Frobenius concentration (Corollary 2)" in out
    import json

    ball = json.loads(rows_file.read_text())["ball"]
    assert [r["k"] for r in ball] == [6, 7, 8]
    for r in ball:
        assert r["d0_frobenius"] == tb.corollary_d0_frobenius(r["k"], Fraction(r["rho"])) < r["d0"] / 4
    assert ball[0]["d0_frobenius"] <= 10**8  # k = 6: below the 1e8 by Corollary 2
    pytest.importorskip("matplotlib")
    rc, out, err = run_cli("teacher-ball", "plot", "--rows", rows_file, "--out", tmp_path / "p.png")
    assert rc == 0 and (tmp_path / "p.png").stat().st_size > 10_000

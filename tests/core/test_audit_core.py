"""Adversarial audit of the shared kernel: certify/interval.py (Rump's test),
certify/certificate.py (number formats) and certify/checking.py (dispatch).

Each test either reproduces a defect found in the audit (it failed before the
fix) or documents an attack the kernel already rejects.
"""
from __future__ import annotations

import json
import random

import numpy as np
import pytest
from flint import fmpq, fmpq_mat

from pathlib import Path

from certify.kernel.certificate import CertificateError, as_rational
from certify.kernel.checking import check_data, check_file
from certify.kernel.definite import cholesky_succeeds, min_eigenvalue_lower_bound, symmetric_part
from certify.kernel.interval import Interval, NotProven

REPO = Path(__file__).resolve().parents[2]


def exactly_positive_definite(a: np.ndarray, shift: float = 0.0) -> bool:
    """Sylvester's criterion in exact rational arithmetic on the binary64 entries of a - shift*I."""
    n = a.shape[0]
    rows = [[fmpq(*float(a[i, j]).as_integer_ratio()) - (fmpq(*float(shift).as_integer_ratio()) if i == j else 0)
             for j in range(n)] for i in range(n)]
    for k in range(1, n + 1):
        if not fmpq_mat([r[:k] for r in rows[:k]]).det() > 0:
            return False
    return True


# ----------------------------------------------------------------------------- Rump's test


def test_cholesky_with_overflow_to_nan_is_not_a_success():
    """AUDIT FINDING: LAPACK/OpenBLAS potrf lets a NaN pivot through (NaN <= 0 is false), so
    np.linalg.cholesky "succeeds" with inf/NaN in the factor; Rump's theorem assumes no overflow.
    This matrix is indefinite (its leading 1-3 block has determinant d - a^2 < 0)."""
    d, a = 2.3e-15, 1.7e308
    m = np.array([[d, 0.0, a], [0.0, 1.0, 0.0], [a, 0.0, 1.0]])
    assert not exactly_positive_definite(m)
    assert not cholesky_succeeds(m, 0.0, 0.0)
    with pytest.raises(NotProven):
        min_eigenvalue_lower_bound(Interval(m))


def test_cholesky_with_huge_entries_is_not_a_success():
    # entries near the overflow threshold: refused rather than trusted (no proof of no-overflow)
    m = np.array([[1e300, 1e300], [1e300, 1e300]])  # singular
    assert not cholesky_succeeds(m, 0.0, 0.0)


def test_cholesky_test_never_accepts_a_non_pd_matrix_near_the_boundary():
    """Random symmetric matrices whose smallest eigenvalue sits within a few ulps-worth of the
    shift: whenever the test succeeds, exact rational arithmetic confirms A - shift*I > 0."""
    rng = np.random.default_rng(7)
    accepted = 0
    for trial in range(300):
        n = int(rng.integers(1, 6))
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = np.abs(rng.standard_normal(n)) + 0.1
        lam[0] = float(rng.choice([1e-9, 1e-12, 1e-14, 1e-15, 0.0, -1e-15, -1e-12]))
        a = (q * lam) @ q.T
        a = 0.5 * (a + a.T)
        shift = float(rng.choice([0.0, 1e-16, 1e-10]))
        if cholesky_succeeds(a, 0.0, shift):
            accepted += 1
            assert exactly_positive_definite(a, shift), (trial, a, shift)
    assert accepted > 50  # the test is not vacuous


def test_radius_norm_is_honoured_for_interval_matrices():
    # every symmetric matrix within entrywise radius r of mid must be PD, not only mid
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(2, 6))
        q, _ = np.linalg.qr(rng.standard_normal((n, n)))
        lam = np.abs(rng.standard_normal(n)) + 0.5
        mid = (q * lam) @ q.T
        mid = 0.5 * (mid + mid.T)
        r = float(lam.min()) / n * 1.05  # radius slightly beyond what Gershgorin-type bounds allow
        h = Interval(mid - r, mid + r)
        try:
            mu = min_eigenvalue_lower_bound(h)
        except NotProven:
            continue
        # corner members mid - r*J and mid - r*I (symmetric, inside the box) must have lambda_min >= mu
        for corner in (mid - r * np.ones((n, n)), mid - r * np.eye(n)):
            assert np.linalg.eigvalsh(corner)[0] >= mu - 1e-12


def test_symmetric_part_keeps_every_symmetric_member():
    lo = np.array([[1.0, -0.5], [-0.25, 1.0]])
    hi = np.array([[1.0, 0.25], [0.5, 1.0]])
    s = symmetric_part(Interval(lo, hi))
    assert s.lo[0, 1] == s.lo[1, 0] == -0.25 and s.hi[0, 1] == s.hi[1, 0] == 0.25


def test_mid_rad_encloses_subnormal_and_extreme_intervals():
    lo = np.array([5e-324, -1.7e308, -1e-310, 0.0])
    hi = np.array([1.5e-323, 1.7e308, 3e-310, 5e-324])
    mid, rad = Interval(lo, hi).mid_rad()
    from fractions import Fraction as F
    for l, h, m, r in zip(lo, hi, mid, rad):
        assert F(m) - F(r) <= F(l) and F(h) <= F(m) + F(r)


# ----------------------------------------------------------------------------- number formats


@pytest.mark.parametrize("text", ["1/2\n", "3\n", " 1/2", "1/2 ", "1_0", "١", "1/ 2", "+-1", "1//2", "0x10"])
def test_as_rational_rejects_malformed_text(text):
    """AUDIT FINDING (minor): '^...$' also matched before a trailing newline, so '1/2\\n' was accepted."""
    with pytest.raises(CertificateError):
        as_rational(text, "x")


def test_as_rational_huge_numbers_are_a_clean_certificate_error():
    """AUDIT FINDING (minor): int() refuses > 4300 digits with ValueError, which escaped as an
    internal "checker error" instead of a malformed-field message."""
    with pytest.raises(CertificateError):
        as_rational("9" * 5000, "x")
    with pytest.raises(CertificateError):
        as_rational("1/" + "7" * 5000, "x")
    assert as_rational("9" * 4000, "x") == int("9" * 4000)


def test_as_rational_accepts_the_documented_forms():
    assert as_rational(3, "x") == 3 and as_rational("-3/6", "x") == as_rational("-1/2", "x")
    assert as_rational("-0", "x") == 0 and as_rational("+5", "x") == 5
    with pytest.raises(CertificateError):
        as_rational("1/0", "x")
    for bad in (True, 1.5, None, [1], "0.5", "1e3", ""):
        with pytest.raises(CertificateError):
            as_rational(bad, "x")


# ----------------------------------------------------------------------------- dispatch


@pytest.mark.parametrize("kind", [["relu-spurious-minimum"], {"a": 1}, None, 7])
def test_check_data_with_a_non_string_kind_is_a_clean_rejection(kind):
    """AUDIT FINDING (minor): check_data(cert) with an unhashable kind raised TypeError
    (check_file validated the envelope first, so the CLI was not affected)."""
    cert = {"format": "certify-certificate", "version": 1, "kind": kind, "claim": {}}
    with pytest.raises(CertificateError):
        check_data(cert)


def test_check_data_validates_the_envelope():
    for cert in ({"kind": "relu-spurious-minimum", "claim": {}},
                 {"format": "certify-certificate", "version": 2, "kind": "relu-spurious-minimum", "claim": {}},
                 {"format": "certify-certificate", "version": 1, "claim": {}}):
        with pytest.raises(CertificateError):
            check_data(cert)


def test_internal_errors_are_never_a_pass(tmp_path, monkeypatch):
    from certify.kernel.spurious_minima.kind import KIND

    def boom(claim):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(type(KIND), "check", lambda self, claim: boom(claim))
    p = tmp_path / "c.json"
    p.write_text((REPO / "certificates/spurious_minima/relu-k06-n06-loss0.02508058.json").read_text())
    v = check_file(p)
    assert not v.proven and "checker error" in v.message


def test_deeply_nested_json_is_rejected_cleanly(tmp_path):
    p = tmp_path / "deep.json"
    p.write_text('{"format": "certify-certificate", "version": 1, "kind": "kkt-max-margin", "claim": '
                 + "[" * 100000 + "]" * 100000 + "}")
    v = check_file(p)
    assert not v.proven and "checker error" not in v.message

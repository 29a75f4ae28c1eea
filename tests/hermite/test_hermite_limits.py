"""hermite-expansion resource limits (checked before any arithmetic) and unknown nested fields."""
from __future__ import annotations

import copy
import json
import re
import time
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import assert_rejected
from helpers import load as load_certificate_json
from flint import arb

from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data, parse_claim, check_file
from certify.kernel.hermite import kind as K
from certify.kernel.hermite.activations import ACTIVATIONS
from certify.kernel.hermite.kind import KIND
from certify.publishing import dumps

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "certificates" / "hermite"


def load(name: str) -> dict:
    return load_certificate_json(f"hermite/{name}")


def rejected_fast(cert: dict, match: str) -> str:
    """Rejected with `match` in the message while the certificate is parsed, i.e. before any
    arithmetic (parse_claim runs the envelope and the kind's parse, limits included, and no check)."""
    with pytest.raises(CertificateError, match=re.escape(match)):
        parse_claim(cert)
    return assert_rejected(cert, match, restated=False)


def test_limits_are_declared_and_consistent():
    assert KIND.limits == K.LIMITS
    assert K.LIMITS["degree"] == K.MAX_DEGREE and K.LIMITS["precision_bits"] == K.MAX_PREC
    assert K.FOURIER_MAX_DEGREE < K.MAX_DEGREE and K.FOURIER_MAX_PREC < K.MAX_PREC
    # the stored certificates (N = 1000) are well inside
    for f in STORED.glob("*.json"):
        cert = json.loads(f.read_text())
        act = ACTIVATIONS[cert["claim"]["activation"]]
        K.check_limits(act, cert["claim"]["degree"], cert["method"]["precision_bits"])
        assert cert["method"]["precision_bits"] <= K.max_precision(act, cert["claim"]["degree"]) // 2


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_max_degree_and_precision_agree_with_check_limits(name):
    act = ACTIVATIONS[name]
    top = K.max_degree(act)
    for degree in (0, 1, 1000, top):
        prec = K.max_precision(act, degree)
        K.check_limits(act, degree, prec)  # the largest accepted values are accepted
        with pytest.raises(CertificateError):
            K.check_limits(act, degree, prec + 1)
    with pytest.raises(CertificateError):
        K.check_limits(act, top + 1, K.MIN_PREC)


def test_huge_precision_hint_is_refused_at_once():
    """Issue 7: a 0.17 MB sigmoid file with precision_bits 20000 used to run 15-20 minutes."""
    cert = load("sigmoid.json")
    cert["method"]["precision_bits"] = 20000
    msg = rejected_fast(cert, "method.precision_bits (sigmoid, Fourier route) = 20000 exceeds")
    assert "limit of 1536" in msg
    cert["method"]["precision_bits"] = 20001
    rejected_fast(cert, "method.precision_bits = 20001 exceeds this checker's limit of 20000")


@pytest.mark.parametrize("name,degree,prec,match", [
    ("relu", 20001, 137, "claim.degree = 20001 exceeds this checker's limit of 20000"),
    ("gelu", 10**9, 137, "claim.degree = 1000000000 exceeds"),
    ("tanh", 3001, 254, "claim.degree (tanh, Fourier route) = 3001 exceeds this checker's limit of 3000"),
    ("softplus", 1000, 1537, "method.precision_bits (softplus, Fourier route) = 1537 exceeds"),
    ("silu", 2000, 751, "claim.degree * method.precision_bits (silu, Fourier route) = 1502000 exceeds"),
    ("erf", 1000, 10**12, "method.precision_bits = 1000000000000 exceeds"),
])
def test_oversized_requests_are_refused_before_any_arithmetic(name, degree, prec, match):
    """Only the header fields change: the N+1 intervals of the file stay those of N = 1000,
    so the refusal must come from the limits, before the lists are even read."""
    cert = load(f"{name}.json")
    cert["claim"]["degree"] = degree
    cert["method"]["precision_bits"] = prec
    rejected_fast(cert, match)


def test_limits_apply_to_files_through_check_file(tmp_path, monkeypatch):
    """The limit is decided before any arithmetic: the kind's check is never reached."""
    cert = load("softplus.json")
    cert["method"]["precision_bits"] = 20000
    path = tmp_path / "slow.json"
    path.write_text(dumps(cert))

    def arithmetic(claim):  # pragma: no cover - reached only if the limit failed
        raise AssertionError("arithmetic started on a certificate over the limits")

    monkeypatch.setattr(KIND, "check", arithmetic)
    verdict = check_file(path)
    assert not verdict.proven and "exceeds this checker's limit" in verdict.message


# ----------------------------------------------------------------------------- unknown fields, every level


@pytest.fixture(scope="module")
def small() -> dict:
    from certify.hermite import produce

    return produce.certificate("relu", 12, False).certificate


@pytest.mark.parametrize("where", ["top", "claim", "method", "decay_bound"])
def test_unknown_fields_are_rejected_at_every_level(small, where):
    cert = copy.deepcopy(small)
    target = {"top": cert, "claim": cert["claim"], "method": cert["method"],
              "decay_bound": cert["claim"]["decay_bound"]}[where]
    target["extra"] = 1
    with pytest.raises(CertificateError) as info:
        check_data(cert)
    assert "unknown field(s) 'extra'" in str(info.value)


def test_old_report_block_and_method_note_are_unknown_fields(small):
    """Format note (docs/hermite.md): the untrusted observations live in provenance."""
    cert = copy.deepcopy(small)
    cert["report"] = {"note": "untrusted"}
    with pytest.raises(CertificateError, match="unknown field"):
        check_data(cert)
    cert = copy.deepcopy(small)
    cert["method"]["note"] = "a hint"
    with pytest.raises(CertificateError, match="method: unknown field"):
        check_data(cert)


def test_provenance_is_never_read(small):
    cert = copy.deepcopy(small)
    cert["provenance"] = {"observed_decay": "nonsense", "precision_bits": -1, "claim": {"degree": 10**9}}
    assert check_data(cert).bounds["degree"] == 12


def test_method_must_be_an_object(small):
    for bad in (None, [], "256", 256):
        cert = copy.deepcopy(small)
        cert["method"] = bad
        with pytest.raises(CertificateError, match="method"):
            check_data(cert)


# ----------------------------------------------------------------------------- the decay check's two precisions


def test_decay_bound_is_decided_at_low_precision_or_else_at_full_precision():
    third = Fraction(1, 3)
    tight = K.DecayBound(K.FORM_EXP, C=third + Fraction(1, 2**120), c=Fraction(0), alpha=Fraction(1))
    with K.working_precision(400):
        tail = arb(1) / 3
    # 96 bits cannot separate 1/3 from 1/3 + 2^-120; 400 bits can
    assert K._below_decay_bound(tail, tight, 0, 400)
    assert not K._below_decay_bound(tail, tight, 0, K.DECAY_PREC)
    # and a bound that is false stays false at any precision
    false = K.DecayBound(K.FORM_EXP, C=third - Fraction(1, 2**120), c=Fraction(0), alpha=Fraction(1))
    assert not K._below_decay_bound(tail, false, 0, 400)
    power = K.DecayBound(K.FORM_POWER, C=Fraction(1), beta=Fraction(3, 2))
    with K.working_precision(400):
        assert K._below_decay_bound(arb(2) ** -15 * (1 - arb(2) ** -200), power, 1023, 400)  # 1024^(-3/2) = 2^-15
        assert not K._below_decay_bound(arb(2) ** -15 * (1 + arb(2) ** -200), power, 1023, 400)


def test_a_not_proven_decay_bound_is_still_rejected(small):
    cert = copy.deepcopy(small)
    cert["claim"]["decay_bound"]["beta"] = "5/2"
    cert["claim"]["statement"] = KIND.statement(KIND.parse(cert))
    with pytest.raises(NotProven, match="decay bound"):
        check_data(cert)

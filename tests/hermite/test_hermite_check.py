"""hermite-expansion checker: stored certificates pass, tampered ones are rejected."""
from __future__ import annotations

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import pytest
from helpers import assert_rejected, restate
from helpers import load as load_certificate_json

from certify.hermite import produce
from certify.hermite.numbers import format_pair
from certify.hermite.profiles import PROFILES
from certify.kernel.certificate import CertificateError, NotProven
from certify.kernel.checking import check_data, check_file
from certify.kernel.hermite import hexfloat
from certify.kernel.hermite import kind as checker
from certify.kernel.hermite.activations import ACTIVATIONS
from certify.kernel.hermite.kind import KIND
from certify.publishing import dumps

ROOT = Path(__file__).resolve().parents[2]
STORED = ROOT / "certificates" / "hermite"
REJECTED = (CertificateError, NotProven)


def load(name: str) -> dict:
    return load_certificate_json(f"hermite/{name}")


@pytest.fixture(scope="module")
def small_sigmoid() -> dict:
    return produce.certificate("sigmoid", 40, False).certificate


@pytest.fixture(scope="module")
def gelu() -> dict:
    return load("gelu.json")


def rejected(cert: dict, match: str | None = None) -> str:
    """The certificate as it is (statement not rebuilt) is rejected cleanly (tests/helpers.py)."""
    return assert_rejected(cert, *([match] if match is not None else []), restated=False)


def to_hex(v: Fraction) -> str:
    """A Fraction rounded to 53 bits as a hexfloat string."""
    if v == 0:
        return "0x0p+0"
    e = math.floor(math.log2(abs(v))) - 52
    m = round(v / Fraction(2) ** e)
    while abs(m).bit_length() > 53:
        m, e = round(Fraction(m, 2)), e + 1
    return format_pair(m, e)


def value(s: str) -> Fraction:
    m, e = hexfloat.parse(s, "test")
    return Fraction(m) * Fraction(2) ** e


def scaled(interval: list, factor: Fraction) -> list:
    return [to_hex(value(s) * factor) for s in interval]


# ----------------------------------------------------------------------------- acceptance


def test_stored_certificates_cover_all_activations_and_degrees():
    for name in ACTIVATIONS:
        required = PROFILES[name].required_degree
        for suffix in ("", "-normalized"):
            cert = load(f"{name}{suffix}.json")
            claim = cert["claim"]
            assert claim["activation"] == name
            assert claim["normalized"] == (suffix != "")
            assert claim["degree"] >= required
            assert required == (1000 if name in ("relu", "abs", "erf", "gelu") else 300)
            assert (STORED / f"{name}{suffix}.json").stat().st_size < 1_000_000


def _stored_are_proven(files) -> None:
    for f in files:
        verdict = check_file(f)
        assert verdict.proven, verdict.line()
        assert "eps(n) <= E[sigma'^2]/(n+1)" in verdict.message
        assert verdict.bounds["degree"] == 1000 and verdict.bounds["activation"] in f.name


def test_stored_closed_form_certificates_are_proven():
    """The fast half here; every stored certificate of every kind: tests/test_contract.py."""
    files = sorted(STORED.glob("*.json"))
    assert len(files) == 16
    _stored_are_proven([f for f in files if f.name.split("-")[0].split(".")[0] in ("relu", "abs", "erf", "gelu")])


@pytest.mark.slow
def test_all_stored_certificates_are_proven():
    _stored_are_proven(sorted(STORED.glob("*.json")))


@pytest.mark.parametrize("name,normalized", [("relu", False), ("gelu", True)])
def test_producer_reproduces_the_stored_claim_exactly(name, normalized):
    """The producer is deterministic: the stored claim and precision hint come back bit for bit
    (the provenance, never read, differs only in timings)."""
    stored = load(produce.certificate_name(name, normalized))
    cert = produce.certificate(name, 1000, normalized).certificate
    assert cert["claim"] == stored["claim"] and cert["method"] == stored["method"]
    assert set(cert) == set(stored) == {"format", "version", "kind", "claim", "method", "provenance"}


def test_tails_are_tight_and_tiny_values_survive(gelu):
    last = gelu["claim"]["tails"][-1]
    lo, hi = value(last[0]), value(last[1])
    assert 0 < lo <= hi and (hi - lo) <= lo * Fraction(1, 10**10)
    assert hi < Fraction(1, 10**300)  # below what binary64 could hold with full precision


def test_small_certificate_passes(small_sigmoid):
    proof = check_data(small_sigmoid)
    assert "sigmoid, N=40" in proof.summary
    assert proof.bounds["degree"] == 40


# ----------------------------------------------------------------------------- tampering


@pytest.mark.parametrize("field,index", [("coefficients", 1), ("coefficients", 3), ("tails", 0),
                                         ("tails", 40), ("dual_coefficients", 5)])
@pytest.mark.parametrize("direction", [1, -1])
def test_eighth_significant_digit_change_is_rejected(small_sigmoid, field, index, direction):
    cert = copy.deepcopy(small_sigmoid)
    interval = cert["claim"][field][index]
    cert["claim"][field][index] = scaled(interval, 1 + direction * Fraction(1, 10**8))
    rejected(cert, "not proven to contain")


def test_eighth_digit_change_in_stored_certificate_is_rejected(gelu):
    for field, index in (("tails", 1000), ("coefficients", 1000), ("tails", 500)):
        cert = copy.deepcopy(gelu)
        cert["claim"][field][index] = scaled(cert["claim"][field][index], 1 + Fraction(1, 10**8))
        rejected(cert, "not proven to contain")


def test_widening_beyond_relative_width_is_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    lo, hi = cert["claim"]["tails"][10]
    cert["claim"]["tails"][10] = [to_hex(value(lo) * (1 - Fraction(1, 10**8))), to_hex(value(hi) * (1 + Fraction(1, 10**8)))]
    rejected(cert, "relative width")


def test_scalar_enclosures_are_checked(small_sigmoid):
    for key in ("second_moment", "derivative_second_moment"):
        cert = copy.deepcopy(small_sigmoid)
        cert["claim"][key] = scaled(cert["claim"][key], 1 - Fraction(1, 10**8))
        rejected(cert, f"claim.{key}")


def test_wrong_tail_is_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    # eps(8) != eps(9) because a_9 != 0 (whereas eps(7) = eps(8): a_8 = 0 for the sigmoid)
    cert["claim"]["tails"][8] = cert["claim"]["tails"][9]
    rejected(cert, "claim.tails[8]")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["tails"][20] = scaled(cert["claim"]["tails"][20], Fraction(1, 2))
    rejected(cert, "claim.tails[20]")


def test_zero_claims_must_be_exact(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["coefficients"][3] = ["0x0p+0", "0x0p+0"]  # a_3 != 0
    rejected(cert, "exactly 0")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["coefficients"][2] = ["-0x1p-60", "0x1p-60"]  # a_2 = 0 but the interval straddles 0
    rejected(cert, "contains 0")


def test_wrong_degree_is_rejected(small_sigmoid):
    for degree in (39, 41, 0):
        cert = copy.deepcopy(small_sigmoid)
        claim = cert["claim"]
        claim["degree"] = degree
        claim["statement"] = checker.statement("sigmoid(x) = 1/(1 + exp(-x))", False, degree,
                                               checker.parse_decay_bound(claim))
        rejected(cert, "degree N needs")


def test_truncated_arrays_are_rejected(small_sigmoid):
    for key in ("coefficients", "tails", "dual_coefficients"):
        cert = copy.deepcopy(small_sigmoid)
        cert["claim"][key] = cert["claim"][key][:-1]
        rejected(cert, f"claim.{key}")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), "abc", 0.5, 1, None, True,
                                 "0x1.8p", "0X1.8P+1", "1.5", "0x1.8p-9999999", "0x1.00000000000000p+0", []])
def test_bad_numbers_are_rejected(small_sigmoid, bad):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["coefficients"][1][0] = bad
    if isinstance(bad, float) and bad != bad or bad in (float("inf"), -float("inf")):
        rejected(cert, "non-finite")  # in a file: refused by the JSON reader
        with pytest.raises(REJECTED, match=r"claim\.coefficients\[1\]\[0\]"):  # in data: by the field reader
            check_data(cert)
    else:
        rejected(cert, "claim.coefficients[1][0]")


@pytest.mark.parametrize("shape", [None, 5, "x", [], [["0x1p+0"]], [["0x1p+0", "0x1p+0", "0x1p+0"]], {"a": 1}])
def test_bad_shapes_are_rejected(small_sigmoid, shape):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["tails"] = shape
    rejected(cert, "claim.tails")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["second_moment"] = shape
    rejected(cert, "claim.second_moment")


@pytest.mark.parametrize("key", sorted(KIND.claim_fields | {"statement"}))
def test_missing_claim_fields_are_rejected(small_sigmoid, key):
    cert = copy.deepcopy(small_sigmoid)
    del cert["claim"][key]
    rejected(cert, key)


def test_missing_or_bad_method_is_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    del cert["method"]
    rejected(cert, "method")
    for bad in (None, "256", 1.5, 10, 10**9, True):
        cert = copy.deepcopy(small_sigmoid)
        cert["method"]["precision_bits"] = bad
        rejected(cert, "precision_bits")


def test_too_low_precision_hint_is_not_proven_not_a_crash(gelu):
    cert = copy.deepcopy(gelu)
    cert["method"]["precision_bits"] = 64
    rejected(cert)


def test_unknown_activation_and_extra_fields_are_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["activation"] = "swish2"
    rejected(cert, "unknown activation")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["lipschitz"] = "1"
    rejected(cert, "unknown field")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["decay_bound"]["extra"] = "1"
    rejected(cert, "unknown field")


def test_statement_must_match_fields(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["statement"] = cert["claim"]["statement"].replace("40", "400")
    rejected(cert, "statement")


def test_other_activation_or_normalization_is_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["activation"] = "tanh"
    restate(cert)
    rejected(cert, "not proven")
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["normalized"] = True
    restate(cert)
    rejected(cert, "not proven")


def test_too_strong_decay_bound_is_rejected(small_sigmoid):
    base = small_sigmoid["claim"]["decay_bound"]
    for change in ({"C": str(Fraction(base["C"]) * Fraction(9, 10))},
                   {"c": str(Fraction(base["c"]) * Fraction(11, 10))},
                   {"alpha": "3/5"}):
        cert = copy.deepcopy(small_sigmoid)
        cert["claim"]["decay_bound"].update(change)
        restate(cert)
        rejected(cert, "decay bound")


def test_too_strong_power_law_is_rejected():
    cert = produce.certificate("relu", 60, False).certificate
    check_data(cert)
    cert["claim"]["decay_bound"]["beta"] = "5/2"  # steeper than the true n^(-3/2)
    restate(cert)
    rejected(cert, "decay bound")
    cert["claim"]["decay_bound"]["beta"] = "3/2"
    cert["claim"]["decay_bound"]["C"] = "1/4"  # below eps(0) = 1/2 - 1/(2 pi)
    restate(cert)
    rejected(cert, "fails (or is not proven) at n = 0")


@pytest.mark.parametrize("decay", [
    {"form": "C*n^-beta", "C": "1", "beta": "1"},
    {"form": "C*exp(-c*n^alpha)", "C": "-1", "c": "1", "alpha": "1"},
    {"form": "C*exp(-c*n^alpha)", "C": "1", "c": "1", "alpha": "3"},
    {"form": "C*exp(-c*n^alpha)", "C": "1", "c": 0.5, "alpha": "1"},
    {"form": "C*exp(-c*n^alpha)", "C": "1", "alpha": "1"},
    {"form": "C*(n+1)^(-beta)", "C": "1/0", "beta": "1"},
])
def test_malformed_decay_bound_is_rejected(small_sigmoid, decay):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["decay_bound"] = decay
    rejected(cert, "decay_bound")


def test_derivative_moment_claimed_too_small_is_rejected(small_sigmoid):
    cert = copy.deepcopy(small_sigmoid)
    cert["claim"]["derivative_second_moment"] = scaled(cert["claim"]["derivative_second_moment"], Fraction(1, 3))
    rejected(cert, "derivative_second_moment")


def test_file_level_rejections(tmp_path, small_sigmoid):
    cases = {
        "nan.json": dumps(small_sigmoid).replace('"degree": 40', '"degree": NaN'),
        "truncated.json": dumps(small_sigmoid)[:5000],
        "version.json": dumps({**small_sigmoid, "version": 2}),
        "kind.json": dumps({**small_sigmoid, "kind": "hermite-expansions"}),
        "empty.json": "",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text)
        verdict = check_file(path)
        assert not verdict.proven, name
        assert "checker error" not in verdict.message, verdict.message
    assert "version" in check_file(tmp_path / "version.json").message
    good = tmp_path / "good.json"
    good.write_text(dumps(small_sigmoid))
    assert check_file(good).proven


def test_describe_reads_without_checking(gelu):
    from certify.kernel.checking import parse_claim

    kind, claim = parse_claim(gelu)
    text = kind.describe(claim)
    assert "gelu" in text and "1000" in text and "0.2820947918" in text


def test_checker_does_not_import_the_producer():
    import subprocess
    import sys

    code = ("import sys; from certify.kernel.checking import check_file; "
            "v = check_file('certificates/hermite/relu.json'); assert v.proven, v.line(); "
            "print(sorted(m for m in sys.modules if m.startswith('certify')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    loaded = {m.strip(" '") for m in out.strip().strip("[]").split(",")}
    assert "certify.kernel.hermite.kind" in loaded
    outside = sorted(m for m in loaded if m != "certify" and not m.startswith("certify.kernel"))
    assert not outside, outside  # no producer, CLI, publishing or progress module
    for name in ("kind", "rigorous", "activations", "expansion", "hexfloat"):
        text = (ROOT / "certify" / "kernel" / "hermite" / f"{name}.py").read_text()
        assert "mpmath" not in text and "scipy" not in text, name


def test_trusted_modules_are_exactly_the_kind_folder():
    folder = ROOT / "certify" / "kernel" / "hermite"
    modules = {f"certify.kernel.hermite.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    assert set(KIND.trusted_modules) == modules
    assert len(KIND.trusted_modules) == len(modules)


def test_kernel_keeps_only_what_deciding_needs():
    """The hexfloat writer, the general quadrature route and the producer's activation data
    live outside the kernel."""
    from certify.kernel.hermite import activations, rigorous

    assert not hasattr(hexfloat, "format_pair") and not hasattr(hexfloat, "lower_string")
    assert not hasattr(activations, "general_raw") and not hasattr(rigorous, "quadrature_coefficient")
    fields = set(activations.Activation.__dataclass_fields__)
    assert fields == {"name", "formula", "raw", "route"}, fields

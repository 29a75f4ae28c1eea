"""The registry of claim kinds: built-in kinds, the entry-point group, and its refusals."""
from __future__ import annotations

import sys
import types

import pytest

from certify.kernel import registry
from certify.kernel.certificate import CertificateError
from certify.kernel.contract import ClaimKind, Proven


class _Toy(ClaimKind):
    name = "toy-kind"
    title = "a toy"
    theorem = "docs/adding-a-kind.md"
    trusted_modules = ("certify.kernel.toy",)
    claim_fields = frozenset({"x"})
    evidence_fields = frozenset()
    limits = {"x": 10}
    bounds = {"x": "the value"}

    def parse(self, cert):
        from certify.kernel.certificate import get_int, get_object

        return get_int(get_object(cert, "claim"), "x", "claim", lo=0, hi=10)

    def statement(self, x):
        return f"x = {x} is at most 10."

    def check(self, x):
        return Proven(f"x = {x}", {"x": x})


@pytest.fixture
def external_kind(monkeypatch):
    """A kind registered through the entry-point group by an outside package."""
    mod = types.ModuleType("toy_external_kind")
    mod.KIND = _Toy()
    monkeypatch.setitem(sys.modules, "toy_external_kind", mod)
    monkeypatch.setattr(registry, "_entry_point_refs", lambda: ["toy_external_kind:KIND"])
    registry.kinds.cache_clear()
    yield mod.KIND
    registry.kinds.cache_clear()


def test_builtin_kinds_are_registered():
    names = set(registry.kinds())
    assert {"relu-spurious-minimum", "hermite-expansion", "kkt-max-margin"} <= names
    assert registry.ENTRY_POINT_GROUP == "certify.kinds"


def test_an_entry_point_kind_is_dispatched(external_kind):
    from certify.kernel.checking import check_data
    from certify.publishing import build_certificate

    assert registry.get_kind("toy-kind") is external_kind
    cert = build_certificate("toy-kind", {"x": 3}, {})
    assert cert["claim"]["statement"] == "x = 3 is at most 10."
    assert check_data(cert).summary == "x = 3"
    cert["claim"]["statement"] = "x = 3 is at most 1."
    with pytest.raises(CertificateError, match="statement"):
        check_data(cert)


def test_an_entry_point_may_not_replace_a_builtin_kind(monkeypatch):
    toy = _Toy()
    toy.name = "relu-spurious-minimum"
    mod = types.ModuleType("toy_impostor")
    mod.KIND = toy
    monkeypatch.setitem(sys.modules, "toy_impostor", mod)
    monkeypatch.setattr(registry, "_entry_point_refs", lambda: ["toy_impostor:KIND"])
    registry.kinds.cache_clear()
    try:
        with pytest.raises(TypeError, match="already registered"):
            registry.kinds()
    finally:
        registry.kinds.cache_clear()
    # and dispatch of the real kind never consults the impostor
    assert registry.get_kind("relu-spurious-minimum") is not toy


def test_an_entry_point_that_is_not_a_kind_is_refused(monkeypatch):
    mod = types.ModuleType("toy_not_a_kind")
    mod.KIND = object()
    monkeypatch.setitem(sys.modules, "toy_not_a_kind", mod)
    monkeypatch.setattr(registry, "_entry_point_refs", lambda: ["toy_not_a_kind:KIND"])
    registry.kinds.cache_clear()
    try:
        with pytest.raises(TypeError, match="not a ClaimKind"):
            registry.kinds()
    finally:
        registry.kinds.cache_clear()


def test_unknown_kind_is_a_clean_rejection():
    with pytest.raises(CertificateError, match="unknown certificate kind 'nope'"):
        registry.get_kind("nope")
    with pytest.raises(CertificateError, match="unknown certificate kind 5"):
        registry.get_kind(5)


def test_build_certificate_records_the_software_versions():
    from certify.publishing import build_certificate

    cert = build_certificate("relu-spurious-minimum",
                             {"n": 1, "k": 1, "teacher": "identity", "input_dimensions": "k"},
                             {"point": [[0.5]], "radius": 0.25}, {"seed": 3})
    prov = cert["provenance"]
    assert prov["seed"] == 3
    assert {"python", "certify", "numpy", "python-flint"} <= set(prov["software"])
    # the one provenance builder: the same standard fields for every producer
    assert prov["produced_by"].startswith("certify ") and prov["command"]
    assert prov["created_utc"].endswith("Z") and prov["created_utc"][4] == "-"
    bare = build_certificate("relu-spurious-minimum", {"n": 1, "k": 1, "teacher": "identity", "input_dimensions": "k"},
                             {"point": [[0.5]], "radius": 0.25})
    assert set(bare["provenance"]) == {"produced_by", "command", "created_utc", "software"}

"""The claim-kind contract, tested once for every registered kind (a new kind passes or fails
here without writing a line of test).

For every kind in the kernel's registry:
* its declaration is complete (theorem page exists, trusted modules import, limits and bounds
  documented, producer CLI registers);
* every stored certificate of the kind under certificates/ is PROVEN;
* on the kind's smallest stored certificate, the envelope policy rejects cleanly -- a "NOT PROVEN"
  with a reason, never a "checker error" and never a traceback -- a NaN, duplicate keys, unknown
  fields (top level and claim), a changed statement, a wrong version, a missing field, a truncated
  file, and a tampered file whose provenance lies about it; while provenance alone never changes
  a verdict (it is never read).
"""
from __future__ import annotations

import copy
import importlib
import json
from pathlib import Path

import pytest
from helpers import assert_rejected

from certify.kernel.certificate import parse_json_text
from certify.kernel.checking import check_data, check_file
from certify.paths import expand_paths
from certify.kernel.contract import ClaimKind
from certify.kernel.registry import kinds
from certify.publishing import dumps

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "certificates"


def stored() -> dict[str, list[Path]]:
    """Stored certificates by kind (read from each file's 'kind' field)."""
    by_kind: dict[str, list[Path]] = {}
    files, _ = expand_paths([STORE])
    for f in files:
        try:
            kind = json.loads(f.read_text(encoding="utf-8")).get("kind")
        except (ValueError, AttributeError):
            kind = None
        by_kind.setdefault(str(kind), []).append(f)
    return by_kind


STORED = stored()
ALL_FILES = sorted(p for files in STORED.values() for p in files)
KINDS = sorted(kinds())


def smallest(kind: str) -> Path:
    files = STORED.get(kind)
    if not files:
        pytest.fail(f"kind {kind} has no stored certificate under certificates/")
    return min(files, key=lambda p: (p.stat().st_size, str(p)))


# --------------------------------------------------------------------------- declarations


@pytest.mark.parametrize("name", KINDS)
def test_kind_declaration_is_complete(name):
    kind = kinds()[name]
    assert isinstance(kind, ClaimKind) and kind.name == name
    assert type(kind.version) is int and kind.version >= 1
    assert isinstance(kind.title, str) and kind.title
    assert (ROOT / kind.theorem).is_file(), f"{name}: theorem page {kind.theorem} missing"
    assert kind.trusted_modules and all(m.startswith("certify.kernel.") for m in kind.trusted_modules)
    for m in kind.trusted_modules:
        importlib.import_module(m)
    assert isinstance(kind.claim_fields, frozenset) and "statement" not in kind.claim_fields
    assert isinstance(kind.evidence_fields, frozenset)
    assert not kind.evidence_fields & {"format", "version", "kind", "claim", "provenance"}
    assert kind.limits and all(type(v) is int and v > 0 for v in kind.limits.values()), \
        f"{name}: resource limits must be declared"
    assert kind.bounds and all(isinstance(v, str) and v for v in kind.bounds.values())
    if kind.cli_module:
        assert callable(importlib.import_module(kind.cli_module).register)


@pytest.mark.parametrize("name", KINDS)
def test_one_name_on_disk_per_kind(name):
    """The kind's folder names its checker, its producer, its CLI group and its store, once."""
    kind = kinds()[name]
    if not type(kind).__module__.startswith("certify.kernel."):
        pytest.skip("an outside kind keeps its own layout")
    folder = kind.folder
    assert (ROOT / "certify" / "kernel" / folder / "kind.py").is_file()
    if kind.cli_group is not None:
        assert kind.cli_group == folder.replace("_", "-")
        assert kind.cli_module == f"certify.{folder}.cli"
    misplaced = [str(p.relative_to(STORE)) for p in STORED.get(name, []) if p.relative_to(STORE).parts[0] != folder]
    assert not misplaced, f"{name} certificates outside certificates/{folder}/: {misplaced[:5]}"


def test_every_kind_has_stored_certificates_and_every_stored_file_a_kind():
    assert set(STORED) - set(KINDS) == set(), f"stored files of unknown kinds: {set(STORED) - set(KINDS)}"
    missing = [k for k in KINDS if k not in STORED]
    assert not missing, f"kinds without a stored certificate: {missing}"


# --------------------------------------------------------------------------- every stored certificate


def _plugin_checks_the_store(config) -> bool:
    """True when this run checks certificates/ item by item through `--certify` (the README's
    test command and .ci/run do, against certificates/MANIFEST.json)."""
    for target in config.getoption("certify", default=[]) or []:
        p = Path(target).resolve()
        if p in (STORE.resolve(), (STORE / "MANIFEST.json").resolve()):
            return True
    return False


def test_stored_certificates_are_proven(request):
    """Every stored certificate PROVEN: item by item through the certify pytest plugin when the
    run has `--certify certificates/MANIFEST.json` (which also fails on a deleted, changed or
    unlisted file); otherwise here, in one loop, so that a plain `pytest` checks them too."""
    if _plugin_checks_the_store(request.config):
        pytest.skip("checked item by item by `--certify certificates/MANIFEST.json`")
    bad = [f"{v.path}: {v.message}" for v in map(check_file, ALL_FILES) if not v.proven]
    assert not bad, "stored certificates NOT PROVEN:\n" + "\n".join(bad[:20])


def test_the_shipped_manifest_lists_every_kind():
    manifest = json.loads((STORE / "MANIFEST.json").read_text(encoding="utf-8"))
    text = json.dumps(manifest)
    for name in KINDS:
        assert f'"{name}"' in text, f"certificates/MANIFEST.json lists no certificate of kind {name}"


# --------------------------------------------------------------------------- envelope policy, per kind


def _cert(kind: str) -> dict:
    return parse_json_text(smallest(kind).read_text(encoding="utf-8"))


def _first_number_path(obj, path=()):
    """Path to the first float inside the certificate's evidence (not the envelope)."""
    if isinstance(obj, float):
        return path
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, list):
        items = enumerate(obj)
    else:
        return None
    for k, v in items:
        if path == () and k in ("format", "version", "kind", "provenance"):
            continue
        found = _first_number_path(v, path + (k,))
        if found is not None:
            return found
    return None


@pytest.mark.parametrize("name", KINDS)
def test_nan_is_rejected(name, tmp_path):
    cert = _cert(name)
    path = _first_number_path(cert)
    if path is None:  # a kind with exact rationals only: put the NaN in a claim field instead
        text = dumps(cert).replace('"claim": {', '"claim": {"nan_field": NaN, ', 1)
    else:
        target = cert
        for k in path[:-1]:
            target = target[k]
        target[path[-1]] = 123456789.25  # a marker we can find in the text
        text = dumps(cert).replace("123456789.25", "NaN", 1)
    assert "NaN" in text
    assert_rejected(text)


@pytest.mark.parametrize("name", KINDS)
def test_duplicate_keys_are_rejected(name, tmp_path):
    text = dumps(_cert(name)).replace('"kind":', '"kind": "x", "kind":', 1)
    assert "duplicate key" in assert_rejected(text)


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("where", ["top", "claim"])
def test_unknown_fields_are_rejected(name, where, tmp_path):
    cert = _cert(name)
    (cert if where == "top" else cert["claim"])["comment"] = "harmless?"
    assert "unknown field" in assert_rejected(dumps(cert))


@pytest.mark.parametrize("name", KINDS)
def test_changed_statement_is_rejected(name, tmp_path):
    cert = _cert(name)
    cert["claim"]["statement"] = cert["claim"]["statement"].replace(".", ", and more.", 1) + " "
    assert "statement" in assert_rejected(dumps(cert))


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("version", ["bump", 0, "1", True, 1.0, None])
def test_wrong_version_is_rejected(name, version, tmp_path):
    cert = _cert(name)
    cert["version"] = cert["version"] + 1 if version == "bump" else version
    assert "version" in assert_rejected(dumps(cert))


@pytest.mark.parametrize("name", KINDS)
def test_missing_fields_are_rejected(name, tmp_path):
    cert = _cert(name)
    kind = kinds()[name]
    for field in sorted(kind.evidence_fields & set(cert)) + ["claim", "kind", "format"]:
        broken = {k: v for k, v in cert.items() if k != field}
        assert_rejected(dumps(broken))
    for field in sorted(kind.claim_fields & set(cert["claim"])) + ["statement"]:
        broken = copy.deepcopy(cert)
        del broken["claim"][field]
        assert_rejected(dumps(broken))


@pytest.mark.parametrize("name", KINDS)
@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.9, 0.999])
def test_truncated_file_is_rejected(name, fraction, tmp_path):
    text = dumps(_cert(name))
    assert_rejected(text[: int(len(text) * fraction)])


@pytest.mark.parametrize("name", KINDS)
def test_provenance_is_never_read(name, tmp_path):
    cert = _cert(name)
    proof = check_data(copy.deepcopy(cert))
    liar = {"verified": True, "statement": "anything", "point": "NaN", "radius": -1, "kind": "other"}
    for prov in ({}, liar):
        cert["provenance"] = prov
        again = check_data(copy.deepcopy(cert))
        assert again.summary == proof.summary and dict(again.bounds) == dict(proof.bounds)
    # a tampered certificate stays rejected, whatever its provenance says
    cert["claim"]["statement"] += " (proven by the checker)"
    assert_rejected(dumps(cert))
    # a provenance that is not an object is malformed
    cert = _cert(name)
    cert["provenance"] = "trust me"
    assert "provenance" in assert_rejected(dumps(cert))


@pytest.mark.parametrize("name", KINDS)
def test_bounds_use_documented_names_only(name):
    proof = check_data(_cert(name))
    assert set(proof.bounds) <= set(kinds()[name].bounds)


# --------------------------------------------------------------------------- the registry feeds the docs


def test_trust_table_and_kernel_line_count_are_generated():
    from certify.trust_report import current_sections, markdown, readme_line

    trust, readme = current_sections()
    assert trust == markdown(), "docs/trust.md is out of date: run python -m certify.trust_report --write"
    assert readme == readme_line(), "README.md is out of date: run python -m certify.trust_report --write"


def test_cli_has_a_group_for_every_kind_with_a_producer():
    from certify.cli import build_parser

    import argparse

    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for kind in kinds().values():
        if kind.cli_group:
            assert kind.cli_group in sub.choices, f"no `certify {kind.cli_group}` for {kind.name}"
            verbs = [a for a in sub.choices[kind.cli_group]._actions if isinstance(a, argparse._SubParsersAction)]
            assert verbs and verbs[0].choices, f"`certify {kind.cli_group}` has no verbs"

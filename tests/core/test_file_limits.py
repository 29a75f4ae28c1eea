"""Every kind's largest certificate file: a file over it is refused before it is parsed (a resource
limit, decided from the bytes), with a clear message; files under it are parsed as usual."""
from __future__ import annotations

import json

import pytest

import certify.kernel.certificate as certificate
from certify.kernel.checking import check_file
from certify.kernel.registry import kinds


def _refuse_parsing(monkeypatch):
    def boom(text):  # pragma: no cover - reached only if the limit failed
        raise AssertionError("the file was parsed although it is over its kind's size limit")

    monkeypatch.setattr(certificate, "parse_json_text", boom)


@pytest.mark.parametrize("name", sorted(kinds()))
def test_a_file_over_its_kinds_limit_is_refused_unparsed(name, tmp_path, monkeypatch):
    limit = kinds()[name].max_file_bytes
    if limit >= certificate.MAX_FILE_BYTES:
        pytest.skip(f"{name} uses the global limit ({certificate.MAX_FILE_BYTES} bytes)")
    head = f'{{"format": "certify-certificate", "version": 1, "kind": "{name}", "claim": {{}}, "pad": "'
    path = tmp_path / "big.json"
    path.write_bytes(head.encode() + b"x" * (limit - len(head) + 10) + b'"}')
    _refuse_parsing(monkeypatch)
    v = check_file(path)
    assert not v.proven and "refused before parsing" in v.message and f"limit of {limit} bytes" in v.message


def test_the_36_mb_symmetric_file_is_refused_at_once(tmp_path, monkeypatch):
    """3000 blocks and a 3000 x 3001 value matrix (36 MB): refused from its size, never parsed."""
    m = 3000
    row = "[" + ", ".join(["0.125"] * (m + 1)) + "]"
    body = ('{"format": "certify-certificate", "version": 1, "kind": "relu-spurious-minimum-symmetric", '
            '"claim": {"k": 3000, "blocks": [' + ", ".join(["1"] * m) + ']}, "values": [' + ", ".join([row] * m) + "]}")
    path = tmp_path / "huge.json"
    path.write_text(body)
    assert path.stat().st_size > 30e6
    _refuse_parsing(monkeypatch)
    v = check_file(path)
    assert not v.proven and "refused before parsing" in v.message


def test_kind_declared_late_is_parsed_and_judged_by_the_kind(tmp_path):
    """The fast refusal reads only the first fields; a file that names its kind later is parsed and its
    kind's own limits apply (nothing is skipped)."""
    cert = {"claim": {"k": 200000, "blocks": [200000], "teacher": "identity", "input_dimensions": "all",
                      "nature": "minimum", "statement": "x"},
            "format": "certify-certificate", "version": kinds()["relu-spurious-minimum-symmetric"].version,
            "kind": "relu-spurious-minimum-symmetric", "values": [[0.5, 0.1]], "radius": 1e-8}
    path = tmp_path / "late.json"
    path.write_text(json.dumps(cert))
    v = check_file(path)
    assert not v.proven and "exceeds this checker's limit" in v.message


def test_declared_kind_reads_only_the_leading_envelope():
    assert certificate.declared_kind(b'{"format": "certify-certificate", "version": 2, "kind": "kkt-max-margin"}') \
        == "kkt-max-margin"
    assert certificate.declared_kind(b'{\n "format": "certify-certificate",\n "version": 1,\n "kind": "hermite-expansion"') \
        == "hermite-expansion"
    assert certificate.declared_kind(b'{"claim": {}, "kind": "kkt-max-margin"}') is None
    assert certificate.declared_kind(b'[1, 2]') is None

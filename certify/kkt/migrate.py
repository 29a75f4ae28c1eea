"""Format migration of ``kkt-max-margin`` certificates: version 1 -> version 2.

UNTRUSTED (a producer; the kernel never imports it).  Version 1 carried a
free-text statement ("theta* satisfies every sub-claim listed in 'proves'")
that the checker did not compare with anything.  Version 2 builds the
statement from the fields (certify.kernel.kkt.kind.KktMaxMargin.statement).
A migration keeps the claim's data and the evidence exactly, rebuilds the
envelope and the statement with certify.publishing.build_certificate, records
the old statement in ``provenance.migrated_from`` (never read by a checker),
and publishes the result (re-checked by the kernel: a file that does not
prove its claim is not written).
"""
from __future__ import annotations

import os
from pathlib import Path

from ..kernel.certificate import FORMAT, CertificateError, load_certificate
from ..kernel.kkt.kind import KIND
from ..publishing import PublishError, build_certificate, check_writable, publish
from ..kernel.contract import Proven

V1_FIELDS = {"format", "version", "kind", "claim", "evidence", "provenance"}


class MigrationError(Exception):
    """The file is not a version-1 kkt-max-margin certificate (nothing was written)."""


def migrate_v1(cert: dict) -> dict:
    """The version-2 certificate with the same claim data and evidence as the version-1 ``cert``."""
    if cert.get("format") != FORMAT or cert.get("kind") != KIND.name:
        raise MigrationError(f"not a {KIND.name} certificate")
    if cert.get("version") != 1:
        raise MigrationError(f"format version {cert.get('version')!r}: only version 1 files are migrated "
                             f"(this checker reads version {KIND.version})")
    extra = sorted(set(cert) - V1_FIELDS)
    if extra:
        raise MigrationError(f"unknown top-level field(s) {extra}")
    claim = cert.get("claim")
    if not isinstance(claim, dict) or not isinstance(cert.get("evidence"), dict):
        raise MigrationError("'claim' and 'evidence' must be JSON objects")
    claim = dict(claim)
    old_statement = claim.pop("statement", None)
    provenance = dict(cert["provenance"]) if isinstance(cert.get("provenance"), dict) else {}
    provenance["migrated_from"] = {"version": 1, "statement": old_statement}
    try:
        return build_certificate(KIND.name, claim, {"evidence": cert["evidence"]}, provenance)
    except CertificateError as exc:
        raise MigrationError(f"the version-1 claim is malformed for version {KIND.version}: {exc}") from None


def migrate_file(path: str | os.PathLike, out_dir: str | os.PathLike, overwrite: bool = False) -> tuple[Path, Proven]:
    """Read a version-1 file, write its version-2 rebuild to ``out_dir`` (same name), re-checked."""
    path = Path(path)
    target = Path(out_dir) / path.name
    check_writable(target, overwrite)
    try:
        cert = load_certificate(path)
        new = migrate_v1(cert)
    except (CertificateError, MigrationError) as exc:
        raise PublishError(f"{path}: not migrated: {exc}") from None
    return target, publish(new, target, overwrite=overwrite)

"""The one producer pipeline: build a certificate, re-check it with the kernel, write it atomically.

UNTRUSTED (a producer helper; the kernel never imports it).  Every claim
kind's producer goes through these three functions:

* :func:`build_certificate` fills in format, version, kind and the statement
  (built by the kind from the fields, so it cannot say more than is checked);
* :func:`publish` re-checks the certificate with the trusted kernel and writes
  it, refusing to replace an existing file unless ``overwrite`` is set;
* :func:`write_json_atomic` writes any JSON data file (also candidates files)
  so that it appears whole or not at all.

Failures raise :class:`PublishError` with one message style; the CLI prints
``error: <message>`` and exits with status 2 (see certify.cli).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from .kernel.certificate import FORMAT, parse_json_text
from .kernel.checking import check_data, parse_claim
from .kernel.contract import Proven
from .kernel.registry import get_kind


class PublishError(Exception):
    """A certificate could not be published (not proven, or the file exists): nothing was written."""


def build_certificate(kind: str, claim: dict, evidence: dict, provenance: dict | None = None) -> dict:
    """A complete certificate: envelope and statement filled in from the kind's own definition, and
    the standard provenance (certify.provenance: version, command line, UTC time, software) followed
    by the producer's own ``provenance`` fields."""
    from .provenance import provenance as standard_provenance

    k = get_kind(kind)
    cert: dict[str, Any] = {"format": FORMAT, "version": k.version, "kind": k.name,
                            "claim": {"statement": "", **claim}, **evidence}
    cert["provenance"] = standard_provenance(provenance)
    parsed = k.parse({key: value for key, value in cert.items() if key != "provenance"})
    cert["claim"]["statement"] = k.statement(parsed)
    parse_claim(cert)  # the envelope policy holds for what we built
    return cert


def exists_message(path: str | os.PathLike) -> str:
    return f"{path} exists, not overwritten (use --overwrite to replace it)"


def check_writable(path: str | os.PathLike, overwrite: bool = False) -> None:
    """Before minutes of work: refuse an existing file (without overwrite) or an unwritable folder."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise PublishError(exists_message(path))
    if path.is_dir():
        raise PublishError(f"{path} is a folder, not a file name")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PublishError(f"cannot write into {folder}")


def publish(cert: dict, path: str | os.PathLike, overwrite: bool = False) -> Proven:
    """Re-check ``cert`` with the kernel, then write it atomically; returns what was proven."""
    try:
        proof = check_data(parse_json_text(dumps(cert)))  # check exactly what will be on disk
    except Exception as exc:  # noqa: BLE001
        raise PublishError(f"{path}: not written, the kernel says NOT PROVEN: {exc}") from None
    try:
        write_json_atomic(path, cert, overwrite=overwrite)
    except FileExistsError:
        raise PublishError(exists_message(path)) from None
    except OSError as exc:
        raise PublishError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return proof


def published_line(path: str | os.PathLike, proof: Proven) -> str:
    return f"wrote {path}: {proof.summary}"




def dumps(data: dict) -> str:
    """Canonical certificate text (floats in shortest round-trip form; NaN/inf refused)."""
    return json.dumps(data, indent=1, allow_nan=False, ensure_ascii=False) + "\n"


def _fsync_folder(folder: Path) -> None:
    """Make the new directory entry durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_json_atomic(path: str | os.PathLike, data: dict, overwrite: bool = False) -> Path:
    """Write atomically: the file appears whole or not at all.

    Without ``overwrite`` an existing file is never replaced (``FileExistsError``);
    the check and the creation are one atomic step (a hard link of a complete
    temporary file).  With ``overwrite`` the old file is replaced atomically.
    On file systems without hard links the name is claimed with O_CREAT|O_EXCL
    and the complete file renamed over that empty placeholder (a crash in
    between leaves an empty file, which no checker accepts).  The folder is
    fsynced so the new entry survives a crash.
    """
    path = Path(path)
    text = dumps(data)
    parse_json_text(text)  # refuse to write something we could not read back
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp makes 0600; a published certificate is world-readable
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic; fails with FileExistsError if path exists
            except FileExistsError:
                raise
            except OSError:  # file systems without hard links: claim the name first, atomically
                fd_new = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)  # FileExistsError if taken
                os.close(fd_new)
                os.replace(tmp, path)  # replaces only our own empty placeholder
        _fsync_folder(path.parent)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path

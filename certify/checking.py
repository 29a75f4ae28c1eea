"""Deciding certificates: dispatch by kind, one verdict per file, never a traceback.

TRUSTED (docs/trust.md).  Each kind's checker is a function
``check(cert: dict) -> Proven`` living in ``certify/<kind>/check.py``; it
raises :class:`CertificateError` or :class:`NotProven` when the claim is not
proven.  Every other exception is also turned into "not proven" (an internal
error is never a pass).
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .certificate import CertificateError, NotProven, check_envelope, load_certificate

# kind -> module holding ``check`` (and optionally ``describe``)
CHECKERS: dict[str, str] = {
    "relu-spurious-minimum": "certify.spurious_minima.check",
    "hermite-expansion": "certify.hermite.check",
    "kkt-max-margin": "certify.kkt.check",
}


@dataclass
class Proven:
    """What a checker proved: a one-line summary and the proven bounds."""

    summary: str
    bounds: dict = field(default_factory=dict)


@dataclass
class Verdict:
    path: str
    kind: str | None
    proven: bool
    message: str
    bounds: dict = field(default_factory=dict)

    def line(self) -> str:
        tag = "PROVEN    " if self.proven else "NOT PROVEN"
        return f"{tag} {self.path}: {self.message}"


def checker_module(kind: str):
    if not isinstance(kind, str) or kind not in CHECKERS:
        raise CertificateError(f"unknown certificate kind {kind!r} (known: {', '.join(sorted(CHECKERS))})")
    return importlib.import_module(CHECKERS[kind])


def check_data(cert: dict) -> Proven:
    """Check an already parsed certificate; raises CertificateError/NotProven."""
    if not isinstance(cert, dict):
        raise CertificateError("a certificate must be a JSON object")
    check_envelope(cert)  # format, version, kind (a string), claim (an object)
    module = checker_module(cert["kind"])
    result = module.check(cert)
    if not isinstance(result, Proven):  # defensive: a checker must return Proven explicitly
        raise NotProven("checker returned no proof")
    return result


def check_file(path: str | os.PathLike) -> Verdict:
    kind = None
    try:
        cert = load_certificate(path)
        kind = cert["kind"]
        proof = check_data(cert)
        return Verdict(str(path), kind, True, proof.summary, proof.bounds)
    except (CertificateError, NotProven) as exc:
        return Verdict(str(path), kind, False, str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - any failure is "not proven", never a pass
        return Verdict(str(path), kind, False, f"checker error ({type(exc).__name__}: {exc})")


def expand_paths(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[str]]:
    """Files as given; folders searched recursively for *.json.  Returns (files, missing)."""
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = sorted(q for q in p.rglob("*.json") if q.is_file())
            if not found:
                missing.append(f"{p}: folder holds no *.json certificate")
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif p.exists():
            missing.append(f"{p}: not a regular file or folder")
        else:
            missing.append(f"{p}: no such file or folder")
    return files, missing


def check_paths(
    paths: Iterable[str | os.PathLike], report: Callable[[Verdict], None] | None = None
) -> tuple[list[Verdict], list[str]]:
    files, missing = expand_paths(paths)
    verdicts = []
    for f in files:
        v = check_file(f)
        if report is not None:
            report(v)
        verdicts.append(v)
    return verdicts, missing

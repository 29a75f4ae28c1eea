"""Deciding certificates: the envelope policy, dispatch by kind, one verdict per file.

TRUSTED (docs/trust.md).  The policy below is the same for every claim kind
(certify.kernel.contract explains each step); a kind only parses its own
fields and proves its own claim.  Every exception becomes "not proven" (an
internal error is never a pass).
"""
from __future__ import annotations

import copy
import hashlib
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from .certificate import (FORMAT, CertificateError, NotProven, get_object, get_str, load_certificate, only_fields,
                          parse_json_text)
from .contract import ClaimKind, Proven
from .registry import get_kind

ENVELOPE_FIELDS = frozenset({"format", "version", "kind", "claim", "provenance"})


@dataclass
class Verdict:
    path: str
    kind: str | None
    proven: bool
    message: str
    bounds: dict = field(default_factory=dict)

    def line(self) -> str:
        """The verdict as one line of text: PROVEN or NOT PROVEN, the path and the message."""
        tag = "PROVEN    " if self.proven else "NOT PROVEN"
        return f"{tag} {self.path}: {self.message}"


def envelope(cert: Any) -> ClaimKind:
    """Format, kind and version, checked in this one place; returns the kind."""
    if not isinstance(cert, dict):
        raise CertificateError("a certificate must be a JSON object")
    if cert.get("format") != FORMAT:
        raise CertificateError(f"field 'format' must be {FORMAT!r}, got {cert.get('format')!r}")
    kind = get_kind(get_str(cert, "kind"))
    if "version" not in cert:
        raise CertificateError("missing field 'version'")
    version = cert["version"]
    if type(version) is not int:
        raise CertificateError(f"field 'version' must be an integer, got {version!r}")
    if version != kind.version:
        hint = kind.version_help.get(version) or "see docs/certificate-format.md"
        raise CertificateError(f"{kind.name} certificate of format version {version}: this checker reads "
                               f"version {kind.version} ({hint})")
    return kind


def parse_claim(cert: Any) -> tuple[ClaimKind, Any]:
    """The envelope policy up to the typed claim (no arithmetic): returns (kind, claim)."""
    kind = envelope(cert)
    only_fields(cert, ENVELOPE_FIELDS | kind.evidence_fields)
    claim_obj = get_object(cert, "claim")
    only_fields(claim_obj, kind.claim_fields | {"statement"}, "claim")
    words = get_str(claim_obj, "statement", "claim")
    if "provenance" in cert and not isinstance(cert["provenance"], dict):
        raise CertificateError("field 'provenance' must be a JSON object")
    data = {key: value for key, value in cert.items() if key != "provenance"}  # never read
    claim = kind.parse(data)
    expected = kind.statement(claim)
    if words != expected:
        raise CertificateError(f"claim.statement does not match the claim's fields; expected: {expected!r}")
    return kind, claim


def check_data(cert: Any) -> Proven:
    """Decide an already parsed certificate; raises CertificateError/NotProven.

    While the memo is on (:func:`memo_start`), a certificate whose content (provenance removed) is
    identical to one already PROVEN in this process gets that proof back without a second
    decision (docs/trust.md, "Deciding a certificate once")."""
    digest = content_digest(cert) if _memo is not None else None
    if digest is not None:
        known = _memo.get(digest)
        if known is not None:
            global _hits
            _hits += 1
            _memo.move_to_end(digest)
            return Proven(known.summary, copy.deepcopy(dict(known.bounds)))
    kind, claim = parse_claim(cert)
    result = kind.check(claim)
    if not isinstance(result, Proven):  # a check must return Proven explicitly
        raise NotProven("checker returned no proof")
    unknown = sorted(set(result.bounds) - set(kind.bounds))
    if unknown:
        raise NotProven(f"checker reported undocumented bound(s) {unknown}")
    if digest is not None and _memo is not None:  # only PROVEN results are kept
        _remember(digest, result.summary, result.bounds)
        _fresh.append(digest)
        del _fresh[:-_MEMO_LIMIT]
    return result


# --------------------------------------------------------------------------- the memo
# Off unless the orchestration turns it on for a run (certify/runner.py).  digest -> Proven, at most
# _MEMO_LIMIT entries (the least recently used go first).
_MEMO_LIMIT = 1 << 14
_memo: OrderedDict[str, Proven] | None = None
_fresh: list[str] = []  # digests this process proved itself since the last memo_take()
_hits = 0
_JSON_SCALARS = (str, int, float, bool, type(None))


def content_digest(cert: Any) -> str | None:
    """SHA-256 of the certificate's content without its (valid) provenance: the JSON text of
    everything else in its own key order, compact, exactly (floats in their round-trip form).
    None when that text would not determine the object exactly: not a dict, a provenance that is
    not an object, a value that is not plain JSON data (a tuple, a subclass, NaN, ...)."""
    if type(cert) is not dict or ("provenance" in cert and type(cert["provenance"]) is not dict):
        return None
    content = {key: value for key, value in cert.items() if key != "provenance"}
    stack: list[Any] = [content]
    while stack:
        obj = stack.pop()
        if type(obj) is dict:
            if any(type(key) is not str for key in obj):
                return None
            stack.extend(obj.values())
        elif type(obj) is list:
            stack.extend(obj)
        elif type(obj) not in _JSON_SCALARS:
            return None
    try:
        text = json.dumps(content, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _remember(digest: str, summary: str, bounds: Any) -> None:
    """Keep a PROVEN result under its content digest (a private copy of the bounds), dropping the least
    recently used entries beyond the memo's size limit."""
    _memo[digest] = Proven(summary, copy.deepcopy(dict(bounds)))
    _memo.move_to_end(digest)
    while len(_memo) > _MEMO_LIMIT:
        _memo.popitem(last=False)


def memo_start() -> bool:
    """Turn the memo on in this process; False if it was on already (its entries stay)."""
    global _memo
    if _memo is not None:
        return False
    _memo = OrderedDict()
    return True


def memo_stop() -> None:
    """Turn the memo off and forget every entry."""
    global _memo
    _memo = None
    _fresh.clear()


def memo_take() -> list[tuple[str, str, dict]]:
    """(digest, summary, bounds) of every certificate this process PROVED since the last call."""
    out = [(d, _memo[d].summary, dict(_memo[d].bounds)) for d in _fresh if _memo is not None and d in _memo]
    _fresh.clear()
    return out


def memo_add(entries: Iterable[tuple[str, str, dict]]) -> None:
    """Entries that :func:`memo_take` gave in another process of the same run (certify.runner)."""
    if _memo is not None:
        for digest, summary, bounds in entries:
            if type(digest) is str and type(summary) is str and type(bounds) is dict:
                _remember(digest, summary, bounds)


def memo_hits() -> int:
    """How many decisions the memo answered in this process (a test hook)."""
    return _hits


def _verdict(path: str, read: Callable[[], dict]) -> Verdict:
    """Read and decide one certificate; every failure becomes a NOT PROVEN verdict with its reason."""
    kind = None
    try:
        cert = read()
        kind = cert.get("kind") if isinstance(cert.get("kind"), str) else None
        proof = check_data(cert)
        return Verdict(path, kind, True, proof.summary, dict(proof.bounds))
    except (CertificateError, NotProven) as exc:
        return Verdict(path, kind, False, str(exc) or type(exc).__name__)
    except Exception as exc:  # noqa: BLE001 - any failure is "not proven", never a pass
        return Verdict(path, kind, False, f"checker error ({type(exc).__name__}: {exc})")


def max_file_bytes(kind: str) -> int | None:
    """The file-size limit of a registered kind (None for an unknown kind: the envelope rejects it)."""
    try:
        return get_kind(kind).max_file_bytes
    except CertificateError:
        return None


def check_file(path: str | os.PathLike) -> Verdict:
    """The verdict on the certificate file at ``path`` (never raises).  A file larger than its kind's
    ``max_file_bytes`` is refused before it is parsed."""
    return _verdict(str(path), lambda: load_certificate(path, max_file_bytes))


def check_text(text: str, path: str = "<text>") -> Verdict:
    """The verdict on certificate text, exactly as :func:`check_file` would give it for a file holding
    that text (never raises)."""
    return _verdict(path, lambda: parse_json_text(text))

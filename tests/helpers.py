"""Shared test helpers: one way, for every claim kind, to load, restate, decide and reject a certificate.

A rejection test must show that the kernel refuses the certificate *cleanly*: a NOT PROVEN verdict
with a reason, never a pass and never a "checker error" (an internal exception).  Every test module
uses :func:`assert_rejected` for that, on the exact bytes a file would hold.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from certify.kernel.checking import Verdict, check_text
from certify.kernel.registry import get_kind
from certify.publishing import dumps

REPO_ROOT = Path(__file__).resolve().parent.parent
CERTIFICATES = REPO_ROOT / "certificates"


def load(path: str | Path) -> dict:
    """A stored certificate as a dict (a path relative to certificates/ or absolute)."""
    p = Path(path)
    if not p.is_absolute():
        p = CERTIFICATES / p
    return json.loads(p.read_text(encoding="utf-8"))


def restate(cert: dict) -> dict:
    """Put back the statement built from the (possibly changed) claim fields, so that a test reaches
    the check it targets rather than the statement comparison.  A certificate the kind cannot parse
    is left as it is (parse rejects it anyway), and so is a statement that is not a string (that attack
    is on the statement itself).  Returns ``cert`` (changed in place)."""
    if not isinstance(cert.get("claim"), dict) or not isinstance(cert["claim"].get("statement"), str):
        return cert
    try:
        kind = get_kind(cert["kind"])
        claim = kind.parse({key: value for key, value in cert.items() if key != "provenance"})
        cert["claim"]["statement"] = kind.statement(claim)
    except Exception:  # noqa: BLE001 - malformed on purpose
        pass
    return cert


def decide(cert: dict | str) -> Verdict:
    """The kernel's verdict on the certificate (a dict is serialised as a producer writes it; a NaN or
    infinity in it is written as the non-standard JSON literal, which the kernel must refuse)."""
    if isinstance(cert, str):
        text = cert
    else:
        try:
            text = dumps(cert)
        except ValueError:  # NaN / Infinity: write the literal, as a careless producer would
            text = json.dumps(cert, indent=1)
    return check_text(text, "<test>")


def assert_proven(cert: dict | str) -> Verdict:
    v = decide(cert)
    assert v.proven, f"expected PROVEN, got: {v.message}"
    return v


def assert_rejected(cert: dict | str, *fragments: str, restated: bool = True) -> str:
    """NOT PROVEN, cleanly (no internal 'checker error'), with every fragment in the message
    (case-insensitive).  With ``restated`` (default) the statement is rebuilt first (on a copy).
    Returns the message."""
    if restated and isinstance(cert, dict):
        cert = restate(copy.deepcopy(cert))
    v = decide(cert)
    assert v.proven is False, "a wrong certificate was PROVEN"
    assert "checker error" not in v.message, f"internal error instead of a clean rejection: {v.message}"
    low = v.message.lower()
    for f in fragments:
        assert f.lower() in low, f"{f!r} not in message {v.message!r}"
    return v.message

"""``certify show``: a certificate in readable form (trusted side: reads only)."""
from __future__ import annotations

import json

from .certificate import CertificateError, load_certificate
from .checking import checker_module


def printable(text: str) -> str:
    """Control characters escaped, so a file cannot drive the terminal."""
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


def show_file(path) -> tuple[str, bool]:
    """Return (text, ok).  Uses the kind's ``describe(cert) -> str`` when it has one."""
    try:
        cert = load_certificate(path)
        module = checker_module(cert["kind"])
    except CertificateError as exc:
        return f"{path}: cannot show: {exc}", False
    lines = [f"file:    {path}", f"kind:    {cert['kind']} (format version {cert['version']})"]
    claim = cert["claim"]
    if isinstance(claim.get("statement"), str):
        lines.append(f"statement (words from the file; the checked claim is defined by the fields below):\n"
                     f"         {printable(claim['statement'])}")
    describe = getattr(module, "describe", None)
    try:
        body = describe(cert) if describe else json.dumps(cert, indent=1)
    except Exception as exc:  # noqa: BLE001 - a malformed file is reported, not raised
        return "\n".join(lines + [f"cannot show data: {exc}"]), False
    lines.append(printable(body))
    lines.append("(run `certify check FILE` to decide the claim)")
    return "\n".join(lines), True

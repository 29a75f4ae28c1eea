"""``certify show``: a certificate in readable form (trusted side: reads only)."""
from __future__ import annotations

from .certificate import CertificateError, NotProven, load_certificate
from .checking import parse_claim


def printable(text: str) -> str:
    """Control characters escaped, so a file cannot drive the terminal."""
    return "".join(c if c.isprintable() or c == "\n" else repr(c)[1:-1] for c in text)


def show_file(path) -> tuple[str, bool]:
    """Return (text, ok): the kind's ``describe`` of the parsed claim, and the provenance."""
    try:
        cert = load_certificate(path)
        kind, claim = parse_claim(cert)
        body = kind.describe(claim)
    except (CertificateError, NotProven) as exc:
        return f"{path}: cannot show: {exc}", False
    except Exception as exc:  # noqa: BLE001 - a malformed file is reported, not raised
        return f"{path}: cannot show: checker error ({type(exc).__name__}: {exc})", False
    lines = [f"file:      {path}", f"kind:      {kind.name} (format version {kind.version})",
             f"statement: {printable(cert['claim']['statement'])}", printable(body)]
    prov = cert.get("provenance")
    if isinstance(prov, dict) and prov:
        lines.append("provenance (informational, never read by the checker): "
                     + printable(", ".join(f"{a}={b}" for a, b in list(prov.items())[:16])))
    lines.append("(run `certify check FILE` to decide the claim)")
    return "\n".join(lines), True

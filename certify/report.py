"""Machine-readable reports of ``certify check``: JSON and JUnit XML (UNTRUSTED, formatting only).

JSON (``--format json``)::

    {"format": "certify-report", "version": 1, "certify": "0.1.0",
     "exit_code": 0, "proven": 70, "not_proven": 0, "errors": [],
     "manifest": null,                       # or the manifest file checked against
     "results": [{"path": "...", "kind": "...", "verdict": "PROVEN" | "NOT PROVEN",
                  "message": "...", "bounds": {...}, "seconds": 0.01,
                  "manifest": "..."},        # only when the file has a manifest problem
                 ...]}

JUnit XML (``--format junit``): one ``<testsuite name="certify check">`` with one
``<testcase>`` per certificate (``name`` = its path, ``classname`` = its kind),
a ``<failure>`` carrying the reason for every certificate not proven or with a
manifest problem, and an ``<error>`` test case per missing path.

Text (the terminal, ``--format text``, the pytest plugin's failures): the same
lines everywhere (:func:`lines`), with long integers and fractions shortened
(:func:`shorten`: ``≈6.145388514 (21/21-digit fraction)``); JSON keeps every
digit.  :func:`summary` is the per-kind table ``certify check`` prints at the
end of a long run.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Sequence

from . import __version__
from .runner import Result, json_safe

# characters XML 1.0 cannot carry
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return _XML_BAD.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


# --------------------------------------------------------------------------- text

BRIEF_ABOVE = 20  # a text report of more certificates than this prints failures and a summary by kind
LONG_DIGITS = 24  # a number with more digits than this is shortened in text output
_NUMBER = re.compile(r"(?<![\w.])(-?)(\d+)(?:/(\d+))?(?![\w.])")


def _significant(p: int, q: int) -> str:
    from decimal import Decimal, localcontext

    with localcontext() as ctx:
        ctx.prec = 10
        return format(Decimal(p) / Decimal(q), ".10g")


def _short_number(m: re.Match) -> str:
    sign, num, den = m.group(1), m.group(2), m.group(3)
    if len(num) + len(den or "") <= LONG_DIGITS or (den is not None and len(num) <= LONG_DIGITS // 2
                                                     and len(den) <= LONG_DIGITS // 2):
        return m.group(0)
    if den is None:
        return f"{sign}{num[:6]}…{num[-3:]} ({len(num)} digits)"
    try:
        if int(den) == 0:
            raise ZeroDivisionError
        value = _significant(int(sign + num), int(den))
    except Exception:  # noqa: BLE001 - anything odd: the digits form
        return f"{sign}{num[:6]}…/{den[:6]}… ({len(num)}/{len(den)} digits)"
    return f"≈{value} ({len(num)}/{len(den)}-digit fraction)"


def shorten(text: str) -> str:
    """``text`` with every integer or fraction of more than :data:`LONG_DIGITS` digits shortened:
    a fraction to its value to 10 significant digits (``≈6.145388514 (21/21-digit fraction)``), an
    integer to its first and last digits (``123456…789 (400 digits)``).  Shorter numbers, decimals
    and anything else stay as they are."""
    return _NUMBER.sub(_short_number, text)


def printable(text: str) -> str:
    """Control characters escaped, so a file name or message cannot drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def lines(r: Result) -> list[str]:
    """The text lines of one result, as ``certify check`` prints them (and the pytest plugin's
    failures show them): the verdict line, then the manifest problem if any."""
    tag = "PROVEN    " if r.proven else "NOT PROVEN"
    out = [printable(f"{tag} {r.path}: {shorten(r.message)}")]
    if r.manifest:
        out.append(printable(f"MANIFEST   {r.path}: {r.manifest}"))
    return out


def summary(results: Sequence[Result], wall: float | None = None, jobs: str = "") -> list[str]:
    """Per kind: certificates proven / not proven, the checks' total time and the slowest file."""
    by_kind: dict[str, list[Result]] = {}
    for r in results:
        by_kind.setdefault(r.kind or "(kind unknown)", []).append(r)
    head = f"{len(results)} certificate(s)"
    if wall is not None:
        head += f" in {wall:.1f} s" + (f" ({jobs})" if jobs else "")
    width = max([len(k) for k in by_kind] + [4])
    out = [f"{head}; by kind:",
           f"  {'kind':<{width}}  {'proven':>7}  {'not proven':>10}  {'check s':>8}  slowest"]
    for kind in sorted(by_kind):
        rs = by_kind[kind]
        ok = sum(r.proven for r in rs)
        slow = max(rs, key=lambda r: r.seconds)
        out.append(printable(f"  {kind:<{width}}  {ok:>7}  {len(rs) - ok:>10}  {sum(r.seconds for r in rs):>8.1f}  "
                             f"{slow.path} ({slow.seconds:.2f} s)"))
    return out


def to_json(results: Sequence[Result], errors: Sequence[str], code: int, manifest: str | None = None) -> str:
    n_ok = sum(r.proven for r in results)
    data = {"format": "certify-report", "version": 1, "certify": __version__, "exit_code": code,
            "proven": n_ok, "not_proven": len(results) - n_ok + len(errors), "errors": list(errors),
            "manifest": manifest, "results": [r.as_json() for r in results]}
    return json.dumps(json_safe(data), indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def to_junit(results: Sequence[Result], errors: Sequence[str], code: int, manifest: str | None = None) -> str:
    failures = sum(1 for r in results if not r.proven or r.manifest)
    total_time = sum(r.seconds for r in results)
    suites = ET.Element("testsuites", name="certify", tests=str(len(results) + len(errors)),
                        failures=str(failures), errors=str(len(errors)), time=f"{total_time:.3f}")
    suite = ET.SubElement(suites, "testsuite", name="certify check", tests=str(len(results) + len(errors)),
                          failures=str(failures), errors=str(len(errors)), skipped="0",
                          time=f"{total_time:.3f}")
    if manifest:
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="manifest", value=_xml_text(manifest))
    for r in results:
        case = ET.SubElement(suite, "testcase", classname=_xml_text(r.kind or "unknown"),
                             name=_xml_text(r.path), time=f"{r.seconds:.3f}")
        if not r.proven or r.manifest:
            text = _xml_text("\n".join(lines(r)))
            fail = ET.SubElement(case, "failure", message=text, type="NOT PROVEN" if not r.proven else "MANIFEST")
            fail.text = text
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text("\n".join(lines(r)))
    for e in errors:
        case = ET.SubElement(suite, "testcase", classname="certify", name=_xml_text(e.split(":", 1)[0]), time="0")
        err = ET.SubElement(case, "error", message=_xml_text(e), type="usage")
        err.text = _xml_text(e)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def to_text(results: Sequence[Result], errors: Sequence[str], code: int, manifest: str | None = None) -> str:
    """Every certificate's lines (as ``certify check -v`` prints them), the per-kind summary (more than
    :data:`BRIEF_ABOVE` certificates), the total."""
    out = [printable(f"error: {e}") for e in errors]
    for r in results:
        out.extend(lines(r))
    if len(results) > BRIEF_ABOVE:
        out.extend(summary(results))
    out.append(total(results, errors, manifest))
    return "\n".join(out) + "\n"


def total(results: Sequence[Result], errors: Sequence[str], manifest: str | None = None) -> str:
    """The last line: ``N proven, M not proven`` (and the manifest's state)."""
    n_ok = sum(r.proven for r in results)
    line = f"{n_ok} proven, {len(results) - n_ok + len(errors)} not proven"
    if manifest is not None:
        n_manifest = sum(r.manifest is not None for r in results)
        line += f"; manifest {manifest}: " + (f"{n_manifest} problem(s)" if n_manifest else "matches")
    return printable(line)


def render(fmt: str, results: Sequence[Result], errors: Sequence[str], code: int,
           manifest: str | None = None) -> str:
    return {"json": to_json, "junit": to_junit, "text": to_text}[fmt](results, errors, code, manifest)

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
        reasons = []
        if not r.proven:
            reasons.append(f"NOT PROVEN: {r.message}")
        if r.manifest:
            reasons.append(f"manifest: {r.manifest}")
        if reasons:
            text = _xml_text("; ".join(reasons))
            fail = ET.SubElement(case, "failure", message=text, type="NOT PROVEN" if not r.proven else "MANIFEST")
            fail.text = text
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _xml_text(f"PROVEN: {r.message}")
    for e in errors:
        case = ET.SubElement(suite, "testcase", classname="certify", name=_xml_text(e.split(":", 1)[0]), time="0")
        err = ET.SubElement(case, "error", message=_xml_text(e), type="usage")
        err.text = _xml_text(e)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def to_text(results: Sequence[Result], errors: Sequence[str], code: int, manifest: str | None = None) -> str:
    lines = [f"error: {e}" for e in errors]
    for r in results:
        lines.append(r.line())
        if r.manifest:
            lines.append(f"MANIFEST   {r.path}: {r.manifest}")
    n_ok = sum(r.proven for r in results)
    lines.append(f"{n_ok} proven, {len(results) - n_ok + len(errors)} not proven")
    return "\n".join(lines) + "\n"


def render(fmt: str, results: Sequence[Result], errors: Sequence[str], code: int,
           manifest: str | None = None) -> str:
    return {"json": to_json, "junit": to_junit, "text": to_text}[fmt](results, errors, code, manifest)

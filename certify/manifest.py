"""Manifests: the list of certificates a folder must hold, so that CI notices a deleted,
changed or added certificate, not only one that fails.

UNTRUSTED (CLI side; the kernel decides every certificate).  Written by
``certify manifest write DIR`` (default file ``DIR/MANIFEST.json``), read by
``certify check --manifest FILE`` and ``pytest --certify FILE``.

Format (``"format"`` must be the first key: a folder walk recognises the file
by its first bytes and never takes it for a certificate, see
:func:`certify.paths.is_manifest_file`)::

    {"format": "certify-manifest", "version": 1,
     "root": ".",                       # the certificates' folder, relative to the manifest's folder
     "certificates": [
      {"path": "hermite/erf.json",      # relative to root, "/"-separated, sorted
       "kind": "hermite-expansion",
       "sha256": "…64 hex digits…",     # of the file's bytes
       "verdict": "PROVEN",             # the expected verdict (always PROVEN, see below)
       "statement": "…"},               # the claim's statement, for readers of the manifest
      …]}

A manifest records **proven certificates only**: ``manifest write`` checks
every certificate first and refuses (writes nothing, exit 2) if one is not
proven — a known-bad file should be fixed, moved out, or excluded by living
outside the folder, not recorded.

``certify check --manifest FILE`` reports a manifest problem (exit status 3)
when a listed file is missing, its SHA-256 differs, it is not proven, or a
certificate under root is not listed.
"""
from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from .paths import MANIFEST_FORMAT, expand_paths
from .runner import PROVEN, Result

MANIFEST_NAME = "MANIFEST.json"
MANIFEST_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ENTRY_FIELDS = {"path", "kind", "sha256", "verdict", "statement"}


class ManifestError(Exception):
    """The manifest cannot be written or read (printed as 'error: ...', exit status 2)."""


@dataclass(frozen=True)
class Entry:
    path: str  # relative to the manifest's root, posix
    kind: str
    sha256: str
    verdict: str
    statement: str


@dataclass
class Manifest:
    file: Path
    root: Path  # as a path usable from the current directory
    entries: dict[str, Entry]


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _relative(path: Path, root: Path) -> str | None:
    try:
        return Path(os.path.relpath(path, root)).as_posix()
    except ValueError:  # another drive (Windows)
        return None


def _safe_relpath(text: str) -> bool:
    p = PurePosixPath(text)
    return (bool(text) and not p.is_absolute() and ".." not in p.parts and "\\" not in text
            and p.as_posix() == text)


# --------------------------------------------------------------------------- reading


def load_manifest(file: str | os.PathLike) -> Manifest:
    """Read and validate a manifest (strict: unknown or malformed fields are errors)."""
    from .kernel.certificate import CertificateError, parse_json_text

    file = Path(file)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{file}: no such manifest") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{file}: cannot read the manifest: {exc}") from None
    try:
        data = parse_json_text(text)
    except CertificateError as exc:
        raise ManifestError(f"{file}: invalid manifest: {exc}") from None

    def bad(why: str) -> ManifestError:
        return ManifestError(f"{file}: invalid manifest: {why}")

    if data.get("format") != MANIFEST_FORMAT:
        raise bad(f"field 'format' must be {MANIFEST_FORMAT!r}")
    if data.get("version") != MANIFEST_VERSION or type(data.get("version")) is not int:
        raise bad(f"field 'version' must be {MANIFEST_VERSION}")
    unknown = set(data) - {"format", "version", "root", "certificates"}
    if unknown:
        raise bad(f"unknown field(s) {sorted(unknown)}")
    root = data.get("root")
    if not isinstance(root, str) or not root or PurePosixPath(root).is_absolute() or "\\" in root:
        raise bad("field 'root' must be a relative folder ('/'-separated)")
    items = data.get("certificates")
    if not isinstance(items, list):
        raise bad("field 'certificates' must be a list")
    entries: dict[str, Entry] = {}
    for i, item in enumerate(items):
        if not isinstance(item, dict) or set(item) != _ENTRY_FIELDS:
            raise bad(f"certificates[{i}] must be an object with exactly the fields {sorted(_ENTRY_FIELDS)}")
        if not all(isinstance(item[k], str) for k in _ENTRY_FIELDS):
            raise bad(f"certificates[{i}]: every field must be a string")
        if not _safe_relpath(item["path"]):
            raise bad(f"certificates[{i}]: path {item['path']!r} must be relative, '/'-separated, without '..'")
        if not _HEX64.fullmatch(item["sha256"]):
            raise bad(f"certificates[{i}]: sha256 must be 64 lowercase hex digits")
        if item["verdict"] != PROVEN:
            raise bad(f"certificates[{i}]: verdict must be {PROVEN!r}")
        if item["path"] in entries:
            raise bad(f"certificates[{i}]: {item['path']} listed twice")
        entries[item["path"]] = Entry(**item)
    return Manifest(file, Path(os.path.normpath(file.parent / root)), entries)


# --------------------------------------------------------------------------- checking against it


def plan(manifest: Manifest) -> tuple[list[Path], list[Entry]]:
    """(files to check, listed entries whose file is missing).  The files are every certificate a
    folder walk finds under root plus every listed file, in the walk's (sorted) order."""
    found: list[Path] = []
    if manifest.root.is_dir():
        found, _ = expand_paths([manifest.root])
    files = set(found)
    missing = []
    for rel, entry in manifest.entries.items():
        p = manifest.root / rel
        if p.is_file():
            files.add(p)
        else:
            missing.append(entry)
    return sorted(files), missing


def reconcile(manifest: Manifest, results: Iterable[Result], missing: list[Entry]) -> Iterator[Result]:
    """Attach a manifest problem to each result that has one; then one result per missing file."""
    for r in results:
        rel = _relative(Path(r.path), manifest.root)
        entry = manifest.entries.get(rel) if rel is not None else None
        if entry is None:
            r.manifest = "not listed in the manifest"
        else:
            try:
                digest = sha256_file(r.path)
            except OSError as exc:
                digest = f"unreadable ({exc.strerror or exc})"
            if digest != entry.sha256:
                r.manifest = (f"changed since the manifest was written "
                              f"(sha256 {digest[:16]}…, listed {entry.sha256[:16]}…)")
            elif not r.proven:
                r.manifest = "listed as PROVEN in the manifest but not proven"
            elif r.kind != entry.kind:
                r.manifest = f"kind {r.kind!r}, listed as {entry.kind!r}"
        yield r
    for entry in missing:
        path = str(manifest.root / entry.path)
        yield Result(path, entry.kind, False, "listed in the manifest but missing", manifest="missing")


# --------------------------------------------------------------------------- writing


def build_manifest(folder: Path, out: Path, results: list[Result]) -> dict:
    """The manifest's data for already checked certificates (all must be proven)."""
    from .kernel.certificate import load_certificate

    bad = [r for r in results if not r.proven]
    if bad:
        lines = "\n".join(f"  {r.path}: {r.message}" for r in bad[:20])
        raise ManifestError(f"{len(bad)} certificate(s) not proven; a manifest lists proven certificates "
                            f"only, nothing written:\n{lines}")
    root_rel = Path(os.path.relpath(folder, out.parent)).as_posix()
    entries = []
    for r in results:
        rel = _relative(Path(r.path), folder)
        if rel is None or not _safe_relpath(rel):
            raise ManifestError(f"{r.path} is not under {folder}")
        statement = load_certificate(r.path)["claim"]["statement"]
        entries.append({"path": rel, "kind": r.kind, "sha256": sha256_file(r.path), "verdict": PROVEN,
                        "statement": statement})
    entries.sort(key=lambda e: PurePosixPath(e["path"]).parts)
    return {"format": MANIFEST_FORMAT, "version": MANIFEST_VERSION, "root": root_rel, "certificates": entries}


def write_manifest(folder: str | os.PathLike, out: str | os.PathLike | None = None, overwrite: bool = False,
                   jobs: int = 1, timeout: float | None = None) -> tuple[Path, int]:
    """Check every certificate under ``folder`` and write the manifest; returns (file, count)."""
    from .publishing import PublishError, check_writable, write_json_atomic
    from .runner import run_local

    folder = Path(folder)
    if not folder.is_dir():
        raise ManifestError(f"{folder}: no such folder")
    out = Path(out) if out is not None else folder / MANIFEST_NAME
    try:
        check_writable(out, overwrite)
    except PublishError as exc:
        raise ManifestError(str(exc)) from None
    files, _ = expand_paths([folder])
    if not files:
        raise ManifestError(f"{folder}: folder holds no *.json certificate")
    data = build_manifest(folder, out, list(run_local(files, jobs=jobs, timeout=timeout)))
    try:
        write_json_atomic(out, data, overwrite=overwrite)
    except FileExistsError:
        raise ManifestError(f"{out} exists, not overwritten (use --overwrite to replace it)") from None
    return out, len(data["certificates"])

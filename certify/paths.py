"""Finding certificate files: folder walks, exclusions and manifest files (UNTRUSTED orchestration).

The kernel decides one certificate at a time (certify.kernel.checking.check_file); which files a
command looks at is decided here.  A folder walk takes the *.json files below it and skips hidden
entries, virtual environments, manifest files and whatever matches an exclude pattern; a file named
explicitly is always taken.  Skipping never turns anything into "proven": a skipped file is simply
not reported (and `certify check --manifest` reports every certificate of its folder that the
manifest does not list).
"""
from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Iterable

MANIFEST_FORMAT = "certify-manifest"  # a manifest file (certify/manifest.py) is data, not a certificate
_MANIFEST_START = re.compile(rb'\A\s*\{\s*"format"\s*:\s*"certify-manifest"')


def is_manifest_file(path: str | os.PathLike) -> bool:
    """True if the file begins with ``{"format": "certify-manifest"``: such a file is never a valid
    certificate (its format field is not FORMAT and duplicate keys are rejected), so a folder walk
    may skip it without skipping anything that could be proven."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return bool(_MANIFEST_START.match(head))


def _excluded(rel: str, name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, g) or fnmatch.fnmatchcase(rel, g) for g in patterns)


def _walk(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    """*.json files under ``root``, skipping hidden entries, virtual environments (folders holding
    pyvenv.cfg), manifest files and whatever matches an exclude pattern."""
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        rel_here = here.relative_to(root)
        keep = []
        for d in dirs:
            rel = (rel_here / d).as_posix()
            if d.startswith(".") or (here / d / "pyvenv.cfg").is_file() or _excluded(rel, d, patterns):
                continue
            keep.append(d)
        dirs[:] = keep  # os.walk descends only into these (no symlinked folders: followlinks=False)
        for n in names:
            if not n.endswith(".json") or n.startswith("."):
                continue
            q = here / n
            if _excluded((rel_here / n).as_posix(), n, patterns) or not q.is_file() or is_manifest_file(q):
                continue
            found.append(q)
    return sorted(found)


def expand_paths(
    paths: Iterable[str | os.PathLike], exclude: Iterable[str] = ()
) -> tuple[list[Path], list[str]]:
    """Files as given; folders searched recursively for *.json.  Returns (files, missing).

    A folder walk skips hidden files and folders (names starting with "."),
    virtual environments (folders holding ``pyvenv.cfg``), manifest files
    (:func:`is_manifest_file`) and entries whose name or path relative to the
    walked folder matches one of the ``exclude`` glob patterns (fnmatch, case
    sensitive, "/" as separator).  Symbolic links to folders are not followed.
    Files named explicitly are always taken."""
    patterns = tuple(exclude)
    files: list[Path] = []
    missing: list[str] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            found = _walk(p, patterns)
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

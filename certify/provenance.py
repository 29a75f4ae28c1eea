"""Provenance helpers for producers (UNTRUSTED; the checker never reads provenance).

``environment()`` is what a certificate's ``provenance`` records about the
software that produced it, so a run can be reproduced with the same versions
(see also constraints.txt, which pins the versions CI runs with).
"""
from __future__ import annotations

import platform
import sys
from importlib.metadata import PackageNotFoundError, version


def _version(dist: str) -> str | None:
    try:
        return version(dist)
    except PackageNotFoundError:
        return None


def environment() -> dict:
    """Versions of python, certify, numpy, scipy, python-flint (None where not installed) and the
    platform; reads package metadata only, so it imports none of them."""
    from . import __version__

    return {
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "certify": __version__,
        "numpy": _version("numpy"),
        "scipy": _version("scipy"),
        "python-flint": _version("python-flint"),
        "platform": platform.platform(terse=True),
    }

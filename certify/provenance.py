"""The one provenance builder of the producers (UNTRUSTED; the checker never reads provenance).

Every certificate written through certify.publishing.build_certificate gets the same standard
provenance fields, filled in here, so a run can be reproduced:

* ``produced_by``: ``certify <version>``;
* ``command``: the command line that produced it (``certify spurious-minima prove --k 6 ...``);
* ``created_utc``: the time, UTC, ISO 8601 to the second;
* ``software``: python, certify, numpy, scipy, python-flint versions and the platform.

A producer adds only what is its own (seed, estimates, source file, ...).
"""
from __future__ import annotations

import datetime
import os
import platform
import shlex
import sys
from importlib.metadata import PackageNotFoundError, version

STANDARD_FIELDS = ("produced_by", "command", "created_utc", "software")


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


def command_line(argv: list[str] | None = None) -> str:
    """The command line of this process, as a shell would take it (``certify`` for the CLI)."""
    argv = list(sys.argv if argv is None else argv)
    if not argv:
        return ""
    prog = os.path.basename(argv[0])
    if prog in ("__main__.py", "certify") or prog.endswith("certify/__main__.py"):
        prog = "certify"
    return shlex.join([prog, *argv[1:]])


def provenance(fields: dict | None = None) -> dict:
    """The standard fields (module docstring) followed by the producer's own ``fields``; a standard
    field the producer gives itself is kept as given."""
    from . import __version__

    out = {"produced_by": f"certify {__version__}", "command": command_line(),
           "created_utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "software": environment()}
    out.update(fields or {})
    return out

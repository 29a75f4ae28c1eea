"""The one registry of claim kinds: dispatch, the CLI, the independence test and docs/trust.md
all read it.

TRUSTED (docs/trust.md).  Built-in kinds are listed here; a package outside
this repository adds a kind through the entry-point group ``certify.kinds``
(value ``"module:attribute"`` naming a ClaimKind instance), e.g. in its
pyproject.toml::

    [project.entry-points."certify.kinds"]
    my-kind = "mypackage.kind:KIND"

An external kind may not reuse the name of a built-in one (it could not
replace a trusted checker), and a name registered twice is an error.
"""
from __future__ import annotations

import importlib
from functools import lru_cache

from .certificate import CertificateError
from .contract import ClaimKind

ENTRY_POINT_GROUP = "certify.kinds"

# name -> "module:attribute"; loaded on first use (checking one kind imports only that kind)
BUILTIN_KINDS = {
    "relu-spurious-minimum": "certify.kernel.spurious_minima.kind:KIND",
    "relu-spurious-minimum-symmetric": "certify.kernel.spurious_symmetric.kind:KIND",
    "relu-one-more-neuron": "certify.kernel.overparameterization.kind:KIND",
    "hermite-expansion": "certify.kernel.hermite.kind:KIND",
    "kkt-max-margin": "certify.kernel.kkt.kind:KIND",
    "relu-spurious-minimum-teacher-box": "certify.kernel.teacher_box.kind:KIND",
    "relu-network-exact": "certify.kernel.networks.kind:KIND",
    "relu-spurious-minimum-teacher-ball": "certify.kernel.teacher_ball.kind:KIND",
    "relu-spurious-minimum-family": "certify.kernel.families.kind:KIND",
}


@lru_cache(maxsize=None)
def _load(ref: str) -> ClaimKind:
    """Import the object named by ``ref`` ("module:attribute") and return it, cached; TypeError unless it
    is a ClaimKind instance."""
    module, _, attr = ref.partition(":")
    kind = getattr(importlib.import_module(module), attr)
    if not isinstance(kind, ClaimKind):
        raise TypeError(f"{ref} is not a ClaimKind instance")
    return kind


def _entry_point_refs() -> list[str]:
    """The "module:attribute" values of the installed ``certify.kinds`` entry points (read from the
    package metadata; nothing is imported here)."""
    from importlib.metadata import entry_points

    return [ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)]


@lru_cache(maxsize=None)
def kinds() -> dict[str, ClaimKind]:
    """Every registered kind by name: the built-in ones, then those of installed packages."""
    table: dict[str, ClaimKind] = {}
    for name, ref in BUILTIN_KINDS.items():
        kind = _load(ref)
        if kind.name != name:
            raise TypeError(f"{ref} registers {kind.name!r}, listed as {name!r}")
        table[name] = kind
    for ref in _entry_point_refs():
        if ref in BUILTIN_KINDS.values():
            continue
        kind = _load(ref)
        if kind.name in table:
            raise TypeError(f"claim kind {kind.name!r} from {ref} is already registered")
        table[kind.name] = kind
    return table


def get_kind(name) -> ClaimKind:
    """The kind called ``name`` (a built-in one is loaded alone; others need the full registry)."""
    if isinstance(name, str) and name in BUILTIN_KINDS:
        kind = _load(BUILTIN_KINDS[name])
        if kind.name == name:
            return kind
    table = kinds()
    if not isinstance(name, str) or name not in table:
        raise CertificateError(f"unknown certificate kind {name!r} (known: {', '.join(sorted(table))})")
    return table[name]

"""The claim-kind contract: what every kind of claim gives the kernel.

TRUSTED (docs/trust.md).  Imports only the standard library.

A *claim kind* is one instance of a :class:`ClaimKind` subclass, living in
``certify/kernel/<kind>/`` and registered in ``certify.kernel.registry``.
The kernel (``certify.kernel.checking``) owns the envelope policy, the same
for every kind:

1. ``format`` is ``"certify-certificate"``; ``kind`` names a registered kind;
   ``version`` is the kind's :attr:`ClaimKind.version` (one place);
2. the top level holds only the envelope (format, version, kind, claim,
   provenance) and the kind's :attr:`ClaimKind.evidence_fields`; ``claim``
   holds only ``statement`` and the kind's :attr:`ClaimKind.claim_fields`;
3. ``provenance`` is removed before the kind sees the certificate: it is
   never read by any check;
4. :meth:`ClaimKind.parse` validates every field (unknown nested fields are
   rejected with :func:`certify.kernel.certificate.only_fields`) and every
   resource limit in :attr:`ClaimKind.limits` *before* any arithmetic, and
   returns a typed claim;
5. the statement must equal :meth:`ClaimKind.statement` of that claim,
   character for character;
6. :meth:`ClaimKind.check` proves the claim or raises; it returns
   :class:`Proven`, whose bounds may only use names documented in
   :attr:`ClaimKind.bounds`.

Any exception on the way is "not proven" (never a pass, never a traceback).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping


@dataclass(frozen=True)
class Proven:
    """What a check proved: a one-line summary and named, documented bounds.

    ``bounds`` maps names from the kind's :attr:`ClaimKind.bounds` to JSON
    values (floats for proven binary64 bounds, strings "p/q" for exact
    rationals, lists ``[lo, hi]`` for enclosures)."""

    summary: str
    bounds: Mapping[str, Any] = field(default_factory=dict)


class ClaimKind:
    """Base class of a claim kind; subclass it once per kind and register an instance.

    Class attributes (all required):

    name             the ``kind`` string of its certificates
    version          the certificate format version this checker reads for the kind
    title            one line: what a certificate of this kind proves
    theorem          the docs page with the theorem and its proof
    trusted_modules  every module of the kind's checker (all under certify.kernel.<kind>)
    claim_fields     the keys allowed in ``claim`` besides ``statement``
    evidence_fields  the top-level keys allowed besides the envelope
    limits           resource limits, name -> largest allowed value, enforced by ``parse``
    max_file_bytes   the largest certificate file of the kind, refused before it is parsed
    bounds           name -> meaning of each bound that ``check`` may report
    version_help     older version -> how to bring such a file to ``version`` (shown on rejection)
    cli_group        the producer command group, ``certify <cli_group> ...``: the kind's folder name with
                     "-" for "_" (or None)
    cli_aliases      older names of that group, still accepted
    cli_module       the producer module registering that group, ``certify.<folder>.cli`` (never
                     imported by the kernel)
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    title: ClassVar[str]
    theorem: ClassVar[str]
    trusted_modules: ClassVar[tuple[str, ...]]
    claim_fields: ClassVar[frozenset[str]]
    evidence_fields: ClassVar[frozenset[str]]
    limits: ClassVar[Mapping[str, int]] = {}
    max_file_bytes: ClassVar[int] = 64 * 1024 * 1024
    bounds: ClassVar[Mapping[str, str]] = {}
    version_help: ClassVar[Mapping[int, str]] = {}
    cli_group: ClassVar[str | None] = None
    cli_aliases: ClassVar[tuple[str, ...]] = ()
    cli_module: ClassVar[str | None] = None

    @property
    def folder(self) -> str:
        """The kind's one name on disk, from its module certify.kernel.<folder>.kind: its checker lives in
        certify/kernel/<folder>/, its producer in certify/<folder>/ (CLI group <folder> with "-" for
        "_"), and this repository stores its certificates under certificates/<folder>/."""
        parts = type(self).__module__.split(".")
        return parts[2] if len(parts) > 3 and parts[:2] == ["certify", "kernel"] else parts[0]

    def parse(self, cert: dict) -> Any:
        """Validate every field of ``cert`` (provenance already removed); return the typed claim.

        Raises CertificateError for anything malformed or beyond ``limits``."""
        raise NotImplementedError

    def statement(self, claim: Any) -> str:
        """The exact claim in words, built from the typed claim's fields."""
        raise NotImplementedError

    def check(self, claim: Any) -> Proven:
        """Prove the typed claim rigorously, or raise NotProven / CertificateError."""
        raise NotImplementedError

    def describe(self, claim: Any) -> str:
        """The claim's data in readable form (no checking)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        """A short description for debugging: ``<claim kind NAME vVERSION>``."""
        return f"<claim kind {self.name} v{self.version}>"


def describe_with_matrix(lines: list[str], matrix, precision: int) -> str:
    """A kind's ``describe`` text: the given lines, then a numeric array as numpy prints it (display
    only; nothing is decided from it)."""
    import numpy as np

    with np.printoptions(precision=precision, suppress=True, linewidth=120):
        return "\n".join([*lines, str(matrix)])

"""Format migration of ``relu-spurious-minimum-symmetric`` certificates: version 1 -> version 2.

UNTRUSTED (a producer; the kernel never imports it).  Version 2 changes only the statement
(certify.kernel.spurious_symmetric.kind.SymmetricSpuriousMinimum.statement): version 1 put
"for every input dimension d >= k" after the uniqueness clause, which is proven only among the
G_p-fixed points in d = k.  The fields, the evidence and the check are those of version 1.

A migration rewrites exactly two things -- ``version`` and ``claim.statement`` -- of

* a version-1 symmetric certificate, and
* a ``relu-one-more-neuron`` certificate whose embedded ``minimum`` is a version-1 symmetric one
  (only the embedded minimum changes; the outer certificate's own statement does not),

after checking that the old statement is exactly the one version 1 built from the fields (a file
whose version-1 statement was changed is not migrated).  Everything else, provenance included,
is kept as it was.  The result is re-checked by the kernel and written atomically
(certify.publishing.publish): a file that does not prove its claim is not written.
"""
from __future__ import annotations

import copy
import os
from pathlib import Path

from ..kernel.certificate import FORMAT, CertificateError, load_certificate
from ..kernel.contract import Proven
from ..kernel.spurious_symmetric.kind import KIND as SYMMETRIC
from ..publishing import PublishError, check_writable, publish

ONE_MORE_NEURON = "relu-one-more-neuron"


class MigrationError(Exception):
    """A malformed version-1 certificate, or a changed version-1 statement (nothing was written)."""


class NothingToMigrate(MigrationError):
    """The file is not a version-1 symmetric certificate and embeds none (nothing was written)."""


def statement_v1(claim) -> str:
    """The statement version 1 built from a parsed symmetric claim (kept here, only to recognise
    untouched version-1 files)."""
    dims = "for every input dimension d >= k" if claim.all_dims else "for input dimension d = k"
    sym = (f"fixed by Delta(S_p1 x ... x S_pm) (permuting students and input coordinates together inside "
           f"blocks of sizes p = {list(claim.blocks)})")
    head = (f"The two-layer ReLU teacher-student loss F(W) = 1/2 E_x[(sum_i relu(w_i.x) - sum_j relu(v_j.x))^2], "
            f"x ~ N(0, I_d), with n = k = {claim.k} students and the orthonormal teacher V = I_{claim.k} "
            f"(embedded in R^d), has ")
    where = ("within Frobenius distance `radius` of the block-constant point given by `values` (compact layout "
             "of docs/spurious-symmetric.md); it is the only critical point of F with this symmetry within "
             f"that distance; {dims}.")
    if claim.nature == "minimum":
        return head + (f"a strict local minimum W* with F(W*) > 0 (hence spurious: the global minimum is 0), "
                       f"{sym}, {where}")
    return head + (f"a critical point W* that is a saddle (not a local minimum: its Hessian has a negative "
                   f"eigenvalue; not a local maximum), {sym}, {where}")


def _is_symmetric_v1(cert) -> bool:
    return (isinstance(cert, dict) and cert.get("format") == FORMAT and cert.get("kind") == SYMMETRIC.name
            and cert.get("version") == 1)


def migrate_symmetric_v1(cert: dict) -> dict:
    """The version-2 rewrite of a version-1 symmetric certificate (a new dict; only ``version`` and
    ``claim.statement`` differ).  Raises MigrationError if ``cert`` is not an untouched version-1 file."""
    if not _is_symmetric_v1(cert):
        raise MigrationError(f"not a version-1 {SYMMETRIC.name} certificate")
    claim_obj = cert.get("claim")
    if not isinstance(claim_obj, dict):
        raise MigrationError("'claim' must be a JSON object")
    try:
        claim = SYMMETRIC.parse({key: value for key, value in cert.items() if key != "provenance"})
    except CertificateError as exc:
        raise MigrationError(f"malformed version-1 certificate: {exc}") from None
    if claim_obj.get("statement") != statement_v1(claim):
        raise MigrationError("claim.statement is not the statement version 1 builds from the fields: not migrated")
    new = copy.deepcopy(cert)  # key order kept: the file changes in exactly two lines
    new["version"] = SYMMETRIC.version
    new["claim"]["statement"] = SYMMETRIC.statement(claim)
    return new


def migrate_certificate(cert: dict) -> dict:
    """The rewrite of ``cert``: a version-1 symmetric certificate, or a one-more-neuron certificate whose
    embedded minimum is one.  Raises NothingToMigrate for any other certificate, MigrationError for a
    malformed or changed version-1 one."""
    if _is_symmetric_v1(cert):
        return migrate_symmetric_v1(cert)
    if isinstance(cert, dict) and cert.get("format") == FORMAT and cert.get("kind") == ONE_MORE_NEURON:
        minimum = cert.get("minimum")
        if _is_symmetric_v1(minimum):
            new = copy.deepcopy(cert)
            new["minimum"] = migrate_symmetric_v1(minimum)
            return new
        raise NothingToMigrate("its embedded minimum is not a version-1 symmetric certificate: nothing to migrate")
    raise NothingToMigrate(f"not a version-1 {SYMMETRIC.name} certificate (nor a {ONE_MORE_NEURON} certificate "
                         "embedding one): nothing to migrate")


def migrate_file(path: str | os.PathLike, target: str | os.PathLike, overwrite: bool = False) -> Proven:
    """Read ``path``, write its rewrite to ``target`` (re-checked by the kernel, atomically; an existing
    target only with ``overwrite``).  Raises MigrationError (nothing to migrate) or PublishError."""
    check_writable(target, overwrite)
    try:
        cert = load_certificate(path)
    except CertificateError as exc:
        raise MigrationError(f"cannot read: {exc}") from None
    new = migrate_certificate(cert)
    return publish(new, target, overwrite=overwrite)


def plan_files(inputs, out_dir: str | os.PathLike) -> list[tuple[Path, Path]]:
    """(source, target) pairs: a file goes to out_dir/<its name>; a folder's *.json files (walked like
    ``certify check``) keep their path relative to that folder under out_dir.  Raises PublishError on a
    missing input or when two sources would be written to the same target."""
    from ..paths import expand_paths

    out = Path(out_dir)
    pairs: list[tuple[Path, Path]] = []
    for item in inputs:
        item = Path(item)
        if item.is_dir():
            files, _ = expand_paths([item])
            pairs += [(f, out / f.relative_to(item)) for f in files]
        elif item.is_file():
            pairs.append((item, out / item.name))
        else:
            raise PublishError(f"{item}: no such file or folder")
    targets = [t.resolve() for _, t in pairs]
    if len(set(targets)) != len(targets):
        raise PublishError("two inputs would be written to the same output file")
    return pairs


def cmd_migrate(args) -> int:
    """``certify spurious-symmetric migrate PATH... --out DIR [--overwrite]``: every version-1 file under PATH
    rewritten into DIR (a folder's files keep their relative paths; in place with ``--out`` = the folder
    and ``--overwrite``).  Files with nothing to migrate are skipped.  Every target is checked before
    anything is written.  Exit status 0, or 1 when a file could not be migrated."""
    pairs = plan_files(args.paths, args.out)
    todo, skipped = [], 0
    for src, target in pairs:
        try:
            migrate_certificate(load_certificate(src))
        except NothingToMigrate:
            skipped += 1
            continue
        except (CertificateError, MigrationError):
            pass  # reported below, when its turn comes
        check_writable(target, args.overwrite)
        todo.append((src, target))
    failed = 0
    for src, target in todo:
        try:
            proof = migrate_file(src, target, overwrite=args.overwrite)
        except (MigrationError, PublishError) as exc:
            failed += 1
            print(f"not migrated {src}: {exc}")
            continue
        if args.verbose:
            print(f"wrote {target}: {proof.summary}")
    print(f"{len(todo) - failed} file(s) migrated to version {SYMMETRIC.version} into {args.out}, {skipped} with "
          f"nothing to migrate, {failed} not migrated")
    return 1 if failed else 0


def register_cli(verbs) -> None:
    """Add ``migrate`` to the verbs of ``certify spurious-symmetric``."""
    m = verbs.add_parser("migrate", help=f"rewrite version-1 {SYMMETRIC.name} files (also embedded in "
                                         f"{ONE_MORE_NEURON} files) as version {SYMMETRIC.version}: statement "
                                         "only, re-checked, written atomically",
                         description=f"Rewrite version-1 {SYMMETRIC.name} certificates, and {ONE_MORE_NEURON} "
                                     "certificates that embed one, as version "
                                     f"{SYMMETRIC.version}: only the version and the statement change; each "
                                     "result is re-checked by the kernel and written atomically under --out.")
    m.add_argument("paths", nargs="+", metavar="PATH", help="files, or folders (walked for *.json)")
    m.add_argument("--out", metavar="DIR", required=True,
                   help="output folder (a folder's files keep their relative paths, a file its name)")
    m.add_argument("--overwrite", action="store_true", help="replace existing files (also the inputs themselves)")
    m.add_argument("-v", "--verbose", action="store_true", help="print one line per migrated file")
    m.set_defaults(func=cmd_migrate)

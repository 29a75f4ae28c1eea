"""``certify spurious-symmetric prove``: block-symmetric spurious minima (and saddles) given by a few
compact values, certified at any k (kind relu-spurious-minimum-symmetric).

UNTRUSTED producer (the producer shape: certify/producer_cli.py).  ``prove`` writes certificates
under the required ``--out`` from one source of points:

* ``--from FILE``: a compact entry ``{"p": [...], "vals": [[...]]}`` or a file of classes shaped like
  data/sys2021-minima.json (the published record: one certificate per class, in ``k<K>/`` folders);
* ``--family NAME --k LIST``: the Delta S_k (``delta-s-k``) or Delta S_{k-1} (``delta-s-k-minus-1``)
  family, Newton-continued in k (a saddle where the family is one).

A point whose certificate is already in ``--out`` is not certified again (``--overwrite`` redoes
it).  Exit status 1 when a point asked for was not certified.  ``migrate`` rewrites version-1
certificates of the kind as version 2 (certify/spurious_symmetric/migrate.py).
"""
from __future__ import annotations

import json
from pathlib import Path

from ..producer_cli import add_out, out_folder, parse_k_list, summary_status, user_error


def max_k() -> int:
    """The largest k the symmetric kind accepts."""
    from ..kernel.spurious_symmetric.kind import MAX_K

    return MAX_K


def read_compact(path: Path):
    """('compact', entry) | ('record', classes) from ``path``; ValueError if it is neither."""
    from .record import load_classes, validate_entry

    data = json.loads(path.read_text())
    if isinstance(data, dict) and "classes" in data:
        return "record", load_classes(path)
    if isinstance(data, dict) and "p" in data:
        validate_entry(data, "the entry")
        return "compact", data
    raise ValueError("expected a compact entry {\"p\": ..., \"vals\": ...} or a file with a 'classes' list "
                     "(an n x k matrix is a dense point: `certify spurious-minima prove --from FILE`)")


def _tally(outcomes) -> tuple[int, int, int]:
    written = sum(o.path is not None and not o.kept for o in outcomes)
    kept = sum(o.kept for o in outcomes)
    return written, kept, len(outcomes) - written - kept


def _cmd_prove(args) -> int:
    from .symmetric import kernel_available

    out = out_folder(args.out)
    if (args.from_file is None) == (args.family is None):
        raise user_error("give one source of points: --from FILE or --family NAME")
    if args.from_file is not None and args.k is not None:
        raise user_error("--k does not apply with --from (the file gives the points; refused rather than ignored)")
    if not kernel_available():
        raise user_error("the trusted kind relu-spurious-minimum-symmetric is not registered in this installation")
    all_dims = args.dims == "all"
    if args.family is not None:
        from .families import certify_family, min_k

        ks = parse_k_list(args.k if args.k is not None else "6", 1, max_k())
        if min(ks) < min_k(args.family):
            raise user_error(f"--family {args.family}: k must be at least {min_k(args.family)} "
                             "(below that the family is not a spurious critical point)")
        outcomes = certify_family(args.family, ks, out, overwrite=args.overwrite, all_dims=all_dims)
        return summary_status(*_tally(outcomes), "certificate", out)
    path = Path(args.from_file)
    try:
        what, data = read_compact(path)
    except (OSError, ValueError, TypeError) as exc:
        raise user_error(f"--from {path}: cannot read points ({exc})") from None
    if what == "compact":
        from .symmetric import certify_compact, file_name, write

        prov: dict = {}
        prov["source"] = {"file": path.name}
        k = sum(int(x) for x in data["p"])
        name = (None if args.overwrite else
                (lambda loss, nature: out / file_name(k, tuple(data["p"]), loss, 3, nature)))
        o = certify_compact(data["p"], data["vals"], all_dims=all_dims, provenance=prov, existing=name)
        if o.kept:
            print(o.reason)
        elif not o.certified:
            print(f"NOT certified: {o.reason}")
        else:
            write(o, out / file_name(o.k, o.p, o.estimates["loss"], 3, o.nature), args.overwrite)
        return summary_status(*_tally([o]), "certificate", out)
    from .record import prove_record

    outcomes = prove_record(data[1], out, all_dims=all_dims, overwrite=args.overwrite, source=path.name)
    return summary_status(*_tally(outcomes), "certificate", out)


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="certify block-symmetric points (a compact entry, the published record, or "
                                       "a family at any k) and write the certificates under --out",
                         description="Polish compact points by Newton's method, classify them in floating point, "
                                     "certify them with the trusted kernel (a spurious minimum, or a saddle where "
                                     "the point is one) and write relu-spurious-minimum-symmetric certificates "
                                     "under --out (required). Existing certificates are kept and skipped; "
                                     "--overwrite redoes them. Exit status 1 when a point was not certified.")
    add_out(p)
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="a compact entry {\"p\": [...], \"vals\": [[...]]} or a file of classes shaped like "
                        "data/sys2021-minima.json (one certificate per class, in k<K>/ folders)")
    p.add_argument("--family", choices=("delta-s-k", "delta-s-k-minus-1"), default=None,
                   help="the Delta S_k family (blocks p = (k)) or the Delta S_{k-1} family (p = (1, k - 1)), "
                        "Newton-continued in k")
    p.add_argument("--k", default=None, help="with --family: k values, e.g. 6-100,1000,10000 (default 6)")
    p.add_argument("--dims", choices=("all", "k"), default="all",
                   help="claim every input dimension d >= k (default) or only d = k")
    p.set_defaults(func=_cmd_prove)

    from .migrate import register_cli as register_migrate

    register_migrate(verbs)  # certify spurious-symmetric migrate: version-1 files -> version 2

"""`certify families prove|search|report|plot` (symmetric families of spurious minima for every k).

UNTRUSTED producer (the producer shape: certify/producer_cli.py).  ``prove`` writes a certificate and
requires ``--out`` (an existing file is kept and nothing is computed unless ``--overwrite``); ``search``
only follows a family and prints a table (writes nothing); ``report`` and ``plot`` only read
certificates (``plot`` writes the PNG it is asked for, ``report --json`` the rows; never over an
existing file without ``--overwrite``).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

from ..producer_cli import add_out, output_file, summary_status, user_error


def _family(name: str):
    from ..cli import UserError
    from .table import FAMILIES

    if name not in FAMILIES:
        raise UserError(f"--family: unknown family {name!r} (known: {', '.join(FAMILIES)})")
    return FAMILIES[name]


def _cmd_prove(args) -> int:
    from ..cli import UserError
    from ..publishing import check_writable
    from .prove import write

    fam = _family(args.family)
    if args.k_max is not None and args.k_max != "infinity":
        try:
            k_max = int(args.k_max)
        except ValueError:
            raise UserError(f"--k-max: an integer or 'infinity', got {args.k_max!r}") from None
    else:
        k_max = None
    k_min = args.k_min if args.k_min is not None else fam.k_min
    if k_max is not None and k_max < k_min:
        raise UserError("--k-max must be >= --k-min")
    if args.no_transition and args.saddle_from is not None:
        raise UserError("--saddle-from is refused with --no-transition")
    out = Path(args.out)
    if out.exists() and not args.overwrite:  # before minutes of continuation and covering
        print(f"{out} exists, kept (--overwrite to prove it again)")
        return summary_status(0, 1, 0, "certificate", out.parent)
    check_writable(out, args.overwrite)
    write(fam.name, out, overwrite=args.overwrite, k_min=k_min, k_max=k_max, transition=not args.no_transition,
          saddle_from=args.saddle_from)
    return 0


def _cmd_search(args) -> int:
    import numpy as np

    from . import continuation as C

    fam = _family(args.family)
    pat = fam.pattern()
    lp = 2 if fam.loss_scale == "k" else 0
    s_max = 1.0 / math.sqrt(args.k_from)
    grid, psis = C.follow(pat, np.array(fam.start, dtype=np.float64), s_max, 0.01)
    ks = [float(k) for k in args.k.split(",")] if args.k else [1e12, 1e6, 1e4, 1000, 100, 20, 10, 8, 7, 6]
    ks = [k for k in ks if k >= args.k_from]
    s = np.array([1.0 / math.sqrt(k) for k in ks])
    psi, _ = C.points(pat, grid, psis, s)
    lam_c = C.lambda_min(pat, psi, s, lp)
    lam_h = C.hessian_eigenvalue(pat, psi, s, lp)
    loss = C.loss(pat, psi, s, lp)
    what = "k F" if lp else "F"
    print(f"{fam.title}: rescaled unknowns psi (reference {list(pat.ref)}, exponents {list(pat.expo)})")
    print(f"{'k':>12} {'s':>10} {what:>12} {'lam_min(H)':>12} {'lam_min(C~)':>12}  psi")
    for k, si, p, lc, lh, l in zip(ks, s, psi, lam_c, lam_h, loss):
        print(f"{k:12.6g} {si:10.4g} {l:12.8f} {lh:12.6g} {lc:12.6g}  {np.array2string(p, precision=6)}")
    if args.transition:
        s_star = C.transition(pat, grid, psis, lp)
        print(f"lambda_min changes sign at s* = {s_star!r}, k* = {1 / s_star**2!r} (floating point)")
    return 0


def _rows(paths) -> list[dict]:
    from ..kernel.checking import check_file
    from ..paths import expand_paths

    files, missing = expand_paths(paths)
    if missing:
        raise user_error("; ".join(missing))
    rows = []
    for f in files:
        data = json.loads(Path(f).read_text(encoding="utf-8"))
        if data.get("kind") != "relu-spurious-minimum-family":
            continue
        import time

        t = time.perf_counter()
        v = check_file(f)
        rows.append({"path": str(f), "proven": v.proven, "message": v.message, "bounds": v.bounds,
                     "seconds": time.perf_counter() - t, "claim": data["claim"], "cover": data["cover"],
                     "evidence": {k: data[k] for k in ("format", "version", "kind", "unknowns", "equations", "limit")
                                  if k in data}})
    return rows


def _cmd_report(args) -> int:
    json_out = output_file(args.json, args.overwrite, "--json")
    rows = _rows(args.paths)
    for r in rows:
        tag = "PROVEN    " if r["proven"] else "NOT PROVEN"
        print(f"{tag} {r['path']} ({r['seconds']:.2f} s): {r['message']}")
    if json_out:
        from ..publishing import write_json_atomic

        write_json_atomic(json_out, {"rows": [{k: v for k, v in r.items() if k not in ("cover", "evidence")}
                                              for r in rows]}, overwrite=args.overwrite)
    return 0 if all(r["proven"] for r in rows) else 1


def _cmd_plot(args) -> int:
    from .report import pieces, plot

    output_file(args.out, args.overwrite, "--out")
    rows = _rows(args.paths)
    for r in rows:
        r["pieces"] = pieces({"claim": r["claim"], "cover": r["cover"], **r["evidence"]})
    plot(rows, args.out, overwrite=args.overwrite)
    print(f"wrote {args.out}")
    return 0


def register(verbs) -> None:
    from .table import FAMILIES

    p = verbs.add_parser("prove", help="continue a family in s = 1/sqrt(k), build the cover, write one certificate",
                         description="Follow the family's critical points in floating point for real k (in s = "
                                     "1/sqrt(k), s = 0 included), choose a cover of [0, 1/sqrt(k_min)] by pieces "
                                     "that the kernel proves, and write one relu-spurious-minimum-family "
                                     "certificate to --out (required; an existing file is kept and nothing "
                                     "computed unless --overwrite).")
    p.add_argument("--family", required=True, choices=sorted(FAMILIES), help="the block pattern as a function of k")
    p.add_argument("--k-min", type=int, default=None, help="smallest integer k claimed (default: the family's)")
    p.add_argument("--k-max", default=None, help="largest k claimed, or 'infinity' (default)")
    p.add_argument("--no-transition", action="store_true", help="do not prove the saddle-to-minimum transition")
    p.add_argument("--saddle-from", type=float, default=None, help="where the saddle side starts (real k)")
    add_out(p, "certificate", file=True)
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("search", help="follow a family in floating point and print a table (writes nothing)",
                         description="Follow a family's critical points in floating point from k = infinity down "
                                     "to --k-from and print k F (or F), the smallest Hessian eigenvalues and the "
                                     "rescaled unknowns (untrusted; writes nothing).")
    p.add_argument("--family", required=True, choices=sorted(FAMILIES), help="the block pattern as a function of k")
    p.add_argument("--k", default=None, help="comma list of k (default: 1e12, 1e6, ..., 6)")
    p.add_argument("--k-from", type=float, default=5.0, help="follow the family from k = infinity down to this k")
    p.add_argument("--transition", action="store_true", help="also locate the sign change of lambda_min")
    p.set_defaults(func=_cmd_search)

    p = verbs.add_parser("report", help="check family certificates and print their bounds and check times",
                         description="Check every family certificate under PATH with the kernel and print its "
                                     "verdict, bounds and check time (exit 1 if one is not proven).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="family certificate files or folders")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --json file")
    p.set_defaults(func=_cmd_report)

    p = verbs.add_parser("plot", help="plot k F (or F) and lambda_min against k from family certificates",
                         description="Check the family certificates under PATH and plot k F (or F) and the "
                                     "smallest Hessian eigenvalue against k on a log axis, with the proven pieces "
                                     "and limits.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="family certificate files or folders")
    p.add_argument("--out", required=True, metavar="PNG", help="PNG file to write")
    p.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    p.set_defaults(func=_cmd_plot)

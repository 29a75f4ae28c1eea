"""Verbs of the random-teacher experiment: ``search`` (statistics; ``--check`` certifies in memory, writes no
certificate), ``prove`` (certificates under ``--out``), ``report`` and ``plot`` (read statistics files only).

``register(verbs)`` adds them to a subparsers object; certify/spurious_minima/cli.py mounts them as
``certify spurious-minima random-teachers VERB`` (this experiment produces certificates of the dense kind)."""
from __future__ import annotations

from pathlib import Path

DEFAULT_K = "6"
DEFAULT_FACTORS = "1,2,4"


def parse_list(text: str, what: str) -> list[int]:
    """"6", "6-20", "6,10,15" or a mix ("6-8,10") -> sorted distinct positive integers."""
    from ...cli import UserError

    out: set[int] = set()
    try:
        for part in str(text).split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                out.update(range(int(a), int(b) + 1))
            else:
                out.add(int(part))
    except ValueError:
        raise UserError(f"{what}: expected e.g. 6, 6-20 or 6,10,15, got {text!r}") from None
    if not out or min(out) < 1:
        raise UserError(f"{what}: expected positive integers, got {text!r}")
    return sorted(out)


def _cells(args):
    from ...cli import UserError
    from .experiment import CellConfig

    ks = parse_list(args.k, "--k")
    factors = parse_list(args.d_factors, "--d-factors")
    if max(ks) > 30 or min(ks) < 2:
        raise UserError("--k: 2 <= k <= 30")
    if args.teachers < 1 or args.runs < 1:
        raise UserError("--teachers and --runs must be positive")
    cells = []
    for k in ks:
        for f in factors:
            if k * k * f > 20000:
                raise UserError(f"k = {k}, d = {f * k}: the teacher has more than 20000 entries (the kernel's limit)")
            kw = dict(k=k, d=f * k, teachers=args.teachers, runs=args.runs, seed=args.seed, steps=args.steps,
                      backend=args.backend)
            if not args.identity_only:
                cells.append(CellConfig(**kw))
            if args.identity or args.identity_only:
                cells.append(CellConfig(**{**kw, "teachers": 1, "runs": args.teachers * args.runs}, identity=True))
    return cells


def _run(args, certify: bool, out_dir: Path | None) -> int:
    from ...cli import UserError
    from ...publishing import check_writable, write_json_atomic
    from .experiment import cell_key, empty_stats
    from .report import load_stats, table

    stats_path = Path(args.stats) if args.stats else None
    stats = empty_stats()
    if stats_path is not None:
        if stats_path.exists() and args.resume:
            stats = load_stats(stats_path)
        elif stats_path.exists() and not args.overwrite:
            raise UserError(f"{stats_path} exists (use --resume to continue it, --overwrite to replace it)")
        check_writable(stats_path, overwrite=True)
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is not a folder")
    done = {cell_key(c) for c in stats["cells"]}
    from .experiment import run_cell

    for cfg in _cells(args):
        key = (cfg.k, cfg.d, cfg.identity)
        if key in done:
            print(f"k={cfg.k} d={cfg.d}{' identity' if cfg.identity else ''}: in {stats_path}, skipped (--resume)")
            continue
        cell = run_cell(cfg, certify=certify, out_dir=out_dir, overwrite=args.overwrite)
        stats["cells"] = [c for c in stats["cells"] if cell_key(c) != key] + [cell]
        lab = cell["labels"]
        print(f"k={cfg.k} d={cfg.d}{' identity' if cfg.identity else ''}: {cell['runs']} runs "
              f"(global {lab['global']}, spurious {lab['spurious']}, saddle {lab['saddle']}, other {lab['other']})"
              + (f"; certified: {cell['runs_certified']} runs, {cell['classes_certified']}/{cell['classes']} classes, "
                 f"{cell['teachers_certified']}/{cell['teachers']} teachers" if certify else "")
              + f"; {cell['wall_seconds']:.0f} s", flush=True)
        if stats_path is not None:
            write_json_atomic(stats_path, stats, overwrite=True)  # after every cell: an interrupted run resumes
    print(table(stats))
    return 0


def _cmd_search(args) -> int:
    return _run(args, certify=args.check, out_dir=None)


def _cmd_prove(args) -> int:
    return _run(args, certify=True, out_dir=Path(args.out))


def _cmd_report(args) -> int:
    from ...cli import UserError
    from .report import merge, table

    try:
        stats = merge(args.files)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(str(exc)) from None
    print(table(stats))
    return 0


def _cmd_plot(args) -> int:
    from ...cli import UserError
    from ...publishing import check_writable
    from .report import merge, plot

    check_writable(args.out, overwrite=args.overwrite)
    try:
        stats = merge(args.files)
    except (OSError, ValueError, KeyError) as exc:
        raise UserError(str(exc)) from None
    plot(stats, args.out)
    print(f"plot written to {args.out}")
    return 0


def _common(p) -> None:
    p.add_argument("--k", default=DEFAULT_K, help="teacher sizes k = n: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--d-factors", default=DEFAULT_FACTORS, help="input dimensions d = f k for these f (default 1,2,4)")
    p.add_argument("--teachers", type=int, default=5, help="random teachers per (k, d) (default 5)")
    p.add_argument("--runs", type=int, default=10, help="gradient-descent runs per teacher (default 10)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the teachers and initialisations (default 0)")
    p.add_argument("--steps", type=int, default=20000, help="gradient-descent steps at most (default 20000)")
    p.add_argument("--identity", action="store_true",
                   help="also the identity teacher [I_k, 0] with teachers*runs runs, as the reference row")
    p.add_argument("--identity-only", action="store_true", help="only the identity teacher rows")
    p.add_argument("--backend", default="numpy", choices=("numpy", "cupy", "auto"),
                   help="array backend of the gradient descent (default numpy; cupy needs a GPU)")
    p.add_argument("--stats", metavar="JSON", default=None, help="write the statistics here (after every cell)")
    p.add_argument("--resume", action="store_true", help="keep the cells already in --stats and run the others")
    p.add_argument("--overwrite", action="store_true", help="replace existing files (statistics, certificates)")


def register(verbs) -> None:
    p = verbs.add_parser("search", help="random teachers: GD statistics (--check: certify in memory; writes no certificate)",
                         description="Sample Xavier teachers V in R^(k x d), run gradient descent from Xavier "
                                     "initialisations and classify the end points; with --check every spurious class "
                                     "is certified by the kernel in memory. Writes only the statistics file --stats.")
    _common(p)
    p.add_argument("--check", action="store_true", help="certify every spurious class with the kernel (nothing written)")
    p.set_defaults(func=_cmd_search)

    p = verbs.add_parser("prove", help="random teachers: GD, and a certificate for every spurious class, under --out",
                         description="The search of `random-teachers search`, and a relu-spurious-minimum "
                                     "certificate with the given teacher for every spurious class reached, written "
                                     "under --out (required; existing files are kept unless --overwrite).")
    _common(p)
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder for the certificates (k06-d012/teacher000-loss....json)")
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("report", help="print the statistics table of one or more statistics files (read only)",
                         description="Print, per (k, d), the fractions of teachers and of runs with a certified "
                                     "spurious minimum, with Wilson intervals, from statistics files.")
    p.add_argument("files", nargs="+", metavar="JSON", help="statistics files written by search/prove --stats")
    p.set_defaults(func=_cmd_report)

    p = verbs.add_parser("plot", help="plot the certified fractions against k (reads statistics files)",
                         description="Plot the fractions of teachers and runs with a certified spurious minimum "
                                     "against k, per d, next to the identity teacher.")
    p.add_argument("files", nargs="+", metavar="JSON", help="statistics files written by search/prove --stats")
    p.add_argument("--out", required=True, metavar="PNG", help="the figure file")
    p.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    p.set_defaults(func=_cmd_plot)

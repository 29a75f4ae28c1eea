"""`certify search` and `certify prove` (spurious minima of two-layer ReLU networks)."""
from __future__ import annotations

import json
from pathlib import Path

DEFAULT_OUT = Path("certificates") / "spurious_minima"


def parse_k_list(text: str) -> list[int]:
    """'6', '6-20', '6,10,15,20' or a mix ('6-8,12')."""
    from ..cli import UserError

    ks: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                lo, hi = int(a), int(b)
                if hi < lo:
                    raise ValueError
                ks.extend(range(lo, hi + 1))
            else:
                ks.append(int(part))
    except ValueError:
        raise UserError(f"--k: expected a number, a range A-B or a comma list, got {text!r}") from None
    for k in ks:
        if not 1 <= k <= 50:  # the checker handles n k <= 2500
            raise UserError(f"--k: k must be between 1 and 50, got {k}")
    return ks


def _add_common(p) -> None:
    p.add_argument("--k", default="6", help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--n", type=int, default=None, help="students (default n = k)")
    p.add_argument("--runs", type=int, default=500, help="random initializations per k (default 500)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=20000, help="maximum GD steps (default 20000)")
    p.add_argument("--lr", type=float, default=None, help="GD step (default min(0.5, 5/k))")
    p.add_argument("--gd-tol", type=float, default=1e-7, help="stop GD when |grad| <= this")
    p.add_argument("--backend", choices=("numpy", "cupy", "auto"), default="numpy")
    p.add_argument("--batch", type=int, default=500, help="runs per GD batch")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _configs(args):
    from ..cli import UserError
    from .search import SearchConfig

    if args.runs < 1 or args.runs > 10**7:
        raise UserError("--runs must be between 1 and 10^7")
    if args.steps < 1:
        raise UserError("--steps must be positive")
    if args.batch < 1:
        raise UserError("--batch must be positive")
    if args.n is not None and not 1 <= args.n <= 50:
        raise UserError("--n must be between 1 and 50")
    if args.seed < 0:
        raise UserError("--seed must be a non-negative integer")
    if getattr(args, "max_per_k", 1) < 1:
        raise UserError("--max-per-k must be at least 1")
    if args.lr is not None and not args.lr > 0:
        raise UserError("--lr must be positive")
    if args.backend == "cupy":
        from ..arrays import cupy_available

        if not cupy_available():
            raise UserError("--backend cupy: cupy is not installed or no GPU is visible (pip install certify[gpu])")
    ks = parse_k_list(args.k)
    if args.n is not None and args.n < max(ks):
        raise UserError(f"--n {args.n} < k = {max(ks)}: with fewer students than teachers the global minimum "
                        "is positive, so minima cannot be classified as spurious by their loss")
    for k in ks:
        yield SearchConfig(k=k, n=args.n, runs=args.runs, seed=args.seed, steps=args.steps, lr=args.lr,
                           gd_tol=args.gd_tol, backend=args.backend, batch=args.batch,
                           progress=not args.no_progress)


def _plot_fractions(rows, path):
    from ..cli import UserError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UserError("--plot needs matplotlib (pip install certify[plot])") from None
    ks = [r["k"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(ks, [r["spurious_fraction"] for r in rows], "o-", label="fraction of runs ending in a spurious minimum")
    ax.set_xlabel("k = n")
    ax.set_ylabel("fraction of runs")
    ax2 = ax.twinx()
    ax2.plot(ks, [r["spurious_classes"] for r in rows], "s--", color="tab:red", label="distinct classes")
    ax2.set_ylabel("distinct spurious classes", color="tab:red")
    ax.set_title("Two-layer ReLU teacher-student: GD outcomes")
    lines = ax.get_lines() + ax2.get_lines()
    ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"plot written to {path}")


def _cmd_search(args) -> int:
    from ..cli import UserError

    from .search import search, summary

    rows = []
    results = []
    for cfg in _configs(args):
        result = search(cfg)
        print(summary(result), flush=True)
        if args.candidates:
            results.append(result)
        rows.append({
            "k": cfg.k, "n": cfg.n, "runs": cfg.runs, "seed": cfg.seed,
            "spurious_fraction": result.spurious_fraction,
            "spurious_classes": sum(c.label == "spurious" for c in result.classes),
            "classes": [{"loss": c.loss, "runs": c.count, "min_eig": c.min_eig, "min_eig_m": c.min_eig_m}
                        for c in result.classes if c.label == "spurious"],
            "gd_seconds": result.gd_seconds, "run_steps_per_second": result.throughput,
        })
    if args.candidates:
        from ..publishing import exists_message, write_json_atomic
        from .candidates import candidates_data

        try:
            write_json_atomic(args.candidates, candidates_data(results))
        except FileExistsError:
            raise UserError(exists_message(args.candidates)) from None
        print(f"candidates written to {args.candidates} (certify them with `certify prove --candidates`)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
        print(f"summary written to {args.json}")
    if args.plot:
        _plot_fractions(rows, args.plot)
    return 0


def _cmd_prove(args) -> int:
    from .prove import prove_classes, prove_symmetric_family
    from .search import search, summary

    out = Path(args.out)
    if args.candidates:
        from ..cli import UserError
        from .prove import prove_candidates_file

        if args.max_per_k < 1:
            raise UserError("--max-per-k must be at least 1")
        try:
            written = prove_candidates_file(Path(args.candidates), out, all_dims=(args.dims == "all"),
                                            overwrite=args.overwrite, max_per_k=args.max_per_k)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"--candidates {args.candidates}: cannot read candidates ({exc})") from None
        print(f"{len(written)} certificate(s) written to {out}")
        return 0
    if args.family == "symmetric":
        written = prove_symmetric_family(parse_k_list(args.k), out, all_dims=(args.dims == "all"),
                                         overwrite=args.overwrite)
        print(f"{len(written)} certificate(s) written to {out}")
        return 0
    total = 0
    missing = []
    for cfg in _configs(args):
        result = search(cfg)
        print(summary(result), flush=True)
        written = prove_classes(result.classes, cfg, out, all_dims=(args.dims == "all"),
                                overwrite=args.overwrite, max_per_k=args.max_per_k)
        total += len(written)
        if not any(c.label == "spurious" for c in result.classes):
            missing.append(cfg.k)
    print(f"{total} certificate(s) written to {out}")
    if missing:
        print(f"no spurious minimum found for k = {missing} (try more --runs or another --seed)")
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="search for spurious minima (statistics only, writes nothing)")
    _add_common(p)
    p.add_argument("--json", metavar="FILE", help="also write the per-k summary as JSON")
    p.add_argument("--plot", metavar="PNG", help="plot the spurious fraction and classes against k")
    p.add_argument("--candidates", metavar="FILE",
                   help="write the spurious classes found (points, estimates) for `certify prove --candidates`")
    p.set_defaults(func=_cmd_search)

    p = subparsers.add_parser("prove", help="search, polish and write certificates (never overwrites silently)")
    _add_common(p)
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--dims", choices=("all", "k"), default="all",
                   help="claim every input dimension d >= k (default) or only d = k")
    p.add_argument("--max-per-k", type=int, default=1, help="certificates per k (lowest loss first; default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    p.add_argument("--candidates", metavar="FILE",
                   help="certify the candidates in FILE (from `certify search --candidates`) instead of searching")
    p.add_argument("--family", choices=("search", "symmetric"), default="search",
                   help="'search': random GD runs (default); 'symmetric': the fully symmetric family "
                        "w_i = a e_i + b (1 - e_i), by Newton from a closed-form start (no search)")
    p.set_defaults(func=_cmd_prove)

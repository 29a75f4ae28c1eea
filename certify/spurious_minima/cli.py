"""`certify spurious search`, `certify spurious prove` (spurious minima of two-layer ReLU networks) and
`certify spurious migrate` (version-1 symmetric certificates -> version 2; certify.spurious_minima.migrate).

UNTRUSTED producer.  ``prove`` has four sources of points, one at a time:

* a search (default): batched gradient descent for each ``--k``;
* ``--candidates FILE``: the classes a ``search --candidates`` run found;
* ``--family NAME``: a symmetric family continued in k (``symmetric``: the dense
  Delta S_k certificates; ``delta-s-k`` / ``delta-s-k-minus-1``: compact ones);
* ``--from FILE``: any external point (plain matrix, compact entry, or a file
  shaped like data/sys2021-minima.json).

Options that do not apply to the chosen source are refused, not ignored.
"""
from __future__ import annotations

import json
from pathlib import Path

DEFAULT_OUT = Path("certificates") / "spurious_minima"
DENSE_MAX_K = 50  # the dense checker handles n k <= 2500
COMPACT_MAX_K = 100_000  # compact families: the cost does not grow with k

# search options: None means "not given" so that modes which do not use them can refuse them
SEARCH_DEFAULTS = {"n": None, "runs": 500, "seed": 0, "steps": 20000, "lr": None, "gd_tol": 1e-7,
                   "backend": "numpy", "batch": 500}
FLAG = {"n": "--n", "runs": "--runs", "seed": "--seed", "steps": "--steps", "lr": "--lr", "gd_tol": "--gd-tol",
        "backend": "--backend", "batch": "--batch", "k": "--k", "max_per_k": "--max-per-k",
        "family": "--family", "candidates": "--candidates", "from_file": "--from"}


def parse_k_list(text: str, hi: int = DENSE_MAX_K) -> list[int]:
    """'6', '6-20', '6,10,15,20' or a mix ('6-8,12')."""
    from ..cli import UserError

    ks: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                lo, top = int(a), int(b)
                if top < lo:
                    raise ValueError
                if top - lo > 10**6:
                    raise ValueError
                ks.extend(range(lo, top + 1))
            else:
                ks.append(int(part))
    except ValueError:
        raise UserError(f"--k: expected a number, a range A-B or a comma list, got {text!r}") from None
    for k in ks:
        if not 1 <= k <= hi:
            raise UserError(f"--k: k must be between 1 and {hi}, got {k}")
    return ks


def _given(args, name) -> bool:
    return getattr(args, name, None) is not None


def _refuse(args, names, mode: str) -> None:
    from ..cli import UserError

    bad = [FLAG[n] for n in names if _given(args, n)]
    if bad:
        raise UserError(f"{', '.join(bad)} {'does' if len(bad) == 1 else 'do'} not apply with {mode} "
                        "(refused rather than silently ignored)")


def _fill_search_defaults(args) -> None:
    for name, value in SEARCH_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if getattr(args, "k", None) is None:
        args.k = "6"


def _add_common(p) -> None:
    p.add_argument("--k", default=None, help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--n", type=int, default=None, help="students (default n = k)")
    p.add_argument("--runs", type=int, default=None, help="random initializations per k (default 500)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--steps", type=int, default=None, help="maximum GD steps (default 20000)")
    p.add_argument("--lr", type=float, default=None, help="GD step (default min(0.5, 5/k))")
    p.add_argument("--gd-tol", type=float, default=None, help="stop GD when |grad| <= this (default 1e-7)")
    p.add_argument("--backend", choices=("numpy", "cupy", "auto"), default=None, help="array backend (numpy)")
    p.add_argument("--batch", type=int, default=None, help="runs per GD batch (default 500)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (bars appear only on a terminal anyway)")


def _configs(args):
    from ..cli import UserError
    from .search import SearchConfig

    _fill_search_defaults(args)
    if args.runs < 1 or args.runs > 10**7:
        raise UserError("--runs must be between 1 and 10^7")
    if args.steps < 1:
        raise UserError("--steps must be positive")
    if args.batch < 1:
        raise UserError("--batch must be positive")
    if args.n is not None and not 1 <= args.n <= DENSE_MAX_K:
        raise UserError(f"--n must be between 1 and {DENSE_MAX_K}")
    if args.seed < 0:
        raise UserError("--seed must be a non-negative integer")
    if (getattr(args, "max_per_k", None) or 1) < 1:
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
    return [SearchConfig(k=k, n=args.n, runs=args.runs, seed=args.seed, steps=args.steps, lr=args.lr,
                         gd_tol=args.gd_tol, backend=args.backend, batch=args.batch,
                         progress=not args.no_progress) for k in ks]


def _check_file_target(path, overwrite: bool, what: str) -> None:
    from ..cli import UserError
    from ..publishing import PublishError, check_writable

    try:
        check_writable(path, overwrite)
    except PublishError as exc:
        raise UserError(f"{what}: {exc}") from None


def _check_out_dir(out: Path) -> None:
    """--out must be a folder (existing or to be created) we can write into: checked before any work."""
    import os

    from ..cli import UserError

    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out}: is a file; --out names a folder (certificates are written into it)")
    folder = out
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise UserError(f"--out {out}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"--out {out}: cannot write into {folder}")


def _plot_fractions(rows, path):
    from ..cli import UserError

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise UserError("--plot needs matplotlib (pip install certify[plot])") from None
    fig = fractions_figure(rows, plt, MaxNLocator)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"plot written to {path}")


def fractions_figure(rows, plt, MaxNLocator):
    """The figure of --plot: integer ticks on the integer axes, the legend below the axes."""
    ks = [r["k"] for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax.plot(ks, [r["spurious_fraction"] for r in rows], "o-", label="fraction of runs ending in a spurious minimum")
    ax.set_xlabel("k = n")
    ax.set_ylabel("fraction of runs")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # k is an integer
    ax2 = ax.twinx()
    ax2.plot(ks, [r["spurious_classes"] for r in rows], "s--", color="tab:red", label="distinct classes")
    ax2.set_ylabel("distinct spurious classes", color="tab:red")
    ax2.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of classes
    ax2.set_ylim(bottom=0)
    ax.set_title("Two-layer ReLU teacher-student: GD outcomes")
    lines = ax.get_lines() + ax2.get_lines()
    # below the axes, never over the curves
    fig.legend(lines, [ln.get_label() for ln in lines], loc="lower center", ncol=2, fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def _cmd_search(args) -> int:
    from .search import search, summary

    configs = _configs(args)
    # every output is checked before minutes of work
    for opt, what in ((args.candidates, "--candidates"), (args.json, "--json"), (args.plot, "--plot")):
        if opt:
            _check_file_target(opt, args.overwrite, what)
    rows = []
    results = []
    for cfg in configs:
        result = search(cfg)
        print(summary(result), flush=True)
        if args.candidates:
            results.append(result)
        rows.append({
            "k": cfg.k, "n": cfg.n, "runs": cfg.runs, "seed": cfg.seed,
            "spurious_fraction": result.spurious_fraction,
            "global_runs": result.labels.count("global"),
            "spurious_classes": sum(c.label == "spurious" for c in result.classes),
            "classes": [{"loss": c.loss, "runs": c.count, "min_eig": c.min_eig, "min_eig_m": c.min_eig_m}
                        for c in result.classes if c.label == "spurious"],
            "gd_seconds": result.gd_seconds, "run_steps_per_second": result.throughput,
        })
    from ..cli import UserError
    from ..publishing import exists_message, write_json_atomic

    if args.candidates:
        from .candidates import candidates_data

        try:
            write_json_atomic(args.candidates, candidates_data(results), overwrite=args.overwrite)
        except FileExistsError:
            raise UserError(exists_message(args.candidates)) from None
        print(f"candidates written to {args.candidates} (certify them with `certify spurious prove --candidates`)")
    if args.json:
        if Path(args.json).exists() and not args.overwrite:
            raise UserError(exists_message(args.json))
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
        print(f"summary written to {args.json}")
    if args.plot:
        _plot_fractions(rows, args.plot)
    return 0


# ------------------------------------------------------------------------------------------- prove


def _mode(args) -> str:
    from ..cli import UserError

    chosen = [m for m, given in (("--candidates", args.candidates), ("--from", args.from_file),
                                 ("--family", args.family not in (None, "search"))) if given]
    if len(chosen) > 1:
        raise UserError(f"{' and '.join(chosen)} are alternatives: give one source of points")
    return chosen[0] if chosen else "search"


def _cmd_prove(args) -> int:
    from ..cli import UserError

    out = Path(args.out)
    mode = _mode(args)
    search_opts = list(SEARCH_DEFAULTS)
    if args.max_per_k is not None and args.max_per_k < 1:
        raise UserError("--max-per-k must be at least 1")
    if mode == "--candidates":
        _refuse(args, ["k"] + search_opts, "--candidates (the candidates file fixes k and the search)")
        _check_out_dir(out)
        from .prove import prove_candidates_file

        try:
            written = prove_candidates_file(Path(args.candidates), out, all_dims=(args.dims == "all"),
                                            overwrite=args.overwrite, max_per_k=args.max_per_k or 1)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserError(f"--candidates {args.candidates}: cannot read candidates ({exc})") from None
        print(f"{len(written)} certificate(s) written to {out}")
        return 0
    if mode == "--from":
        _refuse(args, ["k", "max_per_k"] + search_opts, "--from (the file gives the points)")
        _check_out_dir(out)
        return _prove_from(args, out)
    if mode == "--family":
        _refuse(args, ["max_per_k"] + search_opts, f"--family {args.family} (no search is run)")
        _check_out_dir(out)
        return _prove_family(args, out)
    _check_out_dir(out)
    from .prove import prove_classes
    from .search import search, summary

    total = 0
    missing = []
    for cfg in _configs(args):
        result = search(cfg)
        print(summary(result), flush=True)
        written = prove_classes(result.classes, cfg, out, all_dims=(args.dims == "all"),
                                overwrite=args.overwrite, max_per_k=args.max_per_k or 1)
        total += len(written)
        if not any(c.label == "spurious" for c in result.classes):
            missing.append(cfg.k)
    print(f"{total} certificate(s) written to {out}")
    if missing:
        print(f"no spurious minimum found for k = {missing} (try more --runs or another --seed)")
    return 0


def _prove_family(args, out: Path) -> int:
    from ..cli import UserError

    k_text = args.k if args.k is not None else "6"
    if args.family == "symmetric":
        from .prove import prove_symmetric_family

        written = prove_symmetric_family(parse_k_list(k_text), out, all_dims=(args.dims == "all"),
                                         overwrite=args.overwrite)
        print(f"{len(written)} certificate(s) written to {out}")
        return 0
    from .families import certify_family, min_k
    from .symmetric import kernel_available

    ks = parse_k_list(k_text, hi=COMPACT_MAX_K)
    if min(ks) < min_k(args.family):
        raise UserError(f"--family {args.family}: k must be at least {min_k(args.family)} "
                        "(below that the family is not a spurious critical point)")
    if not kernel_available():
        raise UserError("the trusted kind relu-spurious-minimum-symmetric is not registered in this installation")
    outcomes = certify_family(args.family, ks, out, overwrite=args.overwrite, all_dims=(args.dims == "all"))
    n = sum(o.path is not None for o in outcomes)
    print(f"{n} certificate(s) written to {out}")
    return 0


# ------------------------------------------------------------------------------------------- --from


def read_points(path: Path):
    """('dense', matrix) | ('compact', entry) | ('record', (header, classes)); ValueError if none of them."""
    import numpy as np

    from .record import load_classes, validate_entry

    if path.suffix == ".npy":
        arr = np.load(path, allow_pickle=False)
        return "dense", _dense(arr)
    data = json.loads(path.read_text())
    if isinstance(data, dict) and "classes" in data:
        return "record", load_classes(path)
    if isinstance(data, dict) and "p" in data:
        validate_entry(data, "the entry")
        return "compact", data
    if isinstance(data, dict) and "point" in data:  # e.g. a dense certificate: its point
        data = data["point"]
    if isinstance(data, list):
        return "dense", _dense(np.asarray(data, dtype=np.float64))
    raise ValueError("expected an n x k matrix (JSON list of lists or .npy), a compact entry "
                     "{\"p\": ..., \"vals\": ...} or a file with a 'classes' list")


def _dense(arr):
    import numpy as np

    if arr.ndim != 2 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"expected a finite n x k matrix, got shape {arr.shape}")
    return arr.astype(np.float64)


def _prove_from(args, out: Path) -> int:
    from ..cli import UserError

    path = Path(args.from_file)
    try:
        what, data = read_points(path)
    except (OSError, ValueError, TypeError) as exc:
        raise UserError(f"--from {path}: cannot read points ({exc})") from None
    all_dims = args.dims == "all"
    if what == "dense":
        return _prove_dense_point(data, out, all_dims, args.overwrite, str(path))
    from .symmetric import kernel_available

    if not kernel_available():
        raise UserError("the trusted kind relu-spurious-minimum-symmetric is not registered in this installation")
    if what == "compact":
        from .symmetric import certify_compact, file_name, provenance_base, write

        prov = provenance_base("certify spurious prove --from")
        prov["source"] = {"file": path.name}
        o = certify_compact(data["p"], data["vals"], all_dims=all_dims, provenance=prov)
        if not o.certified:
            print(f"NOT certified: {o.reason}")
            print(f"0 certificate(s) written to {out}")
            return 1
        written = write(o, out / file_name(o.k, o.p, o.estimates["loss"], 3, o.nature), args.overwrite)
        print(f"{int(written is not None)} certificate(s) written to {out}")
        return 0 if written is not None else 1
    from .record import prove_record

    header, classes = data
    outcomes = prove_record(classes, out, all_dims=all_dims, overwrite=args.overwrite, source=path.name)
    n = sum(o.path is not None for o in outcomes)
    bad = [o for o in outcomes if o.path is None]
    print(f"{n} certificate(s) written to {out}; {len(bad)} class(es) not written")
    return 0 if not bad else 1


def _prove_dense_point(W, out: Path, all_dims: bool, overwrite: bool, source: str) -> int:
    import datetime

    import numpy as np

    from .. import __version__
    from ..cli import UserError
    from ..kernel.spurious_minima.kind import MAX_PARAMETERS
    from . import landscape as L
    from .prove import certify_and_write
    from .search import GLOBAL_LOSS, newton_polish

    n, k = W.shape
    if n < k:
        raise UserError(f"--from: the point has n = {n} students (rows) < k = {k} coordinates (columns); "
                        "rows are neurons and the teacher is I_k, so n >= k is needed")
    if n * k > MAX_PARAMETERS:
        raise UserError(f"--from: n*k = {n * k} is over the dense checker's limit {MAX_PARAMETERS}; "
                        "give a symmetric point in compact form ({\"p\": ..., \"vals\": ...})")
    V = L.identity_teacher(k)
    with np.errstate(all="ignore"):
        Wp, g = newton_polish(W[None], V, 60)
    W1 = Wp[0]
    loss = float(L.loss(W1[None], V)[0])
    if not np.isfinite(loss) or not loss > GLOBAL_LOSS:
        print(f"the polished point has loss {loss:.3e}: a global minimum (or not a smooth point); nothing to certify")
        print(f"0 certificate(s) written to {out}")
        return 1
    lam = float(np.linalg.eigvalsh(L.hessian(W1[None], V)[0])[0])
    lam_m = float(np.linalg.eigvalsh(L.m_matrix(W1[None], V)[0])[0])
    if not lam > 0 or (all_dims and not lam_m > 0):
        print(f"the polished point (loss {loss:.8f}, |grad| {float(g[0]):.1e}) is not a minimum in float64: "
              f"lambda_min(H) = {lam:.3e}, lambda_min(M) = {lam_m:.3e}")
        print(f"0 certificate(s) written to {out}")
        return 1
    prov = {"produced_by": f"certify {__version__} (certify spurious prove --from)",
            "date": datetime.date.today().isoformat(), "source": {"file": Path(source).name},
            "polish": "Newton (dense)", "loss_estimate": loss, "hessian_min_eigenvalue_estimate": lam,
            "m_min_eigenvalue_estimate": lam_m}
    p = certify_and_write(W1, lam, loss, all_dims, prov, out, overwrite, print, what=f"k={k}: point")
    print(f"{int(p is not None)} certificate(s) written to {out}")
    return 0 if p is not None else 1


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="search for spurious minima (statistics; writes only the files "
                                             "named by --json, --plot, --candidates)")
    _add_common(p)
    p.add_argument("--json", metavar="FILE", help="also write the per-k summary as JSON")
    p.add_argument("--plot", metavar="PNG", help="plot the spurious fraction and classes against k")
    p.add_argument("--candidates", metavar="FILE",
                   help="write the spurious classes found (points, estimates) for `certify spurious prove "
                        "--candidates`")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(func=_cmd_search)

    p = subparsers.add_parser("prove", help="search (or read points), polish and write certificates "
                                            "(never overwrites silently)")
    _add_common(p)
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--dims", choices=("all", "k"), default="all",
                   help="claim every input dimension d >= k (default) or only d = k")
    p.add_argument("--max-per-k", type=int, default=None, help="certificates per k (lowest loss first; default 1)")
    p.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    p.add_argument("--candidates", metavar="FILE",
                   help="certify the candidates in FILE (from `certify spurious search --candidates`) "
                        "instead of searching")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="certify external points: an n x k matrix (JSON list of lists or .npy; rows are "
                        "neurons), a compact entry {\"p\", \"vals\"} or a file shaped like sys2021-minima.json")
    p.add_argument("--family", choices=("search", "symmetric", "delta-s-k", "delta-s-k-minus-1"), default=None,
                   help="'symmetric': the Delta S_k family w_i = a e_i + b (1 - e_i) as dense certificates "
                        "(k <= 50); 'delta-s-k', 'delta-s-k-minus-1': the Delta S_k and Delta S_{k-1} families "
                        "as compact symmetric certificates, any k (Newton continued in k; no search)")
    p.set_defaults(func=_cmd_prove)

    from .migrate import register_cli as register_migrate

    register_migrate(subparsers)  # certify spurious migrate: version-1 symmetric files -> version 2

"""``certify spurious-minima search|prove`` (alias ``certify spurious``): spurious minima of the
two-layer ReLU teacher-student loss as dense certificates (kind relu-spurious-minimum).

UNTRUSTED producer (the producer shape: certify/producer_cli.py).  ``search`` runs batched gradient
descent and writes no certificate (only the statistics, plot and candidates files it is asked for);
``prove`` writes certificates under the required ``--out``, from one source of points at a time:

* a search (default): batched gradient descent for each ``--k``;
* ``--candidates FILE``: the classes a ``search --candidates`` run found (all of them);
* ``--family delta-s-k``: the symmetric family w_i = a e_i + b (1 - e_i), Newton-continued in k;
* ``--from FILE``: an external point (an n x k matrix, JSON or .npy).

Symmetric points given by a few compact values (the published record, the families at any k) are
the relu-spurious-minimum-symmetric kind's: ``certify spurious-symmetric prove``.
Options that do not apply to the chosen source are refused, not ignored.  Sizes are the kernel's.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..producer_cli import (add_out, out_folder, output_file, parse_k_list, save_figure,
                            summary_status, user_error, write_text_file)

# search options: None means "not given" so that modes which do not use them can refuse them
SEARCH_DEFAULTS = {"n": None, "runs": 500, "seed": 0, "steps": 20000, "lr": None, "gd_tol": 1e-7,
                   "backend": "numpy", "batch": 500}
FLAG = {"n": "--n", "runs": "--runs", "seed": "--seed", "steps": "--steps", "lr": "--lr", "gd_tol": "--gd-tol",
        "backend": "--backend", "batch": "--batch", "k": "--k", "max_per_k": "--max-per-k",
        "family": "--family", "candidates": "--candidates", "from_file": "--from"}


def max_k() -> int:
    """The largest k = n the dense kind accepts (its limit n k <= MAX_PARAMETERS)."""
    from ..kernel.spurious_minima.kind import MAX_PARAMETERS

    return int(MAX_PARAMETERS**0.5)


def _given(args, name) -> bool:
    return getattr(args, name, None) is not None


def _refuse(args, names, mode: str) -> None:
    bad = [FLAG[n] for n in names if _given(args, n)]
    if bad:
        raise user_error(f"{', '.join(bad)} {'does' if len(bad) == 1 else 'do'} not apply with {mode} "
                         "(refused rather than silently ignored)")


def _add_common(p) -> None:
    p.add_argument("--k", default=None, help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--n", type=int, default=None, help="students (default n = k)")
    p.add_argument("--runs", type=int, default=None, help="random initializations per k (default 500)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default 0)")
    p.add_argument("--steps", type=int, default=None, help="maximum GD steps (default 20000)")
    p.add_argument("--lr", type=float, default=None, help="GD step (default min(0.5, 5/k))")
    p.add_argument("--gd-tol", type=float, default=None, help="stop GD when |grad| <= this (default 1e-7)")
    p.add_argument("--backend", choices=("numpy", "cupy", "auto"), default=None,
                   help="array backend (default numpy; cupy needs a GPU and the gpu extra)")
    p.add_argument("--batch", type=int, default=None, help="runs per GD batch (default 500)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (bars appear only on a terminal anyway)")


def _configs(args):
    from .search import SearchConfig

    for name, value in SEARCH_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    if getattr(args, "k", None) is None:
        args.k = "6"
    if args.runs < 1 or args.runs > 10**7:
        raise user_error("--runs must be between 1 and 10^7")
    if args.steps < 1:
        raise user_error("--steps must be positive")
    if args.batch < 1:
        raise user_error("--batch must be positive")
    if args.n is not None and not 1 <= args.n <= max_k():
        raise user_error(f"--n must be between 1 and {max_k()}")
    if args.seed < 0:
        raise user_error("--seed must be a non-negative integer")
    if args.lr is not None and not args.lr > 0:
        raise user_error("--lr must be positive")
    if args.backend == "cupy":
        from ..arrays import cupy_available

        if not cupy_available():
            raise user_error("--backend cupy: cupy is not installed or no GPU is visible (pip install certify[gpu])")
    ks = parse_k_list(args.k, 1, max_k())
    if args.n is not None and args.n < max(ks):
        raise user_error(f"--n {args.n} < k = {max(ks)}: with fewer students than teachers the global minimum "
                         "is positive, so minima cannot be classified as spurious by their loss")
    return [SearchConfig(k=k, n=args.n, runs=args.runs, seed=args.seed, steps=args.steps, lr=args.lr,
                         gd_tol=args.gd_tol, backend=args.backend, batch=args.batch,
                         progress=not args.no_progress) for k in ks]


def _plot_fractions(rows, path: Path, overwrite: bool) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise user_error("--plot needs matplotlib (pip install certify[plot])") from None
    fig = fractions_figure(rows, plt, MaxNLocator)
    save_figure(fig, path, overwrite)
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
    candidates = output_file(args.candidates, args.overwrite, "--candidates")
    summary_json = output_file(args.json, args.overwrite, "--json")
    plot = output_file(args.plot, args.overwrite, "--plot")
    rows, results = [], []
    for cfg in configs:
        result = search(cfg)
        print(summary(result), flush=True)
        if candidates:
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
    if candidates:
        from ..publishing import exists_message, write_json_atomic
        from .candidates import candidates_data

        try:
            write_json_atomic(candidates, candidates_data(results), overwrite=args.overwrite)
        except FileExistsError:
            raise user_error(exists_message(candidates)) from None
        print(f"candidates written to {candidates} (certify them with `certify spurious-minima prove "
              "--candidates`)")
    if summary_json:
        write_text_file(summary_json, json.dumps(rows, indent=1) + "\n", args.overwrite)
        print(f"summary written to {summary_json}")
    if plot:
        _plot_fractions(rows, plot, args.overwrite)
    return 0


# ------------------------------------------------------------------------------------------- prove


def _mode(args) -> str:
    chosen = [m for m, given in (("--candidates", args.candidates), ("--from", args.from_file),
                                 ("--family", args.family)) if given]
    if len(chosen) > 1:
        raise user_error(f"{' and '.join(chosen)} are alternatives: give one source of points")
    return chosen[0] if chosen else "search"


def _cmd_prove(args) -> int:
    out = out_folder(args.out)
    mode = _mode(args)
    all_dims = args.dims == "all"
    search_opts = list(SEARCH_DEFAULTS)
    if args.max_per_k is not None and args.max_per_k < 1:
        raise user_error("--max-per-k must be at least 1")
    if mode == "--candidates":
        _refuse(args, ["k"] + search_opts, "--candidates (the candidates file fixes k and the search)")
        from .prove import prove_candidates_file

        try:
            tally = prove_candidates_file(Path(args.candidates), out, all_dims=all_dims, overwrite=args.overwrite,
                                          max_per_k=args.max_per_k)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise user_error(f"--candidates {args.candidates}: cannot read candidates ({exc})") from None
        # candidates left out by an explicit --max-per-k were announced and are not a failure
        return summary_status(tally["written"], tally["exists"], tally["failed"], "certificate", out)
    if mode == "--from":
        _refuse(args, ["k", "max_per_k"] + search_opts, "--from (the file gives the point)")
        return _prove_from(args, out)
    if mode == "--family":
        _refuse(args, ["max_per_k"] + search_opts, f"--family {args.family} (no search is run)")
        from .prove import prove_symmetric_family

        ks = parse_k_list(args.k if args.k is not None else "6", 1, max_k())
        tally = prove_symmetric_family(ks, out, all_dims=all_dims, overwrite=args.overwrite)
        return summary_status(tally["written"], tally["exists"], tally["failed"], "certificate", out)
    from .prove import existing_for, prove_classes
    from .search import search, summary

    written = kept = failed = 0
    for cfg in _configs(args):
        there = existing_for(out, cfg.n or cfg.k, cfg.k)
        if there and not args.overwrite:  # skipped before minutes of search
            print(f"k={cfg.k}: {out} already holds {len(there)} certificate(s) for n = {cfg.n or cfg.k}, k = {cfg.k}; "
                  "search skipped (--overwrite to search again)")
            kept += len(there)
            continue
        result = search(cfg)
        print(summary(result), flush=True)
        if not any(c.label == "spurious" for c in result.classes):
            print(f"k={cfg.k}: no spurious minimum found (try more --runs or another --seed)")
            failed += 1
            continue
        tally = prove_classes(result.classes, cfg, out, all_dims=all_dims, overwrite=args.overwrite,
                              max_per_k=args.max_per_k or 1)
        written, kept, failed = written + tally["written"], kept + tally["exists"], failed + tally["failed"]
    return summary_status(written, kept, failed, "spurious minimum certified", out)


# ------------------------------------------------------------------------------------------- --from


def read_point(path: Path):
    """The n x k matrix in ``path`` (JSON list of lists, a dense certificate's point, or .npy)."""
    import numpy as np

    if path.suffix == ".npy":
        return _dense(np.load(path, allow_pickle=False))
    data = json.loads(path.read_text())
    if isinstance(data, dict) and ("p" in data or "classes" in data):
        raise ValueError("a compact (block-symmetric) point: certify it with `certify spurious-symmetric prove "
                         "--from FILE`")
    if isinstance(data, dict) and "point" in data:  # e.g. a dense certificate: its point
        data = data["point"]
    if isinstance(data, list):
        return _dense(np.asarray(data, dtype=np.float64))
    raise ValueError("expected an n x k matrix (JSON list of lists or .npy)")


def _dense(arr):
    import numpy as np

    if arr.ndim != 2 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"expected a finite n x k matrix, got shape {arr.shape}")
    return arr.astype(np.float64)


def _prove_from(args, out: Path) -> int:
    path = Path(args.from_file)
    try:
        W = read_point(path)
    except (OSError, ValueError, TypeError) as exc:
        raise user_error(f"--from {path}: cannot read a point ({exc})") from None
    return _prove_dense_point(W, out, args.dims == "all", args.overwrite, str(path))


def _prove_dense_point(W, out: Path, all_dims: bool, overwrite: bool, source: str) -> int:
    import numpy as np

    from ..kernel.spurious_minima.kind import MAX_PARAMETERS
    from . import landscape as L
    from .prove import certify_and_write
    from .search import GLOBAL_LOSS, newton_polish

    n, k = W.shape
    if n < k:
        raise user_error(f"--from: the point has n = {n} students (rows) < k = {k} coordinates (columns); "
                        "rows are neurons and the teacher is I_k, so n >= k is needed")
    if n * k > MAX_PARAMETERS:
        raise user_error(f"--from: n*k = {n * k} is over the dense checker's limit {MAX_PARAMETERS}; "
                        "give a symmetric point in compact form ({\"p\": ..., \"vals\": ...})")
    V = L.identity_teacher(k)
    with np.errstate(all="ignore"):
        Wp, g = newton_polish(W[None], V, 60)
    W1 = Wp[0]
    loss = float(L.loss(W1[None], V)[0])
    if not np.isfinite(loss) or not loss > GLOBAL_LOSS:
        print(f"the polished point has loss {loss:.3e}: a global minimum (or not a smooth point); nothing to certify")
        return summary_status(0, 0, 1, "certificate", out)
    lam = float(np.linalg.eigvalsh(L.hessian(W1[None], V)[0])[0])
    lam_m = float(np.linalg.eigvalsh(L.m_matrix(W1[None], V)[0])[0])
    if not lam > 0 or (all_dims and not lam_m > 0):
        print(f"the polished point (loss {loss:.8f}, |grad| {float(g[0]):.1e}) is not a minimum in float64: "
              f"lambda_min(H) = {lam:.3e}, lambda_min(M) = {lam_m:.3e}")
        return summary_status(0, 0, 1, "certificate", out)
    prov = {"source": {"file": Path(source).name},
            "polish": "Newton (dense)", "loss_estimate": loss, "hessian_min_eigenvalue_estimate": lam,
            "m_min_eigenvalue_estimate": lam_m}
    outcome = certify_and_write(W1, lam, loss, all_dims, prov, out, overwrite, print, what=f"k={k}: point")
    return summary_status(int(outcome == "written"), int(outcome == "exists"), int(outcome == "failed"),
                          "certificate", out)


def register(verbs) -> None:
    p = verbs.add_parser("search", help="search for spurious minima by gradient descent (writes no certificate)",
                         description="Batched gradient descent from seeded Xavier initialisations for each k; "
                                     "prints the outcome statistics and writes only the files named by --json, "
                                     "--plot and --candidates (never a certificate).")
    _add_common(p)
    p.add_argument("--json", metavar="FILE", help="also write the per-k summary as JSON")
    p.add_argument("--plot", metavar="PNG", help="plot the spurious fraction and classes against k")
    p.add_argument("--candidates", metavar="FILE",
                   help="write the spurious classes found (points, estimates) for `certify spurious-minima prove "
                        "--candidates`")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.set_defaults(func=_cmd_search)

    p = verbs.add_parser("prove", help="certify spurious minima (search, candidates, a family or a point) and "
                                       "write the certificates under --out",
                         description="Polish candidate points, certify them with the trusted kernel and write "
                                     "relu-spurious-minimum certificates under --out (required). Existing "
                                     "certificates are kept and skipped (a k whose certificates are already in "
                                     "--out is not searched again); --overwrite redoes them. Exit status 1 when "
                                     "something asked for was not certified.")
    _add_common(p)
    add_out(p)
    p.add_argument("--dims", choices=("all", "k"), default="all",
                   help="claim every input dimension d >= k (default) or only d = k")
    p.add_argument("--max-per-k", type=int, default=None,
                   help="certificates per k, lowest loss first (search: default 1; --candidates: default all)")
    p.add_argument("--candidates", metavar="FILE",
                   help="certify the candidates in FILE (from `certify spurious-minima search --candidates`) "
                        "instead of searching")
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help="certify an external point: an n x k matrix (JSON list of lists or .npy; rows are neurons)")
    p.add_argument("--family", choices=("delta-s-k",), default=None,
                   help="'delta-s-k': the symmetric family w_i = a e_i + b (1 - e_i) as dense certificates "
                        "(Newton from the ansatz, no search); for the compact form at any k use "
                        "`certify spurious-symmetric prove --family`")
    p.set_defaults(func=_cmd_prove)

    from .random_teachers.cli import register as register_random

    p = verbs.add_parser("random-teachers", help="random Xavier teachers at experimental sizes: GD statistics and "
                                                 "given-teacher certificates (search, prove, report, plot)",
                         description="Random Xavier teachers V in R^(k x d): gradient descent from Xavier "
                                     "initialisations, every spurious minimum reached certified with the dense "
                                     "kind for the given teacher; statistics with Wilson intervals "
                                     "(docs/results/random-teachers.md).")
    sub = p.add_subparsers(dest="random_verb", metavar="VERB")
    sub.required = True
    register_random(sub)

"""``certify teacher-ball prove|table|plot``: spurious minima for a Frobenius ball of teachers (UNTRUSTED
producer; the producer shape: certify/producer_cli.py).  The random-teacher experiment, whose
certificates are of the dense kind, is ``certify spurious-minima random-teachers``
(certify/spurious_minima/random_teachers/)."""
from __future__ import annotations

import json
import time
from fractions import Fraction
from pathlib import Path

from ..producer_cli import (add_out, minima_folder, out_folder, output_file, parse_k_list, prove_each_k,
                            save_figure, user_error, write_text_file)


def _cmd_prove(args) -> int:
    from ..kernel.certificate import NotProven
    from ..kernel.teacher_ball.kind import MAX_K
    from ..publishing import PublishError
    from .prove import prove_and_write

    out = out_folder(args.out)
    minima = minima_folder(args.minima)
    ks = parse_k_list(args.k, 2, MAX_K)
    return prove_each_k(ks, lambda k: prove_and_write(k, out, minima, overwrite=args.overwrite),
                        out, (NotProven, FileNotFoundError, PublishError))


def rows(paths, kind_name: str) -> list[dict]:
    """Check every certificate of the kind under the paths (kernel verdicts, timed); one row per proven file."""
    from ..kernel.checking import check_file
    from ..paths import expand_paths

    files, missing = expand_paths(paths)
    if missing:
        raise user_error("; ".join(missing))
    out = []
    for f in files:
        try:
            data = json.loads(Path(f).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("kind") != kind_name:
            continue
        t, c = time.perf_counter(), time.process_time()
        v = check_file(f)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if not v.proven:
            print(f"NOT PROVEN {f}: {v.message}")
            continue
        claim = data["claim"]
        rho = Fraction(claim["rho"])
        k = int(claim["k"])
        row = {"file": str(f), "k": k, "rho": claim["rho"], "check_wall_s": round(wall, 3),
               "check_cpu_s": round(cpu, 3), "d0": v.bounds["corollary_d0"], "loss": v.bounds["loss"][0]}
        if kind_name == "relu-spurious-minimum-teacher-ball":
            row.update(spectral=float(rho) / k**0.5, frobenius=float(rho), mu=v.bounds["hessian_min_eigenvalue_lower_bound"],
                       d0_frobenius=v.bounds["corollary_d0_frobenius"])
        else:  # the entrywise box: covers the spectral ball of the same radius
            if v.bounds.get("sub_boxes", 1) != 1:
                continue
            row.update(spectral=float(rho), mu=v.bounds["hessian_min_eigenvalue_lower_bound"])
        out.append(row)
    return sorted(out, key=lambda r: r["k"])


def _table_rows(args):
    from ..kernel.teacher_ball.kind import KIND

    ball = rows(args.paths, KIND.name)
    box = {}
    if args.box:
        for r in rows([args.box], "relu-spurious-minimum-teacher-box"):
            box.setdefault(r["k"], r)
    return ball, box


def _cmd_table(args) -> int:
    json_out = output_file(args.json, args.overwrite, "--json")
    ball, box = _table_rows(args)
    print("| k | box: rho_k (spectral) | box: d0 | ball: rho_F (exact) | ball: rho_k = rho_F/sqrt(k) (spectral) | "
          "ball: d0, spectral bound (Corollary) | ball: d0, Frobenius concentration (Corollary 2) | "
          "d0 box / ball (Corollary 2) | check s (wall / CPU) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in ball:
        b = box.get(r["k"])
        bx = f"{b['spectral']:.2g} | {b['d0']:.3g}" if b else "– | –"
        ratio = f"{b['d0'] / r['d0_frobenius']:.2g}" if b else "–"
        print(f"| {r['k']} | {bx} | {r['rho']} | {r['spectral']:.3g} | {r['d0']} (~{float(r['d0']):.2g}) | "
              f"{r['d0_frobenius']} (~{float(r['d0_frobenius']):.2g}) | {ratio} | "
              f"{r['check_wall_s']:.2f} / {r['check_cpu_s']:.2f} |")
    if json_out:
        write_text_file(json_out, json.dumps({"ball": ball, "box": list(box.values())}, indent=1) + "\n",
                        args.overwrite)
    return 0


def _cmd_plot(args) -> int:
    out = output_file(args.out, args.overwrite, "--out")
    if args.rows:
        data = json.loads(Path(args.rows).read_text())
        ball, box = data["ball"], {r["k"]: r for r in data["box"]}
    elif args.paths:
        ball, box = _table_rows(args)
    else:
        raise user_error("give certificate PATHs or --rows FILE (written by `table --json`)")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise user_error("plot needs matplotlib (pip install certify[plot])") from None
    fig, axes = plt.subplots(1, 2, figsize=(10.5, 4))
    for data, style, label, d0_label in (
            (sorted(box.values(), key=lambda r: r["k"]), "s--", "entrywise box (before)", "entrywise box (before)"),
            (ball, "o-", "Frobenius ball (after)", "Frobenius ball (after), spectral bound")):
        if not data:
            continue
        ks = [r["k"] for r in data]
        axes[0].semilogy(ks, [r["spectral"] for r in data], style, label=label)
        axes[1].semilogy(ks, [r["d0"] for r in data], style, label=d0_label)
    if ball and all("d0_frobenius" in r for r in ball):
        axes[1].semilogy([r["k"] for r in ball], [r["d0_frobenius"] for r in ball], "^-",
                         label="Frobenius ball (after), Frobenius concentration")
    axes[0].axhline(1e-3, color="grey", lw=0.8, ls=":")
    axes[1].axhline(1e8, color="grey", lw=0.8, ls=":")
    axes[0].set_ylabel("proven spectral radius rho_k (||S - I||_2 <= rho_k)")
    axes[1].set_ylabel("d0: spurious minimum w.p. >= 0.99 for d >= d0")
    for ax in axes:
        ax.set_xlabel("k = n")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Teachers near the identity: proven radius and the random-teacher dimension d0")
    fig.tight_layout()
    save_figure(fig, out, args.overwrite)
    plt.close(fig)
    print(f"plot written to {out}")
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="search the Frobenius radius rho (bisection) and write teacher-ball certificates",
                         description="For each k, find by bisection the largest Frobenius radius rho for which the "
                                     "kernel proves a spurious minimum for every symmetric teacher with "
                                     "||S - I||_F <= rho, starting from the lowest-loss S = I certificate in "
                                     "--minima; write it under --out (required). An existing certificate is kept "
                                     "and its k not searched again (--overwrite redoes it). Exit status 1 when a k "
                                     "was not certified.")
    p.add_argument("--k", default="6", help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--minima", required=True, metavar="DIR",
                   help="folder of S = I spurious-minimum certificates to start from, e.g. certificates/spurious_minima")
    add_out(p)
    p.set_defaults(func=_cmd_prove)

    for name, func, hlp, desc in (
            ("table", _cmd_table, "check teacher-ball certificates and print rho_k, d0 and check times",
             "Check every teacher-ball certificate under PATH (and, with --box, the teacher-box ones to compare "
             "with) and print a markdown table; reads certificates only."),
            ("plot", _cmd_plot, "plot rho_k and d0 against k (ball, and the box with --box)",
             "Plot the proven spectral radius and d0 against k for the balls (and the boxes with --box), from "
             "the certificates or from the rows of `table --json`.")):
        p = verbs.add_parser(name, help=hlp, description=desc)
        p.add_argument("paths", nargs="+" if name == "table" else "*", metavar="PATH",
                       help="teacher-ball certificate files or folders")
        p.add_argument("--box", metavar="PATH", help="teacher-box certificates to compare with (before)")
        if name == "table":
            p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
        else:
            p.add_argument("--rows", metavar="JSON", help="plot the rows of `table --json` instead of checking PATHs")
            p.add_argument("--out", required=True, metavar="PNG", help="the figure file")
        p.add_argument("--overwrite", action="store_true", help="replace an existing --json / --out file")
        p.set_defaults(func=func)

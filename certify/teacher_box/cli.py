"""``certify teacher-box prove|corollary|table`` (alias ``certify teachers``): spurious minima for whole
boxes of teachers (UNTRUSTED producer; the producer shape: certify/producer_cli.py)."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from ..producer_cli import (add_out, minima_folder, out_folder, output_file, parse_k_list, prove_each_k,
                            save_figure, user_error)


def _cmd_prove(args) -> int:
    from ..kernel.certificate import NotProven
    from ..kernel.teacher_box.kind import MAX_K
    from ..publishing import PublishError
    from .prove import prove_and_write

    out = out_folder(args.out)
    minima = minima_folder(args.minima)
    ks = parse_k_list(args.k, 2, MAX_K)
    if not 0 <= args.split <= 10:
        raise user_error("--split must be between 0 and 10 (2^split sub-boxes)")
    return prove_each_k(ks, lambda k: prove_and_write(k, out, minima, j=args.split, overwrite=args.overwrite),
                        out, (NotProven, FileNotFoundError, PublishError))


def _cmd_corollary(args) -> int:
    from ..kernel.certificate import CertificateError, rational_str
    from ..kernel.checking import check_data, parse_claim
    from ..kernel.certificate import load_certificate
    from ..kernel.teacher_box.kind import KIND, corollary_d0

    try:
        delta = Fraction(args.delta)
    except (ValueError, ZeroDivisionError):
        raise user_error(f"--delta: expected a number or p/q, got {args.delta!r}") from None
    if not 0 < delta < 1:
        raise user_error("--delta must be in (0, 1)")
    status = 0
    for path in args.files:
        try:
            cert = load_certificate(path)
            kind, claim = parse_claim(cert)
            if kind is not KIND:
                raise CertificateError(f"not a {KIND.name} certificate (kind {kind.name})")
            check_data(cert)  # the corollary rests on the proven claim
        except Exception as exc:  # noqa: BLE001 - any failure: no corollary
            print(f"NOT PROVEN {path}: {exc}")
            status = 1
            continue
        d0 = corollary_d0(claim.k, claim.rho, delta)
        print(f"{path}: k = {claim.k}, rho = {rational_str(claim.rho)} (~{float(claim.rho):.3g}), "
              f"delta = {rational_str(delta)}: for every d >= d0 = {d0} (~{float(d0):.3g}), a teacher V in R^(k x d) "
              f"with i.i.d. N(0, 1/d) entries gives, with probability >= 1 - delta, a loss with n = k students that "
              f"has a spurious strict local minimum (docs/teachers.md, Corollary)")
    return status


def _cmd_table(args) -> int:
    """Check every teacher-box certificate under the folders given and print a markdown table."""
    import time

    from ..kernel.checking import check_file

    from ..paths import expand_paths
    from ..kernel.teacher_box.kind import KIND

    json_out = output_file(args.json, args.overwrite, "--json")
    plot_out = output_file(args.plot, args.overwrite, "--plot")
    files, missing = expand_paths(args.paths)
    if missing:
        raise user_error("; ".join(missing))
    rows = []
    for f in files:
        try:
            data = json.loads(Path(f).read_text())
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("kind") != KIND.name:
            continue
        t = time.perf_counter()
        c = time.process_time()
        v = check_file(f)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        if not v.proven:
            print(f"NOT PROVEN {f}: {v.message}")
            continue
        claim = data["claim"]
        rows.append({"file": str(f), "k": claim["k"], "rho": claim["rho"], "rho_float": float(Fraction(claim["rho"])),
                     "sub_boxes": v.bounds["sub_boxes"], "d0": v.bounds["corollary_d0"],
                     "mu": v.bounds["hessian_min_eigenvalue_lower_bound"], "loss": v.bounds["loss"][0],
                     "distance": v.bounds["distance_to_critical_point"], "check_wall_s": wall, "check_cpu_s": cpu})
    rows.sort(key=lambda r: (r["k"], r["sub_boxes"]))
    print("| k | rho_k | ~rho_k | sub-boxes | d0 (delta = 0.01) | lambda_min(H) >= | F >= | check s (wall / cpu) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['k']} | {r['rho']} | {r['rho_float']:.2g} | {r['sub_boxes']} | {r['d0']} (~{float(r['d0']):.2g}) | "
              f"{r['mu']:.3g} | {r['loss']:.4g} | {r['check_wall_s']:.2f} / {r['check_cpu_s']:.2f} |")
    if json_out:
        from ..producer_cli import write_text_file

        write_text_file(json_out, json.dumps(rows, indent=1) + "\n", args.overwrite)
    if plot_out:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise user_error("--plot needs matplotlib (pip install certify[plot])") from None
        one = [r for r in rows if r["sub_boxes"] == 1]
        fig, ax = plt.subplots(figsize=(6.5, 4))
        ax.semilogy([r["k"] for r in one], [r["rho_float"] for r in one], "o-", label="proven rho_k (|S - I| <= rho)")
        ax.set_xlabel("k = n")
        ax.set_ylabel("rho_k")
        ax2 = ax.twinx()
        ax2.semilogy([r["k"] for r in one], [r["d0"] for r in one], "s--", color="tab:red",
                     label="d0 (spurious minimum w.p. >= 0.99 for d >= d0)")
        ax2.set_ylabel("d0", color="tab:red")
        lines = ax.get_lines() + ax2.get_lines()
        ax.legend(lines, [ln.get_label() for ln in lines], loc="center right", fontsize=8)
        ax.set_title("Teacher boxes: proven radius and the random-teacher dimension")
        fig.tight_layout()
        save_figure(fig, plot_out, args.overwrite)
        plt.close(fig)
        print(f"plot written to {plot_out}")
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="search the largest rho (bisection) and write teacher-box certificates "
                                       "under --out",
                         description="For each k, find by bisection the largest rho for which the kernel proves a "
                                     "spurious minimum for every symmetric teacher with |S - I| <= rho entrywise, "
                                     "starting from the lowest-loss S = I certificate in --minima; write it under "
                                     "--out (required). An existing certificate is kept and its k not searched "
                                     "again (--overwrite redoes it). Exit status 1 when a k was not certified.")
    p.add_argument("--k", default="6", help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--split", type=int, default=0, help="halve this many free entries: 2^split sub-boxes (default 0)")
    p.add_argument("--minima", required=True, metavar="DIR",
                   help="folder of S = I spurious-minimum certificates to start from (searched recursively for "
                        "relu-kXX-nXX-loss*.json), e.g. certificates/spurious_minima")
    add_out(p)
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("corollary", help="check teacher-box certificates and print the random-teacher corollary",
                         description="Check each certificate and print d0(k, rho, delta) of the random-teacher "
                                     "corollary (the probability statement rests on the cited Davidson-Szarek "
                                     "bound, docs/teachers.md). Writes nothing.")
    p.add_argument("files", nargs="+", metavar="FILE", help="teacher-box certificates")
    p.add_argument("--delta", default="1/100", help="failure probability, a number or p/q (default 1/100)")
    p.set_defaults(func=_cmd_corollary)

    p = verbs.add_parser("table", help="check teacher-box certificates and print rho_k, d0 and check times",
                         description="Check every teacher-box certificate under PATH and print a markdown table "
                                     "(optionally also JSON rows and a plot; existing files are kept unless "
                                     "--overwrite).")
    p.add_argument("paths", nargs="+", metavar="PATH", help="certificate files or folders")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--plot", metavar="PNG", help="plot rho_k and d0 against k (one-box certificates)")
    p.add_argument("--overwrite", action="store_true", help="replace existing --json/--plot files")
    p.set_defaults(func=_cmd_table)

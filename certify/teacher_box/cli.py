"""`certify teachers prove` and `certify teachers corollary` (spurious minima for whole boxes of teachers)."""
from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

DEFAULT_OUT = Path("certificates") / "teacher_box"


def _cmd_prove(args) -> int:
    from ..cli import UserError
    from ..kernel.certificate import NotProven
    from ..publishing import PublishError
    from ..spurious_minima.cli import parse_k_list
    from .prove import prove_and_write

    ks = parse_k_list(args.k)
    if not 0 <= args.split <= 10:
        raise UserError("--split must be between 0 and 10 (2^split sub-boxes)")
    written = 0
    for k in ks:
        if not 2 <= k <= 30:
            raise UserError(f"--k: this kind handles 2 <= k <= 30, got {k}")
        try:
            prove_and_write(k, Path(args.out), j=args.split, overwrite=args.overwrite)
            written += 1
        except (NotProven, FileNotFoundError) as exc:
            print(f"k={k}: not certified: {exc}")
        except PublishError as exc:
            raise UserError(str(exc)) from None
    print(f"{written} certificate(s) written to {args.out}")
    return 0


def _cmd_corollary(args) -> int:
    from ..cli import UserError
    from ..kernel.certificate import CertificateError, rational_str
    from ..kernel.checking import check_data, parse_claim
    from ..kernel.certificate import load_certificate
    from ..kernel.teacher_box.kind import KIND, corollary_d0

    try:
        delta = Fraction(args.delta)
    except (ValueError, ZeroDivisionError):
        raise UserError(f"--delta: expected a number or p/q, got {args.delta!r}") from None
    if not 0 < delta < 1:
        raise UserError("--delta must be in (0, 1)")
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

    from ..cli import UserError
    from ..kernel.certificate import rational_str
    from ..kernel.checking import check_file, expand_paths
    from ..kernel.teacher_box.kind import KIND

    files, missing = expand_paths(args.paths)
    if missing:
        raise UserError("; ".join(missing))
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
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise UserError("--plot needs matplotlib (pip install certify[plot])") from None
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
        fig.savefig(args.plot, dpi=120)
        print(f"plot written to {args.plot}")
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="search rho (bisection) and write teacher-box certificates")
    p.add_argument("--k", default="6", help="teacher sizes: 6, 6-20 or 6,10,15 (default 6)")
    p.add_argument("--split", type=int, default=0, help="halve this many free entries: 2^split sub-boxes (default 0)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT})")
    p.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("corollary", help="check a teacher-box certificate and print the random-teacher corollary")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--delta", default="1/100", help="failure probability (default 1/100)")
    p.set_defaults(func=_cmd_corollary)

    p = verbs.add_parser("table", help="check teacher-box certificates and print rho_k, d0 and check times")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    p.add_argument("--plot", metavar="PNG", help="plot rho_k and d0 against k (one-box certificates)")
    p.set_defaults(func=_cmd_table)

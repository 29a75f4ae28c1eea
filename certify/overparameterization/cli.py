"""``certify overparameterization prove|report`` (alias ``certify overparam``): one more neuron turns
certified spurious minima into non-minima (UNTRUSTED producer; the producer shape:
certify/producer_cli.py)."""
from __future__ import annotations

import time
from fractions import Fraction

from ..producer_cli import add_out, out_folder, output_file, summary_status, user_error, write_text_file


def _alpha(text: str) -> Fraction:
    try:
        a = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise user_error(f"--alpha: expected a rational such as 1/2 or 0.25, got {text!r}") from None
    if not 0 < a < 1:
        raise user_error(f"--alpha must lie strictly between 0 and 1, got {text}")
    return a


def _cmd_prove(args) -> int:
    from ..kernel.certificate import load_certificate
    from ..progress import progress
    from ..publishing import PublishError, publish, published_line
    from .prove import build, is_minimum, is_dense_minimum, minimum_files, plan, plan_same_dimension

    alpha = _alpha(args.alpha)
    if args.neuron is not None and args.neuron < 0:
        raise user_error("--neuron must be a non-negative row index")
    out = out_folder(args.out)
    jobs = []
    skipped = 0
    for src, rel in minimum_files(args.paths):
        if not src.exists():
            raise user_error(f"{src}: no such file or folder")
        if not (is_dense_minimum(src) if args.same_dimension else is_minimum(src)):
            skipped += 1
            continue
        jobs.append((src, rel, out / rel))
    if skipped:
        print(f"skipped {skipped} file(s) that are not spurious-minimum certificates (other kinds, saddles"
              + ("; --same-dimension: symmetric minima" if args.same_dimension else "") + ")")
    if not jobs:
        raise user_error("no spurious-minimum certificate found in " + ", ".join(map(str, args.paths)))
    kept = [job for job in jobs if job[2].exists() and not args.overwrite]
    if kept:  # skipped before any work
        print(f"{len(kept)} certificate(s) already in {out}: kept (--overwrite to redo)")
        jobs = [job for job in jobs if job not in kept]
    start = time.perf_counter()
    failed = 0
    for src, rel, dst in progress(jobs, total=len(jobs), desc="one more neuron"):
        minimum = load_certificate(src)
        try:
            p = plan(minimum, alpha, args.neuron)
            sd = plan_same_dimension(minimum, p) if args.same_dimension else None
            cert = build(minimum, p, source=str(rel if src.is_absolute() else src), same_dimension=sd)
        except Exception as exc:  # noqa: BLE001 - report and go on with the next minimum
            print(f"not written {dst}: {type(exc).__name__}: {exc}", flush=True)
            failed += 1
            continue
        if p.norm_margin is None:
            print(f"note {dst}: k - sum|w_i*| not proven positive (lower bound {p.norm_margin_bound:.3e}): "
                  "part (a), the zero neuron, is not claimed", flush=True)
        try:
            proof = publish(cert, dst, overwrite=args.overwrite)
        except PublishError as exc:
            print(f"not written: {exc}", flush=True)
            failed += 1
            continue
        print(published_line(dst, proof), flush=True)
    print(f"({time.perf_counter() - start:.1f} s)")
    return summary_status(len(jobs) - failed, len(kept), failed, "certificate", out)


def _cmd_report(args) -> int:
    from .report import report

    markdown = output_file(args.markdown, args.overwrite, "--markdown")
    output_file(args.plot, args.overwrite, "--plot")
    try:
        text = report(args.paths, paper=args.paper, plot=args.plot, full=args.full, overwrite=args.overwrite)
    except (OSError, ValueError) as exc:
        raise user_error(str(exc)) from None
    if markdown:
        write_text_file(markdown, text, args.overwrite)
        print(f"table written to {markdown}")
    else:
        print(text)
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="certify that one more neuron turns every spurious minimum under PATH "
                                       "into a non-minimum (writes relu-one-more-neuron certificates under --out)",
                         description="For each spurious-minimum certificate under PATH, prove with the kernel that "
                                     "one more student neuron turns it into a non-minimum, and write the "
                                     "certificate under --out (required; folders given as PATH are mirrored inside "
                                     "it). Existing certificates are kept and skipped; --overwrite redoes them. "
                                     "Exit status 1 when a minimum could not be certified.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="minimum certificates (files or folders, recursive)")
    add_out(p)
    p.add_argument("--alpha", default="1/2", help="split ratio in (0, 1), exact rational (default 1/2)")
    p.add_argument("--neuron", type=int, default=None,
                   help="row to split (default: the most negative M_ii - 1/2)")
    p.add_argument("--same-dimension", action="store_true",
                   help="also claim part (c): the split neuron in input dimension d = k along a direction delta in "
                        "R^k (dense minima only; delta = the most negative eigenvector of H'_ii on w_i^perp)")
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("report", help="check relu-one-more-neuron certificates and tabulate the proven margins",
                         description="Check every relu-one-more-neuron certificate under PATH and print (or write) "
                                     "a table of the proven margins; existing --markdown/--plot files are kept "
                                     "unless --overwrite.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="certificate files or folders")
    p.add_argument("--paper", metavar="JSON", help="a file shaped like data/sys2021-minima.json: add the paper's "
                                                   "float values")
    p.add_argument("--plot", metavar="PNG", help="plot both margins against k (log scale)")
    p.add_argument("--markdown", metavar="FILE", help="write the table to FILE instead of printing it")
    p.add_argument("--full", action="store_true", help="also one row per certificate")
    p.add_argument("--overwrite", action="store_true", help="replace existing --markdown/--plot files")
    p.set_defaults(func=_cmd_report)

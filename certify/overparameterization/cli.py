"""`certify overparam prove` and `certify overparam report` (one more neuron; UNTRUSTED producer)."""
from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

DEFAULT_OUT = Path("certificates") / "overparameterization"


def _alpha(text: str) -> Fraction:
    from ..cli import UserError

    try:
        a = Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise UserError(f"--alpha: expected a rational such as 1/2 or 0.25, got {text!r}") from None
    if not 0 < a < 1:
        raise UserError(f"--alpha must lie strictly between 0 and 1, got {text}")
    return a


def _cmd_prove(args) -> int:
    from ..cli import UserError
    from ..kernel.certificate import load_certificate
    from ..progress import progress
    from ..publishing import PublishError, check_writable, publish, published_line
    from .prove import build, is_minimum, is_dense_minimum, minimum_files, plan, plan_same_dimension

    alpha = _alpha(args.alpha)
    if args.neuron is not None and args.neuron < 0:
        raise UserError("--neuron must be a non-negative row index")
    out = Path(args.out)
    jobs = []
    skipped = 0
    for src, rel in minimum_files(args.paths):
        if not src.exists():
            raise UserError(f"{src}: no such file or folder")
        if not (is_dense_minimum(src) if args.same_dimension else is_minimum(src)):
            skipped += 1
            continue
        jobs.append((src, rel, out / rel))
    if skipped:
        print(f"skipped {skipped} file(s) that are not spurious-minimum certificates (other kinds, saddles"
              + ("; --same-dimension: symmetric minima" if args.same_dimension else "") + ")")
    if not jobs:
        raise UserError("no spurious-minimum certificate found in " + ", ".join(map(str, args.paths)))
    for _, _, dst in jobs:
        check_writable(dst, args.overwrite)
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
    print(f"{len(jobs) - failed} certificate(s) written to {out} in {time.perf_counter() - start:.1f} s"
          + (f", {failed} failed" if failed else ""))
    return 1 if failed else 0


def _cmd_report(args) -> int:
    from ..cli import UserError
    from .report import report

    try:
        text = report(args.paths, paper=args.paper, plot=args.plot, full=args.full)
    except (OSError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if args.markdown:
        Path(args.markdown).write_text(text)
        print(f"table written to {args.markdown}")
    else:
        print(text)
    return 0


def register(verbs) -> None:
    p = verbs.add_parser("prove", help="certify that one more neuron turns every spurious minimum under PATH "
                                       "into a non-minimum (writes relu-one-more-neuron certificates)")
    p.add_argument("paths", nargs="+", metavar="PATH", help="minimum certificates (files or folders, recursive)")
    p.add_argument("--out", default=str(DEFAULT_OUT), help=f"output folder (default {DEFAULT_OUT}); "
                                                            "folders given as PATH are mirrored inside it")
    p.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    p.add_argument("--alpha", default="1/2", help="split ratio in (0, 1), exact rational (default 1/2)")
    p.add_argument("--neuron", type=int, default=None,
                   help="row to split (default: the most negative M_ii - 1/2)")
    p.add_argument("--same-dimension", action="store_true",
                   help="also claim part (c): the split neuron in input dimension d = k along a direction delta in "
                        "R^k (dense minima only; delta = the most negative eigenvector of H'_ii on w_i^perp)")
    p.set_defaults(func=_cmd_prove)

    p = verbs.add_parser("report", help="check relu-one-more-neuron certificates and tabulate the proven margins")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--paper", metavar="JSON", help="sys2021-minima.json: add the paper's float values")
    p.add_argument("--plot", metavar="PNG", help="plot both margins against k (log scale)")
    p.add_argument("--markdown", metavar="FILE", help="write the table to FILE instead of printing it")
    p.add_argument("--full", action="store_true", help="also one row per certificate")
    p.set_defaults(func=_cmd_report)

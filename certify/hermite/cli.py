"""``certify hermite``: certified Hermite expansions of activations (producer side).

    certify hermite ACTIVATION [--degree N] [--normalized] [--rows K] [--write FILE [--overwrite]]
    certify hermite all --write DIR [--overwrite]      # the 16 certificates (raw + normalized)
    certify hermite --list
    certify hermite --plot FILE.png [--degree N]        # needs matplotlib (pip install 'certify[plot]')

Heavy modules are imported inside the command.
"""
from __future__ import annotations

import argparse

MAX_DEGREE = 20000  # same limit as the checker (certify.hermite.check.MAX_DEGREE)


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "hermite",
        help="certified Hermite expansions and tail bounds of activation functions",
        description=(
            "Compute rigorous enclosures of the Hermite coefficients a_0..a_N, the tails "
            "eps(n) = sum_{i>n} a_i^2 and the dual-activation coefficients of an activation, "
            "print a table, and optionally write a certificate that `certify check` re-proves."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("activation", nargs="?", metavar="ACTIVATION",
                   help="relu, abs, erf, gelu, sigmoid, tanh, softplus, silu, or 'all'")
    p.add_argument("--degree", "-N", type=int, default=None, metavar="N",
                   help="highest degree N (default: 1000)")
    p.add_argument("--normalized", action="store_true", help="the activation scaled so that E sigma(X)^2 = 1")
    p.add_argument("--rows", type=int, default=12, metavar="K",
                   help="table rows: n <= K plus a few larger n (default 12; -1 for all)")
    p.add_argument("--write", metavar="PATH",
                   help="write the certificate to PATH (a folder for 'all') and check it")
    p.add_argument("--overwrite", action="store_true", help="replace existing certificate files")
    p.add_argument("--prec", type=int, default=None, metavar="BITS", help="working precision (default: automatic)")
    p.add_argument("--list", action="store_true", help="list the known activations")
    p.add_argument("--plot", metavar="FILE", help="plot eps(n) against n for all activations into FILE (png, pdf, svg)")
    p.set_defaults(func=_cmd_hermite)


def _user_error(message: str):
    from ..cli import UserError

    return UserError(message)


def _validate(args, known) -> None:
    if args.degree is not None:
        if args.degree < 0:
            raise _user_error(f"--degree must be a non-negative integer, got {args.degree}")
        if args.degree > MAX_DEGREE:
            raise _user_error(f"--degree {args.degree} is too large (at most {MAX_DEGREE})")
    if args.prec is not None and not 64 <= args.prec <= 20000:
        raise _user_error(f"--prec must be between 64 and 20000 bits, got {args.prec}")
    if args.rows < -1:
        raise _user_error(f"--rows must be >= -1, got {args.rows}")
    if args.activation is not None and args.activation != "all" and args.activation not in known:
        raise _user_error(f"unknown activation {args.activation!r}; known: {', '.join(known)} (or 'all')")


def _write(path, cert, overwrite: bool) -> str:
    from ..certificate import write_certificate
    from ..checking import check_file

    try:
        write_certificate(path, cert, overwrite=overwrite)
    except FileExistsError:
        raise _user_error(f"{path} exists; use --overwrite to replace it") from None
    except OSError as exc:
        raise _user_error(f"cannot write {path}: {exc.strerror or exc}") from None
    return check_file(path).line()


def _cmd_hermite(args) -> int:
    from pathlib import Path

    from .activations import ACTIVATIONS

    known = list(ACTIVATIONS)
    _validate(args, known)
    if args.list:
        for name, act in ACTIVATIONS.items():
            print(f"{name:9s} {act.formula:34s} decay: {act.decay:17s} Lipschitz constant {act.lipschitz}")
        return 0
    if args.plot:
        from .plot import plot_tails

        try:
            plot_tails(args.plot, degree=args.degree, normalized=True)
        except ImportError as exc:
            raise _user_error(str(exc)) from None
        except OSError as exc:
            raise _user_error(f"cannot write {args.plot}: {exc.strerror or exc}") from None
        print(f"wrote {args.plot}")
        return 0
    if args.activation is None:
        raise _user_error("give an ACTIVATION (" + ", ".join(known) + ", or 'all'), --list or --plot FILE")

    from . import produce

    rows = None if args.rows == -1 else args.rows
    if args.activation == "all":
        if not args.write:
            raise _user_error("'all' needs --write DIR (the folder for the 16 certificates)")
        folder = Path(args.write)
        if folder.exists() and not folder.is_dir():
            raise _user_error(f"{folder} is not a folder")
        status = 0
        for name in known:
            for normalized in (False, True):
                degree = args.degree if args.degree is not None else produce.default_degree(name)
                result = produce.certificate(name, degree, normalized, args.prec)
                line = _write(folder / produce.certificate_name(name, normalized), result.certificate, args.overwrite)
                print(f"{line}  [{result.seconds:.2f} s]")
                status |= not line.startswith("PROVEN")
        return 1 if status else 0

    degree = args.degree if args.degree is not None else produce.default_degree(args.activation)
    result = produce.certificate(args.activation, degree, args.normalized, args.prec)
    print(produce.table(result, rows))
    print(f"computed in {result.seconds:.2f} s")
    if args.write:
        line = _write(args.write, result.certificate, args.overwrite)
        print(line)
        return 0 if line.startswith("PROVEN") else 1
    return 0

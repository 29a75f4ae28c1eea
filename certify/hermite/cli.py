"""``certify hermite``: certified Hermite expansions of activations (producer side, UNTRUSTED).

    certify hermite table ACTIVATION [--degree N] [--normalized] [--rows K] [--prec BITS]
    certify hermite prove ACTIVATION --out FILE [--degree N] [--normalized] [--prec BITS] [--overwrite]
    certify hermite prove all --out DIR [--degree N] [--prec BITS] [--overwrite]
    certify hermite plot --out PNG [--degree N] [--overwrite]     # needs matplotlib
    certify hermite list

Degree and precision limits come from the checker (certify.kernel.hermite.kind);
heavy modules are imported inside the commands.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

DEFAULT_ROWS = 12


def _user_error(message: str):
    from ..cli import UserError

    return UserError(message)


def _activations() -> list[str]:
    from ..kernel.hermite.activations import ACTIVATIONS

    return list(ACTIVATIONS)


def _check_name(name: str, allow_all: bool) -> None:
    known = _activations()
    if name == "all" and allow_all:
        return
    if name not in known:
        extra = " (or 'all')" if allow_all else ""
        hint = "; 'all' is for `certify hermite prove`" if name == "all" else ""
        raise _user_error(f"unknown activation {name!r}; known: {', '.join(known)}{extra}{hint}")


def _check_degree(names: list[str], degree: int | None) -> None:
    """Against the checker's own limits (one place: certify.kernel.hermite.kind)."""
    from ..kernel.hermite.activations import get_activation
    from ..kernel.hermite.kind import max_degree

    if degree is None:
        return
    if degree < 0:
        raise _user_error(f"--degree must be a non-negative integer, got {degree}")
    for name in names:
        limit = max_degree(get_activation(name))
        if degree > limit:
            raise _user_error(f"--degree {degree} is too large for {name}: the checker accepts at most {limit} "
                              "(see `certify hermite list`)")


def _check_prec(prec: int | None) -> None:
    from ..kernel.hermite.kind import MAX_PREC, MIN_PREC

    if prec is not None and not MIN_PREC <= prec <= MAX_PREC:
        raise _user_error(f"--prec must be between {MIN_PREC} and {MAX_PREC} bits, got {prec}")


def _degree(args, name: str) -> int:
    from .produce import default_degree

    return args.degree if args.degree is not None else default_degree(name)


def _check_request(name: str, degree: int, prec: int | None) -> None:
    """Degree and precision against the checker's limits for this activation, before any work."""
    from .produce import ProduceError, check_request

    try:
        check_request(name, degree, prec)
    except ProduceError as exc:
        raise _user_error(str(exc)) from None


def _certificate(name: str, degree: int, normalized: bool, prec: int | None):
    from .produce import ProduceError, certificate

    try:
        return certificate(name, degree, normalized, prec)
    except ProduceError as exc:
        raise _user_error(str(exc)) from None


# --------------------------------------------------------------------------- verbs


def _cmd_table(args) -> int:
    _check_name(args.activation, allow_all=False)
    _check_degree([args.activation], args.degree)
    _check_prec(args.prec)
    if args.rows < -1:
        raise _user_error(f"--rows must be >= -1, got {args.rows}")
    from .produce import table

    _check_request(args.activation, _degree(args, args.activation), args.prec)
    result = _certificate(args.activation, _degree(args, args.activation), args.normalized, args.prec)
    print(table(result, None if args.rows == -1 else args.rows))
    print(f"computed in {result.seconds:.2f} s (not written; `certify hermite prove` writes a certificate)")
    return 0


def _existing_state(path: Path, name: str, normalized: bool, degree: int) -> tuple[str, str]:
    """('missing', ''), ('kept', what the kernel proved) or ('other', why the file is not the request)."""
    from ..kernel.checking import check_file

    if not path.exists():
        return "missing", ""
    verdict = check_file(path)
    if not verdict.proven:
        return "other", f"not proven ({verdict.message})"
    wanted = {"activation": name, "normalized": normalized, "degree": degree}
    got = {key: verdict.bounds.get(key) for key in wanted}
    if got != wanted:
        return "other", f"proven, but for {got}, not the requested {wanted}"
    return "kept", verdict.message


def _cmd_write_all(args) -> int:
    from ..publishing import PublishError, check_writable, publish, published_line
    from .produce import certificate_name

    if args.normalized:
        raise _user_error("--normalized does not apply to 'all' (it writes every activation raw and normalized)")
    names = _activations()
    _check_degree(names, args.degree)
    _check_prec(args.prec)
    folder = Path(args.out)
    if folder.exists() and not folder.is_dir():
        raise _user_error(f"--out {folder}: not a folder ('write all' writes {2 * len(names)} files into a folder)")
    # before any work: is every request within the checker's limits, what is there already,
    # and can we write the rest?
    plan, refused = [], []
    for name in names:
        _check_request(name, _degree(args, name), args.prec)
        for normalized in (False, True):
            path = folder / certificate_name(name, normalized)
            state, why = _existing_state(path, name, normalized, _degree(args, name))
            if state == "other":
                if not args.overwrite:
                    refused.append(f"{path}: {why}")
                    continue
                state = "replace"
            if state != "kept":
                try:
                    check_writable(path, overwrite=True)
                except PublishError as exc:
                    raise _user_error(str(exc)) from None
            plan.append((name, normalized, path, state, why))
    if refused:
        raise _user_error("existing file(s) that are not the requested proven certificate; nothing written "
                          "(use --overwrite to replace them):\n  " + "\n  ".join(refused))
    for name, normalized, path, state, why in plan:
        if state == "kept":
            print(f"kept {path}: {why}", flush=True)
            continue
        result = _certificate(name, _degree(args, name), normalized, args.prec)
        proof = publish(result.certificate, path, overwrite=(state == "replace"))
        print(f"{published_line(path, proof)}  [{result.seconds:.2f} s]", flush=True)
    return 0


def _cmd_write(args) -> int:
    _check_name(args.activation, allow_all=True)
    if args.activation == "all":
        return _cmd_write_all(args)
    from ..publishing import PublishError, check_writable, publish, published_line

    _check_degree([args.activation], args.degree)
    _check_prec(args.prec)
    _check_request(args.activation, _degree(args, args.activation), args.prec)
    try:
        check_writable(args.out, args.overwrite)  # before minutes of work
    except PublishError as exc:
        raise _user_error(str(exc)) from None
    result = _certificate(args.activation, _degree(args, args.activation), args.normalized, args.prec)
    proof = publish(result.certificate, args.out, overwrite=args.overwrite)
    print(f"{published_line(args.out, proof)}  [{result.seconds:.2f} s]")
    return 0


def _cmd_plot(args) -> int:
    from ..publishing import PublishError, check_writable

    names = _activations()
    _check_degree(names, args.degree)
    try:
        check_writable(args.out, args.overwrite)
    except PublishError as exc:
        raise _user_error(str(exc)) from None
    from .plot import plot_tails
    from .produce import ProduceError

    started = time.perf_counter()
    try:
        plot_tails(args.out, degree=args.degree, normalized=True)
    except ImportError as exc:
        raise _user_error(str(exc)) from None
    except ProduceError as exc:
        raise _user_error(str(exc)) from None
    except OSError as exc:
        raise _user_error(f"cannot write {args.out}: {exc.strerror or exc}") from None
    print(f"wrote {args.out}  [{time.perf_counter() - started:.1f} s]")
    return 0


def _cmd_list(args) -> int:
    from ..kernel.hermite.activations import ACTIVATIONS
    from ..kernel.hermite.kind import KIND, max_degree
    from .profiles import PROFILES

    for name, act in ACTIVATIONS.items():
        p = PROFILES[name]
        print(f"{name:9s} {act.formula:34s} {act.route:14s} N <= {max_degree(act):<6d} decay: {p.decay:17s} "
              f"Lipschitz constant {p.lipschitz}")
    print("limits of the checker (certify.kernel.hermite.kind): "
          + "; ".join(f"{what} <= {value}" for what, value in KIND.limits.items()))
    return 0


# --------------------------------------------------------------------------- parsers


def _add_degree(p) -> None:
    p.add_argument("--degree", "-N", type=int, default=None, metavar="N",
                   help="highest degree N (default: 1000; limits: `certify hermite list`)")


def _add_prec(p) -> None:
    p.add_argument("--prec", type=int, default=None, metavar="BITS",
                   help="starting working precision (default: automatic)")


def register(verbs) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    names = "relu, abs, erf, gelu, sigmoid, tanh, softplus, silu"

    p = verbs.add_parser("table", help="print the certified expansion of one activation (writes nothing)",
                         description="Compute rigorous enclosures of a_0..a_N, eps(n) = sum_{i>n} a_i^2 and "
                                     "E sigma'^2/(n+1), fit the decay bound, and print a table.",
                         formatter_class=fmt)
    p.add_argument("activation", metavar="ACTIVATION", help=names)
    _add_degree(p)
    p.add_argument("--normalized", action="store_true", help="the activation scaled so that E sigma(X)^2 = 1")
    p.add_argument("--rows", type=int, default=DEFAULT_ROWS, metavar="K",
                   help=f"rows n <= K plus a few larger n (default {DEFAULT_ROWS}; -1 for all)")
    _add_prec(p)
    p.set_defaults(func=_cmd_table)

    p = verbs.add_parser("prove", aliases=["write"], help="write certificates (re-checked by the kernel; never overwrites silently)",
                         description="ACTIVATION --out FILE writes one certificate; 'all' --out DIR writes every "
                                     "activation raw and normalized and resumes an interrupted run: files "
                                     "already proven for the requested degree are kept, missing ones written; "
                                     "any other existing file is an error unless --overwrite.",
                         formatter_class=fmt)
    p.add_argument("activation", metavar="ACTIVATION", help=f"{names}, or 'all'")
    p.add_argument("--out", required=True, metavar="PATH", help="a file (one activation) or a folder ('all')")
    _add_degree(p)
    p.add_argument("--normalized", action="store_true",
                   help="the activation scaled so that E sigma(X)^2 = 1 (one activation only)")
    _add_prec(p)
    p.add_argument("--overwrite", action="store_true", help="replace existing files")
    p.set_defaults(func=_cmd_write)

    p = verbs.add_parser("plot", help="plot eps(n) against n for all activations (needs matplotlib)",
                         description="Compute the certified tails eps(n) of every activation (normalized) up to "
                                     "the degree and plot log10 eps(n) against n (the plot reads no certificate).",
                         formatter_class=fmt)
    p.add_argument("--out", required=True, metavar="PNG", help="the figure (png, pdf, svg)")
    _add_degree(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing figure")
    p.set_defaults(func=_cmd_plot)

    p = verbs.add_parser("list", help="the known activations, their routes and degree limits",
                         description="Print the activations the kind knows, how each is enclosed, the largest "
                                     "degree the checker accepts and the checker's limits.")
    p.set_defaults(func=_cmd_list)

"""The ``certify`` command line.

``certify check PATH...`` and ``certify show FILE`` use only the trusted
kernel.  Every producer is ``certify <group> <verb>``: the groups come from
the kernel's registry of claim kinds (``ClaimKind.cli_group``), and each
kind's ``cli_module`` adds its verbs with ``register(verbs)``.  Output
convention for every producer: ``--out PATH`` and ``--overwrite``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Our linear algebra is on small matrices (at most a few hundred rows): BLAS
# threads only add contention, badly so on a loaded 2-core machine (measured:
# 0.2 s against 1.5 s for one k = 19 check).  Set before numpy is imported;
# a user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import __version__
from .publishing import PublishError



class UserError(Exception):
    """Bad input from the user: printed as 'error: ...' with exit status 2."""


def producer_groups() -> dict[str, list[str]]:
    """``certify <group>`` -> the producer modules adding its verbs, from the kernel's registry."""
    from .kernel.registry import kinds

    groups: dict[str, list[str]] = {}
    for kind in kinds().values():
        if kind.cli_group and kind.cli_module:
            mods = groups.setdefault(kind.cli_group, [])
            if kind.cli_module not in mods:
                mods.append(kind.cli_module)
    return groups


def _cmd_check(args) -> int:
    from .kernel.checking import check_paths

    def report(v):
        if not args.quiet or not v.proven:
            print(v.line(), flush=True)

    verdicts, missing = check_paths(args.paths, report=report)
    for m in missing:
        print(f"NOT PROVEN {m}", flush=True)
    n_ok = sum(v.proven for v in verdicts)
    n_bad = len(verdicts) - n_ok + len(missing)
    print(f"{n_ok} proven, {n_bad} not proven")
    return 0 if n_bad == 0 and n_ok > 0 else 1


def _cmd_show(args) -> int:
    from .kernel.showing import show_file

    text, ok = show_file(args.file)
    print(text)
    return 0 if ok else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="certify",
        description="Computer-assisted proofs for deep-learning theory: search, certify, check.",
    )
    parser.add_argument("--version", action="version", version=f"certify {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="check certificates (files or folders, recursive)")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("show", help="show a certificate's claim and data in readable form")
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_cmd_show)

    for group, modules in producer_groups().items():
        g = sub.add_parser(group, help=f"producers: certify {group} VERB (see certify {group} --help)")
        verbs = g.add_subparsers(dest="verb", metavar="VERB")
        verbs.required = True
        for name in modules:
            importlib.import_module(name).register(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (UserError, PublishError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1

"""The ``certify`` command line.

``certify check PATH...`` and ``certify show FILE`` use only the trusted
kernel.  Every producer is ``certify <group> <verb>``: the groups come from
the kernel's registry of claim kinds (``ClaimKind.cli_group``), and each
kind's ``cli_module`` adds its verbs with ``register(verbs)``.  Output
convention for every producer: ``--out PATH`` and ``--overwrite``.

``certify check`` options for CI (docs/ci.md): ``--format text|json|junit``,
``--output FILE``, ``-j N``, ``--timeout SECONDS``, ``--exclude GLOB``,
``--manifest FILE``, ``--dask ADDRESS``; exit statuses ``EXIT_*`` below.
The orchestration lives in certify/runner.py, manifests in certify/manifest.py,
report formats in certify/report.py; every verdict comes from the kernel's
``check_file``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

# Our linear algebra is on small matrices (at most a few hundred rows): BLAS
# threads only add contention, badly so on a loaded 2-core machine (measured:
# 0.2 s against 1.5 s for one k = 19 check).  Set before numpy is imported;
# a user's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from . import __version__
from .publishing import PublishError, check_writable



class UserError(Exception):
    """Bad input from the user: printed as 'error: ...' with exit status 2."""


def producer_groups() -> dict[str, tuple[str, tuple[str, ...]]]:
    """``certify <group>`` -> (the producer module adding its verbs, the group's aliases), from the
    kernel's registry: one group per kind, named after the kind's folder."""
    from .kernel.registry import kinds

    groups: dict[str, tuple[str, tuple[str, ...]]] = {}
    for kind in kinds().values():
        if kind.cli_group and kind.cli_module:
            if kind.cli_group in groups:
                raise TypeError(f"two kinds name the producer group {kind.cli_group!r}")
            groups[kind.cli_group] = (kind.cli_module, tuple(kind.cli_aliases))
    return groups


EXIT_PROVEN = 0  # every certificate proven (and, with --manifest, the folder matches its manifest)
EXIT_NOT_PROVEN = 1  # at least one certificate not proven (or an unexpected internal error)
EXIT_USAGE = 2  # bad usage, a missing path, an unreadable manifest
EXIT_MANIFEST = 3  # --manifest: a listed file missing, changed or not proven, or an unlisted certificate

CHECK_DESCRIPTION = """\
Decide certificates with the trusted kernel, one verdict per file.

Text output: a run of at most 20 certificates prints one line per certificate
(PROVEN with its proven bounds, or NOT PROVEN with the reason) and the total.
A longer run prints every failure in full (and every manifest problem), then a
summary by kind (proven / not proven, time, slowest file) and the total; -v
adds every certificate's line, -q keeps only the failures and the total.
Integers and fractions longer than 24 digits are shortened in text (JSON keeps
every digit)."""

CHECK_EPILOG = """\
exit status:
  0  every certificate proven (with --manifest: and the folder matches the manifest)
  1  at least one certificate NOT PROVEN
  2  bad usage, a missing path or folder without certificates, an unreadable manifest
  3  --manifest only: a listed certificate is missing, changed (SHA-256) or not proven,
     or a certificate under the manifest's folder is not listed
Folder walks take *.json files and skip hidden entries, virtual environments
(folders holding pyvenv.cfg) and manifest files.  Errors go to stderr.
See docs/ci.md for CI recipes (GitHub Actions, pre-commit, pytest --certify)."""

# optional dependencies -> the extra that installs them (pyproject.toml)
EXTRAS = {"scipy": "search", "tqdm": "search", "matplotlib": "plot",
          "cupy": "gpu", "distributed": "distributed", "dask": "distributed", "onnx": "networks"}


def _printable(text: str) -> str:
    """Control characters escaped, so a file name or message cannot drive the terminal."""
    from .report import printable

    return printable(text)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    import math

    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


DASK_CONNECT_TIMEOUT = 5.0  # seconds to reach a Dask scheduler before --dask gives up (exit 2)


def _dask_client(address: str):
    """A distributed.Client for ``address``, or a UserError within about DASK_CONNECT_TIMEOUT seconds
    (an unreachable TCP/TLS scheduler is noticed by a plain connection attempt first)."""
    import socket
    from urllib.parse import urlsplit

    target = address if "://" in address else f"tcp://{address}"
    parts = urlsplit(target)
    if parts.scheme in ("tcp", "tls"):
        try:
            host, port = parts.hostname, parts.port
        except ValueError:
            host = port = None
        if not host or port is None:
            raise UserError(f"--dask {address}: expected a scheduler address such as tcp://HOST:8786")
        try:
            socket.create_connection((host, port), timeout=DASK_CONNECT_TIMEOUT).close()
        except OSError as exc:
            why = exc.strerror or type(exc).__name__
            raise UserError(f"--dask {address}: cannot reach the Dask scheduler ({why}; waited at most "
                            f"{DASK_CONNECT_TIMEOUT:g} s)") from None
    from distributed import Client

    try:
        return Client(address, timeout=DASK_CONNECT_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError, ...
        raise UserError(f"--dask {address}: cannot connect to the Dask scheduler "
                        f"({type(exc).__name__}: {exc})") from None


def _cmd_check(args) -> int:
    import time

    from .paths import expand_paths
    from .report import BRIEF_ABOVE, lines, printable, summary, total
    from .runner import default_jobs, run_dask, run_local

    if args.manifest and args.paths:
        raise UserError("--manifest checks the manifest's own folder: give no PATH with it")
    if args.manifest and args.exclude:
        raise UserError("--exclude cannot be used with --manifest (the manifest lists every certificate)")
    if not args.manifest and not args.paths:
        raise UserError("certify check: give at least one PATH (or --manifest FILE)")
    if args.dask and args.jobs is not None:
        raise UserError("-j and --dask exclude each other (the Dask cluster decides the parallelism)")
    if args.quiet and args.verbose:
        raise UserError("-q and -v exclude each other")

    if args.output is not None:
        check_writable(args.output, overwrite=True)  # before minutes of checking, not after
    if args.dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise UserError("--dask needs Dask: pip install 'certify[distributed]'") from None

    manifest = None
    missing_entries: list = []
    errors: list[str] = []
    if args.manifest:
        from .manifest import ManifestError, load_manifest, plan

        try:
            manifest = load_manifest(args.manifest)
        except ManifestError as exc:
            raise UserError(str(exc)) from None
        files, missing_entries = plan(manifest)
    else:
        files, errors = expand_paths(args.paths, exclude=args.exclude)
    for e in errors:
        print(f"error: {printable(e)}", file=sys.stderr, flush=True)

    started = time.perf_counter()
    if args.dask:
        client = _dask_client(args.dask)
        results = _closing(run_dask(files, client, timeout=args.timeout), client)
        route = "Dask"
    else:
        jobs = min(args.jobs if args.jobs is not None else default_jobs(), max(1, len(files)))
        results = run_local(files, jobs=jobs, timeout=args.timeout)
        route = f"-j {jobs}"
    if manifest is not None:
        from .manifest import reconcile

        results = reconcile(manifest, results, missing_entries)

    # What streams to stdout: every certificate's lines for a short run or with -v; else (and with -q)
    # only failures and manifest problems, then (not with -q) a summary by kind.  Always the total.
    stream = args.format == "text" or args.output is not None
    short = len(files) + len(missing_entries) <= BRIEF_ABOVE
    every = args.verbose or (short and not args.quiet)
    done = []
    for r in results:
        done.append(r)
        if stream and (every or not r.proven or r.manifest):
            print("\n".join(lines(r)), flush=True)
    wall = time.perf_counter() - started

    n_ok = sum(r.proven for r in done)
    n_bad = len(done) - n_ok + len(errors)
    n_manifest = sum(r.manifest is not None for r in done)
    if errors:
        code = EXIT_USAGE
    elif n_manifest:
        code = EXIT_MANIFEST
    elif n_bad or not done:
        code = EXIT_NOT_PROVEN
    else:
        code = EXIT_PROVEN
    if stream:
        if not short and not args.quiet:
            print("\n".join(summary(done, wall, route)), flush=True)
        print(total(done, errors, str(manifest.file) if manifest is not None else None), flush=True)

    if args.format != "text" or args.output is not None:
        from .report import render

        text = render(args.format, done, errors, code, manifest=str(manifest.file) if manifest else None)
        if args.output is None:
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_report(Path(args.output), text)
    return code


def _write_report(path: Path, text: str) -> None:
    """Write the report atomically (a temporary file renamed over ``path``), readable like any file
    the user creates: mode 0666 less the umask (0644 under the usual umask 022)."""
    import tempfile

    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        umask = os.umask(0o022)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise UserError(f"--output {path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)


def _closing(results, client):
    try:
        yield from results
    finally:
        client.close()


def _cmd_manifest_write(args) -> int:
    from .manifest import ManifestError, write_manifest
    from .runner import default_jobs

    jobs = args.jobs if args.jobs is not None else default_jobs()
    try:
        out, n = write_manifest(args.folder, args.out, overwrite=args.overwrite, jobs=jobs, timeout=args.timeout)
    except ManifestError as exc:
        raise UserError(str(exc)) from None
    print(f"wrote {out}: {n} proven certificate(s) listed")
    return 0


def _cmd_show(args) -> int:
    from .kernel.showing import show_file

    text, ok = show_file(args.file)
    print(text)
    return 0 if ok else 1


def _unavailable(group: str, why: str):
    def run(args) -> int:
        raise UserError(f"certify {group} is unavailable here: {why}")

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="certify",
        description="Computer-assisted proofs for deep-learning theory: search, certify, check.  "
                    "`certify check` decides certificates with the small trusted kernel; the producer "
                    "groups search and write them.  `certify COMMAND --help` for each command.",
    )
    parser.add_argument("--version", action="version", version=f"certify {__version__}",
                        help="print certify's version and exit")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    parser.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None, dest="global_progress",
                        help="force progress bars on or off (default: only on a terminal, never when CI is set)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", help="one of:")
    sub.required = True

    p = sub.add_parser("check", help="check certificates (files or folders, recursive)",
                       description=CHECK_DESCRIPTION,
                       epilog=CHECK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("paths", nargs="*", metavar="PATH", help="certificate files or folders (searched for *.json)")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the total")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print every certificate's line (PROVEN with its bounds), however long the run")
    p.add_argument("--format", choices=("text", "json", "junit"), default="text",
                   help="report format (default text); json and junit go to stdout or --output")
    p.add_argument("--output", metavar="FILE", default=None,
                   help="write the report to FILE (text lines still stream to stdout)")
    p.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="check N certificates at a time (default: the usable cores); output order and "
                        "verdicts are those of -j 1")
    p.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                   help="per-certificate time limit: a longer check is stopped and reported NOT PROVEN")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="skip files/folders whose name or relative path matches GLOB (repeatable)")
    p.add_argument("--manifest", metavar="FILE", default=None,
                   help="check the folder of manifest FILE against it (exit 3 on a mismatch)")
    p.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="run the checks on the Dask scheduler at ADDRESS (pip install 'certify[distributed]')")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("show", help="show a certificate's claim and data in readable form",
                       description="Show a certificate's kind, statement, data and provenance in readable "
                                   "form, without deciding it (exit 0 when it parses, 1 when it does not); "
                                   "`certify check FILE` decides it.")
    p.add_argument("file", metavar="FILE", help="the certificate file (JSON)")
    p.set_defaults(func=_cmd_show)

    p = sub.add_parser("manifest", help="manifests: the certificates a folder must hold (certify manifest write)",
                       description="A manifest lists the certificates a folder must hold (path, kind, "
                                   "SHA-256, statement), so that `certify check --manifest FILE` notices a "
                                   "deleted, changed or added certificate (docs/ci.md).")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", help="one of:")
    verbs.required = True
    w = verbs.add_parser("write", help="check every certificate under DIR and list them in a manifest",
                         description="Check every certificate under DIR (all must be proven) and write the "
                                     "manifest (default DIR/MANIFEST.json): path, kind, SHA-256, statement.")
    w.add_argument("folder", metavar="DIR", help="the folder of certificates (searched for *.json)")
    w.add_argument("--out", metavar="FILE", default=None, help="manifest file (default DIR/MANIFEST.json)")
    w.add_argument("--overwrite", action="store_true", help="replace an existing manifest")
    w.add_argument("-j", "--jobs", type=_positive_int, default=None, metavar="N",
                   help="check N certificates at a time (default: the usable cores)")
    w.add_argument("--timeout", type=_positive_float, default=None, metavar="SECONDS",
                   help="per-certificate time limit: a longer check is NOT PROVEN (and nothing is written)")
    w.set_defaults(func=_cmd_manifest_write)

    try:
        groups = producer_groups()
    except Exception as exc:  # noqa: BLE001 - a broken kind must not take `certify check` down with it
        groups = {}
        parser.registry_error = f"{type(exc).__name__}: {exc}"
    for group, (name, aliases) in groups.items():
        what = f" (also: {', '.join(aliases)})" if aliases else ""
        g = sub.add_parser(group, aliases=list(aliases), help=f"producers of {group} certificates{what}",
                           description=f"Producers of {group} certificates: certify {group} VERB (`search` "
                                       "never writes certificates, `prove` writes them under --out, "
                                       "`report`/`table`/`plot` read them).")
        verbs = g.add_subparsers(dest="verb", metavar="VERB")
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a broken producer must not break `certify check`
            g.set_defaults(func=_unavailable(group, f"{name} cannot be imported ({type(exc).__name__}: {exc})"))
            continue
        module.register(verbs)
        verbs.required = True
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(parser, "registry_error", None):
        print(f"warning: the registry of claim kinds failed to load, producer commands are missing "
              f"({parser.registry_error})", file=sys.stderr)
    if args.global_progress is not None:  # own dest: a producer's --no-progress never lands here
        from .progress import set_mode

        set_mode(args.global_progress)
    try:
        return int(args.func(args) or 0)
    except (UserError, PublishError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into e.g. `head`
        sys.stderr.close()
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except ModuleNotFoundError as exc:
        top = (exc.name or "").split(".")[0]
        if top in EXTRAS and not args.debug:
            print(f"error: this command needs {top}: pip install 'certify[{EXTRAS[top]}]'", file=sys.stderr)
            return EXIT_USAGE
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001
        if args.debug:
            raise
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1

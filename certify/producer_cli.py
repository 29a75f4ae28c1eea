"""What every producer command shares (UNTRUSTED; the kernel never imports it).

The producer shape (docs/adding-a-kind.md, "Producer"): ``certify <group> search`` never writes a
certificate; ``certify <group> prove`` writes certificates, and only under an explicit ``--out``;
``report`` / ``table`` / ``plot`` only read certificates (and write the report or plot named by
the user).  Every output path is checked before any work; an existing output is skipped before
work is spent on it and replaced only with ``--overwrite``; files are written with mode 0644
(less the umask), atomically; relative paths are taken relative to the current directory as
given on the command line, never looked up elsewhere; a run that produces nothing of what was
asked, or leaves something out, says so and exits with status 1.
"""
from __future__ import annotations

import os
from pathlib import Path

# exit statuses of producer commands (certify --help lists them)
EXIT_OK = 0  # everything asked for was produced (or already there)
EXIT_INCOMPLETE = 1  # something asked for was not produced (not proven, not found, failed)
EXIT_USAGE = 2  # bad usage, an output that exists without --overwrite, an unreadable input


def user_error(message: str) -> Exception:
    """The exception the CLI prints as ``error: message`` with exit status 2."""
    from .cli import UserError

    return UserError(message)


def add_out(parser, what: str = "certificates", file: bool = False) -> None:
    """The required ``--out`` of a verb that writes certificates, and ``--overwrite``."""
    if file:
        parser.add_argument("--out", required=True, metavar="FILE", help=f"write the {what} to FILE (required)")
    else:
        parser.add_argument("--out", required=True, metavar="DIR",
                            help=f"folder to write the {what} into (required; created if missing)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing files (default: existing files are kept and skipped)")


def out_folder(text: str) -> Path:
    """``--out DIR``: a folder that exists or can be created, and that we may write into; checked
    before any work."""
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise user_error(f"--out {text}: is a file; --out names a folder (the certificates are written into it)")
    folder = out
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise user_error(f"--out {text}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise user_error(f"--out {text}: cannot write into {folder}")
    return out


def output_file(path: str | os.PathLike | None, overwrite: bool, option: str) -> Path | None:
    """An output file named by ``option`` (a plot, a report, a candidates file): refused at once if
    it exists and ``overwrite`` is not set, or cannot be written."""
    if path is None:
        return None
    from .publishing import PublishError, check_writable

    try:
        check_writable(path, overwrite)
    except PublishError as exc:
        raise user_error(f"{option}: {exc}") from None
    return Path(path)


def write_text_file(path: Path, text: str, overwrite: bool) -> None:
    """Write a report atomically with mode 0644 (less the umask), never over an existing file unless
    ``overwrite``."""
    import tempfile

    if path.exists() and not overwrite:
        from .publishing import exists_message

        raise user_error(exists_message(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def save_figure(fig, path: Path, overwrite: bool) -> None:
    """Save a matplotlib figure atomically (0644 less the umask), never over an existing file unless
    ``overwrite``."""
    import tempfile

    if path.exists() and not overwrite:
        from .publishing import exists_message

        raise user_error(exists_message(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix or ".png", dir=path.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def parse_k_list(text: str, lo: int = 1, hi: int = 10**9, option: str = "--k") -> list[int]:
    """'6', '6-20', '6,10,15,20' or a mix ('6-8,12'), each k in [lo, hi] (the kind's own limits)."""
    ks: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if "-" in part:
                a, b = part.split("-", 1)
                first, last = int(a), int(b)
                if last < first or last - first > 10**6:
                    raise ValueError
                ks.extend(range(first, last + 1))
            else:
                ks.append(int(part))
    except ValueError:
        raise user_error(f"{option}: expected a number, a range A-B or a comma list, got {text!r}") from None
    for k in ks:
        if not lo <= k <= hi:
            raise user_error(f"{option}: k must be between {lo} and {hi}, got {k}")
    return ks


def summary_status(written: int, skipped: int, failed: int, wanted: str, out) -> int:
    """Print the closing line of a ``prove`` run and return its exit status: 0 when nothing failed
    and something was written or was already there, 1 otherwise."""
    parts = [f"{written} certificate(s) written to {out}"]
    if skipped:
        parts.append(f"{skipped} already there (kept; --overwrite to redo)")
    if failed:
        parts.append(f"{failed} not produced")
    print("; ".join(parts))
    if not (written or skipped):
        print(f"nothing produced: no {wanted}")
    return EXIT_INCOMPLETE if failed or not (written or skipped) else EXIT_OK


def minima_folder(text: str) -> Path:
    """The ``--minima`` folder (the S = I spurious-minimum certificates a teacher-set producer starts from);
    a usage error, before any work, when it is not a folder."""
    path = Path(text)
    if not path.is_dir():
        raise user_error(f"--minima {text}: no such folder (the S = I spurious-minimum certificates to "
                         "start from, e.g. certificates/spurious_minima)")
    return path


def prove_each_k(ks, prove_one, out, errors: tuple) -> int:
    """Run ``prove_one(k)`` ("written" or "exists") for each k; an exception of ``errors`` is printed as
    "k=K: not certified: ..." and counted as failed.  Returns summary_status's exit status."""
    written = kept = failed = 0
    for k in ks:
        try:
            outcome = prove_one(k)
        except errors as exc:
            print(f"k={k}: not certified: {exc}")
            failed += 1
            continue
        written += outcome == "written"
        kept += outcome == "exists"
    return summary_status(written, kept, failed, "certificate", out)

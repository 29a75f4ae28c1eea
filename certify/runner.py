"""Running the trusted checker over many certificates: serially, in parallel, or on a Dask cluster.

UNTRUSTED orchestration (the kernel never imports it).  Whatever the route,
every certificate is decided by exactly one call of the kernel's
:func:`certify.kernel.checking.check_file`; this module only chooses *where*
that call runs, measures it, and puts the results back in the serial order.
It cannot turn a "not proven" into "proven": a result is PROVEN only when
the kernel's verdict says so, and a killed, crashed or timed-out check is
NOT PROVEN.

Routes
------
* ``jobs == 1`` and no time limit: in this process, one file after the other.
* ``jobs > 1`` or a time limit: ``jobs`` worker processes, each checking one
  certificate at a time.  A worker that exceeds the time limit on a
  certificate is killed, the certificate reported NOT PROVEN and a fresh
  worker started; a worker that dies (out of memory, a signal) likewise.
  Workers are forked from this process when it has a single thread, else
  from a "forkserver" that has already imported the kernel and every
  registered kind, so a worker starts in milliseconds (``spawn`` where
  neither exists; then, as always with multiprocessing, a script calling
  this module needs the ``if __name__ == "__main__":`` guard).
  (``concurrent.futures.ProcessPoolExecutor`` is not used: it cannot stop a
  running task, and one dead worker breaks the whole pool.)
* ``dask=ADDRESS``: the same per-file work submitted to a Dask cluster
  (``pip install 'certify[distributed]'``).  The client reads each file and
  ships its bytes, so the workers need not share a file system.

Results are yielded in the serial order (the order of
:func:`certify.kernel.checking.expand_paths`), each as soon as it and all
before it are done, so the output of ``-j 8`` is the output of ``-j 1``.
"""
from __future__ import annotations

import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Iterator, Sequence

PROVEN = "PROVEN"
NOT_PROVEN = "NOT PROVEN"


@dataclass
class Result:
    """One certificate's verdict, as reported by ``certify check`` (text, JSON, JUnit)."""

    path: str
    kind: str | None
    proven: bool
    message: str
    bounds: dict = field(default_factory=dict)
    seconds: float = 0.0
    manifest: str | None = None  # a manifest problem (certify/manifest.py); None when there is none

    @property
    def verdict(self) -> str:
        return PROVEN if self.proven else NOT_PROVEN

    def line(self) -> str:
        tag = "PROVEN    " if self.proven else "NOT PROVEN"
        return f"{tag} {self.path}: {self.message}"

    def as_json(self) -> dict:
        return {"path": self.path, "kind": self.kind, "verdict": self.verdict, "message": self.message,
                "bounds": json_safe(self.bounds), "seconds": round(self.seconds, 4),
                **({"manifest": self.manifest} if self.manifest else {})}


def json_safe(value: Any) -> Any:
    """Bounds as strict JSON (non-finite floats and unknown objects become strings)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)


def default_jobs() -> int:
    """The cores this process may use (``os.sched_getaffinity``), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def check_one(path: str | os.PathLike) -> Result:
    """Decide one file in this process (the kernel's check_file, timed)."""
    from .kernel.checking import check_file

    start = time.perf_counter()
    v = check_file(path)
    return Result(str(path), v.kind, bool(v.proven is True), v.message, dict(v.bounds),
                  time.perf_counter() - start)


# --------------------------------------------------------------------------- child processes


def _worker(conn) -> None:  # runs in a worker process: check paths until told to stop
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        try:
            r = check_one(path)
            msg = (r.path, r.kind, r.proven, r.message, json_safe(r.bounds), r.seconds)
        except BaseException as exc:  # noqa: BLE001 - report, never pass
            msg = (path, None, False, f"checker error ({type(exc).__name__}: {exc})", {}, 0.0)
        try:
            conn.send(msg)
        except (OSError, ValueError):
            return


_FORKSERVER = None


def _context():
    """How a child process starts: ``fork`` where it is safe (Linux/Unix, this process has a
    single thread: a child starts in about a millisecond with everything already imported),
    else ``forkserver`` with the kernel and every kind preloaded, else ``spawn``."""
    global _FORKSERVER
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and sys.platform != "darwin" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    if "forkserver" in methods:
        if _FORKSERVER is None:
            _FORKSERVER = multiprocessing.get_context("forkserver")
            _FORKSERVER.set_forkserver_preload(["certify._preload", "certify.runner", "certify.kernel.checking"])
        return _FORKSERVER
    return multiprocessing.get_context("spawn")


def _timeout_message(limit: float) -> str:
    return f"time limit of {limit:g} s exceeded: check stopped (--timeout)"


def _in_subprocess(path: str, timeout: float | None) -> Result:
    """Fallback for a daemonic process (a Dask worker), which may not start multiprocessing
    children: one ``python -m certify.runner FILE`` subprocess, killed at the time limit."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "certify.runner", path], capture_output=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(path, None, False, _timeout_message(timeout), {}, time.perf_counter() - start)
    import json

    try:
        d = json.loads(done.stdout.decode("utf-8"))
        return Result(path, d["kind"], d["verdict"] == PROVEN and done.returncode == 0, d["message"],
                      d["bounds"], time.perf_counter() - start)
    except Exception:  # noqa: BLE001
        return Result(path, None, False, f"checker process failed (exit code {done.returncode})", {},
                      time.perf_counter() - start)


def run_local(files: Sequence[str | os.PathLike], jobs: int = 1,
              timeout: float | None = None) -> Iterator[Result]:
    """Yield one Result per file, in the order of ``files`` (see the module docstring)."""
    files = [str(f) for f in files]
    if jobs <= 1 and timeout is None:
        for f in files:
            yield check_one(f)
        return
    if multiprocessing.current_process().daemon:
        for f in files:
            yield _in_subprocess(f, timeout)
        return
    ctx = _context()
    jobs = max(1, min(jobs, len(files)))
    done: dict[int, Result] = {}
    workers: list[_Worker] = []
    next_start = next_out = 0
    try:
        while next_out < len(files):
            for w in workers:  # hand out work to idle workers
                if w.task is None and next_start < len(files):
                    w.give(next_start, files[next_start])
                    next_start += 1
            while len(workers) < jobs and next_start < len(files):
                w = _Worker(ctx)
                workers.append(w)
                w.give(next_start, files[next_start])
                next_start += 1
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            busy = [w for w in workers if w.task is not None]
            if not busy:
                continue
            wait_for = None
            if timeout is not None:
                wait_for = max(0.0, min(w.start + timeout for w in busy) - time.monotonic())
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            now = time.monotonic()
            for w in busy:
                i = w.task
                if w.conn in ready:
                    try:
                        p, kind, proven, message, bounds, seconds = w.conn.recv()
                        done[i] = Result(p, kind, proven is True, message, bounds, seconds)
                        w.task = None
                        continue
                    except (EOFError, OSError):
                        w.proc.join(5)
                        done[i] = Result(files[i], None, False,
                                         f"checker process died (exit code {w.proc.exitcode})", {}, now - w.start)
                elif timeout is not None and now - w.start >= timeout:
                    done[i] = Result(files[i], None, False, _timeout_message(timeout), {}, now - w.start)
                else:
                    continue
                w.stop(kill=True)  # timed out or dead: replaced by a fresh worker when work remains
                workers.remove(w)
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
    finally:  # normal end: workers told to stop; early end (Ctrl-C, broken pipe): killed
        for w in workers:
            w.stop(kill=next_out < len(files))


class _Worker:
    """One worker process (see :func:`_worker`) and the task it is checking, if any."""

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.task: int | None = None
        self.start = 0.0

    def give(self, index: int, path: str) -> None:
        self.task, self.start = index, time.monotonic()
        self.conn.send(path)

    def stop(self, kill: bool) -> None:
        if not kill:
            try:
                self.conn.send(None)
            except (OSError, ValueError):
                pass
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()


# --------------------------------------------------------------------------- Dask


def _dask_task(name: str, data: bytes, timeout: float | None) -> dict:  # runs on a Dask worker
    """Check one certificate's bytes on a worker: written to a private temporary file, then decided
    by the kernel's check_file (with the same time limit as locally)."""
    with tempfile.TemporaryDirectory(prefix="certify-") as tmp:
        local = os.path.join(tmp, os.path.basename(name) or "certificate.json")
        with open(local, "wb") as fh:
            fh.write(data)
        if timeout is None:
            r = check_one(local)
        else:
            r = next(run_local([local], jobs=1, timeout=timeout))
    r.path = name
    r.message = r.message.replace(local, name)
    d = r.as_json()
    d["seconds"] = r.seconds
    return d


def run_dask(files: Sequence[str | os.PathLike], address: str,
             timeout: float | None = None) -> Iterator[Result]:
    """Yield one Result per file, in order, computed on the Dask cluster at ``address``
    (a scheduler address such as ``tcp://host:8786``, or a ``distributed.Client``)."""
    try:
        from distributed import Client
    except ImportError:
        raise RuntimeError("--dask needs Dask: pip install 'certify[distributed]'") from None
    from .kernel.certificate import MAX_FILE_BYTES

    own = not isinstance(address, Client)
    client = Client(address) if own else address
    try:
        futures = []
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)  # a larger file is refused by the kernel on the worker
            futures.append(client.submit(_dask_task, str(f), data, timeout, pure=False))
        for f, fut in zip(files, futures):
            try:
                d = fut.result()
                yield Result(str(f), d["kind"], d["verdict"] == PROVEN, d["message"], d["bounds"],
                             d["seconds"])
            except Exception as exc:  # noqa: BLE001 - a lost worker is "not proven", never a pass
                yield Result(str(f), None, False, f"Dask task failed ({type(exc).__name__}: {exc})")
    finally:
        if own:
            client.close()


def main(argv: list[str] | None = None) -> int:
    """``python -m certify.runner FILE``: one verdict as JSON (used by :func:`_in_subprocess`)."""
    import json

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m certify.runner FILE", file=sys.stderr)
        return 2
    r = check_one(args[0])
    print(json.dumps(r.as_json()))
    return 0 if r.proven else 1


if __name__ == "__main__":
    sys.exit(main())

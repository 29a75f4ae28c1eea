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
:func:`certify.paths.expand_paths`), each as soon as it and all
before it are done, so the output of ``-j 8`` is the output of ``-j 1``.

Time limit
----------
A certificate's time limit counts the check itself only: a worker process
acknowledges each file when it has received it and starts the check, and
the clock starts then (starting a worker process, which may take a second
under a forkserver or ``spawn``, is not counted; a worker that does not
acknowledge within :data:`STARTUP_LIMIT` seconds is killed and its
certificate reported NOT PROVEN).

The memo
--------
The local routes turn on the kernel's memo (:func:`certify.kernel.checking.memo_start`)
in the processes that decide (not the Dask route): a certificate identical (provenance removed)
to one already PROVEN in the run is not decided twice (docs/trust.md).  With
worker processes this module forwards the memo's entries: each worker
returns, with its result, the entries the kernel made while deciding the
file (:func:`~certify.kernel.checking.memo_take`: digest, summary, bounds,
only what ``Proven`` carries), and with each new file a worker receives the
entries the other workers returned since its previous file
(:func:`~certify.kernel.checking.memo_add`).  The parent keeps at most
:data:`RELAY_LIMIT` entries (the oldest go first), so memory stays bounded,
and each entry crosses each pipe at most once.  ``CERTIFY_MEMO=0`` in the
environment turns the memo off (for measurements).
"""
from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Any, Iterator, Sequence

PROVEN = "PROVEN"
NOT_PROVEN = "NOT PROVEN"
STARTUP_LIMIT = 120.0  # seconds a worker may take to acknowledge a file before it counts as dead
RELAY_LIMIT = 1 << 14  # memo entries the parent keeps for forwarding
_STARTED = "started"  # a worker's acknowledgement: it has the file and starts the check


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
    memo_hits: int = 0  # decisions the kernel's memo answered during this check (not reported; tests)

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
    from .kernel.checking import check_file, memo_hits

    hits = memo_hits()
    start = time.perf_counter()
    v = check_file(path)
    return Result(str(path), v.kind, bool(v.proven is True), v.message, dict(v.bounds),
                  time.perf_counter() - start, memo_hits=memo_hits() - hits)


# --------------------------------------------------------------------------- child processes


def _worker(conn) -> None:  # runs in a worker process: check paths until told to stop
    try:
        import certify._preload  # noqa: F401 - the kernel and every kind, before any clock starts
        from .kernel import checking

        if _memo_wanted():
            checking.memo_start()
    except BaseException:  # noqa: BLE001 - a broken import shows up as each file's NOT PROVEN
        checking = None
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        path, entries = task
        try:
            if checking is not None:
                checking.memo_add(entries)
            conn.send(_STARTED)
        except (OSError, ValueError):
            return
        try:
            r = check_one(path)
            msg = (r.path, r.kind, r.proven, r.message, json_safe(r.bounds), r.seconds, r.memo_hits)
        except BaseException as exc:  # noqa: BLE001 - report, never pass
            msg = (path, None, False, f"checker error ({type(exc).__name__}: {exc})", {}, 0.0, 0)
        try:
            new = checking.memo_take() if checking is not None else []
        except BaseException:  # noqa: BLE001
            new = []
        try:
            conn.send((msg, new))
        except (OSError, ValueError):
            return


def _memo_wanted() -> bool:
    """The memo is on unless the environment says ``CERTIFY_MEMO=0`` (benchmarks/bench_check.py
    measures with and without it)."""
    return os.environ.get("CERTIFY_MEMO", "1").strip() != "0"


class _Relay:
    """The memo entries the workers returned, for forwarding to the other workers: at most
    ``limit`` of them (the oldest are dropped), each tagged with the worker it came from."""

    def __init__(self, limit: int = RELAY_LIMIT):
        self._entries: deque = deque(maxlen=limit)
        self.end = 0  # how many entries were ever added

    def add(self, source: int, entries: list) -> None:
        for e in entries:
            self._entries.append((source, e))
            self.end += 1

    def since(self, position: int, worker: int) -> list:
        """The entries added after ``position`` by any worker but ``worker`` (those still kept)."""
        newest = itertools.islice(reversed(self._entries), max(0, min(self.end - position, len(self._entries))))
        return [e for source, e in reversed(list(newest)) if source != worker]


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


def _read_ack(stream, limit: float) -> bool:
    """True when ``stream`` (a raw pipe) delivers the line ``started`` within ``limit`` seconds."""
    import select

    want = (_STARTED + "\n").encode()
    got = b""
    deadline = time.monotonic() + limit
    while len(got) < len(want):
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            return False
        byte = os.read(stream.fileno(), 1)  # one byte at a time: what follows is the verdict
        if not byte:
            return False
        got += byte
    return got == want


def _in_subprocess(path: str, timeout: float | None) -> Result:
    """Fallback for a daemonic process (a Dask worker), which may not start multiprocessing
    children: one ``python -m certify.runner --ack FILE`` subprocess, killed at the time limit.
    The limit counts from the child's acknowledgement (interpreter start-up is not counted)."""
    proc = subprocess.Popen([sys.executable, "-m", "certify.runner", "--ack", path], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
    start = time.perf_counter()
    try:
        if not _read_ack(proc.stdout, STARTUP_LIMIT):
            proc.kill()
            proc.wait()
            return Result(path, None, False, f"checker process did not start (exit code {proc.returncode})", {},
                          time.perf_counter() - start)
        start = time.perf_counter()
        try:
            out, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            return Result(path, None, False, _timeout_message(timeout), {}, time.perf_counter() - start)
        import json

        try:
            d = json.loads(out.decode("utf-8"))
            return Result(path, d["kind"], d["verdict"] == PROVEN and proc.returncode == 0, d["message"],
                          d["bounds"], d["seconds"])
        except Exception:  # noqa: BLE001
            return Result(path, None, False, f"checker process failed (exit code {proc.returncode})", {},
                          time.perf_counter() - start)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()


def run_local(files: Sequence[str | os.PathLike], jobs: int = 1,
              timeout: float | None = None) -> Iterator[Result]:
    """Yield one Result per file, in the order of ``files`` (see the module docstring)."""
    files = [str(f) for f in files]
    if jobs <= 1 and timeout is None:
        from .kernel.checking import memo_start, memo_stop

        started = memo_start() if _memo_wanted() else False
        try:
            for f in files:
                yield check_one(f)
        finally:
            if started:
                memo_stop()
        return
    if multiprocessing.current_process().daemon:
        for f in files:
            yield _in_subprocess(f, timeout)
        return
    ctx = _context()
    jobs = max(1, min(jobs, len(files)))
    done: dict[int, Result] = {}
    workers: list[_Worker] = []
    relay = _Relay()
    next_start = next_out = 0
    try:
        while next_out < len(files):
            for w in workers:  # hand out work to idle workers
                if w.task is None and next_start < len(files):
                    w.give(next_start, files[next_start], relay)
                    next_start += 1
            while len(workers) < jobs and next_start < len(files):
                w = _Worker(ctx)
                workers.append(w)
                w.give(next_start, files[next_start], relay)
                next_start += 1
            while next_out in done:
                yield done.pop(next_out)
                next_out += 1
            busy = [w for w in workers if w.task is not None]
            if not busy:
                continue
            deadlines = [w.sent + STARTUP_LIMIT if w.start is None else w.start + timeout
                         for w in busy if w.start is None or timeout is not None]
            wait_for = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            ready = set(wait([w.conn for w in busy], timeout=wait_for))
            now = time.monotonic()
            for w in busy:
                i = w.task
                if w.conn in ready:
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        w.proc.join(5)
                        done[i] = Result(files[i], None, False, f"checker process died (exit code "
                                         f"{w.proc.exitcode})", {}, now - (w.start or now))
                    else:
                        if msg == _STARTED:  # the check starts now: its time limit counts from here
                            w.start = now
                            continue
                        (p, kind, proven, message, bounds, seconds, hits), entries = msg
                        done[i] = Result(p, kind, proven is True, message, bounds, seconds, memo_hits=hits)
                        relay.add(w.ident, entries)
                        w.task = None
                        continue
                elif w.start is None and now - w.sent >= STARTUP_LIMIT:
                    done[i] = Result(files[i], None, False, f"checker process did not start within "
                                     f"{STARTUP_LIMIT:g} s", {}, 0.0)
                elif w.start is not None and timeout is not None and now - w.start >= timeout:
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

    _ids = itertools.count()

    def __init__(self, ctx):
        self.conn, child = ctx.Pipe(duplex=True)
        self.proc = ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()
        child.close()
        self.ident = next(self._ids)
        self.task: int | None = None
        self.sent = 0.0  # when the task was sent
        self.start: float | None = None  # when the worker acknowledged it (its check started)
        self.seen = 0  # relay position up to which this worker has the memo entries

    def give(self, index: int, path: str, relay: _Relay) -> None:
        self.task, self.sent, self.start = index, time.monotonic(), None
        self.conn.send((path, relay.since(self.seen, self.ident)))
        self.seen = relay.end

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
    """``python -m certify.runner [--ack] FILE``: one verdict as JSON (used by :func:`_in_subprocess`)."""
    import json

    args = sys.argv[1:] if argv is None else list(argv)
    ack = args[:1] == ["--ack"]  # print "started" first (the parent starts its clock then)
    if ack:
        args = args[1:]
    if len(args) != 1:
        print("usage: python -m certify.runner [--ack] FILE", file=sys.stderr)
        return 2
    if ack:
        import certify._preload  # noqa: F401 - imports before the acknowledgement, not in the check's time

        sys.stdout.write(_STARTED + "\n")
        sys.stdout.flush()
    r = check_one(args[0])
    d = r.as_json()
    d["seconds"] = r.seconds
    print(json.dumps(d))
    return 0 if r.proven else 1


if __name__ == "__main__":
    sys.exit(main())

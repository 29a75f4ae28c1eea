"""Wall time of checking every stored certificate, by route (issue: certificates in other people's CI).

    .venv/bin/python benchmarks/bench_check.py [--folder certificates] [--routes j1,j2,dask,pytest,pytest-j2]
    .venv/bin/python benchmarks/bench_check.py --routes j2-nomemo,j2,j2-nomemo,j2   # the kernel's memo

Routes (each a fresh process, as a user would run it):
  j1, j2     certify check --format json -j 1 / -j 2 FOLDER
  j1-nomemo, j2-nomemo
             the same with CERTIFY_MEMO=0 (the kernel's memo off: every certificate decided,
             an embedded minimum too, as before the memo)
  text       certify check FOLDER (the default text output): lines printed, longest line
  memo-ab    in this process, one file after the other (check_file), the kernel's memo off (A)
             and on (B), interleaved in chunks of 200 files so that a change of the machine's load
             hits both alike: CPU seconds (time.process_time) of A and B, and B's memo hits
  j1@REV, j2@REV
             certify check -j 1 / -j 2 with the certify package of git revision REV (extracted to
             a temporary folder, first on PYTHONPATH): before/after figures in one session, e.g.
             --routes j2@a34527f,j2,j2@a34527f,j2
  dask       certify check --format json --dask ADDRESS FOLDER, against a LocalCluster of two
             worker processes (one thread each) started here; cluster start-up timed separately
  pytest     python -m pytest --certify FOLDER FOLDER (only the certificate items)
  pytest-j2  the same with --certify-jobs 2

Prints each route's wall time and CPU time (its processes' user + system seconds, which other
processes on the machine change far less than the wall time), the machine's load
(os.getloadavg) before and after each route, and checks that every
route gives the same verdicts and messages as the first.  Other processes on the machine change the
figures: report the load beside them.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_REVISIONS: dict[str, str] = {}


def revision_path(rev: str) -> str:
    """A temporary folder holding the certify package of git revision ``rev``."""
    if rev not in _REVISIONS:
        folder = tempfile.mkdtemp(prefix=f"bench-check-{rev}-")
        archive = subprocess.run(["git", "archive", rev, "certify"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", folder], input=archive, check=True)
        _REVISIONS[rev] = folder
    return _REVISIONS[rev]


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its waited-for descendants:
    the difference around a route is the route's own CPU time, which other processes on the machine
    change far less than its wall time."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def memo_ab(folder: str, chunk: int = 200) -> str:
    """Serial CPU time of deciding every certificate under ``folder`` with the memo off and on."""
    from certify.kernel import checking
    from certify.kernel.checking import check_file
    from certify.paths import expand_paths

    files, _ = expand_paths([ROOT / folder])
    cpu = {"A": 0.0, "B": 0.0}
    proven = {"A": 0, "B": 0}
    checking.memo_stop()
    checking.memo_start()
    memo_b = checking._memo  # B's memo lives across its chunks; A runs with the memo off
    hits = checking.memo_hits()
    for i in range(0, len(files), chunk):
        for run in ("A", "B") if (i // chunk) % 2 == 0 else ("B", "A"):
            checking._memo = memo_b if run == "B" else None
            start = time.process_time()
            proven[run] += sum(check_file(f).proven for f in files[i:i + chunk])
            cpu[run] += time.process_time() - start
    checking.memo_stop()
    return (f"{len(files)} files; memo off: {cpu['A']:.1f} s CPU ({proven['A']} proven), memo on: {cpu['B']:.1f} s "
            f"CPU ({proven['B']} proven, {checking.memo_hits() - hits} memo hits): {cpu['B'] / cpu['A']:.2f}x")


def certify_json(args: list[str], env: dict | None = None) -> tuple[float, list, int]:
    start = time.perf_counter()
    # -P: the current folder is not put first on sys.path, so a revision on PYTHONPATH is the certify that runs
    pin = ["-P"] if env and "PYTHONPATH" in env else []
    done = subprocess.run([sys.executable, *pin, "-m", "certify", "--no-progress", "check", "--format", "json", *args],
                          cwd=ROOT, capture_output=True, text=True, env=None if env is None else {**os.environ, **env})
    wall = time.perf_counter() - start
    report = json.loads(done.stdout)
    return wall, [(r["path"], r["verdict"], r["message"]) for r in report["results"]], done.returncode


def pytest_run(folder: str, extra: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--certify", folder,
                           *extra, folder], cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, (done.stdout.strip().splitlines() or ["?"])[-1]


def compare(verdicts: list, reference: list | None) -> str:
    """'same verdicts as the first route', or what differs (verdicts first, then messages only)."""
    if reference is None or verdicts == reference:
        return "same verdicts as the first route"
    if len(verdicts) != len(reference):
        return f"DIFFERENT FILE LISTS ({len(verdicts)} against {len(reference)} in the first route)"
    verdict_diff = [a[0] for a, b in zip(verdicts, reference) if a[:2] != b[:2]]
    message_diff = [(a, b) for a, b in zip(verdicts, reference) if a != b]
    for a, b in message_diff[:3]:
        print(f"#   differs: {a}\n#   first:   {b}", file=sys.stderr)
    if verdict_diff:
        return f"VERDICTS DIFFER FROM THE FIRST ROUTE ({len(verdict_diff)} files, e.g. {verdict_diff[0]})"
    return f"same verdicts as the first route; {len(message_diff)} message(s) differ (see stderr)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", default="certificates")
    ap.add_argument("--routes", default="j1,j2,dask,pytest,pytest-j2")
    args = ap.parse_args()
    routes = args.routes.split(",")
    print(f"# bench_check: {args.folder}, {os.cpu_count()} cores "
          f"(usable {len(os.sched_getaffinity(0))}), python {sys.version.split()[0]}")
    print(f"{'route':<18} {'wall s':>8} {'cpu s':>8}  {'load before':>16}  {'load after':>16}  result")
    reference = None
    for route in routes:
        before = load()
        cpu = children_cpu()
        if route.split("@")[0] in ("j1", "j2", "j1-nomemo", "j2-nomemo"):
            env = {"CERTIFY_MEMO": "0"} if route.split("@")[0].endswith("-nomemo") else {}
            if "@" in route:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [revision_path(route.split("@", 1)[1]),
                                                                   os.environ.get("PYTHONPATH")]))
            wall, verdicts, rc = certify_json(["-j", route[1], args.folder], env or None)
            same = compare(verdicts, reference)
            reference = reference or verdicts
            n_ok = sum(v[1] == "PROVEN" for v in verdicts)
            result = f"exit {rc}, {n_ok}/{len(verdicts)} proven, {same}"
        elif route == "dask":
            from distributed import LocalCluster

            t0 = time.perf_counter()
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                startup = time.perf_counter() - t0
                wall, verdicts, rc = certify_json(["--dask", cluster.scheduler_address, args.folder])
            same = compare(verdicts, reference)
            result = f"exit {rc}, {sum(v[1] == 'PROVEN' for v in verdicts)}/{len(verdicts)} proven, {same}; " \
                     f"cluster start-up {startup:.1f} s (not included)"
        elif route == "memo-ab":
            start = time.perf_counter()
            result = memo_ab(args.folder)
            wall = time.perf_counter() - start
        elif route == "text":
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "certify", "--no-progress", "check", args.folder], cwd=ROOT,
                                  capture_output=True, text=True)
            wall = time.perf_counter() - start
            lines = done.stdout.splitlines()
            result = (f"exit {done.returncode}, {len(lines)} lines ({len(done.stdout)} bytes, longest "
                      f"{max(map(len, lines), default=0)} characters): '{lines[-1] if lines else ''}'")
        elif route in ("pytest", "pytest-j2"):
            wall, result = pytest_run(args.folder, ["--certify-jobs", "2"] if route == "pytest-j2" else [])
        else:
            print(f"unknown route {route}", file=sys.stderr)
            return 2
        print(f"{route:<18} {wall:8.1f} {children_cpu() - cpu:8.1f}  {before:>16}  {load():>16}  {result}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

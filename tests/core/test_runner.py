"""certify.runner: serial, parallel (-j), time-limited and Dask checking give the kernel's verdicts,
in the serial order; a stuck, crashed or failing check is NOT PROVEN, never a pass."""
from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from certify import runner
from certify.runner import Result, check_one, default_jobs, json_safe, run_local

from conftest import REPO_ROOT as REPO, stored_spurious as stored


@pytest.fixture
def certs(tmp_path) -> list[Path]:
    """Two proven certificates, a tampered one (statement changed), a truncated one, a proven one."""
    a = shutil.copy(stored("relu-k06-n06-*.json"), tmp_path / "a.json")
    b = shutil.copy(stored("relu-k07-n07-*.json"), tmp_path / "b.json")
    data = json.loads(Path(a).read_text())
    data["claim"]["statement"] += " And more."
    (tmp_path / "c_tampered.json").write_text(json.dumps(data))
    (tmp_path / "d_truncated.json").write_text(Path(b).read_text()[:500])
    e = shutil.copy(stored("relu-k08-n08-*.json"), tmp_path / "e.json")
    return [Path(a), Path(b), tmp_path / "c_tampered.json", tmp_path / "d_truncated.json", Path(e)]


def _key(r: Result):
    return (r.path, r.kind, r.proven, r.message, json.dumps(json_safe(r.bounds), sort_keys=True))


@pytest.fixture
def fork_only(monkeypatch):
    """Children forked from this process, so a monkeypatched check_one is what they run."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    monkeypatch.setattr(runner, "_context", lambda: multiprocessing.get_context("fork"))


def test_parallel_and_time_limited_runs_equal_the_serial_run(certs):
    serial = list(run_local(certs, jobs=1))
    assert [r.proven for r in serial] == [True, True, False, False, True]
    assert "statement" in serial[2].message and "not valid JSON" in serial[3].message
    for jobs, timeout in [(2, None), (3, None), (1, 120), (2, 120)]:
        got = list(run_local(certs, jobs=jobs, timeout=timeout))
        assert [_key(r) for r in got] == [_key(r) for r in serial], (jobs, timeout)


def test_results_come_in_serial_order_even_when_later_ones_finish_first(certs, fork_only, monkeypatch):
    real = runner.check_one

    def slow_first(path):
        if path.endswith("a.json"):
            time.sleep(0.6)
        return real(path)

    monkeypatch.setattr(runner, "check_one", slow_first)
    got = list(run_local(certs, jobs=3))
    assert [r.path for r in got] == [str(c) for c in certs]


@pytest.mark.parametrize("jobs", [1, 2])
def test_timeout_stops_a_stuck_check_and_reports_not_proven(certs, fork_only, monkeypatch, jobs):
    real = runner.check_one

    def stuck_on_b(path):
        if path.endswith("b.json"):
            time.sleep(120)
        return real(path)

    monkeypatch.setattr(runner, "check_one", stuck_on_b)
    start = time.monotonic()
    got = list(run_local(certs, jobs=jobs, timeout=1.0))
    assert time.monotonic() - start < 30
    assert [r.proven for r in got] == [True, False, False, False, True]
    assert "time limit of 1 s exceeded" in got[1].message
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_time_limit_counts_the_check_not_the_worker_start(certs, fork_only, monkeypatch, jobs):
    """A worker that takes 0.8 s to start (a loaded machine, a forkserver or spawn start, imports)
    does not eat into a 0.4 s limit: the clock starts when the worker has the file."""
    real = runner._worker

    def slow_start(conn):
        time.sleep(0.8)
        real(conn)

    monkeypatch.setattr(runner, "_worker", slow_start)
    got = list(run_local([certs[0], certs[1]], jobs=jobs, timeout=0.4))
    assert [r.proven for r in got] == [True, True], [r.message for r in got]
    assert all(r.seconds < 0.4 for r in got)


def test_a_worker_that_never_starts_is_not_proven(certs, fork_only, monkeypatch):
    monkeypatch.setattr(runner, "STARTUP_LIMIT", 0.5)
    monkeypatch.setattr(runner, "_worker", lambda conn: time.sleep(60))
    start = time.monotonic()
    (r,) = run_local([certs[0]], jobs=1, timeout=30)
    assert time.monotonic() - start < 20
    assert not r.proven and "did not start within 0.5 s" in r.message
    assert multiprocessing.active_children() == []


def test_the_subprocess_route_does_not_count_interpreter_start_up(certs, tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import time\ntime.sleep(0.8)  # a slow interpreter start\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(REPO), os.environ.get("PYTHONPATH", "")]))
    r = runner._in_subprocess(str(certs[0]), 0.4)
    assert r.proven, r.message


def test_timeout_on_a_real_long_check():
    big = stored("gpu-search/relu-k50-n50-*.json")  # n k = 2500: about a second of arithmetic
    (r,) = run_local([big], jobs=1, timeout=0.01)
    assert not r.proven and "time limit" in r.message and r.kind is None and r.bounds == {}


def test_a_crashed_or_failing_child_is_not_proven(certs, fork_only, monkeypatch):
    def die(path):
        os._exit(7)

    monkeypatch.setattr(runner, "check_one", die)
    got = list(run_local(certs[:2], jobs=2))
    assert all(not r.proven and "checker process died (exit code 7)" in r.message for r in got)

    def boom(path):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(runner, "check_one", boom)
    got = list(run_local(certs[:2], jobs=1, timeout=30))
    assert all(not r.proven and "checker error (RuntimeError: kaboom)" in r.message for r in got)


def test_stopping_early_leaves_no_process_behind(certs, fork_only, monkeypatch):
    real = runner.check_one

    def slow(path):
        time.sleep(0.3 if path.endswith("a.json") else 60)
        return real(path)

    monkeypatch.setattr(runner, "check_one", slow)
    gen = run_local(certs, jobs=3)
    first = next(gen)
    assert first.proven
    gen.close()
    assert multiprocessing.active_children() == []


def test_subprocess_route_for_daemonic_workers(certs):
    r = runner._in_subprocess(str(certs[0]), 120)
    assert _key(r) == _key(check_one(certs[0]))
    r = runner._in_subprocess(str(certs[2]), 120)
    assert not r.proven and "statement" in r.message
    r = runner._in_subprocess(str(stored("gpu-search/relu-k50-n50-*.json")), 0.05)  # about a second
    assert not r.proven and "time limit" in r.message


def test_default_jobs_and_json_safe():
    assert default_jobs() == len(os.sched_getaffinity(0))
    assert json_safe({"a": float("nan"), "b": [1.5, float("inf")], "c": (1, "x")}) == \
        {"a": "nan", "b": [1.5, "inf"], "c": [1, "x"]}
    assert run_local([], jobs=4) is not None and list(run_local([], jobs=4, timeout=1)) == []


DASK_SCRIPT = """
import json, sys
from distributed import Client, LocalCluster
from certify.cli import main
from certify.runner import run_dask

if __name__ == "__main__":
    files = sys.argv[1:]
    out = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            out["plain"] = [r.as_json() for r in run_dask(files, client)]
        print("CLI-START", flush=True)
        out["rc"] = main(["check", "--dask", cluster.scheduler_address, *files])
    print("JSON-START" + json.dumps(out))
"""


def test_dask_local_cluster_gives_the_serial_verdicts(certs, tmp_path):
    """In a separate process: a Dask client leaves threads behind (they would change how later tests'
    worker processes start)."""
    pytest.importorskip("distributed")
    import subprocess
    import sys

    script = tmp_path / "dask_check.py"
    script.write_text(DASK_SCRIPT)
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, str(script), *map(str, certs)], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    cli_out = done.stdout.split("CLI-START\n", 1)[1].split("JSON-START", 1)[0]
    got = json.loads(done.stdout.split("JSON-START", 1)[1])

    def key(d):
        return (d["path"], d["kind"], d["verdict"] == "PROVEN", d["message"], json.dumps(d["bounds"], sort_keys=True))

    serial = [key(r.as_json()) for r in run_local(certs, jobs=1)]
    assert [key(d) for d in got["plain"]] == serial
    assert got["rc"] == 1
    lines = cli_out.splitlines()
    assert [line.split(":")[0] for line in lines[:-1]] == \
        [("PROVEN     " if ok else "NOT PROVEN ") + path for path, _, ok, _, _ in serial]
    assert lines[-1] == "3 proven, 2 not proven"

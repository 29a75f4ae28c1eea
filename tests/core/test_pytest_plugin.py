"""The pytest plugin: `pytest --certify PATH` collects each certificate as a test item under one node
per PATH (one row of dots), whose failure shows what `certify check` prints, whose JUnit classname is
the kind, and whose time limit counts only the check."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT as REPO, stored_spurious as stored


def pytest_in(folder: Path, *args: str, verbose: bool = True) -> subprocess.CompletedProcess:
    """A separate pytest run in ``folder`` with only this plugin loaded (explicitly, by -p)."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", COLUMNS="80")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "certify.pytest_plugin", "-p", "no:cacheprovider",
                           *(["-v"] if verbose else []), *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def project(tmp_path) -> Path:
    """A research group's repository: certificates/ (two proven, one tampered) and tests/."""
    certs = tmp_path / "certificates"
    certs.mkdir()
    shutil.copy(stored("relu-k06-n06-*.json"), certs / "a.json")
    shutil.copy(stored("relu-k07-n07-*.json"), certs / "b.json")
    data = json.loads((certs / "a.json").read_text())
    data["claim"]["radius"] = 1.0
    (certs / "c_bad.json").write_text(json.dumps(data))
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_own.py").write_text("def test_own():\n    assert True\n")
    return tmp_path


def test_each_certificate_is_a_test_item_under_one_node(project):
    done = pytest_in(project, "--certify", "certificates", "--certify-jobs", "2", "tests")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "certificates::a.json PASSED" in out and "certificates::b.json PASSED" in out
    assert "certificates::c_bad.json FAILED" in out
    assert "tests/test_own.py::test_own PASSED" in out
    assert "1 failed, 3 passed" in out


def test_default_progress_is_one_row_of_dots(project):
    for i in range(30):
        shutil.copy(project / "certificates" / "a.json", project / "certificates" / f"p{i:02d}.json")
    done = pytest_in(project, "--certify", "certificates", "tests", verbose=False)
    rows = [line for line in done.stdout.splitlines() if line.startswith("certificates")]
    assert len(rows) == 1 and rows[0].split()[:2] == ["certificates", "..F" + "." * 30], done.stdout
    assert "collected 34 items" in done.stdout and "1 failed, 33 passed" in done.stdout


def test_a_failing_item_shows_what_certify_check_prints(project, tmp_path):
    done = pytest_in(project, "--certify", "certificates", "--certify-jobs", "2")
    check = subprocess.run([sys.executable, "-m", "certify", "check", "certificates/c_bad.json"], cwd=project,
                           capture_output=True, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
    line = check.stdout.splitlines()[0]
    assert line.startswith("NOT PROVEN certificates/c_bad.json: claim: unknown field(s) 'radius'")
    assert f"\n{line}\n" in done.stdout  # the failure section holds exactly that line
    assert f"FAILED certificates::c_bad.json - {line[:40]}" in done.stdout


def test_selection_and_deselection_apply_to_certificate_items(project):
    done = pytest_in(project, "--certify", "certificates", "-k", "not c_bad", "certificates")
    assert done.returncode == 0 and "2 passed, 1 deselected" in done.stdout, done.stdout
    done = pytest_in(project, "--certify", "certificates", "--deselect", "certificates::c_bad.json", "tests")
    assert done.returncode == 0 and "3 passed, 1 deselected" in done.stdout, done.stdout
    done = pytest_in(project, "--certify", "certificates", "-k", "b.json", "-m", "not slow", "tests")
    assert done.returncode == 0 and "1 passed, 3 deselected" in done.stdout, done.stdout


def test_junit_classname_is_the_kind_and_name_the_path(project):
    import xml.etree.ElementTree as ET

    for jobs in ("1", "2"):
        done = pytest_in(project, "--certify", "certificates", "--certify-jobs", jobs, "tests", "--junitxml",
                         "report.xml")
        assert done.returncode == 1
        cases = ET.parse(project / "report.xml").getroot().iter("testcase")
        got = {c.get("name"): c.get("classname") for c in cases}
        assert got == {"certificates/a.json": "relu-spurious-minimum", "certificates/b.json": "relu-spurious-minimum",
                       "certificates/c_bad.json": "relu-spurious-minimum", "test_own": "tests.test_own"}


SLOW_WORKER_START = """
import multiprocessing, time
from certify import runner

runner._context = lambda: multiprocessing.get_context("fork")
_real = runner._worker


def _slow(conn):
    time.sleep(0.8)  # a slow worker start (forkserver or spawn, imports, a loaded machine)
    _real(conn)


runner._worker = _slow
"""


def test_the_time_limit_counts_only_the_check(project):
    """As `certify check --timeout`: a 0.4 s limit on a 10 ms check holds even when the worker process
    takes 0.8 s to start."""
    (project / "conftest.py").write_text(SLOW_WORKER_START)
    done = pytest_in(project, "--certify", "certificates", "--certify-timeout", "0.4", "-k", "not c_bad",
                     "certificates")
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout


def test_without_the_option_nothing_is_added_and_bad_options_are_usage_errors(project):
    done = pytest_in(project, "tests")
    assert done.returncode == 0 and "1 passed" in done.stdout and "certificates/" not in done.stdout
    done = pytest_in(project, "--certify", "certificates", "--certify-jobs", "0", "tests")
    assert done.returncode == 4 and "--certify-jobs" in done.stderr


def test_a_missing_path_is_a_failing_item(project):
    done = pytest_in(project, "--certify", "nowhere", "tests")
    assert done.returncode == 1 and "nowhere::nowhere FAILED" in done.stdout
    assert "error: nowhere: no such file or folder" in done.stdout


def test_manifest_mode_reports_deleted_and_unlisted_files(project):
    from certify.manifest import write_manifest

    (project / "certificates" / "c_bad.json").unlink()
    manifest, n = write_manifest(project / "certificates")
    assert n == 2
    done = pytest_in(project, "--certify", "certificates/MANIFEST.json", "certificates")
    assert done.returncode == 0 and "2 passed" in done.stdout, done.stdout
    (project / "certificates" / "b.json").unlink()
    shutil.copy(project / "certificates" / "a.json", project / "certificates" / "new.json")
    done = pytest_in(project, "--certify", "certificates/MANIFEST.json", "certificates")
    out = done.stdout
    assert done.returncode == 1
    assert "certificates/MANIFEST.json::b.json FAILED" in out
    assert "NOT PROVEN certificates/b.json: listed in the manifest but missing\nMANIFEST   certificates/b.json: missing" in out
    assert "certificates/MANIFEST.json::new.json FAILED" in out
    assert "MANIFEST   certificates/new.json: not listed in the manifest" in out


def test_installing_certify_registers_the_plugin():
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"certify": "certify.pytest_plugin"}

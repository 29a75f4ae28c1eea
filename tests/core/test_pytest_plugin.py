"""The pytest plugin: `pytest --certify PATH` collects each certificate as a test item whose id is
its path and whose failure shows the kernel's reason."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT as REPO, stored_spurious as stored


def pytest_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """A separate pytest run in ``folder`` with only this plugin loaded (explicitly, by -p)."""
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "certify.pytest_plugin", "-p", "no:cacheprovider",
                           "-v", *args], cwd=folder, env=env, capture_output=True, text=True, timeout=300)


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


def test_each_certificate_is_a_test_item_with_its_path_as_id(project):
    done = pytest_in(project, "--certify", "certificates", "--certify-jobs", "2", "tests")
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "certificates/a.json PASSED" in out and "certificates/b.json PASSED" in out
    assert "certificates/c_bad.json FAILED" in out
    assert "tests/test_own.py::test_own PASSED" in out
    assert "certificates/c_bad.json: NOT PROVEN:" in out  # the kernel's reason
    assert "1 failed, 3 passed" in out


def test_without_the_option_nothing_is_added_and_bad_options_are_usage_errors(project):
    done = pytest_in(project, "tests")
    assert done.returncode == 0 and "1 passed" in done.stdout and "certificates/" not in done.stdout
    done = pytest_in(project, "--certify", "certificates", "--certify-jobs", "0", "tests")
    assert done.returncode == 4 and "--certify-jobs" in done.stderr


def test_a_missing_path_is_a_failing_item(project):
    done = pytest_in(project, "--certify", "nowhere", "tests")
    assert done.returncode == 1 and "nowhere FAILED" in done.stdout and "no such file" in done.stdout


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
    assert "certificates/b.json FAILED" in out and "listed in the manifest but missing" in out
    assert "certificates/new.json FAILED" in out and "not listed in the manifest" in out


def test_installing_certify_registers_the_plugin():
    tomllib = pytest.importorskip("tomllib")
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["pytest11"] == {"certify": "certify.pytest_plugin"}

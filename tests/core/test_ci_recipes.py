"""docs/ci.md's recipes keep their promises: the shipped pre-commit hook runs on every commit (so a
commit that only deletes a certificate is caught), the documented GitHub Actions workflows parse and
install what their steps run (pytest needs the [test] extra).  The slow tests run them for real: the
pre-commit hook with pre-commit in a temporary git repository, the workflows' shell steps in a fresh
repository with certify installed from a local git commit instead of the GitHub URL."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO_ROOT as REPO, stored_spurious as stored

yaml = pytest.importorskip("yaml")

DOC = REPO / "docs" / "ci.md"
INSTALL_URL = "git+https://github.com/OWNER/certify@COMMIT"


def doc_yaml() -> list[dict]:
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)]


def workflows() -> dict[str, dict]:
    return {d["name"]: d for d in doc_yaml() if isinstance(d, dict) and "jobs" in d}


def precommit_configs() -> list[dict]:
    return [d for d in doc_yaml() if isinstance(d, dict) and "repos" in d]


def shipped_hook() -> dict:
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return hook


def test_the_shipped_hook_runs_on_every_commit_on_the_whole_folder():
    hook = shipped_hook()
    assert hook["id"] == "certify-check" and hook["entry"] == "certify check"
    assert hook["always_run"] is True and hook["pass_filenames"] is False
    assert "files" not in hook  # always_run ignores it; a `files` pattern would only mislead
    assert hook["args"] == ["--manifest", "certificates/MANIFEST.json"]


def test_the_documented_hooks_are_the_shipped_one_or_behave_like_it():
    remote, local = precommit_configs()
    assert remote["repos"][0]["hooks"][0]["id"] == shipped_hook()["id"]
    (hook,) = local["repos"][0]["hooks"]
    assert hook["always_run"] is True and hook["pass_filenames"] is False
    assert hook["entry"] == "certify check --manifest certificates/MANIFEST.json"


def test_the_documented_workflows_install_what_they_run():
    flows = workflows()
    assert set(flows) == {"certificates", "tests"}
    for name, flow in flows.items():
        (job,) = flow["jobs"].values()
        runs = [step["run"] for step in job["steps"] if "run" in step]
        install, commands = runs[0], runs[1:]
        assert INSTALL_URL in install and "pip install" in install
        for command in commands:
            if "pytest" in command:
                assert "certify[test] @" in install, f"workflow {name!r} runs pytest without the [test] extra"
            else:
                assert command.split()[0] == "certify"
        uploads = [step for step in job["steps"] if step.get("uses", "").startswith("actions/upload-artifact")]
        assert uploads and uploads[0]["if"] == "always()"
        assert uploads[0]["with"]["path"] in " ".join(commands)  # the step writes the file it uploads


# --------------------------------------------------------------------------- real runs (slow)


def _checkout_copy(dest: Path) -> str:
    """This checkout's files (tracked and untracked-not-ignored, as .ci/run takes them) committed to a
    new git repository at ``dest``; returns the commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        src = REPO / os.fsdecode(name)
        if src.is_file():
            (dest / os.fsdecode(name)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / os.fsdecode(name))
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "certify as checked out")
    return git(dest, "rev-parse", "HEAD").strip()


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True).stdout


def _group_repository(root: Path) -> Path:
    """A research group's repository: certificates/ (two certificates and their manifest), tests/."""
    from certify.manifest import write_manifest

    repo = root / "group"
    (repo / "certificates" / "kkt").mkdir(parents=True)
    shutil.copy(stored("relu-k06-n06-*.json"), repo / "certificates" / "a.json")
    shutil.copy(REPO / "certificates" / "kkt" / "relu_wide_angle.json", repo / "certificates" / "kkt" / "b.json")
    write_manifest(repo / "certificates")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_own.py").write_text("def test_own():\n    assert True\n")
    return repo


def _fresh_venv(path: Path) -> Path:
    """A new virtual environment with a current pip (as actions/setup-python provides; the pip that
    ensurepip brings may be too old for a ``git+file://`` direct reference)."""
    venv.create(path, with_pip=True)
    subprocess.run([path / "bin" / "python", "-m", "pip", "install", "-q", "-U", "pip"], capture_output=True)
    return path / "bin"


@pytest.mark.slow
def test_the_pre_commit_hook_catches_a_commit_that_only_deletes_a_certificate(tmp_path):
    """pre-commit from the package index, in a temporary venv; the documented local hook and a local
    copy of the shipped hook (same settings; certify from this environment)."""
    tools = _fresh_venv(tmp_path / "pc-venv")
    done = subprocess.run([tools / "python", "-m", "pip", "install", "-q", "pre-commit"], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"pre-commit cannot be installed here: {done.stderr[-500:]}")
    shipped = {k: v for k, v in shipped_hook().items() if k != "language"}
    shipped.update(language="system", entry=f"{sys.executable} -m certify check")
    configs = {"documented local hook": precommit_configs()[1], "shipped hook": {"repos": [
        {"repo": "local", "hooks": [shipped]}]}}
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "pc-home"), CI="true",
               PATH=os.pathsep.join([str(Path(sys.executable).parent), str(tools), os.environ["PATH"]]),
               GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org")
    for what, config in configs.items():
        repo = _group_repository(tmp_path / what.replace(" ", "-"))
        (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
        git(repo, "init", "-q")
        subprocess.run([tools / "pre-commit", "install"], cwd=repo, env=env, check=True, capture_output=True)

        def commit(message: str) -> subprocess.CompletedProcess:
            return subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, env=env, capture_output=True,
                                  text=True, timeout=600)

        git(repo, "add", "-A")
        first = commit("certificates")
        assert first.returncode == 0, (what, first.stdout + first.stderr)
        assert "Passed" in first.stdout + first.stderr
        git(repo, "rm", "-q", "certificates/kkt/b.json")  # the commit deletes a certificate, nothing else
        second = commit("delete a certificate")
        log = second.stdout + second.stderr
        assert second.returncode != 0, (what, log)
        assert "Failed" in log and "certificates/kkt/b.json: missing" in log and "no files to check" not in log
        assert git(repo, "log", "--oneline").count("\n") == 1  # the deletion was not committed


@pytest.mark.slow
def test_the_github_workflows_run_as_written(tmp_path):
    """Each documented workflow's `run:` steps, in a fresh venv (setup-python) and the group's
    repository (checkout), with certify installed from a local commit in place of the GitHub URL."""
    certify_repo = tmp_path / "certify-src"
    certify_repo.mkdir()
    commit = _checkout_copy(certify_repo)
    for name, flow in workflows().items():
        root = tmp_path / name
        repo = _group_repository(root)
        bindir = _fresh_venv(root / "venv")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "PYTEST"))}
        env.update(CI="true", PATH=os.pathsep.join([str(bindir), env["PATH"]]), PIP_DISABLE_PIP_VERSION_CHECK="1")
        (job,) = flow["jobs"].values()
        for step in job["steps"]:
            if "run" not in step:
                continue
            command = step["run"].replace(INSTALL_URL, f"git+file://{certify_repo}@{commit}")
            done = subprocess.run(["bash", "-e", "-c", command], cwd=repo, env=env, capture_output=True, text=True,
                                  timeout=1800)
            assert done.returncode == 0, (name, command, done.stdout[-3000:], done.stderr[-3000:])
        report = repo / "certify-report.xml"
        assert report.is_file() and 'failures="0"' in report.read_text(), name
        if name == "tests":  # only the certificates were collected (the trailing certificates/)
            assert 'tests="2"' in report.read_text() and "relu-spurious-minimum" in report.read_text()

"""pytest plugin: ``pytest --certify PATH`` checks certificates as test items (UNTRUSTED glue).

Registered by installing certify (entry point group ``pytest11``, name
``certify``), so a research group's own ``pytest`` run can gate on its
certificates::

    pytest --certify certificates/                       # every *.json under the folder
    pytest --certify certificates/MANIFEST.json          # the manifest's folder, checked against it
    pytest --certify certificates/ --certify-timeout 600 # a per-certificate time limit
    pytest --certify certificates/ --certify-jobs auto   # check on every usable core

Each certificate becomes one test item whose id is its path (relative to
pytest's rootdir); it passes only when the trusted kernel's ``check_file``
says PROVEN (and, with a manifest, the file is listed with the same SHA-256),
and a failure shows the kernel's reason.  Folder walks skip what
``certify check`` skips (hidden entries, virtual environments, manifests);
``--certify-exclude GLOB`` as ``certify check --exclude``.  A PATH that does
not exist, or a folder without certificates, is a failing item, never a
silent pass.  The items are added to whatever else pytest collects; to run
only them, also give the folder as a test path: ``pytest --certify certificates/ certificates/``.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest


def pytest_addoption(parser) -> None:
    group = parser.getgroup("certify", "certify: check proof certificates as test items")
    group.addoption("--certify", action="append", default=[], metavar="PATH",
                    help="check every certificate under PATH (file, folder, or a manifest file) as a test item")
    group.addoption("--certify-timeout", type=float, default=None, metavar="SECONDS",
                    help="per-certificate time limit (the check runs in a child process, killed at the limit)")
    group.addoption("--certify-jobs", default="1", metavar="N",
                    help="check N certificates at a time in child processes ('auto': the usable cores); "
                         "items still report in their order")
    group.addoption("--certify-exclude", action="append", default=[], metavar="GLOB",
                    help="skip files/folders whose name or relative path matches GLOB (repeatable)")


def pytest_configure(config) -> None:
    if config.getoption("certify"):
        _jobs(config)  # a bad --certify-jobs is a usage error before anything runs
        timeout = config.getoption("certify_timeout")
        if timeout is not None and not timeout > 0:
            raise pytest.UsageError(f"--certify-timeout: expected a positive number of seconds, got {timeout}")


class CertificateNotProven(Exception):
    """A certificate item failed: the message is the kernel's reason (or the manifest problem)."""


class CertificateItem(pytest.Item):
    def __init__(self, *, target: str, manifest=None, problem: str | None = None, **kw):
        super().__init__(**kw)
        self.target = target  # the path to check, as usable from the current directory
        self.manifest = manifest
        self.problem = problem  # a failure known at collection (missing path, missing listed file)

    def runtest(self) -> None:
        if self.problem is not None:
            raise CertificateNotProven(self.problem)
        from .runner import check_one

        timeout = self.config.getoption("certify_timeout")
        jobs = _jobs(self.config)
        if jobs > 1 or timeout is not None:  # worker processes (killable at the time limit)
            r = _Prefetch.get(self.session, jobs, timeout).result(self.target)
        else:
            r = check_one(self.target)
        if self.manifest is not None:
            from .manifest import reconcile

            r = next(reconcile(self.manifest, [r], []))
        reasons = [f"NOT PROVEN: {r.message}"] if not r.proven else []
        if r.manifest:
            reasons.append(f"manifest: {r.manifest}")
        if reasons:
            raise CertificateNotProven("; ".join(reasons))
        self.user_properties.append(("verdict", f"PROVEN: {r.message}"))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CertificateNotProven):
            return f"{self.name}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"certificate {self.name}"


def _jobs(config) -> int:
    text = str(config.getoption("certify_jobs"))
    if text == "auto":
        from .runner import default_jobs

        return default_jobs()
    try:
        jobs = int(text)
    except ValueError:
        raise pytest.UsageError(f"--certify-jobs: expected a positive integer or 'auto', got {text!r}") from None
    if jobs < 1:
        raise pytest.UsageError(f"--certify-jobs: expected a positive integer or 'auto', got {text!r}")
    return jobs


class _Prefetch:
    """With --certify-jobs N or --certify-timeout: one run (certify.runner.run_local) over every
    certificate item of the session, in item order; each item takes its own result, waiting only
    for it."""

    def __init__(self, targets: list[str], jobs: int, timeout: float | None):
        from .runner import run_local

        self._results = run_local(targets, jobs=jobs, timeout=timeout)
        self._done: dict[str, list] = {}

    @classmethod
    def get(cls, session, jobs: int, timeout: float | None) -> "_Prefetch":
        pre = getattr(session, "_certify_prefetch", None)
        if pre is None:
            targets = [i.target for i in session.items if isinstance(i, CertificateItem) and i.problem is None]
            pre = session._certify_prefetch = cls(targets, jobs, timeout)
        return pre

    def result(self, target: str):
        while not self._done.get(target):
            try:
                r = next(self._results)
            except StopIteration:  # not in the prefetched list (should not happen): check it here
                from .runner import check_one

                return check_one(target)
            self._done.setdefault(r.path, []).append(r)
        return self._done[target].pop(0)


def _display(path: Path, rootdir: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), rootdir)).as_posix()
    except ValueError:
        return path.as_posix()


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those apply to certificate items too
def pytest_collection_modifyitems(session, config, items) -> None:
    targets = config.getoption("certify")
    if not targets:
        return
    from .kernel.checking import expand_paths, is_manifest_file

    rootdir = Path(config.rootpath)
    seen: set[str] = set()

    def add(target: Path, manifest=None, problem: str | None = None) -> None:
        name = _display(target, rootdir)
        if name in seen:
            return
        seen.add(name)
        items.append(CertificateItem.from_parent(session, name=name, nodeid=name, path=target.resolve(),
                                                 target=str(target), manifest=manifest, problem=problem))

    for text in targets:
        p = Path(text)
        if p.is_file() and is_manifest_file(p):
            from .manifest import ManifestError, load_manifest, plan

            try:
                m = load_manifest(p)
            except ManifestError as exc:
                add(p, problem=str(exc))
                continue
            files, missing = plan(m)
            for f in files:
                add(f, manifest=m)
            for entry in missing:
                add(m.root / entry.path, problem="listed in the manifest but missing")
            continue
        files, errors = expand_paths([p], exclude=config.getoption("certify_exclude"))
        for f in files:
            add(f)
        for e in errors:
            add(p, problem=e)

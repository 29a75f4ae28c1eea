"""pytest plugin: ``pytest --certify PATH`` checks certificates as test items (UNTRUSTED glue).

Registered by installing certify (entry point group ``pytest11``, name
``certify``), so a research group's own ``pytest`` run can gate on its
certificates::

    pytest --certify certificates/                       # every *.json under the folder
    pytest --certify certificates/MANIFEST.json          # the manifest's folder, checked against it
    pytest --certify certificates/ --certify-timeout 600 # a per-certificate time limit
    pytest --certify certificates/ --certify-jobs auto   # check on every usable core

Each ``--certify PATH`` becomes one collector node (id: PATH relative to
pytest's rootdir) whose children are its certificates, one test item each
(id ``PATH::path/relative/to/PATH``, e.g.
``certificates/MANIFEST.json::hermite/erf.json``), so pytest's progress
output is one row of dots, and ``-k``, ``-m``, ``--deselect`` apply as to any
test.  An item passes only when the trusted kernel's ``check_file`` says
PROVEN (and, with a manifest, the file is listed with the same SHA-256); a
failure shows exactly the lines ``certify check`` prints for it.  Items are
decided by the route of ``certify check`` (certify.runner.run_local: the same
time limit, counting only the check itself, and the same memo), and
``--junitxml`` gets classname = the certificate's kind and name = its path.  Folder walks skip what
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
    """A certificate item failed: the message is what ``certify check`` prints for it."""


class CertificateSet(pytest.Collector):
    """One ``--certify PATH``: the parent node of its certificate items, so pytest's progress output
    shows one line of dots for all of them.  (The items are made in
    :func:`pytest_collection_modifyitems` and collected through pytest's own ``genitems``, so the
    "collected N items" line and the collection hooks see them.)"""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.certificates: list = []

    def collect(self):
        return list(self.certificates)

    def reportinfo(self):
        return self.path, None, f"certificates {self.name}"


class CertificateItem(pytest.Item):
    def __init__(self, *, target: str, manifest=None, problem=None, **kw):
        super().__init__(**kw)
        self.target = target  # the path to check, as usable from the current directory
        self.manifest = manifest
        self.problem = problem  # a failure known at collection: a Result, or the text of an 'error:' line

    def runtest(self) -> None:
        from .report import lines

        if isinstance(self.problem, str):
            _junit(self, "certify", self.target)
            raise CertificateNotProven(f"error: {self.problem}")
        if self.problem is not None:
            r = self.problem
        else:
            r = _Prefetch.get(self.session, _jobs(self.config),
                              self.config.getoption("certify_timeout")).result(self.target)
            if self.manifest is not None:
                from .manifest import reconcile

                r = next(reconcile(self.manifest, [r], []))
        _junit(self, r.kind or "unknown", r.path)
        text = lines(r)
        if not r.proven or r.manifest:
            raise CertificateNotProven("\n".join(text))
        self.user_properties.append(("verdict", text[0]))

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CertificateNotProven):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        return self.path, None, f"certificate {self.name}"


def _junit(item, classname: str, name: str) -> None:
    """With --junitxml: classname = the certificate's kind and name = its path, as in
    ``certify check --format junit`` (pytest would derive both from the node id)."""
    try:
        from _pytest.junitxml import xml_key

        xml = item.config.stash.get(xml_key, None)
        if xml is not None:
            reporter = xml.node_reporter(item.nodeid)
            reporter.add_attribute("classname", classname)
            reporter.add_attribute("name", name)
    except Exception:  # noqa: BLE001 - pytest internals changed: keep pytest's own attributes
        pass


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
    """One run (certify.runner.run_local, the route of ``certify check``) over every certificate item
    of the session, in item order; each item takes its own result, waiting only for it.  With one
    job and no time limit the run is in this process, one certificate at a time as the items run."""

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

    def close(self) -> None:
        self._results.close()  # stops worker processes, turns the in-process memo off


def pytest_sessionfinish(session) -> None:
    pre = getattr(session, "_certify_prefetch", None)
    if pre is not None:
        pre.close()


def _display(path: Path, rootdir: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), rootdir)).as_posix()
    except ValueError:
        return path.as_posix()


def _relative(path: Path, folder: Path) -> str:
    try:
        return Path(os.path.relpath(path, folder)).as_posix()
    except ValueError:
        return path.as_posix()


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection, so those apply to certificate items too
def pytest_collection_modifyitems(session, config, items) -> None:
    targets = config.getoption("certify")
    if not targets:
        return
    from .paths import expand_paths, is_manifest_file
    from .runner import Result

    rootdir = Path(config.rootpath)
    seen: set[Path] = set()

    groups: list[CertificateSet] = []

    def group(target: Path) -> CertificateSet:
        name = _display(target, rootdir)
        groups.append(CertificateSet.from_parent(session, name=name, nodeid=name, path=target.resolve()))
        return groups[-1]

    def add(parent: CertificateSet, name: str, target: Path, manifest=None, problem=None) -> None:
        key = target.resolve()
        if key in seen:
            return
        seen.add(key)
        parent.certificates.append(CertificateItem.from_parent(parent, name=name, path=key, target=str(target),
                                                           manifest=manifest, problem=problem))

    for text in targets:
        p = Path(text)
        parent = group(p)
        if p.is_file() and is_manifest_file(p):
            from .manifest import ManifestError, load_manifest, plan, reconcile

            try:
                m = load_manifest(p)
            except ManifestError as exc:
                add(parent, p.name, p, problem=str(exc))
                continue
            files, missing = plan(m)
            for f in files:
                add(parent, _relative(f, m.root), f, manifest=m)
            for r, entry in zip(reconcile(m, [], missing), missing):
                add(parent, entry.path, Path(r.path), problem=r)
            continue
        files, errors = expand_paths([p], exclude=config.getoption("certify_exclude"))
        for f in files:
            add(parent, f.name if f == p else _relative(f, p), f)
        for e in errors:
            add(parent, p.name or text, p, problem=e)
    for g in groups:
        if g.certificates:
            items.extend(session.genitems(g))

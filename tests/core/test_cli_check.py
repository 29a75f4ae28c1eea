"""`certify check` for CI: exit statuses, JSON and JUnit reports, -j, --timeout, folder walks,
--exclude, errors on stderr, global --progress/--no-progress."""
from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from certify import cli, progress

from conftest import REPO_ROOT as REPO, stored_spurious as stored


@pytest.fixture
def folder(tmp_path) -> Path:
    """certs/: a.json, b.json proven; sub/c_bad.json not proven (statement changed)."""
    d = tmp_path / "certs"
    (d / "sub").mkdir(parents=True)
    shutil.copy(stored("relu-k06-n06-*.json"), d / "a.json")
    shutil.copy(stored("relu-k07-n07-*.json"), d / "b.json")
    data = json.loads((d / "a.json").read_text())
    data["claim"]["statement"] = "Something stronger."
    (d / "sub" / "c_bad.json").write_text(json.dumps(data))
    return d


def test_exit_status_0_only_when_everything_is_proven(run, folder):
    rc, out, err = run("check", folder / "a.json", folder / "b.json")
    assert rc == 0 and out.splitlines()[-1] == "2 proven, 0 not proven" and "error" not in err
    rc, out, err = run("check", folder)
    assert rc == 1 and out.splitlines()[-1] == "2 proven, 1 not proven"
    assert [line.split()[0] for line in out.splitlines()[:3]] == ["PROVEN", "PROVEN", "NOT"]


def test_missing_path_and_bad_usage_exit_2_with_errors_on_stderr(run, folder, tmp_path):
    rc, out, err = run("check", folder / "a.json", tmp_path / "nope.json")
    assert rc == 2 and "no such file" in err and "no such file" not in out
    assert "PROVEN     " in out  # the existing file is still checked
    (tmp_path / "empty").mkdir()
    rc, out, err = run("check", tmp_path / "empty")
    assert rc == 2 and "holds no *.json" in err
    for args in (["check"], ["check", "-j", "0", folder], ["check", "--timeout", "-1", folder],
                 ["check", "--timeout", "nan", folder], ["check", "--format", "xml", folder],
                 ["check", "--manifest", folder / "m.json", folder],
                 ["check", "-j", "2", "--dask", "tcp://127.0.0.1:1", folder]):
        rc, out, err = run(*args)
        assert rc == 2, args
        assert "Traceback" not in out + err


def test_help_documents_the_exit_statuses(run):
    rc, out, err = run("check", "--help")
    assert rc == 0
    for line in ("0  every certificate proven", "1  at least one certificate NOT PROVEN",
                 "2  bad usage", "3  --manifest only"):
        assert line in out


def test_json_report(run, folder, tmp_path):
    rc, out, err = run("check", "--format", "json", folder, tmp_path / "nope")
    assert rc == 2 and "no such file" in err
    report = json.loads(out)  # stdout is the JSON document alone
    assert report["format"] == "certify-report" and report["exit_code"] == 2
    assert (report["proven"], report["not_proven"]) == (2, 2) and len(report["errors"]) == 1
    a, b, c = report["results"]
    assert set(a) == {"path", "kind", "verdict", "message", "bounds", "seconds"}
    assert a["path"] == str(folder / "a.json") and a["kind"] == "relu-spurious-minimum"
    assert a["verdict"] == "PROVEN" and a["bounds"]["hessian_min_eigenvalue_lower_bound"] > 0
    assert c["verdict"] == "NOT PROVEN" and "statement" in c["message"] and c["bounds"] == {}
    assert all(r["seconds"] >= 0 for r in report["results"])


def test_junit_report_to_a_file_with_text_lines_on_stdout(run, folder, tmp_path):
    out_file = tmp_path / "reports" / "certify.xml"
    rc, out, err = run("check", "--format", "junit", "--output", out_file, folder)
    assert rc == 1
    assert out.splitlines()[-1] == "2 proven, 1 not proven"  # the human log still streams
    root = ET.parse(out_file).getroot()
    suite = root.find("testsuite")
    assert suite.get("tests") == "3" and suite.get("failures") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [str(folder / "a.json"), str(folder / "b.json"),
                                             str(folder / "sub" / "c_bad.json")]
    assert cases[0].find("failure") is None
    failure = cases[2].find("failure")
    assert failure is not None and "statement" in failure.get("message")
    rc, out, err = run("check", "--format", "junit", folder / "a.json")
    assert rc == 0 and ET.fromstring(out.encode()).find("testsuite").get("failures") == "0"
    rc, out, err = run("check", "--format", "junit", "--output", tmp_path, folder / "a.json")
    assert rc == 2 and "is a folder" in err and out == ""  # refused before any checking


def test_control_characters_cannot_reach_the_terminal_or_break_xml(run, folder):
    data = json.loads((folder / "a.json").read_text())
    data["claim"]["bogus\x1b[2J\x07"] = 1
    (folder / "sub" / "c_bad.json").write_text(json.dumps(data))
    rc, out, err = run("check", folder / "sub" / "c_bad.json")
    assert rc == 1 and "\x1b" not in out and "\x07" not in out
    rc, out, err = run("check", "--format", "junit", folder / "sub" / "c_bad.json")
    assert ET.fromstring(out.encode()).find("testsuite").get("failures") == "1"


def test_parallel_output_is_the_serial_output(run, folder):
    for extra in ([], ["--timeout", "120"]):
        rc1, out1, _ = run("check", "-j", "1", *extra, folder)
        rc2, out2, _ = run("check", "-j", "3", *extra, folder)
        assert (rc1, out1) == (rc2, out2)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_timeout_turns_a_long_check_into_a_clean_not_proven_line(run, folder, jobs, monkeypatch):
    import multiprocessing
    import time

    from certify import runner

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("needs the fork start method")
    monkeypatch.setattr(runner, "_context", lambda: multiprocessing.get_context("fork"))
    real = runner.check_one

    def stuck_on_b(path):  # what the forked child runs
        if path.endswith("b.json"):
            time.sleep(120)
        return real(path)

    monkeypatch.setattr(runner, "check_one", stuck_on_b)
    rc, out, err = run("check", "-j", jobs, "--timeout", "0.8", folder / "a.json", folder / "b.json")
    assert rc == 1 and "Traceback" not in out + err
    lines = out.splitlines()
    assert lines[0].startswith("PROVEN ")
    assert lines[1] == f"NOT PROVEN {folder / 'b.json'}: time limit of 0.8 s exceeded: check stopped (--timeout)"
    assert lines[2] == "1 proven, 1 not proven"


def test_folder_walk_skips_hidden_folders_venvs_and_excludes(run, folder):
    for sub in (".git", "venv", "deep/.cache"):
        (folder / sub).mkdir(parents=True)
        shutil.copy(folder / "sub" / "c_bad.json", folder / sub / "x.json")
    (folder / "venv" / "pyvenv.cfg").write_text("home = /usr\n")
    shutil.copy(folder / "sub" / "c_bad.json", folder / ".hidden.json")
    rc, out, err = run("check", folder)
    assert out.splitlines()[-1] == "2 proven, 1 not proven"
    rc, out, err = run("check", "--exclude", "sub", folder)
    assert rc == 0 and out.splitlines()[-1] == "2 proven, 0 not proven"
    rc, out, err = run("check", "--exclude", "sub/*.json", "--exclude", "b.*", folder)
    assert rc == 0 and out.splitlines()[-1] == "1 proven, 0 not proven"
    # a file named on the command line is always checked
    rc, out, err = run("check", folder / "venv" / "x.json")
    assert rc == 1 and out.splitlines()[-1] == "0 proven, 1 not proven"


def test_folder_walk_from_a_repository_root_does_not_enter_the_venv(folder):
    from certify.paths import expand_paths

    (folder / ".venv" / "lib").mkdir(parents=True)
    (folder / ".venv" / "pyvenv.cfg").write_text("")
    (folder / "env" / "lib").mkdir(parents=True)
    (folder / "env" / "pyvenv.cfg").write_text("")
    (folder / "env" / "lib" / "data.json").write_text("{}")
    files, missing = expand_paths([folder])
    assert [f.relative_to(folder).as_posix() for f in files] == ["a.json", "b.json", "sub/c_bad.json"]
    assert missing == []


def test_quiet_prints_failures_and_the_total(run, folder):
    rc, out, err = run("check", "-q", folder)
    assert rc == 1 and len(out.splitlines()) == 2 and "c_bad.json" in out


def test_global_progress_switch(run, folder):
    try:
        run("--no-progress", "check", folder / "a.json")
        assert progress.enabled() is False
        run("--progress", "check", folder / "a.json")
        assert progress.enabled() is True
    finally:
        progress.set_mode(None)


def test_a_missing_optional_dependency_names_the_extra(run, monkeypatch):
    def needs_scipy(args):
        raise ModuleNotFoundError("No module named 'scipy'", name="scipy")

    monkeypatch.setattr(cli, "_cmd_show", needs_scipy)
    rc, out, err = run("show", "x.json")
    assert rc == 2 and "pip install 'certify[search]'" in err


def test_text_report_to_a_file(run, folder, tmp_path):
    out_file = tmp_path / "report.txt"
    rc, out, err = run("check", "--output", out_file, folder)
    assert rc == 1 and out_file.read_text() == out  # the same lines, streamed and saved


# --------------------------------------------------------------------------- output of long runs


@pytest.fixture
def many(folder) -> Path:
    """certs/ with 24 certificates: 22 proven copies (two kinds), one not proven (sub/c_bad.json)."""
    for i in range(20):
        shutil.copy(folder / "a.json", folder / f"p{i:02d}.json")
    shutil.copy(REPO / "certificates" / "kkt" / "relu_clusters_adjusted.json", folder / "kkt.json")
    return folder


def test_a_long_run_prints_failures_a_summary_by_kind_and_the_total(run, many):
    rc, out, err = run("check", many)
    lines = out.splitlines()
    assert rc == 1 and not any(line.startswith("PROVEN ") for line in lines)
    assert lines[0].startswith(f"NOT PROVEN {many / 'sub' / 'c_bad.json'}: ") and "statement" in lines[0]
    assert lines[1].startswith("24 certificate(s) in ") and lines[1].endswith("; by kind:")
    assert lines[2].split() == ["kind", "proven", "not", "proven", "check", "s", "slowest"]
    kkt, spurious = lines[3].split(), lines[4].split()
    assert kkt[:3] == ["kkt-max-margin", "1", "0"] and kkt[4] == str(many / "kkt.json")
    assert spurious[:3] == ["relu-spurious-minimum", "22", "1"] and spurious[-1] == "s)"
    assert lines[5:] == ["23 proven, 1 not proven"]
    rc, out, err = run("check", "-v", many)
    assert rc == 1 and sum(line.startswith("PROVEN ") for line in out.splitlines()) == 23
    assert "; by kind:" in out and out.splitlines()[-1] == "23 proven, 1 not proven"
    rc, out, err = run("check", "-q", many)
    assert out.splitlines() == [lines[0], "23 proven, 1 not proven"]
    rc, out, err = run("check", "-q", "-v", many)
    assert rc == 2 and "exclude each other" in err


def test_the_text_report_file_holds_every_line(run, many, tmp_path):
    rc, out, err = run("check", "--output", tmp_path / "report.txt", many)
    saved = (tmp_path / "report.txt").read_text().splitlines()
    assert sum(line.startswith("PROVEN ") for line in saved) == 23 and saved[-1] == out.splitlines()[-1]


def test_long_numbers_are_shortened_in_text_and_exact_in_json(run):
    import re

    path = REPO / "certificates" / "kkt" / "relu_clusters_adjusted.json"
    rc, out, err = run("check", path)
    assert rc == 0 and "||theta*||^2 = ≈6.145388514 (21/21-digit fraction)" in out
    lines = [line.replace(str(path), "FILE") for line in out.splitlines()]  # the checkout's own path varies
    assert not re.search(r"\d{25}", out) and max(map(len, lines)) < 480
    rc, out, err = run("check", "--format", "json", path)
    assert "664847399790335867330/108186390215956554489" in json.loads(out)["results"][0]["message"]


def test_shorten():
    from certify.report import shorten

    big = "1" + "0" * 399
    assert shorten(f"F = {big}") == "F = 100000…000 (400 digits)"
    assert shorten(f"x = {big}/3 and -{big}/7") == \
        "x = ≈3.333333333e+398 (400/1-digit fraction) and ≈-1.428571429e+398 (400/1-digit fraction)"
    assert shorten("664847399790335867330/108186390215956554489") == "≈6.145388514 (21/21-digit fraction)"
    for kept in ("d0 = 643509783117", "1/125000", "2.961258339e-05", "3.14159265358979323846264338327950",
                 "relu-sym-k10000-p1-9999-loss0.00002962.json", "123456789012/123456789012", "v1.2.3"):
        assert shorten(kept) == kept


# --------------------------------------------------------------------------- files, help, Dask


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_output_file_is_written_atomically_with_the_usual_mode(run, folder, tmp_path, umask, mode):
    import os
    import stat

    out_file = tmp_path / "reports" / "certify.xml"
    old = os.umask(umask)
    try:
        rc, out, err = run("check", "--format", "junit", "--output", out_file, folder / "a.json")
        assert rc == 0 and stat.S_IMODE(out_file.stat().st_mode) == mode
        out_file.write_text("an old report")  # a report path is overwritten: that is what it is for
        rc, out, err = run("check", "--format", "junit", "--output", out_file, folder / "a.json")
        assert rc == 0 and ET.parse(out_file).getroot().tag == "testsuites"
        assert stat.S_IMODE(out_file.stat().st_mode) == mode
    finally:
        os.umask(old)
    assert [p.name for p in out_file.parent.iterdir()] == ["certify.xml"]  # no temporary file left


def test_junit_classname_is_the_kind(run, folder):
    rc, out, err = run("check", "--format", "junit", folder)
    cases = ET.fromstring(out.encode()).find("testsuite").findall("testcase")
    assert [c.get("classname") for c in cases] == ["relu-spurious-minimum"] * 3


def test_every_option_has_help_and_every_command_a_description():
    import argparse

    parser = cli.build_parser()
    subs = {a.dest: a for a in parser._actions if isinstance(a, argparse._SubParsersAction)}
    check, show, manifest = (subs["command"].choices[c] for c in ("check", "show", "manifest"))
    write = next(a for a in manifest._actions if isinstance(a, argparse._SubParsersAction)).choices["write"]
    for p in (parser, check, show, manifest, write):
        assert p.description, p.prog
        for action in p._actions:
            assert action.help and action.help != argparse.SUPPRESS, (p.prog, action.dest)
    for a in subs["command"]._choices_actions:
        assert a.help, a.dest


def test_an_unreachable_dask_scheduler_fails_fast(run_subprocess, folder):
    pytest.importorskip("distributed")
    import time

    start = time.monotonic()
    done = run_subprocess("check", "--dask", "tcp://127.0.0.1:1", folder, timeout=40)
    assert time.monotonic() - start < 20
    assert done.returncode == 2 and "cannot reach the Dask scheduler" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr and done.stdout == ""
    with pytest.raises(cli.UserError, match="expected a scheduler address"):
        cli._dask_client("tcp://nohostport")

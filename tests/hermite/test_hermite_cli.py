"""`certify hermite table|write|plot|list`: tables, certificates, resume, plot, and clear errors on bad input."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from certify.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run(argv, capsys):
    capsys.readouterr()
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:  # argparse usage errors
        rc = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return rc, out.out, out.err


def subprocess_run(*args):
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "certify", *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def no_work(monkeypatch):
    """Fail the test if a certificate would be computed (errors must come before any work)."""
    from certify.hermite import produce

    def boom(*a, **k):
        raise AssertionError("work started before the input was refused")

    monkeypatch.setattr(produce, "certificate", boom)
    monkeypatch.setattr(produce, "compute", boom)


@pytest.mark.parametrize("argv,message", [
    (["table", "swish"], "unknown activation 'swish'"),
    (["table", "all"], "'all' is for `certify hermite prove`"),
    (["table", "relu", "--degree", "-1"], "--degree must be a non-negative integer"),
    (["table", "relu", "--degree", "10000000"], "too large"),
    (["table", "sigmoid", "--degree", "3001"], "too large for sigmoid: the checker accepts at most 3000"),
    (["table", "relu", "--prec", "5"], "--prec"),
    (["table", "sigmoid", "--degree", "1000", "--prec", "1600"], "the checker accepts 64..1500 bits"),
    (["table", "relu", "--rows", "-2"], "--rows"),
    (["write", "relu"], "--out"),
    (["write", "swish", "--out", "x.json"], "unknown activation"),
    (["write", "all", "--out", "DIR", "--normalized"], "--normalized does not apply to 'all'"),
    (["write", "all", "--out", "DIR", "--degree", "5000"], "too large for sigmoid"),
    (["plot", "--out", "x.png", "--rows", "3"], "unrecognized arguments: --rows"),
    (["plot", "--out", "x.png", "--normalized"], "unrecognized arguments: --normalized"),
    (["plot"], "--out"),
    (["table", "relu", "--write", "x.json"], "unrecognized arguments"),
    ([], "VERB"),
])
def test_bad_input_is_refused_before_any_work(argv, message, capsys, no_work, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(["hermite", *argv], capsys)
    assert rc == 2
    assert message in err, err
    assert "Traceback" not in err + out
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_non_integer_degree_is_a_usage_error():
    proc = subprocess_run("hermite", "table", "relu", "--degree", "ten")
    assert proc.returncode == 2
    assert "invalid int value" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_activation_in_a_subprocess_has_no_traceback():
    proc = subprocess_run("hermite", "table", "leaky-relu", "--degree", "10")
    assert proc.returncode == 2
    assert "error: unknown activation 'leaky-relu'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_table_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(["hermite", "table", "sigmoid", "--degree", "30", "--normalized", "--rows", "3"], capsys)
    assert rc == 0, err
    assert "eps(n)" in out and "decay bound" in out and "sigmoid (normalized)" in out
    assert list(tmp_path.iterdir()) == []


def test_write_one_certificate_and_never_overwrite_silently(tmp_path, capsys):
    path = tmp_path / "sig.json"
    rc, out, err = run(["hermite", "write", "sigmoid", "--degree", "30", "--normalized", "--out", path], capsys)
    assert rc == 0, err
    assert out.startswith(f"wrote {path}: sigmoid (normalized), N=30")
    cert = json.loads(path.read_text())
    assert cert["claim"]["degree"] == 30 and cert["claim"]["normalized"] is True
    assert "report" not in cert and set(cert["method"]) == {"precision_bits"}
    assert cert["provenance"]["observed_decay"]["alpha"] == 0.5
    rc, out, err = run(["check", path], capsys)
    assert rc == 0 and "1 proven" in out
    before = path.read_bytes()
    # an existing file without --overwrite: exit 2, the file untouched
    rc, out, err = run(["hermite", "write", "relu", "--degree", "30", "--out", path], capsys)
    assert rc == 2 and "exists, not overwritten (use --overwrite" in err
    assert path.read_bytes() == before and out == ""
    rc, out, err = run(["hermite", "write", "relu", "--degree", "30", "--out", path, "--overwrite"], capsys)
    assert rc == 0, err
    assert json.loads(path.read_text())["claim"]["activation"] == "relu"


def test_existing_file_is_refused_before_any_work(tmp_path, capsys, no_work):
    path = tmp_path / "x.json"
    path.write_text("{}")
    rc, out, err = run(["hermite", "write", "relu", "--out", path], capsys)
    assert rc == 2 and "exists" in err and path.read_text() == "{}"
    rc, out, err = run(["hermite", "write", "relu", "--out", tmp_path], capsys)  # a folder
    assert rc == 2 and "exists" in err
    rc, out, err = run(["hermite", "write", "relu", "--out", tmp_path, "--overwrite"], capsys)
    assert rc == 2 and "is a folder" in err
    blocker = tmp_path / "file.txt"
    blocker.write_text("")
    rc, out, err = run(["hermite", "write", "relu", "--out", blocker / "x.json"], capsys)
    assert rc == 2 and "cannot write" in err
    rc, out, err = run(["hermite", "write", "all", "--out", path], capsys)
    assert rc == 2 and "not a folder" in err
    rc, out, err = run(["hermite", "plot", "--out", path], capsys)
    assert rc == 2 and "exists" in err and path.read_text() == "{}"


def _states(out: str) -> dict[str, str]:
    """file name -> 'wrote' or 'kept' from the output lines."""
    states = {}
    for line in out.splitlines():
        verb, _, rest = line.partition(" ")
        if verb in ("wrote", "kept"):
            states[Path(rest.split(":")[0]).name] = verb
    return states


def test_write_all_writes_sixteen_and_resumes(tmp_path, capsys):
    folder = tmp_path / "h"
    rc, out, err = run(["hermite", "write", "all", "--degree", "8", "--out", folder], capsys)
    assert rc == 0, err
    files = sorted(p.name for p in folder.glob("*.json"))
    assert len(files) == 16 and set(_states(out).values()) == {"wrote"} and len(_states(out)) == 16
    rc, out, err = run(["check", folder], capsys)
    assert rc == 0 and "16 proven, 0 not proven" in out

    # an interrupted run: three files missing, the rest kept untouched
    kept_bytes = (folder / "relu.json").read_bytes()
    for name in ("tanh.json", "gelu-normalized.json", "silu.json"):
        (folder / name).unlink()
    rc, out, err = run(["hermite", "write", "all", "--degree", "8", "--out", folder], capsys)
    assert rc == 0, err
    states = _states(out)
    assert sorted(n for n, s in states.items() if s == "wrote") == ["gelu-normalized.json", "silu.json", "tanh.json"]
    assert sum(s == "kept" for s in states.values()) == 13
    assert (folder / "relu.json").read_bytes() == kept_bytes

    # an existing file that is not proven: an error unless --overwrite, and nothing is written
    bad = folder / "erf.json"
    bad.write_text(bad.read_text().replace('"degree": 8', '"degree": 7'))
    (folder / "abs.json").unlink()
    rc, out, err = run(["hermite", "write", "all", "--degree", "8", "--out", folder], capsys)
    assert rc == 2 and "erf.json: not proven" in err and "--overwrite" in err
    assert not (folder / "abs.json").exists()
    # a proven file for another degree is not the request either
    rc, out, err = run(["hermite", "write", "relu", "--degree", "9", "--out", folder / "other.json"], capsys)
    assert rc == 0
    (folder / "other.json").replace(folder / "relu-normalized.json")
    rc, out, err = run(["hermite", "write", "all", "--degree", "8", "--out", folder], capsys)
    assert rc == 2 and "relu-normalized.json: proven, but for" in err
    rc, out, err = run(["hermite", "write", "all", "--degree", "8", "--out", folder, "--overwrite"], capsys)
    assert rc == 0, err
    states = _states(out)
    assert sorted(n for n, s in states.items() if s == "wrote") == ["abs.json", "erf.json", "relu-normalized.json"]
    rc, out, err = run(["check", folder], capsys)
    assert rc == 0 and "16 proven, 0 not proven" in out


def test_list(capsys):
    rc, out, err = run(["hermite", "list"], capsys)
    assert rc == 0
    for name in ("relu", "abs", "erf", "gelu", "sigmoid", "tanh", "softplus", "silu"):
        assert name in out
    assert "N <= 20000" in out and "N <= 3000" in out


def test_malformed_certificate_check_exit_code(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "certify-certificate", "version": 1, "kind": "hermite-expansion", "claim": {}}')
    rc, out, err = run(["check", bad], capsys)
    assert rc == 1
    assert "NOT PROVEN" in out and "missing field" in out and "Traceback" not in out + err
    nan = tmp_path / "nan.json"
    nan.write_text('{"format": "certify-certificate", "version": 1, "kind": "hermite-expansion", '
                   '"claim": {"degree": NaN}}')
    rc, out, err = run(["check", nan], capsys)
    assert rc == 1 and "NOT PROVEN" in out


def test_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    path = tmp_path / "tails.png"
    rc, out, err = run(["hermite", "plot", "--out", path, "--degree", "40"], capsys)
    assert rc == 0, err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rc, out, err = run(["hermite", "plot", "--out", path, "--degree", "40"], capsys)
    assert rc == 2 and "exists" in err


def test_plot_without_matplotlib(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    rc, out, err = run(["hermite", "plot", "--out", tmp_path / "x.png", "--degree", "5"], capsys)
    assert rc == 2
    assert "matplotlib is needed" in err and "Traceback" not in err
